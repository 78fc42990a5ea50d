r"""Muon, MomentUm Orthogonalized by Newton–Schulz (Keller Jordan et al. 2024): SGD-momentum for
2-D weight matrices whose update is replaced by (an approximation of) its nearest semi-orthogonal
matrix U·Vᵀ, computed with a quintic Newton–Schulz iteration. ``torch.optim.Muon``'s algorithm
(PyTorch 2.13), step for step, except that the iteration runs in the parameter's dtype (PyTorch
runs it in bfloat16).

Muon is for the hidden layers' matrices only: biases, gains, embeddings and output layers go to
another optimizer (AdamW), as in the reference implementation.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Muon", "muon_update", "zeropower_via_newtonschulz", "MUON_INFO"]

#: Keller Jordan's quintic coefficients (a, b, c), chosen to maximise the slope at 0
#: (https://kellerjordan.github.io/posts/muon/), PyTorch's defaults.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def zeropower_via_newtonschulz(G: np.ndarray, ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
                               ns_steps: int = 5, eps: float = 1e-7) -> np.ndarray:
    r"""Approximate orthogonalisation ("zeroth power") of a matrix by a quintic Newton–Schulz
    iteration; returns a new array of ``G``'s shape and dtype.

    Formula (X ← Gᵀ first when G has more rows than columns, and back at the end)::

        X ← G / max(‖G‖_F, ε)                        (spectral norm ≤ 1)
        repeat ns_steps times:
            A = X·Xᵀ
            X ← a·X + (b·A + c·A·A)·X                 (X ↦ aX + bX Xᵀ X + c (X Xᵀ)² X)

    Each step maps every singular value σ of X to p(σ) = aσ + bσ³ + cσ⁵ and keeps the singular
    vectors, so X tends to U·S'·Vᵀ with S' ≈ I (with the default coefficients the singular
    values end up in roughly [0.7, 1.2], not exactly 1: a faster, rougher iteration).

    Args:
        G: a 2-D array (m × n).
        ns_coefficients: (a, b, c) of the quintic.
        ns_steps: number of iterations (0 ≤ ns_steps < 100).
        eps: floor of the Frobenius norm used to scale G.

    Shape:
        ``G``: (m, n) → (m, n).

    Example:
        >>> import numpy as np
        >>> from losslab.optim.muon import zeropower_via_newtonschulz
        >>> G = np.array([[3.0, 0.0], [0.0, 0.5]])
        >>> np.linalg.svd(G, compute_uv=False).tolist()              # condition number 6
        [3.0, 0.5]
        >>> np.linalg.svd(zeropower_via_newtonschulz(G), compute_uv=False).round(2).tolist()
        [1.04, 0.71]

    Note:
        PyTorch casts to bfloat16 for the iteration; here it runs in G's dtype (float64 gives
        the exact polynomial), so results agree with PyTorch to bfloat16 precision (~1e-2).
    """
    if G.ndim != 2:
        raise ValueError(f"zeropower_via_newtonschulz: G must be a 2-D matrix, got shape {G.shape}")
    if not (isinstance(ns_steps, numbers.Integral) and 0 <= ns_steps < 100):
        raise ValueError(f"zeropower_via_newtonschulz: ns_steps must be an integer in [0, 100), "
                         f"got {ns_steps!r}")
    a, b, c = ns_coefficients
    X = G.T if G.shape[0] > G.shape[1] else G
    X = X / max(np.sqrt(np.sum(np.square(X))), eps)
    for _ in range(ns_steps):
        gram = X @ X.T
        poly = b * gram + c * (gram @ gram)
        X = a * X + poly @ X
    if G.shape[0] > G.shape[1]:
        X = X.T
    return np.ascontiguousarray(X, dtype=G.dtype)


def _adjusted_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    """The learning rate actually applied to an (A × B) matrix: η·√max(1, A/B) ("original",
    Keller Jordan) or η·0.2·√max(A, B) ("match_rms_adamw", Moonshot: the update's RMS matches
    AdamW's, so AdamW's lr and weight decay can be reused)."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


