// Backpropagation explainer: the seed's 2-2-1 network with editable numbers; the server's trace
// (losslab.explain) stepped through one chain-rule step at a time, drawn on the network.
import { Latest } from "./api.js";
import { getNum, getStr, setState, short } from "./state.js";
import { $, debounce, el, fmt, statusFor } from "./ui.js";

// the seed's worked example: x = [1, 0], y = 1, η = 0.1 and its weights and biases
const FIELDS = [
  { key: "x1", group: "Input and target", def: 1 }, { key: "x2", def: 0 }, { key: "y", def: 1 },
  { key: "η", def: 0.1, label: "η (learning rate)" },
  { key: "w11", group: "Hidden neuron 1 (a1)", def: 0.2 }, { key: "w21", def: 0.4 }, { key: "b1", def: 0.1 },
  { key: "w12", group: "Hidden neuron 2 (a2)", def: 0.3 }, { key: "w22", def: 0.1 }, { key: "b2", def: 0.2 },
  { key: "w13", group: "Output neuron (ŷ)", def: 0.7 }, { key: "w23", def: 0.5 }, { key: "b3", def: 0.3 },
];
const SEED = FIELDS.map((f) => f.def);
const req = new Latest();
const st = { values: SEED.slice(), trace: null, steps: [], index: 0, byName: new Map() };
let status;

function v(key) { return st.values[FIELDS.findIndex((f) => f.key === key)]; }

function body() {
  return {
    weights: [[[v("w11"), v("w21")], [v("w12"), v("w22")]], [[v("w13"), v("w23")]]],
    biases: [[v("b1"), v("b2")], [v("b3")]],
    x: [v("x1"), v("x2")],
    y: [v("y")],
    lr: v("η"),
  };
}

function save() {
  setState({ bp: st.values.map((x) => short(x, 6)).join("_"), bps: st.index },
           { bp: SEED.map((x) => short(x, 6)).join("_"), bps: 0 });
}

function buildInputs() {
  const box = $("#bp-inputs");
  const nodes = [];
  FIELDS.forEach((f, i) => {
    if (f.group) nodes.push(el("div", { class: "group" }, f.group));
    const input = el("input", { type: "number", step: "any", value: st.values[i], testid: `bp-input-${f.key}`,
                                "aria-label": f.label || f.key });
    input.addEventListener("input", () => {
      const x = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(x)) { input.classList.add("invalid"); return; }
      input.classList.remove("invalid");
      st.values[i] = x;
      save();
      refreshSoon();
    });
    nodes.push(el("label", {}, f.label || f.key, input));
  });
  box.replaceChildren(...nodes);
}

async function refresh() {
  status.loading();
  let data;
  try {
    data = await req.run("/api/backprop", { body: body() });
  } catch (err) {
    status.error(err, "backprop trace");
    return;
  }
  st.trace = data.trace || data;
  const all = st.trace.steps || [];
  st.steps = all.filter((s) => s.kind !== "input");
  st.byName = new Map(all.map((s, i) => [s.name, { step: s, order: s.kind === "input" ? -1 : st.steps.indexOf(s) }]));
  st.index = Math.min(st.index, Math.max(0, st.steps.length - 1));
  const slider = $("#bp-slider");
  slider.max = String(Math.max(0, st.steps.length - 1));
  renderList();
  go(st.index);
  status.ok("backprop trace");
}
const refreshSoon = debounce(refresh, 250);

function renderList() {
  $("#bp-steps").replaceChildren(...st.steps.map((s, i) => el("li", { testid: `bp-step-${i}`, onclick: () => go(i) },
    el("span", { class: "idx" }, String(i + 1)), el("span", { class: `kind ${s.kind}` }, s.kind), el("span", {}, s.formula))));
}

function go(i) {
  if (!st.steps.length) return;
  st.index = Math.max(0, Math.min(st.steps.length - 1, i));
  const s = st.steps[st.index];
  $("#bp-slider").value = String(st.index);
  $("#bp-pos").textContent = `step ${st.index + 1} of ${st.steps.length}`;
  $("#bp-prev").disabled = st.index === 0;
  $("#bp-first").disabled = st.index === 0;
  $("#bp-next").disabled = st.index === st.steps.length - 1;
  $("#bp-last").disabled = st.index === st.steps.length - 1;
  const phase = { forward: "Forward pass", loss: "Loss", delta: "Backward pass: chain rule", grad: "Backward pass: gradient",
                  backward: "Backward pass", update: "Gradient-descent update" }[s.kind] || s.kind;
  $("#bp-current").replaceChildren(
    el("div", {}, el("span", { class: `kind ${s.kind}` }, s.kind), el("strong", {}, phase)),
    el("div", { class: "formula-line", testid: "bp-formula" }, s.formula),
    el("div", { class: "note" }, "value: ", el("b", { testid: "bp-value" }, fmt(s.value, 6)),
       s.note ? ` — ${s.note}` : "",
       s.deps && s.deps.length ? ` (uses ${s.deps.join(", ")})` : ""));
  $$("#bp-steps li").forEach((li, k) => {
    li.classList.toggle("current", k === st.index);
    li.classList.toggle("future", k > st.index);
  });
  const cur = document.querySelector(`[data-testid="bp-step-${st.index}"]`);
  const list = $("#bp-steps");
  if (cur) {
    // scroll the list only (scrollIntoView would move the whole page)
    const top = cur.offsetTop - list.offsetTop;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + cur.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = top + cur.offsetHeight - list.clientHeight;
  }
  drawDiagram();
  save();
}

function $$(sel) { return Array.from(document.querySelectorAll(sel)); }

