// The NOC console: logs in (token -> session), routes #/, #/device/NAME, #/link/ID, #/site/ID,
// #/commune/ID, #/incident/ID, redraws on every change the /events stream announces.
import { $, el, since } from "./dom.js";
import * as api from "./api.js";
import { ProvinceMap, maintainedDevices, communeOptions } from "./map.js";
import { drawIncidents, drawAlerts, drawMaintenance, drawChanges, prependChange, incidentPage } from "./incidents.js";
import { devicePage, linkPage, sitePage } from "./device.js";
import { Search } from "./search.js";

const ctx = { devices: new Set(), links: new Set(), canAck: false, changed: () => soon() };
let map = null, search = null, me = null, features = [];

const navigate = (kind, id) => { location.hash = "#/" + kind + "/" + encodeURIComponent(id); };

function drawSummary(s) {
  $("province").textContent = s.province;
  for (const [key, id] of [["agencies", "agencies"], ["bts_sites", "bts"], ["hotspots", "wifi"]]) {
    $(id + "-online").textContent = s[key].online;
    $(id + "-total").textContent = s[key].total;
    $(id + "-online").className = s[key].offline ? "offline" : "online";
  }
  $("incidents-open").textContent = s.incidents_open;
  drawMonitor(s.monitor);
}

// Whether the monitor is watching (/summary's and the stream's "monitor"): unless it runs, a
// banner says since when it does not, and that the states shown are the last known.
const MONITOR_WORDS = {
  stopped: "Monitoring stopped since ",
  silent: "Monitoring silent since ",
};
let monitorDrawn = null;
/** Draw the banner; whether the monitor's state (or since) differs from the one drawn before. */
function drawMonitor(m) {
  const banner = $("monitor-banner");
  const state = m ? m.state : "unknown";
  const key = state + "@" + (m ? m.since : "");
  const changed = key !== monitorDrawn;
  monitorDrawn = key;
  document.body.dataset.monitor = state;
  document.body.classList.toggle("stale", state !== "running");
  banner.hidden = state === "running";
  banner.className = state;
  if (state === "running") { banner.textContent = ""; return changed; }
  if (state in MONITOR_WORDS) {
    const why = state === "silent" ? " — no heartbeat from the monitor, it may have died" : "";
    banner.textContent = MONITOR_WORDS[state] + since(m.since) + why + ": the states shown are the last known";
  } else {
    banner.textContent = "No monitor has run yet: the states shown are not known";
  }
  banner.title = m && m.message ? m.message : "";
  return changed;
}

const optional = (promise, empty) => promise.catch(() => empty);

async function refresh() {
  const noc = me.role !== "ioc";
  const [summary, geo, loads, incidents, alerts, windows] = await Promise.all([
    api.get("/summary"), api.get("/topology/geojson"),
    noc ? optional(api.get("/links?limit=1000"), { items: [] }) : { items: [] },
    noc ? optional(api.get("/incidents?open=true&limit=200"), { items: [] }) : { items: [] },
    noc ? optional(api.get("/alerts?limit=200"), { items: [] }) : { items: [] },
    noc ? optional(api.get("/maintenance?limit=100"), { items: [] }) : { items: [] },
  ]);
  features = geo.features;
  ctx.devices = new Set(features.flatMap((f) => (f.properties.feature === "site" ? f.properties.devices : [])));
  ctx.links = new Set(features.filter((f) => f.properties.feature === "link").map((f) => f.properties.id));
  drawSummary(summary);
  const byLink = Object.fromEntries(loads.items.map((l) => [l.id, l]));
  map.draw(geo, byLink, maintainedDevices(windows.items, features));
  if (noc) {
    drawIncidents(incidents.items, ctx);
    drawAlerts(alerts.items);
    $("alerts-firing").textContent = String(alerts.items.length);
    drawMaintenance(windows.items);
  }
  document.body.dataset.refreshed = String(Date.now());
}

let pending = null;
function soon() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    refresh().catch(showError);
    // A page redraws with the news; the map keeps the view the user chose (no re-fit).
    if (/^#\/(device|link|site|incident)\//.test(location.hash)) route();
  }, 300);
}

function showError(e) { $("status-line").textContent = String(e.message || e); }

async function route() {
  const [, kind, raw] = location.hash.match(/^#\/(device|link|site|commune|incident)\/(.+)$/) || [];
  const page = $("page");
  const id = raw ? decodeURIComponent(raw) : null;
  const onMap = !kind || kind === "commune";
  $("map-view").hidden = !onMap;
  page.hidden = onMap;
  if (onMap) {
    $("commune").value = kind === "commune" ? id : "";
    map.setFocus(kind === "commune" ? id : null);
    delete page.dataset.page;
    return;
  }
  try {
    if (kind === "device") await devicePage(id, page);
    else if (kind === "link") await linkPage(id, page);
    else if (kind === "incident") await incidentPage(id, page, ctx);
    else await sitePage(id, page);
  } catch (e) {
    page.replaceChildren(el("a", { href: "#/", class: "back" }, "← map"), el("p", { class: "error" }, e.message));
    page.dataset.page = "error";
  }
}

function tick() {
  const now = new Date();
  $("clock").textContent = now.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    await api.login(fragment.get("token")).catch(() => null);
    history.replaceState(null, "", location.pathname + "#/");  // the token leaves the address bar
  }
  try {
    me = await api.whoami();
  } catch (_e) {
    $("login").hidden = false;
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try { await api.login($("token").value); location.reload(); }
      catch (err) { $("login-error").textContent = err.message; }
    });
    return;
  }
  $("app").hidden = false;
  $("who").textContent = me.role + (me.district ? " · " + me.district : "");
  ctx.canAck = ["noc", "engineer", "admin"].includes(me.role);
  if (me.role === "ioc") {
    // The IOC's token reads the map and the counts; the NOC's lists need a noc token.
    $("side").replaceChildren(el("section", { class: "panel" }, el("h2", {}, "Status"),
      el("p", { class: "empty" }, "Incidents, alerts, maintenance and the event log need a noc token.")));
  }
  $("logout").addEventListener("click", async () => { await api.logout(); location.replace(location.pathname); });
  map = new ProvinceMap($("map-box"), navigate);
  search = new Search(navigate);
  const settings = await api.get("/map");
  map.drawGrid(settings.bbox);
  if (settings.boundary) api.get("/map/boundary").then((doc) => map.drawBoundary(doc)).catch(showError);
  if (settings.tiles) map.setTiles(settings.tiles);
  await refresh();
  const [agencies, communes] = await Promise.all([
    optional(api.get("/agencies?limit=1000"), { items: [] }), optional(api.get("/communes"), { items: [] })]);
  search.index(features, agencies.items, communes.items);
  communeOptions($("commune"), communes.items);
  $("commune").addEventListener("change", (ev) => { location.hash = ev.target.value ? "#/commune/" + encodeURIComponent(ev.target.value) : "#/"; });
  if (me.role !== "ioc") {
    api.get("/changes?hours=24&limit=200").then((doc) => drawChanges(doc.items, ctx)).catch(showError);
  }
  window.addEventListener("hashchange", route);
  await route();
  tick();
  setInterval(tick, 1000);
  setInterval(soon, 30000);  // durations and "since" move on even when nothing changes
  api.events((change) => { if (me.role !== "ioc") prependChange(change, ctx); soon(); }, (state) => {
    $("live").textContent = state;
    $("live").className = state === "live" ? "live" : "stale";
  }, (monitor) => { if (drawMonitor(monitor)) soon(); });
}

start().catch(showError);
