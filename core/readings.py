"""The one shape every source produces, so store/ and the screens never care where data came from."""

from __future__ import annotations

import json
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


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record (or one value of it) that was refused or flagged: where it was in its batch or poll, why, and its text.

    kind: 'record' (nothing of it stored), 'value' (that value dropped, the rest stored), 'flag' (stored, but
    suspicious: a point far outside the city, a status not in the table).
    """

    feed: str
    index: int
    reason: str
    raw: str
    kind: str = "record"


class SourceError(Exception):
    """A source failed in a way its health report should show (timeout, bad payload, HTTP error)."""


class Source(Protocol):
    """What the runner needs from any source."""

    name: str
    feeds: tuple[str, ...]
    interval_s: float

    def poll(self, now_ms: int) -> list[Reading]:
        """Fetch (or generate) whatever is new; raise SourceError on failure.

        A source that parses rows keeps each row it could not use (see Rejects, `take_rejected`): one bad row never
        costs the rest of the poll.
        """
        ...


class Rejects:
    """For sources that parse provider rows: the rows polled that could not be used, with their reasons."""

    rejected: list[Rejection]

    def take_rejected(self) -> list[Rejection]:
        """The rows rejected since the last call (the runner stores them as dead letters after each poll)."""
        out = self.__dict__.get("rejected", [])
        self.rejected, self._reject_keys = [], set()
        return out

    def reject(self, feed: str, reason: str, row: Any, index: int = -1, kind: str = "record") -> None:
        """Keep one unusable row with its reason (its JSON text, truncated, for the dead letter); a row seen again
        in the same poll (overlapping windows or pages) is kept once."""
        rejected = self.__dict__.setdefault("rejected", [])
        seen: set[tuple[str, str]] = self.__dict__.setdefault("_reject_keys", set())
        raw, reason = raw_text(row), reason[:500]
        if (raw, reason) not in seen:
            seen.add((raw, reason))
            rejected.append(Rejection(feed, len(rejected) if index < 0 else index, reason, raw, kind))


RAW_MAX_CHARS = 2_000


def unicode_ok(text: str) -> bool:
    """Whether a string can be stored as UTF-8 (a lone surrogate from a JSON "\\ud800" escape cannot)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def safe_text(text: str) -> str:
    """The text with any lone surrogate written as a \\udXXX escape, so a dead letter can always be stored."""
    return text if unicode_ok(text) else text.encode("utf-8", "backslashreplace").decode("utf-8")


def raw_text(record: Any) -> str:
    """A record as JSON text for the dead letter, truncated (repr when it is not JSON-able)."""
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=True, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(record)
    return safe_text(text[:RAW_MAX_CHARS])
