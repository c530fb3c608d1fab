"""Every component id in one place: kebab-case constants and builders for pattern-matching ids."""

from __future__ import annotations

WALL_TICK = "wall-tick"
WALL_CLOCK = "wall-clock"
WALL_DATE = "wall-date"
WALL_STATUS = "wall-status"
WALL_SIM_BADGE = "wall-sim-badge"
WALL_CONN = "wall-conn"
WALL_CONN_WATCH = "wall-conn-watch"
WALL_LAST_OK = "wall-last-ok"
WALL_LANG = "wall-lang"
WALL_MAP = "wall-map"
MAP_DISTRICTS = "map-districts"
MAP_RIVERS = "map-rivers"
MAP_STATIONS = "map-stations"
MAP_LEGEND = "map-legend"
HOME_STATUS = "home-status"
HOME_TICK = "home-tick"


def kpi_tile(feed: str) -> dict[str, str]:
    """The whole tile of a feed (its class greys it when stale)."""
    return {"type": "kpi-tile", "feed": feed}


def kpi_value(feed: str) -> dict[str, str]:
    """The headline number of a feed's tile."""
    return {"type": "kpi-value", "feed": feed}


def kpi_level(feed: str) -> dict[str, str]:
    """The level text (colour + words) under the headline number."""
    return {"type": "kpi-level", "feed": feed}


def kpi_sub(feed: str) -> dict[str, str]:
    """The secondary line of a tile."""
    return {"type": "kpi-sub", "feed": feed}


def kpi_age(feed: str) -> dict[str, str]:
    """The data-age line of a tile."""
    return {"type": "kpi-age", "feed": feed}
