// Regression: loss and gradient against the error for MSE, MAE, Huber (δ), log-cosh and the
// quantile loss (τ), kinks marked; and the editable "sample predictions & losses" table.
import { Latest } from "./api.js";
import { getList, getNum, getStr, setState, short } from "./state.js";
import { $, baseLayout, clean, colorOf, debounce, draw, el, fmt, interp, statusFor } from "./ui.js";

export const LOSSES = [
  { name: "mse_loss", label: "MSE" },
  { name: "l1_loss", label: "MAE" },
  { name: "huber_loss", label: "Huber" },
  { name: "log_cosh_loss", label: "log-cosh" },
  { name: "quantile_loss", label: "quantile" },
];
const ALL = LOSSES.map((l) => l.name);
// the seed's kind of example: small errors, then one outlier that dominates the MSE cost
export const DEFAULT_ROWS = [[2.5, 3.0], [0.0, -0.5], [2.1, 2.0], [7.8, 7.0], [3.0, 10.0]];
const MAX_ROWS = 200;
const DEFAULTS = { delta: 1, tau: 0.5, rrange: 3, rl: ALL, rows: encodeRows(DEFAULT_ROWS) };

const st = {
  visible: ALL.slice(),
  delta: 1,
  tau: 0.5,
  range: 3,
  rows: DEFAULT_ROWS.map((r) => r.slice()),
  colors: {},   // name -> colour from the API
  labels: {},   // name -> label from the API
  columns: [],  // names shown in the sample table (last rendered)
};
const curvesReq = new Latest();
const samplesReq = new Latest();
let status;

function encodeRows(rows) {
  return rows.map(([p, t]) => `${short(p)}_${short(t)}`).join("~");
}

function decodeRows(s) {
  if (!s) return [];
  const rows = [];
  for (const part of s.split("~").slice(0, MAX_ROWS)) {
    const [p, t] = part.split("_").map(Number);
    if (Number.isFinite(p) && Number.isFinite(t)) rows.push([p, t]);
  }
  return rows;
}

function labelOf(name) {
  const base = LOSSES.find((l) => l.name === name)?.label || name;
  if (name === "huber_loss") return `${base} (δ = ${short(st.delta, 3)})`;
  if (name === "quantile_loss") return `${base} (τ = ${short(st.tau, 3)})`;
  return base;
}

function params() {
  return { huber_loss: { delta: st.delta }, quantile_loss: { tau: st.tau } };
}

function saveState() {
  setState({ delta: st.delta, tau: st.tau, rrange: st.range, rl: st.visible, rows: encodeRows(st.rows) }, DEFAULTS);
}

// ------------------------------------------------------------------ curves
async function refreshCurves() {
  status.loading();
  const names = st.visible.length ? st.visible : [];
  const lossDiv = $("#reg-loss-plot");
  const gradDiv = $("#reg-grad-plot");
  let data = { x: [], curves: [] };
  try {
    if (names.length) {
      data = await curvesReq.run("/api/curves/regression", {
        body: { losses: names, params: params(), range: [-st.range, st.range], points: 201 },
      });
    }
  } catch (err) {
    status.error(err, "loss curves");
    return;
  }
  const x = clean(data.x);
  const lossTraces = [];
  const gradTraces = [];
  const shapes = [];
  data.curves.forEach((c, i) => {
    const color = colorOf(c, i);
    st.colors[c.name] = color;
    st.labels[c.name] = LOSSES.find((l) => l.name === c.name)?.label || c.label || c.name;
    const label = labelOf(c.name);
    const loss = clean(c.loss);
    const grad = clean(c.grad);
    lossTraces.push({ x, y: loss, name: label, meta: c.name, type: "scatter", mode: "lines",
                      line: { color, width: 2.4 }, hovertemplate: "%{y:.4g}" });
    gradTraces.push({ x, y: grad, name: label, meta: c.name, type: "scatter", mode: "lines",
                      line: { color, width: 2.4 }, hovertemplate: "%{y:.4g}" });
    const kinks = (c.kinks || []).filter((k) => Number.isFinite(k));
    if (kinks.length) {
      lossTraces.push({ x: kinks, y: kinks.map((k) => interp(x, loss, k)), name: `${label} kinks`,
                        meta: `${c.name}:kinks`, mode: "markers", type: "scatter", showlegend: false,
                        marker: { symbol: "diamond", size: 11, color, line: { color: "#fff", width: 1.5 } },
                        hovertemplate: `${label}: kink at e = %{x:.3g}<extra></extra>` });
      for (const k of kinks) {
        shapes.push({ type: "line", xref: "x", yref: "paper", x0: k, x1: k, y0: 0, y1: 1,
                      line: { color, width: 1.2, dash: "dot" } });
      }
    }
  });
  try {
    await draw(lossDiv, lossTraces, baseLayout({ xaxis: { title: { text: "error e = prediction − target" } },
                                                 yaxis: { title: { text: "loss" } } }));
    await draw(gradDiv, gradTraces, baseLayout({ xaxis: { title: { text: "error e = prediction − target" } },
                                                 yaxis: { title: { text: "∂loss/∂prediction" } }, shapes }));
  } catch (err) {
    status.error(err, "loss curves");
    return;
  }
  status.ok("loss curves");
}

