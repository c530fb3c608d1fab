"""What the gate answers when it refuses, asks or cannot look: JSON for the API and callbacks, small pages for
browsers (the kiosk question, the store-unavailable page), and the request facts it checks (origin, JSON errors)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import current_app, jsonify, make_response, render_template_string, request
from werkzeug.wrappers import Response

from auth import csrf


def json_error() -> str:
    """Why the request's JSON body could not be read (Flask says only 'bad request' outside debug mode)."""
    try:
        current_app.json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError) as exc:
        return str(exc)[:200]
    return "not JSON"


def without_kiosk() -> str:
    """This request's path and query without the kiosk token (lang, theme and the rest stay)."""
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "kiosk"]
    return request.path + ("?" + urlencode(rest) if rest else "")


KIOSK_QUESTION = (Path(__file__).with_name("kiosk_question.html")).read_text(encoding="utf-8")


def kiosk_question(name: str, token: str, target: str) -> Response:
    """A person opened a wall's link: ask before signing them out (409, nothing changed)."""
    resp = make_response(render_template_string(KIOSK_QUESTION, name=name, token=token, csrf=csrf.token(),
                                                target=target), 409)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def same_origin() -> bool:
    """Unsafe methods with a cookie must come from this origin (JSON posts cannot be forged by a plain form)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.headers.get("Authorization"):
        return True
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def plain(message: str, status: int) -> Response:
    """A small text page (no stack trace, no template)."""
    resp = make_response(message + "\n", status)
    resp.mimetype = "text/plain"
    return resp


def json_or_page(message: str, status: int) -> Response:
    """JSON for API/callback paths, plain text for pages."""
    if request.path.startswith(("/api/", "/_dash", "/tiles/")):
        resp = jsonify({"error": message})
        resp.status_code = status
        return resp
    return plain(message, status)


def unavailable() -> Response:
    """The store is down and the caller is unknown: say so, and let pages retry by themselves."""
    if request.path.startswith(("/api/", "/_dash", "/tiles/")):
        resp = jsonify({"error": "store unavailable"})
        resp.status_code = 503
        resp.headers["Retry-After"] = "5"
        return resp
    resp = make_response('<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
                         "<title>OneScreen</title><p>Data store unavailable — retrying every 5 s.</p>", 503)
    resp.headers["Retry-After"] = "5"
    return resp


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def open311(fmt: str, root: str, item: str, rows: list[dict[str, object]], status: int = 200) -> Response:
    """Open311 GeoReport v2's shapes: a JSON array, or XML <root><item><field>text</field>…</item>…</root>."""
    if fmt != "xml":
        resp = jsonify(rows)
    else:
        from xml.etree.ElementTree import Element, SubElement, tostring

        top = Element(root)
        for row in rows:
            node = SubElement(top, item)
            for key, value in row.items():  # characters XML 1.0 cannot hold are left out
                SubElement(node, key).text = "" if value is None else _XML_BAD.sub("", str(value))
        resp = make_response(b'<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="utf-8",
                                                                                    xml_declaration=False))
        resp.mimetype = "text/xml"
    resp.status_code = status
    return resp


def open311_error(fmt: str, code: int, description: str) -> Response:
    """Open311's error list, in the asked format, with the same HTTP status."""
    return open311(fmt, "errors", "error", [{"code": code, "description": description}], code)
