"""The one shape every source produces, so store/ and the screens never care where data came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

FEEDS: tuple[str, ...] = ("air", "traffic", "service", "water", "furniture")


@dataclass(frozen=True, slots=True)
class Reading:
    """One normalized observation of one entity: WGS-84, standard units, UTC epoch milliseconds."""

    feed: str
    entity_id: str
    ts: int
    values: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)


class SourceError(Exception):
    """A source failed in a way its health report should show (timeout, bad payload, HTTP error)."""


class Source(Protocol):
    """What the runner needs from any source."""

    name: str
    feeds: tuple[str, ...]
    interval_s: float

    def poll(self, now_ms: int) -> list[Reading]:
        """Fetch (or generate) whatever is new; raise SourceError on failure."""
        ...
