"""Build models, losses, optimizers and schedules from short text specs (the CLI's language).

A *spec* is ``NAME`` or ``NAME:key=value,key=value``: ``huber:delta=0.5``,
``adam:betas=0.9/0.999,weight_decay=0.01``, ``mlp:64,32``, ``cosine:eta_min=0.001``. Values
are read as booleans (``true``/``false``), integers, floats, ``none``, tuples (``0.9/0.999``) or
words; nothing is ever evaluated as code. Lists of specs (``--losses mse,mae,huber:delta=2``)
split at commas, a ``key=value`` item belonging to the spec before it.

Every name is checked against the registries (``losslab.losses``, ``losslab.optim``,
``losslab.optim.schedules``) with the close matches suggested when it is unknown.

Example:
    >>> from losslab.build import parse_spec, split_specs
    >>> parse_spec("adam:betas=0.9/0.999,weight_decay=0.01")
    ('adam', {'betas': (0.9, 0.999), 'weight_decay': 0.01})
    >>> split_specs("mse,huber:delta=2,beta=1,mae")
    ['mse', 'huber:delta=2,beta=1', 'mae']
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from . import losses as L
from . import nn
from .autograd import Tensor

__all__ = [
    "parse_spec", "parse_value", "split_specs", "LOSS_ALIASES", "OPTIMIZER_ALIASES", "LossChoice",
    "resolve_loss", "check_loss_fits_task", "build_model", "build_optimizer", "build_scheduler",
    "scheduler_from_params",
]

#: Short names accepted wherever a loss name is (the registry's own names work too).
LOSS_ALIASES = {
    "mse": "mse_loss", "l2": "mse_loss", "mae": "l1_loss", "l1": "l1_loss", "huber": "huber_loss",
    "smooth_l1": "smooth_l1_loss", "log_cosh": "log_cosh_loss", "logcosh": "log_cosh_loss",
    "quantile": "quantile_loss", "pinball": "quantile_loss", "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "poisson": "poisson_nll_loss",
    "epsilon_insensitive": "epsilon_insensitive_loss",
    "bce": "binary_cross_entropy_with_logits", "logistic": "binary_cross_entropy_with_logits",
    "bce_probs": "binary_cross_entropy", "hinge": "hinge_loss", "squared_hinge": "squared_hinge_loss",
    "perceptron": "perceptron_loss", "modified_huber": "modified_huber_loss",
    "sigmoid_focal": "sigmoid_focal_loss", "soft_margin": "soft_margin_loss",
    "ce": "cross_entropy", "xent": "cross_entropy", "categorical_crossentropy": "cross_entropy",
    "nll": "nll_loss", "focal": "focal_loss", "multi_margin": "multi_margin_loss",
    "crammer_singer": "multiclass_hinge_loss", "poly1": "poly1_cross_entropy",
    "gce": "generalized_cross_entropy",
}

#: Optimizer names of seed 003 mapped to a registry entry and its options.
OPTIMIZER_ALIASES = {
    "gd": ("sgd", {}), "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
}

_TASK_SUGGESTION = {
    "regression": "a regression loss such as mse_loss, l1_loss or huber_loss",
    "binary": "binary_cross_entropy_with_logits (or cross_entropy with 2 outputs)",
    "multiclass": "cross_entropy",
}


# ----------------------------------------------------------------------------- spec language
def parse_value(text: str) -> Any:
    """A spec value: bool, None, int, float, a tuple of those (``a/b``), or the word itself.

    Example:
        >>> [parse_value(s) for s in ("true", "3", "1e-3", "0.9/0.999", "none", "cos")]
        [True, 3, 0.001, (0.9, 0.999), None, 'cos']
    """
    s = text.strip()
    if "/" in s:
        return tuple(parse_value(p) for p in s.split("/"))
    low = s.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(s)
        except ValueError:
            pass
    return s


def parse_spec(spec: str, *, what: str = "spec") -> tuple[str, dict]:
    """``"NAME:k=v,k=v"`` -> ``(name, {k: value})``; the name lower-cased with ``-`` read as ``_``.

    Raises:
        ValueError: an empty name, or an item without ``=``.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"{what}: expected NAME or NAME:key=value,..., got {spec!r}")
    name, _, rest = spec.strip().partition(":")
    name = name.strip().lower().replace("-", "_")
    if not name:
        raise ValueError(f"{what} {spec!r}: the name before ':' is empty")
    params: dict = {}
    for item in (p for p in rest.split(",") if p.strip()):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"{what} {spec!r}: {item!r} is not key=value (e.g. {name}:lr=0.1)")
        params[key.strip().replace("-", "_")] = parse_value(value)
    return name, params


