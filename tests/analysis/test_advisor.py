"""The loss advisor: each finding triggered by a synthetic target built for it, silence on clean
data, the real bundled datasets, and bad input."""
import json

import numpy as np
import pytest

from losslab import datasets
from losslab.analysis.advisor import TASKS, Advice, advise
from losslab.build import resolve_loss


def _rng(seed=0):
    return np.random.default_rng(seed)


def _linear(n=400, d=3, noise=0.3, seed=0):
    rng = _rng(seed)
    X = rng.standard_normal((n, d))
    return X, X @ np.linspace(1.0, -2.0, d) + 0.5 + noise * rng.standard_normal(n)


def _names(advice):
    return [c.spec.split(":")[0] for c in advice.candidates]


def _param(spec, key):
    return dict(p.split("=") for p in spec.split(":")[1].split(","))[key]


# ----------------------------------------------------------------------------- regression
@pytest.mark.parametrize("seed", range(5))
def test_clean_gaussian_gives_mse_and_no_warnings(seed):
    X, y = _linear(seed=seed)
    a = advise(X, y)
    assert a.task == "regression"
    assert a.warnings == []
    assert _names(a)[0] == "mse_loss"
    assert a.finding("outlier_share").value <= 0.01
    assert a.target_transform is None
    assert a.activation == "identity"


def test_gaussian_target_without_features_is_also_clean():
    a = advise(None, _rng(3).standard_normal(1000))
    assert a.task == "regression" and a.warnings == [] and _names(a)[0] == "mse_loss"


def test_gross_outliers_put_huber_first_with_delta_from_the_noise():
    X, y = _linear(noise=0.3)
    y[:40] += _rng(1).uniform(10, 20, 40)  # 10 % gross, one-sided errors
    a = advise(X, y)
    assert "outlier_share" in a.warnings
    assert a.finding("outlier_share").value == pytest.approx(0.10, abs=0.01)
    assert _names(a)[:2] == ["huber_loss", "l1_loss"] and _names(a)[-1] == "mse_loss"
    delta = float(_param(a.candidates[0].spec, "delta"))
    # δ = 1.345 σ with σ the noise scale (0.3), not the outlier-inflated spread of y
    assert 1.345 * 0.3 * 0.8 < delta < 1.345 * 0.3 * 1.25
    assert "10 %" in a.candidates[0].reason and "1.345" in a.candidates[0].reason
    assert "For comparison" in a.candidates[-1].reason


def test_heavy_tailed_noise_is_flagged_by_kurtosis():
    rng = _rng(2)
    X = rng.standard_normal((2000, 2))
    y = X.sum(1) + rng.standard_t(3, 2000) * 0.5
    a = advise(X, y)
    assert "excess_kurtosis" in a.warnings and a.finding("excess_kurtosis").value > 1
    assert _names(a)[0] == "huber_loss"


def test_target_scale_far_from_unit_asks_to_standardize_and_scales_delta():
    X, y = _linear(noise=0.3)
    a = advise(X, 1000.0 + 250.0 * y)
    assert a.warnings == ["target_scale"]
    center, spread = a.target_transform
    assert center == pytest.approx(np.median(1000.0 + 250.0 * y)) and spread > 100
    assert "standardize" in a.finding("target_scale").sentence
    assert "Standardize the target" in a.optimizer.reason
    delta = float(_param(a.candidates[1].spec, "delta"))
    assert delta < 1.0 and "standardized units" in a.candidates[1].reason


def test_small_target_scale_is_flagged_too():
    X, y = _linear()
    assert "target_scale" in advise(X, 1e-3 * y).warnings


# ----------------------------------------------------------------------------- classes
def test_imbalanced_binary_95_5_gives_weighted_then_focal():
    rng = _rng(4)
    y = (rng.random(1000) < 0.05).astype(int)
    X = rng.standard_normal((1000, 4)) + y[:, None]
    a = advise(X, y)
    assert a.task == "binary" and "imbalance_ratio" in a.warnings
    ratio = a.finding("imbalance_ratio").value
    assert ratio == pytest.approx((y == 0).sum() / (y == 1).sum())
    first, second = a.candidates[0].spec, a.candidates[1].spec
    assert first.startswith("binary_cross_entropy_with_logits:pos_weight=")
    assert float(_param(first, "pos_weight")) == pytest.approx(ratio, rel=1e-2)
    assert second.startswith("sigmoid_focal_loss:") and float(_param(second, "alpha")) > 0.9
    assert f"{ratio:.3g}" in a.finding("imbalance_ratio").sentence


