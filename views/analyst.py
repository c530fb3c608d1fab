"""The analyst's selection and comparison (URL `sel=air:1345A`, `cmp=air:1345A,air:1346A`) and the side panel's data.

Pure functions: the callbacks read Redis once (store.history.read_panel) and hand the result here with `now`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from core import romanize
from core.i18n import FEED_NAMES, t
from indicators import traffic
from store.history import FEEDS, MINUTE_MS, Point
from store.scope import in_scope
from views import entity, replay
from views import history as hist

MAX_COMPARE = 4
_REF = re.compile(r"^(air|traffic|water):([\w.\-]{1,64})$")
_CASE = re.compile(r"^case:([\w.\-]{1,64})$")  # a loop case on the map: its card and timeline in the side panel

Ref = dict[str, str]


def parse_ref(text: Any) -> Ref | None:
    """'air:1345A' -> {'feed': 'air', 'id': '1345A'}; None for anything else (a feed without history, bad text)."""
    if isinstance(text, dict):
        text = f"{text.get('feed')}:{text.get('id')}"
    m = _REF.match(str(text or "").strip())
    return {"feed": m.group(1), "id": m.group(2)} if m and m.group(1) in FEEDS else None


def parse_case(text: Any) -> str | None:
    """'case:C…' (or {'feed': 'case', 'id': …}) -> the case id; None for anything else."""
    if isinstance(text, dict):
        text = f"{text.get('feed')}:{text.get('id')}"
    m = _CASE.match(str(text or "").strip())
    return m.group(1) if m else None


def parse_selection(text: Any) -> Ref | None:
    """The side panel's subject: an entity with history (parse_ref) or a loop case ({'feed': 'case', 'id'})."""
    case_id = parse_case(text)
    return {"feed": "case", "id": case_id} if case_id else parse_ref(text)


def ref_key(ref: Ref) -> str:
    """{'feed': 'air', 'id': '1345A'} -> 'air:1345A' (the URL and chip form)."""
    return f"{ref['feed']}:{ref['id']}"


def parse_refs(text: Any) -> list[str]:
    """`cmp=` -> valid, distinct references of the first valid one's feed, at most MAX_COMPARE."""
    items = text if isinstance(text, list) else str(text or "").split(",")
    out: list[str] = []
    for item in items:
        ref = parse_ref(item)
        if ref is None or ref_key(ref) in out or (out and ref["feed"] != out[0].split(":")[0]):
            continue
        out.append(ref_key(ref))
    return out[:MAX_COMPARE]


def add_compare(cmp: Sequence[str], sel: Any, lang: str) -> tuple[list[str], str]:
    """Add the selected entity to the comparison: (new list, message); a fifth or another feed is refused."""
    current = parse_refs(list(cmp or []))
    ref = parse_ref(sel)
    if ref is None:
        return current, t("am_pick", lang)
    key = ref_key(ref)
    if key in current:
        return current, t("am_cmp_already", lang)
    if current and current[0].split(":")[0] != ref["feed"]:
        feed = current[0].split(":")[0]
        return current, t("am_cmp_feed", lang, feed=FEED_NAMES[feed][lang])
    if len(current) >= MAX_COMPARE:
        return current, t("am_cmp_full", lang, n=MAX_COMPARE)
    current.append(key)
    return current, t("am_cmp_added", lang, n=len(current), max=MAX_COMPARE)


def chart_entities(sel: Any, cmp: Sequence[str]) -> tuple[str | None, list[str], str | None]:
    """(feed, entity ids to draw, the selected id left out because the comparison is full).

    The comparison is drawn with the selected entity added when it is of the same feed and there is room; a selection
    of another feed is drawn alone (the comparison stays in the URL for later).
    """
    ref = parse_ref(sel)
    refs = parse_refs(list(cmp or []))
    if not refs:
        return (ref["feed"], [ref["id"]], None) if ref else (None, [], None)
    feed = refs[0].split(":")[0]
    ids = [r.split(":", 1)[1] for r in refs]
    if ref is None or (ref["id"] in ids and ref["feed"] == feed):
        return feed, ids, None
    if ref["feed"] != feed:
        return ref["feed"], [ref["id"]], None
    if len(ids) < MAX_COMPARE:
        return feed, [*ids, ref["id"]], None
    return feed, ids, ref["id"]


def window(range_key: str, now_ms: int, at_ms: int | None) -> tuple[int, int]:
    """[since, until] of the chart: the chosen range ending now, or ending at the replayed minute."""
    until = now_ms if at_ms is None else at_ms + MINUTE_MS - 1
    return until - hist.RANGES.get(range_key, hist.RANGES[hist.DEFAULT_RANGE]), until


def name_of(doc: Mapping[str, Any] | None, eid: str, lang: str = "zh") -> str:
    """An entity's display name from its stored metadata, in the page's language (core.romanize.display)."""
    meta = (doc or {}).get("m") or {}
    return romanize.display(meta.get("name") or eid, lang, meta.get("name_en"))


def bands_for(feed: str, meta: Mapping[str, Any], item: str | None, lang: str,
              cfg: traffic.TrafficConfig | None) -> tuple[list[hist.Band], str | None]:
    """Threshold bands for the chart and a note on whose thresholds they are (roads: the road class)."""
    if feed == "air":
        return hist.air_bands(lang), None
    if feed == "traffic":
        road = str(meta.get("road_class") or "arterial")
        what = t(f"am_road_{road}", lang) if f"am_road_{road}" in _ROADS else road
        return hist.traffic_bands(road, lang, cfg), t("am_thresholds", lang, what=what)
    key = hist.metric(feed, item)
    return hist.water_bands(key, lang, str(meta.get("waterbody") or "river")), None


