"""The properties table, loss cards, the plain-text formula renderer and the docs generator
(losslab.losses.cards), for every registered loss and for toy entries of every kind."""
from __future__ import annotations

import dataclasses

import pytest

import losslab.losses as L
from losslab.losses import cards as C
from losslab.losses.registry import LOSS_REGISTRY, TASKS

NAMES = L.available()


def _toy_entries():
    """Copies of mse_loss declared as other kinds of loss, so that every filter has something to
    find whatever the catalog holds."""
    base = L.get("mse_loss")
    return [
        dataclasses.replace(base, name="toy_kinked_loss", smoothness="C0", kinks="at x = y",
                            robust_to_outliers="partial", growth="linear"),
        dataclasses.replace(base, name="toy_bounded_loss", convex=False, convex_conditions="non-convex for |x − y| > 1",
                            robust_to_outliers=True, growth="bounded", task="ranking"),
        dataclasses.replace(base, name="toy_c1_loss", smoothness="C1", kinks="second derivative jumps at |x − y| = 1",
                            input_kind="probabilities", task="binary"),
    ]


@pytest.fixture
def toys(monkeypatch):
    entries = _toy_entries()
    for e in entries:
        monkeypatch.setitem(LOSS_REGISTRY, e.name, e)
    return {e.name: e for e in entries}


# ----------------------------------------------------------------------------- table
def test_table_has_one_row_per_registered_loss():
    rows = C.properties_table()
    assert sorted(r.name for r in rows) == sorted(NAMES)
    assert len(rows) == len(NAMES)
    text = C.render_table(rows)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["loss", "task", "input"]
    for name in NAMES:
        assert sum(line.split()[0] == name for line in lines[2:len(rows) + 2]) == 1
    assert f"{len(rows)} losses" in text
    acts = C.render_table(rows, columns=["activation"], legend=False, max_width=12).splitlines()[2:]
    assert all(len(a) <= 12 for a in acts) and any(a.endswith("…") for a in acts) == any(len(r.activation) > 12 for r in rows)


def test_row_values_come_from_the_registry():
    for row in C.properties_table():
        info = L.get(row.name)
        assert row.task == info.task and row.input == info.input_kind
        assert row.convex == ("yes" if info.convex else "no")
        assert row.smoothness == info.smoothness and row.growth == info.growth
        assert row.robust == {True: "yes", False: "no", "partial": "partial"}[info.robust_to_outliers]
        assert row.activation in info.output_activation and row.activation
        assert (row.torch == "-") == (info.torch_equivalent is None)


def test_filters(toys):
    every = C.properties_table()
    assert {"toy_kinked_loss", "toy_bounded_loss", "toy_c1_loss"} <= {r.name for r in every}
    for task in TASKS:
        rows = C.properties_table(task)
        assert all(r.task == task for r in rows)
        assert {r.name for r in rows} == set(L.available(task))
    convex, nonconvex = C.properties_table(convex=True), C.properties_table(convex=False)
    assert {r.name for r in convex} | {r.name for r in nonconvex} == {r.name for r in every}
    assert not {r.name for r in convex} & {r.name for r in nonconvex}
    assert "toy_bounded_loss" in {r.name for r in nonconvex}
    assert [r.name for r in C.properties_table(smoothness="C0")] == [r.name for r in every if r.smoothness == "C0"]
    assert "toy_kinked_loss" in {r.name for r in C.properties_table(smoothness="c0")}
    assert "toy_c1_loss" in {r.name for r in C.properties_table(smoothness="C1")}
    assert {r.smoothness for r in C.properties_table(smoothness="C∞")} == {"Cinf"}
    robust = {r.name for r in C.properties_table(robust=True)}
    assert {"toy_kinked_loss", "toy_bounded_loss"} <= robust and "mse_loss" not in robust
    assert {r.name for r in C.properties_table(robust="bounded")} >= {"toy_bounded_loss"}
    assert "toy_kinked_loss" not in {r.name for r in C.properties_table(robust="bounded")}
    assert "mse_loss" in {r.name for r in C.properties_table(robust=False)}
    assert {r.input for r in C.properties_table(input_kind="probabilities")} == {"probabilities"}
    # combined filters intersect
    both = C.properties_table("binary", smoothness="C1")
    assert [r.name for r in both] == [r.name for r in every if r.task == "binary" and r.smoothness == "C1"]


@pytest.mark.parametrize("kwargs, match", [
    ({"task": "regresion"}, "task must be one of"),
    ({"smoothness": "C2"}, "smoothness must be one of"),
    ({"robust": "maybe"}, "robust must be"),
])
def test_bad_filters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        C.properties_table(**kwargs)


def test_render_table_markdown_and_columns():
    rows = C.properties_table()
    md = C.render_table(rows, fmt="markdown").splitlines()
    assert md[0].startswith("| loss | task |") and md[1].startswith("|---|")
    assert len(md) == len(rows) + 2
    assert C.render_table(rows, columns=["name", "convex"], legend=False).splitlines()[0].split() == ["loss", "convex"]
    assert C.render_table([]) == "no loss matches"
    with pytest.raises(ValueError, match="fmt"):
        C.render_table(rows, fmt="html")
    with pytest.raises(ValueError, match="unknown columns"):
        C.render_table(rows, columns=["nope"])


