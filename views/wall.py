"""The wall's display values for one tick: pure, from the shared summary, the language and now."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import levels
from core.case_points import CasePoints
from core.i18n import t
from core.summary import ENTITY_LAYERS, entity_values, stale_layers
from views import delta
from views import map as map_view
from views.wall_panels import overdue_by_district

WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def city_hour(now_ms: int, city: dict[str, Any]) -> int:
    """The hour of day in the city's time zone (the wall's scheduled soft reload)."""
    return datetime.fromtimestamp(now_ms / 1000, ZoneInfo(city.get("timezone", "Asia/Shanghai"))).hour


def age_text(status: dict[str, Any], lang: str, tz: str = "Asia/Shanghai") -> str:
    """'updated 4 s ago' / 'as of 14:32' / 'No data'. A stale feed names the moment its figures are from (the city's
    clock; with the date once a day old), not an age that grows while nobody looks."""
    age = status.get("age_s")
    if age is None:
        return t("no_data", lang)
    if status.get("state") == "stale" and status.get("last_ms") is not None:  # amber on a greyed tile
        return t("as_of", lang, at=as_of(int(status["last_ms"]), age, tz, lang))
    if age < 1.5:
        txt = t("age_now", lang)
    elif age < 120:
        txt = t("age_s", lang, n=int(age))
    elif age < 7200:
        txt = t("age_min", lang, n=int(age // 60))
    else:
        txt = t("age_h", lang, n=int(age // 3600))
    return f"{t('stale', lang)} · {txt}" if status.get("state") == "stale" else txt


def as_of(at_ms: int, age_s: float | None, tz: str, lang: str) -> str:
    """'14:32', or '12月5日 14:32' / '5 Dec 14:32' when it is a day old or more."""
    dt = datetime.fromtimestamp(at_ms / 1000, ZoneInfo(tz))
    if age_s is None or age_s < 86400:
        return dt.strftime("%H:%M")
    return f"{dt.month}月{dt.day}日 {dt:%H:%M}" if lang == "zh" else f"{dt.day} {dt:%b %H:%M}"


def clock(now_ms: int, tz: str, lang: str) -> tuple[str, str]:
    """Date and HH:MM in the city's time zone."""
    dt = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(tz))
    wd = WEEKDAYS[lang][dt.weekday()]
    if lang == "zh":
        return f"{dt.year}年{dt.month}月{dt.day}日 星期{wd}", dt.strftime("%H:%M")
    return f"{wd} {dt.day} {dt.strftime('%b %Y')}", dt.strftime("%H:%M")


def _tile(value: str, level: str, level_color: str | None, sub: str, status: dict[str, Any],
          lang: str, tz: str) -> dict[str, Any]:
    """Display values of one tile; a stale feed greys the whole tile and keeps its last values (the summary holds
    them: core.summary.hold), "as of" their moment; a feed never heard shows dashes."""
    state = status.get("state", "none")
    cls = "kpi-tile" + ("" if state == "ok" else f" kpi-{state}")
    if state == "none":
        value, level, level_color, sub = "—", "", None, ""
    style = levels.feed_chip(level_color, state)
    return {"value": value, "level": level, "level_style": style,
            "sub": sub, "age": age_text(status, lang, tz), "class": cls}


def tiles(summary: dict[str, Any], lang: str, names: dict[str, Any],
          tz: str = "Asia/Shanghai") -> dict[str, dict[str, Any]]:
    """The four KPI tiles."""
    st = summary["status"]
    air = summary["air"]["city"]
    primary = ", ".join(names["pollutant"](k) for k in air.get("primary") or [])
    air_sub = f"{t('primary', lang)} {primary}" if primary else f"{summary['air']['n_fresh']} {t('stations', lang)}"
    tr = summary["traffic"]
    sv = summary["service"]
    rate = "—" if sv["on_time_rate"] is None else f"{sv['on_time_rate']:.1f}%"
    wa = summary["water"]
    return {
        "air": _tile("—" if air.get("aqi") is None else str(air["aqi"]), names["aqi_level"](air.get("level")),
                     air.get("color"), air_sub, st.get("air", {}), lang, tz),
        "traffic": _tile("—" if tr["tpi"] is None else f"{tr['tpi']:.1f}", names["tpi_level"](tr["level"]),
                         names["tpi_color"](tr["level"]), f"{t('severe_segments', lang)} {tr['severe']}",
                         st.get("traffic", {}), lang, tz),
        "service": _tile(str(sv["open"]), f"{t('overdue', lang)} {sv['overdue']}",
                         levels.color("aqi", 3 if sv["overdue"] else 1), f"{t('on_time', lang)} {rate}",
                         st.get("service", {}), lang, tz),
        "water": _tile(f"{wa['good']}/{wa['n_fresh']}", _worst_text(wa, lang), names["water_color"](wa["worst"]),
                       f"{t('water_bad', lang)} {wa['bad']} · {t('black_odorous', lang)} {wa['black_odorous']}",
                       st.get("water", {}), lang, tz),
    }


