"""Rprop: the kernel by hand and against torch's functional form, 200-step trajectories against
torch.optim.Rprop (every registry configuration, param groups with different etas/bounds),
state_dict resume, lr-only-initialises, validation and descent."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, Rprop, rprop_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["rprop"]


def _ids(cfgs):
    return [",".join(f"{k}={v}" for k, v in c.items()) for c in cfgs]


def test_kernel_by_hand():
    p, prev, d = np.array([1.0, 1.0, 1.0]), np.zeros(3), np.full(3, 0.1)
    rprop_update(p, np.array([2.0, -3.0, 0.0]), prev, d)          # no history: Δ kept
    np.testing.assert_allclose(p, [0.9, 1.1, 1.0])
    np.testing.assert_array_equal(d, [0.1, 0.1, 0.1])
    np.testing.assert_array_equal(prev, [2.0, -3.0, 0.0])
    rprop_update(p, np.array([1.0, 4.0, 5.0]), prev, d)           # keep / flip / no info
    np.testing.assert_allclose(p, [0.9 - 0.12, 1.1, 0.9], rtol=1e-15)
    np.testing.assert_allclose(d, [0.12, 0.05, 0.1], rtol=1e-15)
    np.testing.assert_array_equal(prev, [1.0, 0.0, 5.0])        # flipped gradient stored as 0
    rprop_update(p, np.array([1.0, 4.0, 5.0]), prev, d)           # after a flip: no info, Δ kept
    np.testing.assert_allclose(d, [0.144, 0.05, 0.12], rtol=1e-15)
    np.testing.assert_allclose(p, [0.78 - 0.144, 1.1 - 0.05, 0.9 - 0.12], rtol=1e-15)


def test_kernel_clamps_step_sizes_and_uses_only_the_sign():
    p, prev, d = np.zeros(2), np.array([1.0, -1.0]), np.array([0.9, 0.002])
    rprop_update(p, np.array([1e-9, 1e9]), prev, d, etaminus=0.5, etaplus=1.2,
                 step_size_min=0.001, step_size_max=1.0)
    np.testing.assert_array_equal(d, [1.0, 0.001])    # 1.08 → 1.0, 0.001 → 0.001 (bounds)
    np.testing.assert_array_equal(p, [-1.0, 0.0])     # tiny gradient, full step; flip: no move
    q = np.zeros(2)
    rprop_update(q, np.array([-1.0, 1.0]), np.zeros(2), np.full(2, 0.5), maximize=True)
    np.testing.assert_array_equal(q, [-0.5, 0.5])     # ascent


def test_kernel_keeps_float32_and_checks_shapes():
    p = np.ones(3, dtype=np.float32)
    prev, d = np.zeros(3, np.float32), np.full(3, 0.01, np.float32)
    rprop_update(p, np.array([1.0, -1.0, 0.5]), prev, d)
    assert p.dtype == prev.dtype == d.dtype == np.float32
    with pytest.raises(ValueError, match="step_size has shape"):
        rprop_update(p, np.zeros(3), prev, np.zeros(2))
    with pytest.raises(ValueError, match="grad has shape"):
        rprop_update(p, np.zeros(4), prev, d)


@pytest.mark.parametrize("kw", [dict(), dict(etaminus=0.3, etaplus=1.5, step_size_min=1e-3,
                                              step_size_max=0.05, maximize=True)],
                         ids=["plain", "bounds-maximize"])
def test_kernel_matches_torch_functional(kw):
    torch_rprop = importlib.import_module("torch.optim.rprop").rprop
    full = dict(etaminus=0.5, etaplus=1.2, step_size_min=1e-6, step_size_max=50.0, maximize=False)
    full.update(kw)
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=9)
    grads = rng.normal(size=(15, 9)) + 0.3  # frequent sign flips and repeats
    p, prev, d = p0.copy(), np.zeros(9), np.full(9, 0.02)
    tp, tprev, td, tstep = torch.tensor(p0), torch.zeros(9, dtype=torch.float64), \
        torch.full((9,), 0.02, dtype=torch.float64), torch.tensor(0.0)
    for g in grads:
        rprop_update(p, g, prev, d, **full)
        kw_t = {k: v for k, v in full.items() if k != "maximize"}
        torch_rprop([tp], [torch.tensor(g)], [tprev], [td], [tstep], foreach=False,
                    maximize=full["maximize"], **kw_t)
    np.testing.assert_array_equal(p, tp.numpy())
    np.testing.assert_array_equal(prev, tprev.numpy())
    np.testing.assert_array_equal(d, td.numpy())


def test_defaults_and_repr_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = Rprop([w]).defaults, torch.optim.Rprop([tw]).defaults
    assert d == td and list(d) == list(td)
    T.assert_repr_matches_torch(torch, Rprop, torch.optim.Rprop, etas=(0.4, 1.3))


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=_ids(INFO.oracle_configs))
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, Rprop, torch.optim.Rprop, steps=200, chunks=(50, 150), **cfg)


def test_200_steps_groups_with_different_hyperparameters():
    def groups(ps):
        return [{"params": ps[:1], "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.05)},
                {"params": ps[1:3], "lr": 0.003, "maximize": True},
                {"params": ps[3:], "step_sizes": (0.0, 0.01)}]
    T.compare_trajectory(torch, Rprop, torch.optim.Rprop, groups, steps=200, lr=0.01)


def test_lr_only_sets_the_initial_step_size():
    """Changing a group's lr after the first step changes nothing (PyTorch's behaviour)."""
    x, y, init = U.problem(4)
    a, b = U.ll_params(init), U.ll_params(init)
    tp = U.torch_params(torch, init)
    oa, ob, to = Rprop(a, lr=0.01), Rprop(b, lr=0.01), torch.optim.Rprop(tp, lr=0.01)
    U.ll_run(oa, a, x, y, 1)
    U.ll_run(ob, b, x, y, 1)
    U.torch_run(torch, to, tp, x, y, 1)
    ob.param_groups[0]["lr"] = 5.0
    to.param_groups[0]["lr"] = 5.0
    U.ll_run(oa, a, x, y, 20)
    U.ll_run(ob, b, x, y, 20)
    U.torch_run(torch, to, tp, x, y, 20)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)
    U.assert_params_close(b, tp)


def test_state_dict_mid_run_resume_and_torch_load():
    cfg = dict(lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-4, 0.1))
    T.resume_mid_run(torch, Rprop, torch.optim.Rprop, cfg)
    opt = T.load_torch_state_mid_run(torch, Rprop, torch.optim.Rprop, cfg)
    assert list(next(iter(opt.state.values()))) == ["step", "prev", "step_size"]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-0.01), ValueError, r"Rprop: Invalid learning rate: lr=-0.01"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(etas=(1.5, 1.2)), ValueError, r"Invalid eta values: etas=\(1.5, 1.2\); expected 0 < etaminus < 1 < etaplus"),
    (dict(etas=(0.5, 0.9)), ValueError, "Invalid eta values"),
    (dict(etas=(0.0, 1.2)), ValueError, "Invalid eta values"),
    (dict(etas=0.5), TypeError, "etas must be a pair"),
    (dict(step_sizes=(1.0, 0.1)), ValueError, r"Invalid step_sizes.*0 <= min_step <= max_step"),
    (dict(step_sizes=(-1.0, 1.0)), ValueError, "Invalid step_sizes"),
    (dict(step_sizes=(1e-6,)), TypeError, "step_sizes must be a pair"),
    (dict(maximize=1), TypeError, "maximize must be True or False"),
    (dict(capturable=True), ValueError, "capturable"),
    (dict(differentiable=True), ValueError, "differentiable"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Rprop([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch_and_checks_groups():
    T.assert_validation_agrees(torch, Rprop, torch.optim.Rprop, [
        dict(lr=0.0), dict(lr=-1e-9), dict(etas=(0.999, 1.001)), dict(etas=(1.0, 1.2)),
        dict(etas=(0.5, 1.0)), dict(etas=(-0.5, 1.2)),
    ])
    with pytest.raises(ValueError, match="Rprop param group 1: Invalid eta values"):
        Rprop([{"params": [ll.zeros(1, requires_grad=True)]},
               {"params": [ll.zeros(1, requires_grad=True)], "etas": (2.0, 3.0)}])


def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    """Budget (registry): 1000 steps with lr=0.01 — θ₀² + 100θ₁² below 1e-6 of its start,
    Rosenbrock from (−1.5, 2) below 1e-2 of its start."""
    assert INFO.descent_steps == 1000
    T.assert_descends(Rprop, INFO)


def test_docstring_examples_run():
    import losslab.optim.rprop as mod
    T.run_doctests(mod)
