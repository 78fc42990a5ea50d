"""Registry entries of the distribution family: ``kl_div`` (PyTorch's), the generalized KL
divergence on unnormalized measures (optax's) and the Jensen–Shannon divergence.

Examples draw log-probabilities as ``log_softmax`` of random logits and strictly positive
targets (Dirichlet or Gamma draws), so that every gradient, the target's included, is defined.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import distribution as D
from ..registry import LossInfo, register

_SW = {"sample_weight": None}
_SHAPE = (4, 3)


def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _distributions(rng) -> np.ndarray:
    return rng.dirichlet(np.ones(_SHAPE[-1]), size=_SHAPE[:-1])


def _with_target(rng, dtype, logp: np.ndarray, q: np.ndarray):
    log_target = bool(rng.random() < 0.5)
    tgt = np.log(q) if log_target else q
    return _t(logp, dtype), _t(tgt, dtype), {"log_target": log_target}


def _kl_example(rng, dtype):
    return _with_target(rng, dtype, _log_softmax(rng.normal(scale=1.5, size=_SHAPE)), _distributions(rng))


def _js_perfect(rng, dtype):
    q = _distributions(rng)
    return _with_target(rng, dtype, np.log(q), q)


def _gkl_example(rng, dtype):
    return (_t(rng.normal(scale=0.7, size=_SHAPE), dtype), _t(rng.gamma(2.0, 0.5, _SHAPE), dtype), {})


def _gkl_perfect(rng, dtype):
    y = rng.gamma(2.0, 0.5, _SHAPE) + 0.05
    return _t(np.log(y), dtype), _t(y, dtype), {}


register(LossInfo(
    name="kl_div",
    fn=D.kl_div,
    module=D.KLDivLoss,
    task="distribution",
    input_kind="log-probabilities",
    target_kind="probabilities in [0, 1] (log-probabilities ≤ 0 with log_target=True), same shape as input",
    output_activation="log_softmax",
    convex=True,
    convex_conditions="linear (hence convex) in the log-probabilities",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="(−∞, ∞) per element; Σ per sample ≥ 0 when input and target are normalized",
    domain="input: log-probabilities (not checked; the loss is linear in it, unbounded below off "
           "the simplex); target in [0, 1] (or ≤ 0 with log_target=True), ValueError otherwise; "
           "target entries 0 contribute 0",
    hyperparameters={"reduction": "mean", "log_target": False, **_SW},
    latex=r"\ell(x, y) = y\,(\log y - x)",
    summary="KL(target ‖ prediction) on log-probabilities, elementwise as PyTorch's; use "
            "reduction='batchmean' for the divergence per sample (distillation, VAEs).",
    torch_equivalent="torch.nn.functional.kl_div",
    equivalents={"optax": "optax.losses.kl_divergence / kl_divergence_with_log_targets (summed over the last axis)",
                 "keras": "keras.losses.KLDivergence (probabilities as input, clipped to [1e-7, 1]; "
                          "summed over the last axis)",
                 "sklearn": None},
    make_example=_kl_example,
    make_perfect=None,  # linear in the input: stationary only on the simplex, not in input space
    references=("Kullback & Leibler (1951), On Information and Sufficiency, Ann. Math. Statist. 22(1)",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.KLDivLoss.html"),
))

register(LossInfo(
    name="generalized_kl_divergence",
    fn=D.generalized_kl_divergence,
    module=D.GeneralizedKLDivergence,
    task="distribution",
    input_kind="log-rates",
    target_kind="a non-negative measure (need not sum to 1), same shape as input",
    output_activation="identity (log-intensities; exp is applied inside) — or softplus/exp with log_input=False",
    convex=True,
    convex_conditions="convex in the log-intensities (log_input=True) and in the intensities (log_input=False)",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=False,
    growth="exponential",
    value_range="[0, ∞)",
    domain="log-intensities: any real (exp overflows above 709); intensities ≥ 0 with "
           "log_input=False; target ≥ 0 (ValueError otherwise), entries 0 contribute x",
    hyperparameters={"reduction": "mean", "log_input": True, "dim": -1, **_SW},
    latex=r"\ell(x, y) = \sum_i y_i \log\frac{y_i}{x_i} - y_i + x_i",
    summary="KL divergence for unnormalized positive measures (the I-divergence of NMF); 0 "
            "exactly at x = y, no normalization needed.",
    torch_equivalent=None,
    equivalents={"optax": "optax.losses.generalized_kl_divergence (same: log-predictions, summed over the last axis)",
                 "keras": None, "sklearn": "sklearn.decomposition.NMF(beta_loss='kullback-leibler') (its objective)"},
    make_example=_gkl_example,
    make_perfect=_gkl_perfect,
    references=("Lee & Seung (2001), Algorithms for Non-negative Matrix Factorization, NIPS",
                "Boyd & Vandenberghe (2004), Convex Optimization, p. 90",
                "optax optax.losses.generalized_kl_divergence"),
))

register(LossInfo(
    name="js_divergence",
    fn=D.js_divergence,
    module=D.JSDivergence,
    task="distribution",
    input_kind="log-probabilities",
    target_kind="probabilities in [0, 1] (log-probabilities ≤ 0 with log_target=True), same shape as input",
    output_activation="log_softmax",
    convex=False,
    convex_conditions="convex in the probabilities exp(input), not in the log-probabilities",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers=True,
    growth="bounded",
    value_range="[0, log 2] per distribution",
    domain="input: log-probabilities along dim (renormalized with log_softmax, so logits work "
           "too; −inf allowed); target in [0, 1] (or ≤ 0 with log_target=True), ValueError otherwise",
    hyperparameters={"reduction": "mean", "log_target": False, "dim": -1, **_SW},
    latex=r"\ell(p, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m),\ m = \tfrac12(p + q)",
    summary="Symmetric, bounded (≤ log 2) divergence between distributions; finite even for "
            "disjoint supports, where KL is infinite.",
    torch_equivalent=None,
    equivalents={"optax": None, "keras": None,
                 "sklearn": None},
    make_example=_kl_example,
    make_perfect=_js_perfect,
    references=("Lin (1991), Divergence measures based on the Shannon entropy, IEEE Trans. Inf. Theory 37(1)",),
))
