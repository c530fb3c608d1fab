"""Loads config/indicators.yaml into indicator config objects: the one place indicator settings touch the disk."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from indicators.traffic import TrafficConfig

DEFAULT_PATH = Path(__file__).with_name("indicators.yaml")
_TRAFFIC_FIELDS = ("speed_thresholds_kmh", "tpi_level_bounds", "delay_ratio_to_tpi")


def load_traffic_config(path: str | Path | None = None) -> TrafficConfig:
    """TrafficConfig from the YAML's `traffic:` section; absent fields keep the [UNVERIFIED] defaults.

    Unknown fields and invalid values raise ValueError, so a typo in a city's file fails at start-up.
    """
    with open(path or DEFAULT_PATH, encoding="utf-8") as fh:
        document: Any = yaml.safe_load(fh) or {}
    if not isinstance(document, Mapping):
        raise ValueError(f"{path or DEFAULT_PATH}: expected a mapping at the top level")
    section = document.get("traffic") or {}
    if not isinstance(section, Mapping):
        raise ValueError(f"{path or DEFAULT_PATH}: 'traffic' must be a mapping")
    unknown = set(section) - set(_TRAFFIC_FIELDS)
    if unknown:
        raise ValueError(f"{path or DEFAULT_PATH}: unknown traffic settings {sorted(unknown)}")
    try:
        return TrafficConfig(**{name: section[name] for name in _TRAFFIC_FIELDS if name in section})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path or DEFAULT_PATH}: invalid traffic settings: {exc}") from exc
