"""LBFGS: the closure requirement and the single group, cubic interpolation and the strong-Wolfe
line search against PyTorch's own functions, the two-loop recursion by hand, and the optimizer
against torch.optim.LBFGS after N closure steps (a small MLP and Rosenbrock, both line_search_fn
options), counters and state, state_dict resume, validation and descent.

Two kinds of comparison with PyTorch:

* *shared objective*: both optimizers get the loss and gradient from the same float64 function
  (PyTorch's autograd on copies of the parameters), so any difference comes from the optimizers'
  own arithmetic; agreement is ~1e-12 and is asserted at 1e-10 for every configuration.
* *own closures*: each side evaluates the model with its own autograd. Quasi-Newton steps divide
  by differences of gradients, and the fixed-step variant amplifies the last-bit differences
  between two implementations of the same loss (about 1e-10 after one step of 10 iterations on
  the MLP, as much as a different but equal formula for the loss moves PyTorch itself), so the
  fixed-step configurations are compared after one step at 1e-9 and the line-search ones (which
  converge, and damp differences) after several steps at 1e-10.
"""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.optim import LBFGS
from losslab.optim.lbfgs import LBFGS_INFO, cubic_interpolate, lbfgs_direction, strong_wolfe

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")
torch_lbfgs = pytest.importorskip("torch.optim.lbfgs")

RIDGE = 1e-3  # an L2 term makes the MLP's minimum strict, so the runs converge
CFG_IDS = ["sw", "fixed", "sw-hist3", "fixed-hist2-maxeval", "sw-lr0.5-tolgrad"]
SHARED_STEPS = (10, 5, 8, 3, 5)
OWN_STEPS = (10, 1, 4, 1, 3)
OWN_TOL = (1e-10, 1e-9, 1e-10, 1e-9, 1e-10)


def _ll_loss(ps, x, y):
    loss = U.ll_loss(ps, x, y)
    for p in ps:
        loss = loss + RIDGE * (p * p).sum()
    return loss


def _torch_loss(ps, x, y):
    return U.torch_loss(torch, ps, x, y) + RIDGE * sum((p * p).sum() for p in ps)


def _shared_objective(x, y):
    def f(arrays):
        tp = [torch.tensor(a, requires_grad=True) for a in arrays]
        loss = _torch_loss(tp, x, y)
        loss.backward()
        return loss.item(), [t.grad.numpy() for t in tp]
    return f


def _closures(lopt, lp, topt, tp, x, y, shared: bool):
    f = _shared_objective(x, y)

    def lclosure():
        lopt.zero_grad()
        if shared:
            value, grads = f([p.data.copy() for p in lp])
            for p, g in zip(lp, grads):
                p.grad = ll.tensor(g)
            return ll.tensor(np.float64(value))
        loss = _ll_loss(lp, x, y)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        if shared:
            value, grads = f([q.detach().numpy().copy() for q in tp])
            for q, g in zip(tp, grads):
                q.grad = torch.from_numpy(g.copy())
            return torch.tensor(value, dtype=torch.float64)
        loss = _torch_loss(tp, x, y)
        loss.backward()
        return loss

    return lclosure, tclosure


def _assert_close(lp, tp, tol):
    scale = max(1.0, max(float(np.max(np.abs(q.detach().numpy()))) for q in tp))
    err = max(float(np.max(np.abs(p.data - q.detach().numpy()))) for p, q in zip(lp, tp))
    assert err <= tol * scale, (err, scale)


def _run_mlp(cfg, steps, shared, tol, seed=1):
    x, y, init = U.problem(seed)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lopt, topt = LBFGS(lp, **cfg), torch.optim.LBFGS(tp, **cfg)
    lc, tc = _closures(lopt, lp, topt, tp, x, y, shared)
    for _ in range(steps):
        lloss, tloss = lopt.step(lc), topt.step(tc)
        np.testing.assert_allclose(lloss.item(), tloss.item(), rtol=max(tol, 1e-12))
        ls, ts = lopt.state[lp[0]], topt.state[tp[0]]
        assert (ls["func_evals"], ls["n_iter"]) == (ts["func_evals"], ts["n_iter"])
        _assert_close(lp, tp, tol)
    assert not np.allclose(lp[0].data, init["w1"])
    return lopt, topt, lp, tp


