"""Classification losses: binary cross-entropy (on probabilities and on logits), negative
log-likelihood and softmax cross-entropy (class indices or class probabilities, label smoothing).

Two primitives are fused here, each for a stated numerical reason and each tested against the
composed version in ``tests/losses/test_classification.py``:

* :class:`BinaryCrossEntropy` reproduces PyTorch's clamped logs and, above all, its clamped
  gradient ``(p − y) / max(p(1 − p), 1e-12)``: composed from ``clamp(log p, min=−100)`` the
  gradient at p = 0 would be ``0 · inf = nan``.
* :class:`BinaryCrossEntropyWithLogits` computes the loss and the gradient σ(x) − y without the
  cancellation that the composed form suffers for large |x| (see its docstring).

* :class:`SoftmaxCrossEntropy` fuses log_softmax, the gather of the target class, class weights,
  label smoothing and ``ignore_index`` for class-index targets, with the analytic gradient
  w·(softmax(x) − target). It is a speed fusion (the composed log_softmax + gather graph has
  more nodes): on a (32, 10) float32 batch, forward + backward of the loss core takes about
  122 µs fused against 171 µs composed (timeit, this machine; see the test module). Its
  backward, weight gradient and second derivatives are tested against the composed version.

Probability targets keep the composed form (``ll.log_softmax`` times the target).

Every loss here takes ``sample_weight`` (shape (N,), beyond PyTorch): sample n's loss is
multiplied by ``sample_weight[n]`` and ``'mean'`` divides by the sum of the weights it used
(for ``nll_loss``/``cross_entropy`` with class weights: Σ sw·w_y·ℓ / Σ sw·w_y).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayOps, Function
from ..autograd.ops.elementwise import _sigmoid_array
from ..autograd.tensor import Tensor
from ..autograd import ops as _ops
from ._reduction import (
    _shape, as_class_indices, as_input, as_tensor_like, as_weight, check_broadcastable,
    check_reduction, check_same_shape, doc, reduce, sample_weights,
)

# ndarray.min/max without their Python wrapper (_methods._amin): the hot paths' range checks
_amin, _amax = np.minimum.reduce, np.maximum.reduce

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy",
    "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "SoftmaxCrossEntropy",
    "SoftmaxCrossEntropyMean", "BinaryCrossEntropyMean",
]

#: PyTorch's floor on each log in BCE (``aten/src/ATen/native/Loss.cpp``): one element can
#: contribute at most 100 to the loss.
LOG_CLAMP = -100.0
#: PyTorch's floor on p(1 − p) in the BCE gradient: ``constexpr float EPSILON = 1e-12`` in
#: ``Loss.cpp``, a float32 constant, so its value is float32(1e-12) = 9.99999996e-13 (matched
#: exactly: at p ∈ {0, 1} the gradient is ±1.0000000004e12, PyTorch's number).
BCE_GRAD_EPS = float(np.float32(1e-12))


def _in_unit_interval(a: np.ndarray) -> bool:
    """Whether every element of the float array ``a`` is in [0, 1] (False for a nan): a min and
    a max, or for one element (the seed's online SGD, batch 1) one Python comparison, which
    saves two reductions (~2.5 µs) on a step that takes ~70."""
    if a.size == 1:
        v = a.item()
        return 0 <= v <= 1
    return bool(_amin(a, axis=None) >= 0 and _amax(a, axis=None) <= 1)


def _arr(v):
    return v.data if isinstance(v, Tensor) else np.asarray(v)


# ----------------------------------------------------------------------------- fused primitives
def _clamped_logs(p: np.ndarray):
    """max(log p, −100) and max(log(1 − p), −100), as in PyTorch's BCE (log1p keeps accuracy
    for small p)."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), LOG_CLAMP), np.maximum(np.log1p(-p), LOG_CLAMP)


class BinaryCrossEntropy(Function):
    """Elementwise BCE on probabilities, ℓ = −[y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)].

    Local derivatives (PyTorch's ``binary_cross_entropy_backward``)::

        ∂ℓ/∂p = (p − y) / max(p(1 − p), 1e-12)      ∂ℓ/∂y = max(log(1 − p), −100) − max(log p, −100)

    The p-derivative is the exact one, −y/p + (1 − y)/(1 − p), wherever p(1 − p) ≥ 1e-12; closer
    to 0 or 1 its denominator is floored, so p = 0 or 1 gives a large but finite gradient
    (±1e12 for a wrong hard label) and exactly 0 for a right one. ∂ℓ/∂y is the derivative of
    the clamped forward (finite everywhere; PyTorch returns −logit(p), which is ±inf at 0 and 1).
    """

    def forward(self, p, y):
        self.save_for_backward(p, y)
        log_p, log_1mp = _clamped_logs(p)
        return (y - 1) * log_1mp - y * log_p

    def backward(self, g):
        p, y = self.saved_tensors
        want_y = self.needs_input_grad(1)  # targets rarely require grad: skip two logs then
        if self.ops is ArrayOps:
            gp = g * (p - y) / np.maximum((1 - p) * p, BCE_GRAD_EPS)
            if not want_y:
                return gp, None
            log_p, log_1mp = _clamped_logs(p)
            return gp, g * (log_1mp - log_p)
        pa = _arr(p)
        small = (1 - pa) * pa < BCE_GRAD_EPS
        # create_graph: the same rule with Tensor ops, every branch kept finite so that the
        # unused side of a where() never feeds nan into the second derivative.
        gp = g * (p - y) / _ops.where(small, BCE_GRAD_EPS, (1 - p) * p)
        with np.errstate(divide="ignore"):
            lo_p, lo_1mp = np.log(pa) < LOG_CLAMP, np.log1p(-pa) < LOG_CLAMP
        log_p = _ops.where(lo_p, LOG_CLAMP, _ops.log(_ops.where(lo_p, 0.5, p)))
        log_1mp = _ops.where(lo_1mp, LOG_CLAMP, _ops.log1p(-_ops.where(lo_1mp, 0.5, p)))
        return gp, g * (log_1mp - log_p)


