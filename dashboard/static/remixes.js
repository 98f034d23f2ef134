// Remixes: a room's raw recording rendered anew through a layout. Each shows its state and
// progress; a raw recording's card offers to start one (see remixForm).

import { api, enc, rest } from "./api.js";
import { badge, field, h, keyed, setText } from "./dom.js";
import * as fmt from "./format.js";

const tones = { QUEUED: "info", IN_PROGRESS: "info", COMPLETED: "ok", ERROR: "bad" };
const words = { QUEUED: "queued", IN_PROGRESS: "rendering", COMPLETED: "done", ERROR: "failed" };

// refresh shows every remix, the newest first; the section hides while there is none.
export async function refresh() {
  const list = (await api("/api/v1/remixes")) || [];
  keyed(document.getElementById("remixes"), list, (r) => r.remixId, card, update);
  document.getElementById("remixes-section").hidden = list.length === 0;
}

function card(r) {
  const f = { from: field("Room"), layout: field("Layout"), size: field("Size"), length: field("Length"), speed: field("Speed") };
  const title = h("h3", { class: "title" });
  const state = h("span", { class: "badge" });
  const label = h("span", { class: "meter-label", text: "Progress" });
  const pct = h("span", { class: "meter-words" });
  const fill = h("span", { class: "fill" });
  const meter = h("div", { class: "meter", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" },
    label, pct, h("span", { class: "bar" }, fill));
  const error = h("p", { class: "reason", hidden: true });
  const el = h("article", { class: "card remix" },
    h("header", { class: "card-head" }, title, h("span", { class: "badges" }, state)),
    h("dl", { class: "figures" }, Object.values(f).map((x) => x.el)), meter, error);
  el._refs = { f, title, state, meter, pct, fill, error };
  return el;
}

function update(el, r) {
  const x = el._refs;
  setText(x.title, `${r.conferenceId} · ${r.mixId}`);
  setText(x.state, words[r.status] || r.status);
  x.state.className = "badge " + (tones[r.status] || "");
  setText(x.f.from.value, r.conferenceId);
  setText(x.f.layout.value, layoutName(r.layoutUrl));
  setText(x.f.size.value, r.format === "mp3" ? "sound only" : `${r.width} × ${r.height}`);
  setText(x.f.length.value, fmt.duration(r.durationMs));
  const speed = r.status === "COMPLETED" && r.renderMs > 0 ? r.durationMs / r.renderMs : 0;
  setText(x.f.speed.value, speed ? `${speed.toFixed(1)}× real time` : "–");
  const p = Math.max(0, Math.min(100, r.progress || 0));
  x.meter.setAttribute("aria-valuenow", String(p));
  setText(x.pct, `${p} %`);
  x.fill.style.width = p + "%";
  x.meter.hidden = r.status === "ERROR";
  x.error.hidden = !r.error;
  setText(x.error, r.error || "");
}

// layoutName is what a remix's page reads as: mediapush's room page by its layout, or the page.
function layoutName(u) {
  try {
    const url = new URL(u, location.href);
    if (url.pathname.endsWith("/multitrack-play.html")) return url.searchParams.get("layout") || "grid";
    return url.host + url.pathname;
  } catch (_) {
    return u || "–";
  }
}

// remixForm is the part of a raw recording's card that starts a remix of it; refreshSoon
// shows the new remix.
export function remixForm(refreshSoon) {
  const choose = (options, value) => h("select", {}, options.map(([v, text]) => h("option", { value: v, selected: v === value, text })));
  const layout = choose([["grid", "Grid"], ["speaker", "Speaker"]], "grid");
  const size = choose([["854x480", "854 × 480"], ["1280x720", "1280 × 720"], ["1920x1080", "1920 × 1080"]], "1280x720");
  const format = choose([["mp4", "MP4"], ["mp3", "MP3 (sound only)"]], "mp4");
  const go = h("button", { type: "button", class: "primary", text: "Remix" });
  const status = h("span", { class: "status", role: "status" });
  const el = h("div", { class: "remix-form" },
    h("div", { class: "fields compact" }, h("label", {}, "Layout", layout), h("label", {}, "Size", size), h("label", {}, "As", format)),
    h("div", { class: "actions" }, go, status));
  let vod = null;
  go.addEventListener("click", async () => {
    const [width, height] = size.value.split("x").map(Number);
    go.disabled = true;
    status.className = "status";
    status.textContent = "Queueing…";
    try {
      await api(rest(`v1/media-push/rooms/${enc(vod.streamId)}/remix`), {
        method: "POST", body: { layout: layout.value, width, height, recordType: format.value, rawVodId: vod.vodId },
      });
      status.textContent = "Queued: see Remixes above.";
      refreshSoon();
    } catch (err) {
      status.className = "status error";
      status.textContent = err.message;
    } finally {
      go.disabled = false;
    }
  });
  return { el, set(v) { vod = v; } };
}
