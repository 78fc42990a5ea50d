"""``losslab train`` and ``losslab compare``: outputs, summaries, and one-line errors with nothing written."""
import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from losslab.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


def _invoke(runner, *args):
    return runner.invoke(cli, [*map(str, args)], catch_exceptions=False)


def test_train_writes_history_model_run_and_plots(runner, tmp_path):
    out = tmp_path / "run"
    r = _invoke(runner, "train", "--data", "iris", "--epochs", "15", "--model", "mlp:16", "--lr", "0.05",
                "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert "data      iris: multiclass" in r.output and "optimizer adam (lr 0.05)" in r.output
    assert "last epoch" in r.output and "best val_loss" in r.output
    for name in ("history.csv", "history.json", "model.npz", "run.json", "curves.png"):
        assert (out / name).is_file(), name
    hist = json.loads((out / "history.json").read_text())
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert len(rows) == 15 and float(rows[-1]["val_accuracy"]) >= 0.8
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["loss"] == "cross_entropy" and run["data"]["n_classes"] == 3
    assert hist  # parseable
    from losslab.serialization import load
    state = load(out / "model.npz")
    assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_train_binary_2d_draws_a_decision_boundary(runner, tmp_path):
    r = _invoke(runner, "train", "--data", "moons", "--loss", "hinge", "--optimizer", "momentum",
                "--batch-size", "full", "--epochs", "5", "--out", tmp_path, "--quiet")
    assert r.exit_code == 0, r.output
    assert "batch full (batch, 1 updates/epoch)" in r.output
    assert (tmp_path / "boundary.png").is_file()


def test_train_regression_with_a_schedule_and_csv(runner, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    y = 3 * x[:, 0] - x[:, 1] + 0.1 * rng.normal(size=120)
    path = tmp_path / "d.csv"
    with path.open("w") as f:
        f.write("a,b,y\n" + "".join(f"{p:.6f},{q:.6f},{t:.6f}\n" for (p, q), t in zip(x, y)))
    r = _invoke(runner, "train", "--data", path, "--target", "y", "--model", "linear", "--loss", "huber:delta=1",
                "--optimizer", "sgd", "--lr", "0.1", "--schedule", "cosine", "--epochs", "30", "--out",
                tmp_path / "o", "--no-plots", "--quiet")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((tmp_path / "o" / "history.csv").open()))
    assert float(rows[-1]["val_r2"]) > 0.9
    assert not (tmp_path / "o" / "curves.png").exists()


@pytest.mark.parametrize("args, needle", [
    (["--data", "digitz"], "digits"),
    (["--loss", "hubr"], "did you mean 'huber'"),
    (["--loss", "mse"], "regression loss but the targets are class labels"),
    (["--data", "diabetes", "--loss", "ce"], "targets are continuous"),
    (["--optimizer", "adm"], "did you mean 'adam'"),
    (["--batch-size", "0"], "--batch-size"),
    (["--batch-size", "100000"], "100000"),
    (["--schedule", "cosin"], "Did you mean 'cosine'"),
    (["--model", "cnn"], "unknown model"),
    (["--data", "missing.csv"], "--target is required"),
])
def test_train_bad_input_is_one_line_and_writes_nothing(runner, tmp_path, args, needle):
    out = tmp_path / "never"
    r = runner.invoke(cli, ["train", *args, "--epochs", "1", "--out", str(out), "--quiet"])
    assert r.exit_code != 0
    assert needle in r.output, r.output
    assert "Traceback" not in r.output
    assert not out.exists() or not any(out.iterdir())


def test_train_non_positive_lr_is_refused(runner, tmp_path):
    r = runner.invoke(cli, ["train", "--lr", "0", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--lr" in r.output


def test_train_unwritable_out_is_one_line(runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = runner.invoke(cli, ["train", "--data", "iris", "--epochs", "1", "--out", str(blocker / "sub"), "--quiet"])
    assert r.exit_code == 1 and "cannot write to --out" in r.output


def test_compare_losses_on_outliers_shows_robustness(runner, tmp_path):
    r = _invoke(runner, "compare", "--data", "linear", "--outliers", "0.1", "--model", "linear",
                "--losses", "mse,mae,huber", "--optimizers", "adam", "--lr", "0.05", "--epochs", "40",
                "--batch-sizes", "32", "--out", tmp_path, "--no-plots", "--quiet")
    assert r.exit_code == 0, r.output
    rows = {row["loss"]: row for row in csv.DictReader((tmp_path / "compare.csv").open())}
    assert set(rows) == {"mse_loss", "l1_loss", "huber_loss"}
    mae = {k: float(v["val_mae"]) for k, v in rows.items()}
    assert mae["l1_loss"] < mae["mse_loss"] and mae["huber_loss"] < mae["mse_loss"]
    errors = list(csv.DictReader((tmp_path / "val_errors.csv").open()))
    assert len(errors) > 10 and set(errors[0]) == {"sample", "target", "mse_loss", "l1_loss", "huber_loss"}


def test_compare_batch_sizes_shows_updates_and_noise(runner, tmp_path):
    r = _invoke(runner, "compare", "--data", "breast_cancer", "--model", "linear", "--optimizers", "sgd",
                "--batch-sizes", "full,1,32", "--epochs", "3", "--out", tmp_path, "--quiet")
    assert r.exit_code == 0, r.output
    rows = {row["batch"]: row for row in csv.DictReader((tmp_path / "compare.csv").open())}
    n_train = int(rows["1"]["updates/epoch"])
    assert int(rows["full"]["updates/epoch"]) == 1
    assert int(rows["32"]["updates/epoch"]) == -(-n_train // 32)
    assert float(rows["1"]["curve noise"]) > float(rows["32"]["curve noise"])
    for name in ("curves.png", "steps.png"):
        assert (tmp_path / name).is_file()


def test_compare_bad_list_is_refused(runner, tmp_path):
    r = runner.invoke(cli, ["compare", "--losses", "mse,nope", "--data", "diabetes", "--out", str(tmp_path / "c")])
    assert r.exit_code == 1 and "unknown loss 'nope'" in r.output
    assert not (tmp_path / "c").exists()


def test_compare_regression_draws_the_validation_errors(runner, tmp_path):
    r = _invoke(runner, "compare", "--data", "linear", "--outliers", "0.1", "--model", "linear",
                "--losses", "mse,huber", "--lr", "0.05", "--epochs", "3", "--out", tmp_path, "--quiet")
    assert r.exit_code == 0, r.output
    assert "val_errors.png" in r.output.splitlines()[-1]
    assert (tmp_path / "val_errors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # classification comparisons have no per-sample errors to draw
    r = _invoke(runner, "compare", "--data", "iris", "--model", "linear", "--epochs", "1", "--out",
                tmp_path / "iris", "--quiet")
    assert r.exit_code == 0, r.output
    assert "val_errors" not in r.output and not (tmp_path / "iris" / "val_errors.png").exists()


def test_train_diverging_in_first_epoch_reports_without_traceback(tmp_path, capfd):
    # the linter's warnings come out as one line each; a run that diverges before any epoch
    # finished has no curve to draw, which is said, not raised
    from losslab.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", "diabetes", "--loss", "mse", "--model", "mlp:4", "--optimizer", "sgd",
              "--lr", "5", "--epochs", "1", "--out", str(tmp_path)])
    err = capfd.readouterr().err
    assert exit_info.value.code != 0
    assert "warning: [error] learning-rate" in err and "run.history = fit(" not in err
    assert "curves.png skipped" in err and "Traceback" not in err
    assert "Training diverged" in err and (tmp_path / "history.json").exists()


def test_train_with_balanced_class_weights_uses_the_training_split(runner, tmp_path):
    import json

    r = _invoke(runner, "train", "--data", "wine", "--loss", "ce:weight=balanced", "--epochs", "2",
                "--out", tmp_path, "--quiet", "--no-plots")
    assert r.exit_code == 0, r.output
    run = json.loads((tmp_path / "run.json").read_text())
    weights = [float(w) for w in run["config"]["loss"].split("weight=")[1].split("/")]
    assert len(weights) == 3 and all(w > 0 for w in weights) and max(weights) > min(weights)
    bad = runner.invoke(cli, ["train", "--data", "wine", "--loss", "ce:weight=1/2", "--epochs", "1",
                              "--out", str(tmp_path), "--quiet"])
    assert bad.exit_code != 0 and "weight has 2 values but the data has 3 classes" in bad.output


def test_train_task_option_reads_integer_targets_as_quantities(runner, tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    counts = rng.poisson(np.exp(0.5 + 0.5 * a))
    path = tmp_path / "counts.csv"
    path.write_text("a,count\n" + "".join(f"{x:.4f},{c}\n" for x, c in zip(a, counts)))
    inferred = runner.invoke(cli, ["train", "--data", str(path), "--target", "count", "--epochs", "1",
                                   "--out", str(tmp_path / "r0"), "--quiet", "--no-plots"])
    # inference reads few distinct integers as classes; the error says how to train on the counts
    assert inferred.exit_code != 0 and "pass --task regression" in inferred.output
    r = _invoke(runner, "train", "--data", path, "--target", "count", "--task", "regression", "--loss",
                "poisson", "--epochs", "2", "--out", tmp_path / "r1", "--quiet", "--no-plots")
    assert r.exit_code == 0, r.output
    assert "regression" in r.output and "poisson_nll_loss" in r.output
    bundled = runner.invoke(cli, ["train", "--data", "iris", "--task", "binary"])
    assert bundled.exit_code != 0 and "apply to CSV files" in bundled.output