class BinaryCrossEntropyMean(BinaryCrossEntropy):
    """``binary_cross_entropy(p, y)`` with ``reduction='mean'`` as one node (issue 8): the
    elementwise :class:`BinaryCrossEntropy` followed by the mean, fused so that a small model's
    step records one node instead of two. The same operations in the same order as the two nodes
    (so the value and both gradients are bit-for-bit theirs)::

        L = Σᵢ ℓᵢ / n        ∂L/∂pᵢ = (g/n)·(pᵢ − yᵢ) / max(pᵢ(1 − pᵢ), 1e-12)
                             ∂L/∂yᵢ = (g/n)·(max(log(1 − pᵢ), −100) − max(log pᵢ, −100))

    An input outside [0, 1] (or nan) makes a log nan, so the loss is nan exactly then: the
    caller checks the input's range only when it sees a nan (the warnings of those logs are
    silenced here)."""

    #: replayable by ``autograd/capture.py``: the wrapper's value checks are repeated below
    capturable = True

    @staticmethod
    def replay_check(arrays, options) -> bool:
        """The wrapper's check of the target's range (``binary_cross_entropy``)."""
        return _in_unit_interval(arrays[1])

    @staticmethod
    def replay_check_output(out) -> bool:
        """A nan loss means an input outside [0, 1]: the eager wrapper raises for it."""
        v = out.item()  # a 0-d array: a Python float compares faster than a 0-d array
        return v == v

    def forward(self, p, y):
        self.save_for_backward(p, y)
        self.in_shape = p.shape
        n = self.n = p.size
        if n == 1 and 0.0 < p.item() < 1.0:
            # one probability strictly inside (0, 1) (online SGD, the seed's example): no log
            # can warn, so no errstate (~1.5 µs of a ~65 µs step); the same kernels otherwise
            log_p, log_1mp = np.maximum(np.log(p), LOG_CLAMP), np.maximum(np.log1p(-p), LOG_CLAMP)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_p = np.maximum(np.log(p), LOG_CLAMP)
                log_1mp = np.maximum(np.log1p(-p), LOG_CLAMP)
        # Mean.forward's pairwise sum and division, as the unfused graph computes them; a 0-d
        # array, not NumPy's scalar, so that apply (and a replay) needn't convert it
        return np.asarray(np.add.reduce((y - 1) * log_1mp - y * log_p, axis=None) / p.dtype.type(n))

    def backward(self, g):
        if self.ops is ArrayOps:
            p, y = self.saved
            # Mean's backward: g/n in the input's dtype (for n = 1, g·1.0 is g, bit for bit)
            gm = g * (1.0 / self.n) if self.n != 1 else g
            gp = gm * (p - y) / np.maximum((1 - p) * p, BCE_GRAD_EPS)
            if not self.needs_input_grad(1):
                return gp, None
            log_p, log_1mp = _clamped_logs(p)
            return gp, gm * (log_1mp - log_p)
        # create_graph: Mean's backward with Tensor ops, then the elementwise node's rule
        ops = self.ops
        kept = (1,) * len(self.in_shape)
        gm = ops.broadcast_to(ops.reshape(g, kept), self.in_shape) * (1.0 / self.n)
        return BinaryCrossEntropy.backward(self, gm)


def _softplus_array(x: np.ndarray) -> np.ndarray:
    # log(1 + e^x) = max(x, 0) + log1p(e^{−|x|}): e^{−|x|} ≤ 1 never overflows.
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    """Elementwise BCE on logits with optional positive-class weight pw::

        ℓ = pw·y·softplus(−x) + (1 − y)·softplus(x)
          = (1 − y)·x + (1 + (pw − 1)·y)·softplus(−x)        (PyTorch's form, Loss.cpp)

    Both are −pw·y·log σ(x) − (1 − y)·log(1 − σ(x)). The first line is the one computed: it is
    optax's ``sigmoid_binary_cross_entropy`` form (−y·log_sigmoid(x) − (1−y)·log_sigmoid(−x)),
    a sum of two non-negative terms for y ∈ [0, 1], pw ≥ 0, so there is no cancellation (PyTorch's
    second form subtracts two numbers of size |x| when y = 0 and x ≪ 0). softplus is evaluated
    as max(z, 0) + log1p(e^{−|z|}), finite for any logit.

    Local derivatives::

        ∂ℓ/∂x = (1 − y)·σ(x) − pw·y·σ(−x)     (= (1 + (pw − 1)y)·σ(x) − pw·y, PyTorch's)
        ∂ℓ/∂y = pw·softplus(−x) − softplus(x)
        ∂ℓ/∂pw = y·softplus(−x)

    Written with σ(x) and σ(−x) separately, ∂ℓ/∂x keeps full relative accuracy where σ(x) ≈ 1
    (σ(x) − 1 would cancel).
    """

    #: replayable by ``autograd/capture.py``: its wrapper checks shapes only, and any logit and
    #: target value gives a defined loss
    capturable = True

    def forward(self, x, y, pw=None):
        self.has_pw = pw is not None
        self.save_for_backward(x, y, pw)
        neg, pos = _softplus_array(-x), _softplus_array(x)
        ypos = y * pw if pw is not None else y
        return ypos * neg + (1 - y) * pos

    def backward(self, g):
        x, y, pw = self.saved_tensors
        ypos = y * pw if self.has_pw else y
        if self.ops is ArrayOps:
            sig, sig_neg = _sigmoid_array(x), _sigmoid_array(-x)
            sp_neg, sp_pos = _softplus_array(-x), _softplus_array(x)
        else:
            sig, sig_neg = _ops.sigmoid(x), _ops.sigmoid(-x)
            inf = float("inf")  # no linear cut-off: the exact softplus for second derivatives
            sp_neg, sp_pos = _ops.softplus(-x, threshold=inf), _ops.softplus(x, threshold=inf)
        gx = g * ((1 - y) * sig - ypos * sig_neg)
        gy = g * ((pw * sp_neg if self.has_pw else sp_neg) - sp_pos)
        gpw = g * y * sp_neg if self.has_pw else None
        return gx, gy, gpw


