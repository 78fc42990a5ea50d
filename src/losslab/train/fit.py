"""``fit``: the training loop — mini-batch gradient descent with metrics, callbacks, divergence
detection, gradient clipping, learning-rate schedules, checkpoints and exact resumption.

One epoch::

    model.train()
    for x, y in train_loader:             # the loader's batch_size: "full" (batch GD), 1 (SGD), m
        optimizer.zero_grad()
        loss = loss_fn(model(x), adapt(y))
        loss.backward()
        clip_grad_norm_(params, max_norm)  # optional
        optimizer.step()
        scheduler.step()                   # per step for OneCycleLR / CyclicLR
    with ll.no_grad(): model.eval(); validate
    scheduler.step()                       # per epoch (ReduceLROnPlateau gets the val loss)
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import random as _random
from ..autograd import no_grad
from ..autograd.tensor import Tensor
from ..optim.clip import clip_grad_norm_
from .callbacks import Callback
from .checkpoint import load_checkpoint, save_checkpoint
from .history import History

__all__ = ["fit", "TrainingDiverged", "FitState", "resolve_loss", "TASKS"]

#: The tasks fit knows how to adapt targets and compute metrics for.
TASKS = ("binary", "multiclass", "regression")
_PER_STEP_SCHEDULERS = ("OneCycleLR", "CyclicLR")


class TrainingDiverged(RuntimeError):
    """The loss (or the gradient) became NaN or Inf during :func:`fit` (``on_divergence="raise"``).

    Attributes:
        history: the run's :class:`History` (``history.diverged`` holds the same message).
    """

    def __init__(self, message: str, history: History | None = None):
        super().__init__(message)
        self.history = history


@dataclass
class FitState:
    """What callbacks see of a running :func:`fit` (attributes may be read and, for
    ``stop_training``/``stop_reason``, set).

    Attributes:
        model, optimizer, scheduler, history, train_loader, val_loader: the run's objects.
        epochs: the last epoch to run. epoch: the current epoch (1-based).
        epoch_done: epochs completed (> 0 at ``on_train_begin`` of a resumed run).
        step: optimizer updates so far. task: "binary" | "multiclass" | "regression".
        stop_training: set True to stop after the current epoch (or batch).
        stop_reason: a sentence saying why (copied to ``history.stop_reason``).
        compiled: the :class:`~losslab.train.CompiledStep` of ``fit(compile=True)``, else None.
    """

    model: Any
    optimizer: Any
    scheduler: Any
    history: History
    train_loader: Any
    val_loader: Any
    epochs: int
    task: str | None = None
    epoch: int = 0
    epoch_done: int = 0
    step: int = 0
    stop_training: bool = False
    stop_reason: str | None = None
    extra: dict = field(default_factory=dict)
    compiled: Any = None


# ------------------------------------------------------------------------------------------
# the loss: a registry name, a function or a module
# ------------------------------------------------------------------------------------------
def resolve_loss(loss_fn) -> tuple[Callable, Any, str]:
    """``(callable, LossInfo or None, name)`` for a loss given as a registry name, a function
    or a loss module (instance).

    Args:
        loss_fn: ``"cross_entropy"`` (a ``losslab.losses`` registry name; ``"mse"`` finds
            ``"mse_loss"``), a function such as ``L.huber_loss`` (or a ``functools.partial``
            of one), a module such as ``L.HuberLoss(delta=2.0)``, or any callable
            ``(output, target) -> scalar Tensor`` (then no registry entry is known).

    Example:
        >>> fn, info, name = resolve_loss("mse")
        >>> name, info.task
        ('mse_loss', 'regression')
    """
    from .. import losses as L
    reg = L.LOSS_REGISTRY
    if isinstance(loss_fn, str):
        key = loss_fn if loss_fn in reg else (loss_fn + "_loss" if loss_fn + "_loss" in reg else None)
        if key is None:
            by_class = {i.module.__name__: n for n, i in reg.items() if i.module is not None}
            key = by_class.get(loss_fn)
        if key is None:
            try:
                L.get(loss_fn)
            except KeyError as e:
                raise ValueError(f"fit: loss_fn: {e.args[0]}") from None
        info = reg[key]
        return info.fn, info, key
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be a loss name (str), a function or a loss module, got "
                        f"{type(loss_fn).__name__}")
    target = getattr(loss_fn, "func", loss_fn)  # functools.partial
    for name, info in reg.items():
        if target is info.fn or (info.module is not None and type(loss_fn) is info.module):
            return loss_fn, info, name
    effective = getattr(loss_fn, "effective_info", None)  # a losslab.build.LossChoice
    if effective is not None and getattr(loss_fn, "name", None) in reg:
        return loss_fn, effective, loss_fn.name
    name = getattr(loss_fn, "name", None)
    if not isinstance(name, str):
        name = getattr(target, "__name__", None) or type(loss_fn).__name__
    return loss_fn, None, name


# ------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------
def _is_loader(obj) -> bool:
    return hasattr(obj, "__iter__") and hasattr(obj, "__len__") and hasattr(obj, "dataset")


def _as_loader(obj, what: str, batch_size, shuffle: bool, seed):
    if obj is None:
        return None
    if _is_loader(obj):
        return obj
    from ..data import DataLoader, TensorDataset
    if isinstance(obj, tuple) and len(obj) == 2 and all(isinstance(t, (Tensor, np.ndarray)) for t in obj):
        obj = TensorDataset(*obj)
    if hasattr(obj, "__getitem__") and hasattr(obj, "__len__") and \
            not isinstance(obj, (list, tuple, str, bytes, dict, np.ndarray, Tensor)):
        if batch_size is None:  # the default: 32, or the whole set when it is smaller
            batch_size = min(32, len(obj)) or 1
        return DataLoader(obj, batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(f"fit: {what} must be a DataLoader, a Dataset or an (x, y) tuple of arrays, got "
                    f"{type(obj).__name__}")


def _dataset_targets(loader) -> np.ndarray | None:
    """All targets of the loader's dataset when they can be read without iterating."""
    ds = getattr(loader, "dataset", None)
    tensors = getattr(ds, "tensors", None)
    if tensors is None or len(tensors) < 2:
        return None
    t = tensors[1]
    return np.asarray(t.data if isinstance(t, Tensor) else t)


