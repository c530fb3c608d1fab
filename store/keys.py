"""Every Redis key name, built in one place; a {feed} hash tag keeps a feed's keys in one cluster slot."""

from __future__ import annotations

PREFIX = "os"
EVENTS = f"{PREFIX}:events"
REJECTED = f"{PREFIX}:{{ingest}}:rejected"
ALERTS_ACTIVE = f"{PREFIX}:{{alerts}}:active"
ALERTS_LOG = f"{PREFIX}:{{alerts}}:log"
ALERTS_STATE = f"{PREFIX}:{{alerts}}:state"  # hash alert_id -> JSON engine state (pending/firing/ack/resolved)
ALERTS_VERSION = f"{PREFIX}:{{alerts}}:version"  # hash alert_id -> int, compared by the commit script (never reused)
ALERTS_SILENCES = f"{PREFIX}:{{alerts}}:silences"  # hash silence_id -> JSON {scope, reason, created_by, until_ms}


def readings(feed: str) -> str:
    """Stream of every reading of a feed (trimmed to the retention)."""
    return f"{PREFIX}:{{{feed}}}:readings"


def latest(feed: str) -> str:
    """Hash entity -> JSON of its newest normalized + derived reading."""
    return f"{PREFIX}:{{{feed}}}:latest"


def latest_ts(feed: str) -> str:
    """Hash entity -> ts of the stored latest reading, so 'newer wins' needs no JSON parsing."""
    return f"{PREFIX}:{{{feed}}}:latest_ts"


def changed(feed: str) -> str:
    """Sorted set entity -> write sequence of its latest change (plus the epoch member, negative), so a reader brings
    its copy of `latest` up to date from what changed since its last read (store.snapshot.Tracker)."""
    return f"{PREFIX}:{{{feed}}}:changed"


def health(feed: str) -> str:
    """Hash of the feed's health: last_ok_ms, last_data_ms, last_error, error_count, source."""
    return f"{PREFIX}:{{{feed}}}:health"


def open_due(feed: str = "service") -> str:
    """Sorted set of open cases scored by their due time (expected_datetime, ms); overdue = ZCOUNT -inf now."""
    return f"{PREFIX}:{{{feed}}}:open_due"


def closed(feed: str = "service") -> str:
    """Sorted set of closed cases scored by closing time (ms)."""
    return f"{PREFIX}:{{{feed}}}:closed"


def closed_late(feed: str = "service") -> str:
    """Sorted set of cases closed after their due time, scored by closing time (ms)."""
    return f"{PREFIX}:{{{feed}}}:closed_late"


def monitored(feed: str = "air") -> str:
    """Hash station -> JSON {pollutant: last ms it was reported}: what each station monitors, learnt from its data."""
    return f"{PREFIX}:{{{feed}}}:monitored"


def snapshot_cache(view: str, tick: int) -> str:
    """Cache key of one view's snapshot for one tick (shared by every worker)."""
    return f"{PREFIX}:cache:{view}:{tick}"


def seen(feed: str) -> str:
    """Sorted set of '<ts>:<entity>' already appended to the feed stream (score ts), so re-sends are idempotent."""
    return f"{PREFIX}:{{{feed}}}:seen"


def ingest_rate(client_id: str, window: int) -> str:
    """Fixed-window counter of readings pushed by one ingest client (hashed token) in one minute."""
    return f"{PREFIX}:{{ingest}}:rl:{client_id}:{window}"


def kpi(name: str) -> str:
    """Sorted set of one city KPI's per-minute samples (member '<minute ms>:<value>', score minute ms)."""
    return f"{PREFIX}:{{kpi}}:{name}"


def sim_backfilled() -> str:
    """Set once the simulator has back-filled the history before its first start (JSON: since, until, at, moments)."""
    return f"{PREFIX}:{{kpi}}:sim_backfilled"