def split_specs(text: str) -> list[str]:
    """Split a comma-separated list of specs; an item ``key=value`` (no ``:``) continues the spec
    before it, so ``huber:delta=2,beta=1,mae`` is two specs."""
    specs: list[str] = []
    for item in (p.strip() for p in str(text).split(",")):
        if not item:
            continue
        if "=" in item and ":" not in item:
            if not specs:
                raise ValueError(f"{text!r}: {item!r} has no NAME before it (write NAME:{item})")
            specs[-1] += "," + item
        else:
            specs.append(item)
    if not specs:
        raise ValueError(f"expected a comma-separated list of names, got {text!r}")
    return specs


def _unknown(kind: str, name: str, known, listing: str | None = None) -> ValueError:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}{hint} ({listing or 'known: ' + ', '.join(sorted(known))})")


# ----------------------------------------------------------------------------- losses
@dataclass(frozen=True)
class LossChoice:
    """A loss chosen by spec: its registry entry, its hyperparameters, and ``fn(output, target)``
    adapted to a model that outputs raw scores (see :func:`resolve_loss`)."""

    name: str
    info: Any
    params: dict = field(default_factory=dict)
    fn: Callable = None

    def __call__(self, output: Tensor, target: Tensor) -> Tensor:
        return self.fn(output, target)

    @property
    def label(self) -> str:
        args = ",".join(f"{k}={_spec_text(v)}" for k, v in self.params.items())
        return f"{self.name}:{args}" if args else self.name

    @property
    def effective_info(self):
        """The registry entry as seen from the model's raw output, for the pitfall linter.

        The choice applies the loss's activation itself (see :func:`resolve_loss`), so the model
        must end in a plain Linear layer: a loss on probabilities or log-probabilities becomes a
        loss on logits (a Sigmoid or Softmax in the model is then a double activation), and a
        softplus-rate loss takes real scores. The targets are adapted by :meth:`adapt_target`.
        """
        kind = self.info.input_kind
        new_kind = {"probabilities": "logits", "log-probabilities": "logits", "rates": "real"}.get(kind)
        if new_kind is None:
            return self.info
        return replace(self.info, input_kind=new_kind,
                       output_activation="identity (the loss spec applies the activation)")

    def balanced(self, targets, n_classes: int | None = None) -> "LossChoice":
        """This choice with every ``balanced`` class weight computed from the training targets.

        ``weight``/``alpha`` (per class): w_c = n / (C · n_c), as scikit-learn's
        ``class_weight="balanced"`` (King & Zeng 2001), so that every class carries the same total
        weight; ``pos_weight`` (binary): n_negative / n_positive. Returns ``self`` when nothing
        is ``balanced``.

        Raises:
            ValueError: a class with no training sample (its weight would be infinite).
        """
        keys = [k for k, v in self.params.items() if v == "balanced"]
        if not keys:
            return self
        import numpy as np

        y = np.asarray(getattr(targets, "data", targets)).ravel().astype(np.int64)
        k = max(int(n_classes or 0), int(y.max()) + 1 if y.size else 0, 2)
        counts = np.bincount(y, minlength=k)
        if np.any(counts == 0):
            raise ValueError(f"{self.name}: 'balanced' class weights need every class in the training "
                             f"targets; class(es) {np.flatnonzero(counts == 0).tolist()} have no sample")
        params = dict(self.params)
        for key in keys:
            if key == "pos_weight":
                params[key] = float(counts[0] / counts[1])
            else:
                params[key] = tuple(float(v) for v in y.size / (k * counts))
        return _choice(self.info, params)

    def adapt_target(self, output: Tensor, target: Tensor) -> Tensor:
        """The targets as the loss sees them (binary: float column, ±1 for margin losses)."""
        return _adapt_target(self.info, output, target)


def _spec_text(v) -> str:
    """A parameter as a spec writes it (the inverse of :func:`parse_value`)."""
    if isinstance(v, tuple):
        return "/".join(_spec_text(p) for p in v)
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _pm1_targets(info) -> bool:
    return "−1 or +1" in info.target_kind or "-1 or +1" in info.target_kind


