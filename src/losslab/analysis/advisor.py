"""The loss advisor: look at the data, name the task, measure what matters for the choice of a
loss, and recommend ranked losses, an output activation and an optimizer, each with its reasons.

The guide it follows (seed 002, "Choosing the right loss function"):

* regression, Gaussian-looking noise → MSE; outliers or heavy tails → Huber (δ from the data)
  or MAE; target far from unit scale → standardize it first;
* binary → binary cross-entropy on logits; multiclass → categorical cross-entropy;
  imbalanced classes → weighted cross-entropy or focal loss;
* counts → Poisson negative log-likelihood on log-rates; probabilities as targets → binary
  cross-entropy with soft targets; several 0/1 labels per row (multilabel) → one sigmoid
  cross-entropy per label.

What is measured (every number is quoted in the sentence that uses it):

* regression: the residuals r of a robust (Huber, IRLS) linear fit of y on X — or y minus its
  median when there are too few rows for a fit — their robust z-scores
  z = (r − median r) / (1.4826 · MAD(r)), the share with |z| > 3.5 (≈ 0.05 % for Gaussian
  noise), their excess kurtosis (0 for a Gaussian), and the target's mean and standard deviation;
* classes: the count of each class, the ratio of the largest to the smallest and the minority's
  share;
* counts: mean, variance, the dispersion index var/mean (1 for Poisson) and the share of zeros.

Example:
    >>> import numpy as np
    >>> from losslab.analysis.advisor import advise
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((400, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 0.3 * rng.standard_normal(400)
    >>> y[:40] += 25.0                                   # 10 % gross outliers
    >>> a = advise(X, y)
    >>> a.task, a.candidates[0].spec.split(":")[0]
    ('regression', 'huber_loss')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = ["advise", "Advice", "Finding", "Candidate", "OptimizerAdvice", "TASKS"]

#: The tasks the advisor tells apart.
TASKS = ("regression", "binary", "multiclass", "multilabel", "counts", "probabilities")

#: |robust z| beyond which a residual counts as an outlier (Iglewicz & Hoaglin's 3.5).
Z_OUTLIER = 3.5
#: 1 / Φ⁻¹(3/4): makes the MAD a consistent estimate of σ for Gaussian data.
MAD_TO_SIGMA = 1.4826
#: Huber's tuning constant: 95 % efficiency under Gaussian noise (Huber 1964; Holland & Welsch 1977).
HUBER_K = 1.345
#: At most this many distinct non-negative integers are read as class labels, as load_csv does.
MAX_CLASSES = 20


class Finding(NamedTuple):
    """One measured statistic: its name, its value, and a sentence saying what it means here."""

    name: str
    value: object
    sentence: str


class Candidate(NamedTuple):
    """A recommended loss: a spec for :func:`losslab.build.resolve_loss` and why."""

    spec: str
    reason: str


class OptimizerAdvice(NamedTuple):
    """An optimizer starting point: a spec for :func:`losslab.build.build_optimizer`, the learning
    rate to start from, the range worth trying and why."""

    spec: str
    lr: float
    lr_range: tuple
    reason: str


@dataclass
class Advice:
    """What :func:`advise` found and recommends.

    Attributes:
        task: one of :data:`TASKS`.
        findings: list of :class:`Finding` (name, value, sentence) — every statistic measured.
        warnings: names of the findings that flag a problem and changed the advice (empty for
            clean, balanced data).
        candidates: ranked list of :class:`Candidate` (spec, reason); the first is the advice.
        activation: the output activation for the first candidate (the registry's
            ``output_activation``), with ``activation_reason``.
        optimizer: an :class:`OptimizerAdvice`.
        target_transform: ``(mean, std)`` when the target should be standardized before training
            (the δ of a Huber candidate is then in standardized units), else None.
        n_samples: rows looked at.
    """

    task: str
    findings: list
    candidates: list
    activation: str
    activation_reason: str
    optimizer: OptimizerAdvice
    warnings: list = field(default_factory=list)
    target_transform: tuple | None = None
    n_samples: int = 0

    @property
    def loss(self) -> str:
        """The first candidate's spec (the recommended loss)."""
        return self.candidates[0].spec

    def finding(self, name: str) -> Finding:
        """The finding called ``name`` (KeyError naming the ones there are)."""
        for f in self.findings:
            if f.name == name:
                return f
        raise KeyError(f"no finding {name!r}; findings: {', '.join(f.name for f in self.findings)}")

    @property
    def text(self) -> str:
        """The advice as readable text: findings, ranked losses, activation, optimizer."""
        lines = [f"task: {self.task} ({self.n_samples} rows)", "", "findings:"]
        for f in self.findings:
            mark = "!" if f.name in self.warnings else "-"
            lines.append(f"  {mark} {f.sentence}")
        lines += ["", "recommended losses (best first):"]
        for i, c in enumerate(self.candidates, 1):
            lines.append(f"  {i}. {c.spec}")
            lines.append(f"     {c.reason}")
        lines += ["", f"output activation: {self.activation}", f"  {self.activation_reason}", "",
                  f"optimizer: {self.optimizer.spec}, lr {self.optimizer.lr:g} "
                  f"(try {self.optimizer.lr_range[0]:g} to {self.optimizer.lr_range[1]:g})",
                  f"  {self.optimizer.reason}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def as_dict(self) -> dict:
        """A JSON-serializable dict of everything above."""
        return {
            "task": self.task, "n_samples": self.n_samples, "warnings": list(self.warnings),
            "findings": [{"name": f.name, "value": _plain(f.value), "sentence": f.sentence} for f in self.findings],
            "candidates": [{"spec": c.spec, "reason": c.reason} for c in self.candidates],
            "activation": self.activation, "activation_reason": self.activation_reason,
            "optimizer": {"spec": self.optimizer.spec, "lr": self.optimizer.lr,
                          "lr_range": list(self.optimizer.lr_range), "reason": self.optimizer.reason},
            "target_transform": None if self.target_transform is None else list(self.target_transform),
        }


def _plain(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _g(v: float, digits: int = 3) -> str:
    """A number for a sentence: 3 significant digits, no exponent for everyday sizes."""
    return f"{float(v):.{digits}g}"


# ------------------------------------------------------------------------------------------
# input checks
# ------------------------------------------------------------------------------------------
def _check_inputs(X, y, task):
    if task is not None and task not in TASKS:
        raise ValueError(f"advise: task must be None (detect) or one of {', '.join(TASKS)}, got {task!r}")
    if y is None:
        raise TypeError("advise: y is None; expected the targets, an array of shape (N,) or (N, K)")
    try:
        ya = np.asarray(y)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"advise: y could not be read as an array ({exc})") from None
    if ya.ndim == 0:
        raise ValueError(f"advise: y must be an array of shape (N,) or (N, K), got a scalar {ya!r}")
    if ya.ndim > 2:
        raise ValueError(f"advise: y must have shape (N,) or (N, K), got shape {ya.shape}")
    if ya.shape[0] == 0 or ya.size == 0:
        raise ValueError(f"advise: y is empty (shape {ya.shape}); expected at least 2 targets")
    labels = None
    if ya.dtype.kind == "b":
        ya = ya.astype(np.int64)
    elif ya.dtype.kind in "OUS":
        if ya.ndim != 1:
            raise TypeError(f"advise: text targets must be 1-D class labels, got shape {ya.shape}")
        try:
            ya = ya.astype(np.float64)
        except (TypeError, ValueError):
            text = np.array([str(v) for v in ya])
            labels, ya = np.unique(text, return_inverse=True)
            ya = ya.astype(np.int64)
    elif ya.dtype.kind not in "iuf":
        raise TypeError(f"advise: y must hold numbers or class labels, got dtype {ya.dtype}")
    if ya.dtype.kind == "f":
        bad = ~np.isfinite(ya)
        if bad.any():
            rows = np.flatnonzero(bad.reshape(len(ya), -1).any(axis=1))
            nan = int(np.isnan(ya).sum())
            kind = f"{nan} NaN" + (f" and {int(bad.sum()) - nan} infinite" if bad.sum() > nan else "")
            raise ValueError(f"advise: y has {kind} value(s) (first at row {rows[0]}, {len(rows)} rows in all); "
                             "drop or impute those rows before asking for advice")
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    n = len(ya)
    Xa = None
    if X is not None:
        try:
            Xa = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"advise: X must be a numeric array of shape (N, D), got {type(X).__name__} "
                            f"({exc})") from None
        if Xa.ndim == 1:
            Xa = Xa.reshape(-1, 1)
        if Xa.ndim != 2:
            raise ValueError(f"advise: X must have shape (N, D), got shape {Xa.shape}")
        if len(Xa) != n:
            raise ValueError(f"advise: X has {len(Xa)} rows but y has {n}; they must describe the same samples")
        if not np.isfinite(Xa).all():
            row = int(np.flatnonzero(~np.isfinite(Xa).all(axis=1))[0])
            raise ValueError(f"advise: X has non-finite values (first at row {row}); drop or impute those rows")
    if n < 2:
        raise ValueError(f"advise: y has {n} row; at least 2 are needed to say anything about the data")
    return Xa, ya, labels


