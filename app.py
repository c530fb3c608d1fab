"""OneScreen: create_app(settings) -> Dash; `server` for gunicorn; `python app.py` runs the dev all-in-one."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import dash
import flask
from dash import Dash, html
from flask import Response
from flask_caching import Cache

import api
from api import admin as admin_api
from auth import bootstrap, errors, gate, headers, login, oidc, policy, redact
from auth.principal import current
from config.indicator_config import load_traffic_config
from config.settings import ROOT, Settings, basemap_config, load_city, load_feeds
from core import geo, heap, levels
from core.i18n import norm_lang, t
from data_sources import pipeline
from layouts import admin as admin_page
from layouts import alerts as alerts_layout
from layouts import analyst as analyst_layout
from layouts import cases as cases_layout
from layouts import overview as overview_layout
from layouts import wall as wall_layout
from layouts.common import forbidden, map_attribution
from store import context, history
from store.client import UNAVAILABLE, connect
from views import map as map_view

CASE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
log = logging.getLogger("onescreen")



def config_version() -> str:
    """A digest of the config and the UI code: when it changes (a redeploy), open walls reload themselves."""
    digest = hashlib.sha1()
    for folder, patterns in (("config", ("*.yaml", "cities/*.yaml")), ("assets", ("*.js", "*.css")),
                             ("layouts", ("*.py", "*.html")), ("views", ("*.py",)), ("callbacks", ("*.py",)),
                             ("core", ("*.py", "i18n/*.py"))):
        for pattern in patterns:
            for path in sorted((ROOT / folder).glob(pattern)):
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]



def create_app(settings: Settings | None = None) -> Dash:
    """Build the Dash app against settings.redis_url; the web tier holds no state of its own."""
    settings = settings or Settings()
    redact.install()  # no kiosk token, API key or password in any log line, whoever writes it
    heap.settle()  # full garbage collections stay short however big the city (core/heap.py)
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: run `make run` (embedded server) or point REDIS_URL at a server")
    city = load_city(settings.city)
    history.keep_ms("air")  # a bad history_days in config/feeds.yaml: ValueError now, not on every ingest write
    lang_default = norm_lang(settings.lang or city.get("lang"))
    app = _dash_app(lang_default)
    ctx = _install_context(app, settings, city)
    ctx.photos()  # the photo store's client is made now: a mistake in its settings stops the start, not a first photo
    the_gate = gate.install(app.server, settings, ctx.redis)  # before any route: every request is checked
    app.server.config.update(ONESCREEN_LANG=lang_default)
    _register_pages(settings, city, lang_default)
    app.layout = html.Div(dash.page_container)
    _register_routes(app, settings)
    _ensure_first_admin(app, ctx, settings)
    _finish_setup(app)
    the_gate.callbacks = app.callback_map  # from now on a callback request is checked against what is registered
    return app


HTML_LANG = {"zh": "zh-CN", "en": "en"}


class _Dash(Dash):
    """Dash whose pages say their language (`<html lang>`, WCAG 2.1 3.1.1, GB/T 37668): the page's ?lang=, else the
    deployment's; assets/onescreen.js keeps it right when a page changes language without a load."""

    def interpolate_index(self, **kwargs: Any) -> str:
        page = super().interpolate_index(**kwargs)
        asked = flask.request.args.get("lang") if flask.has_request_context() else None
        lang = norm_lang(asked, self.server.config.get("ONESCREEN_LANG") or "zh")
        return page.replace("<html>", f'<html lang="{HTML_LANG[lang]}">', 1)


def _dash_app(lang_default: str) -> Dash:
    """The Dash app: pages, every asset served locally, the level table loaded before the assets' scripts."""
    return _Dash(__name__, use_pages=True, pages_folder="", assets_folder=str(ROOT / "assets"),
                title=t("app_title", lang_default), update_title=None, serve_locally=True,
                suppress_callback_exceptions=True, compress=False, external_scripts=["/levels.js"])


