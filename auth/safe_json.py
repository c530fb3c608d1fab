"""JSON request bodies the store and the logs can hold: NaN, Infinity or a lone surrogate (a JSON "\\ud800" escape
UTF-8 cannot encode) anywhere in a body, key or value, makes it a 400 before any route runs: nothing is half-done.

Pushed readings (ingest, NGSI-LD notify) parse their own bodies and reject just the record that holds one."""

from __future__ import annotations

import math
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a surrogate escape; only then is the parsed body walked


def lone_surrogate(obj: Any, depth: int = 0) -> bool:
    """Whether any string (key or value) in a parsed JSON document holds a lone surrogate."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if depth > 200:
        return False
    if isinstance(obj, dict):
        return any(lone_surrogate(k, depth + 1) or lone_surrogate(v, depth + 1) for k, v in obj.items())
    if isinstance(obj, list):
        return any(lone_surrogate(v, depth + 1) for v in obj)
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large for a number")
    return value


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing text that is not valid Unicode (Flask turns the ValueError into a 400)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _no_constant)  # NaN and Infinity are not JSON (JS sends null for them)
        kwargs.setdefault("parse_float", _finite)  # nor is 1e400, which Python would read as inf
        if isinstance(s, bytes | bytearray):
            try:  # RFC 8259: UTF-8; strict, so encoded surrogates (ED A0 80) and other encodings are refused too
                s = bytes(s).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"the body is not UTF-8 text (byte {exc.start})") from None
        obj = super().loads(s, **kwargs)
        if _ESCAPE.search(s) and lone_surrogate(obj):
            raise ValueError("the body holds text that is not valid Unicode (a lone surrogate)")
        return obj
