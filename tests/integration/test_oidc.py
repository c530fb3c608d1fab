"""SSO through a fake OpenID provider: the full code flow with PKCE, claim mapping, and every refusal path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dash
import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import app as app_module
from auth import oidc
from config.settings import Settings
from store import audit, users
from store.embedded import free_port
from tests.conftest import ADMIN_PW, SECRET
from tests.fixtures.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeOIDC, oidc_provider, rsa_key  # noqa: F401

pytestmark = pytest.mark.integration


def settings_for(redis_url: str, issuer: str | None, **extra: Any) -> Settings:
    """Settings with SSO pointed at issuer (None: SSO off)."""
    sso = {"oidc_issuer": issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": CLIENT_SECRET} if issuer else {}
    return Settings(redis_url=redis_url, simulator=False, secret_key=SECRET, admin_password=ADMIN_PW, **sso, **extra)


def build(settings: Settings) -> dash.Dash:
    """The app as create_app builds it (it mounts the SSO routes itself)."""
    return app_module.create_app(settings)


@pytest.fixture
def op(oidc_provider: FakeOIDC) -> FakeOIDC:  # noqa: F811 - the fixture imported above
    return oidc_provider


@pytest.fixture
def client(redis_server: Any, r: redis.Redis, op: FakeOIDC) -> Iterator[FlaskClient]:
    yield build(settings_for(redis_server.url, op.url)).server.test_client()


def sign_in(client: FlaskClient, op: FakeOIDC, next_: str = "/", state: str | None = None) -> TestResponse:
    """Browser steps: /login/oidc -> provider /authorize -> back to the callback; returns the callback's response."""
    start = client.get(f"/login/oidc?next={next_}")
    assert start.status_code == 302, start.get_data(as_text=True)
    location = start.headers["Location"]
    q = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{op.url}/authorize?")
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) >= 43
    assert q["nonce"][0] and q["state"][0] and q["client_id"] == [CLIENT_ID] and "openid" in q["scope"][0].split()
    back = requests.get(location, allow_redirects=False, timeout=5)
    cb = urlsplit(back.headers["Location"])
    query = cb.query if state is None else cb.query.replace(q["state"][0], state)
    return client.get(f"{cb.path}?{query}")


def me(client: FlaskClient) -> TestResponse:
    return client.get("/api/v1/me")


def last_audit(r: redis.Redis) -> dict[str, Any]:
    return audit.read(r, 1)[0]


def test_sign_in_maps_role_and_district_and_starts_a_session(client: FlaskClient, op: FakeOIDC,
                                                              r: redis.Redis) -> None:
    assert me(client).status_code == 401
    op.claims = {"onescreen_role": "analyst", "onescreen_district": "440106", "name": "张伟"}
    resp = sign_in(client, op, next_="/analyst")
    assert resp.status_code == 303 and resp.headers["Location"] == "/analyst"
    assert me(client).get_json() == {"name": "zhang.wei", "role": "analyst", "district": "440106", "kind": "oidc",
                                     "department": None}
    assert op.log[-2:] == ["/token", "/jwks"]
    user = users.get_user(r, "zhang.wei")
    assert user and user["pw"] == "!" and user["source"] == "oidc" and user["display_name"] == "张伟"
    assert users.verify(r, "zhang.wei", "!") is None and users.verify(r, "zhang.wei", "") is None  # no password login
    entry = last_audit(r)
    assert (entry["event"], entry["actor"], entry["method"], entry["ok"]) == ("login", "zhang.wei", "oidc", "true")


def test_sv_changes_only_when_role_or_district_does(client: FlaskClient, op: FakeOIDC,
                                                    r: redis.Redis) -> None:
    op.claims = {"onescreen_role": "operator"}
    assert sign_in(client, op).status_code == 303
    assert users.get_user(r, "zhang.wei")["sv"] == 1
    assert sign_in(client, op).status_code == 303
    assert users.get_user(r, "zhang.wei")["sv"] == 1
    op.claims = {"onescreen_role": "viewer", "onescreen_district": 440104}  # a number is accepted too
    assert sign_in(client, op).status_code == 303
    user = users.get_user(r, "zhang.wei")
    assert (user["sv"], user["role"], user["district"]) == (2, "viewer", "440104")
    assert me(client).get_json()["role"] == "viewer"  # the new session carries the new version


@pytest.mark.parametrize(("claims", "role"), [({}, "viewer"), ({"onescreen_role": "superuser"}, "viewer"),
                                              ({"onescreen_role": ["viewer", "operator", "x"]}, "operator"),
                                              ({"onescreen_role": "admin", "preferred_username": None}, "admin"),
                                              ({"preferred_username": "张伟"}, "viewer"),
                                              # the closed loop: the role that may do the most; a handler only
                                              # with its department
                                              ({"onescreen_role": ["analyst", "dispatcher"]}, "dispatcher"),
                                              ({"onescreen_role": ["leader", "inspector"]}, "leader"),
                                              ({"onescreen_role": ["handler", "viewer"]}, "viewer"),
                                              ({"onescreen_role": ["handler", "viewer"],
                                                "onescreen_department": "市政设施管理处"}, "handler")])
