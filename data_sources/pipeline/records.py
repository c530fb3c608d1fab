"""Pushed records -> Readings, strictly: a bad record gets a reason that names the field, never a guess or a 0."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from core import case_status, times
from core.coords import check_position
from core.metrics import META, METRICS, Metric
from core.readings import Reading, unicode_ok

MAX_ID_LEN = 128
MAX_STR_LEN = 2_000
MIN_TS_MS = 946_684_800_000  # 2000-01-01T00:00:00Z: older is a unit mistake (seconds sent as ms) or junk
MAX_FUTURE_MS = 3_600_000  # a clock up to an hour fast is tolerated; later would win "newer wins" for hours
TOP_LEVEL = ("entity_id", "ts", "values", "lat", "lon", "meta")
_TOP = frozenset(TOP_LEVEL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Invalid(ValueError):
    """A record that cannot be stored; the message is the reason the client sees and the dead letter keeps."""


def finite(value: Any, where: str) -> float:
    """A finite float from a JSON number (bools and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{where}: expected a number, got {type(value).__name__}")
    try:
        f = float(value)
    except OverflowError as exc:
        raise Invalid(f"{where}: number out of range") from exc
    if not math.isfinite(f):
        raise Invalid(f"{where}: number must be finite")
    return f


def parse_iso(value: str, where: str) -> datetime:
    """An ISO 8601 datetime that carries its UTC offset; naive datetimes are ambiguous and refused."""
    if not isinstance(value, str) or len(value) > 64:
        raise Invalid(f"{where}: expected an ISO 8601 string with offset")
    try:
        return times.parse_iso(value)
    except times.NoOffset as exc:
        raise Invalid(f"{where}: datetime has no UTC offset (add Z or +08:00)") from exc
    except ValueError as exc:
        raise Invalid(f"{where}: not ISO 8601 ({value[:40]!r})") from exc


def parse_ts(value: Any, now_ms: int, where: str = "ts") -> int:
    """Epoch ms from an ISO 8601 string with offset or an integer epoch-ms number, within a sane range."""
    if type(value) is int:  # the hot path
        ms = value
    elif isinstance(value, str):
        try:
            ms = int(parse_iso(value, where).timestamp() * 1000)
        except (OverflowError, OSError, ValueError) as exc:
            raise Invalid(exc.args[0] if isinstance(exc, Invalid) else f"{where}: out of range") from exc
    else:
        f = finite(value, where)
        if f != int(f):
            raise Invalid(f"{where}: epoch milliseconds must be an integer")
        ms = int(f)
    if ms < MIN_TS_MS:
        raise Invalid(f"{where}: before 2000-01-01 (epoch milliseconds expected, not seconds)")
    if ms > now_ms + MAX_FUTURE_MS:
        raise Invalid(f"{where}: more than 1 h in the future")
    return ms


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"{where}: expected a string")
    text = value if isinstance(value, str) else str(value)  # Open311 ids and codes arrive as numbers too
    if len(text) > MAX_STR_LEN:
        raise Invalid(f"{where}: longer than {MAX_STR_LEN} characters")
    if not unicode_ok(text):
        raise Invalid(f"{where}: not valid Unicode (a lone surrogate)")
    return text


def check(metric: Metric, value: Any, where: str) -> Any:
    """The value in its stored form, or Invalid with the reason."""
    kind = metric.kind
    if kind == "number" and (type(value) is float or type(value) is int):  # the hot path: plain JSON numbers
        if (type(value) is float and not math.isfinite(value)) or not metric.lo <= value <= metric.hi:
            return _bounded(metric, finite(value, where), where)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise Invalid(f"{where}: expected true or false")
        return value
    if kind == "str":
        return _text(value, where)
    if kind == "enum":
        if value not in metric.choices:
            raise Invalid(f"{where}: must be one of {', '.join(metric.choices)}")
        return value
    if kind == "list":
        if not isinstance(value, list) or len(value) > 32 or any(v not in metric.choices for v in value):
            raise Invalid(f"{where}: expected a list drawn from {', '.join(metric.choices)}")
        return list(dict.fromkeys(value))
    if kind == "datetime":
        parse_iso(value, where)
        return value
    if kind == "coord" and isinstance(value, str):
        try:
            value = float(value)
        except ValueError as exc:
            raise Invalid(f"{where}: not a number") from exc
    f = _bounded(metric, finite(value, where), where)
    if kind == "int" and f != int(f):
        raise Invalid(f"{where}: expected an integer")
    return int(f) if kind == "int" else value


