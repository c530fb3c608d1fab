"""From one raw snapshot to the compact summary every screen shares (computed once per tick, cached).

The summary is the per-tick model of the city: its shape is typed below (plain dicts at run time, so it caches and
travels as JSON). A stored document is {"id", "ts", "v": values, "m": meta, "d": derived}, as store/writer.py writes.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any, TypedDict

from core.alerts import counts_of
from core.derive import derive_air
from indicators import traffic

AIR_KEYS = ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h", "o3_8h", "pm10_24h", "pm25_24h")
WATER_CLASSES = ("I", "II", "III", "IV", "V", "劣V")
TOP_N = 3  # worst entities listed on each wall panel

Doc = dict[str, Any]  # one entity's stored document: id, ts, v (values), m (meta), d (derived)


class FeedStatus(TypedDict, total=False):
    state: str  # "ok" | "stale" | "none" (never heard)
    age_s: float | None
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


def feed_status(health: dict[str, Any], now_ms: int, stale_after_s: float, freshness: str = "data") -> FeedStatus:
    """Age of a feed's newest data (or last good poll, for event feeds) and whether it is stale; never heard: 'none'."""
    last = health.get("last_ok_ms" if freshness == "poll" else "last_data_ms")
    if not last:
        return {"state": "none", "age_s": None, "source": health.get("source")}
    age_s = max(0.0, (now_ms - int(float(last))) / 1000.0)
    state = "stale" if age_s > stale_after_s else "ok"
    return {"state": state, "age_s": round(age_s, 1), "source": health.get("source"),
            "error": health.get("last_error") or None}


def _fresh(docs: dict[str, dict[str, Any]], now_ms: int, stale_after_s: float) -> list[dict[str, Any]]:
    """Entities whose latest reading is recent enough to count as current."""
    limit = now_ms - stale_after_s * 1000
    return [d for d in docs.values() if d.get("ts", 0) >= limit]


def air_summary(docs: dict[str, Doc], now_ms: int, stale_after_s: float) -> AirSummary:
    """City AQI from the mean concentrations of the current stations, and each station's AQI and colour."""
    stations = {eid: {"aqi": d["d"].get("aqi"), "level": d["d"].get("level"), "color": d["d"].get("color"),
                      "stale": d.get("ts", 0) < now_ms - stale_after_s * 1000} for eid, d in docs.items()}
    fresh = _fresh(docs, now_ms, stale_after_s)
    city: dict[str, Any] = {"aqi": None, "level": None, "color": None, "primary": [], "standard": None}
    if fresh:
        means: dict[str, float | None] = {}
        for key in AIR_KEYS:
            vals = [float(d["v"][key]) for d in fresh if isinstance(d["v"].get(key), int | float)]
            if vals:
                means[key] = fmean(vals)
        standard = fresh[0]["d"].get("standard") or "HJ633-2026"
        city = derive_air(means, standard)
    worst = sorted((d for d in fresh if d["d"].get("aqi") is not None), key=lambda d: -d["d"]["aqi"])[:TOP_N]
    top = [{"id": d.get("id"), "name": d["m"].get("name") or d.get("id"), "aqi": d["d"]["aqi"],
            "color": d["d"].get("color")} for d in worst]
    return {"city": city, "stations": stations, "n_fresh": len(fresh), "n": len(docs), "top": top}


def traffic_summary(docs: dict[str, dict[str, Any]], now_ms: int, stale_after_s: float,
                    cfg: traffic.TrafficConfig | None = None) -> TrafficSummary:
    """Network TPI (length-weighted) and each segment's level."""
    fresh = _fresh(docs, now_ms, stale_after_s)
    segs = [(float(d["v"]["speed_kmh"]), float(d["v"]["free_flow_kmh"]), float(d["m"].get("length_m", 1000)))
            for d in fresh if d["v"].get("speed_kmh") is not None and d["v"].get("free_flow_kmh")]
    tpi = round(traffic.tpi(segs, config=cfg), 1) if segs else None
    level = traffic.tpi_level(tpi, config=cfg) if tpi is not None else None
    severe = sum(1 for d in fresh if d["d"].get("level") == 5)
    worst = sorted((d for d in fresh if d["d"].get("level")),
                   key=lambda d: (-d["d"]["level"], d["d"].get("speed_ratio") or 1))[:TOP_N]
    top = [{"id": d.get("id"), "name": d["m"].get("name") or d.get("id"), "level": d["d"]["level"],
            "speed": d["v"].get("speed_kmh")} for d in worst]
    return {"tpi": tpi, "level": level, "severe": severe, "n": len(docs), "top": top,
            "segments": {eid: d["d"].get("level") for eid, d in docs.items()}}


