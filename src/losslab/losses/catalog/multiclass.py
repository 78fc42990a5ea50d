"""Registry entries of the multiclass and multilabel losses of ``losses/multiclass.py``.

Convexity and smoothness are stated in the input (logits or scores) with the target and the
hyperparameters fixed, at the defaults unless ``convex_conditions`` says otherwise; they are
checked numerically by ``losses/properties.py``.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import multiclass as MC
from ..registry import LossInfo, register

N, C = 5, 4  # N ≠ C: the generic tests tell per-sample tensors from per-class ones by length


def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _labels(rng, n=N, c=C) -> Tensor:
    return Tensor(rng.integers(0, c, size=n).astype(np.int64))


def _logits_example(rng, dtype):
    return _t(rng.normal(scale=2.0, size=(N, C)), dtype), _labels(rng), {}


def _separated(rng, dtype, gap: float, floor=None):
    """Scores whose target class beats every other class by ``gap`` (and ``floor``, if given)."""
    s = rng.normal(size=(N, C))
    y = rng.integers(0, C, size=N)
    others = np.where(np.eye(C, dtype=bool)[y], -np.inf, s).max(axis=1)
    best = others if floor is None else np.maximum(others, floor)
    s[np.arange(N), y] = best + gap
    return _t(s, dtype), Tensor(y.astype(np.int64)), {}


_INDEX_HPARAMS = {"ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0, "sample_weight": None}
_NO_EQ = {"optax": None, "keras": None, "sklearn": None}
_INDEX_TARGET = "class indices in [0, C) (or ignore_index)"
_INDEX_OR_PROB_TARGET = ("class indices in [0, C) (or ignore_index), or class probabilities of "
                         "the input's shape")
_LOGITS_DOMAIN = ("any real logits, class dim 1 (0 unbatched; (N, C, d1, ...) per position); "
                  "finite for logits up to ±1e4 and beyond")
_SCORES_DOMAIN = "any real scores, class dim 1 (0 unbatched; (N, C, d1, ...) per position)"


# ----------------------------------------------------------------------------- CE family
def _focal_example(rng, dtype):
    x, y, _ = _logits_example(rng, dtype)
    return x, y, {"alpha": _t(rng.uniform(0.25, 2.0, C), dtype), "gamma": 2.0}


register(LossInfo(
    name="focal_loss",
    fn=MC.focal_loss,
    module=MC.FocalLoss,
    task="multiclass",
    input_kind="logits",
    target_kind=_INDEX_OR_PROB_TARGET,
    output_activation="identity (log_softmax is applied inside the loss)",
    convex=False,
    convex_conditions="convex only for γ = 0 (weighted cross-entropy); for γ > 0 the factor "
                      "(1 − p_y)^γ bends it (negative curvature for badly classified examples)",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_LOGITS_DOMAIN + "; γ ≥ 0, alpha ≥ 0",
    hyperparameters={"alpha": None, "gamma": 2.0, **_INDEX_HPARAMS},
    latex=r"\ell(x, y) = -\alpha_y\,(1 - p_y)^{\gamma}\log p_y,\quad p = \mathrm{softmax}(x)",
    summary="Cross-entropy that down-weights easy examples by (1 − p_y)^γ; for heavy class "
            "imbalance or many easy negatives (dense prediction).",
    torch_equivalent=None,
    equivalents={"optax": None,
                 "keras": "keras.losses.CategoricalFocalCrossentropy(from_logits=True) (alpha "
                          "default 0.25, clips p to [1e-7, 1 − 1e-7])",
                 "sklearn": None},
    make_example=_focal_example,
    make_perfect=None,  # the infimum needs p_y = 1: infinite logits
    references=("Lin et al. (2017), Focal Loss for Dense Object Detection, ICCV (arXiv:1708.02002)",
                "https://keras.io/api/losses/probabilistic_losses/#categoricalfocalcrossentropy-class"),
))


def _poly_example(rng, dtype):
    x, y, _ = _logits_example(rng, dtype)
    return x, y, {"epsilon": 2.0}


register(LossInfo(
    name="poly1_cross_entropy",
    fn=MC.poly1_cross_entropy,
    module=MC.Poly1CrossEntropyLoss,
    task="multiclass",
    input_kind="logits",
    target_kind=_INDEX_OR_PROB_TARGET,
    output_activation="identity (log_softmax is applied inside the loss)",
    convex=False,
    convex_conditions="convex iff −1 ≤ ε ≤ 1: the loss is φ(logsumexp_{j≠y} x_j − x_y) with "
                      "φ(u) = softplus(u) + ε·σ(u), and φ″ = σ(1 − σ)(1 + ε(1 − 2σ)) ≥ 0 exactly "
                      "then; not convex for the default ε = 2",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞) for ε ≥ −1",
    domain=_LOGITS_DOMAIN + "; ε ≥ −1",
    hyperparameters={"epsilon": 2.0, **_INDEX_HPARAMS},
    latex=r"\ell(x, y) = -\log p_y + \epsilon\,(1 - p_y),\quad p = \mathrm{softmax}(x)",
    summary="Cross-entropy plus ε(1 − p_y), the first term of its Taylor series re-weighted; "
            "ε > 0 pushes confident predictions harder (classification), ε = −1 softer.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.poly_loss_cross_entropy (one-hot/probability labels)",
                 "keras": None, "sklearn": None},
    make_example=_poly_example,
    make_perfect=None,  # decreasing in p_y: the infimum needs p_y = 1
    references=("Leng et al. (2022), PolyLoss: A Polynomial Expansion Perspective of Classification "
                "Loss Functions, ICLR (arXiv:2204.12511)",),
))


def _gce_example(rng, dtype):
    x, y, _ = _logits_example(rng, dtype)
    return x, y, {"q": 0.7}


register(LossInfo(
    name="generalized_cross_entropy",
    fn=MC.generalized_cross_entropy,
    module=MC.GeneralizedCrossEntropyLoss,
    task="multiclass",
    input_kind="logits",
    target_kind=_INDEX_OR_PROB_TARGET,
    output_activation="identity (log_softmax is applied inside the loss)",
    convex=False,
    convex_conditions="not convex for any q > 0: bounded by 1/q and non-constant, it flattens out "
                      "for confidently wrong predictions (cross-entropy, its q → 0 limit, is convex)",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, 1/q)",
    domain=_LOGITS_DOMAIN + "; 0 < q ≤ 1",
    hyperparameters={"q": 0.7, **_INDEX_HPARAMS},
    latex=r"\ell(x, y) = \frac{1 - p_y^{\,q}}{q},\quad p = \mathrm{softmax}(x)",
    summary="Noise-robust L_q loss between cross-entropy (q → 0) and MAE (q = 1): bounded, so "
            "mislabelled examples pull less; for training with noisy labels.",
    torch_equivalent=None,
    equivalents={"optax": None,
                 "keras": "keras.losses.CategoricalGeneralizedCrossEntropy (on probabilities; q default 0.5)",
                 "sklearn": None},
    make_example=_gce_example,
    make_perfect=None,  # decreasing in p_y: the infimum needs p_y = 1
    references=("Zhang & Sabuncu (2018), Generalized Cross Entropy Loss for Training Deep Neural "
                "Networks with Noisy Labels, NeurIPS (arXiv:1805.07836)",),
))


# ----------------------------------------------------------------------------- margins
def _mm_example(rng, dtype):
    s = rng.normal(size=(N, C))
    return _t(s, dtype), _labels(rng), {"margin": 0.8, "weight": _t(rng.uniform(0.5, 2.0, C), dtype)}


def _mm_perfect(rng, dtype):
    s, y, _ = _separated(rng, dtype, gap=0.8 + 1.0)
    return s, y, {"margin": 0.8, "weight": _t(rng.uniform(0.5, 2.0, C), dtype)}


register(LossInfo(
    name="multi_margin_loss",
    fn=MC.multi_margin_loss,
    module=MC.MultiMarginLoss,
    task="multiclass",
    input_kind="scores",
    target_kind=_INDEX_TARGET,
    output_activation="identity",
    convex=True,
    convex_conditions="convex in the scores for p = 1 and p = 2 (a sum of max(0, affine)^p)",
    smoothness="C0",
    kinks="where x_y − x_i = margin for some i ≠ y (p = 1; with p = 2 the loss is C1 and only "
          "the second derivative jumps there)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real scores, shape (C,) or (N, C); p ∈ {1, 2}",
    hyperparameters={"p": 1, "margin": 1.0, "weight": None, **_INDEX_HPARAMS},
    latex=r"\ell(x, y) = \frac{1}{C}\sum_{i \ne y} w_y \max(0,\ \mathrm{margin} - x_y + x_i)^p",
    summary="PyTorch's multi-class hinge (Weston–Watkins): every wrong class within the margin "
            "of the target class adds a hinge; an SVM-style alternative to cross-entropy.",
    torch_equivalent="torch.nn.functional.multi_margin_loss",
    equivalents={"optax": None, "keras": None,
                 "sklearn": "sklearn.metrics.hinge_loss (multiclass: Crammer–Singer, not this sum)"},
    make_example=_mm_example,
    make_perfect=_mm_perfect,
    references=("Weston & Watkins (1999), Support Vector Machines for Multi-Class Pattern Recognition, ESANN",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.MultiMarginLoss.html"),
))


register(LossInfo(
    name="multiclass_hinge_loss",
    fn=MC.multiclass_hinge_loss,
    module=MC.MulticlassHingeLoss,
    task="multiclass",
    input_kind="scores",
    target_kind=_INDEX_TARGET,
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="where 1 + max_{j≠y} s_j = s_y (the hinge) and where the largest other scores tie",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_SCORES_DOMAIN,
    hyperparameters=dict(_INDEX_HPARAMS),
    latex=r"\ell(s, y) = \max\bigl(0,\ 1 + \max_{j \ne y} s_j - s_y\bigr)",
    summary="Crammer–Singer multiclass hinge: the target score must beat the best other score "
            "by 1; the multiclass SVM loss.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.multiclass_hinge_loss (same)", "keras": None,
                 "sklearn": "sklearn.metrics.hinge_loss (multiclass, same)"},
    make_example=_logits_example,
    make_perfect=lambda rng, dtype: _separated(rng, dtype, gap=2.0),
    references=("Crammer & Singer (2001), On the Algorithmic Implementation of Multiclass Kernel-based "
                "Vector Machines, JMLR 2",),
))


register(LossInfo(
    name="categorical_hinge_loss",
    fn=MC.categorical_hinge_loss,
    module=MC.CategoricalHingeLoss,
    task="multiclass",
    input_kind="scores",
    target_kind="class indices in [0, C) (or ignore_index), or one-hot (or soft) vectors of the "
                "input's shape",
    output_activation="identity",
    convex=True,
    convex_conditions="convex in the scores for any fixed target vector (max of affine minus "
                      "affine, then max(0, ·))",
    smoothness="C0",
    kinks="where 1 + max(0, max_{j≠y} s_j) = s_y (the hinge) and where the maximum of "
          "(1 − t_c)·s_c ties (including with the 0 of the target class)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_SCORES_DOMAIN,
    hyperparameters=dict(_INDEX_HPARAMS),
    latex=r"\ell(s, t) = \max\bigl(0,\ 1 + \max_c (1 - t_c) s_c - \textstyle\sum_c t_c s_c\bigr)",
    summary="Keras's categorical hinge on one-hot targets; unlike Crammer–Singer, the target "
            "score must also reach 1 in absolute terms when all other scores are negative.",
    torch_equivalent=None,
    equivalents={"optax": None, "keras": "keras.losses.CategoricalHinge (same)", "sklearn": None},
    make_example=_logits_example,
    make_perfect=lambda rng, dtype: _separated(rng, dtype, gap=2.0, floor=0.0),
    references=("https://keras.io/api/losses/hinge_losses/#categoricalhinge-class",),
))


register(LossInfo(
    name="multiclass_perceptron_loss",
    fn=MC.multiclass_perceptron_loss,
    module=MC.MulticlassPerceptronLoss,
    task="multiclass",
    input_kind="scores",
    target_kind=_INDEX_TARGET,
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="where the largest score ties (e.g. s_y = max_{j≠y} s_j)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_SCORES_DOMAIN,
    hyperparameters=dict(_INDEX_HPARAMS),
    latex=r"\ell(s, y) = \max_c s_c - s_y",
    summary="Multiclass perceptron: the gap between the best score and the target's; zero for "
            "any correct prediction (no margin), the loss behind the perceptron algorithm.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.multiclass_perceptron_loss (same)", "keras": None,
                 "sklearn": None},
    make_example=_logits_example,
    make_perfect=lambda rng, dtype: _separated(rng, dtype, gap=1.0),
    references=("Collins (2002), Discriminative Training Methods for Hidden Markov Models: Theory and "
                "Experiments with Perceptron Algorithms, EMNLP",),
))


register(LossInfo(
    name="multiclass_sparsemax_loss",
    fn=MC.multiclass_sparsemax_loss,
    module=MC.MulticlassSparsemaxLoss,
    task="multiclass",
    input_kind="scores",
    target_kind=_INDEX_TARGET,
    output_activation="sparsemax (the loss's own link; predict with sparsemax(s))",
    convex=True,
    convex_conditions="convex (a Fenchel–Young loss)",
    smoothness="C1",
    kinks="second derivative jumps where the support of sparsemax(s) changes (the gradient "
          "sparsemax(s) − onehot(y) is continuous)",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain=_SCORES_DOMAIN,
    hyperparameters=dict(_INDEX_HPARAMS),
    latex=r"\ell(s, y) = \langle p, s - s_y \mathbf{1}\rangle + \tfrac12\bigl(1 - \lVert p\rVert^2\bigr),"
          r"\quad p = \mathrm{sparsemax}(s)",
    summary="Sparsemax loss: a convex, C1 cross-entropy analogue whose prediction sparsemax(s) "
            "has exact zeros; zero once the target leads every other score by 1.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.multiclass_sparsemax_loss (same)", "keras": None,
                 "sklearn": None},
    make_example=_logits_example,
    make_perfect=lambda rng, dtype: _separated(rng, dtype, gap=2.0),
    references=("Martins & Astudillo (2016), From Softmax to Sparsemax: A Sparse Model of Attention "
                "and Multi-Label Classification, ICML",
                "Blondel, Martins, Niculae (2020), Learning with Fenchel-Young Losses, JMLR 21"),
))


# ----------------------------------------------------------------------------- multilabel
def _label_lists(rng, n=N, c=C) -> tuple[np.ndarray, np.ndarray]:
    """Target lists padded with −1 (PyTorch's format) and the matching 0/1 membership."""
    t = np.full((n, c), -1, dtype=np.int64)
    member = np.zeros((n, c), dtype=bool)
    for i in range(n):
        k = rng.integers(1, c)  # 1 … C−1 targets
        cls = rng.permutation(c)[:k]
        t[i, :k] = cls
        member[i, cls] = True
        if k + 1 < c:
            t[i, k + 1:] = rng.integers(-1, c, size=c - k - 1)  # after the first −1: ignored
    return t, member


def _mlm_example(rng, dtype):
    t, _ = _label_lists(rng)
    return _t(rng.normal(size=(N, C)), dtype), Tensor(t), {}


def _mlm_perfect(rng, dtype):
    t, member = _label_lists(rng)
    s = rng.normal(size=(N, C))
    s = np.where(member, s + 3.0 + np.abs(s).max(), s)  # every target beats every non-target by > 1
    return _t(s, dtype), Tensor(t), {}


register(LossInfo(
    name="multilabel_margin_loss",
    fn=MC.multilabel_margin_loss,
    module=MC.MultiLabelMarginLoss,
    task="multilabel",
    input_kind="scores",
    target_kind="per sample, the target class indices padded with -1 (int64, the input's shape)",
    output_activation="identity",
    convex=True,
    convex_conditions="",
    smoothness="C0",
    kinks="where x_j − x_i = 1 for a target class j and a non-target class i",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real scores, shape (C,) or (N, C); target entries in [-1, C)",
    hyperparameters={"reduction": "mean", "sample_weight": None},
    latex=r"\ell(x, Y) = \frac{1}{C}\sum_{j \in Y}\sum_{i \notin Y}\max\bigl(0,\ 1 - (x_j - x_i)\bigr)",
    summary="PyTorch's multi-label hinge: every target class must outscore every non-target "
            "class by 1 (a ranking loss over label sets).",
    torch_equivalent="torch.nn.functional.multilabel_margin_loss",
    equivalents=dict(_NO_EQ),
    make_example=_mlm_example,
    make_perfect=_mlm_perfect,
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.MultiLabelMarginLoss.html",),
))


def _hard_or_soft(rng, shape):
    u = rng.uniform(0.0, 1.0, shape)
    return np.where(rng.random(shape) < 0.5, np.round(u), u)


def _mlsm_example(rng, dtype):
    x = rng.normal(scale=2.0, size=(N, C))
    return (_t(x, dtype), _t(_hard_or_soft(rng, (N, C)), dtype),
            {"weight": _t(rng.uniform(0.5, 2.0, C), dtype)})


def _mlsm_perfect(rng, dtype):
    y = rng.uniform(0.1, 0.9, (N, C))
    return _t(np.log(y / (1 - y)), dtype), _t(y, dtype), {"weight": _t(rng.uniform(0.5, 2.0, C), dtype)}


register(LossInfo(
    name="multilabel_soft_margin_loss",
    fn=MC.multilabel_soft_margin_loss,
    module=MC.MultiLabelSoftMarginLoss,
    task="multilabel",
    input_kind="logits",
    target_kind="labels in [0, 1] per class (0/1 for multi-label targets), same shape as input",
    output_activation="identity (sigmoid per class is applied inside the loss)",
    convex=True,
    convex_conditions="convex in the logits for targets in [0, 1] and weights ≥ 0",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real logits, classes in the last dimension; targets in [0, 1] (ValueError outside)",
    hyperparameters={"weight": None, "reduction": "mean", "sample_weight": None},
    latex=r"\ell(x, y) = -\frac{1}{C}\sum_c w_c\bigl[y_c\log\sigma(x_c) + (1 - y_c)\log\sigma(-x_c)\bigr]",
    summary="Multi-label one-vs-all logistic loss: sigmoid BCE per class, averaged over the "
            "classes (PyTorch's MultiLabelSoftMarginLoss).",
    torch_equivalent="torch.nn.functional.multilabel_soft_margin_loss",
    equivalents={"optax": "optax.losses.sigmoid_binary_cross_entropy, then a mean over classes",
                 "keras": "keras.losses.BinaryCrossentropy(from_logits=True) (averages over the last axis)",
                 "sklearn": None},
    make_example=_mlsm_example,
    make_perfect=_mlsm_perfect,
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.MultiLabelSoftMarginLoss.html",),
))
