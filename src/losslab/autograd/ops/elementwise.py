"""Elementwise primitives: arithmetic, exp/log family, trigonometry, activations, clamp.

Each op is forward and derivative side by side. Conventions at kinks are PyTorch's and are named
in each docstring. Broadcasting is undone once, by the engine (``engine.sum_to``), so binary ops
return full-shape gradients.

Result dtypes follow PyTorch's promotion (``dtypes.result_type``), not NumPy's: Python numbers,
NumPy scalars and 0-d operands don't upcast a float32 tensor (``x * 2.0``, ``x * np.float64(2)``
and ``x * np.array(2.0)`` stay float32); an integer tensor meeting a float number, true division
of integers and float functions of integers (``exp``, ``sqrt``, ``sigmoid``…) give the default
dtype (float32); a NumPy array with dimensions counts like a tensor of its dtype (float32 tensor
times a float64 ``np.ones(3)`` is float64). Gradients always come back in each leaf's own dtype.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes
from ..function import ArrayOps, Function
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


def _promoted(*xs, floating: bool = False):
    """Bring operands to one dtype by PyTorch's promotion rules (``dtypes.result_type``), so that
    NumPy's own rules (int64 + float32 -> float64, 0-d float64 upcasting float32) never decide.
    ``floating`` forces a floating result (true division): integers become the default dtype.
    Python numbers are left alone: NumPy treats them as weak and they adopt the array's dtype."""
    a0 = xs[0]
    # fast path (the hot one in training): a float Tensor with Python numbers or Tensors of its
    # own dtype. A plain loop: cheaper than a generator for two or three operands.
    if type(a0) is Tensor:
        d0 = a0.data.dtype
        if d0.kind == "f":
            for x in xs[1:]:
                t = type(x)
                if t is float or t is int or (t is Tensor and x.data.dtype == d0):
                    continue
                break
            else:
                return xs
    dt = dtypes.result_type(*(x.data if isinstance(x, Tensor) else x for x in xs))
    if floating and dt.kind != "f":
        dt = dtypes.get_default_dtype()
    return tuple(_to_dtype(x, dt) for x in xs)


def _to_dtype(x, dt):
    if isinstance(x, Tensor):
        return x if x.data.dtype == dt else cast(x, dt)
    if isinstance(x, np.ndarray):
        return x if x.dtype == dt else x.astype(dt)
    return x


def _floating(x):
    """Integer and bool tensors become the default float dtype for float-valued functions
    (``exp``, ``sqrt``, ``sigmoid``…), as in PyTorch (``ll.tensor([1, 2]).exp()`` is float32)."""
    if isinstance(x, Tensor) and x.data.dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtypes.get_default_dtype()))
    return x


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    """a + b.  ∂/∂a = 1, ∂/∂b = 1."""

    capturable = True  # a pure function of its inputs and options (autograd/capture.py)

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """a − b.  ∂/∂a = 1, ∂/∂b = −1."""

    capturable = True  # a pure function of its inputs and options (autograd/capture.py)

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_input_grad(1) else None)


class Mul(Function):
    """a · b.  ∂/∂a = b, ∂/∂b = a."""

    capturable = True  # a pure function of its inputs and options (autograd/capture.py)

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, g):
        a, b = self.saved_tensors
        return (g * b if self.needs_input_grad(0) else None,
                g * a if self.needs_input_grad(1) else None)


class Div(Function):
    """a / b.  ∂/∂a = 1/b, ∂/∂b = −a/b²."""

    capturable = True  # a pure function of its inputs and options (autograd/capture.py)

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, g):
        a, b = self.saved_tensors
        ga = g / b
        return ga, (-ga * a / b if self.needs_input_grad(1) else None)


