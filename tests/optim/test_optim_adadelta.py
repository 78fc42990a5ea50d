"""Adadelta: the kernel by hand and against torch's functional form, 200-step trajectories against
torch.optim.Adadelta (every registry configuration, several param groups), state_dict resume,
validation and descent on the test surfaces."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, Adadelta, adadelta_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["adadelta"]


def test_kernel_two_steps_by_hand():
    rho, eps = 0.5, 0.01
    p, g = np.array([0.0]), np.array([1.0])
    v, u = adadelta_update(p, g, rho=rho, eps=eps)
    v1 = 0.5
    d1 = np.sqrt(0 + eps) / np.sqrt(v1 + eps) * 1.0
    u1 = 0.5 * d1 ** 2
    np.testing.assert_allclose([v[0], u[0], p[0]], [v1, u1, -d1], rtol=1e-15)
    v, u = adadelta_update(p, np.array([-2.0]), v, u, lr=0.5, rho=rho, eps=eps)
    v2 = 0.5 * v1 + 0.5 * 4.0
    d2 = np.sqrt(u1 + eps) / np.sqrt(v2 + eps) * -2.0
    np.testing.assert_allclose([v[0], u[0], p[0]], [v2, 0.5 * u1 + 0.5 * d2 ** 2, -d1 - 0.5 * d2], rtol=1e-15)


def test_zero_eps_never_moves():
    """With ε = 0 the first update is √0/√v·g = 0, and so is every later one (documented)."""
    p, g = np.array([1.0, -1.0]), np.array([0.3, 2.0])
    s = (None, None)
    for _ in range(5):
        s = adadelta_update(p, g, *s, eps=0.0)
    np.testing.assert_array_equal(p, [1.0, -1.0])


def test_kernel_keeps_float32_and_checks_shapes():
    p = np.ones(2, dtype=np.float32)
    v, u = adadelta_update(p, np.array([0.5, 0.1]))
    assert p.dtype == v.dtype == u.dtype == np.float32
    with pytest.raises(ValueError, match="acc_delta has shape"):
        adadelta_update(p, np.zeros(2), v, np.zeros(5))


@pytest.mark.parametrize("kw", [dict(), dict(rho=0.5, weight_decay=0.1, maximize=True, eps=1e-3)],
                         ids=["plain", "rho-wd-maximize"])
def test_kernel_matches_torch_functional(kw):
    torch_adadelta = importlib.import_module("torch.optim.adadelta").adadelta
    full = dict(rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False)
    full.update(kw)

    def ours(p, g, s, t):
        adadelta_update(p, g, s["square_avg"], s["acc_delta"], lr=1.0, **full)

    def theirs(p, g, s, step):
        torch_adadelta([p], [g], [s["square_avg"]], [s["acc_delta"]], [step], foreach=False, lr=1.0, **full)

    T.kernel_vs_torch_functional(torch, ours, theirs, {"square_avg": 0.0, "acc_delta": 0.0})


def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, Adadelta, torch.optim.Adadelta, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = Adadelta([w]).defaults, torch.optim.Adadelta([tw]).defaults
    assert d == td and list(d) == list(td) and d["lr"] == 1.0


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, Adadelta, torch.optim.Adadelta, steps=200, **cfg)


def test_200_steps_groups_with_different_hyperparameters():
    def groups(ps):
        return [{"params": ps[:2], "rho": 0.5, "weight_decay": 1e-2}, {"params": ps[2:], "lr": 2.0, "eps": 1e-4}]
    T.compare_trajectory(torch, Adadelta, torch.optim.Adadelta, groups, steps=200)


def test_state_dict_mid_run_resume_and_torch_load():
    cfg = dict(lr=2.0, rho=0.8, weight_decay=1e-2)
    T.resume_mid_run(torch, Adadelta, torch.optim.Adadelta, cfg)
    opt = T.load_torch_state_mid_run(torch, Adadelta, torch.optim.Adadelta, cfg)
    assert list(next(iter(opt.state.values()))) == ["step", "square_avg", "acc_delta"]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-1.0), ValueError, r"Adadelta: Invalid learning rate: lr=-1.0"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(rho=1.1), ValueError, r"Invalid rho value: rho=1.1; expected 0.0 <= rho <= 1.0"),
    (dict(rho=-0.1), ValueError, "rho=-0.1"),
    (dict(eps=-1e-6), ValueError, "Invalid epsilon value"),
    (dict(weight_decay=-1.0), ValueError, "Invalid weight_decay value"),
    (dict(maximize=0), TypeError, "maximize must be True or False"),
    (dict(capturable=True), ValueError, "capturable"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Adadelta([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch():
    T.assert_validation_agrees(torch, Adadelta, torch.optim.Adadelta, [
        dict(lr=0.0), dict(lr=-1e-9), dict(rho=0.0), dict(rho=1.0), dict(rho=1.0 + 1e-9),
        dict(rho=-1e-9), dict(eps=0.0), dict(eps=-1e-9), dict(weight_decay=-1e-9),
    ])


def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(Adadelta, INFO)


def test_docstring_examples_run():
    import losslab.optim.adadelta as mod
    T.run_doctests(mod)
