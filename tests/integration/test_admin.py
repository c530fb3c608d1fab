"""The admin page and its JSON mirror through the real app (gate, sessions, CSRF) against a real Redis server."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

import app as app_module
from auth import gate
from config.settings import Settings
from store import audit, users
from store.client import connect
from store.embedded import free_port
from tests.conftest import ADMIN_PW, ADMIN_USER, API_AUTH, API_TOKEN, client_login

pytestmark = pytest.mark.integration
SECRET = re.compile(r'class="adm-secret" type="text" readonly value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PW = "a-long-enough-password"


@pytest.fixture
def server(redis_server: Any, r: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setattr(gate, "CACHE_S", 0.0)  # the gate's 2 s per-worker cache would hide changes for 2 s
    yield app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="x" * 32,
                                         admin_password=ADMIN_PW, api_token=API_TOKEN)).server


@pytest.fixture
def admin(server: Flask) -> FlaskClient:
    client = server.test_client()
    assert client_login(client).status_code == 303
    return client


def login(server: Flask, username: str, password: str) -> FlaskClient:
    client = server.test_client()
    resp = client_login(client, username, password)
    assert resp.status_code == 303 and "/login" not in resp.headers["Location"], f"{username} could not log in"
    return client


def post(client: FlaskClient, path: str, **data: str) -> Any:
    """A form post with this session's CSRF token (read from the admin page, as a browser would)."""
    token = CSRF.search(client.get("/admin").get_data(as_text=True))
    assert token, "admin page has no csrf_token"
    return client.post(path, data={"csrf_token": token.group(1), **data})


def shown_secret(resp: Any) -> str:
    """The secret on a show-once page, which must never be cached."""
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    match = SECRET.search(resp.get_data(as_text=True))
    assert match, "no secret on the result page"
    return match.group(1)


def admin_events(r: redis.Redis) -> list[dict[str, Any]]:
    """Audit entries of admin changes (not logins or wall opens), oldest first."""
    prefixes = ("user.", "kiosk.issue", "kiosk.revoke", "token.")
    return [e for e in reversed(audit.read(r, 1000)) if e["event"].startswith(prefixes) and e["actor"] != "first-start"]


def no_secret_in_audit(r: redis.Redis, *secrets: str) -> None:
    dump = json.dumps(audit.read(r, 1000))
    for secret in secrets:
        assert secret not in dump


def names(r: redis.Redis) -> list[str]:
    return [u["username"] for u in users.list_users(r)]


def test_create_user_then_log_in_with_the_shown_password(server: Flask, admin: FlaskClient, r: redis.Redis,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    page = admin.get("/admin?lang=en")
    assert page.status_code == 200 and "Users" in page.get_data(as_text=True)
    assert "天河区" in admin.get("/admin").get_data(as_text=True)  # zh from the city profile; the city's districts
    password = shown_secret(post(admin, "/admin/users", username="alice", role="operator", district="440106",
                                 password="", display_name="Alice Li", lang="en"))
    assert len(password) >= 16
    alice = login(server, "alice", password)
    assert alice.get("/api/v1/me").get_json() == {"name": "alice", "role": "operator", "district": "440106",
                                                   "kind": "user", "department": None}
    assert alice.get("/admin").status_code == 403  # an operator is not an admin
    [entry] = admin_events(r)
    assert entry["event"] == "user.create" and entry["actor"] == ADMIN_USER and entry["username"] == "alice"
    no_secret_in_audit(r, password)
    assert password not in caplog.text
    listing = admin.get("/admin?lang=en").get_data(as_text=True)
    assert "Alice Li" in listing and password not in listing


def test_create_with_a_chosen_password_redirects_with_a_notice(server: Flask, admin: FlaskClient) -> None:
    resp = post(admin, "/admin/users", username="bob", role="viewer", district="", password=PW, lang="en")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/admin?lang=en")
    assert "Created user bob" in admin.get(resp.headers["Location"]).get_data(as_text=True)
    login(server, "bob", PW)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("role", "root", "role must be one of"), ("district", "999999", "not a district of this city"),
    ("district", "tianhe", "six-digit adcode"), ("username", "bad name", "username"),
    ("username", "", "username"), ("password", "short", "password must be"),
    ("role", "handler", "must be bound to a department"),  # the closed loop's handler works for one department
])
def test_bad_input_is_a_400_with_the_reason_and_stores_nothing(admin: FlaskClient, r: redis.Redis, field: str,
                                                                value: str, message: str) -> None:
    before = audit.read(r, 1000)
    form = {"username": "carol", "role": "viewer", "district": "440106", "password": "", field: value}
    resp = post(admin, "/admin/users", lang="en", **form)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in body and "Not saved" in body
    assert 'value="carol"' in body or field == "username"  # the form keeps what was typed
    assert names(r) == [ADMIN_USER] and audit.read(r, 1000) == before


