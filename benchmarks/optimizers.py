"""Time one optimizer step of every registered losslab optimizer against torch.optim, in one run.

The parameters are those of a 784-256-128-10 MLP (weights (256, 784), (128, 256), (10, 128) and
their biases; 235,146 numbers, float32 by default), with the same values in both libraries. The
gradients are already set: a *step* is ``opt.step()`` alone (no zero_grad, no forward or
backward). Before each step the ``.grad`` of every parameter is pointed at the next of four
fixed random gradient sets (the same arrays' values in both libraries), so the parameters do a
random walk instead of drifting off to overflow over thousands of timed steps.

Per entry of ``losslab.optim.OPTIMIZER_REGISTRY``:

* hyperparameters: each library's defaults with ``lr=1e-3`` (SGD: also ``momentum=0.9``);
* the peer is ``torch.optim.<torch_name>`` with the same arguments, PyTorch's default
  implementation (on CPU tensors that is the per-parameter for-loop; ``--foreach`` adds a column
  with ``foreach=True``); Lion, which PyTorch lacks, is compared with a hand-written PyTorch loop
  of the same update;
* Muon takes only the three 2-D weight matrices (both libraries refuse 1-D parameters);
* ``check``: three steps from the same start in both libraries and the largest difference of
  the parameter updates relative to PyTorch's (``ok`` below 1e-4; Muon's Newton–Schulz
  iteration runs in bfloat16 in PyTorch and in the parameter's dtype in losslab, so it agrees
  to about 1e-2);
* a hand-written in-place NumPy Adam (no Python objects per step beyond a loop over the six
  arrays) is timed beside Adam as the floor any NumPy implementation can reach.

LBFGS (``requires_closure``) gets its own table: ``step(closure)`` with ``max_iter=1`` (one
closure evaluation per step, so both libraries do the same work), the closure being zero_grad +
forward + cross-entropy + backward of the MLP on a batch of 64; the closure alone is timed too,
and their difference is the optimizer's own work.

All timings are interleaved (round-robin over ``--reps`` rounds) and the median µs per step is
reported with losslab's time over PyTorch's (2.0 = losslab takes twice as long).

Usage::

    python benchmarks/optimizers.py
    python benchmarks/optimizers.py --reps 9 --foreach --only adam,sgd
    python benchmarks/optimizers.py --quick       # a few steps each (the smoke test)

Timing never goes into the test suite; this script is the measurement.
"""
from __future__ import annotations

import argparse
import itertools
import math
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script or loaded by path (the smoke test)
    sys.path.insert(0, str(HERE))

from _timing import (  # noqa: E402
    geomean, machine_line, measure, numpy_adam_step, select_names, setup_threads,
)

import losslab as ll
import losslab.optim as optim

#: the MLP's layer widths (--layers); --quick uses QUICK_LAYERS unless --layers is given
LAYERS = (784, 256, 128, 10)
QUICK_LAYERS = (64, 32, 10)
N_GRAD_SETS = 4
LR = 1e-3
#: hyperparameters beyond lr, per registry name (the same in both libraries)
EXTRA = {"sgd": {"momentum": 0.9}}
CHECK_TOL = 1e-6  # the check runs in float64
CHECK_TOL_BF16 = 5e-2  # Muon: PyTorch's Newton–Schulz runs in bfloat16
LBFGS_BATCH = 64


# ----------------------------------------------------------------------------- problem
def shapes(layers) -> tuple:
    """The MLP's parameter shapes: (out, in) weights as torch.nn.Linear stores them, and biases."""
    return tuple(s for fi, fo in zip(layers[:-1], layers[1:]) for s in ((fo, fi), (fo,)))


