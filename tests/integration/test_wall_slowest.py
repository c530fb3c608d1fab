"""The wall's "most overdue" departments (callbacks/wall.py slowest): read from the case records once a minute per
process and scope, the most overdue first, a district wall its district's only. Real Redis, SQLite records."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import app as app_module
from callbacks import wall
from config.settings import Settings
from core import case_flow as cf
from store import casebook, context
from tests.conftest import ADMIN_PW

pytestmark = pytest.mark.integration
H = 3_600_000
DISPATCHER = cf.Actor("wang", cf.DISPATCHER)


def late_case(book: Any, now: int, department: str, district: str, hours_late: float) -> None:
    cid = casebook.new_id()
    book.report(cid, "0101", now - 50 * H, kind="component", district=district, lon=113.3, lat=23.2)
    book.act(cid, "register", DISPATCHER, now - 49 * H)
    book.act(cid, "dispatch", DISPATCHER, now - 48 * H, args={"department": department},
             limit_ms=int((48 - hours_late) * H))


def test_the_wall_names_the_departments_with_the_most_overdue_cases(redis_server: Any, tmp_path: Path) -> None:
    dash_app = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="w" * 32,
                                              admin_password=ADMIN_PW, data_dir=tmp_path))
    ctx = context.of(dash_app.server)
    book, now = ctx.casebook(), int(time.time() * 1000)
    late_case(book, now, "交通运输局", "440111", 5)
    late_case(book, now, "交通运输局", "440106", 2)
    late_case(book, now, "市政", "440111", 1)
    late_case(book, now, "园林", "440111", -3)  # due in three hours: not late
    minute = (now // 60_000 + 1) * 60_000  # a fresh minute: nothing memoised yet
    assert wall.slowest(ctx, minute, None) == [("交通运输局", 2), ("市政", 1)]
    assert wall.slowest(ctx, minute, "440106") == [("交通运输局", 1)]
    late_case(book, now, "市政", "440111", 1)
    late_case(book, now, "市政", "440111", 1)
    assert wall.slowest(ctx, minute + 1000, None) == [("交通运输局", 2), ("市政", 1)]  # the same minute: as read
    assert wall.slowest(ctx, minute + 60_000, None) == [("市政", 3), ("交通运输局", 2)]