// ------------------------------------------------------------------ samples table
function columnsNow() {
  return st.visible.length ? st.visible.slice() : ALL.slice();
}

function buildTable() {
  const table = $("[data-testid=samples-table]");
  const cols = columnsNow();
  st.columns = cols;
  const head = el("tr", {},
    el("th", { class: "num" }, "#"),
    el("th", {}, "prediction ŷ"),
    el("th", {}, "target y"),
    el("th", { class: "num" }, "error ŷ − y"),
    cols.map((n) => el("th", { class: "num", testid: `col-${n}` },
      el("span", { class: "swatch", style: { background: st.colors[n] || "#888" } }),
      st.labels[n] || LOSSES.find((l) => l.name === n)?.label || n)),
    el("th", {}, el("span", { class: "sr-only" }, "")));
  table.tHead.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren(...st.rows.map((row, i) => el("tr", { testid: `sample-row-${i}` },
    el("td", { class: "num" }, String(i + 1)),
    el("td", {}, el("input", { type: "number", step: "any", value: row[0], testid: `pred-input-${i}`,
                               "aria-label": `prediction ${i + 1}`, oninput: (ev) => onEdit(ev, i, 0) })),
    el("td", {}, el("input", { type: "number", step: "any", value: row[1], testid: `target-input-${i}`,
                               "aria-label": `target ${i + 1}`, oninput: (ev) => onEdit(ev, i, 1) })),
    el("td", { class: "num", testid: `error-cell-${i}` }, fmt(row[0] - row[1])),
    cols.map((n) => el("td", { class: "num loss", testid: `loss-${i}-${n}` }, "…")),
    el("td", {}, el("button", { type: "button", class: "icon", title: "remove this sample", testid: `remove-row-${i}`,
                                "aria-label": `remove sample ${i + 1}`, disabled: st.rows.length <= 1,
                                onclick: () => removeRow(i) }, "×")))));
  table.tFoot.replaceChildren(el("tr", {},
    el("td", {}, ""), el("td", { colspan: 3 }, "cost = mean over samples"),
    cols.map((n) => el("td", { class: "num", testid: `cost-${n}` }, "…")),
    el("td", {}, "")));
  $("#add-row").disabled = st.rows.length >= MAX_ROWS;
}

function onEdit(ev, i, j) {
  const input = ev.target;
  const v = input.value.trim() === "" ? NaN : Number(input.value);
  if (!Number.isFinite(v)) {
    input.classList.add("invalid");
    return;
  }
  input.classList.remove("invalid");
  st.rows[i][j] = v;
  const errCell = document.querySelector(`[data-testid=error-cell-${i}]`);
  if (errCell) errCell.textContent = fmt(st.rows[i][0] - st.rows[i][1]);
  saveState();
  refreshSamplesSoon();
}

function removeRow(i) {
  if (st.rows.length <= 1) return;
  st.rows.splice(i, 1);
  saveState();
  buildTable();
  refreshSamples();
}

function addRow() {
  if (st.rows.length >= MAX_ROWS) return;
  const last = st.rows[st.rows.length - 1] || [0, 0];
  st.rows.push([last[1], last[1]]);
  saveState();
  buildTable();
  refreshSamples();
  const input = document.querySelector(`[data-testid=pred-input-${st.rows.length - 1}]`);
  if (input) input.focus();
}

