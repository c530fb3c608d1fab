"""Gas unit conversions at 298.15 K and 1013.25 hPa (standards.md §1.2), done once at ingest.

Factors: µg/m³ per ppb SO2 2.619, NO2 1.880, O3 1.962; CO mg/m³ per ppm 1.145. Products are computed on exact
decimals and returned as the nearest float, so 10 ppb SO2 gives 26.19 (not 26.189999999999998) and the AQI code
sees the decimal a human would write. Keys may be a pollutant ("so2") or an AQI key ("so2_1h").
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["CO_MGM3_PER_PPM", "CO_PER_PPM", "PER_PPB", "UGM3_PER_PPB", "mgm3_to_ppm_co", "ppb_to_mgm3_co",
           "ppb_to_ugm3", "ppm_to_mgm3_co", "ppm_to_ugm3", "ugm3_to_ppb", "ugm3_to_ppm"]

UGM3_PER_PPB: dict[str, Decimal] = {"so2": Decimal("2.619"), "no2": Decimal("1.880"), "o3": Decimal("1.962")}
CO_MGM3_PER_PPM = Decimal("1.145")
# The same factors as floats, for the hot paths (sources, derive): the one table of them, read everywhere.
PER_PPB: dict[str, float] = {gas: float(f) for gas, f in UGM3_PER_PPB.items()}
CO_PER_PPM = float(CO_MGM3_PER_PPM)
_THOUSAND = Decimal(1000)


def _dec(value: float) -> Decimal:
    """Exact decimal of a reading (floats via their shortest repr); rejects NaN, infinities and bools."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    result = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _factor(key: str) -> Decimal:
    """Factor for 'so2', 'no2', 'o3' or an AQI key like 'o3_8h'."""
    gas = key.split("_", 1)[0].lower()
    try:
        return UGM3_PER_PPB[gas]
    except KeyError:
        raise ValueError(f"no ppb->µg/m³ factor for {key!r}; expected so2, no2 or o3 (CO: use *_co)") from None


def ppb_to_ugm3(key: str, ppb: float) -> float:
    """SO2/NO2/O3 ppb -> µg/m³."""
    return float(_dec(ppb) * _factor(key))


def ppm_to_ugm3(key: str, ppm: float) -> float:
    """SO2/NO2/O3 ppm -> µg/m³."""
    return float(_dec(ppm) * _THOUSAND * _factor(key))


def ugm3_to_ppb(key: str, ugm3: float) -> float:
    """SO2/NO2/O3 µg/m³ -> ppb (for the US AQI, whose tables are in ppb/ppm)."""
    return float(_dec(ugm3) / _factor(key))


def ugm3_to_ppm(key: str, ugm3: float) -> float:
    """SO2/NO2/O3 µg/m³ -> ppm (the US O3 tables are in ppm)."""
    return float(_dec(ugm3) / _factor(key) / _THOUSAND)


def ppm_to_mgm3_co(ppm: float) -> float:
    """CO ppm -> mg/m³ (China's CO unit)."""
    return float(_dec(ppm) * CO_MGM3_PER_PPM)


def ppb_to_mgm3_co(ppb: float) -> float:
    """CO ppb -> mg/m³."""
    return float(_dec(ppb) / _THOUSAND * CO_MGM3_PER_PPM)


def mgm3_to_ppm_co(mgm3: float) -> float:
    """CO mg/m³ -> ppm (the US CO table is in ppm)."""
    return float(_dec(mgm3) / CO_MGM3_PER_PPM)
