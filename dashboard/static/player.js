// Playing a recording in the page: MP4 and WebM in <video>, MP3 in <audio>, HLS through
// hls.js where the browser has no HLS of its own. The file comes from a download URL the
// API hands out, which works without credentials until it expires: media elements cannot
// send the API token.

import { api, enc } from "./api.js";
import { h } from "./dom.js";

let hlsLoading = null;

// loadHls loads hls.js (the copy the service's own player pages use) once.
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsLoading) {
    hlsLoading = new Promise((resolve, reject) => {
      const s = h("script", { src: "/dashboard/hls.min.js" });
      s.addEventListener("load", () => resolve(window.Hls));
      s.addEventListener("error", () => { hlsLoading = null; reject(new Error("hls.js did not load")); });
      document.head.appendChild(s);
    });
  }
  return hlsLoading;
}

// downloadURL is a URL of the recording's file that works for a while without credentials.
export async function downloadURL(v) {
  const { url } = await api(`/api/v1/vods/${enc(v.vodId)}/url`);
  return url;
}

// play puts a player for v into area and starts it; it returns { stop() }.
export async function play(area, v) {
  const url = await downloadURL(v);
  const audio = v.format === "mp3";
  const media = h(audio ? "audio" : "video", { controls: true, playsinline: true, preload: "auto", class: "player" });
  area.appendChild(media);
  let hls = null;
  if (v.format === "hls" && !media.canPlayType("application/vnd.apple.mpegurl")) {
    const Hls = await loadHls();
    if (!Hls.isSupported()) throw new Error("this browser cannot play HLS");
    hls = new Hls();
    hls.loadSource(url);
    hls.attachMedia(media);
  } else {
    media.src = url;
  }
  // A click started this, so sound is allowed; a browser that still refuses plays muted.
  media.play().catch(() => { media.muted = true; return media.play(); }).catch(() => {});
  return {
    media,
    stop() {
      if (hls) hls.destroy();
      media.pause();
      media.removeAttribute("src");
      media.load();
      media.remove();
    },
  };
}
