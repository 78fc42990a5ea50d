"""``losslab advise``: the advice on bundled data and CSV files, --json, --verify, one-line errors."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

import losslab.cli.advise  # noqa: F401  (registers the command)
from losslab.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


def _invoke(runner, *args):
    return runner.invoke(cli, [*map(str, args)], catch_exceptions=False)


def test_advise_breast_cancer_prints_findings_losses_activation_optimizer(runner):
    r = _invoke(runner, "advise", "breast_cancer")
    assert r.exit_code == 0, r.output
    assert "task: binary" in r.output and "mild imbalance" in r.output
    assert "1. binary_cross_entropy_with_logits\n" in r.output
    assert "output activation: identity (sigmoid is applied inside the loss)" in r.output
    assert "optimizer: adam, lr 0.01" in r.output
    assert "verify" not in r.output


def test_advise_json_is_parseable(runner):
    r = _invoke(runner, "advise", "diabetes", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["data"] == "diabetes" and d["task"] == "regression" and d["warnings"] == ["target_scale"]
    assert d["candidates"][0]["spec"] == "mse_loss"


def test_verify_on_linear_with_outliers_shows_the_robust_loss_wins(runner):
    r = _invoke(runner, "advise", "linear", "--outliers", "0.1", "--verify", "--epochs", "15")
    assert r.exit_code == 0, r.output
    assert "! " in r.output and "outliers" in r.output
    table = r.output[r.output.index("verify:"):]
    assert "huber_loss:delta=" in table and "l1_loss" in table and "mse_loss" in table
    assert "advice held" in table
    mae = {line.split()[0].split(":")[0]: float(line.split()[3]) for line in table.splitlines()
           if line.startswith(("huber", "l1_", "mse"))}
    assert min(mae["huber_loss"], mae["l1_loss"]) < 0.5 * mae["mse_loss"]


def test_verify_on_an_imbalanced_csv_trains_the_weighted_loss(runner, tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.1).astype(int)
    x = rng.standard_normal((n, 2)) + 1.5 * y[:, None]
    path = tmp_path / "rare.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{p:.5f},{q:.5f},{t}" for (p, q), t in zip(x, y)) + "\n")
    r = _invoke(runner, "advise", path, "--target", "label", "--verify", "--epochs", "5", "--model", "linear")
    assert r.exit_code == 0, r.output
    assert "1. binary_cross_entropy_with_logits:pos_weight=" in r.output
    assert "val_f1" in r.output and ("advice held" in r.output or "did not hold" in r.output)


def test_counts_csv_is_advised_as_counts_and_verified_with_the_log_link(runner, tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(300)
    y = rng.poisson(np.exp(1.0 + 0.4 * x))
    path = tmp_path / "counts.csv"
    path.write_text("x,events\n" + "\n".join(f"{a:.5f},{b}" for a, b in zip(x, y)) + "\n")
    r = _invoke(runner, "advise", path, "--target", "events", "--verify", "--epochs", "5", "--model", "linear")
    assert r.exit_code == 0, r.output
    assert "task: counts" in r.output and "1. poisson_nll_loss:log_input=true" in r.output
    assert "val_mae (y units)" in r.output


def test_probabilities_verify_explains_why_not(runner, tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(100)
    path = tmp_path / "p.csv"
    path.write_text("x,p\n" + "\n".join(f"{a:.5f},{1 / (1 + np.exp(-a)):.5f}" for a in x) + "\n")
    r = _invoke(runner, "advise", path, "--target", "p", "--verify")
    assert r.exit_code == 0, r.output
    assert "task: probabilities" in r.output and "--verify: not available for probabilities" in r.output


@pytest.mark.parametrize("args, message", [
    (["nosuchdata"], "unknown dataset"),
    (["linear", "--target", "y"], "--target, --features and --task apply to CSV files"),
    (["missing.csv"], "--target is required"),
    (["digits", "--task", "probabilities"], "needs y in [0, 1]"),
    (["digits", "--verify", "--batch-size", "0"], "--batch-size"),
])
def test_errors_are_one_line_with_nonzero_exit(runner, args, message):
    r = runner.invoke(cli, ["advise", *args])
    assert r.exit_code != 0
    assert message in r.output and "Traceback" not in r.output


def test_nan_in_a_csv_target_is_reported(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y\n1,2\n2,nan\n3,4\n4,5\n5,6\n")
    r = runner.invoke(cli, ["advise", str(path), "--target", "y"])
    assert r.exit_code != 0 and "missing value" in r.output
