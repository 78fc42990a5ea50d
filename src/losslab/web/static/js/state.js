// All view state lives in the URL's query string, so a copied URL restores the same view.
// Values equal to their default are left out to keep shared URLs short.

const listeners = new Set();

function params() {
  return new URLSearchParams(window.location.search);
}

export function getStr(key, def = "") {
  const v = params().get(key);
  return v === null ? def : v;
}

export function getNum(key, def, { min = -Infinity, max = Infinity, int = false } = {}) {
  const raw = params().get(key);
  if (raw === null || raw.trim() === "") return def;
  let v = Number(raw);
  if (!Number.isFinite(v)) return def;
  if (int) v = Math.round(v);
  return Math.min(max, Math.max(min, v));
}

export function getBool(key, def) {
  const raw = params().get(key);
  if (raw === null) return def;
  return raw === "1" || raw === "true";
}

/** A comma-separated list of strings. */
export function getList(key, def) {
  const raw = params().get(key);
  if (raw === null) return def.slice();
  return raw === "" ? [] : raw.split(",");
}

function encode(v) {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (Array.isArray(v)) return v.join(",");
  return String(v);
}

/**
 * Update several keys at once: setState({delta: 1.5, rows: [...]}, {delta: 1}). A value equal to
 * its default in `defaults` (or null/undefined) removes the key. Uses history.replaceState.
 */
export function setState(entries, defaults = {}) {
  const p = params();
  for (const [key, value] of Object.entries(entries)) {
    const def = defaults[key];
    if (value === null || value === undefined || (def !== undefined && encode(value) === encode(def))) {
      p.delete(key);
    } else {
      p.set(key, encode(value));
    }
  }
  const qs = p.toString();
  const url = window.location.pathname + (qs ? "?" + qs : "") + window.location.hash;
  if (url !== window.location.pathname + window.location.search + window.location.hash) {
    window.history.replaceState(null, "", url);
    for (const fn of listeners) fn(url);
  }
}

export function onUrlChange(fn) { listeners.add(fn); }

/** Round for the URL: enough digits to restore a number, no float noise. */
export function short(v, digits = 6) {
  return Number.parseFloat(Number(v).toPrecision(digits)).toString();
}
