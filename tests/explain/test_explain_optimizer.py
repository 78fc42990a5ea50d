"""explain.optimizer_step: the worked step equals the real optimizer (every registered optimizer,
every oracle configuration of the registry, two steps), equals torch.optim for a few, the seed's
SGD step equals the backprop explainer's, the text shows the rule with the hyperparameters, a
wrong worked formula is caught, and bad input is refused clearly; the CLI commands."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

import losslab as ll
from losslab.cli import cli
from losslab.explain import seed_problem
from losslab.explain import optimizer_step as os_
from losslab.explain.optimizer_step import (
    ALIASES, REFUSED, ExplanationMismatch, explain_optimizer, optimizer_names,
)
from losslab.optim import OPTIMIZER_REGISTRY

CUSTOM = {"theta": [1.0, -2.0, 0.5], "grad": [[0.3, -0.2, 0.0], [-0.1, -0.4, 0.2]]}
CUSTOM_MATRIX = {"theta": [[1.0, 2.0, 0.5], [0.2, 0.1, -0.3]],
                 "grad": [[[0.3, 0.1, -0.2], [0.0, 0.4, 0.2]], [[0.1, 0.1, 0.1], [-0.3, 0.4, 0.5]]]}


def _independent_run(name, lr, params, theta0, grads):
    """The registry's optimizer stepped directly on the given gradients (no explainer code)."""
    info = OPTIMIZER_REGISTRY[name]
    p = ll.tensor(np.array(theta0, dtype=np.float64), dtype=ll.float64, requires_grad=True)
    kwargs = dict(params)
    if lr is not None:
        kwargs["lr"] = lr
    opt = info.cls([p], **kwargs)
    out = []
    for g in grads:
        p.grad = ll.tensor(np.array(g, dtype=np.float64), dtype=ll.float64)
        opt.step()
        out.append(np.array(p.data, dtype=np.float64))
    return out


# -- every optimizer, every oracle configuration ---------------------------------------------------
def _cases():
    for name in optimizer_names(include_aliases=False):
        info = OPTIMIZER_REGISTRY[name]
        for k, cfg in enumerate(info.oracle_configs + (info.descent_config,)):
            yield pytest.param(name, dict(cfg), id=f"{name}-{k}")


def test_every_explainable_optimizer_is_registered_and_every_registered_one_is_explained_or_refused():
    names = optimizer_names(include_aliases=False)
    assert set(names) | set(REFUSED) == set(OPTIMIZER_REGISTRY)
    for must in ("sgd", "adagrad", "rmsprop", "adam", "adamw", "nadam", "radam", "adamax", "adadelta",
                 "lion", "rprop", "asgd", "adafactor", "muon"):
        assert must in names
    assert "lbfgs" not in names and set(ALIASES) <= set(optimizer_names())


@pytest.mark.parametrize("name,cfg", list(_cases()))
def test_worked_steps_equal_the_real_optimizer(name, cfg):
    lr = cfg.pop("lr", None)
    problem = CUSTOM_MATRIX if name == "muon" else CUSTOM
    e = explain_optimizer(name, lr=lr, params=cfg, problem=problem, steps=2)
    # independently of the explainer's own check: run the optimizer on the same gradients
    real = _independent_run(name, lr, cfg, problem["theta"], problem["grad"])
    for s, r in zip(e.steps, real):
        np.testing.assert_allclose(s.theta_after, r, rtol=1e-12, atol=1e-12)
        assert s.max_abs_diff <= 1e-12
    assert e.verified and len(e.steps) == 2
    # each step's worked θ_t is one of its printed quantities
    for s in e.steps:
        (q,) = [q for q in s.quantities if q.name == f"θ_{s.t}"]
        np.testing.assert_array_equal(q.value, s.theta_after)


@pytest.mark.parametrize("name", optimizer_names(include_aliases=False))
@pytest.mark.parametrize("problem", ["seed", "quadratic"])
def test_engine_gradient_problems(name, problem):
    if name == "muon" and problem == "quadratic":
        with pytest.raises(ValueError, match="2-D matrices only"):
            explain_optimizer(name, problem=problem)
        return
    e = explain_optimizer(name, problem=problem, steps=2)
    assert e.verified
    # step 2's gradient is the engine's gradient at θ_1, not step 1's again
    assert not np.array_equal(e.steps[0].grad, e.steps[1].grad)
    np.testing.assert_array_equal(e.steps[1].theta_before, e.steps[0].theta_after)


