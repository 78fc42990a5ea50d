"""The pure per-array update kernels of every optimizer, in one namespace (as
``torch.optim._functional``).

Each kernel updates one parameter ndarray in place from its gradient and its state arrays and
returns the new state; it knows nothing about Tensors, param groups or autograd, so it can be
tested alone against hand-computed values and reused by the explainer and the visualisations.
Each kernel lives in its algorithm's file next to the class that uses it; new optimizers add their
kernel to this list.

Notation (seed 003): θ parameters, η learning rate, ∇J(θ) gradient of the cost, μ momentum,
b momentum buffer ("velocity"), τ dampening, λ weight decay.

* ``sgd_update``: θ ← θ − η·g with g = ∇J + λθ, optionally b ← μb + (1−τ)g and g ← b (or g + μb).
"""
from .sgd import sgd_update

__all__ = ["sgd_update"]

# adaptive optimizers (issue 4): m/v moving averages, s accumulators; see each kernel's docstring.
from .adagrad import adagrad_update  # noqa: E402
from .rmsprop import rmsprop_update  # noqa: E402
from .adam import adam_update  # noqa: E402
from .adadelta import adadelta_update  # noqa: E402
from .adamax import adamax_update  # noqa: E402
from .nadam import nadam_update  # noqa: E402
from .radam import radam_update  # noqa: E402

__all__ += ["adagrad_update", "rmsprop_update", "adam_update", "adadelta_update",
            "adamax_update", "nadam_update", "radam_update"]

# sign-based, averaged, factored, quasi-Newton and orthogonalised updates (issue 4)
from .rprop import rprop_update  # noqa: E402
from .asgd import asgd_update  # noqa: E402
from .adafactor import adafactor_update  # noqa: E402
from .lion import lion_update  # noqa: E402
from .muon import muon_update, zeropower_via_newtonschulz  # noqa: E402
from .lbfgs import cubic_interpolate, lbfgs_direction, strong_wolfe  # noqa: E402

__all__ += ["rprop_update", "asgd_update", "adafactor_update", "lion_update", "muon_update",
            "zeropower_via_newtonschulz", "lbfgs_direction", "cubic_interpolate", "strong_wolfe"]
