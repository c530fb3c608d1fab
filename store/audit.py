"""The audit stream: logins, acknowledgements, silences and admin changes, newest last (XADD, trimmed)."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from store import keys

MAXLEN = 200_000


def record(r: redis.Redis, event: str, actor: str, **fields: Any) -> None:
    """Append one audit entry; values are stored as JSON text so nothing is lost to flattening."""
    entry = {"ts": str(int(time.time() * 1000)), "event": event, "actor": actor}
    entry.update({k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in fields.items()
                  if v is not None})
    r.xadd(keys.AUDIT, entry, maxlen=MAXLEN, approximate=True)


def read(r: redis.Redis, count: int = 200) -> list[dict[str, Any]]:
    """The newest entries first."""
    return [{"id": eid, **doc} for eid, doc in r.xrevrange(keys.AUDIT, count=count)]
