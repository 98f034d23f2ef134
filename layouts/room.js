// room.js: what mediapush's room pages share. A Room follows who is in a room (the
// participants list of the REST API, polled) and plays each participant with WHEP; the page
// decides where their tiles go. publish() sends a local MediaStream with WHIP. When a remix
// drives the page (remix.js), the Room is shown recorded scenes instead, with placeholders.
//
// Pages are served at /{app}/<page>, so every URL here is relative to the application, or to
// a Room's base (another application's, "/{app}/").
"use strict";

const POLL_MS = 1000;

// A remix (mediapush's package remix) renders a recorded room through the page: its driver
// puts globalThis.mediapushRemix in place before any script runs, and the Room and SpeakerMeter then take
// the room from it, scene by scene, instead of from the server (see remix.js).
const remixDriver = globalThis.mediapushRemix !== null && typeof globalThis.mediapushRemix === "object"
  ? globalThis.mediapushRemix : null;
let remixModule = null;

function remixMode() {
  remixModule ??= import("./remix.js");
  return remixModule;
}

// Non-trickle WHIP/WHEP: the offer goes out once ICE gathering is complete, or after this long
// with the candidates found so far (a host with an unreachable STUN-less interface never completes).
const GATHER_MS = 2000;

function waitGathering(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, GATHER_MS);
  });
}

// exchange posts pc's offer to url and applies the answer; it returns the resource URL
// (Location) that ends the session.
async function exchange(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await waitGathering(pc);
  const headers = { "Content-Type": "application/sdp" };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp });
  const text = await res.text();
  if (res.status !== 201) throw new Error(url + ": HTTP " + res.status + " " + text.trim());
  await pc.setRemoteDescription({ type: "answer", sdp: text });
  return new URL(res.headers.get("Location"), location.href).href;
}

function endSession(resource) {
  if (resource) fetch(resource, { method: "DELETE", keepalive: true }).catch(() => {});
}

// appBase is the base of application app's URLs ("" for this page's own application); it
// refuses a name that is not an application's.
export function appBase(app) {
  if (!app) return "";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(app)) throw new Error("app " + JSON.stringify(app) + " is not an application name");
  return "/" + app + "/";
}

// withQuery is url with the query parameters of extra that are set.
function withQuery(url, extra) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(extra || {})) if (v) q.set(k, v);
  const s = q.toString();
  return s ? url + (url.includes("?") ? "&" : "?") + s : url;
}

// play starts a WHEP viewer of one participant; onStream gets its MediaStream. base and query
// are the Room's.
async function play(p, token, onStream, base = "", query = {}) {
  const pc = new RTCPeerConnection();
  if (p.video) pc.addTransceiver("video", { direction: "recvonly" });
  if (p.audio) pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (ev) => { stream.addTrack(ev.track); onStream(stream); };
  try {
    const resource = await exchange(pc, withQuery(base + "whep/" + encodeURIComponent(p.streamId), query), token);
    return { pc, stream, close() { endSession(resource); pc.close(); } };
  } catch (e) {
    pc.close();
    throw e;
  }
}

// publish sends stream to the room with WHIP. opts: {room, name, screenShare, presenter, token}.
export async function publish(streamId, stream, opts) {
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
  const q = new URLSearchParams();
  if (opts.room) q.set("mainTrack", opts.room);
  if (opts.name) q.set("name", opts.name);
  if (opts.screenShare) q.set("screenShare", "true");
  if (opts.presenter) q.set("presenter", opts.presenter);
  try {
    const resource = await exchange(pc, "whip/" + encodeURIComponent(streamId) + "?" + q, opts.token);
    return { pc, close() { endSession(resource); pc.close(); } };
  } catch (e) {
    pc.close();
    throw e;
  }
}

// Room follows a room's participants. base is the application's URL base (appBase); query
// holds parameters sent with every request (Ant Media's subscriberId and subscriberCode). hooks:
//   join(p)            a participant appeared (p: the API's participant object)
//   media(p, stream)   its media arrived (called again as tracks are added)
//   leave(p)           it left
//   change(list)       after every update, with the current participants
export class Room {
  constructor(id, { token = "", base = "", query = {}, skip = () => false, hooks = {} } = {}) {
    this.id = id;
    this.token = token;
    this.base = base;
    this.query = query;
    this.skip = skip; // participants not to play (a page's own publication)
    this.hooks = hooks;
    this.members = new Map(); // streamId → {p, viewer, retryAt}
    this.stopped = false;
    this.remix = null; // in remix mode, what plays the participants instead of WHEP
  }