def resolve_loss(spec: str) -> LossChoice:
    """A :class:`LossChoice` from ``NAME[:k=v,...]`` (registry names or :data:`LOSS_ALIASES`).

    The returned callable takes the model's raw outputs and the dataset's targets, and applies
    what the loss's registry entry says it needs: the paired output activation for losses on
    probabilities (sigmoid for binary, softmax for multiclass) and log-probabilities
    (log_softmax), softplus for losses on non-negative rates, targets mapped {0, 1} → ±1 for
    margin losses, and binary targets as float column vectors.

    Raises:
        ValueError: an unknown loss or hyperparameter (close names suggested), a loss that needs
            more data than (output, target) (e.g. gaussian_nll_loss's variance), or a loss family
            that does not train on tabular data (ranking, segmentation, sequence, distribution).
    """
    name, params = parse_spec(spec, what="loss")
    name = LOSS_ALIASES.get(name, name)
    if name not in L.LOSS_REGISTRY:
        raise _unknown("loss", name, list(L.LOSS_REGISTRY) + list(LOSS_ALIASES),
                       "`losslab losses` lists every loss; short names: " + ", ".join(LOSS_ALIASES))
    info = L.get(name)
    if info.task not in ("regression", "binary", "multiclass"):
        raise ValueError(f"loss {name!r} is a {info.task} loss; training on a table of features and one "
                         "target needs a regression, binary or multiclass loss (see `losslab losses`)")
    sig = inspect.signature(info.fn).parameters
    required = [p for p in list(sig)[2:] if sig[p].default is inspect.Parameter.empty]
    if required:
        raise ValueError(f"loss {name!r} needs {', '.join(required)} besides (input, target), which a "
                         "model with one output cannot give; call it from Python")
    allowed = [k for k in info.hyperparameters if k not in ("reduction", "sample_weight")]
    for k in params:
        if k not in allowed:
            raise _unknown(f"parameter of {name}", k, allowed or ["(none)"])
    class_weights = CLASS_WEIGHT_PARAMS.get(info.task, ())
    for k, v in params.items():
        if k in class_weights:
            params[k] = _class_weight_value(name, k, v)
        elif v == "balanced":  # e.g. mse_loss's element weight, sigmoid_focal_loss's α ∈ [0, 1]
            raise ValueError(f"loss {name!r}: {k}=balanced is not possible, {k} is not a per-class weight of "
                             f"this {info.task} loss; 'balanced' applies to "
                             + " and ".join(f"{'/'.join(keys)} of a {task} loss"
                                            for task, keys in CLASS_WEIGHT_PARAMS.items()))
    return _choice(info, params)


#: Spec parameters that weight classes, by the loss's task: a number, a list ``w0/w1/...`` (one
#: per class), or ``balanced`` — computed from the training targets by :meth:`LossChoice.balanced`.
#: A parameter of the same name elsewhere (mse_loss's element ``weight``, binary focal's α) is
#: passed to the loss as written.
CLASS_WEIGHT_PARAMS = {"multiclass": ("weight", "alpha"), "binary": ("pos_weight",)}


def _class_weight_value(name: str, key: str, value):
    import math

    if value == "balanced":
        return value
    values = value if isinstance(value, tuple) else (value,)
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        if not all(math.isfinite(v) and v >= 0 for v in values) or not any(v > 0 for v in values):
            raise ValueError(f"loss {name!r}: {key} must be finite and ≥ 0 with one > 0 (a class's share of "
                             f"the loss), got {_spec_text(value)}")
        if key == "weight" and not isinstance(value, tuple):  # a multiclass loss's weight is a vector
            raise ValueError(f"loss {name!r}: weight needs one number per class separated by '/' (e.g. "
                             f"weight=1/2.5/0.8) or 'balanced', got the single number {_spec_text(value)}")
        return tuple(float(v) for v in values) if isinstance(value, tuple) else value
    raise ValueError(f"loss {name!r}: {key} must be a number, one number per class separated by '/' "
                     f"(e.g. {key}=1/2.5/0.8) or 'balanced' (n / (classes · n_class) from the training "
                     f"targets), got {value!r}")


def _choice(info, params: dict) -> "LossChoice":
    fn = _adapted(info, params)
    if "balanced" not in params.values():  # checked once the data has given the weights
        fn(*_probe(info, params))  # refuse bad hyperparameter values now, not in the first batch
    return LossChoice(info.name, info, params, fn)


def _probe(info, params: dict | None = None):
    """A tiny valid (output, target) pair, to validate hyperparameters before training (with as
    many classes as a per-class weight in ``params`` has entries)."""
    from .autograd import tensor
    if info.task == "multiclass":
        k = max([len(v) for v in (params or {}).values() if isinstance(v, tuple)] + [2])
        out = [[0.5 - 0.1 * j for j in range(k)], [0.1 * j for j in range(k)]]
        return tensor(out), tensor([0, k - 1])
    if info.task == "binary":
        return tensor([[0.3], [-0.2]]), tensor([[1.0], [0.0]])
    return tensor([[0.3], [0.2]]), tensor([[0.5], [0.1]])


