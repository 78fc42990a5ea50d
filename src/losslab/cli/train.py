"""``losslab train`` and ``losslab compare``: gradient descent on real data, end to end.

Both commands check every input before training starts (data, loss against the data's task,
optimizer, schedule, batch size, the output folder) so that a mistake ends with a one-line
error, a non-zero exit code and nothing written.
"""
from __future__ import annotations

import itertools
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import numpy as np

from ._base import CONTEXT, cli

#: Learning rates used when --lr is not given: each optimizer family's usual starting point.
DEFAULT_LR = {"sgd": 0.05, "asgd": 0.05, "adagrad": 0.05, "adadelta": 1.0, "rprop": 0.01, "lion": 1e-3,
              "gd": 0.05, "momentum": 0.05, "nesterov": 0.05}
_FALLBACK_LR = 0.01
#: The loss used when --loss is not given, per task of the data.
DEFAULT_LOSS = {"multiclass": "cross_entropy", "binary": "binary_cross_entropy_with_logits", "regression": "mse_loss"}


# ----------------------------------------------------------------------------- shared options
def _data_options(f):
    # click shows options in the order the decorators are listed, i.e. the reverse of the order
    # they are applied here: apply the last option first
    f = click.option("--outliers", type=click.FloatRange(0.0, 0.5), default=None,
                     help="For --data linear: the share of gross outliers in the training part.")(f)
    f = click.option("--val-fraction", type=click.FloatRange(0.05, 0.9), default=0.2, show_default=True,
                     help="Share of the data held out for validation (stratified for classes).")(f)
    f = click.option("--features", metavar="A,B,...", help="CSV feature columns (default: every other column).")(f)
    f = click.option("--target", metavar="COLUMN", help="The CSV column to predict (required with a CSV).")(f)
    f = click.option("--data", default="digits", show_default=True, metavar="NAME|CSV",
                     help="A bundled dataset (digits, breast_cancer, diabetes, iris, wine, moons, circles, "
                          "spirals, xor, blobs, linear) or the path of a CSV file with a header row.")(f)
    return f


def _task_option(f):
    return click.option("--task", type=click.Choice(["regression", "binary", "multiclass", "classification"]),
                        default=None, help="For a CSV: how to read the target column (default: inferred — "
                        "text or few distinct integers are classes, other numbers regression). Use it for "
                        "integer targets that are quantities (counts, scores): --task regression.")(f)


def _model_options(f):
    f = click.option("--quiet", is_flag=True, help="No progress bars.")(f)
    f = click.option("--clip-grad-norm", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Clip the gradient norm to this value before each step.")(f)
    f = click.option("--schedule", metavar="SPEC", help="A learning-rate schedule per epoch, e.g. 'cosine', "
                     "'step:step_size=10,gamma=0.5' (see `losslab schedule --help`).")(f)
    f = click.option("--seed", type=int, default=0, show_default=True,
                     help="Seeds the split, the initial weights and the shuffling.")(f)
    f = click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True, help="Passes over the data.")(f)
    f = click.option("--activation", default="relu", show_default=True,
                     help="Hidden activation: relu, tanh, sigmoid, gelu, leaky_relu, elu, softplus.")(f)
    f = click.option("--model", default="mlp:64", show_default=True, metavar="SPEC",
                     help="'linear' or 'mlp:H1,H2,...' (hidden widths).")(f)
    return f


def _parse_batch_size(value: str):
    v = str(value).strip().lower()
    if v in ("full", "batch", "all"):
        return "full"
    try:
        n = int(v)
    except ValueError:
        raise ValueError(f"--batch-size must be 'full' (batch gradient descent), 1 (stochastic) or a "
                         f"positive integer m (mini-batch), got {value!r}") from None
    if n < 1:
        raise ValueError(f"--batch-size must be 'full' or a positive integer, got {value!r}")
    return n


def _load_data(data: str, target, features, val_fraction: float, seed: int, outliers, task=None):
    from .. import datasets

    feats = [c.strip() for c in features.split(",") if c.strip()] if features else None
    is_csv = data.lower().endswith((".csv", ".txt")) or os.sep in data or Path(data).is_file()
    if is_csv:
        if not target:
            raise ValueError(f"--target is required with a CSV file ({data}): name the column to predict")
        try:
            return datasets.load_csv(data, target, feats, task=task, val_fraction=val_fraction, seed=seed)
        except ValueError as exc:
            if task is None and "class" in str(exc):  # integer targets read as classes by inference
                raise ValueError(f"{exc}. If {target!r} is a quantity (a count, a score) rather than a "
                                 "class label, pass --task regression") from None
            raise
    if target or feats or task:
        raise ValueError(f"--target, --features and --task apply to CSV files; {data!r} is a bundled dataset "
                         "(its task is fixed: see `losslab train --help`)")
    options = {"outliers": outliers} if outliers is not None else {}
    return datasets.load(data, val_fraction=val_fraction, seed=seed, **options)


