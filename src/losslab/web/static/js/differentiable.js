// "Is my loss differentiable?": an expression in pred and target, analysed on the server by
// losslab.analysis.differentiability; the report, and f and f' with the kinks marked.
import { Latest } from "./api.js";
import { getNum, getStr, setState } from "./state.js";
import { $, baseLayout, clean, debounce, draw, el, fmt, statusFor } from "./ui.js";

const EXAMPLES = [
  { label: "MAE", expr: "abs(pred - target)", target: 0 },
  { label: "MSE", expr: "(pred - target)**2", target: 0 },
  { label: "hinge", expr: "maximum(0, 1 - target * pred)", target: 1 },
  { label: "logistic", expr: "softplus(-target * pred)", target: 1 },
  { label: "pseudo-Huber", expr: "sqrt((pred - target)**2 + 1) - 1", target: 0 },
  { label: "0-1 loss", expr: "(1 - sign(target * pred)) / 2", target: 1 },
  { label: "clipped", expr: "clamp(pred - target, -1, 1)**2", target: 0 },
  { label: "log error", expr: "log(pred) - log(target)", target: 1 },
];
const DEFAULTS = { expr: "abs(pred - target)", dlo: -3, dhi: 3, tgt: 0 };
const req = new Latest();
let status;

function read() {
  return {
    expr: $("#expr").value,
    lo: Number($("#dom-lo").value),
    hi: Number($("#dom-hi").value),
    target: Number($("#check-target").value),
  };
}

async function run() {
  const q = read();
  setState({ expr: q.expr, dlo: q.lo, dhi: q.hi, tgt: q.target }, DEFAULTS);
  if (!q.expr.trim()) {
    status.error(new Error("Write a loss in pred and target, e.g. abs(pred - target)."), "expression");
    return;
  }
  if (![q.lo, q.hi, q.target].every(Number.isFinite) || !(q.lo < q.hi)) {
    status.error(new Error("The domain needs two finite numbers with from < to, and a finite target."), "domain");
    return;
  }
  status.loading();
  $("#check-report").setAttribute("aria-busy", "true");
  let data;
  try {
    data = await req.run("/api/check", { body: { expression: q.expr, domain: [q.lo, q.hi], target: q.target }, timeout: 30000 });
  } catch (err) {
    $("#check-report").removeAttribute("aria-busy");
    if (err.kind === "aborted") return;
    status.clear("domain");
    status.error(err, err.status === 422 ? "the expression was rejected" : "analysis");
    $("#check-report").classList.add("stale");
    return;
  }
  $("#check-report").removeAttribute("aria-busy");
  $("#check-report").classList.remove("stale");
  status.clear("expression");
  status.clear("domain");
  status.clear("the expression was rejected");
  renderReport(data.report || data, data);
  $("#check-text").textContent = data.text || "";
  await drawPlot(data.report || data, data.plot || {});
  status.ok("analysis");
}

function num(v) { return typeof v === "number" ? fmt(v) : (v === null || v === undefined ? "—" : String(v)); }

