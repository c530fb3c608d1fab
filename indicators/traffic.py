"""Road congestion levels and the network traffic performance index (TPI, 0-10), with configurable thresholds.

Every number here is an [UNVERIFIED] default from standards.md §4, because its attribution is not verified:
- segment level by speed (km/h), 1 smooth .. 5 severe: expressway >65 / (50,65] / (35,50] / (20,35] / <=20;
  arterial >40 / 30 / 20 / 15; secondary and local >35 / 25 / 15 / 10 (each bound belongs to the worse level, as the
  reference's "<=20" for level 5 implies).
- TPI: per segment the delay ratio d = 1 - v / v_free (clamped to 0..1; faster than free flow is d = 0) is mapped
  piecewise-linearly d 0, .3, .5, .6, .7, 1 -> TPI 0, 2, 4, 6, 8, 10 ("one public reading of GB/T 33171 App. C");
  the network TPI is the length-weighted mean of the segment TPIs (VKT weighting needs volumes the feeds lack).
- TPI levels (GB/T 33171-2016 names): [0,2) 畅通, [2,4) 基本畅通, [4,6) 轻度拥堵, [6,8) 中度拥堵, [8,10] 严重拥堵.
Cities override them in config/indicators.yaml (loaded by config.indicator_config.load_traffic_config); every function
takes `config=`. Level colours: ColorBrewer RdYlGn, 5 classes, reversed (green = smooth), a documented scale.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["DEFAULT_CONFIG", "LEVELS", "ROAD_CLASSES", "TrafficConfig", "level_info", "segment_level", "segment_weight",
           "tpi", "tpi_level", "tpi_of"]

ROAD_CLASSES: tuple[str, ...] = ("expressway", "arterial", "secondary", "local")

# Names and colours only: the TPI bounds of each level come from the config (TrafficConfig.tpi_level_bounds).
LEVELS: list[dict[str, Any]] = [
    {"level": 1, "zh": "畅通", "en": "Smooth", "color": "#1A9641"},
    {"level": 2, "zh": "基本畅通", "en": "Basically smooth", "color": "#A6D96A"},
    {"level": 3, "zh": "轻度拥堵", "en": "Lightly congested", "color": "#FFFFBF"},
    {"level": 4, "zh": "中度拥堵", "en": "Moderately congested", "color": "#FDAE61"},
    {"level": 5, "zh": "严重拥堵", "en": "Severely congested", "color": "#D7191C"},
]

_DEFAULT_SPEEDS = {
    "expressway": (65.0, 50.0, 35.0, 20.0),
    "arterial": (40.0, 30.0, 20.0, 15.0),
    "secondary": (35.0, 25.0, 15.0, 10.0),
    "local": (35.0, 25.0, 15.0, 10.0),
}
_DEFAULT_CURVE = ((0.0, 0.0), (0.3, 2.0), (0.5, 4.0), (0.6, 6.0), (0.7, 8.0), (1.0, 10.0))


def _strictly(values: tuple[float, ...], descending: bool) -> bool:
    """True if the values are finite and strictly monotone in the given direction."""
    pairs = zip(values, values[1:], strict=False)
    ok = all(a > b for a, b in pairs) if descending else all(a < b for a, b in pairs)
    return ok and all(math.isfinite(v) for v in values)


@dataclass(frozen=True, slots=True)
class TrafficConfig:
    """Thresholds for segment levels and the TPI; defaults are the reference's [UNVERIFIED] values (§4)."""

    speed_thresholds_kmh: Mapping[str, tuple[float, ...]] = field(default_factory=lambda: dict(_DEFAULT_SPEEDS))
    tpi_level_bounds: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0)
    delay_ratio_to_tpi: tuple[tuple[float, float], ...] = _DEFAULT_CURVE

    def __post_init__(self) -> None:
        """Validate once and freeze the containers, so a bad YAML fails at load time, not on the wall."""
        speeds = {str(k): tuple(float(v) for v in vs) for k, vs in dict(self.speed_thresholds_kmh).items()}
        for road, bounds in speeds.items():
            if len(bounds) != 4 or not _strictly(bounds, descending=True) or bounds[-1] < 0:
                raise ValueError(f"speed thresholds for {road!r} must be 4 decreasing speeds >= 0, got {bounds}")
        bounds = tuple(float(b) for b in self.tpi_level_bounds)
        if len(bounds) != 4 or not _strictly(bounds, descending=False) or not (bounds[0] > 0 and bounds[-1] < 10):
            raise ValueError(f"tpi_level_bounds must be 4 increasing values inside (0, 10), got {bounds}")
        curve = tuple((float(d), float(t)) for d, t in self.delay_ratio_to_tpi)
        xs, ys = tuple(p[0] for p in curve), tuple(p[1] for p in curve)
        if len(curve) < 2 or xs[0] != 0 or xs[-1] != 1 or ys[0] != 0 or ys[-1] != 10:
            raise ValueError(f"delay_ratio_to_tpi must run from (0, 0) to (1, 10), got {curve}")
        if not _strictly(xs, descending=False) or not all(a <= b for a, b in zip(ys, ys[1:], strict=False)):
            raise ValueError(f"delay_ratio_to_tpi must increase in d and not decrease in TPI, got {curve}")
        object.__setattr__(self, "speed_thresholds_kmh", MappingProxyType(speeds))
        object.__setattr__(self, "tpi_level_bounds", bounds)
        object.__setattr__(self, "delay_ratio_to_tpi", curve)


