"""Resilience (issue #8): Redis killed with -9 under load, the embedded server supervised, a gunicorn worker killed.

Every server here is one the test starts itself (its own data dir and port), so killing it never disturbs the
session's shared server or another test.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from store import keys
from store.client import connect
from store.embedded import EmbeddedServer, free_port, popen_bound
from tests.conftest import AUTH_ENV, ROOT, AppProcess, alive

pytestmark = pytest.mark.integration
TOKEN = "resilience-ingest-token"
INGEST_ENV = {"ONESCREEN_INGEST_TOKEN": TOKEN}


def wait_until(check: Callable[[], Any], timeout_s: float = 30.0, what: str = "condition") -> Any:
    """Poll until check() is truthy (returns its value); fails the test with `what` when it never is."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}")


def drain(proc: subprocess.Popen[bytes]) -> collections.deque[str]:
    """Read the app's stderr in the background (a full pipe would block the app); keeps the tail for messages."""
    tail: collections.deque[str] = collections.deque(maxlen=200)

    def pump() -> None:
        for line in iter(proc.stderr.readline, b""):  # type: ignore[union-attr]
            tail.append(line.decode(errors="replace"))
    threading.Thread(target=pump, daemon=True).start()
    return tail


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout_s: float = 10.0) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
    """(status, JSON body or None, headers); an HTTP error status is an answer, a refused connection raises."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            status, raw, hdrs = resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        status, raw, hdrs = exc.code, exc.read(), dict(exc.headers)
    try:
        return status, json.loads(raw), hdrs
    except ValueError:
        return status, None, hdrs


def reading(entity: str, ts: int, pm25: float = 40.0) -> dict[str, Any]:
    """One valid air reading for the ingest API."""
    return {"entity_id": entity, "ts": ts, "values": {"pm25_1h": pm25, "pm10_1h": 60, "no2_1h": 30}}


def ingest(base: str, rows: list[dict[str, Any]]) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
    """POST a batch to the push ingest API with the bearer token."""
    return http("POST", f"{base}/api/v1/ingest/air", rows, {"Authorization": f"Bearer {TOKEN}"})


def children(pid: int) -> list[int]:
    """Direct child PIDs of a process (every thread's children: a supervisor thread may be the parent)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except FileNotFoundError:  # the thread ended while we listed
            continue
    return out


def server_child(pid: int) -> int | None:
    """The redis/valkey server among a process's children."""
    for child in children(pid):
        try:
            comm = Path(f"/proc/{child}/comm").read_text()
        except FileNotFoundError:
            continue
        if "redis" in comm or "valkey" in comm:
            return child
    return None


def aof_bytes(data_dir: Path) -> bytes:
    """Everything the server has written to its AOF so far (base + increments)."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*.aof")))


class Pusher(threading.Thread):
    """Pushes unique one-reading batches back to back and records every answer (status or the exception name)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.stop, self.answers = base, threading.Event(), []

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            entity = f"P{i:06d}"
            try:
                status, body, _ = ingest(self.base, [reading(entity, int(time.time() * 1000))])
                self.answers.append((status, body, entity))
            except OSError as exc:  # the app stopped answering: exactly what must not happen
                self.answers.append((type(exc).__name__, None, entity))
            time.sleep(0.02)

    def count(self, status: int) -> int:
        """How many answers had this status so far."""
        return sum(1 for s, _, _ in list(self.answers) if s == status)


@pytest.fixture
def app_on_own_server(own_server: EmbeddedServer) -> Iterator[AppProcess]:
    """`python app.py` reading the test's own server, with the ingest token set."""
    proc = AppProcess(own_server.url, INGEST_ENV)
    proc.start()
    yield proc
    proc.stop()


def test_app_survives_redis_kill_9_answers_503_then_recovers(own_server: EmbeddedServer,
                                                             app_on_own_server: AppProcess) -> None:
    app = app_on_own_server
    status, body, _ = ingest(app.url, [reading("BEFORE", int(time.time() * 1000))])
    assert status == 200 and body and body["accepted"] == 1
    pusher = Pusher(app.url)
    pusher.start()
    wait_until(lambda: pusher.count(200) >= 5, what="ingest answering 200 before the kill")
    os.kill(own_server.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
    own_server.proc.wait()  # type: ignore[union-attr]

    wait_until(lambda: pusher.count(503) >= 5, what="ingest answering 503 while Redis is down")
    status, body, headers = ingest(app.url, [reading("DOWN", int(time.time() * 1000))])
    assert status == 503 and body and "error" in body and "Retry-After" in headers
    assert http("GET", app.url + "/healthz")[0] == 200
    assert app.proc.poll() is None, app.stderr()  # type: ignore[union-attr]

    ok_before_restart, restart_at = pusher.count(200), len(pusher.answers)
    own_server.start()  # same port, same data dir
    wait_until(lambda: pusher.count(200) > ok_before_restart + 5, what="ingest answering 200 after Redis returned")
    pusher.stop.set()
    pusher.join(10)
    statuses = {s for s, _, _ in pusher.answers}
    assert statuses <= {200, 503}, f"answers other than 200/503 while Redis went away: {statuses}"
    assert all(b and "error" in b for s, b, _ in pusher.answers if s == 503)
    assert app.proc.poll() is None, app.stderr()  # type: ignore[union-attr]
    acked_after = [e for s, b, e in pusher.answers[restart_at:] if s == 200 and b and b["accepted"] == 1]
    stored = connect(own_server.url).hmget(keys.latest("air"), acked_after)
    assert acked_after and all(stored), "a reading acknowledged after Redis returned is missing"


def test_supervise_restarts_a_killed_server_on_the_same_data(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path, port=free_port())
    server.start()
    stop = threading.Event()
    thread = server.supervise(stop, interval_s=0.1)
    try:
        r = connect(server.url)
        r.set("kept", "yes")
        wait_until(lambda: b"kept" in aof_bytes(tmp_path), what="the write reaching the AOF")
        first = server.proc.pid  # type: ignore[union-attr]
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: server.restarts == 1 and server.alive(), what="the supervisor restarting the server")
        assert server.proc.pid != first  # type: ignore[union-attr]
        assert r.get("kept") == "yes"  # same client, same port, same data
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive() and not server.alive(), "supervisor did not stop the server on the way out"
    server.start()  # stopping the supervisor is a clean stop: nothing lost, nothing restarted behind our back
    assert connect(server.url).get("kept") == "yes"
    server.stop()
    assert server.restarts == 1


def test_make_run_restarts_its_killed_embedded_server_on_the_same_data(tmp_path: Path) -> None:
    proc = AppProcess("unused", {**INGEST_ENV, "ONESCREEN_DATA_DIR": str(tmp_path)})
    proc.env.pop("REDIS_URL")  # `make run`: no REDIS_URL, so app.py starts (and supervises) the embedded server
    proc.start()
    try:
        first = server_child(proc.proc.pid)  # type: ignore[union-attr]
        assert first, "app.py started no embedded server"
        assert ingest(proc.url, [reading("KEPT", int(time.time() * 1000))])[0] == 200
        r = connect(f"unix://{tmp_path / 'redis.sock'}")
        wait_until(lambda: b"KEPT" in aof_bytes(tmp_path), what="the reading reaching the AOF")
        os.kill(first, signal.SIGKILL)

        second = wait_until(lambda: (p := server_child(proc.proc.pid)) and p != first and p,  # type: ignore[union-attr]
                            what="app.py restarting its embedded server")
        assert wait_until(lambda: _get_latest(r, "KEPT"), what="the restarted server answering") == "KEPT"
        assert wait_until(lambda: ingest(proc.url, [reading("AFTER", int(time.time() * 1000))])[0] == 200,
                          what="ingest through the restarted server")
        assert proc.proc.poll() is None, proc.stderr()  # type: ignore[union-attr]
        wait_until(lambda: "embedded server restarted" in proc.stderr(), timeout_s=10,
                   what="the restart in the log")
        os.kill(proc.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        proc.proc.wait()  # type: ignore[union-attr]
        assert wait_until(lambda: not alive(second), timeout_s=10, what="the restarted server dying with app.py")
    finally:
        proc.stop()


def _get_latest(r: Any, entity: str) -> str | None:
    """The entity id if its latest air reading is stored; None while the server is (re)starting."""
    try:
        return entity if r.hexists(keys.latest("air"), entity) else None
    except OSError:
        return None


def start_gunicorn(redis_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """`gunicorn app:server` with 2 workers on a free port (same auth and ingest env as the app tests)."""
    port = free_port()
    env = {**os.environ, **AUTH_ENV, **INGEST_ENV, "REDIS_URL": redis_url, "ONESCREEN_SIMULATOR": "off"}
    proc = popen_bound([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",  # noqa: S603
                             "-b", f"127.0.0.1:{port}", "--log-level", "warning", "app:server"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def _answers(url: str) -> bool:
    try:
        return http("GET", url, timeout_s=2)[0] == 200
    except OSError:
        return False


def test_gunicorn_keeps_serving_when_a_worker_is_killed(own_server: EmbeddedServer) -> None:
    proc, base = start_gunicorn(own_server.url)
    log = drain(proc)
    try:
        wait_until(lambda: _answers(base + "/healthz"), what="gunicorn answering")
        workers = wait_until(lambda: len(w := children(proc.pid)) == 2 and w, what="two gunicorn workers")
        for i in range(10):  # both workers warm (each builds the app on its first request)
            assert ingest(base, [reading(f"W{i}", int(time.time() * 1000))])[0] == 200
        os.kill(workers[0], signal.SIGKILL)  # between requests: nothing of ours is in flight on it
        failures = []
        for i in range(40):  # served by the surviving worker, then by both once the master replaced the dead one
            status = ingest(base, [reading(f"K{i}", int(time.time() * 1000))])[0]
            failures += [] if status == 200 else [status]
            failures += [] if _answers(base + "/healthz") else ["healthz"]
        assert failures == [], failures
        replaced = wait_until(lambda: len(w := children(proc.pid)) == 2 and workers[0] not in w and w,
                              what="the master replacing the killed worker")
        assert workers[1] in replaced and proc.poll() is None, "".join(log)
    finally:
        proc.terminate()
        proc.wait(15)
