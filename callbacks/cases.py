"""Case console callbacks (/cases): thin wrappers over cases.service, store.casebook and views.cases."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from typing import Any

import sqlalchemy.exc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from auth import principal
from callbacks import PICKED_ROW
from cases import service
from core import case_flow as cf
from core import geo
from core.furniture_catalog import CATEGORIES
from core.i18n import t
from layouts import cases as cases_layout
from layouts import ids
from store import casebook, context, photos
from views import cases as view
from views import map as map_view

log = logging.getLogger("onescreen.cases.console")
DB_DOWN = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
COMPONENTS = frozenset(c["code"] for c in CATEGORIES)


def _tz() -> str:
    return context.get().city.get("timezone", "Asia/Shanghai")


def _districts() -> dict[str, tuple[str, str]]:
    return geo.district_names((context.get().city.get("geo") or {}).get("districts"))


def _who() -> principal.Principal:
    who = principal.current()
    if who is None:
        raise PermissionError("no authenticated caller")
    return who


@callback(Output(ids.CS_TABLE, "children"), Output(ids.CS_LIVE, "children"), Output(ids.CS_SEEN, "data"),
          Input(ids.CS_TICK, "n_intervals"), Input(ids.CS_VIEW, "value"), Input(ids.CS_REFRESH, "data"),
          Input(ids.CS_R_DONE, "data"), Input(ids.CS_SELECTED, "data"), State(ids.CS_LANG, "data"),
          State(ids.CS_DEPT_FILTER, "data"), State(ids.CS_SEEN, "data"))
def refresh(_n: Any, which: str | None, _r: Any, _d: Any, selected: str | None, lang: str | None,
            department: str | None = None, seen: Any = None) -> tuple[Any, Any, Any]:
    """The caller's queue (open cases) or all their visible cases, longest waiting first (one department's only,
    when the page was opened for it); a case new to the queue is read out by the live region."""
    states = tuple(cf.OPEN_STATES) if which != "all" else ()
    department = department[:64] if isinstance(department, str) and department else None
    try:
        records = service.queue(context.get().casebook(), _who(), states, department)
        share = service.rules(context.get().casebook()).warn_share
    except DB_DOWN:
        return cases_layout.note(t("cs_db_down", lang)), no_update, no_update
    now, tz, names = int(time.time() * 1000), _tz(), _districts()
    rows = [view.row(rec, now, lang or "zh", tz, names, share) for rec in records]
    ok = isinstance(seen, dict) and isinstance(seen.get("ids"), list) and isinstance(seen.get("since"), int)
    said, keep = view.announce(records, rows, seen if ok else None, lang or "zh", now)
    table = cases_layout.table(rows, selected, lang or "zh") if rows else cases_layout.note(t("cs_none", lang))
    return table, no_update if said is None else said, keep


# The row that was clicked, chosen in the browser (callbacks.PICKED_ROW says why)
clientside_callback(PICKED_ROW, Output(ids.CS_SELECTED, "data"), Input({"type": "case-row", "id": ALL}, "n_clicks"),
                    prevent_initial_call=True)


@callback(Output(ids.CS_DETAIL, "children"), Output(ids.CS_TRAIL, "children"), Output(ids.CS_ACTION, "options"),
          Input(ids.CS_SELECTED, "data"), Input(ids.CS_TICK, "n_intervals"), Input(ids.CS_REFRESH, "data"),
          State(ids.CS_LANG, "data"))
def detail(selected: str | None, _n: Any, _r: Any, lang: str | None) -> tuple[Any, Any, Any]:
    """The selected case, its trail, and the actions the caller may take at its step."""
    lang = lang or "zh"
    if not selected:
        return t("cs_pick", lang), None, []
    who = _who()
    book = context.get().casebook()
    try:
        rec = service.visible(book.record(selected), who)
        steps = book.trail(selected)
        shots = view.photos(book.photos(selected), selected, lang, _tz())
        share = service.rules(book).warn_share
    except service.NotFound:
        return t("cs_pick", lang), None, []
    except DB_DOWN:
        return t("cs_db_down", lang), no_update, no_update
    row = view.row(rec, int(time.time() * 1000), lang, _tz(), _districts(), share, context.get().grid_code(rec))
    options = [{"label": t(f"cs_ac_{a}", lang), "value": a} for a in view.actions(who.role, rec["state"])]
    return (cases_layout.card(row, lang, shots), cases_layout.trail_table(view.trail(steps, lang, _tz())), options)


@callback(Output(ids.CS_MSG, "children"), Output(ids.CS_REFRESH, "data"), Output(ids.CS_COMMENT, "value"),
          Output(ids.CS_PHOTO, "contents"),
          Input(ids.CS_DO, "n_clicks"),
          State(ids.CS_SELECTED, "data"), State(ids.CS_ACTION, "value"), State(ids.CS_DEPT, "value"),
          State(ids.CS_INTO, "value"), State(ids.CS_URGENT, "value"), State(ids.CS_COMMENT, "value"),
          State(ids.CS_PHOTO, "contents"), State(ids.CS_REFRESH, "data"), State(ids.CS_LANG, "data"),
          prevent_initial_call=True)
def act(_n: int | None, selected: str | None, action: str | None, department: str | None, into: str | None,
        urgent: list[str] | None, comment: str | None, photo: str | None, bump: int | None,
        lang: str | None) -> tuple[Any, Any, Any, Any]:
    """Take the chosen action on the selected case as the signed-in user, then add the photo (if any) to the step
    it led to; a photo alone (no action chosen) is added to the step the case is at. A refusal says why and changes
    nothing."""
    lang = lang or "zh"
    keep = (no_update, no_update, no_update)
    if not selected:
        return t("cs_pick", lang), *keep
    if not photo and (not action or action not in cf.ACTIONS):
        return t("cs_pick_action", lang), *keep
    if action and action not in cf.ACTIONS:
        return t("cs_pick_action", lang), *keep
    book, who, now = context.get().casebook(), _who(), int(time.time() * 1000)
    try:
        data = _photo_bytes(photo)
        done = t("cs_photo_added", lang)
        if action:
            rec, _ = service.take(book, who, selected, action, now,
                                  comment=(comment or "").strip()[:2000], department=(department or "").strip()[:64],
                                  into=(into or "").strip()[:64], urgent="urgent" in (urgent or []))
            done = t("cs_done", lang, action=t(f"cs_ac_{action}", lang), state=view.state_name(rec["state"], lang))
        if data is not None:
            try:
                service.add_photo(book, context.get().photos(), who, selected, data, now)
            except (photos.BadPhoto, photos.StoreDown, cf.Refused) as exc:
                if not action:
                    raise
                done = f"{done} · {t('cs_photo_not_kept', lang, reason=exc.reason)}"
    except (cf.Refused, photos.BadPhoto, photos.StoreDown) as exc:
        return exc.reason, *keep
    except service.NotFound:
        return t("cs_pick", lang), *keep
    except DB_DOWN:
        return t("cs_db_down", lang), *keep
    return done, (bump or 0) + 1, "" if action else no_update, None


def _photo_bytes(contents: str | None) -> bytes | None:
    """An upload's bytes from the data URL the browser sent (None: no photo); BadPhoto when it is not one."""
    if not contents:
        return None
    head, sep, body = str(contents).partition(",")
    if not sep or not head.startswith("data:") or not head.endswith(";base64"):
        raise photos.BadPhoto("the photo did not arrive whole: choose it again")
    if len(body) > (photos.MAX_BYTES + 2) // 3 * 4 + 4:
        raise photos.BadPhoto(f"the photo is larger than {photos.MAX_BYTES:,} bytes", 413)
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise photos.BadPhoto("the photo did not arrive whole: choose it again") from None


