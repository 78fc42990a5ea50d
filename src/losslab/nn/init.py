"""Weight initialisers with PyTorch's formulas (``torch.nn.init``).

Each fills a tensor's data in place (no gradient is recorded, so it works on Parameters that
require grad) and returns the tensor. Random ones draw from ``ll.random.generator()`` (seed it
with ``ll.manual_seed``) or from ``generator=`` (a NumPy ``Generator``). The numbers differ from
PyTorch's for the same seed; the distributions are the same.

Formulas (fan_in = size(1)·receptive field, fan_out = size(0)·receptive field, where the
receptive field is the product of the dimensions after the first two):

- ``xavier_uniform_``: U(−a, a), a = gain·√(6 / (fan_in + fan_out))   (Glorot & Bengio, 2010)
- ``xavier_normal_``:  N(0, std²), std = gain·√(2 / (fan_in + fan_out))
- ``kaiming_uniform_``: U(−b, b), b = gain·√(3 / fan)   (He et al., 2015)
- ``kaiming_normal_``:  N(0, std²), std = gain / √fan
  with gain = ``calculate_gain(nonlinearity, a)`` and fan = fan_in or fan_out (``mode``).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import random as _random
from ..autograd.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def _check_tensor(tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: expected a Tensor (e.g. a Parameter), got {type(tensor).__name__}")


def _gen(generator):
    if generator is None:
        return _random.generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator: expected a numpy.random.Generator or None, got {type(generator).__name__}")
    return generator


def _fill(tensor: Tensor, values) -> Tensor:
    # Writes the array directly: the same as PyTorch's `with torch.no_grad(): tensor.uniform_()`.
    tensor.data[...] = values
    return tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for an activation (PyTorch's table).

    Formula: linear / conv / sigmoid: 1;  tanh: 5/3;  relu: √2;
    leaky_relu: √(2 / (1 + negative_slope²)) with negative_slope = ``param`` (default 0.01);
    selu: 3/4.

    Args:
        nonlinearity: name of the activation (``nn.functional`` name).
        param: negative slope for ``"leaky_relu"``.

    Example:
        >>> ll.nn.init.calculate_gain("leaky_relu", 0.2)  # doctest: +ELLIPSIS
        1.3867...

    Note: returns ``1`` (an int) for the linear functions and sigmoid, as PyTorch.
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
        f"{list(_LINEAR_FNS) + ['sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu']}"
    )


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) = (size(1)·rf, size(0)·rf), rf = product of dims 2.. (1 for a matrix)."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)})"
        )
    rf = 1
    for s in tensor.shape[2:]:
        rf *= s
    return tensor.shape[1] * rf, tensor.shape[0] * rf


def _calculate_correct_fan(tensor, mode: str) -> int:
    m = mode.lower() if isinstance(mode, str) else mode
    if m not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: {mode!r} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if m == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from U(a, b).

    Args: tensor; a, b: bounds (a ≤ b); generator: optional NumPy Generator.

    Example:
        >>> w = ll.nn.init.uniform_(ll.empty(2, 3), -0.1, 0.1)
    """
    _check_tensor(tensor, "uniform_")
    if a > b:
        raise ValueError(f"uniform_: expects a <= b, got a={a}, b={b}")
    return _fill(tensor, _gen(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from N(mean, std²).

    Example:
        >>> w = ll.nn.init.normal_(ll.empty(2, 3), std=0.02)
    """
    _check_tensor(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(tensor, _gen(generator).normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Example:
        >>> ll.nn.init.constant_(ll.empty(2), 0.5).tolist()
        [0.5, 0.5]
    """
    _check_tensor(tensor, "constant_")
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal, as ``torch.nn.init.eye_``)."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot/Xavier uniform: U(−a, a), a = gain·√(6 / (fan_in + fan_out)).

    Args: tensor (≥ 2-D); gain: scale (see :func:`calculate_gain`); generator.

    Example:
        >>> w = ll.nn.init.xavier_uniform_(ll.empty(3, 5), gain=ll.nn.init.calculate_gain("tanh"))
    """
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _fill(tensor, _gen(generator).uniform(-a, a, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot/Xavier normal: N(0, std²), std = gain·√(2 / (fan_in + fan_out)).

    Example:
        >>> w = ll.nn.init.xavier_normal_(ll.empty(3, 5))
    """
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _fill(tensor, _gen(generator).normal(0.0, std, tensor.shape))


def _kaiming_std(tensor, a, mode, nonlinearity, fn):
    _check_tensor(tensor, fn)
    if 0 in tensor.shape:
        warnings.warn(f"{fn}: initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He/Kaiming uniform: U(−b, b), b = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a).

    Args:
        tensor: ≥ 2-D tensor.
        a: negative slope of the rectifier after this layer (only for ``"leaky_relu"``).
        mode: ``"fan_in"`` (preserves the forward variance) or ``"fan_out"`` (backward).
        nonlinearity: ``"relu"`` or ``"leaky_relu"`` (default, as PyTorch) or any name
            :func:`calculate_gain` knows.
        generator: optional NumPy Generator.

    Example:
        >>> w = ll.nn.init.kaiming_uniform_(ll.empty(4, 3), nonlinearity="relu")

    Note: ``Linear``'s default init is ``kaiming_uniform_(w, a=√5)``, i.e. U(−1/√fan_in, 1/√fan_in).
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return _fill(tensor, _gen(generator).uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He/Kaiming normal: N(0, std²), std = gain / √fan.

    Example:
        >>> w = ll.nn.init.kaiming_normal_(ll.empty(4, 3), mode="fan_out", nonlinearity="relu")
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    if std is None:
        return tensor
    return _fill(tensor, _gen(generator).normal(0.0, std, tensor.shape))
