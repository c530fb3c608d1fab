"""From one raw snapshot to the compact summary every screen shares (computed once per tick, cached).

The summary is the per-tick model of the city: its shape is typed below (plain dicts at run time, so it caches and
travels as JSON). A stored document is {"id", "ts", "v": values, "m": meta, "d": derived}, as store/writer.py writes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import fmean
from typing import Any, TypedDict

from core.alerts import counts_of
from core.derive import derive_air
from indicators import traffic

AIR_KEYS = ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h", "o3_8h", "pm10_24h", "pm25_24h")
WATER_CLASSES = ("I", "II", "III", "IV", "V", "劣V")
TOP_N = 3  # worst entities listed on each wall panel
_RANK = {k: i for i, k in enumerate(WATER_CLASSES)}

Doc = dict[str, Any]  # one entity's stored document: id, ts, v (values), m (meta), d (derived)


class FeedStatus(TypedDict, total=False):
    state: str  # "ok" | "stale" | "none" (never heard)
    age_s: float | None
    last_ms: int | None  # the feed's newest data (or last good poll, for event feeds)
    source: str | None
    error: str | None


class AirSummary(TypedDict):
    city: dict[str, Any]  # core.derive.derive_air of the current stations' mean concentrations
    stations: dict[str, dict[str, Any]]  # id -> {aqi, level, color, stale}
    n_fresh: int
    n: int
    top: list[dict[str, Any]]  # the TOP_N worst: {id, name, aqi, color}


class TrafficSummary(TypedDict):
    tpi: float | None  # network congestion index, length-weighted
    level: int | None
    severe: int  # current segments at level 5
    n: int
    top: list[dict[str, Any]]
    segments: dict[str, int | None]  # id -> level


class WaterSummary(TypedDict):
    by_class: dict[str, int]
    good: int  # current sections in classes I-III
    worst: str | None
    top: list[dict[str, Any]]
    bad: int  # current sections at 劣V
    n_fresh: int
    n: int
    sections: dict[str, str | None]  # id -> class
    black_odorous: int


class ServiceSummary(TypedDict):
    open: int
    overdue: int
    closed_24h: int
    on_time_rate: float | None
    by_district: dict[str, list[int]]  # adcode -> [open, overdue], districts with open cases only


class AlertSummary(TypedDict):
    counts: dict[str, int]
    items: list[dict[str, Any]]
    pulse: list[str]  # stations with a firing station alert
    newest_red: dict[str, Any] | None


class Summary(TypedDict):
    now: int
    status: dict[str, FeedStatus]
    air: AirSummary
    traffic: TrafficSummary
    water: WaterSummary
    service: ServiceSummary
    districts: dict[str, dict[str, Any]]  # adcode -> {aqi, aqi_color, tpi, tpi_level, water_worst}
    alerts: AlertSummary
    loop: dict[str, Any]  # the closed loop today (store.loop.parse)


def feed_status(health: dict[str, Any], now_ms: int, stale_after_s: float, freshness: str = "data") -> FeedStatus:
    """Age of a feed's newest data (or last good poll, for event feeds) and whether it is stale; never heard: 'none'."""
    last = health.get("last_ok_ms" if freshness == "poll" else "last_data_ms")
    if not last:
        return {"state": "none", "age_s": None, "source": health.get("source")}
    last_ms = int(float(last))
    age_s = max(0.0, (now_ms - last_ms) / 1000.0)
    state = "stale" if age_s > stale_after_s else "ok"
    return {"state": state, "age_s": round(age_s, 1), "last_ms": last_ms, "source": health.get("source"),
            "error": health.get("last_error") or None}


# Each entity's part of the summary is read from its document once, into a row, when the document changes
# (store.snapshot.Tracker keeps the rows beside the documents); a tick then only counts and ranks rows.


