"""Helpers for the adaptive-optimizer tests (test_optim_{adagrad,rmsprop,adam,adamw,adadelta,
adamax,nadam,radam}.py): trajectories against torch.optim with param groups, state comparison,
state_dict resume, the functional-kernel oracle, descent on the test surfaces, and the
accept/reject comparison of hyperparameter checks."""
from __future__ import annotations

import numpy as np

import losslab as ll

import optim_testutil as U

#: every adaptive optimizer descends these within this many steps (the registry's descent_steps)
STEP_BUDGET = 2000


def quad100(p):
    """f(θ) = θ₀² + 100·θ₁², an ill-conditioned bowl (condition number 100), minimum 0 at 0."""
    c = ll.tensor(np.array([1.0, 100.0], dtype=p.dtype))
    return (c * p * p).sum()


def descend(cls, cfg, f, start, budget, target):
    """Run ``cls(**cfg)`` on ``f`` from ``start`` until f ≤ target·f₀ or ``budget`` steps have
    been taken; return (steps taken, f₀, f_end, θ_end); the caller asserts the target was met."""
    p = ll.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = cls([p], **cfg)
    first = f(p).item()
    value, steps = first, 0
    while steps < budget and not value <= target * first:
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        opt.step()
        steps += 1
        value = f(p).item() if steps % 10 == 0 or steps == budget else loss.item()
    value = f(p).item()
    return steps, first, value, p.data.copy()


def assert_descends(cls, info):
    """Within the registry's stated budget (≤ STEP_BUDGET steps, ``info.descent_config``):
    the ill-conditioned quadratic θ₀² + 100θ₁² from (2, −1.5) drops below 1e-6 of its start,
    and Rosenbrock from (−1.5, 2) below 1e-2 of its start. Returns the steps each took."""
    assert info.descent_steps <= STEP_BUDGET
    p = ll.tensor([1.0, 2.0], dtype=ll.float64, requires_grad=True)
    opt = cls([p], **info.descent_config)
    quad100(p).backward()
    opt.step()
    assert tuple(opt.state[p]) == tuple(info.state_keys), (info.name, list(opt.state[p]))
    n_quad, f0, f1, _ = descend(cls, info.descent_config, quad100, [2.0, -1.5], info.descent_steps, 1e-6)
    assert np.isfinite(f1) and f1 <= 1e-6 * f0, (info.name, "quadratic", n_quad, f0, f1)
    n_rosen, f0, f1, p = descend(cls, info.descent_config, U.rosenbrock, [-1.5, 2.0], info.descent_steps, 1e-2)
    assert np.isfinite(f1) and f1 <= 1e-2 * f0, (info.name, "rosenbrock", n_rosen, f0, f1, p)
    return n_quad, n_rosen


def assert_states_close(lopt, topt, lp, tp, rtol=1e-10, atol=1e-14):
    """Same state keys in the same order, and equal values, for each parameter pair."""
    for i, (p, q) in enumerate(zip(lp, tp)):
        ls, ts = lopt.state.get(p, {}), topt.state.get(q, {})
        assert list(ls) == list(ts), (i, list(ls), list(ts))
        for k in ts:
            np.testing.assert_allclose(np.asarray(ls[k]), ts[k].detach().numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"param {i} state {k!r}")


def compare_trajectory(torch, ll_cls, torch_cls, groups=None, steps=200, seed=1, chunks=None,
                       rtol=1e-10, **cfg):
    """Run the small MLP for ``steps`` steps with both optimizers (float64) and assert equal
    losses, parameters and states. ``groups(params) -> list of group dicts`` makes param groups.
    Returns the two optimizers and parameter lists."""
    x, y, init = U.problem(seed)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lopt = ll_cls(groups(lp) if groups else lp, **cfg)
    topt = torch_cls(groups(tp) if groups else tp, **cfg)
    for chunk in chunks or (steps,):
        ll_losses = U.ll_run(lopt, lp, x, y, chunk)
        t_losses = U.torch_run(torch, topt, tp, x, y, chunk)
        np.testing.assert_allclose(ll_losses, t_losses, rtol=rtol, atol=1e-14)
        U.assert_params_close(lp, tp, rtol=rtol)
    assert_states_close(lopt, topt, lp, tp, rtol=rtol)
    assert not np.allclose(lp[0].data, init["w1"])
    return lopt, topt, lp, tp