def water_summary(docs: dict[str, Doc], now_ms: int, stale_after_s: float) -> WaterSummary:
    """River sections counted by GB 3838 class, and each section's class."""
    fresh = _fresh(docs, now_ms, stale_after_s)
    by_class = {k: 0 for k in WATER_CLASSES}
    for d in fresh:
        k = d["d"].get("klass")
        if k in by_class:
            by_class[k] += 1
    good = by_class["I"] + by_class["II"] + by_class["III"]
    worst = next((k for k in reversed(WATER_CLASSES) if by_class[k]), None)
    rank = {k: i for i, k in enumerate(WATER_CLASSES)}
    ordered = sorted((d for d in fresh if d["d"].get("klass") in rank), key=lambda d: -rank[d["d"]["klass"]])
    top = [{"id": d.get("id"), "name": d["m"].get("name") or d.get("id"), "klass": d["d"]["klass"]}
           for d in ordered[:TOP_N]]
    return {"by_class": by_class, "good": good, "worst": worst, "top": top, "bad": by_class["劣V"],
            "n_fresh": len(fresh), "n": len(docs),
            "sections": {eid: d["d"].get("klass") for eid, d in docs.items()},
            "black_odorous": sum(1 for d in fresh if d["d"].get("black_odorous") in ("light", "heavy"))}


def service_summary(counts: dict[str, Any]) -> ServiceSummary:
    """Open and overdue cases, and the on-time closure rate over the last 24 h (None when nothing closed)."""
    closed, late = counts.get("closed_24h", 0), counts.get("late_24h", 0)
    rate = None if not closed else round(100.0 * (closed - late) / closed, 1)
    return {"open": counts.get("open", 0), "overdue": counts.get("overdue", 0), "closed_24h": closed,
            "on_time_rate": rate, "by_district": dict(counts.get("by_district", {}))}


def district_summary(raw: dict[str, Any], now_ms: int, stale_s: Any,
                     cfg: traffic.TrafficConfig | None = None) -> dict[str, dict[str, Any]]:
    """Per district (adcode): AQI of its current stations, its congestion index, its worst water class."""
    def by_district(feed: str) -> dict[str, dict[str, dict[str, Any]]]:
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for eid, doc in raw[feed].items():
            adcode = doc.get("m", {}).get("district_adcode")
            if adcode:
                out.setdefault(str(adcode), {})[eid] = doc
        return out

    air, roads, water = by_district("air"), by_district("traffic"), by_district("water")
    result: dict[str, dict[str, Any]] = {}
    for adcode in set(air) | set(roads) | set(water):
        city = air_summary(air.get(adcode, {}), now_ms, stale_s("air"))["city"]
        tr = traffic_summary(roads.get(adcode, {}), now_ms, stale_s("traffic"), cfg)
        wa = water_summary(water.get(adcode, {}), now_ms, stale_s("water"))
        result[adcode] = {"aqi": city.get("aqi"), "aqi_color": city.get("color"), "tpi": tr["tpi"],
                          "tpi_level": tr["level"], "water_worst": wa["worst"]}
    return result


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


def entity_values(summary: dict[str, Any]) -> dict[str, Any]:
    """What the maps restyle each tick, per entity: station [aqi, colour, stale], segment level, section class."""
    return {
        "air": {eid: [s["aqi"], s["color"], 1 if s["stale"] else 0] for eid, s in summary["air"]["stations"].items()},
        "traffic": summary["traffic"]["segments"],
        "water": summary["water"]["sections"],
    }


def build(raw: dict[str, Any], now_ms: int, feeds_cfg: dict[str, dict[str, Any]],
          traffic_cfg: traffic.TrafficConfig | None = None) -> Summary:
    """The compact, JSON-able summary of the whole city for one tick."""
    def stale_s(feed: str) -> float:
        return float(feeds_cfg.get(feed, {}).get("stale_after_s", 60))

    status = {feed: feed_status(h, now_ms, stale_s(feed), feeds_cfg.get(feed, {}).get("freshness", "data"))
              for feed, h in raw["health"].items()}
    return {
        "now": now_ms,
        "status": status,
        "air": air_summary(raw["air"], now_ms, stale_s("air")),
        "traffic": traffic_summary(raw["traffic"], now_ms, stale_s("traffic"), traffic_cfg),
        "water": water_summary(raw["water"], now_ms, stale_s("water")),
        "service": service_summary(raw["service"]),
        "districts": district_summary(raw, now_ms, stale_s, traffic_cfg),
        "alerts": alert_summary(raw.get("alerts", [])),
    }
