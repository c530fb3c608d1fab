"""A fresh app answers its first concurrent callback requests: Dash's lazy setup is done before serving.

Run in a fresh interpreter, as a gunicorn worker is (Dash moves module-level callbacks into the first app a process
creates, so an in-process check would depend on test order).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration

SCRIPT = textwrap.dedent("""
    import json, sys
    from concurrent.futures import ThreadPoolExecutor
    from config.settings import Settings
    import app as app_module
    from core import heap

    heap.FREEZE_AFTER_MS = 0.0  # every full collection freezes: the hook must never hang a process that starts threads
    app = app_module.create_app(Settings(redis_url=sys.argv[1], simulator=False, secret_key="s" * 32,
                                         kiosk_tokens="kiosk-setup-token"))
    client = app.server.test_client()
    # a wall signs in by its kiosk link (and goes on at a clean URL)
    assert client.get("/wall?kiosk=kiosk-setup-token", follow_redirects=True).status_code == 200
    key = next(k for k in app.callback_map if "wall-clock" in k)  # filled at creation, not on a first request
    outputs = []
    for spec in key.strip(".").split("..."):
        ident, prop = spec.rsplit(".", 1)
        outputs.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop})
    dep = next(d for d in json.loads(client.get("/_dash-dependencies").data) if d["output"] == key)
    body = {"output": key, "outputs": outputs, "changedPropIds": ["wall-tick.n_intervals"],
            "inputs": [{"id": "wall-tick", "property": "n_intervals", "value": 1}],
            "state": [{"id": st["id"], "property": st["property"], "value": "zh" if st["id"] == "wall-lang" else None}
                      for st in dep["state"]]}
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.post("/_dash-update-component", json=body).status_code, range(32)))
    # a crafted request with the wrong types in every State is answered (a 400 saying why), not a 500
    body["state"] = [{"id": st["id"], "property": st["property"], "value": "bogus"} for st in dep["state"]]
    codes.append(client.post("/_dash-update-component", json=body).status_code)
    print(json.dumps(codes))
""")


def test_first_concurrent_wall_ticks_all_succeed(redis_server: Any) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, redis_server.url], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    codes = json.loads(out.stdout.strip().splitlines()[-1])
    assert codes[:32] == [200] * 32 and codes[32] in (200, 400)


def test_every_app_of_a_process_has_the_callbacks(redis_server: Any) -> None:
    """Dash gives module-level callbacks to the first app only; create_app hands them to each (tests build many)."""
    import app as app_module
    from config.settings import Settings

    apps = [app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="k" * 32))
            for _ in range(2)]
    first, second = (set(a.callback_map) for a in apps)
    assert first == second and any("wall-clock" in k for k in second) and len(second) >= 12


def test_two_apps_in_one_process_each_read_their_own_store(redis_server: Any, r: Any) -> None:
    """The shared context lives in each Flask app, not in a module global: the second app does not take the first's."""
    import time

    import app as app_module
    from config.settings import Settings
    from core.derive import derive
    from core.readings import Reading
    from store import context
    from store.client import connect
    from store.writer import Writer
    from tests.conftest import ADMIN_PW, client_login

    other_url = redis_server.url.rsplit("/", 1)[0] + "/3"
    other = connect(other_url)
    now = int(time.time() * 1000)
    rd = Reading("air", "TWO-APPS", now, {"pm25_1h": 80, "pm10_1h": 90},
                 {"name": "两个应用", "district_adcode": "440103"})
    Writer(other).write([(rd, derive(rd))], now)
    try:
        apps = {url: app_module.create_app(Settings(redis_url=url, simulator=False, secret_key="k" * 32,
                                                    admin_password=ADMIN_PW)).server
                for url in (redis_server.url, other_url)}
        codes = {}
        for url, server in apps.items():
            assert context.of(server).settings.redis_url == url
            client = server.test_client()
            client_login(client)
            codes[url] = client.get("/api/v1/entities/air/TWO-APPS").status_code
        assert codes == {redis_server.url: 404, other_url: 200}
    finally:
        other.flushdb()
        other.close()


