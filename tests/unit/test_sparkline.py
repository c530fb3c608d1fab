"""Sparklines and day-over-day change: pure, with injected times."""

from __future__ import annotations

from urllib.parse import unquote

from views.sparkline import change, svg

H = 3600 * 1000
NOW = 1_790_000_000_000


def test_svg_draws_one_line_per_run_and_breaks_on_gaps() -> None:
    pts = [(NOW - 3 * H + i * 60_000, 50.0 + i) for i in range(30)] + [(NOW - H + i * 60_000, 80.0) for i in range(5)]
    body = unquote(svg(pts, NOW - 24 * H, NOW, bands=[(100.0, "#FF7E00")]))
    assert body.startswith("data:image/svg+xml;utf8,<svg") and body.count("<polyline") == 2
    assert "stroke-dasharray" not in body  # the 100 band lies above every value: not drawn


def test_svg_is_empty_without_points() -> None:
    assert svg([], NOW - H, NOW) == ""


def test_change_against_same_time_yesterday() -> None:
    pts = [(NOW - 24 * H + 60_000, 40.0), (NOW - 60_000, 55.0)]
    assert change(pts, NOW) == (55.0, 40.0)
    assert change([(NOW - 60_000, 55.0)], NOW) is None  # no sample a day ago
    assert change([(NOW - 24 * H, 40.0), (NOW - 2 * H, 55.0)], NOW) is None  # current value too old
