"""compare(): first wrong step, carried errors vs new slips, precision, the learner-file parser."""
import json

import pytest

from losslab.explain import (
    LearnerValue, compare, explain_backprop, build_problem, load_learner_values,
    parse_learner_values, seed_learner_values, seed_problem, trace_backprop,
)


@pytest.fixture(scope="module")
def trace():
    return seed_problem().trace()


def _correct(trace, decimals=4, kinds=("forward", "loss", "delta", "grad", "update")):
    """The engine's values, rounded as a careful learner would write them."""
    return {s.name: f"{s.value:.{decimals}f}" for s in trace.steps if s.kind in kinds}


# -- the seed ----------------------------------------------------------------------------------
def test_seed_first_wrong_step_is_z3(trace):
    cmp = compare(trace, seed_learner_values())
    assert cmp.first_wrong.name == "z3"
    assert cmp.first_wrong.status == "new slip"
    assert cmp.new_slips == [cmp.first_wrong]  # nothing else is a new mistake
    carried = [c.name for c in cmp.carried]
    assert carried == ["ŷ", "L", "δ3", "dL/dw13", "dL/dw23", "dL/db3", "δ1", "δ2", "dL/dw11",
                       "dL/db1", "dL/dw12", "dL/db2", "w13'"]
    assert all(c.origins == ("z3",) for c in cmp.carried)
    # what the seed got right
    for name in ["z1", "a1", "z2", "a2", "σ'(z1)", "σ'(z2)", "dL/dw21", "dL/dw22", "w13", "x1"]:
        assert cmp[name].status == "match", name
    assert not cmp.ok
    assert cmp["L"].slack and cmp["L"].status == "carried"  # -log(0.748) = 0.2904 vs 0.289
    assert cmp["yhat"].from_yours == pytest.approx(0.74763, abs=1e-5)  # σ(1.086) by the engine


def test_seed_report_text(trace):
    text = compare(trace, seed_learner_values()).render()
    assert ("z3: you have 1.086 but w13·a1 + w23·a2 + b3 = (0.7)(0.5744) + (0.5)(0.6225) + 0.3 "
            "= 1.0133") in text
    assert "Your later ŷ, L, δ3, dL/dw13" in text
    assert "follow from your z3 (carried), not new mistakes" in text
    assert "one unit of slack in the last digit: L = 0.289" in text
    assert "σ(z3) = σ(1.086) = 0.7476" in text  # the carried step recomputed from the learner's z3


def test_seed_to_dict(trace):
    d = json.loads(json.dumps(compare(trace, seed_learner_values()).to_dict()))
    assert d["first_wrong"] == "z3" and d["new_slips"] == [] and "w13'" in d["carried"]
    row = next(c for c in d["checks"] if c["name"] == "z3")
    assert row["learner"] == "1.086" and row["decimals"] == 3 and row["first"] is True


# -- carried vs new slip -------------------------------------------------------------------------
def test_new_slip_after_first_wrong(trace):
    values = dict(seed_learner_values())
    values["dL/dw23"] = LearnerValue("-0.175")  # δ3·a2 from their δ3 is -0.157
    cmp = compare(trace, values)
    assert cmp.first_wrong.name == "z3"
    assert cmp["dL/dw23"].status == "new slip" and not cmp["dL/dw23"].first
    assert [c.name for c in cmp.new_slips] == ["z3", "dL/dw23"]
    text = cmp.render()
    assert "New slip: dL/dw23: you have -0.175 but δ3·a2 = (-0.2663)(0.6225) = -0.1658" in text
    assert "even from your own earlier values it would be δ3·a2 = (-0.252)(0.622) = -0.1567" in text


