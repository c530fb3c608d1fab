"""Open cases as the case layer draws them: where each is and when it falls due, as columns (no documents).

The store keeps one short entry per open case ("lon,lat,due,adcode", store/lua/upsert.lua), so a tick reads and parses
these instead of every open case's document."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class CasePoints:
    """Open cases with a position: ids, lon, lat, due time (ms; inf when none) and district adcode ('' if none)."""

    ids: list[str]
    lon: np.ndarray
    lat: np.ndarray
    due: np.ndarray
    district: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def overdue(self, now_ms: int) -> np.ndarray:
        """Which cases are past their due time at now_ms."""
        return self.due < now_ms

    def take(self, keep: np.ndarray | list[bool]) -> CasePoints:
        """The cases where keep is true."""
        mask = np.asarray(keep, dtype=bool)
        rows = np.flatnonzero(mask)
        return CasePoints([self.ids[i] for i in rows], self.lon[mask], self.lat[mask], self.due[mask],
                          [self.district[i] for i in rows])

    def in_district(self, adcode: str | None) -> CasePoints:
        """The cases of one district (all of them when none is chosen)."""
        if not adcode:
            return self
        return self.take([d == adcode for d in self.district])


_ADCODE = re.compile(r"[0-9]{6}")
EMPTY = CasePoints([], np.zeros(0), np.zeros(0), np.zeros(0), [])


def entry(lon: Any, lat: Any, due_ms: Any, district: str) -> str:
    """The stored entry of one open case ('' when it has no usable position: it is then not drawn)."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return ""
    if not (math.isfinite(x) and math.isfinite(y)):
        return ""
    due = "inf" if due_ms is None else str(int(due_ms))
    return f"{x!r},{y!r},{due},{district if _ADCODE.fullmatch(district) else ''}"


def parse(entries: Mapping[str, str]) -> CasePoints:
    """CasePoints from the store's id -> entry hash; a malformed entry is skipped. Well-formed entries (the writer's)
    are read as columns at once; any entry that is not sends the whole hash through the one-by-one reading."""
    if not entries:
        return EMPTY
    ids, texts = list(entries), list(entries.values())
    flat = ",".join(texts).split(",")
    if len(flat) == 4 * len(texts):
        try:
            cols = np.array([flat[0::4], flat[1::4], flat[2::4]], dtype=np.float64)
        except ValueError:
            cols = None
        if cols is not None and all(t.count(",") == 3 for t in texts):
            return CasePoints(ids, cols[0], cols[1], cols[2], flat[3::4])
    return _parse_each(entries)


def parse_one(text: str | None) -> tuple[float, float, float, str] | None:
    """One stored entry as (lon, lat, due, adcode); None when it is missing or malformed."""
    parts = text.split(",") if isinstance(text, str) else []
    if len(parts) != 4:
        return None
    try:
        return float(parts[0]), float(parts[1]), float(parts[2]), parts[3]
    except ValueError:
        return None


class Table:
    """One process's copy of the open cases' points, changed by what changed (store.snapshot.CaseTracker): a tick's
    CasePoints costs the changes, not the city's 30,000 cases. A case that closes leaves a hole (id '', position and
    due NaN: never in a view, never overdue) until holes are a quarter of the rows; then the rows are packed again.
    Each change gives new arrays (copy on write), so a CasePoints a request holds never changes under it."""

    def __init__(self, pack_min: int = 64) -> None:
        self.points = EMPTY
        self._row: dict[str, int] = {}
        self._free: list[int] = []
        self._pack_min = pack_min  # never pack for fewer holes than this

    def reset(self, entries: Mapping[str, str]) -> CasePoints:
        """Start again from every entry."""
        self.points = parse(entries)
        self._row = {cid: i for i, cid in enumerate(self.points.ids)}
        self._free = []
        return self.points

    def update(self, changes: Mapping[str, str | None]) -> CasePoints:
        """Apply changed entries (None or malformed: the case has no point now)."""
        if not changes:
            return self.points
        p = self.points
        ids, district = list(p.ids), list(p.district)
        cols = np.array([p.lon, p.lat, p.due], dtype=np.float64).reshape(3, -1)
        extra: list[tuple[float, float, float]] = []
        for cid, text in changes.items():
            got = parse_one(text)
            row = self._row.get(cid)
            if got is None:
                if row is not None:
                    del self._row[cid]
                    ids[row], district[row] = "", ""
                    cols[:, row] = np.nan
                    self._free.append(row)
                continue
            if row is None:
                if self._free:
                    row = self._free.pop()
                else:
                    row = len(ids)
                    ids.append("")
                    district.append("")
                    extra.append((np.nan, np.nan, np.nan))
                self._row[cid] = row
            ids[row], district[row] = cid, got[3]
            if row < cols.shape[1]:
                cols[:, row] = got[:3]
            else:
                extra[row - cols.shape[1]] = got[:3]
        if extra:
            cols = np.concatenate([cols, np.array(extra, dtype=np.float64).T], axis=1)
        self.points = CasePoints(ids, cols[0], cols[1], cols[2], district)
        if len(self._free) > max(self._pack_min, len(self._row) // 4):
            self.points = self.points.take([bool(x) for x in ids])
            self._row = {cid: i for i, cid in enumerate(self.points.ids)}
            self._free = []
        return self.points


def _parse_each(entries: Mapping[str, str]) -> CasePoints:
    """parse(), one entry at a time, skipping the malformed ones."""
    ids, rows = [], []
    for cid, text in entries.items():
        got = parse_one(text)
        if got is not None:
            ids.append(cid)
            rows.append(got)
    if not rows:
        return EMPTY
    cols = np.array([r[:3] for r in rows], dtype=np.float64)
    return CasePoints(ids, cols[:, 0], cols[:, 1], cols[:, 2], [r[3] for r in rows])


def from_docs(docs: Iterable[Mapping[str, Any]]) -> CasePoints:
    """CasePoints from case documents ({id, v: {long, lat, district_adcode}, m, d: {due_ms}}), as the store writes."""
    entries = {}
    for doc in docs:
        v, m, d = doc.get("v") or {}, doc.get("m") or {}, doc.get("d") or {}
        ad = m.get("district_adcode") or v.get("district_adcode") or ""
        text = entry(v.get("long"), v.get("lat"), d.get("due_ms"), str(ad))
        if text:
            entries[str(doc.get("id"))] = text
    return parse(entries)
