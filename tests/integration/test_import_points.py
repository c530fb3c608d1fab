"""Onboarding a city's point lists (issue #16, onboard/points_import.py): the real national station list (Chinese
headers, a station with no position, other cities' stations) into the Tianjin profile, an Excel sheet with English
headers in GCJ-02, a GBK component census with category names, and every kind of bad row reported with its line
number; nothing written while a row is bad, unless asked to leave the bad ones out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from config.settings import ROOT, load_city
from core import coords
from core.geo import in_district
from onboard.points_import import BadPoints, import_points

pytestmark = pytest.mark.integration
STATIONS = ROOT / "tests/fixtures/real/cnemc/national_aq_stations_4cities.csv"
TIANJIN = load_city("tianjin")


def test_the_national_list_into_tianjin_reports_every_bad_row_by_line_and_writes_nothing(tmp_path: Path) -> None:
    rows = pd.read_csv(STATIONS, dtype=str, keep_default_na=False)
    with pytest.raises(BadPoints) as err:
        import_points(STATIONS, "stations", tmp_path / "out", city=TIANJIN)
    assert not (tmp_path / "out").exists()
    others = int((rows["城市"] != "天津").sum())
    assert f"{others} bad row(s), nothing written" in str(err.value)  # every other city's, 1347A (no position) too
    assert str(err.value).index("line 17: 1036A") < str(err.value).index("line 18: 1037A")  # in line order
    done = import_points(STATIONS, "stations", tmp_path / "out", city=TIANJIN, skip_bad=True)
    report = done.report.read_text(encoding="utf-8")
    line = 2 + int(np.flatnonzero(rows["监测点编码"] == "1347A")[0])
    assert f"line {line}: 1347A has no position (经度 '', 纬度 '')" in report
    assert "lies outside every district of 天津市" in report
    fc = json.loads(done.geojson.read_text(encoding="utf-8"))
    tianjin = rows[rows["城市"] == "天津"]
    assert [f["id"] for f in fc["features"]] == tianjin["监测点编码"].tolist()
    for f in fc["features"]:  # each in the district it says
        lon, lat = f["geometry"]["coordinates"]
        assert in_district(np.array([lon]), np.array([lat]), TIANJIN["geo"]["districts"],
                           f["properties"]["district_adcode"]).tolist() == [True]
        assert f["properties"]["district"].endswith("区")


def test_an_excel_sheet_with_english_headers_in_gcj02(tmp_path: Path) -> None:
    rows = pd.read_csv(STATIONS, dtype=str, keep_default_na=False)
    rows = rows[(rows["城市"] == "唐山") & (rows["经度"] != "")]
    gcj = [coords.wgs84_to_gcj02(float(x), float(y)) for x, y in zip(rows["经度"], rows["纬度"], strict=True)]
    sheet = pd.DataFrame({"Station Code": rows["监测点编码"], "Name": rows["监测点名称"],
                          "Longitude": [f"{x:.6f}" for x, _ in gcj], "Latitude": [f"{y:.6f}" for _, y in gcj]})
    path = tmp_path / "tangshan.xlsx"
    sheet.to_excel(path, index=False, engine="openpyxl")
    done = import_points(path, "stations", tmp_path / "out", city=load_city("tangshan"), datum="gcj02")
    fc = json.loads(done.geojson.read_text(encoding="utf-8"))
    got = np.array([f["geometry"]["coordinates"] for f in fc["features"]])
    want = rows[["经度", "纬度"]].astype(float).to_numpy()
    assert np.abs(got - want).max() < 2e-5  # the GCJ-02 offset undone
    assert "columns: id ← 'Station Code', name ← 'Name', lon ← 'Longitude', lat ← 'Latitude'" in done.lines[1]


def test_a_gbk_component_census_with_category_names_and_every_kind_of_bad_row(tmp_path: Path) -> None:
    rows = [("部件标识码", "部件类型", "经度", "纬度"),
            ("BJ-001", "上水井盖", "117.2001", "39.1201"),  # by name
            ("BJ-002", "0102", "117.2002", "39.1202"),  # by code
            ("BJ-003", "飞碟", "117.2003", "39.1203"),  # no such category
            ("BJ-001", "0101", "117.2004", "39.1204"),  # the same id again
            ("BJ-005", "0101", "39.1205", "117.2005"),  # swapped
            ("BJ-006", "0101", "abc", "39.1206"),  # not a number
            ("BJ-007", "0101", "117.2007", "95"),  # not a latitude
            ("", "0101", "117.2008", "39.1208"),  # no id
            ("BJ-009", "0101", "113.3", "23.1")]  # in Guangzhou, not Tianjin
    path = tmp_path / "部件普查.csv"
    path.write_bytes("\n".join(",".join(r) for r in rows).encode("gbk") + b"\n")
    with pytest.raises(BadPoints) as err:
        import_points(path, "components", tmp_path / "out", city=TIANJIN)
    says = str(err.value)
    assert "7 bad row(s), nothing written" in says
    done = import_points(path, "components", tmp_path / "out", city=TIANJIN, skip_bad=True)
    report = done.report.read_text(encoding="utf-8")
    for line, text in ((4, "BJ-003: category '飞碟' is none of GB/T 30428.2's"),
                       (5, "部件标识码 BJ-001 again (first on line 2)"),
                       (6, "BJ-005: longitude 39.1205 and latitude 117.2005 look swapped"),
                       (7, "BJ-006 has no position (经度 'abc'"), (8, "BJ-007 at (117.2007, 95.0) is not longitude"),
                       (9, "no 部件标识码"), (10, "BJ-009 at (113.3, 23.1) lies outside every district of 天津市")):
        assert f"line {line}: {text}" in report, (line, report)
    fc = json.loads(done.geojson.read_text(encoding="utf-8"))
    assert [(f["id"], f["properties"]["category"]) for f in fc["features"]] == [("BJ-001", "0101"),
                                                                                ("BJ-002", "0102")]


def test_a_column_the_importer_does_not_know_is_named_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text("cam,label,E,N\nC1,东门,117.2,39.12\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "onboard", "import-points", str(path), "--kind", "cameras", "--out",
           str(tmp_path / "out"), "--city", "tianjin"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "no column for id, name, lon, lat among cam, label, E, N" in run.stderr
    assert "--column id=<header>" in run.stderr
    ok = subprocess.run([*cmd, "--column", "id=cam", "--column", "name=label", "--column", "lon=E",
                         "--column", "lat=N"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    fc = json.loads((tmp_path / "out/cameras.geojson").read_text(encoding="utf-8"))
    assert fc["features"][0]["properties"] == {"id": "C1", "name": "东门", "district_adcode": "120101",
                                               "district": "和平区"}


def test_a_row_refused_for_its_position_does_not_claim_its_id_and_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text("编码,名称,经度,纬度\nS1,东,abc,39.12\nS1,东,117.2,39.12\n", encoding="utf-8")
    done = import_points(path, "stations", tmp_path / "out", city=TIANJIN, skip_bad=True)
    assert done.bad == ["line 2: S1 has no position (经度 'abc', 纬度 '39.12')"]
    assert [f["id"] for f in json.loads(done.geojson.read_text(encoding="utf-8"))["features"]] == ["S1"]
    empty = tmp_path / "empty.csv"
    empty.write_text("编码,名称,经度,纬度\n", encoding="utf-8")
    with pytest.raises(BadPoints, match="no rows under the header"):
        import_points(empty, "stations", tmp_path / "out2")