def test_slip_in_hidden_delta_is_carried_downstream(trace):
    values = _correct(trace)
    values["δ1"] = f"{trace.value('dL/da1'):.4f}"  # forgot the σ'(z1) factor
    values["dL/dw11"] = values["δ1"]               # consistent with their δ1 (x1 = 1)
    values["dL/db1"] = values["δ1"]
    values["w11'"] = f"{0.2 - 0.1 * float(values['δ1']):.4f}"
    values["b1'"] = f"{0.1 - 0.1 * float(values['δ1']):.4f}"
    cmp = compare(trace, values)
    assert cmp.first_wrong.name == "δ1"
    assert {c.name for c in cmp.carried} == {"dL/dw11", "dL/db1", "w11'", "b1'"}
    assert all(c.origins == ("δ1",) for c in cmp.carried)
    assert len(cmp.new_slips) == 1
    assert "δ1: you have -0.1864 but ∂L/∂a1·σ'(z1) = (-0.1864)(0.2445) = -0.0456" in cmp.render()


def test_all_correct(trace):
    cmp = compare(trace, _correct(trace))
    assert cmp.ok and cmp.first_wrong is None and not cmp.carried
    assert all(c.status == "match" and not c.slack for c in cmp.checks)
    assert "No wrong step found." in cmp.render()


def test_unwritten_steps_are_recomputed_from_the_learner(trace):
    # only z3 (wrong) and the final update are written: the update follows from z3 through
    # ŷ, δ3 and ∂L/∂w13, all recomputed from the learner's z3 by the engine
    yhat = 1 / (1 + 2.718281828459045 ** -1.086)
    w13_new = 0.7 - 0.1 * (yhat - 1) * trace.value("a1")
    cmp = compare(trace, {"z3": "1.086", "w13'": f"{w13_new:.4f}"})
    assert cmp.first_wrong.name == "z3"
    assert cmp["w13'"].status == "carried" and cmp["w13'"].origins == ("z3",)


def test_rounding_is_not_a_mistake(trace):
    # a1, a2 correct at 2 decimals; z3 computed from them exactly, written with 4 decimals
    cmp = compare(trace, {"a1": "0.57", "a2": "0.62", "z3": "1.0090"})
    assert cmp["z3"].status == "rounding" and cmp.first_wrong is None and cmp.ok
    assert "only because your earlier values are rounded" in cmp.render()


def test_wrong_given_number(trace):
    cmp = compare(trace, {"w13": "0.8"})
    assert cmp.first_wrong.name == "w13"
    assert "w13: you have 0.8 but the problem gives 0.7" in cmp.first_wrong.message


# -- precision ---------------------------------------------------------------------------------
@pytest.mark.parametrize("written, status, slack", [
    ("0.73", "match", False),     # 0.7337 rounds to 0.73
    ("0.734", "match", False),
    ("0.7337", "match", False),
    ("0.733", "match", True),     # one unit off in the last digit: accepted, reported
    ("0.74", "match", True),
    ("0.75", "new slip", False),
    ("0.7", "match", False),
    ("0.8", "match", True),
    ("7.337e-1", "match", False),
    ("0.7350", "new slip", False),
])
def test_learner_precision(trace, written, status, slack):
    c = compare(trace, {"yhat": written})["ŷ"]
    assert (c.status, c.slack) == (status, slack)


def test_float_values_use_their_repr(trace):
    c = compare(trace, {"yhat": 0.73, "dL/dw13": -0.15})
    assert c["ŷ"].status == "match" and c["ŷ"].learner.decimals == 2
    assert c["dL/dw13"].status == "match"


def test_learner_value_decimals():
    assert LearnerValue("0.748").decimals == 3
    assert LearnerValue("-0.030").decimals == 3
    assert LearnerValue("0").decimals == 0
    assert LearnerValue("1.5e-3").decimals == 4
    assert LearnerValue("2e2").decimals == -2
    assert LearnerValue("−0.5") == -0.5  # unicode minus
    assert LearnerValue(0.1).decimals == 1 and LearnerValue(3).decimals == 0
    assert LearnerValue("0.748").half_unit == pytest.approx(0.0005)
    for bad in ["abc", "1.2.3", "", "nan", float("inf"), True, None]:
        with pytest.raises(ValueError):
            LearnerValue(bad)