def test_balanced_binary_gives_bce_on_logits_without_warnings():
    rng = _rng(5)
    y = rng.integers(0, 2, 500)
    a = advise(rng.standard_normal((500, 3)), y)
    assert a.task == "binary" and a.warnings == []
    assert a.candidates[0].spec == "binary_cross_entropy_with_logits"
    assert "sigmoid" in a.activation


def test_pm1_labels_are_binary_and_the_mapping_is_explained():
    y = np.where(_rng(6).random(300) < 0.5, -1, 1)
    a = advise(None, y)
    assert a.task == "binary" and "(y + 1)/2" in a.finding("label_encoding").sentence


def test_multiclass_balanced_gives_cross_entropy():
    rng = _rng(7)
    y = rng.integers(0, 4, 600)
    a = advise(rng.standard_normal((600, 5)), y)
    assert a.task == "multiclass" and a.warnings == [] and _names(a)[0] == "cross_entropy"
    assert "log_softmax" in a.activation


def test_multiclass_imbalanced_gives_focal_and_class_weights():
    y = np.repeat([0, 1, 2], [400, 60, 20])
    a = advise(None, y)
    assert "imbalance_ratio" in a.warnings
    first, second = a.candidates[0].spec, a.candidates[1].spec
    # w_c = n / (C · n_c) = 480 / (3 · [400, 60, 20])
    assert first == "cross_entropy:weight=0.4/2.67/8" and "n/(C·n_c)" in a.candidates[0].reason
    assert second == "focal_loss:alpha=0.4/2.67/8,gamma=2"
    from losslab.build import resolve_loss
    assert resolve_loss(first).params["weight"] == (0.4, 2.67, 8.0)  # the spec trains as written


def test_one_hot_rows_are_multiclass_and_text_labels_are_classes():
    y = np.eye(3)[_rng(8).integers(0, 3, 90)]
    assert advise(None, y).task == "multiclass"
    a = advise(None, np.array(["cat", "dog", "cat", "bird"] * 20))
    assert a.task == "multiclass" and "bird: 20" in a.finding("class_counts").sentence


def test_a_tiny_class_is_flagged():
    a = advise(None, np.repeat([0, 1, 2], [50, 50, 4]))
    assert "small_class" in a.warnings


# ----------------------------------------------------------------------------- other tasks
def test_poisson_counts_give_poisson_nll_on_log_rates():
    rng = _rng(9)
    X = rng.standard_normal((500, 2))
    y = rng.poisson(np.exp(1.0 + 0.3 * X[:, 0]))
    a = advise(X, y)
    assert a.task == "counts"
    assert a.candidates[0].spec == "poisson_nll_loss:log_input=true"
    assert a.finding("dispersion_index").value == pytest.approx(y.var() / y.mean())
    assert "exp" in a.activation_reason


def test_large_count_range_is_counts_and_overdispersion_is_flagged():
    y = _rng(10).negative_binomial(1, 0.05, 400)  # mean ≈ 19, var ≈ 380
    a = advise(None, y)
    assert a.task == "counts" and "dispersion_index" in a.warnings


def test_probabilities_in_unit_interval_give_bce_with_soft_targets():
    rng = _rng(11)
    X = rng.standard_normal((300, 2))
    y = 1 / (1 + np.exp(-X[:, 0]))
    a = advise(X, y)
    assert a.task == "probabilities" and a.candidates[0].spec == "binary_cross_entropy_with_logits"
    assert "soft targets" in a.candidates[0].reason


def test_multilabel_gives_per_label_sigmoid_bce_and_flags_rare_labels():
    rng = _rng(12)
    y = (rng.random((400, 4)) < [0.5, 0.3, 0.2, 0.02]).astype(int)
    a = advise(rng.standard_normal((400, 3)), y)
    assert a.task == "multilabel" and a.candidates[0].spec == "binary_cross_entropy_with_logits"
    assert "rare_label" in a.warnings and "no softmax" in a.candidates[0].reason


def test_task_can_be_imposed_and_is_checked():
    y = _rng(13).poisson(3.0, 300)
    assert advise(None, y, task="multiclass").task == "multiclass"
    with pytest.raises(ValueError, match="task='binary' but y has"):
        advise(None, y, task="binary")
    with pytest.raises(ValueError, match="task must be None"):
        advise(None, y, task="classification")
    with pytest.raises(ValueError, match="non-negative integers"):
        advise(None, -y - 1.5, task="counts")


