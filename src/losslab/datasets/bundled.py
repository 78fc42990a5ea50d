"""Real datasets that ship with scikit-learn (no download): digits, breast_cancer, diabetes, iris, wine."""
from __future__ import annotations

import numpy as np

from .split import Split, make_split

__all__ = ["BUNDLED", "load_bundled", "describe_bundled"]

#: name -> (scikit-learn loader, task, description). Only the ``load_*`` functions of
#: ``sklearn.datasets`` (files inside the package); never ``fetch_*``, which download.
BUNDLED = {
    "digits": ("load_digits", "multiclass",
               "1797 8x8 images of handwritten digits 0-9, 64 pixel intensities (0-16), 10 classes"),
    "breast_cancer": ("load_breast_cancer", "binary",
                      "569 breast tumours (Wisconsin diagnostic), 30 cell-nucleus measurements, "
                      "malignant vs benign"),
    "diabetes": ("load_diabetes", "regression",
                 "442 diabetes patients, 10 baseline variables (age, sex, BMI, blood pressure, 6 serum "
                 "measurements); target: disease progression after one year (25-346)"),
    "iris": ("load_iris", "multiclass",
             "150 iris flowers, 4 sepal/petal measurements (cm), 3 species"),
    "wine": ("load_wine", "multiclass",
             "178 wines from 3 cultivars, 13 chemical measurements, 3 classes"),
}


def _raw(name: str):
    import sklearn.datasets as skd

    fn_name, task, _ = BUNDLED[name]
    fn = getattr(skd, fn_name)
    # diabetes: the raw values; scikit-learn's default (scaled=True) centres and scales with
    # statistics of all 442 rows, validation rows included, which would leak into training
    bunch = fn(scaled=False) if name == "diabetes" else fn()
    x = np.asarray(bunch.data, dtype=np.float64)
    feature_names = [str(f) for f in bunch.feature_names]
    if task == "regression":
        return task, x, np.asarray(bunch.target, dtype=np.float64), feature_names, None
    y = np.asarray(bunch.target, dtype=np.int64)
    class_names = [str(c) for c in bunch.target_names]
    return task, x, y, feature_names, class_names


def load_bundled(name: str, *, val_fraction: float, seed: int, standardize: bool, **options) -> Split:
    """Load a bundled scikit-learn dataset as a :class:`Split` (see :func:`losslab.datasets.load`)."""
    if options:
        raise ValueError(f"load: {name!r} is a fixed dataset and takes no options, got "
                         f"{', '.join(f'{k}={v!r}' for k, v in options.items())}")
    task, x, y, feature_names, class_names = _raw(name)
    return make_split(name, task, x, y, feature_names, class_names, val_fraction=val_fraction, seed=seed,
                      standardize=standardize, who="load")


def describe_bundled(name: str) -> str:
    _, task, text = BUNDLED[name]
    return f"{name}: {text} ({task}; bundled with scikit-learn, no download)"
