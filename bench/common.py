"""What the benches share: start a server process bound to us, wait until it answers, and sign in behind the gate."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from config.settings import ROOT
from store.embedded import free_port, popen_bound
from tests.conftest import ADMIN_PW, ADMIN_USER, AUTH_ENV, KIOSK

COOKIE = "onescreen_session"  # the app's signed session cookie (auth.gate)
# BENCH_SMOKE=1 (`python -m bench --smoke`, `make bench-smoke`): every bench runs end to end on tiny sizes and
# durations, so the suite can check that each still runs and prints its figures. The numbers then mean nothing.
SMOKE = os.environ.get("BENCH_SMOKE", "") not in ("", "0")
# The benches measure a running city, not a first start: the apps they start (with the simulator on) do not back-fill
# a week of history (data_sources/simulator/backfill.py), which would take a core for seconds during the measurement.
os.environ.setdefault("ONESCREEN_SIM_BACKFILL_DAYS", "0")
T = TypeVar("T")


def size(full: T, smoke: T) -> T:
    """The full run's size or duration, or the smoke run's (BENCH_SMOKE=1)."""
    return smoke if SMOKE else full


def ratio(a: float, b: float, spec: str = ".1f", unit: str = "x", none: str = "—") -> str:
    """a / b formatted, or `none` when b is 0: a smoke run's short window on a slow machine may measure nothing."""
    return f"{a / b:{spec}}{unit}" if b else none


def auth_env() -> dict[str, str]:
    """The access-control environment every bench app starts with: one secret key (shared by all gunicorn
    workers), the first-start admin password, one kiosk link token and the env API token."""
    return dict(AUTH_ENV)


def session_cookie(base: str, kind: str = "kiosk") -> str:
    """Sign in to the app at base and return the Cookie header value ('onescreen_session=...').

    kind 'kiosk': open the wall's kiosk link (wall pages and wall-/kpi- callbacks); 'admin': the first-start admin
    through the login form (every page and callback). The session is checked with /api/v1/me before it is returned."""
    import requests

    s = requests.Session()
    if kind == "kiosk":
        resp = s.get(f"{base}/wall?kiosk={KIOSK}", timeout=30)
        ok = resp.status_code == 200
    elif kind == "admin":
        form = s.get(base + "/login", timeout=30)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if not csrf:
            raise RuntimeError(f"{base}/login has no csrf_token field (HTTP {form.status_code})")
        resp = s.post(base + "/login", data={"username": ADMIN_USER, "password": ADMIN_PW,
                                             "csrf_token": csrf.group(1)}, allow_redirects=False, timeout=30)
        ok = resp.status_code == 303
    else:
        raise ValueError(f"kind must be 'kiosk' or 'admin', not {kind!r}")
    value = s.cookies.get(COOKIE)
    if not ok or not value:
        raise RuntimeError(f"{kind} sign-in at {base} failed: HTTP {resp.status_code} {resp.text[:300]!r}")
    me = s.get(base + "/api/v1/me", timeout=30)
    role = me.json().get("role") if me.status_code == 200 else None
    if role != kind:
        raise RuntimeError(f"{kind} session is not signed in as {kind}: HTTP {me.status_code} {me.text[:300]!r}")
    return f"{COOKIE}={value}"


def add_session_cookie(context: Any, base: str, kind: str = "kiosk") -> None:
    """Sign a Playwright browser context in (see session_cookie) without loading any page in it (cold cache kept)."""
    value = session_cookie(base, kind).split("=", 1)[1]
    context.add_cookies([{"name": COOKIE, "value": value, "url": base}])


def wait_http(url: str, timeout_s: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll url until it answers 2xx; a clear error when it never does, or at once when proc (its server) exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode} before answering")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


def start_gunicorn(app: str, env: Mapping[str, str], extra: Sequence[str] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """`app` (e.g. 'app:server') on 2 gthread workers on a free loopback port; returns the process and base URL."""
    port = free_port()
    proc = popen_bound(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4", *extra,
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=dict(env))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", proc=proc)
    except RuntimeError:
        stop(proc)
        raise
    return proc, base


def stop(proc: subprocess.Popen[bytes] | None, timeout_s: float = 10.0) -> None:
    """End a process we started, by its PID (kill it if it does not stop in time)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout_s)


def print_figures(run: Callable[[], Iterable[str]]) -> None:
    """Run one bench and print each of its figure lines as it comes (`python -m bench.<name>`)."""
    for line in run():
        print(line, flush=True)


def tear_down(gunicorn: subprocess.Popen[bytes] | None, server: Any, tmp: str | os.PathLike[str]) -> None:
    """End a bench's app processes, its Redis server and its scratch folder."""
    stop(gunicorn)
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)
