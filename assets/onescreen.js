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
  /* District names on a map never overlap (issue #17 item 2: "荔湾区海珠区" on the wall): the bigger district's
     name keeps its place; a smaller one's moves a line up or down, or half its width aside, to the first free spot;
     failing that, further out with a thin leader line back to its district's centre; it is hidden only when no spot
     inside the map is free. Redone after each zoom, move or resize, once Leaflet has placed them. */
  declutterSoon: function (map) {
    var os = window.onescreen;
    if (!map || !map.on) { return; }
    if (!map._osDeclutter) {
      map._osDeclutter = true;
      map.on("zoomend moveend resize", function () { os.declutterSoon(map); });
      if (document.fonts && document.fonts.ready) {  // a label's size changes once its font has loaded
        document.fonts.ready.then(function () { os.declutterSoon(map); });
      }
    }
    window.clearTimeout(map._osDeclutterT);
    map.getContainer().removeAttribute("data-labels-placed");  // says when the names have been placed (tests)
    map._osDeclutterT = window.setTimeout(function () { os.declutter(map); }, 80);
  },
  declutter: function (map) {
    var items = [];
    map.eachLayer(function (l) {
      var tip = l.getTooltip && l.getTooltip(), el = tip && tip.options.permanent && tip.getElement();
      if (!el || !/\bdistrict-label\b/.test(el.className) || !l.getBounds || !el.isConnected) { return; }
      var b = l.getBounds(), a = map.latLngToContainerPoint(b.getNorthEast());
      var c = map.latLngToContainerPoint(b.getSouthWest());
      el.style.translate = "";
      el.style.visibility = "";
      var old = el.querySelector(".label-leader");
      if (old) { old.remove(); }
      items.push({el: el, area: Math.abs((a.x - c.x) * (c.y - a.y)), x0: c.x, x1: a.x, y0: a.y, y1: c.y});
    });
    items.sort(function (x, y) { return y.area - x.area; });
    var placed = [], pad = 2, box = map.getContainer().getBoundingClientRect();
    // what sits over the map (its controls, the wall's theme label, legend and inset) is in the way too
    var over = ".leaflet-control, .wall-inset, .theme-label, .map-legend, .onemap-legend";
    (map.getContainer().parentElement || map.getContainer()).querySelectorAll(over).forEach(function (el) {
      var q = el.getBoundingClientRect();
      if (q.width > 0 && q.height > 0 && !el.closest(".wall-inset-map")) {
        placed.push({left: q.left, right: q.right, top: q.top, bottom: q.bottom});
      }
    });
    var hits = function (r) {
      return placed.some(function (q) {
        return r.left < q.right + pad && q.left < r.right + pad && r.top < q.bottom + pad && q.top < r.bottom + pad;
      });
    };
    var crosses = function (r, m) {  // a leader line from the moved name back to its place runs across a name placed
      var x0 = (r.left + r.right) / 2, y0 = (r.top + r.bottom) / 2;
      for (var k = 1; k < 12; k++) {
        var px = x0 + m[0] * k / 12, py = y0 + m[1] * k / 12;
        if (placed.some(function (q) { return px > q.left && px < q.right && py > q.top && py < q.bottom; })) {
          return true;
        }
      }
      return false;
    };
    items.forEach(function (x) {
      var r = x.el.getBoundingClientRect(), w = r.width, h = r.height;
      var near = [[0, 0], [0, -h], [0, h], [-0.6 * w, 0], [0.6 * w, 0], [-0.5 * w, -h], [0.5 * w, -h],
                  [-0.5 * w, h], [0.5 * w, h]];
      var far = [[0, -2.2 * h], [0, 2.2 * h], [-1.1 * w, 0], [1.1 * w, 0], [-0.9 * w, -1.8 * h], [0.9 * w, -1.8 * h],
                 [-0.9 * w, 1.8 * h], [0.9 * w, 1.8 * h], [0, -3.4 * h], [0, 3.4 * h], [-1.2 * w, -2.4 * h],
                 [1.2 * w, -2.4 * h], [-1.2 * w, 2.4 * h], [1.2 * w, 2.4 * h], [-1.7 * w, 0], [1.7 * w, 0],
                 [0, -4.6 * h], [0, 4.6 * h], [-1.5 * w, -3.6 * h], [1.5 * w, -3.6 * h], [-1.5 * w, 3.6 * h],
                 [1.5 * w, 3.6 * h]];
      // near spots first, then far ones whose line crosses no name, then any far one
      var moves = near.concat(far, far), clear = near.length + far.length;
      for (var i = 0; i < moves.length; i++) {
        var m = moves[i], s = {left: r.left + m[0], right: r.right + m[0], top: r.top + m[1], bottom: r.bottom + m[1]};
        var inside = s.left >= box.left && s.right <= box.right && s.top >= box.top && s.bottom <= box.bottom;
        // a near spot must keep the name over its own district (its box): else it reads as the neighbour's name
        var cx = (s.left + s.right) / 2 - box.left, cy = (s.top + s.bottom) / 2 - box.top;
        var own = i >= near.length || (cx >= x.x0 && cx <= x.x1 && cy >= x.y0 && cy <= x.y1);
        if (!hits(s) && own && (inside || !i) && (i < near.length || i >= clear || !crosses(r, m))) {
          if (i) { x.el.style.translate = Math.round(m[0]) + "px " + Math.round(m[1]) + "px"; }
          if (i >= near.length) {  // far from its district: a line from the name back to where it belongs
            var len = Math.sqrt(m[0] * m[0] + m[1] * m[1]), line = document.createElement("i");
            line.className = "label-leader";
            line.style.width = Math.max(0, len - Math.min(w, h) / 2) + "px";
            line.style.transform = "rotate(" + Math.atan2(-m[1], -m[0]) + "rad)";
            x.el.appendChild(line);
          }
          placed.push(s);
          return;
        }
      }
      x.el.style.visibility = "hidden";
    });
    map.getContainer().setAttribute("data-labels-placed", String(items.length));
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
/* The wall's alert rail (issue #17 item 3): every alert is shown whole, never cut mid-text. When they do not all fit
   the rail, they are split into pages of whole alerts (most severe first, as the server sends them) that take turns
   every 6 seconds, and the rail says which page it shows ("2/3"). Laid out again whenever the alerts change. */
(function () {
  var ROTATE_MS = 6000, page = 0, pages = 1, hooked = null;
  function rail() { return document.getElementById("wall-alert-items"); }
  function lay() {
    var box = rail();
    if (!box) { return; }
    var items = Array.prototype.filter.call(box.children, function (el) { return el.classList.contains("tk-item"); });
    items.forEach(function (el) { el.style.display = ""; });
    var width = box.clientWidth, gap = parseFloat(getComputedStyle(box).columnGap) || 0, split = [[]], used = 0;
    items.forEach(function (el) {
      var w = el.offsetWidth, last = split[split.length - 1];
      if (last.length && used + gap + w > width) { split.push([]); used = 0; last = split[split.length - 1]; }
      used += (last.length ? gap : 0) + w;
      last.push(el);
    });
    pages = split.length;
    if (page >= pages) { page = 0; }
    split.forEach(function (p, i) { p.forEach(function (el) { el.style.display = i === page ? "" : "none"; }); });
    var mark = document.getElementById("wall-rail-page");
    if (mark) { mark.setAttribute("data-page", pages > 1 ? (page + 1) + "/" + pages : ""); }
  }
  var queued = false;
  function soon() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; lay(); });
  }
  new MutationObserver(function () {
    var box = rail();
    if (box && box !== hooked) {  // the wall's rail has appeared: follow its alerts
      hooked = box;
      new MutationObserver(soon).observe(box, {childList: true, subtree: true, characterData: true});
      soon();
    }
  }).observe(document.documentElement, {childList: true, subtree: true});
  window.addEventListener("resize", soon);
  window.setInterval(function () {
    if (pages > 1) { page = (page + 1) % pages; lay(); }
  }, ROTATE_MS);
})();
