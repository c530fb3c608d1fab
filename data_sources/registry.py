"""Real sources from the city profile's `sources:` section, and the simulator kept off the feeds they take.

```yaml
sources:
  air: {type: openaq, interval_s: 600, bbox: [113.1, 22.9, 113.7, 23.5]}
  service: {type: open311, base_url: https://open311.example.gov.cn/v2, format: xml}
  water: {type: push}        # fed through POST /api/v1/ingest/water; the simulator leaves it alone
```
Keys: `type` (openaq, open311, tomtom, amap, ngsi_ld, csv_replay, push), `interval_s`, and the source's own options
(its constructor's keyword arguments). API keys never go in YAML: they come from the environment (settings).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis

from config.settings import Settings, load_city
from core.readings import FEEDS, Reading, Rejection, Source, SourceError
from data_sources.providers.http import SourcePayloadError
from store.client import UNAVAILABLE
from store.writer import Writer

log = logging.getLogger("onescreen.sources")


def _openaq(cfg: dict[str, Any], s: Settings) -> Source:
    from data_sources.providers.openaq import OpenAQ

    return OpenAQ(api_key=s.openaq_api_key, **cfg)


def _tomtom(cfg: dict[str, Any], s: Settings) -> Source:
    from data_sources.providers.tomtom import TomTom

    return TomTom(api_key=s.tomtom_api_key, **cfg)


def _amap(cfg: dict[str, Any], s: Settings) -> Source:
    from data_sources.providers.amap import AMapTraffic

    return AMapTraffic(key=s.amap_key, **cfg)


def _open311(cfg: dict[str, Any], _s: Settings) -> Source:
    from data_sources.providers.open311 import Open311

    return Open311(fmt=cfg.pop("format", "json"), **cfg)


def _ngsi_ld(cfg: dict[str, Any], _s: Settings, feed: str = "") -> Source:
    from data_sources.providers.ngsi_ld import TYPES, NgsiLdBroker

    cfg.setdefault("types", [t for t, f in TYPES.items() if f == feed])
    return NgsiLdBroker(**cfg)


def _csv(cfg: dict[str, Any], _s: Settings, feed: str = "") -> Source:
    from data_sources.providers.csv_replay import CsvReplay

    return CsvReplay(feed=feed, **cfg)


BUILDERS: dict[str, Callable[..., Source]] = {"openaq": _openaq, "tomtom": _tomtom, "amap": _amap,
                                              "open311": _open311, "ngsi_ld": _ngsi_ld, "csv_replay": _csv}
FEED_TYPES = {"openaq": {"air"}, "tomtom": {"traffic"}, "amap": {"traffic"}, "open311": {"service"},
              "ngsi_ld": {"air", "water", "traffic"}, "csv_replay": set(FEEDS)}


def build(feed: str, spec: Any, settings: Settings) -> Source | None:
    """One configured source (None for `push` feeds); ValueError names the feed and the problem."""
    if feed not in FEEDS:
        raise ValueError(f"sources: unknown feed {feed!r} (feeds: {', '.join(FEEDS)})")
    if not isinstance(spec, dict) or "type" not in spec:
        raise ValueError(f"sources.{feed}: needs a mapping with a type")
    cfg = dict(spec)
    kind = str(cfg.pop("type"))
    if kind in ("push", "ingest"):
        return None
    if kind not in BUILDERS:
        raise ValueError(f"sources.{feed}: unknown type {kind!r} (types: {', '.join(BUILDERS)}, push)")
    if feed not in FEED_TYPES[kind]:
        raise ValueError(f"sources.{feed}: a {kind} source cannot feed {feed}")
    if any("key" in k.lower() for k in cfg):
        raise ValueError(f"sources.{feed}: API keys go in the environment (ONESCREEN_*_API_KEY), not in YAML")
    cfg.setdefault("name", kind)
    builder = BUILDERS[kind]
    try:
        return builder(cfg, settings, feed) if kind in ("ngsi_ld", "csv_replay") else builder(cfg, settings)
    except TypeError as exc:
        raise ValueError(f"sources.{feed}: {exc}") from exc


def configured_sources(settings: Settings, r: redis.Redis,
                       city: dict[str, Any] | None = None) -> tuple[list[Source], set[str]]:
    """(sources to run, feeds taken) from the city profile; every source reports its poll latency to health."""
    spec = (city if city is not None else load_city(settings.city)).get("sources") or {}
    if not isinstance(spec, dict):
        raise ValueError("sources: must be a mapping feed -> {type: …}")
    sources: list[Source] = []
    names: set[str] = set()
    for feed, cfg in spec.items():
        src = build(str(feed), cfg, settings)
        if src is None:
            continue
        if src.name in names:
            src.name = f"{src.name}-{feed}"
        names.add(src.name)
        sources.append(Monitored(src, Writer(r, retention=settings.retention, source=src.name)))
    return sources, {str(f) for f in spec}


class Monitored:
    """A source whose poll latency lands in its feeds' health (the runner records successes and errors)."""

    def __init__(self, source: Source, writer: Writer) -> None:
        self.source, self.writer = source, writer
        self.name, self.feeds, self.interval_s = source.name, tuple(source.feeds), float(source.interval_s)

    def take_rejected(self) -> list[Rejection]:
        """The wrapped source's rejected rows, if it keeps any."""
        take = getattr(self.source, "take_rejected", None)
        return take() if take else []

    def poll(self, now_ms: int) -> list[Reading]:
        """Poll and record how long it took, whether it worked or not."""
        t0 = time.perf_counter()
        try:
            return self.source.poll(now_ms)
        except SourceError:
            raise
        except (KeyError, TypeError, AttributeError, ValueError, IndexError, ArithmeticError) as exc:
            log.exception("%s: unexpected payload", self.name)  # a parser gap: keep the runner alive, show it
            raise SourcePayloadError(f"unexpected payload ({type(exc).__name__}: {str(exc)[:200]})") from exc
        finally:
            latency = getattr(self.source, "last_latency_ms", None) or (time.perf_counter() - t0) * 1000.0
            with contextlib.suppress(UNAVAILABLE):
                self.writer.record_latency(self.feeds, latency)


class WithoutFeeds:
    """A (simulated) source minus the feeds a real source took, so the two never mix on one feed."""

    def __init__(self, source: Source, taken: set[str]) -> None:
        self.source, self.taken = source, taken
        self.name, self.interval_s = source.name, source.interval_s
        self.feeds = tuple(f for f in source.feeds if f not in taken)

    def take_rejected(self) -> list[Rejection]:
        """The wrapped source's rejected rows of the feeds it still owns."""
        take = getattr(self.source, "take_rejected", None)
        return [rej for rej in (take() if take else []) if rej.feed not in self.taken]

    def poll(self, now_ms: int) -> list[Reading]:
        """The wrapped source's readings of the feeds it still owns."""
        return [rd for rd in self.source.poll(now_ms) if rd.feed not in self.taken]


def without_feeds(sources: Iterable[Source], taken: set[str]) -> list[Source]:
    """Sources with the taken feeds removed; a source left with no feed is dropped."""
    out: list[Source] = []
    for s in sources:
        if not taken.intersection(s.feeds):
            out.append(s)
        elif set(s.feeds) - taken:
            out.append(WithoutFeeds(s, taken))
    return out
