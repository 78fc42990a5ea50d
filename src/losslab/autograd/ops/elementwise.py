"""Elementwise primitives: arithmetic, exp/log family, trigonometry, activations, clamp.

Each op is forward and derivative side by side. Conventions at kinks are PyTorch's and are named
in each docstring. Broadcasting is undone once, by the engine (``engine.sum_to``), so binary ops
return full-shape gradients.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes
from ..function import Function
from ..tensor import Tensor, as_array

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt",
    "square", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "gelu",
    "softplus", "erf", "clamp", "maximum", "minimum", "where", "reciprocal", "clone", "cast",
]


def _operand(x):
    """Constants may be Tensors, Python numbers or arrays; lists follow ``ll.tensor``'s rules.
    NumPy scalars become Python numbers so that they don't upcast float32 (as PyTorch)."""
    if isinstance(x, (Tensor, np.ndarray)) or type(x) in (float, int, bool):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, numbers.Number):
        return x
    return as_array(x, argname="other")


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    """a + b.  ∂/∂a = 1, ∂/∂b = 1."""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """a − b.  ∂/∂a = 1, ∂/∂b = −1."""

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Function):
    """a · b.  ∂/∂a = b, ∂/∂b = a."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, g):
        a, b = self.saved_tensors
        return g * b, g * a


class Div(Function):
    """a / b.  ∂/∂a = 1/b, ∂/∂b = −a/b²."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = g / b
        return ga, -ga * a / b


class Neg(Function):
    """−x."""

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class PowScalar(Function):
    """x ** p for a constant exponent p.  ∂/∂x = p·x^(p−1); exactly 0 when p = 0 (PyTorch)."""

    def forward(self, x, p):
        self.p = p
        self.save_for_backward(x)
        return x ** p

    def backward(self, g):
        (x,) = self.saved_tensors
        p = self.p
        if p == 0:
            return g * 0.0, None
        if p == 2:
            return g * 2.0 * x, None
        return g * p * x ** (p - 1), None


