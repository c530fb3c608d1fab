/* OneScreen map style functions and wall helpers. Referenced from Python by name
   (dash_extensions.javascript.Namespace("onescreen", "map")); per-tick values arrive in `context.hideout`,
   geometry never changes after the first load. */
window.onescreen = Object.assign({}, window.onescreen, {
  map: {
    districtStyle: function (feature, context) {
      return {color: "#6f8fbf", weight: 1.6, opacity: 0.9, fillColor: "#16233a", fillOpacity: 0.55};
    },
    districtLabel: function (feature, layer, context) {
      var p = feature.properties || {};
      var lang = (context && context.hideout && context.hideout.lang) || "zh";
      var name = lang === "en" ? (p.name_en || p.name) : p.name;
      layer.bindTooltip(name, {permanent: true, direction: "center", className: "district-label", opacity: 1});
    },
    riverStyle: function (feature, context) {
      return {color: "#2f7fd8", weight: 2.2, opacity: 0.85};
    },
    stationMarker: function (feature, latlng, context) {
      var h = (context && context.hideout) || {};
      var id = feature.id || (feature.properties && feature.properties.code);
      var v = (h.v || {})[id];
      var aqi = v && v[0] !== null && v[0] !== undefined ? v[0] : "–";
      var color = v && v[1] && !v[2] ? v[1] : "#5b6475";
      var light = ["#00E400", "#FFFF00", "#FF7E00"].indexOf(color) >= 0;
      var html = '<div class="aqi-pin' + (v && v[2] ? ' aqi-stale' : '') + (v && v[3] ? ' aqi-pulse' : '') +
                 '" style="background:' + color +
                 ';color:' + (light ? '#101010' : '#ffffff') + '">' + aqi + '</div>';
      var icon = L.divIcon({html: html, className: "aqi-icon", iconSize: null});
      var m = L.marker(latlng, {icon: icon, keyboard: false, title: (feature.properties || {}).name || id});
      m.bindTooltip(((feature.properties || {}).name || id) + " · AQI " + aqi, {direction: "top"});
      return m;
    }
  },
  conn: {
    /* Show the connection-lost overlay when no tick arrived for 3.5 ticks, or the server says the store is down. */
    _seen: null, _at: 0,
    hidden: function (last) {
      var c = window.onescreen.conn, now = Date.now();
      if (!last || !last.t) { return true; }
      if (c._seen !== last.t) { c._seen = last.t; c._at = now; }
      var limit = 3.5 * (last.tick || 2000);
      return Boolean(last.store) && (now - c._at) < limit;
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
