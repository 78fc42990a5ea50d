"""The flat multi-tensor path of Adam (``optim/_flat.py``, issue 8): the small parameters of a
group share flat state buffers and are updated with one call per ufunc. Its numbers must be the
per-parameter kernel's bit for bit, PyTorch's to rounding, and the optimizer's state must stay
ordinary per-parameter arrays (state_dict, load_state_dict, grads that come and go)."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.optim import Adam, adam_update
from losslab.optim import _flat

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (4,), (2, 5), (5,), (1, 1)]


def _params(dtype, shapes=SHAPES, seed=0):
    r = np.random.default_rng(seed)
    return [r.normal(size=s).astype(dtype) for s in shapes]


def _grads(shapes, steps, dtype, seed=1):
    r = np.random.default_rng(seed)
    return [[r.normal(size=s).astype(dtype) for s in shapes] for _ in range(steps)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", [{}, {"lr": 0.02, "betas": (0.3, 0.5), "eps": 1e-3}])
def test_flat_adam_equals_the_per_parameter_kernel_and_torch(dtype, kw):
    p0 = _params(dtype)
    gs = _grads(SHAPES, 5, dtype)
    ps = [ll.tensor(a.copy(), requires_grad=True) for a in p0]
    opt = Adam(ps, **kw)
    ref = [a.copy() for a in p0]
    states = [[None, None] for _ in ref]
    tps = [torch.tensor(a.copy(), requires_grad=True) for a in p0]
    topt = torch.optim.Adam(tps, **kw)
    for t, g in enumerate(gs, start=1):
        for p, gi in zip(ps, g):
            p.grad = ll.tensor(gi.copy())
        opt.step()
        for i, (a, gi) in enumerate(zip(ref, g)):
            states[i][0], states[i][1], _ = adam_update(a, gi, states[i][0], states[i][1], step=t,
                                                        lr=kw.get("lr", 1e-3),
                                                        beta1=kw.get("betas", (0.9, 0.999))[0],
                                                        beta2=kw.get("betas", (0.9, 0.999))[1],
                                                        eps=kw.get("eps", 1e-8))
        for tp, gi in zip(tps, g):
            tp.grad = torch.tensor(gi.copy())
        topt.step()
    assert opt.__dict__.get("_flat"), "the flat path was not taken"
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for p, a, tp, st in zip(ps, ref, tps, states):
        assert p.data.dtype == dtype
        np.testing.assert_array_equal(p.data, a)  # the same ufuncs in the same order
        np.testing.assert_array_equal(opt.state[p]["exp_avg"], st[0])
        np.testing.assert_array_equal(opt.state[p]["exp_avg_sq"], st[1])
        assert opt.state[p]["exp_avg"].shape == p.shape and float(opt.state[p]["step"]) == 5
        np.testing.assert_allclose(p.data, tp.detach().numpy(), **tol)


def test_flat_adam_mixes_with_large_params_missing_grads_and_state_dicts():
    shapes = [(3, 2), (_flat.FLAT_MAX_NUMEL + 1,), (2,), (4,)]
    p0 = _params(np.float64, shapes)
    gs = _grads(shapes, 6, np.float64)

    def run(reload_at=None, drop=None):
        ps = [ll.tensor(a.copy(), requires_grad=True) for a in p0]
        opt = Adam(ps, lr=0.01)
        for k, g in enumerate(gs):
            if k == reload_at:  # a fresh optimizer loaded from a checkpoint goes on identically
                sd = opt.state_dict()
                opt = Adam(ps, lr=0.01)
                opt.load_state_dict(sd)
            for i, (p, gi) in enumerate(zip(ps, g)):
                p.grad = None if (drop is not None and k == drop and i == 0) else ll.tensor(gi.copy())
            opt.step()
        return ps, opt

    base, opt = run()
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert all(isinstance(sd["state"][i]["exp_avg"], np.ndarray)
               and sd["state"][i]["exp_avg"].shape == s for i, s in enumerate(shapes))
    for p, q in zip(base, run(reload_at=3)[0]):
        np.testing.assert_array_equal(p.data, q.data)
    # A parameter without a gradient for one step: its step count falls behind the others', so
    # the group's steps differ and each parameter gets its own bias correction, as in PyTorch.
    ps, opt = run(drop=2)
    tps = [torch.tensor(a.copy(), requires_grad=True) for a in p0]
    topt = torch.optim.Adam(tps, lr=0.01)
    for k, g in enumerate(gs):
        for i, (tp, gi) in enumerate(zip(tps, g)):
            tp.grad = None if (k == 2 and i == 0) else torch.tensor(gi.copy())
        topt.step()
    assert float(opt.state[ps[0]]["step"]) == 5 and float(opt.state[ps[2]]["step"]) == 6
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_flat_adam_follows_a_state_array_replaced_by_hand():
    p0 = _params(np.float64)
    ps = [ll.tensor(a.copy(), requires_grad=True) for a in p0]
    opt = Adam(ps, lr=0.1)
    for p in ps:
        p.grad = ll.tensor(np.ones(p.shape))
    opt.step()
    opt.state[ps[0]]["exp_avg"] = np.zeros(ps[0].shape)  # replaced: the flat cache must notice
    before = ps[0].data.copy()
    m = np.zeros(ps[0].shape)
    v = opt.state[ps[0]]["exp_avg_sq"].copy()
    opt.step()
    expect = before.copy()
    adam_update(expect, np.ones(ps[0].shape), m, v, step=2, lr=0.1)
    np.testing.assert_array_equal(ps[0].data, expect)
