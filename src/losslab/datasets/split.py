"""``Split``: a dataset divided into training and validation parts, standardized without leakage."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ..autograd import dtypes
from ..data import TensorDataset

__all__ = ["Split", "TASKS", "make_split", "check_seed", "check_val_fraction"]

#: The tasks a Split can have.
TASKS = ("binary", "multiclass", "regression")


def _readonly(a):
    if a is None:
        return None
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False, repr=False)
class Split:
    """A dataset split into training and validation parts (what ``datasets.load`` returns).

    Formula: with standardization, x' = (x − mean) / std where mean and std are computed on the
    *training* rows only and applied unchanged to the validation rows, so nothing about the
    validation data leaks into training.

    Args:
        name: the dataset's name (a bundled name, or the CSV file's name).
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        x_train, x_val: float64 features, (N, D).
        y_train, y_val: int64 class indices (N,) for classification, float64 (N, 1) for
            regression.
        feature_names: one name per feature column (a tuple of D strings).
        class_names: the class of each index (a tuple of strings) or None for regression.
        mean, std: the training statistics used to standardize x, (D,), or None when the
            features were not standardized.

    Shape:
        x (N, D); y (N,) int64 or (N, 1) float64. ``n_features`` = D; ``n_classes`` = C (None
        for regression); ``n_outputs`` = 1 for binary and regression, C for multiclass (the
        width of the model's last layer).

    Example:
        >>> s = ll.datasets.load("iris", seed=0)
        >>> s.task, s.n_features, s.n_classes, s.n_outputs, s.x_train.shape, s.x_val.shape
        ('multiclass', 4, 3, 3, (120, 4), (30, 4))
        >>> bool(np.allclose(s.x_train.mean(0), 0) and np.allclose(s.x_train.std(0), 1))
        True
        >>> x, y = s.train_dataset()[0:2]
        >>> x.dtype, y.dtype
        (dtype('float32'), dtype('int64'))

    Note:
        The arrays are read-only (the dataclass is frozen, and so are its arrays); copy them to
        modify. A zero-variance training column gets std = 1 (it is only centred), as
        scikit-learn's ``StandardScaler`` does. The validation mean and std are not 0 and 1.
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    feature_names: tuple
    class_names: tuple | None = None
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"Split: task must be one of {list(TASKS)}, got {self.task!r}")
        classification = self.task != "regression"
        for part in ("train", "val"):
            x = np.asarray(getattr(self, f"x_{part}"), dtype=np.float64)
            y = np.asarray(getattr(self, f"y_{part}"))
            if x.ndim != 2:
                raise ValueError(f"Split: x_{part} must be 2-D (N, D), got shape {x.shape}")
            if classification:
                if y.ndim != 1 or y.dtype.kind not in "iu":
                    raise ValueError(f"Split: y_{part} must hold int class indices of shape (N,) for "
                                     f"{self.task}, got {y.dtype} {y.shape}")
                y = y.astype(np.int64)
            else:
                y = y.astype(np.float64).reshape(-1, 1) if y.ndim == 1 else y.astype(np.float64)
                if y.ndim != 2 or y.shape[1] != 1:
                    raise ValueError(f"Split: y_{part} must have shape (N, 1) for regression, got {y.shape}")
            if len(y) != len(x):
                raise ValueError(f"Split: x_{part} has {len(x)} rows but y_{part} has {len(y)}")
            object.__setattr__(self, f"x_{part}", _readonly(x))
            object.__setattr__(self, f"y_{part}", _readonly(y))
        if self.x_train.shape[1] != self.x_val.shape[1]:
            raise ValueError(f"Split: x_train has {self.x_train.shape[1]} features but x_val has "
                             f"{self.x_val.shape[1]}")
        names = tuple(str(n) for n in self.feature_names)
        if len(names) != self.x_train.shape[1]:
            raise ValueError(f"Split: {len(names)} feature_names for {self.x_train.shape[1]} features")
        object.__setattr__(self, "feature_names", names)
        if classification:
            if self.class_names is None:
                raise ValueError(f"Split: class_names is required for task {self.task!r}")
            cn = tuple(str(c) for c in self.class_names)
            object.__setattr__(self, "class_names", cn)
            if self.task == "binary" and len(cn) != 2:
                raise ValueError(f"Split: a binary task has 2 classes, got class_names {cn}")
            for part in ("train", "val"):
                y = getattr(self, f"y_{part}")
                if y.size and (y.min() < 0 or y.max() >= len(cn)):
                    raise ValueError(f"Split: y_{part} has class indices outside [0, {len(cn) - 1}]")
        elif self.class_names is not None:
            raise ValueError("Split: class_names must be None for regression")
        for stat in ("mean", "std"):
            v = getattr(self, stat)
            if v is not None:
                v = np.asarray(v, dtype=np.float64)
                if v.shape != (self.x_train.shape[1],):
                    raise ValueError(f"Split: {stat} must have shape ({self.x_train.shape[1]},), got {v.shape}")
                object.__setattr__(self, stat, _readonly(v))

    # -- derived sizes ----------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        """D, the number of feature columns."""
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int | None:
        """C for classification, None for regression."""
        return None if self.class_names is None else len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Width of the model's output: 1 (one logit) for binary, C for multiclass, 1 for regression."""
        return self.n_classes if self.task == "multiclass" else 1

    # -- datasets ----------------------------------------------------------------------------
    def _dataset(self, x, y, dtype):
        dt = dtypes.resolve_dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"Split: dtype must be a floating-point dtype for the features, got {dt}")
        ydt = np.int64 if self.task != "regression" else dt
        return TensorDataset(np.array(x, dtype=dt, copy=True), np.array(y, dtype=ydt, copy=True))

    def train_dataset(self, dtype=dtypes.float32) -> TensorDataset:
        """The training part as a ``TensorDataset(x, y)``: x in ``dtype``; y int64 class indices
        (classification) or ``dtype`` (N, 1) (regression)."""
        return self._dataset(self.x_train, self.y_train, dtype)

    def val_dataset(self, dtype=dtypes.float32) -> TensorDataset:
        """The validation part as a ``TensorDataset(x, y)`` (as :meth:`train_dataset`)."""
        return self._dataset(self.x_val, self.y_val, dtype)

    def __repr__(self) -> str:
        extra = f", {self.n_classes} classes" if self.n_classes else ""
        return (f"Split({self.name!r}: {self.task}, {len(self.x_train)} train / {len(self.x_val)} validation "
                f"rows, {self.n_features} features{extra}, standardized={self.mean is not None})")