def make_problem(layers, dtype, seed: int = 0):
    """Initial parameters (torch.nn.Linear's uniform init) and N_GRAD_SETS gradient sets."""
    rng = np.random.default_rng(seed)
    params = []
    for fi, fo in zip(layers[:-1], layers[1:]):
        bound = 1.0 / math.sqrt(fi)
        params += [rng.uniform(-bound, bound, (fo, fi)).astype(dtype), rng.uniform(-bound, bound, fo).astype(dtype)]
    grads = [[(1e-2 * rng.standard_normal(p.shape)).astype(dtype) for p in params] for _ in range(N_GRAD_SETS)]
    return params, grads


def hyper(name: str) -> dict:
    return {"lr": LR, **EXTRA.get(name, {})}


class TorchLion:
    """Lion written with PyTorch ops (Chen et al. 2023, Algorithm 2; PyTorch has no Lion):
    c = β₁m + (1 − β₁)g;  θ ← θ(1 − ηλ) − η·sign(c);  m ← β₂m + (1 − β₂)g."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        import torch

        self.torch = torch
        self.params, self.lr, self.betas, self.wd = list(params), lr, betas, weight_decay
        self.state = [torch.zeros_like(p) for p in self.params]

    def step(self):
        b1, b2 = self.betas
        with self.torch.no_grad():
            for p, m in zip(self.params, self.state):
                g = p.grad
                c = m.mul(b1).add_(g, alpha=1 - b1)
                if self.wd:
                    p.mul_(1 - self.lr * self.wd)
                p.add_(c.sign_(), alpha=-self.lr)
                m.mul_(b2).add_(g, alpha=1 - b2)


class NumpyAdam:
    """Adam by hand on ndarrays, in place, with one scratch buffer per array: the floor.
    PyTorch's single-tensor Adam formula (torch/optim/adam.py, _single_tensor_adam):
    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − (η/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.buf = [np.empty_like(p) for p in params]
        self.t = 0
        self.grads = None

    def step(self):
        self.t += 1
        numpy_adam_step(self.params, self.grads, self.m, self.v, self.buf, self.t, self.lr,
                        *self.betas, self.eps)


def build(info, lib: str, params0, grads, foreach: bool = False):
    """(step callable, parameter arrays list) for one library; the callable first points every
    ``.grad`` at the next gradient set, then steps."""
    import torch

    sel = [i for i in range(len(params0)) if info.param_ndim is None or params0[i].ndim == info.param_ndim]
    kw = hyper(info.name)
    if lib == "losslab":
        ps = [ll.tensor(params0[i].copy(), requires_grad=True) for i in sel]
        gsets = [[ll.tensor(gs[i]) for i in sel] for gs in grads]
        opt = info.cls(ps, **kw)
        arrays = lambda: [p.data for p in ps]  # noqa: E731
    elif lib == "numpy":
        ps = [params0[i].copy() for i in sel]
        gsets = [[gs[i] for i in sel] for gs in grads]
        opt = NumpyAdam(ps, **kw)
        arrays = lambda: ps  # noqa: E731
    else:
        ps = [torch.from_numpy(params0[i].copy()).requires_grad_(True) for i in sel]
        gsets = [[torch.from_numpy(gs[i].copy()) for i in sel] for gs in grads]
        if info.torch_name is None:
            if info.name != "lion":
                return None, None
            opt = TorchLion(ps, **kw)
        else:
            cls = getattr(torch.optim, info.torch_name)
            opt = cls(ps, **kw, **({"foreach": True} if foreach else {}))
        arrays = lambda: [p.detach().numpy() for p in ps]  # noqa: E731
    cycle = itertools.cycle(gsets)

    if lib == "numpy":
        def call():
            opt.grads = next(cycle)
            opt.step()
    else:
        def call():
            for p, g in zip(ps, next(cycle)):
                p.grad = g
            opt.step()

    return call, arrays


def check_updates(info, params0, grads, steps: int = 3, peer: str = "torch") -> float:
    """Largest |Δθ_losslab − Δθ_peer| / max|Δθ_peer| after ``steps`` steps from the same start,
    in float64 (in float32 the rounding of θ + Δθ alone is a sizeable part of a small Δθ)."""
    params0 = [p.astype(np.float64) for p in params0]
    grads = [[g.astype(np.float64) for g in gs] for gs in grads]
    results = {}
    for lib in ("losslab", peer):
        call, arrays = build(info, lib, params0, grads)
        if call is None:
            return float("nan")
        before = [a.copy() for a in arrays()]
        for _ in range(steps):
            call()
        results[lib] = [a.astype(np.float64) - b for a, b in zip(arrays(), before)]
    num = max(float(np.max(np.abs(a - b))) for a, b in zip(results["losslab"], results[peer]))
    den = max(float(np.max(np.abs(b))) for b in results[peer])
    return num / max(den, 1e-300)


def bench_steps(names, layers, dtype, reps, min_time, quick, foreach=False, check=True) -> list:
    params0, grads = make_problem(layers, dtype)
    rows = []
    for name in names:
        info = optim.OPTIMIZER_REGISTRY[name]
        calls = {}
        for lib in ("losslab", "torch"):
            call, _ = build(info, lib, params0, grads)
            if call is not None:
                calls[lib] = call
        if foreach and info.torch_name is not None:
            try:
                calls["foreach"] = build(info, "torch", params0, grads, foreach=True)[0]
                calls["foreach"]()
            except (RuntimeError, TypeError, ValueError, NotImplementedError):
                calls.pop("foreach", None)  # no foreach implementation for this optimizer
        floor = name == "adam"
        if floor:
            calls["numpy"] = build(info, "numpy", params0, grads)[0]
        res = measure(calls, reps, min_time, quick)
        n_params = sum(p.size for p in params0 if info.param_ndim is None or p.ndim == info.param_ndim)
        row = dict(name=name, ll_us=res["losslab"], torch_us=res.get("torch"), foreach_us=res.get("foreach"),
                   numpy_us=res.get("numpy"), n_params=n_params,
                   impl=(f"torch.optim.{info.torch_name}" if info.torch_name else
                         ("torch ops by hand" if "torch" in res else "-")),
                   check=check_updates(info, params0, grads) if check and "torch" in res else None,
                   tol=CHECK_TOL_BF16 if name == "muon" else CHECK_TOL)
        row["ratio"] = row["ll_us"] / row["torch_us"] if row["torch_us"] else None
        rows.append(row)
        if floor:
            rows.append(dict(name="adam (NumPy floor)", ll_us=res["numpy"], torch_us=res["torch"],
                             foreach_us=None, numpy_us=None, n_params=n_params, impl="hand-written NumPy",
                             check=check_updates(info, params0, grads, peer="numpy") if check else None,
                             tol=CHECK_TOL, ratio=res["numpy"] / res["torch"], floor_of="adam"))
    return rows


# ----------------------------------------------------------------------------- LBFGS
def bench_lbfgs(layers, dtype, reps, min_time, quick, seed: int = 0) -> dict:
    """step(closure) and the closure alone, in both libraries (MLP forward/backward, batch 64)."""
    import torch

    from losslab import nn
    from losslab.losses import cross_entropy

    info = optim.OPTIMIZER_REGISTRY["lbfgs"]
    params0, _ = make_problem(layers, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((LBFGS_BATCH, layers[0])).astype(dtype)
    y = rng.integers(0, layers[-1], LBFGS_BATCH).astype(np.int64)
    kw = dict(lr=0.1, max_iter=1)

    def mlp(lib):
        mods = []
        for i, (fi, fo) in enumerate(zip(layers[:-1], layers[1:])):
            if lib == "losslab":
                lin = nn.Linear(fi, fo, dtype=dtype)
                with ll.no_grad():
                    lin.weight.copy_(ll.tensor(params0[2 * i]))
                    lin.bias.copy_(ll.tensor(params0[2 * i + 1]))
                mods += [lin, nn.ReLU()]
            else:
                lin = torch.nn.Linear(fi, fo, dtype=getattr(torch, np.dtype(dtype).name))
                with torch.no_grad():
                    lin.weight.copy_(torch.from_numpy(params0[2 * i]))
                    lin.bias.copy_(torch.from_numpy(params0[2 * i + 1]))
                mods += [lin, torch.nn.ReLU()]
        mods.pop()  # no activation after the last layer
        return nn.Sequential(*mods) if lib == "losslab" else torch.nn.Sequential(*mods)

    lmodel, tmodel = mlp("losslab"), mlp("torch")
    lopt = info.cls(lmodel.parameters(), **kw)
    topt = torch.optim.LBFGS(tmodel.parameters(), **kw)
    lx, ly = ll.tensor(X), ll.tensor(y)
    tx, ty = torch.from_numpy(X), torch.from_numpy(y)

    def lclosure():
        lopt.zero_grad()
        loss = cross_entropy(lmodel(lx), ly)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(tx), ty)
        loss.backward()
        return loss

    calls = {"ll_step": lambda: lopt.step(lclosure), "torch_step": lambda: topt.step(tclosure),
             "ll_closure": lclosure, "torch_closure": tclosure}
    res = measure(calls, reps, min_time, quick)
    res["ll_loss"], res["torch_loss"] = float(lclosure().item()), float(tclosure().item())
    res.update(n_params=sum(p.size for p in params0), history_size=lopt.param_groups[0]["history_size"],
               layers=layers, **kw)
    return res


# ----------------------------------------------------------------------------- report
def _fmt_check(d, tol):
    if d is None:
        return "-"
    if not math.isfinite(d):
        return "n/a"
    return "ok" if d <= tol else f"diff {d:.1e}"


def print_step_table(rows, layers, dtype_name, foreach=False, out=None) -> None:
    print(f"\noptimizer step (grads already set; no zero_grad), MLP {'-'.join(map(str, layers))} parameters, "
          f"{dtype_name} (µs per step, median; losslab/torch > 1: losslab slower)", file=out)
    w = max(len(r["name"]) for r in rows)
    head = (f"{'optimizer':<{w}}  {'params':>7}  {'losslab µs':>11}  {'torch µs':>10}  {'losslab/torch':>13}  "
            + (f"{'foreach µs':>10}  " if foreach else "") + f"{'torch impl':<24}  check")
    print(head, file=out)
    main_rows = sorted([r for r in rows if "floor_of" not in r],
                       key=lambda r: -(r["ratio"] if r["ratio"] is not None else -1.0))
    for r in main_rows:
        tus = f"{r['torch_us']:10.1f}" if r["torch_us"] else f"{'-':>10}"
        ratio = f"{r['ratio']:13.2f}" if r["ratio"] is not None else f"{'-':>13}"
        fe = (f"{r['foreach_us']:10.1f}  " if r["foreach_us"] else f"{'-':>10}  ") if foreach else ""
        print(f"{r['name']:<{w}}  {r['n_params']:>7}  {r['ll_us']:11.1f}  {tus}  {ratio}  {fe}{r['impl']:<24}  "
              f"{_fmt_check(r['check'], r['tol'])}", file=out)
    ratios = [r["ratio"] for r in main_rows if r["ratio"] is not None]
    print(f"geometric mean losslab/torch: {geomean(ratios):.2f} over {len(ratios)} optimizers", file=out)
    for f in (r for r in rows if "floor_of" in r):
        base = next(r for r in rows if r["name"] == f["floor_of"])
        print(f"floor: hand-written in-place NumPy Adam {f['ll_us']:.1f} µs/step "
              f"(losslab adam / floor = {base['ll_us'] / f['ll_us']:.2f}, torch Adam / floor = "
              f"{f['torch_us'] / f['ll_us']:.2f}; check vs losslab: {_fmt_check(f['check'], f['tol'])})", file=out)


def print_lbfgs(res, dtype_name, out=None) -> None:
    print(f"\nLBFGS step(closure), lr={res['lr']}, max_iter={res['max_iter']} (one closure evaluation per step), "
          f"history_size={res['history_size']}; closure = zero_grad + MLP {'-'.join(map(str, res['layers']))} "
          "forward + cross-entropy + backward, "
          f"batch {LBFGS_BATCH}, {dtype_name} (µs, median)", file=out)
    print(f"{'optimizer':<9}  {'what':<16}  {'losslab µs':>11}  {'torch µs':>10}  {'losslab/torch':>13}", file=out)
    own_ll = res["ll_step"] - res["ll_closure"]
    own_t = res["torch_step"] - res["torch_closure"]
    for what, a, b in (("step(closure)", res["ll_step"], res["torch_step"]),
                       ("closure alone", res["ll_closure"], res["torch_closure"]),
                       ("step - closure", own_ll, own_t)):
        ratio = f"{a / b:13.2f}" if b > 0 and a > 0 else f"{'-':>13}"
        print(f"{'lbfgs':<9}  {what:<16}  {a:11.1f}  {b:10.1f}  {ratio}", file=out)
    print(f"(loss after the timed steps: losslab {res['ll_loss']:.4f}, torch {res['torch_loss']:.4f})", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--only", default=None, help="comma-separated optimizer names (default: all)")
    parser.add_argument("--reps", type=int, default=7, help="interleaved rounds (the median is reported)")
    parser.add_argument("--min-time", type=float, default=0.1, help="seconds per timed loop")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for PyTorch and for NumPy's BLAS alike (default 1)")
    parser.add_argument("--layers", default=None,
                        help="MLP widths, e.g. 784,256,128,10 (default; 64,32,10 with --quick)")
    parser.add_argument("--foreach", action="store_true", help="also time torch.optim with foreach=True")
    parser.add_argument("--quick", action="store_true", help="two steps per optimizer, no repetitions (smoke test)")
    parser.add_argument("--no-check", action="store_true", help="skip the update agreement check")
    args = parser.parse_args(argv)

    names = select_names(args.only, list(optim.OPTIMIZER_REGISTRY), "optimizer(s)", parser)
    step_names = [n for n in names if not optim.OPTIMIZER_REGISTRY[n].requires_closure]
    closure_names = [n for n in names if optim.OPTIMIZER_REGISTRY[n].requires_closure]
    unknown_closure = [n for n in closure_names if n != "lbfgs"]
    if unknown_closure:
        print(f"note: no closure benchmark written for {', '.join(unknown_closure)}; skipped")
    dtype = np.dtype(args.dtype)
    if args.layers:
        try:
            layers = tuple(int(w) for w in args.layers.split(","))
        except ValueError:
            parser.error(f"--layers: expected comma-separated integers like 784,256,128,10, got {args.layers!r}")
        if len(layers) < 2 or min(layers) < 1:
            parser.error(f"--layers: need at least two widths ≥ 1, got {args.layers!r}")
    else:
        layers = QUICK_LAYERS if args.quick else LAYERS
    torch_threads, blas, restore_threads = setup_threads(args.threads)
    try:
        print(machine_line(torch_threads, blas))
        run(args, step_names, closure_names, layers, dtype)
    finally:
        restore_threads()
    return 0


def run(args, step_names, closure_names, layers, dtype) -> None:
    if step_names:
        rows = bench_steps(step_names, layers, dtype, args.reps, args.min_time, args.quick, foreach=args.foreach,
                           check=not args.no_check)
        print_step_table(rows, layers, args.dtype, foreach=args.foreach)
    if "lbfgs" in closure_names:
        print_lbfgs(bench_lbfgs(layers, dtype, args.reps, args.min_time, args.quick), args.dtype)


if __name__ == "__main__":
    raise SystemExit(main())