def _split_batch(batch, what: str):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        n = len(batch) if isinstance(batch, (tuple, list)) else type(batch).__name__
        raise ValueError(f"fit: each batch of {what} must be (inputs, targets), got {n} item(s)")
    x, y = batch
    return x, y


# ------------------------------------------------------------------------------------------
# targets: adapting them to the loss, and clear errors when they cannot fit
# ------------------------------------------------------------------------------------------
class _Targets:
    """Checks the (output, target) pair against the loss and the task, and adapts the target."""

    def __init__(self, task: str | None, info, name: str, all_targets: np.ndarray | None):
        self.task = task
        self.info = info
        self.name = name
        self.all_targets = all_targets
        self.pm1 = info is not None and ("−1 or +1" in info.target_kind or "-1 or +1" in info.target_kind)
        self._n_classes: int | None = None

    def n_classes(self, y: np.ndarray) -> int:
        if self._n_classes is None:
            src = self.all_targets if self.all_targets is not None else y
            src = np.asarray(src)
            self._n_classes = int(src.max()) + 1 if src.size else 0
        return max(self._n_classes, int(y.max()) + 1 if y.size else 0)

    def infer_task(self, out: np.ndarray, y: np.ndarray) -> str:
        if self.info is not None and self.info.task in TASKS:
            return self.info.task
        if y.dtype.kind in "iub":
            if out.ndim >= 2 and out.shape[-1] > 1:
                return "multiclass"
            return "binary"
        return "regression"

    def _continuous_error(self, y: np.ndarray):
        vals = np.unique(y.ravel())
        shown = ", ".join(f"{v:.4g}" for v in vals[:3])
        return ValueError(
            f"fit: {self.name} is a classification loss but the targets are continuous "
            f"({vals.size} distinct float values such as {shown}); use a regression loss such as "
            "'mse_loss', 'l1_loss' or 'huber_loss' with one output per target (or, for class "
            "labels, give integer targets: y.long())")

    def adapt(self, out: Tensor, y: Tensor) -> Tensor:
        o, t = out.shape, y.shape
        ya = y.data if isinstance(y, Tensor) else np.asarray(y)
        if len(o) == 0 or len(t) == 0 or o[0] != t[0]:
            raise ValueError(f"fit: the model's output has shape {tuple(o)} but the targets have shape "
                             f"{tuple(t)}; the first dimension (the batch) must agree")
        task = self.task
        if task == "multiclass":
            if ya.dtype.kind == "f":
                if tuple(t) == tuple(o):  # class probabilities (soft labels)
                    return y.to(out.dtype) if y.dtype != out.dtype else y
                raise self._continuous_error(ya)
            if ya.ndim == 2 and ya.shape[1] == 1:
                ya = ya[:, 0]
            if ya.ndim != 1:
                raise ValueError(f"fit: {self.name} takes class indices of shape (N,), got targets of "
                                 f"shape {tuple(t)}")
            ya = ya.astype(np.int64)
            if ya.size and ya.min() < 0:
                raise ValueError(f"fit: class labels must be >= 0 for {self.name}, got {int(ya.min())}")
            k = self.n_classes(ya)
            if len(o) != 2:
                raise ValueError(f"fit: {self.name} needs model outputs of shape (N, C) (one score per "
                                 f"class), got {tuple(o)}; the data has {k} classes: end the model "
                                 f"with Linear(..., {k})")
            c = o[1]
            if c < k:
                alt = (", or use 'binary_cross_entropy_with_logits' with 1 output" if k <= 2 else "")
                raise ValueError(
                    f"fit: the model has {c} output{'s' if c != 1 else ''} but the data has {k} classes "
                    f"(labels 0..{k - 1}); output shape {tuple(o)}, target shape {tuple(t)}: end the "
                    f"model with Linear(..., {k}){alt}")
            return Tensor(ya)
        if task == "binary":
            if ya.dtype.kind in "iub":
                vals = set(np.unique(ya).tolist())
                if vals <= {-1, 1} and -1 in vals and not self.pm1:
                    raise ValueError(f"fit: the labels are -1/+1 but {self.name} takes 0/1 labels: map "
                                     "them with (y + 1) // 2")
                if not (vals <= {0, 1} or (self.pm1 and vals <= {-1, 1})):
                    k = len(vals)
                    raise ValueError(
                        f"fit: {self.name} is a binary loss but the data has {k} classes (labels "
                        f"{sorted(vals)[:6]}); use 'cross_entropy' with a model ending in "
                        f"Linear(..., {k})")
            elif ya.size and (not np.all(np.isfinite(ya)) or ya.min() < (-1 if self.pm1 else 0)
                              or ya.max() > 1):
                raise self._continuous_error(ya)
            n_out = int(np.prod(o[1:])) if len(o) > 1 else 1
            if n_out != 1:
                raise ValueError(
                    f"fit: {self.name} is a binary loss that takes one logit (score) per sample, but the "
                    f"model's output has shape {tuple(o)} for targets of shape {tuple(t)}: end the "
                    f"model with Linear(..., 1), or use 'cross_entropy' with {n_out} outputs")
            ya = ya.astype(out.dtype).reshape(o)
            if self.pm1 and ya.size and ya.min() >= 0:
                ya = 2 * ya - 1  # {0, 1} labels → {−1, +1}, as the margin losses need
            return Tensor(ya)
        if task == "regression":
            if ya.dtype.kind in "iub":
                k = np.unique(ya).size
                raise ValueError(
                    f"fit: {self.name} is a regression loss but the targets are integer class labels "
                    f"({k} distinct values); for classification use 'cross_entropy' (a model with one "
                    "output per class) or 'binary_cross_entropy_with_logits' (two classes, one output); "
                    "to regress on integer values, give float targets")
            if tuple(t) != tuple(o):
                if ya.size == int(np.prod(o)) and (len(t) == 1 or len(o) == 1):
                    ya = ya.reshape(o)  # (N,) targets for (N, 1) outputs, or the reverse
                else:
                    tcols = t[1] if len(t) > 1 else 1
                    raise ValueError(
                        f"fit: the model's output has shape {tuple(o)} but the targets have shape "
                        f"{tuple(t)}; {self.name} compares them elementwise: end the model with "
                        f"Linear(..., {tcols})")
            return Tensor(ya.astype(out.dtype, copy=False))
        return y  # an unknown task: the loss gets the targets as given

    def metric_output(self, out: np.ndarray) -> np.ndarray:
        """The model's raw output as metrics.evaluate expects it (logits for binary)."""
        if self.task == "binary" and self.info is not None and self.info.input_kind == "probabilities":
            p = np.clip(out.astype(np.float64), 1e-12, 1 - 1e-12)
            return np.log(p) - np.log1p(-p)
        return out

    def metric_target(self, y: np.ndarray) -> np.ndarray:
        """The targets as metrics.evaluate expects them (0/1 labels for binary)."""
        if self.task == "binary":
            y = np.asarray(y)
            if y.size and y.min() < 0:  # ±1 labels
                return (y > 0).astype(np.int64)
            if y.dtype.kind == "f":  # soft labels: the nearest hard label
                return (y >= 0.5).astype(np.int64)
        return y


