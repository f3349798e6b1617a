// Maps of proposals and funded projects, and the place picker of the proposal form.
// Leaflet is vendored in /static/vendor/leaflet; the tile server comes from the page (PB_TILE_URL).
// Everything a map shows is also in the list or the fields beside it: without JavaScript nothing is lost.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  function baseMap(element) {
    var map = L.map(element, { scrollWheelZoom: false });
    L.tileLayer(element.dataset.tiles, {
      maxZoom: 19,
      attribution: element.dataset.attribution || ""
    }).addTo(map);
    var centre = (element.dataset.centre || "50.7671,15.0562").split(",").map(Number);
    map.setView(centre, Number(element.dataset.zoom || 13));
    return map;
  }

  function showFeatures(element) {
    var map = baseMap(element);
    fetch(element.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, {
              radius: 9, weight: 2, color: "#1c2430",
              fillColor: feature.properties.colour || "#0b4f8a", fillOpacity: 0.9
            });
          },
          onEachFeature: function (feature, marker) {
            var p = feature.properties;
            var box = document.createElement("div");
            var link = document.createElement("a");
            link.href = p.url;
            link.textContent = p.number + ". " + p.title;
            box.appendChild(link);
            var status = document.createElement("p");
            status.textContent = p.status_label + (p.place ? " · " + p.place : "");
            box.appendChild(status);
            marker.bindPopup(box);
          }
        }).addTo(map);
        if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [24, 24] }); }
      });
  }

  function placePicker(element) {
    var lat = document.getElementById(element.dataset.latInput);
    var lng = document.getElementById(element.dataset.lngInput);
    if (!lat || !lng) { return; }
    var map = baseMap(element);
    var marker = null;
    function put(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
    }
    if (lat.value && lng.value) {
      var start = [Number(lat.value), Number(lng.value)];
      put(start);
      map.setView(start, 16);
    }
    map.on("click", function (event) {
      put(event.latlng);
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = event.latlng.lng.toFixed(6);
      var said = document.getElementById(element.dataset.status);
      if (said) { said.textContent = said.dataset.picked; }
    });
  }

  document.querySelectorAll("[data-map-geojson]").forEach(showFeatures);
  document.querySelectorAll("[data-place-picker]").forEach(placePicker);
})();
