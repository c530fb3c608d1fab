"""A 24-hour sparkline as a tiny inline SVG (data URI): no figure object, no plotting library, ~1 KB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo


def svg(points: Sequence[tuple[int, float]], since_ms: int, until_ms: int, *, width: int = 300, height: int = 60,
        color: str = "#49c6ff", bands: Sequence[tuple[float, str]] = ()) -> str:
    """Polyline of (ms, value) over [since, until]; gaps over 10 minutes break the line; optional threshold lines.
    When the history starts after `since`, the span before it is shaded (no data there, not a flat line)."""
    if not points or until_ms <= since_ms:
        return ""
    values = [v for _, v in points]  # thresholds do not stretch the scale; they show when within it
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = 4

    def xy(ts: int, v: float) -> str:
        x = pad + (ts - since_ms) / (until_ms - since_ms) * (width - 2 * pad)
        y = height - pad - (v - lo) / (hi - lo) * (height - 2 * pad)
        return f"{x:.1f},{y:.1f}"

    runs: list[list[str]] = [[]]
    last = None
    for ts, v in points:
        if last is not None and ts - last > 10 * 60_000:
            runs.append([])
        runs[-1].append(xy(ts, v))
        last = ts
    lines = "".join(f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" stroke-width="2.5" '
                    f'stroke-linejoin="round"/>' for run in runs if len(run) > 1)
    dots = "".join(f'<circle cx="{run[0].split(",")[0]}" cy="{run[0].split(",")[1]}" r="2" fill="{color}"/>'
                   for run in runs if len(run) == 1)
    guides = "".join(f'<line x1="0" x2="{width}" y1="{xy(since_ms, b).split(",")[1]}" '
                     f'y2="{xy(since_ms, b).split(",")[1]}" stroke="{c}" stroke-dasharray="4 4" stroke-width="1"/>'
                     for b, c in bands if lo <= b <= hi)
    start = float(xy(points[0][0], lo).split(",")[0])
    before = (f'<rect x="0" y="0" width="{start:.1f}" height="{height}" fill="#8a97ab" fill-opacity="0.12"/>'
              f'<line x1="{start:.1f}" x2="{start:.1f}" y1="0" y2="{height}" stroke="#8a97ab" stroke-dasharray="3 3" '
              f'stroke-width="1"/>') if starts_late(points, since_ms, until_ms) else ""
    body = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" preserveAspectRatio="none">'
            f"{before}{guides}{lines}{dots}</svg>")
    return "data:image/svg+xml;utf8," + quote(body, safe=" =:,/\"'<>")


def starts_late(points: Sequence[tuple[int, float]], since_ms: int, until_ms: int) -> bool:
    """Whether the history begins visibly after the chart's start (more than 2 % of its span: half an hour of a day)."""
    return bool(points) and points[0][0] - since_ms > 0.02 * (until_ms - since_ms)


def history_start(first_ms: int | None, since_ms: int, until_ms: int, tz: str) -> str | None:
    """When the history (its first sample ever, `first_ms`) begins within the chart: that minute, '14:32' (with the
    date, '12-06 14:32', when it is not the day of `until`), else None. A gap inside a longer history is no start."""
    if first_ms is None or not starts_late([(first_ms, 0.0)], since_ms, until_ms):
        return None
    zone = ZoneInfo(tz)
    at, now = datetime.fromtimestamp(first_ms / 1000, zone), datetime.fromtimestamp(until_ms / 1000, zone)
    return at.strftime("%H:%M" if at.date() == now.date() else "%m-%d %H:%M")


def note(text: str, *, width: int = 300, height: int = 60) -> str:
    """A placeholder with a short text, for a KPI without history (never a flat line that looks like data)."""
    from html import escape

    body = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">'
            f'<text x="0" y="{height * 0.65:.0f}" font-size="{height * 0.4:.0f}" fill="#8a97ab" '
            f'font-family="sans-serif">{escape(text)}</text></svg>')
    return "data:image/svg+xml;utf8," + quote(body, safe=" =:,/\"'<>")


def change(points: Sequence[tuple[int, float]], now_ms: int, ago_ms: int = 24 * 3600 * 1000,
           window_ms: int = 30 * 60_000) -> tuple[float, float] | None:
    """(now value, value at the same time `ago` earlier) when both exist within a window, else None."""
    if not points:
        return None
    latest_ts, latest = points[-1]
    if now_ms - latest_ts > window_ms:
        return None
    target = now_ms - ago_ms
    best = min(points, key=lambda p: abs(p[0] - target))
    if abs(best[0] - target) > window_ms:
        return None
    return latest, best[1]