class SoftmaxCrossEntropy(Function):
    """Softmax cross-entropy for class-index targets, per target, with class weights w (1 when
    None), label smoothing ε and a mask of kept targets, fused into one node::

        q = log_softmax(x)  (over ``dim``)
        ℓₙ = mₙ · [ (1 − ε)·w_{yₙ}·(−q_{n,yₙ}) + (ε/C)·Σ_c w_c·(−q_{n,c}) ]

    Local derivatives (aₙ = mₙ(1 − ε)w_{yₙ}, bₙ = mₙε/C, W = Σ_c w_c, p = softmax(x))::

        ∂ℓₙ/∂x_{n,c} = (aₙ + bₙ·W)·p_{n,c} − aₙ·[c = yₙ] − bₙ·w_c
                     = mₙ·(p_{n,c} − t'_{n,c})        without weights (t' the smoothed target)
        ∂ℓₙ/∂w_c     = mₙ·((1 − ε)·[c = yₙ] + ε/C)·(−q_{n,c})

    Options: ``idx`` the class indices (ignored positions replaced by any valid class), ``mask``
    the boolean mask of kept targets (None: all kept), ``dim`` the class dimension, ``ls`` = ε.
    The forward is LogSoftmax's max-shifted form, so it is finite for any finite logits. With
    ``create_graph`` the same rule is written with Tensor ops (softmax recomputed from x), so
    second derivatives come out right.
    """

    def forward(self, x, w=None, idx=None, mask=None, dim=1, ls=0.0):
        self.dim, self.idx, self.mask, self.ls = dim, idx, mask, ls
        self.has_w = w is not None
        self.save_for_backward(x, w)
        shifted = x - np.max(x, axis=dim, keepdims=True)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        self.logp = logp
        ix = np.expand_dims(idx, dim)
        nll_y = -np.take_along_axis(logp, ix, axis=dim).squeeze(dim)
        loss = nll_y if w is None else w[idx] * nll_y
        if ls:
            smooth = -(logp.sum(axis=dim) if w is None else (logp * w.reshape(self._cshape(x))).sum(axis=dim))
            loss = (1.0 - ls) * loss + (ls / x.shape[dim]) * smooth
        if mask is not None:
            loss = np.where(mask, loss, 0.0).astype(x.dtype, copy=False)
        return loss

    def _cshape(self, x) -> tuple:
        return tuple(-1 if d == self.dim else 1 for d in range(x.ndim))

    def backward(self, g):
        x, w = self.saved_tensors
        dim, ls, idx = self.dim, self.ls, self.idx
        shape = tuple(x.shape)
        n_classes = shape[dim]
        dtype = self.logp.dtype
        if self.ops is ArrayOps:
            logp = self.logp
        else:
            logp = _ops.log_softmax(x, dim)
        p = self.ops.exp(logp)
        eshape = shape[:dim] + (1,) + shape[dim + 1:]
        g_e = g.reshape(eshape)
        onehot = (np.arange(n_classes).reshape(self._cshape(self.logp)) == np.expand_dims(idx, dim)).astype(dtype)
        fm_e = None if self.mask is None else self.mask.reshape(eshape).astype(dtype)
        if fm_e is not None:
            g_e = g_e * fm_e
        if not self.has_w:
            target = onehot * (1.0 - ls) + ls / n_classes if ls else onehot
            return g_e * (p - target), None
        wy_e = w[idx].reshape(eshape)
        wb = w.reshape(self._cshape(self.logp))
        a_e = wy_e * (1.0 - ls)
        if ls:
            b = ls / n_classes
            gx = g_e * ((a_e + w.sum() * b) * p - a_e * onehot - wb * b)
        else:
            gx = g_e * a_e * (p - onehot)
        gw = None
        if self.needs_input_grad(1):
            coef = onehot * (1.0 - ls) + ls / n_classes if ls else onehot
            contrib = g_e * coef * (-logp)
            axes = tuple(d for d in range(len(shape)) if d != dim)
            gw = self.ops.sum(contrib, axes) if axes else contrib
        return gx, gw


