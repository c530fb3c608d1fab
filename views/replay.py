"""Replay: the map as it was at a past minute, from the per-entity history; and the `at=` URL value both ways.

The samples "as of" T are turned back into stored-document shape and summarized by the same functions the live map
uses (core/summary.py), with T as "now": levels, colours, staleness and district figures mean the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import summary as summary_mod
from core import times
from core.derive import air_standard, derive_air, derive_traffic, derive_water
from indicators import aqi_cn, traffic
from store.history import FIELDS, MINUTE_MS, Point, max_keep_ms, minute_of

_DERIVED = ("aqi", "level", "klass")
SLIDER_DAYS = 7  # the slider reaches a week back; history keeps 8 days, so a replayed week-old minute has its 24 h
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| \d{2}:?\d{2})?$")


def parse_at(value: Any, tz: str, now_ms: int) -> int | None:
    """`at=` as epoch ms or ISO 8601 (no offset: the city's time) -> its minute, if within the retention; else None."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.isdigit():
        ms = int(text)
    elif _ISO.match(text):
        text = re.sub(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$", r"\1+\2", text)  # '+' decoded as ' '
        try:
            ms = int(times.parse_iso(text, ZoneInfo(tz)).timestamp() * 1000)
        except (ValueError, OverflowError, OSError):
            return None
    else:
        return None
    if not now_ms - max_keep_ms() < ms <= now_ms:
        return None
    return minute_of(ms)


def at_of(store: Any, now_ms: int) -> int | None:
    """The replay minute held in the page's am-at Store; None (live) for anything that is not a minute of the kept
    history (the Store comes back from the browser: a crafted one is live, not an error)."""
    ms = store.get("ms") if isinstance(store, dict) else None
    if isinstance(ms, bool) or not isinstance(ms, int) or not now_ms - max_keep_ms() < ms <= now_ms:
        return None
    return minute_of(ms)


def at_query(at_ms: int, tz: str) -> str:
    """The URL form of a replay moment: the city's wall-clock minute, readable in a shared link."""
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def at_label(at_ms: int, tz: str, lang: str) -> str:
    """A replay moment for people: '2026-11-21 14:30' (zh) or '21 Nov 2026 14:30' (en), in the city's time."""
    dt = datetime.fromtimestamp(at_ms / 1000, ZoneInfo(tz))
    return dt.strftime("%Y-%m-%d %H:%M" if lang == "zh" else "%d %b %Y %H:%M")


def slider_value(at_ms: int | None, now_ms: int) -> int:
    """Slider position: minutes before now (negative), 0 when live."""
    return 0 if at_ms is None else -max(0, (now_ms - at_ms) // MINUTE_MS)


def at_from_slider(value: Any, now_ms: int) -> int | None:
    """The replay minute a slider position asks for; None (live) at 0 or for nonsense."""
    try:
        back = -int(float(value))
    except (TypeError, ValueError):
        return None
    if back <= 0:
        return None
    return minute_of(now_ms - min(back * MINUTE_MS, max_keep_ms() - MINUTE_MS))


def doc_of(feed: str, eid: str, p: Point, meta: Mapping[str, Any], *, aqi_setting: str = "auto",
           cfg: traffic.TrafficConfig | None = None) -> dict[str, Any]:
    """A stored-document shape from one history sample: values, derived indicators (as stored), live metadata."""
    values = {k: p[k] for k in FIELDS[feed] if k not in _DERIVED and k in p}
    if feed == "air":
        d = derive_air(values, air_standard(aqi_setting, p["t"]))
        if "aqi" not in p:  # stored as withheld (HJ 633-2026 §5.3.1: a monitored pollutant was missing): stays so
            d.update(aqi=None, level=None, color=None, primary=[], category_zh=None, category_en=None)
        elif p["aqi"] != d.get("aqi"):  # the stored level is the record
            info = aqi_cn.level_info(p["aqi"]) if 0 <= p["aqi"] <= 500 else {}
            d.update(aqi=p["aqi"], level=p.get("level"), color=(info or {}).get("color"), primary=[])
    elif feed == "traffic":
        d = derive_traffic(values, meta, cfg) if "speed_kmh" in values else {}
        d["level"] = p.get("level", d.get("level"))
    else:
        d = derive_water(values, meta)
        d["klass"] = p.get("klass", d.get("klass"))
    return {"id": eid, "ts": p["t"], "v": values, "m": dict(meta), "d": d}


def summary_as_of(samples: Mapping[str, Mapping[str, Point | None]], meta: Mapping[str, Mapping[str, Any]],
                  at_ms: int, stale_s: Callable[[str], float], *, aqi_setting: str = "auto",
                  cfg: traffic.TrafficConfig | None = None) -> dict[str, Any]:
    """The parts of a city summary the map draws (stations, segments, sections, districts) as they were at `at`."""
    raw: dict[str, dict[str, Any]] = {feed: {} for feed in FIELDS}
    for feed, by_id in samples.items():
        for eid, p in by_id.items():
            if p is not None:
                raw[feed][eid] = doc_of(feed, eid, p, meta.get(feed, {}).get(eid, {}), aqi_setting=aqi_setting,
                                        cfg=cfg)
    return {"air": summary_mod.air_summary(raw["air"], at_ms, stale_s("air")),
            "traffic": summary_mod.traffic_summary(raw["traffic"], at_ms, stale_s("traffic"), cfg),
            "water": summary_mod.water_summary(raw["water"], at_ms, stale_s("water")),
            "districts": summary_mod.district_summary(raw, at_ms, stale_s, cfg)}


def slider_bounds(first_ms: int | None, now_ms: int, lang: str, tz: str, value: Any = 0) -> tuple[int, dict, str]:
    """(slider min, marks, 'from <time>'): the slider reaches back to the oldest sample kept and to the chosen one."""
    from core.i18n import t

    try:
        value = min(0, int(float(value)))
    except (TypeError, ValueError):
        value = 0
    back = 0 if first_ms is None else -(-(now_ms - first_ms) // MINUTE_MS)
    lo = min(-min(max(back, 60), SLIDER_DAYS * 1440), value)
    steps = [60, 360, 1440, 3 * 1440, 7 * 1440] if -lo > 120 else [15, 30, 45, 60]
    marks: dict[int, str] = {0: t("am_now", lang)}
    last = 0
    for m in steps:  # readable marks only: at least 9 % of the slider apart, and off its very start
        if 0.09 * -lo <= m - last and m <= 0.92 * -lo:
            key = "am_ago_d" if m % 1440 == 0 else "am_ago_h" if m % 60 == 0 else "am_ago_min"
            marks[-m] = t(key, lang, n=m // 1440 if m % 1440 == 0 else m // 60 if m % 60 == 0 else m)
            last = m
    first = None if first_ms is None else datetime.fromtimestamp(first_ms / 1000, ZoneInfo(tz))
    label = t("am_history_none", lang) if first is None else t("am_history_from", lang, at=first.strftime(
        "%m-%d %H:%M" if lang == "zh" else "%d %b %H:%M"))
    return lo, marks, label