def muon_update(param: np.ndarray, grad: np.ndarray, momentum_buffer: np.ndarray | None = None, *,
                lr: float, weight_decay: float = 0.1, momentum: float = 0.95, nesterov: bool = True,
                ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS, eps: float = 1e-7,
                ns_steps: int = 5, adjust_lr_fn: str | None = None) -> np.ndarray:
    r"""One Muon update of one 2-D parameter array, in place; returns the momentum buffer (the
    given array updated in place, or a new one started at zeros when None).

    Formula (PyTorch's ``Muon``; γ = lr, μ = momentum, λ = weight_decay)::

        B ← μ·B + (1 − μ)·G                          (B₀ = 0; an EMA, PyTorch's lerp)
        B̃ = μ·B + (1 − μ)·G   if nesterov else   B
        O = NS(B̃)                                    (zeropower_via_newtonschulz)
        θ ← θ·(1 − γλ)                               (decoupled weight decay)
        θ ← θ − γ'·O,   γ' = γ·√max(1, A/B)  ("original")  or  0.2·γ·√max(A, B)  ("match_rms_adamw")

    Args:
        param: the (A × B) parameter array θ, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        momentum_buffer: B (None: start at zeros).
        lr, weight_decay, momentum, nesterov, ns_coefficients, eps, ns_steps, adjust_lr_fn: as
            :class:`Muon`.

    Shape:
        ``param``, ``grad`` and ``momentum_buffer``: (A, B).

    Example:
        >>> import numpy as np
        >>> from losslab.optim import muon_update
        >>> p = np.zeros((2, 2)); g = np.array([[2.0, 0.0], [0.0, 2.0]])
        >>> B = muon_update(p, g, lr=0.1, weight_decay=0.0, ns_steps=10)
        >>> np.round(B, 12).tolist(), bool(np.allclose(-p / 0.1, np.eye(2), atol=0.35))  # O ≈ I
        ([[0.1, 0.0], [0.0, 0.1]], True)

    Note:
        The Newton–Schulz iteration runs in the parameter's dtype (PyTorch: bfloat16); with an
        iteration in float64 PyTorch's update is reproduced to ~1e-12.
    """
    fn = "muon_update"
    if param.ndim != 2:
        raise ValueError(f"{fn}: Muon only updates 2-D parameters, got a parameter of shape "
                         f"{param.shape}; use AdamW for the others")
    g = A.as_param_dtype(param, grad, False, fn)
    buf = A.state_array(momentum_buffer, param, "momentum_buffer", fn)
    A.lerp_(buf, g, 1 - momentum)
    if nesterov:
        update = g.copy()
        A.lerp_(update, buf, momentum)
    else:
        update = buf
    ortho = zeropower_via_newtonschulz(update, ns_coefficients, ns_steps, eps)
    adjusted = _adjusted_lr(lr, adjust_lr_fn, param.shape)
    param *= 1 - lr * weight_decay
    param += -adjusted * ortho
    return buf


_ADJUST = (None, "original", "match_rms_adamw")


def _check_options(o: dict, where: str) -> None:
    """Validate Muon hyperparameters (``torch.optim.Muon.__init__``'s conditions, plus
    momentum < 1 and the Newton–Schulz settings, which PyTorch checks at the first step)."""
    A.check_lr(o, where)
    A.check_range(o, "weight_decay", where)
    A.check_range(o, "momentum", where, hi=1.0, hi_open=True)
    A.check_flags(o, where, ("nesterov",))
    coeffs = o["ns_coefficients"]
    if not (isinstance(coeffs, (tuple, list)) and len(coeffs) == 3 and all(A.is_real(x) for x in coeffs)):
        raise ValueError(f"{where}: ns_coefficients must be a tuple of exactly 3 numbers (a, b, c), "
                         f"got {coeffs!r}")
    A.check_range(o, "eps", where)
    steps = o["ns_steps"]
    if not (isinstance(steps, numbers.Integral) and not isinstance(steps, bool) and 0 <= steps < 100):
        raise ValueError(f"{where}: ns_steps must be an integer with 0 <= ns_steps < 100, got {steps!r}")
    if o["adjust_lr_fn"] not in _ADJUST:
        raise ValueError(f"{where}: Adjust learning rate function {o['adjust_lr_fn']!r} is not "
                         "supported; use None, 'original' or 'match_rms_adamw'")