def history(feed: str, entity_id: str, hour_ms: int) -> str:
    """Sorted set of one entity's per-minute samples in one hour (member '<minute ms>:<compact JSON>', score minute)."""
    return f"{PREFIX}:{{{feed}}}:h:{entity_id}:{hour_ms}"


USERS = f"{PREFIX}:{{auth}}:users"  # hash username -> JSON {username, pw, role, district, disabled, sv, ...}
KIOSKS = f"{PREFIX}:{{auth}}:kiosks"  # hash token id (sha256 prefix) -> JSON {name, district, created_by, ...}
API_TOKENS = f"{PREFIX}:{{auth}}:api_tokens"  # hash token id -> JSON {username, name, created_by, ...}
AUDIT = f"{PREFIX}:{{audit}}:log"  # stream of logins, acknowledgements, silences and admin changes


def auth_session(sid: str) -> str:
    """A signed-in person's session while it is open (logout deletes it; it expires with the sign-in)."""
    return f"{PREFIX}:{{auth}}:session:{sid}"


def auth_rate(kind: str, client_id: str, window: int) -> str:
    """Fixed-window counter of attempts (e.g. logins) by one client in one window."""
    return f"{PREFIX}:{{auth}}:rl:{kind}:{client_id}:{window}"


def history_compacted(feed: str) -> str:
    """The last hour (epoch ms) whose history store.history.compact has thinned, per feed."""
    return f"{PREFIX}:{{{feed}}}:h_compacted"


def district_key(base: str, adcode: str) -> str:
    """A per-district copy of a case index (os:{service}:open_due:440111): same {feed} hash tag, same slot."""
    return f"{base}:{adcode}"


def case_districts(feed: str = "service") -> str:
    """Hash case id -> the district its per-district index entries are filed under (to move or drop them)."""
    return f"{PREFIX}:{{{feed}}}:case_district"


def open_points(feed: str = "service") -> str:
    """Hash open case id -> "lon,lat,due_ms,adcode" (core.case_points): what the case layer draws, without the
    documents."""
    return f"{PREFIX}:{{{feed}}}:open_points"


def open_points_changed(feed: str = "service") -> str:
    """open_points' change log (as changed() is the feed's): a reader's copy of the case layer follows what changed."""
    return f"{PREFIX}:{{{feed}}}:open_points_changed"


def open_points_ready(feed: str = "service") -> str:
    """Set once open_points has been filled from the cases stored before it existed."""
    return f"{PREFIX}:{{{feed}}}:open_points_ready"


def district_index_ready(feed: str = "service") -> str:
    """Marker: the per-district case indexes were backfilled from the cases already stored (once per database)."""
    return f"{PREFIX}:{{{feed}}}:district_index"


# The closed loop's live layer (store/loop.py): what the screens count per tick, kept from the case records.
LOOP_STATES = f"{PREFIX}:{{loop}}:states"  # hash state -> cases in it (per district: district_key(LOOP_STATES, ad))
LOOP_DUE = f"{PREFIX}:{{loop}}:due"  # zset open case id -> due ms (once dispatched; a returned case keeps its clock)
LOOP_CLOSED = f"{PREFIX}:{{loop}}:closed"  # zset case id -> closed ms
LOOP_LATE = f"{PREFIX}:{{loop}}:late"  # zset case id -> closed ms, of those closed after their due time
LOOP_BUILT = f"{PREFIX}:{{loop}}:built"  # the last rebuild from the records (a lock while it runs)
LOOP_CASES = f"{PREFIX}:{{loop}}:cases"  # hash case id -> what the layer counted of it (state, district, due, version)
LOOP_URGENT = f"{PREFIX}:{{loop}}:urgent"  # zset open urgent case id -> when it was dispatched (urgent)
LOOP_FINAL = f"{PREFIX}:{{loop}}:final"  # zset case id -> when it became final (its entry above is dropped later)

ADMIN_LOCK = f"{USERS}:admin-lock"  # serialises user changes, so two admins cannot demote the last two admins at once
