// Entry point: navigation between sections, lazy initialisation, URL state for the section.
import { api } from "./api.js";
import { getStr, setState } from "./state.js";
import { $, $$ } from "./ui.js";

const SECTIONS = {
  regression: () => import("./regression.js"),
  classification: () => import("./classification.js"),
  reference: () => import("./reference.js"),
  differentiable: () => import("./differentiable.js"),
  playground: () => import("./playground.js"),
  training: () => import("./training.js"),
  backprop: () => import("./backprop.js"),
};
const DEFAULT_SECTION = "regression";
const started = new Map();

function globalError(message) {
  const box = $("[data-testid=global-error]");
  box.hidden = !message;
  box.textContent = message || "";
}

async function show(name) {
  if (!(name in SECTIONS)) name = DEFAULT_SECTION;
  for (const s of $$("main > section")) s.hidden = s.id !== name;
  for (const a of $$(".tabs a")) {
    if (a.dataset.section === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  setState({ section: name }, { section: DEFAULT_SECTION });
  document.body.dataset.section = name;
  if (!started.has(name)) {
    const p = SECTIONS[name]()
      .then((mod) => mod.init())
      .then(() => { document.getElementById(name).dataset.initialized = "1"; })
      .catch((err) => {
        started.delete(name);
        globalError(`The ${name} section could not start: ${err.message}`);
      });
    started.set(name, p);
  } else {
    // plotly sizes charts to their container: a hidden section's charts need a resize once shown
    requestAnimationFrame(() => {
      for (const div of $$(`#${name} .js-plotly-plot`)) window.Plotly?.Plots.resize(div);
    });
  }
  return started.get(name);
}

function main() {
  if (!window.Plotly) globalError("plotly.js did not load from /vendor/plotly.min.js: the charts cannot be drawn.");
  for (const a of $$(".tabs a")) {
    a.addEventListener("click", (ev) => {
      if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return; // new tab: let the browser do it
      ev.preventDefault();
      show(a.dataset.section);
      window.scrollTo({ top: 0 });
    });
  }
  $("#copy-link").addEventListener("click", async () => {
    const btn = $("#copy-link");
    try {
      await navigator.clipboard.writeText(window.location.href);
      btn.textContent = "Link copied ✓";
    } catch {
      btn.textContent = "Copy the address bar: it holds the whole view";
    }
    setTimeout(() => { btn.textContent = "Copy link to this view"; }, 2500);
  });
  api("/api/health", { timeout: 8000 })
    .then((h) => { $("#version").textContent = `losslab ${h.version}`; })
    .catch((err) => globalError(err.message));
  show(getStr("section", DEFAULT_SECTION));
}

main();