def _prepare_out(out: str) -> Path:
    """Create --out and check that files can be written there, before any training."""
    path = Path(out)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".losslab-write-test-"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write to --out {out!r}: {exc.strerror or exc}") from None
    return path


def _default_lr(optimizer_spec: str) -> float:
    return DEFAULT_LR.get(optimizer_spec.split(":")[0].strip().lower(), _FALLBACK_LR)


@dataclass
class Run:
    """One training run's setup and outcome (a row of the summary)."""

    label: str
    loss: object
    optimizer_spec: str
    batch_size: object
    lr: float
    history: object = None
    seconds: float = 0.0
    updates_per_epoch: int = 0
    model: object = None
    extra: dict = field(default_factory=dict)


def _setup(split, loss_spec, optimizer_spec, batch_size, lr, model_spec, activation, schedule, epochs, seed):
    """Build (loss choice, model, optimizer, scheduler, loaders, fit task) — every check, no training."""
    import losslab as ll
    from ..build import build_model, build_optimizer, build_scheduler, check_loss_fits_task, resolve_loss
    from ..data import DataLoader

    choice = resolve_loss(loss_spec or DEFAULT_LOSS[split.task])
    n_outputs = check_loss_fits_task(choice, split.task, split.n_classes)
    if split.task != "regression":  # weight=balanced etc. from the training targets only
        choice = choice.balanced(split.y_train, split.n_classes)
    ll.manual_seed(seed)  # the same initial weights for every run of a comparison
    model = build_model(model_spec, split.n_features, n_outputs, activation=activation)
    lr = lr if lr is not None else _default_lr(optimizer_spec)
    optimizer = build_optimizer(optimizer_spec, model.parameters(), lr=lr)
    scheduler = build_scheduler(schedule, optimizer, epochs)
    train_ds, val_ds = split.train_dataset(), split.val_dataset()
    train = DataLoader(train_ds, batch_size=batch_size, shuffle=True, seed=seed)
    val = DataLoader(val_ds, batch_size="full")
    task = "regression" if split.task == "regression" else choice.info.task
    return choice, model, optimizer, scheduler, train, val, task, lr


def _fit(run: Run, setup, epochs, seed, clip, quiet, callbacks=()):
    from ..train import fit

    choice, model, optimizer, scheduler, train, val, task, _ = setup
    t0 = time.perf_counter()
    run.history = fit(model, choice, optimizer, train, val, epochs=epochs, scheduler=scheduler, task=task,
                      progress=not quiet, clip_grad_norm=clip, seed=seed, callbacks=list(callbacks),
                      compile=True)  # our models branch on nothing: replay (bit for bit the eager run)
    run.seconds = time.perf_counter() - t0
    run.updates_per_epoch = len(train)
    run.model = model
    return run


def _main_metric(task: str) -> str:
    return "val_r2" if task == "regression" else "val_accuracy"


def _fmt(v, spec=".4f") -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and not np.isfinite(v):
        return "nan" if np.isnan(v) else "inf"
    if isinstance(v, float) and spec.endswith("f") and abs(v) >= 1e6:
        return format(v, ".4g")  # a diverged run: 1.236e+20, not 21 digits
    return format(v, spec) if isinstance(v, (int, float)) else str(v)


def _table(header: list, rows: list) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _curve_noise(step_losses) -> float | None:
    """Mean absolute change between successive per-step losses, relative to the mean loss: how
    jagged the training curve is (near 0 for a smooth descent). Means, not medians: with
    single-sample steps most losses can be exactly 0, and a median would then read 0."""
    s = np.asarray(step_losses, dtype=float)
    s = s[np.isfinite(s)]
    if s.size < 3:
        return None
    return float(np.mean(np.abs(np.diff(s))) / max(np.mean(np.abs(s)), 1e-12))


