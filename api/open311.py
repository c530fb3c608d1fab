"""Open311 GeoReport v2 server at /open311/v2 (issue #15): a 12345 platform, or any Open311 client, files and reads
the closed loop's cases (store.casebook) in the standard's shapes, JSON or XML.

    GET  /open311/v2/services.{json,xml}                  the service list: GB/T 30428.2 component categories
    GET  /open311/v2/requests.{json,xml}?service_request_id=a,b | start_date, end_date, status=open,closed,
                                         service_code=0101,0102     requests (default: the last 90 days; at most
                                                                    1,000, newest first: a client asks a narrower
                                                                    window when it gets the cap)
    GET  /open311/v2/requests/<id>.{json,xml}             one request (an array of one)
    POST /open311/v2/requests.{json,xml}  service_code, lat, long, description?   -> [{"service_request_id", …}]

Only API tokens are accepted here, as the spec's `api_key` (query or form) or an `Authorization: Bearer` header;
never the session cookie, so a form post needs no CSRF token (auth.gate). The token's user decides what is seen and
filed as everywhere else (a district-bound token: its district; reading needs cases.read, filing cases.report).
A case's loop state maps to the spec's open/closed (rejected and merged cases are closed), with the state in
status_notes; agency_responsible is the department it is with; expected_datetime its due time. Contact fields a
citizen may send (email, phone, names, device and account ids) are not stored. Errors are the spec's
[{"code", "description"}] (XML: <errors><error>…), with the same HTTP status.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from api.cases import caller, district_at, visible
from auth import answers, principal
from core import case_flow as cf
from core import times
from core.event_catalog import EVENT_GROUPS, EVENTS
from core.furniture_catalog import CATEGORIES, GROUPS
from store import casebook, context

log = logging.getLogger("onescreen.api.open311")
bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
CAP = 1000
DEFAULT_DAYS = 90
DAY_MS = 86_400_000
SERVICES = {c["code"]: c for c in CATEGORIES}
EVENT_PREFIX = "E"  # an event category's service code: E0505 (the same digits as component 0505, another thing)
EVENT_SERVICES = {EVENT_PREFIX + e["code"]: e for e in EVENTS}


def service_code(rec: dict[str, Any]) -> str:
    """A case's GeoReport service code: its component category, or E and its event category."""
    return EVENT_PREFIX + rec["category"] if rec.get("kind") == "event" else rec["category"]
NOTES = {cf.REPORTED: "reported 已上报", cf.REGISTERED: "registered 已立案", cf.DISPATCHED: "dispatched 已派遣",
         cf.ACCEPTED: "accepted 已受理", cf.HANDLED: "handled 已处置, awaiting verification 待核查",
         cf.CLOSED: "closed 已结案", cf.REJECTED: "rejected 不予立案", cf.MERGED: "merged 已合并"}
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")


class Error(Exception):
    """An answer in the spec's error shape."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def _iso(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


_answer = answers.open311
error_response = answers.open311_error


def _guarded(view: Any) -> Any:
    def wrapper(fmt: str, *args: Any, **kwargs: Any) -> Response:
        try:
            return view(fmt, *args, **kwargs)
        except Error as exc:
            return error_response(fmt, exc.code, exc.description)
        except cf.Refused as exc:
            return error_response(fmt, exc.status, exc.reason)
        except Exception:
            log.exception("open311 %s failed", request.path)
            return error_response(fmt, 500, "internal error")
    wrapper.__name__ = view.__name__
    return wrapper


def as_request(rec: dict[str, Any]) -> dict[str, Any]:
    """A case record as a GeoReport v2 service request."""
    notes = NOTES.get(rec["state"], rec["state"])
    if rec.get("merged_into"):
        notes += f" → {rec['merged_into']}"
    code = service_code(rec)
    service = SERVICES.get(code) or EVENT_SERVICES.get(code)
    return {"service_request_id": rec["id"], "status": "open" if rec["state"] in cf.OPEN_STATES else "closed",
            "status_notes": notes, "service_name": service["zh"] if service else rec["category"],
            "service_code": code, "description": rec.get("description") or "",
            "agency_responsible": rec.get("department") or "", "service_notice": "",
            "requested_datetime": _iso(rec["reported_ms"]), "updated_datetime": _iso(rec["updated_ms"]),
            "expected_datetime": _iso(rec.get("due_ms")), "address": "", "address_id": "", "zipcode": "",
            "lat": rec.get("lat"), "long": rec.get("lon"), "media_url": ""}


def _when(name: str) -> int | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return int(times.parse_iso(value).timestamp() * 1000)
    except ValueError:
        raise Error(400, f"{name} must be ISO 8601 with a timezone, e.g. 2026-05-01T08:00:00+08:00") from None


def _list(name: str, limit: int = 50) -> tuple[str, ...]:
    items = tuple(x.strip() for x in request.args.get(name, "").split(",") if x.strip())
    if len(items) > limit or any(len(x) > 64 for x in items):
        raise Error(400, f"{name}: at most {limit} values of up to 64 characters")
    return items


@bp.get("/services.<any(json, xml):fmt>")
@_guarded
def services(fmt: str) -> Response:
    """The service list: every component category (GB/T 30428.2), its group as the spec's group, then every event
    category as E and its code, its group the event class's."""
    rows = [{"service_code": c["code"], "service_name": c["zh"], "description": "", "metadata": "false",
             "type": "realtime", "keywords": "", "group": GROUPS[c["group"]][0]} for c in CATEGORIES]
    rows += [{"service_code": code, "service_name": e["zh"], "description": "", "metadata": "false",
              "type": "realtime", "keywords": "事件", "group": EVENT_GROUPS[e["group"]][0]}
             for code, e in EVENT_SERVICES.items()]
    if fmt == "json":
        for row in rows:
            row["metadata"] = False
    return _answer(fmt, "services", "service", rows)