@dataclass(frozen=True, slots=True)
class AirRow:
    id: Any  # the document's own id (the top lists show it)
    ts: int
    aqi: Any
    level: Any
    color: Any
    name: Any
    adcode: str | None
    conc: tuple[float | None, ...]  # AIR_KEYS, None where not a number
    standard: Any
    name_en: Any = None  # the source's English name (meta name_en), when it gives one


@dataclass(frozen=True, slots=True)
class TrafficRow:
    id: Any
    ts: int
    level: Any
    ratio: float  # speed ratio (1 when unknown): the tie-break of the worst list
    speed: Any
    name: Any
    adcode: str | None
    weight: tuple[float, float] | None  # indicators.traffic.segment_weight, None when the segment has no TPI
    name_en: Any = None


@dataclass(frozen=True, slots=True)
class WaterRow:
    id: Any
    ts: int
    klass: Any
    black_odorous: bool
    name: Any
    adcode: str | None
    name_en: Any = None


def _adcode(doc: Doc) -> str | None:
    """The district a document belongs to, as store.scope.district_of reads it (so a district's rows are exactly
    what a caller scoped to it sees)."""
    ad = (doc.get("m") or {}).get("district_adcode") or (doc.get("v") or {}).get("district_adcode")
    return None if ad in (None, "") else str(ad)


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def row(feed: str, doc: Doc, cfg: traffic.TrafficConfig | None = None) -> AirRow | TrafficRow | WaterRow:
    """One point-feed document's part of the summary (what a tick counts and ranks it by)."""
    d, v, m = doc.get("d") or {}, doc.get("v") or {}, doc.get("m") or {}
    name = m.get("name") or doc.get("id")
    if feed == "air":
        conc = tuple(float(v[k]) if _finite(v.get(k)) else None for k in AIR_KEYS)
        return AirRow(doc.get("id"), doc.get("ts", 0), d.get("aqi"), d.get("level"), d.get("color"), name,
                      _adcode(doc), conc, d.get("standard"), m.get("name_en"))
    if feed == "traffic":
        weight = None
        if v.get("speed_kmh") is not None and v.get("free_flow_kmh"):
            try:
                weight = traffic.segment_weight(float(v["speed_kmh"]), float(v["free_flow_kmh"]),
                                                float(m.get("length_m", 1000)), config=cfg)
            except (TypeError, ValueError):  # a malformed stored segment counts for no TPI, and breaks nothing else
                weight = None
            if weight is not None and not (math.isfinite(weight[0]) and math.isfinite(weight[1])):
                weight = None
        ratio = d.get("speed_ratio")
        ratio = float(ratio) if _finite(ratio) and ratio else 1.0
        return TrafficRow(doc.get("id"), doc.get("ts", 0), d.get("level"), ratio,
                          v.get("speed_kmh"), name, _adcode(doc), weight, m.get("name_en"))
    return WaterRow(doc.get("id"), doc.get("ts", 0), d.get("klass"), d.get("black_odorous") in ("light", "heavy"),
                    name, _adcode(doc), m.get("name_en"))


Rows = dict[str, Any]  # entity id -> row, in the documents' order


def rows_of(feed: str, docs: dict[str, Doc], cfg: traffic.TrafficConfig | None = None) -> Rows:
    """The rows of a feed's documents."""
    return {eid: row(feed, doc, cfg) for eid, doc in docs.items()}


def rows_in(raw: Mapping[str, Any], feed: str, cfg: traffic.TrafficConfig | None = None) -> Rows:
    """A snapshot's rows of one feed: those its reader kept (store.snapshot.Tracker), else made from its documents."""
    kept = (raw.get("rows") or {}).get(feed)
    return kept if kept is not None else rows_of(feed, raw.get(feed) or {}, cfg)


# How each feed ranks its worst (core.tally keeps the same keys sorted): None = not ranked. Ties go by id, so every
# process and every tick ranks them the same (a dict's order is not the store's).
def air_key(x: AirRow) -> tuple[Any, ...] | None:
    return (-x.aqi, str(x.id)) if _finite(x.aqi) else None