# ----------------------------------------------------------------------------- every candidate, the API
@pytest.mark.parametrize("case", ["clean", "outliers", "binary", "imbalanced", "multiclass", "counts", "probs",
                                  "multilabel"])
def test_every_candidate_resolves_and_every_sentence_cites_a_number(case):
    rng = _rng(14)
    X, y = _linear()
    y = {"clean": y, "outliers": np.r_[y[:-30], y[-30:] + 30], "binary": (y > 0.5).astype(int),
         "imbalanced": (rng.random(400) < 0.05).astype(int), "multiclass": rng.integers(0, 3, 400),
         "counts": rng.poisson(4, 400), "probs": rng.uniform(0.05, 0.95, 400),
         "multilabel": (rng.random((400, 3)) < 0.4).astype(int)}[case]
    a = advise(X, y)
    assert isinstance(a, Advice) and a.task in TASKS and len(a.candidates) >= 2
    for c in a.candidates:
        resolve_loss(c.spec)  # usable by the training machinery
        assert len(c.reason) > 20
    for f in a.findings:
        assert any(ch.isdigit() for ch in f.sentence), f
    d = a.as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["candidates"][0]["spec"] == a.loss
    assert a.loss in a.text and a.optimizer.spec in a.text and str(a) == a.text
    assert 1e-3 <= a.optimizer.lr <= 1e-2


def test_finding_lookup_names_the_known_ones():
    a = advise(None, _rng(15).standard_normal(100))
    with pytest.raises(KeyError, match="outlier_share"):
        a.finding("nope")


# ----------------------------------------------------------------------------- real data
def test_breast_cancer_is_binary_with_mild_imbalance():
    s = datasets.load("breast_cancer")
    a = advise(s.x_train, s.y_train)
    assert a.task == "binary" and a.warnings == []
    assert 1.5 <= a.finding("imbalance_ratio").value < 3
    assert "mild imbalance" in a.finding("imbalance_ratio").sentence
    assert a.candidates[0].spec == "binary_cross_entropy_with_logits"
    assert a.candidates[1].spec.startswith("binary_cross_entropy_with_logits:pos_weight=")


def test_digits_is_balanced_multiclass():
    s = datasets.load("digits")
    a = advise(s.x_train, s.y_train)
    assert a.task == "multiclass" and a.warnings == [] and a.loss == "cross_entropy"
    assert a.finding("imbalance_ratio").value < 1.5


def test_diabetes_is_regression_with_a_target_to_standardize():
    s = datasets.load("diabetes")
    a = advise(s.x_train, s.y_train)
    assert a.task == "regression" and a.warnings == ["target_scale"]
    assert a.loss == "mse_loss"
    assert a.target_transform[0] > 100


def test_linear_with_outliers_dataset_recommends_a_robust_loss():
    s = datasets.load("linear", outliers=0.1)
    a = advise(s.x_train, s.y_train)
    assert _names(a)[0] == "huber_loss" and "outlier_share" in a.warnings and "target_scale" not in a.warnings


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("X, y, exc, match", [
    (np.zeros((5, 2)), np.zeros(4), ValueError, "X has 5 rows but y has 4"),
    (None, np.array([]), ValueError, "y is empty"),
    (None, np.zeros((0, 2)), ValueError, "y is empty"),
    (None, np.array([1.0, np.nan, 2.0, np.nan]), ValueError, r"y has 2 NaN value\(s\) \(first at row 1"),
    (None, np.array([1.0, np.inf, 2.0]), ValueError, "infinite"),
    (None, np.ones(10), ValueError, "y is constant"),
    (None, np.array(["a"] * 5), ValueError, "single class"),
    (None, np.zeros((3, 2, 2)), ValueError, r"shape \(N,\) or \(N, K\)"),
    (None, 3.0, ValueError, "scalar"),
    (None, None, TypeError, "y is None"),
    (np.array([[1.0, np.nan], [0, 0], [1, 1]]), np.array([0.1, 0.5, 0.9]), ValueError, "X has non-finite"),
    (np.zeros((2, 2, 2)), np.zeros(2), ValueError, "X must have shape"),
    (None, np.array([1.0]), ValueError, "at least 2"),
])
def test_bad_input_is_named(X, y, exc, match):
    with pytest.raises(exc, match=match):
        advise(X, y)


def test_docstring_examples_run():
    import doctest

    import losslab.analysis.advisor as module
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0
