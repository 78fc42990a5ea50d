"""Registry entries of the regression family (beyond ``mse_loss``, which is in ``core``): L1,
Huber, smooth L1, log-cosh, quantile, MAPE, MSLE, Poisson and Gaussian NLL, ε-insensitive and
cosine distance.

``make_example`` draws valid random inputs (errors on both sides of every kink, targets inside
each loss's domain); its keyword arguments are constructor arguments of the class and, where
``torch_equivalent`` is set, keyword arguments of the PyTorch function. ``make_perfect`` returns
a minimizer with zero (sub)gradient.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import regression as R
from ..registry import LossInfo, register

_SW = {"sample_weight": None}
_NO_EQUIV = {"optax": None, "keras": None, "sklearn": None}
_SHAPE = (4, 3)


def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _normal_pair(scale=1.0):
    def make(rng, dtype):
        return _t(rng.normal(scale=scale, size=_SHAPE), dtype), _t(rng.normal(size=_SHAPE), dtype), {}
    return make


def _equal_pair(rng, dtype):
    y = rng.normal(size=_SHAPE)
    return _t(y, dtype), _t(y, dtype), {}


def _with(make, **draw):
    """``make``'s example plus keyword arguments drawn by ``draw[name](rng)``."""
    def wrapped(rng, dtype):
        x, y, kw = make(rng, dtype)
        return x, y, {**kw, **{k: float(f(rng)) for k, f in draw.items()}}
    return wrapped


# ----------------------------------------------------------------------------- examples
def _mape_example(rng, dtype):
    y = rng.choice([-1.0, 1.0], size=_SHAPE) * rng.uniform(0.5, 3.0, _SHAPE)  # away from 0
    return _t(y + rng.normal(size=_SHAPE), dtype), _t(y, dtype), {}


def _mape_perfect(rng, dtype):
    y = rng.choice([-1.0, 1.0], size=_SHAPE) * rng.uniform(0.5, 3.0, _SHAPE)
    return _t(y, dtype), _t(y, dtype), {}


def _msle_example(rng, dtype):
    return _t(rng.uniform(0.0, 5.0, _SHAPE), dtype), _t(rng.uniform(0.0, 5.0, _SHAPE), dtype), {}


def _msle_perfect(rng, dtype):
    y = rng.uniform(4.0, 8.0, _SHAPE)  # far from the domain's edge −1, so that perturbations stay inside
    return _t(y, dtype), _t(y, dtype), {}


def _poisson_example(rng, dtype):
    x = rng.normal(scale=0.7, size=_SHAPE)  # log-rates
    full = bool(rng.random() < 0.5)
    y = rng.poisson(2.0, size=_SHAPE).astype(float)
    if full:
        # PyTorch's gradient to a zero target is nan with full=True (0·∞ in its masked Stirling
        # term; losslab's is finite), so targets > 0 here: counts shifted by a fraction
        y = y + rng.uniform(0.1, 0.9, _SHAPE)
    return _t(x, dtype), _t(y, dtype), {"log_input": True, "full": full}


def _poisson_perfect(rng, dtype):
    y = rng.uniform(0.5, 4.0, _SHAPE)
    return _t(np.log(y), dtype), _t(y, dtype), {"log_input": True, "full": bool(rng.random() < 0.5)}


def _gaussian_example(rng, dtype):
    x, y, _ = _normal_pair(1.5)(rng, dtype)
    return x, y, {"full": bool(rng.random() < 0.5)}


def _gaussian_perfect(rng, dtype):
    x, y, _ = _equal_pair(rng, dtype)
    return x, y, {"full": bool(rng.random() < 0.5)}


def _cosine_example(rng, dtype):
    return _t(rng.normal(size=(5, 4)), dtype), _t(rng.normal(size=(5, 4)), dtype), {}


def _cosine_perfect(rng, dtype):
    y = rng.normal(size=(5, 4))
    scale = rng.uniform(0.5, 2.0, (5, 1))  # any positive multiple of the target is perfect
    return _t(scale * y, dtype), _t(y, dtype), {}


