"""The one way from parsed readings to the store, shared by the feed runner, the ingest API and NGSI-LD notify.

Every reading passes, in order:
1. **Position**: `meta.lat`/`meta.lon` (and a line's vertices) must be finite WGS-84 degrees, else the record is
   rejected with the field named. A point far outside the city profile's bounds is kept but flagged: a swapped
   lat/lon is the usual cause, and the flag says so when swapping puts it inside.
2. **Plausibility** (config/plausibility.yaml, overridable per city): a value outside its physical range is dropped
   with its reason; the rest of the reading is kept (nothing left: the record is rejected).
3. **Case status**: a status the source's table did not know is kept as open and flagged.
4. **Derive**: the indicators, judged by the reading's observation time (a replayed 2017 reading under HJ 633-2012);
   for air, with the pollutants the station monitors (declared in the city profile or by the source, else learnt
   from what it reported over the last days, store/monitored.py), so §5.3.1 applies only to a monitored pollutant
   that is missing this hour.
Anything that fails becomes a Rejection with its reason; the rest of the batch is stored.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.coords import check_position, is_number
from core.derive import air_standard, derive, derive_air
from core.metrics import METRICS
from core.readings import Reading, Rejection, raw_text, safe_text, unicode_ok
from data_sources.pipeline.rules import Box, Range, Rules, default_rules, plausibility, rules_for
from indicators.aqi_periods import POLLUTANTS, REALTIME_KEYS, pollutant_of
from store import monitored as monitored_store

__all__ = ["Batch", "Rules", "default_rules", "observed_ms", "plausibility", "process", "rules_for", "store"]

log = logging.getLogger("onescreen.pipeline")
_LEARN_STEP_MS = 3_600_000  # move a learnt pollutant's first/last report by an hour or more, not on every reading
_INFINITE = (math.inf, -math.inf)
_NONE: Mapping[str, Range] = {}
_NUMBER = (int, float)
_UNEXPECTED = (ValueError, TypeError, KeyError, AttributeError, IndexError, ArithmeticError, RecursionError)


@dataclass(slots=True)
class Batch:
    """A processed batch: what to store, what was refused or flagged, and what the stations were seen to monitor."""

    items: list[tuple[Reading, dict[str, Any]]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    monitored: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def refused(self) -> list[Rejection]:
        """Whole records that were not stored."""
        return [rej for rej in self.rejected if rej.kind == "record"]


def _inside(box: Box, lon: float, lat: float) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _position(reading: Reading, box: Box | None) -> tuple[str | None, str | None]:
    """(why the record is rejected, why it is flagged) for its position; (None, None) when fine or absent."""
    meta = reading.meta
    has_lat, has_lon = "lat" in meta, "lon" in meta
    if has_lat != has_lon:
        return "meta.lat and meta.lon must be given together", None
    if has_lat:
        bad = check_position(meta["lat"], meta["lon"], "meta.lat", "meta.lon")
        if bad:
            return bad, None
    line = meta.get("line")
    if isinstance(line, list):
        for i, pt in enumerate(line):
            bad = (check_position(pt[1], pt[0], f"meta.line[{i}][1]", f"meta.line[{i}][0]")
                   if isinstance(pt, list | tuple) and len(pt) >= 2 else f"meta.line[{i}]: expected [lon, lat]")
            if bad:
                return bad, None
    if box is None or not has_lat:
        return None, None
    lat, lon = float(meta["lat"]), float(meta["lon"])
    if _inside(box, lon, lat):
        return None, None
    hint = " (lat/lon swapped? swapped it falls inside)" if _inside(box, lat, lon) else ""
    return None, f"position lat {lat:g}, lon {lon:g} is far outside the city's bounds{hint}"


def _as_number(value: Any) -> Any:
    """A numeric string as its number (derivation would coerce it, so plausibility must see it too)."""
    if type(value) is str:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _plausible(reading: Reading, ranges: Mapping[str, Range]) -> tuple[dict[str, Any] | None, list[str]]:
    """(values without the implausible ones, or None when unchanged; the reasons)."""
    for key, value in reading.values.items():  # the hot path: every value a plain number within its range
        rng = ranges.get(key)
        t = type(value)
        if (t is float or t is int) and (rng is None or rng[0] <= value <= rng[1]) and value == value \
                and value not in _INFINITE:
            continue
        if t is float or t is int or (rng is not None and t is str):
            break
    else:
        return None, []
    reasons: list[str] = []
    drop: list[str] = []
    table = METRICS.get(reading.feed, {})
    for key, raw in reading.values.items():
        value = _as_number(raw) if key in ranges else raw
        if type(value) is float and not math.isfinite(value):
            reasons.append(f"values.{key}: not a finite number")
            drop.append(key)
            continue
        rng = ranges.get(key)
        if rng is None or not is_number(value) or rng[0] <= value <= rng[1]:
            continue
        unit = table[key].unit if key in table else ""
        reasons.append(f"values.{key}: {value:g} {unit} outside the plausible range [{rng[0]:g}, {rng[1]:g}]"
                       .replace("  ", " "))
        drop.append(key)
    if not drop:
        return None, reasons
    return {k: v for k, v in reading.values.items() if k not in drop}, reasons


def observed_ms(reading: Reading) -> int:
    """When a reading was observed: a replay's historical time (meta hist_ts), else its timestamp."""
    hist = reading.meta.get("hist_ts")
    return int(hist) if is_number(hist) else reading.ts


