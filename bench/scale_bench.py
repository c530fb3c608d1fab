"""How the screens' cost grows with the city: the demo city, 10x it, and a Guangzhou-sized one, side by side.

Why over 300 lines: one scenario, read top to bottom: the synthetic city, its loading, the background refresh, and
the seven measured figures share the servers and the data of each size; split, each part would need them all.

Sizes (entities): the demo is what the built-in simulator makes (counted from one of its polls: ~12 air stations,
~90 road segments, 13 water sections, ~330 open 12345 cases and as many closed in the last 24 h); 10x that; and
Guangzhou: 1,500 stations, 10,000 segments, 1,300 sections, 30,000 open cases (closed ones in the demo's proportion).
Every size is synthesised by the same generator (so the ratios measure size only): positions inside the city's real
districts (district_adcode from geo/), all the 1-h pollutants, speed/free-flow/length and a line per segment, GB 3838
values per section, cases with SLA due times (about 12 % overdue). They are stored the way the feed runner stores
them, `data_sources.pipeline.store` with a `store.writer.Writer`, into an embedded Redis; the app runs on gunicorn
(2 gthread workers) with ONESCREEN_SIMULATOR=off, so the loaded city is what is shown. A background thread refreshes
a quarter of the point-feed entities (air, traffic, water) every 5 s through the same pipeline, as a real city's
feeds would, for the whole time the screens are measured.

Each screen's tick request is the exact body the browser posts (built from /_dash-dependencies), sent once per
tick, just after the tick starts (ONESCREEN_TICK_MS=1000 here). Each worker makes the tick's summary just before the
tick starts (store.context, summary-ahead) while screens keep asking; that work is counted in the CPU per tick (the
idle cost taken off is measured after those threads have stopped), and a request waits for it when it is late.
The state a page keeps between ticks (the wall map's values version, the one map's furniture key and values version,
the overview's sparkline key) is carried forward as the browser does. The wall's carousel is set to
5 s so its 20 ticks show each map theme 5 times. Latency is measured by the client on loopback.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from alerts.service import Evaluator
from bench import gc_probe
from bench.common import SMOKE, auth_env, print_figures, session_cookie, size, start_gunicorn, tear_down
from bench.viewers_bench import cpu_s, pct, tick_body
from bench.wall_bench import _request_body
from config.indicator_config import load_traffic_config
from config.settings import Settings, load_city
from config.tuning import tuning
from core import geo
from core.i18n import t
from core.readings import Reading
from data_sources import pipeline
from data_sources.simulator.city import Simulator
from data_sources.simulator.service import CATEGORIES
from store.client import connect
from store.context import AHEAD_IDLE_S
from store.embedded import EmbeddedServer, free_port, set_parent_death_signal
from store.writer import Writer
from views.map import LAYERS as MAP_LAYERS
from views.wall_panels import THEMES, theme_at

CITY = Settings().city  # the profile the app runs with by default (guangzhou)
GUANGZHOU = {"air": 1_500, "traffic": 10_000, "water": 1_300, "open": 30_000}
REQUESTS = size(40, 3)  # sequential requests per screen and size (the first of each screen gets everything)
TICK_MS = size(1000, 250)
CAROUSEL_S = 5  # 4 themes x 5 s: 20 one-second ticks show each theme 5 times
REFRESH_S = size(5.0, 1.0)
INGEST_BATCH = size(5_000, 500)
INGEST_STATIONS = size(1_200, 120)  # distinct stations in the ingest batches (the same at every size)
INGEST_BATCHES = size(6, 2)
ALERT_PASSES = size(5, 2)
LOAD_CHUNK = 5_000
SOURCE = "scale-bench"
OVERDUE_SHARE = 0.12
LATE_SHARE = 0.12
ROAD_CLASSES = (("expressway", 0.1, 100.0), ("arterial", 0.35, 60.0), ("secondary", 0.35, 45.0),
                ("local", 0.2, 30.0))
RIVERS = ("珠江", "流溪河", "白坭河", "沙河涌", "车陂涌", "石井河", "增江", "东江北干流", "西福河", "猎德涌")
WALL_NEEDLE, MAP_NEEDLE, OV_NEEDLE = "wall-clock", "am-values", "ov-clock"


# ---------------------------------------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    """One city size: entities per feed; closed cases are the closures of the last 24 h."""

    label: str
    air: int
    traffic: int
    water: int
    open: int
    closed: int

    @property
    def entities(self) -> int:
        return self.air + self.traffic + self.water + self.open + self.closed

    def text(self) -> str:
        return (f"{self.air:,} air / {self.traffic:,} roads / {self.water:,} water / {self.open:,} open cases "
                f"(+{self.closed:,} closed in 24 h)")


def demo_counts() -> dict[str, int]:
    """What the built-in simulator makes: entities per feed of one poll, its open backlog and its closed cases."""
    sim = Simulator(load_city(Settings().city), seed=Settings().sim_seed)
    readings = sim.poll(int(time.time() * 1000))
    n = {feed: sum(1 for rd in readings if rd.feed == feed) for feed in ("air", "traffic", "water")}
    n["open"] = sim.open_cases
    n["closed"] = sum(1 for rd in readings if rd.feed == "service" and rd.values.get("status") == "closed")
    return n


def sizes() -> list[Size]:
    """Demo, 10x and Guangzhou (smoke: demo, 2x, 3x)."""
    demo = demo_counts()
    closed_per_open = demo["closed"] / max(1, demo["open"])

    def times(label: str, k: int) -> Size:
        return Size(label, *(demo[f] * k for f in ("air", "traffic", "water", "open", "closed")))

    if SMOKE:
        return [times("demo", 1), times("2x", 2), times("3x", 3)]
    gz = Size("Guangzhou", GUANGZHOU["air"], GUANGZHOU["traffic"], GUANGZHOU["water"], GUANGZHOU["open"],
              round(GUANGZHOU["open"] * closed_per_open))
    return [times("demo", 1), times("10x", 10), gz]


# ------------------------------------------------------------------------------------------------------ synthesis


class Places:
    """Random points inside the city's real districts (their boundary polygons), with each point's adcode."""

    def __init__(self, city: dict[str, Any], rng: np.random.Generator) -> None:
        self.file = city["geo"]["districts"]
        self.rings = geo.district_rings(self.file)
        self.codes = list(self.rings)
        self.box = {code: d["bounds"] for code, d in geo.districts(self.file).items()}
        (s, w), (n, e) = geo.bounds(self.file)
        self.city_box = (w, s, e, n)
        self.rng = rng

    def uniform(self, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """n points spread evenly over the city's area."""
        if n <= 0:
            return np.zeros(0), np.zeros(0), []
        lons, lats, codes = [], [], []
        got = 0
        w, s, e, nn = self.city_box
        while got < n:
            lon = self.rng.uniform(w, e, 2 * (n - got) + 16)
            lat = self.rng.uniform(s, nn, len(lon))
            code = np.full(len(lon), "", dtype=object)
            code[:] = [c or "" for c in geo.assign_districts(lon, lat, self.file)]
            keep = code != ""
            lons.append(lon[keep])
            lats.append(lat[keep])
            codes.extend(code[keep].tolist())
            got += int(keep.sum())
        return np.concatenate(lons)[:n], np.concatenate(lats)[:n], codes[:n]

    def weighted(self, n: int, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """n points, each district's share by weight (cases follow population), evenly inside each district."""
        if n <= 0:
            return np.zeros(0), np.zeros(0), []
        codes = [c for c in self.codes if weights.get(c)]
        p = np.array([weights[c] for c in codes], dtype=float)
        counts = self.rng.multinomial(n, p / p.sum())
        lons, lats, out = [], [], []
        for code, k in zip(codes, counts, strict=True):
            (s, w), (nn, e) = self.box[code]
            got = 0
            while got < k:
                lon = self.rng.uniform(w, e, 3 * (k - got) + 16)
                lat = self.rng.uniform(s, nn, len(lon))
                inside = geo.in_district(lon, lat, self.file, code)
                take = min(int(inside.sum()), k - got)
                lons.append(lon[inside][:take])
                lats.append(lat[inside][:take])
                out.extend([code] * take)
                got += take
        order = self.rng.permutation(n)
        return np.concatenate(lons)[order], np.concatenate(lats)[order], [out[i] for i in order]


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def air_values(rng: random.Random) -> dict[str, Any]:
    """Every pollutant the pipeline accepts for a real-time report (1 h), plus the rolling means a station sends."""
    pm25 = rng.lognormvariate(math.log(30), 0.55)
    return {"so2_1h": round(rng.uniform(3, 20), 1), "no2_1h": round(rng.lognormvariate(math.log(35), 0.4), 1),
            "co_1h": round(rng.uniform(0.3, 1.6), 2), "o3_1h": round(rng.lognormvariate(math.log(70), 0.5), 1),
            "pm10_1h": round(pm25 * rng.uniform(1.3, 2.0), 1), "pm25_1h": round(pm25, 1),
            "o3_8h": round(rng.lognormvariate(math.log(60), 0.4), 1),
            "pm25_24h": round(pm25 * rng.uniform(0.8, 1.2), 1), "pm10_24h": round(pm25 * rng.uniform(1.2, 1.9), 1)}


def water_values(rng: random.Random) -> dict[str, Any]:
    """GB 3838 values spread over classes I to worse than V (a few black-odorous)."""
    bad = rng.random()
    k = 0.3 + 4.0 * bad ** 2  # most sections clean, a tail of polluted ones
    return {"do": round(max(0.3, rng.gauss(8.0 - 1.6 * k, 0.8)), 2), "codmn": round(rng.uniform(1.5, 4.0) * k, 2),
            "nh3n": round(rng.uniform(0.1, 0.5) * k ** 1.4, 3), "tp": round(rng.uniform(0.02, 0.1) * k, 3),
            "ph": round(rng.uniform(6.6, 8.2), 2), "transparency_cm": round(max(5.0, 90 - 18 * k), 1),
            "orp_mv": round(rng.uniform(-80, 320) if k > 3.5 else rng.uniform(150, 380), 1),
            "temp_c": round(rng.uniform(16, 30), 1)}


def speed_of(rng: random.Random, free: float) -> float:
    """A speed: most roads near free flow, a tail congested (a few severe)."""
    return round(free * min(1.05, max(0.05, rng.betavariate(5, 1.6))), 1)


def city_profile(tmp: Path, city: dict[str, Any], points: Sequence[Reading]) -> Path:
    """The bench city as a deployment would onboard it: the profile with its own geometry files for the synthetic
    stations, segments and sections (the map draws, and is sent values for, only what has geometry)."""
    def feature(rd: Reading) -> dict[str, Any]:
        m = rd.meta
        shape = {"type": "LineString", "coordinates": m["line"]} if m.get("line") else \
            {"type": "Point", "coordinates": [m["lon"], m["lat"]]}
        return {"type": "Feature", "id": rd.entity_id, "geometry": shape,
                "properties": {"name": m.get("name"), "district_adcode": m.get("district_adcode"),
                               **({"road_class": m["road_class"]} if "road_class" in m else {})}}
    geo_files = {"air": "air_stations", "traffic": "roads", "water": "water_sections"}
    profile = {**city, "geo": dict(city["geo"])}
    for feed, layer in geo_files.items():
        feats = [feature(rd) for rd in points if rd.feed == feed]
        (tmp / f"{layer}.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                                              encoding="utf-8")
        profile["geo"][layer] = f"{layer}.geojson"
    path = tmp / "scale-city.yaml"
    path.write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def city_readings(sz: Size, city: dict[str, Any], now_ms: int, seed: int = 7) -> tuple[list[Reading], list[Reading]]:
    """(point-feed readings: air, traffic, water; service cases: open and closed) for one size."""
    nrng, rng = np.random.default_rng(seed), random.Random(seed)
    places = Places(city, nrng)
    points: list[Reading] = []
    lon, lat, code = places.uniform(sz.air)
    for i in range(sz.air):
        points.append(Reading("air", f"AQ{i:05d}", now_ms, air_values(rng),
                              {"name": f"监测站{i:05d}", "district_adcode": code[i],
                               "lat": round(float(lat[i]), 6), "lon": round(float(lon[i]), 6)}))
    lon, lat, code = places.uniform(sz.traffic)
    for i in range(sz.traffic):
        road, _, free = rng.choices(ROAD_CLASSES, [w for _, w, _ in ROAD_CLASSES])[0]
        length = rng.uniform(300, 3_000)
        heading = rng.uniform(0, 2 * math.pi)
        n_pts = rng.randint(2, 5)
        step = length / (n_pts - 1) / 111_000
        line = [[round(float(lon[i]) + k * step * math.cos(heading), 6),
                 round(float(lat[i]) + k * step * math.sin(heading), 6)] for k in range(n_pts)]
        values = {"speed_kmh": speed_of(rng, free), "free_flow_kmh": free, "incident": rng.random() < 0.01}
        points.append(Reading("traffic", f"SEG{i:05d}", now_ms, values,
                              {"name": f"道路{i:05d}", "road_class": road, "length_m": round(length),
                               "district_adcode": code[i], "lat": line[0][1], "lon": line[0][0], "line": line}))
    lon, lat, code = places.uniform(sz.water)
    for i in range(sz.water):
        river = rng.choice(RIVERS)
        points.append(Reading("water", f"WS{i:04d}", now_ms, water_values(rng),
                              {"name": f"{river}·断面{i:04d}", "river": river, "district_adcode": code[i],
                               "lat": round(float(lat[i]), 6), "lon": round(float(lon[i]), 6), "waterbody": "river"}))
    cases: list[Reading] = []
    n = sz.open + sz.closed
    people = tuning(load_city(CITY)).population or dict.fromkeys(places.codes, 1.0)  # where cases arise
    lon, lat, code = places.weighted(n, people)
    weights = [c.weight for c in CATEGORIES]
    names = geo.district_names(places.file)
    for i in range(n):
        cat = rng.choices(CATEGORIES, weights)[0]
        sla = cat.sla_h * 3_600_000
        d = names.get(code[i], ("", ""))[0]
        if i < sz.open:  # due from 12 % in the past to the whole SLA ahead
            due = now_ms + sla * rng.uniform(-OVERDUE_SHARE / (1 - OVERDUE_SHARE), 1.0)
            requested = due - sla
            updated = min(now_ms - 1_000, requested + rng.uniform(0, now_ms - requested))
            status = "open"
        else:  # closed within the last 24 h, 12 % of them after their due time
            updated = now_ms - rng.uniform(60_000, 23 * 3_600_000)
            late = rng.random() < LATE_SHARE
            requested = updated - sla * (rng.uniform(1.05, 2.0) if late else rng.uniform(0.1, 0.95))
            due = requested + sla
            status = "closed"
        values = {"status": status, "service_code": cat.code, "service_name": cat.name,
                  "description": cat.templates[0].format(r="某路", n=rng.randint(1, 400)),
                  "address": f"广州市{d}某路{rng.randint(1, 400)}号附近", "lat": round(float(lat[i]), 6),
                  "long": round(float(lon[i]), 6), "agency_responsible": cat.agency.format(d=d),
                  "requested_datetime": _iso(requested), "updated_datetime": _iso(updated),
                  "expected_datetime": _iso(due), "district_adcode": code[i]}
        cases.append(Reading("service", f"GZ-SCALE-{i:06d}", int(updated), values, {"district_adcode": code[i]}))
    return points, cases


def refreshed(reading: Reading, now_ms: int, rng: random.Random) -> Reading:
    """The same entity a moment later: its values moved a little (a few cross a level), newly timestamped."""
    v = dict(reading.values)
    if reading.feed == "air":
        f = rng.uniform(0.85, 1.18)
        for k in v:
            v[k] = round(v[k] * f, 2 if k == "co_1h" else 1)
    elif reading.feed == "traffic":
        v["speed_kmh"] = speed_of(rng, v["free_flow_kmh"])
    else:
        for k in ("do", "codmn", "nh3n", "tp"):
            v[k] = round(v[k] * rng.uniform(0.9, 1.1), 3)
    return replace(reading, ts=now_ms, values=v)


def load(url: str, readings: Sequence[Reading], rules: pipeline.Rules, now_ms: int) -> int:
    """Store readings as the feed runner does (pipeline.store, one Writer), LOAD_CHUNK per call; returns stored."""
    writer = Writer(connect(url), source=SOURCE)
    stored = 0
    for at in range(0, len(readings), LOAD_CHUNK):
        batch = pipeline.store(writer, readings[at:at + LOAD_CHUNK], rules, now_ms,
                               polled=("air", "traffic", "water", "service"))
        stored += len(batch.items)
    return stored


class Refresher:
    """Every REFRESH_S, a quarter of the point-feed entities (in turn) get new readings through the pipeline; the
    service feed is polled too (a quiet poll keeps it current). It runs in a process of its own (forked; it dies
    with the bench): as a thread of the bench it held the bench's GIL for the ~190 ms of a Guangzhou round, and the
    requests timed meanwhile were charged for it (the wall's p95 of 155-270 ms was mostly that wait)."""

    def __init__(self, url: str, points: list[Reading], rules: pipeline.Rules) -> None:
        mp = multiprocessing.get_context("fork")
        self._rounds = mp.Value("i", 0)
        self._halt = mp.Event()
        self._out = mp.SimpleQueue()  # each round's (start, epoch ms; seconds), then the error if one stopped it
        self._proc = mp.Process(target=self._run, args=(url, list(points), rules), name="scale-refresher",
                                daemon=True)
        self.seconds: list[float] = []
        self.rounds_at: list[tuple[float, float]] = []  # each round's (start, end), epoch ms
        self.error: BaseException | None = None

    @property
    def rounds(self) -> int:
        return int(self._rounds.value)

    def start(self) -> None:
        self._proc.start()

    def is_alive(self) -> bool:
        return self._proc.is_alive()

    def _run(self, url: str, points: list[Reading], rules: pipeline.Rules) -> None:
        set_parent_death_signal()
        try:
            writer = Writer(connect(url), source=SOURCE)
            rng = random.Random(11)
            next_at = time.monotonic()
            k = 0
            while not self._halt.wait(max(0.0, next_at - time.monotonic())):
                next_at += REFRESH_S
                now = int(time.time() * 1000)
                idx = range(k % 4, len(points), 4)
                part = [refreshed(points[i], now, rng) for i in idx]
                t0, at = time.perf_counter(), time.time() * 1000
                pipeline.store(writer, part, rules, now, polled=("service",))
                self._out.put((at, time.perf_counter() - t0))
                for i, rd in zip(idx, part, strict=True):
                    points[i] = rd
                k += 1
                with self._rounds.get_lock():
                    self._rounds.value += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the bench, which then fails
            self._out.put(RuntimeError(f"{type(exc).__name__}: {exc}"))

    def stop(self) -> None:
        self._halt.set()
        self._proc.join(30)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        while not self._out.empty():
            item = self._out.get()
            if isinstance(item, BaseException):
                self.error = item
            else:
                self.seconds.append(item[1])
                self.rounds_at.append((item[0], item[0] + 1000 * item[1]))
        if self.error is None and self._proc.exitcode not in (0, None, -9):
            self.error = RuntimeError(f"the refresher exited with {self._proc.exitcode}")


# ------------------------------------------------------------------------------------------------------ requests


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]) -> tuple[bytes, float]:
    t0 = time.perf_counter()
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    elapsed = time.perf_counter() - t0
    if resp.status != 200:
        raise RuntimeError(f"POST {path}: HTTP {resp.status} {raw[:300]!r}")
    return raw, elapsed