# ------------------------------------------------------------------------------------------
# shared checks and the split itself
# ------------------------------------------------------------------------------------------
def check_seed(who: str, seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{who}: seed must be an int, got {seed!r} ({type(seed).__name__})")
    if not 0 <= seed < 2**32:
        raise ValueError(f"{who}: seed must be in [0, 2**32 - 1], got {seed}")
    return int(seed)


def check_val_fraction(who: str, val_fraction) -> float:
    if isinstance(val_fraction, (bool, np.bool_)) or not isinstance(val_fraction, numbers.Real):
        raise TypeError(f"{who}: val_fraction must be a float in (0, 1), got {val_fraction!r}")
    v = float(val_fraction)
    if not 0.0 < v < 1.0:
        raise ValueError(f"{who}: val_fraction must be in (0, 1) (the share held out for validation), got {v}")
    return v


def _standardize(x_train: np.ndarray):
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    # zero (or round-off) variance: divide by 1 instead, as scikit-learn's StandardScaler does
    # (its _handle_zeros_in_scale), so a constant column becomes 0 rather than NaN
    tiny = 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
    std = np.where(std < tiny, 1.0, std)
    return mean, std


def make_split(name: str, task: str, x, y, feature_names, class_names, *, val_fraction, seed, standardize,
               who: str, train_hook=None) -> Split:
    """Split (x, y) into training and validation parts (stratified for classification), apply
    ``train_hook(x_train, y_train) -> (x_train, y_train)`` to the training part only (e.g. to add
    outliers), then standardize with the training statistics."""
    from sklearn.model_selection import train_test_split

    val_fraction = check_val_fraction(who, val_fraction)
    seed = check_seed(who, seed)
    if not isinstance(standardize, (bool, np.bool_)):
        raise TypeError(f"{who}: standardize must be True or False, got {standardize!r}")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    n = len(x)
    n_val = math.ceil(val_fraction * n)  # scikit-learn's rounding for a float test_size
    n_train = n - n_val
    if n_train < 2 or n_val < 2:
        raise ValueError(f"{who}: {name} has {n} rows, which val_fraction={val_fraction:g} splits into {n_train} "
                         f"training and {n_val} validation rows; each part needs at least 2 rows (use more "
                         f"data or another val_fraction)")
    stratify = None
    if task != "regression":
        labels, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            c = labels[np.argmin(counts)]
            shown = class_names[int(c)] if class_names is not None else c
            raise ValueError(f"{who}: class {shown!r} of {name} has only 1 row; a stratified split needs at least "
                             f"2 rows per class (add rows of that class or remove it)")
        k = len(labels)
        if n_val < k or n_train < k:
            raise ValueError(f"{who}: {name} has {k} classes but val_fraction={val_fraction:g} leaves {n_train} "
                             f"training and {n_val} validation rows; a stratified split needs at least one row "
                             f"per class in each part (use more data or another val_fraction)")
        stratify = y
    idx_train, idx_val = train_test_split(np.arange(n), test_size=n_val, random_state=seed, shuffle=True,
                                          stratify=stratify)
    x_train, y_train = x[idx_train], y[idx_train]
    x_val, y_val = x[idx_val], y[idx_val]
    if train_hook is not None:
        x_train, y_train = train_hook(x_train, y_train)
    mean = std = None
    if standardize:
        mean, std = _standardize(x_train)
        x_train = (x_train - mean) / std
        x_val = (x_val - mean) / std
    if task == "regression":
        y_train = np.asarray(y_train, dtype=np.float64).reshape(-1, 1)
        y_val = np.asarray(y_val, dtype=np.float64).reshape(-1, 1)
    else:
        y_train = np.asarray(y_train, dtype=np.int64)
        y_val = np.asarray(y_val, dtype=np.int64)
    return Split(name=name, task=task, x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val,
                 feature_names=tuple(feature_names), class_names=None if class_names is None else tuple(class_names),
                 mean=mean, std=std)
