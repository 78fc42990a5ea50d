"""Registry entries of the foundation losses (MSE, BCE, BCE with logits, cross-entropy, NLL).

Each family of losses enrolls its own entries in a module of this package; importing
``losslab.losses`` imports them all. An entry's ``make_example``/``make_perfect`` draw valid
random inputs, which is what enrolls the loss in every generic test.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import modules as M
from ..classification import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss
from ..regression import mse_loss
from ..registry import LossInfo, register

def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _soft_or_hard_labels(rng, shape, dtype):
    """Targets in [0, 1]: about half hard {0, 1}, half soft."""
    u = rng.uniform(0.0, 1.0, shape)
    return np.where(rng.random(shape) < 0.5, np.round(u), u).astype(dtype)


def _mse_example(rng, dtype):
    return _t(rng.normal(size=(4, 3)), dtype), _t(rng.normal(size=(4, 3)), dtype), {}


def _mse_perfect(rng, dtype):
    y = rng.normal(size=(4, 3))
    return _t(y, dtype), _t(y, dtype), {}


def _bce_example(rng, dtype):
    p = rng.uniform(0.05, 0.95, (4, 3))
    return _t(p, dtype), _t(_soft_or_hard_labels(rng, (4, 3), dtype), dtype), {}


def _bce_perfect(rng, dtype):
    y = _soft_or_hard_labels(rng, (4, 3), dtype)
    return _t(y, dtype), _t(y, dtype), {}  # p = y minimizes −[y log p + (1−y) log(1−p)]


def _bce_logits_example(rng, dtype):
    x = rng.normal(scale=2.0, size=(4, 3))
    pw = rng.uniform(0.5, 2.0, (3,))
    return _t(x, dtype), _t(_soft_or_hard_labels(rng, (4, 3), dtype), dtype), {"pos_weight": _t(pw, dtype)}


def _bce_logits_perfect(rng, dtype):
    y = rng.uniform(0.1, 0.9, (4, 3))
    pw = rng.uniform(0.5, 2.0, (3,))
    # ∂ℓ/∂x = (1−y)σ(x) − pw·y·σ(−x) = 0  ⇔  x = log(pw·y / (1 − y))
    x = np.log(pw * y / (1 - y))
    return _t(x, dtype), _t(y, dtype), {"pos_weight": _t(pw, dtype)}


def _ce_example(rng, dtype):
    x = rng.normal(scale=2.0, size=(5, 4))
    return _t(x, dtype), Tensor(rng.integers(0, 4, size=5).astype(np.int64)), {}


def _ce_perfect(rng, dtype):
    # Class-probability targets: logits = log t (+ any constant) give softmax(x) = t, the minimizer.
    t = rng.dirichlet(np.ones(4), size=5)
    x = np.log(t) + rng.normal(size=(5, 1))
    return _t(x, dtype), _t(t, dtype), {}


def _nll_example(rng, dtype):
    z = rng.normal(scale=2.0, size=(5, 4))
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return _t(logp, dtype), Tensor(rng.integers(0, 4, size=5).astype(np.int64)), {}


# ----------------------------------------------------------------------------- entries
_CLASS_HPARAMS = {"weight": None, "ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0,
                  "sample_weight": None}

register(LossInfo(
    name="mse_loss",
    fn=mse_loss,
    module=M.MSELoss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    convex_conditions='',
    smoothness="Cinf",
    kinks='none',
    robust_to_outliers=False,
    growth='quadratic',
    value_range='[0, ∞)',
    domain="any real input and target of the same shape",
    hyperparameters={"reduction": "mean", "weight": None, "sample_weight": None},
    latex=r"\ell(x, y) = w\,(x - y)^2",
    summary="Squared error; the default for regression with Gaussian-like noise, but one large "
            "error dominates the mean.",
    torch_equivalent="torch.nn.functional.mse_loss",
    equivalents={"optax": "optax.losses.squared_error", "keras": "keras.losses.MeanSquaredError", "sklearn": "sklearn.metrics.mean_squared_error"},
    make_example=_mse_example,
    make_perfect=_mse_perfect,
    references=("Gauss (1809), Theoria motus corporum coelestium: least squares",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.MSELoss.html"),
))

register(LossInfo(
    name="binary_cross_entropy",
    fn=binary_cross_entropy,
    module=M.BCELoss,
    task="binary",
    input_kind="probabilities",
    target_kind="probabilities in [0, 1] (hard labels 0/1 or soft labels), same shape as input",
    output_activation="sigmoid",
    convex=True,
    convex_conditions='convex in p on (0, 1)',
    smoothness="Cinf",
    kinks='none',
    robust_to_outliers=False,
    growth='logarithmic',
    value_range='[0, 100] per element (log clamped at −100)',
    domain="input and target in [0, 1] (ValueError outside, as PyTorch's check); each log is "
           "clamped at -100, so p = 0 or 1 gives a finite loss",
    hyperparameters={"weight": None, "reduction": "mean", "sample_weight": None},
    latex=r"\ell(p, y) = -w\left[y \log p + (1 - y)\log(1 - p)\right]",
    summary="Log loss on probabilities for binary or multi-label targets; prefer the logits "
            "version for training (the clamp kills gradients of saturated sigmoids).",
    torch_equivalent="torch.nn.functional.binary_cross_entropy",
    equivalents={"optax": None, "keras": "keras.losses.BinaryCrossentropy (from_logits=False; clips p to [ε, 1 − ε])", "sklearn": "sklearn.metrics.log_loss"},
    make_example=_bce_example,
    make_perfect=_bce_perfect,
    references=("Cox (1958), The regression analysis of binary sequences, JRSS B 20(2)",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.BCELoss.html"),
))

register(LossInfo(
    name="binary_cross_entropy_with_logits",
    fn=binary_cross_entropy_with_logits,
    module=M.BCEWithLogitsLoss,
    task="binary",
    input_kind="logits",
    target_kind="probabilities in [0, 1] (hard labels 0/1 or soft labels), same shape as input",
    output_activation="identity (sigmoid is applied inside the loss)",
    convex=True,
    convex_conditions='convex in the logit x (for targets in [0, 1] and pos_weight ≥ 0)',
    smoothness="Cinf",
    kinks='none',
    robust_to_outliers="partial",
    growth='linear',
    value_range='[0, ∞)',
    domain="any real logits (stable for |x| up to the float range); targets should lie in "
           "[0, 1] (not checked, as PyTorch)",
    hyperparameters={"weight": None, "reduction": "mean", "pos_weight": None, "sample_weight": None},
    latex=r"\ell(x, y) = -w\left[p_w\, y \log\sigma(x) + (1 - y)\log(1 - \sigma(x))\right]",
    summary="Sigmoid + binary cross-entropy in one stable formula; the standard loss for binary "
            "and multi-label classification (pos_weight for class imbalance).",
    torch_equivalent="torch.nn.functional.binary_cross_entropy_with_logits",
    equivalents={"optax": "optax.losses.sigmoid_binary_cross_entropy", "keras": "keras.losses.BinaryCrossentropy(from_logits=True)", "sklearn": None},
    make_example=_bce_logits_example,
    make_perfect=_bce_logits_perfect,
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html",
                "optax.losses.sigmoid_binary_cross_entropy (the non-cancelling form)"),
))

register(LossInfo(
    name="cross_entropy",
    fn=cross_entropy,
    module=M.CrossEntropyLoss,
    task="multiclass",
    input_kind="logits",
    target_kind="class indices in [0, C) (or ignore_index), or class probabilities of the "
                "input's shape",
    output_activation="identity (log_softmax is applied inside the loss)",
    convex=True,
    convex_conditions='convex in the logits',
    smoothness="Cinf",
    kinks='none',
    robust_to_outliers="partial",
    growth='linear',
    value_range='[0, ∞)',
    domain="any real logits, class dim 1 (or 0 unbatched); integer targets in [0, C) or "
           "ignore_index, or floating probability targets of the input's shape",
    hyperparameters=dict(_CLASS_HPARAMS),
    latex=r"\ell(x, y) = -\log\frac{e^{x_y}}{\sum_{c} e^{x_c}} = \log\sum_{c} e^{x_c} - x_y",
    summary="Softmax cross-entropy on logits: the standard multi-class loss (also per pixel "
            "with (N, C, H, W) inputs); label_smoothing against over-confidence.",
    torch_equivalent="torch.nn.functional.cross_entropy",
    equivalents={"optax": "optax.losses.softmax_cross_entropy_with_integer_labels", "keras": "keras.losses.SparseCategoricalCrossentropy(from_logits=True)", "sklearn": "sklearn.metrics.log_loss (on probabilities)"},
    make_example=_ce_example,
    make_perfect=_ce_perfect,
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html",
                "Szegedy et al. (2016), Rethinking the Inception Architecture for Computer Vision "
                "(label smoothing)"),
))

register(LossInfo(
    name="nll_loss",
    fn=nll_loss,
    module=M.NLLLoss,
    task="multiclass",
    input_kind="log-probabilities",
    target_kind="class indices in [0, C) or ignore_index",
    output_activation="log_softmax",
    convex=True,
    convex_conditions='linear (hence convex) in the log-probabilities',
    smoothness="Cinf",
    kinks='none',
    robust_to_outliers="partial",
    growth='linear',
    value_range='(−∞, ∞) on arbitrary inputs; [0, ∞) on log-probabilities',
    domain="log-probabilities (not checked: any real input is accepted and the loss is linear "
           "in it); integer targets in [0, C) or ignore_index",
    hyperparameters=dict(_CLASS_HPARAMS),
    latex=r"\ell(x, y) = -w_y\, x_y",
    summary="Negative log-likelihood of the target class given log-probabilities; "
            "log_softmax + nll_loss = cross_entropy.",
    torch_equivalent="torch.nn.functional.nll_loss",
    equivalents={"optax": None, "keras": None, "sklearn": None},
    make_example=_nll_example,
    make_perfect=None,  # linear in the log-probabilities: the infimum needs log p_y = 0, others −inf
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html",),
))
