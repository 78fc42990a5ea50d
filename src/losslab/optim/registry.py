"""``OPTIMIZER_REGISTRY``: one entry per optimizer, the single list the generic tests and the tools
read (ARCHITECTURE principle 8: a new optimizer is enrolled in every generic test by its entry).

Each optimizer's own file registers it at the bottom::

    register_optimizer(OptimizerInfo(name="sgd", cls=SGD, torch_name="SGD", ...))

The generic tests (``tests/optim/test_optim_generic.py``) run, for every entry: its
``oracle_configs`` against ``torch.optim.<torch_name>`` on a small MLP for 100 steps in float64,
param groups, ``state_dict`` round trips and structure against PyTorch's, skipping of parameters
without a gradient, float32 preservation, and descent on a parabola and on Rosenbrock with
``descent_config``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["OptimizerInfo", "OPTIMIZER_REGISTRY", "register_optimizer"]


@dataclass(frozen=True)
class OptimizerInfo:
    """Metadata for one optimizer.

    Args:
        name: registry key, lower case (``"sgd"``).
        cls: the Optimizer subclass.
        torch_name: the class name in ``torch.optim`` with the same behaviour (None if PyTorch has
            none); the oracle tests compare against ``getattr(torch.optim, torch_name)``.
        summary: one line for tables and the advisor.
        update_rule: the update in plain text (seed 003's notation: θ ← θ − η·∇J …).
        kernel: the pure per-array update function (``sgd_update``), or None.
        state_keys: keys of ``optimizer.state[p]`` after a step with ``descent_config``.
        oracle_configs: hyperparameter sets (constructor kwargs) compared with PyTorch.
        descent_config: hyperparameters with which the optimizer must descend a parabola and
            Rosenbrock from (-1.5, 2) in ``descent_steps`` steps.
        descent_steps: number of steps for the descent tests.
        references: papers or documentation pages.
        requires_closure: ``step`` needs a closure (LBFGS); the generic tests that call
            ``step()`` without one skip the entry.
        param_ndim: the only parameter rank the optimizer accepts (Muon: 2), or None for any;
            the generic tests on the MLP's biases and on 1-D points skip such entries.
    """

    name: str
    cls: type
    torch_name: str | None
    summary: str
    update_rule: str
    kernel: Callable[..., Any] | None = None
    state_keys: tuple[str, ...] = ()
    oracle_configs: tuple[dict[str, Any], ...] = ()
    descent_config: dict[str, Any] = field(default_factory=dict)
    descent_steps: int = 2000
    references: tuple[str, ...] = ()
    requires_closure: bool = False
    param_ndim: int | None = None


#: name -> OptimizerInfo, in registration order.
OPTIMIZER_REGISTRY: dict[str, OptimizerInfo] = {}


def register_optimizer(info: OptimizerInfo) -> OptimizerInfo:
    """Add ``info`` to ``OPTIMIZER_REGISTRY`` (re-registering the same class is a no-op)."""
    if not isinstance(info, OptimizerInfo):
        raise TypeError(f"register_optimizer: expected an OptimizerInfo, got {type(info).__name__}")
    old = OPTIMIZER_REGISTRY.get(info.name)
    if old is not None and old.cls is not info.cls:
        raise ValueError(
            f"register_optimizer: the name {info.name!r} is already taken by {old.cls.__qualname__}"
        )
    OPTIMIZER_REGISTRY[info.name] = info
    return info
