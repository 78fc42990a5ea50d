"""``losslab.train``: the training loop and what goes with it.

``fit(model, loss_fn, optimizer, train, val, epochs=...)`` trains by gradient descent (batch GD,
SGD or mini-batch, as the DataLoader's ``batch_size`` says) and returns a :class:`History`;
callbacks (:class:`EarlyStopping`, :class:`ModelCheckpoint`, :class:`LearningRateLogger`) hook
into it; :func:`save_checkpoint` / :func:`load_checkpoint` (and ``fit(checkpoint=..., resume=...)``)
stop and continue a run exactly. :func:`compile_step` records a training step once and replays
its kernels afterwards (the eager step's numbers, with less Python per op).

Example:
    >>> import losslab as ll, losslab.nn as nn, losslab.optim as optim
    >>> from losslab.train import fit
    >>> _ = ll.manual_seed(0)
    >>> x = ll.randn(100, 3); y = x @ ll.tensor([[1.0], [2.0], [-1.0]]) + 0.5
    >>> model = nn.Linear(3, 1)
    >>> h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=20,
    ...         progress=False)
    >>> h.last["train_loss"] < 1e-3
    True
"""
from .callbacks import Callback, EarlyStopping, LearningRateLogger, ModelCheckpoint
from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from .compiled import CompiledStep, compile_step
from .fit import TASKS, FitState, TrainingDiverged, fit, resolve_loss
from .history import History, monitor_mode

__all__ = [
    "fit", "History", "TrainingDiverged", "FitState", "resolve_loss", "TASKS", "monitor_mode",
    "Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateLogger",
    "save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT", "compile_step", "CompiledStep",
]