# ----------------------------------------------------------------------------- entries
register(LossInfo(
    name="l1_loss",
    fn=R.l1_loss,
    module=R.L1Loss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="at x = y (gradient 0 there, PyTorch's sign(0) = 0)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real input and target of the same shape",
    hyperparameters={"reduction": "mean", "weight": None, **_SW},
    latex=r"\ell(x, y) = w\,|x - y|",
    summary="Absolute error; estimates the conditional median, an outlier's pull is bounded, "
            "but the gradient does not shrink near the optimum.",
    torch_equivalent="torch.nn.functional.l1_loss",
    equivalents={"optax": None, "keras": "keras.losses.MeanAbsoluteError (mean over the last axis)",
                 "sklearn": "sklearn.metrics.mean_absolute_error"},
    make_example=_normal_pair(),
    make_perfect=_equal_pair,
    references=("Laplace (1774), Mémoire sur la probabilité des causes par les événements",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.L1Loss.html"),
))

register(LossInfo(
    name="huber_loss",
    fn=R.huber_loss,
    module=R.HuberLoss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C1",
    kinks="none (differentiable everywhere; the second derivative jumps at |x − y| = δ)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real input and target of the same shape; delta > 0",
    hyperparameters={"reduction": "mean", "delta": 1.0, "weight": None, **_SW},
    latex=r"\ell(x, y) = \begin{cases} \tfrac12 (x - y)^2 & |x - y| < \delta \\ "
          r"\delta\,(|x - y| - \tfrac12\delta) & \text{otherwise} \end{cases}",
    summary="Quadratic for small errors, linear beyond δ: MSE's smooth optimum with L1's "
            "robustness to outliers; δ sets where an error counts as an outlier.",
    torch_equivalent="torch.nn.functional.huber_loss",
    equivalents={"optax": "optax.losses.huber_loss (same)",
                 "keras": "keras.losses.Huber (same; mean over the last axis)",
                 "sklearn": "sklearn.linear_model.HuberRegressor (scaled variant, epsilon = δ/σ)"},
    make_example=_with(_normal_pair(2.0), delta=lambda r: r.uniform(0.5, 2.0)),
    make_perfect=_with(_equal_pair, delta=lambda r: r.uniform(0.5, 2.0)),
    references=("Huber (1964), Robust Estimation of a Location Parameter, Ann. Math. Statist. 35(1)",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.HuberLoss.html"),
))

register(LossInfo(
    name="smooth_l1_loss",
    fn=R.smooth_l1_loss,
    module=R.SmoothL1Loss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C1",
    kinks="none for β > 0 (the second derivative jumps at |x − y| = β); with β = 0 it is L1, "
          "with a kink at x = y",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real input and target of the same shape; beta ≥ 0",
    hyperparameters={"reduction": "mean", "beta": 1.0, **_SW},
    latex=r"\ell(x, y) = \begin{cases} \tfrac{1}{2\beta} (x - y)^2 & |x - y| < \beta \\ "
          r"|x - y| - \tfrac12\beta & \text{otherwise} \end{cases}",
    summary="Huber scaled by 1/β (slope 1 in the linear part whatever β); the box-regression "
            "loss of Fast R-CNN.",
    torch_equivalent="torch.nn.functional.smooth_l1_loss",
    equivalents={"optax": "optax.losses.huber_loss(delta=β) / β", "keras": "keras.losses.Huber(delta=β) / β",
                 "sklearn": None},
    make_example=_with(_normal_pair(2.0), beta=lambda r: r.uniform(0.5, 2.0)),
    make_perfect=_with(_equal_pair, beta=lambda r: r.uniform(0.5, 2.0)),
    references=("Girshick (2015), Fast R-CNN, ICCV",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.SmoothL1Loss.html"),
))

register(LossInfo(
    name="log_cosh_loss",
    fn=R.log_cosh_loss,
    module=R.LogCoshLoss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real input and target of the same shape (stable for any finite error)",
    hyperparameters={"reduction": "mean", **_SW},
    latex=r"\ell(x, y) = \log\cosh(x - y)",
    summary="A smooth Huber: ≈ ½(x − y)² near 0 and ≈ |x − y| − log 2 far away, with gradient "
            "tanh(x − y) bounded by 1.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.log_cosh (same)",
                 "keras": "keras.losses.LogCosh (same; mean over the last axis)", "sklearn": None},
    make_example=_normal_pair(2.0),
    make_perfect=_equal_pair,
    references=("Keras keras.losses.log_cosh: x + softplus(−2x) − log 2",
                "Chen et al. (2019), Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder"),
))

register(LossInfo(
    name="quantile_loss",
    fn=R.quantile_loss,
    module=R.QuantileLoss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="at x = y (gradient 0 there)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real input and target of the same shape; tau in (0, 1) (ValueError otherwise)",
    hyperparameters={"reduction": "mean", "tau": 0.5, **_SW},
    latex=r"\ell(x, y) = \max\big(\tau\,(y - x),\ (\tau - 1)(y - x)\big)",
    summary="Pinball loss: its minimizer is the τ-quantile of the target, for prediction "
            "intervals and asymmetric costs (τ = 0.5: half the absolute error).",
    torch_equivalent=None,
    equivalents={"optax": None, "keras": None, "sklearn": "sklearn.metrics.mean_pinball_loss (alpha = τ)"},
    make_example=_with(_normal_pair(), tau=lambda r: r.uniform(0.1, 0.9)),
    make_perfect=_with(_equal_pair, tau=lambda r: r.uniform(0.1, 0.9)),
    references=("Koenker & Bassett (1978), Regression Quantiles, Econometrica 46(1)",),
))

register(LossInfo(
    name="mean_absolute_percentage_error",
    fn=R.mean_absolute_percentage_error,
    module=R.MeanAbsolutePercentageError,
    task="regression",
    input_kind="real",
    target_kind="real numbers away from 0 (|y| < eps is floored to eps), same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions="convex in the prediction x for a fixed target",
    smoothness="C0",
    kinks="at x = y (gradient 0 there)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞) (percent)",
    domain="any real input; targets should be away from 0 (the denominator is max(|y|, eps))",
    hyperparameters={"reduction": "mean", "eps": 1e-7, **_SW},
    latex=r"\ell(x, y) = 100\,\frac{|y - x|}{\max(|y|, \epsilon)}",
    summary="Relative absolute error in percent, for positive targets of different scales; "
            "explodes for targets near 0 and favours under-prediction.",
    torch_equivalent=None,
    equivalents={"optax": None, "keras": "keras.losses.MeanAbsolutePercentageError (same; mean over the last axis)",
                 "sklearn": "sklearn.metrics.mean_absolute_percentage_error (a fraction: no factor 100; eps 2.2e-16)"},
    make_example=_mape_example,
    make_perfect=_mape_perfect,
    references=("Keras keras.losses.mean_absolute_percentage_error",
                "de Myttenaere et al. (2016), Mean Absolute Percentage Error for regression models, "
                "Neurocomputing 192"),
))

register(LossInfo(
    name="mean_squared_logarithmic_error",
    fn=R.mean_squared_logarithmic_error,
    module=R.MeanSquaredLogarithmicError,
    task="regression",
    input_kind="rates",
    target_kind="real numbers > −1 (usually non-negative counts or amounts), same shape as input",
    output_activation="softplus or exp (the prediction must stay > −1)",
    convex=False,
    convex_conditions="convex in x only where log(1 + x) − log(1 + y) ≤ 1",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="logarithmic",
    value_range="[0, ∞)",
    domain="input and target > −1 (ValueError otherwise); Keras instead clamps both at 1e-7",
    hyperparameters={"reduction": "mean", **_SW},
    latex=r"\ell(x, y) = \big(\log(1 + x) - \log(1 + y)\big)^2",
    summary="Squared error of log(1 + ·): relative errors for targets spanning orders of "
            "magnitude; penalizes under-prediction more than over-prediction.",
    torch_equivalent=None,
    equivalents={"optax": None,
                 "keras": "keras.losses.MeanSquaredLogarithmicError (clamps x, y at 1e-7; mean over the last axis)",
                 "sklearn": "sklearn.metrics.mean_squared_log_error"},
    make_example=_msle_example,
    make_perfect=_msle_perfect,
    references=("Keras keras.losses.mean_squared_logarithmic_error",
                "scikit-learn sklearn.metrics.mean_squared_log_error"),
))

register(LossInfo(
    name="poisson_nll_loss",
    fn=R.poisson_nll_loss,
    module=R.PoissonNLLLoss,
    task="regression",
    input_kind="log-rates",
    target_kind="non-negative counts (non-integer values accepted), same shape as input",
    output_activation="identity (log-rates; exp is applied inside) — or softplus/exp with log_input=False",
    convex=True,
    convex_conditions="convex in the log-rate (log_input=True) and in the rate (log_input=False)",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=False,
    growth="exponential",
    value_range="[min over x, ∞): exp(x) − y·x ≥ y − y·log y; ≥ 0 with full=True only approximately",
    domain="log-rates: any real (exp overflows above 709 in float64); rates ≥ 0 with "
           "log_input=False; targets ≥ 0 (ValueError otherwise)",
    hyperparameters={"log_input": True, "full": False, "eps": 1e-8, "reduction": "mean", **_SW},
    latex=r"\ell(x, y) = e^{x} - y\,x \;\; [+\, y\log y - y + \tfrac12\log(2\pi y)\ \text{if full and } y > 1]",
    summary="Negative log-likelihood of count data under a Poisson model of the rate; use "
            "log-rates (the default) for stability.",
    torch_equivalent="torch.nn.functional.poisson_nll_loss",
    equivalents={"optax": None, "keras": "keras.losses.Poisson (rates: x − y·log(x + 1e-7); mean over the last axis)",
                 "sklearn": "sklearn.metrics.mean_poisson_deviance (the deviance: 2·(NLL − saturated NLL))"},
    make_example=_poisson_example,
    make_perfect=_poisson_perfect,
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.PoissonNLLLoss.html",
                "McCullagh & Nelder (1989), Generalized Linear Models, 2nd ed."),
))

register(LossInfo(
    name="gaussian_nll_loss",
    fn=R.gaussian_nll_loss,
    module=R.GaussianNLLLoss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input; var (a number or a Tensor, PyTorch's shape rules) ≥ 0",
    output_activation="identity for the mean; softplus or exp for the variance",
    convex=True,
    convex_conditions="convex in the mean for a fixed variance; not jointly convex in (mean, variance)",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=False,
    growth="quadratic",
    value_range="(−∞, ∞) (log σ² < 0 for σ² < 1)",
    domain="any real mean and target; var ≥ 0 (ValueError for a negative variance), clamped "
           "at eps in the forward pass only, as PyTorch",
    hyperparameters={"var": 1.0, "full": False, "eps": 1e-6, "reduction": "mean", **_SW},
    latex=r"\ell(\mu, y; \sigma^2) = \tfrac12\Big(\log\max(\sigma^2, \epsilon) + "
          r"\frac{(\mu - y)^2}{\max(\sigma^2, \epsilon)}\Big) \;[+\,\tfrac12\log 2\pi]",
    summary="Negative log-likelihood under a Gaussian with predicted mean and (optionally "
            "predicted) variance: regression that also learns its own uncertainty.",
    # PyTorch's function equals this one (tests/losses/test_loss_regression_gaussian.py checks
    # values and gradients to input, target and var against it), but its ``var`` is a required
    # argument that the generic torch comparison, which passes make_example's keyword arguments
    # to the class constructor as well, cannot supply: hence None here.
    torch_equivalent=None,
    equivalents=dict(_NO_EQUIV),
    make_example=_gaussian_example,
    make_perfect=_gaussian_perfect,
    references=("Nix & Weigend (1994), Estimating the mean and variance of the target probability "
                "distribution, ICNN",
                "PyTorch torch.nn.functional.gaussian_nll_loss (same values and gradients; var required there)",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.GaussianNLLLoss.html"),
))

register(LossInfo(
    name="epsilon_insensitive_loss",
    fn=R.epsilon_insensitive_loss,
    module=R.EpsilonInsensitiveLoss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="at |x − y| = ε (and at x = y when ε = 0); gradient 0 at the kinks",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real input and target of the same shape; epsilon ≥ 0",
    hyperparameters={"reduction": "mean", "epsilon": 0.1, **_SW},
    latex=r"\ell(x, y) = \max(0,\ |x - y| - \epsilon)",
    summary="Support-vector regression loss: errors within ±ε cost nothing, larger ones "
            "linearly; gives sparse solutions.",
    torch_equivalent=None,
    equivalents={"optax": None, "keras": None,
                 "sklearn": "sklearn.linear_model.SGDRegressor(loss='epsilon_insensitive'); sklearn.svm.LinearSVR"},
    make_example=_with(_normal_pair(), epsilon=lambda r: r.uniform(0.05, 0.5)),
    make_perfect=_with(_equal_pair, epsilon=lambda r: r.uniform(0.05, 0.5)),
    references=("Vapnik (1995), The Nature of Statistical Learning Theory",
                "Smola & Schölkopf (2004), A tutorial on support vector regression, Statistics and Computing 14"),
))

register(LossInfo(
    name="cosine_similarity_loss",
    fn=R.cosine_similarity_loss,
    module=R.CosineSimilarityLoss,
    task="regression",
    input_kind="real",
    target_kind="real vectors, same shape as input (the vector axis at dim)",
    output_activation="identity",
    convex=False,
    convex_conditions="not convex in x (1 − cos is scale-invariant)",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, 2]",
    domain="any real vectors; norms below eps are floored to eps (max(‖x‖, eps), the loss is not "
           "smooth where ‖x‖ = eps, and its gradient is large but finite near x = 0)",
    hyperparameters={"reduction": "mean", "dim": -1, "eps": 1e-8, **_SW},
    latex=r"\ell(x, y) = 1 - \frac{\langle x, y\rangle}{\max(\|x\|, \epsilon)\,\max(\|y\|, \epsilon)}",
    summary="Cosine distance: matches directions and ignores lengths (embeddings, "
            "normalized targets); bounded in [0, 2].",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.cosine_distance (same)",
                 "keras": "keras.losses.CosineSimilarity (−cos: this loss minus 1)", "sklearn": None},
    make_example=_cosine_example,
    make_perfect=_cosine_perfect,
    references=("optax optax.losses.cosine_distance", "Keras keras.losses.CosineSimilarity"),
))
