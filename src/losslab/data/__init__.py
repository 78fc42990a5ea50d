"""Data for gradient descent: datasets and the DataLoader that batches them.

``TensorDataset(x, y)`` holds aligned arrays; ``DataLoader(dataset, batch_size, shuffle,
drop_last, seed)`` yields batches in one of the three modes of gradient descent:
``batch_size="full"`` (batch GD), ``1`` (stochastic GD) or ``m`` (mini-batch GD).
Ready-made datasets (bundled, synthetic, CSV) are in :mod:`losslab.datasets`.
"""
from .dataset import Dataset, TensorDataset, collate
from .loader import MODES, DataLoader

__all__ = ["Dataset", "TensorDataset", "DataLoader", "collate", "MODES"]
