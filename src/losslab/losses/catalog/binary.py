"""Registry entries of the binary losses beyond cross-entropy: focal loss (logits and
probabilities), the margin losses on ±1 labels and the binary sparsemax loss.

Examples keep the margins (or logits) at least 1e-3 away from the kinks, so that finite
differences see a smooth function. Perfect predictions: the margin losses are 0 on a whole
region (margin beyond the kink), so any point there is a minimizer with zero gradient; focal
losses and the sparsemax loss have an interior minimizer for soft labels (found below by
bisection of the derivative); the soft margin loss has none at finite inputs.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import binary as B
from ..registry import LossInfo, register


def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _soft_or_hard(rng, shape):
    """Targets in [0, 1]: about half hard {0, 1}, half soft."""
    u = rng.uniform(0.0, 1.0, shape)
    return np.where(rng.random(shape) < 0.5, np.round(u), u)


def _away(values, kinks, gap=1e-3) -> bool:
    v = np.asarray(values)[..., None]
    return bool(np.all(np.abs(v - np.asarray(kinks, dtype=float)) > gap))


def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _bisect(h, lo, hi, iters=200):
    """The root of an increasing function h on [lo, hi] (elementwise arrays)."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        neg = h(mid) < 0
        lo, hi = np.where(neg, mid, lo), np.where(neg, hi, mid)
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------- focal
_GAMMAS = (0.5, 2.0, 3.0)


def _focal_kwargs(rng):
    return {"alpha": float(rng.choice([0.25, 0.6])), "gamma": float(rng.choice(_GAMMAS))}


def _focal_logit_example(rng, dtype):
    x = rng.normal(scale=2.0, size=(4, 3))
    return _t(x, dtype), _t(_soft_or_hard(rng, (4, 3)), dtype), _focal_kwargs(rng)


def _focal_logit_perfect(rng, dtype):
    # Soft labels: d/dx [u^γ·ce] = u^(γ−1)·(γ·u'·ce + u·ce') with u = 1 − p_t > 0, so the
    # stationary point is the root of h = γ·u'·ce + u·ce' (unique: see the test module).
    y = rng.uniform(0.15, 0.85, (4, 3))
    kw = _focal_kwargs(rng)
    g = kw["gamma"]

    def h(x):
        s, sn = _sigmoid(x), _sigmoid(-x)
        u = y * sn + (1 - y) * s
        ce = y * _softplus(-x) + (1 - y) * _softplus(x)
        return g * (1 - 2 * y) * s * sn * ce + u * (s - y)

    x = _bisect(h, np.full(y.shape, -40.0), np.full(y.shape, 40.0))
    return _t(x, dtype), _t(y, dtype), kw


def _focal_prob_example(rng, dtype):
    p = rng.uniform(0.05, 0.95, (4, 3))
    return _t(p, dtype), _t(_soft_or_hard(rng, (4, 3)), dtype), _focal_kwargs(rng)


def _focal_prob_perfect(rng, dtype):
    y = rng.uniform(0.15, 0.85, (4, 3))
    kw = _focal_kwargs(rng)
    g = kw["gamma"]

    def h(p):
        u = y * (1 - p) + (1 - y) * p
        ce = -(y * np.log(p) + (1 - y) * np.log1p(-p))
        return g * (1 - 2 * y) * ce + u * ((1 - y) / (1 - p) - y / p)

    p = _bisect(h, np.full(y.shape, 1e-9), np.full(y.shape, 1 - 1e-9))
    return _t(p, dtype), _t(y, dtype), kw


# ----------------------------------------------------------------------------- margin losses
def _margin_example(kinks, int_labels=False):
    """Scores and ±1 labels (int64 with ``int_labels``: PyTorch's soft_margin_loss is not
    differentiable in the target and refuses a float target that requires grad)."""
    def make(rng, dtype):
        while True:
            s, y = rng.normal(scale=2.0, size=(4, 3)), _pm1(rng, (4, 3))
            if _away(s * y, kinks):
                return _t(s, dtype), (Tensor(y.astype(np.int64)) if int_labels else _t(y, dtype)), {}
    return make