# -- the closure and the single group ---------------------------------------------------------------
def test_step_without_closure_is_a_clear_error():
    w = ll.zeros(2, requires_grad=True)
    opt = LBFGS([w])
    with pytest.raises(TypeError, match=r"LBFGS.step\(\) requires a closure.*returns the loss"):
        opt.step()
    with pytest.raises(TypeError, match="closure: expected a callable"):
        opt.step(1.0)
    with pytest.raises(TypeError, match="closure to return the loss"):
        opt.step(lambda: "loss")
    assert w.data.tolist() == [0.0, 0.0]


def test_only_one_param_group():
    a, b = ll.zeros(2, requires_grad=True), ll.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = LBFGS([a])
    with pytest.raises(ValueError, match="put every parameter in one group"):
        opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 1
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]})


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-1.0), ValueError, r"LBFGS: Invalid learning rate: lr=-1.0"),
    (dict(lr=float("nan")), ValueError, "lr=nan"),
    (dict(max_iter=0), ValueError, r"Invalid max_iter value: max_iter=0; expected an integer >= 1"),
    (dict(max_iter=2.5), TypeError, "max_iter must be an integer"),
    (dict(max_eval=0), ValueError, "Invalid max_eval value"),
    (dict(tolerance_grad=-1e-7), ValueError, "Invalid tolerance_grad value"),
    (dict(tolerance_change=float("nan")), ValueError, "Invalid tolerance_change value"),
    (dict(history_size=0), ValueError, "Invalid history_size value"),
    (dict(history_size=True), TypeError, "history_size must be an integer"),
    (dict(line_search_fn="armijo"), ValueError, r"line_search_fn='armijo' is not supported; use None .* or 'strong_wolfe'"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        LBFGS([ll.zeros(2, requires_grad=True)], **kwargs)


def test_defaults_and_repr_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    for kw in (dict(), dict(max_iter=8, line_search_fn="strong_wolfe")):
        d, td = LBFGS([w], **kw).defaults, torch.optim.LBFGS([tw], **kw).defaults
        assert d == td and list(d) == list(td)
        assert d["max_eval"] == td["max_eval"] == d["max_iter"] * 5 // 4
        assert repr(LBFGS([w], **kw)) == repr(torch.optim.LBFGS([tw], **kw))


# -- the pieces ---------------------------------------------------------------------------------------
def test_cubic_interpolate_matches_torch():
    rng = np.random.default_rng(0)
    t = torch.tensor
    for _ in range(200):
        x1, x2 = rng.normal(size=2) * 2
        f1, f2, g1, g2 = rng.normal(size=4)
        bounds = None if rng.random() < 0.5 else tuple(sorted(rng.normal(size=2) * 3))
        ours = cubic_interpolate(x1, f1, np.float64(g1), x2, f2, np.float64(g2), bounds)
        theirs = torch_lbfgs._cubic_interpolate(x1, f1, t(g1), x2, f2, t(g2), bounds)
        assert float(ours) == float(theirs)
    # no real minimiser: the midpoint of the bounds
    assert cubic_interpolate(0.0, 0.0, np.float64(1.0), 1.0, 0.5, np.float64(1.0)) == 0.5
    # a parabola is recovered exactly
    assert float(cubic_interpolate(0.0, 1.0, np.float64(-2.0), 2.0, 1.0, np.float64(2.0))) == 1.0


@pytest.mark.parametrize("start,direction,t0,max_ls", [
    ([-1.5, 2.0], None, 1.0, 25), ([0.0, 0.0], None, 10.0, 25), ([-1.5, 2.0], None, 1e-4, 25),
    ([1.2, 1.2], [-1.0, 0.3], 1.0, 25), ([-1.5, 2.0], None, 1.0, 2), ([-1.5, 2.0], None, 1.0, 0),
], ids=["rosen", "long", "extrapolate", "other-direction", "budget-2", "budget-0"])
def test_strong_wolfe_matches_torch(start, direction, t0, max_ls):
    """The same line search as torch.optim.lbfgs._strong_wolfe on Rosenbrock along the steepest
    descent direction (or another): same step, value, gradient and evaluation count."""
    def grad_rosen(z):
        x, y = z
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    def f_rosen(z):
        return float((1 - z[0]) ** 2 + 100 * (z[1] - z[0] ** 2) ** 2)

    x0 = np.array(start)
    g0 = grad_rosen(x0)
    d = -g0 if direction is None else np.array(direction)

    def ours_obj(x, t, d):
        z = x + t * d
        return f_rosen(z), grad_rosen(z)

    def torch_obj(x, t, d):
        z = x.numpy() + float(t) * d.numpy()
        return f_rosen(z), torch.tensor(grad_rosen(z))

    gtd = np.dot(g0, d)
    ours = strong_wolfe(ours_obj, x0, t0, d, f_rosen(x0), g0, gtd, max_ls=max_ls)
    theirs = torch_lbfgs._strong_wolfe(torch_obj, torch.tensor(x0), t0, torch.tensor(d), f_rosen(x0),
                                       torch.tensor(g0), torch.tensor(gtd), max_ls=max_ls)
    assert ours[3] == theirs[3]
    np.testing.assert_allclose(float(ours[2]), float(theirs[2]), rtol=1e-13)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-13)
    np.testing.assert_allclose(ours[1], theirs[1].numpy(), rtol=1e-13)
    if max_ls >= 25:  # a full budget finds a point with sufficient decrease
        assert ours[0] <= f_rosen(x0) + 1e-4 * float(ours[2]) * gtd


