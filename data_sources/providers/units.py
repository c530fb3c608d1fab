"""Provider units -> the stored ones (µg/m³, CO in mg/m³), converted once at the source (standards.md §1.2)."""

from __future__ import annotations

import math

from indicators.units import CO_PER_PPM, PER_PPB  # µg/m³ per ppb, mg/m³ per ppm CO (standards.md §1.2)

POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm25")
_ALIASES = {"pm2.5": "pm25", "pm2_5": "pm25", "pm_25": "pm25", "pm_10": "pm10"}
_UNITS = {
    "µg/m³": "ugm3", "μg/m³": "ugm3", "ug/m3": "ugm3", "µg/m3": "ugm3", "μg/m3": "ugm3", "gq": "ugm3",
    "mg/m³": "mgm3", "mg/m3": "mgm3", "gp": "mgm3",
    "ppb": "ppb", "61": "ppb", "ppm": "ppm", "59": "ppm",
}  # fmt: skip  (GQ, GP, 59, 61: UN/CEFACT codes used by NGSI `unitCode`)


class UnitError(ValueError):
    """A value in a unit that cannot be converted safely (never stored unconverted)."""


def pollutant(name: str) -> str | None:
    """Canonical pollutant slug (so2 no2 co o3 pm10 pm25) of a provider's parameter name, or None."""
    n = name.strip().lower()
    n = _ALIASES.get(n, n)
    return n if n in POLLUTANTS else None


def unit_kind(unit: str | None) -> str | None:
    """'ugm3' | 'mgm3' | 'ppb' | 'ppm' for a unit string or UN/CEFACT code; None when absent."""
    if unit is None or unit == "":
        return None
    kind = _UNITS.get(unit.strip().lower()) or _UNITS.get(unit.strip())
    if kind is None:
        raise UnitError(f"unknown unit {unit!r}")
    return kind


def to_standard(poll: str, value: float, unit: str | None, default: str = "ugm3") -> float:
    """A concentration in the stored unit: µg/m³ for everything but CO, which is mg/m³."""
    if not math.isfinite(value) or value < 0:
        raise UnitError(f"{poll}: invalid concentration {value!r}")
    kind = unit_kind(unit) or default
    if poll == "co":
        factor = {"ugm3": 0.001, "mgm3": 1.0, "ppb": CO_PER_PPM / 1000.0, "ppm": CO_PER_PPM}[kind]
    elif poll in ("pm10", "pm25"):
        if kind in ("ppb", "ppm"):
            raise UnitError(f"{poll}: particulate matter cannot be in {unit}")
        factor = 1000.0 if kind == "mgm3" else 1.0
    else:
        factor = {"ugm3": 1.0, "mgm3": 1000.0, "ppb": PER_PPB[poll], "ppm": PER_PPB[poll] * 1000.0}[kind]
    return round(value * factor, 3)