class Neg(Function):
    """−x."""

    capturable = True  # a pure function of its inputs and options (autograd/capture.py)

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class PowScalar(Function):
    """x ** p for a constant exponent p.  ∂/∂x = p·x^(p−1); exactly 0 when p = 0 (PyTorch)."""

    capturable = True  # a pure function of its inputs and options (autograd/capture.py)

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

    ∂/∂a = b·a^(b−1), taken as 0 where b = 0 (so 0^0 has ∂/∂a = 0, not 0·inf = nan);
    ∂/∂b = a^b·log a, taken as 0 where a = 0 and b ≥ 0. Both are PyTorch's conventions
    (``pow_backward_self`` / ``pow_backward_exponent``).
    """

    def forward(self, a, b):
        out = np.power(a, b)
        self.save_for_backward(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved_tensors
        ops = self.ops
        a_arr = a.data if isinstance(a, Tensor) else np.asarray(a)
        b_arr = b.data if isinstance(b, Tensor) else np.asarray(b)
        ga = ops.where(b_arr == 0, 0.0, g * b * a ** (b - 1)) if self.needs_input_grad(0) else None
        if not self.needs_input_grad(1):
            # a constant exponent (x ** 2 with a tensor 2): no log(base), which would warn
            # (and give nan) for negative bases that the result never needs
            return ga, None
        zero = (a_arr == 0) & (b_arr >= 0)
        safe_a = ops.where(zero, 1.0, a)
        gb = ops.where(zero, 0.0, g * out * ops.log(safe_a))
        return ga, gb


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting."""
    other = _operand(other)
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return Add.apply(*_promoted(input, other))


def sub(input, other, *, alpha=1):
    """``input - alpha * other`` with broadcasting."""
    other = _operand(other)
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return Sub.apply(*_promoted(input, other))


def _rsub(self, other):
    return Sub.apply(*_promoted(_operand(other), self))


def mul(input, other):
    """Elementwise product with broadcasting."""
    return Mul.apply(*_promoted(input, _operand(other)))


def div(input, other):
    """Elementwise true division with broadcasting."""
    return Div.apply(*_promoted(input, _operand(other), floating=True))


def _rdiv(self, other):
    return Div.apply(*_promoted(_operand(other), self, floating=True))


def pow(input, exponent):
    """``input ** exponent``; a Python-number exponent takes the cheaper constant-power path.

    Note (PyTorch's conventions): ∂/∂input is 0 where the exponent is 0 (also at 0⁰); with a
    Tensor exponent, ∂/∂exponent = xᵉ·log x is 0 where x = 0 and the exponent ≥ 0. At x = 0,
    x^p has derivative +inf for 0 < p < 1 and ±inf for p < 0 (not clipped), as in PyTorch.
    """
    exponent = _operand(exponent)
    input, exponent = _promoted(input, exponent)
    if isinstance(exponent, numbers.Number):
        return PowScalar.apply(input, exponent)
    return Pow.apply(input, exponent)


def _rpow(self, other):
    return Pow.apply(*_promoted(_operand(other), self))


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

    capturable = True  # a pure function of its input (autograd/capture.py)

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

    capturable = True  # a pure function of its input (autograd/capture.py)

    def forward(self, x):
        out = np.tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g * (1.0 - out * out)


_expit = None  # scipy.special.expit, imported on first use: scipy.special costs ~0.2 s of import time


def _sigmoid_array(x):
    # SciPy's expit is a stable ufunc (no overflow for x < -709, unlike the naive 1/(1+exp(-x)))
    # and keeps float32 as float32; one ufunc call instead of five temporaries.
    global _expit
    if _expit is None:
        from scipy.special import expit
        _expit = expit
    return _expit(x)


