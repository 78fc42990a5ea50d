"""Matrix products: ``matmul`` (NumPy/PyTorch broadcasting rules) and the fused ``linear``."""
from __future__ import annotations

import numpy as np

from ..function import ArrayOps, Function
from ..tensor import Tensor, as_array

__all__ = ["matmul", "dot", "linear"]


class MatMul(Function):
    """a @ b.  ∂/∂a = g @ bᵀ, ∂/∂b = aᵀ @ g (1-D operands are promoted to matrices and the
    added dimension removed again; broadcast batch dimensions are summed by the engine)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.matmul(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        ops = self.ops
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        a2 = ops.reshape(a, (1,) + a.shape) if a.ndim == 1 else a
        b2 = ops.reshape(b, b.shape + (1,)) if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = ops.reshape(g2, g2.shape[:-1] + (1,) + g2.shape[-1:])
        if b.ndim == 1:
            g2 = ops.reshape(g2, g2.shape + (1,))
        ga = ops.matmul(g2, ops.swapaxes(b2, -1, -2))
        gb = ops.matmul(ops.swapaxes(a2, -1, -2), g2)
        if a.ndim == 1:
            ga = ops.sum_to(ga, (1,) + a.shape) if ga.ndim > 2 else ga
            ga = ops.reshape(ga, a.shape)
        if b.ndim == 1:
            gb = ops.sum_to(gb, b.shape + (1,)) if gb.ndim > 2 else gb
            gb = ops.reshape(gb, b.shape)
        return ga, gb


#: dtypes whose 2-D products ``ndarray.dot`` and ``@`` both hand to BLAS (float32, float64): there
#: the two give the same bits; other dtypes keep ``@`` (their loops may accumulate differently)
_BLAS_CHARS = "fd"


class Linear(Function):
    """y = x Wᵀ + b (PyTorch's ``F.linear``), fused for speed: one node instead of three.
    ∂/∂x = g W,  ∂/∂W = gᵀ x (summed over leading batch dims),  ∂/∂b = Σ g."""

    capturable = True  # a pure function of its inputs (autograd/capture.py)

    def forward(self, x, w, b=None):
        self.save_for_backward(x, w)
        # A 2-D float32/float64 batch: ndarray.dot, the same BLAS gemm as ``@`` (bit for bit) with
        # ~1.3 µs less dispatch per call, which is a tenth of a tiny model's step.
        out = x.dot(w.T) if x.ndim == 2 and x.dtype.char in _BLAS_CHARS else x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        if self.ops is ArrayOps and g.ndim == 2:
            # The first-order 2-D case (an MLP's batch) without the ops indirection: the same
            # products and sum as below, bit for bit.
            x, w = self.saved
            if x.ndim == 2:
                p = self.parents[0]  # needs_input_grad(0), inlined
                if g.dtype.char in _BLAS_CHARS:  # ndarray.dot: as in forward
                    gx = g.dot(w) if p is not None and p._requires_grad else None
                    # a batch of one row: its sum over rows is that row, bit for bit, and a copy
                    # costs a third of a reduction's dispatch (online SGD, the seed's example)
                    gb = g[0].copy() if g.shape[0] == 1 else np.add.reduce(g, 0)
                    return gx, g.T.dot(x), gb
                gx = g @ w if p is not None and p._requires_grad else None
                # np.add.reduce is what ndarray.sum calls, minus its Python wrapper
                return gx, g.T @ x, np.add.reduce(g, 0)
        x, w = self.saved_tensors
        ops = self.ops
        gx = ops.matmul(g, w) if self.needs_input_grad(0) else None  # e.g. the data batch
        if g.ndim == 1:
            gw = ops.reshape(g, g.shape + (1,)) * ops.reshape(x, (1,) + x.shape)
            gb = g
        else:
            g2 = ops.reshape(g, (-1, g.shape[-1])) if g.ndim > 2 else g
            x2 = ops.reshape(x, (-1, x.shape[-1])) if x.ndim > 2 else x
            gw = ops.matmul(ops.swapaxes(g2, 0, 1), x2)
            gb = ops.sum(g2, 0)
        return gx, gw, gb


def _check_matmul(a, b, fn):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"{fn}: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise ValueError(
            f"{fn}: shapes {tuple(a.shape)} and {tuple(b.shape)} are not aligned: the last dimension "
            f"of the first ({ka}) must equal the {'first' if b.ndim == 1 else 'second-to-last'} "
            f"dimension of the second ({kb})"
        )
    if a.ndim > 2 and b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(f"{fn}: batch dimensions of {a.shape} and {b.shape} don't broadcast") from None


def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics for 1-D and batched operands."""
    if not isinstance(other, Tensor):
        other = Tensor._wrap(as_array(other, argname="other"))
    if not isinstance(input, Tensor):
        input = Tensor._wrap(as_array(input, argname="input"))
    _check_matmul(input, other, "matmul")
    return MatMul.apply(input, other)


def _rmatmul(self, other):
    return matmul(other, self)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got shapes {input.shape} and {other.shape}")
    return matmul(input, other)


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, with ``weight`` of shape (out_features, in_features) as in PyTorch."""
    ws, xs = weight.data.shape, input.data.shape  # .data: no property calls on the hot path
    if len(ws) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {ws}")
    if not xs or xs[-1] != ws[1]:
        raise ValueError(
            f"linear: input has shape {xs} but the weight expects in_features="
            f"{ws[1]} in the last dimension (weight shape {ws})"
        )
    if bias is not None and bias.data.shape != (ws[0],):
        raise ValueError(f"linear: bias must have shape ({ws[0]},), got {bias.data.shape}")
    return Linear.apply(input, weight, bias)
