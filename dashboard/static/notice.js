// The page's one line of news: errors of polls and actions not tied to a card.

let timer = 0;

export function notice(message, tone = "error") {
  const el = document.getElementById("notice");
  el.textContent = message;
  el.className = "notice " + tone;
  el.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => { el.hidden = true; }, 10000);
}

export function clearNotice() {
  document.getElementById("notice").hidden = true;
}
