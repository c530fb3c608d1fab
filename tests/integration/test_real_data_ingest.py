"""Real published data through the whole ingest path (HTTP, validation, pipeline, Lua writer, real Redis) and back out
of the store: the national platform's station-hours and the FIWARE examples (tests/fixtures/real/)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from store import keys
from tests.fixtures import real_data
from tests.integration.test_ingest_api import make_client

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer t"}


@pytest.fixture
def client(redis_server: Any, r: redis.Redis) -> Iterator[FlaskClient]:
    yield make_client(redis_server.url, ingest_max_batch=5_000, ingest_rate_per_min=100_000)


def test_published_station_hours_through_the_ingest_api(client: FlaskClient, r: redis.Redis) -> None:
    # standards.md §1.3 (HJ 633-2012 as published 2017-2022): every published AQI, level and primary pollutant
    rows = [row for row in real_data.cnemc_rows() if row["aqi"].strip()]
    body = [{"entity_id": f"{row['station']}@{row['date']}T{row['hour']}", "ts": real_data.cnemc_ts(row),
             "values": real_data.cnemc_values(row)} for row in rows]
    out = client.post("/api/v1/ingest/air", json=body, headers=AUTH).get_json()
    assert out["accepted"] == len(rows) and out["rejected"] == [] and out["warnings"] == []
    docs = dict(zip([rec["entity_id"] for rec in body],
                    r.hmget(keys.latest("air"), [rec["entity_id"] for rec in body]), strict=True))
    wrong = []
    for rec, row in zip(body, rows, strict=True):
        d = json.loads(docs[rec["entity_id"]])["d"]
        primary = real_data.cnemc_primary(row)
        if (d["aqi"] != int(row["aqi"]) or (row["level"] and d["category_zh"] != row["level"])
                or (primary is not None and sorted(d["primary"]) != primary)):
            wrong.append((rec["entity_id"], row["aqi"], d["aqi"]))
    assert not wrong, f"{len(wrong)} of {len(rows)} differ: {wrong[:5]}"


def test_every_fiware_example_through_notify(client: FlaskClient, r: redis.Redis) -> None:
    entities = []
    for i, (_, entity) in enumerate(real_data.fiware_entities()):
        entity = json.loads(json.dumps(entity))
        entity["id"] = f"{entity['id']}#{i}"  # each file its own entity, so each is stored and checked
        entities.append(entity)
    out = client.post("/api/v1/ngsi-ld/notify", json={"type": "Notification", "data": entities},
                      headers=AUTH).get_json()
    assert out["accepted"] == len(entities) and out["rejected"] == [], out["rejected"]
    for feed in ("air", "water", "traffic"):
        assert r.hlen(keys.latest(feed)) >= 4
    water = [json.loads(v) for v in r.hvals(keys.latest("water"))]
    assert {doc["d"]["klass"] for doc in water} <= {"I", "劣V"} and all(doc["d"]["black_odorous"] is None
                                                                        for doc in water)
