"""The Open311 GeoReport v2 server (/open311/v2, issue #15) read by the project's own Open311 client
(data_sources/providers/open311.py, written against real servers' answers) from a running app: a 12345 platform
files requests, the loop moves them, and the client sees each one's status, department and due time, in JSON and
XML. Only API tokens open it (the spec's api_key or a bearer header), never a session cookie; a token's district
limits what it reads and files; bad input is the spec's error list."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
import redis
import requests

from config.settings import load_case_rules
from data_sources.providers.open311 import Open311
from store import users
from tests.conftest import ADMIN_PW, ADMIN_USER, API_AUTH, API_TOKEN, AppProcess

pytestmark = pytest.mark.integration
IN_BAIYUN, IN_TIANHE = (113.443, 23.3035), (113.384803, 23.123303)  # the air stations 1355A and 1347A
HOSTILE = '井盖缺失 <script>alert("x")</script> & ]]>'
BELL = "bell \x07 in the text"  # a character XML 1.0 cannot hold


@pytest.fixture(scope="module")
def app(redis_server: Any) -> Iterator[AppProcess]:
    redis.Redis.from_url(redis_server.url).flushall()
    with AppProcess(redis_server.url) as proc:
        yield proc


def file(app: AppProcess, where: tuple[float, float], key: str = API_TOKEN, **extra: str) -> requests.Response:
    return requests.post(app.url + "/open311/v2/requests.json",
                         data={"api_key": key, "service_code": "0101", "long": str(where[0]), "lat": str(where[1]),
                               "description": HOSTILE, "email": "citizen@example.org", **extra}, timeout=10)


def test_a_12345_platform_files_requests_and_reads_them_back_with_the_loop_state(app: AppProcess) -> None:
    services = requests.get(app.url + "/open311/v2/services.json", params={"api_key": API_TOKEN}, timeout=10).json()
    assert {"service_code": "0101", "service_name": "上水井盖", "group": "公用设施"}.items() <= services[0].items()
    filed = file(app, IN_BAIYUN)
    assert filed.status_code == 201, filed.text
    done = filed.json()[0]["service_request_id"]
    waiting = file(app, IN_TIANHE).json()[0]["service_request_id"]
    for action in ("register", "dispatch", "handle", "close"):  # the env token is an admin: it acts in any role
        resp = requests.post(f"{app.url}/api/v1/cases/{done}/{action}", headers=API_AUTH, json={}, timeout=10)
        assert resp.status_code == 200, (action, resp.text)
    department = load_case_rules().department("0101", "440111")
    for fmt in ("json", "xml"):
        client = Open311(base_url=app.url + "/open311/v2/", fmt=fmt, api_key=API_TOKEN, lookback_days=1)
        got = {rd.entity_id: rd for rd in client.poll(int(time.time() * 1000) + 1000)}
        assert set(got) >= {done, waiting}, fmt
        assert got[done].values["status"] == "closed" and got[done].values["agency_responsible"] == department
        assert got[done].values["status_notes"].startswith("closed")
        assert "expected_datetime" in got[done].values  # its due time, set at dispatch
        assert got[waiting].values["status"] == "open" and got[waiting].values["status_notes"].startswith("reported")
        assert (got[waiting].meta["lon"], got[waiting].meta["lat"]) == IN_TIANHE
        assert got[waiting].values["description"] == HOSTILE.strip(), fmt  # markup is text, both ways
        assert not client.take_rejected(), fmt
    one = requests.get(f"{app.url}/open311/v2/requests/{done}.xml", params={"api_key": API_TOKEN}, timeout=10)
    assert one.status_code == 200 and "<status>closed</status>" in one.text and "<script>" not in one.text
    rung = file(app, IN_BAIYUN, description=BELL).json()[0]["service_request_id"]
    xml = requests.get(f"{app.url}/open311/v2/requests/{rung}.xml", params={"api_key": API_TOKEN}, timeout=10)
    assert ElementTree.fromstring(xml.content).find("request/description").text == "bell  in the text"
    closed_only = requests.get(app.url + "/open311/v2/requests.json", params={"api_key": API_TOKEN,
                                                                             "status": "closed"}, timeout=10).json()
    assert [r["service_request_id"] for r in closed_only] == [done]
    assert "citizen@example.org" not in requests.get(f"{app.url}/api/v1/cases/{waiting}", headers=API_AUTH,
                                                     timeout=10).text  # contact details are not kept


def test_only_tokens_open_it_and_a_district_token_sees_its_district(app: AppProcess, redis_server: Any) -> None:
    r = redis.Redis.from_url(redis_server.url, decode_responses=True)
    users.create_user(r, "by-12345", "by-12345-password", "dispatcher", district="440111")
    users.create_user(r, "looker", "looker-password-1", "viewer")
    by_key, _ = users.issue_api_token(r, "by-12345", "hotline")
    viewer_key, _ = users.issue_api_token(r, "looker", "script")
    mine = file(app, IN_BAIYUN, key=by_key).json()[0]["service_request_id"]
    theirs = file(app, IN_TIANHE).json()[0]["service_request_id"]
    assert file(app, IN_TIANHE, key=by_key).status_code == 403
    seen = requests.get(app.url + "/open311/v2/requests.json", headers={"Authorization": f"Bearer {by_key}"},
                        timeout=10).json()
    assert mine in {x["service_request_id"] for x in seen} and theirs not in {x["service_request_id"] for x in seen}
    assert requests.get(f"{app.url}/open311/v2/requests/{theirs}.json", params={"api_key": by_key},
                        timeout=10).status_code == 404
    assert requests.get(app.url + "/open311/v2/requests.json", params={"api_key": viewer_key},
                        timeout=10).status_code == 403
    nobody = requests.get(app.url + "/open311/v2/requests.xml", timeout=10)
    assert nobody.status_code == 401 and "<errors><error><code>401</code>" in nobody.text
    admin = requests.Session()  # a signed-in admin's cookie opens nothing here
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', admin.get(app.url + "/login", timeout=10).text).group(1)
    admin.post(app.url + "/login", data={"username": ADMIN_USER, "password": ADMIN_PW, "csrf_token": csrf},
               timeout=10)
    assert admin.get(app.url + "/api/v1/me", timeout=10).status_code == 200
    assert admin.get(app.url + "/open311/v2/requests.json", timeout=10).status_code == 401


@pytest.mark.parametrize(("form", "says"), [
    ({"service_code": "9999"}, "unknown service_code"), ({"lat": "north"}, "lat and long are required"),
    ({"lat": "95"}, "WGS-84"), ({"description": "x" * 5000}, "at most 4,000"),
])
def test_bad_requests_get_the_spec_error_list(app: AppProcess, form: dict[str, str], says: str) -> None:
    resp = file(app, IN_BAIYUN, **form)
    assert resp.status_code == 400 and resp.json()[0]["code"] == 400 and says in resp.json()[0]["description"]
    bad_date = requests.get(app.url + "/open311/v2/requests.json", params={"api_key": API_TOKEN,
                                                                          "start_date": "yesterday"}, timeout=10)
    assert bad_date.status_code == 400 and "ISO 8601" in bad_date.json()[0]["description"]
