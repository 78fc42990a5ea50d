"""Issue 8's speed benchmark: one training step in losslab against PyTorch eager, JAX ``jit`` and
hand-written NumPy, on four MLPs, in one invocation; plus the per-op overhead and the machine's
float32 GEMM rate.

Workloads (same shapes, same initial weights, same data in every framework)::

    tiny    2-2-1              batch 1    sigmoid hidden + sigmoid output, BCE   SGD  (lr 0.1)
    small   64-32-10           batch 32   ReLU, cross-entropy                    Adam (lr 1e-3)
    medium  784-256-256-10     batch 128  ReLU, cross-entropy                    Adam (lr 1e-3)
    large   1024-2048-2048-10  batch 512  ReLU, cross-entropy                    Adam (lr 1e-3)

A *step* is: zero the gradients, forward, loss, backward, optimizer update (JAX: one jitted
function doing all of it, parameters and Adam state passed in and returned, as JAX is used).
The frameworks are timed interleaved (round-robin over ``--reps`` rounds, each round a loop that
lasts ``--min-time``), and the median is reported. Ratios are losslab's time over the peer's
(0.2: losslab takes a fifth of the peer's time). Before timing, every framework runs three steps
from the same start and the losses are compared (``agree``), so no ratio is taken between two
different computations.

Peak memory: each (workload, framework) pair runs in a fresh subprocess that builds the model,
optimizer and data, reads its resident set size, resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``), runs ``--mem-steps`` steps and reads the peak (``VmHWM``). The column is
peak − start: what the training steps add on top of the model and data (optimizer state,
gradients, activations, temporaries and whatever the allocator keeps). It is measured the same way
for all four frameworks (JAX runs one step first, to compile; its Adam state is allocated when
the step function is built); for the NumPy-based two, a tracemalloc peak over the same steps (every
ndarray allocation, exact, not affected by the allocator) is shown beside it.

Threads: NumPy's BLAS (threadpoolctl), PyTorch (``torch.set_num_threads``) and XLA (``XLA_FLAGS``
set before JAX is imported) all get ``--threads`` threads, 1 by default; the first line says so.

Usage::

    python benchmarks/speed.py                      # everything (about 3 minutes)
    python benchmarks/speed.py --check              # exit 1 when a target of issue 8 is missed
    python benchmarks/speed.py --plot docs/performance_ratios.png
    python benchmarks/speed.py --sweep              # cost vs batch size and width
    python benchmarks/speed.py --quick              # smoke test: a few steps, numbers meaningless

Timing never goes into the test suite; this script is the measurement.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import train_step as ts  # noqa: E402  (the shared model builders and the hand NumPy step)
from _timing import measure  # noqa: E402

WORKLOADS = {
    # name: (layer widths, batch, hidden activation, loss, optimizer, learning rate)
    "tiny": ((2, 2, 1), 1, "sigmoid", "bce", "sgd", 0.1),
    "small": ((64, 32, 10), 32, "relu", "ce", "adam", 1e-3),
    "medium": ((784, 256, 256, 10), 128, "relu", "ce", "adam", 1e-3),
    "large": ((1024, 2048, 2048, 10), 512, "relu", "ce", "adam", 1e-3),
}
PEERS = ("torch", "jax", "numpy")

#: issue 8's targets: (workload, peer, the largest allowed losslab/peer ratio)
RATIO_TARGETS = [
    ("tiny", "torch", 0.2), ("tiny", "numpy", 2.0), ("small", "torch", 0.3),
    ("medium", "torch", 1.0), ("large", "torch", 1.05),
]
GEMM_TARGET = 0.80  # large: the GEMM-only time of its matrix products / losslab's step time
MEMORY_TARGETS = ("medium", "large")  # losslab's peak no higher than PyTorch's


# ----------------------------------------------------------------------------- threads
def set_threads(threads: int):
    """Same thread count for NumPy's BLAS, PyTorch and XLA. Returns (description, restore)."""
    flag = f"--xla_cpu_multi_thread_eigen={'false' if threads == 1 else 'true'} intra_op_parallelism_threads={threads}"
    if "jax" not in sys.modules:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flag).strip()
    blas, limiter = "?", None
    try:
        import threadpoolctl

        limiter = threadpoolctl.threadpool_limits(threads)
        blas = max((p["num_threads"] for p in threadpoolctl.threadpool_info()
                    if p.get("user_api") == "blas"), default="?")
    except ImportError:
        pass
    torch_threads, before = "-", None
    try:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        torch_threads = torch.get_num_threads()
    except ImportError:
        pass

    def restore():
        if before is not None:
            import torch
            torch.set_num_threads(before)
        if limiter is not None:
            limiter.restore_original_limits()

    return f"BLAS threads {blas}; torch threads {torch_threads}; XLA: {flag}", restore