# ------------------------------------------------------------------------------------------
# metrics
# ------------------------------------------------------------------------------------------
def _metric_names(task: str | None, metrics) -> list | None:
    """None: every metric of the task; [] : none; else the checked list."""
    if metrics is None:
        return None
    if metrics is False:
        return []
    if isinstance(metrics, str):
        metrics = [metrics]
    names = list(metrics)
    from .. import metrics as M
    known = getattr(M, "METRICS", {})
    for n in names:
        if not isinstance(n, str) or n not in known:
            import difflib
            close = difflib.get_close_matches(str(n), list(known), n=3)
            raise ValueError(f"fit: unknown metric {n!r}" + (f"; did you mean {close}?" if close else "")
                             + f" (known: {sorted(known)})")
        kind = known[n][1]  # "classification" or "regression"
        if task is not None and kind != ("regression" if task == "regression" else "classification"):
            raise ValueError(f"fit: metric {n!r} is a {kind} metric, but this run's task is {task!r}")
    return names


def _compute_metrics(task, names, y: list, out: list, targets: _Targets) -> dict:
    if names == [] or task not in TASKS or not y:
        return {}
    from .. import metrics as M
    yy = np.concatenate([np.asarray(a).reshape(len(a), -1) if a.ndim > 1 else a for a in y])
    oo = np.concatenate(out)
    res = M.evaluate(task, targets.metric_target(yy), targets.metric_output(oo))
    if names is not None:
        res = {k: res[k] for k in names if k in res}
    return {k: float(v) for k, v in res.items()}