def _install_context(app: Dash, settings: Settings, city: dict[str, Any]) -> context.Context:
    """The app's shared context (Redis, the per-tick cache, the city, its pipeline rules), kept in the Flask app."""
    cache_ = Cache(app.server, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.redis_url,
                                       "CACHE_KEY_PREFIX": "", "CACHE_DEFAULT_TIMEOUT": 10,
                                       "CACHE_OPTIONS": {"socket_timeout": 2.0, "socket_connect_timeout": 1.0}})
    traffic_cfg = load_traffic_config()
    ctx = context.Context(settings=settings, city=city, feeds=load_feeds(), redis=connect(settings.redis_url),
                          cache=cache_, traffic_cfg=traffic_cfg, config_version=config_version(),
                          rules=pipeline.rules_for(city, traffic_cfg=traffic_cfg),
                          districts=tuple(geo.district_names(city["geo"]["districts"])))
    context.init(app.server, ctx)
    return ctx


def _register_pages(settings: Settings, city: dict[str, Any], lang_default: str) -> None:
    """The four Dash pages, each behind its permission, and the callbacks they use."""
    bounds = geo.bounds(city["geo"]["districts"])
    # every layer's geometry comes from the API (once per page load): the entity layers filtered to the caller's
    # district; nothing of it is a static asset a district user could read whole
    urls = {layer: f"/api/v1/geo/{layer}.geojson" for layer in ("districts", "rivers")}
    scoped_geo = {layer: f"/api/v1/geo/{layer}.geojson" for layer in ("roads", "water_sections", "air_stations")}

    # the wall frames its profile's urban core (wall_frame), with the whole city in an inset; else the whole city
    frame = geo.bounds(city["geo"]["districts"], tuple(city["wall_frame"])) if city.get("wall_frame") else None

    def wall_page(lang: str | None = None, theme: str | None = None, **_: Any) -> html.Div:
        wall_urls = {**urls, **scoped_geo}
        return wall_layout.layout(city, wall_urls, frame or bounds, norm_lang(lang, lang_default), settings.tick_ms,
                                  theme=theme, city_bounds=bounds if frame else None)

    def home_page(lang: str | None = None, **_: Any) -> html.Div:
        lang = norm_lang(lang, lang_default)
        return overview_layout.layout(city["name_zh"] if lang == "zh" else city["name_en"], lang, settings.tick_ms)

    basemap = basemap_config(settings, city)
    map_urls = {**urls, **scoped_geo}
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]

    def analyst_page(lang: str | None = None, **query: Any) -> html.Div:
        lang = norm_lang(lang, lang_default)
        now = context.now_ms()
        district_codes = set(geo.districts(city["geo"]["districts"]))
        view = analyst_layout.parse_view(query, city.get("center", center), float(city.get("zoom", 10)),
                                        districts=district_codes, tz=city.get("timezone", "Asia/Shanghai"), now_ms=now)
        attribution = " · ".join(x for x in (map_attribution(city, lang), basemap.get("attribution")) if x)
        return analyst_layout.layout(city, map_urls, basemap, view, lang, settings.tick_ms, attribution,
                                    simulated=settings.simulator, now_ms=now)

    def alerts_page(lang: str | None = None, **_: Any) -> html.Div:
        lang = norm_lang(lang, lang_default)
        return alerts_layout.layout(city["name_zh"] if lang == "zh" else city["name_en"], lang)

    def cases_page(lang: str | None = None, department: str | None = None, case: str | None = None,
                   component: str | None = None, **_: Any) -> html.Div:
        lang = norm_lang(lang, lang_default)
        p = current()
        department = department.strip()[:64] if isinstance(department, str) and department.strip() else None
        case = case if isinstance(case, str) and CASE_ID.fullmatch(case) else None  # opened from a map pin
        part = map_view.component((settings.furniture_seed, geo.components_box(city)), component) \
            if isinstance(component, str) else None
        return cases_layout.layout(city["name_zh"] if lang == "zh" else city["name_en"], lang,
                                   may_report=p is not None and p.can("cases.report"), department=department,
                                   selected=case, component=part)

    def guard(perm: str, page: Any) -> Any:
        """A page layout that renders only for roles holding perm (the gate refuses full loads and data too)."""
        def layout(lang: str | None = None, **query: Any) -> Any:
            p = current()
            if p is None or not p.can(perm):
                return forbidden(norm_lang(lang, lang_default))
            return page(lang=lang, **query)
        return layout

    for name, path, page, title in (("alerts", "/alerts", alerts_page, "console_title"),
                                    ("wall", "/wall", wall_page, "wall_title"),
                                    ("analyst", "/analyst", analyst_page, "onemap_title"),
                                    ("home", "/", home_page, "ov_title"),
                                    ("cases", "/cases", cases_page, "cases_title")):
        dash.register_page(name, path=path, layout=guard(policy.page_perm(path), page), title=t(title, lang_default))
    import callbacks.alerts  # noqa: F401  (registers callbacks)
    import callbacks.analyst  # noqa: F401
    import callbacks.cases  # noqa: F401
    import callbacks.overview  # noqa: F401
    import callbacks.wall  # noqa: F401

    _share_module_callbacks()  # every app of the process gets them, not only the first


