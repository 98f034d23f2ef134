// Rooms: who takes part with which tracks, watching a participant, recording the room.

import { api, enc, rest } from "./api.js";
import { h, keyed, setText } from "./dom.js";
import * as fmt from "./format.js";
import { preview } from "./preview.js";

export function init() {}

export async function refresh() {
  const list = await api("/api/v1/rooms");
  keyed(document.getElementById("rooms"), list || [], (r) => r.roomId, card, update);
  document.getElementById("rooms-empty").hidden = (list || []).length > 0;
}

function select(options, value) {
  return h("select", {}, options.map(([v, label]) => h("option", { value: v, selected: v === value, text: label })));
}

function card(r) {
  const title = h("h3", { class: "title" });
  const state = h("span", { class: "badge" });
  const people = h("ul", { class: "participants" });
  const layout = select([["grid", "Grid"], ["speaker", "Speaker"]], "grid");
  const size = select([["854x480", "854 × 480"], ["1280x720", "1280 × 720"], ["1920x1080", "1920 × 1080"]], "1280x720");
  const formats = select([["mp4", "MP4"], ["mp4,hls", "MP4 + HLS"], ["webm", "WebM"], ["mp4,mp3", "MP4 + MP3"]], "mp4");
  const start = h("button", { type: "button", class: "primary", text: "Start recording" });
  const stop = h("button", { type: "button", class: "danger", text: "Stop recording" });
  const status = h("span", { class: "status", role: "status" });
  const options = h("div", { class: "fields compact" },
    h("label", {}, "Layout", layout), h("label", {}, "Size", size), h("label", {}, "Record as", formats));
  const el = h("article", { class: "card room" },
    h("header", { class: "card-head" }, title, h("span", { class: "badges" }, state)),
    people, options, h("div", { class: "actions" }, start, stop, status));
  const act = async (button, path, body) => {
    button.disabled = true;
    status.className = "status";
    status.textContent = button === start ? "Starting…" : "Stopping…";
    try {
      await api(rest(path), { method: "POST", body });
      status.textContent = "";
      await refresh();
    } catch (err) {
      status.className = "status error";
      status.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  };
  start.addEventListener("click", () => {
    const [width, height] = size.value.split("x").map(Number);
    act(start, `v1/media-push/rooms/${enc(el._r.roomId)}/recording/start`,
      { width, height, recordType: formats.value, layout: layout.value });
  });
  stop.addEventListener("click", () => act(stop, `v1/media-push/rooms/${enc(el._r.roomId)}/recording/stop`));
  el._refs = { title, state, people, options, start, stop };
  el.dispose = () => { for (const li of people.children) li.dispose?.(); };
  return el;
}

function update(el, r) {
  el._r = r;
  const x = el._refs;
  setText(x.title, r.roomId);
  setText(x.state, r.recording ? "recording" : "not recorded");
  x.state.className = "badge " + (r.recording ? "rec" : "");
  x.start.hidden = r.recording;
  x.options.hidden = r.recording;
  x.stop.hidden = !r.recording;
  keyed(x.people, r.participants, (p) => p.streamId, participant, updateParticipant);
}

function participant(p) {
  const name = h("span", { class: "name" });
  const id = h("span", { class: "hint" });
  const tracks = h("span", { class: "tracks" });
  const since = h("span", { class: "hint" });
  const pv = preview(() => p.streamId);
  const li = h("li", { class: "participant" },
    h("div", { class: "who" }, name, id), h("div", { class: "what" }, tracks, since, pv.button, pv.status), pv.el);
  li.dispose = pv.stop;
  li._refs = { name, id, tracks, since };
  return li;
}

function updateParticipant(li, p) {
  const x = li._refs;
  setText(x.name, p.name || p.streamId);
  setText(x.id, p.name && p.name !== p.streamId ? p.streamId : "");
  const t = [];
  if (p.video) t.push("video " + p.video);
  if (p.audio) t.push("audio " + p.audio);
  if (p.screenShare) t.push("screen" + (p.presenter ? " of " + p.presenter : ""));
  setText(x.tracks, t.join(" · ") || "no tracks yet");
  setText(x.since, p.joinedAt ? "for " + fmt.duration(Date.now() - p.joinedAt) : "");
}