def traffic_key(x: TrafficRow) -> tuple[Any, ...] | None:
    return (-x.level, x.ratio, str(x.id)) if _finite(x.level) and x.level else None


def water_key(x: WaterRow) -> tuple[Any, ...] | None:
    return (-_RANK[x.klass], str(x.id)) if x.klass in _RANK else None


def worst_of(fresh: list[Any], key: Callable[[Any], Any]) -> list[Any]:
    """The TOP_N worst of the rows by `key`."""
    ranked = [(k, i) for i, x in enumerate(fresh) if (k := key(x)) is not None]
    return [fresh[i] for _, i in heapq.nsmallest(TOP_N, ranked)]


def air_item(x: AirRow) -> dict[str, Any]:
    return {"id": x.id, "name": x.name, "name_en": x.name_en, "aqi": x.aqi, "color": x.color}


def traffic_item(x: TrafficRow) -> dict[str, Any]:
    return {"id": x.id, "name": x.name, "name_en": x.name_en, "level": x.level, "speed": x.speed}


def water_item(x: WaterRow) -> dict[str, Any]:
    return {"id": x.id, "name": x.name, "name_en": x.name_en, "klass": x.klass}


def fresh_rows(rows: Rows, now_ms: int, stale_after_s: float) -> list[Any]:
    """Entities whose latest reading is recent enough to count as current."""
    limit = now_ms - stale_after_s * 1000
    return [x for x in rows.values() if x.ts >= limit]


def city_air(fresh: list[AirRow]) -> dict[str, Any]:
    """The city's AQI (core.derive.derive_air) of the mean concentrations of the current stations' rows."""
    if not fresh:
        return {"aqi": None, "level": None, "color": None, "primary": [], "standard": None}
    means: dict[str, float | None] = {}
    for i, key in enumerate(AIR_KEYS):
        vals = [x.conc[i] for x in fresh if x.conc[i] is not None]
        if vals:
            means[key] = fmean(vals)
    first = min(fresh, key=lambda x: str(x.id))  # the same station whatever the order the rows came in
    return derive_air(means, first.standard or "HJ633-2026")


def air_of(rows: Rows, now_ms: int, stale_after_s: float) -> AirSummary:
    """City AQI from the mean concentrations of the current stations, and each station's AQI and colour."""
    limit = now_ms - stale_after_s * 1000
    stations = {eid: {"aqi": x.aqi, "level": x.level, "color": x.color, "stale": x.ts < limit}
                for eid, x in rows.items()}
    fresh = fresh_rows(rows, now_ms, stale_after_s)
    top = [air_item(x) for x in worst_of(fresh, air_key)]
    return {"city": city_air(fresh), "stations": stations, "n_fresh": len(fresh), "n": len(rows), "top": top}


def _tpi(fresh: list[TrafficRow], cfg: traffic.TrafficConfig | None) -> tuple[float | None, int | None]:
    weights = [x.weight for x in fresh if x.weight is not None]
    value = round(traffic.tpi_of(weights), 1) if weights else None  # core.tally: from exact sums, the same
    return value, (traffic.tpi_level(value, config=cfg) if value is not None else None)


def network(fresh: list[TrafficRow], cfg: traffic.TrafficConfig | None = None) -> tuple[float | None, int | None, int]:
    """The network's TPI and level, and its segments at level 5, from the current segments' rows."""
    tpi, level = _tpi(fresh, cfg)
    return tpi, level, sum(1 for x in fresh if x.level == 5)


def traffic_of(rows: Rows, now_ms: int, stale_after_s: float,
               cfg: traffic.TrafficConfig | None = None) -> TrafficSummary:
    """Network TPI (length-weighted) and each segment's level."""
    fresh = fresh_rows(rows, now_ms, stale_after_s)
    tpi, level, severe = network(fresh, cfg)
    top = [traffic_item(x) for x in worst_of(fresh, traffic_key)]
    return {"tpi": tpi, "level": level, "severe": severe, "n": len(rows), "top": top,
            "segments": {eid: x.level for eid, x in rows.items()}}