def _usage(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


# ----------------------------------------------------------------------------- train
@cli.command(context_settings=CONTEXT)
@_data_options
@_task_option
@_model_options
@click.option("--loss", metavar="SPEC", help="A loss name and its parameters, e.g. 'huber:delta=0.5' (default: "
              "cross_entropy for classes, binary_cross_entropy_with_logits for two, mse_loss for regression).")
@click.option("--optimizer", default="adam", show_default=True, metavar="SPEC",
              help="An optimizer and its options, e.g. 'sgd', 'momentum', 'nesterov', 'adam:betas=0.9/0.99'.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Learning rate η (default: the optimizer's usual one — 0.05 for SGD variants and Adagrad, "
                   "1.0 for Adadelta, 1e-3 for Lion, 0.01 for the rest).")
@click.option("--batch-size", default="32", show_default=True, metavar="full|1|m",
              help="'full': batch gradient descent; 1: stochastic gradient descent; m: mini-batch.")
@click.option("--patience", type=click.IntRange(min=1), default=None,
              help="Stop when the validation loss has not improved for this many epochs (best weights kept).")
@click.option("--out", default=None, metavar="DIR", help="Where to write the history, model and plots "
              "(default: runs/<data>).")
@click.option("--no-plots", is_flag=True, help="Do not draw the plots (no matplotlib needed).")
def train(data, target, features, val_fraction, outliers, task, model, activation, epochs, seed, schedule,
          clip_grad_norm, quiet, loss, optimizer, lr, batch_size, patience, out, no_plots) -> None:
    """Train a model by gradient descent on real data and show what happened.

    With no options: an MLP (one hidden layer of 64) on scikit-learn's bundled digits (8×8 images,
    10 classes), cross-entropy, Adam, mini-batches of 32, 20 epochs — a few seconds on a laptop.
    Writes history.csv, history.json, model.npz, run.json and curves.png into --out and prints
    a summary.
    """
    try:
        split = _load_data(data, target, features, val_fraction, seed, outliers, task)
        bs = _parse_batch_size(batch_size)
        setup = _setup(split, loss, optimizer, bs, lr, model, activation, schedule, epochs, seed)
        out_dir = _prepare_out(out or os.path.join("runs", Path(split.name).stem))
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise _usage(exc) from None
    choice, net, opt, _, train_loader, _, task, lr_used = setup
    from ..train import EarlyStopping
    callbacks = [EarlyStopping("val_loss", patience=patience, restore_best_weights=True)] if patience else []
    click.echo(f"data      {split.name}: {split.task}, {len(split.x_train)} train / {len(split.x_val)} validation "
               f"samples, {split.n_features} features" + (f", {split.n_classes} classes" if split.n_classes else ""))
    click.echo(f"model     {model} → {sum(p.data.size for p in net.parameters())} parameters")
    click.echo(f"loss      {choice.label}    optimizer {optimizer} (lr {lr_used:g})    batch {bs} "
               f"({train_loader.mode}, {len(train_loader)} updates/epoch)    epochs {epochs}")
    run = Run(split.name, choice, optimizer, bs, lr_used)
    _fit(run, setup, epochs, seed, clip_grad_norm, quiet, callbacks)
    written = _write_train_outputs(out_dir, run, split, task, no_plots, dict(
        data=data, target=target, features=features, val_fraction=val_fraction, model=model,
        activation=activation, loss=choice.label, optimizer=optimizer, lr=lr_used, batch_size=bs,
        epochs=epochs, seed=seed, schedule=schedule, clip_grad_norm=clip_grad_norm, patience=patience))
    _print_train_summary(run, task)
    click.echo(f"wrote {', '.join(written)} to {out_dir}")
    if run.history.diverged:
        raise click.ClickException(run.history.diverged.splitlines()[0])


def _print_train_summary(run: Run, task: str) -> None:
    h = run.history
    last = h.last
    keys = [k for k in last if k.startswith("val_") and k != "val_loss"]
    best = h.best("val_loss") if "val_loss" in h.keys() and len(h) else last
    rows = [["last epoch", _fmt(last.get("epoch"), "d"), _fmt(last.get("train_loss")), _fmt(last.get("val_loss"))]
            + [_fmt(last.get(k)) for k in keys],
            ["best val_loss", _fmt(best.get("epoch"), "d"), _fmt(best.get("train_loss")), _fmt(best.get("val_loss"))]
            + [_fmt(best.get(k)) for k in keys]]
    click.echo()
    click.echo(_table(["", "epoch", "train_loss", "val_loss", *keys], rows))
    note = " (stopped early)" if h.stopped_early else ""
    click.echo(f"{len(h.step_losses)} updates in {run.seconds:.1f} s{note}; "
               f"{_main_metric(task)} {_fmt(last.get(_main_metric(task)))}")


def _write_train_outputs(out_dir: Path, run: Run, split, task: str, no_plots: bool, config: dict) -> list:
    from ..serialization import save

    h = run.history
    h.to_csv(out_dir / "history.csv")
    h.to_json(out_dir / "history.json")
    save(run.model.state_dict(), out_dir / "model.npz")
    summary = {"config": config, "data": {"name": split.name, "task": split.task, "n_train": len(split.x_train),
                                           "n_val": len(split.x_val), "n_features": split.n_features,
                                           "n_classes": split.n_classes},
               "final": h.last, "seconds": run.seconds, "updates": len(h.step_losses),
               "stopped_early": h.stopped_early, "diverged": h.diverged}
    _atomic_json(out_dir / "run.json", summary)
    written = ["history.csv", "history.json", "model.npz", "run.json"]
    if not no_plots:
        written += _plots(out_dir, run, split, task)
    return written


def _plots(out_dir: Path, run: Run, split, task: str) -> list:
    try:
        from .. import viz
        names = []
        try:
            viz.training_curves(run.history, save=out_dir / "curves.png")
            names.append("curves.png")
        except ValueError as e:  # e.g. training diverged in its first epoch: no curve to draw
            click.echo(f"curves.png skipped: {e}", err=True)
        if split.n_features == 2 and task != "regression":
            viz.decision_boundary(run.model, split.x_val, split.y_val, save=out_dir / "boundary.png")
            names.append("boundary.png")
        return names
    except ImportError:
        click.echo("plots skipped: matplotlib is not installed (pip install 'losslab[plot]')", err=True)
        return []


def _atomic_json(path: Path, obj) -> None:
    from .._atomic import atomic_open

    with atomic_open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, default=_json_default)


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


