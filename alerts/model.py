"""The shared vocabulary of the alert engine: observations, levels, states, ids (no I/O)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

# Chinese warning colours, least to most severe: blue IV, yellow III, orange II, red I.
SEVERITY: tuple[str, ...] = ("blue", "yellow", "orange", "red")
RANK: dict[str, int] = {name: i for i, name in enumerate(SEVERITY)}
STALE = "stale"  # the level of a staleness alert: its own class, never mixed into the colour ladder
LEVELS: tuple[str, ...] = (*SEVERITY, STALE)

PENDING, FIRING, ACKNOWLEDGED, RESOLVED = "pending", "firing", "acknowledged", "resolved"
ACTIVE_STATES = frozenset({FIRING, ACKNOWLEDGED})
SCOPES: tuple[str, ...] = ("feed", "station", "segment", "section", "district", "city")
SCOPE_FEED = {"station": "air", "segment": "traffic", "section": "water"}  # entity scopes and the feed they come from
AGE_METRIC = "age_s"  # the metric staleness rules watch: seconds since the entity's (or feed's) newest data

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True, slots=True)
class Observation:
    """One metric of one entity at one instant; `fresh` False means it must not be evaluated as current."""

    scope: str
    entity_id: str
    metric: str
    value: Any
    ts: int
    fresh: bool = True
    name: str = ""
    name_en: str = ""
    district: str | None = None


def alert_id(rule_id: str, entity_id: str) -> str:
    """Deterministic from (rule, entity), so every process names the same alert the same way; URL-safe."""
    if _SAFE_ID.match(entity_id):
        return f"{rule_id}:{entity_id}"
    digest = hashlib.sha1(f"{rule_id}\0{entity_id}".encode()).hexdigest()[:12]  # noqa: S324 - a name, not security
    return f"{rule_id}:h{digest}"


def level_rank(level: str) -> int:
    """Sort key of a level: stale below blue (it says nothing about the city, only about the data)."""
    return RANK.get(level, -1)
