"""The dispatch table is editable by an admin (issue #15): the admin page's form and PUT /api/v1/admin/case-rules
check a new table as the file is checked (a mistake names its entry and changes nothing), keep every version with
who saved it, refuse a save over someone else's (409), audit it, and the loop dispatches by it at once in the process
that saved it and within RULES_CHECK_S in every other. Real Redis, SQLite case records."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from flask import Flask

import app as app_module
from auth import gate
from cases import service
from config.settings import Settings
from store import audit, casebook, users
from tests.conftest import ADMIN_PW, API_TOKEN, client_login

pytestmark = pytest.mark.integration
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IN_BAIYUN = (113.443, 23.3035)


@pytest.fixture
def server(redis_server: Any, r: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setattr(gate, "CACHE_S", 0.0)
    return app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="k" * 32,
                                          admin_password=ADMIN_PW, api_token=API_TOKEN, data_dir=tmp_path)).server


def with_route(text: str, **route: str) -> str:
    doc = yaml.safe_load(text)
    doc["route"].append(route)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def dispatch_event(client: Any) -> str:
    filed = client.post("/api/v1/cases", json={"category": "0508", "kind": "event", "lon": IN_BAIYUN[0],
                                               "lat": IN_BAIYUN[1]}, headers=AUTH)
    cid = filed.get_json()["case"]["id"]
    client.post(f"/api/v1/cases/{cid}/register", json={}, headers=AUTH)
    return str(client.post(f"/api/v1/cases/{cid}/dispatch", json={}, headers=AUTH).get_json()["case"]["department"])


def test_an_admin_edits_the_dispatch_table_and_the_loop_follows(server: Flask, r: redis.Redis, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client = server.test_client()
    first = client.get("/api/v1/admin/case-rules", headers=AUTH).get_json()
    assert first["version"] == 0 and first["yaml"] == service.RULES_FILE.read_text(encoding="utf-8")
    assert dispatch_event(client) == "城市管理综合执法局"  # street vending: the default department
    text = with_route(first["yaml"], event="0508", district="440111", department="白云区城管执法队")
    saved = client.put("/api/v1/admin/case-rules", json={"yaml": text, "expected_version": 0}, headers=AUTH)
    assert saved.status_code == 200 and saved.get_json() == {"version": 1}
    assert dispatch_event(client) == "白云区城管执法队"  # at once, in this process
    stale = client.put("/api/v1/admin/case-rules", json={"yaml": text, "expected_version": 0}, headers=AUTH)
    assert stale.status_code == 409 and "version 1" in stale.get_json()["error"]
    bad = client.put("/api/v1/admin/case-rules", json={"yaml": with_route(text, event="5", department="x")},
                     headers=AUTH)
    assert bad.status_code == 400 and "route entry" in bad.get_json()["error"]
    for junk in ("[1, 2", "- a list", "", 42):
        assert client.put("/api/v1/admin/case-rules", json={"yaml": junk}, headers=AUTH).status_code == 400
    got = client.get("/api/v1/admin/case-rules", headers=AUTH).get_json()
    assert (got["version"], got["yaml"], got["by"]) == (1, text, "api-token")
    assert [e["version"] for e in audit.read(r, 50) if e["event"] == "case_rules.save"] == ["1"]

    users.create_user(r, "wang", "dispatch-password-1", "dispatcher")
    other = server.test_client()
    assert client_login(other, "wang", "dispatch-password-1").status_code == 303
    assert other.get("/api/v1/admin/case-rules").status_code == 403  # admins only
    assert other.put("/api/v1/admin/case-rules", json={"yaml": first["yaml"]}).status_code == 403

    elsewhere = casebook.Casebook(casebook.engine_for(None, tmp_path))  # another process's view of the records
    monkeypatch.setattr(service, "RULES_CHECK_S", 0.0)
    assert service.rules(elsewhere).department("0508", "440111", "event") == "白云区城管执法队"


def test_the_admin_page_saves_the_table_or_shows_the_mistake_with_the_text_as_typed(server: Flask) -> None:
    admin = server.test_client()
    assert client_login(admin).status_code == 303
    page = admin.get("/admin?lang=en").get_data(as_text=True)
    assert "Never edited" in page and "default_department" in page
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    text = with_route(service.RULES_FILE.read_text(encoding="utf-8"), event="9999", department="x")
    wrong = admin.post("/admin/case-rules?lang=en", data={"csrf_token": token, "yaml": text, "expected_version": "0"})
    assert wrong.status_code == 400
    shown = wrong.get_data(as_text=True)
    assert "route entry" in shown and "9999" in shown  # the reason, and the text as typed to fix it
    good = with_route(service.RULES_FILE.read_text(encoding="utf-8"), event="0508", department="城管执法大队")
    done = admin.post("/admin/case-rules?lang=en", data={"csrf_token": token, "yaml": good, "expected_version": "0"})
    assert done.status_code == 303 and done.headers["Location"].endswith("#rules")
    assert "Version 1, saved by admin" in admin.get("/admin?lang=en").get_data(as_text=True)
    forged = admin.post("/admin/case-rules", data={"csrf_token": "forged", "yaml": good})
    assert forged.status_code == 400


def test_a_saved_table_that_no_longer_reads_leaves_the_last_good_one_in_force(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    book = casebook.Casebook(casebook.engine_for(None, tmp_path))
    casebook.migrate(book.eng)
    monkeypatch.setattr(service, "RULES_CHECK_S", 0.0)
    good = with_route(service.RULES_FILE.read_text(encoding="utf-8"), event="0508", department="城管执法大队")
    assert service.save_rules(book, good, "admin", 1) == 1
    assert service.rules(book).department("0508", None, "event") == "城管执法大队"
    book.save_rules_doc("route: [{event: '0699', department: x}]\ndefault_department: y\n", "someone", 2)  # unchecked
    assert service.rules(book).department("0508", None, "event") == "城管执法大队"  # the last good one stands
    other = casebook.Casebook(book.eng)  # a process that never read a good one: the file's
    assert service.rules(other).department("0508", None, "event") == service.file_rules().default_department
