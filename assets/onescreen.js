/* OneScreen wall helpers: the connection-lost overlay and the wall's self-reload. */
window.onescreen = window.onescreen || {};  /* extended in place: every asset script adds its own namespace */
Object.assign(window.onescreen, {
  /* Text from outside (station names, citizens' addresses, ids) is hostile: it reaches the page only as text. */
  esc: function (v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"'`]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;"}[c];
    });
  },
  /* A colour put into a style attribute: only #rgb/#rrggbb(aa) passes, anything else becomes the neutral grey. */
  color: function (v) { return typeof v === "string" && /^#[0-9a-fA-F]{3,8}$/.test(v) ? v : "#5b6475"; },
  /* A level's colour from the server's one table of levels (/levels.js, made by core/levels.py), or null. */
  level: function (scale, key) {
    var table = (window.onescreen.levels || {})[scale] || {};
    return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : null;
  },
  /* The text colour that reads on a level colour (same table). */
  textOn: function (bg) {
    var text = (window.onescreen.levels || {}).text || {};
    return Object.prototype.hasOwnProperty.call(text, bg) ? text[bg] : "#ffffff";
  },
  /* An element holding only text (for Leaflet tooltips and popups, which would parse a string as HTML). */
  textEl: function (tag, text, className) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    el.textContent = text === null || text === undefined ? "" : String(text);
    return el;
  },
  conn: {
    /* Show the connection-lost overlay when no tick arrived for 3.5 ticks, or the server says the store is down. */
    _seen: null, _at: 0,
    hidden: function (last) {
      var c = window.onescreen.conn, now = Date.now();
      if (!last || !last.t) { return true; }
      if (c._seen !== last.t) { c._seen = last.t; c._at = now; }
      var limit = 3.5 * (last.tick || 2000);
      var ok = Boolean(last.store) && (now - c._at) < limit;
      if (!ok && now - c._at > 15000 && now - (c._probe || 0) > 10000) { c._probeSession(); }
      return ok;
    },
    /* Lost for a while: if the server answers but no longer knows this wall (a restart with a new session key,
       or an expired login), reload: a kiosk URL signs itself in again, a person lands on the login form. */
    _probe: 0,
    _probeSession: function () {
      var c = window.onescreen.conn;
      c._probe = Date.now();
      fetch("/api/v1/me", {credentials: "same-origin", cache: "no-store"}).then(function (r) {
        if (r.status === 401) { window.location.reload(); }
      }).catch(function () { /* server unreachable: keep showing connection lost */ });
    },
    /* Reload after a redeploy or config change (new config digest), and once a day at the configured hour. */
    _cfg: null, _loaded: Date.now(),
    maybeReload: function (last) {
      var c = window.onescreen.conn;
      if (!last || !last.cfg) { return window.dash_clientside.no_update; }
      if (c._cfg === null) { c._cfg = last.cfg; }
      var daily = last.reload_hour >= 0 && last.hour === last.reload_hour && Date.now() - c._loaded > 3600 * 1000;
      if (last.cfg !== c._cfg || daily) { window.location.reload(); }
      return window.dash_clientside.no_update;
    }
  }
});
/* The document says the language its page is in (<html lang>, set by the server on a load): a page rendered in the
   other language without a load (a link inside the app) updates it from its language switch. */
(function () {
  var sync = function () {
    var on = document.querySelector("a.lang-link.lang-on[data-lang]");
    var want = on ? (on.getAttribute("data-lang") === "en" ? "en" : "zh-CN") : null;
    if (want && document.documentElement.lang !== want) { document.documentElement.lang = want; }
  };
  new MutationObserver(sync).observe(document.documentElement, {childList: true, subtree: true});
})();
/* Language switch: rewrite only ?lang= so a shared view keeps its layers, centre and filters. */
document.addEventListener("click", function (e) {
  var a = e.target.closest && e.target.closest("a.lang-link");
  if (!a) { return; }
  e.preventDefault();
  var q = new URLSearchParams(window.location.search);
  q.set("lang", a.getAttribute("data-lang"));
  var qs = [];
  q.forEach(function (v, k) { qs.push(encodeURIComponent(k) + "=" + encodeURIComponent(v).replace(/%2C/g, ",")); });
  window.location.assign(window.location.pathname + "?" + qs.join("&"));
});
/* The alert console once kept an operator name in localStorage (Dash persistence); who acts now comes from the
   signed-in session, so forget any name an older version left behind. */
(function () {
  try {
    var stale = [];
    for (var i = 0; i < window.localStorage.length; i++) {
      var k = window.localStorage.key(i);
      if (k && k.indexOf("_dash_persistence.ac-operator.") === 0) { stale.push(k); }
    }
    stale.forEach(function (k) { window.localStorage.removeItem(k); });
  } catch (e) { /* storage disabled: nothing to forget */ }
})();
