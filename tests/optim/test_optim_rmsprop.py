"""RMSprop: the kernel against hand-computed values and torch's functional form, 200-step
trajectories against torch.optim.RMSprop (every registry configuration, several param groups),
state layout, state_dict resume, validation, Keras's conventions (ε inside the root, learning
rate inside the momentum buffer) and descent on the test surfaces."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, RMSprop, rmsprop_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["rmsprop"]


# -- kernel -----------------------------------------------------------------------------------
def test_kernel_plain_by_hand():
    p, g = np.array([1.0, -1.0]), np.array([2.0, 0.5])
    v, b, ga = rmsprop_update(p, g, lr=0.01, alpha=0.75, eps=0.0)
    assert b is None and ga is None
    np.testing.assert_allclose(v, [1.0, 0.0625])
    np.testing.assert_allclose(p, [1.0 - 0.01 * 2.0, -1.0 - 0.01 * 2.0], rtol=1e-15)  # g/√(¼g²) = 2·sign(g)


def test_kernel_centered_and_momentum_by_hand():
    p, g = np.array([0.0]), np.array([2.0])
    v, b, ga = rmsprop_update(p, g, lr=0.1, alpha=0.5, eps=0.0, momentum=0.9, centered=True)
    # v = 0.5·4 = 2; ḡ = 0.5·2 = 1; ṽ = 2 − 1 = 1; b = g/1 = 2; θ = −0.1·2
    np.testing.assert_allclose([v[0], ga[0], b[0], p[0]], [2.0, 1.0, 2.0, -0.2], rtol=1e-15)
    v, b, ga = rmsprop_update(p, g, v, b, ga, lr=0.1, alpha=0.5, eps=0.0, momentum=0.9, centered=True)
    # v = 1 + 2 = 3; ḡ = 0.5 + 1 = 1.5; ṽ = 0.75; b = 1.8 + 2/√0.75
    b_ref = 1.8 + 2.0 / np.sqrt(0.75)
    np.testing.assert_allclose([v[0], ga[0], b[0], p[0]], [3.0, 1.5, b_ref, -0.2 - 0.1 * b_ref], rtol=1e-14)


def test_kernel_keeps_float32_and_checks_shapes():
    p = np.ones(2, dtype=np.float32)
    v, b, ga = rmsprop_update(p, np.array([0.1, 0.2]), lr=0.1, momentum=0.5, centered=True)
    assert p.dtype == v.dtype == b.dtype == ga.dtype == np.float32
    with pytest.raises(ValueError, match="momentum_buffer has shape"):
        rmsprop_update(p, np.zeros(2), v, np.zeros(3), lr=0.1, momentum=0.5)
    with pytest.raises(ValueError, match="momentum_style"):
        rmsprop_update(p, np.zeros(2), lr=0.1, momentum_style="keras")


@pytest.mark.parametrize("kw", [
    dict(), dict(momentum=0.9, centered=True, weight_decay=0.1), dict(momentum=0.5, maximize=True, alpha=0.3),
], ids=["plain", "momentum-centered-wd", "momentum-maximize-alpha"])
def test_kernel_matches_torch_functional(kw):
    torch_rmsprop = importlib.import_module("torch.optim.rmsprop").rmsprop
    full = dict(alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False)
    full.update(kw)
    names = {"square_avg": 0.0}
    if full["momentum"] > 0:
        names["momentum_buffer"] = 0.0
    if full["centered"]:
        names["grad_avg"] = 0.0

    def ours(p, g, s, t):
        rmsprop_update(p, g, s["square_avg"], s.get("momentum_buffer"), s.get("grad_avg"), lr=0.01, **full)

    def theirs(p, g, s, step):
        torch_rmsprop([p], [g], [s["square_avg"]], [s["grad_avg"]] if full["centered"] else [],
                      [s["momentum_buffer"]] if full["momentum"] > 0 else [], [step], foreach=False,
                      lr=0.01, **full)

    T.kernel_vs_torch_functional(torch, ours, theirs, names)


# -- against torch.optim.RMSprop --------------------------------------------------------------
def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, RMSprop, torch.optim.RMSprop, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = RMSprop([w]).defaults, torch.optim.RMSprop([tw]).defaults
    assert d == td and list(d) == list(td)


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, RMSprop, torch.optim.RMSprop, steps=200, **cfg)


def test_200_steps_groups_with_different_hyperparameters():
    def groups(ps):
        return [{"params": ps[:1], "momentum": 0.9, "centered": True, "eps": 1e-4},
                {"params": ps[1:3], "alpha": 0.9, "eps": 1e-4, "weight_decay": 1e-2},
                {"params": ps[3:], "lr": 0.001, "momentum": 0.5, "eps": 1e-6}]
    lopt, _, lp, _ = T.compare_trajectory(torch, RMSprop, torch.optim.RMSprop, groups, steps=200, lr=0.002)
    assert list(lopt.state[lp[0]]) == ["step", "square_avg", "momentum_buffer", "grad_avg"]
    assert list(lopt.state[lp[1]]) == ["step", "square_avg"]


def test_state_dict_mid_run_resume_and_torch_load():
    cfg = dict(lr=0.003, momentum=0.9, centered=True, weight_decay=1e-2)
    T.resume_mid_run(torch, RMSprop, torch.optim.RMSprop, cfg)
    T.load_torch_state_mid_run(torch, RMSprop, torch.optim.RMSprop, cfg)


def test_momentum_switched_on_mid_run_starts_a_zero_buffer():
    w = ll.tensor([1.0], dtype=ll.float64, requires_grad=True)
    opt = RMSprop([w], lr=0.01)
    (w * w).sum().backward()
    opt.step()
    opt.param_groups[0]["momentum"] = 0.9
    opt.step()
    assert "momentum_buffer" in opt.state[w]


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-1.0), ValueError, r"RMSprop: Invalid learning rate: lr=-1.0"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(alpha=-0.1), ValueError, r"Invalid alpha value: alpha=-0.1; expected 0.0 <= alpha < 1.0"),
    (dict(alpha=1.0), ValueError, r"alpha=1.0; expected 0.0 <= alpha < 1.0"),
    (dict(alpha=1.5), ValueError, "alpha=1.5"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value: eps=-1e-08"),
    (dict(momentum=-0.5), ValueError, "Invalid momentum value: momentum=-0.5"),
    (dict(weight_decay=-1e-4), ValueError, "Invalid weight_decay value"),
    (dict(centered=1), TypeError, "centered must be True or False"),
    (dict(capturable=True), ValueError, "capturable"),
    (dict(eps_inside_sqrt=None), TypeError, "eps_inside_sqrt must be True or False"),
    (dict(momentum_style="keras"), ValueError, r"momentum_style must be one of 'pytorch', 'sutskever'"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RMSprop([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch_except_alpha_above_one():
    T.assert_validation_agrees(torch, RMSprop, torch.optim.RMSprop, [
        dict(lr=0.0), dict(lr=-1e-9), dict(alpha=0.0), dict(alpha=0.999), dict(alpha=-1e-9),
        dict(eps=0.0), dict(eps=-1e-9), dict(momentum=0.0), dict(momentum=-1e-9),
        dict(weight_decay=-1e-9),
    ])
    # documented deviation: PyTorch accepts α ≥ 1, which makes v negative (NaN steps) or frozen at 0
    assert T.accepts(lambda: torch.optim.RMSprop([torch.zeros(1, requires_grad=True)], alpha=1.5))
    assert not T.accepts(lambda: RMSprop([ll.zeros(1, requires_grad=True)], alpha=1.5))


# -- Keras's conventions ----------------------------------------------------------------------
def _run(cfg, steps=100, seed=16, lr_at=None):
    """The MLP for ``steps`` steps; ``lr_at(t)`` sets the learning rate before step t."""
    x, y, init = U.problem(seed)
    lp = U.ll_params(init)
    opt = RMSprop(lp, **cfg)
    for t in range(steps):
        if lr_at is not None:
            opt.param_groups[0]["lr"] = lr_at(t)
        U.ll_run(opt, lp, x, y, 1)
    return lp, opt


def test_conventions_are_stored_only_when_set():
    w = ll.zeros(2, requires_grad=True)
    d = RMSprop([w]).defaults
    assert "eps_inside_sqrt" not in d and "momentum_style" not in d
    opt = RMSprop([w], eps_inside_sqrt=True, momentum_style="sutskever")
    g = opt.state_dict()["param_groups"][0]
    assert g["eps_inside_sqrt"] is True and g["momentum_style"] == "sutskever"


@pytest.mark.parametrize("centered", [False, True])
def test_eps_inside_sqrt_equal_when_eps_is_zero(centered):
    a, _ = _run(dict(lr=0.003, eps=0.0, centered=centered))
    b, _ = _run(dict(lr=0.003, eps=0.0, centered=centered, eps_inside_sqrt=True))
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)


def test_eps_inside_sqrt_differs_as_documented():
    a, _ = _run(dict(lr=0.003, eps=1e-4))
    b, _ = _run(dict(lr=0.003, eps=1e-4, eps_inside_sqrt=True))
    assert max(np.max(np.abs(p.data - q.data)) for p, q in zip(a, b)) > 1e-4
    g, p1, p2 = np.array([1e-4]), np.zeros(1), np.zeros(1)
    rmsprop_update(p1, g, lr=1.0, alpha=0.0, eps=1e-4)                         # g/(|g| + ε) = ½
    rmsprop_update(p2, g, lr=1.0, alpha=0.0, eps=1e-4, eps_inside_sqrt=True)   # g/√(g² + ε) ≈ 0.01
    np.testing.assert_allclose([p1[0], p2[0]], [-0.5, -1e-4 / np.sqrt(1e-8 + 1e-4)], rtol=1e-14)


def test_momentum_styles_equal_while_lr_is_constant():
    a, oa = _run(dict(lr=0.003, momentum=0.9))
    b, ob = _run(dict(lr=0.003, momentum=0.9, momentum_style="sutskever"))
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-11, atol=1e-14)
    # the buffers differ by the factor η: b_sutskever = η·b_pytorch
    for p, q in zip(a, b):
        np.testing.assert_allclose(ob.state[q]["momentum_buffer"], 0.003 * oa.state[p]["momentum_buffer"],
                                   rtol=1e-9, atol=1e-16)


def test_momentum_styles_differ_when_a_schedule_changes_lr():
    sched = lambda t: 0.003 if t < 50 else 0.0003  # noqa: E731  (a step decay at t = 50)
    a, _ = _run(dict(lr=0.003, momentum=0.9), lr_at=sched)
    b, _ = _run(dict(lr=0.003, momentum=0.9, momentum_style="sutskever"), lr_at=sched)
    assert max(np.max(np.abs(p.data - q.data)) for p, q in zip(a, b)) > 1e-3
    # by hand, on the first step after the drop: PyTorch rescales the whole buffer by the new η,
    # Keras keeps the old steps at the old η
    g1, g2, mu = np.array([1.0]), np.array([1.0]), 0.9
    pa, pb = np.zeros(1), np.zeros(1)
    sa = rmsprop_update(pa, g1, lr=1.0, alpha=0.0, eps=0.0, momentum=mu)
    sb = rmsprop_update(pb, g1, lr=1.0, alpha=0.0, eps=0.0, momentum=mu, momentum_style="sutskever")
    rmsprop_update(pa, g2, *sa, lr=0.1, alpha=0.0, eps=0.0, momentum=mu)
    rmsprop_update(pb, g2, *sb, lr=0.1, alpha=0.0, eps=0.0, momentum=mu, momentum_style="sutskever")
    np.testing.assert_allclose(pa, [-1.0 - 0.1 * (mu + 1.0)], rtol=1e-15)   # −1 − 0.19
    np.testing.assert_allclose(pb, [-1.0 - (mu * 1.0 + 0.1)], rtol=1e-15)   # −1 − 1.0


def test_keras_rmsprop_formula():
    """A NumPy transcription of Keras 3's RMSprop.update_step (keras/src/optimizers/rmsprop.py),
    centered with momentum, equals RMSprop(alpha=ρ, eps=1e-7, eps_inside_sqrt=True,
    momentum_style="sutskever") even with a changing learning rate."""
    rng = np.random.default_rng(8)
    p0, gs = rng.normal(size=4), rng.normal(size=(30, 4))
    rho, mom, eps = 0.9, 0.5, 1e-7
    k, vel, avg, m = p0.copy(), np.zeros(4), np.zeros(4), np.zeros(4)
    w = ll.tensor(p0.copy(), requires_grad=True)
    opt = RMSprop([w], lr=0.01, alpha=rho, eps=eps, momentum=mom, centered=True,
                  eps_inside_sqrt=True, momentum_style="sutskever")
    for t, g in enumerate(gs):
        lr = 0.01 / (1 + t)
        vel = rho * vel + (1 - rho) * g * g
        avg = rho * avg + (1 - rho) * g
        m = mom * m + lr * g / np.sqrt(vel - avg * avg + eps)
        k -= m
        opt.param_groups[0]["lr"] = lr
        w.grad = ll.tensor(g.copy())
        opt.step()
    np.testing.assert_allclose(w.data, k, rtol=1e-12)


# -- descent ----------------------------------------------------------------------------------
def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(RMSprop, INFO)


def test_docstring_examples_run():
    import losslab.optim.rmsprop as mod
    T.run_doctests(mod)