def test_existing_name_is_a_conflict(admin: FlaskClient, r: redis.Redis) -> None:
    resp = post(admin, "/admin/users", username=ADMIN_USER, role="viewer", password=PW)
    assert resp.status_code == 409 and "already exists" in resp.get_data(as_text=True)
    assert admin_events(r) == []


def test_disabling_a_user_ends_their_session(server: Flask, admin: FlaskClient, r: redis.Redis) -> None:
    post(admin, "/admin/users", username="dan", role="analyst", password=PW)
    dan = login(server, "dan", PW)
    assert dan.get("/api/v1/me").status_code == 200
    assert post(admin, "/admin/users/dan/disabled", disabled="1").status_code == 303
    assert dan.get("/api/v1/me").status_code == 401
    assert dan.get("/analyst").status_code == 302  # back to the login form
    refused = server.test_client()
    assert client_login(refused, "dan", PW).status_code != 303
    assert post(admin, "/admin/users/dan/disabled", disabled="0").status_code == 303
    assert dan.get("/api/v1/me").status_code == 401  # the old session stays ended
    login(server, "dan", PW)
    assert [(e["event"], e.get("disabled")) for e in admin_events(r)] == [
        ("user.create", None), ("user.update", "true"), ("user.update", "false")]


def test_role_and_district_change_and_password_reset(server: Flask, admin: FlaskClient, r: redis.Redis) -> None:
    post(admin, "/admin/users", username="erin", role="viewer", password=PW)
    erin = login(server, "erin", PW)
    assert post(admin, "/admin/users/erin/update", role="viewer", district="").status_code == 303
    assert erin.get("/api/v1/me").status_code == 200  # saving an unchanged row changes nothing
    assert post(admin, "/admin/users/erin/update", role="leader", district="440103").status_code == 303
    assert erin.get("/api/v1/me").status_code == 401  # a role change ends the session
    assert users.get_user(r, "erin")["role"] == "leader" and users.get_user(r, "erin")["district"] == "440103"
    assert admin.get("/admin/confirm/reset-password/erin").status_code == 200
    password = shown_secret(post(admin, "/admin/users/erin/password"))
    assert login(server, "erin", password).get("/api/v1/me").get_json()["role"] == "leader"
    assert client_login(server.test_client(), "erin", PW).status_code != 303
    assert [e["event"] for e in admin_events(r)] == ["user.create", "user.update", "user.password_reset"]
    assert admin_events(r)[-1]["password"] == "reset"
    no_secret_in_audit(r, password, PW)


def test_the_last_enabled_admin_is_protected(server: Flask, admin: FlaskClient, r: redis.Redis) -> None:
    for path, data in (("/admin/users/admin/disabled", {"disabled": "1"}),
                       ("/admin/users/admin/update", {"role": "viewer", "district": ""})):
        resp = post(admin, path, lang="en", **data)
        assert resp.status_code == 409 and "last enabled admin" in resp.get_data(as_text=True)
    resp = post(admin, "/admin/users/admin/delete", lang="en")
    assert resp.status_code == 409 and "cannot delete yourself" in resp.get_data(as_text=True)
    assert client_patch(server, "admin", {"disabled": True}).status_code == 409
    assert client_delete(server, "/api/v1/admin/users/admin").status_code == 409
    post(admin, "/admin/users", username="ada", role="admin", password=PW)
    post(admin, "/admin/users/ada/disabled", disabled="1")
    assert post(admin, "/admin/users/admin/update", role="viewer", district="").status_code == 409  # ada is disabled
    post(admin, "/admin/users/ada/disabled", disabled="0")
    ada = login(server, "ada", PW)
    assert post(ada, "/admin/users/admin/update", role="viewer", district="").status_code == 303
    assert client_delete(server, "/api/v1/admin/users/ada").status_code == 409  # now ada is the last admin
    assert users.get_user(r, "admin")["role"] == "viewer" and not users.get_user(r, "ada")["disabled"]
    assert [e["event"] for e in admin_events(r)] == ["user.create", "user.update", "user.update", "user.update"]
    assert admin.get("/admin").status_code in (302, 403)  # the demoted admin's session has ended


def client_patch(server: Flask, name: str, body: dict[str, Any]) -> Any:
    """PATCH a user through the JSON mirror with the environment's admin bearer token."""
    return server.test_client().patch(f"/api/v1/admin/users/{name}", json=body, headers=API_AUTH)


def client_delete(server: Flask, path: str) -> Any:
    return server.test_client().delete(path, headers=API_AUTH)


