"""losslab.optim.schedules: the pure step -> lr schedules against hand-written formulas and against
the equivalent torch scheduler, preview, vectorised and fractional steps, repr, validation errors,
and the CLI registry (SCHEDULES / schedule_from_cli)."""
from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest

from losslab.optim import schedules as S
from losslab.optim.schedules import SCHEDULES, schedule_from_cli

torch = pytest.importorskip("torch")
TS = torch.optim.lr_scheduler

N = 300
T = np.arange(N, dtype=np.float64)


def torch_lrs(make, steps=N, lr=0.1, kind="sgd"):
    """The lr (and momentum/beta1) torch's scheduler sets for optimizer steps 0..steps-1."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9) if kind == "sgd" else torch.optim.Adam([p], lr=lr)
    out, mom = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = make(opt)
        for i in range(steps):
            g = opt.param_groups[0]
            out.append(g["lr"])
            mom.append(g["betas"][0] if "betas" in g else g["momentum"])
            if i < steps - 1:
                opt.step()
                s.step()
    return np.array(out), np.array(mom)


def close(a, b, rtol=1e-12, atol=1e-15):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ------------------------------------------------------------------------------------------------
# hand formulas
# ------------------------------------------------------------------------------------------------
def test_constant():
    s = S.constant(0.3)
    assert s(0) == s(10 ** 6) == 0.3
    close(s.preview(5), np.full(5, 0.3))


def test_step_and_multistep_formulas():
    close(S.step(0.1, 30, 0.5).preview(N), [0.1 * 0.5 ** (t // 30) for t in range(N)])
    ms = [30, 80, 80, 200]
    close(S.multistep(0.1, ms, 0.5).preview(N), [0.1 * 0.5 ** sum(m <= t for m in ms) for t in range(N)])


def test_exponential_and_inverse_time_formulas():
    close(S.exponential(0.1, 0.99).preview(N), [0.1 * 0.99 ** t for t in range(N)])
    close(S.exponential(0.1, 0.5, decay_steps=10).preview(N), [0.1 * 0.5 ** (t / 10) for t in range(N)])
    close(S.exponential(0.1, 0.5, decay_steps=10, staircase=True).preview(N),
          [0.1 * 0.5 ** (t // 10) for t in range(N)])
    close(S.inverse_time(0.1, 0.5, decay_steps=7).preview(N), [0.1 / (1 + 0.5 * t / 7) for t in range(N)])
    close(S.inverse_time(0.1, 0.5, decay_steps=7, staircase=True).preview(N),
          [0.1 / (1 + 0.5 * (t // 7)) for t in range(N)])


def test_polynomial_and_linear_formulas():
    close(S.polynomial(0.1, 120, power=2.0, end_lr=0.01).preview(N),
          [(0.1 - 0.01) * (1 - min(t, 120) / 120) ** 2 + 0.01 for t in range(N)])
    close(S.linear(0.0, 0.1, 50, begin=20).preview(N),
          [0.0 if t < 20 else (0.1 * (t - 20) / 50 if t < 70 else 0.1) for t in range(N)])
    close(S.linear(0.1, 0.02, 100).preview(N), [0.1 + (0.02 - 0.1) * min(t, 100) / 100 for t in range(N)])


def test_cosine_formulas():
    def hand(t, lr, T, m, p=1.0, periodic=False):
        tt = t if periodic else min(t, T)
        return m + (lr - m) * (0.5 * (1 + math.cos(math.pi * tt / T))) ** p

    close(S.cosine(0.1, 100).preview(N), [hand(t, 0.1, 100, 0.0) for t in range(N)])
    close(S.cosine(0.1, 100, eta_min=0.01, exponent=2.0).preview(N),
          [hand(t, 0.1, 100, 0.01, 2.0) for t in range(N)])
    close(S.cosine(0.1, 100, alpha=0.1).preview(N), S.cosine(0.1, 100, eta_min=0.01).preview(N))
    close(S.cosine(0.1, 70, eta_min=0.01, periodic=True).preview(N),
          [hand(t, 0.1, 70, 0.01, periodic=True) for t in range(N)])


def test_warm_restarts_formula_and_position():
    def position(t, T0, m):
        start, Ti = 0, T0
        while t >= start + Ti:
            start, Ti = start + Ti, Ti * m
        return t - start, Ti

    for T0, m in [(10, 1), (10, 2), (3, 3), (1, 2)]:
        ts = np.concatenate([T, T + 0.25, T + 0.5])
        tc, ti = S.sgdr_position(ts, T0, m)
        want = np.array([position(t, T0, m) for t in ts])
        close(tc, want[:, 0], atol=1e-9)
        close(ti, want[:, 1])
        s = S.cosine_with_warm_restarts(0.1, T0, m, eta_min=0.001)
        close(s(ts), 0.001 + (0.1 - 0.001) * (1 + np.cos(np.pi * want[:, 0] / want[:, 1])) / 2, atol=1e-12)


def test_warmup_cosine_formula():
    s = S.warmup_cosine(0.1, warmup_steps=20, total_steps=220, start_lr=0.01, eta_min=0.001)
    want = [0.01 + (0.1 - 0.01) * t / 20 if t < 20 else
            0.001 + (0.1 - 0.001) * 0.5 * (1 + math.cos(math.pi * min(t - 20, 200) / 200)) for t in range(N)]
    close(s.preview(N), want)
    assert s(20) == 0.1 and s(220) == pytest.approx(0.001) and s(1000) == pytest.approx(0.001)
    s0 = S.warmup_cosine(0.1, warmup_steps=0, total_steps=100)
    close(s0.preview(N), S.cosine(0.1, 100).preview(N))


def test_one_cycle_formula_two_and_three_phases():
    s = S.one_cycle(1.0, 100, pct_start=0.25, div_factor=10.0, final_div_factor=100.0)
    init, peak, final = 0.1, 1.0, 0.001

    def cos(a, b, p):
        return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)

    want = [cos(init, peak, t / 24) if t <= 24 else cos(peak, final, (min(t, 99) - 24) / 75) for t in range(N)]
    close(s.preview(N), want)
    s3 = S.one_cycle(1.0, 100, pct_start=0.25, anneal_strategy="linear", div_factor=10.0, three_phase=True)
    want3 = []
    for t in range(100):
        if t <= 24:
            want3.append(0.1 + (1.0 - 0.1) * t / 24)
        elif t <= 48:
            want3.append(1.0 + (0.1 - 1.0) * (t - 24) / 24)
        else:
            want3.append(0.1 + (0.1 / 1e4 - 0.1) * (t - 48) / 51)
    close(s3.preview(100), want3)
    m = s3.momentum(0.8, 0.9)
    assert m(0) == 0.9 and m(24) == 0.8 and m(48) == pytest.approx(0.9) and m(80) == pytest.approx(0.9)


def test_cyclic_formula():
    s = S.cyclic(0.01, 0.1, step_size_up=10, step_size_down=30, mode="triangular2")
    want = []
    for t in range(N):
        cycle = t // 40 + 1
        x = t - (cycle - 1) * 40
        f = x / 10 if x <= 10 else 1 - (x - 10) / 30
        want.append(0.01 + 0.09 * f / 2 ** (cycle - 1))
    close(s.preview(N), want)


def test_piecewise_constant_and_interpolated():
    s = S.piecewise([10, 20], [0.1, 0.05, 0.01])
    close(s.preview(30), [0.1] * 10 + [0.05] * 10 + [0.01] * 10)
    s2 = S.piecewise([10, 20], lr=0.1, scales=[0.5, 0.2])
    close(s2.preview(30), s.preview(30))
    lin = S.piecewise([10, 20], [0.1, 0.05, 0.01], interpolate="linear")
    want = [0.1 + (0.05 - 0.1) * t / 10 if t < 10 else 0.05 + (0.01 - 0.05) * (t - 10) / 10 if t < 20 else 0.01
            for t in range(30)]
    close(lin.preview(30), want)
    cos = S.piecewise([10], [1.0, 0.0], interpolate="cosine")
    close(cos.preview(12), [(1 + math.cos(math.pi * t / 10)) / 2 if t < 10 else 0.0 for t in range(12)], atol=1e-15)


def test_join_restarts_each_schedule_at_its_boundary():
    s = S.join([S.linear(0.0, 0.1, 10), S.cosine(0.1, 50), lambda t: 0.001], boundaries=[10, 60])
    want = [0.01 * t if t < 10 else 0.05 * (1 + math.cos(math.pi * (t - 10) / 50)) if t < 60 else 0.001
            for t in range(N)]
    close(s.preview(N), want)
    assert "join(schedules=[linear(" in repr(s)


# ------------------------------------------------------------------------------------------------
# against the equivalent torch scheduler
# ------------------------------------------------------------------------------------------------
TORCH_EQUIV = {
    "step": (lambda: S.step(0.1, 30, 0.5), lambda o: TS.StepLR(o, 30, 0.5)),
    "multistep": (lambda: S.multistep(0.1, [30, 80, 80, 200], 0.5), lambda o: TS.MultiStepLR(o, [30, 80, 80, 200], 0.5)),
    "exponential": (lambda: S.exponential(0.1, 0.99), lambda o: TS.ExponentialLR(o, 0.99)),
    "inverse_time": (lambda: S.inverse_time(0.1, 0.05), lambda o: TS.LambdaLR(o, lambda t: 1 / (1 + 0.05 * t))),
    "polynomial": (lambda: S.polynomial(0.1, 120, 2.0), lambda o: TS.PolynomialLR(o, 120, 2.0)),
    "linear": (lambda: S.linear(0.1 * 0.1, 0.1 * 0.9, 50), lambda o: TS.LinearLR(o, 0.1, 0.9, 50)),
    "cosine-periodic": (lambda: S.cosine(0.1, 70, eta_min=0.001, periodic=True),
                        lambda o: TS.CosineAnnealingLR(o, 70, eta_min=0.001)),
    "cosine_with_warm_restarts": (lambda: S.cosine_with_warm_restarts(0.1, 10, 2, 0.001),
                                  lambda o: TS.CosineAnnealingWarmRestarts(o, 10, 2, 0.001)),
    "warmup_cosine": (lambda: S.warmup_cosine(0.1, 20, 320, start_lr=0.1 * 0.2, eta_min=1e-4),
                      lambda o: TS.SequentialLR(o, [TS.LinearLR(o, 0.2, 1.0, 20), TS.CosineAnnealingLR(o, 300, 1e-4)],
                                                [20])),
    "one_cycle": (lambda: S.one_cycle(0.1, 301), lambda o: TS.OneCycleLR(o, 0.1, total_steps=301)),
    "one_cycle-linear-3": (lambda: S.one_cycle(0.1, 301, 0.2, "linear", 10.0, 100.0, True),
                           lambda o: TS.OneCycleLR(o, 0.1, total_steps=301, pct_start=0.2, anneal_strategy="linear",
                                                   div_factor=10.0, final_div_factor=100.0, three_phase=True)),
    "cyclic": (lambda: S.cyclic(0.01, 0.1, 20), lambda o: TS.CyclicLR(o, 0.01, 0.1, 20)),
    "cyclic-exp_range": (lambda: S.cyclic(0.01, 0.1, 12, 20, mode="exp_range", gamma=0.995),
                         lambda o: TS.CyclicLR(o, 0.01, 0.1, 12, 20, mode="exp_range", gamma=0.995)),
    "piecewise": (lambda: S.piecewise([30, 80], lr=0.1, scales=[0.5, 0.5]), lambda o: TS.MultiStepLR(o, [30, 80], 0.5)),
    "join": (lambda: S.join([S.constant(0.05), S.exponential(0.1, 0.99)], [20]),
             lambda o: TS.SequentialLR(o, [TS.ConstantLR(o, 0.5, 20), TS.ExponentialLR(o, 0.99)], [20])),
}


@pytest.mark.parametrize("name", list(TORCH_EQUIV))
def test_pure_schedule_equals_torch_scheduler(name):
    ours, theirs = TORCH_EQUIV[name]
    want, _ = torch_lrs(theirs)
    close(ours().preview(N), want, rtol=1e-11)


def test_cosine_holds_eta_min_where_torch_climbs_back():
    want, _ = torch_lrs(lambda o: TS.CosineAnnealingLR(o, 100, eta_min=0.001))
    got = S.cosine(0.1, 100, eta_min=0.001).preview(N)
    close(got[:101], want[:101])
    assert np.all(got[100:] == 0.001) and want[200] == pytest.approx(0.1)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_cycle_momentum_schedules_equal_torch(kind):
    want_lr, want_m = torch_lrs(lambda o: TS.OneCycleLR(o, 0.1, total_steps=301, base_momentum=0.8), kind=kind)
    s = S.one_cycle(0.1, 301)
    close(s.momentum(0.8, 0.95).preview(N), want_m)
    want_lr, want_m = torch_lrs(lambda o: TS.CyclicLR(o, 0.01, 0.1, 15, mode="triangular2"), kind=kind)
    close(S.cyclic(0.01, 0.1, 15, mode="triangular2").momentum(0.8, 0.9).preview(N), want_m)


# ------------------------------------------------------------------------------------------------
# calling conventions
# ------------------------------------------------------------------------------------------------
def test_scalar_array_and_fractional_steps():
    s = S.cosine(1.0, 10)
    assert isinstance(s(3), float) and isinstance(s(np.int64(3)), float)
    arr = s(np.array([[0, 5], [10, 2.5]]))
    assert arr.shape == (2, 2) and arr.dtype == np.float64
    assert arr[0, 1] == pytest.approx(0.5) and arr[1, 1] == pytest.approx(s(2.5))
    assert s(2.5) == pytest.approx((1 + math.cos(math.pi * 0.25)) / 2)
    assert s([0, 10]).tolist() == [1.0, 0.0]


def test_preview_shape_and_empty():
    p = S.exponential(0.1, 0.9).preview(7)
    assert p.shape == (7,) and p.dtype == np.float64
    assert S.constant(0.1).preview(0).shape == (0,)
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        S.constant(0.1).preview(-1)
    with pytest.raises(TypeError, match="steps must be an integer"):
        S.constant(0.1).preview(2.5)


@pytest.mark.parametrize("bad,exc,match", [
    (-1, ValueError, "step must be >= 0"), (float("nan"), ValueError, "step must be finite"),
    (float("inf"), ValueError, "step must be finite"), (True, TypeError, "step must be a number"),
    ("three", TypeError, "step must be a number"), ([0, -2], ValueError, "step must be >= 0"),
])
def test_bad_steps(bad, exc, match):
    with pytest.raises(exc, match=match):
        S.cosine(0.1, 10)(bad)


def test_repr_and_params():
    s = S.cosine_with_warm_restarts(0.1, T_0=10, T_mult=2)
    assert repr(s) == "cosine_with_warm_restarts(lr=0.1, T_0=10, T_mult=2, eta_min=0.0)"
    assert repr(S.multistep(0.1, [1, 2])) == "multistep(lr=0.1, milestones=[1, 2], gamma=0.1)"
    assert repr(S.one_cycle(0.1, 100)).startswith("one_cycle(max_lr=0.1, total_steps=100, pct_start=0.3")
    p = s.params
    p["lr"] = 5.0
    assert s.params["lr"] == 0.1
    assert "scale_fn=<lambda>" in repr(S.cyclic(0.0, 1.0, 5, scale_fn=lambda x: 1.0))


def test_schedules_are_pure():
    s = S.one_cycle(0.1, 50)
    a = s.preview(50)
    s(10), s(3), s(49)
    b = s.preview(50)
    assert np.array_equal(a, b)
    assert np.array_equal(s(T[::-1][:50]), s.preview(300)[::-1][:50])


# ------------------------------------------------------------------------------------------------
# configurations that cannot be meant
# ------------------------------------------------------------------------------------------------
BAD = [
    (lambda: S.warmup_cosine(0.1, warmup_steps=100, total_steps=50), ValueError,
     r"the warm-up \(warmup_steps=100\) is not shorter than the run \(total_steps=50\)"),
    (lambda: S.warmup_cosine(0.1, 50, 50), ValueError, "is not shorter than the run"),
    (lambda: S.warmup_cosine(0.1, 5, 50, start_lr=0.2), ValueError, "start_lr=0.2 is above the peak lr=0.1"),
    (lambda: S.multistep(0.1, [30, 10, 20]), ValueError,
     r"milestones must be sorted in increasing order, got \[30, 10, 20\] \(try \[10, 20, 30\]\)"),
    (lambda: S.multistep(0.1, [1.5]), TypeError, r"milestones\[0\] must be an integer"),
    (lambda: S.multistep(0.1, 30), TypeError, "milestones must be a list"),
    (lambda: S.cosine(0.1, 100, eta_min=0.2), ValueError, r"eta_min=0.2 is above the base lr=0.1"),
    (lambda: S.cosine(0.1, 100, eta_min=0.01, alpha=0.1), ValueError, "not both"),
    (lambda: S.cosine(0.1, 100, alpha=1.5), ValueError, "alpha must be >= 0 and <= 1"),
    (lambda: S.cosine(0.1, 0), ValueError, "total_steps must be an integer >= 1, got 0"),
    (lambda: S.cosine_with_warm_restarts(0.1, T_0=0), ValueError, "T_0 must be an integer >= 1, got 0"),
    (lambda: S.cosine_with_warm_restarts(0.1, T_0=-3), ValueError, "T_0 must be an integer >= 1"),
    (lambda: S.cosine_with_warm_restarts(0.1, T_0=10, T_mult=0), ValueError, "T_mult must be an integer >= 1"),
    (lambda: S.cosine_with_warm_restarts(0.1, 10, eta_min=0.5), ValueError, "eta_min=0.5 is above the base lr"),
    (lambda: S.constant(-0.1), ValueError, "lr=-0.1 is negative; a learning rate must be"),
    (lambda: S.constant(float("nan")), ValueError, "lr is NaN"),
    (lambda: S.constant(float("inf")), ValueError, "lr must be finite"),
    (lambda: S.constant("0.1"), TypeError, "lr must be a learning rate"),
    (lambda: S.constant(True), TypeError, "lr must be a learning rate"),
    (lambda: S.step(0.1, 0), ValueError, "step_size must be an integer >= 1"),
    (lambda: S.step(0.1, 10, gamma=-0.5), ValueError, "gamma must be >= 0"),
    (lambda: S.exponential(0.1, 0.0), ValueError, "gamma must be > 0"),
    (lambda: S.exponential(0.1, 0.9, staircase="yes"), TypeError, "staircase must be True or False"),
    (lambda: S.polynomial(0.1, 10, power=0), ValueError, "power must be > 0"),
    (lambda: S.linear(0.0, 0.1, 0), ValueError, "total_steps must be an integer >= 1"),
    (lambda: S.linear(0.0, -0.1, 10), ValueError, "end_lr=-0.1 is negative"),
    (lambda: S.one_cycle(0.1, 10, pct_start=0.05), ValueError, "the warm-up phase is empty"),
    (lambda: S.one_cycle(0.1, 100, pct_start=1.0), ValueError, "pct_start must be > 0 and < 1"),
    (lambda: S.one_cycle(0.1, 100, pct_start=0.55, three_phase=True), ValueError, "do not fit in the run"),
    (lambda: S.one_cycle(0.1, 100, anneal_strategy="cosine"), ValueError, "anneal_strategy must be one of"),
    (lambda: S.one_cycle(0.1, 100).momentum(0.95, 0.85), ValueError, "base_momentum=0.95 is above max_momentum=0.85"),
    (lambda: S.one_cycle(0.1, 100).momentum(0.85, 1.0), ValueError, "max_momentum must be >= 0 and < 1"),
    (lambda: S.cyclic(0.1, 0.01), ValueError, "base_lr=0.1 is above max_lr=0.01"),
    (lambda: S.cyclic(0.01, 0.1, step_size_up=0), ValueError, "step_size_up must be > 0"),
    (lambda: S.cyclic(0.01, 0.1, mode="sine"), ValueError, "mode must be one of"),
    (lambda: S.cyclic(0.01, 0.1, mode="exp_range", gamma=1.5), ValueError, "gamma must be > 0 and <= 1"),
    (lambda: S.cyclic(0.01, 0.1, scale_fn=3), TypeError, "scale_fn must be a function"),
    (lambda: S.piecewise([20, 10], [0.1, 0.05, 0.01]), ValueError, "boundaries must be strictly increasing"),
    (lambda: S.piecewise([10, 20], [0.1, 0.05]), ValueError, "values must have len.boundaries. . 1 = 3 entries"),
    (lambda: S.piecewise([10], [0.1, 0.05], lr=0.1), ValueError, "not both"),
    (lambda: S.piecewise([10]), ValueError, "give values"),
    (lambda: S.piecewise([10], lr=0.1, scales=[0.5, 0.5]), ValueError, "one factor per boundary"),
    (lambda: S.piecewise([0, 10], [0.1, 0.05, 0.01], interpolate="linear"), ValueError, "first boundary must be > 0"),
    (lambda: S.piecewise([10], [0.1, -0.05]), ValueError, r"values\[1\]=-0.05 is negative"),
    (lambda: S.join([S.constant(0.1), S.constant(0.2)], [0]), ValueError, "boundaries must be > 0"),
    (lambda: S.join([S.constant(0.1), S.constant(0.2)], [10, 20]), ValueError, "expected len.schedules. - 1 = 1 boundaries"),
    (lambda: S.join([S.constant(0.1), 0.2], [10]), TypeError, r"schedules\[1\] must be a Schedule"),
    (lambda: S.join([], []), ValueError, "schedules is empty"),
    (lambda: S.PhaseSchedule([5, 5], [0.0, 1.0, 0.0]), ValueError, "strictly increasing and > 0"),
]


@pytest.mark.parametrize("make,exc,match", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_configurations_raise_clear_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


# ------------------------------------------------------------------------------------------------
# registry and CLI
# ------------------------------------------------------------------------------------------------
CLI_EXAMPLES = {
    "constant": ({"lr": "0.1"}, S.constant(0.1)),
    "step": ({"lr": "0.1", "step_size": "30", "gamma": "0.5"}, S.step(0.1, 30, 0.5)),
    "multistep": ({"lr": "0.1", "milestones": "30,60,90"}, S.multistep(0.1, [30, 60, 90])),
    "exponential": ({"lr": "0.1", "gamma": "0.5", "decay-steps": "10", "staircase": "true"},
                    S.exponential(0.1, 0.5, 10, True)),
    "inverse_time": ({"lr": "1e-1", "decay_rate": "0.5"}, S.inverse_time(0.1, 0.5)),
    "polynomial": ({"lr": "0.1", "total_steps": "100", "power": "2"}, S.polynomial(0.1, 100, 2.0)),
    "linear": ({"start_lr": "0", "end_lr": "0.1", "total_steps": "1e2"}, S.linear(0.0, 0.1, 100)),
    "cosine": ({"lr": "0.1", "total_steps": "100", "eta_min": "0.001"}, S.cosine(0.1, 100, eta_min=0.001)),
    "cosine_with_warm_restarts": ({"lr": "0.1", "T_0": "10", "T_mult": "2"}, S.cosine_with_warm_restarts(0.1, 10, 2)),
    "warmup_cosine": ({"lr": "0.1", "warmup_steps": "10", "total_steps": "100"}, S.warmup_cosine(0.1, 10, 100)),
    "one_cycle": ({"max_lr": "0.1", "total_steps": "100", "anneal_strategy": "linear", "three_phase": "yes"},
                  S.one_cycle(0.1, 100, anneal_strategy="linear", three_phase=True)),
    "cyclic": ({"base_lr": "0.01", "max_lr": "0.1", "step_size_up": "20", "mode": "triangular2"},
               S.cyclic(0.01, 0.1, 20, mode="triangular2")),
    "piecewise": ({"boundaries": "[10, 20]", "values": "0.1,0.05,0.01"}, S.piecewise([10, 20], [0.1, 0.05, 0.01])),
}


def test_registry_lists_every_schedule_with_an_example():
    assert set(SCHEDULES) == set(CLI_EXAMPLES) | {"join"}
    for name, info in SCHEDULES.items():
        assert info.name == name and info.summary and info.params
        if info.torch_equivalent and info.torch_equivalent.isidentifier():
            assert hasattr(TS, info.torch_equivalent), info.torch_equivalent


@pytest.mark.parametrize("name", list(CLI_EXAMPLES))
def test_schedule_from_cli_builds_the_same_schedule(name):
    params, want = CLI_EXAMPLES[name]
    got = schedule_from_cli(name, params)
    assert type(got) is type(want) and repr(got) == repr(want)
    close(got.preview(150), want.preview(150))


def test_schedule_from_cli_aliases_and_typed_values():
    assert isinstance(schedule_from_cli("SGDR", {"lr": "0.1", "T_0": "5"}), S.CosineWarmRestarts)
    assert isinstance(schedule_from_cli("one-cycle", {"max_lr": 0.1, "total_steps": 100}), S.OneCycle)
    assert isinstance(schedule_from_cli("onecycle", {"max_lr": "0.1", "total_steps": "100"}), S.OneCycle)
    s = schedule_from_cli("cosine_with_warm_restarts", {"lr": "0.1", "t_0": "5", "--t-mult": "2"})
    assert s.T_0 == 5 and s.T_mult == 2
    assert schedule_from_cli("cosine", {"lr": "0.1", "total_steps": "10", "eta_min": "none"}).eta_min == 0.0


@pytest.mark.parametrize("name,params,match", [
    ("cosin", {}, r"unknown schedule 'cosin'. Did you mean 'cosine'"),
    ("nope", {}, "Known schedules: constant, step, multistep"),
    ("cosine", {"lr": "0.1", "total_step": "10"}, r"has no parameter 'total_step'. Did you mean total_steps"),
    ("cosine", {"lr": "0.1"}, "schedule 'cosine' needs total_steps"),
    ("cosine", {"lr": "fast", "total_steps": "10"}, "parameter lr: cannot read 'fast' as a number"),
    ("step", {"lr": "0.1", "step_size": "2.5"}, "parameter step_size: cannot read '2.5' as an integer"),
    ("multistep", {"lr": "0.1", "milestones": "30,x"}, "cannot read"),
    ("exponential", {"lr": "0.1", "gamma": "0.5", "staircase": "maybe"}, "cannot read 'maybe' as true or false"),
    ("join", {}, "cannot be built from the command line"),
    ("warmup_cosine", {"lr": "0.1", "warmup_steps": "200", "total_steps": "100"}, "not shorter than the run"),
    ("multistep", {"lr": "0.1", "milestones": "60,30"}, "milestones must be sorted"),
])
def test_schedule_from_cli_errors(name, params, match):
    with pytest.raises(ValueError, match=match):
        schedule_from_cli(name, params)


def test_docstring_examples_run():
    result = doctest.testmod(S, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 20
