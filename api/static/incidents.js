// The side panels: open incidents (acknowledge), alerts, maintenance windows, the event log.
import { $, el, badge, routeLink, since, duration, clock, num } from "./dom.js";
import { get, send } from "./api.js";

/** A device, link or other element named by an incident or alert, as a link where it has a page. */
function elementLink(name, devices, links) {
  if (devices.has(name)) return routeLink("device", name);
  if (links.has(name)) return routeLink("link", name);
  return el("span", {}, name);
}

function ackButton(i, ctx, onError) {
  const button = el("button", { type: "button", class: "ack", "data-ack": i.id }, "Acknowledge");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "…";
    try {
      await send("POST", "/incidents/" + i.id + "/ack");
      ctx.changed();
    } catch (e) {
      button.disabled = false;
      button.textContent = "Acknowledge";
      onError(e);
    }
  });
  return button;
}

export function drawIncidents(items, ctx) {
  const list = $("incidents");
  list.replaceChildren();
  $("incidents-count").textContent = String(items.length);
  if (!items.length) list.append(el("li", { class: "empty" }, "No open incident"));
  for (const i of items) {
    const r = i.blast_radius || {};
    const acked = Boolean(i.acknowledged_by);
    const row = el("li", {
      class: "incident" + (acked ? " acked" : "") + (i.flapping ? " flapping" : "") + (i.maintenance.length ? " in-maintenance" : ""),
      "data-incident": i.id, "data-state": acked ? "acknowledged" : "open",
    });
    const head = el("div", { class: "row-head" },
      routeLink("incident", i.id, "#" + i.id, "sev critical"),
      el("span", { class: "kind" }, i.kind.replace("_", " ")),
      elementLink(i.root_cause, ctx.devices, ctx.links));
    if (i.flapping) head.append(badge("flapping", "flap"));
    if (i.maintenance.length) head.append(badge("maintenance", "maint"));
    const cut = el("div", { class: "radius" },
      el("b", {}, String(r.agencies ?? 0)), " agencies · ", el("b", {}, String(r.bts_sites ?? 0)), " BTS · ",
      el("b", {}, String(r.hotspots ?? 0)), " hotspots cut off");
    const when = el("div", { class: "when" }, "since " + since(i.opened));
    if (acked) {
      when.append(el("span", { class: "ack-by" }, " · acknowledged " + clock(i.acknowledged_at) + " by " + i.acknowledged_by));
    } else if (ctx.canAck) {
      when.append(" ", ackButton(i, ctx, (e) => row.append(el("div", { class: "error" }, e.message))));
    }
    row.append(head, cut, when);
    list.append(row);
  }
}

const RULES = {
  "high-utilisation": "utilisation", "errors": "errors", "low-optical-power": "low optical power",
  "optical-power-falling": "optical power falling",
};

function alertValue(a) {
  if (a.value === null || a.value === undefined) return "";
  if (a.rule.startsWith("low-optical")) return num(a.value, 1, "dBm");
  if (a.rule === "optical-power-falling") return "−" + num(a.value, 1, "dB");
  if (a.rule === "high-utilisation") return num(a.value, 0, "%");
  return num(a.value, 2, "/s");
}

export function drawAlerts(items) {
  const list = $("alerts");
  list.replaceChildren();
  $("alerts-count").textContent = String(items.length);
  if (!items.length) list.append(el("li", { class: "empty" }, "No alert firing"));
  for (const a of items) {
    const subject = a.link ? routeLink("link", a.link) : a.device ? routeLink("device", a.device, a.device + (a.port ? " " + a.port : "")) : el("span", {}, a.name);
    const row = el("li", { class: "alert " + a.severity, "data-alert": a.name, "data-severity": a.severity },
      el("div", { class: "row-head" }, el("span", { class: "sev " + a.severity }, a.severity),
        el("span", { class: "kind" }, RULES[a.rule] || a.rule), el("span", { class: "value" }, alertValue(a))),
      el("div", { class: "subject" }, subject),
      el("div", { class: "when" }, "since " + since(a.since)));
    if (a.maintenance.length) row.querySelector(".row-head").append(badge("maintenance", "maint"));
    list.append(row);
  }
}

export function drawMaintenance(items) {
  const list = $("maintenance");
  list.replaceChildren();
  if (!items.length) list.append(el("li", { class: "empty" }, "No maintenance declared"));
  for (const w of items) {
    const now = Date.now() / 1000;
    list.append(el("li", { class: "window" + (w.active ? " active" : ""), "data-window": w.id },
      el("div", { class: "row-head" }, badge(w.active ? "now" : "planned", w.active ? "maint" : "planned"),
        el("span", { class: "target" }, w.target)),
      el("div", { class: "reason" }, w.reason),
      el("div", { class: "when" }, clock(w.starts) + " → " + clock(w.ends) +
        (w.active ? " (" + duration(w.ends - now) + " left)" : " (in " + duration(w.starts - now) + ")"))));
  }
}