def _margin_perfect(lo):
    def make(rng, dtype):
        y = _pm1(rng, (4, 3))
        s = y * rng.uniform(lo, lo + 2.0, (4, 3))  # margin y·s ≥ lo: on the flat zero part
        return _t(s, dtype), _t(y, dtype), {}
    return make


def _sparsemax_example(rng, dtype):
    while True:
        x = rng.normal(scale=2.0, size=(4, 3))
        if _away(x, [-1.0, 1.0]):
            return _t(x, dtype), _t(_soft_or_hard(rng, (4, 3)), dtype), {}


def _sparsemax_perfect(rng, dtype):
    y = rng.uniform(0.1, 0.9, (4, 3))
    return _t(2 * y - 1, dtype), _t(y, dtype), {}  # sparse sigmoid (x + 1)/2 = y


_SW = {"reduction": "mean", "sample_weight": None}
_PM1 = "labels −1 or +1 (float), same shape as input; {0, 1} labels raise a ValueError (map with 2y − 1)"
_01 = ("labels in {0, 1} or soft labels in [0, 1], same shape as input; ±1 labels raise a "
       "ValueError (map with (y + 1)/2)")
_MARGIN_DOMAIN = "any real scores; targets exactly −1 or +1 (ValueError otherwise)"

# ----------------------------------------------------------------------------- entries
register(LossInfo(
    name="sigmoid_focal_loss",
    fn=B.sigmoid_focal_loss,
    module=B.SigmoidFocalLoss,
    task="binary",
    input_kind="logits",
    target_kind=_01,
    output_activation="identity (sigmoid is applied inside the loss)",
    convex=False,
    convex_conditions="convex only for γ = 0 (α-weighted BCE with logits); for γ > 0 the "
                      "modulating factor makes it concave on part of the well-classified side "
                      "(e.g. around x ≈ 3.85 for y = 0, γ = 2), although it stays monotone in "
                      "the logit for hard labels",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real logits (values and gradients finite at ±1e4); targets in [0, 1] "
           "(ValueError outside); alpha in [0, 1] or None/negative (disabled), gamma ≥ 0",
    hyperparameters={"alpha": 0.25, "gamma": 2.0, **_SW},
    latex=r"\ell(x, y) = -\alpha_t\,(1 - p_t)^{\gamma}\,\log p_t,\quad p = \sigma(x),\ "
          r"p_t = p\,y + (1 - p)(1 - y),\ \alpha_t = \alpha y + (1 - \alpha)(1 - y)",
    summary="Focal loss on logits (RetinaNet): BCE scaled by (1 − p_t)^γ so that easy, "
            "well-classified examples contribute little; for dense detection and heavy class "
            "imbalance.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.sigmoid_focal_loss (alpha=None by default; no reduction)",
                 "keras": "keras.losses.BinaryFocalCrossentropy(from_logits=True, apply_class_balancing=True)",
                 "sklearn": None},
    make_example=_focal_logit_example,
    make_perfect=_focal_logit_perfect,  # soft labels: interior minimizer; hard labels: none
    references=("Lin, Goyal, Girshick, He & Dollár (2017), Focal Loss for Dense Object Detection, ICCV",
                "torchvision.ops.sigmoid_focal_loss (default reduction 'none'; losslab: 'mean')"),
))

