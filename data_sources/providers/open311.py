"""Open311 GeoReport v2 `GET requests` (JSON or XML): the 12345 case backlog, open and closed, with its SLA.

Quirks handled here (standards.md §5): ids and service codes are strings (the spec's own JSON example writes
`"service_code":006`, which is not JSON, so numbers with leading zeros are quoted before parsing and every integer
is kept as its literal text); datetimes must carry a timezone (naive ones are refused unless `naive_tz` is set);
servers cap a response (1,000 by default), so a full window is split in half and asked again. Statuses other than
open/closed (in_progress, FixMyStreet's states, 受理/办理中, …) go through core/case_status.py's table,
extended by the `status_map` option; an unknown one is kept as open and flagged. A request that breaks the spec is
rejected with its reason (dead letter); the rest of the poll is kept. A lat/long outside WGS-84 is rejected with its
field named, and the case is kept without a position (citizens type these; the case itself is still real).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from core import case_status, times
from core.coords import check_datum, check_position, to_wgs84
from core.metrics import units
from core.readings import Reading, Rejects
from data_sources.providers.http import HttpClient, HttpPolled, require

log = logging.getLogger("onescreen.open311")
HOUR_MS = 3_600_000
TEXT_FIELDS = ("status_notes", "service_name", "service_code", "description", "agency_responsible",
               "service_notice", "address", "address_id", "zipcode", "media_url")
TIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")
_LEADING_ZERO = re.compile(r'(?<=[:\[,])(\s*)(-?0\d+)(?=\s*[,}\]])')


def lenient_json(text: str) -> Any:
    """JSON where integers stay strings and leading-zero numbers (invalid JSON, but in the spec) are accepted."""
    try:
        return json.loads(text, parse_int=str)
    except json.JSONDecodeError:
        return json.loads(_LEADING_ZERO.sub(r'\1"\2"', text), parse_int=str)


def xml_requests(root: Element) -> list[dict[str, str]]:
    """`<service_requests><request>…</request></service_requests>` as a list of plain dicts (text values)."""
    require(root.tag in ("service_requests", "requests"), f"open311 XML: unexpected root <{root.tag}>")
    return [{child.tag: (child.text or "").strip() for child in req} for req in root if req.tag == "request"]


def _position(row: dict[str, Any]) -> tuple[float, float] | None:
    """(lat, long) as numbers when the request has both (blank or non-numeric: no position)."""
    try:
        lat, lon = float(row["lat"]), float(row["long"])
    except (KeyError, TypeError, ValueError):
        return None
    return lat, lon


def iso_utc(ms: int) -> str:
    """Query-parameter form of a datetime: ISO 8601 with Z."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Open311(HttpPolled, Rejects):
    """Service cases from an Open311 endpoint, re-reading a sliding look-back in date windows every poll."""

    feeds = ("service",)
    metrics = units("service", ("status", "requested_datetime", "updated_datetime", "expected_datetime"))

    def __init__(self, *, base_url: str, fmt: str = "json", api_key: str | None = None,
                 jurisdiction_id: str | None = None, interval_s: float = 300, lookback_days: float = 7,
                 window_hours: float = 24, max_per_request: int = 1000, page_size: int | None = None,
                 max_pages: int = 20, naive_tz: str | None = None, timeout_s: float = 15.0,
                 status_map: dict[str, str] | None = None, datum: str = "wgs84",
                 name: str = "open311") -> None:  # fmt: skip
        if fmt not in ("json", "xml"):
            raise ValueError("open311: format must be json or xml")
        self.name, self.fmt, self.interval_s = name, fmt, interval_s
        self.datum = check_datum(datum)  # a Chinese 12345 system may give Baidu (bd09) or AMap (gcj02) positions
        self.http = HttpClient(base_url, timeout_s=timeout_s)
        self.common = {"jurisdiction_id": jurisdiction_id, "api_key": api_key}
        self.lookback_ms = int(lookback_days * 24 * HOUR_MS)
        self.window_ms = int(window_hours * HOUR_MS)
        self.max_per_request, self.page_size, self.max_pages = max_per_request, page_size, max_pages
        self.naive_tz = ZoneInfo(naive_tz) if naive_tz else None
        if status_map is not None and not isinstance(status_map, dict):
            raise ValueError("open311: status_map must map a server status to open or closed")
        self.statuses = case_status.table(status_map)
        self._open: dict[str, int] = {}  # open case id -> requested ms, to follow cases older than the look-back

    def poll(self, now_ms: int) -> list[Reading]:
        """Every case requested in the look-back, plus open cases older than it, newest state per case."""
        self.http.start_poll()
        start = now_ms - self.lookback_ms
        raw: list[dict[str, Any]] = []
        t = start
        while t < now_ms:
            raw += self._window(t, min(now_ms, t + self.window_ms))
            t += self.window_ms
        by_id = self._readings(raw)
        old = [cid for cid, req in self._open.items() if req < start and cid not in by_id]
        for i in range(0, len(old), 50):
            by_id.update(self._readings(self._fetch({"service_request_id": ",".join(old[i:i + 50])})))
        for cid, rd in by_id.items():
            if rd.values["status"] == "open":
                self._open[cid] = rd.meta.get("requested_ms") or rd.ts
            else:
                self._open.pop(cid, None)
        return sorted(by_id.values(), key=lambda rd: (rd.ts, rd.entity_id))

    def _window(self, t0: int, t1: int) -> list[dict[str, Any]]:
        """Cases requested in [t0, t1); a response at the server's cap is split and asked again."""
        rows = self._fetch({"start_date": iso_utc(t0), "end_date": iso_utc(t1), "status": "open,closed"})
        if len(rows) >= self.max_per_request and t1 - t0 > HOUR_MS and not self.page_size:
            mid = t0 + (t1 - t0) // 2
            return self._window(t0, mid) + self._window(mid, t1)
        return rows

    def _fetch(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One query, following the page/page_size extension when configured."""
        if not self.page_size:
            return self._get({**self.common, **params})
        out: list[dict[str, Any]] = []
        for page in range(1, self.max_pages + 1):
            rows = self._get({**self.common, **params, "page": page, "page_size": self.page_size})
            out += rows
            if len(rows) < self.page_size:
                break
        return out

    def _get(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.fmt == "xml":
            return xml_requests(self.http.get_xml("requests.xml", params))
        data = self.http.get_json("requests.json", params, parse=lenient_json)
        if isinstance(data, dict):  # some servers wrap the array
            data = data.get("service_requests", data.get("requests"))
        require(isinstance(data, list), "open311: response is not an array of requests")
        return [row for row in data if isinstance(row, dict)]

    def _readings(self, rows: list[dict[str, Any]]) -> dict[str, Reading]:
        """Newest reading per case id; a request that breaks the spec is rejected with its reason."""
        out: dict[str, Reading] = {}
        for row in rows:
            try:
                rd = self.to_reading(row)
            except ValueError as exc:
                self.reject("service", str(exc), row)
                continue
            if rd.entity_id not in out or out[rd.entity_id].ts < rd.ts:
                out[rd.entity_id] = rd
        return out

    def _time(self, value: Any, field: str) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            return times.parse_iso(str(value), self.naive_tz)
        except times.NoOffset:
            raise ValueError(f"{field}: no timezone (set naive_tz to accept)") from None
        except ValueError as exc:
            raise ValueError(f"{field}: not ISO 8601: {str(value)[:40]!r}") from exc

    def to_reading(self, row: dict[str, Any]) -> Reading:
        """One Open311 request as a service Reading (ts = updated_datetime, else requested_datetime)."""
        cid = row.get("service_request_id")
        if cid in (None, "") or isinstance(cid, bool | dict | list):
            raise ValueError("no service_request_id")
        cid = str(cid).strip()
        raw_status = row.get("status")
        if isinstance(raw_status, dict | list | bool):
            raise ValueError(f"{cid}: status is not a string")
        status, known = case_status.classify(raw_status, self.statuses)
        times = {f: self._time(row.get(f), f) for f in TIME_FIELDS}
        when = times["updated_datetime"] or times["requested_datetime"]
        if when is None:
            raise ValueError(f"{cid}: neither updated_datetime nor requested_datetime")
        values: dict[str, Any] = {"service_request_id": cid, "status": status}
        text = "" if raw_status is None else str(raw_status).strip()
        if text != status:
            values["status_raw"] = text[:200]
        for f in TEXT_FIELDS:
            v = row.get(f)
            if v not in (None, "") and not isinstance(v, dict | list):
                values[f] = str(v).strip()
        values.update({f: dt.isoformat() for f, dt in times.items() if dt is not None})
        meta: dict[str, Any] = {"provider": "Open311"}
        if not known:
            meta["status_unknown"] = True  # kept as open; the pipeline flags it
        pos = _position(row)
        bad = check_position(pos[0], pos[1], "lat", "long") if pos is not None else None
        if bad:  # a citizen-typed place that is not WGS-84: the case is kept without it, the position rejected
            self.reject("service", f"{cid}: {bad}; case kept without a position", row, kind="value")
        elif pos is not None:
            lon, lat = to_wgs84(pos[1], pos[0], self.datum)
            pos = (lat, lon)
            values["lat"], values["long"] = pos
            meta["lat"], meta["lon"] = pos
        if times["requested_datetime"]:
            meta["requested_ms"] = int(times["requested_datetime"].timestamp() * 1000)
        return Reading("service", cid, int(when.timestamp() * 1000), values, meta)

