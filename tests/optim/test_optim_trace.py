"""losslab.optim.surfaces and losslab.optim.trace: the surfaces' values, gradients and landmarks
(against torch autograd and hand-derived gradients), trace's shapes and per-step quantities, descent
of SGD on every surface, schedulers inside a trace, divergence, and bad input."""
from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.optim as optim
from losslab.optim import SGD, TraceResult, lr_scheduler, surfaces, trace
from losslab.optim import surfaces as surfaces_module

torch = pytest.importorskip("torch")

ALL = list(surfaces.SURFACES)


# ------------------------------------------------------------------------------------------------
# surfaces
# ------------------------------------------------------------------------------------------------
def _hand_grad(name, x, y, s):
    if name == "rosenbrock":
        a, b = s.params["a"], s.params["b"]
        return [-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)]
    if name == "himmelblau":
        return [4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)]
    if name == "beale":
        t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y ** 3
        return [2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y ** 3 - 1),
                2 * t1 * x + 4 * t2 * x * y + 6 * t3 * x * y * y]
    if name == "saddle":
        return [2 * s.params["a"] * x, -2 * s.params["b"] * y]
    H = np.array(s.params["hessian"])
    return (H @ [x, y]).tolist()


@pytest.mark.parametrize("name", ALL)
def test_surface_value_and_gradient(name):
    s = surfaces.SURFACES[name]()
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = s.domain
    for x, y in zip(rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5)):
        p = ll.tensor([x, y], dtype=ll.float64, requires_grad=True)
        v = s(p)
        v.backward()
        pt = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        vt = s.fn(pt[0], pt[1])  # operators only: the same code runs on torch tensors
        vt.backward()
        assert v.item() == pytest.approx(vt.item(), rel=1e-12)
        np.testing.assert_allclose(p.grad.data, pt.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(p.grad.data, _hand_grad(name, x, y, s), rtol=1e-10, atol=1e-10)
        assert s.value(x, y) == pytest.approx(v.item(), rel=1e-14)
        assert s([x, y]) == pytest.approx(v.item(), rel=1e-14)
        np.testing.assert_allclose(s.grad([x, y]), p.grad.data, rtol=1e-14)


@pytest.mark.parametrize("name", ALL)
def test_surface_landmarks(name):
    s = surfaces.SURFACES[name]()
    for m in s.minima:
        assert s.value(*m) == pytest.approx(s.min_value, abs=1e-18)
        assert np.abs(s.grad(m)).max() < 1e-9
    for label, pt in s.points.items():
        assert np.abs(s.grad(pt)).max() < 1e-8, label
    (x0, x1), (y0, y1) = s.domain
    for pt in list(s.minima) + list(s.points.values()) + [s.start]:
        assert x0 <= pt[0] <= x1 and y0 <= pt[1] <= y1, pt
    X, Y, Z = s.grid(31)
    assert X.shape == Y.shape == Z.shape == (31, 31)
    if s.minima:
        assert Z.min() >= s.min_value - 1e-12
    assert s.value(*s.start) > (s.min_value if s.minima else s.value(0.0, 0.0))


def test_quadratic_hessian_condition_and_rotation():
    s = surfaces.ill_conditioned_quadratic(cond=25.0, angle=0.3)
    H = np.array(s.params["hessian"])
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [1.0, 25.0], rtol=1e-12)
    eps = 1e-6
    fd = np.array([(s.grad([eps, 0]) - s.grad([-eps, 0])) / (2 * eps),
                   (s.grad([0, eps]) - s.grad([0, -eps])) / (2 * eps)])
    np.testing.assert_allclose(fd, H, atol=1e-6)
    assert surfaces.get_surface("quadratic", cond=4.0).params["cond"] == 4.0


def test_himmelblau_local_maximum_and_saddles():
    s = surfaces.himmelblau()
    assert s.value(*s.points["local maximum"]) == pytest.approx(181.6165215225827, rel=1e-12)
    eps = 1e-5
    for label, (x, y) in s.points.items():
        H = np.array([(s.grad([x + eps, y]) - s.grad([x - eps, y])) / (2 * eps),
                      (s.grad([x, y + eps]) - s.grad([x, y - eps])) / (2 * eps)])
        ev = np.linalg.eigvalsh((H + H.T) / 2)
        if label == "local maximum":
            assert np.all(ev < 0)
        else:
            assert ev[0] < 0 < ev[1], label


