/* Lotse facility map. Markers are SVG circles, so they render even when no tile server answers. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var configEl = document.getElementById("map-config");
  if (!el || !configEl || typeof L === "undefined") { return; }
  var config = JSON.parse(configEl.textContent);
  // Right-to-left pages mirror the controls too: zoom at the reading start, layers at its end.
  var rtl = document.documentElement.dir === "rtl";
  var map = L.map(el, { scrollWheelZoom: false, zoomControl: false, attributionControl: false })
    .setView(config.center, 13);
  L.control.zoom({ position: rtl ? "topright" : "topleft" }).addTo(map);
  map.attributionControl = L.control.attribution({ position: rtl ? "bottomleft" : "bottomright" }).addTo(map);
  L.tileLayer(config.tileUrl, { attribution: config.attribution, maxZoom: 19 }).addTo(map);

  // The municipality's districts, drawn from our own data below the markers: without a tile
  // server (offline, tests) the map still shows where things are.
  map.createPane("districts");
  map.getPane("districts").style.zIndex = "350";
  if (config.districtsUrl) {
    fetch(config.districtsUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        var shapes = L.geoJSON(data, {
          pane: "districts",
          interactive: false,
          style: { color: "#5b6770", weight: 1.5, dashArray: "4 3", fillColor: "#fbfaf5", fillOpacity: 0.7 }
        }).addTo(map);
        data.features.forEach(function (f) {
          var at = f.properties.label_at;
          if (!at || at[0] === null) { return; }
          var label = document.createElement("span");
          label.textContent = f.properties.name;
          L.marker(at, {
            pane: "districts", interactive: false, keyboard: false,
            icon: L.divIcon({ className: "district-label", html: label, iconSize: null })
          }).addTo(map);
        });
        el.setAttribute("data-districts", String(data.features.length));
        if (!el.getAttribute("data-fitted") && data.features.length) { map.fitBounds(shapes.getBounds()); }
      });
  }

  // The searched address: its own marker and the search radius.
  if (config.place) {
    var here = [config.place.lat, config.place.lon];
    var reach = L.circle(here, { radius: config.place.radiusKm * 1000, color: "#b35c00", weight: 1.5, fill: false, interactive: false }).addTo(map);
    // Show the whole search area around the place rather than only the nearest markers.
    map.fitBounds(reach.getBounds());
    el.setAttribute("data-fitted", "1");
    L.circleMarker(here, { radius: 10, color: "#5c2f00", weight: 3, fillColor: "#f28c28", fillOpacity: 1 })
      .bindTooltip(config.labels.searched + ": " + config.place.label, { permanent: true, direction: "top", offset: [0, -10] })
      .addTo(map);
    el.setAttribute("data-place", config.place.label);
  }

  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  function popup(props) {
    var box = document.createElement("div");
    box.appendChild(text("strong", props.name));
    if (props.address) { box.appendChild(document.createElement("br")); box.appendChild(text("span", props.address)); }
    if (props.free_places) {
      box.appendChild(document.createElement("br"));
      box.appendChild(text("span", props.free_places + " " + config.labels.freePlaces));
    }
    if (props.url) {
      box.appendChild(document.createElement("br"));
      var link = text("a", config.labels.details);
      link.href = props.url;
      box.appendChild(link);
    }
    return box;
  }

  var cluster = L.markerClusterGroup ? L.markerClusterGroup({ disableClusteringAtZoom: 15 }) : L.layerGroup();
  fetch(config.pointsUrl, { headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    .then(function (data) {
      var bounds = [];
      data.features.forEach(function (f) {
        var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        bounds.push(ll);
        var marker = L.circleMarker(ll, {
          radius: 8, color: "#083f53", weight: 2, fillColor: f.properties.free_places ? "#1e6b3a" : "#0b5d7a", fillOpacity: 0.85
        });
        marker.bindPopup(popup(f.properties));
        marker.options.title = f.properties.name;
        cluster.addLayer(marker);
      });
      map.addLayer(cluster);
      el.setAttribute("data-markers", String(data.features.length));
      if (bounds.length && !config.place) {
        map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 });
        el.setAttribute("data-fitted", "1");
      }
    });

  // Counselling services and people (e.g. family managers) as a second, switchable layer.
  if (config.servicesUrl) {
    var services = L.layerGroup();
    fetch(config.servicesUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        data.features.forEach(function (f) {
          var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          var props = { name: f.properties.name, address: [f.properties.kind, f.properties.area, f.properties.address].filter(Boolean).join(" · ") };
          L.circleMarker(ll, { radius: 7, color: "#5a2d82", weight: 2, fillColor: "#7b3fb0", fillOpacity: 0.85 })
            .bindPopup(popup(props)).addTo(services);
        });
        if (data.features.length) {
          services.addTo(map);
          var overlays = {};
          overlays[config.labels.services] = services;
          L.control.layers(null, overlays, { position: rtl ? "topleft" : "topright" }).addTo(map);
        }
      });
  }
})();
