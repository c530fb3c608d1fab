"""One entity's details for a popup or side panel: localized labels, values with units, data age."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core import romanize
from core.i18n import BLACK_ODOROUS, NO_BO_ITEMS, ROAD_CLASS
from core.i18n import ENTITY_LABELS as L
from indicators import aqi_cn, traffic, water
from views.names import pollutant

UNITS = {"so2": "µg/m³", "no2": "µg/m³", "o3": "µg/m³", "pm10": "µg/m³", "pm25": "µg/m³", "co": "mg/m³",
         "do": "mg/L", "codmn": "mg/L", "nh3n": "mg/L", "tp": "mg/L", "ph": "", "transparency_cm": "cm",
         "orp_mv": "mV", "temp_c": "°C"}
WATER_ITEMS = {"do": "DO", "codmn": "CODMn", "nh3n": "NH₃-N", "tp": "TP", "ph": "pH", "cod": "COD", "bod5": "BOD₅",
               "tn": "TN",
               "transparency_cm": ("透明度", "SD"), "orp_mv": "ORP", "temp_c": ("水温", "Temp.")}



def _item(key: str, lang: str) -> str:
    """Display name of a water item key ('nh3n' -> 'NH₃-N')."""
    label = WATER_ITEMS.get(key, key.upper())
    return label if isinstance(label, str) else label[0 if lang == "zh" else 1]


def _l(key: str, lang: str) -> str:
    return L[key][0 if lang == "zh" else 1]


def _time(ms: int | None, tz: str, lang: str) -> str:
    if not ms:
        return "—"
    dt = datetime.fromtimestamp(ms / 1000, ZoneInfo(tz))
    return dt.strftime("%m-%d %H:%M" if lang == "zh" else "%d %b %H:%M")


def _age(ms: int | None, now_ms: int, lang: str) -> str:
    if not ms:
        return "—"
    mins = max(0, (now_ms - ms) // 60000)
    if mins < 1:
        return "刚刚" if lang == "zh" else "just now"
    if mins < 120:
        return f"{mins} 分钟前" if lang == "zh" else f"{mins} min ago"
    return f"{mins // 60} 小时前" if lang == "zh" else f"{mins // 60} h ago"


def _pollutants(keys: Any) -> str:
    """['pm25', 'co'] -> 'PM2.5, CO' ('—' for none)."""
    return ", ".join(pollutant(k) for k in keys) if isinstance(keys, list) and keys else "—"


def _observed(doc: dict[str, Any], tz: str, lang: str) -> list[list[str]]:
    """A replayed reading's observation time (the one its indicators were judged by), as a row."""
    hist = (doc.get("m") or {}).get("hist_ts")
    if not isinstance(hist, int | float) or isinstance(hist, bool):
        return []
    dt = datetime.fromtimestamp(hist / 1000, ZoneInfo(tz))
    note = "（回放）" if lang == "zh" else " (replay)"
    return [[_l("observed", lang), dt.strftime("%Y-%m-%d %H:%M") + note]]


def _num(v: Any, digits: int = 1) -> str:
    try:
        return f"{float(v):.{digits}f}"
    except (TypeError, ValueError):
        return "—"