# ------------------------------------------------------------------------------------------
# task detection
# ------------------------------------------------------------------------------------------
def _pmf_poisson(lam: float, k: np.ndarray) -> np.ndarray:
    if lam <= 0:
        return (k == 0).astype(float)
    return np.exp(k * math.log(lam) - lam - np.array([math.lgamma(v + 1) for v in k]))


def _pmf_negbin(mean: float, var: float, k: np.ndarray) -> np.ndarray:
    """Negative binomial by the method of moments (var > mean): r = mean²/(var − mean), p = mean/var."""
    r = mean * mean / (var - mean)
    p = mean / var
    lg = np.array([math.lgamma(v + r) - math.lgamma(v + 1) for v in k]) - math.lgamma(r)
    return np.exp(lg + r * math.log(p) + k * math.log1p(-p))


def _count_fit(y: np.ndarray) -> tuple:
    """(total-variation distance to the best of Poisson / negative binomial, to a uniform over the
    observed values): small first and large second says counts rather than class labels."""
    vals, counts = np.unique(y, return_counts=True)
    emp_full = np.zeros(int(vals.max()) + 1)
    emp_full[vals.astype(int)] = counts / counts.sum()
    k = np.arange(len(emp_full), dtype=float)
    mean, var = float(y.mean()), float(y.var())
    fits = [_pmf_poisson(mean, k)]
    if var > mean * 1.05 and mean > 0:
        fits.append(_pmf_negbin(mean, var, k))
    tv = min(0.5 * (np.abs(emp_full - f).sum() + max(0.0, 1.0 - f.sum())) for f in fits)
    uni = np.zeros_like(emp_full)
    uni[vals.astype(int)] = 1.0 / len(vals)
    tv_uniform = 0.5 * np.abs(emp_full - uni).sum()
    return float(tv), float(tv_uniform)


