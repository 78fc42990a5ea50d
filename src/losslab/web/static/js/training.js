// Live training: a server-side session trains a small network in a worker thread; the page
// drives it (start / pause / step / reset) and follows it through server-sent events.
import { api } from "./api.js";
import { getNum, getStr, setState } from "./state.js";
import { $, baseLayout, clean, debounce, draw, el, fmt, statusFor } from "./ui.js";

const DEFAULTS = { ds: "moons", noise: 0.2, hidden: "16,16", act: "tanh", tloss: "cross_entropy",
                   topt: "adam", tlr: 0.01, batch: "full", epochs: 300 };
const FIELDS = { ds: "#tr-dataset", noise: "#tr-noise", hidden: "#tr-hidden", act: "#tr-activation",
                 tloss: "#tr-loss", topt: "#tr-optimizer", tlr: "#tr-lr", batch: "#tr-batch",
                 epochs: "#tr-epochs" };
const CLASS_COLORS = ["#D55E00", "#0072B2"];

const st = { id: null, state: null, es: null, creating: null, pending: null, frame: 0, reconnects: 0 };
let status;

function config() {
  const hidden = $("#tr-hidden").value.split(/[,\s]+/).filter(Boolean).map(Number);
  const batch = $("#tr-batch").value;
  return {
    dataset: $("#tr-dataset").value,
    n: 200,
    noise: Number($("#tr-noise").value),
    hidden,
    activation: $("#tr-activation").value,
    loss: $("#tr-loss").value,
    optimizer: $("#tr-optimizer").value,
    lr: Number($("#tr-lr").value),
    batch_size: batch === "full" ? "full" : Number(batch),
    seed: 0,
    resolution: 50,
    epochs: Math.round(Number($("#tr-epochs").value)),
  };
}

function validate(cfg) {
  if (!cfg.hidden.length || !cfg.hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 64) || cfg.hidden.length > 3) {
    return "hidden: 1 to 3 layer widths between 1 and 64, e.g. 16,16";
  }
  if (!(Number.isFinite(cfg.noise) && cfg.noise >= 0)) return "noise: a number ≥ 0";
  if (!(Number.isFinite(cfg.lr) && cfg.lr > 0)) return "lr: a number > 0";
  if (!(cfg.epochs >= 1 && cfg.epochs <= 2000)) return "epochs: 1 to 2000";
  return null;
}

function saveConfig() {
  const entries = {};
  for (const [k, sel] of Object.entries(FIELDS)) entries[k] = $(sel).value;
  setState(entries, Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, String(v)])));
}

function setButtons() {
  const s = st.state ? st.state.status : "idle";
  const running = s === "running";
  $("#tr-start").disabled = running || !st.id || s === "done";
  $("#tr-pause").disabled = !running;
  $("#tr-step").disabled = running || !st.id || s === "done";
  $("#tr-reset").disabled = !st.id;
  $("#training").dataset.status = s;
}

// ------------------------------------------------------------------ session lifecycle
async function createSession() {
  const cfg = config();
  const problem = validate(cfg);
  if (problem) {
    status.error(new Error(problem), "settings");
    return null;
  }
  status.clear("settings");
  closeStream();
  const old = st.id;
  st.id = null;
  st.state = null;
  setButtons();
  if (old) api(`/api/train/sessions/${old}`, { method: "DELETE", timeout: 5000 }).catch(() => {});
  status.loading();
  try {
    const data = await api("/api/train/sessions", { body: cfg });
    st.id = data.id;
    apply(data.state);
    status.clear("session");
    return st.id;
  } catch (err) {
    status.error(err, "session");
    setButtons();
    return null;
  }
}

async function ensureSession() {
  if (st.id) return st.id;
  if (!st.creating) st.creating = createSession().finally(() => { st.creating = null; });
  return st.creating;
}

/** POST an action; a 404 (the session was evicted) recreates the session once and retries. */
async function action(name) {
  let id = await ensureSession();
  if (!id) return null;
  try {
    const data = await api(`/api/train/sessions/${id}/${name}`, { method: "POST", body: {}, timeout: 30000 });
    status.clear("training");
    return data;
  } catch (err) {
    if (err.status === 404) {
      st.id = null;
      id = await ensureSession();
      if (!id) return null;
      try {
        return await api(`/api/train/sessions/${id}/${name}`, { method: "POST", body: {}, timeout: 30000 });
      } catch (err2) {
        status.error(err2, "training");
        return null;
      }
    }
    status.error(err, "training");
    return null;
  }
}

function openStream() {
  closeStream();
  if (!st.id) return;
  const es = new EventSource(`/api/train/sessions/${st.id}/events`);
  st.es = es;
  const onState = (ev) => {
    st.reconnects = 0;
    let s;
    try { s = JSON.parse(ev.data); } catch { return; }
    apply(s.state || s);
    if (st.state && st.state.status !== "running") closeStream();
  };
  // the server names its events "state" (and "deleted" when the session goes); plain messages too
  es.addEventListener("state", onState);
  es.onmessage = onState;
  es.addEventListener("deleted", () => {
    closeStream();
    if (st.state) apply({ ...st.state, status: "idle" });
  });
  es.onerror = () => {
    if (st.es !== es) return;
    closeStream();
    // the server ends the stream when training pauses or finishes; only a running session needs it back
    if (st.state && st.state.status === "running") {
      if (st.reconnects < 3) {
        st.reconnects += 1;
        setTimeout(() => { if (!st.es && st.state && st.state.status === "running") openStream(); }, 400 * st.reconnects);
      } else {
        status.error(new Error("Lost the live stream from the server. Pause and start again, or reload."), "live stream");
      }
    }
  };
}

