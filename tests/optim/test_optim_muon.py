"""Muon: the Newton–Schulz iteration against its action on singular values, the kernel by hand,
200-step trajectories against torch.optim.Muon (with torch's bfloat16 iteration replaced by the
same iteration in float64, and unpatched to bfloat16 precision), the 2-D-only rule with its error,
adjust_lr_fn, state_dict resume, validation and descent."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.optim import AdamW, Muon, muon_update
from losslab.optim.muon import MUON_INFO, NS_COEFFICIENTS, zeropower_via_newtonschulz

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")
torch_muon = pytest.importorskip("torch.optim._muon")


def _ids(cfgs):
    return [",".join(f"{k}={v}" for k, v in c.items()) for c in cfgs]


def _ns_float64(grad, ns_coefficients, ns_steps, eps):
    """torch's _zeropower_via_newtonschulz without the cast to bfloat16 (same ops, float64)."""
    a, b, c = ns_coefficients
    X = grad.to(torch.float64)
    if grad.size(0) > grad.size(1):
        X = X.T
    X = X / X.norm().clamp(min=eps)
    for _ in range(ns_steps):
        gram = X @ X.T
        X = torch.addmm(X, torch.addmm(gram, gram, gram, beta=b, alpha=c), X, beta=a)
    if grad.size(0) > grad.size(1):
        X = X.T
    return X


@pytest.fixture
def torch_ns_float64(monkeypatch):
    monkeypatch.setattr(torch_muon, "_zeropower_via_newtonschulz", _ns_float64)


def _run_pair(cfg, steps, seed=1, weights=(0, 2)):
    """Muon on the MLP's two weight matrices (biases stay fixed), losslab vs torch."""
    x, y, init = U.problem(seed)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lo = Muon([lp[i] for i in weights], **cfg)
    to = torch.optim.Muon([tp[i] for i in weights], **cfg)
    ll_losses = U.ll_run(lo, lp, x, y, steps)
    t_losses = U.torch_run(torch, to, tp, x, y, steps)
    return lo, to, lp, tp, ll_losses, t_losses, init


# -- Newton–Schulz --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (6, 2), (1, 2)], ids=str)
def test_newton_schulz_acts_on_singular_values_only(shape):
    """NS(G) = U·diag(pᵏ(σ/‖G‖_F))·Vᵀ with p(s) = as + bs³ + cs⁵: an independent computation
    through the SVD."""
    rng = np.random.default_rng(0)
    G = rng.normal(size=shape)
    out = zeropower_via_newtonschulz(G, NS_COEFFICIENTS, 5, 1e-7)
    assert out.shape == shape and out.dtype == G.dtype
    U_, s, Vt = np.linalg.svd(G, full_matrices=False)
    a, b, c = NS_COEFFICIENTS
    s = s / np.linalg.norm(G)
    for _ in range(5):
        s = a * s + b * s ** 3 + c * s ** 5
    np.testing.assert_allclose(out, U_ @ np.diag(s) @ Vt, rtol=1e-12, atol=1e-13)
    # the default quintic leaves the singular values near 1, not at 1
    sv = np.linalg.svd(out, compute_uv=False)
    assert np.all((sv > 0.6) & (sv < 1.25)), sv


def test_newton_schulz_matches_torch_in_bfloat16_precision():
    rng = np.random.default_rng(1)
    G = rng.normal(size=(5, 3))
    ours = zeropower_via_newtonschulz(G)
    theirs = torch_muon._zeropower_via_newtonschulz(torch.tensor(G), NS_COEFFICIENTS, 5, 1e-7)
    assert theirs.dtype == torch.bfloat16  # why trajectories are compared with a float64 patch
    np.testing.assert_allclose(ours, theirs.double().numpy(), atol=3e-2)
    np.testing.assert_allclose(ours, _ns_float64(torch.tensor(G), NS_COEFFICIENTS, 5, 1e-7).numpy(),
                               rtol=1e-13, atol=1e-15)


