"""AMap (高德) traffic status by rectangle: road status 0–3 and speed, GCJ-02 polylines converted to WGS-84.

Quirks handled here (standards.md §4, §7): every value is a string, and an empty one may arrive as `[]`; the query
rectangle and the returned polylines are GCJ-02; a failed call still answers HTTP 200 with `status: "0"` and an
`infocode`. AMap gives no free-flow speed, so readings carry `status_amap` and `speed_kmh` when AMap sends one.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from core.coords import check_position, gcj02_to_wgs84, haversine_m, line_length_m, wgs84_to_gcj02
from core.metrics import ROAD_CLASSES, units
from core.readings import Reading, Rejects, SourceError
from data_sources.providers.http import HttpClient, HttpPolled, SourcePayloadError, require

log = logging.getLogger("onescreen.amap")
BASE_URL = "https://restapi.amap.com"
MAX_DIAGONAL_M = 10_000  # AMap refuses rectangles whose diagonal exceeds 10 km
# AMap road levels (`level`): 1 高速, 2 城市快速路/国道, 3 高速辅路, 4 主要道路, 5 一般道路, 6 无名道路.
LEVEL_CLASS = {"1": "expressway", "2": "expressway", "3": "arterial", "4": "arterial", "5": "secondary",
               "6": "local"}


def text(v: Any) -> str:
    """AMap's string field ('' for the `[]` it sends when empty)."""
    return "" if v is None or isinstance(v, list | dict) else str(v).strip()


def parse_polyline(s: str) -> list[tuple[float, float]]:
    """'lng,lat;lng,lat' (GCJ-02) -> WGS-84 (lng, lat) points; malformed pairs are dropped."""
    out = []
    for pair in s.split(";"):
        try:
            lng, lat = (float(x) for x in pair.split(","))
        except ValueError:
            continue
        out.append(gcj02_to_wgs84(lng, lat))
    return out


def polyline_error(s: str) -> str | None:
    """Why a polyline has a point outside WGS-84/GCJ-02 degrees (naming it), or None."""
    for i, pair in enumerate(s.split(";") if s else []):
        try:
            lng, lat = (float(x) for x in pair.split(","))
        except ValueError:
            continue
        bad = check_position(lat, lng, f"polyline[{i}] latitude", f"polyline[{i}] longitude")
        if bad:
            return bad
    return None


class AMapTraffic(HttpPolled, Rejects):
    """Traffic status of the roads in configured WGS-84 rectangles (each ≤ 10 km across)."""

    feeds = ("traffic",)
    metrics = units("traffic", ("status_amap", "speed_kmh"))

    def __init__(self, *, rectangles: list[dict[str, Any] | list[float]], key: str | None, base_url: str = BASE_URL,
                 level: int = 5, road_class: str = "arterial", interval_s: float = 300, timeout_s: float = 10.0,
                 name: str = "amap") -> None:
        if road_class not in ROAD_CLASSES:
            raise ValueError(f"amap: road_class must be one of {ROAD_CLASSES}")
        self.rects = [r if isinstance(r, dict) else {"bbox": r} for r in rectangles]
        for r in self.rects:
            b = r.get("bbox") or []
            if len(b) != 4:
                raise ValueError("amap: each rectangle needs bbox [min_lon, min_lat, max_lon, max_lat] (WGS-84)")
            if haversine_m(b[0], b[1], b[2], b[3]) > MAX_DIAGONAL_M:
                raise ValueError(f"amap: rectangle {b} is more than 10 km across; split it")
        self.name, self.key, self.level, self.interval_s = name, key, int(level), interval_s
        self.road_class = road_class
        self.http = HttpClient(base_url, timeout_s=timeout_s)

    def poll(self, now_ms: int) -> list[Reading]:
        """Roads of every rectangle (deduplicated); fails only when every rectangle failed."""
        self.http.start_poll()
        out: dict[str, Reading] = {}
        errors: list[SourceError] = []
        for rect in self.rects:
            try:
                for rd in self.fetch(rect, now_ms):
                    out[rd.entity_id] = rd
            except SourceError as exc:
                errors.append(exc)
        if errors:
            if len(errors) == len(self.rects):
                raise type(errors[0])(f"{len(errors)}/{len(self.rects)} rectangles failed: {errors[0]}")
            log.warning("amap: %d rectangles failed, first: %s", len(errors), errors[0])
        return list(out.values())

    def fetch(self, rect: dict[str, Any], now_ms: int) -> list[Reading]:
        """One rectangle query (corners converted to GCJ-02, as AMap expects)."""
        b = rect["bbox"]
        sw, ne = wgs84_to_gcj02(b[0], b[1]), wgs84_to_gcj02(b[2], b[3])
        params = {"key": self.key, "rectangle": f"{sw[0]:.6f},{sw[1]:.6f};{ne[0]:.6f},{ne[1]:.6f}",
                  "level": self.level, "extensions": "all", "output": "JSON"}
        data = self.http.get_json("/v3/traffic/status/rectangle", params)
        require(isinstance(data, dict), "amap: response is not an object")
        if text(data.get("status")) != "1":
            raise SourcePayloadError(f"amap error {text(data.get('infocode'))}: {text(data.get('info'))}")
        info = data.get("trafficinfo")
        roads = (info.get("roads") if isinstance(info, dict) else None) or []
        require(isinstance(roads, list), "amap: trafficinfo.roads is not a list")
        out: list[Reading] = []
        for road in roads:
            bad = polyline_error(text(road.get("polyline"))) if isinstance(road, dict) else None
            rd = None if bad else self.to_reading(road, rect, now_ms)
            if rd is None:
                self.reject("traffic", f"amap road: {bad}" if bad else
                            "amap road: no usable status (0-3) or polyline (at least two lng,lat points)", road)
            else:
                out.append(rd)
        return out

    def to_reading(self, road: Any, rect: dict[str, Any], now_ms: int) -> Reading | None:
        """A traffic Reading from one road entry, or None when it has no usable status or geometry."""
        if not isinstance(road, dict):
            return None
        status = text(road.get("status"))
        line = parse_polyline(text(road.get("polyline")))
        if status not in ("0", "1", "2", "3") or len(line) < 2:
            return None
        name, direction = text(road.get("name")), text(road.get("direction"))
        ident = text(road.get("lcodes")) or f"{name}|{direction}|{line[0][0]:.4f},{line[0][1]:.4f}"
        values: dict[str, Any] = {"status_amap": int(status)}
        try:
            speed = float(text(road.get("speed")))
            if 0 <= speed <= 300:
                values["speed_kmh"] = speed
        except ValueError:
            pass
        mid = line[len(line) // 2]
        meta: dict[str, Any] = {
            "name": name or "—", "provider": "AMap", "direction": direction,
            "road_class": LEVEL_CLASS.get(text(road.get("level") or road.get("roadlevel")), rect.get("road_class")
                                          or self.road_class),
            "length_m": round(line_length_m(line), 1), "lon": round(mid[0], 6), "lat": round(mid[1], 6),
            "line": [[round(x, 6), round(y, 6)] for x, y in line],
        }
        if rect.get("district_adcode"):
            meta["district_adcode"] = str(rect["district_adcode"])
        eid = "amap-" + hashlib.sha1(ident.encode("utf-8")).hexdigest()[:12]
        return Reading("traffic", eid, now_ms, values, meta)