def _declared(reading: Reading, rules: Rules) -> frozenset[str] | None:
    """The station's pollutants as declared: the profile per station, the source (meta.monitors), the profile's
    default; None when nobody declared them (then they are learnt)."""
    declared = rules.monitors.get(reading.entity_id)
    if declared is not None:
        return declared
    meta = reading.meta.get("monitors")
    if isinstance(meta, list | tuple) and meta:
        return frozenset(p for p in meta if p in POLLUTANTS)
    return rules.monitors_default


def _learnt(doc: Mapping[str, list[int]], ts: int, window_ms: int) -> frozenset[str] | None:
    """Pollutants the station was reporting around ts: first reported by then and last reported within the window."""
    since, until = ts - window_ms, ts + _LEARN_STEP_MS
    return frozenset(p for p, (first, last) in doc.items() if first <= until and last >= since)


def _learn(doc: dict[str, list[int]], reported: set[str], ts: int) -> bool:
    """Note the pollutants reported at ts (first and last report); True when the stored document must change."""
    changed = False
    lo, hi = ts + _LEARN_STEP_MS, ts - _LEARN_STEP_MS
    for p in reported:
        span = doc.get(p)
        if span is None:
            doc[p] = [ts, ts]
            changed = True
        elif lo < span[0] or hi > span[1]:
            doc[p] = [min(span[0], ts), max(span[1], ts)]
            changed = True
    return changed


def _derive_air(reading: Reading, rules: Rules, memory: dict[str, dict[str, list[int]]], dropped: set[str],
                out: Batch) -> dict[str, Any]:
    """An air reading's indicators with what its station monitors (declared, else learnt); learns what it reports."""
    standard = air_standard(rules.aqi_standard, observed_ms(reading))
    mon = _declared(reading, rules)
    doc = None
    if mon is None:
        doc = memory.setdefault(reading.entity_id, {})
        # a station that sent every pollutant of the report has nothing missing, whatever it monitors
        complete = all(type(reading.values.get(k)) in _NUMBER for k in REALTIME_KEYS)
        mon = _learnt(doc, reading.ts, rules.learn_ms) if doc and not complete else None
    if dropped:  # a value dropped as implausible is a monitored pollutant missing this hour (§5.3.1)
        mon = (mon or frozenset()) | dropped
    derived = derive_air(reading.values, standard, monitored=mon, rule=rules.aqi_rule)
    if doc is not None:  # what it reported under the report's own periods: monitored minus missing
        missing = derived.get("missing") or ()
        reported = {p for p in derived.get("monitored") or () if p not in missing}
        if reported and _learn(doc, reported, reading.ts):
            out.monitored[reading.entity_id] = doc
    return derived


def _bad_text(reading: Reading) -> str | None:
    """The first field holding text that cannot be stored as UTF-8 (a provider's lone surrogate), or None."""
    if not unicode_ok(reading.entity_id):
        return "entity_id"
    for where, mapping in (("values", reading.values), ("meta", reading.meta)):
        for key, value in mapping.items():
            if type(value) is str and not unicode_ok(value):
                return f"{where}.{safe_text(str(key))[:60]}"
    return None


def _reject(out: Batch, reading: Reading, index: int, reason: str, kind: str = "record") -> None:
    out.rejected.append(Rejection(reading.feed, index, reason[:500], _raw(reading, kind), kind))


