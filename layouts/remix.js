// remix.js: room.js's remix mode, loaded only when a remix drives the page. A remix renders a
// recorded room through the page scene by scene: it shows the page each scene's participants
// and active speaker, waits for the page to settle, and reads where the participants'
// pictures are. Each participant plays a placeholder: a picture of one colour (the key
// colour, which the remix replaces by the participant's own frames) at the publication's
// size, and a silent audio track.
//
// The driver puts globalThis.mediapushRemix = {keyColor: "#rrggbb"} in place before any
// script runs. When a Room starts, this module adds to that object:
//   ready            true: a Room of the page follows the remix
//   show(scene)      scene: {participants: [the room API's participants, with width and
//                    height], speaker: streamId or ""}; the Rooms apply the list as they apply
//                    a polled one (join, leave, change, then media with the placeholders) and
//                    the SpeakerMeters report the speaker
//   settled()        a promise of "" once every shown placeholder picture is playing and two
//                    frames have been drawn since, else of what is still awaited
//   boxes()          the placeholder pictures as the page shows them, lowest first:
//                    [{streamId, x, y, w, h, clipX, clipY, clipW, clipH}] in CSS pixels
"use strict";

const DEFAULT_WIDTH = 640, DEFAULT_HEIGHT = 360;
const MAX_SIDE = 7680;

let audio = null; // the AudioContext the silent tracks come from

// attachRoom has room play placeholders from now on.
export function attachRoom(driver, room) {
  setup(driver);
  room.remix = { connect: (m) => connect(driver, room, m) };
  driver.rooms.push(room);
  driver.ready = true;
}

// attachMeter has meter report the scenes' speakers.
export function attachMeter(driver, meter) {
  setup(driver);
  driver.meters.push(meter);
}

function setup(driver) {
  if (driver.rooms) return;
  driver.rooms = [];
  driver.meters = [];
  driver.show = (scene) => show(driver, scene);
  driver.settled = () => settled(driver);
  driver.boxes = () => boxes(driver);
}

function keyColor(driver) {
  return /^#[0-9a-fA-F]{6}$/.test(driver.keyColor || "") ? driver.keyColor : "#ff00ff";
}

function side(v, fallback) {
  return Number.isInteger(v) && v > 0 && v <= MAX_SIDE ? v : fallback;
}

// placeholder makes what a participant plays in a remix. Its picture is painted again on
// request: a canvas stream only carries a frame after a paint.
function placeholder(p, color) {
  const stream = new MediaStream();
  const ph = { stream, video: null, width: 0, height: 0, paint() {}, close() {
    for (const t of stream.getTracks()) t.stop();
  } };
  if (p.video) {
    ph.width = side(p.width, DEFAULT_WIDTH);
    ph.height = side(p.height, DEFAULT_HEIGHT);
    const canvas = document.createElement("canvas");
    canvas.width = ph.width;
    canvas.height = ph.height;
    const g = canvas.getContext("2d", { alpha: false });
    ph.paint = () => {
      g.fillStyle = color;
      g.fillRect(0, 0, ph.width, ph.height);
    };
    ph.paint();
    ph.video = canvas.captureStream().getVideoTracks()[0];
    stream.addTrack(ph.video);
    requestAnimationFrame(() => ph.paint());
  }
  if (p.audio) {
    audio ??= new AudioContext();
    stream.addTrack(audio.createMediaStreamDestination().stream.getAudioTracks()[0]);
  }
  ph.fits = (q) => !!q.video === !!ph.video && !!q.audio === stream.getAudioTracks().length > 0 &&
    (!q.video || (side(q.width, DEFAULT_WIDTH) === ph.width && side(q.height, DEFAULT_HEIGHT) === ph.height));
  return ph;
}

// connect stands for Room.connect: the member plays a placeholder, whose media is handed to
// the page once the scene's list is applied (as live, media follows the change).
function connect(driver, room, m) {
  m.viewer = placeholder(m.p, keyColor(driver));
  room.remixMedia.push(m);
}

function show(driver, scene) {
  const list = Array.isArray(scene?.participants) ? scene.participants : [];
  for (const room of driver.rooms) {
    if (room.stopped) continue;
    room.remixMedia = [];
    room.apply(list);
    for (const m of room.members.values()) {
      // A publication whose picture changed plays anew, as a live one would get new tracks.
      if (m.viewer && !m.viewer.fits(m.p) && !room.remixMedia.includes(m)) {
        m.viewer.close();
        m.viewer = null;
        connect(driver, room, m);
      }
    }
    for (const m of room.remixMedia) {
      // As live, a publication without tracks never has media.
      if (room.members.get(m.p.streamId) === m && m.viewer.stream.getTracks().length) {
        room.hooks.media?.(m.p, m.viewer.stream);
      }
    }
    room.remixMedia = [];
  }
  const speaker = typeof scene?.speaker === "string" ? scene.speaker : "";
  for (const meter of driver.meters) {
    if (meter.active !== speaker) meter.set(speaker);
  }
}

