"""Case photos (issue #15, store/photos.py, api/cases.py): a photo goes with a case from whoever is on the loop, is
opened and decoded before it is kept, and comes back only to those who may see the case, as the type it was checked
as. Anything that is not a JPEG, PNG or WebP that decodes, or is too big in bytes or pixels, is a 4xx saying why and
changes nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from PIL import Image

import app as app_module
from config.settings import Settings, load_case_rules
from store import casebook, photos, users
from tests.conftest import ADMIN_PW, API_TOKEN, client_login

pytestmark = pytest.mark.integration
PW = "case-photo-password-1"
BAIYUN = "440111"
IN_BAIYUN = (113.443, 23.3035)  # the air station 1355A
UTILITIES_BY = load_case_rules().department("0101", BAIYUN)


def image(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", colour: Any = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def clients(redis_server: Any, r: redis.Redis, tmp_path: Path) -> dict[str, FlaskClient]:
    dash_app = app_module.create_app(Settings(redis_url=redis_server.url, simulator=False, secret_key="p" * 32,
                                              admin_password=ADMIN_PW, api_token=API_TOKEN, data_dir=tmp_path))
    people = {"inspector": ("inspector", None), "dispatcher": ("dispatcher", None),
              "handler": ("handler", UTILITIES_BY), "other-handler": ("handler", "交通运输局"),
              "viewer": ("viewer", None)}
    out = {}
    for name, (role, department) in people.items():
        users.create_user(r, name, PW, role, department=department)
        client = dash_app.server.test_client()
        assert client_login(client, name, PW).status_code == 303
        out[name] = client
    return out


def new_case(client: FlaskClient) -> str:
    resp = client.post("/api/v1/cases", json={"category": "0101", "kind": "component", "lon": IN_BAIYUN[0],
                                              "lat": IN_BAIYUN[1], "description": "井盖缺失"})
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["case"]["id"])


def post_photo(client: FlaskClient, cid: str, data: bytes, ctype: str = "image/jpeg") -> Any:
    return client.post(f"/api/v1/cases/{cid}/photos", data=data, content_type=ctype)


def test_a_photo_goes_with_its_case_and_back_only_to_those_who_see_it(clients: dict[str, FlaskClient],
                                                                        tmp_path: Path) -> None:
    cid = new_case(clients["inspector"])
    jpeg = image("JPEG")
    resp = post_photo(clients["inspector"], cid, jpeg)
    assert resp.status_code == 201, resp.get_json()
    shot = resp.get_json()["photo"]
    assert (shot["content_type"], shot["width"], shot["height"], shot["by"], shot["version"]) == (
        "image/jpeg", 64, 48, "inspector", 0)  # with the report: the case's first step
    assert post_photo(clients["inspector"], cid, jpeg).status_code == 200  # the same photo again: the same record
    clients["dispatcher"].post(f"/api/v1/cases/{cid}/register", json={})
    clients["dispatcher"].post(f"/api/v1/cases/{cid}/dispatch", json={})
    png = image("PNG", colour=(10, 120, 10))
    resp = post_photo(clients["handler"], cid, png, "image/png")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["photo"]["version"] == 2  # with the dispatch it came after
    form = {"photo": (io.BytesIO(image("JPEG", colour=(0, 0, 200))), "scene.jpg")}
    forged = clients["handler"].post(f"/api/v1/cases/{cid}/photos", data=form, content_type="multipart/form-data")
    assert forged.status_code == 400  # a cookie's multipart form without this site's token: a cross-site form's
    by_token = clients["viewer"].application.test_client().post(
        f"/api/v1/cases/{cid}/photos", data={"photo": (io.BytesIO(image("JPEG", colour=(0, 0, 200))), "scene.jpg")},
        content_type="multipart/form-data", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert by_token.status_code == 201, by_token.get_json()

    got = clients["dispatcher"].get(f"/api/v1/cases/{cid}").get_json()["photos"]
    assert [(p["content_type"], p["by"]) for p in got] == [("image/jpeg", "inspector"), ("image/png", "handler"),
                                                           ("image/jpeg", "api-token")]
    back = clients["handler"].get(got[0]["url"])
    assert back.status_code == 200 and back.data == jpeg and back.mimetype == "image/jpeg"
    assert back.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in back.headers["Content-Security-Policy"]
    assert clients["other-handler"].get(got[0]["url"]).status_code == 404  # not their department's case
    assert post_photo(clients["other-handler"], cid, image("JPEG", colour=(1, 2, 3))).status_code == 404
    assert post_photo(clients["viewer"], cid, image("JPEG", colour=(1, 2, 3))).status_code == 403
    assert clients["viewer"].get(got[0]["url"]).status_code == 403
    assert clients["inspector"].get(f"/api/v1/cases/{cid}/photos/{'0' * 64}").status_code == 404
    sneaky = clients["inspector"].get(f"/api/v1/cases/{cid}/photos/..%2F..%2Fcases.db")
    assert not sneaky.mimetype.startswith("image/") and b"SQLite format" not in sneaky.data  # the page, not a file
    kept = sorted(p.name for p in (tmp_path / "photos").rglob("*") if p.is_file())  # once each, nothing half-written
    assert kept == sorted([f"{got[0]['sha256']}.jpg", f"{got[1]['sha256']}.png", f"{got[2]['sha256']}.jpg"])

    clients["handler"].post(f"/api/v1/cases/{cid}/handle", json={"comment": "已补装"})
    clients["inspector"].post(f"/api/v1/cases/{cid}/close", json={})
    late = post_photo(clients["inspector"], cid, image("WEBP"))
    assert late.status_code == 409 and "closed" in late.get_json()["error"]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(("data", "ctype", "status", "reason"), [
    (b"", "image/jpeg", 400, "empty"),
    (HTML, "image/jpeg", 400, "JPEG, PNG or WebP"),
    (SVG, "image/svg+xml", 400, "JPEG, PNG or WebP"),
    (image("GIF"), "image/gif", 400, "JPEG, PNG or WebP"),
    (image("JPEG", (640, 480))[:600], "image/jpeg", 400, "does not decode"),
    (image("PNG", (8000, 8000), "1", 0), "image/png", 400, "pixels"),
    (image("PNG", (10000, 10000), "1", 0), "image/png", 400, "pixels"),
    (b"\xff\xd8\xff" + b"\0" * (photos.MAX_BYTES + 70_000), "image/jpeg", 413, "at most"),
], ids=["empty", "html", "svg", "gif", "truncated", "many-pixels", "bomb", "too-big"])
def test_what_is_not_a_photo_is_refused_and_changes_nothing(clients: dict[str, FlaskClient], tmp_path: Path,
                                                            data: bytes, ctype: str, status: int, reason: str) -> None:
    cid = new_case(clients["inspector"])
    assert post_photo(clients["inspector"], cid, image("JPEG")).status_code == 201
    resp = post_photo(clients["inspector"], cid, data, ctype)
    assert resp.status_code == status and reason in resp.get_json()["error"], resp.get_json()
    assert len(clients["inspector"].get(f"/api/v1/cases/{cid}").get_json()["photos"]) == 1
    assert len([p for p in (tmp_path / "photos").rglob("*") if p.is_file()]) == 1


def test_a_case_takes_at_most_its_share_of_photos(clients: dict[str, FlaskClient]) -> None:
    cid = new_case(clients["inspector"])
    for n in range(casebook.MAX_PHOTOS):
        assert post_photo(clients["inspector"], cid, image("PNG", colour=(n, 0, 0))).status_code == 201
    resp = post_photo(clients["inspector"], cid, image("PNG", colour=(99, 0, 0)))
    assert resp.status_code == 409 and f"{casebook.MAX_PHOTOS} photos" in resp.get_json()["error"]


def test_the_photo_directory_keeps_only_what_was_checked(tmp_path: Path) -> None:
    kept = photos.PhotoDir(tmp_path)
    data = image("WEBP")
    info = photos.check(data)
    assert info["content_type"] == "image/webp"
    with pytest.raises(ValueError, match="not the one"):
        kept.put(image("WEBP", colour=(0, 0, 0)), info)
    path = kept.put(data, info)
    assert kept.get(info["sha256"], "image/webp") == data and path.parent.name == info["sha256"][:2]
    with pytest.raises(ValueError):
        kept.path("../../etc/passwd", "image/webp")
    assert kept.get(info["sha256"], "text/html") is None


def test_the_one_maps_side_panel_shows_a_case_and_its_timeline_with_photos_to_those_who_see_it(
        clients: dict[str, FlaskClient]) -> None:
    """A loop case clicked on the one map (callbacks/analyst_panel.py case_panel): its fields, then each step with
    the photos taken at it; a case the caller may not see is "no such case", as in the API."""
    import time

    from auth.principal import Principal
    from callbacks import analyst_panel
    from store import context

    cid = new_case(clients["inspector"])
    first, second = image("JPEG"), image("PNG", colour=(10, 120, 10))
    assert post_photo(clients["inspector"], cid, first).status_code == 201
    clients["dispatcher"].post(f"/api/v1/cases/{cid}/register", json={})
    clients["dispatcher"].post(f"/api/v1/cases/{cid}/dispatch", json={"comment": "<b>快</b>"})
    assert post_photo(clients["handler"], cid, second, "image/png").status_code == 201
    ctx = context.of(clients["dispatcher"].application)
    now = int(time.time() * 1000)
    out = analyst_panel.case_panel(ctx, now, cid, "en", Principal("dispatcher", "dispatcher"))
    cls, title, rows, note, body, item_hidden, chips, head = out
    assert cls == "am-panel open case-open" and title == f"{cid} · 0101 上水井盖" and note is None and item_hidden
    assert head is None  # a loop case's popup is compact on its own (assets/onemap.js bindCase)
    fields = {r.children[0].children: r.children[1].children for r in rows}
    assert fields["Department"] == UTILITIES_BY and fields["What is wrong"] == "井盖缺失"
    steps = body.children[1].children
    heads = [s.children[0].children[2].children for s in steps]
    assert heads == ["Report", "Register", "Dispatch"]
    shots = [[a.href for a in (s.children[2].children if s.children[2] else [])] for s in steps]
    got = clients["dispatcher"].get(f"/api/v1/cases/{cid}").get_json()["photos"]
    assert shots == [[got[0]["url"]], [], [got[1]["url"]]]  # each photo at the step it came after
    assert steps[2].children[1].children == "<b>快</b>"  # a comment is text (Dash renders it so), not markup
    # the panel reads what the caller may see, as the API does
    for who in (Principal("other", "handler", department="交通运输局"), Principal("far", "leader", district="440106"),
                None):
        gone = analyst_panel.case_panel(ctx, now, cid, "en", who)
        assert gone[2] == [] and gone[4] is None and "no such case" in gone[3]
    assert "no such case" in analyst_panel.case_panel(ctx, now, "OS-NOPE", "en",
                                                      Principal("dispatcher", "dispatcher"))[3]