def _register_routes(app: Dash, settings: Settings) -> None:
    """The Flask routes beside the pages: health, the level table, the JSON API, sign-in, admin; then the error and
    header handlers that apply to all of them."""
    app.server.add_url_rule("/healthz", "healthz", lambda: {"ok": True})
    levels_js = levels.browser_script()  # the one table of level colours, for the map code (core/levels.py)
    app.server.add_url_rule("/levels.js", "levels_js", lambda: Response(
        levels_js, mimetype="text/javascript", headers={"Cache-Control": "private, max-age=300"}))
    api.register(app.server)
    app.server.register_blueprint(login.bp)
    app.server.register_blueprint(admin_page.bp)  # /admin: users, kiosk links, API tokens, audit
    app.server.register_blueprint(admin_api.bp)  # /api/v1/admin: the same for automation
    oidc.register(app.server, settings)  # /login/oidc (+ /callback) when ONESCREEN_OIDC_* are set
    errors.install(app.server)  # a request for something that is not there: 4xx, no stack trace
    headers.install(app, settings)  # CSP (hashes of Dash's inline scripts), framing, caching, HSTS


def _ensure_first_admin(app: Dash, ctx: context.Context, settings: Settings) -> None:
    """The first start creates the admin (its password is shown once by make run)."""
    try:
        app.server.config["ONESCREEN_FIRST_ADMIN"] = bootstrap.ensure_admin(ctx.redis, settings)
    except UNAVAILABLE:
        log.warning("store unavailable at start: the first admin is created on a later start")


def _finish_setup(app: Dash) -> None:
    """Dash finishes its setup (callback registry, pages) lazily on the first request, and a threaded worker's first
    concurrent requests race it ("Callback function not found for output"): finish it now, before serving anyone."""
    with app.server.test_client() as warm:
        warm.get("/_dash-dependencies")
        warm.get("/")


_MODULE_CALLBACKS: tuple[dict[str, Any], list[Any], list[Any]] | None = None


def _share_module_callbacks() -> None:
    """Dash hands the callbacks registered with `dash.callback` (module level, at first import) to the first app that
    sets itself up and empties its global lists: keep a copy the first time, and give every later app the same."""
    from dash import _callback

    global _MODULE_CALLBACKS
    if _MODULE_CALLBACKS is None:
        _MODULE_CALLBACKS = (dict(_callback.GLOBAL_CALLBACK_MAP), list(_callback.GLOBAL_CALLBACK_LIST),
                             list(_callback.GLOBAL_INLINE_SCRIPTS))
        return
    mapping, listed, scripts = _MODULE_CALLBACKS
    _callback.GLOBAL_CALLBACK_MAP.clear()
    _callback.GLOBAL_CALLBACK_MAP.update(mapping)
    _callback.GLOBAL_CALLBACK_LIST[:] = listed
    _callback.GLOBAL_INLINE_SCRIPTS[:] = scripts


