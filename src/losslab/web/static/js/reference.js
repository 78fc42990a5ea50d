// Reference: the properties table and a card per loss (from /api/losses, formulas as MathML), and
// the how-to-choose guide and the pitfalls (from /api/guide).
import { api } from "./api.js";
import { getStr, setState } from "./state.js";
import { $, debounce, el, mathml, statusFor } from "./ui.js";

const st = { losses: [], task: "", q: "", card: "" };
let status;

function show(v) {
  if (v === null || v === undefined || v === "") return "—";
  if (v === true) return "✓";
  if (v === false) return "✗";
  if (Array.isArray(v)) return v.length ? v.map(show).join(", ") : "none";
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${k}=${show(x)}`).join(", ") || "none";
  return String(v);
}

/** The head of a long metadata string (the rest stays in the tooltip and on the card). */
function brief(v) {
  const text = show(v);
  const cut = text.indexOf(" (");
  return cut > 0 ? `${text.slice(0, cut)} …` : text;
}

const COMMON_ARGS = new Set(["reduction", "weight", "sample_weight"]);

function yesNo(v) {
  if (v === true) return el("span", { class: "yes" }, "✓");
  if (v === false) return el("span", { class: "no" }, "✗");
  return show(v);
}

function haystack(l) {
  return [l.name, l.task, l.smoothness, l.growth, l.output_activation, l.summary, l.torch_equivalent,
          l.convex ? "convex" : "non-convex", l.robust_to_outliers].map(show).join(" ").toLowerCase();
}

function filtered() {
  const words = st.q.toLowerCase().split(/\s+/).filter(Boolean);
  return st.losses.filter((l) => (!st.task || l.task === st.task) && words.every((w) => haystack(l).includes(w)));
}

function renderTable() {
  const rows = filtered();
  const body = $("[data-testid=properties-table] tbody");
  body.replaceChildren(...rows.map((l) => {
    const tr = el("tr", { testid: `prop-row-${l.name}`, tabindex: "0", class: l.name === st.card ? "selected" : null,
                          onclick: () => select(l.name, true),
                          onkeydown: (ev) => { if (ev.key === "Enter") select(l.name, true); } },
      el("td", {}, el("span", { class: "swatch", style: { background: l.color || "#888" } }), el("code", {}, l.name)),
      el("td", {}, show(l.task)),
      el("td", {}, l.convex_conditions && l.convex !== true ? `${show(l.convex)} (${show(l.convex_conditions)})` : yesNo(l.convex)),
      el("td", {}, show(l.smoothness)),
      el("td", {}, yesNo(l.robust_to_outliers)),
      el("td", {}, show(l.growth)),
      el("td", { title: show(l.output_activation) }, brief(l.output_activation)),
      el("td", { title: show(l.kinks) }, brief(l.kinks)));
    return tr;
  }));
  $("#ref-count").textContent = `${rows.length} of ${st.losses.length} losses`;
  renderCards(rows);
}

function renderCards(rows) {
  const box = $("#ref-cards");
  box.replaceChildren(...rows.map((l) => {
    const formula = el("div", { class: "formula", testid: `formula-${l.name}` });
    if (l.mathml) formula.append(mathml(l.mathml));
    else if (l.latex) formula.append(el("code", {}, l.latex));
    const tags = [el("span", { class: "tag" }, show(l.task)),
                  el("span", { class: `tag ${l.convex === true ? "good" : ""}` }, l.convex === true ? "convex" : "non-convex"),
                  el("span", { class: "tag" }, show(l.smoothness))];
    if (l.robust_to_outliers === true) tags.push(el("span", { class: "tag good" }, "robust to outliers"));
    if (l.robust_to_outliers === false) tags.push(el("span", { class: "tag bad" }, "outlier-sensitive"));
    const own = Object.fromEntries(Object.entries(l.hyperparameters || {}).filter(([k]) => !COMMON_ARGS.has(k)));
    const hp = Object.keys(own).length ? show(own) : "none (besides reduction and weights)";
    return el("article", { class: `card loss-card${l.name === st.card ? " selected" : ""}`, id: `card-${l.name}`,
                           testid: `card-${l.name}`, style: { "--card-color": l.color || "#3358d4" } },
      el("h4", {}, l.name),
      el("div", { class: "tags" }, tags),
      el("p", {}, l.summary || ""),
      formula,
      el("details", { open: l.name === st.card, testid: `details-${l.name}` }, el("summary", {}, "domain, activation, PyTorch, pitfalls"),
      el("dl", { class: "kv" },
        el("dt", {}, "domain"), el("dd", {}, show(l.domain)),
        el("dt", {}, "value range"), el("dd", {}, show(l.value_range)),
        el("dt", {}, "output activation"), el("dd", {}, show(l.output_activation)),
        el("dt", {}, "growth"), el("dd", {}, show(l.growth)),
        el("dt", {}, "kinks"), el("dd", {}, show(l.kinks)),
        el("dt", {}, "hyperparameters"), el("dd", {}, hp),
        el("dt", {}, "PyTorch"), el("dd", {}, l.torch_equivalent ? el("code", {}, show(l.torch_equivalent)) : "—")),
      (l.pitfalls && l.pitfalls.length)
        ? el("div", {}, el("strong", {}, "Pitfalls"), el("ul", { class: "pitfall-list" }, l.pitfalls.map((p) => el("li", {}, p))))
        : null));
  }));
}

function select(name, scroll) {
  st.card = name;
  setState({ card: name }, { card: "" });
  for (const n of document.querySelectorAll("#reference .selected")) n.classList.remove("selected");
  document.querySelector(`[data-testid="prop-row-${name}"]`)?.classList.add("selected");
  const card = document.getElementById(`card-${name}`);
  if (card) {
    card.classList.add("selected");
    const details = card.querySelector("details");
    if (details) details.open = true;
    if (scroll) card.scrollIntoView({ behavior: "smooth", block: "center" });
  }
}

function renderGuide(g) {
  $("#guide-choose").replaceChildren(...(g.how_to_choose || []).map((h) => el("div", { class: "guide-item" },
    el("div", { class: "sit" }, h.situation),
    el("div", {}, "→ ", el("code", {}, show(h.loss)), h.activation ? ` with ${show(h.activation)} output` : ""),
    h.why ? el("div", { class: "why" }, h.why) : null)));
  $("#guide-pitfalls").replaceChildren(...(g.pitfalls || []).map((p) => el("li", { testid: `pitfall-${p.rule}` },
    el("strong", {}, p.title || p.rule), " ", el("code", { class: "hint" }, p.rule ? `(${p.rule})` : ""),
    p.explanation ? el("div", { class: "expl" }, p.explanation) : null,
    p.fix ? el("div", { class: "fix" }, "Fix: ", p.fix) : null)));
}

export async function init() {
  status = statusFor("reference");
  status.loading();
  st.task = getStr("task", "");
  st.q = getStr("q", "");
  st.card = getStr("card", "");
  const task = $("#ref-task"), search = $("#ref-search");
  search.value = st.q;
  const [losses, guide] = await Promise.allSettled([api("/api/losses"), api("/api/guide")]);
  if (losses.status === "fulfilled") {
    st.losses = losses.value.losses || [];
    const tasks = losses.value.tasks || [...new Set(st.losses.map((l) => l.task))];
    task.replaceChildren(el("option", { value: "" }, "all"), ...tasks.map((t) => el("option", { value: t }, t)));
    task.value = tasks.includes(st.task) ? st.task : "";
    st.task = task.value;
    renderTable();
    if (st.card) select(st.card, true);
  } else {
    status.error(losses.reason, "loss registry");
  }
  if (guide.status === "fulfilled") renderGuide(guide.value);
  else status.error(guide.reason, "guide");
  task.addEventListener("change", () => {
    st.task = task.value;
    setState({ task: st.task }, { task: "" });
    renderTable();
  });
  search.addEventListener("input", debounce(() => {
    st.q = search.value.trim();
    setState({ q: st.q }, { q: "" });
    renderTable();
  }, 150));
  if (losses.status === "fulfilled" && guide.status === "fulfilled") status.ok();
}
