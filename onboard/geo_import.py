"""Bring a city's own boundaries and rivers into a profile: read its GIS file (Shapefile, GeoPackage, GeoJSON, KML
through pyogrio), settle the coordinate system, the attribute encoding and the axis order, make geometry valid,
check siblings for overlaps and children against their parents, simplify (shared borders once) and write the
profile's GeoJSON plus a report of everything it found and did.

The usual real-world failures each get a message that says what to do: a Shapefile without a .prj (give --crs),
attributes in GBK that the file does not declare (found and read as GBK, said in the report), a swapped axis order
(give --swap-axes), GCJ-02 or BD-09 coordinates (give --crs gcj02|bd09: converted with core.coords). Nothing is
written when the input has a problem, unless --force is given (the report then lists the problems).
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from core import coords
from onboard.written import Written

LEVELS = {"district": "polygon", "street": "polygon", "community": "polygon", "grid": "polygon",
          "rivers": "line", "lakes": "polygon"}
ADMIN = ("district", "street", "community", "grid")
SIMPLIFY_DEG = {"district": 0.0005, "street": 0.0002, "community": 0.0001, "grid": 0.0, "rivers": 0.0005,
                "lakes": 0.0005}  # about 50 m, 20 m, 10 m at these latitudes; a unit grid is kept as drawn
CRS_NAMES = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "webmercator": "EPSG:3857"}
DATUMS = ("gcj02", "bd09")  # Chinese map datums: degrees, converted vertex by vertex (core.coords)
NAME_FIELDS = ("name", "名称", "NAME", "Name", "MC", "mc", "XZQMC", "xzqmc", "区县名称", "街道名称", "社区名称",
               "网格名称", "NAME_CH")
CODE_FIELDS = ("adcode", "ADCODE", "code", "CODE", "行政区划代码", "区划代码", "代码", "XZQDM", "xzqdm", "PAC", "pac",
               "网格编码", "GRIDCODE", "gridcode")
OVERLAP_SHARE = 0.001  # siblings overlapping by more than 0.1 % of the smaller one's area are a problem
OUTSIDE_SHARE = 0.01  # a child with more than 1 % of its area outside every parent is a problem
CJK = re.compile(r"[\u3400-\u9fff]")


class BadInput(ValueError):
    """The input cannot be imported as it is: the message says why and what to do."""


@dataclass
class Result(Written):
    """What an import wrote and found: the GeoJSON file, the report file, the report's lines and the problems."""

    problems: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


def _crs_of(text: str) -> CRS:
    try:
        return CRS.from_user_input(CRS_NAMES.get(text.lower(), text))
    except CRSError:
        raise BadInput(f"--crs {text!r} is not a coordinate system: give EPSG:4490 (CGCS2000), EPSG:4326 (WGS-84), "
                       "EPSG:3857 (Web Mercator), another EPSG code, or gcj02 / bd09") from None


def _guess(bounds: np.ndarray) -> str:
    """A hint for a file without a coordinate system, from where its coordinates lie."""
    x0, y0, x1, y1 = (float(v) for v in bounds)
    if -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90:
        if x0 >= 70 and x1 <= 140 and y0 >= 15 and y1 <= 56:
            return (f"its coordinates ({x0:.2f}–{x1:.2f}, {y0:.2f}–{y1:.2f}) look like degrees in China: probably "
                    "--crs EPSG:4490 (CGCS2000, the national standard) or --crs EPSG:4326 (WGS-84); --crs gcj02 if "
                    "it came from AMap/Tencent, bd09 from Baidu")
        return f"its coordinates ({x0:.2f}–{x1:.2f}, {y0:.2f}–{y1:.2f}) look like degrees: probably --crs EPSG:4326"
    return (f"its coordinates ({x0:.0f}–{x1:.0f}, {y0:.0f}–{y1:.0f}) are not degrees: it is projected (metres); "
            "give its EPSG code, e.g. --crs EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)")


