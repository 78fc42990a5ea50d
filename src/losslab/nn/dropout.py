"""``Dropout``: inverted dropout as a layer (active in training mode only)."""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the others by
    1/(1 − p) (inverted dropout, Srivastava et al., 2014); in eval mode, the identity.

    Formula: y = x · m / (1 − p), m ~ Bernoulli(1 − p) elementwise, so E[y] = x.

    Args:
        p: drop probability in [0, 1] (default 0.5). p = 0 is the identity; p = 1 gives zeros.
        inplace: accepted for PyTorch compatibility; the output is always a new tensor.

    Shape: any; output has the input's shape.

    Example:
        >>> _ = ll.manual_seed(0)
        >>> drop = ll.nn.Dropout(p=0.5)
        >>> y = drop(ll.ones(4))          # entries are 0. or 2.
        >>> drop.eval()(ll.ones(4))       # identity in eval mode
        tensor([1., 1., 1., 1.])

    Note:
        The mask is drawn from ``ll.random.generator()`` (``ll.manual_seed`` makes it repeat);
        the numbers differ from PyTorch's for the same seed.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = F._check_p(p, "Dropout")
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