def versions() -> str:
    parts = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for mod in ("torch", "jax"):
        try:
            parts.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            parts.append(f"{mod} not installed")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- JAX peer
def jax_step_fn(layers, X, y, act, loss, opt, lr):
    """The whole step (forward, loss, grad, update) as one ``jax.jit`` function; parameters and
    Adam state are passed in and returned (donated), which is how JAX trains."""
    import jax
    import jax.numpy as jnp

    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in layers]
    xs = jnp.asarray(X)
    ys = jnp.asarray(y) if loss == "bce" else jnp.asarray(y.astype(np.int32))

    def forward_loss(params):
        h = xs
        for i, (W, b) in enumerate(params):
            z = h @ W.T + b
            if i < len(params) - 1:
                h = jax.nn.sigmoid(z) if act == "sigmoid" else jax.nn.relu(z)
            else:
                h = z
        if loss == "bce":
            p = jnp.clip(jax.nn.sigmoid(h), 1e-12, 1 - 1e-12)
            return -jnp.mean(ys * jnp.log(p) + (1 - ys) * jnp.log1p(-p))
        logp = jax.nn.log_softmax(h, axis=1)
        return -jnp.mean(jnp.take_along_axis(logp, ys[:, None], axis=1))

    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def step(params, state):
        value, grads = jax.value_and_grad(forward_loss)(params)
        if opt == "sgd":
            return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), state, value
        m, v, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: beta1 * m + (1 - beta1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: beta2 * v + (1 - beta2) * g * g, v, grads)
        step_size = lr / (1 - beta1 ** t)
        root_bc2 = jnp.sqrt(1 - beta2 ** t)
        params = jax.tree_util.tree_map(
            lambda p, m, v: p - step_size * m / (jnp.sqrt(v) / root_bc2 + eps), params, m, v)
        return params, (m, v, t), value

    jstep = jax.jit(step, donate_argnums=(0, 1))
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    box = [params, (zeros, jax.tree_util.tree_map(jnp.zeros_like, params), jnp.float32(0))]

    def run():
        box[0], box[1], value = jstep(box[0], box[1])
        value.block_until_ready()  # JAX dispatches asynchronously: wait for the result
        return value

    return run


def step_makers() -> dict:
    makers = {"losslab": ts.losslab_step_fn, "compiled": ts.losslab_compiled_step_fn}
    try:
        import torch  # noqa: F401
        makers["torch"] = ts.torch_step_fn
    except ImportError:
        pass
    try:
        import jax  # noqa: F401
        makers["jax"] = jax_step_fn
    except ImportError:
        pass
    makers["numpy"] = ts.numpy_step_fn
    return makers


def as_float(value) -> float:
    if hasattr(value, "item"):
        return float(value.item())
    return float(value)


# ----------------------------------------------------------------------------- timing
def interleaved(calls: dict, reps: int, min_time: float, warmup: int = 3) -> dict:
    """Median µs per call of each callable, timed round-robin (``_timing.measure``)."""
    return measure(calls, reps, min_time, warmup=warmup, min_number=1)


def agreement(makers: dict, problem) -> dict:
    """Losses of three steps from the same start, per framework, and the largest relative
    difference of each from losslab's."""
    losses = {}
    for name, make in makers.items():
        step = make(*problem)
        losses[name] = [as_float(step()) for _ in range(3)]
    base = np.array(losses["losslab"])
    return {name: float(np.max(np.abs(np.array(v) - base) / np.maximum(np.abs(base), 1e-12)))
            for name, v in losses.items()}