@bp.get("/requests.<any(json, xml):fmt>")
@_guarded
def requests_(fmt: str) -> Response:
    """Requests by id, or by window, status and service code (the caller's district or department only)."""
    who = caller()
    ids = _list("service_request_id")
    statuses = _list("status", 2)
    if any(s not in ("open", "closed") for s in statuses):
        raise Error(400, "status must be open, closed or both")
    states = tuple(s for s in cf.STATES if not statuses or
                   ("open" if s in cf.OPEN_STATES else "closed") in statuses)
    now = int(time.time() * 1000)
    since, until = _when("start_date"), _when("end_date")
    if not ids and since is None:
        since = (until or now) - DEFAULT_DAYS * DAY_MS
    codes = _list("service_code")
    events = [c for c in codes if c.startswith(EVENT_PREFIX)]
    if events and len(events) != len(codes):
        raise Error(400, "service_code: ask for component and event (E…) codes in separate requests")
    kinds = ("event",) if events else ("component",) if codes else ()
    rows = context.get().casebook().find(
        ids=ids, states=states, categories=tuple(c.removeprefix(EVENT_PREFIX) for c in codes), kinds=kinds,
        since_ms=None if ids else since,
        until_ms=None if ids else until, district=who.district,
        department=who.department if who.role == cf.HANDLER else None, limit=CAP, newest_first=True)
    return _answer(fmt, "service_requests", "request", [as_request(r) for r in rows])


@bp.get("/requests/<rid>.<any(json, xml):fmt>")
@_guarded
def one_request(fmt: str, rid: str) -> Response:
    """One request, as an array of one."""
    rec = context.get().casebook().record(rid)
    try:
        rec = visible(rec, caller())
    except LookupError:
        raise Error(404, f"no service request {rid!r}") from None
    return _answer(fmt, "service_requests", "request", [as_request(rec)])


@bp.post("/requests.<any(json, xml):fmt>")
@_guarded
def file_request(fmt: str) -> Response:
    """A new case from the public channel (12345): service_code, lat and long, description."""
    who: principal.Principal = caller()
    form = request.form
    code = form.get("service_code", "")
    if code not in SERVICES and code not in EVENT_SERVICES:
        raise Error(400, f"unknown service_code {code[:16]!r}: see services.{fmt}")
    kind = "event" if code in EVENT_SERVICES else "component"
    try:
        lat, lon = float(form.get("lat", "")), float(form.get("long", ""))
    except ValueError:
        raise Error(400, "lat and long are required (WGS-84 degrees)") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise Error(400, "lat and long must be WGS-84 degrees")
    description = form.get("description", "").strip()
    if len(description) > 4000:
        raise Error(400, "description: at most 4,000 characters")
    district = district_at(lon, lat)
    if who.district is not None and district != who.district:
        raise Error(403, f"this token files requests in district {who.district} only")
    case_id = casebook.new_id()
    channel = "inspector" if who.role == cf.INSPECTOR else "public"  # as the JSON API files an inspector's
    context.get().casebook().report(case_id, code.removeprefix(EVENT_PREFIX), int(time.time() * 1000), kind=kind,
                                    channel=channel, district=district, lon=lon, lat=lat, description=description,
                                    by=who.name, role=who.role)
    return _answer(fmt, "service_requests", "request",
                   [{"service_request_id": case_id, "service_notice": "", "account_id": ""}], 201)
