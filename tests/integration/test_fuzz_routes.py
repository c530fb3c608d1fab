"""Fuzz every HTTP route and every server-side Dash callback as every role, city-wide and bound to a district
(hypothesis, deterministic in CI): no answer is a 5xx, no error-level log carries a stack trace, and no answer to a
district caller (JSON, CSV, HTML) holds another district's entities.

Real app in-process (its gate, its routes), real Redis. Issue #13 items 1, 10 and 11 and the table of routes."""

from __future__ import annotations

import inspect
import json
import logging
import re
import tempfile
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import redis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app as app_module
from config.settings import Settings
from core.roles import ROLES
from store import context, users
from store.client import connect
from tests.conftest import ADMIN_PW, API_TOKEN, client_login
from tests.integration.test_scope_api import BAIYUN, TIANHE, seed

pytestmark = pytest.mark.integration
PW = "fuzz-password-123"
# Another district's entities: their names and ids never reach a Baiyun caller (unless it typed them itself).
SECRET_NAMES = ("天河站",)
SECRET_IDS = ("TH-AIR", "TH-ROAD", "TH-RIVER", "TH-C1", "TH-C2", "TH-C3", "TH-C4", "TH-CASE")
OWN_IDS = ("BY-AIR", "BY-ROAD", "BY-RIVER", "BY-C1", "BY-C2", "BY-CASE")
CALLERS = [*(f"city-{r}" for r in ROLES), *(f"by-{r}" for r in ROLES), "kiosk", "by-kiosk", "by-token",
           "anonymous"]
FEEDS = ["air", "traffic", "water", "service", "furniture", "nope"]

# Every route of the app, by its URL rule: a new route fails test_every_route_is_fuzzed until it is listed here.
ROUTES: dict[str, tuple[str, ...]] = {
    "/static/<path:filename>": ("GET",), "/assets/<path:filename>": ("GET",),
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": ("GET",),
    "/_dash-layout": ("GET",), "/_dash-dependencies": ("GET",), "/_dash-update-component": ("POST",),
    "/_reload-hash": ("GET",), "/_favicon.ico": ("GET",), "/": ("GET",), "/<path:path>": ("GET",),
    "/healthz": ("GET",), "/levels.js": ("GET",), "/api/v1/entities/<feed>/<path:entity_id>": ("GET",),
    "/api/v1/geo/<layer>.geojson": ("GET",),
    "/tiles/<int:z>/<int:x>/<int:y>": ("GET",), "/api/v1/alerts": ("GET",), "/api/v1/alerts/<alert_id>/ack": ("POST",),
    "/api/v1/alerts/log": ("GET",), "/api/v1/silences": ("GET", "POST"), "/api/v1/silences/<silence_id>": ("DELETE",),
    "/api/v1/ingest/<feed>": ("POST",), "/api/v1/ngsi-ld/notify": ("POST",), "/api/v1/history/<feed>": ("GET",),
    "/api/v1/history/<feed>/<path:entity_id>/at/<int:at_ms>": ("GET",), "/login": ("GET", "POST"), "/logout": ("POST",),
    "/api/v1/me": ("GET",), "/admin": ("GET",), "/admin/confirm/<action>/<target>": ("GET",),
    "/admin/users": ("POST",), "/admin/users/<name>/update": ("POST",), "/admin/users/<name>/disabled": ("POST",),
    "/admin/users/<name>/password": ("POST",), "/admin/users/<name>/delete": ("POST",), "/admin/kiosks": ("POST",),
    "/admin/kiosks/<item_id>/revoke": ("POST",), "/admin/tokens": ("POST",),
    "/admin/tokens/<item_id>/revoke": ("POST",),
    "/api/v1/admin/users": ("GET", "POST"), "/api/v1/admin/users/<name>": ("PATCH", "DELETE"),
    "/api/v1/admin/kiosks": ("GET", "POST"), "/api/v1/admin/kiosks/<kid>": ("DELETE",),
    "/api/v1/admin/tokens": ("GET", "POST"), "/api/v1/admin/tokens/<tid>": ("DELETE",),
    "/api/v1/admin/audit": ("GET",), "/login/oidc": ("GET",), "/login/oidc/callback": ("GET",),
    "/api/v1/admin/case-rules": ("GET", "PUT"), "/admin/case-rules": ("POST",),
    "/api/v1/cases": ("GET", "POST"), "/api/v1/cases/<case_id>": ("GET",), "/api/v1/cases/departments": ("GET",),
    "/api/v1/cases/<case_id>/<action>": ("POST",), "/api/v1/cases/<case_id>/photos": ("POST",),
    "/api/v1/cases/video": ("POST",),
    "/api/v1/cases/<case_id>/photos/<sha256>": ("GET",),
    "/open311/v2/services.<any(json, xml):fmt>": ("GET",), "/open311/v2/requests.<any(json, xml):fmt>": ("GET", "POST"),
    "/open311/v2/requests/<rid>.<any(json, xml):fmt>": ("GET",),
}


