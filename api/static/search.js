// Search: sites, devices, agencies, communes and links by name or id (diacritics ignored).
import { $, el, fold } from "./dom.js";

export class Search {
  constructor(navigate) {
    this.navigate = navigate;
    this.entries = [];
    this.input = $("search");
    this.results = $("search-results");
    this.input.addEventListener("input", () => this.show());
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") { this.input.value = ""; this.show(); }
      if (ev.key === "Enter") this.results.querySelector("a")?.click();
    });
    this.results.addEventListener("click", () => { this.input.value = ""; this.show(); });
  }

  /** What can be found: from the map's features, the agencies and the communes. */
  index(features, agencies, communes) {
    const out = [];
    for (const f of features) {
      const p = f.properties;
      if (p.feature === "site") {
        out.push({ kind: "site", id: p.id, label: p.name, detail: p.commune || p.district_name, route: p.devices.length === 1 ? ["device", p.devices[0]] : ["site", p.id] });
        for (const d of p.devices) out.push({ kind: "device", id: d, label: d, detail: p.name, route: ["device", d] });
      } else {
        out.push({ kind: "link", id: p.id, label: p.id, detail: p.medium, route: ["link", p.id] });
      }
    }
    for (const a of agencies) out.push({ kind: "agency", id: a.id, label: a.name, detail: a.cpe, route: ["device", a.cpe] });
    for (const c of communes) out.push({ kind: "commune", id: c.id, label: c.name, detail: c.district, route: ["commune", c.id] });
    for (const e of out) e.key = fold(e.label + " " + e.id);
    this.entries = out;
  }

  show() {
    const words = fold(this.input.value).split(/\s+/).filter(Boolean);
    this.results.replaceChildren();
    this.results.hidden = !words.length;
    if (!words.length) return;
    const found = this.entries.filter((e) => words.every((w) => e.key.includes(w))).slice(0, 12);
    if (!found.length) this.results.append(el("li", { class: "empty" }, "Nothing matches"));
    for (const e of found) {
      const a = el("a", { href: "#/" + e.route[0] + "/" + encodeURIComponent(e.route[1]), "data-kind": e.kind },
        el("span", { class: "kind" }, e.kind), el("span", { class: "label" }, e.label), el("span", { class: "detail" }, e.detail || ""));
      this.results.append(el("li", {}, a));
    }
  }
}