def test_two_loop_recursion_by_hand():
    # no pairs: d = −γ·g
    np.testing.assert_array_equal(lbfgs_direction(np.array([1.0, -2.0]), [], [], [], 0.5), [-0.5, 1.0])
    # f = ½(2x² + 8y²): H = diag(2, 8); pairs along the axes are conjugate, so H⁻¹ is exact
    g = np.array([2.0, 8.0])
    s = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    y = [np.array([2.0, 0.0]), np.array([0.0, 8.0])]
    al = [None, None, None]
    d = lbfgs_direction(g, y, s, [0.5, 0.125], 0.125, al)
    np.testing.assert_allclose(d, [-1.0, -1.0])
    assert al[:2] == [-1.0, -1.0] and al[2] is None


# -- against torch.optim.LBFGS --------------------------------------------------------------------------
@pytest.mark.parametrize("i", range(5), ids=CFG_IDS)
def test_mlp_shared_objective_matches_torch(i):
    cfg = LBFGS_INFO.oracle_configs[i]
    lopt, topt, lp, tp = _run_mlp(cfg, SHARED_STEPS[i], shared=True, tol=1e-10)
    ls, ts = lopt.state[lp[0]], topt.state[tp[0]]
    assert list(ls) == list(ts)
    assert len(ls["old_dirs"]) == len(ts["old_dirs"]) <= cfg.get("history_size", 100)
    for key in ("d", "prev_flat_grad"):
        np.testing.assert_allclose(ls[key], ts[key].numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(float(ls["t"]), float(ts["t"]), rtol=1e-8)


@pytest.mark.parametrize("i", range(5), ids=CFG_IDS)
def test_mlp_own_closures_match_torch(i):
    _run_mlp(LBFGS_INFO.oracle_configs[i], OWN_STEPS[i], shared=False, tol=OWN_TOL[i])


@pytest.mark.parametrize("cfg", [dict(line_search_fn="strong_wolfe"), dict(lr=0.5, max_iter=10)],
                         ids=["strong_wolfe", "fixed"])
def test_mlp_without_ridge_first_step_matches_torch(cfg):
    x, y, init = U.problem(1)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lopt, topt = LBFGS(lp, **cfg), torch.optim.LBFGS(tp, **cfg)

    def lc():
        lopt.zero_grad(); loss = U.ll_loss(lp, x, y); loss.backward(); return loss

    def tc():
        topt.zero_grad(); loss = U.torch_loss(torch, tp, x, y); loss.backward(); return loss

    assert lopt.step(lc).item() == pytest.approx(topt.step(tc).item(), rel=1e-14)
    _assert_close(lp, tp, 1e-9)


@pytest.mark.parametrize("cfg,steps", [(dict(line_search_fn="strong_wolfe"), 5),
                                       (dict(lr=0.01, max_iter=50), 6),
                                       (dict(lr=0.1, max_iter=50), 2)],
                         ids=["strong_wolfe", "fixed-0.01", "fixed-0.1"])
def test_rosenbrock_matches_torch(cfg, steps):
    lp = ll.tensor([-1.5, 2.0], dtype=ll.float64, requires_grad=True)
    tp = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    lopt, topt = LBFGS([lp], **cfg), torch.optim.LBFGS([tp], **cfg)

    def lc():
        lopt.zero_grad(); loss = U.rosenbrock(lp); loss.backward(); return loss

    def tc():
        topt.zero_grad(); loss = U.rosenbrock(tp); loss.backward(); return loss

    for _ in range(steps):
        np.testing.assert_allclose(lopt.step(lc).item(), topt.step(tc).item(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(lp.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert lopt.state[lp]["func_evals"] == topt.state[tp]["func_evals"]


def test_parameter_without_gradient_and_return_value():
    """A parameter that gets no gradient counts as zero gradient (it does not move); step returns
    what the closure returned on its first call."""
    x, y, init = U.problem(2)
    extra = ll.tensor([1.0, 2.0], dtype=ll.float64, requires_grad=True)
    textra = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lopt = LBFGS(lp + [extra], line_search_fn="strong_wolfe")
    topt = torch.optim.LBFGS(tp + [textra], line_search_fn="strong_wolfe")
    first = []

    def lc():
        lopt.zero_grad(); loss = _ll_loss(lp, x, y); loss.backward(); first.append(loss); return loss

    def tc():
        topt.zero_grad(); loss = _torch_loss(tp, x, y); loss.backward(); return loss

    for _ in range(3):
        first.clear()
        assert lopt.step(lc) is first[0]
        topt.step(tc)
    np.testing.assert_array_equal(extra.data, [1.0, 2.0])
    assert extra.grad is None
    _assert_close(lp, tp, 1e-10)
    assert lopt.state[lp[0]]["d"].shape == (sum(p.data.size for p in lp) + 2,)


def test_stops_at_a_stationary_point_and_respects_max_eval():
    w = ll.tensor([1.0, 1.0], dtype=ll.float64, requires_grad=True)  # Rosenbrock's minimum
    opt = LBFGS([w])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad(); loss = U.rosenbrock(w); loss.backward(); return loss

    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1 and list(opt.state[w]) == ["func_evals", "n_iter"]
    v = ll.tensor([-1.5, 2.0], dtype=ll.float64, requires_grad=True)
    tv = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    for kw in (dict(max_iter=100, max_eval=7), dict(max_iter=100, max_eval=7, line_search_fn="strong_wolfe")):
        o, to = LBFGS([v], **kw), torch.optim.LBFGS([tv], **kw)
        calls.clear()

        def c():
            calls.append(1)
            o.zero_grad(); loss = U.rosenbrock(v); loss.backward(); return loss

        def tc():
            to.zero_grad(); loss = U.rosenbrock(tv); loss.backward(); return loss

        o.step(c)
        to.step(tc)
        assert len(calls) == o.state[v]["func_evals"] == to.state[tv]["func_evals"] <= 7 + 1


def test_float32_parameters_stay_float32():
    x, y, init = U.problem(3)
    lp = U.ll_params(init, dtype=np.float32)
    arrays = [p.data for p in lp]
    opt = LBFGS(lp, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad(); loss = _ll_loss(lp, x, y); loss.backward(); return loss

    first = closure().item()
    for _ in range(3):
        opt.step(closure)
    assert all(p.data.dtype == np.float32 and p.data is a for p, a in zip(lp, arrays))
    assert opt.state[lp[0]]["d"].dtype == np.float32
    assert closure().item() < 0.5 * first


# -- state ------------------------------------------------------------------------------------------------
def test_state_dict_mid_run_resume_and_structure():
    cfg = dict(lr=1.0, max_iter=5, history_size=3, line_search_fn="strong_wolfe")
    x, y, init = U.problem(5)

    def make(ps, **kw):
        opt = LBFGS(ps, **kw)

        def closure():
            opt.zero_grad(); loss = _ll_loss(ps, x, y); loss.backward(); return loss
        return opt, closure

    ref = U.ll_params(init)
    ro, rc = make(ref, **cfg)
    for _ in range(6):
        ro.step(rc)
    a = U.ll_params(init)
    ao, ac = make(a, **cfg)
    for _ in range(3):
        ao.step(ac)
    sd = ao.state_dict()
    assert sorted(sd["state"]) == [0]
    b = [ll.tensor(p.data.copy(), requires_grad=True) for p in a]
    bo, bc = make(b, lr=0.123)
    bo.load_state_dict(sd)
    assert bo.param_groups[0]["history_size"] == 3 and bo.param_groups[0]["lr"] == 1.0
    for _ in range(3):
        bo.step(bc)
    for p, q in zip(ref, b):
        np.testing.assert_array_equal(p.data, q.data)
    # the same keys as torch's state dict, in the same order
    tp = U.torch_params(torch, init)
    to = torch.optim.LBFGS(tp, **cfg)

    def tc():
        to.zero_grad(); loss = _torch_loss(tp, x, y); loss.backward(); return loss
    for _ in range(3):
        to.step(tc)
    tsd = to.state_dict()
    assert list(sd["state"][0]) == list(tsd["state"][0])
    assert list(sd["param_groups"][0]) == list(tsd["param_groups"][0])


def test_torch_state_dict_loads_and_continues():
    cfg = dict(line_search_fn="strong_wolfe", max_iter=4)
    tp = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    to = torch.optim.LBFGS([tp], **cfg)

    def tc():
        to.zero_grad(); loss = U.rosenbrock(tp); loss.backward(); return loss
    to.step(tc)
    lp = ll.tensor(tp.detach().numpy().copy(), requires_grad=True)
    lo = LBFGS([lp], lr=0.5)
    lo.load_state_dict(to.state_dict())

    def lc():
        lo.zero_grad(); loss = U.rosenbrock(lp); loss.backward(); return loss
    for _ in range(3):
        lo.step(lc)
        to.step(tc)
        np.testing.assert_allclose(lp.data, tp.detach().numpy(), rtol=1e-10)
    assert lo.state[lp]["func_evals"] == to.state[tp]["func_evals"]


# -- descent ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg,steps,rosen_target,quad_target", [
    (LBFGS_INFO.descent_config, LBFGS_INFO.descent_steps, 1e-8, 1e-12),
    (dict(lr=0.1, max_iter=50), 8, 1e-6, 1e-10),
], ids=["strong_wolfe", "fixed-step"])
def test_descends_ill_conditioned_quadratic_and_rosenbrock(cfg, steps, rosen_target, quad_target):
    """Budgets in step() calls: with the strong-Wolfe line search (defaults, ≤ 25 closure
    evaluations per step) 5 steps bring Rosenbrock from (−1.5, 2) below 1e-8 of its start and
    θ₀² + 100θ₁² below 1e-12; with a fixed step lr=0.1 and max_iter=50, 8 steps bring Rosenbrock
    below 1e-6 and the quadratic below 1e-10 (the run stops once the loss changes by less than
    tolerance_change = 1e-9)."""
    for f, start, target in ((U.rosenbrock, [-1.5, 2.0], rosen_target), (T.quad100, [2.0, -1.5], quad_target)):
        w = ll.tensor(start, dtype=ll.float64, requires_grad=True)
        opt = LBFGS([w], **cfg)

        def closure():
            opt.zero_grad(); loss = f(w); loss.backward(); return loss
        f0 = closure().item()
        for _ in range(steps):
            opt.step(closure)
        assert f(w).item() <= target * f0, (f.__name__, f(w).item(), w.data)


def test_docstring_examples_run():
    import losslab.optim.lbfgs as mod
    T.run_doctests(mod)


def test_works_with_trace_and_functional_namespace():
    """losslab.optim.trace passes a closure, so LBFGS can be traced; its pieces are in
    losslab.optim._functional with the other kernels."""
    from losslab.optim import _functional, surfaces, trace
    r = trace(LBFGS, surfaces.rosenbrock(), (-1.5, 2.0), 3, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(r.final, [1.0, 1.0], atol=1e-3)
    assert _functional.lbfgs_direction is lbfgs_direction and _functional.strong_wolfe is strong_wolfe
