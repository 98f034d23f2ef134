// The node: readiness, budget and load, sessions, refused starts, what sessions were learnt
// to cost. In cluster mode, one card per worker node.

import { api } from "./api.js";
import { badge, clear, field, h, keyed, setText } from "./dom.js";
import * as fmt from "./format.js";

export function init() {}

async function readiness() {
  const res = await fetch("/readyz", { cache: "no-store" });
  return { ready: res.ok, reason: (await res.text()).trim() };
}

export async function refresh() {
  const [nodes, ready] = await Promise.all([api("/api/v1/nodes"), readiness()]);
  const r = document.getElementById("ready");
  setText(r, ready.ready ? "ready" : "not ready");
  r.className = "badge " + (ready.ready ? "ok" : "bad");
  const reason = document.getElementById("ready-reason");
  setText(reason, ready.ready ? "" : ready.reason);
  reason.hidden = ready.ready;
  keyed(document.getElementById("nodes"), nodes || [], (n) => n.id, card, update);
}

// meter is a bar of used against budget, with its words beside it.
function meter(label) {
  const bar = h("span", { class: "fill" });
  const words = h("span", { class: "meter-words" });
  const el = h("div", { class: "meter" }, h("span", { class: "meter-label", text: label }), words,
    h("span", { class: "bar" }, bar));
  return {
    el, set(used, budget, show) {
      const checked = budget > 0;
      setText(words, checked ? `${show(used)} of ${show(budget)}` : `${show(used)} (not checked)`);
      const share = checked ? Math.min(used / budget, 1) : 0;
      bar.style.width = (share * 100).toFixed(1) + "%";
      bar.className = "fill" + (share > 0.9 ? " high" : "");
    },
  };
}

function card(n) {
  const title = h("h3", { class: "title" });
  const badges = h("span", { class: "badges" });
  const cpu = meter("CPU (cores)");
  const mem = meter("Memory");
  const f = { sessions: field("Sessions"), browsers: field("Browsers"), degraded: field("Degraded reports"), seen: field("Last heard") };
  const refused = h("dl", { class: "figures" });
  const learnt = h("table", { class: "learnt" });
  const el = h("article", { class: "card node" },
    h("header", { class: "card-head" }, title, badges),
    cpu.el, mem.el,
    h("dl", { class: "figures" }, Object.values(f).map((x) => x.el)),
    h("h4", { text: "Starts refused" }), refused,
    h("h4", { text: "Learnt cost by kind of session" }), learnt);
  el._refs = { title, badges, cpu, mem, f, refused, learnt };
  return el;
}

function update(el, n) {
  const x = el._refs;
  const load = n.load || {};
  setText(x.title, n.id);
  clear(x.badges);
  x.badges.appendChild(badge(n.live ? "live" : "lost", n.live ? "ok" : "bad"));
  if (n.draining) x.badges.appendChild(badge("draining", "warn"));
  x.cpu.set((load.load && load.load.cores) || 0, n.budget ? n.budget.cores : 0, fmt.cores);
  x.mem.set((load.load && load.load.bytes) || 0, n.budget ? n.budget.bytes : 0, fmt.bytes);
  const running = (n.sessions || []).length;
  setText(x.f.sessions.value, n.maxSessions ? `${running} of ${n.maxSessions}` : String(running));
  setText(x.f.browsers.value, load.poolBrowsers >= 0 ? String(load.poolBrowsers) : "–");
  setText(x.f.degraded.value, String(load.degradedReports || 0));
  // A node that reports in is heard from every few seconds: when matters once it stops.
  x.f.seen.el.hidden = n.live;
  setText(x.f.seen.value, n.lastSeen ? fmt.date(Date.parse(n.lastSeen)) : "–");
  const refused = Object.entries(load.refused || {}).sort();
  clear(x.refused);
  for (const [cause, count] of refused) {
    x.refused.appendChild(h("div", { class: "field" }, h("dt", { text: cause }), h("dd", { text: String(count) })));
  }
  const learnt = Object.entries(load.learnt || {}).sort();
  clear(x.learnt);
  if (!learnt.length) {
    x.learnt.appendChild(h("caption", { class: "hint", text: "Nothing measured yet." }));
    return;
  }
  x.learnt.appendChild(h("thead", {}, h("tr", {}, h("th", { text: "Kind" }), h("th", { text: "CPU" }), h("th", { text: "Memory" }))));
  x.learnt.appendChild(h("tbody", {}, learnt.map(([kind, c]) =>
    h("tr", {}, h("td", { text: kind }), h("td", { text: fmt.cores(c.cores) }), h("td", { text: fmt.bytes(c.bytes) })))));
}
