"""GET /api/v1/history/<feed>?ids=a,b&range=24h (or since/until, epoch ms; at most 8 days) [&format=csv]: the
per-minute samples behind the analyst's chart, for scripts and spreadsheets; and .../<feed>/<id>/at/<ms>: one entity's
popup rows as of a replayed minute."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from auth import principal
from core.geo import district_names
from core.i18n import norm_lang, t
from store import context, history, snapshot
from store.client import UNAVAILABLE
from store.scope import in_scope
from views import entity, replay
from views import history as hist
from views.analyst import name_of, parse_ref

bp = Blueprint("history", __name__, url_prefix="/api/v1")
MAX_IDS = 20
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: the last instant a datetime can show


@bp.get("/history/<feed>")
def get_history(feed: str):  # noqa: ANN201 - Flask view
    """Samples of up to 20 entities of one feed over a range; 400 for bad input, 503 if the store is unreachable."""
    if feed not in history.FEEDS:
        return jsonify(error=f"no per-entity history for feed {feed!r}; one of {list(history.FEEDS)}"), 404
    raw = request.args.get("ids", "").split(",")
    ids = list(dict.fromkeys(ref["id"] for x in raw if (ref := parse_ref(f"{feed}:{x}"))))[:MAX_IDS]
    if not ids:
        return jsonify(error="ids= must name one or more entities, e.g. ids=1345A,1346A"), 400
    now = context.now_ms()
    try:
        until = int(request.args.get("until", now))
        since = int(request.args["since"]) if "since" in request.args else \
            until - hist.RANGES[request.args.get("range", hist.DEFAULT_RANGE)]
        if not 0 <= since <= MAX_MS or not 0 <= until <= MAX_MS:
            raise ValueError("out of range")
    except (ValueError, KeyError):
        return jsonify(error=f"since/until must be epoch ms; range one of {list(hist.RANGES)}"), 400
    if not 0 <= until - since <= history.keep_ms(feed):
        days = history.keep_ms(feed) / 86_400_000
        return jsonify(error=f"the range must run forwards and span at most {days:g} days "
                             f"(the {feed} history kept)"), 400
    ctx = context.get()
    scope = principal.current_scope()
    try:
        series, docs = history.read_panel(ctx.redis, feed, ids, since, until, [f"{feed}:{e}" for e in ids])
    except UNAVAILABLE:
        return jsonify(error="store unavailable"), 503
    if scope is not None:  # a district caller: other districts' (and unknown) entities are not there at all
        ids = [e for e in ids if in_scope(docs.get(f"{feed}:{e}"), scope)]
        if not ids:
            return jsonify(error=f"no {feed} entity with those ids"), 404
    series = {e: series.get(e, []) for e in ids}  # CSV and JSON alike: only the entities the caller may see
    names = {e: name_of(docs.get(f"{feed}:{e}"), e) for e in ids}
    if request.args.get("format") == "csv":
        body = hist.csv_bytes(feed, series, names, ctx.city.get("timezone", "Asia/Shanghai"))
        return Response(body, mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename=onescreen-{feed}-history.csv"})
    return jsonify(feed=feed, since=since, until=until, fields=list(history.FIELDS[feed]),
                   entities=[{"id": e, "name": names[e], "samples": series.get(e, [])} for e in ids])


@bp.get("/history/<feed>/<path:entity_id>/at/<int:at_ms>")
def get_as_of(feed: str, entity_id: str, at_ms: int):  # noqa: ANN201 - Flask view
    """One entity's popup rows as they were at a replayed minute (the map's popups while replaying)."""
    ref = parse_ref(f"{feed}:{entity_id}")
    if ref is None:
        return jsonify(error=f"no per-entity history for {feed}:{entity_id}"), 404
    if at_ms > MAX_MS:
        return jsonify(error="at must be epoch milliseconds before the year 10000"), 400
    ctx = context.get()
    lang = norm_lang(request.args.get("lang"), ctx.city.get("lang", "zh"))
    tz = ctx.city.get("timezone", "Asia/Shanghai")
    scope = principal.current_scope()
    try:
        latest = snapshot.read_entity(ctx.redis, feed, entity_id, scope)
        if latest is None and scope is not None:  # another district's entity: as unknown as a wrong id
            return jsonify(error=f"no {feed} entity {entity_id!r}"), 404
        past = history.as_of(ctx.redis, {feed: [entity_id]}, at_ms)[feed][entity_id]
    except UNAVAILABLE:
        return jsonify(error="store unavailable"), 503
    label = [t("am_replay_title", lang), replay.at_label(history.minute_of(at_ms), tz, lang)]
    if past is None:
        return jsonify(id=entity_id, feed=feed, title=name_of(latest, entity_id),
                       rows=[label, [t("am_no_sample", lang), "—"]])
    doc = replay.doc_of(feed, entity_id, past, (latest or {}).get("m") or {},
                        aqi_setting=str(ctx.city.get("aqi_standard", "auto")), cfg=ctx.traffic_cfg)
    body = entity.details(feed, doc, lang, at_ms, tz, district_names(ctx.city["geo"]["districts"]))
    return jsonify(id=entity_id, feed=feed, ts=doc["ts"], title=body["title"], rows=[label, *body["rows"]])
