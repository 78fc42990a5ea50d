// Small DOM, formatting and plotting helpers shared by the sections.

/** el("div", {class: "x", dataset: {testid: "y"}, onclick: fn}, child, "text", ...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "testid") node.setAttribute("data-testid", v);
    else if (k === "text") node.textContent = v;
    else if (k === "style" && typeof v === "object") Object.assign(node.style, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

export function debounce(fn, ms = 200) {
  let t = null;
  const wrapped = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  wrapped.flush = (...args) => { clearTimeout(t); fn(...args); };
  return wrapped;
}

/** Format a number for people: 4 significant digits, plain notation unless huge/tiny. */
export function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(digits - 1).replace("-", "−");
  const s = Number.parseFloat(v.toPrecision(digits)).toString();
  return s.startsWith("-") ? "−" + s.slice(1) : s;
}

/**
 * Per-section status: a section element carries data-state ("loading" | "ready" | "error") and
 * data-renders (a counter bumped after each successful render), which the tests wait on.
 * Errors are shown in the section's `.error` box (never alert()).
 */
export class Status {
  constructor(section, errorBox) {
    this.section = section;
    this.box = errorBox;
    this.renders = 0;
    this.errors = new Map(); // context -> Error; each part of a section clears only its own
  }
  loading() { this.section.dataset.state = "loading"; }
  ok(context = "") {
    this.renders += 1;
    this.section.dataset.renders = String(this.renders);
    this.clear(context);
  }
  clear(context = "") {
    this.errors.delete(context);
    this.paint();
  }
  error(err, context = "") {
    if (err && err.kind === "aborted") return; // replaced by a newer request
    this.errors.set(context, err);
    this.paint();
  }
  paint() {
    this.box.textContent = "";
    this.box.hidden = this.errors.size === 0;
    this.section.dataset.state = this.errors.size ? "error" : "ready";
    for (const [context, err] of this.errors) {
      const msg = (err && err.message) || String(err);
      const line = el("div", { class: "error-line" }, el("strong", {}, context ? `${context}: ` : "Error: "));
      if (err && err.field) line.append(el("span", { class: "field" }, `[${err.field}] `));
      if (msg.includes("\n")) line.append(el("pre", {}, msg));
      else line.append(msg);
      this.box.append(line);
    }
  }
}

/** The error box of a section (created once in index.html with class "error"). */
export function statusFor(sectionId) {
  const section = document.getElementById(sectionId);
  const box = section.querySelector(":scope > .error, .section-error");
  return new Status(section, box);
}

// ---------------------------------------------------------------- plotting

const FALLBACK = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

export function colorOf(item, i = 0) {
  return (item && item.color) || FALLBACK[i % FALLBACK.length];
}

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function baseLayout(extra = {}) {
  const fg = cssVar("--fg", "#1d2330");
  const grid = cssVar("--grid", "#e4e7ee");
  const layout = {
    margin: { l: 52, r: 14, t: 36, b: 44 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: fg },
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 11 } },
    hovermode: "x unified",
    xaxis: { gridcolor: grid, zerolinecolor: cssVar("--zero", "#b9bfcc"), automargin: true },
    yaxis: { gridcolor: grid, zerolinecolor: cssVar("--zero", "#b9bfcc"), automargin: true },
  };
  return deepMerge(layout, extra);
}

function deepMerge(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === "object" && !Array.isArray(v) && a[k] && typeof a[k] === "object"
      ? deepMerge(a[k], v) : v;
  }
  return out;
}

export const PLOT_CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

/** Draw (or redraw) a plot; bumps data-draws on the div so tests can wait for a new drawing. */
export async function draw(div, traces, layout) {
  if (!window.Plotly) throw new Error("plotly.js did not load (/vendor/plotly.min.js)");
  await window.Plotly.react(div, traces, layout, PLOT_CONFIG);
  div.dataset.draws = String(Number(div.dataset.draws || 0) + 1);
}

/** Linear interpolation of ys over increasing xs at x. */
export function interp(xs, ys, x) {
  if (!xs.length) return NaN;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[xs.length - 1]) return ys[ys.length - 1];
  let lo = 0, hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid; else hi = mid;
  }
  const t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

/** JSON numbers may arrive as null (NaN/inf on the server): keep plotly happy. */
export function clean(arr) {
  return (arr || []).map((v) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v)));
}

/** Insert server-generated MathML safely: only MathML elements and harmless attributes survive. */
const MATHML_TAGS = new Set(["math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext",
  "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "munder", "mover", "munderover",
  "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror", "mfenced", "mlabeledtr",
  "mmultiscripts", "mprescripts", "none"]);
export function mathml(markup) {
  const tpl = document.createElement("template");
  tpl.innerHTML = markup || "";
  const walk = (node) => {
    for (const child of Array.from(node.children)) {
      const tag = child.localName.toLowerCase();
      if (!MATHML_TAGS.has(tag)) { child.remove(); continue; }
      for (const attr of Array.from(child.attributes)) {
        const n = attr.name.toLowerCase();
        if (n.startsWith("on") || n === "href" || n.includes("src") || n === "style") child.removeAttribute(attr.name);
      }
      walk(child);
    }
  };
  walk(tpl.content);
  return tpl.content;
}