class SoftmaxCrossEntropyMean(Function):
    """The mean softmax cross-entropy of a (N, C) batch of logits with class indices, as one node
    that returns the scalar (the common training case: no class weights, no label smoothing, no
    ignored target, ``reduction='mean'``)::

        ℓ = (1/N) Σₙ [ log Σ_c exp(x_{n,c} − mₙ) − (x_{n,yₙ} − mₙ) ],   mₙ = max_c x_{n,c}

    Local derivative: ∂ℓ/∂x_{n,c} = (softmax(x)_{n,c} − [c = yₙ]) / N.

    A speed fusion of :class:`SoftmaxCrossEntropy` + ``mean`` (and tested against that composition,
    against log_softmax + gather + mean and against PyTorch): the forward keeps exp(x − m) and its
    row sums instead of the full log-softmax, and the backward writes the gradient in one pass,
    e·(g/N)/Σe, then subtracts g/N at the targets. With ``create_graph`` the same rule is written
    with Tensor ops (softmax recomputed from x), so second derivatives come out right.
    """

    #: replayable by ``autograd/capture.py``: the wrapper's value checks are repeated below
    capturable = True

    @staticmethod
    def replay_check(arrays, options) -> bool:
        """The wrapper's checks of the indices: all in [0, C), none equal to ``ignore``."""
        idx, ignore = options["idx"], options.get("ignore")
        if not (_amin(idx, axis=None) >= 0 and _amax(idx, axis=None) < arrays[0].shape[1]):
            return False
        return ignore is None or not (idx == ignore).any()

    def forward(self, x, idx=None, ignore=None):
        # ``ignore``: the caller's ignore_index when it is a valid class (the wrapper has checked
        # that no target equals it); unused here, kept for replay_check.
        self.save_for_backward(x)
        n = x.shape[0]
        rows = np.arange(n)
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        self.e, self.s, self.idx, self.rows = e, s, idx, rows
        # Σₙ log Σe − Σₙ shiftedₙ,yₙ, in x's dtype (np.log of a float32 array stays float32)
        total = np.log(s).sum() - shifted[rows, idx].sum()
        return np.asarray(total / x.dtype.type(n), dtype=x.dtype)

    def backward(self, g):
        n = self.rows.shape[0]
        if self.ops is ArrayOps:
            gn = g / n
            gx = self.e * (gn / self.s)
            gx[self.rows, self.idx] -= gn
            return gx
        (x,) = self.saved_tensors
        onehot = np.zeros(x.shape, dtype=x.dtype)
        onehot[self.rows, self.idx] = 1
        return (_ops.softmax(x, 1) - onehot) * (g / n)


# ----------------------------------------------------------------------------- helpers
def _check_in_unit_interval(t: Tensor, fn: str, argname: str) -> None:
    a = t.data
    ok = (a >= 0) & (a <= 1)  # nan fails too
    if not ok.all():
        bad = a[~ok]
        if argname == "input":
            hint = (" (these look like logits: use binary_cross_entropy_with_logits, or apply "
                    "ll.sigmoid first)")
        elif np.all(np.isin(a, (-1.0, 1.0))):
            hint = (" (these are ±1 labels: this loss takes {0, 1} targets; map them with "
                    "target = (target + 1) / 2, or use a margin loss such as soft_margin_loss)")
        else:
            hint = ""
        raise ValueError(
            f"{fn}: all elements of {argname} should be between 0 and 1, got "
            f"{bad.size} outside [0, 1] (e.g. {bad.flat[0].item()!r}){hint}"
        )


def _check_label_smoothing(label_smoothing, fn: str) -> float:
    try:
        ls = float(label_smoothing)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}") from None
    if not 0.0 <= ls <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing!r}")
    return ls


def _class_weight(weight, input: Tensor, class_dim: int, fn: str):
    w = as_weight(weight, input, fn)
    n_classes = input.shape[class_dim]
    if w is not None and tuple(w.shape) != (n_classes,):
        raise ValueError(
            f"{fn}: weight must hold one value per class, shape ({n_classes},), got shape "
            f"{tuple(w.shape)}"
        )
    return w


def _class_input(input, fn: str) -> tuple[Tensor, int]:
    input = as_input(input, fn)
    if input.ndim < 1:
        raise ValueError(f"{fn}: input must have a class dimension, shape (C,), (N, C) or "
                         f"(N, C, d1, ...), got a 0-d tensor")
    return input, (0 if input.ndim == 1 else 1)


def _nll_terms(logp: Tensor, idx: np.ndarray, weight, ignore_index: int, class_dim: int):
    """Per-target −log p[y] (0 where ignored), the per-target weights w[y]·[y ≠ ignore] (None
    when every weight is 1), and the mask of kept targets."""
    mask = idx != ignore_index
    safe = np.where(mask, idx, 0)  # ignored positions gather class 0, then are masked out
    picked = _ops.gather(logp, class_dim, np.expand_dims(safe, class_dim)).reshape(idx.shape)
    # where(), not a multiply by the mask: an ignored row may hold −inf (log 0) at class 0.
    nll = -_ops.where(mask, picked, 0.0) if not mask.all() else -picked
    fmask = mask.astype(logp.dtype)
    if weight is not None:
        wts = weight[safe] * fmask
    else:
        wts = None if mask.all() else fmask
    return nll, wts, mask


def _class_shape(ndim: int, n_classes: int, class_dim: int) -> tuple:
    return tuple(n_classes if d == class_dim else 1 for d in range(ndim))


