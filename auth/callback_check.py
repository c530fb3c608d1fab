"""A Dash callback request is checked before it runs: its shape against the registered callback (output known, the
declared inputs and states in their order) and each value against the callback function's type hints.

Dash itself trusts the request (a body that is not an object, an unknown output or a short input list raised a
KeyError or TypeError: a 500 with a stack trace). Here a malformed request gets a 400 with a short reason, and the
gate decides a page from the very input Dash renders from (inputs are positional)."""

from __future__ import annotations

import inspect
import json
import math
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from dash._utils import stringify_id
from pydantic import ConfigDict, TypeAdapter, ValidationError

_STRICT = ConfigDict(strict=True)
# Properties whose type does not depend on the callback (Dash's own pages router has no type hints to check).
PROP_TYPES: dict[str, TypeAdapter[Any]] = {
    prop: TypeAdapter(hint, config=_STRICT) for prop, hint in (
        ("pathname", str | None), ("search", str | None), ("hash", str | None), ("href", str | None),
        ("n_clicks", int | None), ("n_intervals", int | None))}


class BadCallback(ValueError):
    """The request cannot be a callback this app would run; the message says why (no internals)."""


def _pattern(spec_id: str) -> bool:
    return spec_id.startswith("{")


def _id_like(got: Any, kind: Mapping[str, Any]) -> bool:
    """A concrete pattern-matching id for a spec like {"type": "alert-row", "id": ["ALL"]}: the same keys, the same
    type, plain JSON scalars as values (Dash parses and compares them)."""
    return (isinstance(got, dict) and set(got) == set(kind) and got.get("type") == kind.get("type")
            and all(_scalar(v) for v in got.values()))


def _scalar(v: Any) -> bool:
    return isinstance(v, str | bool | int) or (isinstance(v, float) and math.isfinite(v))


def _check_item(item: Any, want: Mapping[str, Any], where: str) -> list[str]:
    """One input or state: the declared component id and property (pattern-matching ids: a dict id or a list).
    Returns the prop ids it stands for, as the renderer names them in changedPropIds."""
    spec_id, prop = want.get("id", ""), want.get("property")
    if _pattern(spec_id):
        kind = _kind(spec_id)
        items = item if isinstance(item, list) else [item]
        for x in items:
            if not (isinstance(x, dict) and _id_like(x.get("id"), kind) and x.get("property") == prop):
                raise BadCallback(f"{where}: expected {kind.get('type')}.{prop} items")
        return [f"{stringify_id(x['id'])}.{prop}" for x in items]
    if not (isinstance(item, dict) and item.get("id") == spec_id and item.get("property") == prop):
        raise BadCallback(f"{where}: expected {spec_id}.{prop}")
    return [f"{spec_id}.{prop}"]


@cache
def _kind(spec_id: str) -> dict[str, Any]:
    """A pattern-matching spec id, parsed once per spec (not on every tick)."""
    return json.loads(spec_id)


@cache
def _declared_outputs(output: str) -> tuple[tuple[str, str], ...]:
    """(id, property) of each output named by a callback_map key ('..a.x...b.y..' or 'a.x'; '@hash' dropped)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, _, prop = part.rpartition(".")
        out.append((ident, prop.split("@", 1)[0]))
    return tuple(out)


def _outputs_ok(outputs: Any, output: str) -> bool:
    """The outputs list (multi-output) or object (one output) the renderer sends: the callback's own, in order."""
    declared = _declared_outputs(output)
    many = output.startswith("..")
    items = outputs if many else [outputs]
    if not isinstance(items, list) or len(items) != len(declared):
        return False
    for x, (ident, prop) in zip(items, declared, strict=True):
        if _pattern(ident):  # a pattern-matching output: one match or a list of them
            kind = _kind(ident)
            matches = x if isinstance(x, list) else [x]
            if not all(isinstance(y, dict) and _id_like(y.get("id"), kind) and y.get("property") == prop
                       for y in matches):
                return False
        elif not (isinstance(x, dict) and x.get("id") == ident and x.get("property") == prop):
            return False
    return True


