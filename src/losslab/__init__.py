"""losslab: differentiable loss functions, backpropagation and gradient descent, usable and visible.

``import losslab as ll`` gives a PyTorch-shaped API on NumPy: ``ll.tensor``, ``Tensor.backward()``,
``ll.nn``, ``ll.optim``, ``ll.losses`` and the tools that explain what happens inside.
"""
from . import random
from .autograd import (
    Function, Tensor, enable_grad, grad, gradcheck, gradgradcheck, is_grad_enabled, no_grad,
    set_grad_enabled, tensor,
)
from . import autograd  # noqa: F401  (ll.autograd.grad, ll.autograd.gradcheck, …)
from .autograd.creation import *  # noqa: F401,F403
from .autograd.dtypes import (
    bool_, double, float16, float32, float64, get_default_dtype, half, int8, int32, int64, long,
    set_default_dtype, uint8,
)
from .autograd.ops import *  # noqa: F401,F403
from .random import manual_seed
from . import nn, optim, losses  # noqa: E402  (after the engine: they build on it)
from . import data, datasets, metrics, train, viz  # noqa: E402  (training on real data)
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"
