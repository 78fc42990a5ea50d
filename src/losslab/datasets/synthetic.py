"""Synthetic datasets: 2-D classification (moons, circles, spirals, xor, blobs) and linear
regression with optional gross outliers in the training part.

moons, circles and blobs come from scikit-learn's ``make_moons`` / ``make_circles`` /
``make_blobs``; spirals, xor and linear are drawn here with NumPy. Everything is a function of
the seed: the same seed gives the same points and the same split.
"""
from __future__ import annotations

import difflib
import math
import numbers

import numpy as np

from .split import Split, check_seed, make_split

__all__ = ["SYNTHETIC", "load_synthetic", "describe_synthetic"]

# a stream for the outliers that is independent of the data's (so the clean rows, and the
# validation part, are the same with and without outliers)
_OUTLIER_STREAM = 0x6F75746C


# ------------------------------------------------------------------------------------------
# option checks
# ------------------------------------------------------------------------------------------
def _int(lo: int):
    def check(who, name, v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{who}: {name} must be an int >= {lo}, got {v!r} ({type(v).__name__})")
        if v < lo:
            raise ValueError(f"{who}: {name} must be an int >= {lo}, got {v}")
        return int(v)
    return check


def _real(lo: float, hi: float = math.inf, lo_open: bool = False, hi_open: bool = False):
    def check(who, name, v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"{who}: {name} must be a number, got {v!r} ({type(v).__name__})")
        v = float(v)
        ok = math.isfinite(v) and (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
        if not ok:
            lb = "(" if lo_open else "["
            rb = ")" if hi_open or hi == math.inf else "]"
            raise ValueError(f"{who}: {name} must be in {lb}{lo:g}, {hi:g}{rb}, got {v}")
        return v
    return check


# ------------------------------------------------------------------------------------------
# generators: (seed, **options) -> (x (N, D) float64, y (N,) int64 or float64)
# ------------------------------------------------------------------------------------------
def _moons(seed, n_samples, noise):
    from sklearn.datasets import make_moons
    return make_moons(n_samples=n_samples, noise=noise, random_state=seed)


def _circles(seed, n_samples, noise, factor):
    from sklearn.datasets import make_circles
    return make_circles(n_samples=n_samples, noise=noise, factor=factor, random_state=seed)


def _blobs(seed, n_samples, centers, n_features, cluster_std):
    from sklearn.datasets import make_blobs
    return make_blobs(n_samples=n_samples, centers=centers, n_features=n_features, cluster_std=cluster_std,
                      random_state=seed)


def _spirals(seed, n_samples, noise, n_classes, turns):
    """K interleaved arms: arm k at parameter t in [0, 1] is r = t, θ = 2π·turns·t + 2πk/K."""
    rng = np.random.default_rng(seed)
    sizes = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    xs, ys = [], []
    for k, m in enumerate(sizes):
        t = np.sqrt(rng.uniform(0.0, 1.0, m))  # sqrt: points spread evenly along the arm's length
        theta = 2 * np.pi * turns * t + 2 * np.pi * k / n_classes
        xs.append(np.column_stack([t * np.cos(theta), t * np.sin(theta)]) + noise * rng.standard_normal((m, 2)))
        ys.append(np.full(m, k, dtype=np.int64))
    order = rng.permutation(n_samples)
    return np.concatenate(xs)[order], np.concatenate(ys)[order]


def _xor(seed, n_samples, noise):
    """x ~ U(−1, 1)², class 1 when the coordinates have different signs, then Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64)
    return x + noise * rng.standard_normal((n_samples, 2)), y


def _linear(seed, n_samples, n_features, noise, outliers):
    """y = x·w + b + noise·ε with x, ε ~ N(0, 1), |w_j| ~ U(1, 3) with a random sign, b ~ U(−1, 1)."""
    del outliers  # added to the training part only, after the split
    rng = np.random.default_rng(seed)
    w = rng.uniform(1.0, 3.0, n_features) * rng.choice([-1.0, 1.0], n_features)
    b = rng.uniform(-1.0, 1.0)
    x = rng.standard_normal((n_samples, n_features))
    return x, x @ w + b + noise * rng.standard_normal(n_samples)


def _outlier_hook(seed: int, fraction: float):
    """Shift the targets of round(fraction · N_train) training rows up by 10 to 20 standard
    deviations of the training targets: gross, one-sided errors that pull a mean-seeking loss
    (MSE) away from the clean data while a median-seeking one (MAE, Huber's tails) resists."""
    def hook(x_train, y_train):
        if fraction <= 0:
            return x_train, y_train
        rng = np.random.default_rng([seed, _OUTLIER_STREAM])
        n = len(y_train)
        k = min(n, max(1, int(round(fraction * n))))
        rows = rng.choice(n, size=k, replace=False)
        y = np.array(y_train, dtype=np.float64, copy=True)
        y[rows] += rng.uniform(10.0, 20.0, k) * y.std()
        return x_train, y
    return hook


# name -> (generator, {option: (default, check)}, description)
SYNTHETIC = {
    "moons": (_moons, {"n_samples": (500, _int(4)), "noise": (0.2, _real(0.0))},
              "two interleaving half circles in 2-D (scikit-learn make_moons), 2 classes"),
    "circles": (_circles, {"n_samples": (500, _int(4)), "noise": (0.1, _real(0.0)),
                           "factor": (0.5, _real(0.0, 1.0, lo_open=True, hi_open=True))},
                "a small circle inside a large one in 2-D (scikit-learn make_circles), 2 classes"),
    "spirals": (_spirals, {"n_samples": (500, _int(4)), "noise": (0.05, _real(0.0)),
                           "n_classes": (2, _int(2)), "turns": (1.5, _real(0.0, lo_open=True))},
                "interleaved spiral arms in 2-D, one class per arm"),
    "xor": (_xor, {"n_samples": (500, _int(4)), "noise": (0.1, _real(0.0))},
            "points in [-1, 1]^2, class 1 where the coordinates' signs differ (XOR), 2 classes"),
    "blobs": (_blobs, {"n_samples": (500, _int(4)), "centers": (3, _int(2)), "n_features": (2, _int(1)),
                       "cluster_std": (1.0, _real(0.0, lo_open=True))},
              "Gaussian clusters (scikit-learn make_blobs), one class per centre"),
    "linear": (_linear, {"n_samples": (300, _int(4)), "n_features": (1, _int(1)), "noise": (0.5, _real(0.0)),
                         "outliers": (0.0, _real(0.0, 0.5))},
               "linear regression y = x.w + b + noise; outliers = share of training rows given gross "
               "errors (the validation part stays clean)"),
}


def _options(name: str, options: dict) -> dict:
    _, spec, _ = SYNTHETIC[name]
    unknown = [k for k in options if k not in spec]
    if unknown:
        k = unknown[0]
        close = difflib.get_close_matches(k, list(spec), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        allowed = ", ".join(f"{o}={d!r}" for o, (d, _) in spec.items())
        raise ValueError(f"load: {name!r} has no option {k!r}{hint}; its options are {allowed}")
    return {o: (check(f"load({name!r})", o, options[o]) if o in options else default)
            for o, (default, check) in spec.items()}


def _task(name: str, opts: dict) -> tuple[str, int | None]:
    if name == "linear":
        return "regression", None
    k = {"blobs": opts.get("centers"), "spirals": opts.get("n_classes")}.get(name) or 2
    return ("binary" if k == 2 else "multiclass"), k


def load_synthetic(name: str, *, val_fraction: float, seed: int, standardize: bool, **options) -> Split:
    """Generate a synthetic dataset and split it (see :func:`losslab.datasets.load`)."""
    opts = _options(name, options)
    seed = check_seed("load", seed)
    gen = SYNTHETIC[name][0]
    x, y = gen(seed, **opts)
    x = np.asarray(x, dtype=np.float64)
    task, k = _task(name, opts)
    names = [f"x{j + 1}" for j in range(x.shape[1])]
    hook = None
    if task == "regression":
        y = np.asarray(y, dtype=np.float64)
        class_names = None
        hook = _outlier_hook(seed, opts.get("outliers", 0.0))
    else:
        y = np.asarray(y, dtype=np.int64)
        class_names = [str(c) for c in range(k)]
    return make_split(name, task, x, y, names, class_names, val_fraction=val_fraction, seed=seed,
                      standardize=standardize, who="load", train_hook=hook)


def describe_synthetic(name: str) -> str:
    _, spec, text = SYNTHETIC[name]
    opts = ", ".join(f"{o}={d!r}" for o, (d, _) in spec.items())
    task = "regression" if name == "linear" else "classification"
    return f"{name}: {text} (synthetic {task}; options {opts})"