def _one(reading: Reading, index: int, rules: Rules, memory: dict[str, dict[str, list[int]]], out: Batch) -> None:
    """Screen and derive one reading into the batch (or its rejection)."""
    feed, meta = reading.feed, reading.meta
    bad_text = _bad_text(reading)
    if bad_text:
        _reject(out, reading, index, f"{bad_text}: not valid Unicode (a lone surrogate)")
        return
    flag = None
    if "lat" in meta or "lon" in meta or "line" in meta:
        bad, flag = _position(reading, rules.bounds)
        if bad:
            _reject(out, reading, index, bad)
            return
    values, reasons = _plausible(reading, rules.plausible.get(feed, _NONE))
    dropped: set[str] = set()
    if reasons or values is not None:
        for reason in reasons:
            _reject(out, reading, index, reason, "value")
        if values is not None:
            if not values:
                _reject(out, reading, index, "no plausible values left")
                return
            dropped = {pollutant_of(k) for k in reading.values if k not in values and pollutant_of(k) in POLLUTANTS}
            reading = replace(reading, values=values)
    if flag:
        _reject(out, reading, index, flag, "flag")
    if feed == "service" and meta.get("status_unknown"):
        _reject(out, reading, index, f"status {str(reading.values.get('status_raw'))[:60]!r} is not in the status "
                f"table; kept as open", "flag")
    if feed == "air" and rules.aqi_standard != "EPA-2024":
        derived = _derive_air(reading, rules, memory, dropped, out)
    else:
        derived = derive(reading, aqi_setting=rules.aqi_standard, traffic_cfg=rules.traffic_cfg)
    out.items.append((reading, derived))


def process(readings: Sequence[Reading], rules: Rules, learned: Mapping[str, Mapping[str, list[int]]] | None = None,
            *, indexes: Sequence[int] | None = None) -> Batch:
    """Screen and derive a batch (see the module docstring); pure apart from logging. One reading that fails in any
    way is rejected with the reason; the others are processed."""
    out = Batch()
    memory = {eid: {p: list(span) for p, span in doc.items()} for eid, doc in (learned or {}).items()}
    for n, reading in enumerate(readings):
        index = indexes[n] if indexes is not None else n
        try:
            _one(reading, index, rules, memory, out)
        except _UNEXPECTED as exc:
            log.warning("cannot process %s/%s: %s", reading.feed, str(reading.entity_id)[:80], exc)
            out.rejected.append(Rejection(reading.feed, index, f"cannot derive indicators: {type(exc).__name__}: "
                                          f"{str(exc)[:200]}", _raw(reading)))
    return out


def _raw(reading: Reading, kind: str = "record") -> str:
    """The reading as JSON text for the dead letter; a flag keeps only what identifies it (no citizen's text)."""
    if kind == "flag":
        return raw_text({"entity_id": reading.entity_id, "ts": reading.ts,
                         "lat": reading.meta.get("lat"), "lon": reading.meta.get("lon")})
    return raw_text({"entity_id": reading.entity_id, "ts": reading.ts, "values": reading.values,
                     "meta": reading.meta})


def air_ids(readings: Sequence[Reading], rules: Rules) -> list[str]:
    """Stations whose learnt monitored set this batch needs: none under the US scale (no §5.3.1) or when the
    profile declares a default; never a station whose set is declared."""
    if rules.aqi_standard == "EPA-2024" or rules.monitors_default is not None:
        return []
    return [rd.entity_id for rd in readings if rd.feed == "air" and rd.entity_id not in rules.monitors
            and not rd.meta.get("monitors") and unicode_ok(rd.entity_id)]  # a bad id is rejected, never looked up


def store(writer: Any, readings: Sequence[Reading], rules: Rules, now_ms: int, *, rejected: Sequence[Rejection] = (),
          polled: Sequence[str] = (), indexes: Sequence[int] | None = None,
          latency_ms: float | None = None) -> Batch:
    """Read what the batch's stations monitor, process the batch, and write it with its rejections and flags."""
    ids = air_ids(readings, rules)
    learned = monitored_store.read(writer.r, ids) if ids else {}
    batch = process(readings, rules, learned, indexes=indexes)
    batch.rejected[:0] = list(rejected)
    writer.write(batch.items, now_ms, polled=polled, latency_ms=latency_ms, rejected=batch.rejected,
                 monitored=batch.monitored)
    return batch
