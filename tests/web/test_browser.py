"""The explorer in a real browser: Debian's Chromium driven by Playwright against the real server.

Every wait is on a condition (``expect`` or ``wait_for_function``), never a sleep. Numbers read
back from the charts are checked against the formulas (Huber, MSE, the seed's backprop example), so
a page that draws the wrong thing fails, not only a page that draws nothing.
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("playwright", reason="playwright is not installed (pip install -e '.[test]')")
from playwright.sync_api import expect  # noqa: E402

SECTIONS = ["regression", "classification", "reference", "differentiable", "playground", "training", "backprop"]

# a trace of a plotly div, by its `meta` (the loss / optimizer / series name the page sets)
TRACE = """([testid, meta]) => {
  const div = document.querySelector(`[data-testid="${testid}"]`);
  if (!div || !div.data) return null;
  const t = div.data.find((t) => t.meta === meta);
  return t ? {name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])} : null;
}"""

# the y of a trace at the grid point nearest to x (null until drawn)
Y_AT = """([testid, meta, x]) => {
  const div = document.querySelector(`[data-testid="${testid}"]`);
  if (!div || !div.data) return null;
  const t = div.data.find((t) => t.meta === meta);
  if (!t || !t.x || !t.x.length) return null;
  let best = 0;
  for (let i = 1; i < t.x.length; i++) if (Math.abs(t.x[i] - x) < Math.abs(t.x[best] - x)) best = i;
  return Math.abs(t.x[best] - x) < 1e-6 ? t.y[best] : null;
}"""

TRAJECTORIES = """() => {
  const div = document.querySelector('[data-testid="pg-contour"]');
  if (!div || !div.data) return [];
  return div.data.filter((t) => typeof t.meta === 'string' && t.meta.startsWith('traj:'))
                 .map((t) => ({label: t.meta.slice(5), x: Array.from(t.x), y: Array.from(t.y)}));
}"""


def open_section(page, name: str, query: str = "") -> None:
    """Go to a section and wait until it has rendered (data-state="ready", no inline error)."""
    page.goto(f"/?section={name}{query}")
    section = page.locator(f"#{name}")
    expect(section).to_be_visible()
    expect(section).to_have_attribute("data-initialized", "1", timeout=20_000)   # its first render is complete
    expect(section).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id(f"{name}-error")).to_be_hidden()


def query_of(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


def huber(e: float, delta: float) -> float:
    a = abs(e)
    return 0.5 * a * a if a < delta else delta * (a - 0.5 * delta)


def press(page, testid: str, key: str, times: int) -> None:
    slider = page.get_by_test_id(testid)
    slider.focus()
    for _ in range(times):
        slider.press(key)


# ------------------------------------------------------------------ loading and every section

SECTION_CHECKS = {
    # section -> (plot test ids that must hold data, a selector that must exist once rendered)
    "regression": (["reg-loss-plot", "reg-grad-plot"], "[data-testid='loss-4-mse_loss']"),
    "classification": (["bce-plot", "margin-plot"], "[data-testid='bce-at-bce_y1']"),
    "reference": ([], "[data-testid='card-mse_loss'] math"),
    "differentiable": (["check-plot"], "[data-testid='check-kinks'] tbody tr"),
    "playground": (["pg-contour", "pg-values"], "[data-testid='pg-result-0']"),
    "training": (["tr-boundary"], "[data-testid='tr-status']"),
    "backprop": ([], "[data-testid='bp-node-3']"),
}
HAS_DATA = """(id) => { const d = document.querySelector(`[data-testid="${id}"]`);
  return !!(d && d.data && d.data.some((t) => (t.x && t.x.length) || (t.z && t.z.length))); }"""


def visit(page, name: str) -> None:
    """Show a section through the nav (no reload) and wait until it has rendered its content."""
    page.get_by_test_id(f"nav-{name}").click()
    section = page.locator(f"#{name}")
    expect(section).to_be_visible()
    expect(section).to_have_attribute("data-initialized", "1", timeout=20_000)
    expect(section).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id(f"nav-{name}")).to_have_attribute("aria-current", "page")
    plots, selector = SECTION_CHECKS[name]
    for testid in plots:
        page.wait_for_function(HAS_DATA, arg=testid)
    expect(page.locator(selector).first).to_be_attached()
    for other in SECTIONS:                                                 # only this section is shown
        if other != name:
            expect(page.locator(f"#{other}")).to_be_hidden()
    assert query_of(page.url).get("section", "regression") == name


def test_page_loads_and_every_section_renders_with_no_console_errors(page, page_log, screenshot_dir):
    open_section(page, "regression")
    expect(page).to_have_title(re.compile("losslab explorer"))
    expect(page.get_by_test_id("version")).to_contain_text("losslab")
    expect(page.get_by_test_id("samples-table")).to_have_attribute("data-state", "ready")
    assert page.evaluate("typeof window.Plotly") == "object", "plotly.js was not served from /vendor"
    for name in SECTIONS[1:] + SECTIONS[:1]:
        visit(page, name)
        expect(page.get_by_test_id(f"{name}-error")).to_be_hidden()
        shot = screenshot_dir / f"{name}.png"
        page.locator(f"#{name}").screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
    assert page_log.console_errors == []
    assert page_log.page_errors == []


# ------------------------------------------------------------------ regression

def test_delta_slider_changes_the_huber_curve(page):
    open_section(page, "regression")
    page.wait_for_function(Y_AT, arg=["reg-loss-plot", "huber_loss", 2.4])
    before = page.evaluate(Y_AT, ["reg-loss-plot", "huber_loss", 2.4])
    assert before == pytest.approx(huber(2.4, 1.0), rel=1e-6)
    press(page, "delta-slider", "ArrowRight", 5)                       # δ: 1.0 -> 1.5
    expect(page.get_by_test_id("delta-value")).to_have_text("1.5")
    page.wait_for_function(f"(a) => {{ const v = ({Y_AT})(a); return v !== null && Math.abs(v - {huber(2.4, 1.5)}) < 1e-6; }}",
                           arg=["reg-loss-plot", "huber_loss", 2.4])
    # inside |e| < δ Huber is still ½e²; the gradient beyond δ is now ±δ; MSE did not move
    assert page.evaluate(Y_AT, ["reg-loss-plot", "huber_loss", 0.6]) == pytest.approx(0.18, rel=1e-6)
    page.wait_for_function(f"(a) => {{ const v = ({Y_AT})(a); return v !== null && Math.abs(v - 1.5) < 1e-6; }}",
                           arg=["reg-grad-plot", "huber_loss", 2.4])
    assert page.evaluate(Y_AT, ["reg-loss-plot", "mse_loss", 2.4]) == pytest.approx(2.4 ** 2, rel=1e-6)
    assert "1.5" in page.evaluate(TRACE, ["reg-loss-plot", "huber_loss"])["name"]
    assert query_of(page.url)["delta"] == "1.5"
    # MAE's kink at 0 is marked on the loss plot
    kinks = page.evaluate(TRACE, ["reg-loss-plot", "l1_loss:kinks"])
    assert kinks["x"] == [pytest.approx(0.0, abs=1e-9)]


def test_editing_a_prediction_changes_its_loss_cell(page):
    open_section(page, "regression")
    table = page.get_by_test_id("samples-table")
    expect(table).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("loss-0-mse_loss")).to_have_text("0.25")     # (2.5 − 3)²
    expect(page.get_by_test_id("cost-mse_loss")).to_have_text("10.03")
    page.get_by_test_id("pred-input-0").fill("5")
    expect(page.get_by_test_id("loss-0-mse_loss")).to_have_text("4")          # (5 − 3)²
    expect(page.get_by_test_id("loss-0-l1_loss")).to_have_text("2")
    expect(page.get_by_test_id("error-cell-0")).to_have_text("2")
    expect(page.get_by_test_id("cost-mse_loss")).to_have_text("10.78")      # (4 + .25 + .01 + .64 + 49) / 5
    assert query_of(page.url)["rows"].startswith("5_3~")
    # a bad number is flagged in place and not sent
    page.get_by_test_id("target-input-1").fill("")
    expect(page.get_by_test_id("target-input-1")).to_have_class(re.compile("invalid"))
    page.get_by_test_id("target-input-1").fill("-0.5")
    # add a row (prediction = target: zero loss), remove the outlier
    page.get_by_test_id("add-row").click()
    expect(page.get_by_test_id("sample-row-5")).to_be_visible()
    expect(page.get_by_test_id("loss-5-mse_loss")).to_have_text("0")
    page.get_by_test_id("remove-row-4").click()
    expect(page.get_by_test_id("sample-row-5")).to_have_count(0)
    expect(page.get_by_test_id("cost-mse_loss")).to_have_text("0.98")       # (4 + .25 + .01 + .64 + 0) / 5


def test_api_errors_show_inline_and_the_page_keeps_working(page):
    page.route("**/api/curves/regression", lambda route: route.fulfill(
        status=400, content_type="application/json",
        body=json.dumps({"error": {"message": "range must be finite", "field": "range"}})))
    page.route("**/api/samples", lambda route: route.abort())
    page.goto("/?section=regression")
    box = page.get_by_test_id("regression-error")
    expect(box).to_be_visible()
    expect(box).to_contain_text("range must be finite")
    expect(box).to_contain_text("[range]")
    expect(box).to_contain_text("Could not reach the server")
    assert page.locator("#regression").get_attribute("data-state") == "error"
    # the server comes back: the next change clears the errors
    page.unroute("**/api/curves/regression")
    page.unroute("**/api/samples")
    press(page, "delta-slider", "ArrowRight", 1)
    page.get_by_test_id("pred-input-0").fill("2.6")
    expect(box).to_be_hidden()
    expect(page.get_by_test_id("loss-0-mse_loss")).to_have_text("0.16")


# ------------------------------------------------------------------ classification and reference

def test_classification_curves_follow_the_formulas(page):
    open_section(page, "classification")
    # −log p at the slider's p = 0.7 read back from the drawn curve
    expect(page.get_by_test_id("bce-at-bce_y1")).to_have_text(re.compile(r"^0\.35"))
    press(page, "gamma-slider", "ArrowRight", 2)                        # γ: 2 -> 3
    expect(page.get_by_test_id("gamma-value")).to_have_text("3")
    page.wait_for_function(f"() => ({TRACE})(['margin-plot', 'hinge_loss']) !== null")
    hinge = page.evaluate(TRACE, ["margin-plot", "hinge_loss"])
    i = min(range(len(hinge["x"])), key=lambda k: abs(hinge["x"][k] + 1.0))
    assert hinge["y"][i] == pytest.approx(2.0, rel=1e-6)                  # max(0, 1 − m) at m = −1
    kinks = page.evaluate(TRACE, ["margin-plot", "hinge_loss:kinks"])
    assert kinks["x"] == [pytest.approx(1.0, abs=1e-9)]
    assert query_of(page.url)["gamma"] == "3"


def test_reference_table_cards_and_guide(page, live_server):
    open_section(page, "reference")
    n = len(page.request.get(f"{live_server}/api/losses").json()["losses"])
    rows = page.locator("[data-testid=properties-table] tbody tr")
    expect(rows).to_have_count(n)
    assert n >= 40
    assert page.locator("#ref-cards math").count() >= n - 2          # formulas as MathML
    expect(page.get_by_test_id("guide-choose").locator(".guide-item").first).to_be_visible()
    assert page.get_by_test_id("guide-pitfalls").locator("li").count() >= 10
    page.get_by_test_id("ref-task").select_option("regression")
    expect(page.get_by_test_id("prop-row-mse_loss")).to_be_visible()
    expect(page.get_by_test_id("prop-row-cross_entropy")).to_have_count(0)
    page.get_by_test_id("ref-search").fill("huber")
    expect(page.get_by_test_id("prop-row-huber_loss")).to_be_visible()
    expect(page.get_by_test_id("prop-row-mse_loss")).to_have_count(0)
    page.get_by_test_id("prop-row-huber_loss").click()
    expect(page.get_by_test_id("card-huber_loss")).to_have_class(re.compile("selected"))
    expect(page.get_by_test_id("details-huber_loss")).to_have_attribute("open", "")
    q = query_of(page.url)
    assert (q["task"], q["q"], q["card"]) == ("regression", "huber", "huber_loss")


# ------------------------------------------------------------------ differentiability checker

def test_invalid_expression_shows_an_inline_error(page, page_log):
    open_section(page, "differentiable")
    expect(page.get_by_test_id("check-verdict")).to_contain_text("not differentiable")
    page.get_by_test_id("expr-input").fill("abs(pred - ")
    page.get_by_test_id("check-run").click()
    box = page.get_by_test_id("differentiable-error")
    expect(box).to_be_visible()
    expect(box).to_contain_text("column")                                 # the parser points at the token
    expect(box.locator("pre")).to_contain_text("^")
    # still alive: a valid hinge is analysed, the error goes, the kink is at the margin 1
    page.get_by_test_id("expr-input").fill("maximum(0, 1 - target * pred)")
    page.get_by_test_id("check-target").fill("1")
    page.get_by_test_id("check-run").click()
    expect(box).to_be_hidden()
    expect(page.get_by_test_id("check-kinks").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("check-kinks").locator("tbody td").first).to_have_text("1")
    assert query_of(page.url)["expr"] == "maximum(0, 1 - target * pred)"
    assert page_log.page_errors == []
    # the only console noise allowed is the browser's own note about the 422 answer
    assert all("422" in e for e in page_log.console_errors), page_log.console_errors


def test_a_smooth_loss_is_reported_differentiable(page):
    open_section(page, "differentiable", "&expr=log(cosh(pred+-+target))")
    expect(page.get_by_test_id("expr-input")).to_have_value("log(cosh(pred - target))")
    expect(page.get_by_test_id("check-verdict")).to_contain_text("differentiable everywhere")
    expect(page.get_by_test_id("check-kinks")).to_have_count(0)
    df = page.evaluate(TRACE, ["check-plot", "df"])
    i = min(range(len(df["x"])), key=lambda k: abs(df["x"][k] - 1.0))
    assert df["y"][i] == pytest.approx(0.7615941559557649, abs=1e-2)   # tanh(1)


# ------------------------------------------------------------------ optimizer playground

def test_playground_draws_trajectories_and_start_follows_clicks(page):
    open_section(page, "playground")
    page.wait_for_function(f"() => ({TRAJECTORIES})().length === 6")
    trajs = page.evaluate(TRAJECTORIES)
    assert {t["label"] for t in trajs} == {"GD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"}
    for t in trajs:
        assert (t["x"][0], t["y"][0]) == (pytest.approx(-1.5), pytest.approx(2.0))
        assert len(t["x"]) > 10
    # each optimizer has its own colour or dash
    styles = page.evaluate("""() => document.querySelector('[data-testid="pg-contour"]').data
        .filter((t) => String(t.meta).startsWith('traj:')).map((t) => t.line.color + '/' + t.line.dash)""")
    assert len(set(styles)) == 6
    # untick GD: five trajectories, and the URL says so
    page.get_by_test_id("opt-on-gd").uncheck()
    page.wait_for_function(f"() => ({TRAJECTORIES})().length === 5")
    assert "gd:" not in query_of(page.url)["opt"]
    # a start typed in
    page.get_by_test_id("pg-start-x").fill("0.5")
    page.get_by_test_id("pg-start-x").press("Enter")
    page.wait_for_function(f"() => {{ const t = ({TRAJECTORIES})(); return t.length && Math.abs(t[0].x[0] - 0.5) < 1e-9; }}")
    # a click on the contour plot moves the start there
    box = page.locator("[data-testid=pg-contour] .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    page.wait_for_function(f"() => {{ const t = ({TRAJECTORIES})(); return t.length && t[0].x[0] > 0.6 && t[0].y[0] > 1.5; }}")
    x0 = float(page.get_by_test_id("pg-start-x").input_value())
    y0 = float(page.get_by_test_id("pg-start-y").input_value())
    assert x0 == pytest.approx(1.0, abs=0.15) and y0 == pytest.approx(2.0, abs=0.15)   # rosenbrock domain [-2,2]×[-1,3]
    assert query_of(page.url)["start"] == f"{page.get_by_test_id('pg-start-x').input_value()}_{page.get_by_test_id('pg-start-y').input_value()}"


def test_playground_schedule_and_lr(page):
    open_section(page, "playground", "&surf=ill_conditioned_quadratic&opt=gd:0.03&steps=100")
    page.wait_for_function(f"() => ({TRAJECTORIES})().length === 1")
    constant = page.evaluate(TRAJECTORIES)[0]
    assert len(constant["x"]) == 101
    page.get_by_test_id("pg-schedule").select_option("step")
    page.wait_for_function(f"(x) => {{ const t = ({TRAJECTORIES})(); return t.length === 1 && t[0].x[100] !== x; }}",
                           arg=constant["x"][100])
    assert query_of(page.url)["sched"] == "step"
    # a learning rate far too large diverges (|1 − lr·κ| = 49999 per step overflows) and says so
    page.get_by_test_id("pg-schedule").select_option("")
    page.get_by_test_id("opt-lr-gd").fill("1000")
    expect(page.get_by_test_id("pg-result-0")).to_contain_text("diverged")


# ------------------------------------------------------------------ live training

def test_live_training_makes_the_loss_fall(page):
    open_section(page, "training", "&epochs=150")
    expect(page.get_by_test_id("tr-start")).to_be_enabled()
    page.get_by_test_id("tr-step").click()
    expect(page.get_by_test_id("tr-epoch")).to_have_text("1")
    page.get_by_test_id("tr-start").click()
    page.wait_for_function("""() => {
      const d = document.querySelector('[data-testid="tr-loss-plot"]');
      if (!d || !d.data || !d.data[0]) return false;
      const y = d.data[0].y;
      return y.length >= 60 && y[y.length - 1] < 0.7 * y[0];
    }""", timeout=30_000)
    expect(page.get_by_test_id("tr-status")).to_have_text(re.compile("running|done"))
    expect(page.get_by_test_id("tr-status")).to_have_text("done", timeout=30_000)
    expect(page.get_by_test_id("tr-epoch")).to_have_text("150")
    expect(page.get_by_test_id("tr-start")).to_be_disabled()
    acc = page.get_by_test_id("tr-accuracy").inner_text()
    assert float(acc.rstrip("%")) > 80.0
    page.get_by_test_id("tr-reset").click()
    expect(page.get_by_test_id("tr-epoch")).to_have_text("0")
    expect(page.get_by_test_id("tr-start")).to_be_enabled()


def test_training_pause_and_settings_change(page):
    open_section(page, "training", "&epochs=2000&ds=xor&topt=sgd&tlr=0.1")
    page.get_by_test_id("tr-start").click()
    expect(page.get_by_test_id("tr-status")).to_have_text("running")
    page.get_by_test_id("tr-pause").click()
    expect(page.get_by_test_id("tr-status")).to_have_text("paused")
    epoch = int(page.get_by_test_id("tr-epoch").inner_text())
    assert 0 < epoch < 2000
    page.get_by_test_id("tr-step").click()
    expect(page.get_by_test_id("tr-epoch")).to_have_text(str(epoch + 1))
    # a new dataset starts a new session from epoch 0
    page.get_by_test_id("tr-dataset").select_option("circles")
    expect(page.get_by_test_id("tr-epoch")).to_have_text("0")
    assert query_of(page.url)["ds"] == "circles"


# ------------------------------------------------------------------ backprop

def test_backprop_steps_through_the_chain_rule(page):
    open_section(page, "backprop")
    expect(page.get_by_test_id("bp-position")).to_have_text(re.compile(r"^step 1 of \d+$"))
    expect(page.get_by_test_id("bp-formula")).to_contain_text("z1 = w11·x1 + w21·x2 + b1")
    for _ in range(6):
        page.get_by_test_id("bp-next").click()
    expect(page.get_by_test_id("bp-formula")).to_have_text(re.compile(r"^L = "))
    assert float(page.get_by_test_id("bp-value").inner_text()) == pytest.approx(0.309692, abs=1e-6)  # −log(ŷ)
    expect(page.get_by_test_id("bp-edge-w13")).not_to_contain_text("∂L")             # not reached yet
    page.get_by_test_id("bp-last").click()
    expect(page.get_by_test_id("bp-edge-w13")).to_contain_text("∂L/∂w13=−0.153")
    expect(page.get_by_test_id("bp-formula")).to_contain_text("b3'")
    page.get_by_test_id("bp-prev").click()
    expect(page.get_by_test_id("bp-formula")).to_contain_text("w23'")
    # the keyboard steps too
    page.get_by_test_id("bp-first").click()
    page.get_by_test_id("bp-slider").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("bp-position")).to_have_text(re.compile(r"^step 2 of"))
    # edit a weight: the trace is recomputed by the engine
    page.get_by_test_id("bp-step-4").click()
    expect(page.get_by_test_id("bp-formula")).to_contain_text("z3 = w13·a1 + w23·a2 + b3 = (0.7)(0.5744)")
    page.get_by_test_id("bp-input-w13").fill("1.5")
    expect(page.get_by_test_id("bp-formula")).to_contain_text("= (1.5)(0.5744)")
    page.get_by_test_id("bp-step-6").click()
    assert float(page.get_by_test_id("bp-value").inner_text()) < 0.3096      # a larger w13 lowers the loss here
    assert query_of(page.url)["bp"].split("_")[10] == "1.5"


# ------------------------------------------------------------------ shared URLs and layout

def test_a_shared_url_restores_the_same_view(page, new_page):
    open_section(page, "classification")
    press(page, "gamma-slider", "ArrowRight", 2)
    page.get_by_test_id("margin-grad").check()
    page.get_by_test_id("nav-playground").click()
    expect(page.locator("#playground")).to_have_attribute("data-initialized", "1")
    page.get_by_test_id("pg-surface").select_option("himmelblau")
    page.get_by_test_id("opt-on-nesterov").uncheck()
    page.get_by_test_id("opt-lr-adam").fill("0.2")
    page.wait_for_function(f"() => ({TRAJECTORIES})().length === 5")
    page.get_by_test_id("nav-regression").click()
    expect(page.locator("#regression")).to_have_attribute("data-initialized", "1")
    press(page, "delta-slider", "ArrowRight", 3)                          # δ = 1.3
    page.get_by_test_id("toggle-log_cosh_loss").uncheck()
    page.get_by_test_id("pred-input-1").fill("1.25")
    expect(page.get_by_test_id("loss-1-mse_loss")).to_have_text("3.063")  # (1.25 + 0.5)² = 3.0625
    page.wait_for_function(f"(a) => {{ const v = ({Y_AT})(a); return v !== null && Math.abs(v - {huber(2.4, 1.3)}) < 1e-6; }}",
                           arg=["reg-loss-plot", "huber_loss", 2.4])
    huber_a = page.evaluate(TRACE, ["reg-loss-plot", "huber_loss"])
    url = page.url

    other = new_page()
    other.goto(url)
    expect(other.locator("#regression")).to_be_visible()
    expect(other.locator("#regression")).to_have_attribute("data-initialized", "1")
    expect(other.get_by_test_id("nav-regression")).to_have_attribute("aria-current", "page")
    expect(other.get_by_test_id("delta-slider")).to_have_value("1.3")
    expect(other.get_by_test_id("delta-value")).to_have_text("1.3")
    expect(other.get_by_test_id("toggle-log_cosh_loss")).not_to_be_checked()
    expect(other.get_by_test_id("pred-input-1")).to_have_value("1.25")
    expect(other.get_by_test_id("loss-1-mse_loss")).to_have_text("3.063")
    assert other.evaluate(TRACE, ["reg-loss-plot", "log_cosh_loss"]) is None
    assert other.evaluate(TRACE, ["reg-loss-plot", "huber_loss"]) == huber_a
    other.get_by_test_id("nav-classification").click()
    expect(other.get_by_test_id("gamma-slider")).to_have_value("3")
    expect(other.get_by_test_id("margin-grad")).to_be_checked()
    other.wait_for_function("() => { const d = document.querySelector('[data-testid=\"margin-plot\"]');"
                            " return d && d.data && d.data.some((t) => t.meta === 'hinge_loss:grad'); }")
    other.get_by_test_id("nav-playground").click()
    expect(other.get_by_test_id("pg-surface")).to_have_value("himmelblau")
    expect(other.get_by_test_id("opt-on-nesterov")).not_to_be_checked()
    expect(other.get_by_test_id("opt-lr-adam")).to_have_value("0.2")
    other.wait_for_function(f"() => ({TRAJECTORIES})().length === 5")


def test_layout_at_390px_has_no_horizontal_overflow(new_page, page_log, screenshot_dir):
    pg = new_page(390, 844)
    open_section(pg, "regression")
    for name in SECTIONS[1:] + SECTIONS[:1]:
        visit(pg, name)
        widths = pg.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[2] and widths[1] <= widths[2], f"{name}: horizontal overflow at 390 px: {widths}"
        # nothing sticks out of the viewport unless it sits in its own scrolling box (wide tables, the nav)
        loose = pg.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter((e) => {
            const r = e.getBoundingClientRect();
            if (!r.width || r.right <= window.innerWidth + 1 || e.offsetParent === null) return false;
            for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return false;
            return true; }).map((e) => e.tagName + '.' + e.className + '#' + (e.dataset.testid || ''))""")
        assert loose == [], f"{name}: elements wider than 390 px: {loose}"
        pg.screenshot(path=str(screenshot_dir / f"{name}-390.png"), full_page=True)
    assert page_log.console_errors == []
