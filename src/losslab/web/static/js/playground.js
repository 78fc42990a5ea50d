// Optimizer playground: contours of a 2-D surface, real losslab optimizers side by side (each with
// its own learning rate), an optional learning-rate schedule, trajectories and f along them.
import { api, Latest } from "./api.js";
import { getNum, getStr, setState, short } from "./state.js";
import { $, baseLayout, clean, colorOf, debounce, draw, el, fmt, statusFor } from "./ui.js";

export const PRESETS = [
  { key: "gd", label: "GD", name: "sgd", params: {} },
  { key: "momentum", label: "Momentum", name: "sgd", params: { momentum: 0.9 } },
  { key: "nesterov", label: "Nesterov", name: "sgd", params: { momentum: 0.9, nesterov: true } },
  { key: "adagrad", label: "AdaGrad", name: "adagrad", params: {} },
  { key: "rmsprop", label: "RMSprop", name: "rmsprop", params: {} },
  { key: "adam", label: "Adam", name: "adam", params: {} },
  { key: "nadam", label: "NAdam", name: "nadam", params: {} },
  { key: "lion", label: "Lion", name: "lion", params: {} },
];
const MAX_OPT = 6;
const DEFAULT_ON = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];
// learning rates that show each method well on each surface (200 steps from the suggested start)
const LR = {
  ill_conditioned_quadratic: { gd: 0.03, momentum: 0.01, nesterov: 0.01, adagrad: 0.3, rmsprop: 0.03, adam: 0.1, nadam: 0.05, lion: 0.05 },
  rosenbrock: { gd: 0.001, momentum: 0.001, nesterov: 0.001, adagrad: 0.5, rmsprop: 0.01, adam: 0.1, nadam: 0.1, lion: 0.03 },
  beale: { gd: 0.01, momentum: 0.003, nesterov: 0.003, adagrad: 0.5, rmsprop: 0.03, adam: 0.1, nadam: 0.1, lion: 0.05 },
  himmelblau: { gd: 0.003, momentum: 0.003, nesterov: 0.001, adagrad: 0.5, rmsprop: 0.03, adam: 0.1, nadam: 0.1, lion: 0.05 },
  saddle: { gd: 0.01, momentum: 0.003, nesterov: 0.003, adagrad: 0.1, rmsprop: 0.01, adam: 0.03, nadam: 0.03, lion: 0.03 },
};
const FALLBACK_LR = { gd: 0.01, momentum: 0.003, nesterov: 0.003, adagrad: 0.3, rmsprop: 0.01, adam: 0.05, nadam: 0.05, lion: 0.03 };
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];

const st = {
  surfaces: [],
  surface: "rosenbrock",
  start: null,          // [x, y]
  steps: 200,
  schedule: "",
  opts: {},             // key -> {on, lr}
  grid: null,           // last /api/playground/surface answer
  result: null,
};
const gridReq = new Latest();
const runReq = new Latest();
let status;

function defaultLrs(surface) { return LR[surface] || FALLBACK_LR; }

function encodeOpts() {
  return PRESETS.filter((p) => st.opts[p.key].on).map((p) => `${p.key}:${short(st.opts[p.key].lr, 4)}`).join(",");
}

function defaultOptsString() {
  const lrs = defaultLrs(st.surface);
  return DEFAULT_ON.map((k) => `${k}:${short(lrs[k], 4)}`).join(",");
}

function surfaceInfo() { return st.surfaces.find((s) => s.name === st.surface) || null; }

function save() {
  const info = surfaceInfo();
  const defStart = info && info.start ? info.start.map((v) => short(v, 5)).join("_") : "";
  setState({
    surf: st.surface, steps: st.steps, sched: st.schedule, opt: encodeOpts(),
    start: st.start ? st.start.map((v) => short(v, 5)).join("_") : null,
  }, { surf: "rosenbrock", steps: 200, sched: "", opt: defaultOptsString(), start: defStart });
}

