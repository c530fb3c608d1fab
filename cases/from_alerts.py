"""OneScreen's own sensors open cases (issue #15: the platform as a channel of 信息采集). An alert whose rule has
`case:` (config/alerts.yaml) and that has stayed active — firing or acknowledged, not silenced, its value not stale —
for the rule's after_s (counted from its firing, or, with `level`, from when the measured value reached that level:
a level raised because nobody acknowledged does not count), opens one event case on the alert channel: where the
entity is, in its district, saying what the alert saw. The dispatch table (config/case_rules.yaml) then names the
department, as for any event. (An alert silenced past after_s opens its case when the silence ends.)

One case per firing: the case's id comes from the alert's id and the moment it fired, so any number of runners
open it once, and an alert that resolves and fires again later opens a new one."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Mapping
from typing import Any

import redis

from alerts.rules import OpenCase, RuleSet
from core.alerts import is_active
from store import alerts as alert_store
from store import snapshot

log = logging.getLogger("onescreen.cases.alerts")
FEED_OF = {"station": "air", "segment": "traffic", "section": "water"}


def case_id(alert_id: str, fired_ms: int) -> str:
    """The case of one firing of one alert."""
    return "OS-" + hashlib.sha256(f"alert\0{alert_id}\0{int(fired_ms)}".encode()).hexdigest()[:20].upper()


def _position(r: redis.Redis, alert: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The alerted entity's position from its latest document (None, None for a district, the city or a feed)."""
    feed = FEED_OF.get(str(alert.get("scope")))
    doc = snapshot.read_entity(r, feed, str(alert.get("entity_id"))) if feed else None
    for part in (doc, (doc or {}).get("m"), (doc or {}).get("v")):
        if isinstance(part, Mapping):
            lon, lat = part.get("lon"), part.get("lat")
            if all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in (lon, lat)) \
                    and -180 <= lon <= 180 and -90 <= lat <= 90:
                return float(lon), float(lat)
    return None, None


def describe(alert: Mapping[str, Any]) -> str:
    """What the alert saw, in the centre's words: rule, entity, value against its threshold, since when."""
    return (f"[{alert.get('rule_name_zh') or alert.get('rule')}] {alert.get('entity_name') or alert.get('entity_id')}:"
            f" {alert.get('metric')} = {alert.get('value')} (阈值 {alert.get('threshold')},"
            f" {alert.get('level')}), alert {alert.get('id')}")


class AlertCases:
    """Opens the cases that the active alerts are due; holds only which cases it knows exist (a cache: the case
    records are the truth, so a restart asks them again)."""

    def __init__(self, r: redis.Redis, book: Any, rules: RuleSet) -> None:
        self.r, self.book = r, book
        self.specs: dict[str, OpenCase] = {rule.id: rule.case for rule in rules.rules if rule.enabled and rule.case}
        self.levels = {rule.id: [lv.level for lv in rule.levels] for rule in rules.rules}
        self.known: set[str] = set()

    def _since(self, alert: dict[str, Any], spec: OpenCase) -> int | None:
        """Since when the alert has been at the case's level: its firing, or when the measured value (not a level
        raised because nobody acknowledged) first reached `spec.level` in this run; None: not there now."""
        if spec.level is None:
            fired = alert.get("fired_ms")
            return fired if isinstance(fired, int) else None
        names = self.levels.get(str(alert.get("rule")), [])
        want = names.index(spec.level) if spec.level in names else None
        measured, since = alert.get("vlevel"), alert.get("level_since") or []
        if want is None or not isinstance(measured, int) or measured < want or want >= len(since):
            return None
        at = since[want]
        return at if isinstance(at, int) else None

    def step(self, now_ms: int) -> list[str]:
        """Open every case now due; the ids opened."""
        if not self.specs:
            return []
        due: list[tuple[str, dict[str, Any], OpenCase]] = []
        for alert in alert_store.load(self.r).states.values():
            spec = self.specs.get(str(alert.get("rule")))
            fired = alert.get("fired_ms")
            if spec is None or not is_active(alert) or alert.get("silenced") or alert.get("held") \
                    or not isinstance(fired, int):
                continue  # a silenced alert, or one whose value went stale, opens nothing
            since = self._since(alert, spec)
            if since is None or now_ms - since < spec.after_s * 1000:
                continue
            cid = case_id(str(alert["id"]), fired)
            if cid not in self.known:
                due.append((cid, alert, spec))
        if not due:
            return []
        have = {rec["id"] for rec in self.book.find(ids=tuple(c for c, _, _ in due), limit=len(due))}
        opened = []
        for cid, alert, spec in due:
            if cid not in have:
                lon, lat = _position(self.r, alert)
                self.book.report(cid, spec.event, now_ms, kind="event", channel="alert", district=alert.get("district"),
                                 lon=lon, lat=lat, description=describe(alert)[:2000],
                                 by=f"alert:{alert.get('rule')}"[:64], role="alert")
                opened.append(cid)
                log.info("alert %s active since %s opened case %s (%s)", alert["id"], alert.get("fired_ms"), cid,
                         spec.event)
            self.known.add(cid)
        return opened
