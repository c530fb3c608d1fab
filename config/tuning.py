"""What the simulator knows of a city beyond its geo files: a profile's `simulator:` mapping, checked when the
profile is loaded (config.settings.check_city) and read by data_sources/simulator/."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

E, A, S, L = "expressway", "arterial", "secondary", "local"
CLASS_OF = {"E": E, "A": A, "S": S, "L": L}  # a profile's road list writes a class as its letter: "天河路 A"
GENERIC_ROADS = (("主干道", A), ("次干道", S), ("支路", L))  # a district the profile names no roads for
DEFAULT_SEGMENTS, DEFAULT_CENTRAL_SEGMENTS = 5, 10


class Tuning(BaseModel):
    """What the simulator knows of a city beyond its geo files: the profile's `simulator:` mapping, every key
    optional (config/cities/*.yaml). Road names are labels only: the geometry is schematic, so every segment name
    carries "（示意）"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    central: frozenset[str] = frozenset()  # adcodes: more segments, deeper rush hours
    segments: dict[str, int] = {}  # adcode -> schematic segments (else DEFAULT_SEGMENTS, central DEFAULT_CENTRAL_...)
    roads: dict[str, list[str]] = {}  # adcode -> ["name CLASS"], CLASS one of E A S L
    population: dict[str, float] = {}  # adcode -> relative 12345 demand (people, any unit); default 1.0
    river_hints: list[tuple[str, float, float]] = []  # name an unnamed river line after the nearest (name, lon, lat)
    river_default: str = "河流"  # the name of an unnamed line no hint is near
    clean_river: str | None = None  # this river's reaches in `upstream` districts are the cleanest
    upstream: frozenset[str] = frozenset()
    urban_streams: frozenset[str] = frozenset()  # small urban streams: the worst baselines
    section_names: dict[str, str] = {}  # river of a shipped river point -> its section's name
    components_box: tuple[float, float, float, float] | None = None  # west, south, east, north of the components

    @field_validator("roads")
    @classmethod
    def _roads(cls, roads: dict[str, list[str]]) -> dict[str, list[str]]:
        for adcode, names in roads.items():
            for entry in names:
                name, _, letter = entry.rpartition(" ")
                if not name.strip() or letter not in CLASS_OF:
                    raise ValueError(f"road {entry!r} of {adcode}: write a name, a space and its class, one of "
                                     "E (expressway), A (arterial), S (secondary), L (local), e.g. '天河路 A'")
        return roads

    @field_validator("population")
    @classmethod
    def _population(cls, population: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in population.items() if not (math.isfinite(v) and v > 0)}
        if bad:
            raise ValueError(f"population weights must be numbers above 0, not {bad}")
        return population

    @field_validator("segments")
    @classmethod
    def _segments(cls, segments: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in segments.items() if not 1 <= v <= 500}
        if bad:
            raise ValueError(f"segments per district must be 1..500, not {bad}")
        return segments

    @field_validator("components_box")
    @classmethod
    def _box(cls, box: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if box is not None and not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
            raise ValueError(f"components_box is [west, south, east, north] in degrees, west < east, south < "
                             f"north; not {list(box)}")
        return box

    def roads_of(self, adcode: str) -> list[tuple[str, str]]:
        """The district's (name, road class) list; the generic three when the profile names none."""
        named = self.roads.get(adcode)
        if not named:
            return list(GENERIC_ROADS)
        return [(name, CLASS_OF[letter]) for name, _, letter in (e.rpartition(" ") for e in named)]

    def segments_of(self, adcode: str) -> int:
        return self.segments.get(adcode, DEFAULT_CENTRAL_SEGMENTS if adcode in self.central else DEFAULT_SEGMENTS)


def tuning(city: dict[str, Any]) -> Tuning:
    """The profile's simulator tuning, validated: a mistake names the profile, the key and the fix."""
    spec = city.get("simulator") or {}
    if not isinstance(spec, dict):
        raise ValueError(f"city profile {city.get('slug', '?')!r}: simulator is a mapping of keys (central, roads, "
                         f"population, ...), not {spec!r}")
    try:
        return Tuning.model_validate(spec)
    except ValidationError as e:
        where = "; ".join(f"simulator.{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ValueError(f"city profile {city.get('slug', '?')!r}: {where}") from None
