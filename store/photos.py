"""Case photos (issue #15): an inspector's picture of the broken cover, the handler's of the new one, a camera's
snapshot. An upload is hostile until Pillow has opened and decoded it: only JPEG, PNG and WebP are kept, at most
MAX_BYTES and MAX_PIXELS (a small file that decodes to a huge image is refused before it is decoded). A kept photo is
named by its SHA-256, written once (temporary file, fsync, rename) under the data directory, or put once into an
S3-compatible object store when ONESCREEN_PHOTO_URL names one (PhotoS3), and served back only with the type it was
checked as. Its metadata (which case, who, when, with which action) is a record in the case
database (store.casebook.case_photos)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from PIL import Image

MAX_BYTES = 8 * 1024 * 1024  # a phone's full-size JPEG is 2-6 MB
MAX_PIXELS = 48_000_000  # a 48-megapixel phone camera; decoding one takes ~150 MB, briefly
TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
SHA = re.compile(r"^[0-9a-f]{64}$")


class StoreDown(OSError):
    """The photo store did not answer, or refused this deployment's keys: a 503, and the case is left as it was."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, 503


class BadPhoto(ValueError):
    """An upload that is not a photo this store keeps; the message says why (for a 400 or 413)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


def check(data: bytes) -> dict[str, Any]:
    """What a photo is, once it has been opened and decoded: {"sha256", "content_type", "bytes", "width", "height"}.
    BadPhoto when it is empty, too large, not a JPEG/PNG/WebP, too many pixels, or does not decode."""
    if not data:
        raise BadPhoto("the photo is empty")
    if len(data) > MAX_BYTES:
        raise BadPhoto(f"the photo is {len(data):,} bytes; at most {MAX_BYTES:,}", 413)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(TYPES)) as im:
                fmt, (width, height) = im.format, im.size
                if width * height > MAX_PIXELS:
                    raise BadPhoto(f"the photo is {width}×{height} pixels; at most {MAX_PIXELS:,} in all")
                im.load()  # decodes it all: a truncated or corrupt file fails here
    except BadPhoto:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadPhoto(f"the photo has too many pixels; at most {MAX_PIXELS:,} in all") from None
    except Image.UnidentifiedImageError:
        raise BadPhoto("the photo must be a JPEG, PNG or WebP image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadPhoto(f"the photo does not decode ({type(exc).__name__})") from None
    content_type, _ = TYPES[str(fmt)]
    return {"sha256": hashlib.sha256(data).hexdigest(), "content_type": content_type, "bytes": len(data),
            "width": int(width), "height": int(height)}


def _name(sha256: str, content_type: str) -> str:
    """A kept photo's name under the store's root: ab/abcdef….jpg. ValueError for what is not a photo's id or type."""
    if not SHA.match(sha256):
        raise ValueError("not a photo id")
    ext = next((e for c, e in TYPES.values() if c == content_type), None)
    if ext is None:
        raise ValueError(f"not a photo type: {content_type!r}")
    return f"{sha256[:2]}/{sha256}{ext}"


def _checked(data: bytes, info: dict[str, Any]) -> None:
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise ValueError("the photo is not the one that was checked")


class PhotoDir:
    """Checked photos in a directory, two levels by their hash (ab/abcdef….jpg)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str, content_type: str) -> Path:
        return self.root / _name(sha256, content_type)

    def put(self, data: bytes, info: dict[str, Any]) -> Path:
        """Keep a checked photo (`info` from check(data)); the same photo again is already there."""
        _checked(data, info)
        dest = self.path(info["sha256"], info["content_type"])
        if dest.exists():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return dest

    def get(self, sha256: str, content_type: str) -> bytes | None:
        """A kept photo's bytes, or None when it is not (or no longer) there."""
        try:
            return self.path(sha256, content_type).read_bytes()
        except (FileNotFoundError, ValueError):
            return None