class World:
    """The app, its seeded data and one signed-in client per caller."""

    def __init__(self, redis_url: str) -> None:
        self.r = connect(redis_url)
        self.r.flushall()
        self.data = tempfile.TemporaryDirectory(prefix="onescreen-fuzz-")  # the case records' SQLite
        self.app = app_module.create_app(Settings(redis_url=redis_url, simulator=False, secret_key="f" * 32,
                                                  admin_password=ADMIN_PW, api_token=API_TOKEN,
                                                  ingest_token="ingest-fuzz-token-0123456789",
                                                  data_dir=Path(self.data.name)))
        now = seed(self.r)
        book = context.of(self.app.server).casebook()  # the closed loop's records: one case in each district
        for cid, district, text in (("TH-CASE", TIANHE, "天河站旁井盖缺失"), ("BY-CASE", BAIYUN, "白云井盖缺失")):
            book.report(cid, "0101", now, kind="component", district=district, lon=113.3, lat=23.2, description=text)
        self.clients: dict[str, FlaskClient] = {}
        self.headers: dict[str, dict[str, str]] = {c: {} for c in CALLERS}
        for role in ROLES:
            for prefix, district in (("city", None), ("by", BAIYUN)):
                name = f"{prefix}-{role}"
                users.create_user(self.r, name, PW, role, district=district,
                                  department="市政设施管理处" if role == "handler" else None)
                client = self.app.server.test_client()
                assert client_login(client, name, PW).status_code == 303
                self.clients[name] = client
        for name, district in (("kiosk", None), ("by-kiosk", BAIYUN)):
            token, _ = users.issue_kiosk(self.r, name, district)
            client = self.app.server.test_client()
            assert client.get(f"/wall?kiosk={token}").status_code == 303
            self.clients[name] = client
        token, _ = users.issue_api_token(self.r, "by-analyst", "fuzz")
        self.clients["by-token"] = self.app.server.test_client()
        self.headers["by-token"] = {"Authorization": f"Bearer {token}"}
        self.clients["anonymous"] = self.app.server.test_client()
        deps = self.clients["city-admin"].get("/_dash-dependencies").get_json()
        self.callbacks = [d for d in deps if not d.get("clientside_function")]
        assert len(self.callbacks) >= 12, "the app has its callbacks (also when it is not the process's first app)"


@pytest.fixture(scope="module")
def world(redis_server: Any) -> Iterator[World]:
    w = World(redis_server.url)
    yield w
    w.r.flushall()
    w.r.close()


