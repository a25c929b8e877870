// The province map: sites and links from their coordinates (Web Mercator), coloured by state and
// load, zoom (wheel, buttons) and pan (drag), fitted to the sites shown; an optional boundary layer.
import { $, el, svg, fold } from "./dom.js";

const K = 1000;  // map units per degree of longitude
const project = (lon, lat) => [lon * K, -Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) * (180 / Math.PI) * K];

const SITE_PX = { datacenter: 11, hub: 8.5, bts: 5.5, wifi: 4.5, agency: 4.5, commune_office: 4.5 };

export function utilClass(pct) {
  if (pct === null || pct === undefined) return "util-none";
  if (pct >= 80) return "util-high";
  if (pct >= 50) return "util-mid";
  return "util-low";
}

export class ProvinceMap {
  constructor(root, navigate) {
    this.root = root;
    this.navigate = navigate;
    this.svg = svg("svg", { id: "map", role: "img", "aria-label": "sites by status", preserveAspectRatio: "xMidYMid meet" });
    this.layers = {};
    for (const name of ["tiles", "grid", "boundary", "links", "sites", "labels"]) {
      this.layers[name] = svg("g", { class: "layer-" + name });
      this.svg.append(this.layers[name]);
    }
    root.append(this.svg);
    this.view = null;
    this.fitted = false;
    this.focus = null;  // a commune id: only its sites are fitted and bright
    this.features = [];
    this.dragged = false;
    this.wire();
  }

