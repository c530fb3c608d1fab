"""Case photos in an S3-compatible object store (issue #15: "photos go to a directory, or an S3-compatible store by
URL"), against a real one: SeaweedFS's S3 gateway (tests/s3.py). A photo goes into the URL's bucket under its
prefix, once, with the type it was checked as, and comes back only to those who may see its case; a store that
refuses the keys or is away is a 503 that says so, names no key, and leaves the case as it was."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

import app as app_module
from config.settings import Settings, photo_place
from store import photos, users
from store.embedded import free_port
from tests.conftest import ADMIN_PW, API_TOKEN, client_login
from tests.integration.test_case_photos import PW, image, new_case, post_photo

# S3 requests are signed with the client's clock and refused beyond 15 minutes of skew (RequestTimeTooSkewed, which
# the store answers as a 503 saying so). Under `make test-shifted` only this process's clock moves: SeaweedFS is a
# static Go binary that libfaketime cannot reach, so these run at the real clock only.
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(bool(os.environ.get("ONESCREEN_TEST_CLOCK_SHIFT")),
                                 reason="S3 signatures need the store's clock; the shifted run moves only ours")]


def settings(redis_server: Any, data_dir: Path, url: str, access: str, secret: str) -> Settings:
    return Settings(redis_url=redis_server.url, simulator=False, secret_key="p" * 32, admin_password=ADMIN_PW,
                    api_token=API_TOKEN, data_dir=data_dir, photo_url=url, photo_access_key=access,
                    photo_secret_key=secret)


def inspector(redis_server: Any, r: redis.Redis, cfg: Settings) -> FlaskClient:
    dash_app = app_module.create_app(cfg)
    if not users.get_user(r, "inspector"):
        users.create_user(r, "inspector", PW, "inspector")
    client = dash_app.server.test_client()
    assert client_login(client, "inspector", PW).status_code == 303
    return client


def test_photos_go_into_the_bucket_once_and_come_back(redis_server: Any, r: redis.Redis, s3_server: Any,
                                                      tmp_path: Path) -> None:
    bucket = f"photos-{secrets.token_hex(4)}"  # not there yet: made on first use
    s3 = s3_server.client()
    assert not s3.bucket_exists(bucket)
    client = inspector(redis_server, r, settings(redis_server, tmp_path, s3_server.url(bucket, "city/cases"),
                                                 s3_server.access_key, s3_server.secret_key))
    cid = new_case(client)
    jpeg, png = image("JPEG"), image("PNG", colour=(10, 120, 10))
    first = post_photo(client, cid, jpeg)
    assert first.status_code == 201, first.get_json()
    assert post_photo(client, cid, jpeg).status_code == 200  # the same photo again: the same record
    assert post_photo(client, cid, png, "image/png").status_code == 201
    got = client.get(f"/api/v1/cases/{cid}").get_json()["photos"]
    names = {o.object_name: o for o in s3.list_objects(bucket, recursive=True)}
    assert set(names) == {f"city/cases/{p['sha256'][:2]}/{p['sha256']}{ext}"
                          for p, ext in zip(got, (".jpg", ".png"), strict=True)}
    for p, data in zip(got, (jpeg, png), strict=True):
        stat = s3.stat_object(bucket, f"city/cases/{p['sha256'][:2]}/{p['sha256']}" + (
            ".jpg" if p["content_type"] == "image/jpeg" else ".png"))
        assert (stat.size, stat.content_type) == (len(data), p["content_type"])
        back = client.get(p["url"])
        assert back.status_code == 200 and back.data == data and back.mimetype == p["content_type"]
        assert back.headers["X-Content-Type-Options"] == "nosniff"
    assert not (tmp_path / "photos").exists()  # nothing went to the data directory
    s3.remove_object(bucket, next(iter(names)))  # gone from the store (a lifecycle rule, an operator)
    gone = [p for p in got if f"{p['sha256'][:2]}/{p['sha256']}" in next(iter(names))][0]
    assert client.get(gone["url"]).status_code == 404


@pytest.mark.parametrize("fault", ["wrong-secret", "no-server"])
def test_a_store_that_refuses_or_is_away_is_a_503_and_the_case_is_as_it_was(
        redis_server: Any, r: redis.Redis, s3_server: Any, tmp_path: Path, fault: str) -> None:
    good = inspector(redis_server, r, settings(redis_server, tmp_path, s3_server.url("photos-faults"),
                                               s3_server.access_key, s3_server.secret_key))
    cid = new_case(good)
    assert post_photo(good, cid, image("JPEG")).status_code == 201
    wrong = "wrong-" + secrets.token_hex(8)
    url, secret = ((s3_server.url("photos-faults"), wrong) if fault == "wrong-secret"
                   else (f"s3+http://127.0.0.1:{free_port()}/photos-faults", s3_server.secret_key))
    bad = inspector(redis_server, r, settings(redis_server, tmp_path, url, s3_server.access_key, secret))
    resp = post_photo(bad, cid, image("JPEG", colour=(0, 0, 9)))
    assert resp.status_code == 503, resp.get_json()
    reason = resp.get_json()["error"]
    assert ("refused" in reason and "SignatureDoesNotMatch" in reason) if fault == "wrong-secret" else (
        "unreachable" in reason)
    assert secret not in resp.get_data(as_text=True) and s3_server.access_key not in reason
    assert len(bad.get(f"/api/v1/cases/{cid}").get_json()["photos"]) == 1  # the case is as it was
    kept = bad.get(f"/api/v1/cases/{cid}").get_json()["photos"][0]
    assert bad.get(kept["url"]).status_code == 503  # the record is there; its bytes wait for the store


def test_the_s3_store_keeps_only_what_was_checked_and_hides_its_keys(s3_server: Any) -> None:
    kept = photos.PhotoS3(photo_place(s3_server.url("photos-direct", "p")), s3_server.access_key,
                          s3_server.secret_key)
    data = image("WEBP")
    info = photos.check(data)
    with pytest.raises(ValueError, match="not the one"):
        kept.put(image("WEBP", colour=(0, 0, 0)), info)
    key = kept.put(data, info)
    assert key == f"p/{info['sha256'][:2]}/{info['sha256']}.webp" and kept.put(data, info) == key
    assert kept.get(info["sha256"], "image/webp") == data
    assert kept.get(info["sha256"], "text/html") is None and kept.get("../../etc/passwd", "image/webp") is None
    assert kept.get("0" * 64, "image/webp") is None
    assert s3_server.secret_key not in repr(kept) and s3_server.access_key not in repr(kept)


def test_keys_that_may_only_read_and_write_objects_keep_photos(s3_server: Any) -> None:
    """Least privilege, as a city's storage team hands out keys: no s3:ListBucket (a missing object then answers 403,
    not 404) and no bucket making. The bucket exists; a photo is kept and read back all the same."""
    s3_server.client().make_bucket("photos-narrow")
    kept = photos.PhotoS3(photo_place(s3_server.url("photos-narrow")), s3_server.narrow_key, s3_server.secret_key)
    data = image("PNG", colour=(3, 4, 5))
    info = photos.check(data)
    assert kept.put(data, info) == kept.put(data, info) == f"{info['sha256'][:2]}/{info['sha256']}.png"
    assert kept.get(info["sha256"], "image/png") == data