def run_workload(name: str, reps: int, min_time: float, workloads=WORKLOADS, extra=None) -> dict:
    """Time every framework's step of workload ``name`` interleaved; ``extra`` callables (the
    GEMM-limit loops of 'large') are timed in the same rounds and reported under ``"extra_us"``."""
    problem = ts.make_problem(name, 0, workloads)
    makers = step_makers()
    agree = agreement(makers, problem)
    steps = {fw: make(*problem) for fw, make in makers.items()}
    extra = extra or {}
    us = interleaved({**steps, **extra}, reps, min_time)
    return {"us": {k: v for k, v in us.items() if k not in extra}, "agree": agree,
            "extra_us": {k: us[k] for k in extra}}


# ----------------------------------------------------------------------------- memory
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(workload: str, framework: str, steps: int, threads: int) -> dict:
    """Runs in the subprocess: the RSS growth over ``steps`` training steps (and tracemalloc's
    peak for NumPy-based frameworks)."""
    set_threads(threads)
    problem = ts.make_problem(workload, 0, WORKLOADS)
    step = step_makers()[framework](*problem)
    if framework == "jax":
        step()  # compile first, so XLA's compiler is not counted (its Adam state exists already)
    import gc
    gc.collect()
    start = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM (the peak RSS) to the current RSS
    for _ in range(steps):
        step()
    peak = _status_kib("VmHWM")
    out = {"rss_peak_mib": (peak - start) / 1024}
    if framework in ("losslab", "compiled", "numpy"):
        import tracemalloc
        step2 = step_makers()[framework](*problem)
        tracemalloc.start()
        for _ in range(steps):
            step2()
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


def measure_memory(workload: str, framework: str, steps: int, threads: int) -> dict:
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--_memory-child",
           f"{workload},{framework},{steps},{threads}"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else f"rc {res.returncode}"}
    return json.loads(res.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- op overhead
def op_overhead(reps: int, min_time: float, n: int = 16) -> list:
    """µs per small elementwise op: forward (graph recorded) and the backward of that one op."""
    import losslab as ll
    import torch

    rng = np.random.default_rng(1)
    a_np, b_np, g_np = (rng.standard_normal(n).astype(np.float32) for _ in range(3))
    la, lb = ll.tensor(a_np, requires_grad=True), ll.tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    lg, tg = ll.tensor(g_np), torch.tensor(g_np)
    ops = {
        "add": (lambda x, y: x + y), "mul": (lambda x, y: x * y),
        "exp": (lambda x, y: x.exp()), "relu": (lambda x, y: x.relu()),
        "sigmoid": (lambda x, y: x.sigmoid()),
    }
    rows = []
    for name, f in ops.items():
        calls = {
            "ll_fwd": lambda f=f: f(la, lb), "torch_fwd": lambda f=f: f(ta, tb),
            "ll_fb": lambda f=f: f(la, lb).backward(lg), "torch_fb": lambda f=f: f(ta, tb).backward(tg),
        }
        us = interleaved(calls, reps, min_time)
        rows.append((name, us["ll_fwd"], us["torch_fwd"], us["ll_fb"] - us["ll_fwd"],
                     us["torch_fb"] - us["torch_fwd"]))
    return rows


# ----------------------------------------------------------------------------- GEMM limit
def gemm_shapes(widths, batch):
    """The matrix products of one step of an MLP: forward x Wᵀ, backward g W (not for the first
    layer: the data needs no gradient) and gᵀ x."""
    shapes = []
    for i, (fi, fo) in enumerate(zip(widths[:-1], widths[1:])):
        shapes.append(((batch, fi), (fi, fo)))      # forward
        shapes.append(((fo, batch), (batch, fi)))   # weight gradient
        if i:
            shapes.append(((batch, fo), (fo, fi)))  # input gradient
    return shapes


def gemm_calls(widths, batch) -> tuple[int, dict]:
    """(flops, {library: a callable running the step's matrix products alone}) for NumPy's BLAS
    and PyTorch: the floor of any step that computes them."""
    rng = np.random.default_rng(2)
    mats = [(rng.standard_normal(a).astype(np.float32), rng.standard_normal(b).astype(np.float32))
            for a, b in gemm_shapes(widths, batch)]
    flops = sum(2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in mats)
    calls = {"numpy": lambda: [a @ b for a, b in mats]}
    try:
        import torch
        tmats = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in mats]
        calls["torch"] = lambda: [a @ b for a, b in tmats]
    except ImportError:
        pass
    return flops, calls