def test_newton_schulz_bad_input():
    with pytest.raises(ValueError, match="2-D matrix"):
        zeropower_via_newtonschulz(np.ones(3))
    with pytest.raises(ValueError, match=r"ns_steps must be an integer in \[0, 100\)"):
        zeropower_via_newtonschulz(np.ones((2, 2)), ns_steps=100)
    z = zeropower_via_newtonschulz(np.zeros((2, 3)))  # eps keeps a zero gradient finite
    np.testing.assert_array_equal(z, np.zeros((2, 3)))


# -- kernel ---------------------------------------------------------------------------------------
def test_kernel_by_hand():
    """Nesterov on, μ = 0.5: B = 0.5·G, B̃ = 0.5·B + 0.5·G = 0.75·G; NS of a multiple of the
    identity is (p⁵(1/√2))·I; θ ← θ(1 − γλ) − γ·√max(1, A/B)·O."""
    G = 2.0 * np.eye(2)
    p = np.ones((2, 2))
    B = muon_update(p, G, lr=0.1, weight_decay=0.5, momentum=0.5)
    np.testing.assert_allclose(B, 0.5 * G, rtol=1e-15)
    a, b, c = NS_COEFFICIENTS
    s = 1 / np.sqrt(2)
    for _ in range(5):
        s = a * s + b * s ** 3 + c * s ** 5
    np.testing.assert_allclose(p, np.ones((2, 2)) * (1 - 0.05) - 0.1 * s * np.eye(2), rtol=1e-13)


@pytest.mark.parametrize("fn,shape,ratio", [
    (None, (6, 3), np.sqrt(2.0)), ("original", (3, 6), 1.0),
    ("match_rms_adamw", (6, 3), 0.2 * np.sqrt(6.0)), ("match_rms_adamw", (2, 8), 0.2 * np.sqrt(8.0)),
])
def test_adjust_lr_fn(fn, shape, ratio):
    rng = np.random.default_rng(2)
    G = rng.normal(size=shape)
    p = np.zeros(shape)
    muon_update(p, G, lr=0.01, weight_decay=0.0, momentum=0.0, nesterov=False, adjust_lr_fn=fn)
    np.testing.assert_allclose(p, -0.01 * ratio * zeropower_via_newtonschulz(G), rtol=1e-13)


def test_kernel_keeps_float32_and_refuses_non_matrices():
    p = np.ones((2, 3), dtype=np.float32)
    B = muon_update(p, np.ones((2, 3)), lr=0.01)
    assert p.dtype == B.dtype == np.float32
    with pytest.raises(ValueError, match=r"2-D parameters, got a parameter of shape \(3,\); use AdamW"):
        muon_update(np.ones(3), np.ones(3), lr=0.01)


# -- against torch --------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg", MUON_INFO.oracle_configs, ids=_ids(MUON_INFO.oracle_configs))
def test_200_steps_match_torch_with_float64_newton_schulz(cfg, torch_ns_float64):
    lo, to, lp, tp, a, b, init = _run_pair(cfg, 200)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    U.assert_params_close(lp, tp)
    for p, q in ((lp[0], tp[0]), (lp[2], tp[2])):
        assert list(lo.state[p]) == list(to.state[q]) == ["momentum_buffer"]
        np.testing.assert_allclose(lo.state[p]["momentum_buffer"], to.state[q]["momentum_buffer"].numpy(),
                                   rtol=1e-10, atol=1e-14)
    assert not np.allclose(lp[0].data, init["w1"])
    np.testing.assert_array_equal(lp[1].data, init["b1"])  # not given to Muon: untouched


