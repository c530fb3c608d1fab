/* One map: layers register by entity id; each tick restyles them in place (no re-creation, no flicker, popups stay).
   Values arrive in the am-values Store; geometry was loaded once by URL. */
(function () {
  var os = window.onescreen = window.onescreen || {};
  var ROAD_WIDTH = {expressway: 6, arterial: 4.5, secondary: 3, local: 2};
  var SEQ = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"];
  var reg = {}, last = {}, sentJson = {};
  // Per map: the entity values held and what they are ({v: version, area, on: layers}); each tick brings what changed
  // since (views/delta.py), for what is drawn near the view (views/geometry.py): what came into view whole.
  var ENTITY = ["air", "traffic", "water"], held = {}, ver = {};
  var FEED = {air: "air", roads: "traffic", water: "water", cases: "service", loop: "loop", furniture: "furniture"};
  // The loop's cases by step (core/loop_points.py STEPS): reported, registered, with the department, handled
  var STEP_COLOR = ["#ffd60a", "#bf5af2", "#0a84ff", "#30d158"];
  var WATER_RANK = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "劣V": 6};
  var SELECTABLE = {air: 1, traffic: 1, water: 1};  // feeds with history: a click opens the analyst's side panel
  var maps = {}, filt = {}, picked = {}, refilterAt = {}, pendingFit = {}, outline = {};

  // The layer control lists the overlays in the page's order (data-layer-order, views/map.py LAYERS), not in the
  // order their layers happened to mount, which differed between loads.
  function layerRank(name) {
    var el = document.querySelector("[data-layer-order]"), order = [];
    try { order = JSON.parse(el ? el.getAttribute("data-layer-order") : "[]") || []; } catch (e) { order = []; }
    var i = order.indexOf(name);
    return i < 0 ? order.length : i;
  }
  // Leaflet rebuilds the list on each layer added (dash-leaflet loads Leaflet with the map, so a sort set up front
  // may come too late): its labels are put in the page's order whenever they change. Leaflet finds a clicked layer
  // by its input's layerId, not by position, so moving the labels is safe.
  function sortLayerLists() {
    document.querySelectorAll(".leaflet-control-layers-overlays").forEach(function (list) {
      var labels = Array.prototype.slice.call(list.children);
      var ranked = labels.map(function (el, i) { return {el: el, i: i, r: layerRank((el.textContent || "").trim())}; })
        .sort(function (a, b) { return (a.r - b.r) || (a.i - b.i); });
      if (ranked.some(function (x, i) { return x.el !== labels[i]; })) {
        ranked.forEach(function (x) { list.appendChild(x.el); });
      }
    });
  }
  var sortQueued = false;
  new MutationObserver(function () {
    if (sortQueued) { return; }
    sortQueued = true;
    window.requestAnimationFrame(function () { sortQueued = false; sortLayerLists(); });
  }).observe(document.documentElement, {childList: true, subtree: true});

  // Escape closes an open popup, on whichever map holds it (issue #17 item 8): from the keyboard as with its ×.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    Object.keys(maps).forEach(function (k) { if (maps[k] && maps[k].closePopup) { maps[k].closePopup(); } });
  });
  // prefers-reduced-motion: the map jumps instead of gliding (issue #21)
  function calm() { return Boolean(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches); }
  function scale() {  // the analyst page's root font size grows with the screen; pins follow it
    return (parseFloat(getComputedStyle(document.documentElement).fontSize) || 15) / 15;
  }
  // The view the map is going to: sent at zoom-animation start (so clusters arrive while it animates) and on moveend.
  var lastView = "";
  function sendView(map, center, zoom) {
    var size = map.getSize(), half = size.divideBy(2), c = map.project(center, zoom);
    var sw = map.unproject(c.add([-half.x, half.y]), zoom), ne = map.unproject(c.add([half.x, -half.y]), zoom);
    var view = {bbox: [sw.lng, sw.lat, ne.lng, ne.lat], zoom: zoom, w: size.x, h: size.y};
    var key = JSON.stringify(view);
    if (key !== lastView && window.dash_clientside && window.dash_clientside.set_props) {
      lastView = key;
      window.dash_clientside.set_props("am-view", {data: view});
    }
  }
  function hook(map, key) {
    if (!map || map._osHooked) { return; }
    map._osHooked = true;
    if (key) { maps[key] = map; }
    if (key && pendingFit[key]) { map.fitBounds(pendingFit[key], {padding: [24, 24], animate: false}); }
    delete pendingFit[key];
    map.on("zoomanim", function (e) { sendView(map, e.center, e.zoom); });
    map.on("moveend", function () { sendView(map, map.getCenter(), map.getZoom()); });
    if (window.ResizeObserver) {  // the side panel opening or collapsing resizes the map: keep tiles and clicks right
      new ResizeObserver(function () { map.invalidateSize({animate: false}); }).observe(map.getContainer());
    }
    sendView(map, map.getCenter(), map.getZoom());
  }
  // Points (cases, components, water sections) in a pane above the district fills: drawn in the same SVG as the
  // polygons they would sit under whichever layer loaded last, dimmed by the fill and unclickable.
  function pointPane(map) {
    if (map && !map.getPane("osPoints")) { map.createPane("osPoints").style.zIndex = 460; }
    return "osPoints";
  }
  function layers(map, layer) { reg[map] = reg[map] || {}; return (reg[map][layer] = reg[map][layer] || {}); }
  function fid(f) { return f.id || (f.properties && (f.properties.id || f.properties.code || f.properties.adcode)); }

  function aqiIcon(v, mark) {
    var aqi = v && v[0] !== null && v[0] !== undefined ? v[0] : "–";
    var color = os.color(v && v[1] && !v[2] ? v[1] : null);
    return L.divIcon({className: "aqi-icon", iconSize: null, html: '<div class="aqi-pin' + (v && v[2] ? " aqi-stale" : "") +
      (mark === 1 ? " aqi-sel" : mark === 2 ? " aqi-cmp" : "") +
      '" style="background:' + color + ";color:" + os.textOn(color) + '">' + os.esc(aqi) + "</div>"});
  }

  // The analyst's filters: a district (by the feature's district_adcode) and a minimum level (AQI level, congestion
  // level, water class rank). A filtered-out entity leaves its layer group (no marker, no click) and comes back later.
  function levelOf(d, layer, id) {
    if (layer === "air") { var v = (d.air || {})[id]; return v ? v[3] : null; }
    if (layer === "roads") { return (d.traffic || {})[id] || null; }
    return WATER_RANK[(d.water || {})[id]] || null;
  }
  function visible(map, layer, id, lyr) {
    var f = filt[map];
    if (!f || !FEED[layer] || layer === "cases" || layer === "furniture") { return true; }
    if (f.district && lyr._osDistrict !== f.district) { return false; }
    if (f.minlevel) { var lv = levelOf(last[map] || {}, layer, id); return Boolean(lv) && lv >= f.minlevel; }
    return true;
  }
  function setVisible(lyr, show) {
    if (!lyr._osParent) { for (var k in (lyr._eventParents || {})) { lyr._osParent = lyr._eventParents[k]; break; } }
    var g = lyr._osParent;
    if (!g) { return; }
    if (show && !g.hasLayer(lyr)) { g.addLayer(lyr); } else if (!show && g.hasLayer(lyr)) { g.removeLayer(lyr); }
  }
  function restyleAll(map) {
    var all = reg[map] || {};
    Object.keys(all).forEach(function (layer) {
      Object.keys(all[layer]).forEach(function (id) { styleOne(map, layer, id, all[layer][id]); });
    });
    drawOutline(map);
  }
  // The chosen district's outline, in a pane above every other path (so its neighbours' borders do not cross it).
  function drawOutline(map) {
    var id = (filt[map] || {}).district || null, m = maps[map], old = outline[map];
    if (old && old._osId === id) { return; }
    if (old) { old.remove(); outline[map] = null; }
    var lyr = ((reg[map] || {}).districts || {})[id];
    if (!id || !m || !lyr) { return; }
    if (!m.getPane("osOutline")) {
      var pane = m.createPane("osOutline");
      pane.style.zIndex = 450;
      pane.style.pointerEvents = "none";
    }
    outline[map] = L.polygon(lyr.getLatLngs(), {pane: "osOutline", color: "#ffd76a", weight: 4, opacity: 1,
                                                fill: false, interactive: false}).addTo(m);
    outline[map]._osId = id;
  }
  function refilterSoon(map) {  // features register before their group holds them: filter once the load is done
    if (refilterAt[map]) { return; }
    refilterAt[map] = setTimeout(function () { refilterAt[map] = null; restyleAll(map); }, 0);
  }

  function styleOne(map, layer, id, lyr) {
    var d = last[map], mark = (picked[map] || {})[(FEED[layer] || layer) + ":" + id] || 0;
    if (layer !== "districts") { setVisible(lyr, visible(map, layer, id, lyr)); }
    if (!d && !mark && layer !== "districts") { return; }
    d = d || {};
    var stale = (d.stale || []).indexOf(FEED[layer] || layer) >= 0;  // a stale feed's layer: its last values, dimmed and dashed
    if (layer === "air") { lyr.setIcon(aqiIcon((d.air || {})[id], mark)); }
    else if (layer === "roads") {
      lyr.setStyle({color: os.level("traffic", (d.traffic || {})[id]) || "#5b6475",
                    weight: (lyr._osWeight || 3) * (mark ? 2.2 : 1), opacity: stale ? 0.45 : 1,
                    dashArray: stale ? "4 6" : null});
    } else if (layer === "water") {
      var k = (d.water || {})[id];
      lyr.setStyle({fillColor: os.level("water", k) || "#5b6475", color: mark ? "#ffffff" : "#0b1424", weight: mark ? 4 : 2,
                    fillOpacity: stale ? 0.45 : 1, dashArray: stale ? "3 4" : null});
    } else if (layer === "districts") { lyr.setStyle(districtFill(d, id, map)); }
  }

  function districtFill(d, id, map) {
    var v = (d.districts || {})[id], mode = d.mode || "none", chosen = (filt[map] || {}).district;
    var fill = districtColor(d, v, mode);
    if (chosen && chosen !== id) { fill.fillOpacity = Math.min(fill.fillOpacity, 0.3); }  // the others step back
    return fill;
  }

  function districtColor(d, v, mode) {
    if (!v || mode === "none") { return {fillColor: "#16233a", fillOpacity: 0.55}; }
    var color = null;
    if (mode === "aqi") { color = v[1]; }
    else if (mode === "tpi") { color = os.level("traffic", v[3]); }
    else if (mode === "water") { color = os.level("water", v[6]); }
    else {
      var idx = mode === "open" ? 4 : 5, all = Object.values(d.districts).map(function (x) { return x[idx] || 0; });
      var max = Math.max.apply(null, all.concat([1]));
      color = SEQ[Math.min(SEQ.length - 1, Math.floor((v[idx] || 0) / max * (SEQ.length - 1)))];
    }
    return color ? {fillColor: color, fillOpacity: 0.6} : {fillColor: "#16233a", fillOpacity: 0.55};
  }

  function writeQuery(q) {  // commas, dots and colons stay readable in a shared link
    var qs = [];
    q.forEach(function (v, k) {
      qs.push(encodeURIComponent(k) + "=" + encodeURIComponent(v).replace(/%2C/g, ",").replace(/%3A/g, ":"));
    });
    window.history.replaceState(null, "", window.location.pathname + "?" + qs.join("&"));
  }

  // Built as DOM nodes holding text: names, addresses and ids were typed by somebody outside (never parsed as HTML).
  function popupHtml(info) {
    if (!info) { return os.textEl("span", "…"); }
    var box = os.textEl("div", "", "entity-popup"), table = document.createElement("table");
    box.appendChild(os.textEl("div", info.title, "ep-title"));
    (Array.isArray(info.rows) ? info.rows : []).forEach(function (r) {
      var tr = document.createElement("tr");
      tr.appendChild(os.textEl("th", (r || [])[0]));
      tr.appendChild(os.textEl("td", (r || [])[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    var act = info.action;  // e.g. a component's "report a case about it": a same-site path only
    if (act && typeof act.href === "string" && act.href.charAt(0) === "/" && act.href.charAt(1) !== "/") {
      var a = document.createElement("a");
      a.href = act.href;
      a.textContent = String(act.text || "→");
      a.className = "ep-action";
      box.appendChild(a);
    }
    return box;
  }

  function bindDetails(lyr, feed, id, lang, map) {
    lyr.bindPopup(os.textEl("span", "…"), {maxWidth: 420});
    lyr.on("popupopen", function () { refreshPopup(lyr, feed, id, lang); });
    lyr._osDetail = {feed: feed, id: id, lang: lang, map: map};
    if (map === "am" && SELECTABLE[feed]) {  // keep the popup, and select the entity for the side panel (URL sel=)
      lyr.on("click", function () {
        selectedKey = feed + ":" + id;
        if (window.dash_clientside && window.dash_clientside.set_props) {
          window.dash_clientside.set_props("am-selected", {data: {feed: feed, id: String(id)}});
        }
      });
    }
  }

  // A loop case's popup: its step, department and due time, its photos and its trail, from the cases API (which
  // answers only what the caller may see), built as text nodes; a link opens it in the case console.
  // On the analyst's one map a click also selects the case for the side panel (URL sel=case:<id>), which shows its
  // card and its timeline with photos; the popup there stays compact so it does not cover the map.
  function bindCase(lyr, id, h) {
    var compact = h.map === "am";
    lyr.bindPopup(os.textEl("span", "…"), {maxWidth: 460, minWidth: compact ? 220 : 300});
    lyr.on("popupopen", function () {
      fetch("/api/v1/cases/" + encodeURIComponent(id), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (info) { if (lyr.isPopupOpen()) { lyr.setPopupContent(casePopup(info, h, compact)); } })
        .catch(function () {});
    });
    if (compact) {
      lyr.on("click", function () {
        if (window.dash_clientside && window.dash_clientside.set_props) {
          window.dash_clientside.set_props("am-selected", {data: {feed: "case", id: String(id)}});
        }
      });
    }
  }
  function casePopup(info, h, compact) {
    var w = h.words || {}, box = os.textEl("div", "", "entity-popup case-popup");
    if (!info || !info.case) { box.appendChild(os.textEl("span", w.gone || "—")); return box; }
    var c = info.case, fmt = new Intl.DateTimeFormat(h.lang === "en" ? "en-GB" : "zh-CN", {timeZone: h.tz ||
      "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false});
    var when = function (ms) {  // month-day hour:minute, as the side panel and the console write it (views/cases.when)
      if (typeof ms !== "number") { return "—"; }
      var part = {};
      fmt.formatToParts(new Date(ms)).forEach(function (x) { part[x.type] = x.value; });
      return part.month + "-" + part.day + " " + (part.hour === "24" ? "00" : part.hour) + ":" + part.minute;
    };
    box.appendChild(os.textEl("div", c.id + " · " + c.category + (c.category_name ? " " + c.category_name : ""),
                              "ep-title"));
    var table = document.createElement("table");
    [[w.state, (w.states || {})[c.state] || c.state], [w.department, c.department || "—"], [w.grid, c.grid || "—"],
     [w.due, when(c.due_ms) + (c.overdue ? " · " + (w.overdue || "") : "")], [w.reported, when(c.reported_ms)],
     [w.what, c.description || "—"]].slice(0, compact ? 4 : 6).forEach(function (r) {
      var tr = document.createElement("tr");
      tr.appendChild(os.textEl("th", r[0]));
      tr.appendChild(os.textEl("td", r[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (compact) { box.appendChild(os.textEl("div", w.panel || "", "cp-more")); }
    var shots = compact || !Array.isArray(info.photos) ? [] : info.photos;
    if (shots.length) {
      var strip = os.textEl("div", "", "cp-photos");
      shots.forEach(function (p) {
        if (typeof p.url !== "string" || p.url.indexOf("/api/v1/cases/") !== 0) { return; }
        var a = document.createElement("a"), img = document.createElement("img");
        a.href = p.url; a.target = "_blank"; a.rel = "noopener noreferrer";
        img.src = p.url; img.alt = (w.photo || "") + " " + (p.by || "") + " " + when(p.at_ms); img.className = "cp-photo";
        a.appendChild(img);
        strip.appendChild(a);
      });
      box.appendChild(strip);
    }
    var trail = os.textEl("ol", "", "cp-trail");
    (!compact && Array.isArray(info.trail) ? info.trail : []).forEach(function (e) {
      trail.appendChild(os.textEl("li", when(e.at_ms) + " " + ((w.actions || {})[e.action] || e.action) + " · " +
        (e.by || "") + (e.comment ? " — " + e.comment : "")));
    });
    box.appendChild(trail);
    var open = document.createElement("a");
    open.href = "/cases?lang=" + encodeURIComponent(h.lang || "zh") + "&case=" + encodeURIComponent(c.id);
    open.textContent = w.open || "→";
    open.className = "cp-open";
    box.appendChild(open);
    return box;
  }

  // On the analyst's one map a selectable entity's click opens the side panel: its popup is compact and shows the
  // panel's own headline rows (AM_PANEL_HEAD), so the two never disagree; the panel refreshes with the map tick
  // that changed the entity (am-panel-poke), so the pin, the popup and the panel change together.
  var panelHead = null, selectedKey = new URLSearchParams(window.location.search).get("sel");
  function compactHtml(head) {
    var box = popupHtml({title: head.title, rows: head.rows});
    box.classList.add("ep-compact");
    box.appendChild(os.textEl("div", head.more || "", "ep-more"));
    return box;
  }
  function refreshPopup(lyr, feed, id, lang) {
    if ((lyr._osDetail || {}).map === "am" && SELECTABLE[feed] && !(last.am || {}).at) {  // replay: as before
      var key = feed + ":" + id;
      lyr.setPopupContent(panelHead && panelHead.key === key ? compactHtml(panelHead) : os.textEl("span", "…"));
      return;
    }
    var at = (last.am || {}).at;  // replaying: the entity as it was at that minute (feeds with history)
    var url = at && SELECTABLE[feed] ? "/api/v1/history/" + feed + "/" + encodeURIComponent(id) + "/at/" + at
      : "/api/v1/entities/" + feed + "/" + encodeURIComponent(id);
    fetch(url + "?lang=" + lang)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) { if (lyr.isPopupOpen()) { lyr.setPopupContent(popupHtml(info)); } })
      .catch(function () {});
  }

  // The unit grid's cells (views/map.py grid_cells): squares built here from the grid's origin and step, so only
  // [row, col, open, overdue, damaged, adcode] travel; the cell's code is its district, row and column.
  function pad4(n) { return ("000" + n).slice(-4); }
  function gridFeatures(data) {
    var g = data.g || [0, 0, 0, 0];
    return {type: "FeatureCollection", features: (data.c || []).map(function (c) {
      var w = g[0] + c[1] * g[2], s = g[1] + c[0] * g[3], e = w + g[2], n = s + g[3];
      var code = String(c[5] || "") + pad4(c[0]) + pad4(c[1]);
      return {type: "Feature", id: code, geometry: {type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]]},
              properties: {code: code, open: c[2], late: c[3], bad: c[4]}};
    })};
  }

  function toFeatures(kind, data) {
    if (kind === "grid") { return gridFeatures(data); }
    var feats = [];
    (data.c || []).forEach(function (c) {
      feats.push({type: "Feature", geometry: {type: "Point", coordinates: [c[0], c[1]]},
                  properties: {n: c[2], bad: c[3], kind: kind}});
    });
    (data.p || []).forEach(function (p) {
      feats.push({type: "Feature", id: p[0], geometry: {type: "Point", coordinates: [p[1], p[2]]},
                  properties: {id: p[0], flag: p[3], cat: p[4], kind: kind}});
    });
    return {type: "FeatureCollection", features: feats};
  }

  // WGS-84 -> GCJ-02 for display on GCJ-02 base maps (the public algorithm; data stays WGS-84).
  function gcj(lat, lng) {
    var a = 6378245.0, ee = 0.00669342162296594323, PI = Math.PI;
    if (lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271) { return [lat, lng]; }
    var x = lng - 105.0, y = lat - 35.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) +
      (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0 +
      (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0 +
      (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) +
      (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0 +
      (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0 +
      (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radLat = lat / 180.0 * PI, magic = Math.sin(radLat);
    magic = 1 - ee * magic * magic;
    var sq = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sq) * PI);
    dLng = (dLng * 180.0) / (a / sq * Math.cos(radLat) * PI);
    return [lat + dLat, lng + dLng];
  }

  os.onemap = {
    updatedAt: {},
    // Read-only looks for the browser tests: the entity values held per feed, and the registered features of a layer
    // that lie in the map's view now.
    heldValues: function (map, feed) { return Object.assign({}, (held[map] || {})[feed] || {}); },
    inView: function (map, layer) {
      var m = maps[map], all = (reg[map] || {})[layer] || {}, b = m && m.getBounds();
      return Object.keys(all).filter(function (id) {
        var lyr = all[id];
        return Boolean(b) && (lyr.getLatLng ? b.contains(lyr.getLatLng()) : b.intersects(lyr.getBounds()));
      }).sort();
    },
    toGcj: function (coords) { var p = gcj(coords[1], coords[0]); return L.latLng(p[0], p[1]); },
    districtStyle: function (feature, context) { hook(context && context.map, context && context.hideout && context.hideout.map); return {color: "#6f8fbf", weight: 1.5, opacity: 0.9, fillColor: "#16233a", fillOpacity: 0.55}; },
    riverStyle: function () { return {color: "#2f7fd8", weight: 2.2, opacity: 0.85}; },
    gridStyle: function (feature) {  // the worst thing in the cell: an overdue case, an open one, a damaged component
      var p = feature.properties || {};
      var c = p.late ? "#ff3b30" : p.open ? "#ff9f0a" : "#5ac8fa";
      return p.late || p.open ? {color: c, weight: 2, opacity: 1, fillColor: c, fillOpacity: 0.5}
        : {color: c, weight: 0.5, opacity: 0.35, fillColor: c, fillOpacity: 0.14};  // damaged parts only: quieter
    },
    gridCell: function (feature, lyr, context) {  // what the cell holds, as text
      var p = feature.properties || {}, w = (context.hideout || {}).words || {};
      lyr.bindTooltip(os.textEl("span", (w.grid || "") + " " + p.code + " · " + (w.open || "") + " " + p.open +
        " · " + (w.late || "") + " " + p.late + " · " + (w.bad || "") + " " + p.bad), {sticky: true});
    },
    roadStyle: function (feature, context) {
      hook(context && context.map, context && context.hideout && context.hideout.map);
      return {color: "#5b6475", weight: ROAD_WIDTH[(feature.properties || {}).road_class] || 3, opacity: 0.95,
              lineCap: "round"};
    },
    point: function (feature, latlng, context) {
      var h = context.hideout;
      hook(context.map, h.map);
      if (h.layer === "air") { return L.marker(latlng, {icon: aqiIcon(null), keyboard: false, zIndexOffset: 1000}); }
      return L.circleMarker(latlng, {radius: 9 * scale(), color: "#0b1424", weight: 2, fillColor: "#5b6475",
                                     fillOpacity: 1, pane: pointPane(context.map)});
    },
    clusterPoint: function (feature, latlng, context) {
      var p = feature.properties;
      hook(context.map);
      if (p.n) {
        var size = Math.round((26 + 9 * Math.log10(p.n)) * scale());
        var share = p.bad / p.n;
        var ring = p.kind === "cases" ? (p.bad ? "#ff3b30" : "#49c6ff")
          : p.kind === "loop" ? (p.bad ? "#ff3b30" : "#0a84ff") : "#7f8ea6";
        var html = '<div class="cl-pin" style="width:' + size + "px;height:" + size + "px;border-color:" + ring +
          '"><span>' + os.esc(p.n >= 1000 ? (p.n / 1000).toFixed(p.n >= 10000 ? 0 : 1) + "k" : p.n) + "</span>" +
          (p.bad ? '<b class="cl-bad">' + os.esc(p.bad) + "</b>" : "") + "</div>";
        var m = L.marker(latlng, {icon: L.divIcon({className: "cl-icon cl-" + p.kind, iconSize: [size, size], html: html}),
                                  keyboard: false, title: String(p.n) + (share ? " · " + p.bad : ""),
                                  zIndexOffset: p.kind === "furniture" ? -1000 : 0});
        m.on("click", function () {
          context.map.setView(latlng, Math.min(context.map.getZoom() + 2, 19), {animate: !calm()});
        });
        return m;
      }
      if (p.kind === "loop") {  // a square, unlike the 12345 circles: its step's colour, red-edged with "!" when late
        var words = context.hideout.words || {}, step = STEP_COLOR[p.cat] ? p.cat : 0, px = Math.round(16 * scale());
        var title = (words.steps || [])[step] + (p.flag ? " · " + (words.overdue || "") : "");
        return L.marker(latlng, {icon: L.divIcon({className: "lp-icon", iconSize: [px, px], html: '<div class="lp-pin' +
          (p.flag ? " lp-late" : "") + '" style="background:' + STEP_COLOR[step] + '">' + (p.flag ? "!" : "") + "</div>"}),
          keyboard: false, title: title, alt: title, zIndexOffset: 500});
      }
      var color = p.kind === "cases" ? (p.flag ? "#ff3b30" : "#49c6ff")
        : (p.flag === 2 ? "#ff3b30" : p.flag === 1 ? "#ff9f0a" : "#7f8ea6");
      return L.circleMarker(latlng, {radius: (p.flag ? 7 : 5) * scale(), color: "#0b1424", weight: 1, fillColor: color,
                                     fillOpacity: 1, pane: pointPane(context.map)});
    },
    register: function (feature, lyr, context) {
      var h = context.hideout, id = fid(feature);
      var p = feature.properties || {};
      if (h.layer === "districts") {
        lyr.bindTooltip(os.textEl("span", h.lang === "en" ? (p.name_en || p.name) : p.name),
                        {permanent: true, direction: "center", className: "district-label", opacity: 1});
        os.declutterSoon(context.map);
      } else if (h.layer === "loop" && !(p.n)) {
        bindCase(lyr, id, h);
      } else if (FEED[h.layer] && !(p.n)) {
        bindDetails(lyr, FEED[h.layer], id, h.lang, h.map);
      }
      if (h.layer === "cases" || h.layer === "loop" || h.layer === "furniture") { return; }
      lyr._osDistrict = String(p.district_adcode || "");
      lyr._osWeight = (lyr.options || {}).weight;
      layers(h.map, h.layer)[id] = lyr;
      styleOne(h.map, h.layer, id, lyr);
      refilterSoon(h.map);
    },
    panelHead: function (head) {  // the panel's headline rows: the open popup of that entity shows them
      panelHead = head || null;
      var all = (reg.am || {});
      Object.keys(all).forEach(function (layer) {
        Object.keys(all[layer]).forEach(function (id) {
          var lyr = all[layer][id], d = lyr._osDetail;
          if (d && d.map === "am" && lyr.isPopupOpen && lyr.isPopupOpen()) { refreshPopup(lyr, d.feed, d.id, d.lang); }
        });
      });
      return window.dash_clientside.no_update;
    },
    apply: function (map, data, at) {
      var nu = window.dash_clientside.no_update;
      if (!data) { return [nu, nu, nu, nu, nu, nu]; }
      if (at !== undefined && (data.at || null) !== ((at && at.ms) || null)) { return [nu, nu, nu, nu, nu, nu]; }  // stale
      var full = data.base === null || data.base === undefined, h = held[map] = held[map] || {}, changed = {};
      var mine = ver[map] || {};  // a delta applies only to what it was taken against: version, area and layers
      if (!full && (data.base !== mine.v || JSON.stringify(data.base_area || null) !== JSON.stringify(mine.area || null) ||
                    JSON.stringify(data.base_on || []) !== JSON.stringify(mine.on || []))) {
        ver[map] = null;
        return [nu, nu, nu, nu, nu, null];  // everything again on the next tick
      }
      ENTITY.forEach(function (layer) {
        var sent = data[layer] || {}, gone = (data.gone || {})[layer] || [];
        if (full) { h[layer] = Object.assign({}, sent); return; }
        changed[layer] = Object.keys(sent).concat(gone);
        Object.keys(sent).forEach(function (id) { h[layer][id] = sent[id]; });
        gone.forEach(function (id) { delete h[layer][id]; });
      });
      if (ENTITY.some(function (layer, i) { return Object.keys(h[layer]).length !== (data.n || [])[i]; })) {
        ver[map] = null;  // the merge does not add up: everything again on the next tick
        return [nu, nu, nu, nu, nu, null];
      }
      var prev = last[map];
      last[map] = Object.assign({}, data, {air: h.air, traffic: h.traffic, water: h.water});
      var v = data.v === undefined ? null : data.v;
      ver[map] = v === null ? null : {v: v, area: data.area || null, on: data.on || []};
      if (map === "am" && selectedKey && !full && window.dash_clientside.set_props) {  // the selected entity changed
        var sk = selectedKey.split(":"), sf = sk.shift();
        if ((changed[sf] || []).indexOf(sk.join(":")) >= 0) { window.dash_clientside.set_props("am-panel-poke", {data: data.t}); }
      }
      var everyOne = full || !prev || prev.mode !== data.mode ||
        JSON.stringify(prev.stale || []) !== JSON.stringify(data.stale || []);
      var badge = document.getElementById("am-mode");  // LIVE turns STALE while a layer's feed is (the server's words)
      if (badge && data.badge && !data.at && badge.className !== data.badge[1] && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("am-mode", {children: data.badge[0], className: data.badge[1]});
      }
      var all = reg[map] || {};
      Object.keys(all).forEach(function (layer) {
        var feed = FEED[layer] || layer;
        var ids = everyOne || !changed[feed] ? Object.keys(all[layer]) : changed[feed];
        ids.forEach(function (id) { if (all[layer][id]) { styleOne(map, layer, id, all[layer][id]); } });
        Object.keys(all[layer]).forEach(function (id) {  // an open popup shows its entity's news every tick
          var lyr = all[layer][id];
          if (lyr._osDetail && lyr.isPopupOpen && lyr.isPopupOpen()) {
            refreshPopup(lyr, lyr._osDetail.feed, lyr._osDetail.id, lyr._osDetail.lang);
          }
        });
      });
      var out = [];
      ["cases", "loop", "furniture", "grid"].forEach(function (kind) {
        var v = data[kind];
        if (v === undefined || v === null) { out.push(nu); return; }
        var js = JSON.stringify(v);
        if (sentJson[map + kind] === js) { out.push(nu); return; }
        sentJson[map + kind] = js;
        os.onemap.updatedAt[kind] = performance.now();  // read by bench/map_bench.py
        out.push(toFeatures(kind, v));
      });
      out.push(data.t);
      out.push(ver[map]);
      return out;
    },
    syncUrl: function (center, zoom, overlays, cats, bad, mode, meta) {
      var names = (meta || {}).names || {};
      var q = new URLSearchParams(window.location.search);
      if (overlays) { q.set("layers", overlays.map(function (n) { return names[n] || n; }).join(",")); }
      if (center) { var c = Array.isArray(center) ? center : [center.lat, center.lng];
                    q.set("c", Number(c[0]).toFixed(5) + "," + Number(c[1]).toFixed(5)); }
      if (zoom !== undefined && zoom !== null) { q.set("z", String(zoom)); }
      if (cats && cats.length) { q.set("cats", cats.join(",")); } else { q.delete("cats"); }
      if (bad && bad.length) { q.set("bad", "1"); } else { q.delete("bad"); }
      if (mode && mode !== "none") { q.set("mode", mode); } else { q.delete("mode"); }
      writeQuery(q);
      return window.dash_clientside.no_update;
    },
    // The analyst's choices in the URL: selection, compare, chart range and item, filters, replay moment, panel.
    syncState: function (sel, cmp, range, item, district, minlevel, at, panelOpen) {
      var q = new URLSearchParams(window.location.search);
      function put(k, v) { if (v) { q.set(k, v); } else { q.delete(k); } }
      put("sel", sel && sel.feed ? sel.feed + ":" + sel.id : "");
      put("cmp", cmp && cmp.length ? cmp.join(",") : "");
      put("range", range && range !== "24h" ? range : "");
      put("item", item && item !== "do" ? item : "");
      put("district", district && district !== "all" ? district : "");
      put("minlevel", minlevel ? String(minlevel) : "");
      put("at", at && at.q ? at.q : "");
      put("panel", panelOpen === false ? "0" : "");
      writeQuery(q);
      return window.dash_clientside.no_update;
    },
    setFilter: function (map, district, minlevel, meta) {
      var prev = filt[map], next = {district: district && district !== "all" ? district : null,
                                    minlevel: Number(minlevel) || 0};
      filt[map] = next;
      restyleAll(map);
      var b = next.district && ((meta || {}).bounds || {})[next.district];
      if (!prev && b && (meta || {}).fit === next.district) {  // a district link without c=: fit it once, on load
        if (maps[map]) { maps[map].fitBounds(b, {padding: [24, 24], animate: false}); } else { pendingFit[map] = b; }
      } else if (prev && prev.district !== next.district && b && maps[map]) {
        maps[map].fitBounds(b, {padding: [24, 24], animate: !calm()});
      }
      return window.dash_clientside.no_update;
    },
    setSelection: function (map, sel, cmp) {
      var marks = {};
      (cmp || []).forEach(function (k) { marks[k] = 2; });
      if (sel && sel.feed) { marks[sel.feed + ":" + sel.id] = 1; }
      picked[map] = marks;
      restyleAll(map);
      return window.dash_clientside.no_update;
    },
    togglePanel: function (n, open, meta) {
      var next = n ? !open : open;
      return [next, next ? "onemap-body" : "onemap-body panel-collapsed", next ? "›" : "‹"];
    },
    sliderLabel: function (v, value, meta) {  // while dragging: the minute the map will go to, in the city's zone
      if (!v || v === value) { return ""; }
      var m = meta || {}, when = new Date(Math.floor(Date.now() / 60000 + Number(v)) * 60000);
      return new Intl.DateTimeFormat(m.lang === "en" ? "en-GB" : "zh-CN", {timeZone: m.tz || "Asia/Shanghai",
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false})
        .format(when);
    },
    choroLegend: function (mode, meta) {  // the few->many scale only for the count modes; others reuse their legend
      var titles = (meta || {}).choro || {};
      return titles[mode] ? [false, titles[mode]] : [true, ""];
    },
    legendHidden: function (overlays, meta) {
      var names = (meta || {}).names || {}, on = (overlays || []).map(function (n) { return names[n] || n; });
      return ["air", "roads", "water", "cases", "loop", "furniture", "grid"].map(function (l) { return on.indexOf(l) < 0; });
    }
  };
})();
