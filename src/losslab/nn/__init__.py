"""``losslab.nn``: layers and models with PyTorch's API.

``Module`` (parameter registration, ``state_dict``, ``train``/``eval``), ``Parameter``,
``Linear``, ``Sequential``/``ModuleList``/``ModuleDict``, activation layers, ``Dropout``,
``nn.init`` (weight initialisers) and ``nn.functional`` (``F``).

Example:
    >>> import losslab as ll
    >>> import losslab.nn as nn
    >>> net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    >>> net(ll.ones(4, 2)).shape
    (4, 1)
"""
from . import functional, init
from . import utils  # clip_grad_norm_, clip_grad_value_ (they live in losslab.optim.clip)
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .module import Module, RemovableHandle, StateDictError
from .parameter import Parameter

__all__ = [
    "Module", "Parameter", "StateDictError", "RemovableHandle",
    "Linear", "Identity", "Flatten", "Sequential", "ModuleList", "ModuleDict",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax",
    "Dropout", "init", "functional", "utils",
]


# -- loss classes ---------------------------------------------------------------------------
# The loss Modules (MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss, …) live in
# losslab.losses.modules and are also ``nn.<Name>``, as in torch.nn. They are looked up on first
# access (PEP 562): losslab.losses.modules imports losslab.nn.module, so importing it here would
# be circular (and, when losslab.losses is imported first, would find the classes undefined).


def _loss_classes() -> dict:
    try:
        from ..losses import modules as _lm
        from ..losses.registry import LOSS_REGISTRY
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(__name__.rpartition(".")[0] + ".losses"):
            return {}
        raise
    out = {n: getattr(_lm, n) for n in getattr(_lm, "__all__", ())}
    out.update({info.module.__name__: info.module for info in LOSS_REGISTRY.values()
                if info.module is not None})
    return out


def __getattr__(name: str):
    if not name.startswith("_"):
        cls = _loss_classes().get(name)
        if cls is not None:
            return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_loss_classes()))
