/* OneScreen wall helpers: the connection-lost overlay and the wall's self-reload. */
window.onescreen = window.onescreen || {};  /* extended in place: every asset script adds its own namespace */
Object.assign(window.onescreen, {
  conn: {
    /* Show the connection-lost overlay when no tick arrived for 3.5 ticks, or the server says the store is down. */
    _seen: null, _at: 0,
    hidden: function (last) {
      var c = window.onescreen.conn, now = Date.now();
      if (!last || !last.t) { return true; }
      if (c._seen !== last.t) { c._seen = last.t; c._at = now; }
      var limit = 3.5 * (last.tick || 2000);
      return Boolean(last.store) && (now - c._at) < limit;
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