_ROADS = {f"am_road_{r}" for r in traffic.ROAD_CLASSES}


def wanted(sel: Any, cmp: Sequence[str]) -> tuple[str | None, list[str], list[str]]:
    """What to read: (chart feed, its ids with the selected one, every "feed:id" whose document the panel shows)."""
    feed, ids, _ = chart_entities(sel, cmp)
    ref = parse_ref(sel)
    series_ids = list(ids)
    if ref and ref["feed"] == feed and ref["id"] not in series_ids:
        series_ids.append(ref["id"])  # the compare is full: not drawn, but its replayed details come from its samples
    keys = [f"{feed}:{eid}" for eid in series_ids] + [k for k in [*parse_refs(list(cmp or [])),
                                                                    *([ref_key(ref)] if ref else [])]
                                                       if not k.startswith(f"{feed}:")]
    return feed, series_ids, list(dict.fromkeys(keys))


def scoped(feed: str | None, series: Mapping[str, list[Point]], docs: Mapping[str, dict[str, Any] | None],
           scope: str | None) -> tuple[Mapping[str, list[Point]], Mapping[str, dict[str, Any] | None]]:
    """What a district-scoped caller may see of a panel read: entities of other districts look unknown (no document,
    no samples), exactly like an id that does not exist."""
    if scope is None:
        return series, docs
    docs = {k: (d if in_scope(d, scope) else None) for k, d in docs.items()}
    return {eid: (pts if docs.get(f"{feed}:{eid}") is not None else []) for eid, pts in series.items()}, docs


def panel(sel: Any, cmp: Sequence[str], series: Mapping[str, list[Point]], docs: Mapping[str, dict[str, Any] | None],
          *, range_key: str, item: str | None, at_ms: int | None, now_ms: int, lang: str, tz: str,
          districts: Mapping[str, tuple[str, str]], cfg: traffic.TrafficConfig | None = None,
          aqi_setting: str = "auto", starts_ms: int | None = None) -> dict[str, Any]:
    """Everything the side panel shows: title, detail rows, notes, the chart figure, the compare chips."""
    feed, ids, left_out = chart_entities(sel, cmp)
    ref = parse_ref(sel)
    since, until = window(range_key, now_ms, at_ms)
    out: dict[str, Any] = {"open": feed is not None, "title": "", "rows": [], "notes": [], "feed": feed,
                           "chips": [{"key": k, "name": name_of(docs.get(k), k.split(":", 1)[1], lang)}
                                     for k in parse_refs(list(cmp or []))]}
    if feed is None:
        out["figure"] = {"data": [], "layout": {}}
        return out
    if ref is not None:
        doc = docs.get(ref_key(ref))
        meta = (doc or {}).get("m") or {}
        if at_ms is not None:  # replay: the entity as it was (its last sample up to the replayed minute)
            past = [p for p in series.get(ref["id"], []) if p["m"] <= at_ms]
            doc = replay.doc_of(ref["feed"], ref["id"], past[-1], meta, aqi_setting=aqi_setting, cfg=cfg) \
                if past else None
            out["notes"].append(t("am_as_of", lang, at=replay.at_label(at_ms, tz, lang)))
        if doc is None:
            out["title"] = name_of(docs.get(ref_key(ref)), ref["id"], lang)
            out["notes"].append(t("am_no_sample" if at_ms is not None else "no_data", lang))
        else:
            info = entity.details(ref["feed"], doc, lang, now_ms if at_ms is None else at_ms, tz, districts)
            out["title"], out["rows"] = info["title"], info["rows"]
    first = docs.get(ref_key(ref) if ref and ref["feed"] == feed else f"{feed}:{ids[0]}") or {}
    bands, note = bands_for(feed, first.get("m") or {}, item, lang, cfg)
    if note:
        out["notes"].append(note)
    if left_out:
        out["notes"].append(t("am_cmp_not_drawn", lang, name=name_of(docs.get(f"{feed}:{left_out}"), left_out, lang)))
    names = {eid: name_of(docs.get(f"{feed}:{eid}"), eid, lang) for eid in ids}
    out["figure"] = hist.figure(feed, {eid: series.get(eid, []) for eid in ids}, names, item=item, lang=lang,
                                tz=tz,
                                since_ms=since, until_ms=until, bands=bands, at_ms=at_ms,
                                texts={"empty": t("am_empty", lang)}, starts_ms=starts_ms)
    return out


def csv_download(sel: Any, cmp: Sequence[str], series: Mapping[str, list[Point]],
                 docs: Mapping[str, dict[str, Any] | None], tz: str, now_ms: int, range_key: str) -> dict[str, Any]:
    """dcc.Download data for the charted entities' samples (base64 CSV, a file name that says what and when)."""
    import base64
    from datetime import datetime
    from zoneinfo import ZoneInfo

    feed, ids, _ = chart_entities(sel, cmp)
    body = hist.csv_bytes(feed or "air", {eid: series.get(eid, []) for eid in ids},
                          {eid: name_of(docs.get(f"{feed}:{eid}"), eid) for eid in ids}, tz)
    stamp = datetime.fromtimestamp(now_ms / 1000, ZoneInfo(tz)).strftime("%Y%m%d-%H%M")
    name = f"onescreen-{feed}-{'-'.join(ids[:4])}-{range_key}-{stamp}.csv"
    return {"content": base64.b64encode(body).decode("ascii"), "base64": True, "filename": name,
            "type": "text/csv"}
