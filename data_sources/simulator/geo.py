"""Static geometry for the simulator: districts, schematic road segments and river sections, all from the seed."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from config.tuning import A, E, L, S, Tuning

Ring = list[tuple[float, float]]

FREE_FLOW: dict[str, tuple[int, ...]] = {E: (80,), A: (50, 55, 60), S: (40,), L: (30,)}
LEG_KM: dict[str, tuple[float, float]] = {E: (2.5, 5.0), A: (1.2, 3.0), S: (0.6, 1.6), L: (0.3, 0.8)}


SECTION_SPACING_KM = 6.0


@dataclass(frozen=True, slots=True)
class District:
    """One district polygon with its label point, kept for sampling points inside it."""

    adcode: str
    name: str
    label: tuple[float, float]
    polygons: list[list[Ring]]
    bbox: tuple[float, float, float, float]

    def contains(self, lon: float, lat: float) -> bool:
        """Ray casting on each polygon's outer ring minus its holes."""
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        return any(_in_ring(lon, lat, p[0]) and not any(_in_ring(lon, lat, h) for h in p[1:]) for p in self.polygons)


@dataclass(frozen=True, slots=True)
class Segment:
    """A schematic road segment: static geometry plus the attributes the speed model needs."""

    id: str
    name: str
    road_class: str
    coords: list[tuple[float, float]]
    length_m: int
    free_flow_kmh: float
    district_adcode: str

    def meta(self) -> dict[str, Any]:
        """Reading meta and GeoJSON properties: the segment is drawn, not surveyed, so it says so."""
        return {"name": self.name, "road_class": self.road_class, "length_m": self.length_m,
                "district_adcode": self.district_adcode, "schematic": True}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Section:
    """An approximate river monitoring section."""

    id: str
    name: str
    river: str
    district_adcode: str
    lon: float
    lat: float
    kind: str  # "stream" (urban 涌, worst), "clean" (upper 流溪河) or "river" (class III–IV)

    def meta(self) -> dict[str, Any]:
        """Reading meta and GeoJSON properties; positions are approximate, so they say so."""
        return {"name": self.name, "river": self.river, "district_adcode": self.district_adcode, "lat": self.lat,
                "lon": self.lon, "waterbody": "river", "approximate": True}  # fmt: skip


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    """Even-odd ray casting; good enough for simplified district outlines."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def load_districts(fc: dict[str, Any]) -> list[District]:
    """Districts from the shipped GeoJSON, sorted by adcode so order never depends on the file."""
    out = []
    for f in fc["features"]:
        p, g = f["properties"], f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        polygons = [[[(float(x), float(y)) for x, y, *_ in ring] for ring in poly] for poly in polys]
        xs = [x for poly in polygons for x, _ in poly[0]]
        ys = [y for poly in polygons for _, y in poly[0]]
        label = (float(p["label_lon"]), float(p["label_lat"]))
        out.append(District(str(p["adcode"]), p["name"], label, polygons, (min(xs), min(ys), max(xs), max(ys))))
    return sorted(out, key=lambda d: d.adcode)


def district_at(districts: list[District], lon: float, lat: float) -> District | None:
    """The district containing the point, if any."""
    return next((d for d in districts if d.contains(lon, lat)), None)


def random_point(d: District, rng: random.Random, near_label: float = 0.6, sigma: float = 0.05) -> tuple[float, float]:
    """A point inside the district, biased towards its label point (the built-up part) with probability near_label."""
    x0, y0, x1, y1 = d.bbox
    if rng.random() < near_label:
        for _ in range(20):
            lon, lat = rng.gauss(d.label[0], sigma), rng.gauss(d.label[1], sigma)
            if d.contains(lon, lat):
                return lon, lat
    for _ in range(200):
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if d.contains(lon, lat):
            return lon, lat
    return d.label


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def _step(p: tuple[float, float], km: float, bearing_deg: float) -> tuple[float, float]:
    """Move km along a compass bearing (small-distance approximation)."""
    b = math.radians(bearing_deg)
    dlat = km * math.cos(b) / 111.32
    dlon = km * math.sin(b) / (111.32 * math.cos(math.radians(p[1])))
    return round(p[0] + dlon, 5), round(p[1] + dlat, 5)


def _segment_coords(d: District, road_class: str, rng: random.Random) -> list[tuple[float, float]]:
    """A straight or two-leg line inside the district (falls back to 'near' after many tries)."""
    coords: list[tuple[float, float]] = []
    for _ in range(40):
        start = tuple(round(v, 5) for v in random_point(d, rng, near_label=0.7, sigma=0.035))
        km = rng.uniform(*LEG_KM[road_class])
        bearing = rng.choice((0.0, 45.0, 90.0, 135.0)) + rng.gauss(0, 12)
        if rng.random() < 0.35:
            k = rng.uniform(0.4, 0.6)
            mid = _step(start, km * k, bearing)
            coords = [start, mid, _step(mid, km * (1 - k), bearing + rng.choice((-1, 1)) * rng.uniform(20, 60))]
        else:
            coords = [start, _step(start, km, bearing)]
        if all(d.contains(*c) for c in coords):
            break
    return coords


def build_segments(districts: list[District], seed: int, tune: Tuning | None = None) -> list[Segment]:
    """Schematic segments, denser in the central districts; depends only on the seed, the districts and the
    profile's tuning."""
    tune = tune or Tuning()
    rng = random.Random(f"onescreen-sim:{seed}:roads")
    segs: list[Segment] = []
    for d in districts:
        roads = tune.roads_of(d.adcode)
        rng.shuffle(roads)
        n = max(1, tune.segments_of(d.adcode) + rng.randint(-1, 1))
        for k in range(n):
            road, cls = roads[k % len(roads)]
            part = k // len(roads)
            coords = _segment_coords(d, cls, rng)
            length = sum(haversine_m(a, b) for a, b in zip(coords, coords[1:], strict=False))
            name = f"{road}{'' if part == 0 else f'·{part + 1}段'}（示意）"
            sid = f"seg-{len(segs) + 1:03d}"
            segs.append(Segment(sid, name, cls, coords, round(length), float(rng.choice(FREE_FLOW[cls])), d.adcode))
    return segs


