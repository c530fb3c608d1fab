"""JSON request bodies the store and the logs can hold: NaN, Infinity or a lone surrogate (a JSON "\\ud800" escape
UTF-8 cannot encode) anywhere in a body, key or value, makes it a 400 before any route runs: nothing is half-done.

Pushed readings (ingest, NGSI-LD notify) parse their own bodies and reject just the record that holds one."""

from __future__ import annotations

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


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing text that is not valid Unicode (Flask turns the ValueError into a 400)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _no_constant)  # NaN and Infinity are not JSON (JS sends null for them)
        obj = super().loads(s, **kwargs)
        text = s if isinstance(s, str) else s.decode("utf-8", "replace")
        if _ESCAPE.search(text) and lone_surrogate(obj):
            raise ValueError("the body holds text that is not valid Unicode (a lone surrogate)")
        return obj
