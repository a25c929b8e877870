// The device, link and site pages (#/device/NAME, #/link/ID, #/site/ID) with history charts.
import { el, badge, routeLink, since, bps, num, clock, duration } from "./dom.js";
import { get } from "./api.js";
import { historyCharts } from "./plot.js";
import { utilClass } from "./map.js";

const WINDOWS = { "1h": 3600, "24h": 86400, "30d": 30 * 86400 };
// The chart choices survive the page's redraws (every change redraws it): device -> {port, window}.
const chosen = {};

function facts(pairs) {
  const dl = el("dl", { class: "facts" });
  for (const [key, value] of pairs) dl.append(el("dt", {}, key), el("dd", {}, value ?? "–"));
  return dl;
}

function table(headers, rows, cls) {
  return el("table", { class: cls || "" }, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows));
}

function stateBadge(status) {
  return badge(status, "state-" + status);
}

function header(kind, title, status, extra) {
  return el("div", { class: "page-head" }, el("a", { href: "#/", class: "back" }, "← map"),
    el("span", { class: "page-kind" }, kind), el("h2", { class: "page-title" }, title), stateBadge(status), ...(extra || []));
}

function section(title, ...children) {
  return el("section", { class: "panel" }, el("h3", {}, title), ...children);
}

function alertList(alerts) {
  if (!alerts.length) return el("p", { class: "empty" }, "No alert");
  return el("ul", { class: "plain" }, ...alerts.map((a) => el("li", { class: "alert " + a.severity, "data-alert": a.name },
    badge(a.state === "firing" ? a.severity : "cleared", a.state === "firing" ? a.severity : "cleared"), " ", a.rule,
    a.port ? " on " + a.port : "", " · since " + since(a.since))));
}

function changeList(changes) {
  if (!changes.length) return el("p", { class: "empty" }, "No change in the last 24 h");
  return el("ul", { class: "plain changes-mini" }, ...changes.map((c) =>
    el("li", {}, el("span", { class: "at" }, clock(c.at)), " ", c.kind, " ", c.name, ": ", (c.old || "–") + " → " + c.new)));
}

/** The history block: interface picker, window buttons, four charts (reloaded on each choice). */
function historyBlock(device, interfaces, initial) {
  const ports = interfaces.filter((i) => i.link || i.rates);
  const box = el("div", { class: "charts" });
  const picker = el("select", { id: "history-interface", "aria-label": "interface" },
    ...ports.map((i) => el("option", { value: i.name }, i.name + (i.peer ? " → " + i.peer : ""))));
  const memory = chosen[device] || (chosen[device] = { port: initial, window: "1h" });
  if (memory.port) picker.value = memory.port;
  const buttons = el("span", { class: "windows" });
  let current = memory.window;
  const load = async () => {
    const port = picker.value;
    memory.port = port;
    memory.window = current;
    if (!port) { box.replaceChildren(el("p", { class: "empty" }, "No interface polled")); return; }
    box.dataset.loading = "true";
    const iface = interfaces.find((i) => i.name === port) || {};
    try {
      const doc = await get("/devices/" + encodeURIComponent(device) + "/interfaces/" + encodeURIComponent(port) + "/history?window=" + current);
      const end = Date.now() / 1000;
      box.replaceChildren(...historyCharts(doc, end - WINDOWS[current], end, iface.optical_low_warning_dbm));
      box.dataset.window = current;
      box.dataset.source = doc.source;
    } catch (e) {
      box.replaceChildren(el("p", { class: "error" }, e.message));
    }
    delete box.dataset.loading;
  };
  for (const w of Object.keys(WINDOWS)) {
    const b = el("button", { type: "button", "data-window": w, class: w === current ? "on" : "" }, w);
    b.addEventListener("click", () => {
      current = w;
      for (const other of buttons.children) other.classList.toggle("on", other === b);
      load();
    });
    buttons.append(b);
  }
  picker.addEventListener("change", load);
  load();
  return section("History", el("div", { class: "toolbar" }, "Interface ", picker, " ", buttons), box);
}

