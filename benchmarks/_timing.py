"""Helpers shared by the benchmark scripts (losses.py, optimizers.py, train_step.py, speed.py):
the same thread settings for PyTorch and NumPy's BLAS, a line naming the machine, round-robin
medians (``measure``), the ``--only`` name filter and the hand-written in-place NumPy Adam (the floor)."""
from __future__ import annotations

import math
import os
import platform
import statistics
import time

import numpy as np

# ----------------------------------------------------------------------------- machine, timing
def setup_threads(threads: int = 1):
    """Give PyTorch and NumPy's BLAS the same number of threads (default 1: NumPy's elementwise
    ops, most of losslab's work, run on one thread anyway, and on a busy machine a second
    thread pool spinning beside the other only adds noise). Returns (torch threads, BLAS
    threads or None when threadpoolctl is not installed to set and read them, a function that
    restores the previous settings)."""
    import torch

    blas, limiter = None, None
    try:
        import threadpoolctl

        limiter = threadpoolctl.threadpool_limits(threads)  # process-wide, as torch's setting
        blas = max((p["num_threads"] for p in threadpoolctl.threadpool_info()
                    if p.get("user_api") == "blas"), default=None)
    except ImportError:
        pass
    before = torch.get_num_threads()
    torch.set_num_threads(threads)

    def restore():
        torch.set_num_threads(before)
        if limiter is not None:
            limiter.restore_original_limits()

    return torch.get_num_threads(), blas, restore


def machine_line(torch_threads: int, blas_threads) -> str:
    import torch

    return (f"machine: {os.cpu_count()} cores, {platform.machine()}; Python {platform.python_version()}; "
            f"numpy {np.__version__} (BLAS threads {blas_threads if blas_threads else '?'}); "
            f"torch {torch.__version__} (threads {torch_threads}); load average {os.getloadavg()[0]:.2f}")


def _loop_us(call, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - t0) / number * 1e6


def measure(calls: dict, reps: int, min_time: float, quick: bool = False, *, warmup: int = 5,
            min_number: int = 5) -> dict:
    """Median µs per call of each callable, timed round-robin over ``reps`` rounds.

    Each callable first runs ``warmup`` times, then for a quarter of ``min_time`` (at least twice)
    to estimate its cost; a round then calls it enough times to last ``min_time`` (at least
    ``min_number``). ``quick``: two calls each, once (a smoke test; the numbers mean nothing)."""
    if quick:
        for call in calls.values():
            call()
        return {name: _loop_us(call, 2) for name, call in calls.items()}
    number = {}
    for name, call in calls.items():
        for _ in range(warmup):
            call()
        t0 = time.perf_counter()
        k = 0
        while time.perf_counter() - t0 < min_time / 4 or k < 2:
            call()
            k += 1
        per = (time.perf_counter() - t0) / k
        number[name] = max(min_number, int(min_time / max(per, 1e-9)))
    samples = {name: [] for name in calls}
    for _ in range(reps):
        for name, call in calls.items():
            samples[name].append(_loop_us(call, number[name]))
    return {name: statistics.median(s) for name, s in samples.items()}


def geomean(values) -> float:
    values = [v for v in values if v is not None and v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


# ----------------------------------------------------------------------------- shared pieces
def select_names(only: str | None, names: list, kinds: str, parser) -> list:
    """The registry ``names`` kept by ``--only a,b`` (all when it is not given); an unknown name
    is a parser error naming it (``kinds``: "loss(es)", "optimizer(s)") and listing the
    registered ones."""
    if not only:
        return list(names)
    wanted = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        parser.error(f"--only: unknown {kinds} {', '.join(unknown)}; registered: {', '.join(names)}")
    return [n for n in names if n in wanted]


def numpy_adam_step(params, grads, ms, vs, bufs, t: int, lr: float, beta1: float, beta2: float,
                    eps: float) -> None:
    """Adam step ``t`` by hand on ndarrays, in place, one scratch buffer per array: the floor for
    any NumPy engine. PyTorch's single-tensor formula (torch/optim/adam.py):
    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − (η/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)."""
    step_size = lr / (1.0 - beta1 ** t)
    bc2_sqrt = math.sqrt(1.0 - beta2 ** t)
    for p, g, m, v, buf in zip(params, grads, ms, vs, bufs):
        m *= beta1
        np.multiply(g, 1.0 - beta1, out=buf)
        m += buf
        v *= beta2
        np.multiply(g, g, out=buf)
        buf *= 1.0 - beta2
        v += buf
        np.sqrt(v, out=buf)
        buf /= bc2_sqrt
        buf += eps
        np.divide(m, buf, out=buf)
        buf *= -step_size
        p += buf