class PhotoS3:
    """Checked photos in a bucket of an S3-compatible object store (MinIO, SeaweedFS, Ceph RGW, AWS S3, OSS...), at
    the same names as in a PhotoDir under the URL's prefix. A PUT is whole or absent, so no temporary name is needed.
    The store is reached with short timeouts and two retries: an unreachable or refusing store is StoreDown, never a
    request held for minutes. The bucket is made on first use when it is missing and the keys may make it."""

    CONNECT_S, READ_S = 3.0, 15.0

    def __init__(self, place: dict[str, Any], access_key: str, secret_key: str) -> None:
        import urllib3
        from minio import Minio

        self.place = place
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=self.CONNECT_S, read=self.READ_S), maxsize=8,
                                   retries=urllib3.Retry(total=2, backoff_factor=0.2,
                                                         status_forcelist=(500, 502, 503, 504),
                                                         respect_retry_after_header=False))  # never wait hours
        self.client = Minio(place["endpoint"], access_key=access_key, secret_key=secret_key, secure=place["secure"],
                            region=place["region"], http_client=http)
        self._bucket_ok = False

    def __repr__(self) -> str:  # the keys stay out of logs
        return f"PhotoS3({self.place['endpoint']}/{self.place['bucket']}/{self.place['prefix']})"

    def key(self, sha256: str, content_type: str) -> str:
        return self.place["prefix"] + _name(sha256, content_type)

    def _call(self, what: str, fn: Any, *args: Any, **kw: Any) -> Any:
        """fn(*args, **kw) against the store, its failures as StoreDown naming the store's error code (not keys)."""
        import urllib3
        from minio.error import MinioException, S3Error

        try:
            return fn(*args, **kw)
        except S3Error as exc:
            if what in {"read", "make the bucket"} or (what == "list its buckets" and exc.code == "AccessDenied"):
                raise  # the caller decides: not there, made meanwhile, or keys that may not list
            raise StoreDown(f"the photo store refused to {what} ({exc.code})") from None
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise StoreDown(f"the photo store is unreachable ({type(exc).__name__})") from None

    def _bucket(self) -> None:
        """Make the bucket when it is missing. Keys that may only read and write objects (no s3:ListBucket) are
        taken to have a bucket; another process making it first is as good as making it."""
        from minio.error import S3Error

        if self._bucket_ok:
            return
        bucket = self.place["bucket"]
        try:
            there = self._call("list its buckets", self.client.bucket_exists, bucket)
        except S3Error:  # AccessDenied: the keys cannot ask; the PUT will say if the bucket is not there
            there = True
        if not there:
            try:
                self._call("make the bucket", self.client.make_bucket, bucket)
            except S3Error as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise StoreDown(f"the photo store refused to make the bucket ({exc.code})") from None
        self._bucket_ok = True

    def put(self, data: bytes, info: dict[str, Any]) -> str:
        """Keep a checked photo (`info` from check(data)); the same photo again is already there. Its key."""
        from minio.error import S3Error

        _checked(data, info)
        key = self.key(info["sha256"], info["content_type"])
        self._bucket()
        try:
            self._call("read", self.client.stat_object, self.place["bucket"], key)
            return key
        except S3Error:
            pass  # not there yet (or keys without s3:ListBucket, answered 403): a PUT of the same bytes is harmless
        self._call("keep the photo", self.client.put_object, self.place["bucket"], key, io.BytesIO(data), len(data),
                   content_type=info["content_type"])
        return key

    def get(self, sha256: str, content_type: str) -> bytes | None:
        """A kept photo's bytes, or None when it is not (or no longer) there; StoreDown when the store is away."""
        from minio.error import S3Error

        try:
            key = self.key(sha256, content_type)
        except ValueError:
            return None
        try:
            resp = self._call("read", self.client.get_object, self.place["bucket"], key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchBucket"}:
                return None
            raise StoreDown(f"the photo store refused to read ({exc.code})") from None
        try:
            data = resp.read(MAX_BYTES + 1)
        except Exception as exc:  # noqa: BLE001 - a connection lost mid-body
            raise StoreDown(f"the photo store is unreachable ({type(exc).__name__})") from None
        finally:
            resp.close()
            resp.release_conn()
        return data if len(data) <= MAX_BYTES else None


def open_store(settings: Any) -> PhotoDir | PhotoS3:
    """The deployment's photo store: the S3 bucket ONESCREEN_PHOTO_URL names, else the data directory's photos/."""
    if settings.photo_url:
        from config.settings import photo_place

        return PhotoS3(photo_place(settings.photo_url), settings.photo_access_key, settings.photo_secret_key)
    return PhotoDir(Path(settings.data_dir) / "photos")
