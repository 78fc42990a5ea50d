"""The main job for now: train the seed's 2-2-1 network with SGD on real data.

Seed 003's worked example explains one gradient step of a 2-2-1 sigmoid network with binary
cross-entropy. :func:`train_seed_network` takes that very network (same initial weights) and trains
it on two standardized features of scikit-learn's bundled breast-cancer data, mini-batch SGD, so the
loss can be watched falling epoch by epoch.

(The full training loop, data loaders and ``losslab train`` come later; this is a small,
self-contained loop on the public API: ``nn``, ``optim.SGD`` and ``losses.binary_cross_entropy``.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import losslab as ll
from losslab import optim
from losslab.explain.spec import seed_problem
from losslab.losses import binary_cross_entropy

__all__ = ["EpochRecord", "load_two_feature_breast_cancer", "train_seed_network"]

#: The two features the demo uses (both standardized with training-set statistics).
DEMO_FEATURES = ("mean radius", "mean texture")


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's figures: mean training loss over the epoch's batches, and the validation
    loss and accuracy after the epoch (threshold 0.5)."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float


def load_two_feature_breast_cancer(seed: int = 0, val_fraction: float = 0.25):
    """Two standardized features of the bundled breast-cancer data and a 0/1 target (1 = benign).

    The split is shuffled with ``seed``; the mean and standard deviation come from the training
    part only, so nothing about the validation data leaks into training.

    Returns:
        ``(X_train, y_train, X_val, y_val)`` as float32 arrays; ``y`` has shape ``(n, 1)``.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    cols = [list(data.feature_names).index(name) for name in DEMO_FEATURES]
    X = data.data[:, cols]
    y = data.target.astype(np.float64)[:, None]
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = int(round(len(X) * val_fraction))
    val, train = order[:n_val], order[n_val:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    Xs = (X - mean) / std
    f32 = np.float32
    return Xs[train].astype(f32), y[train].astype(f32), Xs[val].astype(f32), y[val].astype(f32)


def train_seed_network(epochs: int = 20, lr: float = 0.5, batch_size: int = 32, seed: int = 0,
                       on_epoch: Callable[[EpochRecord], None] | None = None) -> list[EpochRecord]:
    """Train the seed's 2-2-1 sigmoid network (its own initial weights) with mini-batch SGD and BCE.

    Each epoch shuffles the training set (reproducibly from ``seed``), takes SGD steps
    θ ← θ − η·∇L on batches of ``batch_size``, then evaluates on the validation set.

    Args:
        epochs: passes over the training data (≥ 1).
        lr: the learning rate η (> 0).
        batch_size: samples per step (≥ 1); 1 is stochastic GD, the training-set size is batch GD.
        seed: seeds the split and the shuffling.
        on_epoch: called with each :class:`EpochRecord` as soon as it is known.

    Returns:
        One :class:`EpochRecord` per epoch.

    Example:
        >>> hist = train_seed_network(epochs=3)
        >>> hist[-1].train_loss < hist[0].train_loss
        True
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    X_tr, y_tr, X_val, y_val = load_two_feature_breast_cancer(seed)
    model = seed_problem().network.to_module(dtype=ll.float32)
    opt = optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    xv, yv = ll.tensor(X_val), ll.tensor(y_val)
    history = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X_tr))
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = binary_cross_entropy(model(ll.tensor(X_tr[idx])), ll.tensor(y_tr[idx]))
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        with ll.no_grad():
            p_val = model(xv)
            val_loss = binary_cross_entropy(p_val, yv).item()
            val_acc = float(((p_val.data >= 0.5) == (y_val >= 0.5)).mean())
        record = EpochRecord(epoch, total / len(X_tr), val_loss, val_acc)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history
