"""What callbacks need from the running app (settings, city, Redis, cache), set once by create_app."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import redis
from flask_caching import Cache

from auth.principal import current, current_scope
from core import summary as summary_mod
from store import keys, snapshot
from store.client import UNAVAILABLE


@dataclass
class Context:
    """The app's shared, read-mostly state; the web tier keeps nothing else, so any number of workers can serve."""

    settings: Any
    city: dict[str, Any]
    feeds: dict[str, dict[str, Any]]
    redis: redis.Redis
    cache: Cache
    traffic_cfg: Any = None
    config_version: str = ""
    rules: Any = None  # data_sources.pipeline.Rules of the city (ingest and notify screen and derive with it)
    _memo: dict[str, tuple[int, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def tick_of(self, now_ms: int) -> int:
        """The tick a moment belongs to: everything computed once per tick is keyed by it."""
        return now_ms // self.settings.tick_ms

    def summary(self, now_ms: int, scope: str | None = None) -> dict[str, Any] | None:
        """This tick's summary of the city (or of one district's scope): process memo, then the shared Redis cache,
        then one snapshot read; each scope has its own memo and cache entry ('summary', 'summary:440111')."""
        tick = self.tick_of(now_ms)
        name = "summary" if scope is None else f"summary:{scope}"
        hit = self._memo.get(name)
        if hit and hit[0] == tick:
            return hit[1]
        key = keys.snapshot_cache(name, tick)
        try:
            value = self.cache.get(key)
            if value is None:
                raw = snapshot.read(self.redis, now_ms, scope)
                value = summary_mod.build(raw, now_ms, self.feeds, self.traffic_cfg)
                self.cache.set(key, value, timeout=max(5, 3 * self.settings.tick_ms // 1000))
        except UNAVAILABLE:
            return None
        with self._lock:
            self._memo[name] = (tick, value)
        return value

    def open_cases(self, tick: int, scope: str | None = None) -> list[dict[str, Any]]:
        """This tick's open cases (of the scope's district only, read from its own index), once per process."""
        if scope is None:
            return self.memo("open-cases", tick, lambda: snapshot.read_open_cases(self.redis))
        return self.memo(f"open-cases:{scope}", tick, lambda: snapshot.read_open_cases(self.redis, scope))

    def memo(self, name: str, tick: int, build: Any) -> Any:
        """Compute a per-tick value once per process (e.g. one view's response for one language)."""
        hit = self._memo.get(name)
        if hit and hit[0] == tick:
            return hit[1]
        value = build()
        with self._lock:
            self._memo[name] = (tick, value)
        return value


_ctx: Context | None = None


def init(ctx: Context) -> None:
    """Install the context (create_app calls this once per process)."""
    global _ctx
    _ctx = ctx


def get() -> Context:
    """The installed context; a clear error if the app was not created."""
    if _ctx is None:
        raise RuntimeError("callbacks used before app.create_app()")
    return _ctx


def now_ms() -> int:
    """Wall-clock now in epoch ms (the one place callbacks read the clock)."""
    return int(time.time() * 1000)


def scope() -> str | None:
    """The caller's district scope (None = the whole city); fails closed inside a request nobody authenticated."""
    return current_scope()


def operator() -> str:
    """Who is acting (acknowledge, silence): the signed-in user, never a name the browser or the body sends."""
    p = current()
    if p is None:
        raise PermissionError("no authenticated caller for this request")
    return p.name