# the loop panel's counts: open cases by step (reported = not yet registered; dispatched = with the departments,
# accepted or not; handled = waiting for the inspector's check), the overdue ones, and closings in the last 24 h
LOOP_STEPS = ("reported", "registered", "dispatched", "handled", "overdue", "closed_24h")


def loop_panel(summary: dict[str, Any], lang: str, slowest: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """The loop panel's values: the open cases at each step, the overdue ones, closings in the last 24 h and their
    on-time share, the departments with the most overdue cases (`slowest`) and, first, new urgent cases (the panel
    flashes as a new alert does while an urgent case dispatched in the last half hour is open)."""
    lp = summary.get("loop") or {}
    if not lp.get("counted"):  # the live layer is not made from the records yet: its zeros would be made up
        return {"counts": dict.fromkeys(LOOP_STEPS, "—"), "on_time": "", "slow": "", "urgent": "",
                "class": "loop-panel loop-none"}
    counts = {step: f"{int(lp.get(step) or 0):,}" for step in LOOP_STEPS}
    rate = lp.get("on_time_rate")
    on_time = "" if rate is None else t("loop_on_time", lang, rate=f"{rate:.0f}%")
    sep = "、" if lang == "zh" else ", "
    slow = "" if not slowest else t("loop_slowest", lang, depts=sep.join(t("loop_dept_late", lang, dept=d, n=k)
                                                                          for d, k in slowest))
    if lp.get("urgent_new"):
        urgent = t("loop_urgent_new", lang, n=lp["urgent_new"], all=lp.get("urgent", 0))
    elif lp.get("urgent"):
        urgent = t("loop_urgent", lang, n=lp["urgent"])
    else:
        urgent = ""
    cls = "loop-panel" + (" loop-late" if lp.get("overdue") else "") + (" loop-urgent tk-flash"
                                                                        if lp.get("urgent_new") else "")
    return {"counts": counts, "on_time": on_time, "slow": slow, "urgent": urgent, "class": cls}


def _worst_text(water: dict[str, Any], lang: str) -> str:
    """'最差 Ⅴ类' / 'worst: class V' for the worst class among current sections."""
    worst = water.get("worst")
    if not worst:
        return ""
    return t("water_worst", lang, k=levels.water_name(worst, lang))


def header_status(summary: dict[str, Any], lang: str) -> tuple[str, str]:
    """Overall data status text and its class."""
    states = [s.get("state") for s in summary["status"].values()]
    if all(s == "none" for s in states):
        return t("status_nodata", lang), "wall-status status-none"
    stale = sum(1 for s in states if s == "stale")
    if stale:
        return t("status_stale", lang, n=stale), "wall-status status-stale"
    silent = sum(1 for s in states if s == "none")
    if silent:  # never reported is not the same as stale: say which
        return t("status_silent", lang, n=silent), "wall-status status-none"
    return t("status_ok", lang), "wall-status status-ok"


def simulated(summary: dict[str, Any]) -> bool:
    """True when any feed comes from the simulator (the wall must say so)."""
    return any(s.get("source") == "simulator" for s in summary["status"].values())


def layer_values(summary: dict[str, Any]) -> dict[str, Any]:
    """Each entity layer's values for the in-place restyle: station [aqi, colour, stale, pulse], segment level,
    section class (the part of a tick that grows with the city, sent as a delta: views.delta)."""
    out = entity_values(summary)
    pulse = set(summary.get("alerts", {}).get("pulse", []))
    out["air"] = {eid: [*v, 1 if eid in pulse else 0] for eid, v in out["air"].items()}
    return out


def map_values(summary: dict[str, Any], cases: CasePoints, theme: str, now_ms: int,
               view: dict[str, Any] | None, layers: dict[str, Any] | None = None) -> dict[str, Any]:
    """The wall map's values of one tick: the entity layers (`layers`, a views.delta message; everything when None),
    the theme, overdue cases per district, and the case clusters in view when the service theme is on."""
    if layers is None:
        layers = delta.message(layer_values(summary), ENTITY_LAYERS, 0, None, None)
    out: dict[str, Any] = {"theme": theme, **layers, "stale": stale_layers(summary)}
    out["districts"] = overdue_by_district(summary)
    if theme == "service" and view and view.get("bbox"):
        w = max(80.0, (float(view.get("w", 1000)) * float(view.get("h", 800)) / 60) ** 0.5)
        out["cases"] = map_view.case_clusters(cases, tuple(view["bbox"]), float(view.get("zoom", 10)), now_ms,
                                              cell_px=w)
    else:
        out["cases"] = {"c": [], "p": []}
    return out
