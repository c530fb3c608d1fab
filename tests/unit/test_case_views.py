"""The case console's photo strip (views/cases.py, layouts/cases.py): each photo's address names its case and hash,
its alt text says who took it and when (text from outside stays text), and the card renders with them."""

from __future__ import annotations

import json
import time

import plotly.utils

from layouts import cases as layout
from views import cases as view


def test_the_card_shows_each_photo_with_who_and_when() -> None:
    now = int(time.time() * 1000)
    recs = [{"sha256": "a" * 64, "by": "li<script>", "at_ms": now}, {"sha256": "b" * 64, "by": "zhao", "at_ms": now}]
    shots = view.photos(recs, "OS-1/../x", "en", "Asia/Shanghai")
    assert [s["url"] for s in shots] == [f"/api/v1/cases/OS-1%2F..%2Fx/photos/{c * 64}" for c in "ab"]
    assert shots[0]["alt"].startswith("Photo by li<script>, ") and view.when(now, "Asia/Shanghai") in shots[0]["alt"]
    row = {k: "x" for k in ("id", "category", "district", "state", "department", "due", "reported", "description")}
    card = json.loads(json.dumps(layout.card(row, "en", shots), cls=plotly.utils.PlotlyJSONEncoder))
    imgs = [c["props"]["children"]["props"] for c in card["props"]["children"][-1]["props"]["children"]]
    assert [(i["src"], i["alt"]) for i in imgs] == [(s["url"], s["alt"]) for s in shots]
    assert len(json.loads(json.dumps(layout.card(row, "en"), cls=plotly.utils.PlotlyJSONEncoder))["props"]
               ["children"]) == 1  # no photos: no strip


def test_a_case_is_due_soon_once_most_of_its_time_is_gone_and_overdue_after() -> None:
    now = int(time.time() * 1000)
    h = 3_600_000
    rec = {"id": "OS-1", "state": "dispatched", "category": "0101", "dispatched_ms": now - 8 * h, "due_ms": now + 2 * h}
    names: dict[str, tuple[str, str]] = {}
    soon = view.row(rec, now, "en", "Asia/Shanghai", names, warn_share=0.8)  # 80 % of ten hours gone
    assert soon["due_soon"] and soon["due"].endswith("due soon") and not soon["overdue"]
    calm = view.row(rec, now, "en", "Asia/Shanghai", names, warn_share=0.9)
    assert not calm["due_soon"] and "due soon" not in calm["due"]
    late = view.row({**rec, "due_ms": now - 1}, now, "zh", "Asia/Shanghai", names)
    assert late["overdue"] and not late["due_soon"] and late["due"].endswith("超期")
    assert not view.row({**rec, "state": "closed"}, now, "en", "Asia/Shanghai", names)["due_soon"]
    assert not view.row({**rec, "dispatched_ms": None}, now, "en", "Asia/Shanghai", names)["due_soon"]


def test_a_case_selection_is_read_from_the_url_and_nothing_else() -> None:
    from views.analyst import parse_case, parse_ref, parse_refs, parse_selection

    assert parse_selection("case:OS-0123ABCD") == {"feed": "case", "id": "OS-0123ABCD"}
    assert parse_selection({"feed": "case", "id": "OS-1"}) == {"feed": "case", "id": "OS-1"}
    assert parse_selection("air:1345A") == {"feed": "air", "id": "1345A"}
    for bad in ("case:", "case:a/b", "case:<script>", "case:" + "x" * 65, "cases:OS-1", None, 5):
        assert parse_selection(bad) is None and parse_case(bad) is None
    assert parse_ref("case:OS-1") is None  # a case has no history: never a compared or charted entity
    assert parse_refs("case:OS-1,air:1345A") == ["air:1345A"]


def test_each_photo_goes_to_the_step_it_came_after() -> None:
    from views.cases import timeline

    events = [{"action": "report", "by": "li", "at_ms": 1_000, "version": 0, "comment": ""},
              {"action": "register", "by": "wang", "at_ms": 2_000, "version": 1, "comment": ""},
              {"action": "dispatch", "by": "wang", "at_ms": 3_000, "version": 2, "comment": "快"}]
    shots = [{"sha256": "a" * 64, "by": "li", "at_ms": 1_100, "version": 0},
             {"sha256": "b" * 64, "by": "zhao", "at_ms": 5_000, "version": 2},
             {"sha256": "c" * 64, "by": "zhao", "at_ms": 6_000, "version": 7}]  # after steps not yet in the trail
    steps = timeline(events, shots, "OS-1", "en", "Asia/Shanghai")
    assert [s["action"] for s in steps] == ["Report", "Register", "Dispatch"]
    assert [[p["url"][-64:] for p in s["shots"]] for s in steps] == [["a" * 64], [], ["b" * 64, "c" * 64]]
    assert steps[2]["comment"] == "快" and timeline([], shots, "OS-1", "en", "Asia/Shanghai") == []


def test_the_live_region_says_a_case_new_to_the_queue_once_and_nothing_on_the_first_look() -> None:
    """Issue #21 (WCAG 4.1.3 status messages): the case console's live region reads out what came into the queue."""
    now = int(time.time() * 1000)
    recs = [{"id": f"C{i}", "state": state, "category": "0101", "district": "440103", "reported_ms": now - 3600_000,
             "updated_ms": now - 3600_000} for i, state in enumerate(("reported", "dispatched", "closed"))]
    rows = [view.row(rec, now, "en", "Asia/Shanghai", {"440103": ("荔湾区", "Liwan")}) for rec in recs]
    said, seen = view.announce(recs, rows, None, "en", now)
    assert said is None and seen == {"ids": ["C0", "C1"], "since": now}  # a closed case is not in the queue
    assert view.announce(recs, rows, seen, "en", now + 5000) == (None, seen)  # nothing new: nothing said
    # an old case that comes into view (another closed, the queue shows the longest waiting) is not news
    assert view.announce(recs, rows, {"ids": ["C0"], "since": now}, "en", now + 5000)[0] is None
    fresh = [{**rec, "updated_ms": now + 1000} for rec in recs]  # changed after the first look: news
    said, seen2 = view.announce(fresh, rows, {"ids": ["C0"], "since": now}, "en", now + 5000)
    assert said is not None and "C1" in said and "Liwan" in said and "more" not in said
    assert seen2 == {"ids": ["C0", "C1"], "since": now}
    said, _ = view.announce(fresh, rows, {"ids": [], "since": now}, "zh", now + 5000)
    assert said is not None and said.startswith("新案件") and "C0" in said and "另有 1 件" in said
