"""Base-map tiles from an MBTiles file, for air-gapped centres: GET /tiles/<z>/<x>/<y> (XYZ; MBTiles rows are TMS)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from flask import Blueprint, Response

from store import context

bp = Blueprint("tiles", __name__)
_local = threading.local()
FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
           "pbf": "application/x-protobuf"}


def _db(path: Path) -> sqlite3.Connection:
    """One read-only connection per thread (sqlite connections are not shared across threads)."""
    conn = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "path", None) != path:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        _local.conn, _local.path = conn, path
    return conn


@bp.get("/tiles/<int:z>/<int:x>/<int:y>")
def tile(z: int, x: int, y: int) -> Response:
    """One tile, or 404 (Leaflet shows nothing there); the MBTiles path comes from ONESCREEN_BASEMAP_MBTILES."""
    path = context.get().settings.basemap_mbtiles
    if not path or not Path(path).exists() or not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z):
        return Response(status=404)
    conn = _db(Path(path))
    row = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                       (z, x, (2**z - 1) - y)).fetchone()
    if row is None:
        return Response(status=404)
    fmt = conn.execute("SELECT value FROM metadata WHERE name='format'").fetchone()
    mime = FORMATS.get((fmt[0] if fmt else "png").lower(), "application/octet-stream")
    headers = {"Cache-Control": "public, max-age=86400"}
    if mime == "application/x-protobuf":
        headers["Content-Encoding"] = "gzip"
    return Response(bytes(row[0]), mimetype=mime, headers=headers)