# ----------------------------------------------------------------------------- cards
@pytest.mark.parametrize("name", NAMES)
def test_card_has_formula_properties_and_equivalents(name):
    info = L.get(name)
    wrapped = C.render_card(name)
    # lines wrap at 100 columns (but the formula, its LaTeX source and unbreakable words)
    formula = "  " + C.latex_to_text(info.latex)
    assert all(len(line) <= 100 or "LaTeX:" in line or line == formula or " " not in line.strip()
               for line in wrapped.splitlines())
    card = C.render_card(name, width=10**6)  # unwrapped: every value is found verbatim
    for section in ("Formula", "LaTeX:", "Properties", "When to use", "Pitfalls", "Equivalents", "References"):
        assert section in card, section
    assert info.latex in card and C.latex_to_text(info.latex) in card
    assert info.summary in card and info.module.__name__ in card
    for word in (info.task, info.input_kind, info.smoothness, info.growth, info.value_range):
        assert word in card
    for lib in ("PyTorch", "optax", "Keras", "scikit-learn"):
        assert lib in card
    if info.torch_equivalent:
        assert info.torch_equivalent in card
    for v in info.equivalents.values():
        if v:
            assert v in card
    for ref in info.references:
        assert ref in card
    md = C.loss_card(name, "markdown")
    assert md.startswith(f"### `{name}`") and f"$$\n{info.latex}\n$$" in md


@pytest.mark.parametrize("name", NAMES)
def test_plain_formula_has_no_latex_left(name):
    text = C.latex_to_text(L.get(name).latex)
    assert "\\" not in text and "{" not in text and "}" not in text and text


def test_unknown_name_suggests_close_matches():
    with pytest.raises(KeyError, match="did you mean 'binary_cross_entropy_with_logits'"):
        C.render_card("binary_cross_entropy_logits")
    with pytest.raises(KeyError, match="no loss named 'crossentropy'.*'cross_entropy'"):
        C.loss_card("crossentropy")
    with pytest.raises(ValueError, match="fmt"):
        C.loss_card("mse_loss", fmt="html")


def test_pitfalls_follow_the_metadata(toys):
    def pits(name):
        return " ".join(C.pitfalls(L.get(name)))
    assert "binary_cross_entropy_with_logits" in pits("binary_cross_entropy")  # prefer the logits version
    assert "apply sigmoid" in pits("binary_cross_entropy")
    assert "log_softmax" in pits("nll_loss")
    assert "Not robust to outliers" in pits("mse_loss") and "normalize targets" in pits("mse_loss")
    assert "subgradient" in pits("toy_kinked_loss") and "at x = y" in pits("toy_kinked_loss")
    assert "second-order" in pits("toy_c1_loss") and "(second derivative jumps at |x − y| = 1)" in pits("toy_c1_loss")
    assert "local minima" in pits("toy_bounded_loss") and "non-convex for |x − y| > 1" in pits("toy_bounded_loss")
    assert "Bounded" in pits("toy_bounded_loss")
    assert "local minima" not in pits("mse_loss") and "subgradient" not in pits("mse_loss")
    assert "No finite minimizer" in pits("nll_loss") and "No finite minimizer" not in pits("mse_loss")
    assert "#104776" in pits("cross_entropy")


@pytest.mark.parametrize("latex, text", [
    (r"\ell(x, y) = (x - y)^2", "ℓ(x, y) = (x − y)²"),
    (r"\frac{1}{2}(x-y)^2", "½(x−y)²"),
    (r"\frac{a+b}{c} x", "((a+b)/c) x"),
    (r"\max(0, 1 - y\,x)", "max(0, 1 − y x)"),
    (r"\log\sum_{c} e^{x_c} - x_y", "log Σ_c e^(x_c) − x_y"),
    (r"\sigma(x)^{T} \le \sqrt{x^2+1}", "σ(x)ᵀ ≤ √(x²+1)"),
    (r"\left\lVert a - p \right\rVert_2", "‖ a − p ‖₂"),
    (r"\mathbb{1}[y \ne c]\,\text{if } \hat{y}_i \ge 0", "𝟙[y ≠ c] if ŷᵢ ≥ 0"),
    (r"-\alpha (1-p_t)^\gamma \log p_t", "−α (1−pₜ)^γ log pₜ"),
    (r"\mycommand{x} + \other", "mycommand(x) + other"),
    (r"\begin{cases} \tfrac12 (x - y)^2 & |x - y| < \delta \\ \delta (|x| - \tfrac12\delta) & \text{otherwise} \end{cases}",
     "½ (x − y)² if |x − y| < δ; δ (|x| − ½δ) otherwise"),
    (r"a \\ b", "a ; b"),
    (r"(1 - p)^\gamma\log p + y\log(1-p)", "(1 − p)^γ log p + y log(1−p)"),
    (r"\frac{1 - p^q}{q}, \max\left(0, x\right)", "(1 − p^q)/q, max(0, x)"),
])
def test_latex_to_text(latex, text):
    assert C.latex_to_text(latex) == text


# ----------------------------------------------------------------------------- docs and main
def test_generated_docs_cover_every_loss():
    doc = C.generate_docs()
    assert C.DOCS_COMMAND in doc
    for name in NAMES:
        assert f"### `{name}`" in doc and f"[`{name}`](#{name})" in doc
    assert doc == C.generate_docs()  # deterministic


def test_main_writes_and_checks_docs(tmp_path, capsys):
    path = tmp_path / "docs" / "losses.md"
    assert C.main(["--check-docs", str(path)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert C.main(["--write-docs", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == C.generate_docs()
    assert C.main(["--check-docs", str(path)]) == 0
    path.write_text(path.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert C.main(["--check-docs", str(path)]) == 1


def test_main_prints_table_and_cards(capsys):
    assert C.main([]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES)
    assert C.main(["--task", "multiclass"]) == 0
    out = capsys.readouterr().out
    assert "cross_entropy" in out and "mse_loss" not in out
    assert C.main(["mse_loss"]) == 0
    assert "Formula" in capsys.readouterr().out
    assert C.main(["mse_los"]) == 2
    assert "did you mean 'mse_loss'" in capsys.readouterr().out
