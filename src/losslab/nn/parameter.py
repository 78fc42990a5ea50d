"""``Parameter``: a Tensor that a :class:`~losslab.nn.Module` registers as one of its weights."""
from __future__ import annotations

import numpy as np

from ..autograd import dtypes
from ..autograd.tensor import Tensor, as_array

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that is a module's learnable weight (``requires_grad=True`` by default).

    Assigning a ``Parameter`` to an attribute of a ``Module`` registers it, so that it appears in
    ``module.parameters()`` and ``module.state_dict()``; a plain Tensor does not.

    Formula: none; it is the tensor ``data`` itself, with ``.grad`` filled by ``backward()``.

    Args:
        data: array-like or Tensor. A Tensor's or ndarray's memory is shared, not copied (as
            ``torch.nn.Parameter``); a Tensor made by an op is taken out of its graph (the
            Parameter is always a leaf). ``None`` gives an empty float tensor of shape (0,).
        requires_grad: whether gradients are computed for it (default True). Only floating
            dtypes can require gradients.

    Shape: that of ``data``.

    Example:
        >>> import losslab as ll
        >>> w = ll.nn.Parameter(ll.zeros(2))
        >>> w.requires_grad, w.is_leaf
        (True, True)
        >>> (w * 3.0).sum().backward(); w.grad
        tensor([3., 3.])

    Note:
        Ops on a Parameter return plain Tensors, and ``detach()`` returns a plain Tensor, as in
        PyTorch. ``isinstance(p, ll.Tensor)`` is True.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty((0,), dtype=dtypes.get_default_dtype())
        elif isinstance(data, Tensor):
            arr = data.data  # shared memory, as torch.nn.Parameter(t)
        else:
            arr = as_array(data)
        super().__init__(arr, requires_grad=bool(requires_grad))

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
