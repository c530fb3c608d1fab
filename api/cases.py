"""HTTP JSON API of the closed loop (issue #15), mounted at /api/v1: report a case, read the queue and one case with
its trail, and take an action on it (core.case_flow says who may take which, store.casebook records it).

    GET  /api/v1/cases?state=reported,registered&department=…&limit=N   the queue, longest waiting first
    POST /api/v1/cases          {"category", "kind"?, "channel"?, "lon", "lat", "district"?, "component_id"?,
                                 "description"?, "request_id"?}  -> 201 {"case"} (200 when request_id was seen)
    GET  /api/v1/cases/<id>     -> {"case", "trail", "photos"}
    POST /api/v1/cases/<id>/photos   the image as the body (image/jpeg, image/png, image/webp; at most 8 MB) or a
                                     multipart form's `photo` -> 201 {"photo": {"sha256", "url", ...}}
    GET  /api/v1/cases/<id>/photos/<sha256>   the image
    GET  /api/v1/cases/departments?days=30   the departments ranked (综合评价): on-time closure rate, rework rate,
                                             open and overdue now, mean hours from report to close
    POST /api/v1/cases/<id>/<action>   {"comment"?, "department"?, "into"?, "urgent"?, "expected_version"?,
                                        "request_id"?} -> {"case", "applied"}

Who sees what: a district-bound caller only their district's cases, a handler only the cases with their department;
any other case answers 404 like an unknown id. An action the case's state does not allow, or one taken on a case
someone changed since `expected_version`, is a 409 whose message says what the case is now; the same `request_id`
sent again is answered from the record (applied: false), not applied twice. A report's district is the one its
position falls in (the city's boundaries) unless given; a district-bound reporter reports in their district only.
dispatch without a department takes the dispatch table's (config/case_rules.yaml); the due time is the dispatch time
plus the category's limit (the urgent limit with "urgent": true).
Errors are JSON {"error": "..."}: 400 bad input, 403 a role or department that may not, 404 unknown id, 409 state,
503 database unreachable.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy.exc
from flask import Blueprint, Response, jsonify, request

from api.errors import guarded_by, json_error, json_object
from auth import principal
from cases import service
from cases.service import NotFound, visible
from core import case_flow as cf
from core import geo
from core.derive import parse_time_ms
from core.event_catalog import EVENT_CODES
from core.furniture_catalog import CATEGORIES
from store import casebook, context, photos
from store.client import UNAVAILABLE
from views import map as map_view
from views.cases import category_name, due_soon

log = logging.getLogger("onescreen.api.cases")
bp = Blueprint("cases", __name__, url_prefix="/api/v1")
MAX_TEXT = 2000
MAX_LIMIT = 1000
COMPONENTS = frozenset(c["code"] for c in CATEGORIES)


class BadRequest(ValueError):
    """Input the API cannot use; its message goes back as a 400."""


_guarded = guarded_by(log, "cases API", ((NotFound, 404, None), (BadRequest, 400, None),
                                         (PermissionError, 401, "authentication required"),
                                         ((*UNAVAILABLE, sqlalchemy.exc.OperationalError), 503,
                                          "case records unavailable")))


def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """A refusal of the loop (core.case_flow.Refused) answers its own status and reason; the rest as _guarded."""
    @functools.wraps(view)
    def refusals(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (cf.Refused, photos.BadPhoto, photos.StoreDown) as exc:
            return json_error(exc.reason, exc.status)
    return _guarded(refusals)


def _text(body: dict[str, Any], name: str, limit: int = MAX_TEXT, required: bool = False) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise BadRequest(f"{name} must be text of at most {limit} characters" + (" (required)" if required else ""))
    return value.strip()


def _shown(rec: dict[str, Any], now_ms: int) -> dict[str, Any]:
    case = casebook._case(rec)  # noqa: SLF001 - the record's loop view
    share = service.rules(context.get().casebook()).warn_share
    return {**rec, "category_name": category_name(rec["category"], rec.get("kind")),
            "grid": context.get().grid_code(rec),
            "overdue": cf.overdue(case, now_ms),
            "due_soon": not cf.overdue(case, now_ms) and due_soon(rec, now_ms, share)}


def caller() -> principal.Principal:
    who = principal.current()
    if who is None:
        raise PermissionError("no authenticated caller")
    return who


def district_at(lon: float, lat: float) -> str | None:
    """The district of the city's boundaries a position falls in (None: outside them all, or no boundaries)."""
    return geo.district_at((context.get().city.get("geo") or {}).get("districts"), lon, lat)