def water_of(rows: Rows, now_ms: int, stale_after_s: float) -> WaterSummary:
    """River sections counted by GB 3838 class, and each section's class."""
    fresh = fresh_rows(rows, now_ms, stale_after_s)
    by_class = {k: 0 for k in WATER_CLASSES}
    for x in fresh:
        if x.klass in by_class:
            by_class[x.klass] += 1
    top = [water_item(x) for x in worst_of(fresh, water_key)]
    return water_figures(by_class, top, len(fresh), len(rows), {eid: x.klass for eid, x in rows.items()},
                         sum(1 for x in fresh if x.black_odorous))


def worst_class(by_class: Mapping[str, int]) -> str | None:
    """The worst GB 3838 class with a current section."""
    return next((k for k in reversed(WATER_CLASSES) if by_class[k]), None)


def water_figures(by_class: dict[str, int], top: list[dict[str, Any]], n_fresh: int, n: int,
                  sections: dict[str, Any], black_odorous: int) -> WaterSummary:
    """The water summary from its counts."""
    return {"by_class": by_class, "good": by_class["I"] + by_class["II"] + by_class["III"],
            "worst": worst_class(by_class), "top": top, "bad": by_class["劣V"], "n_fresh": n_fresh, "n": n,
            "sections": sections, "black_odorous": black_odorous}


def air_summary(docs: dict[str, Doc], now_ms: int, stale_after_s: float) -> AirSummary:
    """air_of a feed's documents."""
    return air_of(rows_of("air", docs), now_ms, stale_after_s)


def traffic_summary(docs: dict[str, Doc], now_ms: int, stale_after_s: float,
                    cfg: traffic.TrafficConfig | None = None) -> TrafficSummary:
    """traffic_of a feed's documents."""
    return traffic_of(rows_of("traffic", docs, cfg), now_ms, stale_after_s, cfg)


def water_summary(docs: dict[str, Doc], now_ms: int, stale_after_s: float) -> WaterSummary:
    """water_of a feed's documents."""
    return water_of(rows_of("water", docs), now_ms, stale_after_s)


def service_summary(counts: dict[str, Any]) -> ServiceSummary:
    """Open and overdue cases, and the on-time closure rate over the last 24 h (None when nothing closed)."""
    closed, late = counts.get("closed_24h", 0), counts.get("late_24h", 0)
    rate = None if not closed else round(100.0 * (closed - late) / closed, 1)
    return {"open": counts.get("open", 0), "overdue": counts.get("overdue", 0), "closed_24h": closed,
            "on_time_rate": rate, "by_district": dict(counts.get("by_district", {}))}


def districts_of(rows: dict[str, Rows], now_ms: int, stale_s: Any,
                 cfg: traffic.TrafficConfig | None = None) -> dict[str, dict[str, Any]]:
    """Per district (adcode): AQI of its current stations, its congestion index, its worst water class."""
    def by_district(feed: str) -> dict[str, Rows]:
        out: dict[str, Rows] = {}
        for eid, x in rows[feed].items():
            if x.adcode:
                out.setdefault(x.adcode, {})[eid] = x
        return out

    air, roads, water = by_district("air"), by_district("traffic"), by_district("water")
    result: dict[str, dict[str, Any]] = {}
    for adcode in set(air) | set(roads) | set(water):
        city = air_of(air.get(adcode, {}), now_ms, stale_s("air"))["city"]
        tpi, level = _tpi(fresh_rows(roads.get(adcode, {}), now_ms, stale_s("traffic")), cfg)
        wa = water_of(water.get(adcode, {}), now_ms, stale_s("water"))
        result[adcode] = {"aqi": city.get("aqi"), "aqi_color": city.get("color"), "tpi": tpi,
                          "tpi_level": level, "water_worst": wa["worst"]}
    return result


