"""Every component id in one place: kebab-case constants and builders for pattern-matching ids."""

from __future__ import annotations

WALL_TICK = "wall-tick"
WALL_CLOCK = "wall-clock"
WALL_DATE = "wall-date"
WALL_STATUS = "wall-status"
WALL_SIM_BADGE = "wall-sim-badge"
WALL_LOOP = "wall-loop"  # the closed loop's panel under the map (flashes while a new urgent case is open)
WALL_LOOP_URGENT = "wall-loop-urgent"
WALL_LOOP_RATE = "wall-loop-rate"
WALL_LOOP_SLOW = "wall-loop-slow"
WALL_CONN = "wall-conn"
WALL_CONN_WATCH = "wall-conn-watch"
WALL_LAST_OK = "wall-last-ok"
WALL_LANG = "wall-lang"
WALL_ALERT_COUNTS = "wall-alert-counts"
WALL_ALERT_ITEMS = "wall-alert-items"
WALL_RAIL_PAGE = "wall-rail-page"
WALL_TAKEOVER = "wall-takeover"
WALL_THEME = "wall-theme"
WALL_PIN = "wall-pin"
WALL_VIEW = "wall-view"
WALL_MAP_VALUES = "wall-map-values"
WALL_MAP_VER = "wall-map-ver"  # the version of the entity values the wall map holds (views.delta)
WALL_CASES = "wall-cases"
WALL_SLOW_TICK = "wall-slow-tick"
WALL_RELOAD = "wall-reload"
WALL_MAP = "wall-map"
MAP_DISTRICTS = "map-districts"
MAP_RIVERS = "map-rivers"
MAP_STATIONS = "map-stations"
MAP_LEGEND = "map-legend"


def loop_step(step: str) -> str:
    """The count of one step of the loop on the wall's loop panel (views.wall.LOOP_STEPS)."""
    return f"wall-loop-{step.replace('_', '-')}"


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


def kpi_spark(feed: str) -> dict[str, str]:
    """The 24 h sparkline image of a panel."""
    return {"type": "kpi-spark", "feed": feed}


def kpi_spark_label(feed: str) -> dict[str, str]:
    """The words beside a panel's sparkline ('24 h trend', and where its history starts when that is later)."""
    return {"type": "kpi-spark-label", "feed": feed}


def kpi_top(feed: str) -> dict[str, str]:
    """The worst-three list of a panel."""
    return {"type": "kpi-top", "feed": feed}


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
AM_VER = "am-ver"  # the version of the entity values the one map holds (views.delta)
AM_VIEW = "am-view"
AM_CHORO_LEGEND_TITLE = "am-choro-legend-title"


def map_layer(layer: str) -> str:
    """Id of one layer of the one map (e.g. 'am-layer-air')."""
    return f"am-layer-{layer}"


def map_legend(layer: str) -> str:
    """Id of one layer's legend block."""
    return f"am-legend-{layer}"

# Alert console
WALL_INSET = "wall-inset"
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
AC_SEEN = "ac-seen"
AC_LIVE = "ac-live"


def alert_row(alert_id: str) -> dict[str, str]:
    """One clickable row of the alert console."""
    return {"type": "alert-row", "id": alert_id}

# Case console (/cases, the closed loop)
CS_TICK = "cs-tick"
CS_VIEW = "cs-view"
CS_PHOTO = "cs-photo"
CS_PHOTO_NAME = "cs-photo-name"
CS_R_PHOTO = "cs-r-photo"
CS_R_COMP = "cs-r-comp"  # the component a report is about (opened from its map popup)
CS_R_PHOTO_NAME = "cs-r-photo-name"
CS_TABLE = "cs-table"
CS_SEEN = "cs-seen"
CS_LIVE = "cs-live"
CS_SELECTED = "cs-selected"
CS_DETAIL = "cs-detail"
CS_TRAIL = "cs-trail"
CS_ACTION = "cs-action"
CS_DEPT = "cs-dept"
CS_INTO = "cs-into"
CS_URGENT = "cs-urgent"
CS_COMMENT = "cs-comment"
CS_DO = "cs-do"
CS_MSG = "cs-msg"
CS_REFRESH = "cs-refresh"
CS_LANG = "cs-lang"
CS_R_CAT = "cs-r-cat"
CS_R_LON = "cs-r-lon"
CS_R_LAT = "cs-r-lat"
CS_R_GPS = "cs-r-gps"
CS_R_DESC = "cs-r-desc"
CS_R_SEND = "cs-r-send"
CS_R_MSG = "cs-r-msg"
CS_R_DONE = "cs-r-done"  # bumped by each report, so the queue shows it at once
CS_DEPT_FILTER = "cs-dept-filter"  # the console opened for one department (?department=, from the overview)
CS_OV_DEPTS = "cs-ov-depts"  # the overview's department ranking (a cases.read callback: the "cs-" prefix)
CS_OV_TICK = "cs-ov-tick"
CS_OV_LATE = "cs-ov-late"  # the overview's longest overdue cases
CS_OV_MSG = "cs-ov-msg"  # what a press (督办) did: a cases.act callback (auth/policy.py)
CS_OV_BUMP = "cs-ov-bump"


