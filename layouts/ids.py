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
WALL_ALERT_COUNTS = "wall-alert-counts"
WALL_ALERT_ITEMS = "wall-alert-items"
WALL_TAKEOVER = "wall-takeover"
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

# The one map (analyst view)
AM_MAP = "am-map"
AM_LAYERS = "am-layers"
AM_VALUES = "am-values"
AM_TICK = "am-tick"
AM_FURN_SENT = "am-furn-sent"
AM_CATS = "am-cats"
AM_ONLY_BAD = "am-only-bad"
AM_CHORO = "am-choro"
AM_META = "am-meta"
AM_URL_SYNC = "am-url-sync"
AM_APPLIED = "am-applied"
AM_VIEW = "am-view"
AM_CHORO_LEGEND_TITLE = "am-choro-legend-title"


def map_layer(layer: str) -> str:
    """Id of one layer of the one map (e.g. 'am-layer-air')."""
    return f"am-layer-{layer}"


def map_legend(layer: str) -> str:
    """Id of one layer's legend block."""
    return f"am-legend-{layer}"

# Alert console
AC_TICK = "ac-tick"
AC_STATE = "ac-state"
AC_LEVELS = "ac-levels"
AC_SEARCH = "ac-search"
AC_OPERATOR = "ac-operator"
AC_TABLE = "ac-table"
AC_SELECTED = "ac-selected"
AC_DETAIL = "ac-detail"
AC_COMMENT = "ac-comment"
AC_ACK = "ac-ack"
AC_SIL_HOURS = "ac-sil-hours"
AC_SIL_REASON = "ac-sil-reason"
AC_SILENCE = "ac-silence"
AC_MSG = "ac-msg"
AC_REFRESH = "ac-refresh"
AC_HISTORY = "ac-history"


def alert_row(alert_id: str) -> dict[str, str]:
    """One clickable row of the alert console."""
    return {"type": "alert-row", "id": alert_id}
