"""Reverse-mode automatic differentiation on NumPy arrays (backpropagation)."""
from .tensor import Tensor, tensor  # first: the op modules bind methods onto Tensor
from . import ops  # noqa: E402
from .engine import enable_grad, is_grad_enabled, no_grad, set_grad_enabled, sum_to
from .function import OP_REGISTRY, Function
from .grad import grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Tensor", "tensor", "Function", "OP_REGISTRY", "grad", "gradcheck", "gradgradcheck",
    "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "sum_to", "ops",
]