register(LossInfo(
    name="binary_focal_loss",
    fn=B.binary_focal_loss,
    module=B.BinaryFocalLoss,
    task="binary",
    input_kind="probabilities",
    target_kind=_01,
    output_activation="sigmoid",
    convex=True,
    convex_conditions="convex in the probability p for targets in [0, 1] (verified numerically "
                      "for γ ∈ [0, 10]); not convex in the logit",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=False,
    growth="logarithmic",
    value_range="[0, 100] per element (log clamped at −100, as PyTorch's BCE)",
    domain="input and target in [0, 1] (ValueError outside); each log is clamped at −100, so "
           "p = 0 or 1 gives a finite loss and gradient",
    hyperparameters={"alpha": 0.25, "gamma": 2.0, **_SW},
    latex=r"\ell(p, y) = -\alpha_t\,(1 - p_t)^{\gamma}\,\log p_t,\quad "
          r"p_t = p\,y + (1 - p)(1 - y)",
    summary="Focal loss on probabilities; the same loss as sigmoid_focal_loss after a sigmoid, "
            "but prefer the logit version for training (clamped logs).",
    torch_equivalent=None,
    equivalents={"optax": None,
                 "keras": "keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True) (clips p to [1e-7, 1 − 1e-7])",
                 "sklearn": None},
    make_example=_focal_prob_example,
    make_perfect=_focal_prob_perfect,
    references=("Lin et al. (2017), Focal Loss for Dense Object Detection, ICCV",
                "https://keras.io/api/losses/probabilistic_losses/#binaryfocalcrossentropy-class"),
))

register(LossInfo(
    name="hinge_loss",
    fn=B.hinge_loss,
    module=B.HingeLoss,
    task="binary",
    input_kind="scores",
    target_kind=_PM1,
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="at y·s = 1 (gradient taken as 0 there)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_MARGIN_DOMAIN,
    hyperparameters=dict(_SW),
    latex=r"\ell(s, y) = \max(0,\ 1 - y\,s)",
    summary="The SVM loss: zero once the margin y·s reaches 1, linear otherwise; gives "
            "max-margin classifiers and sparse support vectors, but no probabilities.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.hinge_loss (same; no label check)",
                 "keras": "keras.losses.Hinge (maps {0, 1} labels to ±1 silently)",
                 "sklearn": "sklearn.metrics.hinge_loss (mean over samples)"},
    make_example=_margin_example([1.0]),
    make_perfect=_margin_perfect(1.1),
    references=("Cortes & Vapnik (1995), Support-vector networks, Machine Learning 20",
                "optax.losses.hinge_loss"),
))

register(LossInfo(
    name="squared_hinge_loss",
    fn=B.squared_hinge_loss,
    module=B.SquaredHingeLoss,
    task="binary",
    input_kind="scores",
    target_kind=_PM1,
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C1",
    kinks="second derivative jumps (2 → 0) at y·s = 1",
    robust_to_outliers=False,
    growth="quadratic",
    value_range="[0, ∞)",
    domain=_MARGIN_DOMAIN,
    hyperparameters=dict(_SW),
    latex=r"\ell(s, y) = \max(0,\ 1 - y\,s)^2",
    summary="Squared hinge (L2-SVM): a hinge with a continuous gradient; quadratic growth makes "
            "mislabelled points pull hard.",
    torch_equivalent=None,
    equivalents={"optax": None,
                 "keras": "keras.losses.SquaredHinge (maps {0, 1} labels to ±1 silently)",
                 "sklearn": "sklearn.linear_model.SGDClassifier(loss='squared_hinge') (training objective)"},
    make_example=_margin_example([1.0]),
    make_perfect=_margin_perfect(1.1),
    references=("Fan, Chang, Hsieh, Wang & Lin (2008), LIBLINEAR, JMLR 9 (L2-loss SVM)",
                "keras.losses.SquaredHinge"),
))

register(LossInfo(
    name="soft_margin_loss",
    fn=B.soft_margin_loss,
    module=B.SoftMarginLoss,
    task="binary",
    input_kind="logits",
    target_kind=_PM1,
    output_activation="identity (the logistic link is inside the loss)",
    convex=True,
    convex_conditions="",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="(0, ∞)",
    domain=_MARGIN_DOMAIN + "; finite for any logit (PyTorch overflows below y·x ≈ −88.7 in "
                            "float32)",
    hyperparameters=dict(_SW),
    latex=r"\ell(x, y) = \log\left(1 + e^{-y\,x}\right)",
    summary="Logistic loss on ±1 labels (PyTorch's SoftMarginLoss): binary cross-entropy with "
            "logits written for labels −1/+1.",
    torch_equivalent="torch.nn.functional.soft_margin_loss",
    equivalents={"optax": "optax.losses.sigmoid_binary_cross_entropy (with labels (y + 1)/2)",
                 "keras": "keras.losses.BinaryCrossentropy(from_logits=True) (with labels (y + 1)/2)",
                 "sklearn": "sklearn.linear_model.SGDClassifier(loss='log_loss') (training objective)"},
    make_example=_margin_example([], int_labels=True),
    make_perfect=None,  # decreasing in y·x: the infimum 0 needs y·x → ∞
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.SoftMarginLoss.html",),
))