def _detect(y: np.ndarray, labels) -> tuple:
    """-> (task, sentence). y is 1-D or 2-D with K > 1 columns."""
    n = len(y)
    if labels is not None:
        k = len(labels)
        if k < 2:
            raise ValueError(f"advise: y holds a single class ({labels[0]!r}) in all {n} rows; nothing to learn")
        task = "binary" if k == 2 else "multiclass"
        return task, f"y holds text labels with {k} distinct values, read as classes → {task}."
    if y.ndim == 2:
        zero_one = np.isin(y, (0, 1)).all()
        in_unit = (y >= 0).all() and (y <= 1).all()
        sums = y.sum(axis=1)
        if in_unit and np.allclose(sums, 1.0, atol=1e-6):
            kind = "one-hot rows" if zero_one else "rows of class probabilities summing to 1"
            return "multiclass", (f"y has {y.shape[1]} columns holding {kind} → multiclass over {y.shape[1]} "
                                  "classes.")
        if zero_one:
            return "multilabel", (f"y has {y.shape[1]} columns of 0/1 labels and rows carry "
                                  f"{_g(sums.mean())} labels on average (not exactly one) → multilabel.")
        return "regression", f"y has {y.shape[1]} real-valued columns → multi-output regression."
    distinct = np.unique(y)
    k = len(distinct)
    if k < 2:
        raise ValueError(f"advise: y is constant ({_g(distinct[0], 6)} in all {n} rows); nothing to learn")
    if k == 2:
        return "binary", f"y takes exactly two values ({_g(distinct[0])} and {_g(distinct[1])}) → binary."
    integer = bool(np.all(y == np.round(y)))
    if integer and distinct.min() >= 0:
        if k > MAX_CLASSES:
            poisson_like = False
            if distinct.max() <= 1e5:
                tv, tv_uniform = _count_fit(y)
                poisson_like = tv < 0.12 and tv < 0.5 * tv_uniform
            if distinct.min() <= max(2.0, 0.1 * float(np.median(y))) or poisson_like:
                return "counts", (f"y holds non-negative integers with {k} distinct values (more than "
                                  f"{MAX_CLASSES}, too many for class labels), from {int(distinct.min())} up, "
                                  "with a count-like spread → counts.")
            return "regression", (f"y holds {k} distinct integers, all ≥ {int(distinct.min())} (far from 0, "
                                  "unlike counts) → regression.")
        tv, tv_uniform = _count_fit(y)
        if k >= 5 and tv < 0.12 and tv < 0.5 * tv_uniform:
            return "counts", (f"y holds non-negative integers 0..{int(distinct.max())} whose frequencies follow a "
                              f"Poisson/negative-binomial shape (total-variation distance {_g(tv, 2)}, vs "
                              f"{_g(tv_uniform, 2)} to equal class shares) → counts (pass task='multiclass' if "
                              "they are class labels).")
        return "multiclass", (f"y holds {k} distinct non-negative integers (at most {MAX_CLASSES}), read as class "
                              "labels → multiclass (pass task='counts' if they count events).")
    if integer and k <= MAX_CLASSES:
        return "multiclass", f"y holds {k} distinct integers, read as class labels → multiclass."
    if distinct.min() >= 0 and distinct.max() <= 1:
        return "probabilities", (f"y lies in [0, 1] ({_g(distinct.min())} to {_g(distinct.max())}) and is not "
                                 f"0/1 ({k} distinct values) → probabilities (soft targets).")
    return "regression", (f"y holds {k} distinct real values ({_g(distinct.min())} to {_g(distinct.max())}) "
                          "→ regression.")


