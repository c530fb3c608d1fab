"""FIWARE NGSI-LD: Smart Data Models entities -> Readings, and a context-broker poller (standards.md §6).

Three representations are read: normalized (`{"type": "Property", "value": …, "unitCode": …}`, GeoProperty,
Relationship `object`, `{"@type": "DateTime", "@value": …}`), keyValues (plain values; units, if any, in the
`measurand` list "NO2, 8.0, GQ, Nitrogen Dioxide") and the GeoJSON Feature representation (`application/geo+json`,
NGSI-LD §4.5.16: `{"type": "Feature", "id", "geometry", "properties": {"type": …, attributes}}`, and a
FeatureCollection of them). Attribute names may be expanded URIs; the last path segment is used. An observation
over a period is stamped at its end: `dateObservedTo`, or the end of a `dateObserved` interval "a/b". Naive
datetimes are UTC (the models say so). Coordinates must be WGS-84 degrees, [lon, lat].
"""

from __future__ import annotations

import logging
import re
from datetime import UTC
from typing import Any

from core import times
from core.coords import check_position, line_length_m
from core.metrics import METRICS
from core.readings import Reading, Rejects
from data_sources.pipeline.records import Invalid, check
from data_sources.providers.http import HttpClient, HttpPolled, require
from data_sources.providers.units import UnitError, pollutant, to_standard

log = logging.getLogger("onescreen.ngsi_ld")
TYPES = {"AirQualityObserved": "air", "WaterQualityObserved": "water", "TrafficFlowObserved": "traffic"}
DEFAULT_AIR_UNIT = "GQ"  # µg/m³ when a pollutant has no unitCode (CO included: then divided by 1000 to mg/m³)
# WaterQualityObserved attribute -> (value key, {unitCode: factor to the stored unit}, default factor).
_MGL = {"M1": 1.0, "GL": 1000.0, "GQ": 0.001, "": 1.0}
WATER = {
    "O2": ("do", _MGL), "NH4": ("nh3n", _MGL), "P-TOT": ("tp", _MGL), "N-TOT": ("tn", _MGL), "cod": ("cod", _MGL),
    "bod": ("bod5", _MGL), "orp": ("orp_mv", {"2Z": 1.0, "VLT": 1000.0, "": 1.0}), "pH": ("ph", {"": 1.0, "C62": 1.0}),
    "temperature": ("temp_c", {"CEL": 1.0, "": 1.0}), "turbidity": ("turbidity_ntu", {"NTU": 1.0, "": 1.0}),
    "conductivity": ("conductivity_us_cm", {"D10": 10_000.0, "H61": 1_000.0, "G42": 1.0, "": 10_000.0}),
}  # fmt: skip  (no CODMn attribute exists in the model)
TRAFFIC = {"averageVehicleSpeed": ("speed_kmh", {"KMH": 1.0, "MTS": 3.6, "": 1.0}),
           "intensity": ("intensity", {"": 1.0}), "occupancy": ("occupancy", {"": 1.0, "P1": 0.01}),
           "congested": ("congested", None)}