# -- names -------------------------------------------------------------------------------------
def test_aliases_in_compare(trace):
    vals = {"yhat": "0.7337", "∂L/∂w13": "-0.1530", "delta3": "-0.2663", "w13_new": "0.7153",
            "sigma'(z1)": "0.2445", "dL/dz1": "-0.0456", "loss": "0.3097"}
    cmp = compare(trace, vals)
    assert [c.name for c in cmp.checks] == ["ŷ", "L", "δ3", "dL/dw13", "σ'(z1)", "δ1", "w13'"]
    assert cmp.ok
    assert cmp["yhat"].written_as == "yhat"


def test_unknown_names_are_reported(trace):
    cmp = compare(trace, {"z9": "1", "banana": "2", "z1": "0.3"})
    assert cmp.unknown == ["z9", "banana"]
    assert "Not recognised (ignored): z9, banana" in cmp.render()


def test_conflicting_aliases_are_an_error(trace):
    with pytest.raises(ValueError, match="'yhat' = 0.73 and 'ŷ' = 0.8 both name step 'ŷ'"):
        compare(trace, {"yhat": "0.73", "ŷ": "0.8"})
    compare(trace, {"yhat": "0.73", "ŷ": "0.73"})  # agreeing duplicates are fine
    with pytest.raises(ValueError, match=r"learner_values\['z1'\]"):
        compare(trace, {"z1": "zero"})
    with pytest.raises(TypeError, match="mapping"):
        compare(trace, [("z1", 0.3)])


# -- parser ------------------------------------------------------------------------------------
def test_parse_lines():
    text = """
    # my hand calculation
    z1 = 0.3            # trailing comment
    ŷ ≈ 0.748
    dL/dw13: -0.145
    z3 = (0.7)(0.574) + (0.5)(0.622) + 0.3 = 1.086
    w11 = 0.2, w21 = 0.4; b1 = 0.1
    δ3 = −0.252
    """
    v = parse_learner_values(text)
    assert list(v) == ["z1", "ŷ", "dL/dw13", "z3", "w11", "w21", "b1", "δ3"]
    assert v["z3"] == 1.086 and v["z3"].decimals == 3 and v["z3"].text == "1.086"
    assert v["δ3"] == -0.252


def test_parse_json():
    v = parse_learner_values('{"yhat": 0.748, "dL/dw13": "-0.145", "x1": 1}')
    assert v["yhat"].decimals == 3 and v["dL/dw13"] == -0.145 and v["x1"].decimals == 0
    # the decimals are those written, not those of the float
    assert parse_learner_values('{"a1": 0.5740}')["a1"].decimals == 4


@pytest.mark.parametrize("text, match", [
    ("z1 = 0.3\nz2 0.5\n", r"line 2: expected 'name = value', got 'z2 0.5'"),
    ("z1 = 0.3\n\n# c\nz2 = abc\n", r"line 4: the value of 'z2' is 'abc', which is not a number"),
    ("z1 = 0.3\nz_1 = 0.3\n", r"line 2: 'z_1' was already given on line 1 \(as 'z1'\)"),
    ("= 0.3\n", r"line 1: expected 'name = value'"),
    ("# only comments\n", r"no 'name = value' lines"),
    ('{"z1": 0.3,\n "z2": }', r"line 2: invalid JSON"),
    ('{"z1": [0.3]}', r"the value of 'z1' must be a number"),
    ('{"z1": "x"}', r"the value of 'z1' is 'x', which is not a number"),
    ('{"z1": 0.3, "z1": 0.4}', r"key 'z1' appears twice"),
    ('{"yhat": 0.7, "ŷ": 0.7}', r"'ŷ' and 'yhat' name the same value"),
    ('{"z1": NaN}', r"NaN is not allowed"),
    ("{}", r"empty"),
])
def test_parse_errors(text, match):
    with pytest.raises(ValueError, match=match):
        parse_learner_values(text, source="mine.txt")


