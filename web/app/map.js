// The map: the open regions' boundaries (always, so pins are never on a blank page), tiles when configured, and
// the pins of the visible area: its circle searched page after page (GET /search), privileged pins marked and
// drawn over the others, clustered when many.
/* global L */
import {h} from "./ui.js";

const MAX_RADIUS_M = 20000; // the API's ceiling on radius_m
const PAGE_SIZE = 100;
export const MAX_PAGES = 8; // a search walks at most this many pages per view; the list says when more remain

export function createMap(element, config, regions) {
  const open = regions.filter((r) => r.open);
  const home = open[0] || regions[0];
  const map = L.map(element, {zoomControl: true, keyboard: true, minZoom: 8, maxZoom: 18});
  if (config.tile_url) {
    L.tileLayer(config.tile_url, {attribution: config.tile_attribution, maxZoom: 19}).addTo(map);
  }
  for (const region of regions) {
    const rings = region.polygons.map((ring) => ring.map(([lon, lat]) => [lat, lon]));
    L.polygon(rings, {
      className: region.open ? "region region--open" : "region region--closed",
      color: region.open ? "#2563eb" : "#9ca3af", weight: 2, dashArray: region.open ? null : "4 6",
      fillOpacity: region.open ? 0.06 : 0.02, interactive: false,
    }).addTo(map);
    L.tooltip({permanent: true, direction: "center", className: "region-label", interactive: false})
      .setLatLng([(region.bbox[1] + region.bbox[3]) / 2, (region.bbox[0] + region.bbox[2]) / 2])
      .setContent(region.open ? region.name : `${region.name} (opening later)`).addTo(map);
  }
  // People's Square, Shanghai, when the first open region is Shanghai; else that region's middle.
  const centre = home.id === "shanghai" ? [31.2304, 121.4737]
    : [(home.bbox[1] + home.bbox[3]) / 2, (home.bbox[0] + home.bbox[2]) / 2];
  map.setView(centre, 14);
  return map;
}

/** The visible area as the circle a search takes: the map's centre, and its distance to the farthest corner. */
export function visibleCircle(map) {
  const centre = map.getCenter();
  const corner = map.getBounds().getNorthEast();
  return {lat: centre.lat, lon: centre.lng, radius_m: Math.min(MAX_RADIUS_M, Math.max(1, Math.ceil(centre.distanceTo(corner))))};
}

function pinIcon(pin) {
  return L.divIcon({
    className: pin.privileged ? "pin pin--privileged" : "pin",
    html: pin.privileged ? "<span aria-hidden=\"true\">★</span>" : "<span aria-hidden=\"true\">●</span>",
    iconSize: [26, 26],
    iconAnchor: [13, 13],
  });
}

/** The pins layer and its search: call refresh() when the map moves or a filter changes. */
export function createPins(map, api, {onOpen, onResults, onError}) {
  const cluster = L.markerClusterGroup({maxClusterRadius: 48, disableClusteringAtZoom: 17, showCoverageOnHover: false});
  map.addLayer(cluster);
  let generation = 0;
  const filters = {category: "", q: ""};

  const status = document.getElementById("map-status");
  async function refresh() {
    const mine = ++generation;
    status.setAttribute("aria-busy", "true");
    status.textContent = "Searching…";
    const circle = visibleCircle(map);
    const pins = [];
    let cursor = null;
    let pages = 0;
    try {
      do {
        const page = await api.get("/search", {...circle, ...filters, limit: PAGE_SIZE, cursor});
        if (mine !== generation) return; // the map moved on: a newer search owns the layer
        pins.push(...page.items);
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < MAX_PAGES);
    } catch (error) {
      if (mine !== generation) return;
      cluster.clearLayers();
      onResults([], {circle, more: false, error});
      onError(error);
      status.setAttribute("aria-busy", "false");
      return;
    }
    cluster.clearLayers();
    cluster.addLayers(pins.map((pin) => {
      const marker = L.marker([pin.lat, pin.lon], {
        icon: pinIcon(pin), title: pin.title, alt: pin.title, keyboard: true,
        zIndexOffset: pin.privileged ? 1000 : 0, riseOnHover: true,
      });
      marker.on("click", () => onOpen(pin));
      marker.on("keypress", (event) => event.originalEvent.key === "Enter" && onOpen(pin)); // Leaflet binds none
      marker.pin = pin;
      return marker;
    }));
    onResults(pins, {circle, more: Boolean(cursor)});
    status.setAttribute("aria-busy", "false");
  }

  let timer = null;
  const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 250); };
  map.on("moveend", soon);
  return {
    refresh,
    setFilters(next) { Object.assign(filters, next); return refresh(); },
    clear() { generation += 1; cluster.clearLayers(); },
    cluster,
  };
}

export function pinLabel(pin) {
  return h("span", {}, pin.privileged ? h("span", {class: "badge", title: "privileged provider"}, "★") : null, " ",
    pin.title);
}