def gemm_result(flops: int, us: dict) -> dict:
    return {"flops": flops, "us": us, "gflops": {k: flops / v / 1e3 for k, v in us.items()}}


def gemm_limit(widths, batch, reps: int, min_time: float) -> dict:
    """Time the step's matrix products alone (same threads), and the float32 GEMM rate it implies
    (on its own; ``main`` times them in the large workload's rounds instead)."""
    flops, calls = gemm_calls(widths, batch)
    return gemm_result(flops, interleaved(calls, reps, min_time, warmup=1))


# ----------------------------------------------------------------------------- sweep
def sweep(reps: int, min_time: float, quick: bool) -> list:
    """losslab, PyTorch and hand NumPy µs/step as the batch grows (784-256-256-10) and as the
    width grows (784-w-w-10, batch 128); ReLU, CE, Adam."""
    batches = (1, 8, 32) if quick else (1, 8, 32, 128, 512, 2048)
    widths = (16, 64) if quick else (16, 64, 256, 1024, 2048)
    table = {}
    for b in batches:
        table[f"batch {b}"] = ((784, 256, 256, 10), b, "relu", "ce", "adam", 1e-3)
    for w in widths:
        table[f"width {w}"] = ((784, w, w, 10), 128, "relu", "ce", "adam", 1e-3)
    makers = {k: v for k, v in step_makers().items() if k in ("losslab", "compiled", "torch", "numpy")}
    rows = []
    for name in table:
        problem = ts.make_problem(name, 0, table)
        us = interleaved({fw: make(*problem) for fw, make in makers.items()}, reps, min_time)
        rows.append((name, us))
    return rows


# ----------------------------------------------------------------------------- report
def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}"