async function refreshSamples() {
  const cols = columnsNow();
  if (cols.join() !== st.columns.join()) buildTable();
  const table = $("[data-testid=samples-table]");
  table.dataset.state = "loading";
  let data;
  try {
    data = await samplesReq.run("/api/samples", {
      body: { predictions: st.rows.map((r) => r[0]), targets: st.rows.map((r) => r[1]), losses: cols, params: params() },
    });
  } catch (err) {
    if (err.kind !== "aborted") table.dataset.state = "error";
    status.error(err, "sample losses");
    return;
  }
  for (const c of data.columns || []) {
    st.colors[c.name] = c.color || st.colors[c.name];
    st.labels[c.name] = st.labels[c.name] || LOSSES.find((l) => l.name === c.name)?.label || c.label;
  }
  // totals per column for the share bars
  const totals = {};
  for (const n of cols) totals[n] = data.rows.reduce((s, r) => s + Math.abs(Number(r.losses[n]) || 0), 0);
  data.rows.forEach((r, i) => {
    const err = document.querySelector(`[data-testid=error-cell-${i}]`);
    if (err && Number.isFinite(r.error)) err.textContent = fmt(r.error);
    for (const n of cols) {
      const cell = document.querySelector(`[data-testid="loss-${i}-${n}"]`);
      if (!cell) continue;
      const v = r.losses[n];
      const share = totals[n] > 0 ? Math.abs(Number(v) || 0) / totals[n] : 0;
      cell.replaceChildren(fmt(v), el("span", { class: "bar", style: { width: `${Math.round(share * 100)}%`,
                                                 background: st.colors[n] || "#888" } }));
      cell.title = `${st.labels[n] || n}: ${v} (${Math.round(share * 100)}% of the column's total)`;
    }
  });
  for (const n of cols) {
    const cell = document.querySelector(`[data-testid="cost-${n}"]`);
    if (cell) cell.textContent = fmt(data.cost[n]);
  }
  // header swatches may have learnt their colour only now
  for (const n of cols) {
    const sw = document.querySelector(`[data-testid="col-${n}"] .swatch`);
    if (sw) sw.style.background = st.colors[n] || "#888";
  }
  table.dataset.state = "ready";
  table.dataset.renders = String(Number(table.dataset.renders || 0) + 1);
  status.clear("sample losses");
}
const refreshSamplesSoon = debounce(refreshSamples, 250);

// ------------------------------------------------------------------ controls
function buildToggles() {
  const box = $("[data-testid=reg-loss-toggles]");
  box.querySelectorAll("label").forEach((n) => n.remove());
  for (const l of LOSSES) {
    const input = el("input", { type: "checkbox", value: l.name, testid: `toggle-${l.name}`,
                                checked: st.visible.includes(l.name) });
    input.addEventListener("change", () => {
      st.visible = ALL.filter((n) => box.querySelector(`input[value="${n}"]`).checked);
      saveState();
      refreshCurves();
      refreshSamples();
    });
    box.append(el("label", { class: "chip" }, input,
      el("span", { class: "swatch", dataset: { loss: l.name }, style: { background: st.colors[l.name] || "#999" } }), l.label));
  }
}

function paintToggleSwatches() {
  for (const sw of document.querySelectorAll("[data-testid=reg-loss-toggles] .swatch")) {
    if (st.colors[sw.dataset.loss]) sw.style.background = st.colors[sw.dataset.loss];
  }
}

export async function init() {
  status = statusFor("regression");
  st.delta = getNum("delta", 1, { min: 0.1, max: 3 });
  st.tau = getNum("tau", 0.5, { min: 0.05, max: 0.95 });
  st.range = getNum("rrange", 3, { min: 0.5, max: 100 });
  st.visible = getList("rl", ALL).filter((n) => ALL.includes(n));
  const rows = decodeRows(getStr("rows", ""));
  st.rows = rows.length ? rows : DEFAULT_ROWS.map((r) => r.slice());

  const delta = $("#delta"), tau = $("#tau"), range = $("#reg-range");
  delta.value = st.delta; $("#delta-out").textContent = short(st.delta, 3);
  tau.value = st.tau; $("#tau-out").textContent = short(st.tau, 3);
  if (![...range.options].some((o) => Number(o.value) === st.range)) {
    range.append(el("option", { value: st.range }, short(st.range, 4)));
  }
  range.value = String(st.range);

  const curvesSoon = debounce(refreshCurves, 60);
  delta.addEventListener("input", () => {
    st.delta = Number(delta.value);
    $("#delta-out").textContent = short(st.delta, 3);
    saveState();
    curvesSoon();
    refreshSamplesSoon();
  });
  tau.addEventListener("input", () => {
    st.tau = Number(tau.value);
    $("#tau-out").textContent = short(st.tau, 3);
    saveState();
    curvesSoon();
    refreshSamplesSoon();
  });
  range.addEventListener("change", () => {
    st.range = Number(range.value);
    saveState();
    refreshCurves();
  });
  $("#add-row").addEventListener("click", addRow);
  $("#reset-rows").addEventListener("click", () => {
    st.rows = DEFAULT_ROWS.map((r) => r.slice());
    saveState();
    buildTable();
    refreshSamples();
  });

  buildToggles();
  buildTable();
  await Promise.all([refreshCurves(), refreshSamples()]);
  paintToggleSwatches();
  buildTableHeaderColours();
}

function buildTableHeaderColours() {
  for (const n of st.columns) {
    const sw = document.querySelector(`[data-testid="col-${n}"] .swatch`);
    if (sw && st.colors[n]) sw.style.background = st.colors[n];
  }
}
