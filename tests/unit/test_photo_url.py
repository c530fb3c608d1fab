"""ONESCREEN_PHOTO_URL (config.settings.photo_place, issue #15): an S3-compatible store for the case photos is named
by a URL that says where and which bucket; anything else is refused when the settings load, saying what is wrong,
and a key never goes in the URL (URLs end up in logs)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.settings import Settings, photo_place


@pytest.mark.parametrize(("url", "place"), [
    ("s3://s3.cn-south-1.example.com/onescreen-photos", ("s3.cn-south-1.example.com", True, "onescreen-photos", "",
                                                         None)),
    ("s3+http://10.0.0.5:9000/photos/gz/cases/", ("10.0.0.5:9000", False, "photos", "gz/cases/", None)),
    ("s3://oss.example.com/photos.city?region=cn-guangzhou", ("oss.example.com", True, "photos.city", "",
                                                              "cn-guangzhou")),
    ("s3+http://[::1]:8333/photos", ("[::1]:8333", False, "photos", "", None)),
])
def test_a_photo_url_says_where_and_which_bucket(url: str, place: tuple) -> None:
    got = photo_place(url)
    assert (got["endpoint"], got["secure"], got["bucket"], got["prefix"], got["region"]) == place


@pytest.mark.parametrize(("url", "why"), [
    ("http://host/photos", "must start s3://"),
    ("/var/photos", "must start s3://"),
    ("s3://AKID:secret@host/photos", "must not hold keys"),
    ("s3:///photos", "names no host"),
    ("s3://host:99999/photos", "port"),
    ("s3://host/", "bucket"),
    ("s3://host/Photos", "bucket"),
    ("s3://host/ab", "bucket"),
    ("s3://host/photos/../etc", "prefix"),
    ("s3://host/photos/a b", "prefix"),
    ("s3://host/photos?acl=public", "takes only"),
    ("s3://host:0/photos", "port"),
    ("s3://host/a..b", "bucket"),
    ("s3://host/ab.-cd", "bucket"),
    ("s3://host/192.168.1.10", "bucket"),
    ("s3://host/photos/a/./b", "prefix"),
    ("s3://host/photos/a//b", "prefix"),
])
def test_a_wrong_photo_url_is_refused_saying_why(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        photo_place(url)


def test_the_settings_check_the_url_and_want_both_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ONESCREEN_PHOTO_ACCESS_KEY",
                 "ONESCREEN_PHOTO_SECRET_KEY", "ONESCREEN_PHOTO_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="bucket"):
        Settings(photo_url="s3://host/X", photo_access_key="a", photo_secret_key="b")
    with pytest.raises(ValidationError, match="PHOTO_SECRET_KEY") as refused:
        Settings(photo_url="s3://host/photos", photo_access_key="a", api_token="never-print-this-token")
    assert "never-print-this-token" not in str(refused.value)  # a refusal does not echo the other settings
    ok = Settings(photo_url=" s3://host/photos ", photo_access_key="a", photo_secret_key="very-secret-key")
    assert ok.photo_url == "s3://host/photos" and "very-secret-key" not in repr(ok)
    assert Settings(photo_url="").photo_url is None  # unset: the data directory, as before
