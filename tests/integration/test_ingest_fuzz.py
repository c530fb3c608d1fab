"""Property-based fuzzing of the ingest API: whatever arrives, no 5xx but 503 (Redis down), and every rejection
names its record and a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import app as app_module
from config.settings import Settings
from core.metrics import META, METRICS, Metric
from core.readings import FEEDS
from tests.clock import H, iso, now_ms
from tests.conftest import AUTH_SETTINGS, free_port

pytestmark = pytest.mark.integration
ALL_KEYS = sorted({k for table in METRICS.values() for k in table} | set(META))
NOW = now_ms()
leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=12))
anything = st.recursive(leaf, lambda ch: st.lists(ch, max_size=3) | st.dictionaries(st.text(max_size=8), ch,
                                                                                     max_size=3), max_leaves=10)
HOUR_AGO = NOW - H  # a good record's time in its three spellings, built from now (a fixed date would age out)
ISO = st.sampled_from([iso(HOUR_AGO, 0), iso(HOUR_AGO), iso(HOUR_AGO, -5, millis=True)])


def good_value(m: Metric) -> st.SearchStrategy[Any]:
    """A value the metric accepts."""
    if m.kind == "int":
        return st.integers(int(m.lo), int(m.hi))
    if m.kind in ("number", "coord"):
        return st.floats(max(m.lo, -1e6), min(m.hi, 1e6))
    return {"bool": st.booleans(), "str": st.text(max_size=20), "enum": st.sampled_from(m.choices or ("x",)),
            "datetime": ISO}[m.kind]


def good_record(feed: str) -> st.SearchStrategy[dict[str, Any]]:
    """A record of the feed that should be accepted (its first key, or status, always present)."""
    table = METRICS[feed]
    first = "status" if "status" in table else next(iter(table))
    vals = st.fixed_dictionaries({first: good_value(table[first])},
                                 optional={k: good_value(m) for k, m in table.items()
                                           if k not in (first, "service_request_id")})
    base = st.fixed_dictionaries(
        {"entity_id": st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=30),
         "ts": st.one_of(st.integers(NOW - 86_400_000, NOW), ISO), "values": vals})
    where = st.one_of(st.just({}), st.fixed_dictionaries({"lat": st.floats(-90, 90), "lon": st.floats(-180, 180)}))
    return st.builds(lambda rec, pos: {**rec, **pos}, base, where)


def mutate(rec: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**rec, key: value}


def near_valid(feed: str) -> st.SearchStrategy[Any]:
    """Mostly good records, some with one field broken, some junk."""
    good = good_record(feed)
    broken = st.builds(mutate, good, st.sampled_from(["entity_id", "ts", "values", "lat", "lon", "meta", "extra"]),
                       anything)
    bad_value = st.builds(lambda r, k, v: {**r, "values": {**r["values"], k: v}}, good,
                          st.sampled_from([*ALL_KEYS, "pm25", ""]), anything)
    return st.one_of(good, good, broken, bad_value, anything)


ts = st.one_of(st.integers(0, 2**53), st.integers(1_700_000_000_000, 1_800_000_000_000), st.floats(), ISO,
               st.sampled_from([iso(HOUR_AGO, naive=True), iso(HOUR_AGO)[:10], "yesterday", str(HOUR_AGO), ""]),
               anything)
values = st.dictionaries(st.sampled_from([*ALL_KEYS, "pm25", "", "__proto__"]),
                         st.one_of(st.floats(), st.integers(-10, 2_000), st.booleans(), st.text(max_size=30),
                                   st.sampled_from(["open", "closed", "damaged", iso(HOUR_AGO)]),
                                   anything), max_size=5)
meta = st.one_of(st.dictionaries(st.sampled_from([*META, "x"]), leaf), anything)
record = st.one_of(
    st.fixed_dictionaries({}, optional={"entity_id": st.one_of(st.text(max_size=140), anything), "ts": ts,
                                        "values": st.one_of(values, anything), "lat": st.one_of(st.floats(), anything),
                                        "lon": st.one_of(st.floats(), anything), "meta": meta, "extra": anything}),
    anything)


def dump(b: Any) -> bytes:
    return json.dumps(b, allow_nan=True).encode()


random_request = st.fixed_dictionaries({
    "feed": st.one_of(st.sampled_from(FEEDS), st.text(alphabet="abcxyz%.", min_size=1, max_size=8)),
    "ctype": st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                              "application/ld+json", ""]),
    "auth": st.sampled_from(["Bearer t", "Bearer x", "t", "", "Basic dA=="]),
    "body": st.one_of(st.lists(record, max_size=8).map(dump), anything.map(dump), st.binary(max_size=64)),
    "ngsi": st.booleans(),
})
valid_envelope = st.sampled_from(FEEDS).flatmap(lambda feed: st.fixed_dictionaries({
    "feed": st.just(feed), "ctype": st.just("application/json"), "auth": st.just("Bearer t"),
    "body": st.lists(near_valid(feed), max_size=7).map(dump), "ngsi": st.just(False)}))
request = st.one_of(valid_envelope, valid_envelope, valid_envelope, random_request)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def send(client: Any, req: dict[str, Any]) -> Any:
    path = "/api/v1/ngsi-ld/notify" if req["ngsi"] else f"/api/v1/ingest/{req['feed']}"
    headers = {"Authorization": req["auth"]} if req["auth"] else {}
    return client.post(path, data=req["body"], content_type=req["ctype"] or None, headers=headers)


def check_ok_body(req: dict[str, Any], resp: Any) -> None:
    out = resp.get_json()
    sent = json.loads(req["body"])
    n = len(sent["data"] if isinstance(sent, dict) else sent)
    assert out["accepted"] + len(out["rejected"]) == n
    assert 0 <= out["duplicates"] <= out["accepted"]
    indexes = [rej["index"] for rej in out["rejected"]]
    assert len(set(indexes)) == len(indexes) and all(0 <= i < n for i in indexes)
    assert all(isinstance(rej["reason"], str) and rej["reason"].strip() for rej in out["rejected"])


@FUZZ
@given(req=request)
def test_fuzzed_requests_never_5xx(redis_server: Any, req: dict[str, Any]) -> None:
    client = _client(redis_server.url)
    resp = send(client, req)
    assert resp.status_code in (200, 400, 401, 404, 405, 413, 415, 429), resp.data[:300]
    assert resp.is_json and ("Traceback" not in resp.get_data(as_text=True))
    event(f"status {resp.status_code}")
    if resp.status_code == 200:
        check_ok_body(req, resp)
        event("some accepted" if resp.get_json()["accepted"] else "none accepted")
    else:
        assert resp.get_json()["error"]


@settings(FUZZ, max_examples=40)  # every request waits out the client's reconnect backoff (~0.2 s)
@given(req=request)
def test_fuzzed_requests_with_redis_down_only_503(req: dict[str, Any]) -> None:
    resp = send(_client(DOWN_URL), req)
    assert resp.status_code in (400, 401, 404, 405, 413, 415, 503)
    assert resp.get_json()["error"]


DOWN_URL = f"redis://127.0.0.1:{free_port()}/0"
_apps: dict[str, Any] = {}


def _client(url: str) -> Any:
    """The app for a Redis URL (one per URL: each app keeps its own context)."""
    if url not in _apps:
        settings_ = Settings(redis_url=url, simulator=False, ingest_token="t", ingest_max_batch=6,
                             ingest_rate_per_min=10_000_000, **AUTH_SETTINGS)
        _apps[url] = app_module.create_app(settings_).server.test_client()
    return _apps[url]
