"""The closed loop's open cases as the one map draws them (issue #15): where each is, its step, when it falls due,
its district and department, as columns. A `Table` is kept up to date from the case records by what changed since it
last read (store.casebook.Casebook.positions), and reads them all again now and then in case a change was missed
(two processes' clocks a little apart)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from core import case_flow as cf

# the step a map pin shows: a case accepted by its department is still with it (dispatched)
STEPS = (cf.REPORTED, cf.REGISTERED, cf.DISPATCHED, cf.HANDLED)
STEP_OF = {cf.REPORTED: 0, cf.REGISTERED: 1, cf.DISPATCHED: 2, cf.ACCEPTED: 2, cf.HANDLED: 3}
FULL_EVERY_MS = 60_000  # read every open case again this often
OVERLAP_MS = 10_000  # and read each time what changed from a little before the newest change seen


@dataclass(frozen=True)
class LoopPoints:
    """Open cases with a position: ids, lon, lat, step (STEPS' index), due (ms; inf when none), district and
    department ('' when none)."""

    ids: list[str]
    lon: np.ndarray
    lat: np.ndarray
    step: np.ndarray
    due: np.ndarray
    district: list[str]
    department: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def overdue(self, now_ms: int) -> np.ndarray:
        return self.due < now_ms

    def take(self, keep: np.ndarray | list[bool]) -> LoopPoints:
        mask = np.asarray(keep, dtype=bool)
        rows = np.flatnonzero(mask)
        return LoopPoints([self.ids[i] for i in rows], self.lon[mask], self.lat[mask], self.step[mask],
                          self.due[mask], [self.district[i] for i in rows], [self.department[i] for i in rows])

    def seen_by(self, district: str | None, department: str | None) -> LoopPoints:
        """What a caller bound to a district and/or a department (a handler) may see; everything when neither."""
        if district is None and department is None:
            return self
        return self.take([(district is None or d == district) and (department is None or p == department)
                          for d, p in zip(self.district, self.department, strict=True)])


EMPTY = LoopPoints([], np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int8), np.zeros(0), [], [])


def _usable(row: dict[str, Any]) -> bool:
    lon, lat = row.get("lon"), row.get("lat")
    return (row.get("state") in STEP_OF and isinstance(lon, int | float) and isinstance(lat, int | float)
            and math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90)


def build(rows: dict[str, dict[str, Any]]) -> LoopPoints:
    """The columns of these rows (id -> row), in id order."""
    if not rows:
        return EMPTY
    ids = sorted(rows)
    got = [rows[i] for i in ids]
    return LoopPoints(ids, np.array([float(r["lon"]) for r in got]), np.array([float(r["lat"]) for r in got]),
                      np.array([STEP_OF[r["state"]] for r in got], dtype=np.int8),
                      np.array([math.inf if r.get("due_ms") is None else float(r["due_ms"]) for r in got]),
                      [str(r.get("district") or "") for r in got], [str(r.get("department") or "") for r in got])


class Table:
    """The open cases with a position, kept from the records: `refresh(book, now_ms)` reads what changed since the
    last read (everything every FULL_EVERY_MS) and answers the columns, built again only when something changed."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.mark: int | None = None  # the newest updated_ms seen
        self.full_ms: int | None = None
        self.points = EMPTY
        self._lock = threading.Lock()

    def refresh(self, book: Any, now_ms: int) -> LoopPoints:
        with self._lock:
            if self.full_ms is None or self.mark is None or now_ms - self.full_ms >= FULL_EVERY_MS \
                    or now_ms < self.full_ms:
                got = book.positions()
                self.rows = {r["id"]: r for r in got if _usable(r)}
                self.full_ms, changed = now_ms, True
                self.mark = max((int(r["updated_ms"]) for r in got), default=0)
            else:
                got = book.positions(self.mark - OVERLAP_MS)
                changed = False
                for r in got:
                    old = self.rows.get(r["id"])
                    if old is not None and int(old["updated_ms"]) > int(r["updated_ms"]):
                        continue
                    if _usable(r):
                        changed |= old != r
                        self.rows[r["id"]] = r
                    elif old is not None:
                        del self.rows[r["id"]]
                        changed = True
                    self.mark = max(self.mark, int(r["updated_ms"]))
            if changed:
                self.points = build(self.rows)
            return self.points