def _check_task(task: str, y: np.ndarray, labels) -> None:
    """A task given by the caller must fit the targets."""
    if task == "multilabel":
        if y.ndim != 2 or not np.isin(y, (0, 1)).all():
            raise ValueError(f"advise: task='multilabel' needs y of shape (N, K) holding 0/1, got shape {y.shape}")
        return
    if y.ndim == 2 and task != "multiclass" and task != "regression":
        raise ValueError(f"advise: task={task!r} needs y of shape (N,), got shape {y.shape}")
    if labels is not None and task not in ("binary", "multiclass"):
        raise ValueError(f"advise: task={task!r} needs numbers, but y holds text labels")
    if task == "binary" and y.ndim == 1 and len(np.unique(y)) != 2:
        raise ValueError(f"advise: task='binary' but y has {len(np.unique(y))} distinct values; expected 2")
    if task == "counts" and (np.any(y < 0) or not np.all(y == np.round(y))):
        raise ValueError("advise: task='counts' needs non-negative integers in y")
    if task == "probabilities" and (np.any(y < 0) or np.any(y > 1)):
        raise ValueError(f"advise: task='probabilities' needs y in [0, 1], got values from "
                         f"{_g(y.min())} to {_g(y.max())}")
    if task == "multiclass" and y.ndim == 1 and not np.all(y == np.round(y)) and labels is None:
        raise ValueError("advise: task='multiclass' needs integer class labels (or one-hot rows) in y")


# ------------------------------------------------------------------------------------------
# statistics
# ------------------------------------------------------------------------------------------
def _robust_scale(r: np.ndarray) -> float:
    """σ̂ = 1.4826 · MAD; falls back on the mean absolute deviation (× √(π/2)) and then the
    standard deviation when more than half the values are equal (MAD = 0)."""
    med = np.median(r)
    mad = np.median(np.abs(r - med))
    if mad > 0:
        return float(MAD_TO_SIGMA * mad)
    mean_ad = np.mean(np.abs(r - med))
    if mean_ad > 0:
        return float(math.sqrt(math.pi / 2) * mean_ad)
    return float(np.std(r))


def _residuals(X, y) -> tuple:
    """Residuals of a Huber (IRLS) linear fit of y on X, or y − median(y) when X is missing or
    too small (N < 2(D + 1) + 10) to fit. -> (residuals, description)."""
    n = len(y)
    if X is None or X.shape[1] == 0 or n < 2 * (X.shape[1] + 1) + 10 or X.shape[1] > 500:
        return y - np.median(y), "the target around its median"
    A = np.column_stack([X, np.ones(n)])
    ridge = 1e-8 * max(1.0, float(np.mean(A * A)))
    w = np.ones(n)
    for _ in range(30):  # iteratively reweighted least squares for Huber's loss (Holland & Welsch 1977)
        sw = np.sqrt(w)
        Aw = A * sw[:, None]
        beta = np.linalg.solve(Aw.T @ Aw + ridge * np.eye(A.shape[1]), Aw.T @ (y * sw))
        r = y - A @ beta
        s = _robust_scale(r)
        if s <= 0:
            break
        w_new = np.minimum(1.0, HUBER_K * s / np.maximum(np.abs(r), 1e-300))
        if np.max(np.abs(w_new - w)) < 1e-6:
            break
        w = w_new
    return y - A @ beta, "the residuals of a robust linear fit of y on the features"


def _moments(r: np.ndarray) -> tuple:
    c = r - r.mean()
    m2 = float(np.mean(c ** 2))
    if m2 <= 0:
        return 0.0, 0.0
    return float(np.mean(c ** 3) / m2 ** 1.5), float(np.mean(c ** 4) / m2 ** 2 - 3.0)


# ------------------------------------------------------------------------------------------
# per task
# ------------------------------------------------------------------------------------------
def _loss_note(name: str) -> str:
    """What the registry says about a loss's growth and smoothness, as a clause."""
    from .. import losses as L
    info = L.get(name)
    smooth = {"C0": "has a kink (C⁰)", "C1": "is once continuously differentiable (C¹)",
              "Cinf": "is smooth (C^∞)"}.get(info.smoothness, info.smoothness)
    growth = {"quadratic": "quadratically", "linear": "linearly", "logarithmic": "logarithmically",
              "bounded": "boundedly", "exponential": "exponentially"}.get(info.growth, info.growth)
    return f"it grows {growth} for large errors and {smooth}"


