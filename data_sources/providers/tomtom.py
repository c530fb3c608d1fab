"""TomTom Traffic Flow Segment Data v4 for configured points: speed, free-flow speed, travel times, closure."""

from __future__ import annotations

import logging
from typing import Any

from core.coords import check_position, line_length_m
from core.metrics import ROAD_CLASSES, units
from core.readings import Reading, Rejects, SourceError
from data_sources.providers.http import HttpClient, HttpPolled, SourcePayloadError, require

log = logging.getLogger("onescreen.tomtom")
BASE_URL = "https://api.tomtom.com"
# Functional road class -> the indicator road classes (FRC0 motorway … FRC6/7 local roads).
FRC_CLASS = {"FRC0": "expressway", "FRC1": "expressway", "FRC2": "arterial", "FRC3": "arterial",
             "FRC4": "secondary", "FRC5": "secondary", "FRC6": "local", "FRC7": "local"}


def _num(d: dict[str, Any], key: str) -> float | None:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    try:
        return float(v)
    except OverflowError:  # a 400-digit JSON integer
        return None


class TomTom(HttpPolled, Rejects):
    """One flowSegmentData request per configured point; a closed road is stored at speed 0 with closure=true."""

    feeds = ("traffic",)
    metrics = units("traffic", ("speed_kmh", "free_flow_kmh", "travel_time_s", "free_flow_travel_time_s",
                                "confidence", "closure"))

    def __init__(self, *, points: list[dict[str, Any]], api_key: str | None, base_url: str = BASE_URL,
                 interval_s: float = 120, zoom: int = 10, style: str = "absolute", timeout_s: float = 10.0,
                 name: str = "tomtom") -> None:
        if not points:
            raise ValueError("tomtom: configure at least one point {id, lat, lon}")
        for p in points:
            if not {"id", "lat", "lon"} <= set(p):
                raise ValueError(f"tomtom: point {p!r} needs id, lat and lon")
            if p.get("road_class") not in (None, *ROAD_CLASSES):
                raise ValueError(f"tomtom: road_class of {p['id']} must be one of {ROAD_CLASSES}")
        self.name, self.interval_s, self.points = name, interval_s, points
        self.path = f"/traffic/services/4/flowSegmentData/{style}/{int(zoom)}/json"
        self.key = api_key
        self.http = HttpClient(base_url, timeout_s=timeout_s)

    def poll(self, now_ms: int) -> list[Reading]:
        """Every point that answered; fails (keeping the last good data) only when none did."""
        self.http.start_poll()
        self.take_rejected()  # a TomTom poll reports only its own rows
        out: list[Reading] = []
        errors: list[SourceError] = []
        for p in self.points:
            try:
                data = self.http.get_json(self.path, {"key": self.key, "point": f"{p['lat']},{p['lon']}",
                                                      "unit": "KMPH"})
            except SourceError as exc:
                errors.append(exc)
                continue
            try:
                out.append(self.to_reading(p, data, now_ms))
            except SourcePayloadError as exc:  # this point's answer is unusable: rejected, the others kept
                self.reject("traffic", f"point {p['id']}: {exc}", data)
        if not out and self.rejected:  # every point answered, none usably: the poll failed (health shows why)
            errors.append(SourcePayloadError(self.take_rejected()[0].reason))
        if errors:
            if not out:
                raise type(errors[0])(f"{len(errors)}/{len(self.points)} points failed: {errors[0]}")
            log.warning("tomtom: %d points failed, first: %s", len(errors), errors[0])
        return out

    def to_reading(self, point: dict[str, Any], data: Any, now_ms: int) -> Reading:
        """A traffic Reading from one flowSegmentData response (TomTom sends no timestamp: the poll time)."""
        seg = data.get("flowSegmentData") if isinstance(data, dict) else None
        require(isinstance(seg, dict), "tomtom: no flowSegmentData object")
        speed, free = _num(seg, "currentSpeed"), _num(seg, "freeFlowSpeed")
        require(speed is not None and free is not None, "tomtom: currentSpeed/freeFlowSpeed missing")
        closed = seg.get("roadClosure") is True
        values: dict[str, Any] = {"speed_kmh": 0.0 if closed else speed, "free_flow_kmh": free, "closure": closed}
        for src, key in (("currentTravelTime", "travel_time_s"), ("freeFlowTravelTime", "free_flow_travel_time_s"),
                         ("confidence", "confidence")):
            v = _num(seg, src)
            if v is not None:
                values[key] = v
        coords = seg.get("coordinates")
        points = coords.get("coordinate") if isinstance(coords, dict) else None
        line = [(float(c["longitude"]), float(c["latitude"])) for c in (points if isinstance(points, list) else [])
                if isinstance(c, dict) and _num(c, "latitude") is not None and _num(c, "longitude") is not None]
        for i, (lon, lat) in enumerate(line):
            bad = check_position(lat, lon, f"coordinates.coordinate[{i}].latitude",
                                 f"coordinates.coordinate[{i}].longitude")
            require(bad is None, f"tomtom: {bad}")
        frc = str(seg.get("frc", ""))
        meta: dict[str, Any] = {"name": point.get("name", point["id"]), "provider": "TomTom", "frc": frc,
                                "road_class": point.get("road_class") or FRC_CLASS.get(frc, "arterial"),
                                "lat": float(point["lat"]), "lon": float(point["lon"])}
        if len(line) >= 2:
            meta["length_m"] = round(line_length_m(line), 1)
            meta["line"] = [[round(x, 6), round(y, 6)] for x, y in line]
        if point.get("district_adcode"):
            meta["district_adcode"] = str(point["district_adcode"])
        return Reading("traffic", str(point["id"]), now_ms, values, meta)
