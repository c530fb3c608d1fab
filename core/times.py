"""The one ISO 8601 reader: every feed, the ingest API, the alert API and the replay URL parse times here."""

from __future__ import annotations

from datetime import datetime, tzinfo


class NoOffset(ValueError):
    """An ISO 8601 time without a UTC offset, where no zone was given to read it in."""


def parse_iso(text: str, naive_tz: tzinfo | None = None) -> datetime:
    """An aware datetime from ISO 8601 ('Z' or 'z' = UTC). A time without an offset is read in `naive_tz`; without
    one it is refused (NoOffset), being ambiguous. Anything not ISO 8601 is a ValueError."""
    dt = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if dt.tzinfo is None or dt.utcoffset() is None:
        if naive_tz is None:
            raise NoOffset("no UTC offset")
        dt = dt.replace(tzinfo=naive_tz)
    return dt
