"""The closed loop's records: cases, the reports that opened them and every action taken on them, in a SQL database a
city keeps for years (issue #15). SQLite in ONESCREEN_DATA_DIR by default (WAL, durable commits), PostgreSQL by URL
(ONESCREEN_DATABASE_URL); the schema is made by the migrations in store/migrations (Alembic). Redis keeps only what
the screens need per tick.

Every action goes through core.case_flow and is written with a compare-and-set on the case's version, in one
transaction with its audit event: of two dispatchers acting on one case at once, one wins and the other is refused
(409) and told the case's state now. An action sent again with the same request id is answered from the record,
not applied twice."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core import case_flow as cf

log = logging.getLogger("onescreen.casebook")
metadata = sa.MetaData()

cases = sa.Table(
    "cases", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # component (部件) or event (事件)
    sa.Column("channel", sa.String(16), nullable=False),  # inspector, video, public, superior, alert
    sa.Column("district", sa.String(6)),
    sa.Column("department", sa.String(64), index=True),
    sa.Column("lon", sa.Float), sa.Column("lat", sa.Float),
    sa.Column("component_id", sa.String(64)),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("reported_ms", sa.BigInteger, nullable=False),
    sa.Column("due_ms", sa.BigInteger),
    sa.Column("closed_ms", sa.BigInteger),
    sa.Column("merged_into", sa.String(64)),
    sa.Column("reworks", sa.Integer, nullable=False, default=0),
    sa.Column("escalations", sa.Integer, nullable=False, default=0),
    sa.Column("urgent", sa.Boolean, nullable=False, default=False, server_default=sa.false()),  # dispatched urgent
    sa.Column("dispatched_ms", sa.BigInteger),  # the last dispatch (a redispatch keeps it, as it keeps the due time)
    sa.Column("version", sa.Integer, nullable=False, default=0),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
    # the queues: a step's cases longest waiting first, city-wide, per district, per department (migration 0002)
    sa.Index("ix_cases_state_reported", "state", "reported_ms", "id"),
    sa.Index("ix_cases_district_state_reported", "district", "state", "reported_ms"),
    sa.Index("ix_cases_department_state_reported", "department", "state", "reported_ms"),
    sa.Index("ix_cases_state_closed", "state", "closed_ms"),
    sa.Index("ix_cases_updated", "updated_ms"),  # what changed since a moment (the one map's case layer; 0004)
    sa.Index("ix_cases_state_due", "state", "due_ms"),  # the longest overdue first (the overview's 督办 list; 0004)
)

case_events = sa.Table(
    "case_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("from_state", sa.String(16)),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("by", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("at_ms", sa.BigInteger, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("department", sa.String(64)),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(64)),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),  # JSON: the action's arguments
    sa.UniqueConstraint("case_id", "request_id", name="uq_case_events_request"),
)

case_photos = sa.Table(  # the bytes are in store.photos.PhotoDir, by their SHA-256
    "case_photos", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content_type", sa.String(32), nullable=False),
    sa.Column("bytes", sa.Integer, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("by", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("at_ms", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the case's version then: the step it came with
    sa.UniqueConstraint("case_id", "sha256", name="uq_case_photos_sha"),
)

case_forwards = sa.Table(  # the Open311 forwarding outbox (data_sources/providers/open311_forward.py; 0006)
    "case_forwards", metadata,
    sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), primary_key=True),
    sa.Column("state", sa.String(8), nullable=False),  # pending, sent or dead (the dead letters)
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_ms", sa.BigInteger, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("sent_ms", sa.BigInteger),
    sa.Column("upstream_id", sa.String(128)),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_case_forwards_state_next", "state", "next_ms"),
)

case_rules_docs = sa.Table(  # the dispatch table as an admin saved it, every version (migration 0007)
    "case_rules_docs", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc", sa.Text, nullable=False),  # the YAML text, as config/case_rules.yaml is written
    sa.Column("by", sa.String(64), nullable=False),
    sa.Column("at_ms", sa.BigInteger, nullable=False),
)

MAX_PHOTOS = 20  # per case: the report's, the handler's, the check's, with room to spare
KINDS = ("component", "event")
CHANNELS = ("inspector", "video", "public", "superior", "alert")


def new_id() -> str:
    """A new case id: OS- and 20 random hex digits (80 bits: no two alike in any city's lifetime)."""
    return f"OS-{secrets.token_hex(10).upper()}"


def engine_for(url: str | None, data_dir: Path) -> Engine:
    """The case database: `url` (PostgreSQL, or any SQLAlchemy URL), else SQLite at data_dir/cases.db in WAL mode
    with full fsync on commit, foreign keys on, and writers taking the lock when they begin (so two writers queue
    instead of one failing half-way)."""
    if url:
        return sa.create_engine(url, pool_pre_ping=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    eng = sa.create_engine(f"sqlite:///{data_dir / 'cases.db'}", connect_args={"timeout": 30})

    @event.listens_for(eng, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver's own BEGIN off: ours below
        cur = dbapi_conn.cursor()
        _wal(cur)
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(eng, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return eng


WAL_TRIES = 300  # x 0.1 s: a new database's first writer may hold its lock that long (its first migration)


def _wal(cur: Any) -> None:
    """WAL mode (kept in the file once set). Switching needs the database to itself, and SQLite answers "locked" at
    once rather than waiting, so a new database opened by two threads or processes at the same moment (the web
    process and the feed runner, both migrating it) tries again until the other's transaction ends."""
    import sqlite3

    for attempt in range(WAL_TRIES):
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_TRIES - 1:
                raise
            time.sleep(0.1)


def migrate(eng: Engine) -> None:
    """Bring the schema to the newest migration (store/migrations; Alembic), in one transaction. Any number of
    processes may do it at once: SQLite's writers queue (BEGIN IMMEDIATE), PostgreSQL's take an advisory lock, so
    the later ones find the schema new and do nothing."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    with eng.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4751)")  # "OS": the case records' migrations
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _case(row: Mapping[str, Any]) -> cf.Case:
    return cf.Case(id=row["id"], state=row["state"], category=row["category"], district=row["district"],
                   department=row["department"], due_ms=row["due_ms"], reported_ms=row["reported_ms"],
                   closed_ms=row["closed_ms"], merged_into=row["merged_into"], reworks=row["reworks"],
                   escalations=row["escalations"], urgent=bool(row.get("urgent")),
                   dispatched_ms=row.get("dispatched_ms"), version=row["version"])


class Casebook:
    """The case records of one database. `on_change(row)` (the case's row as this change committed it) is called
    after each commit, to keep the live layer (store.loop) in step; its failure is logged, never the action's."""

    def __init__(self, eng: Engine, on_change: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.eng = eng
        self.on_change = on_change

    def _changed(self, row: dict[str, Any]) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change(row)
        except Exception:  # noqa: BLE001 - recorded is recorded: the layer is made again from the records
            log.warning("case %s recorded, but the live layer was not updated", row.get("id"), exc_info=True)

    def due_counts(self, urgent: bool = False) -> dict[str | None, int]:
        """Open cases with a due time (`urgent`: the urgent ones), per district and for the whole city (None)."""
        wanted = cases.c.due_ms.is_not(None) if not urgent else sa.and_(cases.c.urgent.is_(True),
                                                                         cases.c.dispatched_ms.is_not(None))
        with self.eng.connect() as conn:
            rows = conn.execute(sa.select(cases.c.district, sa.func.count())
                                .where(cases.c.state.in_(tuple(cf.OPEN_STATES)), wanted)
                                .group_by(cases.c.district)).all()
        out: dict[str | None, int] = {d: int(n) for d, n in rows if d}
        out[None] = sum(int(n) for _, n in rows)
        return out

    def state_counts(self) -> list[tuple[str | None, str, int]]:
        """(district, state, cases) over every case."""
        with self.eng.connect() as conn:
            rows = conn.execute(sa.select(cases.c.district, cases.c.state, sa.func.count())
                                .group_by(cases.c.district, cases.c.state)).all()
        return [(d, s, int(n)) for d, s, n in rows]

    def live(self, since_ms: int) -> list[dict[str, Any]]:
        """The open cases and those closed since `since_ms` (what the live layer lists)."""
        query = sa.select(cases.c.id, cases.c.state, cases.c.district, cases.c.due_ms, cases.c.closed_ms,
                          cases.c.version, cases.c.updated_ms, cases.c.urgent, cases.c.dispatched_ms).where(
            sa.or_(cases.c.state.in_(tuple(cf.OPEN_STATES)),
                   sa.and_(cases.c.state == cf.CLOSED, cases.c.closed_ms >= since_ms)))
        with self.eng.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def report(self, case_id: str, category: str, now_ms: int, *, kind: str = "event", channel: str = "inspector",
               district: str | None = None, lon: float | None = None, lat: float | None = None,
               component_id: str | None = None, description: str = "", by: str = "", role: str = "",
               recorded_ms: int | None = None) -> cf.Case:
        """A new case from a report (state reported) made at `now_ms`; the same id again answers the case as it is
        (idempotent). `recorded_ms`: when it was recorded here, when that is later (a camera's event sent late):
        readers of what changed since a moment go by it."""
        if kind not in KINDS:
            raise cf.Refused(400, f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if channel not in CHANNELS:
            raise cf.Refused(400, f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
        try:
            return self._report(case_id, category, now_ms, kind, channel, district, lon, lat, component_id,
                                description, by, role, max(now_ms, recorded_ms or now_ms))
        except sa.exc.IntegrityError:  # the same report at the same moment in another process: that one stands
            case = self.get(case_id)
            if case is None:
                raise
            return case

    def _report(self, case_id: str, category: str, now_ms: int, kind: str, channel: str, district: str | None,
                lon: float | None, lat: float | None, component_id: str | None, description: str, by: str,
                role: str, recorded_ms: int) -> cf.Case:
        new: dict[str, Any]
        with self.eng.begin() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
            if row is not None:
                return _case(row)
            new = dict(id=case_id, state=cf.REPORTED, category=category, kind=kind, channel=channel,
                       district=district, lon=lon, lat=lat, component_id=component_id, description=description,
                       reported_ms=now_ms, due_ms=None, closed_ms=None, reworks=0, escalations=0, urgent=False,
                       dispatched_ms=None, version=0,
                       updated_ms=recorded_ms)
            conn.execute(cases.insert().values(**new))
            conn.execute(case_events.insert().values(
                case_id=case_id, action="report", from_state=None, to_state=cf.REPORTED, by=by or channel,
                role=role or channel, at_ms=now_ms, comment=description, version=0, detail="{}"))
        self._changed(new)
        return self.get(case_id)  # type: ignore[return-value]

    def get(self, case_id: str) -> cf.Case | None:
        """One case, or None."""
        with self.eng.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
        return None if row is None else _case(row)

    def act(self, case_id: str, action: str, actor: cf.Actor, now_ms: int, *, comment: str = "",
            args: Mapping[str, Any] | None = None, expected_version: int | None = None,
            request_id: str | None = None, limit_ms: int | None = None) -> tuple[cf.Case, bool]:
        """Apply an action (core.case_flow.apply) and record it; returns (the case after it, whether it was applied
        now: False when the same request id was applied before). Refused: 404 for an unknown case, 409 when the
        case is not at `expected_version` (someone acted first: the reason says what it is now) or its state does
        not allow the action, 403/400 as case_flow says."""
        with self.eng.begin() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
            if row is None:
                raise cf.Refused(404, f"no case {case_id!r}")
            case = _case(row)
            if request_id:
                seen = conn.execute(sa.select(case_events.c.action).where(
                    case_events.c.case_id == case_id, case_events.c.request_id == request_id)).first()
                if seen is not None:
                    if seen[0] != action:
                        raise cf.Refused(409, f"request {request_id!r} was a {seen[0]}, not a {action}")
                    return case, False
            if expected_version is not None and expected_version != case.version:
                raise cf.Refused(409, f"case {case_id} changed meanwhile: it is {case.state} now "
                                      f"(version {case.version}, not {expected_version})")
            if action == "merge":
                into = str((args or {}).get("into") or "")
                target = conn.execute(sa.select(cases.c.state).where(cases.c.id == into)).first()
                if target is None or target[0] in cf.FINAL_STATES:
                    raise cf.Refused(409, f"cannot merge into {into!r}: no such open case")
            step = cf.apply(case, action, actor, now_ms, comment=comment, args=args, limit_ms=limit_ms)
            after = step.case
            changes = {k: v for k, v in asdict(after).items() if k not in ("id", "category", "reported_ms")}
            done = conn.execute(cases.update().where(cases.c.id == case_id, cases.c.version == case.version)
                                .values(**changes, updated_ms=now_ms))
            if done.rowcount != 1:  # PostgreSQL: another transaction changed it after our read (SQLite: never, the
                raise cf.Refused(409, f"case {case_id} changed meanwhile: read it again")  # writer lock is ours)
            ev = step.event
            conn.execute(case_events.insert().values(
                case_id=case_id, action=action, from_state=ev["from"], to_state=ev["to"], by=actor.name,
                role=actor.role, at_ms=now_ms, comment=ev["comment"], department=after.department,
                version=after.version, request_id=request_id or None,
                detail=json.dumps(dict(args or {}), ensure_ascii=False, sort_keys=True)))
        self._changed({**dict(row), **changes, "updated_ms": now_ms})
        return after, True

    def record(self, case_id: str) -> dict[str, Any] | None:
        """One case's whole row (what the API shows), or None."""
        with self.eng.connect() as conn:
            row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).mappings().first()
        return None if row is None else dict(row)

    def find(self, *, states: tuple[str, ...] = (), district: str | None = None, department: str | None = None,
             limit: int = 200, ids: tuple[str, ...] = (), categories: tuple[str, ...] = (), kinds: tuple[str, ...] = (),
             since_ms: int | None = None, until_ms: int | None = None,
             newest_first: bool = False) -> list[dict[str, Any]]:
        """Cases in these states (any when empty), of one district and/or department, with these ids or categories,
        reported in [since_ms, until_ms); oldest report first (the queue's order: who waited longest comes first),
        or newest first."""
        query = sa.select(cases)
        for column, wanted in ((cases.c.state, states), (cases.c.id, ids), (cases.c.category, categories),
                               (cases.c.kind, kinds)):
            if wanted:
                query = query.where(column.in_(wanted))
        if district is not None:
            query = query.where(cases.c.district == district)
        if department is not None:
            query = query.where(cases.c.department == department)
        if since_ms is not None:
            query = query.where(cases.c.reported_ms >= since_ms)
        if until_ms is not None:
            query = query.where(cases.c.reported_ms < until_ms)
        order = (cases.c.reported_ms.desc(), cases.c.id.desc()) if newest_first else (cases.c.reported_ms, cases.c.id)
        with self.eng.connect() as conn:
            rows = conn.execute(query.order_by(*order).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def departments(self, since_ms: int, now_ms: int, district: str | None = None) -> list[dict[str, Any]]:
        """综合评价 per department: cases closed since `since_ms` (on time, late, reworked at least once, mean hours
        from report to close) and open ones now (with it, overdue); of one district when given."""
        closed = sa.select(
            cases.c.department, sa.func.count().label("closed"),
            sa.func.sum(sa.case((sa.and_(cases.c.due_ms.is_not(None), cases.c.closed_ms > cases.c.due_ms), 1),
                                else_=0)).label("late"),
            sa.func.sum(sa.case((cases.c.reworks > 0, 1), else_=0)).label("reworked"),
            sa.func.avg(cases.c.closed_ms - cases.c.reported_ms).label("mean_ms"),
        ).where(cases.c.state == cf.CLOSED, cases.c.closed_ms >= since_ms, cases.c.department.is_not(None))
        opened = sa.select(
            cases.c.department, sa.func.count().label("open"),
            sa.func.sum(sa.case((sa.and_(cases.c.due_ms.is_not(None), cases.c.due_ms < now_ms), 1),
                                else_=0)).label("overdue"),
        ).where(cases.c.state.in_(tuple(cf.WITH_DEPARTMENT)), cases.c.department.is_not(None))
        if district is not None:
            closed, opened = closed.where(cases.c.district == district), opened.where(cases.c.district == district)
        with self.eng.connect() as conn:
            done = {r.department: r for r in conn.execute(closed.group_by(cases.c.department))}
            now = {r.department: r for r in conn.execute(opened.group_by(cases.c.department))}
        out = []
        for dept in sorted({*done, *now}):
            c, o = done.get(dept), now.get(dept)
            n = int(c.closed) if c else 0
            out.append({"department": dept, "closed": n, "late": int(c.late or 0) if c else 0,
                        "on_time_rate": None if not n else round(100.0 * (n - int(c.late or 0)) / n, 1),
                        "rework_rate": None if not n else round(100.0 * int(c.reworked or 0) / n, 1),
                        "mean_hours": None if not n else round(float(c.mean_ms) / 3_600_000, 1),
                        "open": int(o.open) if o else 0, "overdue": int(o.overdue or 0) if o else 0})
        return out

    def overdue(self, now_ms: int, *, district: str | None = None, department: str | None = None,
                limit: int = 8) -> list[dict[str, Any]]:
        """Open cases past their due time, the longest overdue first (of one district and/or department)."""
        query = sa.select(cases).where(cases.c.state.in_(tuple(cf.OPEN_STATES)), cases.c.due_ms < now_ms)
        if district is not None:
            query = query.where(cases.c.district == district)
        if department is not None:
            query = query.where(cases.c.department == department)
        with self.eng.connect() as conn:
            rows = conn.execute(query.order_by(cases.c.due_ms, cases.c.id).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def positions(self, changed_since_ms: int | None = None) -> list[dict[str, Any]]:
        """Cases as the one map draws them (id, state, lon, lat, due_ms, district, department, updated_ms): every
        open case with a position, or every case changed since `changed_since_ms` whatever its state (so a reader
        keeping them up to date sees the ones that closed)."""
        query = sa.select(cases.c.id, cases.c.state, cases.c.lon, cases.c.lat, cases.c.due_ms, cases.c.district,
                          cases.c.department, cases.c.updated_ms)
        if changed_since_ms is None:
            query = query.where(cases.c.state.in_(tuple(cf.OPEN_STATES)), cases.c.lon.is_not(None))
        else:
            query = query.where(cases.c.updated_ms >= changed_since_ms)
        with self.eng.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def add_photo(self, case_id: str, info: Mapping[str, Any], by: str, role: str, now_ms: int
                  ) -> tuple[dict[str, Any], bool]:
        """Record a checked photo of an open case (see _add_photo); the same photo sent twice at once is one."""
        try:
            return self._add_photo(case_id, info, by, role, now_ms)
        except sa.exc.IntegrityError:  # the same photo at the same moment from another request: that one stands
            seen = self.photo(case_id, str(info["sha256"]))
            if seen is None:
                raise
            return seen, False

    def _add_photo(self, case_id: str, info: Mapping[str, Any], by: str, role: str, now_ms: int
                   ) -> tuple[dict[str, Any], bool]:
        """Record a checked photo (store.photos.check) of an open case, with the step the case is at; (its record,
        whether it is new: the same photo again is the same record). Refused 404 for an unknown case, 409 for a
        closed one or one that has MAX_PHOTOS already."""
        with self.eng.begin() as conn:
            row = conn.execute(sa.select(cases.c.state, cases.c.version).where(cases.c.id == case_id)
                               .with_for_update()).first()  # PostgreSQL: photos of one case counted one at a time
            if row is None:
                raise cf.Refused(404, f"no case {case_id!r}")
            seen = conn.execute(sa.select(case_photos).where(case_photos.c.case_id == case_id,
                                                             case_photos.c.sha256 == info["sha256"])).mappings().first()
            if seen is not None:
                return dict(seen), False
            if row.state in cf.FINAL_STATES:
                raise cf.Refused(409, f"case {case_id} is {row.state}: it takes no more photos")
            n = conn.execute(sa.select(sa.func.count()).select_from(case_photos)
                             .where(case_photos.c.case_id == case_id)).scalar_one()
            if n >= MAX_PHOTOS:
                raise cf.Refused(409, f"case {case_id} has {MAX_PHOTOS} photos already")
            new = dict(case_id=case_id, sha256=info["sha256"], content_type=info["content_type"],
                       bytes=int(info["bytes"]), width=int(info["width"]), height=int(info["height"]), by=by,
                       role=role, at_ms=now_ms, version=int(row.version))
            new["id"] = conn.execute(case_photos.insert().values(**new)).inserted_primary_key[0]
        return new, True

    def photos(self, case_id: str) -> list[dict[str, Any]]:
        """A case's photos, oldest first."""
        with self.eng.connect() as conn:
            rows = conn.execute(sa.select(case_photos).where(case_photos.c.case_id == case_id)
                                .order_by(case_photos.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def photo(self, case_id: str, sha256: str) -> dict[str, Any] | None:
        """One photo's record of a case, or None."""
        with self.eng.connect() as conn:
            row = conn.execute(sa.select(case_photos).where(case_photos.c.case_id == case_id,
                                                            case_photos.c.sha256 == sha256)).mappings().first()
        return None if row is None else dict(row)

    def forward_enqueue(self, channels: tuple[str, ...], since_ms: int, now_ms: int) -> int:
        """Put into the forwarding outbox every case of these channels reported since `since_ms` that is not in it
        yet (pending, to be tried now); how many were added."""
        have = sa.select(case_forwards.c.case_id)
        new = sa.select(cases.c.id).where(cases.c.channel.in_(channels), cases.c.reported_ms >= since_ms,
                                          cases.c.id.not_in(have))
        with self.eng.begin() as conn:
            ids = [r[0] for r in conn.execute(new).all()]
            if ids:
                conn.execute(case_forwards.insert(), [dict(case_id=i, state="pending", attempts=0, next_ms=now_ms,
                                                           created_ms=now_ms) for i in ids])
        return len(ids)

    def forward_due(self, now_ms: int, limit: int = 50) -> list[dict[str, Any]]:
        """Pending forwards whose try is due, oldest first, with their case's fields."""
        query = (sa.select(cases, case_forwards.c.attempts).join(case_forwards, case_forwards.c.case_id == cases.c.id)
                 .where(case_forwards.c.state == "pending", case_forwards.c.next_ms <= now_ms)
                 .order_by(case_forwards.c.next_ms, cases.c.id).limit(limit))
        with self.eng.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def forward_done(self, case_id: str, now_ms: int, *, upstream_id: str | None = None, error: str | None = None,
                     next_ms: int | None = None) -> None:
        """Record one try: sent (with the upstream's id), to be tried again at `next_ms`, or dead (an error and no
        next try)."""
        if error is None:
            values: dict[str, Any] = dict(state="sent", sent_ms=now_ms, upstream_id=upstream_id, last_error=None)
        else:
            values = dict(state="pending" if next_ms is not None else "dead", last_error=error[:2000],
                          next_ms=next_ms if next_ms is not None else now_ms)
        with self.eng.begin() as conn:
            conn.execute(case_forwards.update().where(case_forwards.c.case_id == case_id)
                         .values(**values, attempts=case_forwards.c.attempts + 1))

    def forwards(self, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The outbox's rows (of one state), newest first."""
        query = sa.select(case_forwards)
        if state is not None:
            query = query.where(case_forwards.c.state == state)
        with self.eng.connect() as conn:
            return [dict(r) for r in conn.execute(query.order_by(case_forwards.c.created_ms.desc(),
                                                                case_forwards.c.case_id).limit(limit))
                    .mappings().all()]

    def forward_counts(self) -> dict[str, int]:
        """How many forwards are pending, sent and dead."""
        with self.eng.connect() as conn:
            rows = conn.execute(sa.select(case_forwards.c.state, sa.func.count()).group_by(case_forwards.c.state))
            got = {str(s): int(n) for s, n in rows.all()}
        return {s: got.get(s, 0) for s in ("pending", "sent", "dead")}

    def rules_doc(self) -> dict[str, Any] | None:
        """The newest saved dispatch table {version, doc, by, at_ms}, or None when none was ever saved."""
        with self.eng.connect() as conn:
            row = conn.execute(sa.select(case_rules_docs).order_by(case_rules_docs.c.version.desc()).limit(1)
                               ).mappings().first()
        return None if row is None else dict(row)

    def save_rules_doc(self, doc: str, by: str, now_ms: int, expected_version: int | None = None) -> int:
        """Save a new version of the dispatch table (checked by the caller); its version. Refused 409 when
        `expected_version` is given and is not the newest (0: none saved yet): someone saved meanwhile."""
        try:
            with self.eng.begin() as conn:
                newest = conn.execute(sa.select(sa.func.max(case_rules_docs.c.version))).scalar() or 0
                if expected_version is not None and expected_version != newest:
                    raise cf.Refused(409, f"the dispatch table changed meanwhile: it is version {newest} now, "
                                          f"not {expected_version}")
                # the version is ours to name: of two saves over the same one (PostgreSQL lets both read it), the
                # second's insert collides and is refused, never silently stacked on the first
                conn.execute(case_rules_docs.insert().values(version=newest + 1, doc=doc, by=by, at_ms=now_ms))
                return int(newest + 1)
        except sa.exc.IntegrityError:
            raise cf.Refused(409, "the dispatch table changed meanwhile: read it again") from None

    def trail(self, case_id: str) -> list[dict[str, Any]]:
        """Every recorded step of a case, oldest first (the report, then each action)."""
        with self.eng.connect() as conn:
            rows = conn.execute(sa.select(case_events).where(case_events.c.case_id == case_id)
                                .order_by(case_events.c.id)).mappings().all()
        return [dict(r) for r in rows]