def details(feed: str, doc: dict[str, Any], lang: str, now_ms: int, tz: str,
            districts: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """{"title", "rows": [[label, value], ...]} for one stored document."""
    v, m, d = doc.get("v", {}), doc.get("m", {}), doc.get("d", {})
    name = romanize.display(m.get("name") or doc.get("id"), lang, m.get("name_en"))
    dname = districts.get(str(m.get("district_adcode") or v.get("district_adcode") or ""), ("—", "—"))
    dname = dname[0 if lang == "zh" else 1]
    when = f"{_time(doc.get('ts'), tz, lang)} ({_age(doc.get('ts'), now_ms, lang)})"
    rows: list[list[str]] = []
    if feed == "air":
        lv = aqi_cn.level_info(d.get("aqi")) if d.get("standard", "").startswith("HJ") else None
        level = (lv or {}).get(lang) or d.get(f"category_{lang}") or ""
        aqi = d.get("aqi")
        if aqi is None and d.get("missing"):  # HJ 633-2026 §5.3.1: a monitored pollutant missing, AQI <= 100
            level = ("未发布（" + _pollutants(d["missing"]) + " 缺测）" if lang == "zh"
                     else f"not published: {_pollutants(d['missing'])} missing")
        rows.append([_l("aqi", lang), f"{'—' if aqi is None else aqi} {level}".strip()])
        rows.append([_l("primary", lang), ", ".join(pollutant(k) for k in d.get("primary") or []) or "—"])
        for key in ("pm25_1h", "pm10_1h", "o3_1h", "o3_8h", "no2_1h", "so2_1h", "co_1h"):
            if v.get(key) is not None:
                unit = UNITS[key.split("_")[0]]
                value = _num(v[key], 1 if key.startswith("co") else 0)
                rows.append([f"{pollutant(key)} {key.split('_')[1]}", f"{value} {unit}"])
        rows.append([_l("standard", lang), d.get("standard") or "—"])
        if "monitored" in d:
            rows.append([_l("monitors", lang), _pollutants(d.get("monitored"))])
            rows.append([_l("missing", lang), _pollutants(d.get("missing"))])
        rows += _observed(doc, tz, lang)
    elif feed == "traffic":
        level = next((lv[lang] for lv in traffic.LEVELS if lv["level"] == d.get("level")), "—")
        rows += [[_l("speed", lang), f"{_num(v.get('speed_kmh'), 0)} km/h"],
                 [_l("free", lang), f"{_num(v.get('free_flow_kmh'), 0)} km/h"], [_l("level", lang), level],
                 [_l("class", lang), ROAD_CLASS.get(str(m.get("road_class")), ("—", "—"))[0 if lang == "zh" else 1]],
                 [_l("length", lang), f"{_num(float(m.get('length_m') or 0) / 1000, 2)} km"]]
        if m.get("schematic"):
            note = "示意路段，非真实几何" if lang == "zh" else "schematic segment, not real geometry"
            rows.append([_l("note", lang), note])
    elif feed == "water":
        wc = next((c for c in water.CLASSES if c["klass"] == d.get("klass")), None)
        rows.append([_l("wclass", lang), f"{wc['name_zh']} {wc['zh']}" if wc and lang == "zh"
                     else f"{d.get('klass', '—')} {wc['en'] if wc else ''}".strip()])
        rows.append([_l("worst", lang), ", ".join(_item(k, lang) for k in d.get("worst") or []) or "—"])
        for key, label in WATER_ITEMS.items():
            if v.get(key) is not None:
                text = label if isinstance(label, str) else label[0 if lang == "zh" else 1]
                rows.append([text, f"{_num(v[key], 2 if key in ('nh3n', 'tp') else 1)} {UNITS[key]}".strip()])
        bo = d.get("black_odorous")
        label = BLACK_ODOROUS.get(str(bo), NO_BO_ITEMS if bo is None else (str(bo), str(bo)))
        rows.append([_l("bo", lang), label[0 if lang == "zh" else 1]])
        rows += _observed(doc, tz, lang)
        if m.get("approximate"):
            rows.append([_l("note", lang), "位置为近似" if lang == "zh" else "position approximate"])
    elif feed == "service":
        name = f"{v.get('service_name', '')} · {doc.get('id')}"
        overdue = d.get("due_ms") is not None and d.get("status") == "open" and d["due_ms"] < now_ms
        status = str(v.get("status", "—")) + (f" ({v['status_raw']})" if v.get("status_raw") else "")
        rows += [[_l("status", lang), status], [_l("district", lang), dname],
                 [_l("address", lang), str(v.get("address") or "—")],
                 [_l("requested", lang), _time(d.get("requested_ms"), tz, lang)],
                 [_l("due", lang), _time(d.get("due_ms"), tz, lang)],
                 [_l("overdue", lang), ("是" if overdue else "否") if lang == "zh" else ("yes" if overdue else "no")],
                 [_l("agency", lang), str(v.get("agency_responsible") or "—")]]
    elif feed == "furniture":
        rows += [[_l("status", lang), str(v.get("status", "normal"))], [_l("category", lang), str(m.get("category"))]]
        if m.get("synthetic"):
            rows.append([_l("note", lang), "合成数据" if lang == "zh" else "synthetic data"])
    rows.append([_l("age", lang), when])
    return {"title": name, "rows": rows}


HEADLINE = {"air": (0,), "traffic": (2, 0), "water": (0,)}  # the rows that say the entity's state: AQI, level, class


def headline(feed: str, info: dict[str, Any]) -> list[list[str]]:
    """details()' rows that a compact popup shows beside an open side panel: the state, then the data time."""
    rows = info.get("rows") or []
    return [rows[i] for i in HEADLINE.get(feed, ()) if i < len(rows)] + rows[-1:]