function closeStream() {
  if (st.es) {
    st.es.close();
    st.es = null;
  }
}

// ------------------------------------------------------------------ rendering
function apply(state) {
  if (!state) return;
  st.state = state;
  setButtons();
  if (!st.frame) {
    st.frame = requestAnimationFrame(() => {
      st.frame = 0;
      render(st.state);
    });
  }
}

async function render(s) {
  const hist = clean(s.loss_history || []);
  const last = hist.length ? hist[hist.length - 1] : null;
  $("#tr-stats").replaceChildren(
    el("span", { testid: "tr-status" }, s.status || ""), " · epoch ",
    el("b", { testid: "tr-epoch" }, String(s.epoch ?? 0)), " · loss ",
    el("b", { testid: "tr-loss-value" }, last === null ? "—" : fmt(last)), " · accuracy ",
    el("b", { testid: "tr-accuracy" }, s.accuracy === null || s.accuracy === undefined ? "—" : `${(100 * s.accuracy).toFixed(1)}%`),
    s.val_accuracy === null || s.val_accuracy === undefined ? "" : ` · held-out ${(100 * s.val_accuracy).toFixed(1)}%`,
    s.diverged ? el("span", { class: "no" }, " · diverged — lower the learning rate") : "",
    s.message ? el("span", { class: "hint" }, ` · ${s.message}`) : "");
  const traces = [];
  const b = s.boundary;
  if (b && b.p) {
    traces.push({ type: "contour", x: clean(b.x), y: clean(b.y), z: b.p.map((r) => clean(r)), zmin: 0, zmax: 1,
                  meta: "boundary", name: "P(class 1)", showscale: false, opacity: 0.75,
                  colorscale: [[0, "#f7c8a8"], [0.5, "#f7f7f7"], [1, "#a9cdea"]],
                  contours: { start: 0, end: 1, size: 0.1, coloring: "heatmap", showlines: false }, line: { width: 0 },
                  hovertemplate: "P(class 1) = %{z:.2f}<extra></extra>" });
    traces.push({ type: "contour", x: clean(b.x), y: clean(b.y), z: b.p.map((r) => clean(r)), meta: "boundary-line",
                  showscale: false, hoverinfo: "skip", contours: { start: 0.5, end: 0.5, size: 1, coloring: "none" },
                  line: { color: "#222", width: 2 }, showlegend: false });
  }
  const pts = s.points;
  if (pts && pts.x) {
    for (const cls of [0, 1]) {
      const idx = pts.y.map((v, i) => (Number(v) === cls ? i : -1)).filter((i) => i >= 0);
      traces.push({ type: "scatter", mode: "markers", name: `class ${cls}`, meta: `class${cls}`,
                    x: idx.map((i) => pts.x[i][0]), y: idx.map((i) => pts.x[i][1]),
                    marker: { color: CLASS_COLORS[cls], size: 6, line: { color: "#fff", width: 0.8 } },
                    hovertemplate: `class ${cls}<extra></extra>` });
    }
  }
  try {
    await draw($("#tr-boundary"), traces, baseLayout({ hovermode: "closest", xaxis: { zeroline: false },
                                                       yaxis: { zeroline: false, scaleanchor: "x" } }));
    await draw($("#tr-loss-plot"), [{ x: hist.map((_, i) => i + 1), y: hist, type: "scatter", mode: "lines", name: "loss",
                                      meta: "loss", line: { color: "#0072B2", width: 2 } }],
               baseLayout({ xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: "training loss" } }, showlegend: false }));
  } catch (err) {
    status.error(err, "drawing");
    return;
  }
  status.ok("drawing");
}

// ------------------------------------------------------------------ wiring
export async function init() {
  status = statusFor("training");
  for (const [k, sel] of Object.entries(FIELDS)) {
    const node = $(sel);
    const v = getStr(k, String(DEFAULTS[k]));
    if (node.tagName === "SELECT") {
      if (![...node.options].some((o) => o.value === v)) node.append(el("option", { value: v }, v));
      node.value = v;
    } else {
      node.value = v;
    }
  }
  const recreate = debounce(async () => {
    saveConfig();
    await createSession();
  }, 300);
  for (const sel of Object.values(FIELDS)) $(sel).addEventListener("change", recreate);

  $("#tr-start").addEventListener("click", async () => {
    const data = await action("start");
    if (!data) return;
    apply(data.state);
    if (st.state.status === "running") openStream();
  });
  $("#tr-pause").addEventListener("click", async () => {
    const data = await action("pause");
    if (data) apply(data.state);
  });
  $("#tr-step").addEventListener("click", async () => {
    const data = await action("step");
    if (data) apply(data.state);
  });
  $("#tr-reset").addEventListener("click", async () => {
    closeStream();
    const data = await action("reset");
    if (data) apply(data.state);
  });
  window.addEventListener("pagehide", () => {
    closeStream();
    if (st.id) fetch(`/api/train/sessions/${st.id}`, { method: "DELETE", keepalive: true }).catch(() => {});
  });
  setButtons();
  saveConfig();
  await createSession();
}