def test_200_steps_groups_with_different_hyperparameters(torch_ns_float64):
    def groups(ps):
        return [{"params": [ps[0]], "momentum": 0.8, "nesterov": False},
                {"params": [ps[2]], "lr": 0.002, "adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.01}]
    x, y, init = U.problem(2)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lo, to = Muon(groups(lp), lr=0.005), torch.optim.Muon(groups(tp), lr=0.005)
    np.testing.assert_allclose(U.ll_run(lo, lp, x, y, 200), U.torch_run(torch, to, tp, x, y, 200),
                               rtol=1e-10, atol=1e-14)
    U.assert_params_close(lp, tp)


def test_matches_unpatched_torch_to_bfloat16_precision():
    lo, to, lp, tp, a, b, _ = _run_pair(dict(lr=0.01), 20)
    np.testing.assert_allclose(a, b, rtol=2e-2)
    U.assert_params_close(lp, tp, rtol=0, atol=0.05)


def test_defaults_and_repr_match_torch():
    w, tw = ll.zeros((2, 2), requires_grad=True), torch.zeros((2, 2), requires_grad=True)
    d, td = Muon([w]).defaults, torch.optim.Muon([tw]).defaults
    assert d == td and list(d) == list(td)
    a, b = ll.zeros((2, 2), requires_grad=True), ll.zeros((2, 2), requires_grad=True)
    ta, tb = torch.zeros((2, 2), requires_grad=True), torch.zeros((2, 2), requires_grad=True)
    assert repr(Muon([{"params": [a]}, {"params": [b], "lr": 0.5}])) == \
        repr(torch.optim.Muon([{"params": [ta]}, {"params": [tb], "lr": 0.5}]))


def test_state_dict_mid_run_resume_and_torch_load(torch_ns_float64):
    cfg = dict(lr=0.01, momentum=0.9)
    x, y, init = U.problem(9)
    ref, a = U.ll_params(init), U.ll_params(init)
    ro, ao = Muon([ref[0], ref[2]], **cfg), Muon([a[0], a[2]], **cfg)
    U.ll_run(ro, ref, x, y, 200)
    U.ll_run(ao, a, x, y, 100)
    sd = ao.state_dict()
    b = [ll.tensor(p.data.copy(), requires_grad=True) for p in a]
    bo = Muon([b[0], b[2]], lr=3.0)
    bo.load_state_dict(sd)
    assert bo.param_groups[0]["lr"] == 0.01
    U.ll_run(bo, b, x, y, 100)
    for p, q in zip(ref, b):
        np.testing.assert_array_equal(p.data, q.data)
    # a torch state dict (saved after 50 steps) loads and the run continues as torch's does
    tp = U.torch_params(torch, init)
    to = torch.optim.Muon([tp[0], tp[2]], **cfg)
    U.torch_run(torch, to, tp, x, y, 50)
    lp = [ll.tensor(q.detach().numpy().copy(), requires_grad=True) for q in tp]
    lo = Muon([lp[0], lp[2]], lr=1.0)
    lo.load_state_dict(to.state_dict())
    U.ll_run(lo, lp, x, y, 50)
    U.torch_run(torch, to, tp, x, y, 50)
    U.assert_params_close(lp, tp)


# -- the 2-D rule and validation ------------------------------------------------------------------
def test_non_matrix_parameters_are_refused_with_advice():
    W, b = ll.zeros((3, 2), requires_grad=True), ll.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"Muon only supports 2-D parameters, but params\[1\] has "
                                         r"shape \(3,\); give biases.*to AdamW"):
        Muon([W, b])
    with pytest.raises(ValueError, match=r"'layer.bias' has shape \(3,\)"):
        Muon([("layer.weight", W), ("layer.bias", b)])
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4\)"):
        Muon([ll.zeros((2, 3, 4), requires_grad=True)])
    with pytest.raises(ValueError, match=r"shape \(\)"):
        Muon([ll.tensor(1.0, requires_grad=True)])
    opt = Muon([W])
    with pytest.raises(ValueError, match="Muon param group 1: Muon only supports 2-D"):
        opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 1