/** The value of a named step if it has been reached, else null. */
function known(name) {
  const e = st.byName.get(name);
  if (!e) return null;
  if (e.order === -1 || e.order <= st.index) return e.step.value;
  return null;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, text) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, val] of Object.entries(attrs)) if (val !== null && val !== undefined) n.setAttribute(k, val);
  if (text !== undefined) n.textContent = text;
  return n;
}

function drawDiagram() {
  const W = 640, H = 330;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "the 2-2-1 network with its current values" });
  const cur = st.steps[st.index];
  const curNeuron = cur ? cur.neuron : null;
  const curName = cur ? cur.name : "";
  const pos = { x1: [70, 95], x2: [70, 235], 1: [300, 95], 2: [300, 235], 3: [500, 165] };
  const edges = [["x1", 1, "w11"], ["x2", 1, "w21"], ["x1", 2, "w12"], ["x2", 2, "w22"], [1, 3, "w13"], [2, 3, "w23"]];
  for (const [a, b, w] of edges) {
    const [x0, y0] = pos[a], [x1, y1] = pos[b];
    const isCur = curName.includes(w);
    svg.append(s("line", { x1: x0 + 30, y1: y0, x2: x1 - 30, y2: y1, class: isCur ? "current" : "" }));
    const t = y0 === y1 ? 0.5 : 0.27; // crossing edges: label near the source so the labels do not collide
    const mx = x0 + 30 + (x1 - x0 - 60) * t, my = y0 + (y1 - y0) * t + (y0 === y1 ? -8 : (y1 > y0 ? -12 : 18));
    const g = known(`dL/d${w}`);
    const nw = known(`${w}'`);
    const label = s("text", { x: mx, y: my, "text-anchor": "middle", "data-testid": `bp-edge-${w}` });
    label.append(s("tspan", {}, `${w}=${fmt(known(w) ?? st.values[FIELDS.findIndex((f) => f.key === w)])}`));
    if (g !== null) label.append(s("tspan", { class: "grad", x: mx, dy: "14" }, `∂L/∂${w}=${fmt(g)}`));
    if (nw !== null) label.append(s("tspan", { class: "dim", x: mx, dy: "14" }, `→ ${fmt(nw)}`));
    svg.append(label);
  }
  // inputs
  for (const k of ["x1", "x2"]) {
    const [x, y] = pos[k];
    const g = s("g", { class: "node on" });
    g.append(s("circle", { cx: x, cy: y, r: 28 }), s("text", { x, y: y - 2, "text-anchor": "middle", class: "name" }, k),
             s("text", { x, y: y + 14, "text-anchor": "middle" }, fmt(known(k) ?? v(k))));
    svg.append(g);
  }
  // neurons
  for (const j of [1, 2, 3]) {
    const [x, y] = pos[j];
    const aName = j === 3 ? "ŷ" : `a${j}`;
    const z = known(`z${j}`), a = known(aName), d = known(`δ${j}`), b = known(`b${j}`);
    const g = s("g", { class: `node${z !== null ? " on" : ""}${curNeuron === j ? " current" : ""}`, "data-testid": `bp-node-${j}` });
    g.append(s("circle", { cx: x, cy: y, r: 30 }), s("text", { x, y: y + 5, "text-anchor": "middle", class: "name" }, aName));
    const lines = [`z${j} = ${z === null ? "?" : fmt(z)}`, `${aName} = ${a === null ? "?" : fmt(a)}`];
    const tx = s("text", { x, y: y - 62, "text-anchor": "middle" });
    tx.append(s("tspan", { x, dy: 0, class: "dim" }, `b${j}=${fmt(b ?? v(`b${j}`))}`));
    lines.forEach((ln) => tx.append(s("tspan", { x, dy: 14 }, ln)));
    svg.append(g, tx);
    if (d !== null) svg.append(s("text", { x, y: y + 48, "text-anchor": "middle", class: "grad" }, `δ${j} = ${fmt(d)}`));
  }
  // loss
  const L = known("L");
  const lg = s("g", { class: `node${L !== null ? " on" : ""}${cur && cur.kind === "loss" ? " current" : ""}` });
  lg.append(s("circle", { cx: 595, cy: 165, r: 30 }), s("text", { x: 595, y: 161, "text-anchor": "middle", class: "name" }, "L"),
            s("text", { x: 595, y: 177, "text-anchor": "middle" }, L === null ? "?" : fmt(L)));
  svg.append(s("line", { x1: 530, y1: 165, x2: 565, y2: 165 }), lg);
  svg.append(s("text", { x: 595, y: 215, "text-anchor": "middle", class: "dim" }, `y = ${fmt(v("y"))}`));
  $("#bp-diagram").replaceChildren(svg);
}

export async function init() {
  status = statusFor("backprop");
  const raw = getStr("bp", "");
  const parts = raw ? raw.split("_").map(Number) : [];
  if (parts.length === SEED.length && parts.every(Number.isFinite)) st.values = parts;
  st.index = getNum("bps", 0, { min: 0, max: 500, int: true });
  buildInputs();
  $("#bp-prev").addEventListener("click", () => go(st.index - 1));
  $("#bp-next").addEventListener("click", () => go(st.index + 1));
  $("#bp-first").addEventListener("click", () => go(0));
  $("#bp-last").addEventListener("click", () => go(st.steps.length - 1));
  $("#bp-slider").addEventListener("input", () => go(Number($("#bp-slider").value)));
  $("#bp-seed").addEventListener("click", () => {
    st.values = SEED.slice();
    buildInputs();
    save();
    refresh();
  });
  document.getElementById("backprop").addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" && ev.target.type !== "range") return;
    if (ev.key === "ArrowRight") { ev.preventDefault(); go(st.index + 1); }
    if (ev.key === "ArrowLeft") { ev.preventDefault(); go(st.index - 1); }
  });
  await refresh();
}
