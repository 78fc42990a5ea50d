"""The numerical property checks themselves (losslab.losses.properties), on hand-made toy losses
whose properties are known: each check passes a true declaration and fails a false one."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import losslab as ll
from losslab.losses.properties import (
    Probe, classify_growth, errors, measure, verify_metadata,
)
from losslab.losses.registry import LossInfo


# ----------------------------------------------------------------------------- toy losses
def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def toy_log_cosh(input, target, reduction="mean"):
    e = input - target
    return _reduce(e + ll.softplus(-2.0 * e, threshold=1e300) - np.log(2.0), reduction)


def toy_l1(input, target, reduction="mean"):
    return _reduce((input - target).abs(), reduction)


def toy_huber(input, target, reduction="mean"):
    e = (input - target).abs()
    q = ll.minimum(e, ll.ones_like(e))
    return _reduce(0.5 * q * q + (e - q), reduction)


def toy_welsch(input, target, reduction="mean"):
    e = input - target
    return _reduce(1.0 - ll.exp(-0.5 * e * e), reduction)


def toy_cauchy(input, target, reduction="mean"):
    e = input - target
    return _reduce(ll.log1p(e * e), reduction)


def toy_mse(input, target, reduction="mean"):
    e = input - target
    return _reduce(e * e, reduction)


def toy_step(input, target, reduction="mean"):
    e = input - target
    return _reduce(e * e + 0.5 * (e > 0.3).double(), reduction)


def toy_exp(input, target, reduction="mean"):
    return _reduce(ll.exp(input - target), reduction)


def toy_tiny_step(input, target, reduction="mean"):
    """A branch switch that changes the value by 1e-6 (relative ~1e-7): numerically discontinuous."""
    e = input - target
    return _reduce(e * e + 1e-6 * (e > 0.3).double(), reduction)


def toy_bce(input, target, reduction="mean"):
    return _reduce(-(target * ll.log(input) + (1 - target) * ll.log(1 - input)), reduction)


def toy_simplex_ce(input, target, reduction="mean"):
    """−Σ_c y_c log p_c on rows that must sum to 1 (a loss whose domain is not a box)."""
    if np.any(np.abs(input.data.sum(axis=1) - 1) > 1e-9) or np.any(input.data < 0):
        raise ValueError("toy_simplex_ce: input rows must be probability vectors")
    return _reduce(-(target * ll.log(input)).sum(1), reduction)


def _simplex_example(rng, dtype):
    return ll.tensor(rng.dirichlet(np.ones(4) * 3, 5).astype(dtype)), ll.tensor(rng.dirichlet(np.ones(4), 5).astype(dtype)), {}


def _simplex_perfect(rng, dtype):
    y = rng.dirichlet(np.ones(4) * 3, 5).astype(dtype)
    return ll.tensor(y), ll.tensor(y.copy()), {}


def _example(rng, dtype):
    return ll.tensor(rng.normal(size=(4, 3)).astype(dtype)), ll.tensor(rng.normal(size=(4, 3)).astype(dtype)), {}


def _perfect(rng, dtype):
    y = rng.normal(size=(4, 3)).astype(dtype)
    return ll.tensor(y), ll.tensor(y.copy()), {}


def _prob_example(rng, dtype):
    return (ll.tensor(rng.uniform(0.05, 0.95, (4, 3)).astype(dtype)),
            ll.tensor(rng.uniform(0.0, 1.0, (4, 3)).astype(dtype)), {})


def _prob_perfect(rng, dtype):
    y = rng.uniform(0.1, 0.9, (4, 3)).astype(dtype)
    return ll.tensor(y), ll.tensor(y.copy()), {}


class _Toy:
    pass


def toy(fn, **overrides) -> LossInfo:
    fields = dict(
        name=fn.__name__, fn=fn, module=_Toy, task="regression", input_kind="real",
        target_kind="real", output_activation="identity", convex=True, convex_conditions="",
        smoothness="Cinf", kinks="none", robust_to_outliers="partial", growth="linear",
        value_range="[0, ∞)", domain="any real", hyperparameters={"reduction": "mean"},
        latex=r"\ell", summary="a toy loss", torch_equivalent=None,
        equivalents={"optax": None, "keras": None, "sklearn": None},
        make_example=_example, make_perfect=_perfect, references=("toy",),
    )
    fields.update(overrides)
    return LossInfo(**fields)


TRUE = {
    "toy_log_cosh": toy(toy_log_cosh),
    "toy_l1": toy(toy_l1, smoothness="C0", kinks="at x = y"),
    "toy_huber": toy(toy_huber, smoothness="C1", kinks="second derivative jumps at |x − y| = 1"),
    "toy_welsch": toy(toy_welsch, convex=False, robust_to_outliers=True, growth="bounded"),
    "toy_cauchy": toy(toy_cauchy, convex=False, robust_to_outliers=True, growth="logarithmic"),
    "toy_mse": toy(toy_mse, robust_to_outliers=False, growth="quadratic"),
    "toy_exp": toy(toy_exp, robust_to_outliers=False, growth="exponential", make_perfect=None),
    "toy_bce": toy(toy_bce, input_kind="probabilities", robust_to_outliers=False, growth="logarithmic",
                   make_example=_prob_example, make_perfect=_prob_perfect),
    "toy_simplex_ce": toy(toy_simplex_ce, input_kind="probabilities", robust_to_outliers=False,
                          growth="logarithmic", make_example=_simplex_example, make_perfect=_simplex_perfect),
}


def _checks_with_errors(findings) -> set:
    return {f.check for f in errors(findings)}


# ----------------------------------------------------------------------------- true declarations pass
@pytest.mark.parametrize("name", sorted(TRUE))
def test_true_declarations_raise_no_error(name):
    findings = verify_metadata(TRUE[name], 0)
    assert errors(findings) == [], "\n".join(map(str, findings))
    # and nothing is left unconfirmed for these clear-cut toys
    assert [f for f in findings if f.severity == "warning"] == [], "\n".join(map(str, findings))


@pytest.mark.parametrize("name, convex, smoothness, growth", [
    ("toy_log_cosh", True, "Cinf", "linear"),
    ("toy_l1", True, "C0", "linear"),
    ("toy_huber", True, "C1", "linear"),
    ("toy_welsch", False, "Cinf", "bounded"),
    ("toy_cauchy", False, "Cinf", "logarithmic"),
    ("toy_mse", True, "Cinf", "quadratic"),
    ("toy_exp", True, "Cinf", "exponential"),
    ("toy_bce", True, "Cinf", "logarithmic"),
    ("toy_simplex_ce", True, "Cinf", "logarithmic"),
])
def test_measure_recovers_the_known_properties(name, convex, smoothness, growth):
    m = measure(TRUE[name], 1)
    assert (m.convex, m.smoothness, m.growth) == (convex, smoothness, growth)


def test_measure_works_on_a_plain_function_through_a_probe():
    m = measure(Probe("quartic", lambda input, target, reduction="mean": _reduce((input - target) ** 4, reduction),
                      _example, "real", _perfect), 0)
    assert m.convex and m.smoothness == "Cinf" and m.growth == "super-quadratic"
    assert m.minimum is not None and m.minimum.problems == ()


# ----------------------------------------------------------------------------- false declarations fail
def _false(name, **changes):
    return dataclasses.replace(TRUE[name], **changes)


def test_non_convex_loss_declared_convex_is_an_error():
    findings = verify_metadata(_false("toy_welsch", convex=True), 0)
    (f,) = [f for f in errors(findings) if f.check == "convexity"]
    assert "declared convex" in f.message and "second difference" in f.message


def test_convex_loss_declared_non_convex_is_a_warning():
    findings = verify_metadata(_false("toy_log_cosh", convex=False), 0)
    assert errors(findings) == []
    assert any(f.check == "convexity" and f.severity == "warning" for f in findings)


def test_kinked_loss_declared_smooth_is_an_error():
    for smooth in ("Cinf", "C1"):
        findings = verify_metadata(_false("toy_l1", smoothness=smooth, kinks="none"), 0)
        (f,) = [f for f in errors(findings) if f.check == "smoothness"]
        assert "slope jumps" in f.message and "C0" in f.message
        # the perfect prediction sits on the kink: also caught by the minimum check
        assert any(f.check == "minimum" and "kink" in f.message for f in errors(findings))


def test_c1_loss_declared_cinf_is_an_error_and_declared_c0_is_a_warning():
    findings = verify_metadata(_false("toy_huber", smoothness="Cinf", kinks="none"), 0)
    (f,) = [f for f in errors(findings) if f.check == "smoothness"]
    assert "second derivative jumps" in f.message
    findings = verify_metadata(_false("toy_huber", smoothness="C0", kinks="at |x − y| = 1"), 0)
    assert errors(findings) == []
    assert any(f.check == "smoothness" and f.severity == "warning" and "C1?" in f.message for f in findings)


def test_smooth_loss_declared_c1_is_a_warning():
    findings = verify_metadata(_false("toy_log_cosh", smoothness="C1", kinks="none"), 0)
    assert any(f.check == "smoothness" and f.severity == "warning" for f in findings)


def test_discontinuous_loss_is_an_error():
    info = toy(toy_step, convex=False, smoothness="C0", kinks="at x − y = 0.3",
               robust_to_outliers=False, growth="quadratic", make_perfect=None)
    findings = verify_metadata(info, 0)
    assert any(f.check == "smoothness" and "discontinuous" in f.message for f in errors(findings))


def test_tiny_branch_switch_is_info_not_a_kink():
    info = toy(toy_tiny_step, robust_to_outliers=False, growth="quadratic", make_perfect=None)
    findings = verify_metadata(info, 0)
    assert errors(findings) == [], "\n".join(map(str, findings))
    assert any(f.severity == "info" and "numerical value jump" in f.message for f in findings)


@pytest.mark.parametrize("name, wrong", [
    ("toy_mse", "linear"), ("toy_huber", "quadratic"), ("toy_welsch", "logarithmic"),
    ("toy_cauchy", "bounded"), ("toy_exp", "quadratic"), ("toy_bce", "bounded"),
])
def test_wrong_growth_is_an_error(name, wrong):
    info = TRUE[name]
    robust = {"bounded": True, "logarithmic": info.robust_to_outliers, "linear": "partial"}.get(wrong, False)
    findings = verify_metadata(_false(name, growth=wrong, robust_to_outliers=robust), 0)
    assert "growth" in _checks_with_errors(findings), "\n".join(map(str, findings))


def test_robustness_inconsistent_with_growth_is_an_error():
    findings = verify_metadata(_false("toy_mse", robust_to_outliers=True), 0)
    assert "consistency" in _checks_with_errors(findings)


def test_kinks_none_with_c0_is_an_error():
    findings = verify_metadata(_false("toy_l1", kinks="none"), 0)
    assert "consistency" in _checks_with_errors(findings)


def test_a_perfect_prediction_that_is_not_a_minimum_is_an_error():
    def shifted(rng, dtype):
        x, y, kw = _perfect(rng, dtype)
        return ll.tensor(x.data + 0.5), y, kw
    findings = verify_metadata(_false("toy_mse", make_perfect=shifted), 0)
    msgs = [f.message for f in errors(findings) if f.check == "minimum"]
    assert any("decreases" in m for m in msgs) and any("gradient" in m for m in msgs)


# ----------------------------------------------------------------------------- helpers
def test_a_light_probe_still_catches_false_declarations(monkeypatch):
    findings = verify_metadata(TRUE["toy_huber"], 0, effort="light")
    assert errors(findings) == []
    assert any(f.check == "probe" and f.severity == "info" and "light probe" in f.message for f in findings)
    assert errors(verify_metadata(_false("toy_huber", smoothness="Cinf", kinks="none"), 0, effort="light"))
    import losslab.losses.properties as P
    monkeypatch.setattr(P, "_SLOW_EVAL_S", 0.0)  # "auto" goes light for a slow loss
    assert any("light probe" in f.message for f in verify_metadata(TRUE["toy_huber"], 0, effort="auto"))
    with pytest.raises(ValueError, match="effort"):
        verify_metadata(TRUE["toy_huber"], 0, effort="fast")


def test_classify_growth_on_closed_forms():
    s = 2.0 ** np.arange(13)
    assert classify_growth(s, s**2)[0] == "quadratic"
    assert classify_growth(s, 3 * s + 1)[0] == "linear"
    assert classify_growth(s, np.log1p(s))[0] == "logarithmic"
    assert classify_growth(s, 1 - 1 / (1 + s))[0] == "bounded"
    assert classify_growth(s, s**3)[0] == "super-quadratic"
    assert classify_growth(s[:9], np.exp(s[:9]))[0] == "exponential"
    assert classify_growth(s, -s)[0] is None  # decreasing: not a growth direction


def test_verify_metadata_is_reproducible_with_a_seed():
    a = verify_metadata(_false("toy_welsch", convex=True), 3)
    b = verify_metadata(_false("toy_welsch", convex=True), np.random.default_rng(3))
    assert a == b


def test_main_reports_contradicted_entries(monkeypatch, capsys):
    from losslab.losses import properties as P
    from losslab.losses.registry import LOSS_REGISTRY
    bad = _false("toy_welsch", convex=True)
    monkeypatch.setitem(LOSS_REGISTRY, bad.name, bad)
    assert P.main(["mse_loss"]) == 0
    assert "mse_loss: ok" in capsys.readouterr().out
    assert P.main([bad.name, "--all-findings"]) == 1
    out = capsys.readouterr().out
    assert "toy_welsch: CONTRADICTED" in out and "convexity" in out
