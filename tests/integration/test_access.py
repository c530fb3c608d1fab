"""Routes x roles: every page, Dash callback and API route answers each role as auth.policy says (issue #8)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from auth.policy import AUTHENTICATED, NOBODY, callback_perm, page_perm
from core.roles import PERMS, ROLES
from store import users
from tests.conftest import API_TOKEN, KIOSK, AppProcess

pytestmark = pytest.mark.integration
PASSWORD = "role-test-password"
CALLERS = (*ROLES, "kiosk")

# (method, path, permission) for every API route; the expectation per role comes from core.roles.PERMS.
API_ROUTES = [
    ("GET", "/api/v1/alerts", "alerts.read"), ("GET", "/api/v1/alerts/log", "alerts.read"),
    ("POST", "/api/v1/alerts/nope/ack", "alerts.act"), ("GET", "/api/v1/silences", "alerts.read"),
    ("POST", "/api/v1/silences", "alerts.act"), ("DELETE", "/api/v1/silences/nope", "alerts.act"),
    ("GET", "/api/v1/entities/air/1345A", "analyst"), ("GET", "/api/v1/history/air?ids=1345A", "export"),
    ("GET", "/api/v1/history/air/1345A/at/1", "analyst"), ("GET", "/api/v1/geo/roads.geojson", "wall"),
    ("GET", "/tiles/1/0/0", "wall"), ("GET", "/api/v1/me", AUTHENTICATED),
    ("GET", "/api/v1/admin/users", "admin"), ("GET", "/api/v1/admin/audit", "admin"),
    ("GET", "/api/v1/cases", "cases.read"), ("GET", "/api/v1/cases/nope", "cases.read"),
    ("POST", "/api/v1/cases", "cases.report"), ("POST", "/api/v1/cases/nope/register", "cases.act"),
]
PAGES = ["/", "/wall", "/analyst", "/alerts", "/admin", "/admin/confirm/delete-user/u-viewer", "/cases"]


def may(role: str, perm: str) -> bool:
    """What the roles table grants (AUTHENTICATED: anyone signed in)."""
    return perm == AUTHENTICATED or role in PERMS.get(perm, frozenset())


@pytest.fixture(scope="module")
def app(redis_server: Any) -> Iterator[AppProcess]:
    """One app for the whole table (users are created once below)."""
    redis.Redis.from_url(redis_server.url).flushall()
    proc = AppProcess(redis_server.url)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def sessions(app: AppProcess, redis_server: Any) -> dict[str, requests.Session]:
    """A signed-in HTTP session per role, plus a kiosk wall session."""
    r = redis.Redis.from_url(redis_server.url, decode_responses=True)
    out: dict[str, requests.Session] = {}
    for role in ROLES:
        if users.get_user(r, f"u-{role}") is None:
            users.create_user(r, f"u-{role}", PASSWORD, role,
                              department="市政设施管理处" if role == "handler" else None)
        s = requests.Session()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(app.url + "/login").text).group(1)
        resp = s.post(app.url + "/login", data={"username": f"u-{role}", "password": PASSWORD, "csrf_token": csrf},
                      allow_redirects=False)
        assert resp.status_code == 303, resp.text
        out[role] = s
    kiosk = requests.Session()
    assert kiosk.get(f"{app.url}/wall?kiosk={KIOSK}").status_code == 200
    out["kiosk"] = kiosk
    return out


def dash_requests(app: AppProcess, session: requests.Session) -> list[tuple[str, dict[str, Any]]]:
    """One crafted request per server-side callback, built from /_dash-dependencies (inputs/states all None)."""
    deps = session.get(app.url + "/_dash-dependencies").json()
    out = []
    for dep in deps:
        if dep.get("clientside_function"):
            continue
        def spec(items: list[dict[str, Any]]) -> list[Any]:  # a pattern-matching input with no matches is []
            return [[] if i["id"].startswith("{") else {"id": i["id"], "property": i["property"], "value": None}
                    for i in items]
        out.append((dep["output"], {"output": dep["output"], "outputs": _outputs(dep["output"]),
                                    "inputs": spec(dep["inputs"]), "state": spec(dep["state"]),
                                    "changedPropIds": []}))
    return out


def _outputs(key: str) -> Any:
    specs = key[2:-2].split("...") if key.startswith("..") else [key]
    outs = []
    for part in specs:
        ident, prop = part.rsplit(".", 1)
        prop = prop.split("@", 1)[0]
        outs.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop})
    return outs if key.startswith("..") else outs[0]


def test_every_server_callback_has_an_explicit_permission(app: AppProcess, sessions: dict[str, Any]) -> None:
    outputs = [out for out, _ in dash_requests(app, sessions["admin"])]
    assert len(outputs) >= 12  # the table is real: the app has its callbacks
    assert [o for o in outputs if callback_perm(o) == NOBODY] == []


@pytest.mark.parametrize("caller", CALLERS)
def test_pages_by_role(app: AppProcess, sessions: dict[str, requests.Session], caller: str) -> None:
    got = {p: sessions[caller].get(app.url + p, allow_redirects=False).status_code for p in PAGES}
    assert got == {p: 200 if may(caller, page_perm(p)) else 403 for p in PAGES}


def test_a_refused_page_says_why_in_the_pages_language(app: AppProcess, sessions: dict[str, requests.Session]) -> None:
    """Issue #17 item 7: a refused page was English-only plain text; it is a page in the app's style and language."""
    refused = [(c, p) for c in CALLERS for p in PAGES if not may(c, page_perm(p))]
    assert refused  # the table has a refusal to look at
    caller, path = refused[0]
    for lang, says in (("en", "may not use this"), ("zh", "无权使用此功能")):
        resp = sessions[caller].get(f"{app.url}{path}?lang={lang}", allow_redirects=False)
        assert resp.status_code == 403 and resp.headers["Content-Type"].startswith("text/html")
        assert says in resp.text and f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in resp.text
        assert "/assets/login.css" in resp.text  # styled like the sign-in page
    # and the style and focus ring reach someone not signed in (the sign-in page, an invalid wall link)
    assert all(requests.get(f"{app.url}/assets/{name}").status_code == 200 for name in ("login.css", "a11y.css"))
    api = sessions[caller].get(f"{app.url}/api/v1/admin/users", allow_redirects=False)  # programs keep JSON
    assert api.status_code in (401, 403) and api.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("caller", CALLERS)
