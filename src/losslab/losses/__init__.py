"""Loss functions: functional forms, PyTorch-style classes, and the registry that describes them.

``import losslab.losses as L`` then ``L.mse_loss(x, y)``, ``L.CrossEntropyLoss()(logits, y)``,
``L.get("cross_entropy").convex``. Every loss is ``f(input, target, ..., reduction="mean")``:
an unreduced elementwise core followed by the one :func:`reduce` helper.
"""
from ._reduction import ClassIndexError, REDUCTIONS, reduce
# The functions first: losslab.nn may re-export them while .modules imports losslab.nn.
from .classification import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss
from .regression import mse_loss
from .modules import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss  # noqa: I001
from .registry import LOSS_REGISTRY, LossInfo, available, get, register
from . import catalog  # noqa: F401,E402  (enrolls every loss in LOSS_REGISTRY)

__all__ = [
    # functions
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss",
    # classes
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    # registry and helpers
    "LossInfo", "LOSS_REGISTRY", "register", "get", "available", "reduce", "REDUCTIONS",
    "ClassIndexError",
]