def _regression(X, y, findings, warnings):
    n = len(y)
    r, what = _residuals(X, y)
    scale = _robust_scale(r)
    z = (r - np.median(r)) / scale if scale > 0 else np.zeros_like(r)
    n_out = int(np.sum(np.abs(z) > Z_OUTLIER))
    share = n_out / n
    skew, kurt = _moments(r)
    kurt_limit = max(1.0, 4.0 * math.sqrt(24.0 / n))
    outliers = share > 0.01 and n_out >= 2
    heavy = kurt > kurt_limit
    findings.append(Finding("noise_scale", scale,
                            f"Robust noise scale σ̂ = 1.4826·MAD = {_g(scale)}, measured on {what}."))
    if outliers:
        warnings.append("outlier_share")
        s = (f"{n_out} of {n} rows ({_g(100 * share, 2)} %) have robust |z| > {Z_OUTLIER} (Gaussian noise "
             f"gives about 0.05 %): the target has gross outliers, which a squared loss lets dominate the fit.")
    else:
        s = (f"{n_out} of {n} rows ({_g(100 * share, 2)} %) have robust |z| > {Z_OUTLIER}, as few as "
             "Gaussian noise gives: no gross outliers.")
    findings.append(Finding("outlier_share", share, s))
    if heavy:
        warnings.append("excess_kurtosis")
        s = (f"Excess kurtosis {_g(kurt)} (0 for a Gaussian; above {_g(kurt_limit, 2)} is beyond sampling noise "
             f"for {n} rows): the noise is heavy-tailed.")
    else:
        s = f"Excess kurtosis {_g(kurt)} (0 for a Gaussian, limit {_g(kurt_limit, 2)} here): tails look Gaussian."
    findings.append(Finding("excess_kurtosis", kurt, s))
    findings.append(Finding("skewness", skew, f"Skewness of the residuals {_g(skew)} (0 for symmetric noise)."))

    # the scale is judged on robust statistics (median, 1.4826·MAD), so that outliers do not
    # inflate it; those are also the centre and scale to standardize with
    mean, std = float(y.mean()), float(y.std())
    center, spread = float(np.median(y)), _robust_scale(y)
    stats = {"mean": mean, "std": std, "median": center, "robust_std": spread}
    transform = None
    if not (0.1 <= spread <= 10.0) or abs(center) > 10.0:
        warnings.append("target_scale")
        transform = (center, spread if spread > 0 else 1.0)
        findings.append(Finding("target_scale", stats,
                                f"The target has median {_g(center)} and robust spread {_g(spread)} (mean {_g(mean)}, "
                                f"std {_g(std)}), far from 0 and 1: standardize it, y' = (y − {_g(center)}) / "
                                f"{_g(spread)}, and undo that on predictions; otherwise MSE starts near "
                                f"{_g(mean ** 2 + std ** 2)}, its gradients are {_g(max(spread, abs(center)))}× those "
                                "of a unit-scale target, and the last layer's bias must travel the whole mean."))
    else:
        findings.append(Finding("target_scale", stats,
                                f"The target has median {_g(center)} and robust spread {_g(spread)} (mean {_g(mean)}, "
                                f"std {_g(std)}): close enough to unit scale, no rescaling needed."))

    unit = transform[1] if transform else 1.0
    delta = HUBER_K * scale / unit
    q90 = float(np.quantile(np.abs(r - np.median(r)), 0.9)) / unit
    units = "standardized units" if transform else "target units"
    d = f"{delta:.3g}"
    huber_why = (f"δ = 1.345·σ̂ = {d} ({units}) keeps the quadratic part for ordinary noise (95 % of MSE's efficiency "
                 f"on Gaussian data) and caps each residual's pull at δ beyond it; the 90th percentile of "
                 f"|residual| ({_g(q90)}) is an alternative choice. {_cap(_loss_note('huber_loss'))}.")
    if outliers or heavy:
        cause = (f"{_g(100 * share, 2)} % outliers" if outliers else f"excess kurtosis {_g(kurt)}")
        cands = [Candidate(f"huber_loss:delta={d}", f"Robust to the {cause} yet smooth near zero: {huber_why}"),
                 Candidate("l1_loss", f"MAE fits the conditional median, which the {cause} cannot move far; "
                                      f"{_loss_note('l1_loss')}, so its gradient does not shrink near the optimum "
                                      "(decay the learning rate)."),
                 Candidate("mse_loss", f"For comparison only: with {cause} the squared loss lets the largest "
                                       f"residuals dominate the gradient ({_loss_note('mse_loss')}).")]
    else:
        cands = [Candidate("mse_loss", f"Residual tails look Gaussian ({_g(100 * share, 2)} % beyond |z| = 3.5, "
                                       f"excess kurtosis {_g(kurt)}), so MSE is the maximum-likelihood loss and the "
                                       f"fastest to optimize; {_loss_note('mse_loss')}."),
                 Candidate(f"huber_loss:delta={d}", f"Insurance against outliers that may appear later: "
                                                    f"{huber_why}"),
                 Candidate("l1_loss", "MAE, if you want the error in the target's units and the median rather than "
                                      f"the mean; {_loss_note('l1_loss')}.")]
    return cands, transform


