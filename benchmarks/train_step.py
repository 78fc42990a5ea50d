"""Time one training step in losslab against PyTorch eager and hand-written NumPy, in one run.

Workloads (same shapes, same initial weights, same data in every framework):

* ``tiny``  — the seed's 2-2-1 network, 1 sample, sigmoid hidden and output, BCE, plain SGD (η = 0.1);
* ``small`` — 64-32-10 MLP, batch 32, ReLU, cross-entropy, plain SGD (η = 0.05).

A *step* is: zero the gradients, forward, loss, backward, optimizer update. Frameworks are timed
interleaved (round-robin) over several repetitions so drift on the machine hits all of them alike;
the report gives the median µs/step of each and losslab's time over it (0.2 means losslab
takes a fifth of that framework's time).

Usage::

    python benchmarks/train_step.py            # both workloads
    python benchmarks/train_step.py --reps 9 --workload tiny

Timing never goes into the test suite; this script is the measurement.
"""
from __future__ import annotations

import argparse

import numpy as np

import losslab as ll
from _timing import measure, numpy_adam_step

WORKLOADS = {
    # name: (layer widths, batch, hidden activation, loss, optimizer, learning rate)
    "tiny": ((2, 2, 1), 1, "sigmoid", "bce", "sgd", 0.1),
    "small": ((64, 32, 10), 32, "relu", "ce", "sgd", 0.05),
}


def make_problem(name: str, seed: int = 0, workloads: dict | None = None):
    """Weights (list of (W (out,in), b (out,))) and a batch (X, y) shared by every framework,
    followed by the workload's activation, loss, optimizer ("sgd" or "adam") and learning rate.
    ``workloads`` is a table shaped like :data:`WORKLOADS` (default: this script's)."""
    widths, batch, act, loss, opt, lr = (workloads or WORKLOADS)[name]
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)))
    X = rng.standard_normal((batch, widths[0])).astype(np.float32)
    if loss == "bce":
        y = rng.integers(0, 2, (batch, 1)).astype(np.float32)
    else:
        y = rng.integers(0, widths[-1], (batch,)).astype(np.int64)
    return layers, X, y, act, loss, opt, lr


# ----------------------------------------------------------------------------------- losslab
def losslab_parts(layers, X, y, act, loss, opt, lr):
    """(model, optimizer, loss function, input, target) of a workload, in losslab."""
    from losslab import nn, optim
    from losslab.losses import binary_cross_entropy, cross_entropy

    mods = []
    for i, (W, b) in enumerate(layers):
        lin = nn.Linear(W.shape[1], W.shape[0])
        with ll.no_grad():
            lin.weight.copy_(ll.tensor(W))
            lin.bias.copy_(ll.tensor(b))
        mods.append(lin)
        last = i == len(layers) - 1
        if not last:
            mods.append(nn.Sigmoid() if act == "sigmoid" else nn.ReLU())
        elif loss == "bce":
            mods.append(nn.Sigmoid())
    model = nn.Sequential(*mods)
    opt = optim.SGD(model.parameters(), lr=lr) if opt == "sgd" else optim.Adam(model.parameters(), lr=lr)
    loss_fn = binary_cross_entropy if loss == "bce" else cross_entropy
    return model, opt, loss_fn, ll.tensor(X), ll.tensor(y)


def losslab_step_fn(layers, X, y, act, loss, opt, lr):
    """The eager step, written as in PyTorch."""
    model, opt, loss_fn, xt, yt = losslab_parts(layers, X, y, act, loss, opt, lr)

    def step():
        opt.zero_grad()
        out = loss_fn(model(xt), yt)
        out.backward()
        opt.step()
        return out

    return step


def losslab_compiled_step_fn(layers, X, y, act, loss, opt, lr):
    """The same step through ``losslab.train.compile_step``: the first call runs eagerly and
    records the ops, later calls replay the same kernels (the same numbers, bit for bit)."""
    from losslab.train import compile_step

    model, opt, loss_fn, xt, yt = losslab_parts(layers, X, y, act, loss, opt, lr)
    step = compile_step(model, loss_fn, opt)
    return lambda: step(xt, yt)


