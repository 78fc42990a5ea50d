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

# adaptive optimizers (issue 4)
from .adagrad import Adagrad, adagrad_update  # noqa: E402
from .rmsprop import RMSprop, rmsprop_update  # noqa: E402
from .adam import Adam, adam_update  # noqa: E402
from .adamw import AdamW  # noqa: E402
from .adadelta import Adadelta, adadelta_update  # noqa: E402
from .adamax import Adamax, adamax_update  # noqa: E402
from .nadam import NAdam, nadam_update  # noqa: E402
from .radam import RAdam, radam_update  # noqa: E402

__all__ += [
    "Adagrad", "adagrad_update", "RMSprop", "rmsprop_update", "Adam", "adam_update", "AdamW",
    "Adadelta", "adadelta_update", "Adamax", "adamax_update", "NAdam", "nadam_update", "RAdam",
    "radam_update",
]

# learning-rate schedules and schedulers, test surfaces, trajectories (issue 4)
from . import lr_scheduler, schedules, surfaces  # noqa: E402
from .trace import TraceResult, trace  # noqa: E402  (losslab.optim.trace is the function)

__all__ += ["schedules", "lr_scheduler", "surfaces", "trace", "TraceResult"]

# more optimizers and gradient clipping (issue 4); LBFGS needs a closure, Muon takes 2-D parameters
from .rprop import Rprop, rprop_update  # noqa: E402
from .asgd import ASGD, asgd_update  # noqa: E402
from .adafactor import Adafactor, adafactor_update  # noqa: E402
from .lbfgs import LBFGS  # noqa: E402
from .lion import Lion, lion_update  # noqa: E402
from .muon import Muon, muon_update  # noqa: E402
from .clip import clip_grad_norm_, clip_grad_value_  # noqa: E402

__all__ += [
    "Rprop", "rprop_update", "ASGD", "asgd_update", "Adafactor", "adafactor_update", "LBFGS",
    "Lion", "lion_update", "Muon", "muon_update", "clip_grad_norm_", "clip_grad_value_",
]
