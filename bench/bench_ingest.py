"""Push ingest throughput: readings/s through POST /api/v1/ingest/air (validation, derived AQI, idempotent store)
beside a raw pipelined XADD of the same records to the same server in the same run. Target ratio >= 0.3."""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import auth_env, size
from store.client import connect
from store.embedded import EmbeddedServer, free_port

BATCH = size(1_000, 100)
BATCHES = int(os.environ.get("BENCH_INGEST_BATCHES", size("30", "2")))
STATIONS = 200



def batches(start_ms: int, n: int, offset: int = 0) -> list[list[dict[str, Any]]]:
    """n batches of BATCH air readings with unique (entity, ts) and varied concentrations."""
    out = []
    for b in range(n):
        rows = []
        for i in range(BATCH):
            k = (b + offset) * BATCH + i
            rows.append({"entity_id": f"B{k % STATIONS:04d}", "ts": start_ms - 3_600_000 + k // STATIONS,
                         "values": {"so2_1h": 5 + k % 20, "no2_1h": 20 + k % 60, "co_1h": round(0.4 + (k % 9) / 10, 1),
                                    "o3_1h": 40 + k % 120, "pm10_1h": 30 + k % 90, "pm25_1h": 15 + k % 70}})
        out.append(rows)
    return out


def run() -> list[str]:
    """Start a server, push batches through the API, then XADD the same records raw; returns the printed lines."""
    import app as app_module
    from config.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="onescreen-bench-ingest-"))
    server = EmbeddedServer(tmp, port=free_port())
    url = server.start()
    try:
        auth = auth_env()  # the gate needs a secret key; a known admin password keeps a random one out of the log
        settings = Settings(redis_url=url, simulator=False, ingest_token="bench", ingest_max_batch=5_000,
                            ingest_rate_per_min=1_000_000_000, secret_key=auth["ONESCREEN_SECRET_KEY"],
                            admin_password=auth["ONESCREEN_ADMIN_PASSWORD"])
        client = app_module.create_app(settings).server.test_client()
        r = connect(url)
        headers = {"Authorization": "Bearer bench"}
        now = int(time.time() * 1000)
        for b in batches(now, 2, offset=BATCHES + 10):  # warm-up: imports, script loading, connections
            warm = client.post("/api/v1/ingest/air", json=b, headers=headers)
            if warm.status_code != 200 or (warm.get_json() or {}).get("accepted") != len(b):
                raise RuntimeError(f"warm-up batch refused: HTTP {warm.status_code} {warm.get_data()[:300]!r}")
        data = batches(now, BATCHES)
        text = [[json.dumps(rec, separators=(",", ":")) for rec in rows] for rows in data]
        gc.collect()
        gc.freeze()  # the inputs are not garbage: keep collections in either path from walking them
        api_s = raw_s = pre_s = 0.0
        accepted = 0
        for rows, rows_text in zip(data, text, strict=True):  # interleaved, so load drift hits all three alike
            t0 = time.perf_counter()
            resp = client.post("/api/v1/ingest/air", data=json.dumps(rows), content_type="application/json",
                               headers=headers)
            accepted += resp.get_json()["accepted"]
            t1 = time.perf_counter()
            pipe = r.pipeline(transaction=False)
            for rec in rows:
                pipe.xadd("bench:raw", {"j": json.dumps(rec, separators=(",", ":"))}, maxlen=settings.retention,
                          approximate=True)
            pipe.execute()
            t2 = time.perf_counter()
            pipe = r.pipeline(transaction=False)
            for rec_text in rows_text:
                pipe.xadd("bench:pre", {"j": rec_text}, maxlen=settings.retention, approximate=True)
            pipe.execute()
            api_s, raw_s, pre_s = api_s + t1 - t0, raw_s + t2 - t1, pre_s + time.perf_counter() - t2
        resend = time.perf_counter()
        dup = client.post("/api/v1/ingest/air", json=data[0], headers=headers)
        resend = time.perf_counter() - resend
        n = BATCHES * BATCH
        api_rate, raw_rate, pre_rate = accepted / api_s, n / raw_s, n / pre_s
        return [
            f"ingest API, {BATCHES} batches of {BATCH} air readings from Python dicts (JSON body, validate, derive "
            f"AQI, idempotent store; Flask test client): {api_rate:,.0f} readings/s   raw pipelined XADD of the "
            f"same dicts (json.dumps each): {raw_rate:,.0f} records/s   ratio {api_rate / raw_rate:.2f}   "
            f"(target >= 0.3)",
            f"  stricter baseline, XADD of the records' pre-encoded JSON text: {pre_rate:,.0f} records/s   "
            f"ratio {api_rate / pre_rate:.2f}",
            f"  re-send of one batch (all duplicates): {BATCH / resend:,.0f} readings/s, "
            f"{dup.get_json()['duplicates']} duplicates; stream length {r.xlen('os:{air}:readings'):,} "
            f"for {accepted:,} accepted",
        ]
    finally:
        gc.unfreeze()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    for line in run():
        print(line)
