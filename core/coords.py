"""WGS-84 ↔ GCJ-02 ↔ BD-09, so every source stores WGS-84 whatever datum its provider uses (standards.md §7).

Every function takes and returns (lng, lat) in degrees, the GeoJSON order. Points outside China pass through
unchanged (GCJ-02 is only defined inside it). GCJ-02 → WGS-84 iterates the forward transform to 1e-9°, because the
one-step inverse found in many libraries is off by up to ~2 m.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 algorithm
EE = 0.00669342162296594323  # its eccentricity squared
X_PI = math.pi * 3000.0 / 180.0
_TOL = 1e-9
_MAX_ITER = 30


def check_position(lat: Any, lon: Any, lat_field: str = "lat", lon_field: str = "lon") -> str | None:
    """Why a position is not WGS-84 degrees (naming the field), or None when it is."""
    for value, name, limit in ((lat, lat_field, 90.0), (lon, lon_field, 180.0)):
        if not is_number(value):
            return f"{name}: expected a finite number of degrees, got {str(value)[:40]!r}"
        if not -limit <= value <= limit:
            swapped = name == lat_field and _finite_deg(lon, 90.0) and _finite_deg(lat, 180.0)
            hint = " (lat/lon swapped?)" if swapped else ""
            return f"{name}: {value:g} outside [-{limit:g}, {limit:g}] (WGS-84 degrees){hint}"
    return None


def _finite_deg(value: Any, limit: float) -> bool:
    return is_number(value) and -limit <= value <= limit


def bbox(geojson: Any) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of a GeoJSON FeatureCollection's geometries; None when it has none."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c, list) and len(c) >= 2 and all(isinstance(v, int | float) for v in c[:2]):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, list):
            for part in c:
                walk(part)

    for feat in (geojson.get("features") if isinstance(geojson, dict) else None) or []:
        walk((feat.get("geometry") or {}).get("coordinates"))
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool; an integer too large for a float is not finite here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def out_of_china(lng: float, lat: float) -> bool:
    """True outside the rough bounding box where GCJ-02 applies (the public algorithm's own test)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _d_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _d_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 shift (dlng, dlat) in degrees at a WGS-84 point."""
    d_lat = _d_lat(lng - 105.0, lat - 35.0)
    d_lng = _d_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1.0 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """GPS/OSM coordinates to the datum AMap and Tencent expect."""
    if out_of_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _offset(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """AMap coordinates back to WGS-84: fixed-point iteration of the forward transform to 1e-9°."""
    if out_of_china(lng, lat):
        return lng, lat
    return _invert(wgs84_to_gcj02, lng, lat, lng, lat)


def _invert(forward: Callable[[float, float], tuple[float, float]], lng: float, lat: float, start_lng: float,
            start_lat: float) -> tuple[float, float]:
    """The point that `forward` maps to (lng, lat), by fixed-point iteration from a start guess (to 1e-9°)."""
    x, y = start_lng, start_lat
    for _ in range(_MAX_ITER):
        f_lng, f_lat = forward(x, y)
        e_lng, e_lat = f_lng - lng, f_lat - lat
        x, y = x - e_lng, y - e_lat
        if abs(e_lng) < _TOL and abs(e_lat) < _TOL:
            break
    return x, y


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 to Baidu's BD-09."""
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """Baidu's BD-09 to GCJ-02: the published closed form, refined by iteration (the closed form is ~1e-6° off)."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return _invert(gcj02_to_bd09, lng, lat, z * math.cos(theta), z * math.sin(theta))


def wgs84_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 to BD-09 through GCJ-02 (outside China: unchanged)."""
    if out_of_china(lng, lat):
        return lng, lat
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


def bd09_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """BD-09 to WGS-84 through GCJ-02 (outside China: unchanged)."""
    if out_of_china(lng, lat):
        return lng, lat
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


DATUMS = ("wgs84", "gcj02", "bd09")


def check_datum(datum: str) -> str:
    """A datum name a source may declare its coordinates in; ValueError naming the choices otherwise."""
    if datum not in DATUMS:
        raise ValueError(f"unknown datum {datum!r}: use one of {', '.join(DATUMS)}")
    return datum


def to_wgs84(lng: float, lat: float, datum: str) -> tuple[float, float]:
    """A point in the declared datum (wgs84, gcj02 as AMap/Tencent give, bd09 as Baidu gives) as WGS-84."""
    if datum == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    if datum == "bd09":
        return bd09_to_wgs84(lng, lat)
    return lng, lat


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (mean Earth radius), for segment lengths."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))


def line_length_m(points: list[tuple[float, float]]) -> float:
    """Length of a (lng, lat) polyline in metres."""
    return sum(haversine_m(*a, *b) for a, b in zip(points, points[1:], strict=False))
