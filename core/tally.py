"""The point feeds' counts, sums and rankings kept as their rows change, so a tick costs what changed, not the city.

store.snapshot.Tracker hands each changed entity's row (core.summary.row) to its feed's Tally; `part(now_ms, scope)`
then gives the feed's part of the summary (core.summary.air_of / traffic_of / water_of) and each district's figures
(core.summary.districts_of) exactly as those functions compute them from all the rows, which stay the reference
(tests/unit/test_tally.py holds the two equal over random streams of changes and clocks):
- sums are exact: every finite double is a whole number of 2**-1074, so the sums are Python integers and give the
  correctly rounded total math.fsum gives (means and the TPI come out to the last bit);
- rankings are sorted lists of the fresh rows' sort keys (core.summary's, with the entity id last), so the worst
  N are the list's head;
- staleness moves with the clock: a heap of the counted rows' times says which rows the new limit leaves behind; a
  clock that goes back (a late request for an earlier tick) counts everything again (rare, and exact);
- each group (the city, and each district for the per-district figures and a district-scoped caller's summary)
  keeps the same figures for its rows; the per-entity maps handed out are copied before the next change (copy on
  write), so a summary never changes under its reader.
Not thread-safe: the Tracker calls it under its lock.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import Any

from core import summary as S
from core.derive import derive_air
from indicators import traffic

SHIFT = 1074  # every finite double is an integer multiple of 2**-SHIFT


def exact(x: float) -> int:
    """x as an integer number of 2**-SHIFT (x finite)."""
    n, d = x.as_integer_ratio()
    return n << (SHIFT + 1 - d.bit_length())


def to_float(total: int) -> float:
    """An exact sum back to the nearest double (int / int is correctly rounded, as math.fsum is)."""
    return total / (1 << SHIFT)


class Group:
    """The figures of one set of rows (the city's, or one district's)."""

    __slots__ = ("n", "n_fresh", "values", "lent", "rank", "ids", "sums", "counts", "w", "length", "nw", "severe",
                 "by_class", "black")

    def __init__(self) -> None:
        self.n = 0  # rows, fresh or not
        self.n_fresh = 0
        self.values: dict[str, Any] = {}  # entity id -> what the maps draw (the summary's per-entity map)
        self.lent = False  # `values` was handed out: copy it before the next change
        self.rank: list[tuple[Any, ...]] = []  # sort keys of the fresh ranked rows, worst first
        self.ids: list[tuple[str, str]] = []  # air: (str(id), entity id) of fresh rows; the first names the standard
        self.sums = [0] * len(S.AIR_KEYS)  # air: exact sums of the fresh rows' concentrations, and how many
        self.counts = [0] * len(S.AIR_KEYS)
        self.w = self.length = self.nw = 0  # traffic: exact sums of the fresh segments' TPI terms, and how many
        self.severe = 0
        self.by_class = dict.fromkeys(S.WATER_CLASSES, 0)
        self.black = 0

    def writable(self) -> dict[str, Any]:
        """`values`, copied first if a summary holds it."""
        if self.lent:
            self.values = dict(self.values)
            self.lent = False
        return self.values

    def lend(self) -> dict[str, Any]:
        """`values` for a summary (not to be modified; the next change copies it first)."""
        self.lent = True
        return self.values


def _move(items: list[Any], key: Any, sign: int) -> None:
    if sign > 0:
        insort(items, key)
    else:
        del items[bisect_left(items, key)]


class Tally:
    """One point feed's rows and figures (air, traffic or water)."""

    def __init__(self, feed: str, stale_after_s: float, cfg: traffic.TrafficConfig | None = None) -> None:
        if feed not in S.ENTITY_LAYERS:
            raise ValueError(f"no tally for feed {feed!r}")
        self.feed = feed
        self.stale_ms = float(stale_after_s) * 1000
        self.cfg = cfg
        self.rows: dict[str, Any] = {}
        self.groups: dict[str | None, Group] = {None: Group()}
        self.counted: set[str] = set()  # rows counted as fresh
        self.heap: list[tuple[int, str]] = []  # (ts, entity id) of counted rows, some outdated (checked when popped)
        self.limit = float("-inf")  # rows with ts >= limit are fresh
        self._key: Callable[[Any], Any] = {"air": S.air_key, "traffic": S.traffic_key, "water": S.water_key}[feed]

    # --- changes -------------------------------------------------------------------------------------------------
    def put(self, eid: str, row: Any) -> None:
        """The entity's new row (None: it is gone)."""
        old = self.rows.get(eid)
        if old is not None and eid in self.counted:
            self._count(eid, old, -1)
        if old is not None and (row is None or row.adcode != old.adcode) and old.adcode is not None:
            self._unplace(eid, old.adcode)
        if row is None:
            if old is not None:
                del self.rows[eid]
                self._unplace(eid, None)
            return
        if old is None:
            self.rows[eid] = row
            self.groups[None].n += 1
        else:
            self.rows[eid] = row  # keeps its place in the order
        if row.adcode is not None and (old is None or old.adcode != row.adcode):
            self._group(row.adcode).n += 1
        fresh = row.ts >= self.limit
        if fresh:
            self._count(eid, row, 1)
            heapq.heappush(self.heap, (row.ts, eid))
        self._value(eid, row, not fresh)

    def _group(self, adcode: str) -> Group:
        g = self.groups.get(adcode)
        if g is None:
            g = self.groups[adcode] = Group()
        return g

    def _unplace(self, eid: str, adcode: str | None) -> None:
        g = self.groups[adcode]
        g.n -= 1
        g.writable().pop(eid, None)
        if adcode is not None and g.n == 0:
            del self.groups[adcode]

    def _value(self, eid: str, row: Any, stale: bool) -> None:
        if self.feed == "air":
            value: Any = {"aqi": row.aqi, "level": row.level, "color": row.color, "stale": stale}
        elif self.feed == "traffic":
            value = row.level
        else:
            value = row.klass
        self.groups[None].writable()[eid] = value
        if row.adcode is not None:
            self.groups[row.adcode].writable()[eid] = value

    def _count(self, eid: str, row: Any, sign: int) -> None:
        """Add (sign 1) or take away (-1) a fresh row's part in its groups' figures."""
        if sign > 0:
            self.counted.add(eid)
        else:
            self.counted.discard(eid)
        key = self._key(row)
        for g in (self.groups[None], self.groups[row.adcode]) if row.adcode is not None else (self.groups[None],):
            g.n_fresh += sign
            if key is not None:
                _move(g.rank, (*key, eid), sign)
            if self.feed == "air":
                _move(g.ids, (str(row.id), eid), sign)
                for i, c in enumerate(row.conc):
                    if c is not None:
                        g.sums[i] += sign * exact(c)
                        g.counts[i] += sign
            elif self.feed == "traffic":
                if row.weight is not None:
                    g.w += sign * exact(row.weight[0])
                    g.length += sign * exact(row.weight[1])
                    g.nw += sign
                if row.level == 5:
                    g.severe += sign
            else:
                if row.klass in g.by_class:
                    g.by_class[row.klass] += sign
                if row.black_odorous:
                    g.black += sign

    # --- the clock -----------------------------------------------------------------------------------------------
    def at(self, now_ms: float) -> None:
        """Move the freshness limit to `now_ms`: rows it leaves behind stop counting (a clock going back: recount)."""
        limit = now_ms - self.stale_ms
        if limit < self.limit:
            self._recount(limit)
            return
        self.limit = limit
        heap = self.heap
        while heap and heap[0][0] < limit:
            _, eid = heapq.heappop(heap)
            row = self.rows.get(eid)
            if eid in self.counted and row is not None and row.ts < limit:
                self._count(eid, row, -1)
                if self.feed == "air":
                    self._value(eid, row, True)
        if len(heap) > 2 * len(self.counted) + 1024:  # outdated entries of rows updated since: drop them
            self.heap = [(self.rows[eid].ts, eid) for eid in self.counted]
            heapq.heapify(self.heap)

    def _recount(self, limit: float) -> None:
        rows = self.rows
        self.rows, self.groups, self.counted, self.heap = {}, {None: Group()}, set(), []
        self.limit = limit
        for eid, row in rows.items():
            self.put(eid, row)

    # --- the figures ---------------------------------------------------------------------------------------------
    def part(self, now_ms: int, scope: str | None = None) -> dict[str, Any]:
        """{"summary": the feed's summary (of the scope's district only, when scoped), "districts": {adcode: the
        feed's district figures}} at `now_ms`, as core.summary computes them from all the rows."""
        self.at(now_ms)
        empty = Group()
        g = self.groups.get(scope, empty)
        if scope is None:
            districts = {ad: self._district(d) for ad, d in self.groups.items() if ad is not None}
        else:
            districts = {scope: self._district(g)} if g.n else {}
        return {"summary": self._summary(g), "districts": districts}

    def _top(self, g: Group) -> list[Any]:
        return [self.rows[key[-1]] for key in g.rank[:S.TOP_N]]

    def _city_air(self, g: Group) -> dict[str, Any]:
        if not g.n_fresh:
            return S.city_air([])
        means = {key: to_float(g.sums[i]) / g.counts[i] for i, key in enumerate(S.AIR_KEYS) if g.counts[i]}
        first = self.rows[g.ids[0][1]]
        return derive_air(means, first.standard or "HJ633-2026")

    def _tpi(self, g: Group) -> tuple[float | None, int | None]:
        if not g.nw:
            return None, None
        value = round(traffic.tpi_from_sums(to_float(g.w), to_float(g.length)), 1)
        return value, traffic.tpi_level(value, config=self.cfg)

    def _summary(self, g: Group) -> dict[str, Any]:
        if self.feed == "air":
            return {"city": self._city_air(g), "stations": g.lend(), "n_fresh": g.n_fresh, "n": g.n,
                    "top": [S.air_item(x) for x in self._top(g)]}
        if self.feed == "traffic":
            tpi, level = self._tpi(g)
            return {"tpi": tpi, "level": level, "severe": g.severe, "n": g.n,
                    "top": [S.traffic_item(x) for x in self._top(g)], "segments": g.lend()}
        return S.water_figures(dict(g.by_class), [S.water_item(x) for x in self._top(g)], g.n_fresh, g.n,
                               g.lend(), g.black)

    def _district(self, g: Group) -> dict[str, Any]:
        if self.feed == "air":
            city = self._city_air(g)
            return {"aqi": city.get("aqi"), "aqi_color": city.get("color")}
        if self.feed == "traffic":
            tpi, level = self._tpi(g)
            return {"tpi": tpi, "tpi_level": level}
        return {"water_worst": S.worst_class(g.by_class)}

