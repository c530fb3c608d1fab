"""Bring a city's point lists into a profile: air stations, city components or cameras from a CSV or Excel sheet
(pandas), with their columns found by their Chinese or English headers (or named with --column), every row checked
(an id, unique; a position that is a number, in range, not swapped, inside the city) and the bad ones reported with
their line numbers. Nothing is written when a row is bad, unless --skip-bad (the report then lists what was left
out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import coords
from core.furniture_catalog import CATEGORIES
from core.geo import assign_districts, districts
from onboard.written import Written

KINDS = ("stations", "components", "cameras")
# header words, in the order they are tried (exact, then without case and spaces)
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("监测点编码", "站点编码", "部件编码", "部件标识码", "标识码", "摄像头编码", "设备编码", "点位编码",
           "编码", "编号", "代码", "id", "code", "station_code", "station_id", "camera_id"),
    "name": ("监测点名称", "站点名称", "点位名称", "设备名称", "名称", "name", "station_name"),
    "lon": ("经度", "东经", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "北纬", "lat", "latitude", "y"),
    "category": ("部件类型代码", "部件小类代码", "小类代码", "类别代码", "部件类型", "类别", "category",
                 "category_code"),
    "stream": ("视频地址", "流地址", "播放地址", "stream", "stream_url", "url"),
}
NEEDS = {"stations": ("id", "name", "lon", "lat"), "components": ("id", "category", "lon", "lat"),
         "cameras": ("id", "name", "lon", "lat")}
CATEGORY_CODES = {c["code"] for c in CATEGORIES}
CATEGORY_BY_NAME = {c["zh"]: c["code"] for c in CATEGORIES}


class BadPoints(ValueError):
    """The list cannot be imported as it is: the message says why and what to do."""


@dataclass
class PointsResult(Written):
    """What an import wrote, and the rows it left out."""

    bad: list[str] = field(default_factory=list)  # "line N: why"


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, UTF-8 with BOM, or GBK) or an Excel sheet (the first), every cell as text."""
    if not path.is_file():
        raise BadPoints(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    if suffix not in (".csv", ".txt"):
        raise BadPoints(f"{path}: a point list is a .csv or an .xlsx file")
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise BadPoints(f"{path}: neither UTF-8 nor GBK text")


def find_columns(frame: pd.DataFrame, kind: str, given: dict[str, str]) -> dict[str, str]:
    """What each needed field is called in this sheet: named with --column, else found by its header."""
    cols = [str(c) for c in frame.columns]
    simple = {c.strip().lower().replace(" ", "").replace("_", ""): c for c in cols}
    out: dict[str, str] = {}
    for key in (*NEEDS[kind], "name", "stream"):
        if key in out:
            continue
        if key in given:
            if given[key] not in cols:
                raise BadPoints(f"--column {key}={given[key]}: the sheet has no such column; its columns are "
                                f"{', '.join(cols)}")
            out[key] = given[key]
            continue
        for word in HEADERS[key]:
            hit = word if word in cols else simple.get(word.lower().replace("_", ""))
            if hit is not None and hit not in out.values():
                out[key] = hit
                break
    missing = [k for k in NEEDS[kind] if k not in out]
    if missing:
        raise BadPoints(f"no column for {', '.join(missing)} among {', '.join(cols)}: name it with "
                        f"--column {missing[0]}=<header>")
    return out


def import_points(path: Path, kind: str, out_dir: Path, *, city: dict[str, Any] | None = None,
                  columns: dict[str, str] | None = None, datum: str = "wgs84", skip_bad: bool = False,
                  out_name: str | None = None) -> PointsResult:
    """Import one list of `kind` into out_dir as `<out_name or kind>.geojson` and `.report.md`; with `city` (a
    profile) every point must lie in one of its districts and carries that district."""
    if kind not in KINDS:
        raise BadPoints(f"--kind {kind!r}: one of {', '.join(KINDS)}")
    datum = coords.check_datum(datum)
    result = PointsResult()
    result.lines.append(f"# Import of {path.name} as {kind}")
    frame = read_table(Path(path))
    if frame.empty:
        raise BadPoints(f"{path}: no rows under the header")
    col = find_columns(frame, kind, columns or {})
    result.lines.append("- columns: " + ", ".join(f"{k} ← {v!r}" for k, v in col.items()))
    line_of = [i + 2 for i in range(len(frame))]  # the header is line 1 (a sheet's row numbers are the same)
    keep: list[int] = []
    seen: dict[str, int] = {}
    points: list[tuple[float, float]] = []
    for i in range(len(frame)):
        row = frame.iloc[i]
        line = line_of[i]
        ident = str(row[col["id"]]).strip()
        if not ident:
            result.bad.append(f"line {line}: no {col['id']}")
            continue
        if ident in seen:
            result.bad.append(f"line {line}: {col['id']} {ident} again (first on line {seen[ident]})")
            continue
        try:
            lon, lat = float(str(row[col["lon"]]).strip()), float(str(row[col["lat"]]).strip())
        except ValueError:
            result.bad.append(f"line {line}: {ident} has no position ({col['lon']} {row[col['lon']]!r}, "
                              f"{col['lat']} {row[col['lat']]!r})")
            continue
        if 15 <= lon <= 56 and 70 <= lat <= 140:  # China with latitude first
            result.bad.append(f"line {line}: {ident}: longitude {lon} and latitude {lat} look swapped")
            continue
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            result.bad.append(f"line {line}: {ident} at ({lon}, {lat}) is not longitude, latitude in degrees")
            continue
        if kind == "components":
            cat = str(row[col["category"]]).strip()
            cat = CATEGORY_BY_NAME.get(cat, cat)
            if cat not in CATEGORY_CODES:
                result.bad.append(f"line {line}: {ident}: category {cat!r} is none of GB/T 30428.2's "
                                  "(a code like 0101, or its name)")
                continue
        seen[ident] = line  # a row is this id's only once it is good: a later good row with it is not a repeat
        points.append(coords.to_wgs84(lon, lat, datum) if datum != "wgs84" else (lon, lat))
        keep.append(i)
    where: list[str | None] = [None] * len(keep)
    if city is not None and keep:
        dfile = city["geo"]["districts"]
        xy = np.asarray(points)
        where = assign_districts(xy[:, 0], xy[:, 1], dfile)
        outside = [k for k, adcode in enumerate(where) if adcode is None]
        for k in outside:
            i = keep[k]
            result.bad.append(f"line {line_of[i]}: {str(frame.iloc[i][col['id']]).strip()} at "
                              f"({points[k][0]}, {points[k][1]}) lies outside every district of "
                              f"{city.get('name_zh') or city.get('slug')}")
        drop = set(outside)
        keep, points, where = ([x for k, x in enumerate(v) if k not in drop] for v in (keep, points, where))
    if result.bad:
        result.bad.sort(key=lambda b: int(b.split(":")[0].removeprefix("line ")))
        result.lines.append(f"- bad rows ({len(result.bad)}):")
        result.lines.extend(f"  - {b}" for b in result.bad)
        if not skip_bad:
            raise BadPoints(f"{path}: {len(result.bad)} bad row(s), nothing written: {'; '.join(result.bad[:5])}"
                            f"{' …' if len(result.bad) > 5 else ''} (fix them, or --skip-bad to leave them out)")
    names = districts(city["geo"]["districts"]) if city is not None else {}
    feats = []
    for i, (lon, lat), adcode in zip(keep, points, where, strict=True):
        row = frame.iloc[i]
        ident = str(row[col["id"]]).strip()
        props: dict[str, Any] = {"code" if kind == "stations" else "id": ident}
        if "name" in col:
            props["name"] = str(row[col["name"]]).strip()
        if kind == "components":
            cat = str(row[col["category"]]).strip()
            props["category"] = CATEGORY_BY_NAME.get(cat, cat)
        if kind == "cameras" and "stream" in col and str(row[col["stream"]]).strip():
            props["stream"] = str(row[col["stream"]]).strip()
        if adcode is not None:
            props["district_adcode"], props["district"] = adcode, names[adcode]["zh"]
        feats.append({"type": "Feature", "id": ident, "geometry": {"type": "Point",
                                                                   "coordinates": [round(lon, 6), round(lat, 6)]},
                      "properties": props})
    stem = out_name or kind
    result.write(out_dir, stem, feats, f"- wrote {len(feats):,} of {len(frame):,} rows to {stem}.geojson"
                 + (f" ({datum.upper()} converted to WGS-84)" if datum != "wgs84" else ""))
    return result