@pytest.fixture(autouse=True)
def _error_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No request may log a stack trace at error level (a 4xx is not an error of the server)."""
    caplog.set_level(logging.WARNING)
    yield
    traces = [rec for rec in caplog.records if rec.levelno >= logging.ERROR and rec.exc_info]
    assert not traces, [f"{rec.name}: {rec.getMessage()[:200]}" for rec in traces]


def check(world: World, caller: str, asked: str, resp: Any) -> None:
    """No 5xx; a Baiyun caller never sees Tianhe's entities (ids it did not type itself, names never)."""
    assert resp.status_code < 500, (caller, asked[:300], resp.status_code, resp.get_data()[:300])
    if caller.startswith("by-"):
        body = resp.get_data().decode("utf-8", "replace")
        typed = unquote(asked)  # what the caller sent may come back in an error message: that reveals nothing
        leaked = [s for s in (*SECRET_NAMES, *SECRET_IDS) if s in body and s not in typed]
        assert not leaked, (caller, asked[:300], leaked, body[:300])


# -- values --------------------------------------------------------------------------------------------------------
ids_ = st.sampled_from([*SECRET_IDS, *OWN_IDS, "1345A", "", "x" * 300, "<img src=x>", "../../etc/passwd",
                        "%00", "\u0000", "天河站"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20), ids_)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
realistic = st.one_of(
    st.fixed_dictionaries({"feed": st.sampled_from(FEEDS), "id": ids_}),
    st.lists(st.builds(lambda f, i: f"{f}:{i}", st.sampled_from(FEEDS), ids_), max_size=4),
    st.sampled_from(["1h", "24h", "7d", "all", "active", "en", "zh", "aqi", "overdue", BAIYUN, TIANHE]),
    st.fixed_dictionaries({"ms": st.integers(-(2**64), 2**64)}),
    st.fixed_dictionaries({"bbox": st.lists(st.floats(-200, 200), min_size=4, max_size=4),
                           "zoom": st.integers(-5, 40), "w": st.integers(-10, 5000), "h": st.integers(-10, 5000)}),
)
values = st.one_of(st.none(), realistic, st.integers(0, 5), st.text(max_size=6), json_values)
segment = st.one_of(ids_, st.sampled_from(["json", "xml"]),  # json/xml: Open311's format segment
                    st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s and s not in (".", "..")),
                    st.integers(-(2**70), 2**70).map(str))


# -- HTTP routes ---------------------------------------------------------------------------------------------------
def test_every_route_is_fuzzed(world: World) -> None:
    rules: dict[str, set[str]] = {}
    for rule in world.app.server.url_map.iter_rules():
        rules.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    assert rules == {k: set(v) for k, v in ROUTES.items()}


def _fill(rule: str, parts: list[str]) -> str:
    """A rule's URL with each <converter:name> replaced by a fuzzed segment (percent-encoded)."""
    from urllib.parse import quote

    it = iter(parts)
    return re.sub(r"<[^>]+>", lambda _: quote(next(it), safe=""), rule)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_routes_never_5xx_nor_leak(world: World, data: st.DataObject) -> None:
    rule = data.draw(st.sampled_from(sorted(ROUTES)), label="rule")
    method = data.draw(st.sampled_from(ROUTES[rule]), label="method")
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    if rule == "/logout":  # only the anonymous caller signs out: the others keep their sessions for the next examples
        caller = "anonymous"
    n = rule.count("<")
    path = _fill(rule, data.draw(st.lists(segment, min_size=n, max_size=n), label="segments"))
    query = data.draw(st.dictionaries(st.sampled_from(["ids", "range", "since", "until", "format", "lang", "next",
                                                       "kiosk", "state", "code", "q"]),
                                      st.one_of(ids_, st.text(max_size=12), st.sampled_from(
                                          ["csv", "7d", "BY-AIR,TH-AIR", "TH-AIR,TH-ROAD,BY-ROAD", "1"])),
                                      max_size=4), label="query")
    client, headers = world.clients[caller], dict(world.headers[caller])
    kw: dict[str, Any] = {"query_string": query, "headers": headers}
    if method != "GET":
        body = data.draw(st.one_of(values, st.binary(max_size=40)), label="body")
        if isinstance(body, bytes):
            kw.update(data=body, content_type=data.draw(st.sampled_from(["application/json", "text/plain",
                                                                         "application/x-www-form-urlencoded"])))
        else:
            kw["json"] = body
    resp = getattr(client, method.lower())(path, **kw)
    check(world, caller, path + json.dumps(query, ensure_ascii=False) + json.dumps(kw.get("json"), default=str,
                                                                                     ensure_ascii=False), resp)