def _river_name(lines: list[list[tuple[float, float]]], tune: Tuning) -> str:
    """Name an unnamed river line after the nearest hint within 3 km, else the profile's generic name."""
    best, best_m = tune.river_default, 3000.0
    for name, hx, hy in tune.river_hints:
        m = min(haversine_m((hx, hy), p) for line in lines for p in line)
        if m < best_m:
            best, best_m = name, m
    return best


def build_sections(
    districts: list[District], rivers: dict[str, Any], points: dict[str, Any] | None, seed: int,
    tune: Tuning | None = None,
) -> list[Section]:
    """The profile's river points (Guangzhou's four in Baiyun) plus 7–9 points sampled along the river lines inside
    the city, spaced apart."""
    tune = tune or Tuning()
    rng = random.Random(f"onescreen-sim:{seed}:water-geo")
    by_code = {d.adcode: d for d in districts}
    chosen: list[tuple[str, str, str, float, float, str]] = []  # name, river, adcode, lon, lat, kind
    for f in (points or {}).get("features", []):
        river = f["properties"]["name"]
        lon, lat = (float(v) for v in f["geometry"]["coordinates"][:2])
        adcode = str(f["properties"].get("district_adcode") or getattr(district_at(districts, lon, lat), "adcode", ""))
        name = tune.section_names.get(river, f"{river}·断面")
        chosen.append((name, river, adcode, lon, lat, "stream" if river in tune.urban_streams else "river"))
    candidates: list[tuple[str, str, float, float]] = []  # river, adcode, lon, lat
    for f in rivers["features"]:
        g = f["geometry"]
        lines = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
        lines = [[(float(x), float(y)) for x, y, *_ in line] for line in lines]
        river = str((f.get("properties") or {}).get("name") or "") or _river_name(lines, tune)
        for line in lines:
            for a, b in zip(line, line[1:], strict=False):
                p = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                d = district_at(districts, *p)
                if d is not None:
                    candidates.append((river, d.adcode, *p))
    rng.shuffle(candidates)
    want = len(chosen) + rng.randint(7, 9)
    used_groups: set[tuple[str, str]] = set()
    for strict_groups in (True, False):
        for river, adcode, lon, lat in candidates:
            if len(chosen) >= want:
                break
            if strict_groups and (river, adcode) in used_groups:
                continue
            if any(haversine_m((lon, lat), (c[3], c[4])) < SECTION_SPACING_KM * 1000 for c in chosen):
                continue
            used_groups.add((river, adcode))
            short = by_code[adcode].name.removesuffix("区")
            name = f"{river}·{short}断面"
            same = sum(1 for c in chosen if c[0].startswith(name.removesuffix("断面")))
            kind = "clean" if river == tune.clean_river and adcode in tune.upstream else "river"
            chosen.append((name if not same else f"{river}·{short}{same + 1}号断面", river, adcode, lon, lat, kind))
    return [
        Section(f"ws-{i + 1:02d}", n, r, a, round(x, 5), round(y, 5), s) for i, (n, r, a, x, y, s) in enumerate(chosen)
    ]