class NgsiError(Invalid):
    """An entity that cannot become a Reading; the message is the rejection reason."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # as records.py: an id is printable (store/lua/upsert.lua keeps \0 names)

def short(name: str) -> str:
    """Compact attribute/type name from an expanded URI ('https://…/dataModel.Environment/no2' -> 'no2')."""
    return name.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def unwrap(attr: Any) -> tuple[Any, str]:
    """(value, unitCode) of a normalized or keyValues attribute; multi-attributes: the default instance."""
    if isinstance(attr, list) and attr and all(isinstance(a, dict) and "type" in a for a in attr):
        attr = next((a for a in attr if "datasetId" not in a), attr[0])
    unit = ""
    if isinstance(attr, dict):
        if "@value" in attr:
            return attr["@value"], ""
        if attr.get("type") in ("Property", "GeoProperty", "Relationship") or ("value" in attr and len(attr) <= 4):
            unit = str(attr.get("unitCode") or ((attr.get("metadata") or {}).get("unitCode") or {}).get("value") or "")
            attr = attr.get("value", attr.get("object"))
    if isinstance(attr, dict) and "@value" in attr:
        attr = attr["@value"]
    return attr, unit


def time_ms(value: Any) -> int:
    """Epoch ms of an NGSI DateTime or ISO interval (its end); naive = UTC."""
    if not isinstance(value, str) or not value.strip():
        raise NgsiError("dateObserved: not a DateTime")
    text = value.strip().rsplit("/", 1)[-1]
    try:
        return int(times.parse_iso(text, UTC).timestamp() * 1000)
    except (ValueError, OverflowError, OSError) as exc:
        raise NgsiError(f"dateObserved: not ISO 8601 ({text[:40]!r})") from exc


def _lonlat(c: Any, where: str) -> tuple[float, float]:
    """One GeoJSON position [lon, lat] in WGS-84 degrees, or NgsiError naming the field."""
    if not isinstance(c, list | tuple) or len(c) < 2:
        raise NgsiError(f"{where}: expected [longitude, latitude]")
    lon, lat = c[0], c[1]
    bad = check_position(lat, lon, f"{where}[1] (latitude)", f"{where}[0] (longitude)")
    if bad:
        raise NgsiError(bad)
    return float(lon), float(lat)


def _geometry(attrs: dict[str, Any]) -> dict[str, Any]:
    """lat/lon (a point, or a line's middle vertex) and length_m of a line, from the `location` GeoProperty."""
    geo, _ = unwrap(attrs.get("location"))
    if not isinstance(geo, dict):
        return {}
    coords = geo.get("coordinates")
    if geo.get("type") == "Point":
        lon, lat = _lonlat(coords, "location.coordinates")
        return {"lat": lat, "lon": lon}
    if geo.get("type") == "LineString" and isinstance(coords, list) and len(coords) >= 2:
        line = [_lonlat(c, f"location.coordinates[{i}]") for i, c in enumerate(coords)]
        mid = line[len(line) // 2]
        return {"lat": mid[1], "lon": mid[0], "length_m": round(line_length_m(line), 1)}
    return {}


def _measurands(attrs: dict[str, Any]) -> dict[str, str]:
    """Units from the keyValues `measurand` list: name -> unitCode."""
    value, _ = unwrap(attrs.get("measurand"))
    out = {}
    for item in value if isinstance(value, list) else []:
        parts = [p.strip() for p in str(item).split(",")]
        if len(parts) >= 3:
            out[parts[0]] = parts[2]
    return out


def _air(attrs: dict[str, Any]) -> dict[str, Any]:
    units = _measurands(attrs)
    out: dict[str, Any] = {}
    for name, attr in attrs.items():
        poll = pollutant(name)
        if poll is None or name.endswith("_Level"):
            continue
        value, unit = unwrap(attr)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NgsiError(f"{name}: not a number")
        try:
            out[f"{poll}_1h"] = to_standard(poll, float(value), unit or units.get(name) or DEFAULT_AIR_UNIT)
        except UnitError as exc:
            raise NgsiError(str(exc)) from exc
    return out


def _mapped(attrs: dict[str, Any], table: dict[str, tuple[str, dict[str, float] | None]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lower = {k.lower(): k for k in attrs}
    for name, (key, factors) in table.items():
        if name.lower() not in lower:
            continue
        value, unit = unwrap(attrs[lower[name.lower()]])
        if factors is None:
            out[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NgsiError(f"{name}: not a number")
        if unit not in factors:
            raise NgsiError(f"{name}: unit {unit!r} not supported")
        out[key] = round(float(value) * factors[unit], 4)
    return out


def from_feature(entity: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature representation as the plain entity shape (`geometry` becomes `location` if it has none)."""
    props = entity.get("properties")
    if not isinstance(props, dict):
        raise NgsiError("properties: a GeoJSON Feature entity needs a properties object")
    flat = {k: v for k, v in props.items() if k not in ("id", "@context")}
    flat["id"] = entity.get("id", props.get("id"))
    if "location" not in flat and isinstance(entity.get("geometry"), dict):
        flat["location"] = {"type": "GeoProperty", "value": entity["geometry"]}
    return flat


def entities_of(body: Any) -> Any:
    """The entities of a GeoJSON FeatureCollection; anything else unchanged."""
    if isinstance(body, dict) and body.get("type") == "FeatureCollection":
        return body.get("features")
    return body


def to_reading(entity: Any) -> Reading:
    """One Smart Data Models entity (normalized, keyValues or GeoJSON Feature) as a Reading; NgsiError says why not."""
    if not isinstance(entity, dict):
        raise NgsiError("entity is not a JSON object")
    if entity.get("type") == "Feature":
        entity = from_feature(entity)
    eid, etype = entity.get("id"), entity.get("type")
    if not isinstance(eid, str) or not eid or len(eid) > 256 or _CONTROL.search(eid):
        raise NgsiError("id: required string (≤ 256 printable characters)")
    feed = TYPES.get(short(etype)) if isinstance(etype, str) else None
    if feed is None:
        raise NgsiError(f"type {str(etype)[:60]!r} not supported (expected one of {', '.join(TYPES)})")
    attrs = {short(k): v for k, v in entity.items() if k not in ("id", "type", "@context")}
    when = next((unwrap(attrs[k])[0] for k in ("dateObservedTo", "dateObserved") if k in attrs), None)
    if when is None:
        raise NgsiError("dateObserved: missing")
    ts = time_ms(when)
    try:
        values = _air(attrs) if feed == "air" else _mapped(attrs, WATER if feed == "water" else TRAFFIC)
    except OverflowError as exc:  # a 400-digit JSON integer
        raise NgsiError(f"a {feed} value is out of range: {exc}") from exc
    if not values:
        raise NgsiError(f"no {feed} values this wall uses")
    try:
        values = {key: check(METRICS[feed][key], value, key) for key, value in values.items()}
    except Invalid as exc:
        raise NgsiError(str(exc)) from exc
    meta: dict[str, Any] = {"provider": "NGSI-LD", "ngsi_type": short(etype), **_geometry(attrs)}
    for attr, key in (("name", "name"), ("refRoadSegment", "road_segment"), ("laneId", "lane")):
        value, _ = unwrap(attrs.get(attr))
        if isinstance(value, str | int) and not isinstance(value, bool):
            meta[key] = value
    return Reading(feed, eid, ts, values, meta)


class NgsiLdBroker(HttpPolled, Rejects):
    """Polls a context broker's `/ngsi-ld/v1/entities?type=…` (offset paging), keyValues or normalized."""

    def __init__(self, *, base_url: str, types: list[str] | None = None, options: str = "normalized",
                 context: str | None = None, tenant: str | None = None, token: str | None = None,
                 limit: int = 100, max_pages: int = 50, interval_s: float = 300, timeout_s: float = 10.0,
                 name: str = "ngsi-ld") -> None:
        self.types = list(types or TYPES)
        unknown = [t for t in self.types if t not in TYPES]
        if unknown or options not in ("normalized", "keyValues"):
            raise ValueError(f"ngsi-ld: types must be among {list(TYPES)}, options normalized or keyValues")
        self.name, self.interval_s, self.options = name, interval_s, options
        self.limit, self.max_pages = limit, max_pages
        self.feeds = tuple(dict.fromkeys(TYPES[t] for t in self.types))
        headers = {"Accept": "application/json"}
        if context:
            headers["Link"] = f'<{context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
        if tenant:
            headers["NGSILD-Tenant"] = tenant
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = HttpClient(base_url, headers=headers, timeout_s=timeout_s)

    def poll(self, now_ms: int) -> list[Reading]:
        """Every entity of the configured types; an entity that does not map is rejected with its reason."""
        self.http.start_poll()
        out: list[Reading] = []
        for etype in self.types:
            for page in range(self.max_pages):
                params = {"type": etype, "limit": self.limit, "offset": page * self.limit,
                          "options": "keyValues" if self.options == "keyValues" else None}
                data = self.http.get_json("/ngsi-ld/v1/entities", params, headers={"Accept": "application/json"})
                require(isinstance(data, list), f"ngsi-ld {etype}: response is not an array of entities")
                for entity in data:
                    try:
                        out.append(to_reading(entity))
                    except NgsiError as exc:
                        self.reject(TYPES[etype], str(exc), entity)
                if len(data) < self.limit:
                    break
        return out
