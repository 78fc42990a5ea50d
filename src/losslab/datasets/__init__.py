"""Ready-to-train data: real datasets bundled with scikit-learn, synthetic 2-D sets and
regression with outliers, and CSV files — each as a :class:`Split` (training and validation
parts, standardized with the training statistics only; stratified for classification).

>>> from losslab import datasets
>>> datasets.available()[:5]
['digits', 'breast_cancer', 'diabetes', 'iris', 'wine']
"""
from __future__ import annotations

import difflib

from .bundled import BUNDLED, describe_bundled, load_bundled
from .csv import load_csv
from .split import TASKS, Split
from .synthetic import SYNTHETIC, describe_synthetic, load_synthetic

__all__ = ["load", "available", "describe", "load_csv", "Split", "TASKS"]


def available() -> list[str]:
    """The names :func:`load` accepts: the bundled real datasets, then the synthetic ones.

    Example:
        >>> ll.datasets.available()
        ['digits', 'breast_cancer', 'diabetes', 'iris', 'wine', 'moons', 'circles', 'spirals', 'xor', 'blobs', 'linear']
    """
    return list(BUNDLED) + list(SYNTHETIC)


def _resolve(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"datasets: name must be a str (one of {', '.join(available())}), got {name!r}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in BUNDLED or key in SYNTHETIC:
        return key
    hint = ""
    if key.endswith((".csv", ".tsv", ".txt")):
        hint = "; for a CSV file use datasets.load_csv(path, target=...)"
    else:
        close = difflib.get_close_matches(key, available(), n=3)
        if close:
            hint = f" (did you mean {', '.join(close)}?)"
    raise ValueError(f"datasets: unknown dataset {name!r}{hint}; available: {', '.join(available())}")


def describe(name: str) -> str:
    """One line saying what dataset ``name`` is: size, features, classes or target, options.

    Example:
        >>> ll.datasets.describe("iris")
        'iris: 150 iris flowers, 4 sepal/petal measurements (cm), 3 species (multiclass; bundled with scikit-learn, no download)'
    """
    key = _resolve(name)
    return describe_bundled(key) if key in BUNDLED else describe_synthetic(key)


def load(name: str, *, val_fraction: float = 0.2, seed: int = 0, standardize: bool = True, **options) -> Split:
    """Load a bundled or synthetic dataset, split into training and validation parts.

    Formula: stratified (classification) or random (regression) split with ⌈val_fraction·N⌉
    validation rows, seeded by ``seed``; then x' = (x − mean_train) / std_train for both parts,
    with mean and std of the training rows only.

    Args:
        name: one of :func:`available` — real data bundled with scikit-learn (``digits``,
            ``breast_cancer``, ``diabetes``, ``iris``, ``wine``; never downloaded) or synthetic
            (``moons``, ``circles``, ``spirals``, ``xor``, ``blobs``, ``linear``).
        val_fraction: share held out for validation, in (0, 1) (default 0.2).
        seed: seeds the synthetic data and the split (default 0); an int in [0, 2**32).
        standardize: standardize the features with the training statistics (default True).
        **options: for synthetic data (see :func:`describe`): ``n_samples`` and ``noise`` for
            all; ``factor`` (circles); ``n_classes``, ``turns`` (spirals); ``centers``,
            ``n_features``, ``cluster_std`` (blobs); ``n_features`` and ``outliers`` (linear:
            the share of training rows, in [0, 0.5], whose targets get gross errors of 10 to 20
            standard deviations — the validation part stays clean, so it measures robustness).
            The bundled datasets take no options.

    Shape:
        x_train (N_train, D), x_val (N_val, D) float64; y int64 (N,) for classification,
        float64 (N, 1) for regression (see :class:`Split`).

    Example:
        >>> s = ll.datasets.load("moons", seed=0, n_samples=200, noise=0.1)
        >>> s.task, s.class_names, s.x_train.shape, s.x_val.shape
        ('binary', ('0', '1'), (160, 2), (40, 2))
        >>> r = ll.datasets.load("linear", seed=0, outliers=0.1)
        >>> r.task, r.y_train.shape, r.n_outputs
        ('regression', (240, 1), 1)

    Note:
        diabetes is loaded unscaled (scikit-learn's ``scaled=False``) because its scaled version
        uses statistics of every row; our standardization uses the training rows only. Regression
        targets are not standardized. The synthetic data depend on ``seed`` only: the same seed
        gives the same points and the same split, and ``outliers`` changes nothing but the
        targets of the chosen training rows.
    """
    key = _resolve(name)
    loader = load_bundled if key in BUNDLED else load_synthetic
    return loader(key, val_fraction=val_fraction, seed=seed, standardize=standardize, **options)
