// The dashboard: one view at a time (#sessions, #rooms, #recordings, #node), each refreshed
// every few seconds while it shows.

import { clearNotice, notice } from "./notice.js";
import * as sessions from "./sessions.js";
import * as rooms from "./rooms.js";
import * as recordings from "./recordings.js";
import * as node from "./node.js";

const views = { sessions, rooms, recordings, node };
const every = { sessions: 2000, rooms: 2000, recordings: 4000, node: 2000 };
let current = null;
let timer = 0;
let running = null; // the refresh under way
let again = false;

function viewOf(hash) {
  const name = hash.replace(/^#/, "");
  return views[name] ? name : "sessions";
}

// refresh runs the current view's refresh, one at a time; a request during one runs after it.
async function refresh() {
  if (running) { again = true; return running; }
  clearTimeout(timer);
  const name = current;
  running = (async () => {
    try {
      await views[name].refresh();
      document.body.dataset.loaded = name;
    } catch (err) {
      notice(`${name}: ${err.message}`);
    }
  })();
  await running;
  running = null;
  if (again) { again = false; return refresh(); }
  timer = setTimeout(refresh, every[current]);
}

function show() {
  const name = viewOf(location.hash);
  if (name === current) return;
  current = name;
  for (const v of Object.keys(views)) {
    document.getElementById("view-" + v).hidden = v !== name;
    document.getElementById("nav-" + v).classList.toggle("active", v === name);
    if (v === name) document.getElementById("nav-" + v).setAttribute("aria-current", "page");
    else document.getElementById("nav-" + v).removeAttribute("aria-current");
  }
  clearNotice();
  delete document.body.dataset.loaded;
  refresh();
}

// The token dialog cannot be dismissed: without a token nothing would load.
document.getElementById("token-dialog").addEventListener("cancel", (e) => e.preventDefault());
for (const v of Object.values(views)) v.init(refresh);
window.addEventListener("hashchange", show);
show();
