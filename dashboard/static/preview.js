// A live preview in a card: a muted video playing a stream over WHEP, with its button.

import { h } from "./dom.js";
import { watch } from "./whep.js";

// preview returns { el, button, stop() }: button toggles the preview of streamId() in el.
export function preview(streamId, label = "Watch") {
  const area = h("div", { class: "preview", hidden: true });
  const status = h("span", { class: "status", role: "status" });
  let handle = null;
  let video = null;
  const stop = () => {
    if (handle) handle.stop();
    handle = null;
    if (video) video.remove();
    video = null;
    area.hidden = true;
    button.textContent = label;
    status.textContent = "";
  };
  const button = h("button", {
    type: "button", text: label, onclick: async () => {
      if (handle || video) { stop(); return; }
      video = h("video", { muted: true, autoplay: true, playsinline: true, class: "live" });
      video.muted = true;
      area.hidden = false;
      area.appendChild(video);
      button.textContent = "Close preview";
      status.textContent = "Connecting…";
      try {
        handle = await watch(video, streamId());
        status.textContent = "";
      } catch (err) {
        const v = video;
        stop();
        if (v) status.textContent = "Cannot play: " + err.message;
      }
    },
  });
  return { el: area, button, status, stop, get active() { return !!handle; } };
}
