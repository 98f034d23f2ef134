// Sessions: start one, see the running ones (state, node, duration, frame rate, A/V offset,
// formats, pushes), watch one live and stop it.

import { api, app, enc, rest } from "./api.js";
import { h, keyed, setText, field, clear } from "./dom.js";
import * as fmt from "./format.js";
import { notice } from "./notice.js";
import { preview } from "./preview.js";

const running = new Set(["STARTING", "ACTIVE", "ENDING"]);
const stateTone = { STARTING: "info", ACTIVE: "ok", ENDING: "info", COMPLETE: "", FAILED: "bad", ABORTED: "bad" };

export function init(refreshSoon) {
  const form = document.getElementById("start-form");
  const url = document.getElementById("start-url");
  const size = document.getElementById("start-size");
  const button = document.getElementById("start-button");
  const status = document.getElementById("start-status");
  // The service's own test pattern (motion and a tone) is a page every node can record.
  url.value = `${location.origin}/${app}/test-pattern.html`;
  size.addEventListener("change", () => {
    for (const el of form.querySelectorAll(".custom-size")) el.hidden = size.value !== "custom";
  });
  document.getElementById("show-finished").addEventListener("change", refreshSoon);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let width, height;
    if (size.value === "custom") {
      width = Number(document.getElementById("start-width").value);
      height = Number(document.getElementById("start-height").value);
    } else {
      [width, height] = size.value.split("x").map(Number);
    }
    const formats = [...form.querySelectorAll("input[name=format]:checked")].map((c) => c.value);
    const id = document.getElementById("start-id").value.trim();
    const body = { url: url.value.trim(), width, height };
    if (formats.length) body.recordType = formats.join(",");
    button.disabled = true;
    status.className = "status";
    status.textContent = "Starting… (the call answers once the page's first frame arrived)";
    refreshSoon();
    try {
      const r = await api(rest("v1/media-push/start") + (id ? "?streamId=" + enc(id) : ""), { method: "POST", body });
      status.textContent = `Started ${r.dataId}.`;
    } catch (err) {
      status.className = "status error";
      status.textContent = err.message;
    } finally {
      button.disabled = false;
      refreshSoon();
    }
  });
}

// figuresOf maps each running session's stream id to its node and measured figures.
function figuresOf(nodes) {
  const out = new Map();
  for (const n of nodes || []) {
    for (const s of (n.load && n.load.sessions) || []) out.set(s.streamId, { node: n.id, ...s });
  }
  return out;
}

export async function refresh() {
  const [list, nodes] = await Promise.all([
    api(rest("v2/broadcasts/list/0/50")),
    api("/api/v1/nodes").catch(() => []),
  ]);
  const figures = figuresOf(nodes);
  const all = document.getElementById("show-finished").checked;
  const items = (list || []).filter((b) => all || running.has(b.state));
  keyed(document.getElementById("sessions"), items, (b) => b.streamId, card, (el, b) => update(el, b, figures.get(b.streamId)));
  document.getElementById("sessions-empty").hidden = items.length > 0;
}

function card(b) {
  const f = {
    worker: field("Worker"), duration: field("Duration"), size: field("Size"), fps: field("Frame rate"),
    av: field("A/V offset"), formats: field("Formats"),
  };
  const title = h("h3", { class: "title" });
  const state = h("span", { class: "badge" });
  const degraded = h("span", { class: "badge warn", text: "degraded", hidden: true });
  const url = h("p", { class: "url" });
  const reason = h("p", { class: "reason", hidden: true });
  const pushes = h("ul", { class: "pushes" });
  const pushBox = h("div", { class: "pushbox", hidden: true }, h("h4", { text: "Pushes" }), pushes);
  const pv = preview(() => b.streamId);
  const status = h("span", { class: "status", role: "status" });
  const stop = h("button", { type: "button", class: "danger", text: "Stop" });
  const el = h("article", { class: "card session" },
    h("header", { class: "card-head" }, title, h("span", { class: "badges" }, degraded, state)),
    url,
    h("dl", { class: "figures" }, Object.values(f).map((x) => x.el)),
    pushBox, reason, pv.el,
    h("div", { class: "actions" }, pv.button, stop, status, pv.status));
  stop.addEventListener("click", async () => {
    stop.disabled = true;
    stop.textContent = "Stopping…";
    status.className = "status";
    status.textContent = "";
    pv.stop();
    try {
      const id = el._b.streamId;
      const room = id.endsWith("_composite") ? id.slice(0, -"_composite".length) : "";
      await api(room ? rest(`v1/media-push/rooms/${enc(room)}/recording/stop`) : rest(`v1/media-push/stop/${enc(id)}`), { method: "POST" });
    } catch (err) {
      status.className = "status error";
      status.textContent = err.message;
    } finally {
      stop.textContent = "Stop";
      stop.disabled = false;
    }
  });
  el.dispose = pv.stop;
  el._refs = { f, title, state, degraded, url, reason, pushes, pushBox, pv, stop };
  return el;
}

function update(el, b, fig) {
  el._b = b;
  const r = el._refs;
  setText(r.title, b.streamId);
  setText(r.state, b.state || b.status);
  r.state.className = "badge " + (stateTone[b.state] || "");
  setText(r.url, b.url || "");
  r.url.hidden = !b.url;
  const live = running.has(b.state);
  setText(r.f.worker.value, b.workerId || (fig && fig.node) || "–");
  const end = live ? Date.now() : b.endTime;
  setText(r.f.duration.value, b.startTime && end ? fmt.duration(end - b.startTime) : "–");
  setText(r.f.size.value, b.width && b.height ? `${b.width} × ${b.height}` : "–");
  setText(r.f.fps.value, fig && fig.fpsKnown ? fig.fps.toFixed(1) + " fps" : "–");
  setText(r.f.av.value, fig && fig.avOffsetKnown ? Math.round(fig.avOffsetNs / 1e6) + " ms" : "–");
  setText(r.f.formats.value, fmt.formats(b.recordType));
  r.degraded.hidden = !(fig && fig.degraded);
  setText(r.reason, b.reason || "");
  r.reason.hidden = !b.reason;
  const eps = b.endPointList || [];
  r.pushBox.hidden = eps.length === 0;
  clear(r.pushes);
  for (const ep of eps) {
    r.pushes.appendChild(h("li", {},
      h("span", { class: "push-url", text: ep.endpointUrl || ep.rtmpUrl }),
      " ", h("span", { class: "badge " + (ep.status === "running" ? "ok" : ep.error ? "bad" : ""), text: ep.status }),
      ep.error ? h("span", { class: "reason", text: " " + ep.error }) : null));
  }
  r.pv.button.hidden = b.state !== "ACTIVE";
  r.stop.hidden = !(b.state === "STARTING" || b.state === "ACTIVE");
  if (b.state !== "ACTIVE") r.pv.stop();
}
