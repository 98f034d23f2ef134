// How figures read on the page.

export function duration(ms) {
  if (!(ms >= 0)) return "–";
  const s = Math.floor(ms / 1000);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

export function bytes(n) {
  if (!(n >= 0)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function date(ms) {
  if (!ms) return "–";
  return dateFormat.format(new Date(ms));
}

export function cores(n) {
  return (Math.round(n * 100) / 100).toFixed(2);
}

export function formats(recordType) {
  return recordType ? recordType.split(",").map((f) => f.trim().toUpperCase()).join(", ") : "none";
}
