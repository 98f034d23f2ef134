// Calls to mediapush's API, under its access rules: on this machine without a configured
// token they need nothing; otherwise the API token, asked for once and kept in this tab's
// sessionStorage, goes with each call as "Authorization: Bearer". It never goes into a URL.

const tokenKey = "mediapush.apiToken";

// app is the application name in Ant Media's paths (/{app}/rest/...): ?app= or "live".
export const app = (() => {
  const a = new URLSearchParams(location.search).get("app");
  return a && /^[A-Za-z0-9_-]{1,64}$/.test(a) ? a : "live";
})();

export class APIError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function authHeaders() {
  const t = sessionStorage.getItem(tokenKey);
  return t ? { Authorization: "Bearer " + t } : {};
}

let asking = null;

// askToken shows the token dialog and resolves once a token was entered.
function askToken(why) {
  if (asking) return asking;
  const dialog = document.getElementById("token-dialog");
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const error = document.getElementById("token-error");
  error.textContent = why || "";
  error.hidden = !why;
  input.value = "";
  asking = new Promise((resolve) => {
    form.addEventListener("submit", () => {
      sessionStorage.setItem(tokenKey, input.value.trim());
      asking = null;
      resolve();
    }, { once: true });
  });
  if (!dialog.open) dialog.showModal();
  return asking;
}

// api calls path and returns its JSON answer. An Ant Media Result with success:false, or an
// HTTP error, throws an APIError carrying the server's message.
export async function api(path, { method = "GET", body } = {}) {
  for (;;) {
    const headers = authHeaders();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, {
      method, headers, cache: "no-store", credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (res.status === 401) {
      const had = sessionStorage.getItem(tokenKey);
      sessionStorage.removeItem(tokenKey);
      await askToken(had ? "That token was refused." : "");
      continue;
    }
    const message = (data && typeof data.message === "string" && data.message) || text.trim() || res.statusText;
    if (!res.ok) throw new APIError(message, res.status);
    if (data && data.success === false) throw new APIError(message || "the call failed", res.status);
    return data;
  }
}

// rest is the path of an Ant Media REST call of this application.
export function rest(path) {
  return `/${app}/rest/${path}`;
}

export const enc = encodeURIComponent;
