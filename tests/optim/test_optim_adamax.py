"""Adamax: the kernel by hand and against torch's functional form, 200-step trajectories against
torch.optim.Adamax (every registry configuration, several param groups), state_dict resume,
validation and descent on the test surfaces."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, Adamax, adamax_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["adamax"]


def test_kernel_two_steps_by_hand():
    b1, b2, lr, eps = 0.9, 0.5, 0.1, 0.0
    p = np.array([1.0, 1.0])
    m, u = adamax_update(p, np.array([3.0, -0.5]), step=1, lr=lr, beta1=b1, beta2=b2, eps=eps)
    np.testing.assert_allclose(u, [3.0, 0.5])
    np.testing.assert_allclose(p, [0.9, 1.1], rtol=1e-15)  # m̂/u = sign(g)
    m, u = adamax_update(p, np.array([1.0, -2.0]), m, u, step=2, lr=lr, beta1=b1, beta2=b2, eps=eps)
    # u = max(β₂u, |g|) = [max(1.5, 1), max(0.25, 2)] = [1.5, 2]
    np.testing.assert_allclose(u, [1.5, 2.0])
    m_ref = np.array([0.9 * 0.3 + 0.1, 0.9 * -0.05 - 0.2])
    np.testing.assert_allclose(m, m_ref, rtol=1e-14)
    np.testing.assert_allclose(p, np.array([0.9, 1.1]) - lr / (1 - b1 ** 2) * m_ref / [1.5, 2.0], rtol=1e-14)


def test_eps_is_added_to_the_gradient_norm():
    """PyTorch: u = max(β₂u, |g| + ε), so a zero gradient still gives a finite step."""
    p = np.array([1.0])
    m, u = adamax_update(p, np.array([0.0]), step=1, lr=0.1, eps=1e-3)
    np.testing.assert_allclose(u, [1e-3])
    np.testing.assert_array_equal(p, [1.0])


def test_kernel_keeps_float32_and_checks_shapes():
    p = np.ones(2, dtype=np.float32)
    m, u = adamax_update(p, np.array([0.5, 0.1]), step=1, lr=0.01)
    assert p.dtype == m.dtype == u.dtype == np.float32
    with pytest.raises(ValueError, match="exp_inf has shape"):
        adamax_update(p, np.zeros(2), m, np.zeros(1), step=2, lr=0.01)


@pytest.mark.parametrize("kw", [dict(), dict(beta1=0.3, beta2=0.8, weight_decay=0.1, maximize=True, eps=1e-3)],
                         ids=["plain", "betas-wd-maximize"])
def test_kernel_matches_torch_functional(kw):
    torch_adamax = importlib.import_module("torch.optim.adamax").adamax
    full = dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, maximize=False)
    full.update(kw)

    def ours(p, g, s, t):
        adamax_update(p, g, s["exp_avg"], s["exp_inf"], step=t, lr=0.02, **full)

    def theirs(p, g, s, step):
        torch_adamax([p], [g], [s["exp_avg"]], [s["exp_inf"]], [step], foreach=False, lr=0.02, **full)

    T.kernel_vs_torch_functional(torch, ours, theirs, {"exp_avg": 0.0, "exp_inf": 0.0})


def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, Adamax, torch.optim.Adamax, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = Adamax([w]).defaults, torch.optim.Adamax([tw]).defaults
    assert d == td and list(d) == list(td)


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, Adamax, torch.optim.Adamax, steps=200, **cfg)


def test_200_steps_groups_with_different_hyperparameters():
    def groups(ps):
        return [{"params": ps[:1], "betas": (0.8, 0.99), "weight_decay": 1e-2},
                {"params": ps[1:], "lr": 0.004, "eps": 1e-4}]
    T.compare_trajectory(torch, Adamax, torch.optim.Adamax, groups, steps=200, lr=0.01)


def test_state_dict_mid_run_resume_and_torch_load():
    cfg = dict(lr=0.01, weight_decay=1e-2)
    T.resume_mid_run(torch, Adamax, torch.optim.Adamax, cfg)
    opt = T.load_torch_state_mid_run(torch, Adamax, torch.optim.Adamax, cfg)
    assert list(next(iter(opt.state.values()))) == ["step", "exp_avg", "exp_inf"]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-2e-3), ValueError, r"Adamax: Invalid learning rate: lr=-0.002"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(betas=(1.2, 0.999)), ValueError, r"Invalid beta parameter at index 0: betas\[0\]=1.2"),
    (dict(betas=(0.9, 1.0)), ValueError, r"index 1"),
    (dict(betas=[0.9]), TypeError, "betas must be a pair"),
    (dict(eps=-1.0), ValueError, "Invalid epsilon value"),
    (dict(weight_decay=-1.0), ValueError, "Invalid weight_decay value"),
    (dict(differentiable=True), ValueError, "differentiable"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Adamax([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch():
    T.assert_validation_agrees(torch, Adamax, torch.optim.Adamax, [
        dict(lr=0.0), dict(lr=-1e-9), dict(betas=(0.0, 0.0)), dict(betas=(1.0, 0.5)),
        dict(betas=(0.5, 1.0)), dict(eps=0.0), dict(eps=-1e-9), dict(weight_decay=-1e-9),
    ])


def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(Adamax, INFO)


def test_docstring_examples_run():
    import losslab.optim.adamax as mod
    T.run_doctests(mod)
