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

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from config.settings import CONFIG_DIR, GEO_DIR, load_yaml
from data_sources.base import Reading, Rejection, raw_text
from data_sources.coords import check_position
from data_sources.derive import derive
from data_sources.metrics import METRICS
from indicators.aqi_periods import POLLUTANTS, PUBLISHED, RULES, reported_pollutants
from indicators.traffic import TrafficConfig
from store import monitored as monitored_store

log = logging.getLogger("onescreen.pipeline")
PLAUSIBILITY_FILE = CONFIG_DIR / "plausibility.yaml"
LEARN_DAYS = 7.0  # a pollutant reported in the last week is monitored (city profile: air_monitors.learn_days)
_LEARN_STEP_MS = 3_600_000  # refresh a learnt pollutant's "last reported" at most once an hour per station
_DEFAULT_MARGIN_DEG = 0.5
_INFINITE = (math.inf, -math.inf)
Range = tuple[float, float]
Box = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


@dataclass(frozen=True, slots=True)
class Rules:
    """What the pipeline takes from the city profile, built once at start (rules_for)."""

    aqi_standard: str = "auto"
    aqi_rule: str = PUBLISHED
    traffic_cfg: TrafficConfig | None = None
    plausible: Mapping[str, Mapping[str, Range]] = field(default_factory=dict)
    bounds: Box | None = None  # the city's box grown by the margin: outside it a point is flagged
    monitors: Mapping[str, frozenset[str]] = field(default_factory=dict)  # station -> declared pollutants
    monitors_default: frozenset[str] | None = None
    learn_ms: int = int(LEARN_DAYS * 86_400_000)


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


def _range(value: Any, where: str) -> Range | None:
    if value is None:
        return None
    if (not isinstance(value, list | tuple) or len(value) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value) or value[0] > value[1]):
        raise ValueError(f"{where}: expected [low, high] numbers with low <= high, got {value!r}")
    return float(value[0]), float(value[1])


def plausibility(city: Mapping[str, Any], path: Path = PLAUSIBILITY_FILE) -> dict[str, dict[str, Range]]:
    """The shipped plausibility table with the city profile's `plausibility:` overrides applied (null removes one)."""
    table: dict[str, dict[str, Range]] = {}
    for layer, name in ((load_yaml(path), path.name), (city.get("plausibility") or {}, "plausibility")):
        if not isinstance(layer, dict):
            raise ValueError(f"{name}: expected a mapping feed -> {{key: [low, high]}}")
        for feed, ranges in layer.items():
            if feed not in METRICS or not isinstance(ranges, dict):
                raise ValueError(f"{name}.{feed}: expected one of {', '.join(METRICS)} mapping keys to [low, high]")
            for key, value in ranges.items():
                if key not in METRICS[feed]:
                    raise ValueError(f"{name}.{feed}.{key}: not a value key of feed {feed}")
                rng = _range(value, f"{name}.{feed}.{key}")
                if rng is None:
                    table.setdefault(feed, {}).pop(key, None)
                else:
                    table.setdefault(feed, {})[key] = rng
    return table


def _pollutants(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(p, str) and p in POLLUTANTS for p in value):
        raise ValueError(f"{where}: expected a list of pollutants among {', '.join(POLLUTANTS)}")
    return frozenset(value)


def _geo_box(city: Mapping[str, Any], geo_dir: Path) -> Box | None:
    """The bounding box of the city's district boundaries (None when the profile names no file)."""
    name = (city.get("geo") or {}).get("districts")
    if not name:
        return None
    try:
        data = json.loads((geo_dir / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"geo.districts: cannot read {name}: {exc}") from exc
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c, list) and len(c) >= 2 and all(isinstance(v, int | float) for v in c[:2]):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, list):
            for part in c:
                walk(part)

    for feat in data.get("features") or []:
        walk((feat.get("geometry") or {}).get("coordinates"))
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def rules_for(city: Mapping[str, Any], *, traffic_cfg: TrafficConfig | None = None, geo_dir: Path = GEO_DIR,
              plausibility_path: Path = PLAUSIBILITY_FILE) -> Rules:
    """Rules from a city profile; ValueError names the profile field and what is expected."""
    rule = str(city.get("aqi_realtime_rule") or PUBLISHED)
    if rule not in RULES:
        raise ValueError(f"aqi_realtime_rule: {rule!r} is not one of {', '.join(RULES)}")
    box = city.get("bounds")
    if box is not None:
        if (not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, int | float) for v in box)
                or not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90)):
            raise ValueError("bounds: expected [min_lon, min_lat, max_lon, max_lat] in WGS-84 degrees")
        box = tuple(float(v) for v in box)
    else:
        box = _geo_box(city, geo_dir)
    margin = city.get("bounds_margin_deg", _DEFAULT_MARGIN_DEG)
    if not isinstance(margin, int | float) or margin < 0:
        raise ValueError("bounds_margin_deg: expected a number of degrees >= 0")
    if box is not None:
        m = max(float(margin), 0.0)
        box = (box[0] - m, box[1] - m, box[2] + m, box[3] + m)
    mon = city.get("air_monitors") or {}
    if not isinstance(mon, dict):
        raise ValueError("air_monitors: expected {default: [pollutants], stations: {id: [pollutants]}, learn_days}")
    unknown = set(mon) - {"default", "stations", "learn_days"}
    if unknown:
        raise ValueError(f"air_monitors.{sorted(unknown)[0]}: unknown (allowed: default, stations, learn_days)")
    stations = mon.get("stations") or {}
    if not isinstance(stations, dict):
        raise ValueError("air_monitors.stations: expected a mapping station id -> [pollutants]")
    learn = mon.get("learn_days", LEARN_DAYS)
    if not isinstance(learn, int | float) or not 0 < learn <= 366:
        raise ValueError("air_monitors.learn_days: expected a number of days in (0, 366]")
    return Rules(
        aqi_standard=str(city.get("aqi_standard", "auto")), aqi_rule=rule, traffic_cfg=traffic_cfg,
        plausible=plausibility(city, plausibility_path), bounds=box,  # type: ignore[arg-type]
        monitors={str(k): _pollutants(v, f"air_monitors.stations.{k}") for k, v in stations.items()},
        monitors_default=_pollutants(mon["default"], "air_monitors.default") if "default" in mon else None,
        learn_ms=int(float(learn) * 86_400_000))


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


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