@bp.get("/cases")
@guarded
def list_cases() -> Any:
    """The queue: the caller's visible cases, filtered by state and department, longest waiting first."""
    who = caller()
    states = tuple(s for s in request.args.get("state", "").split(",") if s)
    unknown = [s for s in states if s not in cf.STATES]
    if unknown:
        raise BadRequest(f"unknown state {unknown[0]!r}; expected some of {', '.join(cf.STATES)}")
    try:
        limit = int(request.args.get("limit", "200"))
    except ValueError:
        raise BadRequest("limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be 1 to {MAX_LIMIT}")
    department = request.args.get("department") or None
    rows = service.queue(context.get().casebook(), who, states, department, limit)
    now = int(time.time() * 1000)
    return jsonify({"cases": [_shown(r, now) for r in rows]})


@bp.get("/cases/departments")
@guarded
def departments() -> Any:
    """The departments ranked (综合评价): on-time closure rate, rework rate, overdue, mean hours to close."""
    try:
        days = int(request.args.get("days", "30"))
    except ValueError:
        raise BadRequest("days must be a whole number") from None
    if not 1 <= days <= 366:
        raise BadRequest("days must be 1 to 366")
    rows = service.ranking(context.get().casebook(), caller(), int(time.time() * 1000), days)
    return jsonify({"days": days, "departments": rows})


@bp.get("/cases/<case_id>")
@guarded
def get_case(case_id: str) -> Any:
    """One case and every step of its trail."""
    book = context.get().casebook()
    rec = visible(book.record(case_id), caller())
    return jsonify({"case": _shown(rec, int(time.time() * 1000)), "trail": book.trail(case_id),
                    "photos": [_photo(p) for p in book.photos(case_id)]})


def _photo(rec: dict[str, Any]) -> dict[str, Any]:
    """A photo's record as the API shows it, with the address of its image."""
    return {**{k: rec[k] for k in ("sha256", "content_type", "bytes", "width", "height", "by", "role", "at_ms",
                                   "version")}, "url": photo_url(rec["case_id"], rec["sha256"])}


def photo_url(case_id: str, sha256: str) -> str:
    return f"/api/v1/cases/{case_id}/photos/{sha256}"


@bp.post("/cases/<case_id>/photos")
@guarded
def add_photo(case_id: str) -> Any:
    """A photo of an open case: the image itself as the body (Content-Type image/jpeg, image/png or image/webp), or
    a multipart form's `photo` file. 201 with its record (200 when the case had it already)."""
    who = caller()
    if request.content_length is not None and request.content_length > photos.MAX_BYTES + 65_536:
        raise photos.BadPhoto(f"the photo is {request.content_length:,} bytes; at most {photos.MAX_BYTES:,}", 413)
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("photo")
        if upload is None:
            raise BadRequest("the form has no file named photo")
        data = upload.stream.read(photos.MAX_BYTES + 1)
    else:
        data = request.get_data(cache=False)
    rec, new = service.add_photo(context.get().casebook(), context.get().photos(), who, case_id, data,
                                 int(time.time() * 1000))
    return jsonify({"photo": _photo(rec)}), 201 if new else 200


@bp.get("/cases/<case_id>/photos/<sha256>")
@guarded
def get_photo(case_id: str, sha256: str) -> Any:
    """One photo of a visible case, as the type it was checked as; never sniffed, never run."""
    book = context.get().casebook()
    visible(book.record(case_id), caller())
    rec = book.photo(case_id, sha256) if photos.SHA.match(sha256) else None
    data = None if rec is None else context.get().photos().get(rec["sha256"], rec["content_type"])
    if data is None:
        raise NotFound("no such photo")
    resp = Response(data, mimetype=rec["content_type"])  # type: ignore[index]
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return resp


