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
    """The figures of one set of rows: the city's (with its ranking and per-entity map) or one district's (with its
    rows, from which a caller scoped to it gets core.summary's figures of them: what it costs is the district's)."""

    __slots__ = ("n", "n_fresh", "values", "lent", "rank", "ids", "sums", "counts", "w", "length", "nw", "severe",
                 "by_class", "black", "members")

    def __init__(self) -> None:
        self.n = 0  # rows, fresh or not
        self.n_fresh = 0
        self.values: dict[str, Any] = {}  # the city: entity id -> what the maps draw (the summary's per-entity map)
        self.lent = False  # `values` was handed out: copy it before the next change
        self.rank: list[tuple[Any, ...]] = []  # the city: sort keys of the fresh ranked rows, worst first
        self.members: dict[str, Any] = {}  # a district: its rows
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
        self.stale_after_s = float(stale_after_s)
        self.stale_ms = self.stale_after_s * 1000
        self.cfg = cfg
        self.rows: dict[str, Any] = {}
        self.city = Group()
        self.districts: dict[str, Group] = {}
        self.counted: dict[str, tuple[Any, Any]] = {}  # rows counted as fresh -> (rank key, their part in the sums)
        self.heap: list[tuple[int, str]] = []  # (ts, entity id) of counted rows, some outdated (checked when popped)
        self.limit = float("-inf")  # rows with ts >= limit are fresh
        self.version = 0  # counts changes: what `held` made stays good while it has not moved
        self._held: tuple[int, int, dict[str, Any]] | None = None  # version, moment, figures
        self._key: Callable[[Any], Any] = {"air": S.air_key, "traffic": S.traffic_key, "water": S.water_key}[feed]

    # --- changes -------------------------------------------------------------------------------------------------
    def put(self, eid: str, row: Any) -> None:
        """The entity's new row (None: it is gone)."""
        self.version += 1
        old = self.rows.get(eid)
        if old is not None:
            if eid in self.counted:
                self._count(eid, old, -1)
            if old.adcode is not None and (row is None or row.adcode != old.adcode):
                g = self.districts[old.adcode]
                g.n -= 1
                del g.members[eid]
                if not g.n:
                    del self.districts[old.adcode]
        if row is None:
            if old is not None:
                del self.rows[eid]
                self.city.n -= 1
                self.city.writable().pop(eid)
            return
        self.rows[eid] = row  # an entity already there keeps its place in the order
        if old is None:
            self.city.n += 1
        if row.adcode is not None:
            g = self.districts.get(row.adcode)
            if g is None:
                g = self.districts[row.adcode] = Group()
            if eid not in g.members:
                g.n += 1
            g.members[eid] = row
        fresh = row.ts >= self.limit
        if fresh:
            self._count(eid, row, 1)
            heapq.heappush(self.heap, (row.ts, eid))
        self._value(eid, row, not fresh)

    def _value(self, eid: str, row: Any, stale: bool) -> None:
        self.city.writable()[eid] = self._value_of(row, stale)

    def _value_of(self, row: Any, stale: bool) -> Any:
        if self.feed == "air":
            return {"aqi": row.aqi, "level": row.level, "color": row.color, "stale": stale}
        return row.level if self.feed == "traffic" else row.klass

    def _part_of(self, eid: str, row: Any) -> tuple[Any, Any]:
        """A fresh row's rank key and its part in the sums, worked out once when it starts counting."""
        key = self._key(row)
        key = None if key is None else (*key, eid)
        if self.feed == "air":
            return key, ((str(row.id), eid), [(i, exact(c)) for i, c in enumerate(row.conc) if c is not None])
        if self.feed == "traffic":
            weight = None if row.weight is None else (exact(row.weight[0]), exact(row.weight[1]))
            return key, (weight, row.level == 5)
        return key, (row.klass if row.klass in self.city.by_class else None, bool(row.black_odorous))

    def _count(self, eid: str, row: Any, sign: int) -> None:
        """Add (sign 1) or take away (-1) a fresh row's part in its groups' figures."""
        if sign > 0:
            key, part = self.counted[eid] = self._part_of(eid, row)
        else:
            key, part = self.counted.pop(eid)
        city = self.city
        if key is not None:
            _move(city.rank, key, sign)
        self._add(city, part, sign)
        if row.adcode is not None:
            self._add(self.districts[row.adcode], part, sign)

    def _add(self, g: Group, part: Any, sign: int, ranked: bool = True) -> None:
        """A fresh row's part in one group's figures, added (sign 1) or taken away (-1)."""
        g.n_fresh += sign
        if self.feed == "air":
            if ranked:
                _move(g.ids, part[0], sign)
            sums, counts = g.sums, g.counts
            for i, e in part[1]:
                sums[i] = sums[i] + e if sign > 0 else sums[i] - e
                counts[i] += sign
        elif self.feed == "traffic":
            weight, severe = part
            if weight is not None:
                g.w = g.w + weight[0] if sign > 0 else g.w - weight[0]
                g.length = g.length + weight[1] if sign > 0 else g.length - weight[1]
                g.nw += sign
            if severe:
                g.severe += sign
        else:
            klass, black = part
            if klass is not None:
                g.by_class[klass] += sign
            if black:
                g.black += sign

    def fill(self, rows: dict[str, Any]) -> None:
        """Start again from these rows all at once (what putting them one by one gives, with each list sorted once:
        about half the cost of putting them one by one; store.snapshot.Tracker fills when over half a feed changed)."""
        self.version += 1
        limit, add, part_of, value_of = self.limit, self._add, self._part_of, self._value_of
        self.rows = dict(rows)
        self.city, self.districts, self.counted, self.heap = Group(), {}, {}, []
        city, districts, counted, heap, values = self.city, self.districts, self.counted, self.heap, self.city.values
        city.n = len(rows)
        for eid, row in rows.items():
            fresh = row.ts >= limit
            values[eid] = value_of(row, not fresh)
            g = None
            if row.adcode is not None:
                g = districts.get(row.adcode)
                if g is None:
                    g = districts[row.adcode] = Group()
                g.members[eid] = row
            if fresh:
                key, part = counted[eid] = part_of(eid, row)
                heap.append((row.ts, eid))
                add(city, part, 1, False)
                if g is not None:
                    add(g, part, 1, False)
        heapq.heapify(heap)
        city.rank = sorted(key for key, _ in counted.values() if key is not None)
        for g in districts.values():
            g.n = len(g.members)
        if self.feed == "air":
            city.ids = sorted(part[0] for _, part in counted.values())
            for g in districts.values():
                g.ids = sorted(counted[eid][1][0] for eid in g.members if eid in counted)

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
            if row is not None and row.ts < limit and eid in self.counted:
                self._count(eid, row, -1)
                if self.feed == "air":
                    self._value(eid, row, True)
        if len(heap) > 2 * len(self.counted) + 1024:  # outdated entries of rows updated since: drop them
            self.heap = [(self.rows[eid].ts, eid) for eid in self.counted]
            heapq.heapify(self.heap)

    def _recount(self, limit: float) -> None:
        self.limit = limit
        self.fill(self.rows)

    # --- the figures ---------------------------------------------------------------------------------------------
    def part(self, now_ms: int, scope: str | None = None) -> dict[str, Any]:
        """{"summary": the feed's summary, "districts": {adcode: the feed's district figures}} at `now_ms`, as
        core.summary computes them from all the rows; scoped: of the scope's district only, counted from its rows (a
        scoped call costs the district, not the city, and leaves the city's clock where it is: a district's request
        dated a moment before the one made ahead does not make the city count again)."""
        if scope is None:
            self.at(now_ms)
            return {"summary": self._summary(self.city),
                    "districts": {ad: self._district(g) for ad, g in self.districts.items()}}
        g = self.districts.get(scope)
        fig = S.feed_part(self.feed, {} if g is None else g.members, now_ms, self.stale_after_s, self.cfg)
        return {"summary": fig["summary"], "districts": fig["districts"]}  # its rows are all of its district

    def held(self, at_ms: int, scope: str | None = None) -> dict[str, Any]:
        """The figures at `at_ms`, a stale feed's newest data (core.summary.feed_part: what a stale tile keeps),
        counted from the rows without moving the clock; the city's are made once while nothing changes (a feed that
        stays stale for days costs one count)."""
        if scope is not None:
            g = self.districts.get(scope)
            return S.feed_part(self.feed, {} if g is None else g.members, at_ms, self.stale_after_s, self.cfg)
        memo = self._held
        if memo is None or memo[0] != self.version or memo[1] != at_ms:
            memo = self._held = (self.version, at_ms, S.feed_part(self.feed, self.rows, at_ms, self.stale_after_s,
                                                                     self.cfg))
        return memo[2]

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