def plot_ratios(results: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    peers = [p for p in PEERS if any(p in results[w]["us"] for w in names)]
    # hatched bars: the compiled step (losslab.train.compile_step) over the same peer
    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.8 / len(peers)
    for k, peer in enumerate(peers):
        vals = [results[w]["us"]["losslab"] / results[w]["us"][peer] if peer in results[w]["us"] else 0
                for w in names]
        xs = [i + (k - (len(peers) - 1) / 2) * width for i in range(len(names))]
        bars = ax.bar(xs, vals, width, label=f"losslab / {peer}")
        comp = [results[w]["us"]["compiled"] / results[w]["us"][peer]
                if peer in results[w]["us"] and "compiled" in results[w]["us"] else 0 for w in names]
        ax.bar(xs, comp, width * 0.45, color=bars.patches[0].get_facecolor(), edgecolor="black",
               hatch="///", lw=0.5, label=f"compiled / {peer}")
    for w, peer, limit in RATIO_TARGETS:
        if w in names:
            i = names.index(w)
            k = peers.index(peer)
            x = i + (k - (len(peers) - 1) / 2) * width
            ax.plot([x - width / 2, x + width / 2], [limit, limit], color="black", lw=1.5)
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("losslab time / peer time (log)")
    ax.set_title("training step, losslab relative to each peer (< 1: losslab faster); "
                 "black ticks: targets", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="all", help="comma-separated subset of " + ",".join(WORKLOADS))
    parser.add_argument("--reps", type=int, default=7, help="interleaved rounds (median reported)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per timed loop")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mem-steps", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-ops", action="store_true", help="skip the op-overhead table")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--plot", metavar="PNG", help="write a bar chart of the ratios")
    parser.add_argument("--sweep", action="store_true", help="also: cost vs batch size and width")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny and small only (unless --workload), short loops, memory of tiny only")
    parser.add_argument("--_memory-child", dest="memory_child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        w, fw, steps, threads = args.memory_child.split(",")
        print(json.dumps(memory_child(w, fw, int(steps), int(threads))))
        return 0

    if args.workload == "all":
        names = ["tiny", "small"] if args.quick else list(WORKLOADS)
    else:
        names = args.workload.split(",")
    bad = [n for n in names if n not in WORKLOADS]
    if bad:
        parser.error(f"unknown workload(s) {','.join(bad)}; choose from {','.join(WORKLOADS)}")
    if args.quick:
        args.reps, args.min_time, args.mem_steps = 2, 0.01, 2

    threads_line, restore = set_threads(args.threads)
    try:
        print(f"machine: {os.cpu_count()} cores, {platform.machine()}; {versions()}; load average "
              f"{os.getloadavg()[0]:.2f}")
        print(f"threads: {threads_line}")
        results = {}
        large_gemm = None
        for w in names:
            extra = None
            if w == "large":
                # the GEMM-limit loops run in the same interleaved rounds as the large steps, so that
                # their ratio is not moved by the machine's load changing between two measurements
                large_gemm = gemm_calls(*WORKLOADS["large"][:2])
                extra = {f"gemm {lib}": call for lib, call in large_gemm[1].items()}
            results[w] = run_workload(w, args.reps, args.min_time, extra=extra)
        memory = {}
        if not args.no_memory:
            for w in names:
                if args.quick and w != "tiny":
                    continue
                for fw in results[w]["us"]:
                    memory[(w, fw)] = measure_memory(w, fw, args.mem_steps, args.threads)

        print()
        print("training step (zero_grad, forward, loss, backward, update), float32; µs/step median of "
              f"{args.reps} interleaved rounds; losslab/peer < 1: losslab faster")
        hdr = (f"{'workload':<8} {'framework':<9} {'µs/step':>11} {'losslab/this':>13} {'compiled/this':>14} "
               f"{'agree':>9} {'peak RSS MiB':>13} {'tracemalloc MiB':>16}")
        print(hdr)
        for w in names:
            us = results[w]["us"]
            for fw, t in us.items():
                mem = memory.get((w, fw), {})
                rss = f"{mem['rss_peak_mib']:.1f}" if "rss_peak_mib" in mem else ("err" if "error" in mem else "-")
                tm = f"{mem['tracemalloc_peak_mib']:.2f}" if "tracemalloc_peak_mib" in mem else "-"
                agree = results[w]["agree"][fw]
                agree_s = "ok" if agree < 1e-4 else f"{agree:.1e}"
                comp = f"{us['compiled'] / t:14.2f}" if "compiled" in us else f"{'-':>14}"
                print(f"{w:<8} {fw:<9} {t:11.1f} {us['losslab'] / t:13.2f} {comp} {agree_s:>9} {rss:>13} {tm:>16}")
        print("(compiled: the same losslab step through losslab.train.compile_step, which records the "
              "ops once and replays them)")
        for (w, fw), mem in memory.items():
            if "error" in mem:
                print(f"memory of {w}/{fw} failed: {mem['error']}")

        gemm = None
        if "large" in names or args.quick:  # --quick: the code path only (large itself is not run)
            widths, batch = WORKLOADS["large"][:2]
            if large_gemm is not None:
                gemm = gemm_result(large_gemm[0], {k.split()[1]: v for k, v in
                                                   results["large"]["extra_us"].items()})
            else:
                gemm = gemm_limit(widths, batch, 1, 0.0)
            print()
            print(f"GEMM limit of 'large' (its {len(gemm_shapes(widths, batch))} matrix products alone, "
                  f"{gemm['flops'] / 1e9:.2f} GFLOP per step):")
            for lib, t in gemm["us"].items():
                print(f"  {lib:<6} {t:10.1f} µs = {gemm['gflops'][lib]:6.1f} GFLOP/s float32")
            us = results["large"]["us"] if "large" in results else {}
            for fw, t in us.items():
                own = gemm["us"].get("torch" if fw == "torch" else "numpy")
                print(f"  {fw:<8} step {t:10.1f} µs: GEMM limit / step = {gemm['us']['numpy'] / t:5.1%} "
                      f"(of its own library's GEMM: {own / t:5.1%})")

        if not args.no_ops:
            try:
                rows = op_overhead(2 if args.quick else args.reps, 0.01 if args.quick else 0.1)
            except ImportError:
                rows = []
            if rows:
                print()
                print("op overhead: one elementwise op on 16-element float32 tensors that require grad "
                      "(µs per call, median); backward = (op + its backward) − op")
                print(f"{'op':<8} {'losslab fwd':>12} {'torch fwd':>10} {'ratio':>6} {'losslab bwd':>12} {'torch bwd':>10} {'ratio':>6}")
                for name, lf, tf, lb, tb in rows:
                    print(f"{name:<8} {lf:12.2f} {tf:10.2f} {lf / tf:6.2f} {lb:12.2f} {tb:10.2f} {lb / tb:6.2f}")

        if args.sweep:
            print()
            print("sweep: ReLU MLP, CE, Adam; batch sweep on 784-256-256-10, width sweep on 784-w-w-10 "
                  "at batch 128 (µs/step)")
            print(f"{'point':<12} {'losslab':>10} {'compiled':>10} {'torch':>10} {'numpy':>10} {'ll/torch':>9} "
                  f"{'comp/torch':>10} {'ll/numpy':>9}")
            for name, us in sweep(2 if args.quick else max(3, args.reps // 2), 0.01 if args.quick else 0.1, args.quick):
                nan = float("nan")
                print(f"{name:<12} {us['losslab']:10.1f} {us.get('compiled', nan):10.1f} {us.get('torch', nan):10.1f} "
                      f"{us['numpy']:10.1f} {us['losslab'] / us.get('torch', nan):9.2f} "
                      f"{us.get('compiled', nan) / us.get('torch', nan):10.2f} {us['losslab'] / us['numpy']:9.2f}")

        if args.plot:
            plot_ratios(results, args.plot)
            print(f"\nplot written to {args.plot}")

        if args.check:
            missed, compiled_only = [], []
            for w, peer, limit in RATIO_TARGETS:
                if w in results and peer in results[w]["us"]:
                    us = results[w]["us"]
                    r = us["losslab"] / us[peer]
                    rc = us["compiled"] / us[peer] if "compiled" in us else None
                    if r <= limit:
                        continue
                    if rc is not None and rc <= limit:
                        compiled_only.append(f"{w}: losslab/{peer} = {r:.2f} eager, {rc:.2f} with "
                                             f"compile_step (target ≤ {limit})")
                    else:
                        missed.append(f"{w}: losslab/{peer} = {r:.2f} eager"
                                      + (f", {rc:.2f} with compile_step" if rc is not None else "")
                                      + f" > {limit}")
            if gemm is not None and "large" in results:
                frac = gemm["us"]["numpy"] / results["large"]["us"]["losslab"]
                if frac < GEMM_TARGET:
                    missed.append(f"large: {frac:.1%} of the GEMM limit < {GEMM_TARGET:.0%}")
            for w in MEMORY_TARGETS:
                a, b = memory.get((w, "losslab"), {}), memory.get((w, "torch"), {})
                if "rss_peak_mib" in a and "rss_peak_mib" in b and a["rss_peak_mib"] > b["rss_peak_mib"]:
                    missed.append(f"{w}: peak memory {a['rss_peak_mib']:.1f} MiB > PyTorch's "
                                  f"{b['rss_peak_mib']:.1f} MiB")
            print()
            if compiled_only:
                print("targets met only through compile_step:")
                for m in compiled_only:
                    print("  " + m)
            if missed:
                print("targets missed:")
                for m in missed:
                    print("  " + m)
                return 1
            print("all targets met" + (" (the ones above through compile_step)" if compiled_only else ""))
        return 0
    finally:
        restore()


if __name__ == "__main__":
    raise SystemExit(main())
