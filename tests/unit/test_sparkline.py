"""Sparklines and day-over-day change: pure, with injected times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

from views.sparkline import change, history_start, svg

H = 3600 * 1000
NOW = 1_790_000_000_000


def test_svg_draws_one_line_per_run_and_breaks_on_gaps() -> None:
    pts = [(NOW - 3 * H + i * 60_000, 50.0 + i) for i in range(30)] + [(NOW - H + i * 60_000, 80.0) for i in range(5)]
    body = unquote(svg(pts, NOW - 24 * H, NOW, bands=[(100.0, "#FF7E00")]))
    assert body.startswith("data:image/svg+xml;utf8,<svg") and body.count("<polyline") == 2
    assert 'stroke="#FF7E00"' not in body  # the 100 band lies above every value: not drawn


def test_a_history_that_starts_late_is_shaded_up_to_its_start_and_says_when() -> None:
    late = [(NOW - 3 * H + i * 60_000, 50.0 + i % 7) for i in range(180)]
    body = unquote(svg(late, NOW - 24 * H, NOW))
    shade = re.search(r'<rect x="0" y="0" width="([0-9.]+)"', body)
    assert shade and abs(float(shade.group(1)) - (4 + 21 / 24 * 292)) < 0.2  # up to the first point's x
    full = [(NOW - 24 * H + i * 600_000, 50.0) for i in range(144)]
    assert "<rect" not in unquote(svg(full, NOW - 24 * H, NOW))  # a whole day: nothing shaded
    assert history_start(full[0][0], NOW - 24 * H, NOW, "UTC") is None
    assert history_start(late[0][0], NOW - 24 * H, NOW, "UTC") == _utc(NOW - 3 * H, "%H:%M")
    assert history_start(NOW - 30 * H, NOW - 24 * H, NOW, "UTC") is None  # a gap at the start of the day: no start
    assert history_start(None, NOW - 24 * H, NOW, "UTC") is None
    # a 7-day chart whose history starts on another day: the date too
    assert history_start(NOW - 30 * H, NOW - 7 * 24 * H, NOW, "UTC") == _utc(NOW - 30 * H, "%m-%d %H:%M")


def _utc(ms: int, fmt: str) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime(fmt)


def test_svg_is_empty_without_points() -> None:
    assert svg([], NOW - H, NOW) == ""


def test_change_against_same_time_yesterday() -> None:
    pts = [(NOW - 24 * H + 60_000, 40.0), (NOW - 60_000, 55.0)]
    assert change(pts, NOW) == (55.0, 40.0)
    assert change([(NOW - 60_000, 55.0)], NOW) is None  # no sample a day ago
    assert change([(NOW - 24 * H, 40.0), (NOW - 2 * H, 55.0)], NOW) is None  # current value too old


def test_the_wall_says_where_a_short_history_starts_beside_its_sparkline() -> None:
    from views.wall_panels import SPARK, sparklines

    kpi_of = {panel: spec[0] for panel, spec in SPARK.items()}
    series = {kpi_of["air"]: [(NOW - 2 * H, 50.0), (NOW - H, 60.0)],
              kpi_of["traffic"]: [(NOW - 24 * H + i * 600_000, 3.0) for i in range(144)]}
    got = sparklines(series, NOW, "en", "UTC")
    assert got["air"][1] == "24 h trend\nsince " + _utc(NOW - 2 * H, "%H:%M")
    older = sparklines(series, NOW, "en", "UTC", firsts={kpi_of["air"]: NOW - 5 * 24 * H})  # a gap, not a start
    assert older["air"][1] == "24 h trend"
    assert got["traffic"][1] == "24 h trend"  # a whole day: no note
    assert "no history yet" in unquote(got["water"][0]) and got["water"][1] == "24 h trend"
    assert sparklines(series, NOW, "zh", "UTC")["air"][1] == "24小时趋势\n" + _utc(NOW - 2 * H, "%H:%M") + " 起"