@pytest.mark.parametrize("params", [
    {"momentum": 0.9, "momentum_style": "sutskever"},
    {"momentum": 0.9, "nesterov": True, "momentum_style": "sutskever", "weight_decay": 0.1},
    {"momentum": 0.5, "dampening": 0.3, "maximize": True},
])
def test_sgd_conventions(params):
    e = explain_optimizer("sgd", lr=0.05, params=params, problem=CUSTOM, steps=2)
    real = _independent_run("sgd", 0.05, params, CUSTOM["theta"], CUSTOM["grad"])
    np.testing.assert_allclose(e.steps[1].theta_after, real[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,params", [
    ("rmsprop", {"eps_inside_sqrt": True, "centered": True, "momentum": 0.5, "momentum_style": "sutskever"}),
    ("adagrad", {"eps_inside_sqrt": True, "lr_decay": 0.1, "initial_accumulator_value": 0.2}),
    ("adam", {"eps_style": "epsilon_hat", "amsgrad": True, "weight_decay": 0.1}),
    ("adam", {"decoupled_weight_decay": True, "weight_decay": 0.1, "beta1": 0.5}),
    ("adamw", {"eps_style": "epsilon_hat"}),
    ("nadam", {"decoupled_weight_decay": True, "weight_decay": 0.2}),
    ("radam", {"betas": (0.9, 0.5)}),  # ρ_t > 5 from step 1: the rectified branch
    ("asgd", {"t0": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("adafactor", {"eps": (1e-3, 1e-3), "d": 1.5, "weight_decay": 0.1, "maximize": True}),
    ("lion", {"weight_decay": 0.5}),
    ("muon", {"nesterov": False, "adjust_lr_fn": "match_rms_adamw"}),
    ("muon", {"ns_steps": 0}),
])
def test_convention_options(name, params):
    problem = CUSTOM_MATRIX if name == "muon" else CUSTOM
    e = explain_optimizer(name, lr=0.05, params=params, problem=problem, steps=2)
    kwargs = dict(params)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), 0.999)
    real = _independent_run(name, 0.05, kwargs, problem["theta"], problem["grad"])
    np.testing.assert_allclose(e.steps[1].theta_after, real[1], rtol=1e-12, atol=1e-12)


def test_radam_rectified_branch_is_shown():
    e = explain_optimizer("radam", lr=0.01, steps=6)
    assert "ρ_1 = 1 ≤ 5: no adaptive denominator yet" in e.text
    assert "ρ_5 = 4.996 ≤ 5" in e.text and "ρ_6 = 5.99416 > 5: the variance is rectified" in e.text
    assert [q.name for q in e.steps[5].quantities if q.name.startswith("r_")] == ["r_6"]
    real = _independent_run("radam", 0.01, {}, [0.7, 0.5, 0.3], [s.grad for s in e.steps])
    np.testing.assert_allclose(e.steps[5].theta_after, real[5], rtol=1e-12, atol=1e-12)


# -- torch as the oracle -------------------------------------------------------------------------
@pytest.mark.parametrize("name,torch_name,lr,params", [
    ("sgd", "SGD", 0.1, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("adam", "Adam", 0.01, {"betas": (0.8, 0.99), "amsgrad": True}),
    ("adamw", "AdamW", 0.01, {"weight_decay": 0.1}),
    ("rmsprop", "RMSprop", 0.01, {"momentum": 0.5, "centered": True}),
    ("adagrad", "Adagrad", 0.1, {"lr_decay": 0.05}),
    ("nadam", "NAdam", 0.01, {}),
    ("adadelta", "Adadelta", 1.0, {"rho": 0.8}),
    ("rprop", "Rprop", 0.01, {}),
])
def test_worked_steps_equal_torch_optim(name, torch_name, lr, params):
    torch = pytest.importorskip("torch")
    e = explain_optimizer(name, lr=lr, params=params, steps=2)
    # torch on the seed problem, the gradient by torch's own autograd
    a1, a2 = 1 / (1 + np.exp(-0.3)), 1 / (1 + np.exp(-0.5))
    p = torch.tensor([0.7, 0.5, 0.3], dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, torch_name)([p], lr=lr, **params)
    a = torch.tensor([a1, a2, 1.0], dtype=torch.float64)
    for s in e.steps:
        opt.zero_grad()
        yhat = torch.sigmoid((p * a).sum()).reshape(1)
        torch.nn.functional.binary_cross_entropy(yhat, torch.ones(1, dtype=torch.float64)).backward()
        np.testing.assert_allclose(p.grad.numpy(), s.grad, rtol=1e-12, atol=1e-14)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), s.theta_after, rtol=1e-12, atol=1e-12)


