"""``losslab advise``: which loss suits this data, and why — optionally checked by training.

The advice comes from :func:`losslab.analysis.advisor.advise` on the training part of the data;
``--verify`` trains the top candidates with the machinery of ``losslab compare`` (the same
model, initial weights and shuffles for every run) and says whether the advice held.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click
import numpy as np

from ._base import CONTEXT, cli
from .train import (Run, _compare_rows, _fit, _fmt, _load_data, _parse_batch_size, _setup, _table, _usage,
                    _val_predictions)

_TASK_CHOICES = ["regression", "binary", "multiclass", "counts", "probabilities"]


def _is_csv(data: str) -> bool:
    return data.lower().endswith((".csv", ".txt")) or os.sep in data or Path(data).is_file()


def _load(data, target, features, val_fraction, seed, outliers, task):
    """The split to advise on. A CSV's numeric target is read as numbers (task 'regression' for
    load_csv), so that the advisor sees the values themselves and tells counts, probabilities
    and class labels apart; text targets (or --task binary/multiclass) are read as classes."""
    if not _is_csv(data) or task in ("binary", "multiclass") or not target:
        return _load_data(data, target, features, val_fraction, seed, outliers)
    from .. import datasets
    feats = [c.strip() for c in features.split(",") if c.strip()] if features else None
    try:
        return datasets.load_csv(data, target, feats, task="regression", val_fraction=val_fraction, seed=seed)
    except ValueError as exc:
        if "is not a number" not in str(exc):
            raise
        return _load_data(data, target, features, val_fraction, seed, outliers)


def _targets_for_advice(split):
    """The training targets as the advisor should see them, and the task to impose (or None)."""
    y = np.asarray(split.y_train)
    if split.task == "regression":
        return y.reshape(-1), None
    return y, split.task  # class labels (bundled data, or text in a CSV): the task is known


def _standardized(split, center: float, spread: float):
    """The split with its regression targets standardized: (y − center) / spread."""
    from ..datasets import Split
    return Split(split.name, split.task, split.x_train, (split.y_train - center) / spread, split.x_val,
                 (split.y_val - center) / spread, split.feature_names, None, split.mean, split.std)


def _verify_metric(advice, split, runs, task):
    """-> (column name, values per run, True when lower is better)."""
    if task == "regression":
        unit = advice.target_transform[1] if advice.target_transform else 1.0
        values = []
        for r in runs:
            out = _val_predictions(r.model, split).reshape(-1)
            kind = r.loss.info.input_kind
            pred = np.exp(out) if kind == "log-rates" else (np.logaddexp(0.0, out) if kind == "rates" else out)
            values.append(float(np.mean(np.abs(pred - split.y_val.reshape(-1)))) * unit)
        plain = advice.target_transform is None and all(r.loss.info.input_kind == "real" for r in runs)
        return ("val_mae" if plain else "val_mae (y units)"), values, True
    imbalanced = "imbalance_ratio" in advice.warnings
    key = "val_f1" if imbalanced else "val_accuracy"
    return key, [float(r.history.last.get(key, float("nan"))) for r in runs], False


@cli.command(context_settings=CONTEXT)
@click.argument("data", metavar="DATA")
@click.option("--target", metavar="COLUMN", help="The CSV column to predict (required with a CSV).")
@click.option("--features", metavar="A,B,...", help="CSV feature columns (default: every other column).")
@click.option("--task", type=click.Choice(_TASK_CHOICES), default=None,
              help="Impose the task instead of detecting it (e.g. counts for integer targets).")
@click.option("--outliers", type=click.FloatRange(0.0, 0.5), default=None,
              help="For DATA linear: the share of gross outliers in the training part.")
@click.option("--val-fraction", type=click.FloatRange(0.05, 0.9), default=0.2, show_default=True,
              help="Share of the data held out (the advice looks at the training part only).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the split and the training runs.")
@click.option("--verify", is_flag=True, help="Train the top candidates (up to 3) briefly and compare them.")
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True, help="Epochs per --verify run.")
@click.option("--model", default="mlp:32", show_default=True, metavar="SPEC", help="Model for --verify.")
@click.option("--batch-size", default="32", show_default=True, metavar="full|1|m", help="Batch size for --verify.")
@click.option("--json", "as_json", is_flag=True, help="Print the advice as JSON.")
def advise(data, target, features, task, outliers, val_fraction, seed, verify, epochs, model, batch_size,
           as_json) -> None:
    """Recommend a loss, an output activation and an optimizer for DATA, with the reasons.

    DATA is a bundled dataset (digits, breast_cancer, diabetes, iris, wine, moons, circles,
    spirals, xor, blobs, linear) or a CSV file with a header row (then --target is required).
    The advisor detects the task, measures outliers and heavy tails (robust z-scores of the
    residuals, excess kurtosis), class imbalance and the target's scale, and ranks losses.
    With --verify the top candidates are trained as `losslab compare` would, e.g.
    `losslab advise linear --outliers 0.1 --verify`.
    """
    from ..analysis.advisor import advise as _advise

    try:
        split = _load(data, target, features, val_fraction, seed, outliers, task)
        y, imposed = _targets_for_advice(split)
        if task is not None:
            imposed = task
        advice = _advise(split.x_train, y, task=imposed)
        bs = _parse_batch_size(batch_size)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise _usage(exc) from None
    if as_json:
        click.echo(json.dumps({"data": split.name, **advice.as_dict()}, indent=2))
    else:
        click.echo(f"data: {split.name}, {len(split.x_train)} training rows, {split.n_features} features")
        click.echo(advice.text)
    if verify:
        _verify(advice, split, data, target, features, val_fraction, seed, outliers, epochs, model, bs)


def _verify(advice, split, data, target, features, val_fraction, seed, outliers, epochs, model, bs):
    if advice.task in ("probabilities", "multilabel"):
        click.echo(f"\n--verify: not available for {advice.task} targets (training runs take regression, binary "
                   "or multiclass data); try the candidates from Python with losslab.train.fit.")
        return
    try:
        if advice.task in ("binary", "multiclass") and split.task == "regression":
            # a CSV's numeric class labels were read as numbers for the advice; train on classes
            split = _load_data(data, target, features, val_fraction, seed, outliers)
        train_split = split
        if advice.target_transform is not None and split.task == "regression":
            train_split = _standardized(split, *advice.target_transform)
        specs = [c.spec for c in advice.candidates[:3]]
        opt, lr = advice.optimizer.spec, advice.optimizer.lr
        setups = [(s, _setup(train_split, s, opt, bs, lr, model, "relu", None, epochs, seed)) for s in specs]
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise _usage(exc) from None
    task = setups[0][1][6]
    note = " on the standardized target" if train_split is not split else ""
    click.echo(f"\nverify: {len(specs)} runs of {model}, {opt} lr {lr:g}, batch {bs}, {epochs} epochs{note} "
               "(same initial weights and shuffles)")
    runs = [_fit(Run(s, setup[0], opt, bs, setup[7]), setup, epochs, seed, None, True) for s, setup in setups]
    rows, records = _compare_rows(runs, train_split, task)
    name, values, lower = _verify_metric(advice, train_split, runs, task)
    if name not in records[0]:
        for rec, v in zip(records, values):
            rec[name] = _fmt(v)
    keep = [k for k in records[0] if k not in ("run", "optimizer", "batch", "lr", "updates/epoch")]
    click.echo(_table(keep, [[rec[k] for k in keep] for rec in records]))
    click.echo(_verdict(runs, values, name, lower))


def _verdict(runs, values, name, lower) -> str:
    """Whether the first candidate came out best (or within a tolerance of the best: 10 % of the
    error for regression, 0.02 for accuracy / F1) on the held-out part."""
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return "advice could not be checked: every run diverged"
    best = min(finite) if lower else max(finite)
    top = values[0]
    label = runs[0].loss.label
    others = ", ".join(f"{r.loss.label} {_fmt(v)}" for r, v in zip(runs[1:], values[1:]))
    if np.isfinite(top) and top == best:
        return f"advice held: {label} has the {'lowest' if lower else 'highest'} {name} ({_fmt(top)}; {others})."
    winner = runs[values.index(best)].loss.label
    close = np.isfinite(top) and (top <= 1.1 * best if lower else top >= best - 0.02)
    if close:
        gap = f"{100 * (top / best - 1):.1f} %" if lower else f"{best - top:.3f}"
        return (f"advice held: {label} ({name} {_fmt(top)}) is within {gap} of the best run, {winner} "
                f"({_fmt(best)}; {others}).")
    return (f"advice did not hold on this run: {winner} reached {name} {_fmt(best)} against {label}'s "
            f"{_fmt(top)} ({others}); try more --epochs or another --seed.")
