"""Display names for levels, classes and pollutants, taken from the indicators' own tables (one source of truth)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from indicators import aqi_cn, traffic, water

POLLUTANTS = {"so2": "SO₂", "no2": "NO₂", "co": "CO", "o3": "O₃", "pm10": "PM10", "pm25": "PM2.5"}


def pollutant(key: str) -> str:
    """'pm25_1h' -> 'PM2.5' (the averaging period is implied by the report)."""
    return POLLUTANTS.get(key.split("_")[0], key)


def _by(table: Any, field: str) -> dict[Any, dict[str, Any]]:
    """Index a list of level dicts by one field."""
    rows = table.values() if isinstance(table, dict) else table
    return {row[field]: row for row in rows}


@cache
def for_lang(lang: str) -> dict[str, Callable[[Any], Any]]:
    """Name and colour look-ups for one language, as the wall view expects them."""
    aqi = _by(aqi_cn.LEVELS, "level")
    tpi = _by(traffic.LEVELS, "level")
    wc = _by(water.CLASSES, "klass")

    def name(table: dict[Any, dict[str, Any]]) -> Callable[[Any], str]:
        return lambda key: table[key][lang] if key in table else ""

    def color(table: dict[Any, dict[str, Any]]) -> Callable[[Any], str | None]:
        return lambda key: table[key]["color"] if key in table else None

    return {"pollutant": pollutant, "aqi_level": name(aqi), "tpi_level": name(tpi), "tpi_color": color(tpi),
            "water_name": name(wc), "water_color": color(wc)}
