"""``Optimizer``: the base class every losslab optimizer derives from, with PyTorch's public shape.

An optimizer holds

* ``param_groups``: a list of dicts, each with ``'params'`` (a list of Tensors) and every
  hyperparameter (``lr``, ``momentum``, …) filled in from ``defaults`` where the group does not
  set it, so one model can use several learning rates;
* ``state``: per-parameter state (``state[p]`` is a dict of ndarrays and scalars, for example
  ``{'momentum_buffer': ndarray}``), keyed by the parameter Tensor itself (Tensors hash by
  identity);
* ``defaults``: the hyperparameters given to the constructor.

``step()`` reads ``p.grad`` and updates ``p.data`` in place (under ``no_grad``); the maths lives in a
pure per-array kernel in the algorithm's own file (``sgd.py: sgd_update``), which is tested alone.

``state_dict()`` / ``load_state_dict()`` save and restore everything but the parameters themselves,
with parameters replaced by integer ids numbered across groups in order, exactly as PyTorch does,
so a checkpoint can be written as arrays (``.npz``) without pickle.
"""
from __future__ import annotations

import copy
import functools
import itertools
import numbers
import warnings
from collections import OrderedDict, defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from ..autograd import Tensor, enable_grad, no_grad

__all__ = ["Optimizer", "required", "RemovableHandle"]


class _RequiredParameter:
    """Marker for a hyperparameter without a default: every param group must set it."""

    def __repr__(self) -> str:
        return "<required parameter>"


#: Use as a value in ``defaults`` to make a hyperparameter mandatory in every param group.
required = _RequiredParameter()


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap a subclass's ``step`` so that registered pre/post hooks run around it (once per
    outermost call: a ``super().step()`` inside an overriding ``step`` does not fire them again)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        d = self.__dict__
        if d.get("_in_step", False):
            return step(self, *args, **kwargs)
        if not d.get("_step_pre_hooks") and not d.get("_step_post_hooks"):
            # no hooks (the usual case): just the re-entry guard, ~1 µs less per step
            d["_in_step"] = True
            try:
                return step(self, *args, **kwargs)
            finally:
                d["_in_step"] = False
        self._in_step = True
        try:
            for hook in list(getattr(self, "_step_pre_hooks", {}).values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "step pre-hook must return None or a tuple (new_args, new_kwargs), "
                            f"got {result!r}"
                        )
                    args, kwargs = result
            out = step(self, *args, **kwargs)
            for hook in list(getattr(self, "_step_post_hooks", {}).values()):
                hook(self, args, kwargs)
            return out
        finally:
            self._in_step = False

    wrapper._losslab_hooked = True  # type: ignore[attr-defined]
    return wrapper


