"""store.casebook against a real SQLite database made by the migrations (issue #15): the whole loop recorded, the
migrations agreeing with the tables, re-sent requests answered from the record, and real processes racing on one
case: one wins, the others are refused and told the state."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core import case_flow as cf
from store import casebook

pytestmark = pytest.mark.integration
H = 3_600_000
DISPATCHER = cf.Actor("调度员甲", cf.DISPATCHER)
HANDLER = cf.Actor("市政处置员", cf.HANDLER, "市政")
INSPECTOR = cf.Actor("监督员乙", cf.INSPECTOR)


@pytest.fixture(params=["sqlite", "postgres"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[casebook.Casebook]:
    """A migrated, empty case database: SQLite (the default) and PostgreSQL (by URL), every test on both."""
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("pg_server").fresh_database(f"t{uuid.uuid4().hex[:12]}")
    eng = casebook.engine_for(url, tmp_path)
    casebook.migrate(eng)
    yield casebook.Casebook(eng)
    eng.dispose()


def test_the_migrations_make_exactly_the_tables_the_code_uses(book: casebook.Casebook) -> None:
    with book.eng.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), casebook.metadata) == []
        if book.eng.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    casebook.migrate(book.eng)  # again: nothing to do, no error


def test_a_case_goes_round_the_loop_and_every_step_is_recorded(book: casebook.Casebook) -> None:
    now = int(time.time() * 1000)
    book.report("C1", "0101", now, kind="component", component_id="0101-000042", district="440111", lon=113.27,
                lat=23.16, description="井盖缺失", by="监督员乙", role=cf.INSPECTOR)
    steps = [("register", DISPATCHER, "", {}), ("dispatch", DISPATCHER, "", {"department": "市政"}),
             ("accept", HANDLER, "", {}), ("handle", HANDLER, "已更换", {}), ("rework", INSPECTOR, "未固定", {}),
             ("handle", HANDLER, "已固定", {}), ("close", INSPECTOR, "核查合格", {})]
    for i, (action, actor, comment, args) in enumerate(steps, start=1):
        case, applied = book.act("C1", action, actor, now + i * H, comment=comment, args=args, limit_ms=24 * H,
                                 expected_version=i - 1, request_id=f"r{i}")
        assert applied and case.version == i
    case = book.get("C1")
    assert case is not None and case.state == cf.CLOSED and case.reworks == 1 and case.due_ms == now + 2 * H + 24 * H
    trail = book.trail("C1")
    assert [t["action"] for t in trail] == ["report", *(s[0] for s in steps)]
    assert trail[5]["comment"] == "未固定" and trail[5]["by"] == "监督员乙" and trail[2]["department"] == "市政"
    assert cf.on_time(case) is True


def test_a_resent_request_is_answered_from_the_record_and_a_stale_one_is_refused(book: casebook.Casebook) -> None:
    now = int(time.time() * 1000)
    book.report("C2", "0203", now)
    book.report("C2", "0203", now)  # the same report again: still one case, one report event
    first, applied = book.act("C2", "register", DISPATCHER, now, request_id="req-1", expected_version=0)
    again, applied_again = book.act("C2", "register", DISPATCHER, now + 5, request_id="req-1", expected_version=0)
    assert applied and not applied_again and again == first and len(book.trail("C2")) == 2
    with pytest.raises(cf.Refused) as stale:  # a page that still shows version 0
        book.act("C2", "reject", DISPATCHER, now, comment="重复", expected_version=0)
    assert stale.value.status == 409 and "registered now" in stale.value.reason
    with pytest.raises(cf.Refused) as other:
        book.act("C2", "dispatch", DISPATCHER, now, request_id="req-1", args={"department": "市政"})
    assert other.value.status == 409  # one request id, one action
    with pytest.raises(cf.Refused) as missing:
        book.act("C404", "register", DISPATCHER, now)
    assert missing.value.status == 404
    with pytest.raises(cf.Refused) as bad:
        book.report("C3", "0101", now, channel="pigeon")
    assert bad.value.status == 400 and book.get("C3") is None


def test_a_duplicate_merges_only_into_an_open_case(book: casebook.Casebook) -> None:
    now = int(time.time() * 1000)
    for cid in ("A", "B", "C"):
        book.report(cid, "0101", now)
    book.act("C", "reject", DISPATCHER, now, comment="不属实")
    with pytest.raises(cf.Refused):
        book.act("A", "merge", DISPATCHER, now, args={"into": "C"})  # C is rejected
    with pytest.raises(cf.Refused):
        book.act("A", "merge", DISPATCHER, now, args={"into": "nowhere"})
    merged, _ = book.act("A", "merge", DISPATCHER, now, args={"into": "B"})
    assert merged.state == cf.MERGED and merged.merged_into == "B"


def _dispatch(args: tuple[str | None, str, str, int]) -> str:
    """One process's attempt to dispatch the case: 'won' or the refusal's status."""
    url, data_dir, dept, version = args
    book = casebook.Casebook(casebook.engine_for(url, Path(data_dir)))
    try:
        book.act("RACE", "dispatch", cf.Actor(f"调度员{dept}", cf.DISPATCHER), int(time.time() * 1000),
                 args={"department": dept}, expected_version=version, limit_ms=H)
        return "won"
    except cf.Refused as no:
        return str(no.status)
    finally:
        book.eng.dispose()


def test_dispatchers_in_other_processes_racing_on_one_case_one_wins(book: casebook.Casebook, tmp_path: Path) -> None:
    now = int(time.time() * 1000)
    book.report("RACE", "0101", now)
    case, _ = book.act("RACE", "register", DISPATCHER, now)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        url = None if book.eng.dialect.name == "sqlite" else book.eng.url.render_as_string(hide_password=False)
        outcomes = pool.map(_dispatch, [(url, str(tmp_path), f"部门{i}", case.version) for i in range(8)])
    assert sorted(outcomes) == ["409"] * 7 + ["won"], outcomes
    trail = book.trail("RACE")
    assert [t["action"] for t in trail] == ["report", "register", "dispatch"]
    with book.eng.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(casebook.case_events)).scalar() == 3


def _migrate(args: tuple[str | None, str]) -> str:
    """One process opening fresh records and migrating them, as the web process and the feed runner do at once."""
    url, data_dir = args
    eng = casebook.engine_for(url, Path(data_dir))
    try:
        casebook.migrate(eng)
        with eng.connect() as conn:
            return str(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar())
    finally:
        eng.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_processes_migrating_fresh_records_at_once_all_succeed(dialect: str, request: pytest.FixtureRequest,
                                                               tmp_path: Path) -> None:
    url = None if dialect == "sqlite" else request.getfixturevalue("pg_server").fresh_database(
        f"m{uuid.uuid4().hex[:12]}")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        heads = pool.map(_migrate, [(url, str(tmp_path / "fresh"))] * 6)
    assert len(set(heads)) == 1 and heads[0].isdigit(), heads  # every one at the newest, none failed
