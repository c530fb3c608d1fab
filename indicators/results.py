"""The AQI result type shared by the China and US scales, so the store and the screens handle one shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AqiResult:
    """One AQI computation tagged with its standard, so a stored value always says which rules made it.

    aqi, level, category_zh, category_en and color are None when no AQI can be published (no valid pollutant, or
    the HJ 633-2026 §5.3.1 missing-data rule); iaqi still holds every sub-index that could be computed.
    """

    aqi: int | None
    iaqi: dict[str, int | None]
    primary: list[str]
    level: int | None
    category_zh: str | None
    category_en: str | None
    color: str | None
    standard: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able copy for the store (no shared mutable state with the result)."""
        return {
            "aqi": self.aqi,
            "iaqi": dict(self.iaqi),
            "primary": list(self.primary),
            "level": self.level,
            "category_zh": self.category_zh,
            "category_en": self.category_en,
            "color": self.color,
            "standard": self.standard,
        }
