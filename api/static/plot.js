// Line charts drawn as SVG from the history API's series ({metric: [[unix, value], ...]}).
import { el, svg, bps } from "./dom.js";

const W = 640, H = 210, L = 64, R = 12, T = 14, B = 26;
const pad = (n) => String(n).padStart(2, "0");

function timeLabel(t, span) {
  const d = new Date(t * 1000);
  if (span > 2 * 86400) return pad(d.getDate()) + "/" + pad(d.getMonth() + 1);
  return pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function niceStep(range, count) {
  const raw = range / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
}

/**
 * A chart: {title, format(v) -> text, lines: [{name, cls, points}], start, end, floor?, limit?}.
 * An empty series gives a chart saying so (the axes stay, so the page does not jump).
 */
export function lineChart(spec) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": spec.title });
  const points = spec.lines.flatMap((l) => l.points);
  const values = points.map((p) => p[1]);
  if (spec.limit !== undefined && spec.limit !== null) values.push(spec.limit);
  let lo = values.length ? Math.min(...values) : 0, hi = values.length ? Math.max(...values) : 1;
  if (spec.floor !== undefined) lo = Math.min(lo, spec.floor);
  if (hi - lo < 1e-9) { hi += 1; lo -= spec.floor === 0 ? 0 : 1; }
  const step = niceStep(hi - lo, 4);
  lo = Math.floor(lo / step) * step; hi = Math.ceil(hi / step) * step;
  const x = (t) => L + ((t - spec.start) / (spec.end - spec.start)) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  for (let v = lo; v <= hi + step / 2; v += step) {
    root.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "chart-grid" }),
      svg("text", { x: L - 6, y: y(v) + 4, class: "chart-tick", "text-anchor": "end" }, spec.format(v)));
  }
  const span = spec.end - spec.start;
  const tstep = [300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 5 * 86400].find((s) => span / s <= 6) || 7 * 86400;
  const offset = new Date().getTimezoneOffset() * 60;
  for (let t = Math.ceil((spec.start - offset) / tstep) * tstep + offset; t <= spec.end; t += tstep) {
    root.append(svg("line", { x1: x(t), x2: x(t), y1: T, y2: H - B, class: "chart-grid" }),
      svg("text", { x: x(t), y: H - 8, class: "chart-tick", "text-anchor": "middle" }, timeLabel(t, span)));
  }
  if (spec.limit !== undefined && spec.limit !== null) {
    root.append(svg("line", { x1: L, x2: W - R, y1: y(spec.limit), y2: y(spec.limit), class: "chart-limit" }));
  }
  for (const line of spec.lines) {
    if (!line.points.length) continue;
    const d = line.points.map(([t, v], i) => (i ? "L" : "M") + x(t).toFixed(1) + " " + y(v).toFixed(1)).join(" ");
    root.append(svg("path", { d, class: "chart-line " + line.cls, "data-points": line.points.length }));
  }
  if (!points.length) {
    root.append(svg("text", { x: (L + W - R) / 2, y: H / 2, class: "chart-empty", "text-anchor": "middle" }, "no data in this window"));
  }
  const legend = el("div", { class: "legend-row" }, ...spec.lines.map((l) => el("span", { class: "key " + l.cls }, l.name)));
  return el("figure", { class: "chart-box", "data-chart": spec.id }, el("figcaption", {}, spec.title, legend), root);
}

/** The four charts of one interface's history answer. */
export function historyCharts(doc, start, end, lowWarning) {
  const s = doc.series || {};
  const pts = (m) => s[m] || [];
  const errors = ["govnet_interface_in_errors_ps", "govnet_interface_out_errors_ps", "govnet_interface_errors_ps"];
  return [
    lineChart({ id: "traffic", title: "Traffic", format: bps, start, end, floor: 0, lines: [
      { name: "in", cls: "s-in", points: pts("govnet_interface_in_bps") },
      { name: "out", cls: "s-out", points: pts("govnet_interface_out_bps") }] }),
    lineChart({ id: "utilisation", title: "Utilisation", format: (v) => v.toFixed(0) + " %", start, end, floor: 0, lines: [
      { name: "average", cls: "s-in", points: pts("govnet_interface_util_pct") },
      { name: "peak", cls: "s-peak", points: pts("govnet_interface_util_pct_max") }] }),
    lineChart({ id: "errors", title: "Errors", format: (v) => v.toFixed(2) + "/s", start, end, floor: 0,
      lines: errors.map((m, i) => ({ name: ["in", "out", "all"][i], cls: ["s-in", "s-out", "s-peak"][i], points: pts(m) })) }),
    lineChart({ id: "optical", title: "Optical receive power", format: (v) => v.toFixed(1) + " dBm", start, end, limit: lowWarning,
      lines: [{ name: "rx", cls: "s-rx", points: pts("govnet_interface_rx_dbm") },
        { name: "lowest", cls: "s-peak", points: pts("govnet_interface_rx_dbm_min") }] }),
  ];
}