def district_summary(raw: dict[str, Any], now_ms: int, stale_s: Any,
                     cfg: traffic.TrafficConfig | None = None) -> dict[str, dict[str, Any]]:
    """districts_of a snapshot's documents."""
    return districts_of({feed: rows_of(feed, raw[feed], cfg) for feed in ENTITY_LAYERS}, now_ms, stale_s, cfg)


ALERT_FIELDS = ("id", "rule", "rule_name_zh", "rule_name_en", "scope", "entity_id", "entity_name", "entity_name_en",
                "metric", "value", "threshold", "level", "state", "since_ms", "fired_ms", "ack_by", "ack_ms",
                "silenced", "held")


def alert_summary(records: list[dict[str, Any]], limit: int = 30) -> AlertSummary:
    """Counts by level, the most severe active alerts (compact), stations to pulse, and the newest red alert."""
    items = [{k: rec.get(k) for k in ALERT_FIELDS} for rec in records[:limit]]
    firing = [rec for rec in records if rec.get("state") == "firing" and not rec.get("silenced")]
    pulse = sorted({rec["entity_id"] for rec in firing if rec.get("scope") == "station"})
    reds = [rec for rec in firing if rec.get("level") == "red"]
    newest_red = max(reds, key=lambda rec: rec.get("fired_ms") or 0, default=None)
    return {"counts": counts_of(records), "items": items, "pulse": pulse,
            "newest_red": None if newest_red is None else {k: newest_red.get(k) for k in ALERT_FIELDS}}


ENTITY_LAYERS = ("air", "traffic", "water")  # the layers entity_values gives, one value per entity


def stale_layers(summary: Mapping[str, Any]) -> list[str]:
    """The entity layers whose feed is stale: the maps draw them marked (dimmed and dashed), their last values
    kept."""
    return [feed for feed in ENTITY_LAYERS if summary["status"].get(feed, {}).get("state") == "stale"]


def entity_values(summary: dict[str, Any]) -> dict[str, Any]:
    """What the maps restyle each tick, per entity: station [aqi, colour, stale], segment level, section class."""
    return {
        "air": {eid: [s["aqi"], s["color"], 1 if s["stale"] else 0] for eid, s in summary["air"]["stations"].items()},
        "traffic": summary["traffic"]["segments"],
        "water": summary["water"]["sections"],
    }


# A stale feed keeps its last figures (#17 item 4: the last value stays, greyed, "as of hh:mm"; never a zero that
# reads as a measured zero): the feed's own figures as they were at its newest data, its rows counted at that moment.
# Its per-entity maps stay at now (a station that is stale is drawn stale).
HELD_KEYS = {"air": ("city", "n_fresh", "top"), "traffic": ("tpi", "level", "severe", "top"),
             "water": ("by_class", "good", "worst", "top", "bad", "n_fresh", "black_odorous")}
DISTRICT_KEYS = {"air": ("aqi", "aqi_color"), "traffic": ("tpi", "tpi_level"), "water": ("water_worst",)}


def feed_part(feed: str, rows: Rows, at_ms: int, stale_after_s: float,
              cfg: traffic.TrafficConfig | None = None) -> dict[str, Any]:
    """{"at": at_ms, "summary": the feed's summary at `at_ms`, "districts": {adcode: the feed's district figures}},
    from all of its rows (what core.tally.Tally.part keeps, counted afresh)."""
    if feed == "air":
        summary: dict[str, Any] = dict(air_of(rows, at_ms, stale_after_s))
    elif feed == "traffic":
        summary = dict(traffic_of(rows, at_ms, stale_after_s, cfg))
    else:
        summary = dict(water_of(rows, at_ms, stale_after_s))
    every = {f: (rows if f == feed else {}) for f in ENTITY_LAYERS}
    districts = districts_of(every, at_ms, lambda _: stale_after_s, cfg)
    return {"at": at_ms, "summary": summary,
            "districts": {ad: {k: fig[k] for k in DISTRICT_KEYS[feed]} for ad, fig in districts.items()}}