def _plausible(reading: Reading, ranges: Mapping[str, Range]) -> tuple[dict[str, Any] | None, list[str]]:
    """(values without the implausible ones, or None when unchanged; the reasons)."""
    for key, value in reading.values.items():  # the hot path: every value a plain number within its range
        rng = ranges.get(key)
        t = type(value)
        if (t is float or t is int) and (rng is None or rng[0] <= value <= rng[1]) and value == value \
                and value not in _INFINITE:
            continue
        if t is float or t is int or rng is not None:
            break
    else:
        return None, []
    reasons: list[str] = []
    drop: list[str] = []
    table = METRICS.get(reading.feed, {})
    for key, value in reading.values.items():
        if type(value) is float and not math.isfinite(value):
            reasons.append(f"values.{key}: not a finite number")
            drop.append(key)
            continue
        rng = ranges.get(key)
        if rng is None or not _finite(value) or rng[0] <= value <= rng[1]:
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
    return int(hist) if _finite(hist) else reading.ts


def _monitored(reading: Reading, rules: Rules, learned: Mapping[str, int] | None) -> frozenset[str] | None:
    """The station's monitored pollutants: profile per station, the source's declaration, profile default, learnt."""
    declared = rules.monitors.get(reading.entity_id)
    if declared is not None:
        return declared
    meta = reading.meta.get("monitors")
    if isinstance(meta, list | tuple) and meta:
        return frozenset(p for p in meta if p in POLLUTANTS)
    if rules.monitors_default is not None:
        return rules.monitors_default
    if not learned:
        return None
    since = reading.ts - rules.learn_ms
    return frozenset(p for p, ms in learned.items() if ms >= since)


def _learn(doc: dict[str, int], values: Mapping[str, Any], ts: int) -> bool:
    """Note the pollutants reported at ts; True when the stored document must change."""
    changed = False
    for p in reported_pollutants(values):
        if doc.get(p, -1) < ts - _LEARN_STEP_MS:
            doc[p] = ts
            changed = True
    return changed


def process(readings: Sequence[Reading], rules: Rules, learned: Mapping[str, Mapping[str, int]] | None = None,
            *, indexes: Sequence[int] | None = None) -> Batch:
    """Screen and derive a batch (see the module docstring); pure apart from logging."""
    out = Batch()
    memory = {eid: dict(doc) for eid, doc in (learned or {}).items()}
    for n, reading in enumerate(readings):
        index = indexes[n] if indexes is not None else n
        feed = reading.feed

        def reject(reason: str, kind: str = "record", rd: Reading = reading, i: int = index) -> None:
            out.rejected.append(Rejection(rd.feed, i, reason[:500], _raw(rd), kind))

        bad, flag = _position(reading, rules.bounds)
        if bad:
            reject(bad)
            continue
        values, reasons = _plausible(reading, rules.plausible.get(feed, {}))
        for reason in reasons:
            reject(reason, "value")
        if values is not None:
            if not values:
                reject("no plausible values left")
                continue
            reading = replace(reading, values=values)
        if flag:
            reject(flag, "flag")
        if feed == "service" and reading.meta.get("status_unknown"):
            reject(f"status {str(reading.values.get('status_raw'))[:60]!r} is not in the status table; kept as open",
                   "flag")
        try:
            if feed == "air" and rules.aqi_standard != "EPA-2024":
                doc = memory.setdefault(reading.entity_id, {})
                mon = _monitored(reading, rules, doc)
                derived = derive(reading, aqi_setting=rules.aqi_standard, traffic_cfg=rules.traffic_cfg,
                                 observed_ms=observed_ms(reading), monitored=mon, aqi_rule=rules.aqi_rule)
                if _learn(doc, reading.values, reading.ts):
                    out.monitored[reading.entity_id] = doc
            else:
                derived = derive(reading, aqi_setting=rules.aqi_standard, traffic_cfg=rules.traffic_cfg,
                                 observed_ms=observed_ms(reading))
        except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
            log.warning("cannot derive %s/%s: %s", feed, str(reading.entity_id)[:80], exc)
            reject(f"cannot derive indicators: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        out.items.append((reading, derived))
    return out


def _raw(reading: Reading) -> str:
    return raw_text({"entity_id": reading.entity_id, "ts": reading.ts, "values": reading.values,
                     "meta": reading.meta})


def air_ids(readings: Sequence[Reading], rules: Rules) -> list[str]:
    """Stations whose learnt monitored set this batch needs (none under the US scale, which has no §5.3.1)."""
    if rules.aqi_standard == "EPA-2024":
        return []
    return [rd.entity_id for rd in readings if rd.feed == "air" and rd.entity_id not in rules.monitors]


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

