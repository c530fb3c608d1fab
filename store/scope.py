"""District scoping, the one place that decides what a caller bound to a district may see (scope None = whole city).

Every read a callback or an API route serves goes through these filters with the caller's scope
(auth.principal.current_scope()). They are pure, and with scope None they return their input untouched, so the
city-level path costs nothing. A district-scoped caller sees an entity, case, alert or silence only when it is
positively known to be in their district: something without a district (a city aggregate, a case with no adcode)
is hidden from them. Feed-level alerts (a stale feed) concern everybody and stay visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")
FEED_SCOPE = "feed"  # alert scope of a feed-level (stale feed) alert: visible to every caller


class OutOfScope(PermissionError):
    """A request for something outside the caller's district (reported like an unknown id, never as 'forbidden')."""


def district_of(doc: Mapping[str, Any] | None) -> str | None:
    """The district adcode a stored document belongs to (metadata first, then values, as cases carry it)."""
    if not doc:
        return None
    ad = (doc.get("m") or {}).get("district_adcode") or (doc.get("v") or {}).get("district_adcode")
    return None if ad in (None, "") else str(ad)


def in_scope(doc: Mapping[str, Any] | None, scope: str | None) -> bool:
    """Whether a caller with this scope may see the document (a missing document: only the city sees 'nothing')."""
    return scope is None or (doc is not None and district_of(doc) == scope)


def docs(by_id: Mapping[str, T], scope: str | None) -> Mapping[str, T]:
    """id -> document, limited to the scope (the same object when unscoped)."""
    if scope is None:
        return by_id
    return {eid: d for eid, d in by_id.items() if district_of(d) == scope}  # type: ignore[arg-type]


def cases(items: list[dict[str, Any]], scope: str | None) -> list[dict[str, Any]]:
    """Case (or any entity) documents in the scope (the same list when unscoped)."""
    if scope is None:
        return items
    return [d for d in items if district_of(d) == scope]


def alert_visible(rec: Mapping[str, Any], scope: str | None) -> bool:
    """Feed alerts to all; entity and district alerts to the city and their district; city aggregates to the city."""
    if scope is None or rec.get("scope") == FEED_SCOPE:
        return True
    ad = rec.get("district")
    return ad is not None and str(ad) == scope


def alerts(records: list[dict[str, Any]], scope: str | None) -> list[dict[str, Any]]:
    """Alert records the caller may see, in their order (the same list when unscoped)."""
    if scope is None:
        return records
    return [rec for rec in records if alert_visible(rec, scope)]


def silence_visible(sil: Mapping[str, Any], scope: str | None) -> bool:
    """A district caller sees (and may end) only silences limited to their own district."""
    if scope is None:
        return True
    ad = (sil.get("scope") or {}).get("district") if isinstance(sil.get("scope"), Mapping) else None
    return ad is not None and str(ad) == scope


def silences(items: list[dict[str, Any]], scope: str | None) -> list[dict[str, Any]]:
    """Silences the caller may see (the same list when unscoped)."""
    if scope is None:
        return items
    return [s for s in items if silence_visible(s, scope)]


def silence_scope(requested: Any, scope: str | None) -> Any:
    """A silence request's scope, limited to the caller's district; another district's is refused (OutOfScope)."""
    if scope is None or not isinstance(requested, Mapping):
        return requested
    ad = requested.get("district")
    if ad is not None and str(ad).strip() != scope:
        raise OutOfScope("a district user may only silence alerts of their own district")
    return {**requested, "district": scope}


def log_visible(entry: Mapping[str, Any], scope: str | None, known: Mapping[str, Any] | None = None) -> bool:
    """An audit entry: alert transitions like their alert, silence events like their silence.

    Entries written before alerts recorded their district fall back to `known` (alert id -> district), else hidden."""
    if scope is None:
        return True
    if str(entry.get("event", "")).startswith("silence_"):
        sil_scope = entry.get("scope")
        ad = sil_scope.get("district") if isinstance(sil_scope, Mapping) else entry.get("district")
        return ad is not None and str(ad) == scope
    if entry.get("scope") == FEED_SCOPE:
        return True
    ad = entry.get("district") if "district" in entry else (known or {}).get(str(entry.get("alert")))
    return ad is not None and str(ad) == scope


def log(entries: list[dict[str, Any]], scope: str | None, known: Mapping[str, Any] | None = None
        ) -> list[dict[str, Any]]:
    """Audit entries the caller may see (the same list when unscoped)."""
    if scope is None:
        return entries
    return [e for e in entries if log_visible(e, scope, known)]


def names(by_adcode: Mapping[str, T], scope: str | None) -> Mapping[str, T]:
    """District names (or any adcode-keyed map) limited to the scope: a district ranking of one row."""
    if scope is None:
        return by_adcode
    return {ad: v for ad, v in by_adcode.items() if str(ad) == scope}


def features(collection: Mapping[str, Any], scope: str | None) -> Mapping[str, Any]:
    """A GeoJSON FeatureCollection limited to features whose properties name the caller's district."""
    if scope is None:
        return collection
    kept = [f for f in collection.get("features", []) if str((f.get("properties") or {}).get("district_adcode")
                                                              or "") == scope]
    return {**collection, "features": kept}


def key(name: str, scope: str | None) -> str:
    """A memo or cache name for one scope: 'summary' for the city, 'summary:440111' for a district."""
    return name if scope is None else f"{name}:{scope}"