# ------------------------------------------------------------------------------------------
# divergence
# ------------------------------------------------------------------------------------------
def _fmt(v: float) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _divergence_message(*, what: str, value, epoch: int, step: int, batch: int, n_batches: int,
                        lr: float, info, name: str, out_range, max_grad_norm: float,
                        clip: float | None, restored: str) -> str:
    where = f"epoch {epoch}, step {step} (batch {batch} of {n_batches})"
    if what == "loss":
        head = f"Training diverged at {where}: the loss is {_fmt(value)}."
    elif what == "output":
        head = f"Training diverged at {where}: the model's output contains NaN or Inf (the weights blew up)."
    elif what == "weights":
        head = (f"Training diverged at {where}: the update left NaN or Inf in the weights (the step "
                "was too large for the float range).")
    elif what == "domain":
        head = (f"Training diverged at {where}: the model's outputs left the domain of {name} "
                f"({value}).")
    else:
        head = f"Training diverged at {where}: the gradient norm is {_fmt(value)} (non-finite)."
    causes = [f"the learning rate is too high (lr={lr:g}): try lr={lr / 10:g}"]
    if info is not None and info.input_kind == "probabilities":
        lo, hi = out_range
        if lo is not None and (not (lo > 0) or not (hi < 1)):
            causes.append(f"{name} takes probabilities in (0, 1) but the model's outputs range over "
                          f"[{lo:.4g}, {hi:.4g}]: end the model with Sigmoid, or train on raw outputs "
                          "with 'binary_cross_entropy_with_logits'")
        else:
            causes.append(f"{name} takes probabilities: outputs of exactly 0 or 1 make log(p) infinite; "
                          "'binary_cross_entropy_with_logits' on raw outputs is stable")
    elif info is not None and info.input_kind in ("log-rates", "rates"):
        causes.append(f"{name} exponentiates or takes logs of the output: large outputs overflow")
    if clip is None:
        causes.append(f"exploding gradients (largest gradient norm so far {max_grad_norm:.4g}): pass "
                      "clip_grad_norm=1.0 to fit")
    else:
        causes.append(f"exploding gradients even with clip_grad_norm={clip:g} (largest norm before "
                      f"clipping {max_grad_norm:.4g}): lower the learning rate")
    return (head + " Likely causes: " + "; ".join(f"({i + 1}) {c}" for i, c in enumerate(causes))
            + f". Training stopped; {restored}.")


def _input_key(x) -> tuple:
    a = x.data if isinstance(x, Tensor) else np.asarray(x)
    return a.shape, a.dtype


