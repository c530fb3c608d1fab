"""Onboarding a city's own GIS files (issue #16, onboard/geo_import.py): the real national shapefile with no .prj
and undeclared GBK attributes, and the shipped district boundaries written back out the ways cities hand them over
(Shapefile in GBK without a .prj, GeoPackage in CGCS2000, latitude first, GCJ-02, overlapping, duplicated). Each
usual failure gets the message that says what to do, and writes nothing; what is written is valid WGS-84 GeoJSON
the profile can use, with a report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from config.settings import ROOT
from core import coords
from core.geo import GEO_DIR
from onboard.geo_import import BadInput, import_geo

pytestmark = pytest.mark.integration
RIVERS = ROOT / "tests/fixtures/real/ngcc/hyd1_4l.shp"
TIANJIN = GEO_DIR / "tianjin_districts.geojson"


def districts() -> gpd.GeoDataFrame:
    return gpd.read_file(TIANJIN, engine="pyogrio")


def written(tmp_path: Path) -> list[Path]:
    return sorted(p for p in tmp_path.rglob("*") if p.suffix in (".geojson", ".md"))


def test_the_national_shapefile_without_prj_asks_for_a_crs_then_reads_its_gbk_names(tmp_path: Path) -> None:
    out = tmp_path / "profile"
    with pytest.raises(BadInput) as err:
        import_geo(RIVERS, "rivers", out)
    assert "does not say its coordinate system (no .prj" in str(err.value)
    assert "look like degrees in China: probably --crs EPSG:4490" in str(err.value)
    assert not out.exists()  # nothing written
    done = import_geo(RIVERS, "rivers", out, crs="EPSG:4326")
    assert "read as GBK" in "\n".join(done.lines)
    fc = json.loads(done.geojson.read_text(encoding="utf-8"))
    names = {f["properties"]["name"] for f in fc["features"]}
    assert {"克鲁伦河", "北运河", "长江"} <= names, sorted(names)[:20]
    assert len(fc["features"]) == 840
    assert all(shapely.is_valid(shapely.from_geojson(json.dumps(f["geometry"]))) for f in fc["features"])
    assert "840 features" in done.report.read_text(encoding="utf-8")


def test_a_shapefile_in_gbk_without_prj_and_a_cgcs2000_geopackage_give_the_same_districts(tmp_path: Path) -> None:
    src = districts()
    shp = tmp_path / "in" / "天津区县.shp"
    shp.parent.mkdir()
    src.rename(columns={"adcode": "XZQDM", "name": "XZQMC"})[["XZQDM", "XZQMC", "geometry"]].to_file(
        shp, encoding="gbk", engine="pyogrio")
    shp.with_suffix(".prj").unlink()
    shp.with_suffix(".cpg").unlink(missing_ok=True)  # as cities hand them over: nothing says GBK
    done = import_geo(shp, "district", tmp_path / "a", crs="cgcs2000", simplify=0)
    gpkg = tmp_path / "in" / "districts.gpkg"
    src.set_crs("EPSG:4490", allow_override=True).rename(columns={"adcode": "行政区划代码", "name": "名称"})[
        ["行政区划代码", "名称", "geometry"]].to_file(gpkg, engine="pyogrio")
    again = import_geo(gpkg, "district", tmp_path / "b", simplify=0)
    one, two = (json.loads(r.geojson.read_text(encoding="utf-8"))["features"] for r in (done, again))
    assert [f["properties"]["name"] for f in one] == [f["properties"]["name"] for f in two] == src["name"].tolist()
    assert [f["properties"]["adcode"] for f in one] == src["adcode"].tolist()
    for f in one:  # a label point inside its own district, as the wall and the simulator need
        g = shapely.from_geojson(json.dumps(f["geometry"]))
        assert g.contains(shapely.Point(f["properties"]["label_lon"], f["properties"]["label_lat"]))


def test_latitude_first_is_caught_and_swapped_on_request(tmp_path: Path) -> None:
    src = districts()
    swapped = src.set_geometry(shapely.transform(src.geometry.values, lambda xy: xy[:, ::-1]), crs="EPSG:4326")
    path = tmp_path / "swapped.geojson"
    swapped.to_file(path, engine="pyogrio")
    with pytest.raises(BadInput, match="not longitude then latitude; if the file has latitude first, add --swap-axes"):
        import_geo(path, "district", tmp_path / "out")
    assert written(tmp_path / "out") == []
    done = import_geo(path, "district", tmp_path / "out", swap_axes=True, simplify=0)
    back = gpd.read_file(done.geojson, engine="pyogrio")
    assert np.allclose(back.total_bounds, src.total_bounds, atol=1e-5)


def test_gcj02_coordinates_are_converted_to_wgs84(tmp_path: Path) -> None:
    src = districts()

    def to_gcj(xy: np.ndarray) -> np.ndarray:
        return np.array([coords.wgs84_to_gcj02(float(x), float(y)) for x, y in xy])
    gcj = src.set_geometry(shapely.transform(src.geometry.values, to_gcj), crs="EPSG:4326")
    path = tmp_path / "amap.geojson"
    gcj.to_file(path, engine="pyogrio")
    done = import_geo(path, "district", tmp_path / "out", crs="gcj02", simplify=0)
    back = gpd.read_file(done.geojson, engine="pyogrio")
    shift = np.abs(shapely.get_coordinates(back.geometry.values) - shapely.get_coordinates(src.geometry.values))
    assert shift.max() < 2e-5  # the ~500 m GCJ offset is undone to within a couple of metres (5-decimal rounding)
    assert "GCJ02 degrees (--crs gcj02), converted to WGS-84" in done.report.read_text(encoding="utf-8")


def test_overlapping_and_duplicated_districts_write_nothing_unless_forced(tmp_path: Path) -> None:
    src = districts()
    moved = src.copy()
    moved.loc[0, "geometry"] = shapely.affinity.translate(moved.geometry.iloc[0], xoff=0.01)  # 和平区 slides east
    path = tmp_path / "overlap.geojson"
    moved.to_file(path, engine="pyogrio")
    with pytest.raises(BadInput) as err:
        import_geo(path, "district", tmp_path / "out")
    assert "problem(s), nothing written" in str(err.value) and "120101 and " in str(err.value)
    assert "or --force" in str(err.value) and written(tmp_path / "out") == []
    forced = import_geo(path, "district", tmp_path / "out", force=True)
    assert "120101 and" in forced.report.read_text(encoding="utf-8")
    dup = src.copy()
    dup.loc[1, "adcode"] = dup.loc[0, "adcode"]
    (tmp_path / "dup.geojson").write_text(dup.to_json(), encoding="utf-8")
    with pytest.raises(BadInput, match=r"codes repeat in adcode: 120101 \(one feature per district"):
        import_geo(tmp_path / "dup.geojson", "district", tmp_path / "dup-out")


def test_an_invalid_polygon_is_made_valid_and_said(tmp_path: Path) -> None:
    src = districts().iloc[:2].copy()
    x0, y0, x1, y1 = src.geometry.iloc[0].bounds
    src.loc[src.index[0], "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # a bow-tie
    path = tmp_path / "bowtie.geojson"
    path.write_text(src.to_json(), encoding="utf-8")
    done = import_geo(path, "district", tmp_path / "out", force=True, simplify=0)
    assert "1 invalid made valid (Self-intersection)" in "\n".join(done.lines)
    back = gpd.read_file(done.geojson, engine="pyogrio")
    assert back.is_valid.all() and set(back.geom_type) <= {"Polygon", "MultiPolygon"}


def test_children_are_checked_against_their_parents(tmp_path: Path) -> None:
    """Tianjin's districts are no children of Guangzhou's: each is reported; of Tianjin's own, each lies in itself."""
    with pytest.raises(BadInput, match="120101 lies in no parent of guangzhou_districts.geojson"):
        import_geo(TIANJIN, "street", tmp_path / "out", parent=GEO_DIR / "guangzhou_districts.geojson",
                   code_field="adcode", name_field="name")
    done = import_geo(TIANJIN, "street", tmp_path / "out", parent=TIANJIN, code_field="adcode", name_field="name")
    fc = json.loads(done.geojson.read_text(encoding="utf-8"))
    assert [f["properties"]["parent"] for f in fc["features"]] == [f["properties"]["code"] for f in fc["features"]]