function renderReport(r, data) {
  const box = $("#check-report");
  const diff = r.differentiable ?? (!(r.kinks || []).length && !(r.discontinuities || []).length);
  const parts = [];
  parts.push(el("div", { class: `verdict ${diff ? "yes" : "no"}`, testid: "check-verdict" },
    diff ? "✓ differentiable everywhere on the domain" : "✗ not differentiable everywhere"));
  parts.push(el("dl", { class: "kv" },
    el("dt", {}, "expression"), el("dd", {}, el("code", {}, r.expression || "")),
    el("dt", {}, "smoothness"), el("dd", { testid: "check-smoothness" }, r.smoothness ?? "—"),
    el("dt", {}, "convexity"), el("dd", {}, r.convex ? "convex" : r.concave ? "concave" : "neither convex nor concave",
                                     r.convexity_witness != null ? ` (witness at ${fmt(r.convexity_witness)})` : ""),
    el("dt", {}, "Lipschitz bound"), el("dd", {}, num(r.lipschitz), r.lipschitz_at != null ? ` (max |f′| at ${fmt(r.lipschitz_at)})` : ""),
    el("dt", {}, "growth"), el("dd", {}, r.growth ? Object.entries(r.growth).map(([k, v]) => `${k}: ${v}`).join(", ") : "—")));

  const kinks = r.kinks || [];
  if (kinks.length) {
    parts.push(el("h4", {}, `Kinks (${kinks.length})`));
    parts.push(el("div", { class: "table-wrap" }, el("table", { testid: "check-kinks" },
      el("thead", {}, el("tr", {}, el("th", { class: "num" }, "at"), el("th", { class: "num" }, "value"),
        el("th", { class: "num" }, "left f′"), el("th", { class: "num" }, "right f′"), el("th", { class: "num" }, "losslab's gradient"))),
      el("tbody", {}, kinks.map((k) => el("tr", {}, el("td", { class: "num" }, num(k.x)), el("td", { class: "num" }, num(k.value)),
        el("td", { class: "num" }, num(k.left)), el("td", { class: "num" }, num(k.right)), el("td", { class: "num" }, num(k.at))))))));
  }
  const jumps = r.discontinuities || [];
  if (jumps.length) {
    parts.push(el("h4", {}, `Jumps (${jumps.length})`));
    parts.push(el("ul", {}, jumps.map((j) => el("li", {}, `at ${num(j.x)}: from ${num(j.left)} to ${num(j.right)} (value ${num(j.value)})`))));
  }
  const flats = r.flat_regions || [];
  if (flats.length) {
    parts.push(el("h4", {}, "Flat zones (zero gradient: nothing to learn from there)"));
    parts.push(el("ul", {}, flats.map((f) => el("li", {}, Array.isArray(f) ? `[${num(f[0])}, ${num(f[1])}]`
      : typeof f === "object" ? `[${num(f.start)}, ${num(f.end)}]` : String(f)))));
  }
  const nonfinite = r.nonfinite || [];
  if (nonfinite.length) {
    parts.push(el("h4", {}, "Not finite"));
    parts.push(el("ul", {}, nonfinite.map((n) => el("li", {}, `${n.what} on [${num(n.start)}, ${num(n.end)}] (e.g. at ${num(n.example)})`))));
  }
  const td = r.target_dependence;
  if (td && typeof td === "object" && td.description) {
    parts.push(el("h4", {}, "Target dependence"));
    parts.push(el("p", { class: "muted" }, td.description));
  }
  const surr = r.surrogates || [];
  if (surr.length) {
    parts.push(el("h4", {}, "Smooth surrogates"));
    parts.push(el("ul", {}, surr.map((s) => el("li", {},
      el("strong", {}, `${s.replaces} → ${s.name}`), ` [${s.smoothness}] `, el("code", {}, s.expression),
      el("div", { class: "muted" }, `${s.knob}: ${s.limit}; `, s.converges ? "checked to converge" : "does not converge",
        Array.isArray(s.max_diffs) && s.max_diffs.length ? ` (max |diff| ${s.max_diffs.map((v) => fmt(v, 3)).join(" → ")})` : "")))));
  }
  for (const n of r.notes || []) parts.push(el("p", { class: "muted" }, n));
  box.replaceChildren(...parts);
}

async function drawPlot(r, plot) {
  const x = clean(plot.x);
  const f = clean(plot.f);
  const df = clean(plot.df);
  const traces = [
    { x, y: f, name: "f (loss)", meta: "f", mode: "lines", type: "scatter", line: { color: "#0072B2", width: 2.4 } },
    { x, y: df, name: "f′ (engine's backward)", meta: "df", mode: "lines", type: "scatter", yaxis: "y2",
      line: { color: "#D55E00", width: 2 } },
  ];
  const kinks = r.kinks || [];
  if (kinks.length) {
    traces.push({ x: kinks.map((k) => k.x), y: kinks.map((k) => k.value), name: "kinks", meta: "kinks", mode: "markers",
                  type: "scatter", marker: { symbol: "diamond", size: 12, color: "#CC79A7", line: { color: "#fff", width: 1.5 } },
                  hovertemplate: "kink at %{x:.4g}<extra></extra>" });
  }
  const jumps = r.discontinuities || [];
  if (jumps.length) {
    traces.push({ x: jumps.map((j) => j.x), y: jumps.map((j) => j.value), name: "jumps", meta: "jumps", mode: "markers",
                  type: "scatter", marker: { symbol: "x", size: 11, color: "#B42318" } });
  }
  await draw($("#check-plot"), traces, baseLayout({
    xaxis: { title: { text: "pred" }, anchor: "y2" },
    yaxis: { title: { text: "f" }, domain: [0.47, 1] },
    yaxis2: { title: { text: "f′" }, domain: [0, 0.4] },
  }));
}

export async function init() {
  status = statusFor("differentiable");
  $("#expr").value = getStr("expr", DEFAULTS.expr);
  $("#dom-lo").value = getNum("dlo", -3);
  $("#dom-hi").value = getNum("dhi", 3);
  $("#check-target").value = getNum("tgt", 0);
  $("#check-examples").replaceChildren(...EXAMPLES.map((e) => el("button", {
    type: "button", title: `${e.expr} (target ${e.target})`, testid: `example-${e.label}`,
    onclick: () => { $("#expr").value = e.expr; $("#check-target").value = e.target; run(); },
  }, e.label)));
  $("#check-form").addEventListener("submit", (ev) => { ev.preventDefault(); soon.flush(); });
  const soon = debounce(run, 450);
  $("#expr").addEventListener("input", () => soon());
  for (const id of ["#dom-lo", "#dom-hi", "#check-target"]) $(id).addEventListener("change", () => soon());
  await run();
}