def case_press(case_id: str) -> dict[str, str]:
    """The overview's 督办 button of one case."""
    return {"type": "cs-ov-press", "id": case_id}


def case_row(case_id: str) -> dict[str, str]:
    """One clickable row of the case console."""
    return {"type": "case-row", "id": case_id}


# Leader overview (the start page)
OV_TICK = "ov-tick"
OV_LANG = "ov-lang"
OV_SORT = "ov-sort-state"
OV_SPARK_KEY = "ov-spark-key"
OV_LAST_OK = "ov-last-ok"
OV_CONN = "ov-conn"
OV_CONN_WATCH = "ov-conn-watch"
OV_CLOCK = "ov-clock"
OV_STATUS = "ov-status"
OV_SIM_BADGE = "ov-sim-badge"
OV_RANK_BODY = "ov-rank-body"
OV_SORT_NOTE = "ov-sort-note"
OV_ALERT_COUNTS = "ov-alert-counts"
OV_UNACKED_TITLE = "ov-unacked-title"
OV_UNACKED = "ov-unacked"
OV_ATTENTION = "ov-attention"
OV_FEEDS = "ov-feeds"
OV_FEEDS_SECTION = "ov-feeds-section"


def ov_card(kpi: str, part: str = "card") -> dict[str, str]:
    """One part of an overview indicator card (card, value, level, change, spark, sub, age)."""
    return {"type": f"ov-{part}", "kpi": kpi}


def ov_sort(col: str) -> dict[str, str]:
    """The sort button in one column header of the district ranking."""
    return {"type": "ov-sort", "col": col}

# Analyst workbench on the one map: filters, side panel, compare, CSV, replay
AM_DISTRICT = "am-district"
AM_MINLEVEL = "am-minlevel"
AM_FILTER_SYNC = "am-filter-sync"
AM_SELECTED = "am-selected"
AM_CMP = "am-cmp"
AM_CMP_ADD = "am-cmp-add"
AM_CMP_CLEAR = "am-cmp-clear"
AM_CMP_MSG = "am-cmp-msg"
AM_CMP_CHIPS = "am-cmp-chips"
AM_RANGE = "am-range"
AM_ITEM = "am-item"
AM_ITEM_WRAP = "am-item-wrap"
AM_PANEL = "am-panel"
AM_PANEL_TITLE = "am-panel-title"
AM_PANEL_ROWS = "am-panel-rows"
AM_PANEL_NOTE = "am-panel-note"
AM_PANEL_CLOSE = "am-panel-close"
AM_PANEL_TOGGLE = "am-panel-toggle"
AM_PANEL_TICK = "am-panel-tick"
AM_PANEL_OPEN = "am-panel-open"
AM_PANEL_POKE = "am-panel-poke"  # the map tick that changed the selected entity: the panel refreshes with it
AM_PANEL_HEAD = "am-panel-head"  # the panel's headline rows: the selected entity's map popup shows the same
AM_PANEL_HEAD_SHOWN = "am-panel-head-shown"
AM_CHART = "am-chart"
AM_CHART_WRAP = "am-chart-wrap"
AM_CSV = "am-csv"
AM_DOWNLOAD = "am-download"
AM_AT = "am-at"
AM_SLIDER = "am-slider"
AM_LIVE = "am-live"
AM_MODE = "am-mode"
AM_REPLAY_NOTE = "am-replay-note"
AM_HISTORY_FROM = "am-history-from"
AM_STATE_SYNC = "am-state-sync"


def cmp_remove(key: str) -> dict[str, str]:
    """The remove button of one compared entity ('air:1345A')."""
    return {"type": "am-cmp-remove", "key": key}
OV_RANK_DATA = "ov-rank-data"
AM_BODY = "am-body"
AM_SEL_SYNC = "am-sel-sync"
AM_SLIDER_LABEL = "am-slider-label"
