// The API over the browser session: GET with the cookie, state changes with the CSRF secret too.
const API = "/api/v1";
let csrf = null;

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function answer(response, path) {
  if (response.ok) return response.json();
  let message = path + ": HTTP " + response.status;
  try { message = (await response.json()).error.message; } catch (_e) { /* not JSON */ }
  throw new ApiError(response.status, message);
}

export async function get(path) {
  return answer(await fetch(API + path, { credentials: "same-origin" }), path);
}

export async function send(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(API + path, {
    method, credentials: "same-origin", headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(response, path);
}

/** Exchange a token for a session (the token is never stored in the page). */
export async function login(token) {
  const me = await send("POST", "/session", { token });
  csrf = me.csrf;
  return me;
}

/** The current session's caller ({role, district, csrf}); throws 401 without one. */
export async function whoami() {
  const me = await get("/session");
  csrf = me.csrf;
  return me;
}

export async function logout() {
  await send("DELETE", "/session").catch(() => null);
}

export function events(onChange, onState, onMonitor) {
  const source = new EventSource(API + "/events");
  source.onopen = () => onState("live");
  source.onerror = () => onState("reconnecting…");
  source.addEventListener("change", (ev) => {
    try { onChange(JSON.parse(ev.data)); } catch (_e) { /* a malformed event is skipped */ }
  });
  // Whether the monitor is watching, when the stream opens and on every change.
  source.addEventListener("monitor", (ev) => {
    let monitor = null;
    try { monitor = JSON.parse(ev.data); } catch (_e) { return; /* malformed: skipped */ }
    if (onMonitor) onMonitor(monitor);
  });
  return source;
}
