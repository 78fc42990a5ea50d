"""Adagrad: the kernel against hand-computed values and torch's functional form, 200-step
trajectories against torch.optim.Adagrad (every registry configuration, several param groups),
eager state as PyTorch, lr_decay, state_dict resume, validation, the ε-inside-the-root convention
(Keras/optax) and descent on the test surfaces."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, Adagrad, adagrad_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["adagrad"]


# -- kernel -----------------------------------------------------------------------------------
def test_kernel_by_hand():
    p, g1, g2 = np.array([1.0, 1.0]), np.array([2.0, -0.5]), np.array([1.0, 1.0])
    s = adagrad_update(p, g1, step=1, lr=0.1, eps=0.0)
    np.testing.assert_allclose(s, [4.0, 0.25])
    np.testing.assert_allclose(p, [0.9, 1.1], rtol=1e-15)  # η·sign(g) on the first step
    same = s
    s = adagrad_update(p, g2, s, step=2, lr=0.1, eps=0.0)
    assert s is same  # in place
    np.testing.assert_allclose(s, [5.0, 1.25])
    np.testing.assert_allclose(p, [0.9 - 0.1 / np.sqrt(5.0), 1.1 - 0.1 / np.sqrt(1.25)], rtol=1e-15)


def test_kernel_lr_decay_initial_accumulator_and_weight_decay():
    p, g = np.array([2.0]), np.array([1.0])
    s = adagrad_update(p, g, step=3, lr=0.3, lr_decay=0.5, eps=0.0, initial_accumulator_value=3.0,
                       weight_decay=0.5)
    # g' = 1 + 0.5·2 = 2; s = 3 + 4 = 7; η_3 = 0.3/(1 + 2·0.5) = 0.15
    np.testing.assert_allclose(s, [7.0])
    np.testing.assert_allclose(p, [2.0 - 0.15 * 2.0 / np.sqrt(7.0)], rtol=1e-15)


def test_kernel_keeps_float32_and_checks_shapes():
    p = np.ones(3, dtype=np.float32)
    s = adagrad_update(p, np.array([0.1, 0.2, 0.3]), step=1, lr=0.1)
    assert p.dtype == s.dtype == np.float32
    with pytest.raises(ValueError, match="state_sum has shape"):
        adagrad_update(p, np.zeros(3), np.zeros(2), step=1, lr=0.1)
    with pytest.raises(ValueError, match="grad has shape"):
        adagrad_update(p, np.zeros(4), step=1, lr=0.1)


@pytest.mark.parametrize("kw", [
    dict(), dict(lr_decay=0.1, weight_decay=0.2), dict(maximize=True, eps=1e-3),
], ids=["plain", "decay", "maximize"])
def test_kernel_matches_torch_functional(kw):
    torch_adagrad = importlib.import_module("torch.optim.adagrad").adagrad
    full = dict(lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=False)
    full.update(kw)

    def ours(p, g, s, t):
        adagrad_update(p, g, s["sum"], step=t, lr=0.1, **full)

    def theirs(p, g, s, step):
        torch_adagrad([p], [g], [s["sum"]], [step], foreach=False, lr=0.1, **full)

    T.kernel_vs_torch_functional(torch, ours, theirs, {"sum": 0.1})


# -- against torch.optim.Adagrad --------------------------------------------------------------
def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, Adagrad, torch.optim.Adagrad, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = Adagrad([w]).defaults, torch.optim.Adagrad([tw]).defaults
    assert d == td and list(d) == list(td)


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, Adagrad, torch.optim.Adagrad, steps=200, **cfg)


def test_200_steps_groups_with_different_hyperparameters():
    def groups(ps):
        return [{"params": ps[:2], "lr_decay": 0.05, "weight_decay": 1e-2},
                {"params": ps[2:], "lr": 0.02, "eps": 1e-4, "maximize": False}]
    T.compare_trajectory(torch, Adagrad, torch.optim.Adagrad, groups, steps=200, lr=0.1,
                         initial_accumulator_value=0.2)


def test_state_is_created_eagerly_as_torch():
    """PyTorch creates step = 0 and sum = s₀ in __init__ for every parameter."""
    a, b = ll.ones(2, requires_grad=True), ll.ones(3, requires_grad=True)
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    opt = Adagrad([a, b], initial_accumulator_value=0.5)
    topt = torch.optim.Adagrad([ta, tb], initial_accumulator_value=0.5)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1]
    assert list(sd["state"][1]) == list(tsd["state"][1]) == ["step", "sum"]
    np.testing.assert_array_equal(sd["state"][1]["sum"], [0.5, 0.5, 0.5])
    assert float(sd["state"][0]["step"]) == 0.0
    (a * a).sum().backward()  # b has no gradient: not updated, its step stays 0
    opt.step()
    assert float(opt.state[a]["step"]) == 1 and float(opt.state[b]["step"]) == 0
    np.testing.assert_array_equal(b.data, [1.0, 1.0, 1.0])
    # a parameter added later gets its state at its first step, from its group's s₀
    c = ll.ones(2, requires_grad=True)
    opt.add_param_group({"params": [c], "initial_accumulator_value": 2.0})
    assert c not in opt.state
    (c * c).sum().backward()
    opt.step()
    np.testing.assert_allclose(opt.state[c]["sum"], [6.0, 6.0])  # 2 + g² with g = 2


def test_group_initial_accumulator_value_is_used():
    """Documented deviation: PyTorch fills every group's sum with the constructor's value."""
    a, b = ll.ones(2, requires_grad=True), ll.ones(2, requires_grad=True)
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    opt = Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}])
    topt = torch.optim.Adagrad([{"params": [ta]}, {"params": [tb], "initial_accumulator_value": 3.0}])
    np.testing.assert_array_equal(opt.state[b]["sum"], [3.0, 3.0])
    np.testing.assert_array_equal(topt.state[tb]["sum"].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(opt.state[a]["sum"], topt.state[ta]["sum"].numpy())


def test_lr_decay_slows_the_steps():
    def final(decay):
        w = ll.tensor([5.0], dtype=ll.float64, requires_grad=True)
        opt = Adagrad([w], lr=0.5, lr_decay=decay)
        for _ in range(20):
            opt.zero_grad(); (w * w).sum().backward(); opt.step()
        return w.item()
    assert final(0.0) < final(0.5) < 5.0


def test_state_dict_mid_run_resume_and_torch_load():
    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], "lr_decay": 0.01}]
    T.resume_mid_run(torch, Adagrad, torch.optim.Adagrad, dict(lr=0.1, weight_decay=1e-2), groups)
    T.load_torch_state_mid_run(torch, Adagrad, torch.optim.Adagrad,
                               dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.3))


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-0.01), ValueError, r"Adagrad: Invalid learning rate: lr=-0.01; expected a finite number >= 0"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(lr_decay=-1.0), ValueError, r"Invalid lr_decay value: lr_decay=-1.0"),
    (dict(weight_decay=-1.0), ValueError, r"Invalid weight_decay value"),
    (dict(initial_accumulator_value=-0.1), ValueError,
     r"Invalid initial_accumulator_value value: initial_accumulator_value=-0.1"),
    (dict(eps=-1e-10), ValueError, r"Invalid epsilon value: eps=-1e-10"),
    (dict(eps="small"), TypeError, "eps must be a real number"),
    (dict(maximize=None), TypeError, "maximize must be True or False"),
    (dict(eps_inside_sqrt="yes"), TypeError, "eps_inside_sqrt must be True or False"),
    (dict(fused=True), ValueError, "fused"),
    (dict(differentiable=True), ValueError, "differentiable"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Adagrad([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch():
    T.assert_validation_agrees(torch, Adagrad, torch.optim.Adagrad, [
        dict(lr=0.0), dict(lr=-1.0), dict(lr_decay=0.0), dict(lr_decay=-1e-9),
        dict(initial_accumulator_value=0.0), dict(initial_accumulator_value=-1e-9), dict(eps=0.0),
        dict(eps=-1e-12), dict(weight_decay=-1e-12),
    ])


# -- ε inside the square root (Keras, optax) --------------------------------------------------
def test_eps_inside_sqrt_is_stored_only_when_set():
    w = ll.zeros(2, requires_grad=True)
    assert "eps_inside_sqrt" not in Adagrad([w]).defaults
    opt = Adagrad([w], eps_inside_sqrt=True)
    assert opt.param_groups[0]["eps_inside_sqrt"] is True
    fresh = Adagrad([w])
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["eps_inside_sqrt"] is True


def _run(cfg, steps=100, seed=15):
    x, y, init = U.problem(seed)
    lp = U.ll_params(init)
    U.ll_run(Adagrad(lp, **cfg), lp, x, y, steps)
    return lp


def test_eps_inside_sqrt_equal_when_eps_is_zero():
    a = _run(dict(lr=0.1, eps=0.0, initial_accumulator_value=0.1))
    b = _run(dict(lr=0.1, eps=0.0, initial_accumulator_value=0.1, eps_inside_sqrt=True))
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)  # √(s + 0) = √s + 0 exactly


def test_eps_inside_sqrt_differs_as_documented():
    a = _run(dict(lr=0.1, eps=1e-3))
    b = _run(dict(lr=0.1, eps=1e-3, eps_inside_sqrt=True))
    assert max(np.max(np.abs(p.data - q.data)) for p, q in zip(a, b)) > 1e-3
    # a tiny gradient: outside, η·g/(|g| + ε) ≈ η; inside, η·g/√(g² + ε) ≈ η·g/√ε
    g, lr, eps = np.array([1e-6]), 1.0, 1e-10
    p1, p2 = np.zeros(1), np.zeros(1)
    adagrad_update(p1, g, step=1, lr=lr, eps=eps)
    adagrad_update(p2, g, step=1, lr=lr, eps=eps, eps_inside_sqrt=True)
    np.testing.assert_allclose(p1, -lr * g / (1e-6 + eps), rtol=1e-14)
    np.testing.assert_allclose(p2, -lr * g / np.sqrt(1e-12 + eps), rtol=1e-14)
    assert abs(p2[0]) < 0.11 * abs(p1[0])


def test_keras_adagrad_formula():
    """A NumPy transcription of Keras 3's Adagrad.update_step (keras/src/optimizers/adagrad.py)
    equals Adagrad(initial_accumulator_value=0.1, eps=1e-7, eps_inside_sqrt=True)."""
    rng = np.random.default_rng(7)
    p0, gs = rng.normal(size=4), rng.normal(size=(30, 4))
    lr, eps = 0.05, 1e-7
    k, acc = p0.copy(), np.full(4, 0.1)
    w = ll.tensor(p0.copy(), requires_grad=True)
    opt = Adagrad([w], lr=lr, initial_accumulator_value=0.1, eps=eps, eps_inside_sqrt=True)
    for g in gs:
        acc += g * g
        k -= lr * g / np.sqrt(acc + eps)
        w.grad = ll.tensor(g.copy())
        opt.step()
    np.testing.assert_allclose(w.data, k, rtol=1e-13)


# -- descent ----------------------------------------------------------------------------------
def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(Adagrad, INFO)


def test_docstring_examples_run():
    import losslab.optim.adagrad as mod
    T.run_doctests(mod)
