"""Finite-difference checks of analytic gradients, for tests and for users writing new losses.

``gradcheck`` compares every entry of the Jacobian from backpropagation with central differences
(f(x + ε) − f(x − ε)) / 2ε computed in float64; ``gradgradcheck`` does the same for the gradient
itself (second derivatives through ``create_graph=True``).
"""
from __future__ import annotations

import numpy as np

from .engine import enable_grad, no_grad
from .grad import grad as _grad
from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    if isinstance(out, Tensor):
        outs = (out,)
    elif isinstance(out, (tuple, list)):
        outs = tuple(out)
    else:
        raise TypeError(f"gradcheck: fn must return Tensors, output 0 is {type(out).__name__}")
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, output {i} is {type(o).__name__}")
        if o.dtype != np.float64:
            raise GradcheckError(
                f"gradcheck: output {i} has dtype {o.dtype}; finite differences need float64 "
                "throughout (make every tensor and parameter inside fn float64)"
            )
    return outs


def _numeric_jacobians(fn, inputs, eps):
    """jac[i][r, k] = ∂(all outputs, flattened)[r] / ∂inputs[i].flat[k] by central differences."""
    jac = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            jac.append(None)
            continue
        cols = []
        data = t.data  # perturbed in place (element by element: works for any memory layout)
        for k in range(data.size):
            idx = np.unravel_index(k, data.shape)
            orig = data[idx]
            try:
                with no_grad():
                    data[idx] = orig + eps
                    plus = np.concatenate([o.data.reshape(-1) for o in _outputs(fn, inputs)])
                    data[idx] = orig - eps
                    minus = np.concatenate([o.data.reshape(-1) for o in _outputs(fn, inputs)])
            finally:
                data[idx] = orig  # restored even if fn raises
            cols.append((plus - minus) / (2 * eps))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jac


def _analytic_jacobians(fn, inputs):
    outs = _outputs(fn, inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    sizes = [o.data.size for o in outs]
    n_out = sum(sizes)
    rows = {id(t): np.zeros((n_out, t.data.size)) for t in diff}
    row = 0
    for oi, o in enumerate(outs):
        for k in range(o.data.size):
            if o.requires_grad:
                go = np.zeros(o.data.size)
                go[k] = 1.0
                gs = _grad([o], diff, [go.reshape(o.shape)], retain_graph=True, allow_unused=True)
                for t, g in zip(diff, gs):
                    if g is not None:
                        rows[id(t)][row] = g.data.reshape(-1)
            row += 1
    return [rows.get(id(t)) if isinstance(t, Tensor) and t.requires_grad else None for t in inputs]


def _inputs_tuple(inputs):
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise GradcheckError(
                f"gradcheck: input {i} has dtype {t.dtype}; use float64 inputs "
                "(ll.tensor(..., dtype=ll.float64, requires_grad=True)) so that finite differences are accurate"
            )
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")
    return inputs


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check backpropagated gradients of ``fn`` against central finite differences.

    Every element of every output is differentiated with respect to every element of every input
    with ``requires_grad=True``; an entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|.

    Args:
        fn: function of the inputs returning a Tensor or a tuple of Tensors (float64).
        inputs: a Tensor or tuple of Tensors (float64 for those requiring grad).
        eps: finite-difference step.
        atol, rtol: tolerances.
        raise_exception: raise :class:`GradcheckError` with a report (default) or return False.

    Returns:
        True when every entry agrees.

    Example:
        >>> x = ll.randn(3, dtype=ll.float64, requires_grad=True)
        >>> ll.autograd.gradcheck(lambda t: (t.sigmoid() * t).sum(), (x,))
        True
    """
    inputs = _inputs_tuple(inputs)
    numeric = _numeric_jacobians(fn, inputs, eps)
    analytic = _analytic_jacobians(fn, inputs)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if a is None:
            continue
        bad = np.abs(a - n) > atol + rtol * np.abs(n)
        bad |= np.isnan(a) != np.isnan(n)
        if bad.any():
            o, k = map(int, np.argwhere(bad)[0])
            shape = inputs[i].shape
            where = np.unravel_index(k, shape) if shape else ()
            msg = (
                f"Jacobian mismatch for input {i} (shape {tuple(shape)}) at element {tuple(int(w) for w in where)}, "
                f"output element {o}: analytic {float(a[o, k])!r} vs numeric {float(n[o, k])!r} "
                f"(|diff| {abs(a[o, k] - n[o, k]):.3g} > atol {atol} + rtol {rtol}·|numeric|); "
                f"{int(bad.sum())} of {bad.size} entries disagree, max |diff| "
                f"{np.nanmax(np.abs(a - n)):.3g}"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Check second derivatives: gradcheck of x ↦ ∂(Σ fn(x)·v)/∂x, built with ``create_graph=True``.

    ``grad_outputs`` (v) defaults to random float64 vectors, fixed by ``seed``.
    """
    inputs = _inputs_tuple(inputs)
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor(rng.standard_normal(o.shape)) for o in outs]
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]

    def first_grad(*xs):
        # gradcheck evaluates fn under no_grad for its finite differences; the first derivative
        # needs a graph even there, so record it regardless.
        with enable_grad():
            res = _outputs(fn, xs)
            d = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
            gs = _grad(list(res), d, list(grad_outputs), create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(t.shape)) for g, t in zip(gs, d))

    del diff
    return gradcheck(first_grad, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
