"""The start page's feed table shows each source's own health: last success, errors in a row, latency, last error."""

from __future__ import annotations

from typing import Any

from layouts.overview import status_table

NOW = 1_795_285_200_000


def texts(node: Any) -> list[str]:
    """Every string in a Dash component tree, depth first."""
    if isinstance(node, str):
        return [node]
    children = getattr(node, "children", None)
    if children is None:
        return []
    if not isinstance(children, list | tuple):
        children = [children]
    return [t for c in children for t in texts(c)]


SUMMARY = {"status": {"air": {"state": "stale", "age_s": 700.0, "source": "openaq", "error": "HTTP 500"},
                      "water": {"state": "ok", "age_s": 3.0, "source": "ingest"}}}


def test_health_columns() -> None:
    health = {"air": {"last_ok_ms": str(NOW - 600_000), "consecutive_errors": "3", "last_latency_ms": "1234.5",
                      "last_error": "3/3 stations failed: HTTP 500 from /v3/locations/8118/latest: upstream " * 3},
              "water": {"last_ok_ms": str(NOW - 3_000), "consecutive_errors": "0", "last_error": ""}}
    table = status_table(SUMMARY, "en", health, NOW)
    words = texts(table)
    assert words[:7] == ["Feed", "Source", "Data age", "Last success", "Errors in a row", "Last latency", "Last error"]
    assert "openaq" in words and "10 min ago" in words and "3" in words and "1,234 ms" in words
    assert any(w.startswith("3/3 stations failed") and w.endswith("…") for w in words)
    assert "ingest" in words and "0" in words and "—" in words  # no latency recorded, no error


def test_without_health_the_table_still_renders() -> None:
    words = texts(status_table(SUMMARY, "zh"))
    assert words[:3] == ["数据源", "来源", "数据时效"] and "openaq" in words


def test_store_down() -> None:
    assert status_table(None, "en", None, NOW).children


def test_rejection_reasons_are_for_the_whole_city_only() -> None:
    # the reasons name entities of any district: a district-scoped caller sees the counts, not the reasons
    health = {"air": {"rejected": "2", "flagged": "1", "last_rejected": "case GZ-9 (Tianhe): lat 100 outside",
                      "last_flag": "station 1355A far outside"}}
    city = texts(status_table(SUMMARY, "en", health, NOW))
    district = texts(status_table(SUMMARY, "en", health, NOW, reasons=False))
    assert any("GZ-9" in w for w in city) and not any("GZ-9" in w or "1355A" in w for w in district)
    assert any(w.startswith("2 · 0 · 1") for w in district)
