"""``losslab losses`` (table, filters, cards) and ``losslab schedule`` (table, JSON, plot)."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

import losslab.losses as L
from losslab.cli import cli
from losslab.optim.schedules import schedule_from_cli


@pytest.fixture
def runner():
    return CliRunner()


def _names_in_table(output: str) -> list:
    lines = output.splitlines()
    body = lines[2:lines.index("")] if "" in lines else lines[2:]
    return [line.split()[0] for line in body]


# ------------------------------------------------------------------------------------ losses
def test_losses_table_lists_every_registered_loss(runner):
    result = runner.invoke(cli, ["losses"])
    assert result.exit_code == 0, result.output
    assert sorted(_names_in_table(result.output)) == sorted(L.available())
    assert f"{len(L.available())} losses" in result.output
    for header in ("convex", "smooth", "robust", "growth", "PyTorch"):
        assert header in result.output.splitlines()[0]


@pytest.mark.parametrize("args, check", [
    (["--task", "regression"], lambda i: i.task == "regression"),
    (["--convex"], lambda i: i.convex),
    (["--non-convex"], lambda i: not i.convex),
    (["--smooth", "C0"], lambda i: i.smoothness == "C0"),
    (["--smooth", "cinf"], lambda i: i.smoothness == "Cinf"),
    (["--robust", "yes"], lambda i: i.robust_to_outliers in (True, "partial")),
    (["--robust", "no"], lambda i: i.robust_to_outliers is False),
    (["--input", "logits"], lambda i: i.input_kind == "logits"),
    (["--task", "binary", "--convex", "--smooth", "Cinf"],
     lambda i: i.task == "binary" and i.convex and i.smoothness == "Cinf"),
])
def test_losses_filters_select_exactly_the_matching_losses(runner, args, check):
    result = runner.invoke(cli, ["losses", *args])
    assert result.exit_code == 0, result.output
    expected = sorted(n for n in L.available() if check(L.get(n)))
    assert expected, "the filter should match something"
    assert sorted(_names_in_table(result.output)) == expected


def test_losses_card_by_full_or_short_name(runner):
    for name in ("huber_loss", "huber", "Huber-Loss"):
        result = runner.invoke(cli, ["losses", name])
        assert result.exit_code == 0, result.output
        out = result.output
        assert out.startswith("huber_loss — regression loss (class HuberLoss)")
        for section in ("Formula", "Properties", "When to use", "Pitfalls", "Equivalents", "References"):
            assert section in out
        assert "½ (x − y)²" in out  # the LaTeX rendered for a terminal


def test_losses_markdown_table(runner):
    result = runner.invoke(cli, ["losses", "--task", "sequence", "--markdown"])
    assert result.exit_code == 0
    assert result.output.startswith("| loss |")
    assert "[`ctc_loss`](#ctc_loss)" in result.output


def test_losses_unknown_name_suggests_close_ones(runner):
    result = runner.invoke(cli, ["losses", "cross_entropi"])
    assert result.exit_code == 1
    assert "no loss named 'cross_entropi'" in result.output and "cross_entropy" in result.output


def test_losses_name_and_filters_together_is_a_usage_error(runner):
    result = runner.invoke(cli, ["losses", "huber_loss", "--convex"])
    assert result.exit_code == 2
    assert "either a loss NAME or filters" in result.output


def test_losses_bad_filter_value_is_refused(runner):
    result = runner.invoke(cli, ["losses", "--smooth", "C2"])
    assert result.exit_code == 2 and "C2" in result.output


# ---------------------------------------------------------------------------------- schedule
def test_schedule_json_equals_the_python_preview(runner):
    args = ["schedule", "multistep", "--lr", "0.1", "--milestones", "3,6", "--steps", "10", "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    want = schedule_from_cli("multistep", {"lr": "0.1", "milestones": "3,6"}).preview(10)
    np.testing.assert_array_equal(got, want)
    assert got[2] == 0.1 and got[3] == pytest.approx(0.01) and got[6] == pytest.approx(0.001)


def test_schedule_table_shows_first_and_last_step(runner):
    result = runner.invoke(cli, ["schedule", "cosine", "--lr=0.5", "--total-steps", "50", "--steps", "50"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("cosine(") and "50 steps, lr from 0.5" in lines[0]
    assert lines[2].split() == ["0", "0.5"]
    assert lines[-1].split()[0] == "49"


def test_schedule_alias_and_dashed_parameter_names(runner):
    result = runner.invoke(cli, ["schedule", "sgdr", "--lr", "0.1", "--T-0", "5", "--T-mult", "2",
                                 "--steps", "16", "--json"])
    assert result.exit_code == 0, result.output
    lrs = json.loads(result.output)
    assert lrs[0] == lrs[5] == lrs[15] == 0.1  # restarts at 5 and 5 + 10
    assert lrs[4] < 0.01


def test_schedule_plot_writes_a_png(runner, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "lr.png"
    result = runner.invoke(cli, ["schedule", "one_cycle", "--max-lr", "1", "--total-steps", "40",
                                 "--steps", "40", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_schedule_help_lists_schedules_and_parameters(runner):
    result = runner.invoke(cli, ["schedule", "--help"])
    assert result.exit_code == 0
    assert "cosine_with_warm_restarts: cosine annealing with warm restarts (SGDR)" in result.output
    assert "--T-0 --T-mult=1" in result.output


@pytest.mark.parametrize("args, needle", [
    (["schedule", "cosin", "--lr", "0.1"], "Did you mean 'cosine'"),
    (["schedule", "cosine", "--lr", "0.1"], "needs total_steps"),
    (["schedule", "cosine", "--lr", "abc", "--total-steps", "5"], "cannot read 'abc' as a number"),
    (["schedule", "cosine", "--lr", "0.1", "--total-steps", "5", "--gama", "2"], "has no parameter"),
    (["schedule", "cosine", "--lr"], "--lr needs a value"),
    (["schedule", "multistep", "--lr", "0.1", "--milestones", "60,30"], "milestones"),
    (["schedule", "warmup_cosine", "--lr", "0.1", "--warmup-steps", "200", "--total-steps", "100"], "warm"),
    (["schedule", "cosine", "0.1"], "give schedule parameters as --name value"),
    (["schedule", "join", "--boundaries", "3"], "cannot be built from the command line"),
    (["schedule", "constant", "--lr", "0.1", "--steps", "0"], "--steps"),
])
def test_schedule_bad_input_is_a_usage_error(runner, args, needle):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output
