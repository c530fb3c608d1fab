"""Gas unit conversions at 298.15 K / 1013.25 hPa (standards.md §1.2)."""

from __future__ import annotations

import pytest

from indicators import aqi_cn, units


@pytest.mark.parametrize(
    ("key", "ppb", "ugm3"),
    [("so2", 10, 26.19), ("no2", 100, 188.0), ("o3", 50, 98.1), ("so2_1h", 1, 2.619), ("O3_8H", 1.5, 2.943)],
)
def test_ppb_to_ugm3_factors(key: str, ppb: float, ugm3: float) -> None:
    # standards.md §1.2: µg/m³ per ppb SO2 2.619, NO2 1.880, O3 1.962 - exact decimals, no float noise.
    assert units.ppb_to_ugm3(key, ppb) == ugm3
    assert units.ppm_to_ugm3(key, ppb / 1000) == ugm3
    assert units.ugm3_to_ppb(key, ugm3) == pytest.approx(ppb, rel=1e-12)
    assert units.ugm3_to_ppm(key, ugm3) == pytest.approx(ppb / 1000, rel=1e-12)


def test_co_conversions() -> None:
    # standards.md §1.2: CO mg/m³ per ppm 1.145.
    assert units.ppm_to_mgm3_co(2) == 2.29
    assert units.ppb_to_mgm3_co(1000) == 1.145
    assert units.mgm3_to_ppm_co(2.29) == 2.0


def test_converted_values_feed_the_aqi_exactly() -> None:
    # 57.25 ppb SO2 * 2.619 = 149.93775 µg/m³; 2012 SO2 1h: 49.98 -> 50 (ceil), and no float noise on the way.
    value = units.ppb_to_ugm3("so2", 57.25)
    assert repr(value) == "149.93775"
    assert aqi_cn.iaqi("so2_1h", value, standard="HJ633-2012") == 50


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1", True])
def test_bad_input_raises(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        units.ppb_to_ugm3("so2", bad)  # type: ignore[arg-type]


def test_unknown_gas_raises() -> None:
    with pytest.raises(ValueError, match="no ppb"):
        units.ppb_to_ugm3("co", 1)
