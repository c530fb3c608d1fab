"""Derive indicators once, at ingest, so every screen reads levels instead of recomputing them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from core.readings import Reading
from core.times import parse_iso
from indicators import aqi_cn, aqi_periods, aqi_us, traffic, water
from indicators.aqi_periods import POLLUTANTS, PUBLISHED, REALTIME, concentrations, report_keys
from indicators.units import CO_PER_PPM, PER_PPB

# AMap trafficinfo status (standards.md §4): "1" smooth, "2" slow, "3" congested ("0" unknown) -> our levels 1/3/5.
AMAP_STATUS_LEVEL = {"1": 1, "2": 3, "3": 5}


def _num(v: Any) -> float | None:
    """A finite float, or None for missing / non-numeric / NaN input."""
    if isinstance(v, bool) or v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def parse_time_ms(value: Any) -> int | None:
    """Epoch ms from an ISO 8601 string with offset (Open311) or a number; None when absent or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if math.isfinite(value) and abs(value) < 1e15 else None
    try:
        return int(parse_iso(str(value)).timestamp() * 1000)
    except (ValueError, OverflowError, OSError):  # not ISO 8601, no offset, out of range
        return None


_NUMBER = (int, float)


def _num_or_nan(v: Any) -> float:
    """A value sent but not a number counts as sent-and-unusable (missing this hour), never as not sent."""
    f = _num(v)
    return math.nan if f is None else f


def air_standard(setting: str, ts_ms: int) -> str:
    """The AQI standard for a reading: pinned by the city profile, or by date (HJ 633-2026 from 2026-03-01)."""
    if setting and setting != "auto":
        return setting
    return aqi_cn.standard_for(ts_ms)


def derive_air(values: dict[str, Any], standard: str, *, monitored: Iterable[str] | None = None,
               rule: str = PUBLISHED) -> dict[str, Any]:
    """AQI, level, colour and primary pollutants of one station's real-time report, with what it monitors.

    The report's averaging periods come from `indicators.aqi_periods.report_keys` (the published practice unless the
    city profile names the 2012 text's rule); `monitored` is the station's pollutant set (None: what it sent now).
    """
    if standard == "EPA-2024":
        return aqi_us.compute(_us_units(values)).to_dict()
    keys = report_keys(standard, REALTIME, rule)
    # numbers go straight in (negative / NaN / bool count as missing); anything else is coerced first
    nums = {}
    for k in keys:
        v = values.get(k)
        if v is not None:
            nums[k] = v if type(v) in _NUMBER else _num_or_nan(v)
    conc = concentrations(nums, keys, monitored)
    pk = aqi_periods.report_partners(standard)
    partners = {k: _num(values.get(k)) for k in pk} if pk else None
    out = aqi_cn.compute(conc, standard=standard, partners=partners).to_dict()
    iaqi = out["iaqi"]
    of = aqi_periods.POLLUTANT_OF
    watched: set[str] = set()
    absent: set[str] = set()  # no usable value this hour, or one the standard does not index (2012 SO2 1-h > 800)
    present: set[str] = set()
    for k, v in conc.items():
        p = of.get(k) or aqi_periods.pollutant_of(k)
        watched.add(p)
        (absent if v is None or iaqi.get(k) is None else present).add(p)
    out["monitored"] = [p for p in POLLUTANTS if p in watched]
    out["missing"] = [p for p in POLLUTANTS if p in absent and p not in present] if absent else []
    return out


def _us_units(values: dict[str, Any]) -> dict[str, float | None]:
    """The US scale wants ppm/ppb: convert the stored µg/m³ (mg/m³ CO) hourly values back."""
    def conv(key: str, factor: float, scale: float = 1.0) -> float | None:
        v = _num(values.get(key))
        return None if v is None else v / factor / scale

    return {
        "pm25_24h": _num(values.get("pm25_24h", values.get("pm25_1h"))),
        "pm10_24h": _num(values.get("pm10_24h", values.get("pm10_1h"))),
        "o3_8h": conv("o3_8h", PER_PPB["o3"], 1000.0),
        "o3_1h": conv("o3_1h", PER_PPB["o3"], 1000.0),
        "so2_1h": conv("so2_1h", PER_PPB["so2"]),
        "no2_1h": conv("no2_1h", PER_PPB["no2"]),
        "co_8h": conv("co_8h", CO_PER_PPM) if "co_8h" in values else conv("co_1h", CO_PER_PPM),
    }


def derive_traffic(values: dict[str, Any], meta: dict[str, Any],
                   cfg: traffic.TrafficConfig | None = None) -> dict[str, Any]:
    """Congestion level of one segment from its speed and road class (AMap's own status when it gives no speed)."""
    speed = _num(values.get("speed_kmh"))
    free = _num(values.get("free_flow_kmh"))
    if speed is None:
        amap = AMAP_STATUS_LEVEL.get(str(values.get("status_amap", "")).strip())
        return {"level": amap, "level_source": "amap_status"} if amap else {"level": None}
    level = traffic.segment_level(speed, str(meta.get("road_class", "arterial")), config=cfg)
    ratio = None if not free else round(speed / free, 3)
    return {"level": level, "speed_ratio": ratio}


def derive_water(values: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """GB 3838-2002 class (single-factor) and black-odorous grade of one section."""
    sample = {k: _num(values.get(k)) for k in ("do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "ph")}
    sample = {k: v for k, v in sample.items() if v is not None}
    wc = water.classify(sample, waterbody=str(meta.get("waterbody", "river")))
    bo_sample = {k: _num(values.get(k)) for k in ("transparency_cm", "do", "orp_mv", "nh3n")}
    # no black-odorous indicator in the sample: the grade is unknown (None), the GB 3838 class still stands
    bo = (water.black_odorous(bo_sample, depth_cm=_num(meta.get("depth_cm")))
          if any(v is not None for v in bo_sample.values()) else None)
    return {"klass": wc.klass, "worst": list(wc.worst), "black_odorous": bo}


def derive_service(values: dict[str, Any], ts_ms: int) -> dict[str, Any]:
    """Open/closed, due and closing times of one Open311 case, for the overdue and on-time indexes."""
    status = str(values.get("status", "open")).lower()
    due = parse_time_ms(values.get("expected_datetime"))
    out: dict[str, Any] = {"status": status, "due_ms": due,
                           "requested_ms": parse_time_ms(values.get("requested_datetime"))}
    if status == "closed":
        closed_ms = parse_time_ms(values.get("updated_datetime")) or ts_ms
        out["closed_ms"] = closed_ms
        out["late"] = due is not None and closed_ms > due
    return out


def derive(reading: Reading, *, aqi_setting: str = "auto", traffic_cfg: traffic.TrafficConfig | None = None,
           observed_ms: int | None = None) -> dict[str, Any]:
    """The derived indicators stored beside a reading's raw values.

    An air reading is judged under the standard in force when it was observed (`observed_ms`, default its ts).
    """
    if reading.feed == "air":
        when = reading.ts if observed_ms is None else observed_ms
        return derive_air(reading.values, air_standard(aqi_setting, when))
    if reading.feed == "traffic":
        return derive_traffic(reading.values, reading.meta, traffic_cfg)
    if reading.feed == "water":
        return derive_water(reading.values, reading.meta)
    if reading.feed == "service":
        return derive_service(reading.values, reading.ts)
    return {}
