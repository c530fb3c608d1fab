/* Wall map: every theme's layers load once; each tick restyles them in place and shows only the current theme's
   layer (districts and rivers always). Values arrive in the wall-map-values Store as a delta from the version this
   page holds (wall-map-ver), or whole after a load, a reconnect or a merge that does not add up. */
(function () {
  var os = window.onescreen = window.onescreen || {};
  var WIDTH = {expressway: 7, arterial: 5, secondary: 3.5, local: 2.5};
  var SEQ = ["#2b3f5e", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"];
  var reg = {air: {}, traffic: {}, water: {}, districts: {}}, last = null, sentView = "";
  // The entity values held, and their version: each tick brings only what changed since (see views/delta.py).
  var LAYERS = ["air", "traffic", "water"], held = {air: {}, traffic: {}, water: {}}, ver = null;
  function vh(x) { return x * window.innerHeight / 100; }
  function fid(f) { var p = f.properties || {}; return f.id || p.id || p.code || p.adcode; }

  function sendView(map) {
    var b = map.getBounds(), s = map.getSize();
    var view = {bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom: map.getZoom(), w: s.x, h: s.y};
    var key = JSON.stringify(view);
    if (key !== sentView && window.dash_clientside && window.dash_clientside.set_props) {
      sentView = key;
      window.dash_clientside.set_props("wall-view", {data: view});
    }
  }
  var wallMap = null;
  // The frame (the profile's wall_frame) is fitted clear of the inset in the map's top-right corner, on whichever
  // side (right or top) costs the frame less zoom: stations there were hidden under it.
  function clearOfInset(map) {
    var inset = document.querySelector(".wall-inset[data-frame]");
    if (!inset) { return; }
    var frame;
    try { frame = L.latLngBounds(JSON.parse(inset.getAttribute("data-frame"))); } catch (e) { return; }
    var right = [inset.offsetWidth + 8, 0], top = [0, inset.offsetHeight + 8];
    var pad = map.getBoundsZoom(frame, false, L.point(right)) >= map.getBoundsZoom(frame, false, L.point(top))
      ? right : top;
    map.fitBounds(frame, {paddingTopRight: pad, animate: false});
  }
  function hook(map) {
    if (!map || map._osWall) { return; }
    map._osWall = true;
    wallMap = map;
    map.whenReady(function () { clearOfInset(map); sendView(map); });
    map.on("moveend resize", function () { sendView(map); });
  }
  function pointPane(map) {  // points above the district fills (same SVG otherwise: dimmed by whichever is drawn last)
    if (map && !map.getPane("osPoints")) { map.createPane("osPoints").style.zIndex = 460; }
    return "osPoints";
  }
  function aqiIcon(v) {
    var aqi = v && v[0] !== null && v[0] !== undefined ? v[0] : "–";
    var color = os.color(v && v[1] && !v[2] ? v[1] : null);
    var cls = "aqi-pin" + (v && v[2] ? " aqi-stale" : "") + (v && v[3] ? " aqi-pulse" : "");
    return L.divIcon({className: "aqi-icon", iconSize: null, html: '<div class="' + cls + '" style="background:' +
      color + ";color:" + os.textOn(color) + '">' + os.esc(aqi) + "</div>"});
  }
  function styleOne(layer, id, lyr) {
    var d = last || {}, on = d.theme === layer, stale = (d.stale || []).indexOf(layer) >= 0;
    if (layer === "air") {
      if (on) { lyr.setIcon(aqiIcon((d.air || {})[id])); }
      lyr.setOpacity(on ? 1 : 0);
    } else if (layer === "traffic") {  // a stale feed's layer keeps its last values, dimmed and dashed
      lyr.setStyle({color: os.level("traffic", (d.traffic || {})[id]) || "#5b6475",
                    opacity: on ? (stale ? 0.45 : 0.95) : 0, dashArray: stale ? vh(0.4) + " " + vh(0.6) : null});
    } else if (layer === "water") {
      lyr.setStyle({fillColor: os.level("water", (d.water || {})[id]) || "#5b6475", opacity: on ? 1 : 0,
                    fillOpacity: on ? (stale ? 0.45 : 1) : 0, dashArray: stale ? vh(0.3) + " " + vh(0.3) : null});
    } else if (layer === "districts") {
      var n = (d.districts || {})[id] || 0, max = Math.max.apply(null, Object.values(d.districts || {}).concat([1]));
      var c = d.theme === "service" ? SEQ[Math.min(SEQ.length - 1, Math.ceil(n / max * (SEQ.length - 1)))] : "#16233a";
      lyr.setStyle({fillColor: c, fillOpacity: d.theme === "service" ? 0.6 : 0.55});
    }
  }
  os.wallmap = {
    districtStyle: function (feature, context) {
      hook(context && context.map);
      return {color: "#6f8fbf", weight: vh(0.15), opacity: 0.9, fillColor: "#16233a", fillOpacity: 0.55};
    },
    riverStyle: function () { return {color: "#2f7fd8", weight: vh(0.2), opacity: 0.85}; },
    roadStyle: function (feature) {
      return {color: "#5b6475", weight: vh((WIDTH[(feature.properties || {}).road_class] || 3) / 10.8), opacity: 0,
              lineCap: "round"};
    },
    point: function (feature, latlng, context) {
      hook(context.map);
      if (context.hideout.layer === "air") {
        return L.marker(latlng, {icon: aqiIcon(null), keyboard: false, interactive: false, zIndexOffset: 1000});
      }
      return L.circleMarker(latlng, {radius: vh(0.9), color: "#0b1424", weight: vh(0.2), fillColor: "#5b6475",
                                     fillOpacity: 0, opacity: 0, interactive: false, pane: pointPane(context.map)});
    },
    cluster: function (feature, latlng, context) {
      var p = feature.properties, size = Math.round(vh(2.6 + 0.9 * Math.log10(Math.max(p.n || 1, 1))));
      if (!p.n) {
        return L.circleMarker(latlng, {radius: vh(0.6), color: "#0b1424", weight: 1, interactive: false,
                                       fillColor: p.flag ? "#ff3b30" : "#49c6ff", fillOpacity: 1,
                                       pane: pointPane(context && context.map)});
      }
      var html = '<div class="cl-pin wall-cl" style="width:' + size + "px;height:" + size + "px;border-color:" +
        (p.bad ? "#ff3b30" : "#49c6ff") + '"><span>' + os.esc(p.n) + "</span>" + (p.bad ? '<b class="cl-bad">' +
        os.esc(p.bad) + "</b>" : "") + "</div>";
      return L.marker(latlng, {icon: L.divIcon({className: "cl-icon", iconSize: [size, size], html: html}),
                               interactive: false, keyboard: false});
    },
    register: function (feature, lyr, context) {
      var h = context.hideout, id = fid(feature), p = feature.properties || {};
      if (h.layer === "districts") {
        lyr.bindTooltip(os.textEl("span", h.lang === "en" ? (p.name_en || p.name) : p.name),
                        {permanent: true, direction: "center", className: "district-label", opacity: 1});
        os.declutterSoon(context.map);
      }
      reg[h.layer][id] = lyr;
      styleOne(h.layer, id, lyr);
    },
    apply: function (data) {
      var nu = window.dash_clientside.no_update;
      if (!data) { return [nu, nu]; }
      var full = data.base === null || data.base === undefined;
      if (!full && data.base !== ver) { ver = null; return [nu, null]; }  // not the version held: ask for everything
      var changed = {};
      LAYERS.forEach(function (layer) {
        var sent = data[layer] || {};
        if (full) { held[layer] = Object.assign({}, sent); return; }
        var gone = (data.gone || {})[layer] || [];
        changed[layer] = Object.keys(sent).concat(gone);
        Object.keys(sent).forEach(function (id) { held[layer][id] = sent[id]; });
        gone.forEach(function (id) { delete held[layer][id]; });
      });
      var n = data.n || [];
      if (LAYERS.some(function (layer, i) { return Object.keys(held[layer]).length !== n[i]; })) {
        ver = null;  // the merge does not add up: everything again on the next tick
        return [nu, null];
      }
      var newTheme = !last || last.theme !== data.theme;
      var restyleAll = full || newTheme || JSON.stringify(last.stale || []) !== JSON.stringify(data.stale || []);
      last = {theme: data.theme, districts: data.districts, air: held.air, traffic: held.traffic, water: held.water,
              stale: data.stale || []};
      ver = data.v;
      document.querySelectorAll(".legend-theme").forEach(function (el) {
        el.hidden = !el.classList.contains("legend-" + data.theme);
      });
      if (newTheme && wallMap) { os.declutterSoon(wallMap); }  // the legend changed size: place the names again
      Object.keys(reg).forEach(function (layer) {
        var ids = restyleAll || !changed[layer] ? Object.keys(reg[layer]) : changed[layer];
        ids.forEach(function (id) { if (reg[layer][id]) { styleOne(layer, id, reg[layer][id]); } });
      });
      var feats = [];
      (data.cases && data.cases.c || []).forEach(function (c) {
        feats.push({type: "Feature", geometry: {type: "Point", coordinates: [c[0], c[1]]}, properties: {n: c[2], bad: c[3]}});
      });
      (data.cases && data.cases.p || []).forEach(function (q) {
        feats.push({type: "Feature", geometry: {type: "Point", coordinates: [q[1], q[2]]}, properties: {flag: q[3]}});
      });
      return [{type: "FeatureCollection", features: feats}, ver];
    }
  };
})();
