"""core.case_flow, the closed loop's state machine (issue #15): no sequence of actions, by anybody, reaches an
impossible state; what the state or the role does not allow is refused with the reason and changes nothing."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import case_flow as cf

H = 3_600_000
ACTORS = [cf.Actor("调度员", cf.DISPATCHER), cf.Actor("市政处置员", cf.HANDLER, "市政"),
          cf.Actor("环卫处置员", cf.HANDLER, "环卫"), cf.Actor("监督员", cf.INSPECTOR), cf.Actor("领导", cf.LEADER),
          cf.Actor("管理员", cf.ADMIN), cf.Actor("访客", "viewer")]
steps = st.lists(st.tuples(st.sampled_from(list(cf.ACTIONS) + ["explode"]), st.sampled_from(ACTORS),
                           st.sampled_from(["", "  ", "不是我们的", "已修复"]),
                           st.sampled_from([{}, {"department": "市政"}, {"department": "环卫"}, {"into": "C2"},
                                            {"into": "C1"}, {"department": " "}])), max_size=30)


def check(case: cf.Case) -> None:
    """What must hold of every case the machine can produce."""
    assert case.state in cf.STATES
    if case.state in cf.WITH_DEPARTMENT:
        assert case.department and case.due_ms is not None  # a department holds it, against a clock
    if case.state in (cf.REPORTED, cf.REGISTERED):
        assert case.department is None
    assert (case.state == cf.MERGED) == (case.merged_into is not None) and case.merged_into != case.id
    assert (case.state == cf.CLOSED) == (case.closed_ms is not None)
    assert case.reworks >= 0 and case.escalations >= 0


@given(steps)
def test_no_sequence_of_actions_reaches_an_impossible_state(seq: list) -> None:
    now = int(time.time() * 1000)
    case = cf.Case("C1", cf.REPORTED, "0101", district="440111", reported_ms=now)
    applied = 0
    for i, (action, actor, comment, args) in enumerate(seq):
        before = case
        try:
            step = cf.apply(case, action, actor, now + i * 60_000, comment=comment, args=args, limit_ms=48 * H)
        except cf.Refused as no:
            assert no.status in (400, 403, 409) and no.reason
            assert case == before  # a refusal changes nothing
            if before.state in cf.FINAL_STATES and action in cf.ACTIONS and cf.may(actor, action):
                assert no.status == 409  # a closed, rejected or merged case takes no more actions
            continue
        applied += 1
        case = step.case
        check(case)
        assert case.version == applied
        assert step.event["from"] == before.state and step.event["to"] == case.state and step.event["by"] == actor.name
        assert cf.may(actor, action)
        if actor.role == cf.HANDLER:
            assert before.department == actor.department  # a handler acts on its department's cases only


def test_the_whole_loop_with_a_return_and_a_rework() -> None:
    now = int(time.time() * 1000)
    d, h, i = ACTORS[0], ACTORS[1], ACTORS[3]
    case = cf.Case("C7", cf.REPORTED, "0101", reported_ms=now)
    trail = []
    for action, actor, comment, args in (("register", d, "", {}), ("dispatch", d, "", {"department": "环卫"}),
                                         ("redispatch", d, "井盖归市政", {"department": "市政"}),
                                         ("accept", h, "", {}), ("handle", h, "已更换井盖", {}),
                                         ("rework", i, "井盖未固定", {}), ("handle", h, "已固定", {}),
                                         ("close", i, "现场核查合格", {})):
        step = cf.apply(case, action, actor, now + len(trail) * H, comment=comment, args=args, limit_ms=24 * H)
        case = step.case
        trail.append((step.event["action"], step.event["to"]))
    assert case.state == cf.CLOSED and case.reworks == 1 and case.department == "市政" and case.version == 8
    assert case.due_ms == now + H + 24 * H  # the clock started at dispatch and kept running through the redispatch
    assert cf.on_time(case) is True and not cf.overdue(case, now + 100 * H)
    assert trail[-1] == ("close", cf.CLOSED)


@pytest.mark.parametrize(("action", "actor", "status", "words"), [
    ("dispatch", ACTORS[1], 403, "may not"),          # a handler does not dispatch
    ("handle", ACTORS[2], 403, "市政"),                # another department's handler
    ("close", ACTORS[3], 409, "dispatched"),          # not handled yet
    ("redispatch", ACTORS[0], 400, "reason"),         # 改派 needs a reason
    ("fly", ACTORS[0], 400, "unknown action"),
])
def test_refusals_say_why(action: str, actor: cf.Actor, status: int, words: str) -> None:
    now = int(time.time() * 1000)
    case = cf.Case("C9", cf.DISPATCHED, "0101", department="市政", due_ms=now + H, version=2)
    with pytest.raises(cf.Refused) as no:
        cf.apply(case, action, actor, now, args={"department": "环卫"})
    assert no.value.status == status and words in no.value.reason


def test_overdue_follows_the_due_time_and_the_state() -> None:
    now = int(time.time() * 1000)
    case = cf.Case("C3", cf.ACCEPTED, "0101", department="市政", due_ms=now - 1)
    assert cf.overdue(case, now) and not cf.overdue(case, now - 2)
    closed = cf.apply(cf.Case("C3", cf.HANDLED, "0101", department="市政", due_ms=now - 1), "close", ACTORS[3], now)
    assert not cf.overdue(closed.case, now) and cf.on_time(closed.case) is False  # closed, but late
