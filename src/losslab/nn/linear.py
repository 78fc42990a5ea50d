"""``Linear`` (y = x Wᵀ + b), ``Identity`` and ``Flatten``."""
from __future__ import annotations

import math
import numbers

from ..autograd import dtypes
from ..autograd.creation import empty
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Linear", "Identity", "Flatten"]


def _check_features(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
    return int(value)


class Linear(Module):
    """Affine map y = x Wᵀ + b (PyTorch's ``nn.Linear``).

    Formula: yᵢ = Σⱼ xⱼ W[i, j] + b[i].

    Default initialisation (PyTorch's): W ~ ``kaiming_uniform_(a=√5)`` = U(−1/√in, 1/√in) and
    b ~ U(−1/√in, 1/√in), drawn from ``ll.random.generator()``.

    Args:
        in_features: size of each input sample (last dimension).
        out_features: size of each output sample.
        bias: learn an additive bias (default True); if False, ``self.bias`` is None.
        device: only ``None``/``"cpu"``.
        dtype: parameter dtype (default ``ll.get_default_dtype()``, float32).

    Shape:
        input (*, in_features) -> output (*, out_features). ``weight``: (out_features,
        in_features); ``bias``: (out_features,).

    Example:
        >>> _ = ll.manual_seed(0)
        >>> fc = ll.nn.Linear(3, 2)
        >>> fc(ll.ones(5, 3)).shape
        (5, 2)

    Note: same distributions as PyTorch, different random numbers for the same seed.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        if device is not None and str(device) != "cpu":
            raise ValueError(f"Linear: losslab runs on the CPU only, got device={device!r}")
        self.in_features = _check_features("in_features", in_features)
        self.out_features = _check_features("out_features", out_features)
        dt = dtypes.resolve_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        if dt.kind != "f":
            raise TypeError(f"Linear: dtype must be floating point, got {dt}")
        self.weight = Parameter(empty(self.out_features, self.in_features, dtype=dt))
        if bias:
            self.bias = Parameter(empty(self.out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias with the default initialisation."""
        # kaiming_uniform_ with a=√5: gain = √(2/(1+5)) = √(1/3), bound = √3·gain/√fan_in = 1/√fan_in
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if type(self) is Linear:
            # read the parameters from their table: self.weight goes through Module.__getattr__,
            # a Python call per attribute (a subclass may redefine them, so only for Linear itself)
            params = self._parameters
            w = params.get("weight")
            if w is not None and "bias" in params:
                return F.linear(input, w, params["bias"])
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); any constructor arguments are ignored.

    Example:
        >>> x = ll.ones(2)
        >>> ll.nn.Identity()(x) is x
        True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one (default: all but the batch dimension).

    Args:
        start_dim: first dimension to flatten (default 1).
        end_dim: last dimension to flatten (default -1).

    Shape: (N, d1, d2, …) -> (N, d1·d2·…) with the defaults.

    Example:
        >>> ll.nn.Flatten()(ll.ones(2, 3, 4)).shape
        (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