def resume_mid_run(torch, ll_cls, torch_cls, cfg, groups=None, first=100, second=100, seed=9):
    """Save a losslab state dict after ``first`` steps, load it into a fresh optimizer over copied
    parameters and run ``second`` more: the result equals the uninterrupted losslab run bit for
    bit and torch's uninterrupted run to 1e-10. Returns the resumed optimizer."""
    x, y, init = U.problem(seed)
    mk = (lambda ps: groups(ps)) if groups else (lambda ps: ps)
    ref, tp = U.ll_params(init), U.torch_params(torch, init)
    ref_opt, topt = ll_cls(mk(ref), **cfg), torch_cls(mk(tp), **cfg)
    U.ll_run(ref_opt, ref, x, y, first + second)
    U.torch_run(torch, topt, tp, x, y, first + second)

    a = U.ll_params(init)
    a_opt = ll_cls(mk(a), **cfg)
    U.ll_run(a_opt, a, x, y, first)
    sd = a_opt.state_dict()
    b = [ll.tensor(p.data.copy(), requires_grad=True) for p in a]
    b_opt = ll_cls(mk(b), lr=7.0)
    b_opt.load_state_dict(sd)
    U.ll_run(b_opt, b, x, y, second)
    for p, q in zip(ref, b):
        np.testing.assert_array_equal(p.data, q.data)
    U.assert_params_close(b, tp)
    return b_opt


def load_torch_state_mid_run(torch, ll_cls, torch_cls, cfg, first=50, second=50, seed=10):
    """A torch state dict saved after ``first`` steps loads into the losslab optimizer, which then
    follows torch's uninterrupted run for ``second`` more steps."""
    x, y, init = U.problem(seed)
    tp = U.torch_params(torch, init)
    topt = torch_cls(tp, **cfg)
    U.torch_run(torch, topt, tp, x, y, first)
    lp = [ll.tensor(q.detach().numpy().copy(), requires_grad=True) for q in tp]
    lopt = ll_cls(lp, lr=3.0)
    lopt.load_state_dict(topt.state_dict())
    U.ll_run(lopt, lp, x, y, second)
    U.torch_run(torch, topt, tp, x, y, second)
    U.assert_params_close(lp, tp)
    assert_states_close(lopt, topt, lp, tp)
    return lopt


def kernel_vs_torch_functional(torch, ours, theirs, state_names, steps=12, size=7, seed=0):
    """Drive our kernel and torch's functional form (``foreach=False``) with the same random
    gradients for ``steps`` steps. ``ours(p, g, states: dict, t) -> None`` updates ndarrays in
    place; ``theirs(tp, tg, tstates: dict, tstep) -> None`` calls the torch functional. States
    start at zero (or at the value ``state_names[name]`` gives). Asserts equal params/states."""
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=size)
    grads = rng.normal(size=(steps, size)) * np.geomspace(1.0, 1e-3, steps)[:, None]
    p = p0.copy()
    states = {k: np.full(size, v, dtype=np.float64) for k, v in state_names.items()}
    tp = torch.tensor(p0.copy())
    tstates = {k: torch.full((size,), float(v), dtype=torch.float64) for k, v in state_names.items()}
    tstep = torch.tensor(0.0)
    for t, g in enumerate(grads, start=1):
        ours(p, g.copy(), states, t)
        theirs(tp, torch.tensor(g.copy()), tstates, tstep)
        assert float(tstep) == t
    np.testing.assert_allclose(p, tp.numpy(), rtol=1e-13, atol=1e-15)
    for k in states:
        np.testing.assert_allclose(states[k], tstates[k].numpy(), rtol=1e-13, atol=1e-15, err_msg=k)
    assert not np.allclose(p, p0)


def accepts(fn) -> bool:
    """True if ``fn()`` runs, False if it raises ValueError (a refused hyperparameter)."""
    try:
        fn()
        return True
    except ValueError:
        return False


def assert_validation_agrees(torch, ll_cls, torch_cls, cases):
    """Same accept/reject decision as ``torch_cls`` for each kwargs dict in ``cases``."""
    for kw in cases:
        mine = accepts(lambda: ll_cls([ll.zeros(1, requires_grad=True)], **kw))
        theirs = accepts(lambda: torch_cls([torch.zeros(1, requires_grad=True)], **kw))
        assert mine == theirs, (kw, mine, theirs)


def run_doctests(module, at_least=2):
    """Run the ``Example:`` blocks of ``module``'s docstrings; all must pass."""
    import doctest
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= at_least, result


def assert_repr_matches_torch(torch, ll_cls, torch_cls, **cfg):
    a, b = ll.zeros(2, requires_grad=True), ll.zeros(2, requires_grad=True)
    ta, tb = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    mine = repr(ll_cls([{"params": [a]}, {"params": [b], "lr": 0.5}], **cfg))
    theirs = repr(torch_cls([{"params": [ta]}, {"params": [tb], "lr": 0.5}], **cfg))
    assert mine == theirs