function scheduleSpec() {
  const n = st.steps;
  switch (st.schedule) {
    case "step": return { name: "step", step_size: Math.max(1, Math.round(n / 4)), gamma: 0.5 };
    case "exponential": return { name: "exponential", gamma: 0.99 };
    case "cosine": return { name: "cosine", total_steps: n };
    case "sgdr": return { name: "cosine_with_warm_restarts", T_0: Math.max(1, Math.round(n / 4)) };
    case "warmup": return { name: "warmup_cosine", warmup_steps: Math.max(1, Math.round(n / 10)), total_steps: n };
    default: return null;
  }
}

// ------------------------------------------------------------------ optimizer table
function buildOptTable() {
  const body = $("[data-testid=pg-optimizers] tbody");
  body.replaceChildren(...PRESETS.map((p) => {
    const o = st.opts[p.key];
    const check = el("input", { type: "checkbox", checked: o.on, testid: `opt-on-${p.key}` });
    const lr = el("input", { type: "number", min: "0", step: "any", value: o.lr, testid: `opt-lr-${p.key}`,
                             "aria-label": `${p.label} learning rate` });
    check.addEventListener("change", () => {
      const count = PRESETS.filter((q) => st.opts[q.key].on).length;
      if (check.checked && count >= MAX_OPT) {
        check.checked = false;
        status.error(new Error(`At most ${MAX_OPT} optimizers at once: untick one first.`), "optimizers");
        return;
      }
      status.clear("optimizers");
      o.on = check.checked;
      save();
      runSoon();
    });
    lr.addEventListener("input", () => {
      const v = Number(lr.value);
      if (!(lr.value.trim() !== "" && Number.isFinite(v) && v >= 0)) { lr.classList.add("invalid"); return; }
      lr.classList.remove("invalid");
      o.lr = v;
      save();
      runSoon();
    });
    return el("tr", { testid: `opt-row-${p.key}` },
      el("td", {}, el("label", {}, check, el("span", { class: "swatch", dataset: { key: p.key } }), p.label)),
      el("td", {}, el("span", { class: "hint" }, "lr "), lr));
  }));
}

function paintSwatches() {
  for (const t of (st.result && st.result.trajectories) || []) {
    const p = PRESETS.find((q) => q.label === t.label);
    const sw = p && document.querySelector(`[data-testid=pg-optimizers] .swatch[data-key="${p.key}"]`);
    if (sw) sw.style.background = t.color;
  }
}

// ------------------------------------------------------------------ surface + run
async function loadSurface() {
  try {
    st.grid = await gridReq.run(`/api/playground/surface?name=${encodeURIComponent(st.surface)}&resolution=80`);
  } catch (err) {
    status.error(err, "surface");
    return false;
  }
  status.clear("surface");
  return true;
}

async function runOptimizers() {
  const chosen = PRESETS.filter((p) => st.opts[p.key].on);
  if (!chosen.length) {
    st.result = { trajectories: [] };
    await render();
    return;
  }
  status.loading();
  try {
    st.result = await runReq.run("/api/playground/run", {
      body: {
        surface: st.surface, start: st.start, steps: st.steps, schedule: scheduleSpec(),
        optimizers: chosen.map((p) => ({ name: p.name, label: p.label, lr: st.opts[p.key].lr, params: p.params })),
      },
      timeout: 30000,
    });
  } catch (err) {
    status.error(err, "optimizers");
    return;
  }
  await render();
}

function contourZ(grid) {
  const z = grid.z.map((row) => clean(row));
  if (!grid.log_scale) return { z, title: "f" };
  let zmin = Infinity, zmax = -Infinity;
  for (const row of z) for (const v of row) if (v !== null) { zmin = Math.min(zmin, v); zmax = Math.max(zmax, v); }
  const off = 1e-3 * Math.max(1e-12, zmax - zmin);
  return { z: z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - zmin + off)))), title: "log₁₀ f (shifted)" };
}