def test_role_claim_mapping(client: FlaskClient, op: FakeOIDC, claims: dict[str, Any], role: str) -> None:
    op.claims = claims
    assert sign_in(client, op).status_code == 303
    body = me(client).get_json()
    assert body["role"] == role and body["district"] is None
    assert body["department"] == (claims.get("onescreen_department") if role == "handler" else None)
    assert body["name"] == ("u-1001" if "preferred_username" in claims else "zhang.wei")  # sub when no name


def forged(kind: str) -> dict[str, Any]:
    """What a forged or misdirected ID token carries."""
    return {"nonce": {"nonce": "not-the-nonce-we-sent"}, "aud": {"aud": "another-client"},
            "aud-azp": {"aud": ["another-client"], "azp": CLIENT_ID}, "iss": {"iss": "https://evil.example"},
            "expired": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            "signature": {"sign_with": rsa_key("k1")}, "kid": {"sign_with": rsa_key("k2")}}[kind]


@pytest.mark.parametrize("kind", ["nonce", "aud", "aud-azp", "iss", "expired", "signature", "kid"])
def test_invalid_id_tokens_are_refused(client: FlaskClient, op: FakeOIDC, r: redis.Redis,
                                       kind: str) -> None:
    op.tamper = forged(kind)
    resp = sign_in(client, op)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 401 and "could not be verified" in text and "Traceback" not in text
    assert resp.headers["Content-Type"].startswith("text/html")
    assert me(client).status_code == 401 and users.get_user(r, "zhang.wei") is None
    entry = last_audit(r)
    assert (entry["event"], entry["method"], entry["ok"]) == ("login.failed", "oidc", "false")


def test_a_wrong_state_is_refused(client: FlaskClient, op: FakeOIDC) -> None:
    resp = sign_in(client, op, state="forged-state")
    assert resp.status_code == 401 and "start again" in resp.get_data(as_text=True)
    assert me(client).status_code == 401
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 401  # no sign-in started at all


def test_provider_errors_and_bad_claims_are_clear(client: FlaskClient, op: FakeOIDC, r: redis.Redis) -> None:
    resp = client.get("/login/oidc/callback?error=access_denied&state=s")
    assert resp.status_code == 401 and "access_denied" in resp.get_data(as_text=True)
    op.claims = {"onescreen_district": "Tianhe"}  # never widened to the whole city
    resp = sign_in(client, op)
    assert resp.status_code == 401 and "six-digit" in resp.get_data(as_text=True)
    op.claims = {"preferred_username": "admin", "onescreen_role": "admin"}  # the local admin exists
    resp = sign_in(client, op)
    assert resp.status_code == 403 and "local account" in resp.get_data(as_text=True)
    admin = users.get_user(r, "admin")
    assert admin and "source" not in admin and users.verify(r, "admin", ADMIN_PW)  # not taken over
    op.claims = {}
    assert sign_in(client, op).status_code == 303
    users.update_user(r, "zhang.wei", disabled=True)
    resp = sign_in(client, op)
    assert resp.status_code == 403 and "disabled" in resp.get_data(as_text=True)
    assert users.get_user(r, "zhang.wei")["disabled"] is True


def test_token_endpoint_failure_is_a_502(client: FlaskClient, op: FakeOIDC) -> None:
    op.token_status = 500
    resp = sign_in(client, op)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 502 and "Traceback" not in text and "try again" in text
    assert me(client).status_code == 401


def test_provider_down_is_a_clear_502(redis_server: Any, r: redis.Redis) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    client = build(settings_for(redis_server.url, down)).server.test_client()
    resp = client.get("/login/oidc")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 502 and "cannot be reached" in text and "Traceback" not in text
    assert "统一身份认证" in text and client.get("/login").status_code == 200


def test_sso_off_unless_fully_configured(redis_server: Any, r: redis.Redis) -> None:
    client = build(settings_for(redis_server.url, None)).server.test_client()
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    half = Settings(redis_url=redis_server.url, oidc_issuer="https://idp.example", oidc_client_id="x")
    assert oidc.register(Flask(__name__), half) is False


@pytest.mark.parametrize(("extra", "message"), [({"oidc_default_role": "root"}, "ONESCREEN_OIDC_DEFAULT_ROLE"),
                                                ({"oidc_issuer": "http://idp.example"}, "https")])
def test_bad_configuration_fails_at_start(extra: dict[str, Any], message: str) -> None:
    settings = Settings(redis_url="redis://unused", oidc_issuer="https://idp.example", oidc_client_id="x",
                        oidc_client_secret="y").model_copy(update=extra)
    with pytest.raises(ValueError, match=message):
        oidc.register(Flask(__name__), settings)


def test_upsert_external_user_directly(r: redis.Redis) -> None:
    u = users.upsert_external_user(r, "li.na", "leader", None)
    assert (u["sv"], u["pw"], u["source"]) == (1, "!", "oidc")
    assert users.upsert_external_user(r, "li.na", "leader", None)["sv"] == 1
    assert users.upsert_external_user(r, "li.na", "leader", "440103")["sv"] == 2
    users.create_user(r, "local", "a-long-password", "viewer")
    with pytest.raises(ValueError, match="local account"):
        users.upsert_external_user(r, "local", "admin", None)
    with pytest.raises(ValueError):
        users.upsert_external_user(r, "li.na", "root", None)
    with pytest.raises(ValueError):
        users.upsert_external_user(r, "bad name!", "viewer", None)
    assert users.verify(r, "li.na", "!") is None