def hold(feed: str, part: dict[str, Any], held: Mapping[str, Any],
         districts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A stale feed's summary part with its figures as `held` (feed_part at its newest data) has them, `as_of` that
    moment; its figures in `districts` likewise (in place)."""
    out = {**part, **{k: held["summary"][k] for k in HELD_KEYS[feed]}, "as_of": held["at"]}
    for ad, fig in held["districts"].items():
        districts.setdefault(ad, dict.fromkeys(("aqi", "aqi_color", "tpi", "tpi_level", "water_worst"))).update(fig)
    return out


def build(raw: dict[str, Any], now_ms: int, feeds_cfg: dict[str, dict[str, Any]],
          traffic_cfg: traffic.TrafficConfig | None = None) -> Summary:
    """The compact, JSON-able summary of the whole city for one tick."""
    def stale_s(feed: str) -> float:
        return float(feeds_cfg.get(feed, {}).get("stale_after_s", 60))

    status = {feed: feed_status(h, now_ms, stale_s(feed), feeds_cfg.get(feed, {}).get("freshness", "data"))
              for feed, h in raw["health"].items()}
    parts = raw.get("parts")  # the point feeds' figures kept as they change (core.tally), when the reader has them
    if parts is not None:
        air, roads, water = (parts[feed]["summary"] for feed in ENTITY_LAYERS)
        districts = merge_districts(parts)
    else:
        rows = {feed: rows_in(raw, feed, traffic_cfg) for feed in ENTITY_LAYERS}
        air = air_of(rows["air"], now_ms, stale_s("air"))
        roads = traffic_of(rows["traffic"], now_ms, stale_s("traffic"), traffic_cfg)
        water = water_of(rows["water"], now_ms, stale_s("water"))
        districts = districts_of(rows, now_ms, stale_s, traffic_cfg)
    held = {}
    for feed in ENTITY_LAYERS:
        last = status.get(feed, {}).get("last_ms")
        if status.get(feed, {}).get("state") != "stale" or last is None:
            continue
        kept = (parts or {}).get(feed, {}).get("held")  # the reader's, made once while the feed stays stale
        held[feed] = kept if kept is not None and kept.get("at") == last else feed_part(
            feed, rows_in(raw, feed, traffic_cfg), last, stale_s(feed), traffic_cfg)
    if held:
        districts = {ad: dict(fig) for ad, fig in districts.items()}
        air, roads, water = (hold(feed, part, held[feed], districts) if feed in held else part  # type: ignore[misc]
                             for feed, part in zip(ENTITY_LAYERS, (air, roads, water), strict=True))
    return {
        "now": now_ms,
        "status": status,
        "air": air,
        "traffic": roads,
        "water": water,
        "service": service_summary(raw["service"]),
        "districts": districts,
        "alerts": alert_summary(raw.get("alerts", [])),
        "loop": dict(raw.get("loop") or {}),  # the closed loop today (store.loop): open by step, overdue, closings
    }


def merge_districts(parts: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """districts_of from the feeds' parts (core.tally.Tally.part): a district no feed has a row in is not listed."""
    air, roads, water = (parts[feed]["districts"] for feed in ENTITY_LAYERS)
    return {ad: {"aqi": air.get(ad, {}).get("aqi"), "aqi_color": air.get(ad, {}).get("aqi_color"),
                 "tpi": roads.get(ad, {}).get("tpi"), "tpi_level": roads.get(ad, {}).get("tpi_level"),
                 "water_worst": water.get(ad, {}).get("water_worst")}
            for ad in {*air, *roads, *water}}
