"""The wall's alert strip and red-alert takeover: pure functions of the summary, the language and now."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import levels
from core.alerts import STALE
from core.i18n import t
from core.levels import ALERT_COLORS, ALERT_LEVELS


def hhmm(ms: int | None, tz: str) -> str:
    """HH:MM in the city's time zone."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).strftime("%H:%M") if ms else "--:--"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return "—" if v is None else str(v)


def counts(alerts: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """One chip per level: its name, count and colour (zero counts stay, dimmed, so the strip never jumps)."""
    c = alerts.get("counts", {})
    return [{"level": lv, "label": t(f"alert_{lv}", lang), "n": int(c.get(lv, 0)), "color": ALERT_COLORS[lv]}
            for lv in ALERT_LEVELS]


# The unit an alert's value and limit are in, by metric (config/alerts.yaml lists the metrics); none for indices,
# levels, classes and counts.
UNITS = {**{f"{p}_{h}": "µg/m³" for p in ("so2", "no2", "o3", "pm10", "pm25") for h in ("1h", "24h")},
         "co_1h": "mg/m³", "co_24h": "mg/m³", "speed_kmh": "km/h", "age_s": "s", "on_time_rate": "%",
         **{m: "mg/L" for m in ("do", "codmn", "cod", "nh3n", "tp", "tn", "bod5")}}


def with_unit(v: Any, metric: Any, lang: str = "zh") -> str:
    if metric == "klass" and isinstance(v, str):  # a water class: '劣Ⅴ类' / 'worse than V', never '劣V' in English
        return levels.water_name(v, lang)
    unit = UNITS.get(str(metric), "")
    text = _fmt(v)
    return text if not unit or text == "—" else (f"{text}{unit}" if unit == "%" else f"{text} {unit}")


def item_text(rec: dict[str, Any], lang: str, tz: str) -> str:
    """'广雅中学 · 站点空气质量指数超标 215（限值 200） · 14:02 · 已确认 张三 14:05': the value and the limit
    labelled and in their unit (it was '215 (200)', the limit unlabelled)."""
    name = (rec.get("entity_name_en") or rec.get("entity_name")) if lang == "en" else rec.get("entity_name")
    rule = rec.get("rule_name_en") if lang == "en" else rec.get("rule_name_zh")
    metric = rec.get("metric")
    if rec.get("level") == STALE:  # a staleness alert: its age when it fired would read as now; its time says it
        what = str(rule)
    else:
        what = f"{rule} " + t("rail_value", lang, v=with_unit(rec.get("value"), metric, lang),
                              limit=with_unit(rec.get("threshold"), metric, lang))
    parts = [str(name or rec.get("entity_id")), what, hhmm(rec.get("fired_ms") or rec.get("since_ms"), tz)]
    if rec.get("state") == "acknowledged" and rec.get("ack_by"):
        parts.append(t("acked_by", lang, by=rec["ack_by"], at=hhmm(rec.get("ack_ms"), tz)))
    elif rec.get("silenced"):
        parts.append(t("silenced", lang))
    if rec.get("held"):
        parts.append(t("stale", lang))
    return " · ".join(parts)


def ticker(alerts: dict[str, Any], lang: str, tz: str, now_ms: int, flash_s: float = 600) -> list[dict[str, Any]]:
    """Items for the strip, most severe first; new unacknowledged ones flash."""
    out = []
    for rec in alerts.get("items", []):
        new = rec.get("state") == "firing" and not rec.get("silenced") and \
            now_ms - int(rec.get("fired_ms") or rec.get("since_ms") or 0) < flash_s * 1000
        out.append({"id": rec["id"], "level": rec.get("level"), "text": item_text(rec, lang, tz),
                    "cls": f"tk-item tk-{rec.get('level')}" + (" tk-flash" if new else "")})
    more = int((alerts.get("counts") or {}).get("total", 0)) - len(out)
    if out and more > 0:  # the summary carries the most severe few (core.summary.alert_summary): say the rest exist
        out.append({"id": "more", "level": None, "text": t("rail_more", lang, n=more), "cls": "tk-item tk-more"})
    return out


def takeover(alerts: dict[str, Any], lang: str, tz: str, now_ms: int, takeover_s: float) -> dict[str, str] | None:
    """The newest red alert, for `takeover_s` after it fired; None when there is none or its time is over."""
    rec = alerts.get("newest_red")
    if not rec or takeover_s <= 0 or now_ms - int(rec.get("fired_ms") or 0) > takeover_s * 1000:
        return None
    name = (rec.get("entity_name_en") or rec.get("entity_name")) if lang == "en" else rec.get("entity_name")
    rule = rec.get("rule_name_en") if lang == "en" else rec.get("rule_name_zh")
    return {"title": t("red_alert", lang), "entity": str(name or rec.get("entity_id")), "rule": str(rule),
            "value": f"{_fmt(rec.get('value'))}", "threshold": t("threshold", lang, v=_fmt(rec.get("threshold"))),
            "since": t("since", lang, at=hhmm(rec.get("fired_ms"), tz))}
