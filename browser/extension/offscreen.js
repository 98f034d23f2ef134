// mediapush capture: offscreen document.
// Opens the tab capture stream at exactly the session's size and publishes it with one
// WHIP-style request (SDP offer in, answer out) to mediapush's loopback ingest. Each tab has a
// capture of its own, kept by tab id, so that stopping one leaves the others running.

const captures = new Map(); // tab id → {pc, stream}

function preferCodec(transceiver, kind, mime) {
  const wanted = RTCRtpReceiver.getCapabilities(kind).codecs
    .filter(c => c.mimeType.toLowerCase() === mime.toLowerCase());
  if (wanted.length === 0) throw new Error(`this browser cannot encode ${mime}`);
  if (mime.toLowerCase() === 'video/h264') {
    // Packetization mode 1 first: it carries large frames without single-NAL limits.
    wanted.sort((a, b) => (b.sdpFmtpLine || '').includes('packetization-mode=1') -
                          (a.sdpFmtpLine || '').includes('packetization-mode=1'));
  }
  transceiver.setCodecPreferences(wanted);
}

// keepSizeAndRate has the sender never trade resolution or frame rate for bitrate or CPU: a
// recording must keep the size and rate asked for; only the encoder's quantiser may give. Older
// Chromium knows only 'maintain-resolution' (which may drop frames when the CPU is short).
async function keepSizeAndRate(sender) {
  for (const pref of ['maintain-framerate-and-resolution', 'maintain-resolution']) {
    const params = sender.getParameters();
    params.degradationPreference = pref;
    try {
      await sender.setParameters(params);
      return;
    } catch (err) {
      if (pref === 'maintain-resolution') throw err;
    }
  }
}

function iceGatheringDone(peer) {
  return new Promise(resolve => {
    if (peer.iceGatheringState === 'complete') return resolve();
    peer.addEventListener('icegatheringstatechange', () => {
      if (peer.iceGatheringState === 'complete') resolve();
    });
    setTimeout(resolve, 2000); // loopback host candidates are enough; do not wait for slow interfaces
  });
}

async function publish(tabId, streamId, opts) {
  const capture = {pc: null, stream: null};
  captures.set(tabId, capture);
  let pc, stream;
  const size = {minWidth: opts.width, maxWidth: opts.width, minHeight: opts.height, maxHeight: opts.height};
  stream = capture.stream = await navigator.mediaDevices.getUserMedia({
    audio: {mandatory: {chromeMediaSource: 'tab', chromeMediaSourceId: streamId}},
    video: {mandatory: {chromeMediaSource: 'tab', chromeMediaSourceId: streamId,
                        ...size, maxFrameRate: opts.frameRate}},
  });
  pc = capture.pc = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
  for (const track of stream.getTracks()) {
    const video = track.kind === 'video';
    // 'motion' has the encoder treat the tab as camera video. A tab capture is screen content
    // by default, for which OpenH264 searches every frame for repeated blocks (text, scrolling):
    // at 1280x720@30 that took the offscreen document 0.33-0.37 core, against 0.19 as camera
    // video (bitrate 2.3 instead of 1.1 Mbit/s, well under maxBitrate). The resolution is held
    // by the degradation preference below, set before the first frame is encoded.
    if (video) track.contentHint = 'motion';
    const transceiver = pc.addTransceiver(track, {
      direction: 'sendonly',
      streams: [stream],
      sendEncodings: [video ? {maxBitrate: opts.videoBitrate, maxFramerate: opts.frameRate}
                            : {maxBitrate: opts.audioBitrate}],
    });
    if (video) {
      preferCodec(transceiver, 'video', 'video/' + opts.videoCodec);
      await keepSizeAndRate(transceiver.sender);
    }
  }
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringDone(pc);
  const resp = await fetch(opts.ingestUrl, {
    method: 'POST',
    headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + opts.secret},
    body: pc.localDescription.sdp,
  });
  if (!resp.ok) throw new Error(`ingest refused the offer: HTTP ${resp.status} ${await resp.text()}`);
  await pc.setRemoteDescription({type: 'answer', sdp: await resp.text()});
  for (const sender of pc.getSenders()) {
    if (sender.track && sender.track.kind === 'video') await keepSizeAndRate(sender);
  }
  return stream.getTracks().map(t => ({kind: t.kind, settings: t.getSettings()}));
}

function stop(tabId) {
  const capture = captures.get(tabId);
  if (!capture) return;
  captures.delete(tabId);
  if (capture.pc) capture.pc.close();
  if (capture.stream) capture.stream.getTracks().forEach(t => t.stop());
}

chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  if (msg.target !== 'offscreen') return false;
  if (msg.cmd === 'publish') {
    stop(msg.tabId);
    publish(msg.tabId, msg.streamId, msg.opts).then(tracks => reply({tracks}), err => {
      stop(msg.tabId);
      reply({error: String(err.message || err)});
    });
    return true; // reply comes asynchronously
  }
  if (msg.cmd === 'stop') {
    stop(msg.tabId);
    reply({ok: true});
  }
  return false;
});