  start() {
    if (remixDriver) {
      remixMode().then((m) => m.attachRoom(remixDriver, this), (e) => console.error("remix mode: " + e.message));
      return;
    }
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.update();
      } catch (e) {
        console.warn("room " + this.id + ": " + e.message);
      }
      setTimeout(tick, POLL_MS);
    };
    tick();
  }

  stop() {
    this.stopped = true;
    for (const m of this.members.values()) m.viewer?.close();
    this.members.clear();
  }

  async update() {
    const headers = this.token ? { Authorization: "Bearer " + this.token } : {};
    const url = withQuery(this.base + "rest/v2/rooms/" + encodeURIComponent(this.id) + "/participants", this.query);
    const res = await fetch(url, { cache: "no-store", headers });
    if (!res.ok) throw new Error("participants: HTTP " + res.status);
    this.apply(await res.json());
  }

  // apply brings the members up to date with the participants list of the room API.
  apply(all) {
    const list = all.filter((p) => !this.skip(p));
    const now = new Set(list.map((p) => p.streamId));
    for (const [id, m] of this.members) {
      if (!now.has(id)) this.drop(id, m);
    }
    for (const p of list) {
      let m = this.members.get(p.streamId);
      if (!m) {
        m = { p, viewer: null, retryAt: 0, connecting: false };
        this.members.set(p.streamId, m);
        this.hooks.join?.(p);
      }
      m.p = p;
      if (!m.viewer && !m.connecting && Date.now() >= m.retryAt) this.connect(m);
    }
    this.hooks.change?.(list);
  }

  async connect(m) {
    if (this.remix) return this.remix.connect(m);
    m.connecting = true;
    try {
      const v = await play(m.p, this.token, (stream) => this.hooks.media?.(m.p, stream), this.base, this.query);
      if (!this.members.has(m.p.streamId) || this.stopped) {
        v.close();
        return;
      }
      m.viewer = v;
      v.pc.addEventListener("connectionstatechange", () => {
        if (v.pc.connectionState === "failed" && m.viewer === v) {
          // Play again at the next poll if the participant is still listed.
          v.close();
          m.viewer = null;
          m.retryAt = Date.now() + POLL_MS;
        }
      });
    } catch (e) {
      console.warn("playing " + m.p.streamId + ": " + e.message);
      m.retryAt = Date.now() + 2 * POLL_MS;
    } finally {
      m.connecting = false;
    }
  }

  drop(id, m) {
    m.viewer?.close();
    this.members.delete(id);
    this.hooks.leave?.(m.p);
  }
}

// SpeakerMeter finds the active speaker from each participant's audio level.
export class SpeakerMeter {
  constructor(onChange) {
    this.onChange = onChange;
    this.meters = new Map(); // streamId → {analyser, data}
    this.active = "";
    this.since = 0;
    if (remixDriver) {
      // Nothing to measure: the remix tells who speaks.
      this.ctx = null;
      remixMode().then((m) => m.attachMeter(remixDriver, this), (e) => console.error("remix mode: " + e.message));
      return;
    }
    const AC = window.AudioContext || window.webkitAudioContext;
    this.ctx = AC ? new AC() : null;
    setInterval(() => this.measure(), 200);
  }

  // add meters a participant's audio track. The track must also play in a media element:
  // Chromium feeds remote WebRTC audio to Web Audio only then.
  add(id, track) {
    if (!this.ctx || this.meters.has(id)) return;
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    const src = this.ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.ctx.createAnalyser();
    analyser.fftSize = 1024;
    src.connect(analyser); // not to the destination: the media element already plays it
    this.meters.set(id, { analyser, data: new Float32Array(analyser.fftSize) });
  }

  remove(id) {
    this.meters.delete(id);
    if (this.active === id) this.set("");
  }

  measure() {
    let best = "", bestLevel = 0.01; // about -40 dBFS: below it nobody is speaking
    for (const [id, m] of this.meters) {
      m.analyser.getFloatTimeDomainData(m.data);
      let sum = 0;
      for (const v of m.data) sum += v * v;
      const rms = Math.sqrt(sum / m.data.length);
      if (rms > bestLevel) { best = id; bestLevel = rms; }
    }
    // Hold the highlight for a second so it does not flicker between words.
    if (best && best !== this.active && Date.now() - this.since > 1000) this.set(best);
  }

  set(id) {
    this.active = id;
    this.since = Date.now();
    this.onChange(id);
  }
}

// initials of a display name, for audio-only tiles.
export function initials(name) {
  const words = String(name || "?").trim().split(/[\s._-]+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] || "?").slice(0, 2)).toUpperCase();
}
