"""``autograd.grad``: gradients of outputs with respect to chosen inputs, returned, not stored."""
from __future__ import annotations

import numpy as np

from .engine import run_backward
from .tensor import Tensor, as_array

__all__ = ["grad"]


def _as_list(x):
    return [x] if isinstance(x, Tensor) else list(x)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False):
    """Return ∂(Σ outputs·grad_outputs)/∂inputs as a tuple of Tensors (``.grad`` is untouched).

    Args:
        outputs: a Tensor or sequence of Tensors.
        inputs: the Tensors to differentiate with respect to.
        grad_outputs: the vector in the vector-Jacobian product (ones for scalar outputs).
        retain_graph: keep the graph for another backward (default: ``create_graph``).
        create_graph: record the computation of the gradient, so that it can be differentiated
            again (Hessian-vector products, gradient penalties).
        allow_unused: return None for inputs the outputs don't depend on instead of raising.

    Example:
        >>> x = ll.tensor(2.0, dtype=ll.float64, requires_grad=True)
        >>> (dx,) = ll.autograd.grad(x ** 3, x, create_graph=True)   # 3x² = 12
        >>> (dxx,) = ll.autograd.grad(dx, x)                           # 6x = 12
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad; create it with requires_grad=True")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _as_list(grad_outputs) if not isinstance(grad_outputs, (list, tuple)) else list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    roots, root_grads = [], []
    for i, (o, go) in enumerate(zip(outputs, grad_outputs)):
        if not o.requires_grad:
            raise RuntimeError(
                f"grad: outputs[{i}] does not require grad and has no grad_fn (it doesn't depend on "
                "any tensor with requires_grad=True)"
            )
        if go is None:
            if o.data.size != 1:
                raise RuntimeError(
                    f"grad: grad can be implicitly created only for scalar outputs; outputs[{i}] has "
                    f"shape {o.shape}, so pass grad_outputs"
                )
            g = np.ones_like(o.data)
        else:
            g = as_array(go, o.dtype, argname="grad_outputs")
            if g.shape != o.shape:
                raise RuntimeError(f"grad: grad_outputs[{i}] has shape {g.shape}, expected {o.shape}")
        if create_graph:
            g = go if isinstance(go, Tensor) else Tensor._wrap(g)
        roots.append(o)
        root_grads.append(g)
    if retain_graph is None:
        retain_graph = create_graph
    captured = run_backward(roots, root_grads, retain_graph, create_graph, inputs=inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: inputs[{i}] (shape {t.shape}) was not used to compute the outputs; pass "
                    "allow_unused=True to get None for it"
                )
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor._wrap(np.asarray(g)))
    return tuple(result)