# ----------------------------------------------------------------------------------- PyTorch
def torch_step_fn(layers, X, y, act, loss, opt, lr):
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    mods = []
    for i, (W, b) in enumerate(layers):
        lin = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        last = i == len(layers) - 1
        if not last:
            mods.append(torch.nn.Sigmoid() if act == "sigmoid" else torch.nn.ReLU())
        elif loss == "bce":
            mods.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*mods)
    opt = (torch.optim.SGD(model.parameters(), lr=lr) if opt == "sgd"
           else torch.optim.Adam(model.parameters(), lr=lr))  # PyTorch's default (CPU: for-loop) path
    xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = torch.nn.functional.binary_cross_entropy if loss == "bce" else torch.nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        out = loss_fn(model(xt), yt)
        out.backward()
        opt.step()
        return out

    return step


# ------------------------------------------------------------------------------ hand NumPy
def numpy_step_fn(layers, X, y, act, loss, opt, lr):
    """Forward, backward and SGD/Adam update written out by hand: the floor for any NumPy engine.
    Adam is PyTorch's formula, in place, with one preallocated scratch buffer per array. Matrix
    products call ``ndarray.dot`` (the same BLAS gemm as ``@``, with less dispatch), as
    losslab's fused linear layer does, so that the floor stays a floor."""
    params = [(W.copy(), b.copy()) for W, b in layers]
    n = X.shape[0]
    flat = [a for pair in params for a in pair]
    if opt == "adam":
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        ms = [np.zeros_like(a) for a in flat]
        vs = [np.zeros_like(a) for a in flat]
        bufs = [np.empty_like(a) for a in flat]
        t = [0]

    def update(grads):
        if opt == "sgd":
            for a, g in zip(flat, grads):
                g *= lr
                a -= g
            return
        t[0] += 1
        numpy_adam_step(flat, grads, ms, vs, bufs, t[0], lr, beta1, beta2, eps)

    if loss == "ce":
        onehot = np.eye(layers[-1][0].shape[0], dtype=np.float32)[y]

    def sigmoid(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic

    def step():
        acts = [X]
        for i, (W, b) in enumerate(params):
            z = acts[-1].dot(W.T) + b
            last = i == len(params) - 1
            if last:
                acts.append(sigmoid(z) if loss == "bce" else z)
            else:
                acts.append(sigmoid(z) if act == "sigmoid" else np.maximum(z, 0))
        out = acts[-1]
        if loss == "bce":
            p = np.clip(out, 1e-12, 1 - 1e-12)
            value = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
            delta = (out - y) / n  # BCE ∘ sigmoid: dL/dz = (p − y)/n
        else:
            shifted = out - out.max(axis=1, keepdims=True)
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            value = -np.mean(logp[np.arange(n), y])
            delta = (np.exp(logp) - onehot) / n
        grads = [None] * len(flat)
        for i in range(len(params) - 1, -1, -1):
            W, b = params[i]
            grads[2 * i], grads[2 * i + 1] = delta.T.dot(acts[i]), delta.sum(axis=0)
            if i:
                da = delta.dot(W)
                a = acts[i]
                delta = da * a * (1 - a) if act == "sigmoid" else da * (a > 0)
        update(grads)
        return value

    return step


FRAMEWORKS = {"losslab": losslab_step_fn, "torch": torch_step_fn, "numpy": numpy_step_fn}


def run(workload: str, reps: int, min_time: float = 0.2) -> dict[str, float]:
    problem = make_problem(workload)
    steps = {}
    for name, make in FRAMEWORKS.items():
        try:
            steps[name] = make(*problem)
        except ImportError:
            continue  # PyTorch not installed: report the others
    return measure(steps, reps, min_time, warmup=20, min_number=50)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--reps", type=int, default=7, help="interleaved repetitions (median is reported)")
    args = parser.parse_args(argv)
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    print(f"{'workload':<8} {'framework':<9} {'µs/step':>10} {'losslab/this':>13}")
    for w in names:
        res = run(w, args.reps)
        base = res["losslab"]
        for name, us in res.items():
            print(f"{w:<8} {name:<9} {us:10.1f} {base / us:13.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