def test_each_ticks_summary_is_made_before_the_tick_and_the_maker_rests_when_nobody_asks(redis_server: Any, r: Any,
                                                                                          monkeypatch: Any) -> None:
    """store.context's summary-ahead thread: once a screen has asked, the next tick's summary is ready (dated the
    tick's start) before any request of that tick, with the readings written before it; idle, the thread ends."""
    import time

    import app as app_module
    from config.settings import Settings
    from core.derive import derive
    from core.readings import Reading
    from store import context
    from store.writer import Writer

    monkeypatch.setattr(context, "AHEAD_IDLE_S", 1.0)
    server = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="k" * 32,
                                            tick_ms=500)).server
    ctx = context.of(server)
    now = context.now_ms()
    assert ctx.summary(now) is not None  # a screen asks once
    tick = ctx.tick_of(now)
    rd = Reading("air", "AHEAD", now, {"pm25_1h": 80, "pm10_1h": 90}, {"name": "提前", "district_adcode": "440103"})
    Writer(r).write([(rd, derive(rd))], now)
    deadline = time.monotonic() + 5
    while not (ctx._memo.get("summary", (0,))[0] >= tick + 2) and time.monotonic() < deadline:
        time.sleep(0.02)
    made_tick, made = ctx._memo["summary"]
    assert made_tick >= tick + 2 and made["now"] == made_tick * 500  # made ahead, dated its tick's start
    assert "AHEAD" in made["air"]["stations"]  # with what was written before it
    thread = ctx._ahead
    assert thread is not None
    thread.join(timeout=5)
    assert not thread.is_alive()  # nobody asked for a second: it rests


def test_between_ticks_what_changed_is_read_as_it_lands(redis_server: Any, r: Any, monkeypatch: Any) -> None:
    """The summary-ahead thread reads what changed every CATCH_UP_MS between ticks (store.snapshot.catch_up), so a
    batch that lands mid-tick is parsed and counted then, not by the summary its tick's requests wait for."""
    import time

    import app as app_module
    from config.settings import Settings
    from core.derive import derive
    from core.readings import Reading
    from store import context
    from store.writer import Writer

    monkeypatch.setattr(context, "AHEAD_IDLE_S", 5.0)
    ctx = context.of(app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="k" * 32,
                                                    tick_ms=2000)).server)
    assert ctx.summary(context.now_ms()) is not None  # a screen asks: the thread runs
    while not 100 <= context.now_ms() % 2000 <= 300:  # just after a tick began
        time.sleep(0.01)
    tick = ctx.tick_of(context.now_ms())
    now = context.now_ms()
    rd = Reading("air", "MID", now, {"pm25_1h": 80, "pm10_1h": 90}, {"name": "中途", "district_adcode": "440103"})
    Writer(r).write([(rd, derive(rd)) for rd in (rd,)], now)
    deadline = time.monotonic() + 1.0
    while "MID" not in ctx._tracker._held.get("air", ("", 0, {}, {}))[2] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "MID" in ctx._tracker._held["air"][2]  # read mid-tick ...
    assert ctx._memo["summary"][0] <= tick + 1 and ctx.tick_of(context.now_ms()) == tick  # ... before the next build
    made = ctx.summary(ctx.tick_of(context.now_ms()) * 2000 + 2000)  # the next tick's summary has it
    assert "MID" in made["air"]["stations"]


def test_a_ticks_summary_is_built_by_one_worker_for_all(redis_server: Any, r: Any) -> None:
    """Another worker that has claimed the tick's summary is waited for (this one reads nothing); one that never
    delivers costs a quarter of a tick, then this one builds it."""
    import threading

    import app as app_module
    from config.settings import Settings
    from store import context, keys

    ctx = context.of(app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="k" * 32,
                                                    tick_ms=2000)).server)
    now = context.now_ms()
    key = keys.snapshot_cache("summary", ctx.tick_of(now))
    other = {"now": now, "made by": "the other worker"}
    ctx.cache.add(f"{key}:by", 1, timeout=5)  # the other worker's claim
    threading.Timer(0.1, lambda: ctx.cache.set(key, other, timeout=5)).start()
    assert ctx.summary(now) == other  # waited for, not built here (the thread between ticks may read changes)
    later = now + 2000
    ctx.cache.add(f"{keys.snapshot_cache('summary', ctx.tick_of(later))}:by", 1, timeout=5)  # claimed, never made
    made = ctx.summary(later)
    assert made is not None and made["now"] == later and ctx._tracker._held  # built here after waiting
