// Recordings: find them (stream id or name, format, kind, date), play them in the page,
// download or delete them, and read their quality report and timeline.

import { api, authHeaders, enc, rest } from "./api.js";
import { badge, clear, field, h, keyed, setText } from "./dom.js";
import * as fmt from "./format.js";
import { downloadURL, play } from "./player.js";
import * as remixes from "./remixes.js";

const pageSize = 50; // the most the list call gives at once
let want = pageSize;
let complete = true;

const $ = (id) => document.getElementById(id);

let refreshLater = () => {};

export function init(refreshSoon) {
  refreshLater = refreshSoon;
  const form = $("vod-filter");
  form.addEventListener("submit", (e) => e.preventDefault());
  let typing = 0;
  $("vod-search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { want = pageSize; refreshSoon(); }, 300);
  });
  for (const id of ["vod-format", "vod-kind", "vod-from", "vod-to", "vod-sort"]) {
    $(id).addEventListener("change", () => { want = pageSize; refreshSoon(); });
  }
  $("vod-more").addEventListener("click", () => { want += pageSize; refreshSoon(); });
}

// matches applies the filters the list call has not: format, kind and dates (local days).
function matcher() {
  const format = $("vod-format").value, kind = $("vod-kind").value;
  const from = $("vod-from").value ? new Date($("vod-from").value + "T00:00:00").getTime() : -Infinity;
  const to = $("vod-to").value ? new Date($("vod-to").value + "T00:00:00").getTime() + 86400000 : Infinity;
  return (v) => (!format || v.format === format) && (!kind || v.kind === kind) &&
    v.creationDate >= from && v.creationDate < to;
}

export async function refresh() {
  const q = new URLSearchParams();
  const search = $("vod-search").value.trim();
  if (search) q.set("search", search);
  const sort = $("vod-sort").value;
  q.set("sort_by", sort);
  q.set("order_by", sort === "name" ? "asc" : "desc");
  const matches = matcher();
  const items = [];
  let offset = 0;
  complete = false;
  // Filters applied here may skip most of a page: read on until enough match (or 40 pages).
  for (let pages = 0; pages < 40 && items.length < want; pages++) {
    const list = (await api(rest(`v2/vods/list/${offset}/${pageSize}?${q}`))) || [];
    offset += list.length;
    items.push(...list.filter(matches));
    if (list.length < pageSize) { complete = true; break; }
  }
  await remixes.refresh();
  keyed($("vods"), items, (v) => v.vodId, card, update);
  $("vods-empty").hidden = items.length > 0;
  $("vod-more").hidden = complete;
  setText($("vod-count"), items.length ? `${items.length}${complete ? "" : "+"} shown` : "");
}

const qualityTone = { ok: "ok", suspect: "bad", pending: "info" };

