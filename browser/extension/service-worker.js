// mediapush capture: service worker.
// mediapush calls startCapture() through the DevTools protocol. The worker turns the page's tab
// into a capture stream id and hands it to an offscreen document, which owns the MediaStream and
// the RTCPeerConnection (a service worker can do neither, and is suspended when idle).

async function pageTab() {
  const tabs = (await chrome.tabs.query({})).filter(t => !t.url.startsWith('chrome-extension://'));
  if (tabs.length === 0) throw new Error('no page tab to capture');
  return tabs.find(t => t.active) || tabs[0];
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

// startCapture publishes the page tab to opts.ingestUrl and resolves with the capture's track settings.
self.startCapture = async (opts) => {
  const tab = await pageTab();
  const streamId = await captureStreamId(tab.id);
  await offscreenDocument();
  const reply = await chrome.runtime.sendMessage({target: 'offscreen', cmd: 'publish', streamId, opts});
  if (!reply) throw new Error('offscreen document did not answer');
  if (reply.error) throw new Error(reply.error);
  return reply.tracks;
};

self.stopCapture = async () => {
  if (!(await chrome.offscreen.hasDocument())) return;
  await chrome.runtime.sendMessage({target: 'offscreen', cmd: 'stop'});
};
