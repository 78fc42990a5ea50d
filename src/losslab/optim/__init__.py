"""Optimizers: PyTorch's ``torch.optim`` API on NumPy.

``Optimizer`` (param groups, per-parameter state, ``step``, ``zero_grad``, ``state_dict``) and one
file per algorithm, each with a pure per-array update kernel (``sgd_update``) and an entry in
``OPTIMIZER_REGISTRY`` that enrols it in the generic tests.

Example:
    >>> import losslab as ll
    >>> import losslab.optim as optim
    >>> w = ll.tensor([3.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> for _ in range(50):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> abs(w.item()) < 1e-3
    True
"""
from .optimizer import Optimizer, RemovableHandle, required
from .registry import OPTIMIZER_REGISTRY, OptimizerInfo, register_optimizer
from .sgd import SGD, sgd_update
from . import _functional  # noqa: F401

__all__ = [
    "Optimizer", "SGD", "sgd_update", "OPTIMIZER_REGISTRY", "OptimizerInfo", "register_optimizer",
    "required", "RemovableHandle",
]