# ----------------------------------------------------------------------------- losses
_SAMPLE_WEIGHT_RESCALE_DOC = (
    "sample_weight: optional weight per sample, shape (N,) (beyond PyTorch; Keras and\n"
    "    scikit-learn have it): sample n's losses are multiplied by it, and ``'mean'`` becomes\n"
    "    Σₙ swₙ·Σᵢ ℓₙᵢ / (D·Σₙ swₙ) with D the elements per sample (the weighted mean)."
)
_SAMPLE_WEIGHT_CLASS_DOC = (
    "sample_weight: optional weight per sample, shape (N,) (beyond PyTorch): sample n's loss\n"
    "    is multiplied by it and ``'mean'`` divides by the sum of the weights of the kept\n"
    "    targets, Σ swₙ·w_{yₙ} (see the formula)."
)

@doc(sample_weight_rescale=_SAMPLE_WEIGHT_RESCALE_DOC)
def binary_cross_entropy(input, target, weight=None, *, reduction: str = "mean",
                         sample_weight=None) -> Tensor:
    r"""Binary cross-entropy between predicted probabilities and targets (log loss).

    Formula (unreduced, element i)::

        ℓᵢ = −wᵢ · [ yᵢ · max(log pᵢ, −100) + (1 − yᵢ) · max(log(1 − pᵢ), −100) ]

    {reductions_formula}

    Args:
        input: predicted probabilities p ∈ [0, 1] (e.g. the output of ``ll.sigmoid``).
        target: targets y ∈ [0, 1], same shape (hard labels {0, 1} or soft labels).
        weight: optional rescaling weight per element, broadcastable to ``input``'s shape.
        {reduction_rescale}
        {sample_weight_rescale}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import binary_cross_entropy
        >>> p = ll.tensor([0.9, 0.2, 0.6], requires_grad=True)
        >>> loss = binary_cross_entropy(p, ll.tensor([1.0, 0.0, 1.0]))
        >>> round(loss.item(), 4)
        0.2798
        >>> binary_cross_entropy(ll.tensor([0.0]), ll.tensor([1.0]))  # log clamped at -100
        tensor(100.)

    Note:
        * As PyTorch: each log is clamped at −100, so p = 0 or 1 gives a finite loss (at most
          100 per element), and the gradient is (p − y)/max(p(1 − p), 1e-12)·w (finite at the
          ends). The clamp has a price: ``binary_cross_entropy(sigmoid(x), y)`` has a vanishing
          gradient once σ(x) rounds to 0 or 1 (PyTorch issue #103316). Train on logits with
          :func:`binary_cross_entropy_with_logits` instead.
        * Values of ``input`` or ``target`` outside [0, 1] (or nan) raise a ValueError, as
          PyTorch's check does (a RuntimeError there).
        * The gradient with respect to ``target`` is the derivative of the clamped formula,
          finite everywhere; PyTorch's is −logit(p), ±inf at p ∈ {0, 1}.
        * ``weight`` is differentiable here (PyTorch refuses a weight that requires grad).

    References:
        Cox (1958), "The regression analysis of binary sequences"; PyTorch ``BCELoss``.
    """
    fn = "binary_cross_entropy"
    if (reduction == "mean" and weight is None and sample_weight is None
            and isinstance(input, Tensor) and isinstance(target, Tensor)):
        # The common case (issue 8): one fused node, and O(1)-call validation. The target's
        # range costs a min and a max; the input's costs nothing unless the loss comes out nan,
        # which happens exactly when an input is outside [0, 1] (or nan): then the full check
        # below raises its usual message. Same errors, in the same order, as the general path.
        a, yd = input.data, target.data
        if (a.dtype.kind == "f" and yd.dtype == a.dtype and a.shape == yd.shape and a.size
                and type(reduction) is str):
            if not _in_unit_interval(yd):
                _check_in_unit_interval(input, fn, "input")
                _check_in_unit_interval(target, fn, "target")
            out = BinaryCrossEntropyMean.apply(input, target)
            if out.data != out.data:
                _check_in_unit_interval(input, fn, "input")
            return out
    check_reduction(reduction, fn)
    input = as_input(input, fn)
    target = as_tensor_like(target, input, fn)
    check_same_shape(input, target, fn)
    _check_in_unit_interval(input, fn, "input")
    _check_in_unit_interval(target, fn, "target")
    loss = BinaryCrossEntropy.apply(input, target)
    w = as_weight(weight, input, fn)
    if w is not None:
        check_broadcastable(w.shape, input.shape, fn, "weight")
        loss = loss * w
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight_rescale=_SAMPLE_WEIGHT_RESCALE_DOC)
def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction: str = "mean",
                                     pos_weight=None, sample_weight=None) -> Tensor:
    r"""Binary cross-entropy on logits: sigmoid and BCE fused into one stable formula.

    Formula (unreduced, element i; σ the logistic function, pw the positive weight)::

        ℓᵢ = −wᵢ · [ pw · yᵢ · log σ(xᵢ) + (1 − yᵢ) · log(1 − σ(xᵢ)) ]
           =  wᵢ · [ pw · yᵢ · softplus(−xᵢ) + (1 − yᵢ) · softplus(xᵢ) ]

        ∂ℓᵢ/∂xᵢ = wᵢ · [ (1 − yᵢ) · σ(xᵢ) − pw · yᵢ · σ(−xᵢ) ]       (= σ(x) − y when pw = 1)

    {reductions_formula}

    Args:
        input: logits x (any real numbers).
        target: targets y ∈ [0, 1], same shape as ``input``.
        weight: optional rescaling weight per element, broadcastable to ``input``'s shape.
        {reduction_rescale}
        pos_weight: optional weight of the positive term, broadcastable to ``input``'s shape
            (one per class in the last dimension for multi-label targets). pw > 1 raises recall,
            pw < 1 precision; with P positives and N negatives pw = N/P balances them.
        {sample_weight_rescale}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import binary_cross_entropy_with_logits
        >>> x = ll.tensor([2.0, -1.0, 0.0], requires_grad=True)
        >>> loss = binary_cross_entropy_with_logits(x, ll.tensor([1.0, 0.0, 1.0]))
        >>> round(loss.item(), 4)
        0.3778
        >>> binary_cross_entropy_with_logits(ll.tensor([-1e4]), ll.tensor([1.0]))  # no overflow
        tensor(10000.)

    Note:
        * Numerically stable for any logit: computed as a sum of two non-negative softplus
          terms (optax's form), which equals PyTorch's (1 − y)x + (1 + (pw − 1)y)·softplus(−x)
          but has no cancellation; neither clamps extreme logits (PyTorch PR #163975 was
          closed), so unlike BCELoss the loss grows without bound, linearly in |x|.
        * The target is not range-checked (as PyTorch); values outside [0, 1] give a loss that
          is no longer bounded below.
        * ``weight`` and ``pos_weight`` are differentiable here (PyTorch refuses them).

    References:
        PyTorch ``BCEWithLogitsLoss`` (``aten/src/ATen/native/Loss.cpp``); optax
        ``sigmoid_binary_cross_entropy``.
    """
    fn = "binary_cross_entropy_with_logits"
    check_reduction(reduction, fn)
    input = as_input(input, fn)
    target = as_tensor_like(target, input, fn)
    check_same_shape(input, target, fn)
    pw = as_weight(pos_weight, input, fn, "pos_weight")
    if pw is not None:
        check_broadcastable(pw.shape, input.shape, fn, "pos_weight")
    loss = BinaryCrossEntropyWithLogits.apply(input, target, pw)
    w = as_weight(weight, input, fn)
    if w is not None:
        check_broadcastable(w.shape, input.shape, fn, "weight")
        loss = loss * w
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


