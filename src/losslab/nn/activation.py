"""Activation layers: thin Modules over the functions in :mod:`losslab.nn.functional`.

Each ``forward`` calls the engine op, so values and gradients are the op's; ``extra_repr`` shows
the options exactly as PyTorch prints them.
"""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax"]


class Sigmoid(Module):
    """Logistic sigmoid σ(x) = 1 / (1 + e^{−x}), elementwise (stable for any x).

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.Sigmoid()(ll.tensor([0.0])).tolist()
        [0.5]
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent, elementwise.

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.Tanh()(ll.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return F.tanh(input)


class ReLU(Module):
    """max(x, 0) elementwise; the derivative at 0 is 0 (PyTorch).

    Args: inplace: see Note.

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.ReLU()(ll.tensor([-1.0, 2.0]))
        tensor([0., 2.])

    Note: ``inplace=True`` is accepted (and shown in the repr) for PyTorch
        compatibility, but the output is always a new tensor.
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, negative_slope·x otherwise; the derivative at 0 is negative_slope (PyTorch).

    Args:
        negative_slope: slope for x ≤ 0 (default 0.01).
        inplace: see Note.

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.LeakyReLU(0.5)(ll.tensor([-1.0, 2.0])).tolist()
        [-0.5, 2.0]

    Note: ``inplace=True`` is accepted (and shown in the repr) for PyTorch
        compatibility, but the output is always a new tensor.
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x for x > 0, α(eˣ − 1) otherwise (Clevert et al., 2015); derivative at 0 is α (PyTorch).

    Args:
        alpha: α (default 1.0).
        inplace: see Note.

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.ELU()(ll.tensor([0.0, 1.0]))
        tensor([0., 1.])

    Note: ``inplace=True`` is accepted (and shown in the repr) for PyTorch
        compatibility, but the output is always a new tensor.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """Gaussian error linear unit x·Φ(x) (Hendrycks & Gimpel, 2016).

    Formula: ``approximate="none"``: x·½(1 + erf(x/√2));
    ``approximate="tanh"``: x·½(1 + tanh(√(2/π)(x + 0.044715x³))).

    Args: approximate: ``"none"`` (default) or ``"tanh"``.

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.GELU()(ll.tensor([0.0]))
        tensor([0.])
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """(1/β)·log(1 + e^{βx}), and x where βx > threshold (PyTorch's linear cut-off).

    Args:
        beta: β > 0 (default 1).
        threshold: above βx > threshold the output is x (default 20).

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.Softplus()(ll.tensor([30.0])).tolist()  # linear above the threshold
        [30.0]
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        if not beta > 0:
            raise ValueError(f"Softplus: beta must be > 0, got {beta!r}")
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim`` (each slice sums to 1; max-subtracted, stable).

    Args: dim: the dimension to normalise; ``None`` uses PyTorch's legacy implicit choice (0
        for 0-, 1- and 3-D inputs, else 1) with a warning.

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.Softmax(dim=-1)(ll.tensor([[1.0, 1.0]])).tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim``: x − logsumexp(x) (finite for any logits).

    Args: dim: as in :class:`Softmax`.

    Shape: any; output has the input's shape.

    Example:
        >>> ll.nn.LogSoftmax(dim=1)(ll.tensor([[0.0, 0.0]])).exp().tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