register(LossInfo(
    name="perceptron_loss",
    fn=B.perceptron_loss,
    module=B.PerceptronLoss,
    task="binary",
    input_kind="scores",
    target_kind=_PM1,
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="at y·s = 0 (gradient taken as 0 there)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_MARGIN_DOMAIN,
    hyperparameters=dict(_SW),
    latex=r"\ell(s, y) = \max(0,\ -y\,s)",
    summary="Perceptron criterion: zero for every correctly classified point; any separating "
            "hyperplane (and the trivial s = 0) is a minimizer.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.perceptron_loss (same)",
                 "keras": None,
                 "sklearn": "sklearn.linear_model.Perceptron (training objective)"},
    make_example=_margin_example([0.0]),
    make_perfect=_margin_perfect(0.1),
    references=("Rosenblatt (1958), The perceptron, Psychological Review 65(6)",
                "optax.losses.perceptron_loss"),
))

register(LossInfo(
    name="modified_huber_loss",
    fn=B.modified_huber_loss,
    module=B.ModifiedHuberLoss,
    task="binary",
    input_kind="scores",
    target_kind=_PM1,
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C1",
    kinks="second derivative jumps at y·s = −1 (0 → 2) and y·s = 1 (2 → 0)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_MARGIN_DOMAIN,
    hyperparameters=dict(_SW),
    latex=r"\ell(s, y) = \max(0,\ 1 - y s)^2 \text{ if } y s \ge -1, \text{ else } -4\,y s",
    summary="scikit-learn's modified Huber: a squared hinge that turns linear for badly wrong "
            "margins — smooth like the squared hinge, tolerant of label noise like the hinge.",
    torch_equivalent=None,
    equivalents={"optax": None, "keras": None,
                 "sklearn": "sklearn.linear_model.SGDClassifier(loss='modified_huber') (same function)"},
    make_example=_margin_example([-1.0, 1.0]),
    make_perfect=_margin_perfect(1.1),
    references=("Zhang (2004), Solving large scale linear prediction problems using stochastic "
                "gradient descent algorithms, ICML",
                "scikit-learn sklearn/linear_model/_sgd_fast ModifiedHuber"),
))

register(LossInfo(
    name="sparsemax_loss",
    fn=B.sparsemax_loss,
    module=B.SparsemaxLoss,
    task="binary",
    input_kind="logits",
    target_kind=_01,
    output_activation="sparse sigmoid clip((x + 1)/2, 0, 1) (applied inside the loss)",
    convex=True,
    convex_conditions="",
    smoothness="C1",
    kinks="second derivative jumps at x = ±1",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real logits; targets in [0, 1] (ValueError outside)",
    hyperparameters=dict(_SW),
    latex=r"\ell(x, y) = \left(q - y\right)^2 + (1 - y)\,\max(0, x - 1) + y\,\max(0, -1 - x),\ "
          r"q = \mathrm{clip}\!\left(\tfrac{x + 1}{2}, 0, 1\right)",
    summary="Binary sparsemax (Fenchel–Young) loss: zero once the sparse sigmoid reaches the "
            "label, so confident correct logits cost nothing; a smooth, hinge-like alternative "
            "to the logistic loss.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.sparsemax_loss (hard labels; same)", "keras": None,
                 "sklearn": None},
    make_example=_sparsemax_example,
    make_perfect=_sparsemax_perfect,
    references=("Martins & Astudillo (2016), From Softmax to Sparsemax, ICML",
                "Blondel, Martins & Niculae (2020), Learning with Fenchel-Young Losses, JMLR 21 (Sec. 4.4)"),
))