# ----------------------------------------------------------------------------- compare
@cli.command(context_settings=CONTEXT)
@_data_options
@_task_option
@_model_options
@click.option("--losses", default=None, metavar="A,B,...",
              help="Losses to compare, e.g. 'mse,mae,huber:delta=0.5' (default: the task's usual loss).")
@click.option("--optimizers", default="adam", show_default=True, metavar="A,B,...",
              help="Optimizers to compare, e.g. 'sgd,momentum,nesterov,adam'.")
@click.option("--batch-sizes", default="32", show_default=True, metavar="A,B,...",
              help="Batch sizes to compare, e.g. 'full,1,32' (batch GD, SGD, mini-batch).")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="One learning rate for every run (default: each optimizer's usual one).")
@click.option("--out", default=None, metavar="DIR", help="Where to write the table and plots (default: runs/compare-<data>).")
@click.option("--no-plots", is_flag=True, help="Do not draw the plots.")
def compare(data, target, features, val_fraction, outliers, task, model, activation, epochs, seed, schedule,
            clip_grad_norm, quiet, losses, optimizers, batch_sizes, lr, out, no_plots) -> None:
    """Train the same model on the same data with several losses, optimizers and batch sizes.

    Every run starts from the same initial weights and sees the same shuffles (same --seed).
    Prints a table of final metrics, updates per epoch, curve noise and time per run; writes
    compare.csv, overlaid validation curves (curves.png), per-step training losses (steps.png),
    and for regression the validation set's per-sample absolute errors (val_errors.csv and
    val_errors.png).
    """
    from ..build import split_specs

    try:
        split = _load_data(data, target, features, val_fraction, seed, outliers, task)
        loss_specs = split_specs(losses) if losses else [DEFAULT_LOSS[split.task]]
        opt_specs = split_specs(optimizers)
        sizes = [_parse_batch_size(b) for b in str(batch_sizes).split(",") if b.strip()]
        grid = list(itertools.product(loss_specs, opt_specs, sizes))
        if len(grid) > 36:
            raise ValueError(f"{len(grid)} runs requested; compare at most 36 (fewer losses, optimizers or batch sizes)")
        setups = [(l_, o_, b_, _setup(split, l_, o_, b_, lr, model, activation, schedule, epochs, seed))
                  for l_, o_, b_ in grid]
        out_dir = _prepare_out(out or os.path.join("runs", f"compare-{Path(split.name).stem}"))
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise _usage(exc) from None
    task = setups[0][3][6]
    click.echo(f"data {split.name}: {split.task}, {len(split.x_train)} train / {len(split.x_val)} validation; "
               f"model {model}; {epochs} epochs; {len(setups)} runs")
    runs = []
    for loss_spec, opt_spec, bs, setup in setups:
        label = " ".join(p for p, many in ((setup[0].label, len(loss_specs) > 1), (opt_spec, len(opt_specs) > 1),
                                           (f"batch={bs}", len(sizes) > 1)) if many) or setup[0].label
        run = Run(label, setup[0], opt_spec, bs, setup[7])
        if not quiet:
            click.echo(f"… {label}", err=True)
        runs.append(_fit(run, setup, epochs, seed, clip_grad_norm, True))
    rows, records = _compare_rows(runs, split, task)
    click.echo()
    click.echo(_table(list(records[0]), rows))
    written = _write_compare_outputs(out_dir, runs, records, split, task, no_plots)
    click.echo(f"wrote {', '.join(written)} to {out_dir}")


