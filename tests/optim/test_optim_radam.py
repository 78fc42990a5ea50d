"""RAdam: the two phases (momentum steps, then rectified Adam steps) by hand and against torch's
functional form, 200-step trajectories against torch.optim.RAdam (every registry configuration,
several param groups), state_dict resume, validation and descent on the test surfaces."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, RAdam, radam_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["radam"]


def _rho(t, b2):
    rho_inf = 2 / (1 - b2) - 1
    return rho_inf - 2 * t * b2 ** t / (1 - b2 ** t), rho_inf


def test_first_steps_are_bias_corrected_momentum_steps():
    b1, b2, lr = 0.9, 0.999, 0.1
    p, g = np.array([1.0]), np.array([4.0])
    s = (None, None)
    for t in range(1, 6):
        assert _rho(t, b2)[0] <= 5.0
        before = p.copy()
        s = radam_update(p, g, *s, step=t, lr=lr, beta1=b1, beta2=b2)
        np.testing.assert_allclose(before - p, lr * 4.0, rtol=1e-14)  # m̂ = g for a constant g


def test_rectified_step_by_hand():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    t = 6
    rho_t, rho_inf = _rho(t, b2)
    assert rho_t > 5.0
    p, g = np.array([1.0]), np.array([4.0])
    s = (None, None)
    for k in range(1, t):
        s = radam_update(p, g, *s, step=k, lr=lr, beta1=b1, beta2=b2, eps=eps)
    before = p.copy()
    m, v = radam_update(p, g, *s, step=t, lr=lr, beta1=b1, beta2=b2, eps=eps)
    r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    step = lr * (m / (1 - b1 ** t)) * r * np.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
    np.testing.assert_allclose(before - p, step, rtol=1e-13)
    assert 0 < r < 0.1  # early rectification is strong


def test_low_beta2_never_rectifies():
    """β₂ = 0.5: ρ_∞ = 3 ≤ 5, so RAdam is SGD with bias-corrected momentum throughout."""
    assert _rho(1000, 0.5)[1] == 3.0
    rng = np.random.default_rng(2)
    gs = rng.normal(size=(20, 3))
    p, q, m = np.zeros(3), np.zeros(3), np.zeros(3)
    s = (None, None)
    for t, g in enumerate(gs, 1):
        s = radam_update(p, g, *s, step=t, lr=0.1, beta1=0.8, beta2=0.5)
        m = 0.8 * m + 0.2 * g
        q -= 0.1 * m / (1 - 0.8 ** t)
    np.testing.assert_allclose(p, q, rtol=1e-12)


def test_kernel_checks_shapes_and_dtype():
    p = np.ones(2, dtype=np.float32)
    m, v = radam_update(p, np.array([0.5, 0.1]), step=1, lr=0.01)
    assert p.dtype == m.dtype == v.dtype == np.float32
    with pytest.raises(ValueError, match="exp_avg_sq has shape"):
        radam_update(p, np.zeros(2), m, np.zeros(4), step=2, lr=0.01)


@pytest.mark.parametrize("kw", [
    dict(), dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    dict(beta1=0.5, beta2=0.99, weight_decay=0.05, eps=1e-4),
], ids=["plain", "decoupled-maximize", "betas-coupled"])
def test_kernel_matches_torch_functional(kw):
    torch_radam = importlib.import_module("torch.optim.radam").radam
    full = dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False, maximize=False)
    full.update(kw)

    def ours(p, g, s, t):
        radam_update(p, g, s["exp_avg"], s["exp_avg_sq"], step=t, lr=0.02, **full)

    def theirs(p, g, s, step):
        rest = {k: v for k, v in full.items() if k not in ("decoupled_weight_decay", "maximize")}
        torch_radam([p], [g], [s["exp_avg"]], [s["exp_avg_sq"]], [step], foreach=False,
                    decoupled_weight_decay=full["decoupled_weight_decay"], maximize=full["maximize"],
                    lr=0.02, **rest)

    T.kernel_vs_torch_functional(torch, ours, theirs, {"exp_avg": 0.0, "exp_avg_sq": 0.0}, steps=15)


def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, RAdam, torch.optim.RAdam, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = RAdam([w]).defaults, torch.optim.RAdam([tw]).defaults
    assert d == td and list(d) == list(td)


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, RAdam, torch.optim.RAdam, steps=200, **cfg)


def test_200_steps_groups_with_different_hyperparameters():
    def groups(ps):
        return [{"params": ps[:1], "betas": (0.8, 0.99), "weight_decay": 1e-2},
                {"params": ps[1:], "lr": 0.004, "weight_decay": 1e-2, "decoupled_weight_decay": True}]
    T.compare_trajectory(torch, RAdam, torch.optim.RAdam, groups, steps=200, lr=0.01)


def test_state_dict_mid_run_resume_and_torch_load():
    cfg = dict(lr=0.01, weight_decay=1e-2, decoupled_weight_decay=True)
    T.resume_mid_run(torch, RAdam, torch.optim.RAdam, cfg, first=3, second=100)  # saved before rectification
    opt = T.load_torch_state_mid_run(torch, RAdam, torch.optim.RAdam, cfg)
    assert list(next(iter(opt.state.values()))) == ["step", "exp_avg", "exp_avg_sq"]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-1.0), ValueError, r"RAdam: Invalid learning rate: lr=-1.0"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(betas=(0.9, 1.0)), ValueError, r"Invalid beta parameter at index 1: betas\[1\]=1.0"),
    (dict(betas=(1.0, 0.9)), ValueError, r"index 0"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value"),
    (dict(weight_decay=-1.0), ValueError, "Invalid weight_decay value"),
    (dict(decoupled_weight_decay=None), TypeError, "decoupled_weight_decay must be True or False"),
    (dict(capturable=True), ValueError, "capturable"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RAdam([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch():
    T.assert_validation_agrees(torch, RAdam, torch.optim.RAdam, [
        dict(lr=0.0), dict(lr=-1e-9), dict(betas=(0.0, 0.0)), dict(betas=(1.0, 0.5)),
        dict(betas=(0.5, 1.0)), dict(eps=0.0), dict(eps=-1e-9), dict(weight_decay=-1e-9),
    ])


def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(RAdam, INFO)


def test_docstring_examples_run():
    import losslab.optim.radam as mod
    T.run_doctests(mod)