def _mojibake(frame: gpd.GeoDataFrame) -> bool:
    """Whether the text columns are GBK bytes read as Latin-1 (a Shapefile that declares no encoding)."""
    seen = False
    for col in frame.columns:
        if col == frame.geometry.name or not pd.api.types.is_string_dtype(frame[col]):
            continue
        for value in frame[col].dropna().astype(str).head(200):
            if value.isascii():
                continue
            try:
                fixed = value.encode("latin-1").decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                return False
            if not CJK.search(fixed):
                return False
            seen = True
    return seen


def _field(frame: gpd.GeoDataFrame, given: str | None, known: tuple[str, ...], what: str, flag: str) -> str | None:
    cols = [c for c in frame.columns if c != frame.geometry.name]
    if given:
        if given not in cols:
            raise BadInput(f"{flag} {given!r}: the file has no such field; its fields are {', '.join(cols)}")
        return given
    return next((c for c in known if c in cols), None)


def _convert(geoms: np.ndarray, datum: str) -> np.ndarray:
    """GCJ-02 or BD-09 degrees to WGS-84, vertex by vertex (core.coords)."""
    back = coords.gcj02_to_wgs84 if datum == "gcj02" else coords.bd09_to_wgs84

    def one(xy: np.ndarray) -> np.ndarray:
        return np.array([back(float(x), float(y)) for x, y in xy]) if len(xy) else xy
    return shapely.transform(geoms, one)


def _round(geoms: np.ndarray, places: int = 5) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, places))


def _vertices(geoms: Any) -> int:
    return int(shapely.get_num_coordinates(np.asarray(geoms)).sum())