def test_kiosk_link_works_until_revoked(server: Flask, admin: FlaskClient, r: redis.Redis) -> None:
    link = shown_secret(post(admin, "/admin/kiosks", name="Wall A", district="440106"))
    assert link.startswith("http://localhost/wall?kiosk=")
    wall = server.test_client()
    opened = wall.get(link.removeprefix("http://localhost") + "&lang=en")
    # the token becomes an HttpOnly cookie and the wall goes on at a clean address (no token in the address bar)
    assert opened.status_code == 303 and opened.headers["Location"] == "/wall?lang=en"
    cookie = next(c for c in opened.headers.getlist("Set-Cookie") if c.startswith("onescreen_kiosk="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert wall.get("/wall").status_code == 200  # the link opened a read-only session
    assert wall.get("/admin").status_code in (302, 403)
    [kiosk] = users.list_kiosks(r)
    assert kiosk["name"] == "Wall A" and kiosk["district"] == "440106" and kiosk["created_by"] == ADMIN_USER
    assert "Wall A" in admin.get("/admin").get_data(as_text=True)
    assert admin.get(f"/admin/confirm/revoke-kiosk/{kiosk['id']}").status_code == 200
    assert post(admin, f"/admin/kiosks/{kiosk['id']}/revoke").status_code == 303
    assert server.test_client().get(link.removeprefix("http://localhost")).status_code == 401
    assert wall.get("/wall").status_code == 302  # the open wall session ends too
    assert post(admin, f"/admin/kiosks/{kiosk['id']}/revoke").status_code == 404
    assert [(e["event"], e["kiosk_id"]) for e in admin_events(r)] == [("kiosk.issue", kiosk["id"]),
                                                                  ("kiosk.revoke", kiosk["id"])]
    no_secret_in_audit(r, link.split("=", 1)[1])


def test_api_token_works_until_revoked(server: Flask, admin: FlaskClient, r: redis.Redis) -> None:
    post(admin, "/admin/users", username="olga", role="operator", password=PW)
    post(admin, "/admin/users", username="vic", role="viewer", password=PW)
    token = shown_secret(post(admin, "/admin/tokens", username="olga", name="ops script"))
    viewer_token = shown_secret(post(admin, "/admin/tokens", username="vic", name="ro"))
    bearer = {"Authorization": f"Bearer {token}"}
    client = server.test_client()
    assert client.get("/api/v1/alerts", headers=bearer).status_code == 200
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {viewer_token}"}).status_code == 403
    assert client.get("/api/v1/admin/users", headers=bearer).status_code == 403  # an operator's token
    tid = next(t["id"] for t in users.list_api_tokens(r) if t["username"] == "olga")
    assert post(admin, f"/admin/tokens/{tid}/revoke").status_code == 303
    assert client.get("/api/v1/alerts", headers=bearer).status_code == 401
    assert [e["event"] for e in admin_events(r)] == ["user.create", "user.create", "token.issue", "token.issue",
                                                     "token.revoke"]
    no_secret_in_audit(r, token, viewer_token)


@pytest.mark.parametrize(("path", "data"), [
    ("/admin/users", {"username": "mallory", "role": "admin", "password": PW}),
    ("/admin/kiosks", {"name": "x"}), ("/admin/users/admin/disabled", {"disabled": "1"}),
])
def test_form_posts_without_csrf_change_nothing(admin: FlaskClient, r: redis.Redis, path: str,
                                                data: dict[str, str]) -> None:
    before = (names(r), users.list_kiosks(r), users.get_user(r, ADMIN_USER), audit.read(r, 1000))
    assert admin.post(path, data=data).status_code == 400
    assert admin.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert (names(r), users.list_kiosks(r), users.get_user(r, ADMIN_USER), audit.read(r, 1000)) == before


def test_non_admins_are_refused(server: Flask, admin: FlaskClient, r: redis.Redis) -> None:
    post(admin, "/admin/users", username="lee", role="leader", password=PW)
    lee = login(server, "lee", PW)
    token = CSRF.search(lee.get("/login").get_data(as_text=True)).group(1)
    assert lee.get("/admin").status_code == 403
    assert lee.post("/admin/users", data={"csrf_token": token, "username": "x", "role": "admin",
                                          "password": PW}).status_code == 403
    assert lee.post("/admin/users/admin/disabled", data={"csrf_token": token, "disabled": "x"}).status_code == 403
    refused = lee.post("/admin/users/ghost/update", data={"csrf_token": token})
    assert refused.status_code == 403 and "adm-table" not in refused.get_data(as_text=True)  # no user list leaks
    assert lee.get("/admin/confirm/delete-user/admin").status_code == 403
    assert lee.get("/api/v1/admin/users").status_code == 403
    assert names(r) == [ADMIN_USER, "lee"]


def test_json_mirror(server: Flask, r: redis.Redis) -> None:
    c = server.test_client()
    created = c.post("/api/v1/admin/users", json={"username": "api-user", "role": "analyst"}, headers=API_AUTH)
    assert created.status_code == 201 and len(created.get_json()["password"]) >= 16
    assert "pw" not in created.get_json()["user"]
    assert [u["username"] for u in c.get("/api/v1/admin/users", headers=API_AUTH).get_json()["users"]] == [
        ADMIN_USER, "api-user"]
    bad = c.post("/api/v1/admin/users", json={"username": "x", "role": "god"}, headers=API_AUTH)
    assert bad.status_code == 400 and "role" in bad.get_json()["error"]
    assert c.post("/api/v1/admin/users", data="nope", headers={**API_AUTH, "Content-Type": "application/json"}
                  ).status_code == 400
    assert c.patch("/api/v1/admin/users/ghost", json={"role": "viewer"}, headers=API_AUTH).status_code == 404
    assert c.patch("/api/v1/admin/users/api-user", json={"colour": "red"}, headers=API_AUTH).status_code == 400
    reset = c.patch("/api/v1/admin/users/api-user", json={"reset_password": True, "district": "440111"},
                    headers=API_AUTH)
    assert reset.status_code == 200 and reset.get_json()["user"]["district"] == "440111"
    login(server, "api-user", reset.get_json()["password"])
    kiosk = c.post("/api/v1/admin/kiosks", json={"name": "Lobby"}, headers=API_AUTH).get_json()
    assert kiosk["url"] == f"http://localhost/wall?kiosk={kiosk['token']}"
    assert [k["id"] for k in c.get("/api/v1/admin/kiosks", headers=API_AUTH).get_json()["kiosks"]] == [kiosk["id"]]
    tok = c.post("/api/v1/admin/tokens", json={"username": "api-user", "name": "n"}, headers=API_AUTH)
    assert tok.status_code == 201
    assert c.post("/api/v1/admin/tokens", json={"username": "ghost", "name": "n"}, headers=API_AUTH).status_code == 404
    assert len(c.get("/api/v1/admin/tokens", headers=API_AUTH).get_json()["tokens"]) == 1
    assert c.delete(f"/api/v1/admin/tokens/{tok.get_json()['id']}", headers=API_AUTH).status_code == 200
    assert c.delete(f"/api/v1/admin/kiosks/{kiosk['id']}", headers=API_AUTH).status_code == 200
    assert c.delete(f"/api/v1/admin/kiosks/{kiosk['id']}", headers=API_AUTH).status_code == 404
    assert c.delete("/api/v1/admin/users/api-user", headers=API_AUTH).status_code == 200
    entries = c.get("/api/v1/admin/audit?count=50", headers=API_AUTH).get_json()["entries"]
    assert [e["event"] for e in entries if e["actor"] == "api-token"] == [
        "user.delete", "kiosk.revoke", "token.revoke", "token.issue", "kiosk.issue", "user.update", "user.create"]
    assert c.get("/api/v1/admin/audit?count=0", headers=API_AUTH).status_code == 400
    no_secret_in_audit(r, created.get_json()["password"], reset.get_json()["password"], kiosk["token"],
                       tok.get_json()["token"])


def test_store_down_is_a_503_not_a_stack_trace(server: Flask, admin: FlaskClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from auth import accounts as ops

    dead = connect(f"redis://127.0.0.1:{free_port()}", retries=0)
    monkeypatch.setattr(ops, "redis_client", lambda: dead)
    resp = server.test_client().get("/api/v1/admin/users", headers=API_AUTH)
    assert resp.status_code == 503 and resp.get_json() == {"error": "store unavailable"}
    page = admin.get("/admin?lang=en")
    assert page.status_code == 503 and "cannot be reached" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)


def test_a_handler_is_bound_to_a_department_and_keeps_one(server: Flask, admin: FlaskClient, r: redis.Redis) -> None:
    """The closed loop's handler (issue #15) sees and acts on one department's cases: the form sets it, the row
    changes it (ending the sessions), and a handler cannot lose it."""
    assert post(admin, "/admin/users", username="hank", role="handler", department=" 市政设施管理处 ",
                password=PW).status_code == 303
    assert users.get_user(r, "hank")["department"] == "市政设施管理处"
    hank = login(server, "hank", PW)
    assert post(admin, "/admin/users/hank/update", role="handler", district="",
                department="交通运输局").status_code == 303
    assert hank.get("/api/v1/me").status_code == 401  # a new department ends the session
    assert users.get_user(r, "hank")["department"] == "交通运输局"
    resp = post(admin, "/admin/users/hank/update", role="handler", district="", department="", lang="en")
    assert resp.status_code == 400 and "must be bound to a department" in resp.get_data(as_text=True)
    assert users.get_user(r, "hank")["department"] == "交通运输局"
    assert admin_events(r)[-1]["department"] == "交通运输局"
