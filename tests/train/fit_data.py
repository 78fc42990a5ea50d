"""Small synthetic classification sets shared by the fit tests (test_fit, test_fit_compiled)."""
from __future__ import annotations

import numpy as np


def binary(n=120, seed=0):
    """Two features; label 1 where x0 + x1/2 > 0 (linearly separable)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    return x, y


def multiclass(n=150, k=3, seed=0):
    """Two features; k Gaussian blobs, int64 labels."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, 2))
    y = rng.integers(0, k, size=n)
    x = (centers[y] + rng.normal(size=(n, 2))).astype(np.float32)
    return x, y.astype(np.int64)