def test_muon_with_adamw_for_the_rest():
    """The documented split: matrices to Muon, vectors to AdamW; both move."""
    x, y, init = U.problem(3)
    ps = U.ll_params(init)
    muon = Muon([p for p in ps if p.ndim == 2], lr=0.01)
    adamw = AdamW([p for p in ps if p.ndim != 2], lr=0.01)
    losses = []
    for _ in range(50):
        muon.zero_grad(); adamw.zero_grad()
        loss = U.ll_loss(ps, x, y)
        loss.backward()
        muon.step(); adamw.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    assert not np.allclose(ps[1].data, init["b1"])


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-0.01), ValueError, r"Muon: Invalid learning rate: lr=-0.01"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value"),
    (dict(momentum=-0.5), ValueError, r"Invalid momentum value: momentum=-0.5; expected 0.0 <= momentum < 1.0"),
    (dict(momentum=1.0), ValueError, "Invalid momentum value"),
    (dict(nesterov="yes"), TypeError, "nesterov must be True or False"),
    (dict(ns_coefficients=(3.4, -4.7)), ValueError, "exactly 3 numbers"),
    (dict(ns_steps=100), ValueError, r"0 <= ns_steps < 100"),
    (dict(ns_steps=2.5), ValueError, "ns_steps must be an integer"),
    (dict(eps=-1e-7), ValueError, "Invalid eps value"),
    (dict(adjust_lr_fn="sqrt"), ValueError, r"'sqrt' is not supported; use None, 'original' or 'match_rms_adamw'"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Muon([ll.zeros((2, 2), requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch_where_torch_checks():
    for kw in [dict(lr=0.0), dict(lr=-1e-9), dict(momentum=0.0), dict(momentum=-1e-9),
               dict(weight_decay=0.0), dict(weight_decay=-1e-9), dict(adjust_lr_fn="original"),
               dict(adjust_lr_fn="other")]:
        mine = T.accepts(lambda: Muon([ll.zeros((2, 2), requires_grad=True)], **kw))
        theirs = T.accepts(lambda: torch.optim.Muon([torch.zeros((2, 2), requires_grad=True)], **kw))
        assert mine == theirs, kw


# -- descent --------------------------------------------------------------------------------------
def _descend_matrix(f, start, steps, cfg):
    p = ll.tensor(np.array([start], dtype=np.float64), requires_grad=True)  # a 1×2 matrix
    opt = Muon([p], **cfg)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = f(p[0])
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    return first, f(p[0]).item()


def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    """Budget: 2000 steps of lr=0.01, weight_decay=0 on the point as a 1×2 matrix (where Muon is
    normalised gradient descent with momentum, so an oscillation of size ~lr remains):
    θ₀² + 100θ₁² below 1e-5 of its start, Rosenbrock from (−1.5, 2) below 1e-3 of its start."""
    cfg = MUON_INFO.descent_config
    assert cfg == {"lr": 0.01, "weight_decay": 0.0} and MUON_INFO.descent_steps == 2000
    f0, f1 = _descend_matrix(T.quad100, [2.0, -1.5], 2000, cfg)
    assert f1 <= 1e-5 * f0, (f0, f1)
    f0, f1 = _descend_matrix(U.rosenbrock, [-1.5, 2.0], 2000, cfg)
    assert f1 <= 1e-3 * f0, (f0, f1)


def test_fits_a_matrix_least_squares_problem():
    """min ‖XW − Y‖² with a (4, 3) W: 300 steps bring the loss below 1e-3 of its start."""
    rng = np.random.default_rng(4)
    X, W_true = rng.normal(size=(20, 4)), rng.normal(size=(4, 3))
    Xt, Yt = ll.tensor(X), ll.tensor(X @ W_true)
    W = ll.zeros((4, 3), dtype=ll.float64, requires_grad=True)
    opt = Muon([W], lr=0.02, weight_decay=0.0)
    first = None
    for k in range(300):
        opt.zero_grad()
        loss = ((Xt @ W - Yt) ** 2).mean()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert ((Xt @ W - Yt) ** 2).mean().item() < 1e-3 * first


def test_docstring_examples_run():
    import losslab.optim.muon as mod
    T.run_doctests(mod)
