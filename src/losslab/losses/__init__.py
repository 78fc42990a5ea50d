"""Loss functions: functional forms, PyTorch-style classes, and the registry that describes them.

``import losslab.losses as L`` then ``L.mse_loss(x, y)``, ``L.CrossEntropyLoss()(logits, y)``,
``L.get("cross_entropy").convex``. Every loss is ``f(input, target, ..., reduction="mean",
sample_weight=None)``: an unreduced core followed by the one :func:`reduce` helper. One module
per family (regression, classification, binary, multiclass, distribution, ranking, segmentation,
sequence); their registry entries live in ``losses/catalog/<family>.py``.
"""
from ._reduction import ClassIndexError, REDUCTIONS, reduce
# The functions first: losslab.nn may re-export them while .modules imports losslab.nn.
from .classification import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss
from .regression import mse_loss
from .modules import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss  # noqa: I001
from .registry import LOSS_REGISTRY, LossInfo, available, get, register

__all__ = [
    # the first losses (functions and classes)
    "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "nll_loss", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    # registry and helpers
    "LossInfo", "LOSS_REGISTRY", "register", "get", "available", "reduce", "REDUCTIONS",
    "ClassIndexError",
]

# every family's functions and classes
from .regression import *  # noqa: E402,F401,F403
from .distribution import *  # noqa: E402,F401,F403
from .binary import *  # noqa: E402,F401,F403
from .multiclass import *  # noqa: E402,F401,F403
from .segmentation import *  # noqa: E402,F401,F403
from .ranking import *  # noqa: E402,F401,F403
from .sequence import *  # noqa: E402,F401,F403
from . import binary, distribution, multiclass, ranking, regression, segmentation, sequence  # noqa: E402

# building blocks of the multiclass module that are not losses stay out of the star-export;
# SparsemaxLoss is the binary sparsemax loss, MulticlassSparsemaxLoss the multiclass one
_INTERNAL = {"FocalTerm", "MulticlassSparsemaxCore", "sparsemax"}
for _family in (regression, distribution, binary, multiclass, segmentation, ranking, sequence):
    __all__ += [n for n in _family.__all__ if n not in __all__ and n not in _INTERNAL]
del _family

from . import catalog  # noqa: F401,E402  (enrolls every loss in LOSS_REGISTRY)