def _classes(y, labels, task, findings, warnings):
    vals, counts = np.unique(y, return_counts=True)
    names = [str(labels[int(v)]) if labels is not None else _g(v) for v in vals]
    n = len(y)
    ratio = float(counts.max() / counts.min())
    i_min = int(np.argmin(counts))
    minority_share = float(counts[i_min] / n)
    per_class = ", ".join(f"{nm}: {c}" for nm, c in zip(names, counts))
    findings.append(Finding("class_counts", {nm: int(c) for nm, c in zip(names, counts)},
                            f"Class counts {per_class}."))
    if ratio >= 10:
        level = "severe"
    elif ratio >= 3:
        level = "imbalanced"
    elif ratio >= 1.5:
        level = "mild"
    else:
        level = "balanced"
    text = {"severe": "severe imbalance: a model can score high accuracy by ignoring the minority",
            "imbalanced": "imbalanced: the minority contributes little to a plain cross-entropy's gradient",
            "mild": "mild imbalance: a plain cross-entropy copes, class weights are optional",
            "balanced": "balanced classes"}[level]
    findings.append(Finding("imbalance_ratio", ratio,
                            f"Largest/smallest class ratio {_g(ratio)} and minority share {_g(100 * minority_share, 3)} % "
                            f"(class {names[i_min]}): {text}."))
    findings.append(Finding("minority_share", minority_share,
                            f"The minority class {names[i_min]} has {counts[i_min]} of {n} rows."))
    if level in ("imbalanced", "severe"):
        warnings.append("imbalance_ratio")
    if counts.min() < 10:
        warnings.append("small_class")
        findings.append(Finding("small_class", int(counts.min()),
                                f"Class {names[i_min]} has only {counts.min()} rows: validation metrics on it will be "
                                "noisy; consider more data or stratified folds."))
    imbalanced = level in ("imbalanced", "severe")
    if task == "binary":
        if labels is None and set(np.round(vals, 12).tolist()) == {-1.0, 1.0}:
            findings.append(Finding("label_encoding", "±1",
                                    "Labels are −1/+1: map them to 0/1 with (y + 1)/2 for cross-entropy losses "
                                    "(hinge losses take ±1)."))
        elif labels is None and set(vals.tolist()) != {0, 1}:
            findings.append(Finding("label_encoding", [float(v) for v in vals],
                                    f"Labels are {names[0]}/{names[1]}: map them to 0/1 for cross-entropy."))
        n_pos, n_neg = int(counts[-1]), int(counts[0])
        pw = n_neg / n_pos
        pos_share = n_pos / n
        alpha = round(1.0 - pos_share, 3)
        weighted = Candidate(f"binary_cross_entropy_with_logits:pos_weight={pw:.3g}",
                             f"Class-weighted BCE: pos_weight = n_negative/n_positive = {n_neg}/{n_pos} = {pw:.3g} "
                             f"makes both classes weigh the same in the loss (ratio {_g(ratio)}).")
        focal = Candidate(f"sigmoid_focal_loss:alpha={alpha:g},gamma=2",
                          f"Focal loss: (1 − p_t)^2 down-weights the many easy examples and α = {alpha:g} "
                          f"(1 − positive share {_g(pos_share)}) balances the classes (ratio {_g(ratio)}).")
        plain = Candidate("binary_cross_entropy_with_logits",
                          "Binary cross-entropy on logits (the sigmoid is applied inside, stably): the "
                          "maximum-likelihood loss for 0/1 labels and smooth; "
                          + ("for comparison only: with this imbalance its gradient is dominated by the majority."
                             if imbalanced else f"{_loss_note('binary_cross_entropy_with_logits')}."))
        if imbalanced:
            return [weighted, focal, plain]
        if level == "mild":
            return [plain, weighted, Candidate("hinge_loss", "Hinge (max-margin, as an SVM): no probabilities, "
                                                             "but only the examples near the boundary matter.")]
        return [plain, Candidate("hinge_loss", "Hinge (max-margin, as an SVM): no probabilities, but only the "
                                               f"examples near the boundary matter; {_loss_note('hinge_loss')}."),
                focal]
    # multiclass
    inv = n / (len(vals) * counts)
    weights = "/".join(f"{w:.3g}" for w in inv)
    plain = Candidate("cross_entropy",
                      "Categorical cross-entropy on logits (log_softmax inside): the maximum-likelihood loss "
                      f"for {len(vals)} classes and smooth; "
                      + ("for comparison only: with this imbalance the majority dominates it."
                         if imbalanced else f"{_loss_note('cross_entropy')}."))
    weighted = Candidate(f"cross_entropy:weight={weights}",
                         f"Class-weighted cross-entropy: w_c = n/(C·n_c) = {weights.replace('/', ', ')} (as "
                         "scikit-learn's class_weight='balanced'), so every class carries the same total weight "
                         f"in the gradient (ratio {_g(ratio)}); `cross_entropy:weight=balanced` computes the same "
                         "from the training split.")
    focal = Candidate(f"focal_loss:alpha={weights},gamma=2" if imbalanced else "focal_loss:gamma=2",
                      f"Focal loss: (1 − p_y)^2 shifts the gradient to hard, often minority, examples (ratio "
                      f"{_g(ratio)})" + (", with the same class weights as α." if imbalanced else "."))
    smooth = Candidate("cross_entropy:label_smoothing=0.1",
                       "Cross-entropy with label smoothing 0.1: the same optimum for the ranking of classes, "
                       "better calibrated and less over-confident probabilities.")
    if imbalanced:
        return [weighted, focal, plain]
    return [plain, smooth, focal]


