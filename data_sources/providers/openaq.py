"""OpenAQ v3: stations in the city's bounding box, their sensors, and each station's latest values.

Quirk handled here (standards.md §6): `/v3/locations/{id}/latest` rows carry only `sensorsId`, no parameter name or
unit, so they are joined to the `sensors[]` list of `/v3/locations`; gases often come in ppm/ppb and are converted
to µg/m³ (CO mg/m³) at 25 °C. `meta.found` may be a string such as ">1000", so paging never trusts it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from core.coords import check_position
from core.derive import parse_time_ms
from core.metrics import units
from core.readings import Reading, Rejects, SourceError
from data_sources.providers.http import HttpClient, HttpPolled, require
from data_sources.providers.units import POLLUTANTS, UnitError, pollutant, to_standard

log = logging.getLogger("onescreen.openaq")
BASE_URL = "https://api.openaq.org"
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Station:
    """One OpenAQ location with its sensor id -> (pollutant or None when not an AQI one, unit) join table.

    `position_error` says why its coordinates are not WGS-84 degrees (its readings are then rejected with it).
    """

    id: int
    name: str
    lat: float | None
    lon: float | None
    sensors: dict[int, tuple[str | None, str]]
    position_error: str | None = None

    @property
    def monitors(self) -> list[str]:
        """The AQI pollutants this station has sensors for (HJ 633-2026 §5.3: what it monitors)."""
        have = {poll for poll, _ in self.sensors.values() if poll}
        return [p for p in POLLUTANTS if p in have]


class OpenAQ(HttpPolled, Rejects):
    """Air readings from OpenAQ v3 (API key in X-API-Key); one reading per station per poll."""

    feeds = ("air",)
    metrics = units("air", ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"))

    def __init__(self, *, bbox: list[float], api_key: str | None, base_url: str = BASE_URL, interval_s: float = 600,
                 timeout_s: float = 15.0, page_limit: int = 1000, max_pages: int = 10,
                 stations_ttl_s: float = 6 * 3600, max_age_h: float = 3.0, name: str = "openaq") -> None:
        if len(bbox) != 4:
            raise ValueError("openaq: bbox must be [min_lon, min_lat, max_lon, max_lat]")
        self.name = name
        self.interval_s = interval_s
        self.bbox = ",".join(f"{float(x):g}" for x in bbox)
        self.http = HttpClient(base_url, headers={"X-API-Key": api_key} if api_key else {}, timeout_s=timeout_s)
        self.page_limit, self.max_pages = page_limit, max_pages
        self.stations_ttl_ms = stations_ttl_s * 1000
        self.max_age_ms = max_age_h * HOUR_MS
        self._stations: dict[int, Station] | None = None
        self._loaded_ms = 0

    def poll(self, now_ms: int) -> list[Reading]:
        """Refresh the station list when due, then the latest values of every station."""
        self.http.start_poll()
        if self._stations is None or now_ms - self._loaded_ms > self.stations_ttl_ms:
            self._stations = self.fetch_stations()
            self._loaded_ms = now_ms
        out: list[Reading] = []
        errors: list[SourceError] = []
        unknown = False
        for station in self._stations.values():
            try:
                rows = self._latest(station.id)
            except SourceError as exc:
                errors.append(exc)
                continue
            reading, missing = self.to_reading(station, rows)
            unknown = unknown or missing
            if reading:
                out.append(reading)
        if unknown:
            self._loaded_ms = 0  # a sensor we do not know: re-read the station list next poll
        if errors:
            if not out:
                raise type(errors[0])(f"{len(errors)}/{len(self._stations)} stations failed: {errors[0]}")
            log.warning("openaq: %d stations failed, first: %s", len(errors), errors[0])
        return out

    def fetch_stations(self) -> dict[int, Station]:
        """Every location in the bounding box, page by page; a failed or malformed page fails the whole list."""
        stations: dict[int, Station] = {}
        for page in range(1, self.max_pages + 1):
            data = self.http.get_json("/v3/locations", {"bbox": self.bbox, "limit": self.page_limit, "page": page})
            require(isinstance(data, dict) and isinstance(data.get("results"), list),
                    f"openaq locations page {page}: no results list")
            for loc in data["results"]:
                station = _station(loc)
                if station:
                    stations[station.id] = station
            if len(data["results"]) < self.page_limit:
                break
        return stations

    def _latest(self, location_id: int) -> list[dict[str, Any]]:
        data = self.http.get_json(f"/v3/locations/{location_id}/latest", {"limit": 1000})
        require(isinstance(data, dict) and isinstance(data.get("results"), list),
                f"openaq latest of {location_id}: no results list")
        return [row for row in data["results"] if isinstance(row, dict)]

    def to_reading(self, station: Station, rows: list[dict[str, Any]]) -> tuple[Reading | None, bool]:
        """Join latest rows to the station's sensors and convert units; (reading or None, saw an unknown sensor).

        A row that cannot be used (bad time, value or unit) is rejected with its reason; the station's other rows
        are kept.
        """
        if station.position_error:
            self.reject("air", f"location {station.id}: {station.position_error}", {"id": station.id})
            return None, False
        found: list[tuple[int, str, float]] = []
        unknown = False
        for row in rows:
            sid = row.get("sensorsId")
            sensor = station.sensors.get(sid) if isinstance(sid, int) and not isinstance(sid, bool) else None
            if sensor is None:
                unknown = unknown or (isinstance(sid, int) and not isinstance(sid, bool))
                continue
            poll, unit = sensor
            if poll is None:
                continue  # a sensor of a parameter the AQI does not use (temperature, pm1, ...)
            when = row.get("datetime")
            ts = parse_time_ms(when.get("utc")) if isinstance(when, dict) else None
            value = row.get("value")
            where = f"location {station.id} sensor {sid}"
            if ts is None:
                self.reject("air", f"{where}: datetime.utc is not an ISO 8601 time with offset", row)
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.reject("air", f"{where}: value is not a number", row)
                continue
            try:
                found.append((ts, f"{poll}_1h", to_standard(poll, float(value), unit)))
            except UnitError as exc:
                self.reject("air", f"{where}: {exc}", row)
            except OverflowError:
                self.reject("air", f"{where}: value out of range", row)
        if not found:
            return None, unknown
        newest = max(ts for ts, _, _ in found)
        values = {key: v for ts, key, v in sorted(found) if ts >= newest - self.max_age_ms}
        meta: dict[str, Any] = {"name": station.name, "provider": "OpenAQ", "openaq_location_id": station.id,
                                "monitors": station.monitors}
        if station.lat is not None and station.lon is not None:
            meta["lat"], meta["lon"] = station.lat, station.lon
        return Reading("air", f"openaq-{station.id}", newest, values, meta), unknown


def _station(loc: Any) -> Station | None:
    """A Station from one `/v3/locations` result; sensors of other parameters are known but not used."""
    if not isinstance(loc, dict) or not isinstance(loc.get("id"), int):
        return None
    sensors: dict[int, tuple[str | None, str]] = {}
    sensors_list = loc.get("sensors")
    for s in sensors_list if isinstance(sensors_list, list) else []:
        param = s.get("parameter") if isinstance(s, dict) else None
        if not isinstance(param, dict):
            continue
        poll = pollutant(str(param.get("name", "")))
        if isinstance(s.get("id"), int):
            sensors[s["id"]] = (poll, str(param.get("units") or ""))
    coord = loc.get("coordinates") if isinstance(loc.get("coordinates"), dict) else {}
    lat, lon = coord.get("latitude"), coord.get("longitude")
    error = None
    if lat is not None or lon is not None:
        error = check_position(lat, lon, "coordinates.latitude", "coordinates.longitude")
    ok = error is None and lat is not None
    return Station(loc["id"], str(loc.get("name") or loc["id"]), float(lat) if ok else None,
                   float(lon) if ok else None, sensors, error)

