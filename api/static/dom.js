// Building the page from data: elements and text nodes only, never HTML from strings.
const SVG_NS = "http://www.w3.org/2000/svg";

/** An HTML element: el("td", {class: "x", "data-id": 3}, "text", child, ...). */
export function el(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, the same way. */
export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) throw new Error("no handlers as attributes: use addEventListener");
    node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

/** A link to a hash route (#/device/NAME ...), the name encoded. */
export function routeLink(kind, id, label, cls) {
  return el("a", { href: "#/" + kind + "/" + encodeURIComponent(id), class: cls }, label ?? id);
}

export function bps(value) {
  if (value === null || value === undefined) return "–";
  const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
  let v = value, i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return (v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
}

export function num(value, digits, unit) {
  if (value === null || value === undefined) return "–";
  return Number(value).toFixed(digits) + (unit ? " " + unit : "");
}

/** "3 h 12 min" from seconds. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + " s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + " min";
  const h = Math.floor(m / 60);
  if (h < 48) return h + " h " + (m % 60) + " min";
  return Math.floor(h / 24) + " d " + (h % 24) + " h";
}

const pad = (n) => String(n).padStart(2, "0");

/** Local "HH:MM" today, "DD/MM HH:MM" otherwise. */
export function clock(unix) {
  if (!unix) return "–";
  const d = new Date(unix * 1000), today = new Date();
  const hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
  return d.toDateString() === today.toDateString() ? hm : pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + " " + hm;
}

/** "since 14:02 (1 h 5 min)". */
export function since(unix) {
  if (!unix) return "–";
  return clock(unix) + " (" + duration(Date.now() / 1000 - unix) + ")";
}

/** Text folded for search: lower case, no diacritics (Vietnamese đ as d). */
export function fold(text) {
  return String(text ?? "").replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

/** A small coloured label. */
export function badge(text, cls) {
  return el("span", { class: "badge " + (cls || "") }, text);
}
