"""Case photos (issue #15): an inspector's picture of the broken cover, the handler's of the new one, a camera's
snapshot. An upload is hostile until Pillow has opened and decoded it: only JPEG, PNG and WebP are kept, at most
MAX_BYTES and MAX_PIXELS (a small file that decodes to a huge image is refused before it is decoded). A kept photo is
named by its SHA-256, written once (temporary file, fsync, rename) under the data directory, and served back only
with the type it was checked as. Its metadata (which case, who, when, with which action) is a record in the case
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


class PhotoDir:
    """Checked photos in a directory, two levels by their hash (ab/abcdef….jpg)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str, content_type: str) -> Path:
        if not SHA.match(sha256):
            raise ValueError("not a photo id")
        ext = next((e for c, e in TYPES.values() if c == content_type), None)
        if ext is None:
            raise ValueError(f"not a photo type: {content_type!r}")
        return self.root / sha256[:2] / f"{sha256}{ext}"

    def put(self, data: bytes, info: dict[str, Any]) -> Path:
        """Keep a checked photo (`info` from check(data)); the same photo again is already there."""
        if hashlib.sha256(data).hexdigest() != info["sha256"]:
            raise ValueError("the photo is not the one that was checked")
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