def _adapt_target(info, output: Tensor, target: Tensor) -> Tensor:
    """The dataset's targets as the loss takes them: binary targets as floats of the output's
    shape (a column for one output), mapped {0, 1} → ±1 for margin losses."""
    if info.task == "binary":
        if target.dtype.kind != "f":
            target = target.to(output.dtype)
        if target.ndim == 1 and output.ndim == 2:
            target = target.reshape(-1, 1)
        if _pm1_targets(info):
            target = 2.0 * target - 1.0
    return target


def _adapted(info, params: dict) -> Callable:
    fn, kind, task = info.fn, info.input_kind, info.task

    def loss(output: Tensor, target: Tensor) -> Tensor:
        target = _adapt_target(info, output, target)
        if kind == "probabilities":
            output = output.sigmoid() if task == "binary" else output.softmax(dim=1)
        elif kind == "log-probabilities":
            output = output.log_softmax(dim=1)
        elif kind == "rates":
            output = nn.functional.softplus(output)
        return fn(output, target, **params)

    loss.__name__ = info.name
    return loss


def check_loss_fits_task(choice: LossChoice, data_task: str, n_classes: int | None = None) -> int:
    """Check that the loss suits the data and return the model's number of outputs.

    Args:
        choice: the loss.
        data_task: ``"regression"``, ``"binary"`` or ``"multiclass"`` (the dataset's task).
        n_classes: the number of classes for classification data.

    Returns:
        1 for regression and binary losses, ``n_classes`` for multiclass losses (2 on binary data).

    Raises:
        ValueError: a classification loss on continuous targets, a regression loss on class
            labels, or a binary loss on more than two classes, each with the loss to use instead.
    """
    task = choice.info.task
    if data_task == "regression" and task != "regression":
        raise ValueError(f"{choice.name} is a {task} loss but the targets are continuous (a regression "
                         f"task); use {_TASK_SUGGESTION['regression']}")
    if data_task != "regression" and task == "regression":
        raise ValueError(f"{choice.name} is a regression loss but the targets are class labels "
                         f"({data_task}, {n_classes} classes); use {_TASK_SUGGESTION[data_task]}")
    if data_task == "multiclass" and task == "binary":
        raise ValueError(f"{choice.name} is a binary loss but the data has {n_classes} classes; "
                         f"use {_TASK_SUGGESTION['multiclass']}")
    n_out = n_classes if task == "multiclass" else 1
    for key in CLASS_WEIGHT_PARAMS["multiclass"] if task == "multiclass" else ():
        w = choice.params.get(key)
        if isinstance(w, tuple) and len(w) != n_out:
            raise ValueError(f"{choice.name}: {key} has {len(w)} values but the data has {n_out} classes; "
                             f"give one per class (w0/w1/.../w{n_out - 1}) or {key}=balanced")
    return n_out


# ----------------------------------------------------------------------------- models
_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "softplus": nn.Softplus}


