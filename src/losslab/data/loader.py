"""``DataLoader``: batches for batch gradient descent, stochastic gradient descent and mini-batch.

The three modes of gradient descent differ only in how many samples feed one update:
``batch_size="full"`` (batch GD: one update per epoch from the whole training set),
``batch_size=1`` (SGD: one update per sample, noisy) and ``batch_size=m`` (mini-batch: N/m
updates per epoch, the usual compromise). Shuffling is reproducible and resumable: the order of
epoch e depends only on (seed, e).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import random as _random
from .dataset import TensorDataset, collate

__all__ = ["DataLoader", "MODES"]

#: The gradient-descent mode of each kind of batch size.
MODES = ("batch", "stochastic", "mini-batch")


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be True or False, got {value!r}")
    return bool(value)


def _check_nonneg_int(who: str, name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who}: {name} must be a non-negative int, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{who}: {name} must be a non-negative int, got {value}")
    return int(value)


def _dataset_len(dataset) -> int:
    try:
        return len(dataset)
    except TypeError:
        raise TypeError(f"DataLoader: dataset must have a length (map-style dataset with __len__ and "
                        f"__getitem__), got {type(dataset).__name__}") from None


def _check_batch_size(batch_size, n: int):
    if isinstance(batch_size, str):
        if batch_size.strip().lower() == "full":
            return "full"
        hint = f"; pass the int {int(batch_size)}" if batch_size.strip().isdigit() else ""
        raise ValueError(f"DataLoader: batch_size must be 'full' (batch gradient descent), 1 (stochastic "
                         f"gradient descent) or an int m > 1 (mini-batch), got the string {batch_size!r}{hint}")
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"DataLoader: batch_size must be an int >= 1 or 'full', got {batch_size!r} "
                        f"({type(batch_size).__name__})")
    bs = int(batch_size)
    if bs < 1:
        raise ValueError(f"DataLoader: batch_size must be an int >= 1 or 'full', got {bs}")
    if bs > n:
        raise ValueError(f"DataLoader: batch_size={bs} is larger than the dataset ({n} samples); use "
                         f"batch_size='full' for batch gradient descent on all {n} samples, or a batch "
                         f"size <= {n}")
    return bs


class DataLoader:
    """Iterate over a dataset in batches: batch GD, stochastic GD or mini-batch GD.

    Formula: with N samples and batch size B (B = N for ``"full"``), epoch e visits the samples
    in the order π_e = permutation of range(N) drawn from ``np.random.default_rng([seed, e])``
    (or range(N) without shuffling) and yields ⌈N/B⌉ batches (⌊N/B⌋ with ``drop_last``);
    batch k holds samples π_e[kB : (k+1)B].

    Args:
        dataset: a map-style dataset (``len`` and ``ds[i]``), e.g. a :class:`TensorDataset`.
        batch_size: ``"full"`` — batch gradient descent, one batch of the whole dataset per
            epoch; ``1`` — stochastic gradient descent, one sample per update; an int ``m`` —
            mini-batch gradient descent. Must not exceed the dataset's size (default 1).
        shuffle: visit the samples in a new random order every epoch (default False).
        drop_last: drop the last, smaller batch when B does not divide N (default False).
        seed: non-negative int seeding the shuffles. ``None`` draws one seed from
            ``ll.random.generator()`` when the loader is built (so ``ll.manual_seed`` makes it
            repeat); only with ``shuffle=True``.

    Shape:
        each batch is a tuple of tensors of shape (B, ...) — for a ``TensorDataset(x, y)``,
        ``(x[idx], y[idx])``; the last batch may be smaller unless ``drop_last``.

    Example:
        >>> x = np.arange(10.0).reshape(5, 2); y = np.arange(5)
        >>> loader = ll.data.DataLoader(ll.data.TensorDataset(x, y), batch_size=2, shuffle=True, seed=0)
        >>> loader.mode, len(loader)
        ('mini-batch', 3)
        >>> [yb.data.tolist() for _, yb in loader]     # epoch 0
        [[2, 4], [3, 0], [1]]
        >>> loader.epoch                                 # advanced by the full pass
        1
        >>> loader.set_epoch(0)                          # replay epoch 0 exactly
        >>> [yb.data.tolist() for _, yb in loader]
        [[2, 4], [3, 0], [1]]
        >>> ll.data.DataLoader(ll.data.TensorDataset(x, y), batch_size="full").mode
        'batch'

    Note:
        The epoch counter advances when a pass over the data completes; a pass cut short
        (``break``) leaves it, so the next pass repeats that epoch's order. ``state_dict()``
        (``{"seed", "epoch"}``) is all a checkpoint needs to resume the same sequence of batches.
        Unlike PyTorch there are no worker processes, samplers or ``collate_fn``; a batch size
        larger than the dataset is an error rather than one short batch. ``mode`` is "batch"
        whenever one batch holds the whole dataset (``"full"`` or B = N).
    """

    def __init__(self, dataset, batch_size=1, shuffle: bool = False, drop_last: bool = False, seed=None):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: dataset must be a map-style dataset with __len__ and __getitem__ "
                            f"(e.g. ll.data.TensorDataset(x, y)), got {type(dataset).__name__}")
        n = _dataset_len(dataset)
        if n == 0:
            raise ValueError("DataLoader: the dataset is empty (0 samples); there is nothing to iterate over")
        self.dataset = dataset
        self.batch_size = _check_batch_size(batch_size, n)
        self.shuffle = _check_bool("shuffle", shuffle)
        self.drop_last = _check_bool("drop_last", drop_last)
        if seed is not None:
            seed = _check_nonneg_int("DataLoader", "seed", seed)
        elif self.shuffle:
            seed = int(_random.generator().integers(0, 2**63 - 1))
        self.seed = seed
        self.epoch = 0

    # -- modes and sizes --------------------------------------------------------------------
    def _n(self) -> int:
        n = _dataset_len(self.dataset)
        if n == 0:
            raise ValueError("DataLoader: the dataset is empty (0 samples); there is nothing to iterate over")
        return n

    def _batch(self, n: int) -> int:
        if self.batch_size == "full":
            return n
        if self.batch_size > n:  # the dataset shrank since construction
            _check_batch_size(self.batch_size, n)
        return self.batch_size

    @property
    def mode(self) -> str:
        """"batch" (one batch = the whole dataset), "stochastic" (B = 1) or "mini-batch"."""
        n = self._n()
        b = self._batch(n)
        if b == n:
            return "batch"
        return "stochastic" if b == 1 else "mini-batch"

    def __len__(self) -> int:
        """Batches (= parameter updates) per epoch."""
        n = self._n()
        b = self._batch(n)
        return n // b if self.drop_last else math.ceil(n / b)

    # -- order --------------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose order the next pass uses (``fit`` calls it at each epoch)."""
        self.epoch = _check_nonneg_int("DataLoader.set_epoch", "epoch", epoch)

    def indices(self, epoch: int | None = None) -> np.ndarray:
        """The order in which epoch ``epoch`` (default: the next one) visits the samples.

        Example:
            >>> loader = ll.data.DataLoader(ll.data.TensorDataset(np.zeros((4, 1))), shuffle=True, seed=1)
            >>> loader.indices(3).tolist() == np.random.default_rng([1, 3]).permutation(4).tolist()
            True
        """
        e = self.epoch if epoch is None else _check_nonneg_int("DataLoader.indices", "epoch", epoch)
        n = self._n()
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, e]).permutation(n)

    def __iter__(self):
        epoch = self.epoch
        n = self._n()
        b = self._batch(n)
        order = self.indices(epoch)
        stop = (n // b) * b if self.drop_last else n
        return self._batches(order, b, stop, epoch)

    def _batches(self, order: np.ndarray, b: int, stop: int, epoch: int):
        ds = self.dataset
        fast = isinstance(ds, TensorDataset)
        for start in range(0, stop, b):
            end = min(start + b, stop)
            if fast:
                yield ds[slice(start, end)] if not self.shuffle else ds[order[start:end]]
            else:
                yield collate([ds[int(i)] for i in order[start:end]])
        self.epoch = epoch + 1

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"seed": int | None, "epoch": int}`` — enough to resume the same batches."""
        return {"seed": self.seed, "epoch": int(self.epoch)}

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict` (the seed and the next epoch)."""
        if not isinstance(state, dict) or set(state) != {"seed", "epoch"}:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"DataLoader.load_state_dict: expected a dict with keys ['epoch', 'seed'], got {got}")
        seed = state["seed"]
        if seed is None and self.shuffle:
            raise ValueError("DataLoader.load_state_dict: seed is None but this loader shuffles; the state "
                             "comes from a loader without shuffling")
        self.seed = None if seed is None else _check_nonneg_int("DataLoader.load_state_dict", "seed", seed)
        self.epoch = _check_nonneg_int("DataLoader.load_state_dict", "epoch", state["epoch"])

    def __repr__(self) -> str:
        return (f"DataLoader({self.mode}, batch_size={self.batch_size!r}, {len(self)} batches/epoch, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}, epoch={self.epoch})")
