"""Segment congestion levels and the network TPI with their [UNVERIFIED] configurable defaults (standards.md §4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.indicator_config import load_traffic_config
from indicators import traffic
from indicators.traffic import TrafficConfig


@pytest.mark.parametrize(
    ("road", "speed", "expected"),
    [  # standards.md §4: expressway >65 / 50-65 / 35-50 / 20-35 / <=20 (bounds go to the worse level)
        ("expressway", 65.1, 1), ("expressway", 65, 2), ("expressway", 50.1, 2), ("expressway", 50, 3),
        ("expressway", 35, 4), ("expressway", 20.1, 4), ("expressway", 20, 5), ("expressway", 0, 5),
        # arterial >40 / 30-40 / 20-30 / 15-20 / <=15
        ("arterial", 40.1, 1), ("arterial", 40, 2), ("arterial", 30, 3), ("arterial", 20, 4), ("arterial", 15.1, 4),
        ("arterial", 15, 5),
        # secondary & local >35 / 25-35 / 15-25 / 10-15 / <=10
        ("secondary", 35.1, 1), ("secondary", 35, 2), ("secondary", 25, 3), ("secondary", 15, 4),
        ("secondary", 10, 5), ("local", 35.1, 1), ("local", 10.1, 4), ("local", 10, 5), ("local", 120, 1),
    ],
)
def test_segment_level(road: str, speed: float, expected: int) -> None:
    assert traffic.segment_level(speed, road) == expected


@pytest.mark.parametrize(("speed", "road"), [(-1, "local"), (float("nan"), "local"), (30, "motorway")])
def test_segment_level_rejects_bad_input(speed: float, road: str) -> None:
    with pytest.raises(ValueError):
        traffic.segment_level(speed, road)


@pytest.mark.parametrize(
    ("speed", "free", "expected"),
    [  # standards.md §4: d 0->.3 => 0->2, .3->.5 => 2->4, .5->.6 => 4->6, .6->.7 => 6->8, .7->1 => 8->10
        (100, 100, 0.0), (70, 100, 2.0), (50, 100, 4.0), (40, 100, 6.0), (30, 100, 8.0), (0, 100, 10.0),
        (85, 100, 1.0), (60, 100, 3.0), (45, 100, 5.0), (35, 100, 7.0), (15, 100, 9.0),
        (120, 100, 0.0),  # faster than free flow: no delay
    ],
)
def test_tpi_mapping_knots_and_midpoints(speed: float, free: float, expected: float) -> None:
    assert traffic.tpi([(speed, free, 500.0)]) == pytest.approx(expected, abs=1e-9)


def test_tpi_is_length_weighted() -> None:
    # standards.md §4: network value length-weighted over segments.
    assert traffic.tpi([(50, 100, 300), (100, 100, 100)]) == 3.0
    assert traffic.tpi(iter([(30, 100, 1), (30, 100, 1)])) == 8.0


@pytest.mark.parametrize("segments", [[], [(50, 0, 100)], [(50, 100, 0)], [(-5, 100, 10)], [("x", 100, 10)]])
def test_tpi_rejects_bad_segments(segments: list[tuple[float, float, float]]) -> None:
    with pytest.raises(ValueError):
        traffic.tpi(segments)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (1.99, 1), (2, 2), (3.99, 2), (4, 3), (6, 4), (7.999, 4), (8, 5), (10, 5)],  # standards.md §4 levels
)
def test_tpi_level(value: float, expected: int) -> None:
    assert traffic.tpi_level(value) == expected


@pytest.mark.parametrize("value", [-0.1, 10.1, float("nan")])
def test_tpi_level_rejects_out_of_range(value: float) -> None:
    with pytest.raises(ValueError):
        traffic.tpi_level(value)


def test_levels_names_and_colours() -> None:
    # standards.md §4: GB/T 33171-2016 level names; colours documented as ColorBrewer RdYlGn (reversed).
    assert [lv["zh"] for lv in traffic.LEVELS] == ["畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵"]
    assert [lv["level"] for lv in traffic.LEVELS] == [1, 2, 3, 4, 5]
    assert traffic.level_info(5)["en"] == "Severely congested"
    with pytest.raises(ValueError):
        traffic.level_info(0)


def test_config_changes_every_rule() -> None:
    cfg = TrafficConfig(
        speed_thresholds_kmh={"expressway": (80, 60, 40, 20)},
        tpi_level_bounds=(1, 3, 5, 7),
        delay_ratio_to_tpi=((0, 0), (0.5, 5), (1, 10)),
    )
    assert traffic.segment_level(70, "expressway", config=cfg) == 2
    with pytest.raises(ValueError):
        traffic.segment_level(70, "arterial", config=cfg)
    assert traffic.tpi([(60, 100, 1)], config=cfg) == 4.0
    assert traffic.tpi_level(1, config=cfg) == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"speed_thresholds_kmh": {"local": (10, 20, 30, 40)}},
        {"speed_thresholds_kmh": {"local": (40, 30, 20)}},
        {"tpi_level_bounds": (2, 2, 6, 8)},
        {"tpi_level_bounds": (0, 4, 6, 8)},
        {"delay_ratio_to_tpi": ((0, 0), (0.5, 6))},
        {"delay_ratio_to_tpi": ((0, 0), (0.5, 6), (0.4, 7), (1, 10))},
    ],
)
def test_invalid_config_is_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        TrafficConfig(**kwargs)


def test_yaml_defaults_equal_the_reference_defaults() -> None:
    # config/indicators.yaml holds the same [UNVERIFIED] defaults as TrafficConfig() (standards.md §4).
    assert load_traffic_config() == TrafficConfig() == traffic.DEFAULT_CONFIG


def test_yaml_overrides_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "indicators.yaml"
    path.write_text("traffic:\n  tpi_level_bounds: [1, 3, 5, 7]\n", encoding="utf-8")
    cfg = load_traffic_config(path)
    assert cfg.tpi_level_bounds == (1.0, 3.0, 5.0, 7.0)
    assert cfg.speed_thresholds_kmh == TrafficConfig().speed_thresholds_kmh
    path.write_text("traffic:\n  tpi_bounds: [1, 3, 5, 7]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown traffic settings"):
        load_traffic_config(path)
    path.write_text("traffic:\n  tpi_level_bounds: [5, 3]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="invalid traffic settings"):
        load_traffic_config(path)


speeds = st.floats(min_value=0, max_value=200)


@given(road=st.sampled_from(traffic.ROAD_CLASSES), a=speeds, b=speeds)
def test_segment_level_never_improves_as_speed_drops(road: str, a: float, b: float) -> None:
    slow, fast = sorted((a, b))
    assert 1 <= traffic.segment_level(fast, road) <= traffic.segment_level(slow, road) <= 5


@given(
    segments=st.lists(st.tuples(speeds, st.floats(1, 200), st.floats(1, 5000)), min_size=1, max_size=20),
    factor=st.floats(0, 1),
)
def test_tpi_bounded_and_rises_as_speeds_drop(segments: list[tuple[float, float, float]], factor: float) -> None:
    value = traffic.tpi(segments)
    slower = traffic.tpi([(v * factor, f, length) for v, f, length in segments])
    assert 0 <= value <= slower + 1e-9 <= 10 + 1e-9
    assert 1 <= traffic.tpi_level(value) <= traffic.tpi_level(slower) <= 5
