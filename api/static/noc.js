// The NOC page: reads /api/v1 with the session cookie, redraws on every /events change.
"use strict";
const API = "/api/v1";
const $ = (id) => document.getElementById(id);

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (cls) el.className = cls;
  return el;
}

async function get(path) {
  const answer = await fetch(API + path, { credentials: "same-origin" });
  if (answer.status === 401) throw new Error("unauthorised");
  if (!answer.ok) throw new Error(path + ": HTTP " + answer.status);
  return answer.json();
}

// The session's CSRF secret: sent with every state-changing request (the cookie alone is not enough).
let csrf = null;

async function send(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const answer = await fetch(API + path, {
    method, credentials: "same-origin", headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!answer.ok) throw new Error((await answer.json()).error.message);
  return answer.json();
}

async function login(token) {
  csrf = (await send("POST", "/session", { token })).csrf;
}

async function logout() {
  await send("DELETE", "/session").catch(console.error);
  location.reload();
}

function drawSummary(s) {
  $("province").textContent = s.province;
  $("agencies-online").textContent = s.agencies.online;
  $("agencies-total").textContent = s.agencies.total;
  $("bts-online").textContent = s.bts_sites.online;
  $("bts-total").textContent = s.bts_sites.total;
  $("wifi-online").textContent = s.hotspots.online;
  $("wifi-total").textContent = s.hotspots.total;
  $("incidents-open").textContent = s.incidents_open;
  const body = $("districts");
  body.replaceChildren();
  for (const d of s.districts) {
    const row = document.createElement("tr");
    row.append(text("td", d.name), text("td", d.agencies.online + "/" + d.agencies.total,
      d.agencies.offline ? "offline" : "online"));
    body.append(row);
  }
}

function drawMap(doc) {
  const svg = $("map");
  const [minLon, minLat, maxLon, maxLat] = doc.bbox;
  const W = 1000, H = 700;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const x = (lon) => 20 + (lon - minLon) / (maxLon - minLon) * (W - 40);
  const y = (lat) => H - 20 - (lat - minLat) / (maxLat - minLat) * (H - 40);
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const districts = {};
  for (const f of doc.features) {
    const p = f.properties;
    if (f.geometry.type === "LineString") {
      const [[a, b], [c, d]] = f.geometry.coordinates;
      const line = document.createElementNS(ns, "line");
      line.setAttribute("x1", x(a)); line.setAttribute("y1", y(b));
      line.setAttribute("x2", x(c)); line.setAttribute("y2", y(d));
      line.setAttribute("stroke", p.status === "down" ? "#ff7b72" : "#30363d");
      line.setAttribute("stroke-width", p.status === "down" ? 2 : 1);
      svg.append(line);
    }
  }
  for (const f of doc.features) {
    const p = f.properties;
    if (f.geometry.type !== "Point") continue;
    const [lon, lat] = f.geometry.coordinates;
    const dot = document.createElementNS(ns, "circle");
    dot.setAttribute("cx", x(lon)); dot.setAttribute("cy", y(lat));
    dot.setAttribute("r", p.kind === "datacenter" || p.kind === "hub" ? 7 : 4);
    dot.setAttribute("class", "site " + p.status);
    dot.setAttribute("fill", p.status === "down" ? "#ff7b72" : p.status === "up" ? "#7ee787" : "#d29922");
    dot.setAttribute("data-site", p.id);
    dot.setAttribute("data-status", p.status);
    const title = document.createElementNS(ns, "title");
    title.textContent = p.name + " (" + p.status + ")";
    dot.append(title);
    svg.append(dot);
    const group = districts[p.district_name] || (districts[p.district_name] = { lon: 0, lat: 0, n: 0 });
    group.lon += lon; group.lat += lat; group.n += 1;
  }
  for (const [name, g] of Object.entries(districts)) {
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", x(g.lon / g.n)); label.setAttribute("y", y(g.lat / g.n) - 10);
    label.setAttribute("fill", "#8b949e"); label.setAttribute("font-size", "16");
    label.setAttribute("text-anchor", "middle");
    label.textContent = name;
    svg.append(label);
  }
}

function drawIncidents(page) {
  const body = $("incidents");
  body.replaceChildren();
  for (const i of page.items) {
    const r = i.blast_radius;
    const row = document.createElement("tr");
    row.dataset.incident = i.id;
    row.append(text("td", i.id), text("td", i.kind + " " + i.root_cause, "down"),
      text("td", `${r.agencies} agencies, ${r.bts_sites} BTS, ${r.hotspots} hotspots`));
    body.append(row);
  }
}

function drawSpof(doc) {
  const body = $("spof");
  body.replaceChildren();
  for (const i of doc.items.slice(0, 10)) {
    const row = document.createElement("tr");
    row.append(text("td", i.kind + " " + i.element), text("td", i.agencies), text("td", i.bts_sites),
      text("td", i.hotspots));
    body.append(row);
  }
}

async function refresh() {
  const [summary, map, incidents] = await Promise.all([get("/summary"), get("/topology/geojson"),
    get("/incidents?open=true").catch(() => ({ items: [] }))]);
  drawSummary(summary);
  drawMap(map);
  drawIncidents(incidents);
  document.body.dataset.refreshed = String(Date.now());
}

let pending = null;
function soon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refresh().catch(console.error); }, 300);
}

async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    await login(fragment.get("token")).catch(() => null);
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar
  }
  try {
    csrf = (await get("/session")).csrf;
    await refresh();
  } catch (e) {
    $("login").hidden = false;
    $("login-form").onsubmit = async (ev) => {
      ev.preventDefault();
      try { await login($("token").value); location.reload(); }
      catch (err) { $("login-error").textContent = err.message; }
    };
    return;
  }
  $("app").hidden = false;
  $("logout").onclick = logout;
  get("/topology/spof?limit=10").then(drawSpof).catch((e) => {
    // A district-scoped token gets 403: the ranking is the whole province's.
    const row = document.createElement("tr");
    row.append(text("td", String(e.message).includes("403") ? "province-wide: not shown to a district token" : String(e.message)));
    $("spof").replaceChildren(row);
  });
  const events = new EventSource(API + "/events");
  events.onopen = () => { $("live").textContent = "live"; };
  events.onerror = () => { $("live").textContent = "reconnecting…"; };
  events.addEventListener("change", soon);
}

start();