def test_history_csv_of_own_and_other_ids_holds_only_the_own(world: World) -> None:
    """Item 1: one own id used to unlock every other district's rows in the CSV form (the JSON form was scoped)."""
    for caller in ("by-analyst", "by-token"):
        for feed, own, other in (("air", "BY-AIR", "TH-AIR"), ("traffic", "BY-ROAD", "TH-ROAD"),
                                 ("water", "BY-RIVER", "TH-RIVER")):
            resp = world.clients[caller].get(f"/api/v1/history/{feed}?ids={own},{other}&range=7d&format=csv",
                                             headers=world.headers[caller])
            text = resp.get_data(as_text=True)
            assert resp.status_code == 200 and own in text and other not in text and "天河站" not in text


# -- Dash callbacks ------------------------------------------------------------------------------------------------
def _item(spec: dict[str, Any], value: Any) -> Any:
    if spec["id"].startswith("{"):  # a pattern-matching input: a list of matches (here: none, or one)
        return [] if value is None else [{"id": {**json.loads(spec["id"]), "id": "x", "key": "x"},
                                          "property": spec["property"], "value": value}]
    return {"id": spec["id"], "property": spec["property"], "value": value}


def _outputs(key: str) -> Any:
    specs = key[2:-2].split("...") if key.startswith("..") else [key]
    outs = []
    for part in specs:
        ident, prop = part.rsplit(".", 1)
        outs.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop.split("@")[0]})
    return outs if key.startswith("..") else outs[0]


def from_hint(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a callback parameter's declared type (so that most requests get past the type check and run the
    callback), mixed with realistic ids and ranges."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return values
    if hint is type(None):
        return st.none()
    if origin in (typing.Union, types.UnionType):
        return st.one_of([from_hint(a) for a in args])
    if hint is str:
        return st.one_of(st.sampled_from(["1h", "24h", "7d", "en", "zh", "all", "aqi", "do", "overdue", BAIYUN,
                                          TIANHE, "TH-AIR", "air:TH-AIR", "station_aqi:TH-AIR"]), st.text(max_size=8))
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-(2**40), 2**40)
    if hint is float:
        return st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False))
    if origin is list:
        return st.lists(from_hint(args[0] if args else Any), max_size=4)
    if origin is dict:
        return st.one_of(realistic.filter(lambda v: isinstance(v, dict)),
                         st.dictionaries(st.sampled_from(["feed", "id", "ms", "q", "lang", "bbox", "zoom", "names",
                                                          "initial", "sort", "col", "desc"]),
                                         from_hint(args[1] if len(args) > 1 else Any), max_size=4))
    return values


