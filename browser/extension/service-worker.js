// mediapush capture: service worker.
// mediapush calls startCapture() through the DevTools protocol. The worker turns the session's
// tab into a capture stream id and hands it to an offscreen document, which owns the MediaStream
// and the RTCPeerConnection (a service worker can do neither, and is suspended when idle).
// The extension runs once per browser context ("incognito": "split"), and each session's tab has
// a context of its own; the tab is still found by its DevTools target id, never by guessing.

// sessionTab is the id of the tab whose DevTools target id is targetId.
async function sessionTab(targetId) {
  const found = (await chrome.debugger.getTargets()).find(t => t.id === targetId && t.tabId !== undefined);
  if (!found) throw new Error(`the session's tab (target ${targetId}) is not visible to the capture extension`);
  return found.tabId;
}

function captureStreamId(tabId) {
  return new Promise((resolve, reject) => {
    chrome.tabCapture.getMediaStreamId({targetTabId: tabId}, id => {
      if (chrome.runtime.lastError) reject(new Error(chrome.runtime.lastError.message));
      else resolve(id);
    });
  });
}

async function offscreenDocument() {
  if (await chrome.offscreen.hasDocument()) return;
  await chrome.offscreen.createDocument({
    url: 'offscreen.html',
    reasons: ['USER_MEDIA'],
    justification: 'capture the tab and publish it to mediapush',
  });
}

// startCapture publishes the tab of opts.targetId to opts.ingestUrl and resolves with the
// capture's track settings.
self.startCapture = async (opts) => {
  const tabId = await sessionTab(opts.targetId);
  const streamId = await captureStreamId(tabId);
  await offscreenDocument();
  const reply = await chrome.runtime.sendMessage({target: 'offscreen', cmd: 'publish', tabId, streamId, opts});
  if (!reply) throw new Error('offscreen document did not answer');
  if (reply.error) throw new Error(reply.error);
  return reply.tracks;
};

// stopCapture ends the capture of the tab of targetId; the captures of other tabs go on.
self.stopCapture = async (targetId) => {
  if (!(await chrome.offscreen.hasDocument())) return;
  const tabId = await sessionTab(targetId);
  await chrome.runtime.sendMessage({target: 'offscreen', cmd: 'stop', tabId});
};
