"""Registry entry of the sequence loss (CTC).

``ctc_loss`` keeps PyTorch's signature ``(log_probs, targets, input_lengths, target_lengths)``, so
``make_example`` returns (log_probs, targets, {input_lengths, target_lengths}): the generic
harness's ``fn(x, y, **kwargs)`` is PyTorch's own call.
"""
from __future__ import annotations

import numpy as np

from ...autograd.tensor import Tensor
from .. import sequence as S
from ..registry import LossInfo, register


def _log_softmax_classes(z):
    return z.log_softmax(dim=-1)


def _ctc_example(rng, dtype):
    t_max, n, c = 8, 3, 5
    z = rng.normal(scale=1.5, size=(t_max, n, c))
    logp = z - np.max(z, axis=2, keepdims=True)
    logp = logp - np.log(np.sum(np.exp(logp), axis=2, keepdims=True))
    in_len = np.array([8, 6, 5])
    tg_len = np.array([4, 2, 0])
    targets = rng.integers(1, c, size=(n, 4))  # blank 0 never in a target
    targets[0, 1] = targets[0, 0]  # a repeated label: the alignment needs a blank between them
    return (Tensor(logp.astype(dtype)), Tensor(targets.astype(np.int64)),
            {"input_lengths": Tensor(in_len.astype(np.int64)),
             "target_lengths": Tensor(tg_len.astype(np.int64))})


register(LossInfo(
    name="ctc_loss",
    fn=S.ctc_loss,
    module=S.CTCLoss,
    task="sequence",
    input_kind="log-probabilities",
    target_kind="label sequences without the blank: (N, S) padded or 1-D concatenated class "
                "indices, with input_lengths and target_lengths (N,) as further arguments "
                "(PyTorch's signature (log_probs, targets, input_lengths, target_lengths))",
    output_activation="log_softmax over the class dimension (dim 2 of (T, N, C))",
    convex=False,
    convex_conditions="concave in log_probs (−logsumexp over alignments of sums of log_probs); "
                      "not convex in the logits either, except when a single alignment exists",
    smoothness="Cinf",
    kinks="none",
    robust_to_outliers="partial",
    growth="linear",
    value_range="[0, ∞) on normalised log-probabilities",
    domain="log_probs (T, N, C) or (T, C), normalised over C (not checked; the gradient assumes "
           "log_softmax outputs, as PyTorch); targets in [0, C) without blank; each target must "
           "fit its input (L + repeats ≤ T_n) unless zero_infinity",
    hyperparameters={"blank": 0, "reduction": "mean", "zero_infinity": False, "sample_weight": None},
    latex=r"\ell_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(l_n)} \prod_{t=1}^{T_n} y^t_{\pi_t}",
    summary="Sequence labelling without alignments (speech, handwriting): −log of the total "
            "probability of every frame labelling that collapses to the target.",
    torch_equivalent="torch.nn.functional.ctc_loss",
    equivalents={"optax": "optax.losses.ctc_loss (logits and paddings instead of log-probs and "
                          "lengths; log_epsilon instead of −inf; no reduction)",
                 "keras": "keras.losses.CTC (blank fixed at 0; logits, label length from padding)",
                 "sklearn": None},
    make_example=_ctc_example,
    make_perfect=None,  # the infimum 0 needs log-probabilities 0 and −inf
    references=("Graves, Fernández, Gomez, Schmidhuber (2006), Connectionist temporal "
                "classification, ICML",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.CTCLoss.html"),
    # PyTorch's CTC backward (and ours) assumes normalised log-probabilities: check it through
    # log_softmax so that finite differences stay on that manifold
    gradcheck_transform=_log_softmax_classes,
))
