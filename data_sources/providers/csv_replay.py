"""Replay a historical CSV file as a live feed, time-compressed, for demos, drills and regression checks.

One row is one reading: an entity column, a time column (ISO 8601 with offset, epoch ms, or naive local time when
`naive_tz` is set) and value columns named after the feed's value keys (or mapped with `columns`). The first row
plays at the first poll; a row `d` after it in history plays `d / speed` later, stamped with that real time (the
historical time stays in meta `hist_ts`), so staleness downstream works unchanged, while the indicators are judged
by the time the row was observed (a 2017 row under HJ 633-2012; data_sources/pipeline/). With `loop` it starts
again. A row or cell that cannot be read is rejected with its line number and reason (dead letter), once, at load.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core import times
from core.coords import check_datum, check_position, to_wgs84
from core.metrics import METRICS, units
from core.readings import Reading, Rejects, SourceError
from data_sources.pipeline.records import Invalid, check

log = logging.getLogger("onescreen.csv_replay")
_TRUE, _FALSE = {"true", "1", "yes", "y", "t"}, {"false", "0", "no", "n", "f"}


class SourceFileError(SourceError):
    """The replay file is missing, unreadable or has no usable rows."""


class CsvReplay(Rejects):
    """A time-compressed replay of one feed's history from a CSV file."""

    def __init__(self, *, path: str | Path, feed: str, speed: float = 60.0, loop: bool = True,
                 entity_col: str = "entity_id", ts_col: str = "ts", lat_col: str = "lat", lon_col: str = "lon",
                 columns: dict[str, str] | None = None, naive_tz: str | None = None, interval_s: float = 2.0,
                 max_rows: int = 1_000_000, datum: str = "wgs84", name: str | None = None) -> None:  # fmt: skip
        if feed not in METRICS:
            raise ValueError(f"csv_replay: unknown feed {feed!r}")
        if speed <= 0:
            raise ValueError("csv_replay: speed must be > 0")
        self.path, self.feed, self.speed, self.loop = Path(path), feed, float(speed), loop
        self.cols = {"entity": entity_col, "ts": ts_col, "lat": lat_col, "lon": lon_col}
        self.columns = columns
        self.datum = check_datum(datum)  # wgs84, or gcj02 / bd09 for a file exported from AMap / Baidu
        self.naive_tz = ZoneInfo(naive_tz) if naive_tz else None
        self.name, self.feeds, self.interval_s, self.max_rows = name or f"csv-{feed}", (feed,), interval_s, max_rows
        self.metrics = units(feed)
        self._rows: list[tuple[int, str, dict[str, Any], dict[str, Any]]] | None = None
        self._anchor = 0
        self._next = 0

    def poll(self, now_ms: int) -> list[Reading]:
        """Rows whose compressed time has come since the last poll."""
        if self._rows is None:
            self._rows = self.load()
            self._anchor, self._next = now_ms, 0
        rows, hist0 = self._rows, self._rows[0][0]
        if self._next >= len(rows) and self.loop:
            self._anchor, self._next = now_ms, 0
        until = hist0 + (now_ms - self._anchor) * self.speed
        out: list[Reading] = []
        while self._next < len(rows) and rows[self._next][0] <= until:
            hist, eid, values, meta = rows[self._next]
            real = self._anchor + int((hist - hist0) / self.speed)
            out.append(Reading(self.feed, eid, real, dict(values), {**meta, "hist_ts": hist, "replay": True}))
            self._next += 1
        return out

    def load(self) -> list[tuple[int, str, dict[str, Any], dict[str, Any]]]:
        """Parse and sort the file once; bad cells are dropped with a log line, bad rows skipped."""
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                header = reader.fieldnames or []
                mapping = self.columns or {c: c for c in header if c in METRICS[self.feed]}
                if self.cols["entity"] not in header or self.cols["ts"] not in header or not mapping:
                    raise SourceFileError(f"{self.path.name}: needs columns {self.cols['entity']}, {self.cols['ts']} "
                                          f"and at least one of {', '.join(METRICS[self.feed])}")
                rows = []
                for n, row in enumerate(reader, start=2):
                    if len(rows) >= self.max_rows:
                        raise SourceFileError(f"{self.path.name}: more than {self.max_rows} rows")
                    parsed = self._row(row, mapping, n)
                    if parsed:
                        rows.append(parsed)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise SourceFileError(f"cannot read {self.path}: {exc}") from exc
        if not rows:
            raise SourceFileError(f"{self.path.name}: no usable rows")
        rows.sort(key=lambda r: (r[0], r[1]))
        return rows

    def _ts(self, text: str) -> int:
        text = text.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            dt = times.parse_iso(text, self.naive_tz)
        except times.NoOffset:
            raise ValueError("naive time (set naive_tz)") from None
        return int(dt.timestamp() * 1000)

    def _row(self, row: dict[str, Any], mapping: dict[str, str], n: int) -> tuple | None:
        where = f"{self.path.name} line {n}"
        eid = (row.get(self.cols["entity"]) or "").strip()
        if not eid:
            self.reject(self.feed, f"{where}: {self.cols['entity']} is empty", row, n)
            return None
        try:
            ts = self._ts(row.get(self.cols["ts"]) or "")
        except (ValueError, OverflowError, OSError) as exc:
            self.reject(self.feed, f"{where}: {self.cols['ts']}: bad time: {exc}", row, n)
            return None
        values: dict[str, Any] = {}
        for col, key in mapping.items():
            cell = (row.get(col) or "").strip()
            metric = METRICS[self.feed].get(key)
            if not cell or metric is None:
                continue
            try:
                values[key] = check(metric, self._cell(metric.kind, cell), key)
            except (Invalid, ValueError) as exc:
                self.reject(self.feed, f"{where}: column {col}: {exc}", row, n)
        if not values:
            self.reject(self.feed, f"{where}: no usable value", row, n)
            return None
        meta: dict[str, Any] = {"provider": "CSV replay"}
        lat, lon = (row.get(self.cols["lat"]) or "").strip(), (row.get(self.cols["lon"]) or "").strip()
        if lat or lon:
            try:
                pos = float(lat), float(lon)
            except ValueError:
                pos = (lat, lon)
            bad = check_position(pos[0], pos[1], self.cols["lat"], self.cols["lon"])
            if bad:
                self.reject(self.feed, f"{where}: {bad}", row, n)
                return None
            lon_w, lat_w = to_wgs84(pos[1], pos[0], self.datum)
            pos = (lat_w, lon_w)
            meta["lat"], meta["lon"] = pos
        return ts, eid, values, meta

    @staticmethod
    def _cell(kind: str, cell: str) -> Any:
        if kind in ("number", "int"):
            return float(cell)
        if kind == "bool":
            low = cell.lower()
            if low not in _TRUE | _FALSE:
                raise ValueError(f"not a boolean: {cell!r}")
            return low in _TRUE
        return cell
