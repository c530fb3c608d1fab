"""Rebuild the shipped geodata of the Tianjin, Tangshan and Langfang profiles (geo/) from the shared source files.

    python scripts/build_city_geo.py PATH/TO/shared/geo

Writes, for each city: `<city>_districts.geojson` (the boundaries as published, with English names added),
`<city>_aq_stations.geojson` (the national air-quality stations still running, each in the district it falls in) and
`<city>_rivers.geojson` (the 1:4M national hydrography's rivers, cut to the city's box). The sources and their
licences are in geo/ATTRIBUTION.md. A developer's tool, run once per source update: the app never reads the shared
folder, and users do not have it.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import shapely  # noqa: E402

from core.geo import GEO_DIR  # noqa: E402 - after the path is set

CITIES = {
    "tianjin": ("天津", {
        "120101": "Heping", "120102": "Hedong", "120103": "Hexi", "120104": "Nankai", "120105": "Hebei",
        "120106": "Hongqiao", "120110": "Dongli", "120111": "Xiqing", "120112": "Jinnan", "120113": "Beichen",
        "120114": "Wuqing", "120115": "Baodi", "120116": "Binhai", "120117": "Ninghe", "120118": "Jinghai",
        "120119": "Jizhou"}),
    "tangshan": ("唐山", {
        "130202": "Lunan", "130203": "Lubei", "130204": "Guye", "130205": "Kaiping", "130207": "Fengnan",
        "130208": "Fengrun", "130209": "Caofeidian", "130224": "Luannan", "130225": "Laoting", "130227": "Qianxi",
        "130229": "Yutian", "130281": "Zunhua", "130283": "Qian'an", "130284": "Luanzhou"}),
    "langfang": ("廊坊", {
        "131002": "Anci", "131003": "Guangyang", "131022": "Gu'an", "131023": "Yongqing", "131024": "Xianghe",
        "131025": "Dacheng", "131026": "Wen'an", "131028": "Dachang", "131081": "Bazhou", "131082": "Sanhe"}),
}
RIVERS = "water/hyd2_4l_jingjinji_tj_ts_lf.geojson"
MARGIN_DEG = 0.05  # rivers are kept a little beyond the city's box, so they run off the map's edge, not stop at it


def write(name: str, fc: dict[str, Any]) -> None:
    (GEO_DIR / name).write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote geo/{name}: {len(fc['features'])} features")


def rings_of(feature: dict[str, Any]) -> list[list[list[float]]]:
    g = feature["geometry"]
    polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
    return [ring for poly in polys for ring in poly]


def box_of(features: list[dict[str, Any]]) -> tuple[float, float, float, float]:
    pts = [p for f in features for ring in rings_of(f) for p in ring]
    return (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))


def river_name(raw: str) -> str:
    """'永定河(桑干河、永定新河)' -> '永定河': the first name, without the other names of its reaches."""
    return raw.split("(")[0].split("（")[0].strip() or "河流"


def main(shared: Path) -> None:
    stations = list(csv.DictReader((shared / "stations/national_aq_stations_4cities.csv").open(encoding="utf-8")))
    rivers = json.loads((shared / RIVERS).read_text(encoding="utf-8"))
    for slug, (city_zh, english) in CITIES.items():
        fc = json.loads((shared / f"{slug}_districts.geojson").read_text(encoding="utf-8"))
        for f in fc["features"]:
            f["id"] = f["properties"]["adcode"]
            f["properties"]["name_en"] = english[f["properties"]["adcode"]]
        write(f"{slug}_districts.geojson", fc)
        districts = fc["features"]
        out = []
        for row in stations:
            if row["城市"] != city_zh or "停运" in row["监测点名称"]:
                continue  # another city's, or closed
            try:
                lon, lat = float(row["经度"]), float(row["纬度"])
            except ValueError:
                continue  # no position published
            home = next((d for d in districts
                         if shapely.from_geojson(json.dumps(d["geometry"])).contains(shapely.Point(lon, lat))), None)
            if home is None:
                print(f"  {slug}: station {row['监测点编码']} {row['监测点名称']} lies in no district: left out")
                continue
            p = home["properties"]
            out.append({"type": "Feature", "id": row["监测点编码"],
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {"code": row["监测点编码"], "name": row["监测点名称"],
                                       "district_adcode": p["adcode"], "district": p["name"]}})
        write(f"{slug}_aq_stations.geojson", {"type": "FeatureCollection", "features": out})
        x0, y0, x1, y1 = box_of(districts)
        x0, y0, x1, y1 = x0 - MARGIN_DEG, y0 - MARGIN_DEG, x1 + MARGIN_DEG, y1 + MARGIN_DEG
        lines = []
        for f in rivers["features"]:
            g = f["geometry"]
            parts = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
            for part in parts:
                run: list[list[float]] = []
                for x, y, *_ in [*part, [float("nan"), float("nan")]]:  # a sentinel ends the last run
                    if x0 <= x <= x1 and y0 <= y <= y1:
                        run.append([round(x, 5), round(y, 5)])
                    elif len(run) > 1:
                        lines.append((river_name(f["properties"].get("NAME") or ""), run))
                        run = []
                    else:
                        run = []
        feats = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                  "properties": {"name": name, "source": "1:4M national hydrography"}} for name, coords in lines]
        write(f"{slug}_rivers.geojson", {"type": "FeatureCollection", "features": feats})


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
