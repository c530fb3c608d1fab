"""What the benches share: start a server process bound to us, and wait until it answers."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence

from config.settings import ROOT
from store.embedded import free_port, set_parent_death_signal


def wait_http(url: str, timeout_s: float = 30.0) -> None:
    """Poll url until it answers 2xx; a clear error when it never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


def start_gunicorn(app: str, env: Mapping[str, str], extra: Sequence[str] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """`app` (e.g. 'app:server') on 2 gthread workers on a free loopback port; returns the process and base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4", *extra,
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=dict(env), preexec_fn=set_parent_death_signal)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz")
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