export async function devicePage(name, view) {
  const d = await get("/devices/" + encodeURIComponent(name));
  const rows = d.interfaces.map((i) => {
    const r = i.rates || {};
    const low = i.optical_low_warning_dbm, rx = i.optical_rx_dbm;
    const optic = rx === null || rx === undefined ? "–" : el("span", { class: low !== null && low !== undefined && rx < low ? "down" : "up" }, num(rx, 1, "dBm"));
    return el("tr", { "data-interface": i.name },
      el("td", {}, i.name), el("td", {}, i.oper_status ? stateBadge(i.oper_status) : "–"),
      el("td", { class: "n" }, i.speed_mbps ? i.speed_mbps + " Mb/s" : "–"),
      el("td", { class: "n" }, bps(r.in_bps)), el("td", { class: "n" }, bps(r.out_bps)),
      el("td", { class: "n " + utilClass(r.util_pct) }, num(r.util_pct, 1, "%")),
      el("td", { class: "n" }, optic),
      el("td", {}, i.link ? routeLink("link", i.link, i.peer || i.link) : "–",
        ...(i.link_state && i.link_state !== "up" ? [" ", stateBadge(i.link_state)] : [])));
  });
  const served = d.endpoints.map((e) => el("li", {}, stateBadge(e.status), " ", e.kind, " ", e.name));
  const maint = d.maintenance.map((w) => el("li", {}, badge(w.active ? "now" : "planned", w.active ? "maint" : "planned"), " ", w.target, ": ", w.reason, " (" + clock(w.starts) + " → " + clock(w.ends) + ")"));
  const firstLinked = (d.interfaces.find((i) => i.link && i.optical_rx_dbm !== null) || d.interfaces.find((i) => i.link) || {}).name;
  view.replaceChildren(
    header(d.role, d.name, d.status, d.maintenance.some((w) => w.active) ? [badge("maintenance", "maint")] : []),
    el("div", { class: "page-grid" },
      section("Device", facts([
        ["site", routeLink("site", d.site, d.site_name)], ["commune", d.commune], ["district", d.district],
        ["platform", d.platform + (d.model ? " · " + d.model : "")], ["management", d.mgmt_ip],
        ["state", d.status + " since " + since(d.since)], ["last poll", d.polled_at ? clock(d.polled_at) + " (" + duration(Date.now() / 1000 - d.polled_at) + " ago)" : "–"],
        ["uptime", d.sys_uptime ? duration(d.sys_uptime / 100) : "–"], ["WiFi clients", d.wifi_clients ?? "–"],
        ...(d.error ? [["error", d.error]] : [])])),
      section("Serves", served.length ? el("ul", { class: "plain" }, ...served) : el("p", { class: "empty" }, "No agency, BTS or hotspot")),
      section("Alerts", alertList(d.alerts)),
      section("Maintenance", maint.length ? el("ul", { class: "plain" }, ...maint) : el("p", { class: "empty" }, "None declared"))),
    historyBlock(d.name, d.interfaces, firstLinked),
    section("Interfaces", table(["interface", "state", "speed", "in", "out", "load", "optical rx", "link to"], rows, "interfaces")),
    section("Changes (24 h)", changeList(d.changes)));
  view.dataset.page = "device";
  view.dataset.device = d.name;
  view.dataset.status = d.status;
}

export async function linkPage(id, view) {
  const l = await get("/links/" + encodeURIComponent(id));
  const ends = l.ends.map((e) => el("tr", {},
    el("td", {}, routeLink("device", e.device)), el("td", {}, e.interface), el("td", {}, stateBadge(e.oper_status || e.status)),
    el("td", { class: "n" }, bps(e.in_bps)), el("td", { class: "n" }, bps(e.out_bps)),
    el("td", { class: "n " + utilClass(e.util_pct) }, num(e.util_pct, 1, "%")), el("td", { class: "n" }, num(e.optical_rx_dbm, 1, "dBm"))));
  view.replaceChildren(
    header("link", l.id, l.flapping ? "flapping" : l.state),
    el("div", { class: "page-grid" },
      section("Link", facts([["medium", l.medium], ["capacity", l.capacity_mbps + " Mb/s"], ["ducts", l.ducts.join(", ") || "–"],
        ["state", l.state + " since " + since(l.since)], ["load", num(l.utilisation_pct, 1, "%")], ["errors", num(l.errors_per_s, 2, "/s")]])),
      section("Alerts", alertList(l.alerts))),
    section("Ends", table(["device", "interface", "state", "in", "out", "load", "optical rx"], ends, "interfaces")),
    historyBlock(l.ends[0].device, [{ name: l.ends[0].interface, link: l.id }], l.ends[0].interface),
    section("Changes (24 h)", changeList(l.changes)));
  view.dataset.page = "link";
}

export async function sitePage(id, view) {
  const s = await get("/sites/" + encodeURIComponent(id));
  const rows = s.devices.map((d) => el("tr", {}, el("td", {}, routeLink("device", d.name)), el("td", {}, d.role),
    el("td", {}, stateBadge(d.status)), el("td", {}, since(d.since))));
  view.replaceChildren(
    header(s.kind.replace("_", " "), s.name, rows.length ? s.devices.every((d) => d.status === "up") ? "up" : "down" : "unknown"),
    section("Site", facts([["commune", s.commune], ["district", s.district_name], ["position", s.lat.toFixed(5) + ", " + s.lon.toFixed(5)]])),
    section("Devices", table(["device", "role", "state", "since"], rows)));
  view.dataset.page = "site";
}