def _counts(y, findings, warnings):
    mean, var = float(y.mean()), float(y.var())
    disp = var / mean if mean > 0 else float("inf")
    zeros = float(np.mean(y == 0))
    findings.append(Finding("count_mean", mean, f"Counts have mean {_g(mean)} and variance {_g(var)}."))
    if disp > 2:
        warnings.append("dispersion_index")
        s = (f"Dispersion index var/mean = {_g(disp)} (1 for Poisson): over-dispersed; Poisson still fits the mean, "
             "but its standard errors are too small (a negative-binomial loss would model the extra variance).")
    else:
        s = f"Dispersion index var/mean = {_g(disp)} (1 for Poisson): Poisson-like."
    findings.append(Finding("dispersion_index", disp, s))
    findings.append(Finding("zero_share", zeros, f"{_g(100 * zeros, 3)} % of the counts are 0."))
    return [Candidate("poisson_nll_loss:log_input=true",
                      f"Poisson negative log-likelihood on log-rates: the model outputs log λ, so predictions "
                      f"exp(output) stay positive and the loss's variance grows with the mean as the data's does "
                      f"(var/mean = {_g(disp)})."),
            Candidate("mean_squared_logarithmic_error",
                      "MSLE compares log(1 + prediction) with log(1 + count): relative errors, so large counts "
                      "do not dominate (softplus keeps predictions non-negative)."),
            Candidate("mse_loss", "For comparison: MSE treats counts as Gaussian with constant variance, so the "
                                  f"largest counts (max {int(y.max())}) dominate the fit.")]


def _probabilities(y, findings):
    mean = float(y.mean())
    hard = float(np.mean((y == 0) | (y == 1)))
    findings.append(Finding("target_range", (float(y.min()), float(y.max())),
                            f"Targets lie in [{_g(y.min())}, {_g(y.max())}] with mean {_g(mean)}; "
                            f"{_g(100 * hard, 3)} % are exactly 0 or 1."))
    return [Candidate("binary_cross_entropy_with_logits",
                      "BCE with soft targets t ∈ [0, 1]: minimized at σ(output) = t, so the sigmoid of the "
                      "output estimates the probability; finite for any logit."),
            Candidate("mse_loss", "MSE on the probability scale (apply a sigmoid to the output, or accept "
                                  "unbounded predictions): simple, but its gradient vanishes where a sigmoid "
                                  "saturates."),
            Candidate("l1_loss", "MAE on the probability scale: the median, robust to a few wrong targets.")]


def _multilabel(y, findings, warnings):
    share = y.mean(axis=0)
    k = y.shape[1]
    findings.append(Finding("label_shares", share.tolist(),
                            f"Per-label positive shares range from {_g(100 * share.min(), 3)} % to "
                            f"{_g(100 * share.max(), 3)} % over {k} labels; {_g(y.sum(axis=1).mean())} labels per row "
                            "on average."))
    rare = share.min() < 0.05
    if rare:
        warnings.append("rare_label")
        findings.append(Finding("rare_label", float(share.min()),
                                f"Label {int(np.argmin(share))} is positive in only {_g(100 * share.min(), 3)} % of "
                                "the rows: give it pos_weight ≈ (1 − share)/share in BCE."))
    pw = "/".join(f"{(1 - s) / max(s, 1e-12):.3g}" for s in share)
    return [Candidate("binary_cross_entropy_with_logits",
                      f"One sigmoid cross-entropy per label on {k} logits: labels are not exclusive, so no softmax"
                      + (f"; per-label pos_weight = {pw} from Python for the rare labels." if rare else ".")),
            Candidate("sigmoid_focal_loss:alpha=0.25,gamma=2",
                      "Focal loss per label: down-weights the many easy negatives (RetinaNet's setting)."),
            Candidate("hinge_loss", "Per-label hinge (labels mapped to ±1): margins, no probabilities.")]


# ------------------------------------------------------------------------------------------
# activation and optimizer
# ------------------------------------------------------------------------------------------
def _activation(spec: str) -> tuple:
    from ..build import resolve_loss
    info = resolve_loss(spec).info
    act = info.output_activation
    kind = info.input_kind
    predict = {"logits": "apply sigmoid (binary) or softmax (classes) to the outputs to read probabilities",
               "log-rates": "predict exp(output)",
               "rates": "pass the output through softplus to keep it positive",
               "probabilities": "the output must already be a probability",
               "scores": "the sign / the largest score is the prediction",
               "real": "the raw output is the prediction"}.get(kind, "")
    why = (f"{info.name} takes {kind} (registry: output_activation = {act!r}); the model's last layer stays "
           f"linear during training — {predict}.")
    return act, why