_CLASS_SHAPE_DOC = (
    "input: (C,), (N, C) or (N, C, d1, ..., dK) with K ≥ 1 (e.g. per-pixel classes).\n"
    "target: class indices, shape (), (N,) or (N, d1, ..., dK), int64 in [0, C) or\n"
    "    ``ignore_index``."
)


def _reduce_per_target(loss: Tensor, reduction: str, kept, sample_weight, fn: str) -> Tensor:
    """Reduce a per-target loss whose ``'mean'`` divides by per-target weights ``kept``.

    ``kept`` holds, per target, what the divisor of ``'mean'`` counts: w_{yₙ}·[yₙ kept] for
    PyTorch's class-weighted mean, the 0/1 mask of kept targets for a plain mean over the kept
    targets, or None when every target counts 1 (then this is :func:`reduce`). With
    ``sample_weight`` the divisor is Σₙ swₙ·keptₙ (and ``loss`` is multiplied by sw by
    :func:`reduce`). Shared by the class-index losses (also those of ``multiclass.py``).
    """
    if kept is None or check_reduction(reduction, fn) != "mean":
        return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)
    if sample_weight is None:
        total = kept.sum() if isinstance(kept, Tensor) else float(np.sum(kept))
    else:
        sw = sample_weights(sample_weight, loss, fn)
        k = kept if isinstance(kept, Tensor) else Tensor(np.asarray(kept, dtype=loss.dtype))
        total = (sw * k).sum()
    return reduce(loss, reduction, total_weight=total, sample_weight=sample_weight, fn=fn)


def _smoothed_nll(logp: Tensor, idx: np.ndarray, w, ignore_index: int, class_dim: int, ls: float):
    """The composed class-index NLL with label smoothing (the reference of the fused op):
    per-target loss (1 − ε)·w_y·(−q_y) + (ε/C)·Σ_c w_c·(−q_c) (0 where ignored) and the
    per-target divisor weights for ``'mean'`` (None when every target counts 1)."""
    nll, wts, mask = _nll_terms(logp, idx, w, ignore_index, class_dim)
    if ls == 0:
        return (nll if wts is None else nll * wts), wts
    n_classes = logp.shape[class_dim]
    wb = None if w is None else w.reshape(_class_shape(logp.ndim, n_classes, class_dim))
    smooth = -(logp.sum(class_dim) if wb is None else (logp * wb).sum(class_dim))
    if not mask.all():
        smooth = _ops.where(mask, smooth, 0.0)
    hard = nll if wts is None else nll * wts
    return hard * (1.0 - ls) + smooth * (ls / n_classes), wts


_LS_WEIGHT_NOTE = (
    "* **Class weights and label smoothing** (PyTorch issue #104776): the smoothing term\n"
    "  is weighted per class, (ε/C)·Σ_c w_c·(−q_c), while the ``'mean'`` divisor stays\n"
    "  Σₙ w_{yₙ}. So the weights do not just rescale samples: the minimizer for a sample of\n"
    "  class y becomes p_c ∝ (1 − ε)·w_y·[c = y] + (ε/C)·w_c instead of the smoothed target\n"
    "  (1 − ε)·[c = y] + ε/C, and heavily weighted classes soak up more of the smoothing\n"
    "  mass. This is PyTorch's behaviour and is kept. To weight classes *without* moving the\n"
    "  minimizer, pass the class weight per sample instead, ``sample_weight=w[y]`` (no\n"
    "  ``weight``): each sample's whole smoothed loss is then scaled by w_y and the ``'mean'``\n"
    "  divides by Σ w_{yₙ}, as with ``weight`` when ε = 0. The uniform share is ε/C, not\n"
    "  ε/(C − 1) (issue #148884)."
)


