// Classification: BCE against the predicted probability (y = 1 and y = 0), and the margin losses
// (hinge, logistic, focal with γ, squared hinge) against the margin m = y·s.
import { Latest } from "./api.js";
import { getBool, getNum, setState, short } from "./state.js";
import { $, baseLayout, clean, colorOf, debounce, draw, el, fmt, interp, statusFor } from "./ui.js";

const DEFAULTS = { p: 0.7, gamma: 2, mgrad: false };
const st = { p: 0.7, gamma: 2, grads: false, bce: null, margin: null };
const bceReq = new Latest();
const marginReq = new Latest();
let status;

function save() {
  setState({ p: st.p, gamma: st.gamma, mgrad: st.grads }, DEFAULTS);
}

async function loadBce() {
  try {
    st.bce = await bceReq.run("/api/curves/classification", { body: { kind: "probability" } });
  } catch (err) {
    status.error(err, "cross-entropy curve");
    return;
  }
  await drawBce();
}

async function drawBce() {
  if (!st.bce) return;
  const x = clean(st.bce.x);
  const traces = [];
  const readout = [];
  st.bce.curves.forEach((c, i) => {
    const color = colorOf(c, i);
    const y = clean(c.loss);
    traces.push({ x, y, name: c.label || c.name, meta: c.name, mode: "lines", type: "scatter",
                  line: { color, width: 2.4 }, hovertemplate: "%{y:.4g}" });
    const at = interp(x, y, st.p);
    traces.push({ x: [st.p], y: [at], mode: "markers", type: "scatter", showlegend: false, meta: `${c.name}:at`,
                  marker: { color, size: 11, line: { color: "#fff", width: 2 } },
                  hovertemplate: `${c.label}: %{y:.4g} at p = %{x}<extra></extra>` });
    readout.push(el("div", {}, el("span", { class: "swatch", style: { background: color } }), `${c.label || c.name}: `,
                    el("b", { testid: `bce-at-${c.name}` }, fmt(at))));
  });
  $("#bce-readout").replaceChildren(...readout);
  const ymax = Math.max(5, ...traces.filter((t) => t.y.length > 1).map((t) => Math.max(...t.y.filter((v) => v !== null).map((v) => Math.min(v, 7)))));
  try {
    await draw($("#bce-plot"), traces, baseLayout({
      xaxis: { title: { text: "predicted probability p" }, range: [0, 1] },
      yaxis: { title: { text: "loss" }, range: [0, ymax] },
      shapes: [{ type: "line", xref: "x", yref: "paper", x0: st.p, x1: st.p, y0: 0, y1: 1, line: { color: "#9aa3b5", dash: "dot", width: 1 } }],
    }));
  } catch (err) {
    status.error(err, "cross-entropy curve");
    return;
  }
  status.ok("cross-entropy curve");
}

async function loadMargin() {
  let data;
  try {
    data = await marginReq.run("/api/curves/classification", {
      body: { kind: "margin", gamma: st.gamma, range: [-3, 3], points: 241 },
    });
  } catch (err) {
    status.error(err, "margin curves");
    return;
  }
  st.margin = data;
  await drawMargin();
}

async function drawMargin() {
  const data = st.margin;
  if (!data) return;
  const x = clean(data.x);
  const traces = [];
  data.curves.forEach((c, i) => {
    const color = colorOf(c, i);
    const loss = clean(c.loss);
    traces.push({ x, y: loss, name: c.label || c.name, meta: c.name, mode: "lines", type: "scatter",
                  line: { color, width: 2.4 }, hovertemplate: "%{y:.4g}" });
    if (st.grads) {
      traces.push({ x, y: clean(c.grad), name: `${c.label || c.name} (gradient)`, meta: `${c.name}:grad`, mode: "lines",
                    type: "scatter", line: { color, width: 1.6, dash: "dash" }, hovertemplate: "%{y:.4g}" });
    }
    const kinks = (c.kinks || []).filter((k) => Number.isFinite(k));
    if (kinks.length) {
      traces.push({ x: kinks, y: kinks.map((k) => interp(x, loss, k)), mode: "markers", type: "scatter",
                    showlegend: false, meta: `${c.name}:kinks`,
                    marker: { symbol: "diamond", size: 11, color, line: { color: "#fff", width: 1.5 } },
                    hovertemplate: `${c.label}: kink at m = %{x:.3g}<extra></extra>` });
    }
  });
  try {
    await draw($("#margin-plot"), traces, baseLayout({
      xaxis: { title: { text: "margin m = y·s" } },
      yaxis: { title: { text: st.grads ? "loss / gradient" : "loss" } },
    }));
  } catch (err) {
    status.error(err, "margin curves");
    return;
  }
  status.ok("margin curves");
}

export async function init() {
  status = statusFor("classification");
  st.p = getNum("p", 0.7, { min: 0.01, max: 0.99 });
  st.gamma = getNum("gamma", 2, { min: 0, max: 5 });
  st.grads = getBool("mgrad", false);
  const p = $("#p-slider"), gamma = $("#gamma"), grads = $("#margin-grad");
  p.value = st.p; $("#p-out").textContent = short(st.p, 3);
  gamma.value = st.gamma; $("#gamma-out").textContent = short(st.gamma, 3);
  grads.checked = st.grads;

  p.addEventListener("input", () => {
    st.p = Number(p.value);
    $("#p-out").textContent = short(st.p, 3);
    save();
    drawBce();
  });
  const marginSoon = debounce(loadMargin, 60);
  gamma.addEventListener("input", () => {
    st.gamma = Number(gamma.value);
    $("#gamma-out").textContent = short(st.gamma, 3);
    save();
    marginSoon();
  });
  grads.addEventListener("change", () => {
    st.grads = grads.checked;
    save();
    drawMargin();
  });
  await Promise.all([loadBce(), loadMargin()]);
}
