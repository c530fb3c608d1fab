"""Shared fixtures: a real Redis/Valkey server (no fakes), the app in a subprocess, and Debian Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import settings as hypothesis_settings

from store.client import connect
from store.embedded import EmbeddedServer, free_port, popen_bound

# Property tests are deterministic (same examples every run, no example database), so `make test` and CI pass or
# fail the same way on every run; `HYPOTHESIS_PROFILE=explore` searches afresh with more examples.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", max_examples=2_000, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts"

# Credentials every AppProcess starts with (access control): the first-start admin, one kiosk link, the env API token.
ADMIN_USER = "admin"
ADMIN_PW = "admin-test-password"
KIOSK = "kiosk-test-token-0123456789"
API_TOKEN = "api-test-token-0123456789"
SECRET = "test-secret-key-not-for-production"
AUTH_ENV = {"ONESCREEN_ADMIN_PASSWORD": ADMIN_PW, "ONESCREEN_KIOSK_TOKENS": KIOSK, "ONESCREEN_API_TOKEN": API_TOKEN,
            "ONESCREEN_SECRET_KEY": SECRET}
API_AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
AUTH_SETTINGS = {"secret_key": SECRET, "admin_password": ADMIN_PW, "api_token": API_TOKEN, "kiosk_tokens": KIOSK}


def client_login(client: object, username: str = ADMIN_USER, password: str = ADMIN_PW) -> object:
    """Log a Flask test client in through the login form (CSRF token from the form); returns the POST response."""
    import re

    html_ = client.get("/login").get_data(as_text=True)  # type: ignore[attr-defined]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html_)
    assert csrf, "login form has no csrf_token field"
    return client.post("/login", data={"username": username, "password": password,  # type: ignore[attr-defined]
                                       "csrf_token": csrf.group(1)})


def login(page: object, base_url: str, username: str = ADMIN_USER, password: str = ADMIN_PW) -> None:
    """Log a Playwright page's browser context in through the real login form (cookie shared with the page)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    page.goto(f"{parts.scheme}://{parts.netloc}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", username)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/login" not in url)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def no_summary_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process apps build a tick's summary when it is first asked for, as before store.context's summary-ahead
    thread: many tests write and then read within one tick, and an earlier test's app must not fill the shared cache
    from another test's data. The thread's own test turns it back on; the app processes of the browser tests run it."""
    from store import context

    monkeypatch.setattr(context, "AHEAD_IDLE_S", 0.0)


@pytest.fixture(scope="session", autouse=True)
def no_loop_check() -> None:
    """Nor does an in-process app check the closed loop's live layer against its own case records every minute, for
    the whole session (module-scoped apps included, which are made before any per-test setting): an earlier test's
    app would make the shared server's layer again from that test's records. store/loop.py's own tests call the
    check; the app processes of the browser tests run it."""
    from store import context

    context.LOOP_CHECK_S = 0.0


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """One real server per test session (redis-server from PATH, else the wheel's valkey-server)."""
    server = EmbeddedServer(tmp_path_factory.mktemp("redis"), port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def r(redis_server: EmbeddedServer) -> Iterator[redis.Redis]:
    """A client on an empty database."""
    client = connect(redis_server.url)
    client.flushall()
    yield client
    client.close()


class AppProcess:
    """The dashboard running as `python app.py` against the test server."""

    def __init__(self, redis_url: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        import tempfile

        self._data = tempfile.TemporaryDirectory(prefix="onescreen-app-")  # the case records' SQLite, per app
        self.env = {**os.environ, "REDIS_URL": redis_url, "ONESCREEN_PORT": str(self.port),
                    "ONESCREEN_SIMULATOR": "off", "ONESCREEN_TICK_MS": "1000", "ONESCREEN_DATA_DIR": self._data.name,
                    "ONESCREEN_SIM_BACKFILL_DAYS": "0",  # a test with the simulator on starts clean (test_first_run
                    # turns it on)
                    **AUTH_ENV, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Start and wait for /healthz."""
        import tempfile
        import urllib.request

        # stderr goes to a file, not a pipe: nobody reads a pipe while the app logs every request, and a full
        # pipe would freeze the app in the middle of a long test
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.proc = popen_bound([sys.executable, "app.py"], cwd=ROOT, env=self.env,  # noqa: S603
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}: {self.stderr()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("app did not come up")

    def stderr(self) -> str:
        """Everything the app wrote to stderr so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def __enter__(self) -> AppProcess:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the process we started, by its PID."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def app_proc(redis_server: EmbeddedServer, r: redis.Redis) -> Iterator[AppProcess]:
    """The app serving on a free port, reading the (empty) test database, simulator off."""
    proc = AppProcess(redis_server.url)
    proc.start()
    yield proc
    proc.stop()


FUNCTION_SOURCE = re.compile(r"(async\s+)?(function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)")


def _csp_safe_predicates() -> None:
    """The app's CSP forbids eval, and Playwright evals a string predicate that is not a function: wrap such
    expressions in an arrow function so every browser test runs under the real CSP (no bypass_csp)."""
    from playwright.sync_api import Frame, Page

    for cls in (Page, Frame):
        original = cls.wait_for_function
        if getattr(original, "_csp_safe", False):
            continue

        def wait_for_function(self: Any, expression: str, *args: Any, _orig: Any = original, **kw: Any) -> Any:
            expr = expression.strip()
            # a function already (`() =>`, `n => `, `(a, b) =>`, `function`, `async`): as it is. A predicate taking
            # an argument (`want => ...`) was wrapped as an expression, returned a function, and always held.
            if not FUNCTION_SOURCE.match(expr):
                expression = f"() => ({expr})"
            return _orig(self, expression, *args, **kw)

        wait_for_function._csp_safe = True  # type: ignore[attr-defined]
        cls.wait_for_function = wait_for_function  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One throw-away PostgreSQL server per test session (tests/pg.py), for the case records' tests."""
    from tests.pg import PgServer

    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (no browser download: the Debian package)."""
    from playwright.sync_api import sync_playwright

    _csp_safe_predicates()
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: run `make test` (it installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def alive(pid: int) -> bool:
    """True while a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A server only this test uses (it gets killed), on a free port with its own data dir."""
    server = EmbeddedServer(tmp_path / "redis", port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """One throw-away S3-compatible store (SeaweedFS, tests/s3.py) per test session, for the case photos' tests."""
    from tests.s3 import S3Server

    server = S3Server().start()
    yield server
    server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """The pages a browser test opened in its body close when it ends: an open page keeps its Dash intervals polling
    (a wall ticks every second) long after its app is gone, and a session's worth of them slowed every later test.
    Pages made by fixtures (set up before the body) are theirs to close."""
    browser = getattr(item, "funcargs", {}).get("browser")
    before = set(browser.contexts) if browser is not None else set()
    try:
        yield
    finally:
        if browser is not None:
            for ctx in browser.contexts:
                if ctx not in before:
                    with contextlib.suppress(Exception):  # a page already gone
                        ctx.close()
