"""Regression losses: a real-valued prediction against a real-valued target."""
from __future__ import annotations

from ..autograd.tensor import Tensor
from ._reduction import as_input, as_tensor_like, as_weight, check_same_shape, doc, reduce

__all__ = ["mse_loss"]


@doc()
def mse_loss(input, target, *, reduction: str = "mean", weight=None) -> Tensor:
    r"""Mean squared error: the average of the squared differences (L2 loss).

    Formula (unreduced, element i)::

        ℓᵢ = wᵢ · (xᵢ − yᵢ)²            ∂ℓᵢ/∂xᵢ = 2 wᵢ (xᵢ − yᵢ)

    {reductions_formula}
    With ``weight``, ``'mean'`` is the weighted mean Σ wᵢ(xᵢ − yᵢ)² / Σ wᵢ.

    Args:
        input: prediction x (floating Tensor; arrays and lists are accepted and wrapped).
        target: target y, same shape as ``input`` (Tensor, array or list; converted to
            ``input``'s dtype). Gradients flow to a target that requires grad.
        {reduction_weighted_mean}
        weight: optional per-element weights w ≥ 0, broadcastable to ``input``'s shape.

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import mse_loss
        >>> x = ll.tensor([1.0, 2.0, 4.0], requires_grad=True)
        >>> loss = mse_loss(x, ll.tensor([1.0, 1.0, 1.0]))
        >>> loss
        tensor(3.3333, grad_fn=<MeanBackward>)
        >>> loss.backward(); x.grad
        tensor([0.0000, 0.6667, 2.0000])

    Note:
        * PyTorch warns and broadcasts when ``input`` and ``target`` differ in shape; losslab
          raises a ValueError naming both shapes (an (N,) prediction against an (N, 1) target
          would otherwise become an (N, N) loss).
        * PyTorch's ``weight`` must have exactly ``input``'s shape; losslab also accepts a weight
          that broadcasts to it, and the weighted mean then divides by the sum of the broadcast
          weights. Convex, C∞, minimal (0) at x = y; not robust to outliers (quadratic growth).

    References:
        Gauss, *Theoria motus corporum coelestium* (1809), least squares; PyTorch ``MSELoss``.
    """
    fn = "mse_loss"
    input = as_input(input, fn)
    target = as_tensor_like(target, input, fn)
    check_same_shape(input, target, fn)
    diff = input - target
    return reduce(diff * diff, reduction, as_weight(weight, input, fn), fn=fn)