function card(v) {
  const f = { stream: field("Stream"), kind: field("Kind"), date: field("Recorded"), duration: field("Duration"), size: field("Size") };
  const title = h("h3", { class: "title" });
  const badges = h("span", { class: "badges" });
  const quality = h("div", { class: "quality", hidden: true });
  const timeline = h("div", { class: "timeline", hidden: true });
  const area = h("div", { class: "player-area", hidden: true });
  const status = h("span", { class: "status", role: "status" });
  const playBtn = h("button", { type: "button", class: "primary", text: "Play" });
  const dl = h("button", { type: "button", text: "Download" });
  const del = h("button", { type: "button", class: "danger", text: "Delete" });
  // A raw recording is material for remixes: it has no one file to play or download.
  const remix = v.kind === "raw" ? remixes.remixForm(() => refreshLater()) : null;
  if (remix) { playBtn.hidden = true; dl.hidden = true; }
  const el = h("article", { class: "card vod" },
    h("header", { class: "card-head" }, title, badges),
    h("dl", { class: "figures" }, Object.values(f).map((x) => x.el)),
    quality, timeline, area, h("div", { class: "actions" }, playBtn, dl, del, status), remix?.el);
  let player = null;
  const stopPlayer = () => {
    if (player) player.stop();
    player = null;
    area.hidden = true;
    playBtn.textContent = "Play";
  };
  const fail = (err) => { status.className = "status error"; status.textContent = err.message; };
  playBtn.addEventListener("click", async () => {
    if (player) { stopPlayer(); return; }
    status.textContent = "";
    area.hidden = false;
    playBtn.textContent = "Close player";
    try {
      player = await play(area, el._v);
    } catch (err) {
      stopPlayer();
      fail(err);
    }
  });
  dl.addEventListener("click", async () => {
    try {
      const a = h("a", { href: await downloadURL(el._v), download: el._v.vodName, hidden: true });
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (err) { fail(err); }
  });
  // Two steps: a click arms the button for a few seconds, a second one deletes.
  let armed = 0;
  del.addEventListener("click", async () => {
    if (!armed) {
      del.textContent = "Really delete?";
      armed = setTimeout(() => { armed = 0; del.textContent = "Delete"; }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = 0;
    del.disabled = true;
    del.textContent = "Deleting…";
    stopPlayer();
    try {
      await api(rest(`v2/vods/${enc(el._v.vodId)}`), { method: "DELETE" });
      el.remove();
      $("vods-empty").hidden = $("vods").children.length > 0;
    } catch (err) {
      fail(err);
      del.disabled = false;
      del.textContent = "Delete";
    }
  });
  el.dispose = stopPlayer;
  el._refs = { f, title, badges, quality, timeline, remix };
  return el;
}

function update(el, v) {
  el._v = v;
  const x = el._refs;
  setText(x.title, v.vodName);
  clear(x.badges);
  if (v.quality) x.badges.appendChild(badge(v.quality, qualityTone[v.quality]));
  if (v.partial) x.badges.appendChild(badge("partial", "warn"));
  x.badges.appendChild(badge((v.format || "").toUpperCase()));
  setText(x.f.stream.value, v.streamId);
  setText(x.f.kind.value, { individual: "participant audio", raw: "raw, for remixing" }[v.kind] || v.kind || "–");
  setText(x.f.date.value, fmt.date(v.creationDate));
  setText(x.f.duration.value, fmt.duration(v.duration));
  setText(x.f.size.value, fmt.bytes(v.fileSize));
  renderQuality(x.quality, v);
  renderTimeline(x.timeline, v);
  x.remix?.set(v);
}

// renderQuality shows what the recording's measurement found: its problems, and the figures.
function renderQuality(box, v) {
  const r = v.qualityReport;
  const key = JSON.stringify([v.quality, r]);
  if (box.dataset.shown === key) return;
  box.dataset.shown = key;
  clear(box);
  box.hidden = !r;
  if (!r) return;
  const facts = [];
  if (r.width && r.height) {
    let s = `${r.width} × ${r.height}`;
    if (r.requestedWidth && (r.requestedWidth !== r.width || r.requestedHeight !== r.height)) s += ` (asked ${r.requestedWidth} × ${r.requestedHeight})`;
    facts.push(s);
  }
  if (r.fps) facts.push(`${Number(r.fps).toFixed(1)} fps` + (r.requestedFps ? ` of ${r.requestedFps}` : ""));
  if (typeof r.avOffsetMs === "number") facts.push(`A/V ${Math.round(r.avOffsetMs)} ms`);
  if (r.measuredAt) facts.push("measured " + fmt.date(typeof r.measuredAt === "number" ? r.measuredAt : Date.parse(r.measuredAt)));
  if (facts.length) box.appendChild(h("p", { class: "hint", text: facts.join(" · ") }));
  const problems = Array.isArray(r.problems) ? r.problems : [];
  if (problems.length) box.appendChild(h("ul", { class: "problems" }, problems.map((p) => h("li", { text: String(p) }))));
  else if (v.quality === "ok") box.appendChild(h("p", { class: "hint", text: "No problem found." }));
}

// renderTimeline offers a room recording's timeline (who spoke, joined, left) as files.
function renderTimeline(box, v) {
  const t = v.timeline;
  const key = JSON.stringify(t || null);
  if (box.dataset.shown === key) return;
  box.dataset.shown = key;
  clear(box);
  box.hidden = !t;
  if (!t) return;
  box.appendChild(h("span", { class: "hint", text: "Timeline:" }));
  const base = v.vodName.replace(/\.[^.]+$/, "");
  for (const [label, url, ext] of [["JSON", t.json, "json"], ["WebVTT", t.webvtt, "vtt"]]) {
    if (!url) continue;
    box.appendChild(h("a", { href: url, class: "link", text: label, onclick: (e) => { e.preventDefault(); saveAuthed(url, `${base}.timeline.${ext}`); } }));
  }
}

// saveAuthed downloads a file of this server's that may need the API token.
async function saveAuthed(url, name) {
  const own = new URL(url, location.href).origin === location.origin;
  const res = await fetch(url, { headers: own ? authHeaders() : {} });
  if (!res.ok) return;
  const blob = URL.createObjectURL(await res.blob());
  const a = h("a", { href: blob, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(blob), 10000);
}