@doc(class_shape=_CLASS_SHAPE_DOC, sample_weight=_SAMPLE_WEIGHT_CLASS_DOC, ls_weight_note=_LS_WEIGHT_NOTE)
def nll_loss(input, target, weight=None, *, ignore_index: int = -100,
             reduction: str = "mean", label_smoothing: float = 0.0, sample_weight=None) -> Tensor:
    r"""Negative log-likelihood of the target class, given log-probabilities.

    Formula (unreduced, target n with class yₙ; w_c the class weight, 1 by default; swₙ the
    sample weight, 1 by default; ε = ``label_smoothing``)::

        ℓₙ = swₙ · [ (1 − ε)·w_{yₙ}·(−x_{n,yₙ}) + (ε/C)·Σ_c w_c·(−x_{n,c}) ]   (0 if yₙ ignored)

        'mean': Σₙ ℓₙ / Σₙ swₙ·w_{yₙ}·[yₙ ≠ ignore_index]      'sum': Σₙ ℓₙ      'none': ℓ

    With ε = 0 and no sample weight this is PyTorch's ``nll_loss``: ℓₙ = −w_{yₙ}·x_{n,yₙ}.

    Args:
        input: log-probabilities x (e.g. ``ll.log_softmax(logits, dim=1)``), class dim 1
            (dim 0 for a single unbatched sample).
        target: integer class indices.
        weight: optional weight per class, shape (C,).
        ignore_index: targets equal to it contribute nothing, neither to the loss nor to the
            divisor of ``'mean'`` (default −100).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``; ``'mean'`` is the mean weighted by
            the class weights of the non-ignored targets (PyTorch).
        label_smoothing: ε ∈ [0, 1] (beyond PyTorch's ``nll_loss``): the target becomes
            (1 − ε)·onehot(y) + ε/C, exactly as in :func:`cross_entropy`, so that
            ``nll_loss(log_softmax(x), y, label_smoothing=ε) == cross_entropy(x, y,
            label_smoothing=ε)``.
        {sample_weight}

    Shape:
        {class_shape}
        output: a scalar, or target's shape with ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import nll_loss
        >>> logp = ll.log_softmax(ll.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), dim=1)
        >>> round(nll_loss(logp, ll.tensor([0, 1])).item(), 4)
        0.3955

    Note:
        * Out-of-range class indices raise :class:`~losslab.losses.ClassIndexError` (a
          ValueError and an IndexError) naming the value and C; float targets raise TypeError.
        * When every target is ignored, ``'mean'`` is 0/0 = nan, as in PyTorch.
        * ``weight`` is differentiable here (PyTorch refuses a weight that requires grad).
        * ``input`` is not checked to be log-probabilities (nor is it in PyTorch): the loss is
          linear in ``input``, hence convex and unbounded below for arbitrary inputs.
        {ls_weight_note}

    References:
        PyTorch ``NLLLoss`` (``aten/src/ATen/native/LossNLL.cpp``).
    """
    fn = "nll_loss"
    check_reduction(reduction, fn)
    ls = _check_label_smoothing(label_smoothing, fn)
    input, class_dim = _class_input(input, fn)
    idx = as_class_indices(target, input, ignore_index, fn, class_dim)
    w = _class_weight(weight, input, class_dim, fn)
    loss, kept = _smoothed_nll(input, idx, w, ignore_index, class_dim, ls)
    return _reduce_per_target(loss, reduction, kept, sample_weight, fn)