class Muon(Optimizer):
    r"""Muon, as ``torch.optim.Muon``: momentum SGD for 2-D weight matrices with the update
    orthogonalised by a Newton–Schulz iteration.

    Formula (γ = lr, λ = weight_decay, μ = momentum; per (A × B) parameter θ)::

        B_t = μ·B_{t-1} + (1 − μ)·g_t                       (B₀ = 0)
        B̃_t = μ·B_t + (1 − μ)·g_t   (nesterov)   or   B_t
        O_t = NS_k^{(a,b,c)}(B̃_t; ε)                         (≈ U·Vᵀ of B̃_t's SVD)
        θ_t = θ_{t-1}·(1 − γλ) − AdjustLR(γ; A, B)·O_t

    The kernel is :func:`muon_update` (with :func:`zeropower_via_newtonschulz`); the state is
    ``momentum_buffer``.

    Args:
        params: 2-D Tensors (an iterable of Tensors, ``(name, Tensor)`` pairs or param-group
            dicts). Every parameter must be a matrix; give the others to AdamW.
        lr: γ (default 1e-3); a float or a 1-element Tensor.
        weight_decay: decoupled weight decay λ ≥ 0 (default 0.1).
        momentum: μ in [0, 1) (default 0.95).
        nesterov: Nesterov-style update (default True).
        ns_coefficients: (a, b, c) of the quintic (default (3.4445, −4.7750, 2.0315)).
        eps: floor of the norm used to scale the update (default 1e-7).
        ns_steps: Newton–Schulz iterations, 0 ≤ k < 100 (default 5).
        adjust_lr_fn: None or "original" (γ·√max(1, A/B)) or "match_rms_adamw"
            (0.2·γ·√max(A, B)).

    Shape:
        Parameters: (A, B) matrices; ``momentum_buffer`` has the parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Muon, AdamW
        >>> W = ll.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
        >>> b = ll.zeros(2, requires_grad=True)
        >>> muon, adamw = Muon([W], lr=0.02), AdamW([b], lr=1e-3)   # 1-D b goes to AdamW
        >>> for _ in range(300):
        ...     muon.zero_grad(); adamw.zero_grad()
        ...     ((W * W).sum() + (b * b).sum()).backward()
        ...     muon.step(); adamw.step()
        >>> bool(abs(W.data).max() < 0.05)
        True

    Note:
        * The Newton–Schulz iteration runs in the parameter's dtype; PyTorch runs it in bfloat16,
          so float64 trajectories agree with PyTorch's only to bfloat16 precision (and exactly,
          ~1e-12, when PyTorch's iteration is run in float64).
        * A parameter that is not 2-D is refused when the optimizer (or a param group) is
          created, as in PyTorch; ``momentum`` must be < 1 and the Newton–Schulz options are
          checked in ``__init__`` (PyTorch checks them at the first step).
        * No ``maximize`` (PyTorch's Muon has none).

    References:
        Keller Jordan et al. (2024), Muon: An optimizer for hidden layers in neural networks,
        https://kellerjordan.github.io/posts/muon/; Liu et al. (2025), Muon is Scalable for LLM
        Training, arXiv:2502.16982; https://docs.pytorch.org/docs/stable/generated/torch.optim.Muon.html
    """

    _param_shaped_state = ("momentum_buffer",)

    def __init__(self, params, lr: float | Tensor = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS, eps: float = 1e-7,
                 ns_steps: int = 5, adjust_lr_fn: str | None = None) -> None:
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        _check_options(defaults, "Muon")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        where = f"Muon param group {index}" if index else "Muon"
        _check_options(group, where)
        names = group.get("param_names")
        for i, p in enumerate(group["params"]):
            if p.ndim != 2:
                label = f"{names[i]!r}" if names else f"params[{i}]"
                raise ValueError(
                    f"{where}: Muon only supports 2-D parameters, but {label} has shape "
                    f"{tuple(p.shape)}; give biases, gains, embeddings and other non-2-D "
                    "parameters to AdamW (e.g. AdamW([p for p in params if p.ndim != 2]))")

    def step(self, closure=None):
        """Perform one Muon step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = A.num(group["lr"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = np.zeros_like(param)
                    muon_update(param, grad, state["momentum_buffer"], lr=lr,
                                weight_decay=group["weight_decay"], momentum=group["momentum"],
                                nesterov=group["nesterov"], ns_coefficients=group["ns_coefficients"],
                                eps=group["eps"], ns_steps=group["ns_steps"],
                                adjust_lr_fn=group["adjust_lr_fn"])
        return loss


#: Muon's registry entry. ``param_ndim=2`` keeps it out of the generic tests on 1-D biases and
#: 1-D points, which Muon refuses (tests/optim/test_optim_muon.py has its trajectory tests).
MUON_INFO = register_optimizer(OptimizerInfo(
    name="muon",
    cls=Muon,
    torch_name="Muon",
    summary="Muon: momentum SGD for 2-D weight matrices with the update orthogonalised by a "
            "Newton–Schulz iteration (hidden layers only; use AdamW for the rest).",
    update_rule="B ← μB + (1−μ)g;  O = NS(μB + (1−μ)g or B);  θ ← θ(1 − ηλ) − η·√max(1, A/B)·O",
    kernel=muon_update,
    state_keys=("momentum_buffer",),
    # small learning rates: Muon's steps have a fixed size, and with lr ≳ 0.02 the small MLP's
    # iterates oscillate near the minimum, where rounding differences grow step by step
    oracle_configs=(
        dict(lr=0.01),
        dict(lr=0.02, nesterov=False, weight_decay=0.0),
        dict(lr=0.01, momentum=0.8, adjust_lr_fn="match_rms_adamw", weight_decay=0.05),
        dict(lr=0.005, momentum=0.0, ns_steps=3, eps=1e-5, adjust_lr_fn="original"),
        dict(lr=0.02, ns_coefficients=(2.0, -1.5, 0.5), ns_steps=8),
    ),
    descent_config={"lr": 0.01, "weight_decay": 0.0},
    descent_steps=2000,
    references=(
        "Keller Jordan et al. 2024, Muon: An optimizer for hidden layers in neural networks, "
        "https://kellerjordan.github.io/posts/muon/",
        "Liu et al. 2025, Muon is Scalable for LLM Training, arXiv:2502.16982",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.Muon.html",
    ),
    param_ndim=2,
))