def read(path: Path, *, encoding: str | None, layer: str | None, result: Result) -> gpd.GeoDataFrame:
    """The file's features, with its attributes decoded (GBK found when the file does not say)."""
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    if path.suffix.lower() == ".shp":
        missing = [ext for ext in (".shx", ".dbf") if not path.with_suffix(ext).is_file()]
        if missing:
            raise BadInput(f"{path}: a Shapefile comes as several files; {', '.join(missing)} is missing beside it")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = gpd.read_file(path, encoding=encoding, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as e:
        raise BadInput(f"{path}: cannot read it as GIS data ({e}); Shapefile, GeoPackage, GeoJSON and KML are "
                       "read") from None
    for w in caught:
        result.say(f"- reader: {str(w.message).splitlines()[0]}")
    if encoding is None and _mojibake(frame):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said once above
            frame = gpd.read_file(path, encoding="gbk", layer=layer, engine="pyogrio")
        result.say("- attributes: the file declares no encoding and its text reads as Chinese in GBK: read as GBK "
                   "(say --encoding to choose)")
    elif encoding:
        result.say(f"- attributes: read as {encoding} (--encoding)")
    result.say(f"- read {len(frame):,} features from {path.name}")
    return frame


def import_geo(path: Path, level: str, out_dir: Path, *, crs: str | None = None, encoding: str | None = None,
               layer: str | None = None, swap_axes: bool = False, name_field: str | None = None,
               code_field: str | None = None, parent: Path | None = None, simplify: float | None = None,
               out_name: str | None = None, force: bool = False) -> Result:
    """Import one file at one level (LEVELS) into out_dir: `<out_name or level>.geojson` and `.report.md`.
    Raises BadInput, having written nothing, when the input cannot be used as it is (or has problems, unless
    `force`)."""
    if level not in LEVELS:
        raise BadInput(f"--level {level!r}: one of {', '.join(LEVELS)}")
    result = Result()
    result.say(f"# Import of {path.name} as {level}")
    frame = read(Path(path), encoding=encoding, layer=layer, result=result)
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if frame.empty:
        raise BadInput(f"{path}: no feature has a geometry")
    kind = LEVELS[level]
    types = set(frame.geom_type)
    want = {"polygon": {"Polygon", "MultiPolygon"}, "line": {"LineString", "MultiLineString"}}[kind]
    if not types <= want:
        raise BadInput(f"{path}: {level} needs {' or '.join(sorted(want))} features, the file has "
                       f"{', '.join(sorted(types))}")
    # the coordinate system: the file's, or --crs; a Chinese datum is degrees converted afterwards
    datum = crs.lower() if crs and crs.lower() in DATUMS else None
    given = None if crs is None or datum else _crs_of(crs)
    if frame.crs is None and given is None and datum is None:
        raise BadInput(f"{path}: the file does not say its coordinate system (no .prj beside a Shapefile); "
                       f"{_guess(frame.total_bounds)}")
    if datum:
        frame = frame.set_crs("EPSG:4326", allow_override=True)
        result.say(f"- coordinates: {datum.upper()} degrees (--crs {datum}), converted to WGS-84")
    elif given is not None:
        if frame.crs is not None and not CRS(frame.crs).equals(given):
            result.say(f"- coordinates: the file says {CRS(frame.crs).name}; --crs {crs} overrides it")
        frame = frame.set_crs(given, allow_override=True)
        result.say(f"- coordinates: {given.name} ({given.to_string()})")
    else:
        result.say(f"- coordinates: {CRS(frame.crs).name}, as the file says")
    if swap_axes:
        frame = frame.set_geometry(shapely.transform(frame.geometry.values, lambda xy: xy[:, ::-1]), crs=frame.crs)
        result.say("- axis order: swapped (--swap-axes)")
    try:
        frame = frame.to_crs("EPSG:4326")
    except Exception as e:  # noqa: BLE001 - pyproj's reasons are many; the message carries them
        raise BadInput(f"{path}: cannot convert from {frame.crs} to WGS-84: {e}") from None
    geoms = frame.geometry.values
    if datum:
        geoms = _convert(np.asarray(geoms), datum)
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(geoms))
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90) or (x0 >= 15 and x1 <= 56 and y0 >= 70 and y1 <= 140):
        hint = "" if swap_axes else "; if the file has latitude first, add --swap-axes"
        raise BadInput(f"{path}: after conversion the coordinates span x {x0:.2f}–{x1:.2f}, y {y0:.2f}–{y1:.2f}, "
                       f"which is not longitude then latitude{hint}; if the coordinate system is wrong, give --crs")
    # valid geometry
    geoms = np.asarray(geoms)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        reasons = sorted({shapely.is_valid_reason(g).split("[")[0] for g in geoms[bad]})
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
        if kind == "polygon":  # make_valid may leave lines or points beside the polygon: keep the polygon
            geoms[bad] = [shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type in want]) or g
                          for g in geoms[bad]]
        result.say(f"- geometry: {int(bad.sum())} invalid made valid ({', '.join(reasons)})")
    frame = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=list(geoms), crs="EPSG:4326")
    # attributes
    name_col = _field(frame, name_field, NAME_FIELDS, "name", "--name-field")
    code_col = _field(frame, code_field, CODE_FIELDS, "code", "--code-field")
    fields = [c for c in frame.columns if c != frame.geometry.name]
    if level in ADMIN:
        if code_col is None or name_col is None:
            need = " and ".join(x for x, c in (("a code", code_col), ("a name", name_col)) if c is None)
            raise BadInput(f"{path}: a {level} needs {need}; none of its fields ({', '.join(fields)}) is one by its "
                           "name: say which with --code-field / --name-field")
        if pd.api.types.is_float_dtype(frame[code_col]):  # a DBF number field: 440103.0 is code 440103
            frame[code_col] = [None if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v)
                               for v in frame[code_col]]
        codes = frame[code_col].astype(str).str.strip()
        if (codes == "").any() or frame[code_col].isna().any():
            raise BadInput(f"{path}: {int(((codes == '') | frame[code_col].isna()).sum())} features have no "
                           f"{code_col}")
        dup = sorted(set(codes[codes.duplicated()]))
        if dup:
            raise BadInput(f"{path}: codes repeat in {code_col}: {', '.join(dup[:10])}"
                           f"{' …' if len(dup) > 10 else ''} (one feature per {level}: merge them first)")
        result.say(f"- fields: code {code_col!r}, name {name_col!r}")
    # checks: siblings that overlap, children outside their parents
    geoms = np.asarray(frame.geometry.values)
    if kind == "polygon" and level != "lakes":
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        label = frame[code_col].astype(str).tolist() if code_col else [str(i) for i in range(len(frame))]
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i >= j:
                continue
            shared = shapely.area(shapely.intersection(geoms[i], geoms[j]))
            smaller = min(shapely.area(geoms[i]), shapely.area(geoms[j]))
            if shared > OVERLAP_SHARE * smaller:
                result.problems.append(f"{label[i]} and {label[j]} overlap ({shared / smaller:.1%} of the smaller)")
    parents: list[str | None] = [None] * len(geoms)
    if parent is not None:
        try:
            upper = gpd.read_file(parent, engine="pyogrio")
            upper = upper.set_crs("EPSG:4326") if upper.crs is None else upper.to_crs("EPSG:4326")
        except Exception as e:  # noqa: BLE001 - any reason it cannot be read is the message
            raise BadInput(f"--parent {parent}: cannot read it ({str(e).splitlines()[0]}); give the level above "
                           "as the GeoJSON an earlier import wrote") from None
        ucode = next((c for c in CODE_FIELDS if c in upper.columns), None)
        if ucode is None:
            raise BadInput(f"--parent {parent}: it has no code field ({', '.join(CODE_FIELDS[:4])} …)")
        ugeoms = np.asarray(upper.geometry.values)
        utree = shapely.STRtree(ugeoms)
        label = frame[code_col].astype(str).tolist() if code_col else [str(i) for i in range(len(frame))]
        for k, g in enumerate(geoms):
            inside = utree.query(shapely.point_on_surface(g), predicate="within")
            if not len(inside):
                result.problems.append(f"{label[k]} lies in no parent of {parent.name}")
                continue
            home = ugeoms[int(inside[0])]
            out = shapely.area(shapely.difference(g, home))
            if out > OUTSIDE_SHARE * shapely.area(g):
                result.problems.append(f"{label[k]} reaches outside its parent {upper[ucode].iloc[int(inside[0])]} "
                                       f"({out / shapely.area(g):.1%} of it)")
            parents[k] = str(upper[ucode].iloc[int(inside[0])])
        result.say(f"- parents: checked against {parent.name} ({len(upper)} features)")
    if result.problems:
        result.say(f"- problems ({len(result.problems)}):")
        result.lines.extend(f"  - {p}" for p in result.problems)
        if not force:
            raise BadInput(f"{path}: {len(result.problems)} problem(s), nothing written: "
                           f"{'; '.join(result.problems[:5])}{' …' if len(result.problems) > 5 else ''} "
                           "(fix the file, or --force to write it anyway with the problems in the report)")
    # simplify: a coverage keeps its shared borders simplified once (no gaps, no slivers between neighbours)
    tol = SIMPLIFY_DEG[level] if simplify is None else simplify
    before = _vertices(geoms)
    if tol > 0:
        cover = kind == "polygon" and level != "lakes"  # boundaries tile the city; lakes and rivers do not
        geoms = shapely.coverage_simplify(geoms, tol) if cover else shapely.simplify(geoms, tol,
                                                                                     preserve_topology=True)
    geoms = _round(geoms)
    result.say(f"- simplified at {tol:g}°: {before:,} vertices → {_vertices(geoms):,}")
    feats = []
    for k, g in enumerate(geoms):
        props: dict[str, Any] = {}
        if code_col:
            props["adcode" if level == "district" else "code"] = str(frame[code_col].iloc[k]).strip()
        if name_col:
            props["name"] = str(frame[name_col].iloc[k]).strip() if frame[name_col].iloc[k] is not None else ""
        if parents[k] is not None:
            props["parent"] = parents[k]
        if kind == "polygon":
            p = shapely.point_on_surface(g)
            props["label_lon"], props["label_lat"] = round(p.x, 5), round(p.y, 5)
        feats.append({"type": "Feature", **({"id": props.get("adcode") or props.get("code")} if code_col else {}),
                      "geometry": json.loads(shapely.to_geojson(g)), "properties": props})
    result.write(out_dir, out_name or level, feats, f"- wrote {len(feats):,} features to {out_name or level}.geojson")
    return result
