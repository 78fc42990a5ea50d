"""Smoke test of the benchmark scripts (benchmarks/losses.py, benchmarks/optimizers.py): each
runs end to end with ``--quick``, its table lists every registered loss / optimizer with a
positive losslab/torch ratio, and the float64 agreement check of every PyTorch peer passes. No
timing is asserted: the numbers of a --quick run mean nothing."""
from __future__ import annotations

import importlib.util
import math
import pathlib

import pytest

import losslab.losses as L
import losslab.optim as O

torch = pytest.importorskip("torch")

BENCH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str):
    """Import benchmarks/<name>.py from its path (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"losslab_benchmark_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows_by_name(text: str, names) -> dict:
    """name -> the whitespace-split rows of the output that start with that name, in order."""
    rows = {}
    for line in text.splitlines():
        tokens = line.split()
        if tokens and tokens[0] in names:
            rows.setdefault(tokens[0], []).append(tokens)
    return rows


def positive(token: str) -> bool:
    value = float(token)
    return math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def losses_output():
    mod = load("losses")
    threads = torch.get_num_threads()
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert mod.main(["--quick"]) == 0
    assert torch.get_num_threads() == threads  # the thread setting is restored
    return mod, buf.getvalue()


def test_losses_table_lists_every_registered_loss(losses_output):
    _, text = losses_output
    names = L.available()
    rows = rows_by_name(text, names)
    assert sorted(rows) == sorted(names), f"missing from the table: {sorted(set(names) - set(rows))}"
    for name in names:
        tokens = rows[name][0]  # the registry table's row (fused losses appear again below)
        # name, shape, losslab µs, torch µs, losslab/torch, torch impl, check
        assert positive(tokens[2]) and positive(tokens[3]), tokens
        assert positive(tokens[4]), f"{name}: ratio {tokens[4]!r} is not a positive number"
        assert tokens[-1] == "ok", f"{name}: losslab and its PyTorch peer disagree in float64: {tokens}"
    assert "geometric mean losslab/torch:" in text


def test_losses_fused_table(losses_output):
    mod, text = losses_output
    rows = rows_by_name(text, mod.FUSED)
    for name in mod.FUSED:
        assert len(rows[name]) == 2, f"{name} should appear in both tables"
        # name, shape, fused µs, composed µs, composed/fused, torch µs, fused/torch, check
        tokens = rows[name][1]
        assert all(positive(t) for t in tokens[2:7]), tokens
        assert tokens[7] == "ok", f"{name}: fused and composed disagree: {tokens}"


def test_losses_only_and_bad_name(capsys):
    mod = load("losses")
    assert mod.main(["--quick", "--only", "mse_loss,ctc_loss", "--dtype", "float64", "--no-fused"]) == 0
    rows = rows_by_name(capsys.readouterr().out, L.available())
    assert sorted(rows) == ["ctc_loss", "mse_loss"]
    with pytest.raises(SystemExit) as exc:
        mod.main(["--quick", "--only", "mse_los"])
    assert exc.value.code == 2
    assert "unknown loss(es) mse_los" in capsys.readouterr().err


def test_losses_scaled_example_grows_the_batch():
    mod = load("losses")
    info = L.get("ctc_loss")  # batch axis 1, per-sample lengths in the keyword arguments
    x, t, kw, shape = mod.scaled_example(info, __import__("numpy").float32, 10)
    assert x.shape[1] >= 10 and t.shape[0] == x.shape[1] == kw["input_lengths"].shape[0]
    assert not shape.endswith("*")


def test_optimizers_table_lists_every_registered_optimizer(capsys):
    mod = load("optimizers")
    threads = torch.get_num_threads()
    assert mod.main(["--quick"]) == 0
    assert torch.get_num_threads() == threads
    text = capsys.readouterr().out
    names = list(O.OPTIMIZER_REGISTRY)
    rows = rows_by_name(text, names)
    assert sorted(rows) == sorted(names), f"missing from the tables: {sorted(set(names) - set(rows))}"
    for name, info in O.OPTIMIZER_REGISTRY.items():
        if info.requires_closure:  # LBFGS: its own table; step(closure) is the first row
            tokens = rows[name][0]
            assert tokens[1] == "step(closure)" and positive(tokens[-1]), tokens
            continue
        # name, params, losslab µs, torch µs, losslab/torch, torch impl (may hold spaces), check
        tokens = rows[name][0]
        assert positive(tokens[4]), f"{name}: ratio {tokens[4]!r} is not a positive number"
        assert tokens[-1] == "ok", f"{name}: the update disagrees with PyTorch's: {tokens}"
    assert "floor: hand-written in-place NumPy Adam" in text
    assert "geometric mean losslab/torch:" in text


def test_speed_quick_runs_every_section(capsys, tmp_path):
    """benchmarks/speed.py (issue 8) end to end with --quick: every framework has a row with a
    positive time and ratio and agrees with losslab on the first three losses; the GEMM, op
    overhead, sweep and --check sections print; --plot writes a file. No timing is asserted: the
    exit code of --check may be 0 or 1."""
    mod = load("speed")
    threads = torch.get_num_threads()
    png = tmp_path / "ratios.png"
    rc = mod.main(["--quick", "--sweep", "--check", "--plot", str(png)])
    assert rc in (0, 1)
    assert torch.get_num_threads() == threads
    text = capsys.readouterr().out
    assert text.startswith("machine:") and "threads: BLAS threads" in text
    rows = rows_by_name(text, ["tiny", "small"])
    assert sorted(rows) == ["small", "tiny"]
    for name, tokens_list in rows.items():
        frameworks = [t[1] for t in tokens_list]
        assert frameworks[:2] == ["losslab", "compiled"] and "numpy" in frameworks and "torch" in frameworks, frameworks
        for tokens in tokens_list:
            # workload, framework, µs/step, losslab/this, compiled/this, agree, peak RSS MiB,
            # tracemalloc MiB
            assert positive(tokens[2]) and positive(tokens[3]) and positive(tokens[4]), tokens
            assert tokens[5] == "ok", f"{name}/{tokens[1]} computes a different loss: {tokens}"
    for tokens in rows["tiny"]:
        assert tokens[6] not in ("-", "err"), f"no memory measured for tiny/{tokens[1]}: {tokens}"
    assert "GFLOP/s float32" in text
    assert "op overhead" in text and "sweep:" in text
    assert ("all targets met" in text) == (rc == 0) and ("targets missed:" in text) == (rc == 1)
    assert png.exists() and png.stat().st_size > 0
