"""The house reads one way: no top-level package imports one on a higher floor (ARCHITECTURE.md, scripts/floors.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("floors", ROOT / "scripts" / "floors.py")
floors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(floors)  # type: ignore[union-attr]


def test_every_top_level_package_has_a_floor() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"}
    assert packages | {"app"} <= set(floors.FLOORS)


def test_no_import_climbs() -> None:
    assert floors.climbing(floors.edges()) == {}


def test_the_check_sees_a_climbing_import(tmp_path: Path) -> None:
    for pkg, text in (("store", "from views import wall\n"), ("views", "")):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
        (tmp_path / pkg / "x.py").write_text(text)
    assert list(floors.climbing(floors.edges(tmp_path))) == [("store", "views")]
