"""Registry entries of the ranking and embedding losses (pairs, triplets, contrastive batches,
ranked lists).

The pair and triplet losses keep PyTorch's three data arguments, so their ``make_example``
returns (first tensor, second tensor, {third tensor under PyTorch's name, options}): the generic
harness calls ``fn(x, y, **kwargs)``, which is ``fn(input1, input2, target=…)`` /
``fn(anchor, positive, negative=…)`` — PyTorch's own call. Examples keep away from the kinks
(by at least 1e-3), so that finite differences see a smooth function.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import ranking as R
from ..registry import LossInfo, register


def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _away(values, kinks, gap=1e-3):
    """True when every value is at least ``gap`` from every kink location."""
    v = np.asarray(values)[..., None]
    return bool(np.all(np.abs(v - np.asarray(kinks)) > gap))


# ----------------------------------------------------------------------------- examples
def _margin_ranking_example(rng, dtype):
    while True:
        x1, x2, y = rng.normal(size=6), rng.normal(size=6), _pm1(rng, 6)
        if _away(-y * (x1 - x2) + 0.3, [0.0]):
            return _t(x1, dtype), _t(x2, dtype), {"target": _t(y, dtype), "margin": 0.3}


def _margin_ranking_perfect(rng, dtype):
    x2, y = rng.normal(size=6), _pm1(rng, 6)
    x1 = x2 + y * (0.3 + rng.uniform(0.5, 2.0, 6))  # y(x1 − x2) > margin: every hinge inactive
    return _t(x1, dtype), _t(x2, dtype), {"target": _t(y, dtype), "margin": 0.3}


def _hinge_embedding_example(rng, dtype):
    while True:
        x, y = rng.uniform(0.0, 2.0, (4, 3)), _pm1(rng, (4, 3))
        if _away(x, [0.8]):
            return _t(x, dtype), _t(y, dtype), {"margin": 0.8}


def _cos(a, b):
    eps = R.COSINE_EMBEDDING_EPS
    return (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + eps) * ((b * b).sum(-1) + eps))


def _cosine_embedding_example(rng, dtype):
    while True:
        a, b, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), _pm1(rng, 5)
        if _away(_cos(a, b), [0.2]):
            return _t(a, dtype), _t(b, dtype), {"target": _t(y, dtype), "margin": 0.2}


def _cosine_embedding_perfect(rng, dtype):
    a, y = rng.normal(size=(5, 4)), _pm1(rng, 5)
    # y = 1: b parallel to a (cos = 1, the maximum of cos); y = −1: b = −a (cos = −1 < margin)
    b = np.where(y[:, None] > 0, rng.uniform(0.5, 2.0, (5, 1)) * a, -a)
    return _t(a, dtype), _t(b, dtype), {"target": _t(y, dtype), "margin": 0.2}


def _dist(u, v, p=2.0, eps=1e-6):
    return np.linalg.norm(u - v + eps, ord=p, axis=-1)


def _triplet_example(rng, dtype):
    while True:
        a, p, n = (rng.normal(size=(5, 4)) for _ in range(3))
        dp, dn, ds = _dist(a, p), _dist(a, n), _dist(p, n)
        if _away(1.0 + dp - np.minimum(dn, ds), [0.0]) and _away(dn - ds, [0.0]):
            return _t(a, dtype), _t(p, dtype), {"negative": _t(n, dtype), "swap": True}


def _triplet_perfect(rng, dtype):
    a = rng.normal(size=(5, 4))
    p = a + 0.01 * rng.normal(size=(5, 4))
    n = a + 5.0 * rng.normal(size=(5, 4)) / np.sqrt(4)
    while not np.all(_dist(a, n) > 2.0):
        n = a + 5.0 * rng.normal(size=(5, 4)) / np.sqrt(4)
    return _t(a, dtype), _t(p, dtype), {"negative": _t(n, dtype)}  # d(a,p) + 1 < d(a,n): inactive


def _triplet_distance_example(rng, dtype):
    while True:
        a, p, n = (rng.normal(size=(5, 4)) for _ in range(3))
        dp, dn, ds = _dist(a, p), _dist(a, n), _dist(p, n)
        if _away(1.0 + dp - np.minimum(dn, ds), [0.0]) and _away(dn - ds, [0.0]):
            # swap=True: with it the loss grows linearly also when only the anchor moves (see
            # the entries' domain note); the torch tests cover swap=False in test_loss_ranking_*
            return _t(a, dtype), _t(p, dtype), {"negative": _t(n, dtype), "swap": True}


def _labels(rng, groups):
    lab = np.repeat(np.arange(len(groups)), groups)
    return lab[rng.permutation(lab.size)].astype(np.int64)


def _ntxent_example(rng, dtype):
    return (_t(rng.normal(size=(6, 3)), dtype), Tensor(_labels(rng, [2, 2, 2])),
            {"temperature": 0.5})


def _unit_cos(x):
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    return u @ u.T


def _circle_example(rng, dtype):
    while True:
        x, lab = rng.normal(size=(6, 3)), _labels(rng, [3, 2, 1])
        neg = lab[:, None] != lab[None, :]
        if _away(_unit_cos(x)[neg], [-0.3]):
            return _t(x, dtype), Tensor(lab), {"gamma": 16.0, "margin": 0.3}


def _ranking_softmax_example(rng, dtype):
    s = rng.normal(scale=2.0, size=(4, 5))
    y = rng.integers(0, 3, size=(4, 5)).astype(np.float64)
    y[:, 0] = np.maximum(y[:, 0], 1.0)  # every list has a relevant item
    return _t(s, dtype), _t(y, dtype), {}


def _ranking_softmax_perfect(rng, dtype):
    y = rng.uniform(0.5, 2.0, (4, 5))
    # ∂ℓ/∂s = (Σy)·softmax(s) − y = 0  ⇔  softmax(s) = y/Σy  ⇔  s = log y + c
    s = np.log(y) + rng.normal(size=(4, 1))
    return _t(s, dtype), _t(y, dtype), {}


# ----------------------------------------------------------------------------- entries
_TORCH_DOCS = "https://docs.pytorch.org/docs/stable/generated/torch.nn.{}.html"
_SW = {"reduction": "mean", "sample_weight": None}

register(LossInfo(
    name="margin_ranking_loss",
    fn=R.margin_ranking_loss,
    module=R.MarginRankingLoss,
    task="ranking",
    input_kind="scores",
    target_kind="±1 labels, given as the third argument `target` (PyTorch's signature "
                "(input1, input2, target)): 1 if input1 should rank higher, −1 if input2 should; "
                "the 'input' is the pair of score tensors (input1, input2)",
    output_activation="identity",
    convex=True,
    convex_conditions="convex (piecewise linear) in (input1, input2) for fixed ±1 targets",
    smoothness="C0",
    kinks="at y·(x1 − x2) = margin",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real scores of one shape; target ±1 of the same shape (ValueError otherwise)",
    hyperparameters={"margin": 0.0, **_SW},
    latex=r"\ell(x_1, x_2, y) = \max\left(0,\ -y\,(x_1 - x_2) + \text{margin}\right)",
    summary="Pairwise hinge on score differences: learn to order pairs of items (RankNet-style "
            "pairwise ranking with a margin). Three data arguments, as PyTorch.",
    torch_equivalent="torch.nn.functional.margin_ranking_loss",
    equivalents={"optax": None, "keras": None, "sklearn": None},
    make_example=_margin_ranking_example,
    make_perfect=_margin_ranking_perfect,
    references=(_TORCH_DOCS.format("MarginRankingLoss"),
                "Herbrich, Graepel, Obermayer (1999), Support vector learning for ordinal regression"),
))

register(LossInfo(
    name="hinge_embedding_loss",
    fn=R.hinge_embedding_loss,
    module=R.HingeEmbeddingLoss,
    task="ranking",
    input_kind="distances",
    target_kind="±1 labels of the input's shape (1: similar pair, −1: dissimilar pair)",
    output_activation="identity (feed a distance between the two embeddings, e.g. L1)",
    convex=True,
    convex_conditions="convex in x for fixed ±1 targets (linear for y = 1, hinge for y = −1)",
    smoothness="C0",
    kinks="at x = margin for y = −1",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞) on distances x ≥ 0; (−∞, ∞) if x may be negative (y = 1 gives x)",
    domain="x is meant to be a non-negative distance (any real accepted); target ±1 of the "
           "input's shape (ValueError otherwise)",
    hyperparameters={"margin": 1.0, **_SW},
    latex=r"\ell(x, y) = x \ \text{if}\ y = 1;\quad \max(0, \text{margin} - x)\ \text{if}\ y = -1",
    summary="Contrastive hinge on a given distance: similar pairs pulled to 0, dissimilar ones "
            "pushed beyond the margin (semi-supervised embeddings, Hadsell et al. style).",
    torch_equivalent="torch.nn.functional.hinge_embedding_loss",
    equivalents={"optax": None, "keras": None, "sklearn": None},
    make_example=_hinge_embedding_example,
    make_perfect=None,  # linear in x for y = 1: on the reals no minimum; on distances at x = 0, a boundary
    references=(_TORCH_DOCS.format("HingeEmbeddingLoss"),
                "Hadsell, Chopra, LeCun (2006), Dimensionality reduction by learning an invariant "
                "mapping, CVPR"),
))

register(LossInfo(
    name="cosine_embedding_loss",
    fn=R.cosine_embedding_loss,
    module=R.CosineEmbeddingLoss,
    task="ranking",
    input_kind="embeddings",
    target_kind="±1 labels, one per pair (shape (N,)), given as the third argument `target` "
                "(PyTorch's signature (input1, input2, target)); the 'input' is the pair of "
                "embedding batches",
    output_activation="identity",
    convex=False,
    convex_conditions="not convex (cosine similarity is not)",
    smoothness="C0",
    kinks="at cos(x1, x2) = margin for y = −1",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, 2]",
    domain="embeddings (N, D) or (D,), any real (zero vectors give cos = 0 through PyTorch's "
           "ε = 1e-12 on the squared norms); target ±1 (ValueError otherwise)",
    hyperparameters={"margin": 0.0, **_SW},
    latex=r"\ell = 1 - \cos(x_1, x_2)\ \text{if}\ y = 1;\quad \max(0, \cos(x_1, x_2) - "
          r"\text{margin})\ \text{if}\ y = -1",
    summary="Pulls similar pairs of embeddings to the same direction and pushes dissimilar "
            "ones below a cosine margin; scale-invariant. Three data arguments, as PyTorch.",
    torch_equivalent="torch.nn.functional.cosine_embedding_loss",
    equivalents={"optax": None, "keras": None, "sklearn": None},
    make_example=_cosine_embedding_example,
    make_perfect=_cosine_embedding_perfect,
    references=(_TORCH_DOCS.format("CosineEmbeddingLoss"),),
))

register(LossInfo(
    name="triplet_margin_loss",
    fn=R.triplet_margin_loss,
    module=R.TripletMarginLoss,
    task="ranking",
    input_kind="embeddings",
    target_kind="none: the data are three embedding batches (anchor, positive, negative) in "
                "PyTorch's order; 'target' is the positive batch and the negative batch is the "
                "third argument",
    output_activation="identity",
    convex=False,
    convex_conditions="not convex in (anchor, positive, negative): −d(a, n) is concave "
                      "(convex in the positive alone)",
    smoothness="C0",
    kinks="where margin + d(a, p) = d(a, n); with swap where d(a, n) = d(p, n); for p = 1 or "
          "inf also where a coordinate difference + eps is 0 or tied",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="embeddings of one shape (N, D) or (D,), any real; margin > 0, p > 0. Growth is "
           "linear in the positive (an outlier positive pulls linearly); when only the anchor "
           "moves it is linear with swap and bounded by margin + d(p, n) without (triangle "
           "inequality)",
    hyperparameters={"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False, **_SW},
    latex=r"\ell(a, p, n) = \max\left(0,\ \text{margin} + \lVert a - p + \epsilon\rVert_p - "
          r"\lVert a - n + \epsilon\rVert_p\right)",
    summary="Metric learning on triplets: the anchor must be closer to the positive than to the "
            "negative by a margin (FaceNet); mine hard triplets for it to learn.",
    torch_equivalent="torch.nn.functional.triplet_margin_loss",
    equivalents={"optax": "optax.losses.triplet_margin_loss (eps added to Σ|d|^p inside the "
                          "root rather than to the difference; no swap)",
                 "keras": None, "sklearn": None},
    make_example=_triplet_example,
    make_perfect=_triplet_perfect,
    references=(_TORCH_DOCS.format("TripletMarginLoss"),
                "Schroff, Kalenichenko, Philbin (2015), FaceNet, CVPR",
                "Balntas et al. (2016), Learning local feature descriptors with triplets and "
                "shallow convolutional neural networks, BMVC (distance swap)"),
))

register(LossInfo(
    name="triplet_margin_with_distance_loss",
    fn=R.triplet_margin_with_distance_loss,
    module=R.TripletMarginWithDistanceLoss,
    task="ranking",
    input_kind="embeddings",
    target_kind="none: three embedding batches (anchor, positive, negative) in PyTorch's order; "
                "'target' is the positive batch and the negative batch is the third argument",
    output_activation="identity",
    convex=False,
    convex_conditions="not convex with the default (Euclidean) distance; in general as the "
                      "distance function allows",
    smoothness="C0",
    kinks="where margin + d(a, p) = d(a, n) (and where d(a, n) = d(p, n) with swap), plus the "
          "distance function's own kinks",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞) for a non-negative distance",
    domain="embeddings accepted by distance_function (default: one shape (N, D)); margin > 0. "
           "With a metric, growth is linear in the positive; when only the anchor moves it is "
           "linear with swap and bounded by margin + d(p, n) without (triangle inequality)",
    hyperparameters={"distance_function": None, "margin": 1.0, "swap": False, **_SW},
    latex=r"\ell(a, p, n) = \max\left(0,\ \text{margin} + d(a, p) - d(a, n)\right)",
    summary="Triplet margin loss with any differentiable distance (cosine, learned metrics); "
            "the default is the Euclidean pairwise distance.",
    torch_equivalent="torch.nn.functional.triplet_margin_with_distance_loss",
    equivalents={"optax": None, "keras": None, "sklearn": None},
    make_example=_triplet_distance_example,
    make_perfect=_triplet_perfect,
    references=(_TORCH_DOCS.format("TripletMarginWithDistanceLoss"),),
))

register(LossInfo(
    name="ntxent_loss",
    fn=R.ntxent_loss,
    module=R.NTXentLoss,
    task="ranking",
    input_kind="embeddings",
    target_kind="integer group labels (N,): samples with equal labels are positive pairs",
    output_activation="identity (the loss L2-normalises through cosine similarity)",
    convex=False,
    convex_conditions="not convex in the embeddings",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, Σ_j log(1 + |N(i)|·e^{2/τ})] per anchor (bounded: cosines lie in [−1, 1])",
    domain="a batch of embeddings (N, D), any real; squared norms below machine ε are clipped "
           "(optax), so C∞ holds for ‖xᵢ‖² > ε; temperature > 0",
    hyperparameters={"temperature": 0.07, **_SW},
    latex=r"\ell_i = \sum_{j \in P(i)} -\log\frac{e^{s_{ij}/\tau}}{e^{s_{ij}/\tau} + "
          r"\sum_{k \in N(i)} e^{s_{ik}/\tau}},\quad s = \cos",
    summary="SimCLR's contrastive loss: each positive pair must out-score the anchor's negatives "
            "in a temperature softmax; batch-coupled (needs positives and negatives in the batch).",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.ntxent (same; optax returns only the mean over positive "
                          "pairs)",
                 "keras": None, "sklearn": None},
    make_example=_ntxent_example,
    make_perfect=None,  # softplus > 0: the infimum 0 is approached only as s_ij − s_ik → ∞
    references=("Chen et al. (2020), A simple framework for contrastive learning of visual "
                "representations (SimCLR), ICML",
                "optax.losses.ntxent (optax/losses/_self_supervised.py)"),
    batch_coupled=True,  # in-batch negatives
))

register(LossInfo(
    name="circle_loss",
    fn=R.circle_loss,
    module=R.CircleLoss,
    task="ranking",
    input_kind="embeddings",
    target_kind="integer class labels (N,): pairs with equal labels are positives, others "
                "negatives",
    output_activation="identity (cosine similarity is taken inside)",
    convex=False,
    convex_conditions="not convex in the embeddings",
    smoothness="C0",
    kinks="where a negative pair's cosine similarity equals −margin (α_n = [s_n + m]₊); also "
          "where a positive pair's equals 1 + margin (unreachable for margin > 0)",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, ∞), bounded for a given batch and γ (similarities lie in [−1, 1])",
    domain="a batch of embeddings (N, D), any real (normalised inside; squared norms clipped "
           "at machine ε); gamma > 0",
    hyperparameters={"gamma": 80.0, "margin": 0.4, "detach_weights": False, **_SW},
    latex=r"\ell_i = \log\Big[1 + \sum_{n} e^{\gamma \alpha_n (s_n - m)} \sum_{p} "
          r"e^{-\gamma \alpha_p (s_p - 1 + m)}\Big],\ \alpha_p = [1 + m - s_p]_+,\ "
          r"\alpha_n = [s_n + m]_+",
    summary="Pair-similarity loss with self-paced weights: each similarity is pushed in "
            "proportion to how far it is from its optimum (face recognition, re-identification).",
    torch_equivalent=None,
    equivalents={"optax": None,
                 "keras": "keras.losses.Circle (same on L2-normalised embeddings; the class "
                          "averages over anchors with a non-zero loss, as 'mean' here)",
                 "sklearn": None},
    make_example=_circle_example,
    make_perfect=None,  # softplus > 0: the infimum 0 is approached only as γ·gap → ∞
    references=("Sun et al. (2020), Circle loss: a unified perspective of pair similarity "
                "optimization, CVPR",
                "keras.losses.circle (keras/src/losses/losses.py)"),
    batch_coupled=True,  # in-batch negatives
))

register(LossInfo(
    name="ranking_softmax_loss",
    fn=R.ranking_softmax_loss,
    module=R.RankingSoftmaxLoss,
    task="ranking",
    input_kind="scores",
    target_kind="relevance labels ≥ 0 per item (binary or graded), the scores' shape (…, L)",
    output_activation="identity (softmax over each list is applied inside)",
    convex=True,
    convex_conditions="convex in the scores for labels ≥ 0",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞)",
    domain="any real scores (…, L); labels ≥ 0 (ValueError otherwise); optional bool where "
           "mask and per-item weights",
    hyperparameters={"where": None, "weights": None, **_SW},
    latex=r"\ell(s, y) = -\sum_i y_i \log\frac{e^{s_i}}{\sum_j e^{s_j}}",
    summary="Listwise learning to rank: softmax cross-entropy between the item scores of a list "
            "and its relevance labels (ListNet/rax softmax loss).",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.ranking_softmax_loss (same; reduce_fn=mean returns 0 "
                          "rather than nan when every list is masked)",
                 "keras": None, "sklearn": None},
    make_example=_ranking_softmax_example,
    make_perfect=_ranking_softmax_perfect,
    references=("Cao et al. (2007), Learning to rank: from pairwise approach to listwise approach "
                "(ListNet), ICML",
                "optax.losses.ranking_softmax_loss (optax/losses/_ranking.py); rax.softmax_loss"),
))