def _split(spec: str) -> dict[str, Any]:
    ident, prop = spec.rsplit(".", 1)
    return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}


def map_body(deps: list[dict[str, Any]], view: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    """The one map's tick as the browser posts it with every layer on (the layer control's names, the page's meta)."""
    dep = next(d for d in deps if MAP_NEEDLE in d["output"])
    names = {t(f"layer_{layer}", lang): layer for layer in MAP_LAYERS}
    meta = {"names": names, "lang": lang, "initial": list(MAP_LAYERS), "tz": "Asia/Shanghai"}
    lat, lon = (view["bbox"][1] + view["bbox"][3]) / 2, (view["bbox"][0] + view["bbox"][2]) / 2
    values = {"am-tick.n_intervals": 1, "am-view.data": view, "am-map.zoom": view["zoom"],
              "am-layers.overlays": list(names), "am-cats.value": [], "am-only-bad.value": [],
              "am-choro.value": "none", "am-at.data": None, "am-district.value": None,
              "am-map.center": [lat, lon], "am-meta.data": meta, "am-furn-sent.data": {}}

    def item(i: dict[str, Any]) -> dict[str, Any]:
        return {"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}

    inputs = [item(i) for i in dep["inputs"]]
    return {"output": dep["output"], "outputs": [_split(o) for o in dep["output"].strip(".").split("...")],
            "inputs": inputs, "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
            "state": [item(s) for s in dep["state"]]}


STREET_ZOOM = 15
STREET_AT = (113.3245, 23.1365)  # Tianhe, where the stations, segments and cases are densest


def street_view(w: int = 1920, h: int = 1080) -> dict[str, Any]:
    """A 1920x1080 map view at STREET_ZOOM centred on STREET_AT (the bbox Leaflet would report)."""
    deg = 360.0 / (256 * 2**STREET_ZOOM)  # degrees of longitude per pixel
    half_w, half_h = w / 2 * deg, h / 2 * deg * math.cos(math.radians(STREET_AT[1]))
    lon, lat = STREET_AT
    return {"bbox": [lon - half_w, lat - half_h, lon + half_w, lat + half_h], "zoom": STREET_ZOOM, "w": w, "h": h}


def _set_state(body: dict[str, Any], ident: str, value: Any) -> None:
    for s in body["state"]:
        if s["id"] == ident:
            s["value"] = value


@dataclass
class Series:
    """One screen's sequential tick requests: latency (s), bytes, and the theme of each wall tick."""

    latency: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)  # when each request was sent (epoch ms)
    worker_cpu: float = 0.0
    redis_cpu: float = 0.0
    refresh_rounds: int = 0
    seconds: float = 0.0


def _next_tick(tick_ms: int, into_ms: float = 15.0) -> int:
    """Sleep until just after the next tick starts; returns that moment (epoch ms)."""
    now = time.time() * 1000
    at = (now // tick_ms + 1) * tick_ms + into_ms
    time.sleep(max(0.0, (at - now) / 1000))
    return int(at)


def redis_cpu(r: Any) -> float:
    info = r.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def run_series(port: int, body: dict[str, Any], cookie: str, needle: str, n: int,
               after: Callable[[dict[str, Any], dict[str, Any]], None], *, master: int, r: Any,
               refresher: Refresher, themes: bool = False) -> Series:
    """n requests, one per tick, each just after its tick starts; CPU of gunicorn and Redis over the series."""
    out = Series()
    headers = {"Content-Type": "application/json", "Cookie": cookie}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    _next_tick(TICK_MS, 500)  # the first request lands mid-tick, away from the previous series' ticks
    cpu0, rcpu0, rounds0, t0 = cpu_s(master), redis_cpu(r), refresher.rounds, time.monotonic()
    for _ in range(n):
        at = _next_tick(TICK_MS)
        raw, elapsed = _post(conn, "/_dash-update-component", json.dumps(body).encode(), headers)
        resp = json.loads(raw).get("response", {})
        if not resp.get(needle):
            raise RuntimeError(f"{needle}: no data in the answer, outputs {sorted(resp)} ({len(raw):,} bytes)")
        out.latency.append(elapsed)
        out.sent.append(at)
        out.sizes.append(len(raw))
        if themes:
            out.themes.append(theme_at(at, CAROUSEL_S))
        after(body, resp)
    out.worker_cpu, out.redis_cpu = cpu_s(master) - cpu0, redis_cpu(r) - rcpu0
    out.refresh_rounds, out.seconds = refresher.rounds - rounds0, time.monotonic() - t0
    conn.close()
    return out


def wall_after(body: dict[str, Any], resp: dict[str, Any]) -> None:
    """The wall map's clientside merge: it holds the version it was sent (a delta on an unheld base: resync)."""
    data = (resp.get("wall-map-values") or {}).get("data")
    if not isinstance(data, dict) or "v" not in data:
        return
    held = next((s["value"] for s in body["state"] if s["id"] == "wall-map-ver"), None)
    _set_state(body, "wall-map-ver", data["v"] if data.get("base") in (None, held) else None)


def map_after(body: dict[str, Any], resp: dict[str, Any]) -> None:
    """The one map keeps the furniture key it was sent (clusters again on a view change or every 10 s) and, as
    assets/onemap.js does, the version of the entity values it holds (a delta on an unheld base: resync)."""
    sent = (resp.get("am-furn-sent") or {}).get("data")
    if isinstance(sent, dict):
        _set_state(body, "am-furn-sent", sent)
    data = (resp.get("am-values") or {}).get("data")
    if isinstance(data, dict) and "v" in data:
        held = next((s["value"] for s in body["state"] if s["id"] == "am-ver"), None) or {}
        ok = data.get("base") in (None, held.get("v"))
        _set_state(body, "am-ver", {"v": data["v"], "area": data.get("area"), "on": data.get("on")} if ok else None)


def overview_after(body: dict[str, Any], resp: dict[str, Any]) -> None:
    """The overview keeps the sparkline key the server hands back."""
    key = (resp.get("ov-spark-key") or {}).get("data")
    if key is not None:
        _set_state(body, "ov-spark-key", key)


def warm(port: int, bodies: Sequence[tuple[dict[str, Any], str]], rounds: int = 3) -> None:
    """Every screen, concurrently, a few rounds: both workers import, build their caches (the one map's 548,000
    components) and answer with data before anything is timed."""
    def one(body: dict[str, Any], cookie: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        _post(conn, "/_dash-update-component", json.dumps(body).encode(),
              {"Content-Type": "application/json", "Cookie": cookie})
        conn.close()

    with ThreadPoolExecutor(4) as pool:
        for _ in range(rounds):
            list(pool.map(lambda bc: one(*bc), [bc for bc in bodies for _ in range(2)]))


def idle_cost(master: int, r: Any, refresher: Refresher, rounds: int = 2) -> tuple[float, float, float]:
    """(Redis CPU s per refresh round, worker CPU s per second, seconds) with no screen asking: what to take off."""
    def wait_for(n: int) -> None:
        deadline = time.monotonic() + 10 * REFRESH_S * (rounds + 1)
        while refresher.rounds < n:
            if not refresher.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"background refresh stopped after {refresher.rounds} rounds: {refresher.error!r}")
            time.sleep(0.02)

    wait_for(refresher.rounds + 1)  # begin right after a round
    cpu0, rcpu0, r0, t0 = cpu_s(master), redis_cpu(r), refresher.rounds, time.monotonic()
    wait_for(r0 + rounds)
    time.sleep(0.05)
    return (redis_cpu(r) - rcpu0) / (refresher.rounds - r0), (cpu_s(master) - cpu0) / (time.monotonic() - t0), \
        time.monotonic() - t0


# ---------------------------------------------------------------------------------------------------------- ingest


def ingest_rate(port: int, points: list[Reading], token: str, prefix: str = "PUSH") -> tuple[float, float, float]:
    """Readings/s through POST /api/v1/ingest/air over INGEST_BATCHES sequential batches of INGEST_BATCH readings of
    INGEST_STATIONS pushed stations (each (station, ts) new; the same ids at every size, placed at this city's
    stations, so a batch is the same work whatever the city and only the store's size differs), as a push source
    sends them; one keep-alive connection (so one worker), warmed by an untimed batch first. (overall, slowest,
    fastest batch)."""
    places = [rd for rd in points if rd.feed == "air"]
    stations = [replace(places[i % len(places)], entity_id=f"{prefix}{i:05d}") for i in range(INGEST_STATIONS)]
    rng = random.Random(5)
    base = int(time.time() * 1000) - 3_000_000
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    total, seconds, j = 0, 0.0, 0
    rates = []
    for b in range(INGEST_BATCHES + 1):
        rows = []
        for _ in range(INGEST_BATCH if b else 500):
            st = stations[j % len(stations)]
            rows.append({"entity_id": st.entity_id, "ts": base + (j // len(stations)) * 1000,
                         "values": {k: v for k, v in air_values(rng).items() if k.endswith("_1h")},
                         "lat": st.meta["lat"], "lon": st.meta["lon"],
                         "meta": {"name": st.meta["name"], "district_adcode": st.meta["district_adcode"]}})
            j += 1
        raw, elapsed = _post(conn, "/api/v1/ingest/air", json.dumps(rows).encode(), headers)
        accepted = json.loads(raw).get("accepted")
        if accepted != len(rows):
            raise RuntimeError(f"ingest accepted {accepted} of {len(rows)}: {raw[:300]!r}")
        if b:  # batch 0 warms the worker up
            total, seconds = total + accepted, seconds + elapsed
            rates.append(accepted / elapsed)
    conn.close()
    return total / seconds, min(rates), max(rates)


# ------------------------------------------------------------------------------------------------------ one size


@dataclass
class Result:
    """Everything measured at one size."""

    size: Size
    load_s: float = 0.0
    memory: int = 0
    memory_empty: int = 0
    alert_ms: float = 0.0
    alert_first_ms: float = 0.0
    alert_changed_ms: float = 0.0  # a pass after a quarter of the point entities changed
    changed_evaluations: int = 0
    evaluations: int = 0
    alerts_open: int = 0
    wall: Series = field(default_factory=Series)
    onemap: Series = field(default_factory=Series)
    street: Series = field(default_factory=Series)  # the one map zoomed in on a street (zoom STREET_ZOOM)
    overview: Series = field(default_factory=Series)
    idle_redis_per_round: float = 0.0
    idle_worker_per_s: float = 0.0
    refresh_ms: float = 0.0
    refresh_n: int = 0
    ingest: tuple[float, float, float] = (0.0, 0.0, 0.0)  # while the screens' ticks and the refresh run
    ingest_quiet: tuple[float, float, float] = (0.0, 0.0, 0.0)  # with neither
    rounds_at: list[tuple[float, float]] = field(default_factory=list)  # the background refresh's rounds
    gc_ms: list[float] = field(default_factory=list)  # the workers' full garbage collections during the screens


def measure(sz: Size, city: dict[str, Any]) -> Result:
    """One size from an empty Redis to torn down."""
    res = Result(sz)
    tmp = Path(tempfile.mkdtemp(prefix="onescreen-scale-"))
    server = EmbeddedServer(tmp, port=free_port())
    url = server.start()
    gunicorn, refresher = None, None
    try:
        r = connect(url)
        res.memory_empty = int(r.info("memory")["used_memory"])
        rules = pipeline.rules_for(city, traffic_cfg=load_traffic_config())
        now = int(time.time() * 1000)
        points, cases = city_readings(sz, city, now)
        t0 = time.perf_counter()
        stored = load(url, points + cases, rules, now)
        res.load_s = time.perf_counter() - t0
        if stored != len(points) + len(cases):
            raise RuntimeError(f"{sz.label}: stored {stored} of {len(points) + len(cases)} readings")
        res.memory = int(r.info("memory")["used_memory"])
        ev = Evaluator(r, city=city, traffic_cfg=load_traffic_config())
        t0 = time.perf_counter()
        ev.evaluate()  # the first pass opens the alerts this city breaches
        res.alert_first_ms = 1000 * (time.perf_counter() - t0)
        passes = []
        for _ in range(ALERT_PASSES):
            t0 = time.perf_counter()
            stats = ev.evaluate()
            passes.append(time.perf_counter() - t0)
        res.alert_ms, res.evaluations = 1000 * statistics.median(passes), stats.evaluations
        writer, rng, passes = Writer(r, source=SOURCE), random.Random(3), []
        for k in range(ALERT_PASSES):  # as the city runs: a quarter of the point entities changed since the last pass
            at = int(time.time() * 1000)
            pipeline.store(writer, [refreshed(points[i], at, rng) for i in range(k % 4, len(points), 4)], rules, at,
                           polled=("service",))
            t0 = time.perf_counter()
            stats = ev.evaluate()
            passes.append(time.perf_counter() - t0)
        res.alert_changed_ms, res.changed_evaluations = 1000 * statistics.median(passes), stats.evaluations
        res.alerts_open = int(r.hlen("os:{alerts}:state"))
        refresher = Refresher(url, points, rules)
        refresher.start()
        token = "scale-bench-ingest"
        profile = city_profile(tmp, city, points)
        gc_log = tmp / "gc"
        gc_log.mkdir()
        env = {**os.environ, **auth_env(), "REDIS_URL": url, "ONESCREEN_SIMULATOR": "off",
               "ONESCREEN_CITY": str(profile), "ONESCREEN_TICK_MS": str(TICK_MS),
               "ONESCREEN_WALL_CAROUSEL_S": str(CAROUSEL_S),
               "ONESCREEN_INGEST_TOKEN": token, "ONESCREEN_INGEST_MAX_BATCH": str(max(5_000, INGEST_BATCH)),
               "ONESCREEN_INGEST_RATE_PER_MIN": "1000000000", "ONESCREEN_BENCH_GC_LOG": str(gc_log)}
        gunicorn, base = start_gunicorn("app:server", env, ("--keep-alive", "30", "--timeout", "120",
                                                           "-c", str(Path(gc_probe.__file__))))
        port = int(base.rsplit(":", 1)[1])
        kiosk, admin = session_cookie(base, "kiosk"), session_cookie(base, "admin")
        req = urllib.request.Request(base + "/_dash-dependencies", headers={"Cookie": admin})
        deps = json.loads(urllib.request.urlopen(req, timeout=30).read())
        (s, w), (n, e) = geo.bounds(city["geo"]["districts"])
        view = {"bbox": [w, s, e, n], "zoom": 9.5, "w": 1920, "h": 1080}
        wall = _request_body(deps, WALL_NEEDLE)
        onemap, overview = map_body(deps, view), tick_body(deps)
        street = map_body(deps, street_view())
        warm(port, [(wall, kiosk), (onemap, admin), (overview, admin), (street, admin)])
        time.sleep(AHEAD_IDLE_S + 2 * TICK_MS / 1000)  # the workers' summary-ahead threads stop: idle is idle
        res.idle_redis_per_round, res.idle_worker_per_s, _ = idle_cost(gunicorn.pid, r, refresher,
                                                                       rounds=size(2, 1))
        common = {"master": gunicorn.pid, "r": r, "refresher": refresher}
        _set_state(wall, "wall-map-ver", None)
        screens_from = time.time()
        res.wall = run_series(port, wall, kiosk, WALL_NEEDLE, REQUESTS, wall_after, themes=True, **common)
        _set_state(onemap, "am-ver", None)
        res.onemap = run_series(port, onemap, admin, MAP_NEEDLE, REQUESTS, map_after, **common)
        _set_state(street, "am-ver", None)
        res.street = run_series(port, street, admin, MAP_NEEDLE, REQUESTS, map_after, **common)
        res.overview = run_series(port, overview, admin, OV_NEEDLE, REQUESTS, overview_after, **common)
        res.gc_ms = gc_probe.full_passes(str(gc_log), screens_from, time.time())
        res.ingest = ingest_rate(port, points, token)
        refresher.stop()
        if refresher.error is not None:
            raise RuntimeError(f"background refresh failed: {refresher.error!r}") from refresher.error
        time.sleep(AHEAD_IDLE_S + 2 * TICK_MS / 1000)  # no screens and no refresh: the store alone
        res.ingest_quiet = ingest_rate(port, points, token, prefix="ALONE")
        res.refresh_ms = 1000 * statistics.median(refresher.seconds) if refresher.seconds else 0.0
        res.rounds_at = list(refresher.rounds_at)
        res.refresh_n = math.ceil(len(points) / 4)
        return res
    finally:
        if refresher is not None:
            refresher.stop()
        tear_down(gunicorn, server, tmp)


# ---------------------------------------------------------------------------------------------------------- report


def _side(prefix: str, what: str, results: list[Result], value: Callable[[Result], float | None],
          fmt: Callable[[float], str], note: str = "") -> str:
    """One figure for every size side by side, each beside its ratio to the demo size."""
    base = value(results[0])
    cells = []
    for i, res in enumerate(results):
        v = value(res)
        cell = f"{res.size.label} {'n/a' if v is None else fmt(v)}"
        if i and v is not None and base:
            cell += f" ({v / base:.1f}x)"
        cells.append(cell)
    return f"{prefix}{what}: " + " | ".join(cells) + (f"   {note}" if note else "")


def _ms(v: float) -> str:
    return f"{v:,.0f} ms" if v >= 10 else f"{v:.1f} ms"


def _bytes(v: float) -> str:
    return f"{v:,.0f} B"


def _steady(sizes_: list[int]) -> float:
    return statistics.median(sizes_[1:] or sizes_)


ROUND_AFTER_MS = 300  # a tick this soon after a refresh round ended still shares the machine with its aftermath


def _by_round(res: Result, s: Series, during: bool) -> list[float]:
    """The steady ticks sent while a background refresh round ran on this 2-core machine (the bench's own load
    generator storing a quarter of the city, plus ROUND_AFTER_MS), or those clear of one."""
    def busy(at: float) -> bool:
        return any(a <= at <= b + ROUND_AFTER_MS for a, b in res.rounds_at)
    return [x for x, at in list(zip(s.latency, s.sent, strict=True))[1:] if busy(at) == during]


def _ticks(latency: list[float]) -> list[float]:
    """The steady ticks' latencies: the first request of a series gets every value whole (a page load, shown as
    "first tick"); counted among the ticks, it was the p95 of a short series on its own."""
    return latency[1:] or latency


def _worker_per_tick(res: Result, s: Series) -> float:
    """Gunicorn CPU (master + workers) per request, less what they spend idle over the same time, in ms."""
    return 1000 * max(0.0, s.worker_cpu - res.idle_worker_per_s * s.seconds) / len(s.latency)


def _redis_per_tick(res: Result, s: Series) -> float:
    """Redis CPU per request, less the background refresh rounds that ran meanwhile (measured alone), in ms."""
    return 1000 * max(0.0, s.redis_cpu - res.idle_redis_per_round * s.refresh_rounds) / len(s.latency)


def _gc_text(res: Result) -> str:
    if not res.gc_ms:
        return f"{res.size.label} 0"
    return (f"{res.size.label} {len(res.gc_ms)} / {_ms(pct([x / 1000 for x in res.gc_ms], 0.95))} / "
            f"{_ms(max(res.gc_ms))}")


def lines(results: list[Result]) -> list[str]:
    sw, sm, so = "scale wall tick: ", "scale map tick: ", "scale overview: "
    theme_p50 = {th: (lambda res, th=th: 1000 * statistics.median(
        [x for x, tt in zip(res.wall.latency, res.wall.themes, strict=True) if tt == th] or [math.nan]))
        for th in THEMES}
    out = [
        "scale sizes: " + " | ".join(f"{res.size.label} {res.size.text()}" for res in results)
        + f"   (1 request per {TICK_MS} ms tick, {REQUESTS} per screen and size, one quarter of the point "
        f"entities refreshed every {REFRESH_S:g} s)",
        _side(sw, "response bytes, steady tick (map values as a delta)", results,
              lambda res: _steady(res.wall.sizes), _bytes),
        _side(sw, "response bytes, first tick (whole map values)", results, lambda res: res.wall.sizes[0], _bytes),
        _side(sw, "server latency p50", results, lambda res: pct(_ticks(res.wall.latency), 0.5), _ms),
        _side(sw, "server latency p95", results, lambda res: pct(_ticks(res.wall.latency), 0.95), _ms),
        _side(sw, "server latency, first tick (whole map values)", results, lambda res: 1000 * res.wall.latency[0],
              _ms),
        _side(sw, "server latency p95, ticks clear of a refresh round", results,
              lambda res: pct(d, 0.95) if (d := _by_round(res, res.wall, False)) else None, _ms),
        "scale wall tick: ticks during a refresh round (the load generator storing a quarter of the city), count "
        "and p50: " + " | ".join(f"{res.size.label} {len(d := _by_round(res, res.wall, True))}, "
                                 f"{_ms(pct(d, 0.5)) if d else '—'}" for res in results),
        "scale wall tick: p50 by map theme (" + "/".join(THEMES) + "): " + " | ".join(
            f"{res.size.label} " + "/".join("—" if math.isnan(v := theme_p50[th](res)) else f"{v:.0f}"
                                            for th in THEMES) + " ms"
            for res in results),
        _side(sm, "response bytes, steady tick, all layers on, whole city in view", results,
              lambda res: _steady(res.onemap.sizes), _bytes),
        _side(sm, "response bytes, first tick (whole entity values)", results, lambda res: res.onemap.sizes[0],
              _bytes),
        _side(sm, "server latency p50", results, lambda res: pct(_ticks(res.onemap.latency), 0.5), _ms),
        _side(sm, "server latency p95", results, lambda res: pct(_ticks(res.onemap.latency), 0.95), _ms),
        _side(sm, "server latency, first tick (whole entity values)", results,
              lambda res: 1000 * res.onemap.latency[0], _ms),
        _side(sm, f"street view (zoom {STREET_ZOOM}, 1920x1080): response bytes, first tick", results,
              lambda res: res.street.sizes[0], _bytes),
        _side(sm, f"street view (zoom {STREET_ZOOM}): response bytes, steady tick", results,
              lambda res: _steady(res.street.sizes), _bytes),
        _side(sm, f"street view (zoom {STREET_ZOOM}): server latency p50", results,
              lambda res: pct(_ticks(res.street.latency), 0.5), _ms),
        _side(so, "tick latency p50", results, lambda res: pct(res.overview.latency, 0.5), _ms),
        _side(so, "tick latency p95", results, lambda res: pct(res.overview.latency, 0.95), _ms),
        _side(so, "response bytes median", results, lambda res: statistics.median(res.overview.sizes), _bytes),
        "scale workers' full garbage collections while the screens were measured (they hold the GIL: core/heap.py), "
        "count / p95 / longest: " + " | ".join(_gc_text(res) for res in results),
        _side("scale CPU per wall tick: ", "gunicorn workers", results,
              lambda res: _worker_per_tick(res, res.wall), _ms),
        _side("scale CPU per wall tick: ", "Redis (background refresh taken off)", results,
              lambda res: _redis_per_tick(res, res.wall), _ms),
        _side("scale CPU per map tick: ", "gunicorn workers", results,
              lambda res: _worker_per_tick(res, res.onemap), _ms),
        _side("scale CPU per map tick: ", "Redis (background refresh taken off)", results,
              lambda res: _redis_per_tick(res, res.onemap), _ms),
        _side("scale alert pass: ", f"Evaluator.evaluate, median of {ALERT_PASSES}", results,
              lambda res: res.alert_ms, _ms),
        "scale alert pass: rule evaluations per pass / alerts in the store after the passes / first pass: "
        + " | ".join(f"{res.size.label} {res.evaluations:,} / {res.alerts_open:,} / {_ms(res.alert_first_ms)}"
                     for res in results),
        _side("scale alert pass: ", "after a quarter of the point entities changed, median", results,
              lambda res: res.alert_changed_ms, _ms,
              note="(rule evaluations: " + ", ".join(f"{res.size.label} {res.changed_evaluations:,}"
                                                     for res in results) + ")"),
        _side("scale Redis memory: ", "used_memory after loading", results, lambda res: res.memory / 2**20,
              lambda v: f"{v:,.1f} MB"),
        _side("scale Redis memory: ", "per 1,000 entities (over an empty server; closed cases counted)", results,
              lambda res: (res.memory - res.memory_empty) / res.size.entities * 1000 / 1024,
              lambda v: f"{v:,.0f} KB"),
        _side("scale ingest: ", f"POST /api/v1/ingest/air, {INGEST_BATCHES} batches of {INGEST_BATCH:,}, during "
              "the refresh", results, lambda res: res.ingest[0], lambda v: f"{v:,.0f} readings/s",
              note="(batches: " + ", ".join(f"{res.size.label} {res.ingest[1]:,.0f}-{res.ingest[2]:,.0f}/s"
                                            for res in results) + ")"),
        _side("scale ingest: ", f"POST /api/v1/ingest/air, {INGEST_BATCHES} batches of {INGEST_BATCH:,}, store "
              "alone", results, lambda res: res.ingest_quiet[0], lambda v: f"{v:,.0f} readings/s",
              note="(batches: " + ", ".join(f"{res.size.label} {res.ingest_quiet[1]:,.0f}-"
                                            f"{res.ingest_quiet[2]:,.0f}/s" for res in results) + ")"),
        _side("scale load: ", "pipeline.store of the whole city (bench process)", results,
              lambda res: res.size.entities / res.load_s, lambda v: f"{v:,.0f} readings/s"),
        _side("scale background refresh: ", "one round (a quarter of the point entities), median", results,
              lambda res: res.refresh_ms, _ms,
              note="(" + ", ".join(f"{res.size.label} {res.refresh_n:,} readings" for res in results) + ")"),
    ]
    return out


def run() -> list[str]:
    """Measure every size in turn (each on its own Redis and gunicorn); returns the printed lines."""
    city = load_city(CITY)
    return lines([measure(sz, city) for sz in sizes()])


if __name__ == "__main__":
    print_figures(run)