def test_the_command_line_says_what_is_wrong_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "x.shp"
    broken.write_bytes(RIVERS.read_bytes())  # no .shx, no .dbf beside it
    run = subprocess.run([sys.executable, "-m", "onboard", "import-geo", str(broken), "--level", "rivers", "--out",
                          str(tmp_path / "out"), "--crs", "EPSG:4326"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and "a Shapefile comes as several files; .shx, .dbf is missing" in run.stderr
    ok = subprocess.run([sys.executable, "-m", "onboard", "import-geo", str(TIANJIN), "--level", "district", "--out",
                         str(tmp_path / "out"), "--name", "tianjin_districts"], cwd=ROOT, capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out/tianjin_districts.geojson").is_file() and "report:" in ok.stdout


def test_number_codes_from_a_dbf_and_an_unreadable_parent(tmp_path: Path) -> None:
    src = districts()
    src["XZQDM"] = src["adcode"].astype(float)  # a DBF number field: 120101.0
    path = tmp_path / "numbers.geojson"
    src[["XZQDM", "name", "geometry"]].to_file(path, engine="pyogrio")
    done = import_geo(path, "district", tmp_path / "out", simplify=0)
    fc = json.loads(done.geojson.read_text(encoding="utf-8"))
    assert [f["properties"]["adcode"] for f in fc["features"]] == src["adcode"].tolist()
    with pytest.raises(BadInput, match="--parent .*nothing.geojson: cannot read it"):
        import_geo(TIANJIN, "street", tmp_path / "out2", parent=tmp_path / "nothing.geojson",
                   code_field="adcode", name_field="name")
