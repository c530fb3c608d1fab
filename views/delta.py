"""Per-entity values as deltas: what changed since the version a screen holds, so a tick's bytes follow the changes,
not the city's size.

A screen that holds the values of version `base` gets {"v", "base", <layer>: {id: new value}, "gone": {<layer>: [ids]},
"n": sizes} (a value may itself be None: a segment without a level);
one that holds nothing (or a version the server no longer keeps) gets everything, with "base": None. The sizes let
the browser check its merge and ask for everything again when they differ (store/context.py keeps each tick's values
once for every worker, so a delta is always taken against exactly what an earlier answer sent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Entries of new that differ from old, and the ids old has and new has not."""
    return {k: v for k, v in new.items() if k not in old or old[k] != v}, [k for k in old if k not in new]


def message(values: Mapping[str, Mapping[str, Any]], layers: Sequence[str], version: int,
            base_values: Mapping[str, Mapping[str, Any]] | None, base: int | None) -> dict[str, Any]:
    """The layers' values for a screen holding `base` (its values `base_values`), or all of them when it holds none."""
    full = base_values is None or base is None
    out: dict[str, Any] = {"v": version, "base": None if full else base,
                           "n": [len(values.get(layer, {})) for layer in layers]}
    gone: dict[str, list[str]] = {}
    for layer in layers:
        now = values.get(layer, {})
        if full:
            out[layer] = dict(now)
        else:
            out[layer], ids = diff(base_values.get(layer, {}), now)  # type: ignore[union-attr]
            if ids:
                gone[layer] = ids
    if gone:
        out["gone"] = gone
    return out


def merge(held: Mapping[str, Mapping[str, Any]], msg: Mapping[str, Any],
          layers: Sequence[str]) -> dict[str, Any] | None:
    """What a screen holds after a message (the browser's merge, in Python for tests); None when it must resync."""
    if msg.get("base") is None:
        out = {layer: dict(msg.get(layer, {})) for layer in layers}
    else:
        out = {layer: dict(held.get(layer, {})) for layer in layers}
        for layer in layers:
            out[layer].update(msg.get(layer, {}))
            for k in msg.get("gone", {}).get(layer, []):
                out[layer].pop(k, None)
    if [len(out[layer]) for layer in layers] != list(msg.get("n", [])):
        return None
    return out
