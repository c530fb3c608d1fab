"""Which averaging periods enter a China AQI report, and which pollutants a station monitors (standards.md §1.3).

`report_keys(standard, report, rule)` is the standards rule, kept apart from the arithmetic in `aqi_cn`:

- **Real-time (hourly) report, rule `published` (the default, HJ 633-2012 and HJ 633-2026 alike):** the 1-h SO2,
  NO2, CO and O3 values and the **1-h** PM2.5 and PM10 values, the PM read on the 24-h PM columns (the `pm*_1h` keys
  of `aqi_cn` do that), with no O3-8h term. This is HJ 633-2026's text (§1.3) and what China's national platform
  published under 2012 as well: its real-time station AQI of 2017–2022 is reproduced exactly by this rule.
- **Real-time report, rule `text-2012`:** the HJ 633-2012 text's variant, PM from the 24-h moving averages
  (`pm10_24h`, `pm25_24h`) instead of the 1-h values, for readings judged under HJ 633-2012 (under 2026 the text
  itself says 1-h PM). Kept by name for whoever must follow the 2012 text to the letter; never the default.
- **HJ 633-2012's SO2 special case:** SO2 1-h above 800 µg/m³ is reported with the SO2 24-h IAQI; the 24-h mean
  is passed to the arithmetic as a partner only (`report_partners`), so it never enters the hourly AQI otherwise.
- **Daily report:** the 24-h means of SO2, NO2, CO, PM10 and PM2.5 and the daily maximum 8-h O3 (`o3_8h`); HJ
  633-2012 also has the daily maximum 1-h O3 (`o3_1h`). The rule does not change the daily report.

Monitored versus missing (HJ 633-2026 §5.3): `aqi_cn.compute` treats a key given as None as a pollutant that is
monitored but missing this hour (§5.3.1: then the AQI is published only when it is above 100), and a key left out as
a pollutant the station does not monitor (§5.3.2: the AQI comes from the others). `concentrations` builds that
mapping from a reading's values and the set of pollutants the station monitors; a pollutant with a value this hour
is monitored whatever the set says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from indicators.aqi_cn import STANDARD_2012, STANDARDS

__all__ = ["DAILY", "POLLUTANTS", "PUBLISHED", "REALTIME", "REALTIME_KEYS", "REPORTS", "RULES", "TEXT_2012",
           "concentrations", "missing_pollutants", "pollutant_of", "report_keys", "report_partners"]

REALTIME, DAILY = "realtime", "daily"
REPORTS = (REALTIME, DAILY)
PUBLISHED, TEXT_2012 = "published", "text-2012"
RULES = (PUBLISHED, TEXT_2012)
POLLUTANTS: tuple[str, ...] = ("so2", "no2", "co", "o3", "pm10", "pm25")

REALTIME_KEYS = ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h")  # the published real-time report
_REALTIME_TEXT_2012 = ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_24h", "pm25_24h")
_DAILY_2026 = ("so2_24h", "no2_24h", "co_24h", "o3_8h", "pm10_24h", "pm25_24h")
_DAILY_2012 = ("so2_24h", "no2_24h", "co_24h", "o3_1h", "o3_8h", "pm10_24h", "pm25_24h")


def report_keys(standard: str, report: str = REALTIME, rule: str = PUBLISHED) -> tuple[str, ...]:
    """The `aqi_cn` keys whose IAQIs make up one report's AQI under a standard (see the module docstring)."""
    if standard not in STANDARDS:
        raise ValueError(f"unknown standard {standard!r}; expected one of {STANDARDS}")
    if report not in REPORTS:
        raise ValueError(f"unknown report {report!r}; expected one of {REPORTS}")
    if rule not in RULES:
        raise ValueError(f"unknown real-time AQI rule {rule!r}; expected one of {RULES}")
    if report == DAILY:
        return _DAILY_2012 if standard == STANDARD_2012 else _DAILY_2026
    return _REALTIME_TEXT_2012 if rule == TEXT_2012 and standard == STANDARD_2012 else REALTIME_KEYS


def report_partners(standard: str, report: str = REALTIME) -> tuple[str, ...]:
    """Keys a report needs only for HJ 633-2012's special cases (`aqi_cn.compute(partners=…)`), never in its AQI.

    HJ 633-2012 Table 1 note: SO2 1-h above 800 µg/m³ is not indexed; the SO2 24-h IAQI is reported instead. The
    real-time report has no 24-h SO2 term of its own, so the 24-h mean comes along as a partner.
    """
    return ("so2_24h",) if standard == STANDARD_2012 and report == REALTIME else ()


def pollutant_of(key: str) -> str:
    """'pm25_1h' -> 'pm25'."""
    return _POLLUTANT_OF.get(key) or key.split("_", 1)[0]


POLLUTANT_OF: dict[str, str] = {f"{p}_{period}": p for p in POLLUTANTS for period in ("1h", "8h", "24h")}
_POLLUTANT_OF = POLLUTANT_OF
_NUMBER = (int, float)


def concentrations(values: Mapping[str, Any], keys: Iterable[str],
                   monitored: Iterable[str] | None = None) -> dict[str, float | None]:
    """The `aqi_cn.compute` input: each key of a monitored pollutant, None where its value is missing this hour.

    `monitored` None means "not known": only what the reading carries counts as monitored, so nothing is missing.
    A key sent with an unusable value (negative, NaN, not a number) is a monitored pollutant missing this hour.
    """
    of = _POLLUTANT_OF
    out: dict[str, float | None] = {}
    absent: list[str] = []
    watched = set(monitored) if monitored else set()
    for k in keys:
        v = values.get(k)
        if type(v) in _NUMBER and 0 <= v < math.inf:
            out[k] = v
            watched.add(of.get(k) or pollutant_of(k))
        else:
            if v is not None:
                watched.add(of.get(k) or pollutant_of(k))
            absent.append(k)
    for k in absent:
        if (of.get(k) or pollutant_of(k)) in watched:
            out[k] = None
    return out


def missing_pollutants(conc: Mapping[str, float | None]) -> list[str]:
    """Monitored pollutants with no usable value in the report (in POLLUTANTS order)."""
    missing = {pollutant_of(k) for k, v in conc.items() if v is None}
    if not missing:
        return []
    present = {pollutant_of(k) for k, v in conc.items() if v is not None}
    return [p for p in POLLUTANTS if p in missing and p not in present]
