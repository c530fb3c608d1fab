"""The leader overview's display values: pure functions of the summary, KPI history, the language and now."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import district_score, levels
from core.alerts import RANK, STALE
from core.i18n import t
from core.levels import ALERT_COLORS, ALERT_LEVELS, chip
from store.kpi import city_kpis
from views import sparkline
from views.wall import age_text

DAY_MS = 24 * 3600 * 1000
WINDOW_MS = 30 * 60_000  # "the same hour yesterday": the sample nearest to now - 24 h, at most 30 min off
SPARK_STEP_MS = 5 * 60_000  # a 24 h sparkline needs no more than one point per 5 minutes (288 points, ~3 KB)
KPIS = ("aqi", "tpi", "open", "overdue", "on_time", "water_good")
FEED_OF = {"aqi": "air", "tpi": "traffic", "open": "service", "overdue": "service", "on_time": "service",
           "water_good": "water"}
HIGHER_IS_BETTER = frozenset({"on_time", "water_good"})
PERCENT = frozenset({"on_time", "water_good"})
SPARK = {"aqi": ("#ffd400", ((100.0, levels.color("aqi", 3)), (150.0, levels.color("aqi", 4)))),
         "tpi": (levels.color("traffic", 4), ((6.0, levels.color("traffic", 4)),)),
         "open": ("#49c6ff", ()), "overdue": (levels.color("alert", "orange"), ()), "on_time": ("#7dffa5", ()),
         "water_good": (levels.color("water", "II"), ())}
SORT_COLS = ("name", "score", "aqi", "tpi", "open", "overdue", "water")
ATTENTION_N = 3  # districts in the "needs attention first" list
DEFAULT_SORT = {"col": "overdue", "desc": True}
WATER_RANK = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "劣V": 6}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DASH = "—"


def fmt_num(v: float | None, lang: str, digits: int = 0) -> str:
    """1,234 / 12.5; in Chinese, 100,000 and more as 万 (12.3万); missing is a dash, never 0."""
    if v is None:
        return DASH
    if lang == "zh" and abs(v) >= 100_000:
        return f"{v / 10_000:,.1f}万"
    return f"{v:,.{digits}f}"


def fmt_when(ms: int | None, now_ms: int, tz: str, lang: str) -> str:
    """HH:MM when it is today in the city, else '11月20日 14:05' / '20 Nov 14:05'."""
    if not ms:
        return DASH
    zone = ZoneInfo(tz)
    dt, today = datetime.fromtimestamp(ms / 1000, zone), datetime.fromtimestamp(now_ms / 1000, zone)
    if dt.date() == today.date():
        return dt.strftime("%H:%M")
    if lang == "zh":
        return f"{dt.month}月{dt.day}日 {dt:%H:%M}"
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt:%H:%M}"


def day_start_ms(now_ms: int, tz: str) -> int:
    """Midnight of today in the city's time zone, in epoch ms ('today's alerts' start here)."""
    dt = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(tz))
    return int(dt.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


def yesterday_value(points: Sequence[tuple[int, float]], now_ms: int) -> float | None:
    """The sample nearest to the same moment yesterday, if one lies within 30 minutes of it."""
    target = now_ms - DAY_MS
    best = min(points, key=lambda p: abs(p[0] - target), default=None)
    return None if best is None or abs(best[0] - target) > WINDOW_MS else best[1]


def change(kpi: str, now_value: float | None, points: Sequence[tuple[int, float]], now_ms: int,
           lang: str, tz: str = "Asia/Shanghai", first_ms: int | None = None) -> tuple[str, str]:
    """'▲ 12 vs yesterday' and its class (better/worse/flat); no sample a day ago says so, never a made-up 0, and
    says where the history starts when it starts within the day ('history since 14:32'; `first_ms`: the KPI's first
    sample ever, else the first of `points`)."""
    before = yesterday_value(points, now_ms)
    if now_value is None or before is None:
        first = first_ms if first_ms is not None else (points[0][0] if points else None)
        since = sparkline.history_start(first, now_ms - DAY_MS, now_ms, tz) if now_value is not None else None
        return t("ov_ch_none", lang) if since is None else t("am_history_from", lang, at=since), "ov-change ch-none"
    digits = 0 if kpi in ("aqi", "open", "overdue") else 1
    delta = round(float(now_value) - before, digits)
    if delta == 0:
        return t("ov_ch_flat", lang), "ov-change ch-flat"
    size = fmt_num(abs(delta), lang, digits)
    if kpi in PERCENT:
        size = t("ov_pts", lang, v=size)
    up = delta > 0
    good = up == (kpi in HIGHER_IS_BETTER)
    return t("ov_ch_up" if up else "ov_ch_down", lang, d=size), f"ov-change {'ch-better' if good else 'ch-worse'}"


def downsample(points: Sequence[tuple[int, float]], step_ms: int = SPARK_STEP_MS) -> list[tuple[int, float]]:
    """Mean per step-long bucket (at the bucket's first sample): the line's shape at a tenth of the bytes."""
    out: list[tuple[int, float]] = []
    bucket, first, total, n = None, 0, 0.0, 0
    for ts, v in points:
        b = ts // step_ms
        if b != bucket and n:
            out.append((first, total / n))
            n, total = 0, 0.0
        if not n:
            bucket, first = b, ts
        total += v
        n += 1
    if n:
        out.append((first, total / n))
    return out


def sparks(series: Mapping[str, Sequence[tuple[int, float]]], now_ms: int) -> dict[str, str]:
    """A 24 h sparkline (data URI) per KPI; '' where there is no history yet."""
    out = {}
    for kpi in KPIS:
        color, bands = SPARK[kpi]
        pts = [p for p in series.get(kpi, []) if p[0] >= now_ms - DAY_MS]
        out[kpi] = sparkline.svg(downsample(pts), now_ms - DAY_MS, now_ms, color=color, bands=bands)
    return out


def header_status(summary: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """'数据正常' / '1 路数据过期 · 2 路暂无数据': stale and never-heard feeds are told apart (the wall lumps them)."""
    states = [s.get("state") for s in summary["status"].values()]
    stale, none = states.count("stale"), states.count("none")
    if none == len(states):
        return t("status_nodata", lang), "ov-status status-none"
    parts = [t(key, lang, n=n) for key, n in (("status_stale", stale), ("ov_status_none", none)) if n]
    if not parts:
        return t("status_ok", lang), "ov-status status-ok"
    return " · ".join(parts), "ov-status " + ("status-stale" if stale else "status-none")


def _card(value: str, level: str, level_color: str | None, sub: str, status: Mapping[str, Any],
          ch: tuple[str, str], lang: str, tz: str) -> dict[str, Any]:
    """One card's display values; a stale feed greys the card, a feed never heard from shows dashes."""
    state = status.get("state", "none")
    if state == "none":
        value, level, level_color, sub, ch = DASH, "", None, "", (t("ov_ch_none", lang), "ov-change ch-none")
    style = levels.feed_chip(level_color, state)
    return {"value": value, "level": level, "level_style": style | (
        {} if level else {"display": "none"}), "sub": sub, "age": age_text(dict(status), lang, tz), "change": ch[0],
            "change_class": ch[1], "class": "ov-card" + ("" if state == "ok" else f" ov-{state}")}


def cards(summary: Mapping[str, Any], series: Mapping[str, Sequence[tuple[int, float]]], now_ms: int, lang: str,
          names: Mapping[str, Any], tz: str = "Asia/Shanghai",
          firsts: Mapping[str, int | None] | None = None) -> dict[str, dict[str, Any]]:
    """The six indicator cards: value, level, change against the same hour yesterday, sub line, data age."""
    live = city_kpis(summary)
    st = summary["status"]
    air, tr, sv, wa = summary["air"]["city"], summary["traffic"], summary["service"], summary["water"]

    def ch(kpi: str) -> tuple[str, str]:
        return change(kpi, live[kpi], series.get(kpi, []), now_ms, lang, tz, (firsts or {}).get(kpi))

    primary = ", ".join(names["pollutant"](k) for k in air.get("primary") or [])
    air_sub = t("ov_primary", lang, p=primary) if primary else t("ov_stations", lang, n=summary["air"]["n_fresh"])
    share = DASH if not sv["open"] else f"{fmt_num(100.0 * sv['overdue'] / sv['open'], lang, 1)}%"
    worst = wa.get("worst")
    worst_text = "" if not worst else t("ov_worst", lang, k=water_name(worst, lang))
    return {
        "aqi": _card(fmt_num(air.get("aqi"), lang), names["aqi_level"](air.get("level")), air.get("color"), air_sub,
                     st.get("air", {}), ch("aqi"), lang, tz),
        "tpi": _card(fmt_num(tr["tpi"], lang, 1), names["tpi_level"](tr["level"]), names["tpi_color"](tr["level"]),
                     t("ov_severe", lang, n=tr["severe"]), st.get("traffic", {}), ch("tpi"), lang, tz),
        "open": _card(fmt_num(sv["open"], lang), "", None,
                      t("ov_of_which_overdue", lang, n=fmt_num(sv["overdue"], lang)), st.get("service", {}),
                      ch("open"), lang, tz),
        "overdue": _card(fmt_num(sv["overdue"], lang), "", None,
                         t("ov_share_open", lang, p=share), st.get("service", {}), ch("overdue"),
                         lang, tz),
        "on_time": _card(DASH if sv["on_time_rate"] is None else f"{fmt_num(sv['on_time_rate'], lang, 1)}%", "", None,
                         t("ov_closed_24h", lang, n=fmt_num(sv["closed_24h"], lang)), st.get("service", {}),
                         ch("on_time"), lang, tz),
        "water_good": _card(DASH if live["water_good"] is None else f"{fmt_num(live['water_good'], lang, 1)}%",
                            worst_text, names["water_color"](worst),
                            t("ov_sections", lang, good=wa["good"], n=wa["n_fresh"]), st.get("water", {}),
                            ch("water_good"), lang, tz),
    }


def water_name(klass: str | None, lang: str) -> str:
    """'Ⅳ类' / 'class IV'; the class worse than V in words, as on every page (core.levels.water_name)."""
    return levels.water_name(klass, lang) if klass else DASH


def district_rows(summary: Mapping[str, Any], values: Mapping[str, Sequence[Any]],
                  names: Mapping[str, tuple[str, str]], lang: str, level_names: Mapping[str, Any]
                  ) -> list[dict[str, Any]]:
    """One row per district of the city (even one without data): figures, their texts and level colours.

    values is views.map.district_values: adcode -> [aqi, aqi colour, tpi, tpi level, open, overdue, worst water].
    Case counts show as a dash while the case feed has never reported (0 would claim 'no cases')."""
    cases_known = summary["status"].get("service", {}).get("state", "none") != "none"
    scores = district_score.from_summary(summary)
    rows = []
    for adcode, (zh, en) in names.items():
        aqi, aqi_color, tpi, tpi_level, n_open, n_overdue, water = (list(values.get(adcode) or []) + [None] * 7)[:7]
        n_open = (n_open or 0) if cases_known else None
        n_overdue = (n_overdue or 0) if cases_known else None
        score, part = scores.get(adcode, (None, {}))
        rows.append({
            "adcode": adcode, "name": zh if lang == "zh" else (en or zh), "name_key": adcode if lang == "zh" else en,
            "score": score, "score_text": fmt_num(score, lang),
            "score_style": chip(district_score.color(score)) if score is not None else {},
            "cause": cause_text(district_score.cause(part), aqi, tpi, tpi_level, n_open, n_overdue, water, lang,
                                level_names),
            "aqi": aqi, "aqi_text": fmt_num(aqi, lang), "aqi_style": chip(aqi_color) if aqi is not None else {},
            "tpi": tpi, "tpi_text": fmt_num(tpi, lang, 1), "tpi_level": level_names["tpi_level"](tpi_level),
            "tpi_style": chip(level_names["tpi_color"](tpi_level)) if tpi is not None else {},
            "open": n_open, "open_text": fmt_num(n_open, lang), "overdue": n_overdue,
            "overdue_text": fmt_num(n_overdue, lang), "water": WATER_RANK.get(water),
            "water_text": water_name(water, lang),
            "water_style": chip(level_names["water_color"](water)) if water else {},
            "href": f"/analyst?district={adcode}&lang={lang}",
        })
    return rows


def cause_text(cause: str | None, aqi: Any, tpi: Any, tpi_level: Any, n_open: Any, n_overdue: Any, water: Any,
               lang: str, level_names: Mapping[str, Any]) -> str:
    """The main cause of a district's score in words, with its figure: '空气轻度污染（AQI 128）'."""
    if cause == "air":
        level = level_names["aqi_level"](district_score.aqi_level(aqi))
        return t("ov_cause_air", lang, level=level, v=fmt_num(aqi, lang))
    if cause == "traffic":
        return t("ov_cause_traffic", lang, level=level_names["tpi_level"](tpi_level), v=fmt_num(tpi, lang, 1))
    if cause == "cases":
        share = 100.0 * (n_overdue or 0) / n_open if n_open else 0.0
        return t("ov_cause_cases", lang, n=fmt_num(n_overdue, lang), p=fmt_num(share, lang))
    if cause == "water":
        return t("ov_cause_water", lang, k=water_name(water, lang))
    known = any(v is not None for v in (aqi, tpi_level, n_open, water))
    return t("ov_cause_none" if known else "ov_cause_nodata", lang)


def attention(rows: Iterable[Mapping[str, Any]], before: Mapping[str, float], lang: str
              ) -> list[dict[str, Any]] | None:
    """The ATTENTION_N districts with the highest scores (above 0): name, score, main cause, change over the hour
    (`before`: adcode -> the score an hour ago, when recorded); None when no district has any figure yet."""
    rows = list(rows)
    ranked = sorted((r for r in rows if r["score"]), key=lambda r: (-r["score"], r["adcode"]))[:ATTENTION_N]
    if not ranked and not any(r["score"] is not None for r in rows):
        return None  # no district has a figure: nothing to say "normal" about
    out = []
    for r in ranked:
        was = before.get(r["adcode"])
        if was is None:
            trend, cls = t("ov_trend_none", lang), "ov-trend"
        else:
            d = int(r["score"] - was)
            arrow = "▲" if d > 0 else "▼"
            trend = t("ov_trend_flat", lang) if d == 0 else t("ov_trend_1h", lang, d=f"{arrow} {abs(d)}")
            cls = "ov-trend" + ("" if d == 0 else " ch-worse" if d > 0 else " ch-better")
        out.append({"adcode": r["adcode"], "name": r["name"], "href": r["href"], "score_text": r["score_text"],
                    "score_style": r["score_style"], "cause": r["cause"], "trend": trend, "trend_class": cls})
    return out


def sort_rows(rows: Iterable[Mapping[str, Any]], col: str, desc: bool) -> list[Mapping[str, Any]]:
    """Rows by one column; missing values always last; ties by overdue, AQI, congestion (worst first), then code."""
    col = col if col in SORT_COLS else DEFAULT_SORT["col"]

    def tie(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(-(row[k] if row[k] is not None else -1) for k in ("overdue", "aqi", "tpi")) + (row["adcode"],)

    key = "name_key" if col == "name" else col  # Chinese names go in the official (adcode) order
    present = [r for r in rows if r[key] is not None]
    missing = sorted((r for r in rows if r[key] is None), key=tie)
    present.sort(key=tie)
    present.sort(key=lambda r: r[key], reverse=desc)  # stable: equal values keep the tie order
    return [*present, *missing]


ROW_FIELDS = ("adcode", "name", "href", "score_text", "score_style", "cause", "aqi_text", "aqi_style", "tpi_text",
              "tpi_style", "tpi_level", "open_text", "overdue_text", "water_text", "water_style")


def rank_payload(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What the browser needs to draw the ordered rows (texts, colours, links): values only, ~4 KB a tick."""
    return [{k: row[k] for k in ROW_FIELDS} | {"has_tpi": row["tpi"] is not None} for row in rows]


def sort_note(col: str, desc: bool, lang: str) -> str:
    """'按超期诉求从高到低排序 · 点击表头换排序，点击一行进入一张图' (the default order, said in the UI)."""
    if col == "name":
        return t("ov_sorted_name", lang)
    return t("ov_sorted", lang, col=t(f"ov_col_{col}", lang), dir=t("ov_desc" if desc else "ov_asc", lang))


def fold_fired(levels: dict[str, str], entries: Iterable[Mapping[str, Any]], since_ms: int) -> dict[str, str]:
    """Alert id -> the most severe level it fired at since since_ms; idempotent, so entries may be read twice."""
    for e in entries:
        if e.get("event") not in ("firing", "level_up", "escalated") or int(e.get("at_ms") or 0) < since_ms:
            continue
        aid, level = str(e.get("alert")), str(e.get("level"))
        old = levels.get(aid)
        if old is None or RANK.get(level, -1) > RANK.get(old, -1):
            levels[aid] = level
    return levels


def _value(v: Any, lang: str) -> str:
    """An alert's value: integers as such, others to one decimal."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return DASH
    return fmt_num(v, lang, 0 if float(v).is_integer() else 1)


def alert_panel(alerts: Mapping[str, Any], fired: Mapping[str, str], lang: str, tz: str, now_ms: int
                ) -> dict[str, Any]:
    """Per level: active now and fired today; and the unacknowledged alerts, most severe first."""
    active = alerts.get("counts", {})
    today = {lv: 0 for lv in ALERT_LEVELS}
    for level in fired.values():
        if level in today:
            today[level] += 1
    chips = [{"level": lv, "label": t(f"alert_{lv}", lang), "active": int(active.get(lv, 0)), "today": today[lv],
              "color": ALERT_COLORS[lv]} for lv in ALERT_LEVELS]
    waiting = [rec for rec in alerts.get("items", []) if rec.get("state") == "firing" and not rec.get("silenced")]
    items = [{"id": rec.get("id"), "level": rec.get("level"), "label": t(f"alert_{rec.get('level')}", lang)
              if rec.get("level") in ALERT_COLORS else str(rec.get("level")),
              "color": ALERT_COLORS.get(str(rec.get("level")), "#7f8ea6"),
              "entity": str((rec.get("entity_name_en") or rec.get("entity_name")) if lang == "en"
                            else rec.get("entity_name") or rec.get("entity_id")),
              "rule": str(rec.get("rule_name_en") if lang == "en" else rec.get("rule_name_zh")),
              "value": "" if rec.get("level") == STALE else t(  # a staleness alert: its time says it
                  "ov_value_limit", lang, v=_value(rec.get("value"), lang), th=_value(rec.get("threshold"), lang)),
              "since": fmt_when(rec.get("fired_ms") or rec.get("since_ms"), now_ms, tz, lang)} for rec in waiting]
    n = int(active.get("unacknowledged", len(items)))
    return {"chips": chips, "items": items, "title": t("ov_unacked", lang, n=n),
            "more": t("more_alerts", lang, n=n - len(items)) if n > len(items) else "",
            "total_today": sum(today.values())}
