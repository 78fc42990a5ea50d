"""Bad input to the regression and distribution losses: each error names the function, the
argument, what was received and what to use instead."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

FAMILY = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "log_cosh_loss", "quantile_loss",
          "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "poisson_nll_loss",
          "gaussian_nll_loss", "epsilon_insensitive_loss", "cosine_similarity_loss", "kl_div",
          "generalized_kl_divergence", "js_divergence"]


def t64(a):
    return ll.tensor(np.asarray(a, dtype=np.float64))


def _valid(name):
    info = L.get(name)
    return info.make_example(np.random.default_rng(0), np.float64)


@pytest.mark.parametrize("name", FAMILY)
def test_shape_mismatch_raises_naming_both_shapes(name):
    x, y, kw = _valid(name)
    bad = t64(np.concatenate([y.data, y.data[:1]], axis=0))  # one more row
    with pytest.raises(ValueError, match=rf"{name}: input and target must have the same shape, got input "
                                         rf"\({x.shape[0]}, {x.shape[1]}\) and target \({x.shape[0] + 1}, "):
        getattr(L, name)(x, bad, **kw)
    with pytest.raises(ValueError, match=rf"{name}: input and target must have the same shape.*reshape one of them"):
        getattr(L, name)(x, y.reshape(-1), **kw)


@pytest.mark.parametrize("name", FAMILY)
def test_integer_input_and_bad_sample_weight_raise(name):
    x, y, kw = _valid(name)
    with pytest.raises(TypeError, match=f"{name}: input must be a floating tensor, got dtype int64"):
        getattr(L, name)(ll.tensor(np.zeros(x.shape, dtype=np.int64)), y, **kw)
    with pytest.raises(ValueError, match=rf"{name}: sample_weight must have shape \(N,\) with N = {x.shape[0]}"):
        getattr(L, name)(x, y, sample_weight=np.ones(x.shape[0] + 2), **kw)
    with pytest.raises(ValueError, match=f"{name}: sample_weight must be finite and ≥ 0"):
        getattr(L, name)(x, y, sample_weight=-np.ones(x.shape[0]), **kw)


HPARAMS = [
    ("huber_loss", {"delta": 0.0}, ValueError, r"huber_loss: delta must be > 0 .*got 0.0"),
    ("huber_loss", {"delta": -1}, ValueError, r"delta must be > 0"),
    ("huber_loss", {"delta": "1"}, TypeError, r"huber_loss: delta must be a real number .*got str '1'"),
    ("smooth_l1_loss", {"beta": -0.5}, ValueError, r"smooth_l1_loss: beta must be ≥ 0 \(0 gives l1_loss\), got -0.5"),
    ("quantile_loss", {"tau": 0.0}, ValueError, r"quantile_loss: tau must be in the open interval \(0, 1\) .*got 0.0"),
    ("quantile_loss", {"tau": 1.0}, ValueError, r"tau must be in the open interval \(0, 1\).*got 1.0"),
    ("quantile_loss", {"tau": 90}, ValueError, r"0.9 for the 90th percentile\), got 90"),
    ("quantile_loss", {"tau": None}, TypeError, r"tau must be a real number"),
    ("quantile_loss", {"tau": True}, TypeError, r"tau must be a real number .*got bool"),
    ("epsilon_insensitive_loss", {"epsilon": -0.1}, ValueError, r"epsilon must be ≥ 0 \(the half-width of the tube\), got -0.1"),
    ("mean_absolute_percentage_error", {"eps": 0.0}, ValueError, r"eps must be > 0"),
    ("cosine_similarity_loss", {"eps": -1e-8}, ValueError, r"cosine_similarity_loss: eps must be > 0"),
    ("cosine_similarity_loss", {"dim": 2}, ValueError, r"cosine_similarity_loss: dim=2 is out of range for an input with 2 dimension"),
    ("cosine_similarity_loss", {"dim": 0.5}, TypeError, r"dim must be an int, got float 0.5"),
    ("poisson_nll_loss", {"eps": -1.0}, ValueError, r"poisson_nll_loss: eps must be ≥ 0"),
    ("gaussian_nll_loss", {"eps": -1.0}, ValueError, r"gaussian_nll_loss: eps must be ≥ 0"),
]


@pytest.mark.parametrize("name, kw, exc, match", HPARAMS, ids=[f"{h[0]}-{h[1]}" for h in HPARAMS])
def test_bad_hyperparameters_raise(name, kw, exc, match):
    x, y = t64(np.ones((2, 3))), t64(np.ones((2, 3)))
    with pytest.raises(exc, match=match):
        getattr(L, name)(x, y, **kw)


@pytest.mark.parametrize("cls, kw, match", [
    ("HuberLoss", {"delta": 0}, "HuberLoss: delta must be > 0"),
    ("SmoothL1Loss", {"beta": -1}, "SmoothL1Loss: beta must be ≥ 0"),
    ("QuantileLoss", {"tau": 1.5}, r"QuantileLoss: tau must be in the open interval \(0, 1\), got 1.5"),
    ("EpsilonInsensitiveLoss", {"epsilon": -1}, "EpsilonInsensitiveLoss: epsilon must be ≥ 0"),
    ("MeanAbsolutePercentageError", {"eps": 0}, "eps must be > 0"),
    ("L1Loss", {"reduction": "batchmean"}, "L1Loss: reduction must be 'mean', 'sum' or 'none', got 'batchmean'"),
])
def test_classes_check_their_arguments_on_construction(cls, kw, match):
    with pytest.raises(ValueError, match=match):
        getattr(L, cls)(**kw)


def test_domain_errors():
    x = t64([[0.5, -1.0, 2.0]])
    y = t64([[1.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match=r"mean_squared_logarithmic_error: input must be > -1 \(log\(1 \+ input\) is "
                                         r"undefined otherwise\), got 1 element\(s\) outside \(e.g. -1.0\); pair the loss "
                                         r"with a non-negative output activation"):
        L.mean_squared_logarithmic_error(x, y)
    with pytest.raises(ValueError, match=r"mean_squared_logarithmic_error: target must be > -1.*\(e.g. -3.0\)"):
        L.mean_squared_logarithmic_error(y, t64([[0.0, -3.0, 1.0]]))
    with pytest.raises(ValueError, match=r"poisson_nll_loss: target must be ≥ 0 \(Poisson counts\), got 1 element\(s\) outside \(e.g. -1.0\)"):
        L.poisson_nll_loss(y, x)
    with pytest.raises(ValueError, match=r"poisson_nll_loss: input must be ≥ 0 \(rates, since log_input=False\).*"
                                         r"pass log-rates with log_input=True instead"):
        L.poisson_nll_loss(x, y, log_input=False)
    L.poisson_nll_loss(x, y, log_input=True)  # log-rates may be negative
    with pytest.raises(TypeError, match="gaussian_nll_loss: var must be a Tensor or array of numbers"):
        L.gaussian_nll_loss(y, y, "one")
    # nan passes through (as PyTorch), it is not reported as out of the domain
    assert np.isnan(L.mean_squared_logarithmic_error(t64([[np.nan]]), t64([[1.0]])).item())
