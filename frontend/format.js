// Pure formatting helpers, shared by the screens and tested with node --test.

/** Bytes in decimal units, as disk and network tools show them. */
export function bytes(n) {
  if (!Number.isFinite(n) || n < 0) return "–";
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ["kB", "MB", "GB", "TB", "PB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A coarse duration for an ETA: "45 s", "3 min 20 s", "1 h 05 min". */
export function eta(seconds) {
  if (!Number.isFinite(seconds) || seconds <= 0) return "";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** Percent of a pull, or null when the engine gave no byte totals. */
export function percent(pull) {
  if (!pull || !pull.totals_known || !(pull.bytes_total > 0)) return null;
  return Math.min(100, Math.max(0, (100 * pull.bytes_done) / pull.bytes_total));
}

/** The one-line summary under the progress bar. */
export function pullSummary(pull) {
  if (!pull) return "Preparing…";
  const p = percent(pull);
  if (p === null) return `${pull.layers_done} of ${pull.layers_total} layers done`;
  let s = `${bytes(pull.bytes_done)} of ${bytes(pull.bytes_total)}`;
  if (pull.bytes_per_sec > 0) s += ` · ${bytes(pull.bytes_per_sec)}/s`;
  const e = eta(pull.eta_seconds);
  if (e) s += ` · ${e} left`;
  if (pull.retries > 0) s += ` · retried ${pull.retries}×`;
  return s;
}

/**
 * A remedy's text in parts, its https addresses apart so they can be links:
 * [{text}] and [{url}] in order. A sentence's closing punctuation is not
 * part of the address.
 */
export function linkParts(s) {
  const parts = [];
  const re = /https:\/\/[^\s<>"]+/g;
  let last = 0;
  for (const m of (s ?? "").matchAll(re)) {
    const url = m[0].replace(/[.,;:!?)]+$/, "");
    if (m.index > last) parts.push({ text: s.slice(last, m.index) });
    parts.push({ url });
    last = m.index + url.length;
  }
  if (last < (s ?? "").length) parts.push({ text: s.slice(last) });
  return parts;
}

// serverLines shows the remote servers in Settings' box: one a line, the
// address, then the name. parseServerLines reads the box back (a line
// without a name is named after its address's host).
export function serverLines(servers) {
  return (servers ?? []).map((s) => (s.name ? `${s.url} ${s.name}` : s.url)).join("\n");
}
export function parseServerLines(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
    const [url, ...name] = l.split(/\s+/);
    let host = url;
    try { host = new URL(url).host; } catch { /* Go says what is wrong with it */ }
    return { url, name: name.join(" ") || host };
  });
}
