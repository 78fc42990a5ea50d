"""``losslab.nn.utils``: gradient clipping where PyTorch keeps it (``torch.nn.utils``).

The functions live in :mod:`losslab.optim.clip`; see there for the formulas.

Example:
    >>> import losslab as ll
    >>> from losslab.nn.utils import clip_grad_norm_
    >>> w = ll.tensor([3.0, 4.0], requires_grad=True); (w * w).sum().backward()
    >>> clip_grad_norm_([w], 1.0).item()
    10.0
"""
from losslab.optim.clip import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]