// placeholders are the video placeholders the page is being shown: track → {streamId, ph}.
function placeholders(driver) {
  const out = new Map();
  for (const room of driver.rooms) {
    if (room.stopped) continue;
    for (const m of room.members.values()) {
      if (m.viewer?.video) out.set(m.viewer.video, { streamId: m.p.streamId, ph: m.viewer });
    }
  }
  return out;
}

// videos are the page's video elements, those in open shadow roots included.
function videos(root = document, out = []) {
  for (const el of root.querySelectorAll("*")) {
    if (el instanceof HTMLVideoElement) out.push(el);
    if (el.shadowRoot) videos(el.shadowRoot, out);
  }
  return out;
}

// shown pairs each visible video element showing a placeholder with it.
function shown(driver) {
  const phs = placeholders(driver);
  const out = [];
  for (const el of videos()) {
    const src = el.srcObject;
    if (!(src instanceof MediaStream)) continue;
    const found = src.getVideoTracks().map((t) => phs.get(t)).find(Boolean);
    if (!found) continue;
    const box = boxOf(el, found.ph);
    if (box) out.push({ el, streamId: found.streamId, ph: found.ph, box });
  }
  return out;
}

function waitingFor(driver) {
  if (document.readyState !== "complete") return "the page is loading";
  if (document.fonts && document.fonts.status !== "loaded") return "the page's fonts are loading";
  for (const s of shown(driver)) {
    if (s.el.paused || s.el.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !s.el.videoWidth) {
      s.ph.paint();
      return "the picture of " + s.streamId + " is not playing";
    }
  }
  return "";
}

const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

async function settled(driver) {
  const first = waitingFor(driver);
  if (first) return first;
  await frame();
  await frame();
  return waitingFor(driver);
}

// A rectangle is {x, y, w, h}.
function intersect(a, b) {
  const x = Math.max(a.x, b.x), y = Math.max(a.y, b.y);
  const w = Math.min(a.x + a.w, b.x + b.w) - x, h = Math.min(a.y + a.h, b.y + b.h) - y;
  return { x, y, w: Math.max(0, w), h: Math.max(0, h) };
}

const px = (v) => parseFloat(v) || 0;

// position places a picture of size inner in outer by one object-position component.
function position(token, outer, inner) {
  const keyword = { left: "0%", top: "0%", center: "50%", right: "100%", bottom: "100%" }[token] ?? token ?? "50%";
  if (keyword.endsWith("%")) return (outer - inner) * px(keyword) / 100;
  if (keyword.endsWith("px")) return px(keyword);
  return (outer - inner) / 2;
}

// fit is where the picture (iw x ih) is drawn in content box c under object-fit and
// object-position.
function fit(c, iw, ih, objectFit, objectPosition) {
  let w = c.w, h = c.h;
  const scale = { contain: Math.min(c.w / iw, c.h / ih), cover: Math.max(c.w / iw, c.h / ih), none: 1 };
  switch (objectFit) {
    case "fill": break;
    case "cover": case "none": w = iw * scale[objectFit]; h = ih * scale[objectFit]; break;
    case "scale-down": { const s = Math.min(1, scale.contain); w = iw * s; h = ih * s; break; }
    default: w = iw * scale.contain; h = ih * scale.contain;
  }
  const [px0, py0] = (objectPosition || "50% 50%").split(/\s+/);
  return { x: c.x + position(px0, c.w, w), y: c.y + position(py0, c.h, h), w, h };
}

function parentOf(el) {
  if (el.parentElement) return el.parentElement;
  const root = el.parentNode;
  return root instanceof ShadowRoot ? root.host : null;
}

// containsFixed says whether el is the containing block of its fixed descendants.
function containsFixed(cs) {
  return cs.transform !== "none" || cs.perspective !== "none" || cs.filter !== "none" ||
    /paint|layout|strict|content/.test(cs.contain) || /transform|perspective|filter/.test(cs.willChange);
}

// containingBlock is the element whose overflow can clip el, next up the chain of containing
// blocks; null for the viewport.
function containingBlock(el) {
  const pos = getComputedStyle(el).position;
  if (pos !== "fixed" && pos !== "absolute") return parentOf(el);
  for (let a = parentOf(el); a; a = parentOf(a)) {
    const cs = getComputedStyle(a);
    if (containsFixed(cs) || (pos === "absolute" && cs.position !== "static")) return a;
  }
  return null;
}