class Pow(Function):
    """a ** b with both differentiable.

    ∂/∂a = b·a^(b−1);  ∂/∂b = a^b·log a, taken as 0 where a = 0 and b ≥ 0 (PyTorch's convention,
    which avoids 0·(−inf) = nan at the base 0).
    """

    def forward(self, a, b):
        out = np.power(a, b)
        self.save_for_backward(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved_tensors
        ops = self.ops
        ga = g * b * a ** (b - 1)
        a_arr = a.data if isinstance(a, Tensor) else np.asarray(a)
        b_arr = b.data if isinstance(b, Tensor) else np.asarray(b)
        zero = (a_arr == 0) & (b_arr >= 0)
        safe_a = ops.where(zero, 1.0, a)
        gb = ops.where(zero, 0.0, g * out * ops.log(safe_a))
        return ga, gb


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    other = _operand(other)
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return Add.apply(input, other)


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    other = _operand(other)
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return Sub.apply(input, other)


def _rsub(self, other):
    return Sub.apply(_operand(other), self)


def mul(input, other):
    """Elementwise product with broadcasting."""
    return Mul.apply(input, _operand(other))


def div(input, other):
    """Elementwise true division with broadcasting."""
    return Div.apply(input, _operand(other))


def _rdiv(self, other):
    return Div.apply(_operand(other), self)


def pow(input, exponent):
    """``input ** exponent``; a Python-number exponent takes the cheaper constant-power path."""
    exponent = _operand(exponent)
    if isinstance(exponent, numbers.Number):
        return PowScalar.apply(input, exponent)
    return Pow.apply(input, exponent)


def _rpow(self, other):
    return Pow.apply(_operand(other), self)


def neg(input):
    return Neg.apply(input)


def square(input):
    return PowScalar.apply(input, 2)


# ----------------------------------------------------------------------------- exp / log
class Exp(Function):
    """eˣ.  ∂/∂x = eˣ (the saved output)."""

    def forward(self, x):
        out = np.exp(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * out


class Log(Function):
    """ln x.  ∂/∂x = 1/x."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g / x


class Log1p(Function):
    """ln(1 + x), accurate for small x.  ∂/∂x = 1/(1 + x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.log1p(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g / (x + 1.0)


class Expm1(Function):
    """eˣ − 1, accurate for small x.  ∂/∂x = eˣ = out + 1."""

    def forward(self, x):
        out = np.expm1(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * (out + 1.0)


class Sqrt(Function):
    """√x.  ∂/∂x = 1/(2√x) (inf at 0, as PyTorch)."""

    def forward(self, x):
        out = np.sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g / (out * 2.0)


class Abs(Function):
    """|x|.  ∂/∂x = sign(x); at the kink x = 0 the gradient is 0 (PyTorch's convention)."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.abs(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * self.ops.sign(x)


class Sign(Function):
    """sign(x) ∈ {−1, 0, 1}.  Piecewise constant: the gradient is 0 everywhere (PyTorch)."""

    def forward(self, x):
        return np.sign(x)

    def backward(self, g):
        return g * 0.0


class Sin(Function):
    """sin x.  ∂/∂x = cos x."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.sin(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * self.ops.cos(x)


class Cos(Function):
    """cos x.  ∂/∂x = −sin x."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.cos(x)

    def backward(self, g):
        (x,) = self.saved_tensors
        return -(g * self.ops.sin(x))


class Tanh(Function):
    """tanh x.  ∂/∂x = 1 − tanh²x (the saved output)."""

    def forward(self, x):
        out = np.tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * (1.0 - out * out)


def _sigmoid_array(x):
    # Stable logistic: exp(-|x|) never overflows (the naive 1/(1+exp(-x)) overflows for x < -709).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


class Sigmoid(Function):
    """σ(x) = 1/(1 + e⁻ˣ).  ∂/∂x = σ(x)(1 − σ(x)). Fused for stability (no overflow)."""

    def forward(self, x):
        out = _sigmoid_array(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * out * (1.0 - out)


class Relu(Function):
    """max(x, 0).  ∂/∂x = 1 for x > 0, else 0 — so relu′(0) = 0 (PyTorch's convention)."""

    def forward(self, x):
        out = np.maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        mask = (out.data if isinstance(out, Tensor) else out) > 0
        return g * mask


def _erf_array(x):
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - scipy is a declared dependency
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x)


class Erf(Function):
    """erf x = (2/√π)∫₀ˣ e^{−t²} dt.  ∂/∂x = (2/√π)·e^{−x²}."""

    def forward(self, x):
        self.save_for_backward(x)
        return _erf_array(x).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * (2.0 / math.sqrt(math.pi)) * self.ops.exp(-(x * x))


class Softplus(Function):
    """softplus(x) = (1/β)·log(1 + e^{βx}), and x itself where βx > threshold (PyTorch).

    Computed as max(βx, 0) + log1p(e^{−|βx|}) so e^{βx} never overflows.
    ∂/∂x = σ(βx), or 1 above the threshold.
    """

    def forward(self, x, beta=1.0, threshold=20.0):
        self.beta, self.threshold = beta, threshold
        self.save_for_backward(x)
        bx = x * beta
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return np.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved_tensors
        bx = x * self.beta
        above = (bx.data if isinstance(bx, Tensor) else bx) > self.threshold
        return self.ops.where(above, g, g * self.ops.sigmoid(bx))


class Clamp(Function):
    """Clip x to [min, max].  ∂/∂x = 1 where min ≤ x ≤ max (bounds included), else 0 (PyTorch).
    If min > max every element becomes max (as PyTorch and NumPy)."""

    def forward(self, x, min=None, max=None):
        self.save_for_backward(x)
        self.lo, self.hi = min, max
        if min is None:
            return np.minimum(x, max)
        if max is None:
            return np.maximum(x, min)
        return np.minimum(np.maximum(x, min), max)

    def backward(self, g):
        (x,) = self.saved_tensors
        xa = x.data if isinstance(x, Tensor) else x
        mask = np.ones(xa.shape, dtype=bool)
        if self.lo is not None:
            mask &= xa >= self.lo
        if self.hi is not None:
            mask &= xa <= self.hi
        return g * mask


class Maximum(Function):
    """Elementwise max(a, b).  The gradient goes to the larger input; at ties it is split
    equally, g/2 to each (PyTorch's convention for ``maximum``)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.maximum(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        aa = a.data if isinstance(a, Tensor) else np.asarray(a)
        ba = b.data if isinstance(b, Tensor) else np.asarray(b)
        wa = (aa > ba) + 0.5 * (aa == ba)
        return g * wa, g * (1.0 - wa)


class Minimum(Function):
    """Elementwise min(a, b).  Gradient to the smaller input; ties split g/2 each (PyTorch)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.minimum(a, b)

    def backward(self, g):
        a, b = self.saved_tensors
        aa = a.data if isinstance(a, Tensor) else np.asarray(a)
        ba = b.data if isinstance(b, Tensor) else np.asarray(b)
        wa = (aa < ba) + 0.5 * (aa == ba)
        return g * wa, g * (1.0 - wa)


class Where(Function):
    """``cond ? a : b`` elementwise; the gradient flows to the chosen input only."""

    def forward(self, a, b, cond=None):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        w = self.ops.where
        return w(self.cond, g, 0.0), w(self.cond, 0.0, g)


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype by the engine."""

    def forward(self, x, dtype=None):
        return x.astype(dtype)

    def backward(self, g):
        return g


class Clone(Function):
    """A copy that stays in the graph (identity derivative)."""

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


def exp(input):
    """eˣ elementwise."""
    return Exp.apply(input)


def log(input):
    """Natural logarithm elementwise (−inf at 0, nan below, as NumPy and PyTorch)."""
    return Log.apply(input)


def log1p(input):
    return Log1p.apply(input)


def expm1(input):
    return Expm1.apply(input)


def sqrt(input):
    return Sqrt.apply(input)


def rsqrt(input):
    return PowScalar.apply(input, -0.5)


def reciprocal(input):
    return Div.apply(1.0, input)


def abs(input):
    return Abs.apply(input)


def sign(input):
    return Sign.apply(input)


def sin(input):
    return Sin.apply(input)


def cos(input):
    return Cos.apply(input)


def tanh(input):
    return Tanh.apply(input)


def sigmoid(input):
    """Logistic function, computed without overflow for any input."""
    return Sigmoid.apply(input)


def relu(input):
    """max(x, 0) with relu′(0) = 0."""
    return Relu.apply(input)


def erf(input):
    return Erf.apply(input)


def leaky_relu(input, negative_slope: float = 0.01):
    """x for x > 0, negative_slope·x otherwise; the derivative at 0 is negative_slope (PyTorch).

    Composite: ``where(x > 0, x, slope·x)``.
    """
    mask = (input.data if isinstance(input, Tensor) else np.asarray(input)) > 0
    return where(mask, input, mul(input, negative_slope))


def elu(input, alpha: float = 1.0):
    """x for x > 0, α(eˣ − 1) otherwise; the derivative at 0 is α (PyTorch's x ≤ 0 branch).

    Composite: ``where(x > 0, x, α·expm1(x))``; expm1 keeps accuracy near 0.
    """
    mask = input.data > 0
    return where(mask, input, mul(expm1(input), alpha))


def gelu(input, approximate: str = "none"):
    """Gaussian error linear unit, x·Φ(x).

    ``approximate="none"``: x·½(1 + erf(x/√2)) (PyTorch's default);
    ``approximate="tanh"``: x·½(1 + tanh(√(2/π)(x + 0.044715x³))). Composite of primitives.
    """
    if approximate == "none":
        return input * (erf(input * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5
    if approximate == "tanh":
        inner = (input + input ** 3 * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * (tanh(inner) + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """(1/β)·log(1 + e^{βx}), linear above ``threshold`` as in PyTorch; never overflows."""
    if beta <= 0:
        raise ValueError(f"softplus: beta must be > 0, got {beta}")
    return Softplus.apply(input, beta=beta, threshold=threshold)


def clamp(input, min=None, max=None):
    """Clip to [min, max]; the gradient is 1 inside, bounds included, and 0 outside."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return Clamp.apply(input, min=min, max=max)


def maximum(input, other):
    return Maximum.apply(input, _operand(other))


def minimum(input, other):
    return Minimum.apply(input, _operand(other))


def where(condition, input, other):
    """Choose ``input`` where ``condition`` is true and ``other`` elsewhere (broadcasting)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    return Where.apply(_operand(input), _operand(other), cond=cond)


def clone(input):
    return Clone.apply(input)


def cast(input, dtype):
    d = dtypes.resolve_dtype(dtype)
    if input.dtype == d:
        return input
    if input.requires_grad and d.kind != "f":
        return Tensor._wrap(input.data.astype(d))
    return Cast.apply(input, dtype=d)
