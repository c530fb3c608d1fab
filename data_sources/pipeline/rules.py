"""The pipeline's rules from a city profile: plausibility ranges, city bounds, declared monitors, the AQI rule.

Built once at start (`rules_for`), validated with errors that name the profile field and say what is expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.settings import CONFIG_DIR, load_yaml
from core.coords import bbox
from core.geo import GEO_DIR
from core.metrics import METRICS
from indicators.aqi_periods import POLLUTANTS, PUBLISHED, RULES
from indicators.traffic import TrafficConfig

PLAUSIBILITY_FILE = CONFIG_DIR / "plausibility.yaml"
LEARN_DAYS = 7.0  # a pollutant reported in the last week is monitored (city profile: air_monitors.learn_days)
_DEFAULT_MARGIN_DEG = 0.5
Range = tuple[float, float]
Box = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


@dataclass(frozen=True, slots=True)
class Rules:
    """What the pipeline takes from the city profile, built once at start (rules_for)."""

    aqi_standard: str = "auto"
    aqi_rule: str = PUBLISHED
    traffic_cfg: TrafficConfig | None = None
    plausible: Mapping[str, Mapping[str, Range]] = field(default_factory=dict)
    bounds: Box | None = None  # the city's box grown by the margin: outside it a point is flagged
    monitors: Mapping[str, frozenset[str]] = field(default_factory=dict)  # station -> declared pollutants
    monitors_default: frozenset[str] | None = None
    learn_ms: int = int(LEARN_DAYS * 86_400_000)


def _range(value: Any, where: str) -> Range | None:
    if value is None:
        return None
    if (not isinstance(value, list | tuple) or len(value) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value) or value[0] > value[1]):
        raise ValueError(f"{where}: expected [low, high] numbers with low <= high, got {value!r}")
    return float(value[0]), float(value[1])


def plausibility(city: Mapping[str, Any], path: Path = PLAUSIBILITY_FILE) -> dict[str, dict[str, Range]]:
    """The shipped plausibility table with the city profile's `plausibility:` overrides applied (null removes one)."""
    table: dict[str, dict[str, Range]] = {}
    for layer, name in ((load_yaml(path), path.name), (city.get("plausibility") or {}, "plausibility")):
        if not isinstance(layer, dict):
            raise ValueError(f"{name}: expected a mapping feed -> {{key: [low, high]}}")
        for feed, ranges in layer.items():
            if feed not in METRICS or not isinstance(ranges, dict):
                raise ValueError(f"{name}.{feed}: expected one of {', '.join(METRICS)} mapping keys to [low, high]")
            for key, value in ranges.items():
                if key not in METRICS[feed]:
                    raise ValueError(f"{name}.{feed}.{key}: not a value key of feed {feed}")
                rng = _range(value, f"{name}.{feed}.{key}")
                if rng is None:
                    table.setdefault(feed, {}).pop(key, None)
                else:
                    table.setdefault(feed, {})[key] = rng
    return table


def _pollutants(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(p, str) and p in POLLUTANTS for p in value):
        raise ValueError(f"{where}: expected a list of pollutants among {', '.join(POLLUTANTS)}")
    return frozenset(value)


def _geo_box(city: Mapping[str, Any], geo_dir: Path) -> Box | None:
    """The bounding box of the city's district boundaries (None when the profile names no file)."""
    name = (city.get("geo") or {}).get("districts")
    if not name:
        return None
    try:
        data = json.loads((geo_dir / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"geo.districts: cannot read {name}: {exc}") from exc
    return bbox(data)


def rules_for(city: Mapping[str, Any], *, traffic_cfg: TrafficConfig | None = None, geo_dir: Path = GEO_DIR,
              plausibility_path: Path = PLAUSIBILITY_FILE) -> Rules:
    """Rules from a city profile; ValueError names the profile field and what is expected."""
    rule = str(city.get("aqi_realtime_rule") or PUBLISHED)
    if rule not in RULES:
        raise ValueError(f"aqi_realtime_rule: {rule!r} is not one of {', '.join(RULES)}")
    box = city.get("bounds")
    if box is not None:
        if (not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, int | float) for v in box)
                or not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90)):
            raise ValueError("bounds: expected [min_lon, min_lat, max_lon, max_lat] in WGS-84 degrees")
        box = tuple(float(v) for v in box)
    else:
        box = _geo_box(city, geo_dir)
    margin = city.get("bounds_margin_deg", _DEFAULT_MARGIN_DEG)
    if not isinstance(margin, int | float) or margin < 0:
        raise ValueError("bounds_margin_deg: expected a number of degrees >= 0")
    if box is not None:
        m = max(float(margin), 0.0)
        box = (box[0] - m, box[1] - m, box[2] + m, box[3] + m)
    mon = city.get("air_monitors") or {}
    if not isinstance(mon, dict):
        raise ValueError("air_monitors: expected {default: [pollutants], stations: {id: [pollutants]}, learn_days}")
    unknown = set(mon) - {"default", "stations", "learn_days"}
    if unknown:
        raise ValueError(f"air_monitors.{sorted(unknown)[0]}: unknown (allowed: default, stations, learn_days)")
    stations = mon.get("stations") or {}
    if not isinstance(stations, dict):
        raise ValueError("air_monitors.stations: expected a mapping station id -> [pollutants]")
    learn = mon.get("learn_days", LEARN_DAYS)
    if not isinstance(learn, int | float) or not 0 < learn <= 366:
        raise ValueError("air_monitors.learn_days: expected a number of days in (0, 366]")
    return Rules(
        aqi_standard=str(city.get("aqi_standard", "auto")), aqi_rule=rule, traffic_cfg=traffic_cfg,
        plausible=plausibility(city, plausibility_path), bounds=box,  # type: ignore[arg-type]
        monitors={str(k): _pollutants(v, f"air_monitors.stations.{k}") for k, v in stations.items()},
        monitors_default=_pollutants(mon["default"], "air_monitors.default") if "default" in mon else None,
        learn_ms=int(float(learn) * 86_400_000))




def default_rules(aqi_standard: str = "auto", traffic_cfg: TrafficConfig | None = None) -> Rules:
    """Rules without a city profile: the shipped plausibility table, no bounds, nothing declared."""
    return Rules(aqi_standard=aqi_standard, traffic_cfg=traffic_cfg, plausible=plausibility({}))