async function render() {
  const traces = [];
  const info = surfaceInfo();
  if (st.grid) {
    const { z, title } = contourZ(st.grid);
    traces.push({ type: "contour", x: clean(st.grid.x), y: clean(st.grid.y), z, meta: "surface", name: "surface",
                  colorscale: "Blues", reversescale: true, ncontours: 28, showscale: false, opacity: 0.85,
                  contours: { coloring: "heatmap", showlines: true }, line: { width: 0.5, color: "rgba(255,255,255,.5)" },
                  hovertemplate: `x=%{x:.3f}, y=%{y:.3f}<br>${title}=%{z:.3g}<extra></extra>` });
  }
  if (info && info.minima && info.minima.length) {
    traces.push({ x: info.minima.map((m) => m[0]), y: info.minima.map((m) => m[1]), mode: "markers", type: "scatter",
                  name: "minimum", meta: "minima", marker: { symbol: "star", size: 15, color: "#F0E442", line: { color: "#333", width: 1 } },
                  hovertemplate: "minimum (%{x}, %{y})<extra></extra>" });
  }
  const trajs = (st.result && st.result.trajectories) || [];
  const seen = new Map();
  const valueTraces = [];
  let allPositive = true;
  trajs.forEach((t, i) => {
    const color = colorOf(t, i);
    const n = seen.get(color) || 0;
    seen.set(color, n + 1);
    const dash = DASHES[n % DASHES.length];
    const pts = t.points || [];
    traces.push({ x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), type: "scatter", mode: "lines+markers",
                  name: t.label, meta: `traj:${t.label}`, line: { color, width: 2.2, dash },
                  marker: { size: 3, color },
                  hovertemplate: `${t.label} step %{pointNumber}: (%{x:.3f}, %{y:.3f})<extra></extra>` });
    if (pts.length) {
      const last = pts[pts.length - 1];
      traces.push({ x: [last[0]], y: [last[1]], mode: "markers", type: "scatter", showlegend: false, meta: `end:${t.label}`,
                    marker: { symbol: t.diverged ? "x" : "circle", size: 9, color, line: { color: "#fff", width: 1.5 } },
                    hovertemplate: `${t.label} end${t.diverged ? " (diverged)" : ""}<extra></extra>` });
    }
    const vals = clean(t.values);
    if (vals.some((v) => v !== null && v <= 0)) allPositive = false;
    valueTraces.push({ x: vals.map((_, k) => k), y: vals, type: "scatter", mode: "lines", name: t.label, meta: t.label,
                       line: { color, width: 2, dash } });
  });
  if (st.start) {
    traces.push({ x: [st.start[0]], y: [st.start[1]], mode: "markers", type: "scatter", name: "start", meta: "start",
                  marker: { symbol: "circle-open", size: 14, color: "#111", line: { width: 2.5 } },
                  hovertemplate: "start (%{x:.3f}, %{y:.3f})<extra></extra>" });
  }
  const dom = info && info.domain;
  const layout = baseLayout({
    hovermode: "closest",
    xaxis: { title: { text: "x" }, range: dom ? dom[0] : undefined, zeroline: false },
    yaxis: { title: { text: "y" }, range: dom ? dom[1] : undefined, zeroline: false },
    legend: { y: -0.18 },
  });
  const div = $("#pg-contour");
  try {
    await draw(div, traces, layout);
    await draw($("#pg-values"), valueTraces, baseLayout({
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: "f(θ)" }, type: allPositive && valueTraces.length ? "log" : "linear" },
    }));
  } catch (err) {
    status.error(err, "drawing");
    return;
  }
  if (!div.dataset.clickBound) {
    div.dataset.clickBound = "1";
    div.on("plotly_click", (ev) => {
      const p = ev && ev.points && ev.points[0];
      if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) return;
      setStart([p.x, p.y]);
    });
  }
  $("#pg-summary").replaceChildren(...trajs.map((t, i) => {
    const pts = t.points || [];
    const last = pts[pts.length - 1] || [NaN, NaN];
    const vals = t.values || [];
    return el("div", { testid: `pg-result-${i}` },
      el("span", { class: "swatch", style: { background: colorOf(t, i) } }),
      el("strong", {}, t.label), t.diverged
        ? el("span", { class: "diverged" }, `diverged after ${Math.max(0, pts.length - 1)} steps — lower its lr`)
        : `f = ${fmt(vals[vals.length - 1])} at (${fmt(last[0], 3)}, ${fmt(last[1], 3)})`);
  }));
  paintSwatches();
  status.ok("optimizers");
}