class _OutputSpec:
    """The shape and dtype of a model output, all that ``_Targets.adapt`` reads of it (so the
    targets of a compiled step can be adapted before the step runs)."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


def _compiled_pass(compiled, x, y, targets, out_specs: dict):
    """One batch's zero_grad, forward, loss and backward through ``compiled.forward_backward``:
    ``(output array, loss value)``, or None when fit must run the batch eagerly instead.

    That is: the first batch of an input shape (the output's shape, which the targets' adaptation
    needs, is learnt from an eager step), a step the compiled step cannot replay (from then on
    that shape stays eager: ``out_specs`` maps it to None), a step that raised (the eager step
    raises the same error, or reports the divergence, with fit's messages) and one whose output
    or loss is not finite (the eager step, the same numbers bit for bit, gives the divergence
    report). No update has been applied in any of these cases, so redoing the batch eagerly
    changes nothing."""
    key = _input_key(x)
    spec = out_specs.get(key)
    if spec is None:
        return None
    before = compiled.stats["captures"] + compiled.stats["replays"]
    rng = _random.get_rng_state()  # a redo must draw the dropout masks this pass drew
    try:
        out, loss = compiled.forward_backward(x, targets.adapt(spec, y))
    except Exception:
        out = None
    else:
        if compiled.stats["captures"] + compiled.stats["replays"] == before:
            out_specs[key] = None  # not replayable (compiled.reason says why)
    if out is not None and loss.data.size == 1:
        out_arr, lv = out.data, float(loss.data)
        if (out_arr.shape == spec.shape and out_arr.dtype == spec.dtype and math.isfinite(lv)
                and np.all(np.isfinite(out_arr))):
            return out_arr, lv
    _random.set_rng_state(rng)
    return None


def _grad_norm(params) -> float:
    """The joint 2-norm of the gradients (as clip_grad_norm_ computes it), accumulated in float64
    so that large float32 gradients do not overflow to inf on squaring."""
    total = 0.0
    for p in params:
        g = p.grad
        if g is not None:
            a = g.data.ravel().astype(np.float64, copy=False)
            total += float(np.dot(a, a))
    return math.sqrt(total)


def _snapshot(model) -> dict:
    return {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}


def _lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


# ------------------------------------------------------------------------------------------
# fit
# ------------------------------------------------------------------------------------------
def fit(model, loss_fn, optimizer, train, val=None, *, epochs: int = 10, scheduler=None,
        scheduler_interval: str | None = None, task: str | None = None,
        metrics: Sequence[str] | None | bool = None, callbacks: Iterable[Callback] = (),
        progress: bool = True, clip_grad_norm: float | None = None,
        resume: str | os.PathLike | None = None, checkpoint: str | os.PathLike | None = None,
        seed: int | None = None, on_divergence: str = "stop", batch_size: int | str | None = None,
        lint: bool = True, compile: bool = False) -> History:
    r"""Train ``model`` by gradient descent on ``train``, validating on ``val`` after each epoch.

    Each step: ``zero_grad`` → ``output = model(x)`` → ``loss = loss_fn(output, adapt(y))`` →
    ``backward`` → (optional) ``clip_grad_norm_`` → ``optimizer.step()`` — i.e.
    θ ← θ − η ∇_θ (1/|B|) Σ_{i∈B} ℓ(f_θ(x_i), y_i) for plain SGD, with the batch B given by the
    loader: the whole set (``batch_size="full"``, batch GD, 1 update per epoch), one sample
    (SGD, N updates) or m samples (mini-batch, ⌈N/m⌉ updates).

    Args:
        model: a ``losslab.nn.Module`` (any callable with ``parameters()``, ``train()``,
            ``eval()``, ``state_dict()`` works).
        loss_fn: a ``losslab.losses`` registry name (``"cross_entropy"``; ``"mse"`` finds
            ``"mse_loss"``), a loss function (``L.huber_loss``), a loss module
            (``L.HuberLoss(delta=2.0)``), or any callable ``(output, target) -> scalar``.
            A registered loss gives the task (and its target format) when ``task`` is None.
        optimizer: a ``losslab.optim`` optimizer over the model's parameters.
        train: a ``DataLoader``; or a Dataset / an ``(x, y)`` tuple of arrays, wrapped in
            ``DataLoader(batch_size=batch_size, shuffle=True, seed=seed)``.
        val: the same kinds (wrapped without shuffling), or None.
        epochs: the total number of epochs (a resumed run continues up to it), an int >= 1.
        scheduler: a ``losslab.optim.lr_scheduler`` scheduler, or None.
        scheduler_interval: ``"epoch"`` (step the scheduler after each epoch) or ``"step"`` (after
            each optimizer step). Default: ``"step"`` for OneCycleLR and CyclicLR (per-step by
            nature), ``"epoch"`` otherwise. ReduceLROnPlateau is stepped per epoch with the
            ``val_loss`` (``train_loss`` without a validation set).
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``; default: the registered
            loss's task, else inferred from the data (integer targets → classification,
            multiclass when the model has several outputs; float targets → regression).
            It picks the metrics (``losslab.metrics.evaluate``) and the target adaptation:
            for ``"binary"`` integer labels (N,) become float (N, 1) (and ±1 for hinge-type
            losses); for ``"regression"`` (N,) targets become (N, 1) when the model has one
            output; targets are cast to the output's dtype.
        metrics: None for every metric of the task (accuracy, precision, recall, f1, log_loss;
            mae, rmse, r2), a list of metric names, or False/[] for none. They are recorded as
            ``train_<name>`` (over the epoch's running outputs, in training mode) and
            ``val_<name>``.
        callbacks: :class:`Callback` instances (EarlyStopping, ModelCheckpoint, ...).
        progress: show a tqdm bar per epoch with the running loss (only when stderr is a
            terminal).
        clip_grad_norm: if given, ``clip_grad_norm_(model.parameters(), clip_grad_norm)`` before
            each step.
        resume: a checkpoint written by ``checkpoint=``: load model, optimizer, scheduler,
            loader, RNG, history and callback state, and continue from its epoch; the final
            parameters equal those of an uninterrupted run exactly.
        checkpoint: a path: after every epoch, write the full training state there
            (atomically; see :func:`losslab.train.save_checkpoint`).
        seed: if given, ``ll.manual_seed(seed)`` at the start (dropout masks) and the seed of a
            loader that fit builds.
        on_divergence: ``"stop"`` (default: record the message in ``history.diverged`` and
            return) or ``"raise"`` (raise :class:`TrainingDiverged`). Either way training stops
            within the step whose loss, output or gradient norm is NaN/Inf (no update is
            applied), and the best weights seen are restored: the epoch with the lowest
            ``val_loss`` (else ``train_loss``), unless the initial weights score better on the
            same data (both evaluated by one clean pass; not after a resume, whose checkpoint
            does not keep them) — a run that got worse from its first step gets its start back.
        batch_size: the batch size of a train loader that fit builds from a Dataset or tuple
            (an int, or ``"full"``; default 32, or the whole set when smaller). A validation
            set given that way is evaluated in one batch.
        lint: run the pitfall linter (:func:`losslab.analysis.pitfalls.lint`) once, on the first
            training batch (with the targets as adapted for the loss, and ``optimizer`` for its
            trial steps, on a copy of the model: the run itself is unchanged). Each finding of
            severity ``"error"`` or ``"warning"`` is emitted as a
            :class:`~losslab.analysis.pitfalls.LossLabLintWarning` through Python's ``warnings``
            module (whether or not ``progress`` is on, so it can be filtered or turned into an
            error); all findings are kept in ``FitState.extra["lint"]`` for callbacks. Not run
            when resuming. ``False`` turns it off.
        compile: run the steps through :func:`losslab.train.compile_step`'s
            ``forward_backward``: each input shape's step is recorded once and later batches
            replay its NumPy kernels, with the same numbers bit for bit (the output, loss and
            gradient-norm checks and the update stay fit's). A step it cannot replay (an op not
            marked capturable, such as dropout) runs eagerly, as does every batch whose output or
            loss is not finite (for the divergence report) or whose replay raised (for the usual
            error). ``FitState.compiled`` is the :class:`~losslab.train.CompiledStep` (its
            ``stats`` and ``reason``); None when off. Keep it off for a model whose ``forward``
            branches on anything but shapes (a global flag, a step counter).

    Returns:
        a :class:`History` (one record per epoch: ``epoch``, ``train_loss``, ``train_<metric>``,
        ``val_loss``, ``val_<metric>``, ``lr``, ``steps``, ``grad_norm``, ``seconds``; plus
        ``step_losses``, ``stopped_early``, ``stop_reason``, ``diverged``).

    Shape:
        x: (N, *) as the model takes it; targets: (N,) class indices (classification), or
        (N,) / (N, k) floats (regression); model output (N, C) for multiclass, (N, 1) or (N,)
        for binary, the targets' shape for regression.

    Example:
        >>> import losslab as ll, losslab.nn as nn, losslab.optim as optim
        >>> from losslab.train import fit
        >>> _ = ll.manual_seed(0)
        >>> x = ll.randn(200, 2); y = (x[:, 0] * x[:, 1] > 0).long()      # XOR-like labels
        >>> model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
        >>> h = fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.05), (x, y),
        ...         epochs=30, progress=False, seed=0)
        >>> h.last["train_accuracy"] > 0.9
        True

    Note:
        The model is left in eval mode. The train metrics are "running" ones (Keras's): they
        come from the outputs seen during the epoch, while the weights changed. Checkpoints and
        ``resume`` use ``losslab.serialization`` (``.npz``, never pickle). A loss that is not a
        mean over the batch (``reduction="sum"``) trains, but its ``train_loss`` is its sum.
        Epoch e (0-based) of a run reads the loader's order of epoch e (``set_epoch(e)``), so
        two calls of fit on the same loader see the same sequence of shuffles; NumPy's
        overflow warnings are silenced inside the loop (a divergence is reported instead).
    """
    # ---- arguments ----
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool):
        raise TypeError(f"fit: epochs must be an int >= 1, got {epochs!r}")
    if epochs < 1:
        raise ValueError(f"fit: epochs must be >= 1, got epochs={epochs}")
    if on_divergence not in ("stop", "raise"):
        raise ValueError(f"fit: on_divergence must be 'stop' or 'raise', got {on_divergence!r}")
    if task is not None and task not in TASKS:
        raise ValueError(f"fit: task must be one of {TASKS} or None, got {task!r}")
    if clip_grad_norm is not None:
        if isinstance(clip_grad_norm, bool) or not isinstance(clip_grad_norm, (int, float, np.number)) \
                or not (clip_grad_norm > 0) or not math.isfinite(clip_grad_norm):
            raise ValueError(f"fit: clip_grad_norm must be a positive number (the max gradient norm), "
                             f"got {clip_grad_norm!r}")
        clip_grad_norm = float(clip_grad_norm)
    for m in ("parameters", "train", "eval", "state_dict", "load_state_dict"):
        if not hasattr(model, m):
            raise TypeError(f"fit: model must be a losslab.nn.Module (it has no {m}()), got "
                            f"{type(model).__name__}")
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "param_groups"):
        raise TypeError(f"fit: optimizer must be a losslab.optim optimizer, got {type(optimizer).__name__}")
    callbacks = list(callbacks or ())
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks[{i}] must be a losslab.train.Callback, got {type(cb).__name__}")
    from ..optim import lr_scheduler as _lrs
    per_step = tuple(getattr(_lrs, n) for n in _PER_STEP_SCHEDULERS)
    if scheduler_interval is None:
        scheduler_interval = "step" if isinstance(scheduler, per_step) else "epoch"
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
    plateau = isinstance(scheduler, _lrs.ReduceLROnPlateau)
    if plateau and scheduler_interval == "step":
        raise ValueError("fit: ReduceLROnPlateau needs the epoch's validation loss: use "
                         "scheduler_interval='epoch'")
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError("fit: the scheduler belongs to a different optimizer than the one given")
    fn, info, loss_name = resolve_loss(loss_fn)
    if task is None and info is not None and info.task not in TASKS:
        raise ValueError(f"fit: {loss_name} is a {info.task} loss; fit trains regression, binary and "
                         "multiclass models (pass task=... to use it anyway)")
    metric_names = _metric_names(task or (info.task if info is not None and info.task in TASKS else None),
                                 metrics)

    from ..random import manual_seed
    if seed is not None:
        manual_seed(seed)
    train_loader = _as_loader(train, "train", batch_size, True, seed)
    val_loader = _as_loader(val, "val", "full", False, 0)
    n_batches = len(train_loader)
    if n_batches == 0:
        raise ValueError("fit: the train loader yields no batches (is batch_size larger than the data "
                         "with drop_last=True?)")

    history = History()
    state = FitState(model=model, optimizer=optimizer, scheduler=scheduler, history=history,
                     train_loader=train_loader, val_loader=val_loader, epochs=int(epochs))
    params = [p for p in model.parameters()]
    monitor = "val_loss" if val_loader is not None else "train_loss"
    best = {"value": math.inf, "epoch": 0, "weights": _snapshot(model)}
    initial_weights = best["weights"]  # a candidate for the divergence restore too

    # ---- resume ----
    if resume is not None:
        info_ck = load_checkpoint(resume, model=model, optimizer=optimizer, scheduler=scheduler,
                                  loader=train_loader, callbacks=callbacks)
        loaded = info_ck["history"]
        history.__dict__.update(loaded.__dict__)
        state.epoch_done = int(info_ck["epoch"])
        state.step = int(info_ck.get("step", 0))
        extra = info_ck.get("extra") or {}
        initial_weights = None  # not kept in a checkpoint: the restore picks among epochs only
        if extra.get("best_weights") is not None:
            best = {"value": float(extra["best_value"]), "epoch": int(extra["best_epoch"]),
                    "weights": {k: np.asarray(getattr(v, "data", v)) for k, v in extra["best_weights"].items()}}
        if history.stopped_early or history.diverged:
            return history  # the checkpointed run had already ended

    state.epoch = state.epoch_done
    # a loss chosen by spec (losslab.build.LossChoice) adapts the targets itself: fit leaves them
    # as the data gives them, but still knows the task
    adapts_itself = callable(getattr(loss_fn, "adapt_target", None))
    targets = _Targets(task or (info.task if adapts_itself and info.task in TASKS else None),
                       None if adapts_itself else info, loss_name, _dataset_targets(train_loader))
    use_bar = bool(progress) and _stderr_isatty()
    max_grad_norm = 0.0

    first_step = state.step
    linted = resume is not None  # the linter runs once, at the start of a fresh run
    if not isinstance(compile, bool):
        raise TypeError(f"fit: compile must be True or False, got {compile!r}")
    if compile:
        from .compiled import CompiledStep
        state.compiled = CompiledStep(model, fn, optimizer)
    out_specs: dict = {}  # input (shape, dtype) -> _OutputSpec of the model output, seen eagerly
    for cb in callbacks:
        cb.on_train_begin(state)

    def diverge(what, value, batch, out_arr, step=None):
        nonlocal best
        if best["epoch"] and initial_weights is not None and targets.task is not None and \
                (val_loader is not None or hasattr(train_loader, "dataset")):
            from ..data import DataLoader

            # an epoch's weights beat the initial ones only if the monitored loss says so: both are
            # evaluated the same way (a clean pass, eval mode), since the epoch's train_loss is an
            # average over moving weights and an early epoch may already be on its way up
            data = val_loader if val_loader is not None else DataLoader(
                train_loader.dataset, batch_size=getattr(train_loader, "batch_size", "full"), shuffle=False)
            scores = []
            for weights in (initial_weights, best["weights"]):
                model.load_state_dict(weights)
                v = _validate(model, fn, data, targets, [])["val_loss"]
                scores.append(v if math.isfinite(v) else math.inf)
            if scores[0] < scores[1]:
                best = {"value": scores[0], "epoch": 0, "weights": initial_weights}
        model.load_state_dict(best["weights"])
        if best["epoch"]:
            restored = f"the weights of epoch {best['epoch']} ({monitor}={best['value']:.6g}) were restored"
        else:
            restored = "the initial weights were restored"
        out_range = (None, None)
        if out_arr is not None and out_arr.size:
            finite = out_arr[np.isfinite(out_arr)]
            if finite.size:
                out_range = (float(finite.min()), float(finite.max()))
        msg = _divergence_message(what=what, value=value, epoch=state.epoch,
                                  step=state.step + 1 if step is None else step,
                                  batch=batch, n_batches=n_batches, lr=_lr(optimizer), info=info,
                                  name=loss_name, out_range=out_range, max_grad_norm=max_grad_norm,
                                  clip=clip_grad_norm, restored=restored)
        history.diverged = msg
        state.stop_training = True
        state.stop_reason = msg

    # NaN/Inf are detected and reported as a divergence (with its likely cause), so NumPy's
    # overflow/invalid-value warnings on the way there would only repeat it, less clearly
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            for epoch_index in range(state.epoch_done, int(epochs)):
                state.epoch = epoch_index + 1
                if hasattr(train_loader, "set_epoch"):
                    train_loader.set_epoch(epoch_index)
                t0 = time.perf_counter()
                lr_epoch = _lr(optimizer)
                for cb in callbacks:
                    cb.on_epoch_begin(state)
                model.train()
                total, count, steps, gsum = 0.0, 0, 0, 0.0
                ys, outs = [], []
                bar = _bar(use_bar, n_batches, state.epoch, epochs)
                for b, batch in enumerate(train_loader):
                    x, y = _split_batch(batch, "train")
                    replayed = None
                    if state.compiled is not None and targets.task is not None:
                        replayed = _compiled_pass(state.compiled, x, y, targets, out_specs)
                    if replayed is not None:
                        out_arr, lv = replayed
                    else:
                        optimizer.zero_grad()
                        out = model(x)
                        if not isinstance(out, Tensor):
                            raise TypeError(f"fit: the model must return a Tensor, got {type(out).__name__}")
                        key = _input_key(x)
                        if out_specs.get(key, ()) is not None:  # None: this shape stays eager
                            out_specs[key] = _OutputSpec(out.shape, out.dtype)
                        if targets.task is None:
                            targets.task = state.task = targets.infer_task(out.data, np.asarray(getattr(y, "data", y)))
                            if metric_names:
                                metric_names = _metric_names(targets.task, metric_names)
                        state.task = targets.task
                        if not np.all(np.isfinite(out.data)):
                            diverge("output", None, b + 1, out.data)
                            break
                        yt = targets.adapt(out, y)
                        if lint and not linted:
                            linted = True
                            _run_lint(model, loss_fn, x, yt, optimizer, state)
                        try:
                            loss = fn(out, yt)
                        except ValueError as e:
                            if state.step == first_step:
                                raise  # a setup error (wrong activation, targets): the loss's own message
                            diverge("domain", str(e), b + 1, out.data)
                            break
                        if not isinstance(loss, Tensor) or loss.data.size != 1:
                            shape = getattr(loss, "shape", None)
                            raise ValueError(f"fit: loss_fn must return a scalar Tensor (reduction='mean'), got "
                                             f"{type(loss).__name__}" + (f" of shape {tuple(shape)}" if shape else ""))
                        lv = float(loss.data)
                        if not math.isfinite(lv):
                            diverge("loss", lv, b + 1, out.data)
                            break
                        loss.backward()
                        out_arr = out.data
                    if clip_grad_norm is not None:
                        gn = float(clip_grad_norm_(params, clip_grad_norm).data)
                    else:
                        gn = _grad_norm(params)
                    if not math.isfinite(gn):
                        diverge("grad", gn, b + 1, out_arr)
                        break
                    max_grad_norm = max(max_grad_norm, gn)
                    optimizer.step()
                    if scheduler is not None and scheduler_interval == "step":
                        scheduler.step()
                    state.step += 1
                    steps += 1
                    gsum += gn
                    n = out_arr.shape[0] if out_arr.ndim else 1
                    total += lv * n
                    count += n
                    history.step_losses.append(lv)
                    if metric_names != []:
                        outs.append(out_arr)
                        ys.append(np.asarray(getattr(y, "data", y)))
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{total / count:.4f}", refresh=False)
                    if callbacks:
                        logs = {"batch": b + 1, "step": state.step, "loss": lv, "lr": _lr(optimizer)}
                        for cb in callbacks:
                            cb.on_batch_end(state, logs)
                    if state.stop_training:
                        break
                if not history.diverged and not all(np.all(np.isfinite(p.data)) for p in params):
                    # a finite loss and gradient, yet lr × gradient overflowed the weights
                    diverge("weights", None, n_batches, None, step=state.step)
                if history.diverged:
                    if bar is not None:
                        bar.close()
                    break

                record: dict = {"epoch": state.epoch, "train_loss": total / count if count else float("nan")}
                for k, v in _compute_metrics(targets.task, metric_names, ys, outs, targets).items():
                    record["train_" + k] = v
                del ys, outs
                if val_loader is not None:
                    record.update(_validate(model, fn, val_loader, targets, metric_names))
                record["lr"] = lr_epoch
                record["steps"] = steps
                record["grad_norm"] = gsum / steps if steps else float("nan")
                if scheduler is not None and scheduler_interval == "epoch":
                    if plateau:
                        scheduler.step(record[monitor])
                    else:
                        scheduler.step()
                model.train()  # callbacks see the model as training left it
                for cb in callbacks:
                    cb.on_epoch_end(state, record)
                record["seconds"] = time.perf_counter() - t0
                history.append(record)
                v = record.get(monitor)
                if v is not None and math.isfinite(v) and v < best["value"]:
                    best = {"value": float(v), "epoch": state.epoch, "weights": _snapshot(model)}
                if bar is not None:
                    post = {"loss": f"{record['train_loss']:.4f}"}
                    for k in ("val_loss", "val_accuracy", "val_r2"):
                        if k in record:
                            post[k] = f"{record[k]:.4f}"
                    bar.set_postfix(post, refresh=True)
                    bar.close()
                if state.stop_training and not history.diverged:
                    history.stopped_early = True
                    history.stop_reason = state.stop_reason or "a callback set stop_training"
                state.epoch_done = state.epoch
                if checkpoint is not None:
                    save_checkpoint(checkpoint, model, optimizer, scheduler, train_loader, history,
                                    state.epoch, callbacks=callbacks, step=state.step,
                                    extra={"best_value": best["value"], "best_epoch": best["epoch"],
                                           "best_weights": best["weights"], "task": targets.task,
                                           "loss": loss_name})
                if state.stop_training:
                    break
        finally:
            model.eval()
    for cb in callbacks:
        cb.on_train_end(state)
    if history.diverged and on_divergence == "raise":
        raise TrainingDiverged(history.diverged, history)
    return history


def _run_lint(model, loss_fn, x, y, optimizer, state: FitState) -> None:
    """fit's ``lint=True``: lint the first batch and warn (LossLabLintWarning) per finding."""
    import warnings

    from ..analysis.pitfalls import LossLabLintWarning, lint, warn_findings
    try:
        findings = lint(model, loss_fn, x, y, optimizer=optimizer)
    except Exception as e:  # a failure of the linter must not stop training
        warnings.warn(f"fit: the pitfall linter could not run on the first batch ({type(e).__name__}: "
                      f"{e}); pass lint=False to skip it", LossLabLintWarning, stacklevel=4)
        return
    state.extra["lint"] = findings
    warn_findings(findings, stacklevel=3)


def _validate(model, fn, loader, targets: _Targets, metric_names) -> dict:
    model.eval()
    total, count = 0.0, 0
    ys, outs = [], []
    with no_grad():
        for batch in loader:
            x, y = _split_batch(batch, "val")
            out = model(x)
            yt = targets.adapt(out, y)
            # weights blown up by the epoch's last step give non-finite outputs: record NaN (the
            # next training step reports the divergence) rather than fail in the loss's checks
            lv = float(fn(out, yt).data) if np.all(np.isfinite(out.data)) else math.nan
            n = out.shape[0] if out.ndim else 1
            total += lv * n
            count += n
            if metric_names != []:
                outs.append(out.data)
                ys.append(np.asarray(getattr(y, "data", y)))
    rec = {"val_loss": total / count if count else float("nan")}
    for k, v in _compute_metrics(targets.task, metric_names, ys, outs, targets).items():
        rec["val_" + k] = v
    return rec


def _stderr_isatty() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def _bar(enabled: bool, total: int, epoch: int, epochs: int):
    if not enabled:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=True,
                file=sys.stderr, dynamic_ncols=True)