class Sigmoid(Function):
    """σ(x) = 1/(1 + e⁻ˣ).  ∂/∂x = σ(x)(1 − σ(x)). Fused for stability (no overflow)."""

    capturable = True  # a pure function of its input (autograd/capture.py)

    def forward(self, x):
        out = _sigmoid_array(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        # self.saved directly in a first-order pass (saved_tensors is a property call)
        (out,) = self.saved if self.ops is ArrayOps else self.saved_tensors
        return g * out * (1.0 - out)


class Relu(Function):
    """max(x, 0).  ∂/∂x = 1 for x > 0, else 0 — so relu′(0) = 0 (PyTorch's convention)."""

    capturable = True  # a pure function of its input (autograd/capture.py)

    def forward(self, x):
        out = np.maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        if self.ops is ArrayOps:
            return g * (self.saved[0] > 0)
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

    capturable = True  # a pure function of its input (autograd/capture.py)

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

    capturable = True  # a pure function of its input and static beta, threshold (autograd/capture.py)

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


#: ``Where``'s ``cond`` option that asks for ``a > 0``, computed inside the op from its first input
#: (leaky_relu, elu): a mask made from the data by the wrapper would be an array from outside the
#: op, which a replay (autograd/capture.py) cannot recompute
WHERE_A_POSITIVE = "a > 0"


class Where(Function):
    """``cond ? a : b`` elementwise; the gradient flows to the chosen input only.

    ``cond``: a bool array, or :data:`WHERE_A_POSITIVE` for ``a > 0``."""

    #: replayable: a ``cond`` array must itself be an input, buffer or op output of the step (the
    #: plan refuses any other array), or be computed here from ``a``
    capturable = True

    def forward(self, a, b, cond=None):
        if type(cond) is str:
            if cond != WHERE_A_POSITIVE:
                raise ValueError(f"Where: cond must be a bool array or {WHERE_A_POSITIVE!r}, got {cond!r}")
            cond = a > 0
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        w = self.ops.where
        return w(self.cond, g, 0.0), w(self.cond, 0.0, g)


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype by the engine."""

    capturable = True  # a pure function of its inputs and options (autograd/capture.py)

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
    return Exp.apply(_floating(input))


def log(input):
    """Natural logarithm elementwise (−inf at 0, nan below, as NumPy and PyTorch)."""
    return Log.apply(_floating(input))


def log1p(input):
    return Log1p.apply(_floating(input))


def expm1(input):
    return Expm1.apply(_floating(input))


def sqrt(input):
    """√x elementwise.

    Note: the derivative 1/(2√x) is +inf at x = 0 (not clipped), as in PyTorch; nan below 0.

    Example:
        >>> ll.sqrt(ll.tensor([4.0])).item()
        2.0
    """
    return Sqrt.apply(_floating(input))


def rsqrt(input):
    """1/√x elementwise (x^(−1/2)); the derivative −½x^(−3/2) is −inf at 0, as in PyTorch."""
    return PowScalar.apply(_floating(input), -0.5)


def reciprocal(input):
    return Div.apply(*_promoted(1.0, input, floating=True))


def abs(input):
    """|x| elementwise.

    ∂/∂x = sign(x). Note: at the kink x = 0 the gradient is 0 (PyTorch's convention; any value
    in [−1, 1] is a subgradient).

    Example:
        >>> x = ll.tensor([-2.0, 0.0, 3.0], requires_grad=True)
        >>> x.abs().sum().backward(); x.grad
        tensor([-1.,  0.,  1.])
    """
    return Abs.apply(input)


def sign(input):
    """sign(x) ∈ {−1, 0, 1}. Piecewise constant: its gradient is 0 everywhere, also at 0 (PyTorch)."""
    return Sign.apply(input)


def sin(input):
    return Sin.apply(_floating(input))


def cos(input):
    return Cos.apply(_floating(input))


def tanh(input):
    return Tanh.apply(_floating(input))


def sigmoid(input):
    """Logistic function, computed without overflow for any input."""
    return Sigmoid.apply(_floating(input))


def relu(input):
    """max(x, 0) with relu′(0) = 0."""
    return Relu.apply(input)


def erf(input):
    return Erf.apply(_floating(input))


def leaky_relu(input, negative_slope: float = 0.01):
    """x for x > 0, negative_slope·x otherwise; the derivative at 0 is negative_slope (PyTorch).

    Composite: ``where(x > 0, x, slope·x)``.
    """
    # the mask x > 0 is computed inside the op, from the (promoted) input
    return Where.apply(*_promoted(_operand(input), mul(input, negative_slope)), cond=WHERE_A_POSITIVE)


def elu(input, alpha: float = 1.0):
    """x for x > 0, α(eˣ − 1) otherwise; the derivative at 0 is α (PyTorch's x ≤ 0 branch).

    Composite: ``where(x > 0, x, α·expm1(x))``; expm1 keeps accuracy near 0.
    """
    return Where.apply(*_promoted(_operand(input), mul(expm1(input), alpha)), cond=WHERE_A_POSITIVE)


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
    """(1/β)·log(1 + e^{βx}), and x where βx > ``threshold`` (strictly), as in PyTorch.

    ∂/∂x = σ(βx), or exactly 1 above the threshold; at βx = threshold the soft branch is used.
    Computed without overflow for any x.
    """
    if beta <= 0:
        raise ValueError(f"softplus: beta must be > 0, got {beta}")
    return Softplus.apply(_floating(input), beta=beta, threshold=threshold)


def clamp(input, min=None, max=None):
    """Clip to [min, max] (either may be None; Python numbers or Tensors).

    Note (PyTorch's conventions): the gradient to ``input`` is 1 for min ≤ x ≤ max — the bounds
    themselves pass the gradient — and 0 outside. If min > max every element becomes max. With
    Tensor bounds, ``min`` gets the gradient where x < min (and min < max), ``max`` where x > max
    (or max < min).

    Example:
        >>> x = ll.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
        >>> x.clamp(0.0, 1.0).sum().backward(); x.grad
        tensor([0., 1., 1., 1., 0.])
    """
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    bounds = [b for b in (min, max) if b is not None]
    if any(isinstance(b, (Tensor, np.ndarray)) for b in bounds):
        return _clamp_tensor(input, min, max)
    # NumPy scalars become Python numbers so that they don't upcast (np.float64 is not "weak")
    min, max = (b.item() if isinstance(b, np.generic) else b for b in (min, max))
    if type(input) is Tensor and input.data.dtype.kind != "f":
        input = _promoted(input, *(b for b in (min, max) if b is not None))[0]  # int, float bound -> float32
    return Clamp.apply(input, min=min, max=max)


def _clamp_tensor(input, lo, hi):
    """clamp with Tensor bounds, with PyTorch's gradient rule (``clamp_backward_min_max``):
    input gets g where lo ≤ x ≤ hi (bounds included); lo gets g where x < lo (and lo < hi);
    hi gets g where x > hi (or hi < lo). Composed of ``where`` with masks fixed from the data."""
    ops = [input] + [_operand(b) for b in (lo, hi) if b is not None]
    ops = list(_promoted(*ops))
    x = ops.pop(0)
    # a bound that is a number or array becomes an array of x's dtype, so that the nested
    # wheres below never meet two bare numbers (NumPy would make those float64)
    fix = lambda b: b if isinstance(b, Tensor) else np.asarray(b, dtype=x.dtype)  # noqa: E731
    lo = fix(ops.pop(0)) if lo is not None else None
    hi = fix(ops.pop(0)) if hi is not None else None
    arr = lambda t: t.data if isinstance(t, Tensor) else np.asarray(t)  # noqa: E731
    xa = arr(x)
    if lo is not None and hi is not None:
        la, ha = arr(lo), arr(hi)
        x_mask = ((xa >= la) & (xa <= ha)) | np.isnan(xa)  # nan stays nan, as PyTorch
        hi_mask = (xa > ha) | (ha < la)
        lo_mask = (xa < la) & (la < ha) & ~hi_mask
        # Where lo == hi and x < lo, PyTorch sends the gradient nowhere; the value is hi.
        rest = hi.detach() if isinstance(hi, Tensor) else hi
        return where(x_mask, x, where(lo_mask, lo, where(hi_mask, hi, rest)))
    if lo is not None:
        return where((xa >= arr(lo)) | np.isnan(xa), x, lo)
    return where((xa <= arr(hi)) | np.isnan(xa), x, hi)


def maximum(input, other):
    """Elementwise max(a, b) with broadcasting.

    Note: at ties (a = b) the gradient is split, g/2 to each input (PyTorch's convention).
    """
    return Maximum.apply(*_promoted(input, _operand(other)))


def minimum(input, other):
    """Elementwise min(a, b) with broadcasting; ties split the gradient g/2 each (PyTorch)."""
    return Minimum.apply(*_promoted(input, _operand(other)))


def where(condition, input, other):
    """Choose ``input`` where ``condition`` is true and ``other`` elsewhere (broadcasting)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    return Where.apply(*_promoted(_operand(input), _operand(other)), cond=cond)


def clone(input):
    return Clone.apply(input)


def cast(input, dtype):
    d = dtypes.resolve_dtype(dtype)
    if input.dtype == d:
        return input
    if input.requires_grad and d.kind != "f":
        return Tensor._wrap(input.data.astype(d))
    return Cast.apply(input, dtype=d)