def _val_predictions(model, split):
    import losslab as ll
    x = ll.tensor(split.x_val.astype(np.float32))
    model.eval()
    with ll.no_grad():
        return model(x).data.astype(np.float64)


def _compare_rows(runs, split, task):
    records = []
    for r in runs:
        last = r.history.last
        rec = {"run": r.label, "loss": r.loss.label, "optimizer": r.optimizer_spec, "batch": str(r.batch_size),
               "lr": f"{r.lr:g}", "updates/epoch": r.updates_per_epoch,
               "train_loss": _fmt(last.get("train_loss")), "val_loss": _fmt(last.get("val_loss"))}
        if task == "regression":
            err = np.abs(_val_predictions(r.model, split).reshape(-1) - split.y_val.reshape(-1))
            r.extra["val_abs_error"] = err
            # a diverged run's model holds restored weights, not those of its last record:
            # errors recomputed from it would not match the row's other numbers
            div = bool(r.history.diverged)
            rec.update({"val_mae": "—" if div else _fmt(float(err.mean())), "val_r2": _fmt(last.get("val_r2")),
                        "p90 |error|": "—" if div else _fmt(float(np.quantile(err, 0.9)))})
        else:
            rec.update({"val_accuracy": _fmt(last.get("val_accuracy")), "val_f1": _fmt(last.get("val_f1"))})
        noise = _curve_noise(r.history.step_losses)
        rec.update({"curve noise": _fmt(noise, ".3f") if noise is not None else "—",
                    "seconds": f"{r.seconds:.2f}", "status": "diverged" if r.history.diverged else "ok"})
        records.append(rec)
    return [list(rec.values()) for rec in records], records


def _write_compare_outputs(out_dir: Path, runs, records, split, task, no_plots) -> list:
    import csv
    written = ["compare.csv"]
    tmp = out_dir / ".compare.csv.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    os.replace(tmp, out_dir / "compare.csv")
    if task == "regression":
        tmp = out_dir / ".val_errors.csv.tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["sample", "target", *[r.label for r in runs]])
            for i in range(len(split.y_val)):
                w.writerow([i, f"{float(split.y_val.reshape(-1)[i]):.6g}",
                            *[f"{r.extra['val_abs_error'][i]:.6g}" for r in runs]])
        os.replace(tmp, out_dir / "val_errors.csv")
        written.append("val_errors.csv")
    for r in runs:
        r.history.to_json(out_dir / f"history-{_slug(r.label)}.json")
    written.append("history-*.json")
    if not no_plots:
        try:
            from .. import viz
            histories = {r.label: r.history for r in runs}
            viz.compare_curves(histories, key=["val_loss", _main_metric(task)], save=out_dir / "curves.png")
            viz.compare_curves(histories, key="step_losses", save=out_dir / "steps.png")
            written += ["curves.png", "steps.png"]
            if task == "regression":
                viz.per_sample_errors({r.label: r.extra["val_abs_error"] for r in runs},
                                      title=f"{split.name}: validation errors per sample",
                                      save=out_dir / "val_errors.png")
                written.append("val_errors.png")
        except ImportError:
            click.echo("plots skipped: matplotlib is not installed (pip install 'losslab[plot]')", err=True)
    return written


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.=" else "_" for c in text).strip("_") or "run"