// clipOf is the part of r that el's clipping ancestors and the viewport let show.
function clipOf(el, r) {
  const root = document.documentElement;
  const rootOverflows = getComputedStyle(root).overflow !== "visible";
  for (let a = containingBlock(el); a; a = containingBlock(a)) {
    // The root's overflow, or the body's when the root has none, is the viewport's.
    if (a === root || (a === document.body && !rootOverflows)) continue;
    const cs = getComputedStyle(a);
    if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
    // The padding box, from the unrounded border box (clientWidth and clientHeight are whole
    // pixels), less a scrollbar's width where there is one.
    const b = a.getBoundingClientRect();
    const bl = px(cs.borderLeftWidth), br = px(cs.borderRightWidth), bt = px(cs.borderTopWidth), bb = px(cs.borderBottomWidth);
    const barX = Math.max(0, a.offsetWidth - a.clientWidth - Math.round(bl) - Math.round(br));
    const barY = Math.max(0, a.offsetHeight - a.clientHeight - Math.round(bt) - Math.round(bb));
    const pad = { x: b.left + bl, y: b.top + bt, w: b.width - bl - br - barX, h: b.height - bt - bb - barY };
    r = intersect(r, {
      x: cs.overflowX === "visible" ? -Infinity : pad.x, w: cs.overflowX === "visible" ? Infinity : pad.w,
      y: cs.overflowY === "visible" ? -Infinity : pad.y, h: cs.overflowY === "visible" ? Infinity : pad.h,
    });
  }
  return intersect(r, { x: 0, y: 0, w: innerWidth, h: innerHeight });
}

// boxOf is where el shows placeholder ph, or null when it does not show.
function boxOf(el, ph) {
  if (!el.isConnected ||
    !el.checkVisibility({ visibilityProperty: true, opacityProperty: true, contentVisibilityAuto: true })) return null;
  const cs = getComputedStyle(el);
  const b = el.getBoundingClientRect();
  const left = px(cs.borderLeftWidth) + px(cs.paddingLeft), top = px(cs.borderTopWidth) + px(cs.paddingTop);
  const content = {
    x: b.left + left, y: b.top + top,
    w: b.width - left - px(cs.borderRightWidth) - px(cs.paddingRight),
    h: b.height - top - px(cs.borderBottomWidth) - px(cs.paddingBottom),
  };
  if (content.w <= 0 || content.h <= 0) return null;
  const picture = fit(content, ph.width, ph.height, cs.objectFit, cs.objectPosition);
  const clip = clipOf(el, intersect(picture, content));
  if (clip.w <= 0 || clip.h <= 0) return null;
  return { picture, clip };
}

// above says which of a and b is drawn over the other at (x, y), or null if hit testing
// cannot tell.
function above(a, b, x, y) {
  const root = a.getRootNode() === b.getRootNode() ? a.getRootNode() : document;
  const at = root.elementsFromPoint(x, y);
  const ia = at.indexOf(a), ib = at.indexOf(b);
  if (ia < 0 && ib < 0) return null;
  if (ib < 0 || (ia >= 0 && ia < ib)) return a;
  return b;
}

// paintOrder sorts the shown pictures lowest first: in document order, except where two
// overlap, where hit testing at the centre of the overlap says which is on top.
function paintOrder(list) {
  list.sort((a, b) => (a.el.compareDocumentPosition(b.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  const below = list.map(() => new Set()); // below[i]: the pictures i is drawn over
  let style = null;
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const o = intersect(list[i].box.clip, list[j].box.clip);
      if (o.w <= 0 || o.h <= 0 || list[i].el === list[j].el) continue;
      if (!style) {
        // Hit testing skips what ignores the pointer; pictures must not.
        style = document.createElement("style");
        style.textContent = "video { pointer-events: auto !important; }";
        document.head.appendChild(style);
      }
      const top = above(list[i].el, list[j].el, o.x + o.w / 2, o.y + o.h / 2);
      if (top === list[i].el) below[i].add(j);
      else if (top === list[j].el) below[j].add(i);
    }
  }
  style?.remove();
  // The lowest remaining picture each time, the earliest in the document among equals.
  const out = [], done = new Set();
  while (out.length < list.length) {
    let next = list.findIndex((_, i) => !done.has(i) && [...below[i]].every((j) => done.has(j)));
    if (next < 0) next = list.findIndex((_, i) => !done.has(i)); // a cycle: document order
    done.add(next);
    out.push(list[next]);
  }
  return out;
}

function boxes(driver) {
  return paintOrder(shown(driver)).map(({ streamId, box: { picture: p, clip: c } }) => ({
    streamId, x: p.x, y: p.y, w: p.w, h: p.h, clipX: c.x, clipY: c.y, clipW: c.w, clipH: c.h,
  }));
}
