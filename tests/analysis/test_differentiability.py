"""The differentiability analyser on the seeds' examples, its errors, and the registry's declared
smoothness and convexity checked against it."""
import math

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab.analysis.differentiability import Report, differentiability


# ------------------------------------------------------------------------------- seed examples
def test_abs_kink_with_one_sided_derivatives_and_losslab_convention():
    r = differentiability("abs(pred - target)")
    assert r.variable == "pred" and r.target == 0.0
    assert r.smoothness == "C0" and not r.differentiable
    [k] = r.kinks
    assert (k.x, k.left, k.right, k.at, k.value) == (0.0, -1.0, 1.0, 0.0, 0.0)
    assert r.convex and not r.concave
    assert r.lipschitz == pytest.approx(1.0)
    assert r.growth["+inf"] == "linear" and r.growth["-inf"] == "linear"
    assert r.discontinuities == [] and r.flat_regions == [] and r.nonfinite == []
    assert "left derivative -1, right derivative 1; losslab's gradient there = 0" in r.text


def test_abs_target_dependence_is_the_sign_of_the_error_seed_001():
    r = differentiability("abs(pred - target)", target=0.5, targets=(-1, 0.5, 2))
    td = r.target_dependence
    assert td.kind == "error" and td.sign_form
    assert td.kinks == {-1.0: (-1.0,), 0.5: (0.5,), 2.0: (2.0,)}
    # at pred = 0 the gradient is +1 for target -1 and -1 for targets 0.5 and 2
    mid = td.points.index(0.0)
    assert [td.table[t][mid] for t in (-1.0, 0.5, 2.0)] == [1.0, -1.0, -1.0]
    assert "sign(x − t)" in r.text


def test_hinge_kink_flat_region_margin_dependence_and_surrogates():
    r = differentiability("maximum(0, 1 - target * score)")
    assert r.target == 1.0 and any("target 1 is used" in n for n in r.notes)
    [k] = r.kinks
    assert (k.x, k.left, k.right) == (1.0, -1.0, 0.0)
    assert k.at == -0.5  # maximum's tie convention: the gradient is shared
    assert r.flat_regions == [(1.0, 5.0)]
    assert r.convex and r.smoothness == "C0"
    assert r.growth["+inf"] == "flat" and r.growth["-inf"] == "linear"
    assert r.target_dependence.kind == "margin"
    names = {s.name: s for s in r.surrogates}
    assert set(names) == {"softplus with temperature", "smoothed (Huberized) hinge"}
    assert names["softplus with temperature"].smoothness == "Cinf"
    assert names["smoothed (Huberized) hinge"].smoothness == "C1"
    for s in r.surrogates:
        assert s.converges and list(s.max_diffs) == sorted(s.max_diffs, reverse=True)
        assert s.max_diffs[-1] < 0.01
    # softplus(u/τ)·τ differs from max(0, u) by at most τ·log 2 (at u = 0)
    np.testing.assert_allclose(names["softplus with temperature"].max_diffs,
                               np.array(names["softplus with temperature"].knob_values) * math.log(2), rtol=1e-6)


def test_logistic_loss_is_smooth_convex_with_bounded_gradient():
    r = differentiability("log(1 + exp(-y * s))", target=1)
    assert r.smoothness == "Cinf" and r.differentiable and r.kinks == []
    assert r.convex
    assert 0.99 < r.lipschitz < 1.0
    assert r.growth["-inf"] == "linear" and r.growth["+inf"] == "bounded"
    assert r.target_dependence.kind == "margin"
    assert r.surrogates == []


def test_squared_error_quadratic_cinf_convex():
    r = differentiability("(pred-target)**2")
    assert r.smoothness == "Cinf" and r.convex
    assert r.growth == {"+inf": "quadratic", "-inf": "quadratic", "overall": "quadratic"}
    assert r.lipschitz == pytest.approx(10.0) and abs(r.lipschitz_at) == 5.0
    assert r.target_dependence.kind == "error" and not r.target_dependence.sign_form
    assert "not robust" in r.text


def test_sqrt_abs_is_a_cusp_not_lipschitz():
    r = differentiability("sqrt(abs(x))")
    [k] = r.kinks
    assert k.x == 0.0 and k.left == -math.inf and k.right == math.inf and math.isnan(k.at)
    assert r.lipschitz == math.inf and r.lipschitz_at == 0.0
    assert [(nf.what, nf.start, nf.end) for nf in r.nonfinite] == [("gradient", 0.0, 0.0)]
    assert not r.convex and r.smoothness == "C0"
    assert r.target_dependence.kind == "none"
    assert "cusp" in r.text


def test_clamp_flat_regions_kinks_and_soft_clip():
    r = differentiability("clamp(x, -1, 1)")
    assert [(k.x, k.left, k.right, k.at) for k in r.kinks] == [(-1.0, 0.0, 1.0, 1.0), (1.0, 1.0, 0.0, 1.0)]
    assert r.flat_regions == [(-5.0, -1.0), (1.0, 5.0)]
    assert not r.convex and not r.concave
    [s] = r.surrogates
    assert s.name == "soft clip" and s.converges and s.smoothness == "Cinf"


