"""Redis connections that survive a server restart: retries with backoff, short timeouts, health checks."""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionRefusedError, OSError)


def connect(url: str, *, retries: int = 2) -> redis.Redis:
    """A client that reconnects by itself; a dead server fails fast (about a second) instead of hanging a tick."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=2.0,
        socket_connect_timeout=1.0,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