def _optimizer(task, n, cands, transform) -> OptimizerAdvice:
    first = cands[0].spec.split(":")[0]
    lr = 1e-2 if n < 5000 else 1e-3
    why = (f"Adam adapts each parameter's step to its gradient's scale, which forgives an imperfect scale of "
           f"inputs and target; with {n} rows (≈ {max(1, math.ceil(n / 32))} mini-batches of 32 per epoch) start "
           f"at lr {lr:g}" + (" (few updates per epoch)" if n < 5000 else "")
           + " and lower it tenfold if the loss is noisy.")
    if first == "l1_loss" or (first.startswith("huber") and task == "regression"):
        why += (" A robust loss's gradient has constant size on large residuals, so add a decaying schedule "
                "(e.g. cosine) to settle.")
    if transform is not None:
        why += (f" Standardize the target first (std {_g(transform[1])}); then SGD with momentum 0.9 at lr 0.01–0.05 "
                "is a good alternative.")
    else:
        why += " SGD with momentum 0.9 at lr 0.01–0.05 is the classic alternative once the features are standardized."
    return OptimizerAdvice("adam", lr, (1e-3, 1e-2), why)


# ------------------------------------------------------------------------------------------
def advise(X, y, *, task: str | None = None) -> Advice:
    """Recommend losses, an output activation and an optimizer for predicting ``y`` from ``X``.

    Formula: robust z-scores z = (r − median r) / (1.4826 · MAD(r)) of the residuals r of a
    Huber-IRLS linear fit (or of y − median y); outliers when more than 1 % (and at least 2)
    have |z| > 3.5; heavy tails when the excess kurtosis m₄/m₂² − 3 exceeds max(1, 4·√(24/N));
    Huber δ = 1.345 · σ̂; imbalance ratio = n_largest / n_smallest (mild ≥ 1.5, imbalanced ≥ 3,
    severe ≥ 10); target scale flagged when std ∉ [0.1, 10] or |mean| > 10; counts told from
    class labels by more than 20 distinct values or by a Poisson/negative-binomial shape.

    Args:
        X: features, (N, D) (or (N,), or None to look at the target alone).
        y: targets: (N,) numbers or text labels, (N, 1), or (N, K) one-hot / 0-1 multilabel /
            soft class probabilities.
        task: None to detect, or one of :data:`TASKS` to impose (checked against y).

    Shape:
        X (N, D); y (N,), (N, 1) or (N, K).

    Returns:
        An :class:`Advice`; ``advice.text`` reads as a short report, ``advice.candidates[0].spec``
        is a spec for :func:`losslab.build.resolve_loss`.

    Example:
        >>> import numpy as np
        >>> y = np.r_[np.zeros(190, int), np.ones(10, int)]
        >>> a = advise(np.zeros((200, 1)), y)
        >>> a.task, a.warnings, a.candidates[0].spec
        ('binary', ['imbalance_ratio'], 'binary_cross_entropy_with_logits:pos_weight=19')

    Note:
        Candidate specs all resolve with :func:`losslab.build.resolve_loss`; per-class weights
        are written ``weight=w0/w1/...``. For multilabel and probability targets the
        specs are binary losses applied element-wise.
    """
    Xa, ya, labels = _check_inputs(X, y, task)
    if task is None:
        task, why = _detect(ya, labels)
    else:
        _check_task(task, ya, labels)
        why = f"task {task!r} given by the caller."
    n = len(ya)
    findings = [Finding("task", task, f"Task: {why}")]
    warnings: list = []
    transform = None
    if task == "multiclass" and ya.ndim == 2:
        ya = np.argmax(ya, axis=1)  # one-hot or soft rows: the most likely class, for the counts
    if task == "regression":
        if ya.ndim == 2:  # multi-output: the statistics of the first output column (noted)
            findings.append(Finding("outputs", ya.shape[1], f"{ya.shape[1]} target columns; the statistics below "
                                                            "are those of the first."))
            ya = ya[:, 0]
        cands, transform = _regression(Xa, ya.astype(np.float64), findings, warnings)
    elif task in ("binary", "multiclass"):
        cands = _classes(ya, labels, task, findings, warnings)
    elif task == "counts":
        cands = _counts(ya.astype(np.float64), findings, warnings)
    elif task == "probabilities":
        cands = _probabilities(ya.astype(np.float64), findings)
    else:
        cands = _multilabel(ya.astype(np.float64), findings, warnings)
    activation, act_why = _activation(cands[0].spec)
    return Advice(task=task, findings=findings, candidates=cands, activation=activation,
                  activation_reason=act_why, optimizer=_optimizer(task, n, cands, transform),
                  warnings=warnings, target_transform=transform, n_samples=n)