@cache
def _adapters(func: Any) -> tuple[tuple[str, TypeAdapter[Any] | None], ...] | None:
    """Per positional parameter of a callback function: its name and a strict validator of its hint (None: Any)."""
    if func is None:  # a clientside callback: nothing runs on the server
        return None
    target = inspect.unwrap(func)
    try:
        hints = typing.get_type_hints(target)
        params = list(inspect.signature(target).parameters.values())
    except (NameError, TypeError, ValueError):
        return None
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params):
        return None
    out: list[tuple[str, TypeAdapter[Any] | None]] = []
    for p in params:
        hint = hints.get(p.name, Any)
        try:
            adapter = None if hint is Any else TypeAdapter(hint, config=_STRICT)
        except Exception:  # noqa: BLE001 - a hint pydantic cannot check is not checked (never a 500 per request)
            adapter = None
        out.append((p.name, adapter))
    return tuple(out)


def _value(item: Any) -> Any:
    """What Dash passes for an input: its value, or a list of values for a pattern-matching list."""
    if isinstance(item, list):
        return [x.get("value") for x in item]
    return item.get("value")


def known(body: Any, callback_map: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The registered callback a body names (None before the app's callbacks are known); BadCallback when the body
    is not an object or names no callback of this app."""
    if not isinstance(body, dict):
        raise BadCallback("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str):
        raise BadCallback("output must be a string")
    if callback_map is None:
        return None
    if output not in callback_map:
        raise BadCallback("unknown callback output")
    return callback_map[output]


def check(body: dict[str, Any], cb: Mapping[str, Any]) -> None:
    """The body's outputs, inputs and states against the callback, and each value against the function's type
    hints; BadCallback says what is wrong."""
    output = body["output"]
    if not _outputs_ok(body.get("outputs"), output):
        raise BadCallback("outputs do not match the callback")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(x, str) for x in changed):
        raise BadCallback("changedPropIds must be a list of strings")
    items: list[Any] = []
    inputs: set[str] = set()
    for field in ("inputs", "state"):
        spec = cb.get(field) or []
        got = body.get(field, [])
        if not isinstance(got, list) or len(got) != len(spec):
            raise BadCallback(f"{field}: expected {len(spec)} items")
        for i, (item, want) in enumerate(zip(got, spec, strict=True)):
            named = _check_item(item, want, f"{field}[{i}]")
            if field == "inputs":
                inputs.update(named)
            adapter = PROP_TYPES.get(want.get("property", ""))
            if adapter is not None and isinstance(item, dict):
                try:
                    adapter.validate_python(item.get("value"))
                except ValidationError:
                    raise BadCallback(f"{field}[{i}]: {want['property']} of the wrong type") from None
        items += got
    if not set(changed) <= inputs:
        raise BadCallback("changedPropIds must name the callback's own inputs")
    adapters = _adapters(cb.get("callback"))
    order = cb.get("inputs_state_indices")  # Dash passes inputs and states in the order the decorator lists them
    if isinstance(order, list) and all(isinstance(i, int) for i in order) and sorted(order) == list(range(len(items))):
        items = [items[i] for i in order]
    else:
        adapters = None  # grouped (dict or nested) arguments: the shape was checked, hints are not positional
    if adapters is not None and len(adapters) == len(items):
        for (name, adapter), item in zip(adapters, items, strict=True):
            if adapter is None:
                continue
            try:
                adapter.validate_python(_value(item))
            except ValidationError as exc:
                raise BadCallback(f"{name}: {exc.errors()[0].get('msg', 'wrong type')}") from None


def page_path(body: Mapping[str, Any]) -> str | None:
    """The path Dash pages renders: its routing callback's first input, by position as Dash reads it, normalised as
    Dash does ('//analyst/' is the analyst page); None when it cannot be a page's path."""
    inputs = body.get("inputs") or []
    first = inputs[0] if inputs else None
    if isinstance(first, dict) and first.get("id") == "_pages_location" and first.get("property") == "pathname":
        value = first.get("value")
        if value is None:
            return "/"
        if isinstance(value, str) and value.startswith("/"):
            return "/" + value.strip("/")
    return None