DEFAULT_CONFIG = TrafficConfig()


def _number(value: object, what: str) -> float:
    """A finite float or a ValueError naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return result


def segment_level(speed_kmh: float, road_class: str, *, config: TrafficConfig | None = None) -> int:
    """1 smooth .. 5 severe for one road segment by its speed; ValueError for bad speeds or road classes."""
    cfg = config or DEFAULT_CONFIG
    bounds = cfg.speed_thresholds_kmh.get(road_class)
    if bounds is None:
        raise ValueError(f"unknown road class {road_class!r}; expected one of {tuple(cfg.speed_thresholds_kmh)}")
    speed = _number(speed_kmh, "speed_kmh")
    if speed < 0:
        raise ValueError(f"speed_kmh must be >= 0, got {speed_kmh!r}")
    return 1 + sum(speed <= bound for bound in bounds)


def _segment_tpi(d: float, curve: tuple[tuple[float, float], ...]) -> float:
    """Piecewise-linear delay ratio -> TPI; a ratio exactly on a knot returns the knot's TPI with no float noise."""
    xs = [p[0] for p in curve]
    i = bisect_left(xs, d)
    if xs[i] == d:
        return curve[i][1]
    (x0, y0), (x1, y1) = curve[i - 1], curve[i]
    return y0 + (y1 - y0) * (d - x0) / (x1 - x0)


def segment_weight(speed: Any, free: Any, length: Any, *, config: TrafficConfig | None = None) -> tuple[float, float]:
    """One segment's two terms of the network TPI: (length x segment TPI, length); ValueError on a bad segment."""
    curve = (config or DEFAULT_CONFIG).delay_ratio_to_tpi
    speed, free, length = (_number(v, "segment") for v in (speed, free, length))
    if speed < 0 or free <= 0 or length <= 0:
        raise ValueError(f"need speed >= 0, free-flow speed > 0, length > 0, got {(speed, free, length)!r}")
    d = min(1.0, max(0.0, 1.0 - speed / free))
    return length * _segment_tpi(d, curve), length


def tpi_of(weights: Iterable[tuple[float, float]]) -> float:
    """Network TPI from segment_weight terms: the length-weighted mean, rounded to 1e-9 (see tpi)."""
    weighted: list[float] = []
    lengths: list[float] = []
    for w, length in weights:
        weighted.append(w)
        lengths.append(length)
    if not lengths:
        raise ValueError("tpi needs at least one segment")
    return tpi_from_sums(math.fsum(weighted), math.fsum(lengths))


def tpi_from_sums(weighted: float, length: float) -> float:
    """Network TPI from the (correctly rounded) sums of the segments' two terms, rounded to 1e-9 (see tpi)."""
    return round(weighted / length, 9)


def tpi(segments: Iterable[tuple[float, float, float]], *, config: TrafficConfig | None = None) -> float:
    """Network TPI 0..10 from (speed, free-flow speed, length m) per segment, length-weighted.

    The result is rounded to 1e-9 so a network exactly on a level bound is not pushed below it by float noise.
    """
    def weights() -> Iterable[tuple[float, float]]:
        for i, segment in enumerate(segments):
            try:
                yield segment_weight(*segment, config=config)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"segment {i}: {exc}; got {segment!r}") from None

    return tpi_of(weights())


def tpi_level(tpi: float, *, config: TrafficConfig | None = None) -> int:
    """1..5 for a TPI (lower bounds belong to the worse level); see LEVELS for names and colours."""
    value = _number(tpi, "tpi")
    if not 0 <= value <= 10:
        raise ValueError(f"tpi must be within 0..10, got {tpi!r}")
    return 1 + sum(value >= bound for bound in (config or DEFAULT_CONFIG).tpi_level_bounds)


def level_info(level: int) -> dict[str, Any]:
    """The LEVELS entry (names zh/en, colour) for a level 1..5 from segment_level or tpi_level."""
    if isinstance(level, bool) or level not in (1, 2, 3, 4, 5):
        raise ValueError(f"traffic level must be 1..5, got {level!r}")
    return dict(LEVELS[level - 1])