  wire() {
    this.svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      this.zoom(Math.pow(1.0015, ev.deltaY), this.toMap(ev.clientX, ev.clientY));
    }, { passive: false });
    let start = null;
    this.svg.addEventListener("pointerdown", (ev) => {
      start = { x: ev.clientX, y: ev.clientY, view: { ...this.view } };
      this.dragged = false;
    });
    this.svg.addEventListener("pointermove", (ev) => {
      if (!start || !this.view) return;
      const dx = ev.clientX - start.x, dy = ev.clientY - start.y;
      if (!this.dragged && Math.hypot(dx, dy) < 4) return;
      if (!this.dragged) this.svg.setPointerCapture(ev.pointerId);
      this.dragged = true;
      const upp = this.unitsPerPixel();
      this.setView({ ...start.view, x: start.view.x - dx * upp, y: start.view.y - dy * upp });
    });
    const end = () => { start = null; };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
    // A drag is not a click on the site under the pointer where it ends.
    this.svg.addEventListener("click", (ev) => { if (this.dragged) { ev.stopPropagation(); ev.preventDefault(); } }, true);
    $("zoom-in").addEventListener("click", () => this.zoom(1 / 1.5));
    $("zoom-out").addEventListener("click", () => this.zoom(1.5));
    $("zoom-fit").addEventListener("click", () => this.fit());
    new ResizeObserver(() => this.view && this.setView(this.view)).observe(this.svg);
  }

  toMap(clientX, clientY) {
    const point = this.svg.createSVGPoint();
    point.x = clientX; point.y = clientY;
    const m = this.svg.getScreenCTM();
    if (!m) return null;
    const p = point.matrixTransform(m.inverse());
    return [p.x, p.y];
  }

  unitsPerPixel() {
    const box = this.svg.getBoundingClientRect();
    if (!this.view || !box.width) return 1;
    return Math.max(this.view.w / box.width, this.view.h / box.height);
  }

  zoom(factor, around) {
    if (!this.view) return;
    const v = this.view;
    const [cx, cy] = around || [v.x + v.w / 2, v.y + v.h / 2];
    const w = Math.min(Math.max(v.w * factor, 2), 4000), f = w / v.w;
    this.setView({ x: cx - (cx - v.x) * f, y: cy - (cy - v.y) * f, w, h: v.h * f });
  }

  setView(view) {
    this.view = view;
    this.svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map((n) => n.toFixed(3)).join(" "));
    this.restyle();
    if (this.tiles) this.drawTiles();
  }

  /** The XYZ tiles (Web Mercator, like the map) covering the view, at the zoom nearest its scale. */
  drawTiles() {
    const world = 360 * K, upp = this.unitsPerPixel(), v = this.view;
    const z = Math.max(0, Math.min(19, Math.round(Math.log2(world / (256 * upp)))));
    const n = 2 ** z, size = world / n;
    const col = (X) => Math.floor((X / K + 180) / 360 * n);
    const row = (Y) => Math.floor((1 + Y / (180 * K)) / 2 * n);
    const [x0, x1, y0, y1] = [col(v.x), col(v.x + v.w), row(v.y), row(v.y + v.h)].map((t) => Math.max(0, Math.min(n - 1, t)));
    const wanted = new Map();
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) wanted.set(z + "/" + x + "/" + y, [x, y]);
    if (wanted.size > 80) return;  // a view far wider than the province: keep what is drawn
    const layer = this.layers.tiles;
    for (const img of [...layer.children]) if (!wanted.has(img.dataset.tile)) img.remove();
    const have = new Set([...layer.children].map((img) => img.dataset.tile));
    for (const [key, [x, y]] of wanted) {
      if (have.has(key)) continue;
      const href = this.tiles.replace("{z}", z).replace("{x}", x).replace("{y}", y);
      layer.append(svg("image", {
        href, x: (x * size - 180 * K).toFixed(3), y: ((2 * y / n - 1) * 180 * K).toFixed(3),
        width: size.toFixed(3), height: size.toFixed(3), preserveAspectRatio: "none", class: "tile", "data-tile": key,
      }));
    }
  }

  setTiles(template) {
    this.tiles = template;
    this.svg.classList.add("with-tiles");
    if (this.view) this.drawTiles();
  }

  /** Fit the view to the sites shown (the focused commune's, or all), with a margin. */
  fit() {
    const shown = this.features.filter((f) => f.geometry.type === "Point" && (!this.focus || f.properties.commune_id === this.focus));
    if (!shown.length) return;
    const pts = shown.map((f) => project(...f.geometry.coordinates));
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of pts) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
    const box = this.svg.getBoundingClientRect();
    const aspect = box.width && box.height ? box.width / box.height : 1.5;
    let w = Math.max(x1 - x0, 4), h = Math.max(y1 - y0, 4);
    w *= 1.1; h *= 1.18;  // room at the bottom for the legend
    if (w / h < aspect) w = h * aspect; else h = w / aspect;
    this.setView({ x: (x0 + x1) / 2 - w / 2, y: (y0 + y1) / 2 - h / 2 + h * 0.04, w, h });
  }

  /** Sizes in screen pixels whatever the zoom; labels by zoom level. */
  restyle() {
    const upp = this.unitsPerPixel();
    for (const dot of this.layers.sites.children) dot.setAttribute("r", (Number(dot.dataset.px) * upp).toFixed(3));
    for (const label of this.layers.labels.children) {
      // Above the sites they name, by a fixed number of pixels whatever the zoom.
      label.setAttribute("font-size", (Number(label.dataset.px) * upp).toFixed(3));
      label.setAttribute("y", (Number(label.dataset.y) - Number(label.dataset.lift) * upp).toFixed(3));
    }
    // Zoomed in (under ~60 m per pixel): communes are named; zoomed out: districts.
    this.svg.classList.toggle("zoomed-in", upp < 0.55);
    const bar = $("scale-bar");
    if (bar && this.view) {
      const lat = -(Math.atan(Math.exp(-(this.view.y + this.view.h / 2) / K * Math.PI / 180)) * 360 / Math.PI - 90);
      const kmPerPx = (upp / K) * 111.32 * Math.cos((lat * Math.PI) / 180);
      const nice = [0.5, 1, 2, 5, 10, 20, 50, 100].find((km) => km / kmPerPx >= 80) || 100;
      bar.style.width = Math.round(nice / kmPerPx) + "px";
      bar.textContent = nice + " km";
    }
  }

  drawGrid(bbox) {
    const [minLon, minLat, maxLon, maxLat] = bbox;
    const g = this.layers.grid;
    g.replaceChildren();
    const step = 0.1;
    for (let lon = Math.floor(minLon * 10) / 10 - step; lon <= maxLon + step; lon += step) {
      const [x1, y1] = project(lon, minLat - step), [x2, y2] = project(lon, maxLat + step);
      g.append(svg("line", { x1, y1, x2, y2, class: "grid", "vector-effect": "non-scaling-stroke" }));
    }
    for (let lat = Math.floor(minLat * 10) / 10 - step; lat <= maxLat + step; lat += step) {
      const [x1, y1] = project(minLon - step, lat), [x2, y2] = project(maxLon + step, lat);
      g.append(svg("line", { x1, y1, x2, y2, class: "grid", "vector-effect": "non-scaling-stroke" }));
    }
    const [bx0, by0] = project(minLon, maxLat), [bx1, by1] = project(maxLon, minLat);
    g.append(svg("rect", { x: bx0, y: by0, width: bx1 - bx0, height: by1 - by0, class: "province-box", "vector-effect": "non-scaling-stroke" }));
  }

  drawBoundary(doc) {
    const g = this.layers.boundary;
    g.replaceChildren();
    const ring = (coords, close) => coords.map(([lon, lat], i) => {
      const [x, y] = project(lon, lat);
      return (i ? "L" : "M") + x.toFixed(2) + " " + y.toFixed(2);
    }).join(" ") + (close ? " Z" : "");
    for (const f of doc.features) {
      const { type, coordinates } = f.geometry;
      let d = "";
      if (type === "Polygon") d = coordinates.map((r) => ring(r, true)).join(" ");
      else if (type === "MultiPolygon") d = coordinates.map((p) => p.map((r) => ring(r, true)).join(" ")).join(" ");
      else if (type === "LineString") d = ring(coordinates, false);
      else if (type === "MultiLineString") d = coordinates.map((r) => ring(r, false)).join(" ");
      const path = svg("path", { d, class: type.endsWith("LineString") ? "boundary-line" : "boundary", "vector-effect": "non-scaling-stroke" });
      if (f.properties && f.properties.name) path.append(svg("title", {}, f.properties.name));
      g.append(path);
    }
  }

  /** Redraw sites and links: geojson features, link loads by id, devices under maintenance. */
  draw(doc, loads, maintained) {
    this.features = doc.features;
    const sites = {}, links = this.layers.links, dots = this.layers.sites, labels = this.layers.labels;
    links.replaceChildren(); dots.replaceChildren(); labels.replaceChildren();
    for (const f of doc.features) if (f.properties.feature === "site") sites[f.properties.id] = f;
    for (const f of doc.features) {
      const p = f.properties;
      if (p.feature !== "link") continue;
      const [[a, b], [c, d]] = f.geometry.coordinates;
      const [x1, y1] = project(a, b), [x2, y2] = project(c, d);
      const load = loads[p.id] || {};
      const state = load.flapping ? "flapping" : p.status;
      const cls = ["link", "link-" + state, state === "up" ? utilClass(load.utilisation_pct) : "", p.capacity_mbps >= 10000 ? "cap-10g" : p.capacity_mbps >= 1000 ? "cap-1g" : "cap-low"];
      const group = svg("g", { class: "link-group", "data-link": p.id, "data-status": state });
      const title = p.id + " (" + state + (load.utilisation_pct != null ? ", " + load.utilisation_pct.toFixed(0) + " %" : "") + ")";
      group.append(
        svg("line", { x1, y1, x2, y2, class: cls.join(" "), "vector-effect": "non-scaling-stroke" }),
        svg("line", { x1, y1, x2, y2, class: "link-hit", "vector-effect": "non-scaling-stroke" }, svg("title", {}, title)),
      );
      group.addEventListener("click", () => this.navigate("link", p.id));
      links.append(group);
    }
    const groups = { district: {}, commune: {} };
    // Small sites under big ones, and sites that are down on top of everything.
    const order = (f) => (f.properties.status === "down" ? 100 : 0) + (SITE_PX[f.properties.kind] || 5);
    const ordered = Object.values(sites).sort((x, y) => order(x) - order(y));
    for (const f of ordered) {
      const p = f.properties;
      const [x, y] = project(...f.geometry.coordinates);
      const inMaintenance = p.devices.some((d) => maintained.has(d));
      const dim = this.focus && p.commune_id !== this.focus;
      const dot = svg("circle", {
        cx: x.toFixed(3), cy: y.toFixed(3), r: 1,
        class: ["site", p.status, "kind-" + p.kind, inMaintenance ? "maintenance" : "", dim ? "dim" : ""].join(" "),
        "data-site": p.id, "data-status": p.status, "data-px": SITE_PX[p.kind] || 5,
        "vector-effect": "non-scaling-stroke",
      }, svg("title", {}, p.name + " — " + p.kind + ", " + (p.commune || p.district_name) + " (" + p.status + ")"));
      dot.addEventListener("click", () => {
        if (p.devices.length === 1) this.navigate("device", p.devices[0]);
        else this.navigate("site", p.id);
      });
      dots.append(dot);
      for (const [kind, key, name] of [["district", p.district, p.district_name], ["commune", p.commune_id, p.commune]]) {
        if (!key) continue;
        const g = groups[kind][key] || (groups[kind][key] = { name, x: 0, y: 0, n: 0 });
        g.x += x; g.y += y; g.n += 1;
      }
    }
    for (const [kind, px] of [["district", 15], ["commune", 12]]) {
      for (const [key, g] of Object.entries(groups[kind])) {
        labels.append(svg("text", {
          x: (g.x / g.n).toFixed(2), y: (g.y / g.n).toFixed(2), class: "label label-" + kind,
          "text-anchor": "middle", "data-px": px, "data-key": key, "data-y": (g.y / g.n).toFixed(3),
          "data-lift": kind === "district" ? 16 : 9,
        }, g.name));
      }
    }
    if (!this.fitted) { this.fit(); this.fitted = true; } else this.restyle();
  }

  setFocus(communeId) {
    this.focus = communeId || null;
    for (const dot of this.layers.sites.children) {
      const f = this.features.find((x) => x.properties.feature === "site" && x.properties.id === dot.dataset.site);
      dot.classList.toggle("dim", Boolean(this.focus) && f && f.properties.commune_id !== this.focus);
    }
    this.fit();
  }
}

/** Devices covered by a maintenance window on now: device:X, district:D, commune:C or everything. */
export function maintainedDevices(windows, features) {
  const out = new Set();
  for (const w of windows.filter((x) => x.active)) {
    const [kind, ...rest] = w.target.split(":");
    const value = rest.join(":");
    for (const f of features) {
      const p = f.properties;
      if (p.feature !== "site") continue;
      if (w.target === "*" || (kind === "district" && p.district === value) || (kind === "commune" && p.commune_id === value)) p.devices.forEach((d) => out.add(d));
      else if (kind === "device" && p.devices.includes(value)) out.add(value);
    }
  }
  return out;
}

export function communeOptions(select, communes) {
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, "Whole province"));
  const sorted = [...communes].sort((a, b) => fold(a.name).localeCompare(fold(b.name)));
  for (const c of sorted) select.append(el("option", { value: c.id }, c.name + " (" + c.agencies.online + "/" + c.agencies.total + ")"));
  select.value = keep;
}