@callback(Output(ids.CS_R_MSG, "children"), Output(ids.CS_R_DONE, "data"), Output(ids.CS_R_DESC, "value"),
          Output(ids.CS_R_PHOTO, "contents"),
          Input(ids.CS_R_SEND, "n_clicks"),
          State(ids.CS_R_CAT, "value"), State(ids.CS_R_LON, "value"), State(ids.CS_R_LAT, "value"),
          State(ids.CS_R_DESC, "value"), State(ids.CS_R_PHOTO, "contents"), State(ids.CS_R_DONE, "data"),
          State(ids.CS_LANG, "data"), State(ids.CS_R_COMP, "data"), prevent_initial_call=True)
def report(_n: int | None, category: str | None, lon: float | None, lat: float | None, description: str | None,
           photo: str | None, bump: int | None, lang: str | None,
           component: str | None = None) -> tuple[Any, Any, Any, Any]:
    """A new case from the form, at the given position (its district from the city's boundaries), with its photo.
    A photo that is not one refuses the report with the reason, the form as it was."""
    lang = lang or "zh"
    keep = (no_update, no_update, no_update)
    who = _who()
    x, y = service.number_in(lon, -180, 180), service.number_in(lat, -90, 90)
    part = map_view.component(context.get().components(), component) if component else None
    if category not in COMPONENTS or x is None or y is None or (component and (part is None or
                                                                               part["code"] != category)):
        return t("cs_need", lang), *keep
    district = geo.district_at((context.get().city.get("geo") or {}).get("districts"), x, y)
    if who.district is not None and district != who.district:
        return cf.Refused(403, f"you report in district {who.district} only").reason, *keep
    try:
        data = _photo_bytes(photo)
        if data is not None:
            photos.check(data)
    except photos.BadPhoto as exc:
        return t("cs_photo_not_kept", lang, reason=exc.reason), *keep
    channel = "inspector" if who.role == cf.INSPECTOR else "superior"
    case_id, now = casebook.new_id(), int(time.time() * 1000)
    book = context.get().casebook()
    try:
        book.report(case_id, str(category), now, kind="component", channel=channel, district=district, lon=x, lat=y,
                    component_id=part["id"] if part else None, description=(description or "").strip()[:2000],
                    by=who.name, role=who.role)
    except DB_DOWN:
        return t("cs_db_down", lang), *keep
    done = t("cs_reported", lang, id=case_id)
    if data is not None:  # the case stands whatever becomes of its photo: the message says, so it is not sent twice
        try:
            service.add_photo(book, context.get().photos(), who, case_id, data, now, reporting=True)
        except (*DB_DOWN, OSError, photos.BadPhoto, cf.Refused) as exc:
            log.warning("case %s: its photo was not kept: %s", case_id, exc)
            done = f"{done} · {t('cs_photo_not_kept', lang, reason=getattr(exc, 'reason', type(exc).__name__))}"
    return done, (bump or 0) + 1, "", None