@bp.post("/cases")
@guarded
def report_case() -> Any:
    """A new case from a report (state reported)."""
    who, body = caller(), json_object(BadRequest)
    unknown = set(body) - {"category", "kind", "channel", "lon", "lat", "district", "component_id", "description",
                           "request_id"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
    kind = body.get("kind", "component")  # as the console and Open311 report: a component unless it says event
    if kind not in casebook.KINDS:
        raise BadRequest(f"kind must be one of {', '.join(casebook.KINDS)}")
    component_id = _text(body, "component_id", 64) or None
    part = None
    if component_id is not None:  # a component of the city-component layer: its category and, unless given, place
        part = map_view.component(context.get().components(), component_id)
        if part is None or kind != "component":
            raise BadRequest(f"there is no component {component_id!r} in the city-component layer"
                             if part is None else "a case about a component is of kind component")
        body = {"category": part["code"], "lon": part["lon"], "lat": part["lat"], **body}
    category = _text(body, "category", 4, required=True)
    if part is not None and category != part["code"]:
        raise BadRequest(f"component {component_id} is of category {part['code']}, not {category}")
    if kind == "component" and category not in COMPONENTS:
        raise BadRequest(f"unknown component category {category!r} (GB/T 30428.2, e.g. 0101)")
    if kind == "event" and category not in EVENT_CODES:
        raise BadRequest(f"unknown event category {category!r} (core/event_catalog.py, e.g. 0505)")
    channel = body.get("channel", "inspector" if who.role == cf.INSPECTOR else "superior")
    if channel not in casebook.CHANNELS:
        raise BadRequest(f"channel must be one of {', '.join(casebook.CHANNELS)}")
    if who.role == cf.INSPECTOR and channel != "inspector":
        raise BadRequest("an inspector reports on the inspector channel")
    lon, lat = service.number_in(body.get("lon"), -180, 180), service.number_in(body.get("lat"), -90, 90)
    if lon is None or lat is None:
        raise BadRequest("lon and lat must be numbers (WGS-84 degrees)")
    district = body.get("district") or district_at(lon, lat)
    if district is not None and (not isinstance(district, str) or len(district) != 6 or not district.isdigit()):
        raise BadRequest("district must be a six-digit adcode")
    known = context.get().districts
    if district is not None and known and district not in known:
        raise BadRequest(f"district {district} is not one of this city's")
    if who.district is not None and district != who.district:
        raise cf.Refused(403, f"you report in district {who.district} only")
    request_id = _text(body, "request_id", 64)
    if request_id:  # the same report sent again (a phone on a bad network) is the same case
        digest = hashlib.sha256(f"{who.name}\0{request_id}".encode()).hexdigest()[:12].upper()
        case_id = f"OS-{digest}"
    else:
        case_id = casebook.new_id()
    book = context.get().casebook()
    seen = book.record(case_id) is not None
    book.report(case_id, category, int(time.time() * 1000), kind=kind, channel=channel, district=district,
                lon=lon, lat=lat, component_id=component_id,
                description=_text(body, "description"), by=who.name, role=who.role)
    rec = visible(book.record(case_id), who)
    return jsonify({"case": _shown(rec, int(time.time() * 1000))}), 200 if seen else 201


VIDEO_FIELDS = {"camera_id", "event_type", "time", "lon", "lat", "snapshot", "confidence", "description"}
CAMERA = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
SKEW_MS = 5 * 60_000  # a camera's clock may run this far ahead
VIDEO_WINDOW_MS = 7 * 86_400_000  # an event older than this is history, not a case to dispatch


@bp.post("/cases/video")
@guarded
def video_event() -> Any:
    """A video-analytics event opens a case (channel video): {"camera_id", "event_type" (config/case_rules.yaml
    video_events), "time" (ISO 8601 with offset, or epoch ms), "lon", "lat", "snapshot" (the frame, base64 JPEG, PNG
    or WebP), "confidence"? (0-1), "description"?}. The same camera, type and time again is the same case (200)."""
    who, body = caller(), json_object(BadRequest)
    unknown = set(body) - VIDEO_FIELDS
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
    camera = body.get("camera_id")
    if not isinstance(camera, str) or not CAMERA.fullmatch(camera):
        raise BadRequest("camera_id must be 1-64 letters, digits or _ . : -")
    kinds = service.rules(context.get().casebook()).video_events
    event_type = body.get("event_type")
    if not isinstance(event_type, str) or event_type not in kinds:
        raise BadRequest(f"event_type must be one of {', '.join(sorted(kinds))} (config/case_rules.yaml)")
    now = int(time.time() * 1000)
    at = parse_time_ms(body.get("time"))
    if at is None:
        raise BadRequest("time must be ISO 8601 with a UTC offset, or epoch milliseconds")
    if not now - VIDEO_WINDOW_MS <= at <= now + SKEW_MS:
        raise BadRequest("time must be within the last 7 days (and not ahead of this server's clock by 5 minutes)")
    confidence = body.get("confidence")
    if confidence is not None and service.number_in(confidence, 0, 1) is None:
        raise BadRequest("confidence must be a number from 0 to 1")
    lon, lat = service.number_in(body.get("lon"), -180, 180), service.number_in(body.get("lat"), -90, 90)
    if lon is None or lat is None:
        raise BadRequest("lon and lat must be numbers (WGS-84 degrees)")
    snapshot = body.get("snapshot")
    if not isinstance(snapshot, str) or not snapshot:
        raise BadRequest("snapshot must be the frame as base64 (JPEG, PNG or WebP)")
    if len(snapshot) > (photos.MAX_BYTES + 2) // 3 * 4 + 4:
        raise photos.BadPhoto(f"the snapshot is larger than {photos.MAX_BYTES:,} bytes", 413)
    try:
        frame = base64.b64decode(snapshot, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("snapshot must be base64 (RFC 4648, no line breaks)") from None
    photos.check(frame)  # a frame that is not an image refuses the event before any case is made
    district = district_at(lon, lat)
    if who.district is not None and district != who.district:
        raise cf.Refused(403, f"you report in district {who.district} only")
    digest = hashlib.sha256(f"{camera}\0{event_type}\0{at}".encode()).hexdigest()[:20].upper()
    case_id = f"OS-{digest}"
    book = context.get().casebook()
    seen = book.record(case_id) is not None
    text = _text(body, "description")
    note = f"[{camera} · {event_type}" + (f" · {float(confidence):.2f}" if confidence is not None else "") + "]"
    book.report(case_id, kinds[event_type], at, kind="event", channel="video", district=district, lon=lon, lat=lat,
                description=f"{note} {text}".strip(), by=f"camera:{camera}"[:64], role=who.role, recorded_ms=now)
    shot, _ = service.add_photo(book, context.get().photos(), who, case_id, frame, now, reporting=True)
    rec = visible(book.record(case_id), who)
    return jsonify({"case": _shown(rec, now), "photo": _photo(shot)}), 200 if seen else 201


@bp.post("/cases/<case_id>/<action>")
@guarded
def act(case_id: str, action: str) -> Any:
    """Take one action on a case."""
    who, body = caller(), json_object(BadRequest)
    if action not in cf.ACTIONS:
        raise BadRequest(f"unknown action {action!r}; expected one of {', '.join(cf.ACTIONS)}")
    unknown = set(body) - {"comment", "department", "into", "urgent", "expected_version", "request_id"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
    version = body.get("expected_version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 0):
        raise BadRequest("expected_version must be a whole number")
    urgent = body.get("urgent", False)
    if not isinstance(urgent, bool):
        raise BadRequest("urgent must be true or false")
    _, applied = service.take(context.get().casebook(), who, case_id, action, int(time.time() * 1000),
                              comment=_text(body, "comment"), department=_text(body, "department", 64),
                              into=_text(body, "into", 64), urgent=urgent, expected_version=version,
                              request_id=_text(body, "request_id", 64) or None)
    rec = context.get().casebook().record(case_id)
    return jsonify({"case": _shown(rec, int(time.time() * 1000)), "applied": applied})  # type: ignore[arg-type]
