"""The pure per-array update kernels of every optimizer, in one namespace (as
``torch.optim._functional``).

Each kernel updates one parameter ndarray in place from its gradient and its state arrays and
returns the new state; it knows nothing about Tensors, param groups or autograd, so it can be
tested alone against hand-computed values and reused by the explainer and the visualisations.
Each kernel lives in its algorithm's file next to the class that uses it; new optimizers add their
kernel to this list.

Notation (seed 003): θ parameters, η learning rate, ∇J(θ) gradient of the cost, μ momentum,
b momentum buffer ("velocity"), τ dampening, λ weight decay.

* ``sgd_update``: θ ← θ − η·g with g = ∇J + λθ, optionally b ← μb + (1−τ)g and g ← b (or g + μb).
"""
from .sgd import sgd_update

__all__ = ["sgd_update"]