function setStart(p) {
  st.start = [Number(short(p[0], 4)), Number(short(p[1], 4))];
  $("#pg-x").value = st.start[0];
  $("#pg-y").value = st.start[1];
  save();
  runOptimizers();
}

const runSoon = debounce(() => runOptimizers(), 250);

async function changeSurface(name, { keepStart = false } = {}) {
  st.surface = name;
  const info = surfaceInfo();
  if (!keepStart) st.start = info && info.start ? info.start.slice() : [0, 0];
  $("#pg-x").value = st.start[0];
  $("#pg-y").value = st.start[1];
  $("#pg-formula").textContent = info ? `f(x, y) = ${info.formula}` : "";
  if (await loadSurface()) await runOptimizers();
}

export async function init() {
  status = statusFor("playground");
  status.loading();
  let list;
  try {
    list = await api("/api/playground/surfaces");
  } catch (err) {
    status.error(err, "surfaces");
    return;
  }
  st.surfaces = list.surfaces || [];
  const sel = $("#pg-surface");
  sel.replaceChildren(...st.surfaces.map((s) => el("option", { value: s.name }, s.name.replaceAll("_", " "))));
  const wanted = getStr("surf", "rosenbrock");
  st.surface = st.surfaces.some((s) => s.name === wanted) ? wanted : (st.surfaces[0] && st.surfaces[0].name);
  sel.value = st.surface;
  st.steps = getNum("steps", 200, { min: 1, max: 2000, int: true });
  $("#pg-steps").value = st.steps;
  st.schedule = getStr("sched", "");
  if (![...$("#pg-schedule").options].some((o) => o.value === st.schedule)) st.schedule = "";
  $("#pg-schedule").value = st.schedule;

  // optimizers: from the URL ("adam:0.05,gd:0.001") or the surface's defaults
  const lrs = defaultLrs(st.surface);
  for (const p of PRESETS) st.opts[p.key] = { on: false, lr: lrs[p.key] };
  const raw = getStr("opt", null);
  if (raw === null) {
    for (const k of DEFAULT_ON) st.opts[k].on = true;
  } else {
    let n = 0;
    for (const part of raw.split(",")) {
      const [k, v] = part.split(":");
      if (st.opts[k] && n < MAX_OPT) {
        st.opts[k].on = true;
        n += 1;
        const lr = Number(v);
        if (Number.isFinite(lr) && lr >= 0) st.opts[k].lr = lr;
      }
    }
  }
  buildOptTable();

  const startRaw = getStr("start", "");
  const sp = startRaw.split("_").map(Number);
  const haveStart = sp.length === 2 && sp.every(Number.isFinite);
  if (haveStart) st.start = sp;

  sel.addEventListener("change", () => {
    const lrs2 = defaultLrs(sel.value);
    for (const p of PRESETS) st.opts[p.key].lr = lrs2[p.key];
    st.surface = sel.value;
    buildOptTable();
    changeSurface(sel.value).then(save);
    save();
  });
  const startInput = () => {
    const x = Number($("#pg-x").value), y = Number($("#pg-y").value);
    if (Number.isFinite(x) && Number.isFinite(y) && $("#pg-x").value !== "" && $("#pg-y").value !== "") {
      st.start = [x, y];
      save();
      runSoon();
    }
  };
  $("#pg-x").addEventListener("change", startInput);
  $("#pg-y").addEventListener("change", startInput);
  $("#pg-steps").addEventListener("change", () => {
    const v = Math.round(Number($("#pg-steps").value));
    if (!(v >= 1 && v <= 2000)) { $("#pg-steps").classList.add("invalid"); return; }
    $("#pg-steps").classList.remove("invalid");
    st.steps = v;
    save();
    runSoon();
  });
  $("#pg-schedule").addEventListener("change", () => {
    st.schedule = $("#pg-schedule").value;
    save();
    runSoon();
  });
  $("#pg-run").addEventListener("click", () => runSoon.flush());
  await changeSurface(st.surface, { keepStart: haveStart });
  save();
}
