"use strict";
// A steady 440 Hz tone for the test pages whose sound must be right while their picture is
// not: their recordings' quality reports find the picture's fault and nothing wrong with the sound.
(function () {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return;
  const audio = new AC({ latencyHint: "playback" });
  const osc = audio.createOscillator();
  const amp = audio.createGain();
  osc.frequency.value = 440;
  amp.gain.value = 0.2;
  osc.connect(amp).connect(audio.destination);
  osc.start();
  const resume = () => { if (audio.state === "suspended") audio.resume().catch(() => {}); };
  setInterval(resume, 1000);
  resume();
})();
