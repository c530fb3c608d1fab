"""Seedable, deterministic feed simulator for a city profile: the product's default data source.

It draws on the profile's geo files (districts, rivers, air stations, optional river points) and its `simulator:`
tuning (geo.Tuning: central districts, road names, population, river names); a profile without tuning gets
generic roads and even demand.

Everything evolves in simulated time (`sim_clock_ms`): diurnal phases follow the simulated Asia/Shanghai clock and
durations (SLAs, episodes, incidents) are simulated hours, so a time factor of 60 shows a day in 24 real minutes.
Every emitted timestamp is real wall-clock time, so staleness and overdue logic downstream work unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from config.tuning import tuning
from core.geo import GEO_DIR
from core.readings import Reading
from data_sources.simulator.geo import build_sections, build_segments, load_districts
from data_sources.simulator.models import AirModel, TrafficModel, WaterModel
from data_sources.simulator.service import CST, HOUR_MS, ServiceDesk

GEO_NEEDED = ("districts", "rivers", "air_stations")  # and "river_points", when the profile has some

class Simulator:
    """The default source: all four feeds from one seed, deterministic for a given sequence of poll times."""

    name = "simulator"
    feeds = ("air", "traffic", "service", "water")

    def __init__(self, city: dict[str, Any], *, seed: int = 42, time_factor: float = 60.0,
                 start_ms: int | None = None, interval_s: float = 2.0) -> None:  # fmt: skip
        if time_factor <= 0:
            raise ValueError("time_factor must be > 0")
        files = city.get("geo") or {}
        missing = [k for k in GEO_NEEDED if not files.get(k)]
        if missing:
            need = ", ".join(f"geo.{k}" for k in missing)
            raise ValueError(f"city profile {city.get('slug', '?')!r}: the simulator needs {need}")
        geo = {k: json.loads((GEO_DIR / files[k]).read_text(encoding="utf-8")) for k in (*GEO_NEEDED, "river_points")
               if files.get(k)}
        tune = tuning(city)
        self.seed, self.time_factor, self.start_ms, self.interval_s = seed, float(time_factor), start_ms, interval_s
        self._stations_fc = geo["air_stations"]
        stations = [{**f["properties"], "code": str(f["properties"]["code"]), "lon": f["geometry"]["coordinates"][0],
                     "lat": f["geometry"]["coordinates"][1]} for f in geo["air_stations"]["features"]]  # fmt: skip
        self._stations = sorted(stations, key=lambda s: s["code"])
        districts = load_districts(geo["districts"])
        self.segments = build_segments(districts, seed, tune)
        self.sections = build_sections(districts, geo["rivers"], geo.get("river_points"), seed, tune)
        self._air = AirModel(self._stations, seed)
        self._traffic = TrafficModel(self.segments, seed, tune.central)
        self._water = WaterModel(self.sections, seed)
        self._service = ServiceDesk(districts, seed, self._real_ms, tune, str(city.get("name_zh") or ""))
        self._last_sim: float | None = None

    def sim_clock_ms(self, now_ms: int) -> int:
        """The simulated clock: start_ms + (now_ms - start_ms) * time_factor."""
        start = now_ms if self.start_ms is None else self.start_ms
        return int(round(start + (now_ms - start) * self.time_factor))

    def _real_ms(self, sim_ms: float) -> int:
        """Inverse of the simulated clock: the real instant (epoch ms) a simulated one corresponds to."""
        start = self.start_ms or 0
        return int(round(start + (sim_ms - start) / self.time_factor))

    @property
    def open_cases(self) -> int:
        """Open service cases held in memory (the live backlog)."""
        return self._service.open_count

    def poll(self, now_ms: int) -> list[Reading]:
        """Every air, traffic and water entity, plus service cases created or closed since the last poll."""
        if self.start_ms is None:
            self.start_ms = int(now_ms)
        sim = float(self.sim_clock_ms(now_ms))
        prev = self._last_sim
        if prev is not None:
            sim = max(sim, prev)  # a clock stepping back never rewinds the simulation
        t_h, dt_h = sim / HOUR_MS, 0.0 if prev is None else (sim - prev) / HOUR_MS
        local = datetime.fromtimestamp(sim / 1000, tz=CST)
        hour, doy = (t_h + 8.0) % 24.0, local.timetuple().tm_yday
        if prev is None:  # warm up a simulated day of hourly history so the rolling means are real at once
            for k in range(24, 0, -1):
                self._air.step(t_h - k, 0.0 if k == 24 else 1.0, (hour - k) % 24.0, doy)
            dt_h = 1.0
        out: list[Reading] = []
        for s, v in zip(self._stations, self._air.step(t_h, dt_h, hour, doy).values(), strict=True):
            meta = {"name": s["name"], "district_adcode": str(s["district_adcode"]), "lat": s["lat"], "lon": s["lon"]}
            out.append(Reading("air", s["code"], now_ms, v, meta))
        for seg, (speed, incident) in zip(self.segments, self._traffic.step(t_h, dt_h, hour, local.weekday() >= 5),
                                          strict=True):  # fmt: skip
            values = {"speed_kmh": speed, "free_flow_kmh": seg.free_flow_kmh, "incident": incident}
            out.append(Reading("traffic", seg.id, now_ms, values, seg.meta()))
        out.extend(self._service.poll(prev, sim))
        for sec, v in zip(self.sections, self._water.step(t_h, dt_h, hour, doy), strict=True):
            out.append(Reading("water", sec.id, now_ms, v, sec.meta()))
        self._last_sim = sim
        return out

    def roads_geojson(self) -> dict[str, Any]:
        """The schematic segments as LineStrings; static for a given seed."""
        feats = [{"type": "Feature", "id": s.id, "geometry": {"type": "LineString", "coordinates": [list(c) for c in
                  s.coords]}, "properties": {"id": s.id, "free_flow_kmh": s.free_flow_kmh, **s.meta()}}
                 for s in self.segments]  # fmt: skip
        return {"type": "FeatureCollection", "features": feats}

    def water_sections_geojson(self) -> dict[str, Any]:
        """The monitoring sections as Points; static for a given seed."""
        feats = [{"type": "Feature", "id": s.id, "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                  "properties": {"id": s.id, **s.meta()}} for s in self.sections]  # fmt: skip
        return {"type": "FeatureCollection", "features": feats}