def typed_values(world: World, output: str) -> list[st.SearchStrategy[Any]] | None:
    """One strategy per input and state, in the request's order, from the callback function's type hints."""
    cb = world.app.callback_map.get(output) or {}
    func, order = cb.get("callback"), cb.get("inputs_state_indices")
    if func is None or not isinstance(order, list):
        return None
    target = inspect.unwrap(func)
    hints = typing.get_type_hints(target)
    params = list(inspect.signature(target).parameters)
    if len(params) != len(order):
        return None
    by_flat: dict[int, st.SearchStrategy[Any]] = {flat: from_hint(hints.get(params[pos], Any))
                                                  for pos, flat in enumerate(order)}
    return [by_flat[i] for i in range(len(order))]


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_callbacks_never_5xx_nor_leak(world: World, data: st.DataObject) -> None:
    dep = data.draw(st.sampled_from(world.callbacks), label="callback")
    caller = data.draw(st.sampled_from(CALLERS), label="caller")
    shape = data.draw(st.sampled_from(["typed", "typed", "typed", "short", "swapped", "garbage", "outputs",
                                       "changed"]), label="shape")
    typed = typed_values(world, dep["output"]) if shape == "typed" else None
    strategies = typed or [values] * (len(dep["inputs"]) + len(dep["state"]))
    drawn = [data.draw(strategy) for strategy in strategies]
    inputs = [_item(i, v) for i, v in zip(dep["inputs"], drawn, strict=False)]
    state = [_item(s, v) for s, v in zip(dep["state"], drawn[len(dep["inputs"]):], strict=False)]
    if dep["output"].startswith(".._pages_content") and shape == "typed":
        inputs[0]["value"] = data.draw(st.sampled_from(["/", "/wall", "/analyst", "/alerts", "/admin", "/x"]))
    body: Any = {"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": inputs, "state": state,
                 "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"]}
    if shape == "short":
        body["inputs"] = inputs[:-1]
    elif shape == "swapped":
        body["inputs"] = list(reversed(inputs)) + [{"id": "_pages_location", "property": "pathname", "value": "/admin"}]
    elif shape == "garbage":
        body = data.draw(json_values)
    elif shape == "outputs":
        body["outputs"] = data.draw(st.one_of(json_values, st.just([]), st.just({"id": "x", "property": "y"})))
    elif shape == "changed":
        body["changedPropIds"] = data.draw(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(
            ["{x.n_clicks", '{"type":"alert-row"}.n_clicks', "am-cmp-add.n_clicks", "wall-tick.n_intervals"])),
            max_size=3))
        for item in inputs:  # a pattern-matching id missing its other keys, clicked
            if isinstance(item, list):
                item.append({"id": {"type": json.loads(dep["inputs"][0]["id"]).get("type", "x")
                                    if dep["inputs"][0]["id"].startswith("{") else "x"},
                             "property": "n_clicks", "value": 1})
    asked = json.dumps(body, ensure_ascii=False, default=str)
    resp = world.clients[caller].post("/_dash-update-component", json=body, headers=world.headers[caller])
    check(world, caller, asked, resp)


def test_pages_callback_reads_the_path_dash_renders(world: World) -> None:
    """Item 11: a crafted input list whose first pathname is allowed but whose rendered one is not gets nothing."""
    dep = next(d for d in world.callbacks if d["output"].startswith(".._pages_content"))
    inputs = [{"id": i["id"], "property": i["property"], "value": "/admin" if i["property"] == "pathname" else ""}
              for i in dep["inputs"]]
    crafted = [{"id": "_pages_location", "property": "pathname", "value": "/wall"}, *inputs]
    body = {"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": crafted, "state": [],
            "changedPropIds": []}
    resp = world.clients["city-viewer"].post("/_dash-update-component", json=body)
    assert resp.status_code in (400, 403) and "adm-" not in resp.get_data(as_text=True)
    body["inputs"] = inputs  # the honest request for /admin: the viewer may not open it
    assert world.clients["city-viewer"].post("/_dash-update-component", json=body).status_code == 403


@pytest.mark.parametrize("body", ['"x"', "5", "[]", "null", '{"output": 5}', '{"output": "am-values.data@zz"}',
                                  '{"output": "ac-table.children", "inputs": "x"}', '{"a": NaN}',
                                  '{"output": "ac-table.children\\ud800"}'])
def test_malformed_callback_bodies_are_400(world: World, body: str) -> None:
    """Item 10: a body that is not an object, an unknown output, a non-list of inputs, NaN or a lone surrogate."""
    resp = world.clients["city-admin"].post("/_dash-update-component", data=body, content_type="application/json")
    assert resp.status_code == 400 and "Traceback" not in resp.get_data(as_text=True)


def test_redis_is_the_real_server(world: World) -> None:
    assert isinstance(world.r, redis.Redis) and world.r.ping()
