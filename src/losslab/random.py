"""The global random number generator behind ``ll.randn``, ``ll.rand``, initialisers and Dropout.

One NumPy ``Generator`` (PCG64), reseeded by :func:`manual_seed`; its state can be saved and
restored exactly (for checkpoints). Streams differ from PyTorch's: same seed, different numbers.
"""
from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "seed", "generator", "get_rng_state", "set_rng_state"]

_GEN = [np.random.default_rng(0)]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the global generator so that random tensors and initialisations repeat exactly."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _GEN[0] = np.random.default_rng(int(seed))
    return _GEN[0]


seed = manual_seed


def generator() -> np.random.Generator:
    """The generator currently in use."""
    return _GEN[0]


def get_rng_state() -> dict:
    """A JSON-serialisable snapshot of the generator state."""
    return _GEN[0].bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state captured by :func:`get_rng_state`."""
    g = np.random.default_rng()
    g.bit_generator.state = state
    _GEN[0] = g