const WORDS = { up: "up", down: "down", unreachable: "unreachable", firing: "firing", ok: "cleared", unknown: "unknown" };

function changeRow(c, ctx) {
  const name = c.kind === "endpoint" ? c.name : elementLink(c.kind === "alert" ? c.name.split(":").slice(1).join(":") : c.name, ctx.devices, ctx.links);
  const label = c.kind === "alert" ? c.name.split(":")[0] + " " : "";
  return el("li", { class: "change " + (c.new === "down" || c.new === "unreachable" || c.new === "firing" ? "bad" : c.new === "up" || c.new === "ok" ? "good" : "") },
    el("span", { class: "at" }, clock(c.at)), el("span", { class: "what" }, c.kind),
    el("span", { class: "name" }, label, name),
    el("span", { class: "to" }, (WORDS[c.old] || c.old || "–") + " → " + (WORDS[c.new] || c.new)));
}

export function drawChanges(items, ctx) {
  const list = $("changes");
  list.replaceChildren(...items.slice(0, 200).map((c) => changeRow(c, ctx)));
  if (!items.length) list.append(el("li", { class: "empty" }, "No change in the last 24 h"));
}

/** A change from the live stream, on top of the log. */
export function prependChange(c, ctx) {
  const list = $("changes");
  list.querySelector(".empty")?.remove();
  list.prepend(changeRow(c, ctx));
  while (list.children.length > 200) list.lastChild.remove();
}

/** The first links down as links, then how many more. */
function linksDown(links, ctx) {
  const shown = links.slice(0, 4).flatMap((l, n) => [n ? ", " : "", elementLink(l, ctx.devices, ctx.links)]);
  return links.length > 4 ? [...shown, " and " + (links.length - 4) + " more"] : links.length ? shown : ["none"];
}

const KINDS = { agency: "Agencies", bts: "BTS sites", wifi: "Hotspots" };

/** One incident (#/incident/ID): what broke, what it cuts off, acknowledge. */
export async function incidentPage(id, view, ctx) {
  const i = await get("/incidents/" + encodeURIComponent(id));
  const r = i.blast_radius || {};
  const acked = Boolean(i.acknowledged_by);
  const state = !i.open ? "closed" : acked ? "acknowledged" : "open";
  const status = el("div", { class: "ack-state " + state, id: "ack-state" });
  if (!i.open) status.append("Closed " + clock(i.closed) + " after " + duration(i.closed - i.opened));
  else if (acked) status.append("Acknowledged " + clock(i.acknowledged_at) + " by " + i.acknowledged_by);
  else {
    status.append("Not acknowledged for " + duration(Date.now() / 1000 - i.opened) + " ");
    if (ctx.canAck) status.append(ackButton(i, ctx, (e) => status.append(el("div", { class: "error" }, e.message))));
  }
  const groups = {};
  for (const e of r.endpoints || []) (groups[e.kind] = groups[e.kind] || []).push(e);
  const lists = Object.entries(groups).map(([kind, eps]) => el("section", { class: "panel" },
    el("h3", {}, (KINDS[kind] || kind) + " cut off (" + eps.length + ")"),
    el("ul", { class: "plain columns" }, ...eps.map((e) => el("li", {}, e.name, el("span", { class: "muted" }, " · " + e.district))))));
  view.replaceChildren(
    el("div", { class: "page-head" }, el("a", { href: "#/", class: "back" }, "← map"), el("span", { class: "page-kind" }, "incident #" + i.id),
      el("h2", { class: "page-title" }, i.kind.replace("_", " ") + " "), elementLink(i.root_cause, ctx.devices, ctx.links),
      badge(state, state === "open" ? "critical" : state === "acknowledged" ? "minor" : "cleared"),
      ...(i.flapping ? [badge("flapping", "flap")] : []), ...(i.maintenance && i.maintenance.length ? [badge("maintenance", "maint")] : [])),
    el("div", { class: "page-grid" },
      el("section", { class: "panel" }, el("h3", {}, "Incident"),
        el("dl", { class: "facts" },
          el("dt", {}, "opened"), el("dd", {}, since(i.opened)),
          el("dt", {}, "updated"), el("dd", {}, clock(i.updated)),
          el("dt", {}, "cut off"), el("dd", {}, (r.agencies ?? 0) + " agencies, " + (r.bts_sites ?? 0) + " BTS, " + (r.hotspots ?? 0) + " hotspots"),
          el("dt", {}, "links down"), el("dd", {}, ...linksDown(i.links_down || [], ctx)),
          el("dt", {}, "devices cut off"), el("dd", {}, String((i.devices_cut_off || []).length)),
          ...(i.also_possible && i.also_possible.length ? [el("dt", {}, "also possible"), el("dd", {}, i.also_possible.join(", "))] : []))),
      el("section", { class: "panel" }, el("h3", {}, "Acknowledgement"), status)),
    ...lists);
  view.dataset.page = "incident";
  view.dataset.state = state;
}