def test_callbacks_by_role(app: AppProcess, sessions: dict[str, requests.Session], caller: str) -> None:
    s = sessions[caller]
    for output, body in dash_requests(app, sessions["admin"]):
        perm = callback_perm(output)
        if output.startswith(".._pages_content"):
            continue  # covered per page below
        resp = s.post(app.url + "/_dash-update-component", json=body, headers={"Origin": app.url})
        if may(caller, perm):
            assert resp.status_code in (200, 204), (caller, output, resp.status_code, resp.text[:300])
        else:
            assert resp.status_code == 403, (caller, output, resp.status_code)


@pytest.mark.parametrize("caller", CALLERS)
def test_page_callback_renders_only_permitted_pages(app: AppProcess, sessions: dict[str, requests.Session],
                                                    caller: str) -> None:
    """Client-side navigation renders pages through Dash's pages callback: it applies the page's permission."""
    body = next(b for o, b in dash_requests(app, sessions["admin"]) if o.startswith(".._pages_content"))
    for path in ("/", "/wall", "/analyst", "/alerts", "/cases"):
        for item in body["inputs"]:
            if item["property"] == "pathname":
                item["value"] = path
            if item["property"] == "search":
                item["value"] = "?lang=en"
        resp = sessions[caller].post(app.url + "/_dash-update-component", json=body, headers={"Origin": app.url})
        assert resp.status_code == (200 if may(caller, page_perm(path)) else 403), (caller, path)


@pytest.mark.parametrize("caller", CALLERS)
def test_api_by_role(app: AppProcess, sessions: dict[str, requests.Session], caller: str) -> None:
    for method, path, perm in API_ROUTES:
        resp = sessions[caller].request(method, app.url + path, json={}, headers={"Origin": app.url})
        if may(caller, perm):
            assert resp.status_code not in (401, 403, 500), (caller, method, path, resp.status_code)
        else:
            assert resp.status_code == 403, (caller, method, path, resp.status_code)


