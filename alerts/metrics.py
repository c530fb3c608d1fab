"""Raw snapshot -> observations the engine evaluates; pure, so staleness and aggregation are tested with a clock."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from core import summary
from core.alerts import AGE_METRIC, SCOPE_FEED, Observation
from indicators import traffic

CITY_ID = "city"
_SKIP = (dict, list, tuple)


def _stale_s(feeds_cfg: Mapping[str, Mapping[str, Any]], feed: str) -> float:
    """The feed's stale_after_s from config/feeds.yaml (60 s when the feed is not configured)."""
    return float(feeds_cfg.get(feed, {}).get("stale_after_s", 60))


def _entity_obs(scope: str, docs: Mapping[str, Mapping[str, Any]], now_ms: int, stale_s: float,
                metrics: Collection[str] | None) -> list[Observation]:
    """Every wanted raw or derived scalar of each entity, flagged stale when its reading is older than the limit."""
    out: list[Observation] = []
    limit = now_ms - stale_s * 1000
    for eid, doc in docs.items():
        ts = int(doc.get("ts") or 0)
        fresh = ts >= limit
        meta, derived, raw = doc.get("m") or {}, doc.get("d") or {}, doc.get("v") or {}
        name = str(meta.get("name") or eid)
        district = meta.get("district_adcode")
        district = None if district is None else str(district)
        keys = metrics if metrics is not None else [*derived, *(k for k in raw if k not in derived), AGE_METRIC]
        for metric in keys:
            if metric == AGE_METRIC:
                value: Any = round(max(0.0, (now_ms - ts) / 1000.0), 1)
                out.append(Observation(scope, eid, metric, value, ts, fresh, name, name, district))
                continue
            value = derived[metric] if metric in derived else raw.get(metric)
            if value is None or isinstance(value, _SKIP):
                continue
            out.append(Observation(scope, eid, metric, value, ts, fresh, name, name, district))
    return out


def _district_tpi(docs: Mapping[str, Mapping[str, Any]], now_ms: int, stale_s: float,
                  names: Mapping[str, tuple[str, str]], cfg: traffic.TrafficConfig | None) -> list[Observation]:
    """Length-weighted TPI over each district's current segments; a district with none current is held, not zero."""
    limit = now_ms - stale_s * 1000
    segs: dict[str, list[tuple[float, float, float]]] = {}
    newest: dict[str, int] = {}
    for doc in docs.values():
        adcode = (doc.get("m") or {}).get("district_adcode")
        if adcode is None:
            continue
        adcode = str(adcode)
        ts = int(doc.get("ts") or 0)
        newest[adcode] = max(newest.get(adcode, 0), ts)
        segs.setdefault(adcode, [])
        v = doc.get("v") or {}
        if ts >= limit and v.get("speed_kmh") is not None and v.get("free_flow_kmh"):
            segs[adcode].append((float(v["speed_kmh"]), float(v["free_flow_kmh"]),
                                 float((doc.get("m") or {}).get("length_m", 1000))))
    out = []
    for adcode, rows in segs.items():
        zh, en = names.get(adcode, (adcode, adcode))
        value = round(traffic.tpi(rows, config=cfg), 2) if rows else None
        out.append(Observation("district", adcode, "tpi", value, newest[adcode], bool(rows), zh, en, adcode))
    return out


def _city_obs(raw: Mapping[str, Any], now_ms: int, feeds_cfg: Mapping[str, Mapping[str, Any]],
              cfg: traffic.TrafficConfig | None, city_name: tuple[str, str]) -> list[Observation]:
    """City AQI and TPI as core.summary computes them, and the service backlog counts."""
    zh, en = city_name
    air = summary.air_of(summary.rows_in(raw, "air"), now_ms, _stale_s(feeds_cfg, "air"))
    tra = summary.traffic_of(summary.rows_in(raw, "traffic", cfg), now_ms, _stale_s(feeds_cfg, "traffic"), cfg)
    svc = summary.service_summary(raw.get("service") or {})
    health = (raw.get("health") or {}).get("service") or {}
    svc_cfg = feeds_cfg.get("service", {})
    svc_fresh = summary.feed_status(health, now_ms, _stale_s(feeds_cfg, "service"),
                                    svc_cfg.get("freshness", "data"))["state"] == "ok"
    values = {
        "aqi": (air["city"].get("aqi"), air["n_fresh"] > 0),
        "tpi": (tra["tpi"], tra["tpi"] is not None),
        "severe_segments": (tra["severe"], tra["tpi"] is not None),
        "open": (svc["open"], svc_fresh),
        "overdue": (svc["overdue"], svc_fresh),
        "on_time_rate": (svc["on_time_rate"], svc_fresh),
    }
    return [Observation("city", CITY_ID, metric, value, now_ms, fresh, zh, en)
            for metric, (value, fresh) in values.items()]


def _feed_obs(health: Mapping[str, Mapping[str, Any]], now_ms: int,
              feeds_cfg: Mapping[str, Mapping[str, Any]]) -> list[Observation]:
    """Age of each configured feed's newest data (or last good poll); a feed never heard from is not observed."""
    out = []
    for feed, cfg in feeds_cfg.items():
        h = health.get(feed) or {}
        status = summary.feed_status(h, now_ms, _stale_s(feeds_cfg, feed), cfg.get("freshness", "data"))
        if status["state"] == "none":
            continue
        last = h.get("last_ok_ms" if cfg.get("freshness") == "poll" else "last_data_ms")
        out.append(Observation("feed", feed, AGE_METRIC, status["age_s"], int(float(last)), status["state"] == "ok",
                               str(cfg.get("name_zh", feed)), str(cfg.get("name_en", feed))))
    return out


def extract(raw: Mapping[str, Any], now_ms: int, feeds_cfg: Mapping[str, Mapping[str, Any]], *,
            traffic_cfg: traffic.TrafficConfig | None = None,
            district_names: Mapping[str, tuple[str, str]] | None = None,
            city_name: tuple[str, str] = ("全市", "City"),
            wanted: Collection[tuple[str, str]] | None = None) -> list[Observation]:
    """Observations of a store.snapshot.read() dict; `wanted` (scope, metric) pairs limit the work to what rules use."""
    def metrics_of(scope: str) -> list[str] | None:
        return None if wanted is None else sorted({m for s, m in wanted if s == scope})

    out: list[Observation] = []
    for scope, feed in SCOPE_FEED.items():
        metrics = metrics_of(scope)
        if metrics is None or metrics:
            out += _entity_obs(scope, raw.get(feed) or {}, now_ms, _stale_s(feeds_cfg, feed), metrics)
    if wanted is None or ("district", "tpi") in wanted:
        out += _district_tpi(raw.get("traffic") or {}, now_ms, _stale_s(feeds_cfg, "traffic"),
                             district_names or {}, traffic_cfg)
    if metrics_of("city") != []:
        city = _city_obs(raw, now_ms, feeds_cfg, traffic_cfg, city_name)
        keep = metrics_of("city")
        out += [o for o in city if keep is None or o.metric in keep]
    if metrics_of("feed") != []:
        out += _feed_obs(raw.get("health") or {}, now_ms, feeds_cfg)
    return out