_default: Dash | None = None


def __getattr__(name: str) -> Any:
    """`gunicorn app:server` builds the app on first access, from the environment."""
    global _default
    if name in ("server", "app"):
        if _default is None:
            _default = create_app()
        return _default.server if name == "server" else _default
    raise AttributeError(name)


def first_start_lines(app: Dash, settings: Settings, base: str) -> str:
    """make run's first start prints the admin login and a kiosk link for the wall, once; later starts say how."""
    lines = ""
    password = app.server.config.get("ONESCREEN_FIRST_ADMIN")
    if password and settings.admin_password:  # the operator chose it: nothing to note down
        lines += "  sign in    user admin, with the password in ONESCREEN_ADMIN_PASSWORD\n"
    elif password:
        lines += f"  sign in    user admin, password {password}   <- shown once: note it now\n"
    else:
        lines += "  sign in    with your account (forgot it? python -m auth passwd admin)\n"
    if settings.kiosk_token_list:
        lines += "  kiosk      /wall?kiosk=<a token from ONESCREEN_KIOSK_TOKENS>\n"
    else:
        link = bootstrap.first_kiosk_link(context.of(app.server).redis, base)
        lines += (f"  kiosk      {link}   <- the wall's read-only link, shown once\n" if link else
                  "  kiosk      issue wall links at /admin (or python -m auth kiosk <wall name>)\n")
    return lines


def main() -> None:
    """The dev all-in-one: embedded Redis (unless REDIS_URL), simulated feeds and the dashboard, one Ctrl-C away."""
    from data_sources import runner
    from store.embedded import EmbeddedServer, set_parent_death_signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("dash.dash").propagate = False  # Dash prints "Dash is running" itself: once is enough
    set_parent_death_signal(signal.SIGTERM)  # if `make` (our parent) is killed, shut down cleanly too
    if os.getppid() == 1:
        sys.exit("parent already gone")
    settings = Settings()
    if not settings.secret_key:  # the dev all-in-one stays friendly: a per-start key (sessions end on restart)
        settings.secret_key = os.environ["ONESCREEN_SECRET_KEY"] = secrets.token_urlsafe(32)
        log.info("ONESCREEN_SECRET_KEY unset: using a random key for this run (logins end when it stops)")
    embedded = None
    if not settings.redis_url:
        embedded = EmbeddedServer(Path(settings.data_dir))
        settings.redis_url = embedded.start()
        os.environ["REDIS_URL"] = settings.redis_url
        log.info("embedded server %s on %s (AOF everysec in %s)", embedded.binary, settings.redis_url,
                 embedded.data_dir)
    stop = threading.Event()
    if embedded:
        embedded.supervise(stop)  # a dead embedded server is restarted on the same data and socket

    def shutdown(*_: Any) -> None:
        stop.set()
        if embedded:
            embedded.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)  # explicit: a parent may have started us with SIGINT ignored
    try:
        app = create_app(settings)
        runner.start_thread(settings, context.of(app.server).redis, stop)
        base = f"http://{settings.host}:{settings.port}"
        print(f"\nOneScreen is up:\n  overview   {base}/\n  wall       {base}/wall\n  one map    {base}/analyst\n"
              f"  alerts     {base}/alerts\n  cases      {base}/cases\n  admin      {base}/admin\n"
              + first_start_lines(app, settings, base)
              + "  (Ctrl-C stops everything)\n", flush=True)
        app.run(host=settings.host, port=settings.port, debug=False, threaded=True)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    main()