def test_sign_is_a_discontinuity_with_zero_gradient():
    r = differentiability("sign(x)")
    assert r.smoothness == "discontinuous" and r.kinks == []
    [d] = r.discontinuities
    assert (d.x, d.left, d.right, d.value) == (0.0, -1.0, 1.0, 0.0)
    assert r.flat_regions == [(-5.0, 5.0)]
    assert r.lipschitz == math.inf
    [s] = r.surrogates
    assert s.name == "tanh with temperature" and s.converges
    assert s.max_diffs[-1] > 0.5  # the sup distance to a jump cannot shrink; the mean does
    assert list(s.mean_diffs) == sorted(s.mean_diffs, reverse=True)


def test_log_non_finite_values_and_unbounded_gradient_at_the_edge():
    r = differentiability("log(x)")
    [nf] = r.nonfinite
    assert nf.what == "value" and nf.start == -5.0 and nf.end == 0.0
    assert r.lipschitz == math.inf and r.lipschitz_at == 0.0
    assert r.concave and not r.convex
    assert r.growth["-inf"] == "undefined" and r.growth["+inf"] == "logarithmic"


def test_c1_functions_are_told_from_cinf():
    assert differentiability("x**2*sign(x)").smoothness == "C1"
    assert differentiability("clamp(x, 0, 0.1)**2 / 0.2 + relu(x - 0.1)").smoothness == "C1"
    assert differentiability("sqrt(x**2 + 1)").smoothness == "Cinf"


def test_engine_nan_gradient_where_the_math_is_smooth_is_not_a_kink():
    r = differentiability("exp(-1/x**2)")
    assert r.kinks == [] and r.smoothness == "Cinf"
    assert [nf.what for nf in r.nonfinite] == ["gradient"]
    assert any("losslab's gradient is nan" in n for n in r.notes)


@pytest.mark.parametrize("text, func, names", [
    ("abs(x)", "abs", {"pseudo-Huber", "log-cosh"}),
    ("relu(x)", "relu", {"softplus with temperature"}),
    ("minimum(x, 1)", "minimum", {"softplus with temperature"}),
    ("max(x, 2*x)", "maximum", {"softplus with temperature"}),
])
def test_surrogates_approach_the_original(text, func, names):
    r = differentiability(text)
    assert {s.name for s in r.surrogates} == names
    for s in r.surrogates:
        assert s.replaces == func and s.converges and s.smoothness == "Cinf"
        assert all(b < a for a, b in zip(s.max_diffs, s.max_diffs[1:]))


def test_pseudo_huber_surrogate_expression_is_reparseable():
    from losslab.analysis.expr import DEFAULT_VARIABLES, parse
    r = differentiability("abs(pred - target)")
    s = r.surrogates[0]
    assert s.expression == "sqrt((pred - target)**2 + delta**2) - delta"
    parse(s.expression, variables=DEFAULT_VARIABLES | {"delta"})


# ------------------------------------------------------------------------------- callables
def test_callable_of_one_and_two_arguments():
    r = differentiability(lambda x: ll.abs(x - 1.0), domain=(-2, 3))
    assert [(k.x, k.left, k.right) for k in r.kinks] == [(1.0, -1.0, 1.0)]
    assert r.target is None and r.target_dependence.kind == "none"
    r2 = differentiability(lambda x, t: (x - t) ** 2, target=2.0)
    assert r2.target == 2.0 and r2.target_dependence.kind == "error"
    assert any("expressions only" in n for n in r.notes)


def test_scalar_callable_is_evaluated_point_by_point():
    r = differentiability(lambda x: (x * x).sum(), domain=(-1, 1), n=41)
    assert r.smoothness == "Cinf" and r.convex
    assert any("point by point" in n for n in r.notes)


def test_huber_callable_is_c1():
    huber = L.get("huber_loss").fn
    r = differentiability(lambda x, t: huber(x, ll.zeros_like(x) + t, reduction="none"))
    assert r.smoothness == "C1" and r.kinks == [] and r.convex
    assert r.growth["overall"] == "linear"


# ------------------------------------------------------------------------------- report
def test_report_text_and_dict():
    r = differentiability("abs(x)", domain=(-1, 1), n=101)
    assert isinstance(r, Report) and str(r) == r.text
    d = r.as_dict()
    assert d["smoothness"] == "C0" and d["differentiable"] is False
    assert d["kinks"] == [{"x": 0.0, "value": 0.0, "left": -1.0, "right": 1.0, "at": 0.0}]
    assert d["domain"] == (-1.0, 1.0) and d["n"] == 101
    assert "surrogates" in d and d["surrogates"][0]["knob"] == "delta"


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("domain, match", [
    ((1, 1), "has no points"), ((2, -2), "has no points"), ((float("nan"), 1), "NaN"),
    ((0, float("inf")), "finite"), ("ab", "pair"), ((1,), "pair"),
])
def test_bad_domain(domain, match):
    with pytest.raises(ValueError, match=match):
        differentiability("x", domain=domain)


