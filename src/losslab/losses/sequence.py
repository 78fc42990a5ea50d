"""Sequence losses: Connectionist Temporal Classification (CTC).

``ctc_loss`` is PyTorch's ``F.ctc_loss`` — same arguments, values, gradients and ``'mean'`` rule —
computed by a fused primitive, :class:`CTCNegLogLikelihood`: a log-space forward (α) pass for the
loss and a backward (β) pass for the gradient (Graves et al. 2006), vectorised over the batch and
the extended label positions with NumPy, looping over time only.

Why fused: the loss is −log of a sum over exponentially many alignments. Composed from engine ops
the dynamic programme would record T·(2S + 1) nodes per sequence; the forward–backward recursion
gives the posterior of every (time, label) state at once, and with it the gradient in O(T·S).
The primitive is tested against a composed log-space recursion and against PyTorch.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayOps, Function
from ..autograd.tensor import Tensor
from ._reduction import as_input, check_reduction, reduce
from .modules import _Loss

__all__ = ["ctc_loss", "CTCLoss", "CTCNegLogLikelihood"]


# ----------------------------------------------------------------------------- the primitive
def _extended_labels(targets: np.ndarray, target_lengths: np.ndarray, blank: int) -> np.ndarray:
    """l' of each sequence: blank, l₁, blank, l₂, …, l_L, blank — padded with blanks to 2·S + 1."""
    n, s_max = targets.shape
    ext = np.full((n, 2 * s_max + 1), blank, dtype=np.int64)
    k = np.arange(s_max)
    ext[:, 1::2] = np.where(k[None, :] < target_lengths[:, None], targets, blank)
    return ext


