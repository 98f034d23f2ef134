// Watching a live stream over WHEP (the service's /{app}/whep/{streamId}): an offer with
// receive-only video and audio, the answer, and DELETE on the session's Location to leave.

import { api, app, enc } from "./api.js";

// gathered resolves once the offer holds its candidates (the service takes no trickle from
// a plain POST), or after a moment with what there is.
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 1500);
  });
}

// watch plays streamId in video (muted, so that it starts without a click) and returns
// { stop() }. It throws with the service's message when the stream cannot be played.
export async function watch(video, streamId) {
  // With stream tokens on, WHEP needs a play token: the control API hands one out.
  const { token } = await api(`/api/v1/streams/${enc(streamId)}/play-token`);
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.addEventListener("track", (e) => {
    stream.addTrack(e.track);
    video.srcObject = stream;
    video.play().catch(() => {});
  });
  let location = null;
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const stop = () => {
    pc.close();
    video.srcObject = null;
    if (location) fetch(location, { method: "DELETE", headers }).catch(() => {});
    location = null;
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(`/${app}/whep/${enc(streamId)}`, {
      method: "POST", headers: { ...headers, "Content-Type": "application/sdp" }, body: pc.localDescription.sdp,
    });
    const body = await res.text();
    if (res.status !== 201) throw new Error(body.trim() || `HTTP ${res.status}`);
    const loc = res.headers.get("Location");
    if (loc) location = new URL(loc, window.location.href).href;
    await pc.setRemoteDescription({ type: "answer", sdp: body });
  } catch (err) {
    stop();
    throw err;
  }
  return { stop };
}