def test_anonymous_gets_login_or_401_everywhere(app: AppProcess) -> None:
    s = requests.Session()
    for p in PAGES:
        resp = s.get(app.url + p, allow_redirects=False)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")
    for method, path, _ in API_ROUTES:
        assert s.request(method, app.url + path, json={}).status_code == 401, path
    assert s.post(app.url + "/_dash-update-component", json={"output": "wall-cases.data"}).status_code == 401
    assert s.get(app.url + "/_dash-layout").status_code == 401
    assert s.get(app.url + "/_dash-dependencies").status_code == 401


def test_tokens_env_api_token_is_admin_and_ingest_token_reads_nothing(app: AppProcess) -> None:
    ok = requests.get(app.url + "/api/v1/me", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert ok.json() == {"name": "api-token", "role": "admin", "district": None, "kind": "env", "department": None}
    for token in ("wrong-token-1234567", KIOSK):  # a kiosk token is no API token
        assert requests.get(app.url + "/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}).status_code \
            == 401
    # a bearer token does not open pages or callbacks: those take the session only
    assert requests.get(app.url + "/analyst", headers={"Authorization": f"Bearer {API_TOKEN}"},
                        allow_redirects=False).status_code == 302


def test_personal_api_token_carries_its_users_role_and_ends_with_revocation(app: AppProcess,
                                                                            redis_server: Any) -> None:
    r = redis.Redis.from_url(redis_server.url, decode_responses=True)
    if users.get_user(r, "u-tok") is None:
        users.create_user(r, "u-tok", PASSWORD, "leader", district="440111")
    token, tid = users.issue_api_token(r, "u-tok", "script")
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(app.url + "/api/v1/me", headers=auth).json() == \
        {"name": "u-tok", "role": "leader", "district": "440111", "kind": "token", "department": None}
    assert requests.get(app.url + "/api/v1/alerts", headers=auth).status_code == 200
    assert requests.post(app.url + "/api/v1/alerts/x/ack", headers=auth, json={}).status_code == 403
    assert users.revoke_api_token(r, tid)
    import time
    time.sleep(2.2)  # the gate trusts a looked-up token for at most 2 s per worker
    assert requests.get(app.url + "/api/v1/alerts", headers=auth).status_code == 401


def test_cross_site_post_and_form_without_csrf_are_refused(app: AppProcess, sessions: dict[str, Any]) -> None:
    s = sessions["operator"]
    evil = s.post(app.url + "/api/v1/silences", json={}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    form = s.post(app.url + "/logout", data={"csrf_token": "forged"}, allow_redirects=False)
    assert form.status_code == 400
    assert s.get(app.url + "/api/v1/me").json()["name"] == "u-operator"  # still signed in


def test_disabled_user_and_revoked_kiosk_lose_their_sessions(app: AppProcess, redis_server: Any) -> None:
    r = redis.Redis.from_url(redis_server.url, decode_responses=True)
    if users.get_user(r, "u-gone") is None:
        users.create_user(r, "u-gone", PASSWORD, "viewer")
    s = requests.Session()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(app.url + "/login").text).group(1)
    s.post(app.url + "/login", data={"username": "u-gone", "password": PASSWORD, "csrf_token": csrf})
    assert s.get(app.url + "/api/v1/me").status_code == 200
    token, kid = users.issue_kiosk(r, "lobby")
    wall = requests.Session()
    assert wall.get(f"{app.url}/wall?kiosk={token}").status_code == 200
    assert wall.get(app.url + "/api/v1/me").json()["kind"] == "kiosk"
    users.update_user(r, "u-gone", disabled=True)
    users.revoke_kiosk(r, kid)
    import time
    time.sleep(2.2)
    assert s.get(app.url + "/api/v1/me").status_code == 401
    assert wall.get(app.url + "/api/v1/me").status_code == 401
    assert wall.get(f"{app.url}/wall?kiosk={token}").status_code == 401