@doc(class_shape=_CLASS_SHAPE_DOC, sample_weight=_SAMPLE_WEIGHT_CLASS_DOC, ls_weight_note=_LS_WEIGHT_NOTE)
def cross_entropy(input, target, weight=None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0,
                  sample_weight=None) -> Tensor:
    r"""Softmax cross-entropy between logits and class indices or class probabilities.

    Formula: with q = log_softmax(x) over the class dimension, ε = ``label_smoothing``, C
    classes, class weights w (1 by default) and sample weights sw (1 by default), the
    unreduced loss of target n is

    class indices yₙ::

        ℓₙ = swₙ · [ (1 − ε)·w_{yₙ}·(−q_{n,yₙ}) + (ε/C)·Σ_c w_c·(−q_{n,c}) ]   (0 if ignored)
        'mean': Σₙ ℓₙ / Σₙ swₙ·w_{yₙ}·[yₙ ≠ ignore_index]

    class probabilities tₙ (same shape as input)::

        ℓₙ = −swₙ · Σ_c w_c · t'_{n,c} · q_{n,c},     t' = (1 − ε)·t + ε/C
        'mean': Σₙ ℓₙ / Σₙ swₙ   (N without sample weights; class weights do not enter it)

    and ``'sum'`` is Σₙ ℓₙ, ``'none'`` is ℓ. With ε = 0 and one-hot t both reduce to −q_{n,yₙ}.

    Args:
        input: unnormalized logits x, class dim 1 (dim 0 for a single unbatched sample).
        target: integer class indices (shape without the class dim), or floating class
            probabilities of exactly ``input``'s shape; the two are told apart by shape.
        weight: optional weight per class, shape (C,).
        ignore_index: class-index targets equal to it are skipped (loss 0, not counted in the
            mean). Only for index targets; must stay negative with probability targets.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (PyTorch's weighted mean, see above).
        label_smoothing: ε ∈ [0, 1]; mixes the target with the uniform distribution ε/C.
        {sample_weight}

    Shape:
        {class_shape}
            or the same shape as input, floating, for class probabilities.
        output: a scalar, or the shape of input without the class dim with ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import cross_entropy
        >>> logits = ll.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]], requires_grad=True)
        >>> round(cross_entropy(logits, ll.tensor([0, 2])).item(), 4)
        0.1681
        >>> round(cross_entropy(logits, ll.tensor([0, 2]), label_smoothing=0.1).item(), 4)
        0.3431

    Note:
        * Class-index targets go through one fused primitive,
          :class:`~losslab.losses.classification.SoftmaxCrossEntropy` (max-shifted log-softmax,
          gather, weights, smoothing and ignore mask in one node, gradient
          w·(softmax(x) − t') written out); it equals log_softmax + ``nll_loss`` and is tested
          against it. Finite for any finite logits, also ±1e4.
        * Label smoothing follows PyTorch exactly, including its interaction with ``weight``
          described next.
        {ls_weight_note}
        * Errors: float targets of index shape → TypeError; integer targets of input's shape
          → TypeError; indices outside [0, C) → ClassIndexError (ValueError); a negative
          ``label_smoothing`` → ValueError (PyTorch ignores it silently).
        * When every target is ignored, ``'mean'`` is nan, as in PyTorch. ``weight`` is
          differentiable here (PyTorch refuses a weight that requires grad).
        * Arguments after ``weight`` are keyword-only: PyTorch's positional order has the
          deprecated ``size_average``/``reduce`` in between, so a positional call ported from
          PyTorch fails loudly instead of binding the wrong option.

    References:
        PyTorch ``CrossEntropyLoss`` (``aten/src/ATen/native/LossNLL.cpp``); Szegedy et al.
        (2016), "Rethinking the Inception architecture" (label smoothing).
    """
    fn = "cross_entropy"
    if (reduction == "mean" and weight is None and sample_weight is None
            and type(reduction) is str and type(ignore_index) is int
            and type(label_smoothing) in (float, int) and label_smoothing == 0 and isinstance(input, Tensor) and isinstance(target, Tensor)):
        # The common case (issue 8): (N, C) logits and N class indices, all valid. Checked with a
        # min and a max instead of the general path's masks; anything else (an index out of
        # range, an ignored target, another shape) falls through to the full checks below.
        x, idx = input.data, target.data
        if (x.dtype.kind == "f" and x.ndim == 2 and idx.dtype.kind in "iu"
                and idx.shape == (x.shape[0],) and x.shape[0] > 0):
            n_classes = x.shape[1]
            ignore = ignore_index if 0 <= ignore_index < n_classes else None
            if (_amin(idx, axis=None) >= 0 and _amax(idx, axis=None) < n_classes
                    and (ignore is None or not (idx == ignore).any())):
                return SoftmaxCrossEntropyMean.apply(input, idx=idx.astype(np.int64, copy=False),
                                                     ignore=ignore)
    check_reduction(reduction, fn)
    ls = _check_label_smoothing(label_smoothing, fn)
    input, class_dim = _class_input(input, fn)
    n_classes = input.shape[class_dim]
    w = _class_weight(weight, input, class_dim, fn)

    if _shape(target) == tuple(input.shape):  # class probabilities (PyTorch decides by shape)
        t_arr = _arr(target) if isinstance(target, Tensor) else np.asarray(target)
        if t_arr.dtype.kind != "f":
            raise TypeError(
                f"{fn}: a target of the input's shape {tuple(input.shape)} is read as class "
                f"probabilities and must be floating, got dtype {t_arr.dtype}; for class "
                f"indices give it shape {tuple(input.shape[:class_dim] + input.shape[class_dim + 1:])}"
            )
        if ignore_index >= 0:
            raise ValueError(f"{fn}: ignore_index={ignore_index} is not supported with class-"
                             "probability targets (use per-sample weighting with reduction='none')")
        logp = _ops.log_softmax(input, class_dim)
        wb = None if w is None else w.reshape(_class_shape(input.ndim, n_classes, class_dim))
        t = as_tensor_like(target, input, fn)
        if ls > 0:
            t = t * (1.0 - ls) + ls / n_classes
        prod = logp * t if wb is None else logp * t * wb
        return reduce(-prod.sum(class_dim), reduction, sample_weight=sample_weight, fn=fn)

    idx = as_class_indices(target, input, ignore_index, fn, class_dim)
    mask = idx != ignore_index
    if (w is None and ls == 0 and reduction == "mean" and sample_weight is None and input.ndim == 2
            and idx.shape[0] > 0 and mask.all()):
        ignore = ignore_index if 0 <= ignore_index < n_classes else None
        return SoftmaxCrossEntropyMean.apply(input, idx=idx, ignore=ignore)  # one fused node
    if mask.all():
        safe, mask = idx, None
    else:
        safe = np.where(mask, idx, 0)  # ignored positions gather class 0, then are masked out
    loss = SoftmaxCrossEntropy.apply(input, w, idx=safe, mask=mask, dim=class_dim, ls=ls)
    if w is not None:
        kept = w[safe] if mask is None else w[safe] * mask.astype(input.dtype)
    else:
        kept = None if mask is None else mask.astype(input.dtype)
    return _reduce_per_target(loss, reduction, kept, sample_weight, fn)
