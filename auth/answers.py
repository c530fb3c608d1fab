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


# What a refused or failed page request is told, in the page's language (issue #17 item 7: these were English-only
# plain text). The API and callbacks keep their JSON errors, in English, for programs.
REFUSALS = {
    "kiosk_invalid": ("此大屏链接无效（已吊销或输入有误）。请向管理员申请新的大屏链接。",
                      "This wall link is not valid (revoked or mistyped). Ask an administrator for a new kiosk link."),
    "form_expired": ("表单已过期，或并非来自本站：请刷新页面后重试。",
                     "The form expired or did not come from this site: reload the page and try again."),
    "cross_site": ("已拒绝跨站请求。", "Cross-site request refused."),
    "forbidden_role": ("您的角色（{role}）无权使用此功能。", "Your role ({role}) may not use this."),
    "bad_request": ("请求无效。", "Bad request."),
    "unavailable": ("数据存储暂不可用：每 5 秒自动重试。", "The data store is unavailable: retrying every 5 s."),
}
TITLES = {400: ("请求无效", "Bad request"), 401: ("无法登录", "Not signed in"), 403: ("无权访问", "Not allowed"),
          503: ("暂不可用", "Unavailable")}
REFUSAL_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{% if retry %}
<meta http-equiv="refresh" content="5">{% endif %}<title>{{ title }} · OneScreen</title>
<link rel="stylesheet" href="/assets/a11y.css"><link rel="stylesheet" href="/assets/login.css"></head>
<body class="login-body"><main class="login-card">
<h1 class="login-h1">{{ title }}</h1><p class="login-error" role="alert">{{ text }}</p>
<p class="login-lang"><a class="login-link" href="/">{{ home }}</a></p>
</main></body></html>"""


def page(key: str, status: int, **kw: str) -> Response:
    """A small page in the app's style and the page's language (?lang=, else the app's), saying what went wrong."""
    lang = str(request.args.get("lang") or current_app.config.get("ONESCREEN_LANG", "zh"))
    en = lang.lower().startswith("en")
    text = REFUSALS[key][en].format(**kw)
    title = TITLES.get(status, ("OneScreen", "OneScreen"))[en]
    resp = make_response(render_template_string(REFUSAL_PAGE, lang="en" if en else "zh", title=title, text=text,
                                                home="Home" if en else "返回首页", retry=status == 503), status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def json_or_page(message: str, status: int, key: str = "bad_request", **kw: str) -> Response:
    """JSON for API/callback paths (`message`), a page (`key`'s words) for pages."""
    if request.path.startswith(("/api/", "/_dash", "/tiles/")):
        resp = jsonify({"error": message})
        resp.status_code = status
        return resp
    return page(key, status, **kw)


def unavailable() -> Response:
    """The store is down and the caller is unknown: say so, and let pages retry by themselves."""
    if request.path.startswith(("/api/", "/_dash", "/tiles/")):
        resp = jsonify({"error": "store unavailable"})
        resp.status_code = 503
        resp.headers["Retry-After"] = "5"
        return resp
    resp = page("unavailable", 503)
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