def test_callable_that_raises_is_wrapped():
    def boom(x):
        raise RuntimeError("kaput")
    with pytest.raises(ValueError, match="boom raised RuntimeError: kaput"):
        differentiability(boom)


def test_non_scalar_and_non_elementwise_results():
    with pytest.raises(ValueError, match="returned shape"):
        differentiability(lambda x: ll.stack([x, x]))
    with pytest.raises(ValueError, match="not elementwise"):
        differentiability(lambda x: x - x.mean())
    with pytest.raises(TypeError, match="returned str"):
        differentiability(lambda x: "no")
    with pytest.raises(TypeError, match="callable or an expression"):
        differentiability(3.0)


def test_bad_expression_variables_and_arguments():
    with pytest.raises(ValueError, match="unknown name"):
        differentiability("abs(bogus)")
    with pytest.raises(ValueError, match="several free variables"):
        differentiability("x * s")
    assert differentiability("x * s", variable="s", target=None).variable == "s"
    with pytest.raises(ValueError, match="does not occur"):
        differentiability("x", variable="pred")
    with pytest.raises(ValueError, match="n must be"):
        differentiability("x", n=2)
    with pytest.raises(ValueError, match="target must be finite"):
        differentiability("x - target", target=float("nan"))
    with pytest.raises(ValueError, match="at least 2"):
        differentiability("x - target", targets=(1,))


def test_nowhere_finite():
    r = differentiability("log(-abs(x) - 1)")
    assert r.smoothness == "undefined" and any("not finite anywhere" in n for n in r.notes)


# ------------------------------------------------------------------------------- registry
def _profiles():
    import losslab.viz.losses as VL
    out = []
    for name in L.available():
        info = L.get(name)
        if info.task not in ("regression", "binary"):
            continue
        try:
            spec = VL._spec(info, None, {})
        except VL._Unsupported:
            continue
        out.append((name, info, spec))
    return out


def _valid_domain(fn, lo, hi):
    """The largest stretch of [lo, hi] where the loss is defined (MSLE needs input > −1)."""
    xs = np.linspace(lo, hi, 121)
    ok = []
    for x in xs:
        try:
            with np.errstate(all="ignore"):
                ok.append(bool(np.isfinite(fn(ll.tensor([x], dtype=ll.float64)).data).all()))
        except ValueError:
            ok.append(False)
    best, i = (0, -1), 0
    while i < len(ok):
        if ok[i]:
            j = i
            while j + 1 < len(ok) and ok[j + 1]:
                j += 1
            if j - i > best[1] - best[0]:
                best = (i, j)
            i = j + 1
        else:
            i += 1
    a, b = xs[best[0]], xs[best[1]]
    return (a + 0.02 * (hi - lo) if best[0] > 0 else a), (b - 0.02 * (hi - lo) if best[1] < len(ok) - 1 else b)


def test_registry_smoothness_and_convexity_agree_with_the_analyser():
    profiles = _profiles()
    assert len(profiles) >= 15
    disagreements = []
    for name, info, spec in profiles:
        def fn(x, info=info, spec=spec):
            args, kw = spec.make(x)
            out = info.fn(*args, reduction="none", **kw)
            return out.reshape(x.shape[0], -1).sum(dim=1) if out.ndim != 1 else out
        # wide enough that a loss non-convex far out (MSLE beyond log(1 + x) − log(1 + y) = 1) shows it
        dom = (0.01, 0.99) if spec.kind == "probability" else (-6.0, 6.0)
        r = differentiability(fn, domain=_valid_domain(fn, *dom), n=801, surrogates=False)
        if r.smoothness != info.smoothness:
            disagreements.append(f"{name}: registry smoothness {info.smoothness}, analyser {r.smoothness} "
                                 f"(kinks at {[k.x for k in r.kinks]}; {spec.note})")
        if r.convex != info.convex:
            disagreements.append(f"{name}: registry convex={info.convex} ({info.convex_conditions!r}), analyser "
                                 f"convex={r.convex} (witness at {r.convexity_witness}; {spec.note})")
    assert not disagreements, "\n".join(disagreements)


def test_report_curve_is_the_function_and_its_engine_gradient():
    from losslab.analysis.differentiability import report_curve

    rep = differentiability("square(pred - target) + abs(pred)", domain=(-3, 3), target=0.25)
    x, f, df = report_curve("square(pred - target) + abs(pred)", rep, n=12)
    np.testing.assert_allclose(x, np.linspace(-3, 3, 12))
    np.testing.assert_allclose(f, (x - 0.25) ** 2 + np.abs(x), rtol=1e-12)
    np.testing.assert_allclose(df, 2 * (x - 0.25) + np.sign(x), rtol=1e-12)