def _type_name(x: Any) -> str:
    if isinstance(x, Tensor):
        return "losslab.Tensor"
    t = type(x)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _copy_state_value(value: Any, param: Tensor | None = None, key: Any = None) -> Any:
    """Deep-copy one state value; floating arrays are cast to the parameter's dtype (except the
    key ``'step'``), as PyTorch's ``load_state_dict`` does. Anything with ``__array__`` (a losslab
    or a torch tensor) becomes an ndarray."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) or (hasattr(value, "__array__") and not isinstance(value, (numbers.Number, np.generic))):
        arr = np.asarray(value).copy()  # asarray first: torch's __array__ takes no copy=
        if (param is not None and key != "step" and arr.dtype.kind == "f"
                and param.data.dtype.kind == "f" and arr.dtype != param.data.dtype):
            arr = arr.astype(param.data.dtype)
        return arr
    if isinstance(value, dict):
        return {k: _copy_state_value(v, param, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state_value(v, param) for v in value)
    return copy.copy(value)


def _copy_option(value: Any) -> Any:
    """Copy a param-group option (Tensors stay Tensors, e.g. a tensor learning rate)."""
    if isinstance(value, Tensor):
        return Tensor(np.array(value.data, copy=True))
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy_option(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_option(v) for v in value)
    return value


class Optimizer:
    r"""Base class for all optimizers: param groups, per-parameter state, ``step``, ``zero_grad``,
    ``state_dict``/``load_state_dict``, with PyTorch's API (``torch.optim.Optimizer``).

    A subclass passes its hyperparameters as ``defaults``, overrides ``step(closure=None)``
    (reading ``group[...]`` for each param group, updating ``p.data`` in place with its kernel and
    keeping per-parameter arrays in ``self.state[p]``) and may override ``_validate_group`` to check
    hyperparameters given per group.

    Update rule: defined by the subclass, e.g. plain gradient descent θ ← θ − η·∇J(θ).

    Args:
        params: what to optimize. One of
            * an iterable of Tensors (one param group),
            * an iterable of ``(name, Tensor)`` pairs, e.g. ``model.named_parameters()`` (names are
              kept in the group under ``'param_names'`` and saved in the state dict),
            * an iterable of dicts, each a param group ``{'params': [...], 'lr': 0.1, ...}`` whose
              options override ``defaults`` for those parameters.
        defaults: hyperparameters used by groups that don't set them. A value of
            ``losslab.optim.optimizer.required`` makes the option mandatory in every group.

    Shape:
        Parameters can have any shape; state arrays have the shape of their parameter.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import SGD
        >>> w = ll.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()        # w ← w − 0.1·2w
        >>> w.data.tolist()
        [0.800000011920929, -1.600000023841858]
        >>> opt.zero_grad()   # w.grad is None again

    Note:
        * ``state_dict()`` returns *copies* of the state arrays (PyTorch returns references that
          keep changing as training goes on); ``load_state_dict`` copies too.
        * ``load_state_dict`` refuses a state entry whose integer id belongs to no saved group and
          a state array whose shape differs from its parameter's (for keys the optimizer declares
          in ``_param_shaped_state``), where PyTorch would keep or broadcast silently.
        * A subclass's ``_validate_group`` also checks hyperparameters given per group (PyTorch
          checks only the constructor's values).
    """

    #: State keys whose arrays must have their parameter's shape (checked by ``load_state_dict``).
    _param_shaped_state: tuple[str, ...] = ()

    def _expected_state_shape(self, key: str, param_shape: tuple) -> tuple | None:
        """The shape ``state[p][key]`` must have for a parameter of ``param_shape`` (checked by
        ``load_state_dict``), or None for state of any shape (scalars such as ``step``)."""
        return param_shape if key in self._param_shaped_state else None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_losslab_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if not isinstance(defaults, dict):
            raise TypeError(f"defaults: expected a dict of hyperparameters, got {_type_name(defaults)}")
        self.defaults = defaults
        self._step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._in_step = False

        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {_type_name(params)}; wrap a single tensor in a list, e.g. SGD([w], lr=0.1)"
            )
        if isinstance(params, dict):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a single dict; pass a list of param-group dicts: [{'params': [...], ...}]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "params: optimizer parameters need to be in an ordered collection, but a set's "
                "order changes between runs (and state_dict ids follow the order); use a list"
            )
        try:
            param_groups = list(params)
        except TypeError:
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {_type_name(params)}"
            ) from None

        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list (params was empty)")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- hyperparameter checks ----------------------------------------------------------------
    def _validate_group(self, group: dict[str, Any], index: int) -> None:
        """Check the hyperparameters of param group number ``index`` (a complete group, defaults
        filled in). Subclasses override this; the base class accepts anything."""

    # -- param groups -------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group to ``param_groups`` (e.g. to unfreeze layers while fine-tuning).

        Args:
            param_group: ``{'params': Tensor | iterable of Tensors or (name, Tensor) pairs, **options}``;
                options not given are taken from ``defaults``.

        Example:
            >>> import losslab as ll
            >>> from losslab.optim import SGD
            >>> a, b = ll.zeros(2, requires_grad=True), ll.zeros(3, requires_grad=True)
            >>> opt = SGD([a], lr=0.1)
            >>> opt.add_param_group({'params': [b], 'lr': 0.01})
            >>> [g['lr'] for g in opt.param_groups]
            [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_type_name(param_group)}")
        if "params" not in param_group:
            raise ValueError(
                f"param_group: missing the key 'params' (got keys {sorted(map(str, param_group))}); "
                "a param group is {'params': [tensors...], **options}"
            )
        param_group = dict(param_group)  # don't modify the caller's dict
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            try:
                params = list(params)
            except TypeError:
                raise TypeError(
                    "param_group['params']: expected a Tensor or an iterable of Tensors, got "
                    f"{_type_name(params)}"
                ) from None

        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                if len(p) != 2:
                    raise TypeError(
                        f"named parameters must be (name, Tensor) pairs, got a tuple of length {len(p)}"
                    )
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    f"missing ({len(names)} of {len(tensors)} params are (name, Tensor) pairs)"
                )
            param_group["param_names"] = names
        param_group["params"] = tensors

        for i, p in enumerate(tensors):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but params[{i}] is {_type_name(p)}"
                )
            if not (p.is_leaf or getattr(p, "_retains_grad", False)):
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (params[{i}] was made by "
                    f"{p.grad_fn.name if p.grad_fn is not None else 'an op'}); optimize the leaf "
                    "tensors it came from, or pass x.detach().requires_grad_()"
                )

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter "
                    f"{name} (and the optimizer has no default for it)"
                )
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; they would be "
                "updated more than once per step",
                UserWarning,
                stacklevel=3,
            )

        existing: set[int] = set()
        for group in self.param_groups:
            existing.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not existing.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")

        self._validate_group(param_group, len(self.param_groups))
        self.param_groups.append(param_group)

    # -- gradients ----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none: if True (default), set ``p.grad = None`` (so a parameter that gets no
                gradient in the next backward is skipped by ``step``); otherwise fill the existing
                gradient with zeros in place (``step`` then still applies weight decay and momentum
                to it).

        Example:
            >>> import losslab as ll
            >>> from losslab.optim import SGD
            >>> w = ll.ones(2, requires_grad=True); opt = SGD([w], lr=0.1)
            >>> w.sum().backward(); opt.zero_grad(set_to_none=False); w.grad.data.tolist()
            [0.0, 0.0]
        """
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if set_to_none:
                        p.grad = None
                    elif isinstance(g, Tensor):
                        if g.grad_fn is not None or g.requires_grad:
                            g.detach_()  # a grad made with create_graph=True leaves the graph
                        g.data[...] = 0
                    else:
                        np.asarray(g)[...] = 0

    @staticmethod
    def _grad_array(p: Tensor) -> np.ndarray:
        """``p.grad`` as an ndarray (``.grad`` is a Tensor; tolerate a bare array set by hand)."""
        g = p.grad
        if isinstance(g, Tensor):
            g = g.data
        g = np.asarray(g)
        if g.shape != p.data.shape:
            raise ValueError(
                f"a parameter of shape {p.data.shape} has a gradient of shape {g.shape}; "
                "they must match"
            )
        return g

    @staticmethod
    def _param_array(p: Tensor) -> np.ndarray:
        """``p.data`` ready for an in-place update (a read-only array, e.g. a broadcast view, is
        replaced by a writable copy; otherwise the ndarray object is kept)."""
        if not p.data.flags.writeable:
            p.data = np.array(p.data, copy=True)
        return p.data

    # -- step ---------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step (update every parameter that has a gradient).

        Args:
            closure: optional callable that re-evaluates the model and returns the loss (it is
                run with gradients enabled, and usually calls ``zero_grad`` and ``backward``).

        Returns:
            the closure's loss, or None.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _run_closure(self, closure):
        if closure is None:
            return None
        if not callable(closure):
            raise TypeError(f"closure: expected a callable returning the loss, got {_type_name(closure)}")
        with enable_grad():
            return closure()

    # -- hooks --------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None | (new_args, new_kwargs)`` to run
        before every ``step``. Returns a handle with ``.remove()``."""
        handle = RemovableHandle(self._step_pre_hooks)
        self._step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None`` to run after every ``step``."""
        handle = RemovableHandle(self._step_post_hooks)
        self._step_post_hooks[handle.id] = hook
        return handle

    # -- state dict ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer's state as a dict (parameters themselves are not included).

        ``{'state': {int_id: {key: ndarray | scalar}}, 'param_groups': [{**options, 'params': [int_id, ...]}]}``
        with ids numbered 0, 1, 2, … across groups in order (PyTorch's numbering).

        Example:
            >>> import losslab as ll
            >>> from losslab.optim import SGD
            >>> w = ll.ones(2, requires_grad=True); opt = SGD([w], lr=0.1, momentum=0.9)
            >>> w.sum().backward(); opt.step()
            >>> sd = opt.state_dict(); sorted(sd), sd['param_groups'][0]['params'], list(sd['state'][0])
            (['param_groups', 'state'], [0], ['momentum_buffer'])
        """
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: _copy_option(v) for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): _copy_state_value(v)
            for k, v in self.state.items()
            if not isinstance(k, Tensor) or id(k) in mapping
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state made by ``state_dict()`` (of an optimizer over the same number of groups
        with the same number of parameters each, in the same order). Arrays are copied and
        floating ones cast to their parameter's dtype; group options are replaced by the saved ones.

        Raises:
            ValueError: a different number of groups, a group of a different size, an id in
                ``'state'`` that no saved group lists, or a state array of the wrong shape.
            TypeError: ``state_dict`` is not a dict with ``'state'`` and ``'param_groups'``.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict: expected a dict, got {_type_name(state_dict)}")
        missing = [k for k in ("state", "param_groups") if k not in state_dict]
        if missing:
            raise ValueError(
                f"state_dict: missing key(s) {missing}; expected a dict from Optimizer.state_dict() "
                f"with 'state' and 'param_groups' (got keys {sorted(map(str, state_dict))})"
            )
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or not all(isinstance(g, dict) for g in saved_groups):
            raise TypeError("state_dict['param_groups']: expected a list of dicts")
        if not isinstance(state_dict["state"], dict):
            raise TypeError(f"state_dict['state']: expected a dict, got {_type_name(state_dict['state'])}")
        groups = self.param_groups
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups: it has "
                f"{len(saved_groups)}, this optimizer has {len(groups)}"
            )
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if "params" not in sg:
                raise ValueError(f"state_dict['param_groups'][{i}] has no 'params' list of ids")
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of "
                    f"optimizer's group: saved group {i} has {len(sg['params'])} parameters, this "
                    f"optimizer's group {i} has {len(g['params'])}"
                )

        id_map: dict[Any, Tensor] = {}
        for sg, g in zip(saved_groups, groups):
            for pid, p in zip(sg["params"], g["params"]):
                id_map[pid] = p

        new_state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                if not isinstance(v, dict):
                    raise TypeError(f"state_dict['state'][{k!r}]: expected a dict, got {_type_name(v)}")
                value = _copy_state_value(v, p)
                for key, arr in value.items():
                    want = self._expected_state_shape(key, p.data.shape)
                    if want is not None and isinstance(arr, np.ndarray) and arr.shape != want:
                        raise ValueError(
                            f"state_dict['state'][{k!r}][{key!r}] has shape {arr.shape} but the "
                            f"parameter it belongs to (shape {p.data.shape}) needs {want}; the "
                            "state dict comes from a model with different parameters"
                        )
                new_state[p] = value
            elif isinstance(k, numbers.Integral):
                raise ValueError(
                    f"state_dict['state'] has an entry for parameter id {k}, which no saved param "
                    f"group lists (ids: {sorted(id_map)})"
                )
            else:
                new_state[k] = _copy_state_value(v)

        new_groups = []
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            ng = {k: _copy_option(v) for k, v in sg.items()}
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            self._validate_group(ng, i)
            new_groups.append(ng)

        self.state = new_state
        self.param_groups = new_groups

    # -- display ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"
