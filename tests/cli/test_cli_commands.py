"""The ``losslab`` command: demo, explain backprop (with --compare), help and bad input."""
import json
import re

import pytest
from click.testing import CliRunner

from losslab.cli import cli, main
from losslab.demo import load_two_feature_breast_cancer, train_seed_network


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("args", [[], ["demo"], ["explain"], ["explain", "backprop"], ["losses"], ["schedule"]])
def test_every_command_has_help(runner, args):
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_demo_explains_then_trains_and_loss_falls(runner):
    result = runner.invoke(cli, ["demo", "--epochs", "8"])
    assert result.exit_code == 0, result.output
    out = result.output
    # Part 1: the seed's worked example with the engine's (correct) numbers.
    assert "z3 = w13·a1 + w23·a2 + b3 = (0.7)(0.5744) + (0.5)(0.6225) + 0.3 = 1.0133" in out
    assert "ŷ = σ(z3) = σ(1.0133) = 0.7337" in out
    assert "w13' = w13 - η·∂L/∂w13 = 0.7 - (0.1)(-0.1530) = 0.7153" in out
    # Part 2: a table of epochs whose training loss falls.
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)%$", out, flags=re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 9))
    losses = [float(r[1]) for r in rows]
    assert losses[-1] < losses[0] - 0.1


def test_demo_no_explain_skips_part_one(runner):
    result = runner.invoke(cli, ["demo", "--epochs", "1", "--no-explain"])
    assert result.exit_code == 0
    assert "Forward pass" not in result.output and "epoch" in result.output


@pytest.mark.parametrize("args, needle", [
    (["demo", "--epochs", "0"], "--epochs"),
    (["demo", "--lr", "-1"], "--lr"),
    (["demo", "--batch-size", "0"], "--batch-size"),
])
def test_demo_rejects_bad_options(runner, args, needle):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert needle in result.output


def test_explain_compare_seed_names_z3_and_exits_1(runner):
    result = runner.invoke(cli, ["explain", "backprop", "--compare", "seed"])
    assert result.exit_code == 1
    assert "First wrong step -- z3: you have 1.086" in result.output
    assert "carried" in result.output


def test_explain_compare_correct_file_exits_0(runner, tmp_path):
    good = tmp_path / "mine.txt"
    good.write_text("z1 = 0.3\na1 = 0.574\nz3 = 1.013\nyhat = 0.734\nL = 0.310\ndelta3 = -0.266\n")
    result = runner.invoke(cli, ["explain", "backprop", "--compare", str(good)])
    assert result.exit_code == 0, result.output


def test_explain_json_is_parseable(runner):
    result = runner.invoke(cli, ["explain", "backprop", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert "trace" in data


def test_explain_own_network_from_flags(runner):
    result = runner.invoke(cli, ["explain", "backprop", "--weights", "0.5,-0.5", "--biases", "0.1",
                                 "--activations", "tanh", "--x", "1,2", "--y", "0.3", "--loss", "mse"])
    assert result.exit_code == 0, result.output
    assert "z1 = " in result.output


def test_explain_bad_input_is_a_usage_error(runner):
    result = runner.invoke(cli, ["explain", "backprop", "--weights", "1,2", "--x", "1", "--y", "1"])
    assert result.exit_code == 2
    assert "first layer takes 2 inputs" in result.output


def test_main_entry_point_runs(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "losslab" in capsys.readouterr().out


def test_demo_split_standardizes_with_training_statistics_only():
    X_tr, y_tr, X_val, y_val = load_two_feature_breast_cancer(seed=0)
    assert X_tr.dtype.name == "float32" and y_tr.shape == (len(X_tr), 1)
    assert abs(X_tr.mean(axis=0)).max() < 1e-5 and abs(X_tr.std(axis=0) - 1).max() < 1e-4
    assert abs(X_val.mean(axis=0)).max() > 1e-4  # validation is not re-centred on itself
    assert set(map(float, y_val.ravel())) <= {0.0, 1.0}


def test_train_seed_network_is_reproducible_and_validates():
    a = train_seed_network(epochs=2, seed=3)
    b = train_seed_network(epochs=2, seed=3)
    assert a == b
    with pytest.raises(ValueError, match="epochs"):
        train_seed_network(epochs=0)
    with pytest.raises(ValueError, match="lr"):
        train_seed_network(lr=0)
    with pytest.raises(ValueError, match="batch_size"):
        train_seed_network(batch_size=0)