# The phone's position into the form (the browser asks the user; nothing leaves the page without them).
clientside_callback(
    """function (n) {
        var keep = window.dash_clientside.no_update;
        if (!n || !navigator.geolocation) { return [keep, keep]; }
        return new Promise(function (resolve) {
            navigator.geolocation.getCurrentPosition(function (p) {
                resolve([Math.round(p.coords.longitude * 1e6) / 1e6, Math.round(p.coords.latitude * 1e6) / 1e6]);
            }, function () { resolve([keep, keep]); },
            {enableHighAccuracy: true, timeout: 10000});
        });
    }""",
    Output(ids.CS_R_LON, "value"), Output(ids.CS_R_LAT, "value"), Input(ids.CS_R_GPS, "n_clicks"),
    prevent_initial_call=True)


# The chosen photo's name beside its button, so the user sees what will be sent (cleared once it is).
for _upload, _name in ((ids.CS_PHOTO, ids.CS_PHOTO_NAME), (ids.CS_R_PHOTO, ids.CS_R_PHOTO_NAME)):
    clientside_callback(
        """function (contents, name) { return contents && name ? String(name) : ""; }""",
        Output(_name, "children"), Input(_upload, "contents"), State(_upload, "filename"))


@callback(Output(ids.CS_OV_DEPTS, "children"), Input(ids.CS_OV_TICK, "n_intervals"), State(ids.OV_LANG, "data"))
def departments(_n: Any, lang: str | None) -> Any:
    """The overview's department ranking (综合评价) over the last 30 days, for the caller's district."""
    lang = lang or "zh"
    try:
        rows = service.ranking(context.get().casebook(), _who(), int(time.time() * 1000))
    except DB_DOWN:
        return t("cs_db_down", lang)
    return cases_layout.departments_table(view.department_rows(rows, lang), lang)


@callback(Output(ids.CS_OV_LATE, "children"), Input(ids.CS_OV_TICK, "n_intervals"), Input(ids.CS_OV_BUMP, "data"),
          State(ids.OV_LANG, "data"))
def overdue(_n: Any, _bump: Any, lang: str | None) -> Any:
    """The overview's longest overdue cases (the caller's district's), with a 督办 button for those on the loop."""
    lang = lang or "zh"
    who = _who()
    try:
        recs = service.overdue(context.get().casebook(), who, int(time.time() * 1000))
    except DB_DOWN:
        return t("cs_db_down", lang)
    rows = view.overdue_rows(recs, int(time.time() * 1000), lang, _districts())
    return cases_layout.overdue_table(rows, lang, who.role in cf.ACTIONS["escalate"][2] or who.role == cf.ADMIN)


@callback(Output(ids.CS_OV_MSG, "children"), Output(ids.CS_OV_BUMP, "data"),
          Input({"type": "cs-ov-press", "id": ALL}, "n_clicks"), State(ids.CS_OV_BUMP, "data"),
          State(ids.OV_LANG, "data"), prevent_initial_call=True)
def press(clicks: list[int | None] | None, bump: int | None, lang: str | None) -> tuple[Any, Any]:
    """督办 from the overview: the case is escalated (its state stays; the department sees it pressed)."""
    lang = lang or "zh"
    trig = ctx.triggered_id
    if not isinstance(trig, dict) or not any(c for c in clicks or [] if c) or not ctx.triggered[0].get("value"):
        return no_update, no_update
    case_id = str(trig.get("id") or "")[:64]
    try:
        service.take(context.get().casebook(), _who(), case_id, "escalate", int(time.time() * 1000),
                     comment=t("cs_press_comment", lang))
    except cf.Refused as exc:
        return exc.reason, (bump or 0) + 1
    except service.NotFound:
        return t("cs_pick", lang), no_update
    except DB_DOWN:
        return t("cs_db_down", lang), no_update
    return t("cs_pressed", lang, id=case_id), (bump or 0) + 1
