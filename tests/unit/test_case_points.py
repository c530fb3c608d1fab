"""core.case_points: the case layer's short entries, written and read back, and hostile values kept out."""

from __future__ import annotations

import math
import time

from hypothesis import given
from hypothesis import strategies as st

from core import case_points


def test_an_entry_reads_back_as_written_and_bad_positions_have_none() -> None:
    now = int(time.time() * 1000)
    e = case_points.entry(113.264385, "23.129112", now - 1, "440104")
    p = case_points.parse({"C1": e, "C2": case_points.entry(113.3, 23.2, None, "4401,04")})
    assert p.ids == ["C1", "C2"] and p.lon.tolist() == [113.264385, 113.3] and p.lat.tolist() == [23.129112, 23.2]
    assert p.overdue(now).tolist() == [True, False] and math.isinf(p.due[1])  # no due time: never overdue
    assert p.district == ["440104", ""]  # a comma (or anything not an adcode) never reaches the entry's columns
    for lon, lat in (("bad", 23.1), (float("nan"), 23.1), (113.3, float("inf")), (None, 23.1)):
        assert case_points.entry(lon, lat, now, "440104") == ""


def test_malformed_entries_are_skipped_and_districts_filter() -> None:
    p = case_points.parse({"A": "113.3,23.1,1,440111", "B": "x,23.1,1,440111", "C": "113.3,23.1", "D": "1,2,3,4,5",
                           "E": "113.4,23.0,inf,440112"})
    assert p.ids == ["A", "E"]
    assert p.in_district("440112").ids == ["E"] and p.in_district(None) is p and len(p.in_district("440113")) == 0
    assert len(case_points.parse({})) == 0


def test_from_docs_reads_district_from_meta_first_as_the_writer_does() -> None:
    docs = [{"id": "A", "v": {"long": 113.3, "lat": 23.1, "district_adcode": "440111"},
             "m": {"district_adcode": "440112"}, "d": {"due_ms": 5}},
            {"id": "B", "v": {"long": "bad", "lat": 23.1}, "d": {}}]
    p = case_points.from_docs(docs)
    assert p.ids == ["A"] and p.district == ["440112"] and p.due.tolist() == [5.0]


entries = st.one_of(st.none(), st.just("garbage"),
                    st.tuples(st.integers(-50, 50), st.integers(-50, 50), st.integers(0, 9), st.sampled_from(
                        ["440111", ""])).map(lambda t: f"{113 + t[0] / 100!r},{23 + t[1] / 100!r},{t[2]},{t[3]}"))


@given(st.dictionaries(st.sampled_from([f"c{i}" for i in range(40)]), entries.filter(lambda e: e is not None)),
       st.lists(st.dictionaries(st.sampled_from([f"c{i}" for i in range(80)]), entries), max_size=8))
def test_a_table_changed_step_by_step_draws_what_the_whole_hash_draws(start: dict, steps: list) -> None:
    """core.case_points.Table (store.snapshot.CaseTracker's copy): cases opened, moved, closed (None) or malformed,
    over many steps with holes and packing, always draw what parsing the whole hash draws."""
    def drawn(p: case_points.CasePoints) -> list:
        return sorted((p.ids[i], p.lon[i], p.lat[i], p.due[i], p.district[i]) for i, cid in enumerate(p.ids) if cid)

    table, whole = case_points.Table(pack_min=2), dict(start)  # packs often: holes, reuse and packing all run
    held = table.reset(start)
    for changes in steps:
        prev, before = held, drawn(held)
        held = table.update(changes)
        for cid, text in changes.items():
            if text is None:
                whole.pop(cid, None)
            else:
                whole[cid] = text
        assert drawn(held) == drawn(case_points.parse(whole))
        assert drawn(prev) == before  # the earlier copy was not changed under its holder
