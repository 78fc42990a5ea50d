"""NAdam: the kernel by hand and against torch's functional form (mu_product in float32, as
PyTorch keeps it), 200-step trajectories against torch.optim.NAdam (every registry configuration,
several param groups), state_dict resume that keeps mu_product's dtype, Keras's momentum
schedule as momentum_decay=1, validation and descent on the test surfaces."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, NAdam, nadam_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["nadam"]


def test_kernel_first_step_by_hand():
    b1, b2, lr, eps, psi = 0.9, 0.999, 0.1, 1e-8, 4e-3
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    m, v, mp = nadam_update(p, g, step=1, lr=lr, beta1=b1, beta2=b2, eps=eps, momentum_decay=psi)
    mu1 = b1 * (1 - 0.5 * 0.96 ** psi)
    mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi))
    assert mp.shape == () and mp.dtype == np.float32
    assert float(mp) == float(np.float32(mu1))
    pi1 = float(np.float32(mu1))
    d = np.abs(g) + eps  # √(v/(1 − β₂)) = |g|
    ref = np.array([1.0, -2.0]) - lr * (1 - mu1) / (1 - pi1) * g / d - lr * mu2 / (1 - pi1 * mu2) * (1 - b1) * g / d
    np.testing.assert_allclose(p, ref, rtol=1e-14)
    np.testing.assert_allclose(m, 0.1 * g, rtol=1e-15)


def test_kernel_momentum_decay_zero_is_a_constant_half_beta1():
    p, g = np.zeros(1), np.array([1.0])
    s = (None, None, None)
    for t in range(1, 4):
        s = nadam_update(p, g, *s, step=t, lr=0.1, momentum_decay=0.0)
    assert float(s[2]) == pytest.approx(0.45 ** 3, rel=1e-6)


def test_kernel_checks_shapes():
    p = np.ones(2, dtype=np.float32)
    m, v, mp = nadam_update(p, np.array([0.5, 0.1]), step=1, lr=0.01)
    assert p.dtype == m.dtype == v.dtype == np.float32
    with pytest.raises(ValueError, match="mu_product must be a 0-d array"):
        nadam_update(p, np.zeros(2), m, v, 0.5, step=2, lr=0.01)
    with pytest.raises(ValueError, match="exp_avg has shape"):
        nadam_update(p, np.zeros(2), np.zeros(3), v, mp, step=2, lr=0.01)


@pytest.mark.parametrize("kw", [
    dict(), dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    dict(beta1=0.3, beta2=0.9, momentum_decay=1.0, weight_decay=0.05, eps=1e-4),
], ids=["plain", "decoupled-maximize", "keras-schedule-coupled"])
def test_kernel_matches_torch_functional(kw):
    torch_nadam = importlib.import_module("torch.optim.nadam").nadam
    full = dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                decoupled_weight_decay=False, maximize=False)
    full.update(kw)
    mp = np.ones((), dtype=np.float32)
    tmp = torch.tensor(1.0)  # float32, as NAdam's state

    def ours(p, g, s, t):
        nadam_update(p, g, s["exp_avg"], s["exp_avg_sq"], mp, step=t, lr=0.02, **full)

    def theirs(p, g, s, step):
        rest = {k: v for k, v in full.items() if k not in ("decoupled_weight_decay", "maximize")}
        torch_nadam([p], [g], [s["exp_avg"]], [s["exp_avg_sq"]], [tmp], [step], foreach=False,
                    decoupled_weight_decay=full["decoupled_weight_decay"], maximize=full["maximize"],
                    lr=0.02, **rest)

    T.kernel_vs_torch_functional(torch, ours, theirs, {"exp_avg": 0.0, "exp_avg_sq": 0.0})
    assert tmp.dtype == torch.float32
    assert float(mp) == float(tmp)  # the float32 running product agrees exactly


def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, NAdam, torch.optim.NAdam, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = NAdam([w]).defaults, torch.optim.NAdam([tw]).defaults
    assert d == td and list(d) == list(td)


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    lopt, topt, lp, tp = T.compare_trajectory(torch, NAdam, torch.optim.NAdam, steps=200, **cfg)
    for p, q in zip(lp, tp):
        assert lopt.state[p]["mu_product"].dtype == np.float32
        assert float(lopt.state[p]["mu_product"]) == float(topt.state[q]["mu_product"])


def test_200_steps_groups_with_different_hyperparameters():
    def groups(ps):
        return [{"params": ps[:2], "momentum_decay": 0.1, "weight_decay": 1e-2, "eps": 1e-4},
                {"params": ps[2:], "lr": 0.004, "weight_decay": 1e-2, "decoupled_weight_decay": True}]
    T.compare_trajectory(torch, NAdam, torch.optim.NAdam, groups, steps=200, lr=0.01)


def test_state_dict_resume_keeps_mu_product_dtype():
    cfg = dict(lr=0.01, weight_decay=1e-2)
    opt = T.resume_mid_run(torch, NAdam, torch.optim.NAdam, cfg)  # bit for bit
    st = next(iter(opt.state.values()))
    assert list(st) == ["step", "mu_product", "exp_avg", "exp_avg_sq"]
    assert st["mu_product"].dtype == np.float32  # PyTorch would have cast it to float64
    T.load_torch_state_mid_run(torch, NAdam, torch.optim.NAdam, cfg)
    # the PyTorch behaviour we deviate from, for the record
    tw = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    t1 = torch.optim.NAdam([tw])
    tw.grad = torch.ones(2, dtype=torch.float64)
    t1.step()
    t2 = torch.optim.NAdam([tw])
    t2.load_state_dict(t1.state_dict())
    assert t2.state[tw]["mu_product"].dtype == torch.float64


def test_keras_nadam_is_momentum_decay_one():
    """A NumPy transcription of Keras 3's Nadam.update_step (keras/src/optimizers/nadam.py)
    equals NAdam(momentum_decay=1.0, eps=1e-7), with a float64 running product."""
    rng = np.random.default_rng(9)
    p0, gs = rng.normal(size=4), rng.normal(size=(30, 4))
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    k, m, v, u_prod = p0.copy(), np.zeros(4), np.zeros(4), 1.0
    old = ll.get_default_dtype()
    ll.set_default_dtype(ll.float64)  # PyTorch and losslab then keep mu_product in float64
    try:
        w = ll.tensor(p0.copy(), requires_grad=True)
        opt = NAdam([w], lr=lr, betas=(b1, b2), eps=eps, momentum_decay=1.0)
        for t, g in enumerate(gs, 1):
            u_t = b1 * (1 - 0.5 * 0.96 ** t)
            u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_prod *= u_t
            m += (g - m) * (1 - b1)
            v += (g * g - v) * (1 - b2)
            m_hat = u_t1 * m / (1 - u_prod * u_t1) + (1 - u_t) * g / (1 - u_prod)
            k -= m_hat * lr / (np.sqrt(v / (1 - b2 ** t)) + eps)
            w.grad = ll.tensor(g.copy())
            opt.step()
        assert opt.state[w]["mu_product"].dtype == np.float64
    finally:
        ll.set_default_dtype(old)
    np.testing.assert_allclose(w.data, k, rtol=1e-12)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-1.0), ValueError, r"NAdam: Invalid learning rate: lr=-1.0"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(betas=(0.9, 1.0)), ValueError, r"Invalid beta parameter at index 1"),
    (dict(betas=(-0.1, 0.9)), ValueError, r"index 0"),
    (dict(eps=-1e-8), ValueError, "Invalid epsilon value"),
    (dict(weight_decay=-1.0), ValueError, "Invalid weight_decay value"),
    (dict(momentum_decay=-4e-3), ValueError, r"Invalid momentum_decay value: momentum_decay=-0.004"),
    (dict(momentum_decay=float("nan")), ValueError, "momentum_decay=nan"),
    (dict(decoupled_weight_decay="yes"), TypeError, "decoupled_weight_decay must be True or False"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        NAdam([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch():
    T.assert_validation_agrees(torch, NAdam, torch.optim.NAdam, [
        dict(lr=0.0), dict(lr=-1e-9), dict(betas=(0.0, 0.0)), dict(betas=(1.0, 0.5)),
        dict(momentum_decay=0.0), dict(momentum_decay=-1e-9), dict(eps=-1e-9), dict(weight_decay=-1e-9),
    ])


def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(NAdam, INFO)


def test_docstring_examples_run():
    import losslab.optim.nadam as mod
    T.run_doctests(mod)
