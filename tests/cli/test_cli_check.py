"""``losslab check "EXPR"``: the report, options, the plot, and one-line usage errors."""
import json

import pytest
from click.testing import CliRunner

import losslab.cli.check  # noqa: F401  (registers the command)
from losslab.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


def test_check_prints_the_report(runner):
    res = runner.invoke(cli, ["check", "abs(pred - target)"])
    assert res.exit_code == 0, res.output
    assert "smoothness: C0" in res.output
    assert "pred = 0: left derivative -1, right derivative 1; losslab's gradient there = 0" in res.output
    assert "pseudo-Huber" in res.output and "log-cosh" in res.output


def test_check_target_and_domain(runner):
    res = runner.invoke(cli, ["check", "maximum(0, 1 - target * score)", "--target", "2", "--domain", "-1,2"])
    assert res.exit_code == 0, res.output
    assert "score ∈ [-1, 2], target = 2" in res.output
    assert "score = 0.5: left derivative -2, right derivative 0" in res.output


def test_check_json(runner):
    res = runner.invoke(cli, ["check", "sign(x)", "--json", "-n", "201"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["smoothness"] == "discontinuous" and d["discontinuities"][0]["x"] == 0.0


def test_check_plot_writes_png(runner, tmp_path):
    out = tmp_path / "hinge.png"
    res = runner.invoke(cli, ["check", "clamp(x, -1, 1)", "--plot", str(out), "-n", "401"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot written" in res.output


@pytest.mark.parametrize("args, fragment", [
    (["check", "x.__class__"], "attribute access not allowed"),
    (["check", "abs(pred - bogus)"], "unknown name 'bogus'"),
    (["check", "foo(x)"], "function 'foo' is not allowed"),
    (["check", "x" + " + x" * 600], "more than the limit"),
    (["check", "x", "--domain", "3,1"], "has no points"),
    (["check", "x", "--domain", "a,b"], "expected two numbers"),
    (["check", "x", "--domain", "1"], "LO,HI"),
    (["check", "x", "--plot", "out.gif"], "suffix"),
    (["check", "x * s"], "several free variables"),
])
def test_check_bad_input_is_a_one_line_usage_error(runner, args, fragment):
    res = runner.invoke(cli, args)
    assert res.exit_code == 2, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and fragment in errors[0], res.output
    assert "Traceback" not in res.output


def test_check_plot_of_a_constant(runner, tmp_path):
    # the analysis varies a placeholder x for a constant; the plot follows it (was a traceback)
    out = tmp_path / "const.png"
    res = runner.invoke(cli, ["check", "1 + 2", "--plot", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