# -- the seed connection and the text -----------------------------------------------------------
def test_seed_sgd_step_is_the_backprop_explainers_update():
    trace = seed_problem().trace()
    e = explain_optimizer("sgd", lr=0.1)
    s = e.steps[0]
    np.testing.assert_allclose(s.grad, [trace.value("dL/dw13"), trace.value("dL/dw23"), trace.value("dL/db3")],
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(s.theta_after, [trace.value("w13'"), trace.value("w23'"), trace.value("b3'")],
                               rtol=0, atol=1e-15)
    assert [round(v, 4) for v in s.theta_after] == [0.7153, 0.5166, 0.3266]


def test_adam_text_shows_rule_with_values_and_each_quantity():
    e = explain_optimizer("adam", lr=0.01, params={"betas": (0.8, 0.99)}, steps=2)
    text = e.text
    assert text.startswith("Adam (torch.optim.Adam): update rule with the current hyperparameters")
    assert "m_t = β1·m_{t-1} + (1 − β1)·g_t   (m_0 = 0)   with β1 = 0.8" in text
    assert "v_t = β2·v_{t-1} + (1 − β2)·g_t²   (v_0 = 0)   with β2 = 0.99" in text
    assert "with η = 0.01, ε = 1e-08" in text
    assert "Step 1 (t = 1)" in text and "Step 2 (t = 2)" in text
    assert "= 0.8·[0, 0, 0] + 0.2·[-0.152989, -0.165778, -0.266327]" in text
    assert "1 − β1^2 = 1 − 0.8^2 = 0.36" in text
    # every worked quantity is printed with its value
    for s in e.steps:
        names = [q.name for q in s.quantities]
        assert names[:3] == [f"g_{s.t}", f"m_{s.t}", f"v_{s.t}"]
        for q in s.quantities:
            assert f"  {q.name} = " in text
    assert text.count("check: θ_") == 2 and "so does its state exp_avg, exp_avg_sq" in text
    # the numbers shown are the worked ones: m_1 = 0.2·g_1
    m1 = next(q for q in e.steps[0].quantities if q.name == "m_1")
    np.testing.assert_allclose(m1.value, 0.2 * e.steps[0].grad, rtol=1e-15)


def test_to_dict_is_json_and_complete():
    e = explain_optimizer("nesterov", lr=0.1, steps=2)
    d = json.loads(json.dumps(e.to_dict()))
    assert d["optimizer"] == "sgd" and d["class"] == "SGD" and d["torch_name"] == "SGD"
    assert d["hyperparameters"]["momentum"] == 0.9 and d["hyperparameters"]["nesterov"] is True
    assert d["verified"] is True and d["tolerance"] == 1e-12
    assert [s["t"] for s in d["steps"]] == [1, 2]
    assert d["steps"][1]["theta_before"] == d["steps"][0]["theta_after"]
    assert {"momentum_buffer"} == set(d["steps"][0]["state_checked"])
    assert any(q["name"] == "d_2" for q in d["steps"][1]["quantities"])  # the Nesterov look-ahead
    assert d["problem"]["coordinates"] == ["w13", "w23", "b3"]
    j = explain_optimizer("adam", as_json=True)
    assert json.loads(j.text)["class"] == "Adam"


def test_asgd_and_nadam_mirror_the_float32_scalar_state():
    # with the default dtype float32, ASGD's η and NAdam's Π are stored rounded, as in PyTorch
    from losslab.optim._adaptive import scalar_dtype

    e = explain_optimizer("asgd", lr=0.01, steps=2)
    eta1 = next(q for q in e.steps[0].quantities if q.name == "η_1")
    assert eta1.value == float(np.array(0.01, dtype=scalar_dtype()))
    if scalar_dtype() == np.float32:
        assert eta1.value != 0.01 and "stored as float32" in e.text
    e = explain_optimizer("nadam", lr=0.01, steps=2)
    assert e.verified


def test_a_wrong_worked_formula_is_caught(monkeypatch):
    good = os_._EXPLAINERS["adam"]

    def wrong(h, w, theta, g, st, t):  # a slip of 1e-9 in the last line
        new = good.work(h, w, theta, g, st, t)
        return new + 1e-9

    monkeypatch.setitem(os_._EXPLAINERS, "adam", os_._Explainer(good.rule, wrong, good.state))
    with pytest.raises(ExplanationMismatch, match=r"Adam step 1: the worked θ_1"):
        explain_optimizer("adam")

    def wrong_state(h, w, theta, g, st, t):
        new = good.work(h, w, theta, g, st, t)
        st["m"] = st["m"] * 1.001
        return new

    monkeypatch.setitem(os_._EXPLAINERS, "adam", os_._Explainer(good.rule, wrong_state, good.state))
    with pytest.raises(ExplanationMismatch, match=r"state\['exp_avg'\]"):
        explain_optimizer("adam")


# -- bad input ---------------------------------------------------------------------------------
def test_bad_inputs():
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamz'; expected one of sgd, .*adam"):
        explain_optimizer("adamz")
    with pytest.raises(ValueError, match="LBFGS has no single update rule"):
        explain_optimizer("lbfgs")
    with pytest.raises(TypeError, match="name: expected an optimizer name"):
        explain_optimizer(3)
    with pytest.raises(ValueError, match="Adam has no hyperparameter 'momentum'"):
        explain_optimizer("adam", params={"momentum": 0.9})
    with pytest.raises(ValueError, match="lr=..."):
        explain_optimizer("adam", params={"lr": 0.1})
    with pytest.raises(TypeError, match="params: expected a dict"):
        explain_optimizer("adam", params=[("betas", (0.9, 0.9))])
    with pytest.raises(ValueError, match="Invalid beta parameter"):  # the optimizer's own check
        explain_optimizer("adam", params={"beta1": 1.5})
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        explain_optimizer("sgd", params={"nesterov": True})
    with pytest.raises(ValueError, match="steps: expected an int from 1 to 10"):
        explain_optimizer("sgd", steps=11)
    with pytest.raises(ValueError, match="precision"):
        explain_optimizer("sgd", precision=1)
    with pytest.raises(ValueError, match="lr: expected a finite number"):
        explain_optimizer("sgd", lr=float("nan"))
    with pytest.raises(ValueError, match="problem: expected 'seed', 'quadratic'"):
        explain_optimizer("sgd", problem="bowl")
    with pytest.raises(TypeError, match="problem: expected"):
        explain_optimizer("sgd", problem=3)
    with pytest.raises(ValueError, match="grad must have theta's shape"):
        explain_optimizer("sgd", problem={"theta": [1, 2], "grad": [1, 2, 3]})
    with pytest.raises(ValueError, match="theta must be a 1-D vector"):
        explain_optimizer("sgd", problem={"theta": [[1, 2]], "grad": [[1, 2]]})
    with pytest.raises(ValueError, match="theta must be a 2-D matrix"):
        explain_optimizer("muon", problem={"theta": [1, 2], "grad": [1, 2]})
    with pytest.raises(ValueError, match="missing 'grad'"):
        explain_optimizer("sgd", problem={"theta": [1, 2]})
    with pytest.raises(ValueError, match="non-finite"):
        explain_optimizer("sgd", problem={"theta": [1, float("inf")], "grad": [1, 2]})


# -- CLI -----------------------------------------------------------------------------------------
@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("args", [["explain", "graph"], ["explain", "optimizer"]])
def test_cli_help(runner, args):
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_cli_optimizer_adam_two_steps(runner):
    result = runner.invoke(cli, ["explain", "optimizer", "adam", "--lr", "0.01", "--param", "betas=0.8,0.99",
                                 "--steps", "2"])
    assert result.exit_code == 0, result.output
    assert "with β1 = 0.8" in result.output and "Step 2 (t = 2)" in result.output
    assert result.output.count("check: θ_") == 2


def test_cli_optimizer_params_and_json(runner):
    result = runner.invoke(cli, ["explain", "optimizer", "sgd", "--lr", "0.1", "--param", "momentum=0.9",
                                 "--param", "nesterov=true", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["hyperparameters"]["nesterov"] is True and d["hyperparameters"]["momentum"] == 0.9
    result = runner.invoke(cli, ["explain", "optimizer", "sgd", "--lr", "0.1", "--json"])
    d = json.loads(result.output)
    assert [round(v, 4) for v in d["steps"][0]["theta_after"]] == [0.7153, 0.5166, 0.3266]


def test_cli_optimizer_own_problem(runner):
    result = runner.invoke(cli, ["explain", "optimizer", "rmsprop", "--theta", "1,-2", "--grad", "0.5,-1;0.2,0.1",
                                 "--steps", "2", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["steps"][0]["grad"] == [0.5, -1.0] and d["steps"][1]["grad"] == [0.2, 0.1]
    result = runner.invoke(cli, ["explain", "optimizer", "muon", "--lr", "0.02", "--theta", "1,0;0,1",
                                 "--grad", "0.5,0.1;0.2,0.3"])
    assert result.exit_code == 0, result.output
    assert "O_1 = X_5" in result.output
    result = runner.invoke(cli, ["explain", "optimizer", "adam", "--problem", "quadratic"])
    assert result.exit_code == 0 and "½·(θ1² + 10·θ2²)" in result.output


@pytest.mark.parametrize("args,message", [
    (["nosuch"], "valid names: sgd, "),
    (["lbfgs"], "LBFGS has no single update rule"),
    (["adam", "--param", "betas"], "expected NAME=VALUE"),
    (["adam", "--param", "foo=1"], "Adam has no hyperparameter 'foo'"),
    (["sgd", "--theta", "1,2"], "--theta and --grad go together"),
    (["sgd", "--steps", "11"], "11 is not in the range"),
    (["sgd", "--problem", "bowl"], "problem: expected"),
])
def test_cli_optimizer_errors(runner, args, message):
    result = runner.invoke(cli, ["explain", "optimizer", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_graph_text_and_image(runner, tmp_path):
    result = runner.invoke(cli, ["explain", "graph"])
    assert result.exit_code == 0, result.output
    assert "a1 = σ(z1)" in result.output and "value 0.5744" in result.output
    assert "z3 = w13·a1 + w23·a2 + b3" in result.output and "19 nodes, 20 edges" in result.output
    pytest.importorskip("matplotlib")
    out = tmp_path / "g.png"
    result = runner.invoke(cli, ["explain", "graph", "--out", str(out), "--dpi", "50"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_cli_graph_network_options_and_json(runner):
    result = runner.invoke(cli, ["explain", "graph", "--weights", "0.5,-0.5", "--biases", "0.1",
                                 "--activations", "identity", "--x", "1,2", "--y", "0.3", "--loss", "mse",
                                 "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    names = [n["name"] for n in d["nodes"]]
    assert names == ["x1", "x2", "w11", "w21", "b1", "z1", "ŷ", "y", "L"]
    z = next(n for n in d["nodes"] if n["name"] == "z1")
    assert z["value"] == pytest.approx(0.5 - 1.0 + 0.1)
    # MSE: ∂L/∂ŷ = 2(ŷ − y), and ŷ = z (identity)
    assert z["grad"] == pytest.approx(2 * (-0.4 - 0.3))


@pytest.mark.parametrize("args,message", [
    (["--out", "graph.jpg"], ".png or .svg"),
    (["--weights", "0.5,0.5"], "x and y"),
    (["--network", "nope.json"], "cannot be read"),
])
def test_cli_graph_errors(runner, args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["explain", "graph", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_an_overflow_both_sides_agree_on_is_not_a_mismatch():
    # θ − η·g overflows to −inf in the worked step and in SGD.step() alike: shown, not a mismatch
    with np.errstate(over="ignore", invalid="ignore"):
        e = explain_optimizer("sgd", lr=10.0, problem={"theta": [1e308, 1.0], "grad": [1e308, 1.0]})
    assert e.steps[0].theta_after.tolist() == [-np.inf, -9.0]
    with np.errstate(over="ignore", invalid="ignore"):
        j = explain_optimizer("sgd", lr=10.0, problem={"theta": [1e308, 1.0], "grad": [1e308, 1.0]}, as_json=True)

    def no_constant(name):
        raise AssertionError(f"{name} is not JSON")

    assert json.loads(j.text, parse_constant=no_constant)["steps"][0]["theta_after"] == [None, -9.0]