def _bounded(metric: Metric, f: float, where: str) -> float:
    if f < metric.lo or f > metric.hi:
        raise Invalid(f"{where}: {f:g} outside [{metric.lo:g}, {metric.hi:g}] {metric.unit}".rstrip())
    return f


def _mapping(obj: Any, table: dict[str, Metric], where: str, feed: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise Invalid(f"{where}: expected an object")
    out: dict[str, Any] = {}
    for key, value in obj.items():
        metric = table.get(key)
        if metric is None:
            raise Invalid(f"{where}.{str(key)[:60]}: unknown key for feed {feed}")
        t = type(value)
        if (metric.kind == "number" and (t is int or (t is float and math.isfinite(value)))
                and metric.lo <= value <= metric.hi):
            out[key] = value  # the hot path, inlined: a plain JSON number within range
            continue
        if value is None and metric.kind in ("str", "datetime"):
            continue  # Open311 sends null for absent optional fields
        out[key] = check(metric, value, where + "." + key)
    return out


def _latlon(record: dict[str, Any]) -> tuple[float, float] | None:
    has_lat, has_lon = record.get("lat") is not None, record.get("lon") is not None
    if has_lat != has_lon:
        raise Invalid("lat and lon must be given together")
    if not has_lat:
        return None
    lat, lon = finite(record["lat"], "lat"), finite(record["lon"], "lon")
    bad = check_position(lat, lon)
    if bad:
        raise Invalid(bad)
    return lat, lon


def to_reading(feed: str, record: Any, now_ms: int) -> Reading:
    """Validate one pushed record of a feed; raises Invalid naming the first problem."""
    if not isinstance(record, dict):
        raise Invalid("record is not a JSON object")
    if not _TOP.issuperset(record):
        extra = next(k for k in record if k not in _TOP)
        raise Invalid(f"unknown field {str(extra)[:60]!r} (allowed: {', '.join(TOP_LEVEL)})")
    eid = record.get("entity_id")
    if not isinstance(eid, str) or not eid.strip():
        raise Invalid("entity_id: required non-empty string")
    if len(eid) > MAX_ID_LEN or _CONTROL.search(eid):
        raise Invalid(f"entity_id: at most {MAX_ID_LEN} printable characters")
    if not unicode_ok(eid):
        raise Invalid("entity_id: not valid Unicode (a lone surrogate)")
    if "ts" not in record:
        raise Invalid("ts: required (ISO 8601 with offset or epoch ms)")
    ts = parse_ts(record["ts"], now_ms)
    values = _mapping(record.get("values"), METRICS[feed], "values", feed)
    if not values:
        raise Invalid("values: no values")
    meta = _mapping(record["meta"], META, "meta", feed) if "meta" in record else {}
    pos = _latlon(record)
    if feed == "service":
        if values.get("service_request_id", eid) != eid:
            raise Invalid("values.service_request_id: must equal entity_id")
        if "status" not in values:
            raise Invalid("values.status: required for service cases (open or closed)")
        status, known = case_status.classify(values["status"])
        if status != values["status"]:
            values["status_raw"], values["status"] = values["status"], status
        if not known:
            meta["status_unknown"] = True  # kept as open; the pipeline flags it
        if pos is None and "lat" in values and "long" in values:
            pos = float(values["lat"]), float(values["long"])
    if pos is not None:
        meta["lat"], meta["lon"] = pos
    return Reading(feed, eid, ts, values, meta)
