"""A throw-away PostgreSQL server for the tests (Debian's postgresql package): initdb in a temporary directory, the
server on a free loopback port and a private socket directory, killed with the test process (PR_SET_PDEATHSIG via
setpriv) and removed afterwards. As root it runs as the `postgres` user (the server refuses root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from store.embedded import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name)
                                                                         else [])
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: make system-deps (Debian: postgresql)")
    return found[-1]


class PgServer:
    """One PostgreSQL cluster and server; `url(db)` is a SQLAlchemy URL (psycopg) for a database on it."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="onescreen-pg-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid), "--clear-groups"]

    def _cmd(self, *argv: str) -> list[str]:
        return [shutil.which("setpriv") or "setpriv", "--pdeathsig", "KILL", *self.as_user, "--", *argv]

    def start(self) -> PgServer:
        data = self.dir / "data"
        subprocess.run(self._cmd(_bin("initdb"), "-D", str(data), "-U", "onescreen", "--auth=trust",  # noqa: S603
                                 "--encoding=UTF8", "--locale=C.UTF-8"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.proc = subprocess.Popen(self._cmd(  # noqa: S603 - our argv
            _bin("postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.dir), "-c",
            "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=60"),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        eng = sa.create_engine(self.url("postgres"))
        try:
            while True:
                try:
                    with eng.connect():
                        return self
                except sa.exc.OperationalError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        why = self.proc.stderr.read().decode() if self.proc.poll() is not None else "timeout"  # type: ignore[union-attr]
                        raise RuntimeError(f"PostgreSQL did not start: {why}") from None
                    time.sleep(0.1)
        finally:
            eng.dispose()

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://onescreen@127.0.0.1:{self.port}/{db}"

    def fresh_database(self, name: str) -> str:
        """A new empty database; its URL."""
        eng = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with eng.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            eng.dispose()
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
