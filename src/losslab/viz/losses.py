"""Loss profiles: a loss (and its gradient) as a function of one number — the error, the margin,
or the predicted probability of the true class — drawn as in seed 002 ("loss vs error").

:func:`loss_profile_data` computes the arrays with the engine (``reduction="none"``, then
``backward``), so the gradient drawn is exactly what training would use, kink conventions
included; :func:`loss_profile` draws the loss with its gradient beneath, sharing the x axis, and
marks the kinks it finds numerically (the gradient jumps there: MAE at 0, hinge at margin 1).

The profile variable of each family:

======================  ===========================================================  =========
family                  what the loss is evaluated on (x is the plotted variable)    kind
======================  ===========================================================  =========
regression (real)       input = x, target = 0 (MAPE: target 1, input = 1 + x)        error
regression (rates)      input = 1 + x (a rate), target = 1                           error
regression (log-rates)  input = x = log λ − log y, target y = 1                      error
binary (logits/scores)  input = x, target = positive class (1, or +1 for ±1 losses)  margin
binary (probabilities)  input = p = x, target = 1                                    probability
multiclass (logits,     two classes: input = [x, 0], target = class 0, so x is the   margin
scores)                 logit difference f_y − f_other
multiclass (log-probs)  input = [log p, log(1 − p)], target = class 0                probability
multilabel              one class (soft margin: input = x, label 1) or two classes   margin
                        (margin loss: input = [x, 0], target class 0)
ranking (pairs)         margin ranking: input1 = x, input2 = 0, target +1; ranking   margin
                        softmax: a list of two items, scores [x, 0], relevance [1, 0]
ranking (distances)     hinge embedding: input = distance x, dissimilar pair (−1)    distance
distribution            two outcomes: predicted (p, 1 − p) (as log-probabilities     probability
                        where the loss takes them), target (1, 0)
======================  ===========================================================  =========

A probability-input loss can be drawn against the margin (p = sigmoid(m)) and a logit-input loss
against the probability (m = log p − log(1 − p)); the gradient is always the derivative with
respect to the plotted variable. Losses without a one-number profile — embedding and contrastive
ranking losses, CTC, segmentation overlap losses, vector losses — raise a ValueError.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ._common import check_save, new_figure, save_figure

__all__ = ["loss_profile", "loss_profile_data", "supported_losses", "LossProfile", "Kink", "KINDS"]

#: The profile variables (x axes), in the order their columns are drawn.
KINDS = ("error", "margin", "probability", "distance")

_DEFAULT_RANGE = {"error": (-3.0, 3.0), "margin": (-3.0, 3.0), "probability": (0.01, 0.99),
                  "distance": (0.0, 3.0)}
_XLABEL = {"error": "error e = input − target", "margin": "margin m = y·f (multiclass: f_y − f_other)",
           "probability": "predicted probability p of the true class", "distance": "distance d"}
_SYMBOL = {"error": "e", "margin": "m", "probability": "p", "distance": "d"}
_TITLE = {"error": "Regression losses vs error", "margin": "Classification losses vs margin",
          "probability": "Losses vs predicted probability", "distance": "Losses vs distance"}
_SUPPORTED_FAMILIES = (
    "regression losses on real values, rates or log-rates (vs error); binary, multiclass and "
    "multilabel classification losses on logits, scores, probabilities or log-probabilities (vs "
    "margin or predicted probability; multiclass as a 2-class logit difference); margin ranking, "
    "ranking softmax and hinge embedding losses; distribution losses on two outcomes (vs predicted "
    "probability)")
#: Arguments the profile sets itself.
_RESERVED = ("reduction", "sample_weight")


@dataclass(frozen=True)
class Kink:
    """A point where the profile's gradient jumps (the loss is continuous but not differentiable).

    Attributes:
        x: where (located by bisection to ~1e-12 of the range).
        loss: the loss there.
        grad_left, grad_right: the gradient just left and right of ``x``.
    """

    x: float
    loss: float
    grad_left: float
    grad_right: float


@dataclass(frozen=True)
class LossProfile:
    """The arrays of one loss profile; unpacks as ``x, loss, grad = profile``.

    Attributes:
        name: the registry name. label: the legend label (name and non-default parameters).
        kind: one of :data:`KINDS`. xlabel: what x is, in words. note: how input and target
        are built from x.
        x, loss, grad: float64 arrays; ``grad`` = d loss / d x from the engine's backward.
        kinks: the :class:`Kink` s found in the range (the gradient jumps there).
        params: the loss's keyword arguments used.
    """

    name: str
    label: str
    kind: str
    xlabel: str
    note: str
    x: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    kinks: tuple = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.x, self.loss, self.grad))


class _Unsupported(Exception):
    """A loss has no 1-D profile (the message says why)."""


@dataclass(frozen=True)
class _Spec:
    kind: str
    domain: tuple  # open interval of x where the loss is defined
    make: Callable  # x Tensor (N,) -> (args, kwargs) for info.fn
    note: str


# -- building inputs from the profile variable ----------------------------------------------
def _ll():
    import losslab as ll  # the engine; imported late so ``import losslab.viz`` stays light
    return ll


def _prob_parts(x, kind):
    """(p, 1 − p, log p, log(1 − p)) as Tensors from the plotted variable, computed stably."""
    ll = _ll()
    if kind == "probability":
        return x, 1.0 - x, ll.log(x), ll.log1p(-x)
    # margin: p = sigmoid(m); log σ(m) = −softplus(−m) avoids log(1 − ...) cancellation (the
    # identity torch.nn.functional.logsigmoid uses); 1 − p = σ(−m) rather than 1 − σ(m)
    return ll.sigmoid(x), ll.sigmoid(-x), -ll.softplus(-x, threshold=50.0), -ll.softplus(x, threshold=50.0)


def _margin_of(x, kind):
    """The logit m from the plotted variable (m itself, or log p − log(1 − p))."""
    ll = _ll()
    if kind == "margin":
        return x
    return ll.log(x) - ll.log1p(-x)  # the logit, from p in (0, 1)


def _two(a, b):
    return _ll().stack([a, b], dim=1)


def _const(value, n, dtype=None):
    ll = _ll()
    return ll.tensor(np.full(n, value, dtype=dtype or np.float64))


def _spec(info, kind: str | None, params: Mapping) -> _Spec:
    """How to evaluate ``info`` on a 1-D profile of ``kind`` (None: its natural kind)."""
    name, task, ik, tk = info.name, info.task, info.input_kind, info.target_kind.lower()
    ll = _ll()
    inf = math.inf

    def want(natural: str, allowed: Sequence[str]) -> str:
        k = natural if kind is None else kind
        if k not in allowed:
            why = {"error": "regression losses only", "distance": "distance losses only"}.get(k, "")
            raise _Unsupported(f"it cannot be drawn against kind={k!r} ({ik} input; possible: "
                               f"{', '.join(map(repr, allowed))}{'; ' + why if why else ''})")
        return k

    if info.batch_coupled:
        raise _Unsupported("a sample's loss depends on the other samples of the batch (in-batch "
                           "negatives), so it is not a function of one number")

    if task == "regression":
        if "dim" in info.hyperparameters:
            raise _Unsupported("it compares whole vectors (along `dim`), not an elementwise error")
        if name == "poisson_nll_loss" and params.get("log_input", True) is False:
            ik = "rates"
        k = want("error", ("error",))
        if ik == "real":
            t0 = 1.0 if ("away from 0" in tk or name == "mean_absolute_percentage_error") else 0.0
            note = f"input = {t0:g} + e, target = {t0:g}"
            return _Spec(k, (-inf, inf), lambda x: ((x + t0, _const(t0, x.shape[0])), {}), note)
        if ik == "rates":
            return _Spec(k, (-1.0, inf), lambda x: ((x + 1.0, _const(1.0, x.shape[0])), {}),
                         "input = rate 1 + e (> 0), target = 1")
        if ik == "log-rates":
            return _Spec(k, (-inf, inf), lambda x: ((x, _const(1.0, x.shape[0])), {}),
                         "input = log-rate e (error in log space), target = 1")
        raise _Unsupported(f"its input kind {ik!r} has no error axis")

    if task in ("binary", "multiclass", "multilabel", "distribution"):
        logit_like = ik in ("logits", "scores")
        natural = "margin" if logit_like else "probability"
        allowed = ("margin", "probability") if ik != "scores" else ("margin",)
        if ik not in ("logits", "scores", "probabilities", "log-probabilities", "log-rates"):
            raise _Unsupported(f"its input kind {ik!r} has no margin or probability axis")
        k = want(natural, allowed)
        if task == "binary":
            if logit_like:
                lab = "+1" if "−1 or +1" in tk or "-1 or +1" in tk else "1"
                return _Spec(k, _domain(k), lambda x: ((_margin_of(x, k), _const(1.0, x.shape[0])), {}),
                             f"input = logit/score m, target = {lab} (positive class)")
            if ik == "probabilities":
                return _Spec(k, _domain(k), lambda x: ((_prob_parts(x, k)[0], _const(1.0, x.shape[0])), {}),
                             "input = p, target = 1")
            raise _Unsupported(f"its input kind {ik!r} is not a binary prediction")
        if task == "multiclass":
            idx = lambda n: ll.tensor(np.zeros(n, dtype=np.int64))  # noqa: E731 - class 0 is the true class
            if logit_like:
                return _Spec(k, _domain(k),
                             lambda x: ((_two(_margin_of(x, k), ll.zeros_like(x)), idx(x.shape[0])), {}),
                             "2 classes: input = [m, 0], target = class 0 (m = f_y − f_other)")
            if ik == "log-probabilities":
                def mk(x):
                    _, _, lp, lq = _prob_parts(x, k)
                    return (_two(lp, lq), idx(x.shape[0])), {}
                return _Spec(k, _domain(k), mk, "2 classes: input = [log p, log(1 − p)], target = class 0")
            if ik == "probabilities":
                def mk(x):
                    p, q, _, _ = _prob_parts(x, k)
                    return (_two(p, q), idx(x.shape[0])), {}
                return _Spec(k, _domain(k), mk, "2 classes: input = [p, 1 − p], target = class 0")
            raise _Unsupported(f"its input kind {ik!r} is not a class prediction")
        if task == "multilabel":
            if not logit_like:
                raise _Unsupported(f"its input kind {ik!r} has no margin axis")
            if "padded with -1" in tk:  # class-index targets (multilabel_margin_loss)
                def mk(x):
                    tgt = np.tile(np.array([0, -1], dtype=np.int64), (x.shape[0], 1))
                    return (_two(_margin_of(x, k), ll.zeros_like(x)), ll.tensor(tgt)), {}
                return _Spec(k, _domain(k), mk, "2 classes: input = [m, 0], target classes {0}")
            return _Spec(k, _domain(k),
                         lambda x: ((_margin_of(x, k).reshape(-1, 1), ll.ones((x.shape[0], 1), dtype=ll.float64)), {}),
                         "one label: input = [m], target = [1]")
        # distribution: two outcomes, target (1, 0)
        log_input = ik in ("log-probabilities", "log-rates") and params.get("log_input", True) is not False
        if params.get("log_target", False):
            raise _Unsupported("its profile uses the target distribution (1, 0), which has no "
                               "log-probabilities; leave log_target=False")

        def mk(x):
            p, q, lp, lq = _prob_parts(x, k)
            tgt = np.tile(np.array([1.0, 0.0]), (x.shape[0], 1))
            return (_two(lp, lq) if log_input else _two(p, q), ll.tensor(tgt)), {}
        what = "[log p, log(1 − p)]" if log_input else "[p, 1 − p]"
        return _Spec(k, _domain(k), mk, f"2 outcomes: input = {what}, target = (1, 0)")

    if task == "ranking":
        if ik == "embeddings":
            raise _Unsupported("it takes embedding vectors (its loss depends on distances or angles "
                               "between vectors, not on one number)")
        if name == "margin_ranking_loss" or "input1" in tk:
            k = want("margin", ("margin",))
            return _Spec(k, (-inf, inf),
                         lambda x: ((x, ll.zeros_like(x)), {"target": _const(1.0, x.shape[0])}),
                         "input1 = m, input2 = 0, target = +1 (m = score difference)")
        if ik == "scores":
            k = want("margin", ("margin",))

            def mk(x):
                rel = np.tile(np.array([1.0, 0.0]), (x.shape[0], 1))
                return (_two(x, ll.zeros_like(x)), ll.tensor(rel)), {}
            return _Spec(k, (-inf, inf), mk, "a list of 2 items: scores [m, 0], relevance [1, 0]")
        if ik == "distances":
            k = want("distance", ("distance",))
            return _Spec(k, (0.0, inf), lambda x: ((x, _const(-1.0, x.shape[0])), {}),
                         "input = distance d, target = −1 (a dissimilar pair)")
        raise _Unsupported(f"its input kind {ik!r} has no 1-D profile")

    if task == "segmentation":
        raise _Unsupported("it is an overlap (set) loss computed over all the pixels of a mask, so "
                           "one prediction alone would misrepresent it")
    if task == "sequence":
        raise _Unsupported("it scores whole label sequences against per-frame log-probabilities "
                           "(an alignment over time), not one prediction")
    raise _Unsupported(f"its task {task!r} has no 1-D profile")


def _domain(kind):
    return (0.0, 1.0) if kind == "probability" else (-math.inf, math.inf)


# -- evaluation -----------------------------------------------------------------------------
def _resolve(item, params):
    """(LossInfo, params dict) from a name, a LossInfo, or a (name_or_info, params) pair."""
    import losslab.losses as L

    item_params = None
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Mapping):
        item, item_params = item
    if isinstance(item, L.LossInfo):
        info = item
    elif isinstance(item, str):
        try:
            info = L.get(item)
        except KeyError as e:
            raise ValueError(f"loss_profile: {e.args[0]}") from None
    else:
        raise TypeError(f"loss_profile: expected a loss name, a LossInfo or a (name, params) pair, "
                        f"got {type(item).__name__} {item!r}")
    p = {}
    if params:
        if not isinstance(params, Mapping):
            raise TypeError(f"loss_profile: params must be a mapping, got {type(params).__name__}")
        per_loss = all(isinstance(v, Mapping) for v in params.values())
        if per_loss:
            p.update(params.get(info.name, {}))
        else:
            p.update(params)
    if item_params:
        p.update(item_params)
    for key in p:
        if key in _RESERVED:
            raise ValueError(f"loss_profile: {key}= is set by the profile itself (per-sample losses); "
                             f"remove it from the parameters of {info.name}")
        if key not in info.hyperparameters:
            hp = [h for h in info.hyperparameters if h not in _RESERVED]
            raise ValueError(f"loss_profile: {info.name} has no parameter {key!r}; its parameters "
                             f"are {hp or 'none'}")
    return info, p


def _evaluate(info, spec, params, x: np.ndarray):
    """Per-point loss and d loss / d x (engine backward) at the points ``x``."""
    ll = _ll()
    with ll.enable_grad(), np.errstate(all="ignore"):
        xt = ll.tensor(np.asarray(x, dtype=np.float64), dtype=ll.float64, requires_grad=True)
        args, kwargs = spec.make(xt)
        out = info.fn(*args, reduction="none", **kwargs, **params)
        if out.ndim != 1:
            out = out.reshape(xt.shape[0], -1).sum(dim=1)
        out.sum().backward()
    grad = np.zeros_like(xt.data) if xt.grad is None else np.array(xt.grad.data, dtype=np.float64)
    return np.array(out.data, dtype=np.float64), grad


def _find_kinks(info, spec, params, x, g, iterations: int = 48):
    """Points where the gradient jumps: candidates from the grid, confirmed by bisection (a true
    jump keeps its size as the bracket shrinks; a steep smooth gradient does not)."""
    if len(x) < 3:
        return ()
    d = np.abs(np.diff(g))
    ok = np.isfinite(d)
    if not ok.any():
        return ()
    scale = float(np.nanmax(np.abs(g[np.isfinite(g)]))) if np.isfinite(g).any() else 1.0
    atol = 1e-6 * max(scale, 1e-12) + 1e-12
    # a candidate changes much more than a neighbouring interval does (a smooth gradient changes
    # by similar amounts on neighbouring intervals; a jump sits between two quiet ones, or two
    # jumps share a grid point holding the convention value, e.g. sign(0) = 0)
    dd = np.where(ok, d, 0.0)
    left = np.concatenate([[np.inf], dd[:-1]])
    right = np.concatenate([dd[1:], [np.inf]])
    base = np.minimum(left, right)
    base = np.where(np.isinf(base), np.where(np.isinf(left), right, left), base)
    cand = np.flatnonzero(ok & (dd > atol) & (dd > 4.0 * base))
    if len(cand) == 0:
        return ()
    if len(cand) > 64:  # a wildly oscillating gradient: keep the largest jumps
        cand = cand[np.argsort(dd[cand])[-64:]]
        cand.sort()
    a, b = x[cand].astype(np.float64), x[cand + 1].astype(np.float64)
    ga, gb = g[cand].astype(np.float64), g[cand + 1].astype(np.float64)
    for _ in range(iterations):
        mid = 0.5 * (a + b)
        _, gm = _evaluate(info, spec, params, mid)
        left = np.abs(gm - ga) <= np.abs(gm - gb)
        a, ga = np.where(left, mid, a), np.where(left, gm, ga)
        b, gb = np.where(left, b, mid), np.where(left, gb, gm)
    jump = np.abs(gb - ga)
    real = np.isfinite(jump) & (jump > atol) & (jump > 0.25 * dd[cand])
    if not real.any():
        return ()
    xs = 0.5 * (a[real] + b[real])
    gl, gr = ga[real], gb[real]
    # merge kinks found from both sides of a grid point (the convention value sits between them)
    tol = 1e-9 * max(1.0, float(np.ptp(x)))
    merged = []
    for xi, l, r in zip(xs, gl, gr):
        if merged and xi - merged[-1][0] <= tol + 1e-9 * abs(xi):
            merged[-1][2] = r
        else:
            merged.append([xi, l, r])
    kx = np.array([m[0] for m in merged])
    # report a kink found to ~1e-12 at a round number as that number (MAE at 0, hinge at 1)
    kx = np.where(np.abs(kx - np.round(kx, 9)) < 1e-10, np.round(kx, 9), kx) + 0.0  # (no −0.0)
    kl, _ = _evaluate(info, spec, params, kx)
    # one-sided limits just off the kink (the bracket's ends may sit on the convention value)
    delta = 1e-7 * max(1.0, float(np.ptp(x)))
    _, gl = _evaluate(info, spec, params, kx - delta)
    _, gr = _evaluate(info, spec, params, kx + delta)
    return tuple(Kink(float(xk), float(lk), float(a_) + 0.0, float(b_) + 0.0)
                 for xk, lk, a_, b_ in zip(kx, kl, gl, gr))


def _grid(spec, rng, num, name):
    lo_d, hi_d = spec.domain
    if rng is None:
        lo, hi = _DEFAULT_RANGE[spec.kind]
        span = hi - lo
        lo = max(lo, lo_d + 0.01 * span) if math.isfinite(lo_d) and lo <= lo_d else lo
        hi = min(hi, hi_d - 0.01 * span) if math.isfinite(hi_d) and hi >= hi_d else hi
    else:
        try:
            lo, hi = (float(v) for v in rng)
        except (TypeError, ValueError):
            raise ValueError(f"loss_profile: range must be a pair (low, high) of numbers, got {rng!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"loss_profile: range must be finite with low < high, got {rng!r}")
        if lo < lo_d or hi > hi_d:
            raise ValueError(f"loss_profile: range {rng!r} leaves the domain of {name} on the "
                             f"{spec.kind} axis: x must lie in ({lo_d:g}, {hi_d:g}) ({spec.note})")
        span = hi - lo
        lo = lo + 1e-3 * span if lo == lo_d else lo  # open domain: step off its edge
        hi = hi - 1e-3 * span if hi == hi_d else hi
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool) or num < 3:
        raise ValueError(f"loss_profile: num must be an integer >= 3, got {num!r}")
    return np.linspace(lo, hi, int(num))


def _label(info, params):
    if not params:
        return info.name
    shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
                      if not hasattr(v, "shape"))
    return f"{info.name} ({shown})" if shown else info.name


def _check_kind(kind):
    if kind is not None and kind not in KINDS:
        raise ValueError(f"loss_profile: kind must be None or one of {KINDS}, got {kind!r}")


def _unsupported_error(info, reason):
    return ValueError(f"loss_profile: {info.name} (task {info.task!r}, {info.input_kind} input) has no "
                      f"1-D profile: {reason}. Supported: {_SUPPORTED_FAMILIES}; "
                      f"losslab.viz.supported_losses() lists them.")


def loss_profile_data(name, *, kind: str | None = None, range=None, params: Mapping | None = None,
                      num: int = 401, x=None) -> LossProfile:
    """A loss and its gradient along one number (error, margin or probability), from the engine.

    Formula::

        x ↦ ℓ(input(x), target),   g(x) = dℓ/dx   (by the engine's backward, reduction="none")

    with input(x) and target as in the module's table: regression ``input = x``, ``target = 0``
    (e = input − target); classification on logits/scores ``input = m`` with the positive class
    as target (a 2-class logit difference [m, 0] for multiclass); probability inputs
    ``input = p`` with target 1.

    Args:
        name: a registry name (``"huber_loss"``), a :class:`~losslab.losses.LossInfo`, or a
            pair ``(name, params)``.
        kind: the x axis: ``"error"``, ``"margin"``, ``"probability"`` or ``"distance"``; None
            for the loss's natural one. Probability losses can be drawn vs margin
            (p = sigmoid(m)) and logit losses vs probability.
        range: ``(low, high)`` of x (default (−3, 3), probabilities (0.01, 0.99)); must lie in
            the loss's domain on that axis.
        params: the loss's keyword arguments (e.g. ``{"delta": 0.5}``); ``reduction`` and
            ``sample_weight`` are set by the profile.
        num: number of grid points (odd, so 0 of a symmetric range is on the grid).
        x: explicit points instead of the grid (1-D, within the domain).

    Shape:
        ``x``, ``loss``, ``grad``: (num,) float64 arrays.

    Returns:
        a :class:`LossProfile`; ``x, loss, grad = loss_profile_data(...)`` unpacks the arrays,
        ``.kinks`` lists the gradient jumps found (located by bisection).

    Example:
        >>> from losslab.viz import loss_profile_data
        >>> prof = loss_profile_data("l1_loss", range=(-1, 1), num=5)
        >>> x, loss, grad = prof
        >>> x.tolist(), loss.tolist(), grad.tolist()
        ([-1.0, -0.5, 0.0, 0.5, 1.0], [1.0, 0.5, 0.0, 0.5, 1.0], [-1.0, -1.0, 0.0, 1.0, 1.0])
        >>> [(k.x, k.grad_left, k.grad_right) for k in prof.kinks]
        [(0.0, -1.0, 1.0)]

    Note:
        The gradient at a kink is the engine's convention (PyTorch's: sign(0) = 0 for MAE, 0 at
        the hinge's corner); the kink itself is found numerically, so a C¹ loss (Huber) has none
        and ``smooth_l1_loss(beta=0)`` (= L1) has one. Raises ValueError for losses with no
        one-number profile (embedding/contrastive ranking, CTC, segmentation overlap, vector
        losses), naming the loss and the reason.
    """
    _check_kind(kind)
    info, p = _resolve(name, params)
    try:
        spec = _spec(info, kind, p)
    except _Unsupported as e:
        raise _unsupported_error(info, e) from None
    if x is None:
        xs = _grid(spec, range, num, info.name)
    else:
        xs = np.asarray(x.data if hasattr(x, "data") and not isinstance(x, np.ndarray) else x, dtype=np.float64)
        if xs.ndim != 1 or xs.size == 0 or not np.isfinite(xs).all():
            raise ValueError(f"loss_profile_data: x must be a non-empty 1-D array of finite numbers, "
                             f"got shape {xs.shape}")
        lo_d, hi_d = spec.domain
        if (xs <= lo_d).any() or (xs >= hi_d).any():
            raise ValueError(f"loss_profile_data: x leaves the domain of {info.name} on the "
                             f"{spec.kind} axis: it must lie in ({lo_d:g}, {hi_d:g}) ({spec.note})")
    try:
        loss, grad = _evaluate(info, spec, p, xs)
    except (ValueError, TypeError) as e:
        raise ValueError(f"loss_profile: evaluating {info.name} on its {spec.kind} profile "
                         f"({spec.note}) failed: {e}") from e
    order_ok = x is None or bool(np.all(np.diff(xs) > 0))
    kinks = _find_kinks(info, spec, p, xs, grad) if order_ok else ()
    label = _label(info, p)
    natural = _spec(info, None, p).kind
    if natural != spec.kind:  # drawn on another axis than its input's: say how it was converted
        label += " [p = σ(m)]" if spec.kind == "margin" else " [m = logit p]"
    return LossProfile(name=info.name, label=label, kind=spec.kind, xlabel=_XLABEL[spec.kind],
                       note=spec.note, x=xs, loss=loss, grad=grad, kinks=kinks, params=dict(p))


def supported_losses(task: str | None = None) -> list:
    """Names of the registered losses that :func:`loss_profile` can draw (optionally of ``task``).

    Example:
        >>> from losslab.viz import supported_losses
        >>> "huber_loss" in supported_losses() and "ctc_loss" not in supported_losses()
        True
    """
    import losslab.losses as L

    out = []
    for n in L.available(task):
        try:
            _spec(L.get(n), None, {})
        except _Unsupported:
            continue
        out.append(n)
    return out


def _default_kind(infos_params) -> list:
    """The kind of each loss when kind=None: classification losses share the margin axis as soon
    as one of them is natively on it (probability losses convert with p = sigmoid(m))."""
    natural = []
    for info, p in infos_params:
        natural.append(_spec(info, None, p).kind)
    if "margin" in natural:
        out = []
        for (info, p), k in zip(infos_params, natural):
            if k == "probability":
                try:
                    _spec(info, "margin", p)
                    k = "margin"
                except _Unsupported:
                    pass
            out.append(k)
        return out
    return natural


def _broken(prof: LossProfile):
    """The gradient curve with a gap at each kink, ending/starting at the one-sided limits."""
    x, g = prof.x, prof.grad
    if not prof.kinks:
        return x, g
    xs, gs = [], []
    edges = [-math.inf] + [k.x for k in prof.kinks] + [math.inf]
    eps = 1e-9 * max(1.0, float(np.ptp(x)))
    for j in range(len(edges) - 1):
        lo, hi = edges[j], edges[j + 1]
        m = (x > lo + eps) & (x < hi - eps)
        sx, sg = list(x[m]), list(g[m])
        if j > 0:
            sx.insert(0, lo)
            sg.insert(0, prof.kinks[j - 1].grad_right)
        if j < len(prof.kinks):
            sx.append(hi)
            sg.append(prof.kinks[j].grad_left)
        xs += sx + [math.nan]
        gs += sg + [math.nan]
    return np.array(xs[:-1]), np.array(gs[:-1])


_LINESTYLES = ("-", "--", "-.", ":")


def _robust_ylim(ax, arrays) -> None:
    """Clip the y range to the bulk of the values when a few blow up (−1/p near p = 0, MAPE...):
    the curve then runs off the panel instead of flattening everything else."""
    v = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if v.size < 10:
        return
    full_lo, full_hi = float(v.min()), float(v.max())
    lo, hi = (float(q) for q in np.percentile(v, [4.0, 96.0]))
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo <= 0 or (full_hi - full_lo) <= 3.0 * (hi - lo):
        return
    pad = 0.25 * (hi - lo)
    ax.set_ylim(max(full_lo, lo - pad) - 0.02 * (hi - lo), min(full_hi, hi + pad) + 0.02 * (hi - lo))


def loss_profile(names, *, kind: str | None = None, range=None, params: Mapping | None = None,
                 num: int = 401, title: str | None = None, save=None):
    """Plot losses against the error (regression) or the margin / predicted probability
    (classification), each with its gradient in a panel beneath, as in seed 002.

    Formula::

        top:    x ↦ ℓ(input(x), target)          bottom: x ↦ dℓ/dx (engine backward)

    (see :func:`loss_profile_data` for input(x) and target of each family). Kinks (jumps of the
    gradient, found numerically) are marked with a dot on the loss and a dotted jump on the
    gradient; the gradient curve is broken there, so MAE's jump from −1 to +1 at 0 and hinge's
    flat zero tail beyond margin 1 are visible.

    Args:
        names: a loss name, a LossInfo, a ``(name, params)`` pair (to draw one loss with several
            parameters, e.g. ``[("huber_loss", {"delta": 0.5}), ("huber_loss", {"delta": 2.0})]``),
            or a list of these. Losses on different axes (regression and classification) are
            drawn in side-by-side columns.
        kind: force one x axis for every loss (see :func:`loss_profile_data`); None: regression
            losses vs error, classification losses vs margin (vs probability when all of them
            take probabilities).
        range: ``(low, high)`` of x, for every column.
        params: keyword arguments of the losses: ``{"delta": 2.0}`` for all (each must accept
            them), or ``{"huber_loss": {"delta": 2.0}, ...}`` per loss.
        num: grid points per curve.
        title: the figure's title (default: none; each column is titled by its axis).
        save: None, or a path ending in ``.png`` or ``.svg`` to write the figure to.

    Shape:
        a Figure with 2 rows (loss, gradient) × one column per axis kind; the rows share x.

    Returns:
        the matplotlib ``Figure`` (not registered with pyplot: nothing to close).

    Example:
        >>> from losslab.viz import loss_profile
        >>> fig = loss_profile(["mse_loss", "l1_loss", "huber_loss"], num=101)
        >>> [ax.get_ylabel() for ax in fig.axes]
        ['loss ℓ', 'dℓ/de']
        >>> fig = loss_profile(["hinge_loss", "binary_cross_entropy_with_logits"], num=101)
        >>> fig.axes[1].get_xlabel()
        'margin m = y·f (multiclass: f_y − f_other)'

    Note:
        Raises ValueError for a loss with no one-number profile (naming it and why), an unknown
        name (with close matches), a range outside the loss's domain, or a ``save`` suffix other
        than .png/.svg.
    """
    check_save(save, "loss_profile")
    _check_kind(kind)
    items = [names] if isinstance(names, (str, tuple)) or not isinstance(names, Sequence) else list(names)
    if isinstance(names, tuple) and not (len(names) == 2 and isinstance(names[1], Mapping)):
        items = list(names)
    if not items:
        raise ValueError("loss_profile: names is empty; give at least one loss name")
    resolved = [_resolve(it, params) for it in items]
    kinds = []
    for info, p in resolved:
        try:
            kinds.append(_spec(info, kind, p).kind)
        except _Unsupported as e:
            raise _unsupported_error(info, e) from None
    if kind is None:
        kinds = _default_kind(resolved)
    profiles = [loss_profile_data(info, kind=k, range=range, params=p, num=num)
                for (info, p), k in zip(resolved, kinds)]
    columns = [k for k in KINDS if k in kinds]
    fig, axes = new_figure(2, len(columns), figsize=(5.2 * len(columns), 6.0), sharex="col",
                           gridspec_kw={"height_ratios": [3, 2]})
    for c, k in enumerate(columns):
        ax_l, ax_g = axes[0][c], axes[1][c]
        col = [p for p in profiles if p.kind == k]
        for i, prof in enumerate(col):
            color, ls = f"C{i % 10}", _LINESTYLES[i % len(_LINESTYLES)]  # styles keep equal curves visible
            ax_l.plot(prof.x, prof.loss, color=color, ls=ls, lw=2, label=prof.label)
            gx, gy = _broken(prof)
            ax_g.plot(gx, gy, color=color, ls=ls, lw=2)
            for kk in prof.kinks:
                ax_l.plot([kk.x], [kk.loss], "o", color=color, ms=6, mec="black", zorder=3)
                ax_g.plot([kk.x, kk.x], [kk.grad_left, kk.grad_right], ":", color=color, lw=1.5)
                ax_g.plot([kk.x, kk.x], [kk.grad_left, kk.grad_right], "o", color=color, ms=4, mfc="white")
        ax_g.axhline(0.0, color="0.6", lw=0.8, zorder=0)
        _robust_ylim(ax_l, [p.loss for p in col])
        _robust_ylim(ax_g, [p.grad for p in col])
        ax_l.set_title(_TITLE[k])
        ax_l.set_ylabel("loss ℓ")
        ax_g.set_ylabel(f"dℓ/d{_SYMBOL[k]}")
        ax_g.set_xlabel(_XLABEL[k])
        ax_l.grid(alpha=0.3)
        ax_g.grid(alpha=0.3)
        ax_l.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    save_figure(fig, save, "loss_profile")
    return fig