def build_model(spec: str, n_features: int, n_outputs: int, *, activation: str = "relu",
                dropout: float = 0.0) -> nn.Sequential:
    """A model from ``linear`` or ``mlp:H1,H2,...`` (hidden widths); outputs raw scores.

    Example:
        >>> build_model("mlp:8,4", 3, 2)
        Sequential(
          (0): Linear(in_features=3, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=4, bias=True)
          (3): ReLU()
          (4): Linear(in_features=4, out_features=2, bias=True)
        )
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"model: expected 'linear' or 'mlp:H1,H2,...', got {spec!r}")
    name, _, rest = spec.strip().lower().partition(":")
    if activation not in _ACTIVATIONS:
        raise _unknown("activation", activation, _ACTIVATIONS)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    if name == "linear":
        if rest:
            raise ValueError(f"model {spec!r}: 'linear' takes no hidden sizes (use mlp:{rest})")
        return nn.Sequential(nn.Linear(n_features, n_outputs))
    if name != "mlp":
        raise ValueError(f"unknown model {name!r}: use 'linear' or 'mlp:H1,H2,...' (e.g. mlp:64,32)")
    try:
        widths = [int(w) for w in rest.split(",") if w.strip()] if rest else [64]
    except ValueError:
        raise ValueError(f"model {spec!r}: hidden sizes must be integers, e.g. mlp:64,32") from None
    if any(w < 1 for w in widths):
        raise ValueError(f"model {spec!r}: hidden sizes must be >= 1, got {widths}")
    layers: list = []
    width_in = n_features
    for w in widths:
        layers += [nn.Linear(width_in, w), _ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width_in = w
    layers.append(nn.Linear(width_in, n_outputs))
    return nn.Sequential(*layers)


# ----------------------------------------------------------------------------- optimizers
def build_optimizer(spec: str, params, lr: float | None = None):
    """An optimizer from ``NAME[:k=v,...]`` (registry names, class names, or ``gd``/``momentum``/
    ``nesterov`` for SGD variants); ``lr`` overrides the spec's and the class default.

    Raises:
        ValueError: an unknown optimizer or option (close names suggested), an optimizer that
            needs a closure (LBFGS) — the training loop calls ``step()`` without one — or an
            invalid option value (the optimizer's own message).
    """
    from .optim import OPTIMIZER_REGISTRY

    name, options = parse_spec(spec, what="optimizer")
    by_class = {i.cls.__name__.lower(): n for n, i in OPTIMIZER_REGISTRY.items()}
    if name in OPTIMIZER_ALIASES:
        name, preset = OPTIMIZER_ALIASES[name]
        options = {**preset, **options}
    name = by_class.get(name, name)
    if name not in OPTIMIZER_REGISTRY:
        raise _unknown("optimizer", name, list(OPTIMIZER_REGISTRY) + list(OPTIMIZER_ALIASES))
    info = OPTIMIZER_REGISTRY[name]
    if info.requires_closure:
        raise ValueError(f"optimizer {name!r} needs a closure that re-evaluates the loss, which the "
                         "training loop does not give; use it from Python (see docs/optim.md)")
    accepted = [p for p in inspect.signature(info.cls.__init__).parameters if p not in ("self", "params")]
    for k in options:
        if k not in accepted:
            raise _unknown(f"option of {info.cls.__name__}", k, accepted)
    if lr is not None:
        options["lr"] = lr
    params = list(params)
    if info.param_ndim is not None:
        bad = [tuple(p.shape) for p in params if p.ndim != info.param_ndim]
        if bad:
            raise ValueError(f"{info.cls.__name__} takes only {info.param_ndim}-D parameters, but the model "
                             f"has parameters of shapes {bad}; use adamw (or train those with another optimizer in Python)")
    try:
        return info.cls(params, **options)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"optimizer {spec!r}: {exc}") from None


# ----------------------------------------------------------------------------- schedules
def build_scheduler(spec: str | None, optimizer, epochs: int):
    """A per-epoch scheduler from a schedule spec (``losslab.optim.schedules``) or None.

    The schedule's ``lr`` (or ``max_lr``) defaults to the optimizer's learning rate and its
    ``total_steps`` to ``epochs``, so ``cosine`` alone anneals over the run.
    """
    if spec is None:
        return None
    from .optim.schedules import SCHEDULES, schedule_from_cli

    name, params = parse_spec(spec, what="schedule")
    key = name
    try:  # let schedule_from_cli resolve aliases and report unknown names
        info = SCHEDULES.get(key) or next(i for i in SCHEDULES.values() if key in i.aliases)
    except StopIteration:
        schedule_from_cli(name, {})  # raises the helpful "unknown schedule" error
        raise
    return scheduler_from_params(info.name, params, optimizer, epochs)


def scheduler_from_params(name: str, params: dict, optimizer, total_steps: int):
    """A :class:`~losslab.optim.lr_scheduler.ScheduleLR` for the schedule ``name`` with ``params``,
    the run's defaults filled in: ``lr`` / ``max_lr`` default to the optimizer's learning rate and
    ``total_steps`` to ``total_steps`` (what :func:`build_scheduler` does after parsing a spec).

    Args:
        name: a key of ``losslab.optim.schedules.SCHEDULES``.
        params: the schedule's parameters, typed or as strings (``schedule_from_cli`` reads them);
            not modified.
        optimizer: the optimizer whose learning rate the scheduler sets.
        total_steps: the length of the run, in scheduler steps (epochs, or updates).

    Example:
        >>> import losslab as ll
        >>> opt = ll.optim.SGD([ll.zeros(1, requires_grad=True)], lr=0.1)
        >>> scheduler_from_params("cosine", {}, opt, 10).optimizer is opt
        True
    """
    from .optim.lr_scheduler import ScheduleLR
    from .optim.schedules import SCHEDULES, schedule_from_cli

    accepted, params = SCHEDULES[name].params, dict(params)
    base_lr = optimizer.param_groups[0]["lr"]
    for k, default in (("lr", base_lr), ("max_lr", base_lr), ("total_steps", total_steps)):
        if k in accepted and k not in params:
            params[k] = default
    return ScheduleLR(optimizer, schedule_from_cli(name, params))
