"""Raw snapshot -> observations the engine evaluates; pure, so staleness and aggregation are tested with a clock."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from core import romanize, summary
from core.alerts import AGE_METRIC, SCOPE_FEED, Observation
from indicators import traffic

CITY_ID = "city"
_SKIP = (dict, list, tuple)


def _stale_s(feeds_cfg: Mapping[str, Mapping[str, Any]], feed: str) -> float:
    """The feed's stale_after_s from config/feeds.yaml (60 s when the feed is not configured)."""
    return float(feeds_cfg.get(feed, {}).get("stale_after_s", 60))


def _entity_obs(scope: str, docs: Mapping[str, Mapping[str, Any]], now_ms: int, stale_s: float,
                metrics: Collection[str] | None, memo: dict[str, Any] | None = None,
                also: Collection[str] | None = None) -> list[Observation]:
    """Every wanted raw or derived scalar of each entity, flagged stale when its reading is older than the limit.

    With a `memo` (kept by the caller between passes), an entity whose document is the very object of the last pass
    (store.snapshot.Tracker keeps unchanged documents) and whose freshness did not flip keeps its observations: a
    pass reads what changed. The age metric changes with the clock, so with it nothing is kept.
    With `also` as well (the entities that have an alert state), such an unchanged entity is not observed at all
    unless it is in `also`: the engine then steps what changed and the open alerts, not the whole city (an unchanged,
    still fresh entity without an alert cannot start one: the last pass saw the same values and started none)."""
    out: list[Observation] = []
    limit = now_ms - stale_s * 1000
    keep = memo is not None and metrics is not None and AGE_METRIC not in metrics
    last = (memo or {}).get(scope, {}) if keep else {}
    kept: dict[str, Any] = {}
    for eid, doc in docs.items():
        ts = int(doc.get("ts") or 0)
        fresh = ts >= limit
        hit = last.get(eid)
        if hit is not None and hit[0] is doc and hit[1] == fresh:
            if also is None or eid in also:
                out += hit[2]
            kept[eid] = hit
            continue
        mine: list[Observation] = []
        meta, derived, raw = doc.get("m") or {}, doc.get("d") or {}, doc.get("v") or {}
        name = str(meta.get("name") or eid)
        name_en = romanize.display(name, "en", meta.get("name_en"))
        district = meta.get("district_adcode")
        district = None if district is None else str(district)
        keys = metrics if metrics is not None else [*derived, *(k for k in raw if k not in derived), AGE_METRIC]
        for metric in keys:
            if metric == AGE_METRIC:
                value: Any = round(max(0.0, (now_ms - ts) / 1000.0), 1)
                mine.append(Observation(scope, eid, metric, value, ts, fresh, name, name_en, district))
                continue
            value = derived[metric] if metric in derived else raw.get(metric)
            if value is None or isinstance(value, _SKIP):
                continue
            mine.append(Observation(scope, eid, metric, value, ts, fresh, name, name_en, district))
        out += mine
        if keep:
            kept[eid] = (doc, fresh, mine)
    if memo is not None:
        memo[scope] = kept
    return out


def _district_tpi(rows: Mapping[str, Any], now_ms: int, stale_s: float,
                  names: Mapping[str, tuple[str, str]]) -> list[Observation]:
    """Length-weighted TPI over each district's current segments (core.summary rows: each segment's TPI terms made
    once); a district with none current is held, not zero."""
    limit = now_ms - stale_s * 1000
    weights: dict[str, list[tuple[float, float]]] = {}
    newest: dict[str, int] = {}
    for x in rows.values():
        if x.adcode is None:
            continue
        newest[x.adcode] = max(newest.get(x.adcode, 0), int(x.ts or 0))
        mine = weights.setdefault(x.adcode, [])
        if x.ts >= limit and x.weight is not None:
            mine.append(x.weight)
    out = []
    for adcode, terms in weights.items():
        zh, en = names.get(adcode, (adcode, adcode))
        value = round(traffic.tpi_of(terms), 2) if terms else None
        out.append(Observation("district", adcode, "tpi", value, newest[adcode], bool(terms), zh, en, adcode))
    return out


def _city_obs(raw: Mapping[str, Any], now_ms: int, feeds_cfg: Mapping[str, Mapping[str, Any]],
              cfg: traffic.TrafficConfig | None, city_name: tuple[str, str]) -> list[Observation]:
    """City AQI and TPI as core.summary computes them, and the service backlog counts."""
    zh, en = city_name
    fresh_air = summary.fresh_rows(summary.rows_in(raw, "air"), now_ms, _stale_s(feeds_cfg, "air"))
    fresh_roads = summary.fresh_rows(summary.rows_in(raw, "traffic", cfg), now_ms, _stale_s(feeds_cfg, "traffic"))
    tpi, _, severe = summary.network(fresh_roads, cfg)
    svc = summary.service_summary(raw.get("service") or {})
    health = (raw.get("health") or {}).get("service") or {}
    svc_cfg = feeds_cfg.get("service", {})
    svc_fresh = summary.feed_status(health, now_ms, _stale_s(feeds_cfg, "service"),
                                    svc_cfg.get("freshness", "data"))["state"] == "ok"
    values = {
        "aqi": (summary.city_air(fresh_air).get("aqi"), bool(fresh_air)),
        "tpi": (tpi, tpi is not None),
        "severe_segments": (severe, tpi is not None),
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
            wanted: Collection[tuple[str, str]] | None = None, memo: dict[str, Any] | None = None,
            also: Collection[str] | None = None) -> list[Observation]:
    """Observations of a store.snapshot.read() dict; `wanted` (scope, metric) pairs limit the work to what rules use;
    `memo` (a dict the caller keeps between passes) lets unchanged entities keep their observations, and with `also`
    (the ids of entities with an alert state) leaves out the unchanged entities that have none (_entity_obs)."""
    def metrics_of(scope: str) -> list[str] | None:
        return None if wanted is None else sorted({m for s, m in wanted if s == scope})

    out: list[Observation] = []
    for scope, feed in SCOPE_FEED.items():
        metrics = metrics_of(scope)
        if metrics is None or metrics:
            out += _entity_obs(scope, raw.get(feed) or {}, now_ms, _stale_s(feeds_cfg, feed), metrics, memo, also)
    if wanted is None or ("district", "tpi") in wanted:
        out += _district_tpi(summary.rows_in(raw, "traffic", traffic_cfg), now_ms, _stale_s(feeds_cfg, "traffic"),
                             district_names or {})
    if metrics_of("city") != []:
        city = _city_obs(raw, now_ms, feeds_cfg, traffic_cfg, city_name)
        keep = metrics_of("city")
        out += [o for o in city if keep is None or o.metric in keep]
    if metrics_of("feed") != []:
        out += _feed_obs(raw.get("health") or {}, now_ms, feeds_cfg)
    return out