def test_load_learner_file(tmp_path):
    p = tmp_path / "mine.txt"
    p.write_text("\ufeffyhat = 0.7337\n", encoding="utf-8")  # a BOM from Windows editors
    assert load_learner_values(p)["yhat"] == 0.7337
    with pytest.raises(ValueError, match=r"mine2.txt, line 1"):
        (tmp_path / "mine2.txt").write_text("oops\n", encoding="utf-8")
        load_learner_values(tmp_path / "mine2.txt")
    with pytest.raises(ValueError, match="cannot be read"):
        load_learner_values(tmp_path / "nope.txt")
    assert load_learner_values("seed")["z3"].text == "1.086"


# -- the CLI-facing call -------------------------------------------------------------------------
def test_explain_backprop_default_is_the_seed():
    r = explain_backprop()
    assert r.comparison is None and r.ok
    assert "z3 = w13·a1 + w23·a2 + b3 = (0.7)(0.5744) + (0.5)(0.6225) + 0.3 = 1.0133" in r.text


def test_explain_backprop_compare_seed():
    r = explain_backprop(compare_with="seed")
    assert not r.ok and r.comparison.first_wrong.name == "z3"
    assert "First wrong step -- z3: you have 1.086" in r.text
    assert str(r) == r.text


def test_explain_backprop_json():
    r = explain_backprop(compare_with="seed", as_json=True)
    d = json.loads(r.text)
    assert d["comparison"]["first_wrong"] == "z3"
    assert round(next(s["value"] for s in d["trace"]["steps"] if s["name"] == "L"), 4) == 0.3097


def test_explain_backprop_flags_and_overrides(tmp_path):
    r = explain_backprop(weights=["0.2,0.4;0.3,0.1", "0.7,0.5"], biases=["0.1,0.2", "0.3"],
                         x="1,0", y="1", lr=0.1)
    assert round(r.trace.value("w13'"), 4) == 0.7153
    r2 = explain_backprop("seed", y="0", loss="mse", lr=0.5)
    assert r2.trace.loss == "mse" and r2.trace.lr == 0.5 and r2.trace.y.tolist() == [0.0]
    with pytest.raises(ValueError, match="x and y"):
        build_problem(weights=["1,2"])
    with pytest.raises(ValueError, match="not both"):
        build_problem("seed", weights=["1,2"])
    with pytest.raises(ValueError, match="only used together with weights"):
        build_problem(activations="tanh")
    with pytest.raises(ValueError, match="precision"):
        explain_backprop(precision=99)


def test_compare_other_network():
    # a tanh/MSE net: a learner who used the wrong tanh derivative (1 - z² instead of 1 - a²)
    from losslab.explain import LayerSpec, NetworkSpec
    net = NetworkSpec([LayerSpec([[0.5, -0.4]], [0.1], "tanh"), LayerSpec([[1.2]], [0.0], "tanh")])
    t = trace_backprop(net, [1.0, 0.5], [0.2], loss="mse", lr=0.1)
    z1 = t.value("z1")
    vals = {n: f"{t.value(n):.4f}" for n in ["z1", "a1", "z2", "ŷ", "L", "dL/dŷ", "tanh'(z2)", "δ2", "dL/da1"]}
    vals["tanh'(z1)"] = f"{1 - z1 * z1:.4f}"
    vals["δ1"] = f"{t.value('dL/da1') * (1 - z1 * z1):.4f}"
    vals["dL/dw11"] = vals["δ1"]
    cmp = compare(t, vals)
    assert cmp.first_wrong.name == "tanh'(z1)"
    assert cmp["δ1"].status == "carried" and cmp["dL/dw11"].status == "carried"
    assert "tanh'(z1): you have" in cmp.first_wrong.message and "1 - a1²" in cmp.first_wrong.message


def test_docs_show_current_output():
    """docs/explain.md quotes the seed's trace and comparison; keep it in sync."""
    from pathlib import Path

    from losslab.explain import render
    doc = Path(__file__).resolve().parents[2] / "docs" / "explain.md"
    if not doc.exists():
        pytest.skip("docs/explain.md not present")
    text = doc.read_text(encoding="utf-8")
    t = seed_problem().trace()
    assert render(t) in text
    assert compare(t, seed_learner_values()).render() in text
