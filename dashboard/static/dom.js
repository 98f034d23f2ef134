// Building the page from data without parsing it as HTML: every string becomes text.

// h makes an element. props: class, text, on<event> handlers, dataset (object), and
// attributes or properties by name; children: nodes, strings (text), arrays, null (skipped).
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "href" || k === "src") el.setAttribute(k, safeURL(v));
    else if (typeof v === "boolean") el.toggleAttribute(k, v);
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// safeURL keeps http(s) and blob URLs (relative ones resolve to this server); anything else,
// javascript: say, becomes a harmless "#".
export function safeURL(u) {
  try {
    const url = new URL(String(u), location.href);
    if (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "blob:") return url.href;
  } catch (_) { /* not a URL */ }
  return "#";
}

// setText changes a node's text only when it differs, so a poll does not disturb selection.
export function setText(el, text) {
  const t = String(text ?? "");
  if (el.textContent !== t) el.textContent = t;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// keyed keeps container's children in step with items: one element per key, made by create
// once and refreshed by update on every call, in the items' order. Elements of keys gone
// are removed (after their dispose, if any).
export function keyed(container, items, key, create, update) {
  const old = new Map();
  for (const el of container.children) old.set(el.dataset.key, el);
  let prev = null;
  for (const item of items) {
    const k = key(item);
    let el = old.get(k);
    if (el) old.delete(k);
    else {
      el = create(item);
      el.dataset.key = k;
    }
    update(el, item);
    const want = prev ? prev.nextSibling : container.firstChild;
    if (want !== el) container.insertBefore(el, want);
    prev = el;
  }
  for (const el of old.values()) {
    if (el.dispose) el.dispose();
    el.remove();
  }
}

// badge is a small label whose class names its tone.
export function badge(text, tone) {
  return h("span", { class: "badge " + (tone || ""), text });
}

// field is one "label: value" pair of a card's figures; its value is returned for updates.
export function field(label) {
  const value = h("dd");
  const el = h("div", { class: "field" }, h("dt", { text: label }), value);
  return { el, value };
}
