"""Registry entries of the segmentation losses (soft Dice, Tversky, generalized Dice).

Their minimum (0, at a prediction equal to a hard target mask) lies on the boundary of
[0, 1]ⁿ, where the gradient is not zero, so ``make_perfect`` is None; the test module checks
that minimum directly (loss 0 at p = t, and no feasible perturbation lowers it).
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import segmentation as S
from ..registry import LossInfo, register


def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _mask_example(rng, dtype, kwargs=None):
    """Probabilities (N=4, 6 pixels) and a hard target mask with at least one positive pixel
    per sample."""
    p = rng.uniform(0.05, 0.95, (4, 6))
    t = (rng.random((4, 6)) < 0.4).astype(float)
    t[np.arange(4), rng.integers(0, 6, 4)] = 1.0
    return _t(p, dtype), _t(t, dtype), dict(kwargs or {})


def _dice_example(rng, dtype):
    return _mask_example(rng, dtype)


def _tversky_example(rng, dtype):
    return _mask_example(rng, dtype, {"alpha": 0.3, "beta": 0.7})


def _gdl_example(rng, dtype):
    """Softmax probabilities (N=3, C=3, 5 pixels) and one-hot targets in which every class is
    present in every sample."""
    z = rng.normal(scale=1.5, size=(3, 3, 5))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 3, (3, 5))
    labels[:, :3] = np.stack([rng.permutation(3) for _ in range(3)])
    t = (labels[:, None, :] == np.arange(3)[None, :, None]).astype(float)
    return _t(p, dtype), _t(t, dtype), {}


_SEG_HPARAMS = {"smooth": 1.0, "eps": 1e-7, "from_logits": False, "class_dim": None,
                "reduction": "mean", "sample_weight": None}
_MASK = ("mask values in [0, 1] (hard {0, 1} or soft; one-hot along class_dim for several "
         "classes), same shape as input; −1 raises a ValueError")
_NONCONVEX = ("a ratio of affine functions of p (linear-fractional): neither convex nor concave "
              "along general lines")

register(LossInfo(
    name="dice_loss",
    fn=S.dice_loss,
    module=S.DiceLoss,
    task="segmentation",
    input_kind="probabilities",
    target_kind=_MASK,
    output_activation="sigmoid (softmax over class_dim for several classes); from_logits=True "
                      "applies it inside the loss",
    convex=False,
    convex_conditions=_NONCONVEX,
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, 1]",
    domain="input probabilities in [0, 1] (ValueError outside) of shape (N, *), or logits with "
           "from_logits=True; smooth ≥ 0, eps > 0",
    hyperparameters=dict(_SEG_HPARAMS),
    latex=r"\ell(p, t) = 1 - \frac{2\sum_i p_i t_i + s}{\sum_i p_i + \sum_i t_i + s}",
    summary="Soft Dice loss per sample: one minus the overlap of predicted and target masks; "
            "insensitive to the size of the background, for segmentation of small structures.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.binary_dice_loss (apply_sigmoid=False; its smooth s is losslab's 2s)",
                 "keras": "keras.losses.Dice (no smoothing, ε = 1e-7; pools the whole batch)",
                 "sklearn": None},
    make_example=_dice_example,
    make_perfect=None,  # minimum 0 at p = t on the boundary of [0, 1]^n (non-zero gradient)
    references=("Milletari, Navab & Ahmadi (2016), V-Net: Fully Convolutional Neural Networks for "
                "Volumetric Medical Image Segmentation, 3DV",
                "Dice (1945), Measures of the amount of ecologic association between species, Ecology 26"),
))

register(LossInfo(
    name="tversky_loss",
    fn=S.tversky_loss,
    module=S.TverskyLoss,
    task="segmentation",
    input_kind="probabilities",
    target_kind=_MASK,
    output_activation="sigmoid (softmax over class_dim for several classes); from_logits=True "
                      "applies it inside the loss",
    convex=False,
    convex_conditions=_NONCONVEX,
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, 1]",
    domain="input probabilities in [0, 1] (ValueError outside) of shape (N, *), or logits with "
           "from_logits=True; alpha, beta ≥ 0 not both 0; smooth ≥ 0, eps > 0",
    hyperparameters={"alpha": 0.5, "beta": 0.5, **_SEG_HPARAMS},
    latex=r"\ell(p, t) = 1 - \frac{\sum_i p_i t_i + s/2}{\sum_i p_i t_i + \alpha \sum_i p_i (1 - t_i) "
          r"+ \beta \sum_i (1 - p_i) t_i + s/2}",
    summary="Tversky loss: Dice with separate weights for false positives (α) and false "
            "negatives (β); β > α trades precision for recall on small lesions. α = β = ½ is Dice.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.dice_loss(alpha, beta, apply_softmax=False) (its smooth s is losslab's 2s)",
                 "keras": "keras.losses.Tversky (no smoothing; pools the batch; its alpha multiplies the false negatives)",
                 "sklearn": None},
    make_example=_tversky_example,
    make_perfect=None,  # minimum 0 at p = t on the boundary of [0, 1]^n (non-zero gradient)
    references=("Salehi, Erdogmus & Gholipour (2017), Tversky loss function for image segmentation "
                "using 3D fully convolutional deep networks, MLMI",
                "Tversky (1977), Features of similarity, Psychological Review 84(4)"),
))

register(LossInfo(
    name="generalized_dice_loss",
    fn=S.generalized_dice_loss,
    module=S.GeneralizedDiceLoss,
    task="segmentation",
    input_kind="probabilities",
    target_kind="one-hot (or soft) class masks along class_dim, values in [0, 1], same shape as "
                "input (N, C, *)",
    output_activation="softmax over class_dim; from_logits=True applies it inside the loss",
    convex=False,
    convex_conditions=_NONCONVEX + " (the weights depend on the target only)",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, 1]",
    domain="input probabilities in [0, 1] of shape (N, C, *) (ValueError outside), or logits "
           "with from_logits=True; smooth ≥ 0, eps > 0",
    hyperparameters={"smooth": 1e-5, "eps": 1e-7, "from_logits": False, "class_dim": 1,
                     "reduction": "mean", "sample_weight": None},
    latex=r"\ell(p, r) = 1 - \frac{2\sum_c w_c \sum_i r_{ci} p_{ci} + s}{\sum_c w_c \sum_i "
          r"(r_{ci} + p_{ci}) + s},\quad w_c = \frac{1}{(\sum_i r_{ci})^2 + \epsilon}",
    summary="Generalized Dice (Sudre et al.): multi-class Dice with class weights 1/(volume)², "
            "so small classes count as much as large ones; for highly unbalanced segmentation.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.multiclass_generalized_dice_loss (differs: a weighted mean "
                          "of per-class Dice losses)",
                 "keras": None, "sklearn": None},
    make_example=_gdl_example,
    make_perfect=None,  # minimum 0 at p = r on the boundary of [0, 1]^n (non-zero gradient)
    references=("Sudre, Li, Vercauteren, Ourselin & Cardoso (2017), Generalised Dice overlap as a "
                "deep learning loss function for highly unbalanced segmentations, DLMIA",
                "Crum, Camara & Hill (2006), Generalized overlap measures for evaluation and "
                "validation in medical image analysis, IEEE TMI 25(11)"),
))