def test_surface_bad_input():
    with pytest.raises(ValueError, match="expected a point of shape"):
        surfaces.rosenbrock()(ll.zeros(3))
    with pytest.raises(ValueError, match="expected a point of shape"):
        surfaces.rosenbrock()([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="cond must be >= 1"):
        surfaces.ill_conditioned_quadratic(cond=0.5)
    with pytest.raises(ValueError, match="b must be > 0"):
        surfaces.rosenbrock(b=0)
    with pytest.raises(ValueError, match="unknown surface 'banana'; known surfaces: ill_conditioned_quadratic"):
        surfaces.get_surface("banana")


# ------------------------------------------------------------------------------------------------
# trace
# ------------------------------------------------------------------------------------------------
# (learning rate, steps, factor by which f must drop) for plain SGD from each surface's start
DESCENT = {
    "ill_conditioned_quadratic": (0.03, 300, 1e-8),
    "rosenbrock": (1e-3, 500, 0.5),
    "beale": (0.01, 500, 1e-3),
    "himmelblau": (0.005, 300, 1e-12),
}


@pytest.mark.parametrize("name", ALL)
def test_sgd_descends_each_surface_and_shapes_are_right(name):
    s = surfaces.SURFACES[name]()
    if name == "saddle":
        r = trace(SGD, s, s.start, 400, lr=0.01)
        # first towards the saddle along x, then away along y, below the saddle's value
        assert abs(r.path[150, 0]) < 0.1 * abs(s.start[0]) and abs(r.path[150, 1]) < 0.1
        assert r.values[-1] < s.value(0.0, 0.0) - 1.0 and abs(r.final[1]) > 1.0
        n = 400
    else:
        lr, n, factor = DESCENT[name]
        r = trace(SGD, s, s.start, n, lr=lr)
        assert r.values[-1] < factor * r.values[0]
        assert np.all(np.diff(r.values) <= 1e-12), "plain SGD with a small lr descends monotonically here"
    assert isinstance(r, TraceResult) and r.steps == n and not r.diverged and r.optimizer == "SGD"
    assert r.path.shape == (n + 1, 2) and r.grads.shape == (n + 1, 2) and r.values.shape == (n + 1,)
    assert r.updates.shape == r.effective_lr.shape == (n, 2)
    assert r.update_ratio.shape == r.lrs.shape == (n,)
    assert all(a.dtype == np.float64 for a in (r.path, r.values, r.grads, r.updates, r.effective_lr))
    np.testing.assert_array_equal(r.path[0], s.start)
    np.testing.assert_allclose(r.updates, np.diff(r.path, axis=0))
    np.testing.assert_allclose(r.values, [s.value(*p) for p in r.path], rtol=1e-12)
    np.testing.assert_allclose(r.grads, [s.grad(p) for p in r.path], rtol=1e-12, atol=1e-300)


def test_himmelblau_minimum_depends_on_start():
    s = surfaces.himmelblau()
    ends = set()
    for x0 in [(0.0, 0.0), (-1.0, 2.0), (-2.0, -2.0), (1.0, -2.0)]:
        r = trace(SGD, s, x0, 200, lr=0.01)
        d = [np.linalg.norm(r.final - np.array(m)) for m in s.minima]
        assert min(d) < 1e-6
        ends.add(int(np.argmin(d)))
    assert ends == {0, 1, 2, 3}


def test_effective_lr_and_update_ratio_for_sgd():
    s = surfaces.ill_conditioned_quadratic(cond=10.0)
    r = trace(SGD, s, (-1.5, 1.0), 40, lr=0.05)
    np.testing.assert_allclose(r.effective_lr, 0.05, rtol=1e-9)
    np.testing.assert_allclose(r.updates, -0.05 * r.grads[:-1], rtol=1e-14)
    np.testing.assert_allclose(r.update_ratio, np.linalg.norm(r.updates, axis=1) / np.linalg.norm(r.path[:-1], axis=1))
    assert np.all(r.lrs == 0.05)
    rm = trace(lambda ps: SGD(ps, lr=0.05, momentum=0.9), s, (-1.5, 1.0), 40)
    assert rm.effective_lr[0] == pytest.approx([0.05, 0.05])  # the buffer starts at g
    assert np.nanmax(np.abs(rm.effective_lr[5:] - 0.05)) > 0.05  # momentum: no longer η·g


def test_effective_lr_is_nan_where_the_gradient_is_zero():
    r = trace(SGD, surfaces.saddle(), (1.0, 0.0), 3, lr=0.1)
    assert np.all(np.isnan(r.effective_lr[:, 1])) and np.allclose(r.effective_lr[:, 0], 0.1)
    r0 = trace(SGD, surfaces.saddle(), (0.0, 0.0), 2, lr=0.1)
    assert np.all(np.isnan(r0.update_ratio)) and np.all(r0.path == 0)


def test_trace_with_scheduler_records_lrs_and_effective_lr_follows_them():
    s = surfaces.ill_conditioned_quadratic(cond=5.0)
    r = trace(SGD, s, (-1.5, 1.0), 30, lr=0.1,
              scheduler_factory=lambda o: lr_scheduler.StepLR(o, step_size=10, gamma=0.5))
    np.testing.assert_allclose(r.lrs, [0.1] * 10 + [0.05] * 10 + [0.025] * 10)
    np.testing.assert_allclose(r.effective_lr, np.repeat(r.lrs[:, None], 2, axis=1), rtol=1e-9)


def test_trace_detects_divergence_without_warnings():
    s = surfaces.rosenbrock()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = trace(SGD, s, s.start, 200, lr=0.01)
    assert r.diverged and r.steps < 200
    assert r.path.shape == (r.steps + 1, 2) and r.values.shape == (r.steps + 1,)
    assert not np.all(np.isfinite(r.final)) and np.isnan(r.values[-1])
    assert "diverged=True" in repr(r)


def test_trace_with_adam_adapts_per_coordinate():
    adam = getattr(optim, "Adam", None)
    if adam is None:
        pytest.skip("losslab.optim.Adam not present")
    s = surfaces.ill_conditioned_quadratic(cond=100.0)
    r = trace(adam, s, (-1.5, 1.0), 300, lr=0.05)
    assert r.optimizer == "Adam" and r.values[-1] < 1e-3 * r.values[0]
    g0 = r.grads[0]
    # Adam's first step is ≈ lr·sign(g): effective lr ≈ lr/|g| per coordinate
    np.testing.assert_allclose(r.effective_lr[0], 0.05 / np.abs(g0), rtol=1e-6)
    pt = torch.tensor([-1.5, 1.0], dtype=torch.float64, requires_grad=True)
    ot = torch.optim.Adam([pt], lr=0.05)
    for _ in range(300):
        ot.zero_grad()
        s.fn(pt[0], pt[1]).backward()
        ot.step()
    np.testing.assert_allclose(r.final, pt.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_trace_matches_torch_sgd_with_momentum_path():
    s = surfaces.beale()
    r = trace(lambda ps: SGD(ps, lr=0.002, momentum=0.9, nesterov=True), s, s.start, 200)
    pt = torch.tensor(s.start, dtype=torch.float64, requires_grad=True)
    ot = torch.optim.SGD([pt], lr=0.002, momentum=0.9, nesterov=True)
    path = [pt.detach().numpy().copy()]
    for _ in range(200):
        ot.zero_grad()
        s.fn(pt[0], pt[1]).backward()
        ot.step()
        path.append(pt.detach().numpy().copy())
    np.testing.assert_allclose(r.path, np.array(path), rtol=1e-10, atol=1e-12)


def test_trace_with_a_closure_optimizer():
    lbfgs = getattr(optim, "LBFGS", None)
    if lbfgs is None:
        pytest.skip("losslab.optim.LBFGS not present yet")
    s = surfaces.rosenbrock()
    r = trace(lbfgs, s, s.start, 20, line_search_fn="strong_wolfe")
    assert r.values[-1] < 1e-6


def test_trace_float32_and_tensor_start():
    r = trace(SGD, surfaces.himmelblau(), ll.tensor([0.0, 0.0]), 10, lr=0.005, dtype=np.float32)
    assert r.path.shape == (11, 2) and r.values[-1] < r.values[0]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(x0=(1.0, 2.0, 3.0)), ValueError, r"x0 must be a point of two numbers \(shape \(2,\)\), got shape \(3,\)"),
    (dict(x0=(math.nan, 0.0)), ValueError, "x0 must be finite"),
    (dict(steps=-1), ValueError, "steps must be an integer >= 0"),
    (dict(steps=2.5), ValueError, "steps must be an integer >= 0"),
    (dict(optimizer_factory=lambda ps, **k: 3), TypeError, "not a losslab Optimizer"),
    (dict(optimizer_factory="sgd"), TypeError, "optimizer_factory must be a function"),
    (dict(fn=lambda p: 1.0), TypeError, "fn must return a scalar losslab Tensor"),
    (dict(fn=lambda p: p * 2), ValueError, "fn must return a scalar"),
    (dict(fn=None), TypeError, "fn must be a function"),
])
def test_trace_bad_input(kwargs, exc, match):
    args = dict(optimizer_factory=SGD, fn=surfaces.rosenbrock(), x0=(0.0, 0.0), steps=3)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        trace(args.pop("optimizer_factory"), args.pop("fn"), args.pop("x0"), args.pop("steps"), lr=0.01)


def test_zero_steps():
    r = trace(SGD, surfaces.beale(), (1.0, 1.0), 0, lr=0.1)
    assert r.steps == 0 and r.path.shape == (1, 2) and r.updates.shape == (0, 2) and r.values.shape == (1,)


def test_docstring_examples_run():
    import sys
    trace_module = sys.modules["losslab.optim.trace"]
    for mod in (surfaces_module, trace_module):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 3, mod.__name__