def _shift(a: np.ndarray, k: int, fill=-np.inf) -> np.ndarray:
    """a moved k positions along the last axis (k > 0: to the right), filled with ``fill``."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _alpha(lp: np.ndarray, ext: np.ndarray, in_len: np.ndarray, tg_len: np.ndarray):
    """Log-space forward variables α (PyTorch's convention: α_t(s) includes the emission
    log-probability y_t(l'_s)) and the log-likelihood of each sequence.

    lp: (T, N, C) float64 log-probabilities; ext: (N, S') extended labels.
    Returns (log_alpha (T, N, S'), lp_ext (T, N, S') = log y_t(l'_s), skip (N, S') — whether the
    transition s−2 → s exists —, loglik (N,), −inf where no alignment exists). α after a
    sequence's end, and at states past its final blank, is computed but never used.
    """
    t_max, n, _ = lp.shape
    s_ext = ext.shape[1]
    lp_ext = lp[:, np.arange(n)[:, None], ext]
    s_idx = np.arange(s_ext)
    ext_prev2 = np.full_like(ext, -1)
    ext_prev2[:, 2:] = ext[:, :-2]
    # the skip s−2 → s exists when l'_s is a label (odd s) that differs from l'_{s−2}
    skip = (ext != ext_prev2) & (s_idx[None, :] % 2 == 1)
    last = 2 * tg_len  # index of the final blank of each sequence

    log_alpha = np.full((t_max, n, s_ext), -np.inf)
    if t_max > 0:
        a0 = np.full((n, s_ext), -np.inf)
        a0[:, 0] = lp_ext[0, :, 0]
        if s_ext > 1:
            a0[:, 1] = np.where(tg_len > 0, lp_ext[0, :, 1], -np.inf)
        log_alpha[0] = a0
        for t in range(1, t_max):
            prev = log_alpha[t - 1]
            two = np.where(skip, _shift(prev, 2), -np.inf)
            # np.logaddexp: log(eᵃ + eᵇ) without overflow, and −inf when both are −inf
            log_alpha[t] = lp_ext[t] + np.logaddexp(np.logaddexp(prev, _shift(prev, 1)), two)

    # the alignment ends in the final blank or in the last label at t = T_n − 1
    if t_max > 0:
        rows = np.arange(n)
        t_end = np.maximum(in_len - 1, 0)
        end_blank = log_alpha[t_end, rows, last]
        end_label = np.where(tg_len > 0, log_alpha[t_end, rows, np.maximum(last - 1, 0)], -np.inf)
        loglik = np.logaddexp(end_blank, end_label)
    else:
        loglik = np.full(n, -np.inf)
    # an empty input aligns only with an empty target (probability 1)
    loglik = np.where(in_len == 0, np.where(tg_len == 0, 0.0, -np.inf), loglik)
    return log_alpha, lp_ext, skip, loglik


def _beta(lp_ext: np.ndarray, skip: np.ndarray, in_len: np.ndarray, tg_len: np.ndarray):
    """Log-space backward variables β (including y_t(l'_s), PyTorch's convention), started at
    each sequence's own last frame T_n − 1; −inf after it and at states past the final blank."""
    t_max, n, s_ext = lp_ext.shape
    s_idx = np.arange(s_ext)
    last = 2 * tg_len
    valid_s = s_idx[None, :] <= last[:, None]
    ends = (s_idx[None, :] == last[:, None]) | ((s_idx[None, :] == last[:, None] - 1) & (tg_len[:, None] > 0))
    skip_next = _shift(skip, -2, fill=False)  # β: the skip s → s+2 exists when skip[s+2]
    log_beta = np.full((t_max, n, s_ext), -np.inf)
    nxt = np.full((n, s_ext), -np.inf)
    for t in range(t_max - 1, -1, -1):
        rec = lp_ext[t] + np.logaddexp(np.logaddexp(nxt, _shift(nxt, -1)),
                                       np.where(skip_next, _shift(nxt, -2), -np.inf))
        init = np.where(ends, lp_ext[t], -np.inf)
        here = (t == in_len - 1)[:, None]
        inside = (t < in_len - 1)[:, None]
        log_beta[t] = nxt = np.where(here, init, np.where(inside & valid_s, rec, -np.inf))
    return log_beta


class CTCNegLogLikelihood(Function):
    """CTC negative log-likelihood per sequence, −log Σ_{alignments π ↦ l} Π_t y_t(π_t).

    Forward: α_t(s) = y_t(l'_s) · (α_{t−1}(s) + α_{t−1}(s−1) + [skip] α_{t−1}(s−2)) in log
    space, ``np.logaddexp`` (log(eᵃ + eᵇ) without overflow) in place of the sums.

    Backward (PyTorch's convention): with β the backward variables and γ_t(c) the posterior of
    emitting class c at time t, Σ_{s: l'_s = c} α_t(s)β_t(s) / (y_t(c) · p(l|x)),

        ∂/∂ log_probs[t, n, c] = grad[n] · (exp(log_probs[t, n, c]) − γ_t(c))   for t < T_n
                               = 0                                              for t ≥ T_n

    This is the gradient with respect to the *logits* z of ``log_probs = log_softmax(z)`` (the
    derivative of the loss with respect to log_probs itself is −γ; log_softmax's backward maps
    both to exp(lp) − γ). PyTorch returns exactly this; composed with ``log_softmax`` it is the
    true gradient (gradcheck passes through log_softmax, not on log_probs alone).

    Options: ``targets`` (N, S) int64 padded, ``input_lengths`` and ``target_lengths`` (N,),
    ``blank``, ``zero_infinity`` (infinite losses and their gradients become 0).
    """

    def forward(self, log_probs, targets=None, input_lengths=None, target_lengths=None, blank=0,
                zero_infinity=False):
        lp = log_probs.astype(np.float64, copy=False)
        ext = _extended_labels(targets, target_lengths, blank)
        la, lp_ext, skip, loglik = _alpha(lp, ext, input_lengths, target_lengths)
        nll = -loglik
        inf = ~np.isfinite(nll)
        if zero_infinity:
            nll = np.where(inf, 0.0, nll)
        self.save_for_backward(log_probs)
        self.cache = (la, lp_ext, skip, ext, loglik, inf, input_lengths, target_lengths)
        self.zero_infinity = zero_infinity
        return nll.astype(log_probs.dtype)

    def _grad_array(self, lp_in: np.ndarray) -> np.ndarray:
        """exp(lp) − γ for t < T_n (0 beyond, and 0 for a zeroed infinite loss), float64."""
        la, lp_ext, skip, ext, loglik, inf, in_len, tg_len = self.cache
        lb = _beta(lp_ext, skip, in_len, tg_len)  # needed for the gradient only
        lp = lp_in.astype(np.float64, copy=False)
        t_max, n, _ = lp.shape
        ab = la + lb
        with np.errstate(invalid="ignore"):
            # log posterior of state (t, s): α + β counts y_t(l'_s) twice, remove one; −inf
            # stays −inf (also where y_t = 0, i.e. log_probs = −inf, which PyTorch turns to nan)
            log_post = np.where(np.isneginf(ab), -np.inf, ab - lp_ext) - loglik[None, :, None]
        post = np.exp(np.where(inf[None, :, None], -np.inf, log_post))
        gamma = np.zeros_like(lp)
        rows = np.arange(n)
        for s in range(ext.shape[1]):  # group the states by the class they emit
            gamma[:, rows, ext[:, s]] += post[:, :, s]
        grad = np.exp(lp) - gamma
        alive = np.arange(t_max)[:, None] < in_len[None, :]
        if self.zero_infinity:
            alive = alive & ~inf[None, :]
        return np.where(alive[:, :, None], grad, 0.0)

    def backward(self, grad):
        (lp,) = self.saved_tensors
        if self.ops is ArrayOps:
            g = self._grad_array(lp)
            return (g * grad[None, :, None]).astype(lp.dtype, copy=False)
        # create_graph: the gradient is recorded as a node whose own backward refuses a second
        # derivative with respect to log_probs (PyTorch does not implement it either)
        g = self._grad_array(lp.data)
        return _CTCGradient.apply(grad, lp, g=g)


class _CTCGradient(Function):
    """``grad[n] · G[t, n, c]`` for a precomputed G = exp(lp) − γ: the first derivative of CTC
    kept in the graph. Differentiable in ``grad`` (linear); in log_probs it raises."""

    def forward(self, grad, log_probs, g=None):
        self.g = g
        return (g * grad[None, :, None]).astype(log_probs.dtype, copy=False)

    def backward(self, gg):
        if self.needs_input_grad(1):
            raise RuntimeError(
                "ctc_loss: the second derivative with respect to log_probs is not implemented "
                "(PyTorch's ctc_loss has no double backward either)")
        return self.ops.sum(gg * self.g, axis=(0, 2)), None


# ----------------------------------------------------------------------------- validation
def _int_array(x, fn: str, name: str) -> np.ndarray:
    """``x`` (Tensor, array, list or int) as an int64 array; TypeError for anything else."""
    a = x.data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "iu":
        hint = " (convert with .long())" if a.dtype.kind == "f" else ""
        raise TypeError(f"{fn}: {name} must hold integers (int64), got dtype {a.dtype}{hint}")
    return a.astype(np.int64, copy=False)


def _check_ctc(log_probs, targets, input_lengths, target_lengths, blank, fn):
    """Validate and normalise the arguments. Returns (log_probs (T, N, C) Tensor, padded
    targets (N, S), input_lengths (N,), target_lengths (N,), unbatched flag)."""
    lp = as_input(log_probs, fn)
    if lp.ndim not in (2, 3):
        raise ValueError(
            f"{fn}: log_probs must have shape (T, N, C) or (T, C) for one sequence, got shape "
            f"{tuple(lp.shape)}")
    unbatched = lp.ndim == 2
    t_max = lp.shape[0]
    n = 1 if unbatched else lp.shape[1]
    c = lp.shape[-1]
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) or not 0 <= blank < c:
        raise ValueError(f"{fn}: blank must be a class index in [0, C) = [0, {c}), got {blank!r}")
    tg = _int_array(targets, fn, "targets")
    il = _int_array(input_lengths, fn, "input_lengths")
    tl = _int_array(target_lengths, fn, "target_lengths")
    for name, arr in (("input_lengths", il), ("target_lengths", tl)):
        if unbatched and arr.shape not in ((), (1,)):
            raise ValueError(f"{fn}: for one sequence (log_probs of shape (T, C)) {name} must be a "
                             f"number or shape (1,), got shape {arr.shape}")
        if not unbatched and arr.shape != (n,):
            raise ValueError(f"{fn}: {name} must have shape (N,) = ({n},), one length per "
                             f"sequence, got shape {arr.shape}")
    il, tl = il.reshape(n), tl.reshape(n)
    if (il < 0).any() or (il > t_max).any():
        bad = int(il[(il < 0) | (il > t_max)][0])
        raise ValueError(f"{fn}: input_lengths must lie in [0, T] = [0, {t_max}], got {bad}")
    if (tl < 0).any():
        raise ValueError(f"{fn}: target_lengths must be ≥ 0, got {int(tl[tl < 0][0])}")
    if unbatched:
        if tg.ndim != 1:
            raise ValueError(f"{fn}: for one sequence targets must be 1-D (S,), got shape {tg.shape}")
        tg = tg[None, :]
    if tg.ndim == 2:
        if tg.shape[0] != n:
            raise ValueError(f"{fn}: padded targets must have shape (N, S) with N = {n}, got {tg.shape}")
        if (tl > tg.shape[1]).any():
            raise ValueError(
                f"{fn}: target_lengths {int(tl.max())} exceeds the padded targets' length "
                f"S = {tg.shape[1]} (targets of shape {tg.shape})")
        padded = tg[:, : int(tl.max()) if n else 0]
    elif tg.ndim == 1:
        if tg.shape[0] != int(tl.sum()):
            raise ValueError(
                f"{fn}: concatenated 1-D targets must have length sum(target_lengths) = "
                f"{int(tl.sum())}, got {tg.shape[0]}")
        s_max = int(tl.max()) if n else 0
        padded = np.full((n, s_max), blank, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(tl)[:-1]])
        for i in range(n):
            padded[i, : tl[i]] = tg[offsets[i]: offsets[i] + tl[i]]
    else:
        raise ValueError(f"{fn}: targets must be (N, S) padded or 1-D concatenated, got shape {tg.shape}")
    used = np.arange(padded.shape[1])[None, :] < tl[:, None]
    vals = padded[used]
    if ((vals < 0) | (vals >= c)).any():
        bad = int(vals[(vals < 0) | (vals >= c)][0])
        raise ValueError(f"{fn}: targets contain class index {bad}, outside [0, C) = [0, {c})")
    if (vals == blank).any():
        i = int(np.nonzero((padded == blank) & used)[0][0])
        raise ValueError(
            f"{fn}: the targets of sequence {i} contain the blank label {blank}; targets hold the "
            "labels only (the blank is inserted by the alignment), so remove it or choose another "
            "blank index")
    padded = np.where(used, padded, blank)
    lp3 = lp.unsqueeze(1) if unbatched else lp
    return lp3, padded, il, tl, unbatched


def _min_frames(padded: np.ndarray, tl: np.ndarray) -> np.ndarray:
    """Frames an alignment needs: L labels plus one blank between each pair of repeated labels."""
    if padded.shape[1] < 2:
        return tl.copy()
    rep = (padded[:, 1:] == padded[:, :-1]) & (np.arange(1, padded.shape[1])[None, :] < tl[:, None])
    return tl + rep.sum(axis=1)


# ----------------------------------------------------------------------------- the loss
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False, *, sample_weight=None) -> Tensor:
    r"""Connectionist Temporal Classification loss (Graves et al., 2006), as PyTorch's.

    Formula (sequence n; alignments π of length T_n that collapse — merge repeats, drop blanks —
    to the target l; y = exp(log_probs))::

        ℓₙ = −log Σ_{π ↦ l} Π_{t < T_n} y_t(π_t)

    computed by the log-space forward recursion over the extended label l' = (blank, l₁, blank,
    l₂, …, blank). ``'mean'``: mean over the batch of ℓₙ / max(L_n, 1) (PyTorch's rule: each loss
    divided by its target length); with ``sample_weight`` Σ wₙ ℓₙ/max(L_n, 1) / Σ wₙ. ``'sum'``:
    Σ wₙ ℓₙ. ``'none'``: wₙ ℓₙ.

    Args:
        log_probs: (T, N, C) log-probabilities (e.g. ``log_softmax(logits, dim=2)``), or (T, C)
            for one sequence.
        targets: (N, S) padded label indices, or the N targets concatenated into one 1-D array of
            length sum(target_lengths). Labels lie in [0, C) and are never ``blank``.
        input_lengths: (N,) frames used of each sequence, each in [0, T].
        target_lengths: (N,) labels of each target, each ≥ 0 (≤ S for padded targets).
        blank: the blank class index (default 0).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        zero_infinity: give sequences with no alignment (target too long for its input) loss 0
            and gradient 0. Without it such a sequence is an error (see Note).
        sample_weight: optional weights (N,) of the sequences (beyond PyTorch).

    Shape:
        log_probs (T, N, C); targets (N, S) or (Σ L_n,); lengths (N,); output: a scalar, or (N,)
        with 'none' (a scalar for unbatched input).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import ctc_loss
        >>> logits = ll.zeros(3, 1, 3, requires_grad=True)   # T=3 frames, uniform over 3 classes
        >>> loss = ctc_loss(ll.log_softmax(logits, dim=2), ll.tensor([[1, 2]]), [3], [2],
        ...                 reduction="sum")
        >>> round(loss.item(), 4)   # −log(5 alignments · (1/3)³)
        1.6864

    Note:
        * **Gradient convention (PyTorch's).** The gradient returned for ``log_probs`` is
          exp(log_probs) − γ (γ the alignment posterior): the gradient with respect to the logits
          of a ``log_softmax``, which ``log_softmax``'s backward passes through unchanged. The
          true derivative with respect to log_probs is −γ; the two give the same gradient for the
          logits when log_probs come from ``log_softmax`` — always do that. A finite-difference
          check must therefore go through ``log_softmax``.
        * **Infeasible targets raise.** When a target needs more frames than its input has
          (L_n plus one per repeated label pair > T_n), PyTorch returns inf and nan gradients;
          losslab raises a ValueError naming the sequence unless ``zero_infinity=True`` (then, as
          in PyTorch, loss 0 and gradient 0).
        * PyTorch accepts floating targets, the blank inside targets and out-of-range labels (its
          result is then undefined); losslab raises. log_probs entries equal to −inf give
          gradient 0 here (PyTorch: nan).
        * Second derivatives are not implemented (as in PyTorch): ``create_graph=True`` works for
          the first derivative, differentiating it again raises.
        * C∞, not convex: −log Σ_π exp(Σ_t lp) is concave in log_probs.
    """
    fn = "ctc_loss"
    check_reduction(reduction, fn)
    lp, padded, il, tl, unbatched = _check_ctc(log_probs, targets, input_lengths, target_lengths,
                                               blank, fn)
    need = _min_frames(padded, tl)
    short = need > il
    if short.any() and not zero_infinity:
        i = int(np.nonzero(short)[0][0])
        raise ValueError(
            f"{fn}: sequence {i} has no alignment: its target needs at least {int(need[i])} frames "
            f"({int(tl[i])} labels + one blank between repeated labels) but input_lengths[{i}] = "
            f"{int(il[i])}; the loss would be inf (PyTorch returns inf with nan gradients). "
            "Shorten the target, lengthen the input, or pass zero_infinity=True to give such "
            "sequences loss 0 and gradient 0")
    nll = CTCNegLogLikelihood.apply(lp, targets=padded, input_lengths=il, target_lengths=tl,
                                    blank=int(blank), zero_infinity=bool(zero_infinity))
    if reduction == "mean":
        nll = nll / np.maximum(tl, 1).astype(nll.dtype)
    if unbatched:
        if sample_weight is not None:
            raise ValueError(f"{fn}: sample_weight needs a batch (log_probs of shape (T, N, C)); "
                             "got one sequence of shape (T, C)")
        nll = nll.reshape(())
    return reduce(nll, reduction, sample_weight=sample_weight, fn=fn)


class CTCLoss(_Loss):
    """CTC criterion; ``forward(log_probs, targets, input_lengths, target_lengths)`` is
    :func:`ctc_loss`.

    Args:
        blank: the blank class index (default 0).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        zero_infinity: loss and gradient 0 for sequences without an alignment.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import CTCLoss
        >>> lp = ll.log_softmax(ll.zeros(3, 1, 3), dim=2)
        >>> round(CTCLoss(reduction="sum")(lp, ll.tensor([[1, 2]]), [3], [2]).item(), 4)
        1.6864
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(None, None, reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths, sample_weight=None):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity, sample_weight=sample_weight)
