"""Time forward + backward of every registered loss in losslab against PyTorch (CPU), in one run.

For each entry of ``losslab.losses.LOSS_REGISTRY``:

* the data is the entry's own ``make_example(rng, dtype)`` drawn repeatedly and concatenated along
  the batch axis until it holds ``--batch`` samples (dim 0; dim 1 for ``ctc_loss``'s (T, N, C)
  log-probabilities). Per-sample keyword tensors (a second embedding, ±1 labels, CTC lengths) are
  concatenated with it; per-class ones (``pos_weight``, ``alpha``, ``weight``) and scalar
  hyperparameters come from the first draw, and only draws whose discrete options (``log_target``,
  ``full``, ``swap``…) equal the first draw's are used. A loss whose example cannot be scaled that
  way is timed at its example size and says so in the ``shape`` column (marked ``*``);
* one *call* is: clear the input's gradient, ``loss = fn(input, target, reduction="mean", **kw)``,
  ``loss.backward()``. Only the input requires a gradient (in both libraries);
* the PyTorch peer is ``info.torch_equivalent`` where the registry names one, otherwise a
  composition of PyTorch ops written here (the same formula; ``torch impl`` says which). Before
  timing, both are run once in float64 on the same data and the largest relative difference of
  value and input gradient is shown (``check``: ``ok`` below 1e-6), so a ratio is never taken
  between two different computations.

The two libraries are timed interleaved (round-robin, ``--reps`` rounds, each round runs a loop
of calls lasting about ``--min-time`` seconds) and the median µs per call is reported, with
losslab's time over PyTorch's (2.0 = losslab takes twice as long). A second table compares
losslab's fused loss primitives with the same loss composed from engine ops (softmax
cross-entropy vs log_softmax + gather; BCE-with-logits vs log-sigmoid; Huber vs where/abs).

Usage::

    python benchmarks/losses.py                       # every loss, float32, batch 512
    python benchmarks/losses.py --dtype both --batch 128
    python benchmarks/losses.py --only cross_entropy,huber_loss --reps 9
    python benchmarks/losses.py --quick               # a few calls each (the smoke test)

Timing never goes into the test suite; this script is the measurement.
"""
from __future__ import annotations

import argparse
import math
import pathlib
import sys
import warnings
import zlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script or loaded by path (the smoke test)
    sys.path.insert(0, str(HERE))

from _timing import geomean, machine_line, measure, select_names, setup_threads  # noqa: E402

import losslab as ll
import losslab.losses as L

DEFAULT_BATCH = 512
QUICK_BATCH = 16
#: the batch axis of a loss's input where it is not 0 (CTC's log-probabilities are (T, N, C))
BATCH_AXIS = {"ctc_loss": 1}
#: a float64 check below this relative difference prints "ok"
CHECK_TOL = 1e-6
#: PyTorch's notice that kl_div's 'mean' is not 'batchmean' (and losslab's, if it gives one)
_KL_MEAN_WARNING = "reduction: 'mean' divides the total loss"


# ----------------------------------------------------------------------------- data
def _arr(v):
    return v.data if isinstance(v, ll.Tensor) else v


def _discrete(kw: dict) -> tuple:
    """The options of an example that decide what its data means (booleans, strings, ints,
    None), as opposed to tensors and float hyperparameters."""
    return tuple(sorted((k, v) for k, v in kw.items()
                        if not isinstance(v, (ll.Tensor, float, np.ndarray))))


def scaled_example(info, dtype, batch: int):
    """(input, target, kwargs, shape text): ``make_example`` repeated along the batch axis to
    ``batch`` samples, or the example itself (shape text marked ``*``) when it cannot be scaled."""
    rng = np.random.default_rng(zlib.crc32(info.name.encode()))
    x0, t0, kw0 = info.make_example(rng, dtype)
    axis = BATCH_AXIS.get(info.name, 0)
    n0 = x0.shape[axis]

    def shape_text(x, scaled=True):
        return "x".join(map(str, x.shape)) + ("" if scaled else "*")

    if batch <= n0:
        return x0, t0, kw0, shape_text(x0)
    per_sample = [k for k, v in kw0.items() if isinstance(v, ll.Tensor) and v.ndim >= 1 and v.shape[0] == n0]
    draws, need, tries = [(x0, t0, kw0)], -(-batch // n0), 0
    while len(draws) < need and tries < 50 * need:
        tries += 1
        x, t, kw = info.make_example(rng, dtype)
        if _discrete(kw) == _discrete(kw0) and x.shape == x0.shape and t.shape == t0.shape:
            draws.append((x, t, kw))
    try:
        if len(draws) < need:
            raise ValueError("too few draws with the same options")
        x = ll.tensor(np.concatenate([d[0].data for d in draws], axis=axis))
        t = ll.tensor(np.concatenate([d[1].data for d in draws], axis=0))
        kw = dict(kw0)
        for k in per_sample:
            kw[k] = ll.tensor(np.concatenate([d[2][k].data for d in draws], axis=0))
        info.fn(x, t, reduction="mean", **kw)  # the scaled batch must be valid
    except (ValueError, TypeError, IndexError) as exc:  # fall back to the example itself
        warnings.warn(f"{info.name}: timed at its example size ({exc})")
        return x0, t0, kw0, shape_text(x0, scaled=False)
    return x, t, kw, shape_text(x)


def to_torch(torch, v, requires_grad: bool = False):
    a = _arr(v)
    if isinstance(a, np.ndarray):
        out = torch.from_numpy(np.array(a, copy=True))
        return out.requires_grad_(True) if requires_grad else out
    return a


def _leaf(v) -> ll.Tensor:
    t = ll.tensor(np.array(_arr(v), copy=True))
    t.requires_grad = True
    return t


def _as(v, dtype):
    """A copy of an example tensor with floating data cast to ``dtype`` (integers kept)."""
    if isinstance(v, ll.Tensor):
        a = v.data
        return ll.tensor(a.astype(dtype) if a.dtype.kind == "f" else a.copy())
    return v


# ----------------------------------------------------------------------------- PyTorch peers
def torch_compositions(torch) -> dict:
    """name -> fn(x, t, **hyperparameters) -> the 'mean' loss, in PyTorch ops, for the losses that
    PyTorch does not ship (same formulas as losslab's docstrings; checked against losslab in
    float64 before every run)."""
    F = torch.nn.functional
    LOG2 = math.log(2.0)

    def gather_y(z, t):
        return z.gather(1, t.unsqueeze(1)).squeeze(1)

    def unit_rows(x):  # squared norms clipped at machine eps (optax's cosine_similarity)
        eps = torch.finfo(x.dtype).eps
        return x / x.pow(2).sum(1, keepdim=True).clamp_min(eps).sqrt()

    def pair_masks(t):
        same = t[:, None] == t[None, :]
        pos = same & ~torch.eye(t.shape[0], dtype=torch.bool)
        return pos, ~same

    def masked_lse(z, mask):
        return torch.logsumexp(z.masked_fill(~mask, float("-inf")), 1)

    def ntxent(x, t, temperature, **_):
        pos, neg = pair_masks(t)
        sim = unit_rows(x) @ unit_rows(x).T / temperature
        pair = torch.logaddexp(torch.zeros((), dtype=x.dtype), masked_lse(sim, neg)[:, None] - sim)
        return torch.where(pos, pair, 0.0).sum() / pos.sum()

    def circle(x, t, gamma, margin, **_):
        pos, neg = pair_masks(t)
        u = unit_rows(x)
        s = u @ u.T
        lp = masked_lse(-gamma * (1.0 + margin - s).clamp_min(0.0) * (s - (1.0 - margin)), pos)
        ln = masked_lse(gamma * (s + margin).clamp_min(0.0) * (s - margin), neg)
        valid = pos.any(1) & neg.any(1)
        loss = torch.where(valid, torch.logaddexp(torch.zeros((), dtype=x.dtype), lp + ln), 0.0)
        return loss.sum() / valid.sum()

    def ranking_softmax(x, t, **_):
        return (t * (torch.logsumexp(x, -1, keepdim=True) - x)).sum(-1).mean()

    def focal(x, t, alpha, gamma, **_):
        lp = gather_y(F.log_softmax(x, 1), t)
        loss = (-torch.expm1(lp)) ** gamma * -lp
        return (loss * alpha[t] if alpha is not None else loss).mean()

    def poly1(x, t, epsilon, **_):
        lp = gather_y(F.log_softmax(x, 1), t)
        return (-lp - epsilon * torch.expm1(lp)).mean()

    def gce(x, t, q, **_):
        lp = gather_y(F.log_softmax(x, 1), t)
        return (-torch.expm1(q * lp) / q).mean()

    def onehot(x, t):
        return F.one_hot(t, x.shape[1]).to(x.dtype)

    def mc_hinge(x, t, **_):
        return ((x + 1.0 - onehot(x, t)).amax(1) - gather_y(x, t)).mean()

    def cat_hinge(x, t, **_):
        oh = onehot(x, t)
        return F.relu(((1.0 - oh) * x).amax(1) - (x * oh).sum(1) + 1.0).mean()

    def mc_perceptron(x, t, **_):
        return (x.amax(1) - gather_y(x, t)).mean()

    def mc_sparsemax(x, t, **_):
        z = x - x.amax(1, keepdim=True).detach()
        with torch.no_grad():  # sparsemax (Martins & Astudillo 2016, Alg. 1); by Danskin's
            zs = z.sort(1, descending=True).values  # theorem ∂ℓ/∂z = p − onehot, so p is a constant
            css = zs.cumsum(1)
            k = torch.arange(1, z.shape[1] + 1, dtype=z.dtype)
            kz = (1.0 + k * zs > css).sum(1, keepdim=True)
            tau = (css.gather(1, kz - 1) - 1.0) / kz.to(z.dtype)
            p = (z - tau).clamp_min(0.0)
        return ((p * z).sum(1) - gather_y(z, t) + 0.5 * (1.0 - (p * p).sum(1))).mean()

    def log_cosh(x, t, **_):
        a = (x - t).abs()
        return (a + F.softplus(-2.0 * a) - LOG2).mean()

    def quantile(x, t, tau, **_):
        u = t - x
        return (tau * F.relu(u) + (1.0 - tau) * F.relu(-u)).mean()

    def mape(x, t, eps, **_):
        return (100.0 * ((t - x) / t.abs().clamp_min(eps)).abs()).mean()

    def msle(x, t, **_):
        return (torch.log1p(x) - torch.log1p(t)).pow(2).mean()

    def gaussian_nll(x, t, var, full, eps, **_):
        return F.gaussian_nll_loss(x, t, torch.full_like(x, var), full=full, eps=eps)

    def eps_insensitive(x, t, epsilon, **_):
        return F.relu((x - t).abs() - epsilon).mean()

    def cosine_sim(x, t, dim, eps, **_):
        return (1.0 - F.cosine_similarity(x, t, dim=dim, eps=eps)).mean()

    def gen_kl(x, t, log_input, dim, **_):
        if log_input:
            terms = torch.xlogy(t, t) - t * x - t + x.exp()
        else:
            terms = torch.xlogy(t, t) - torch.xlogy(t, x) - t + x
        return terms.sum(dim).mean()

    def js(x, t, log_target, dim, **_):
        lp = F.log_softmax(x, dim)
        q, lq = (t.exp(), t) if log_target else (t, t.log())
        lm = torch.logaddexp(lp, lq) - LOG2
        terms = lp.exp() * (lp - lm) + torch.where(q > 0, q * (lq - lm), 0.0)
        return (0.5 * terms).sum(dim).mean()

    def alpha_t(t, alpha):
        return 1.0 if alpha is None or alpha < 0 else alpha * t + (1.0 - alpha) * (1.0 - t)

    def sigmoid_focal(x, t, alpha, gamma, **_):
        ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        u = t * torch.sigmoid(-x) + (1.0 - t) * torch.sigmoid(x)  # 1 − p_t, no cancellation
        return (alpha_t(t, alpha) * u ** gamma * ce).mean()

    def binary_focal(x, t, alpha, gamma, **_):
        ce = F.binary_cross_entropy(x, t, reduction="none")
        u = t * (1.0 - x) + (1.0 - t) * x
        return (alpha_t(t, alpha) * u ** gamma * ce).mean()

    def hinge(x, t, **_):
        return F.relu(1.0 - t * x).mean()

    def sq_hinge(x, t, **_):
        return F.relu(1.0 - t * x).pow(2).mean()

    def perceptron(x, t, **_):
        return F.relu(-t * x).mean()

    def modified_huber(x, t, **_):
        z = t * x
        return torch.where(z < -1.0, -4.0 * z, F.relu(1.0 - z).pow(2)).mean()

    def sparsemax_binary(x, t, **_):
        d = ((x + 1.0) * 0.5).clamp(0.0, 1.0) - t
        return (d * d + (1.0 - t) * F.relu(x - 1.0) + t * F.relu(-1.0 - x)).mean()

    def overlaps(p, t, dims):
        return (p * t).sum(dims), (p * (1.0 - t)).sum(dims), ((1.0 - p) * t).sum(dims)

    def dice(x, t, smooth, eps, **kw):
        return tversky(x, t, alpha=0.5, beta=0.5, smooth=smooth, eps=eps, **kw)

    def tversky(x, t, alpha, beta, smooth, eps, from_logits, class_dim, **_):
        assert not from_logits and class_dim is None, "only the registry's example options"
        inter, fp, fn_ = overlaps(x, t, tuple(range(1, x.ndim)))
        den = 2.0 * inter + 2.0 * alpha * fp + 2.0 * beta * fn_ + smooth
        return (1.0 - (2.0 * inter + smooth) / den.clamp_min(eps)).mean()

    def generalized_dice(x, t, smooth, eps, from_logits, class_dim, **_):
        assert not from_logits and class_dim == 1, "only the registry's example options"
        dims = tuple(range(2, x.ndim))
        inter, fp, fn_ = overlaps(x, t, dims)
        vol = t.sum(dims)
        w = 1.0 / (vol * vol + eps)
        num = 2.0 * (w * inter).sum(1) + smooth
        den = (w * (2.0 * inter + fp + fn_)).sum(1) + smooth
        return (1.0 - num / den.clamp_min(eps)).mean()

    return {
        "ntxent_loss": ntxent, "circle_loss": circle, "ranking_softmax_loss": ranking_softmax,
        "focal_loss": focal, "poly1_cross_entropy": poly1, "generalized_cross_entropy": gce,
        "multiclass_hinge_loss": mc_hinge, "categorical_hinge_loss": cat_hinge,
        "multiclass_perceptron_loss": mc_perceptron, "multiclass_sparsemax_loss": mc_sparsemax,
        "log_cosh_loss": log_cosh, "quantile_loss": quantile,
        "mean_absolute_percentage_error": mape, "mean_squared_logarithmic_error": msle,
        "gaussian_nll_loss": gaussian_nll, "epsilon_insensitive_loss": eps_insensitive,
        "cosine_similarity_loss": cosine_sim, "generalized_kl_divergence": gen_kl,
        "js_divergence": js, "sigmoid_focal_loss": sigmoid_focal, "binary_focal_loss": binary_focal,
        "hinge_loss": hinge, "squared_hinge_loss": sq_hinge, "perceptron_loss": perceptron,
        "modified_huber_loss": modified_huber, "sparsemax_loss": sparsemax_binary,
        "dice_loss": dice, "tversky_loss": tversky, "generalized_dice_loss": generalized_dice,
    }


def torch_peer(torch, info, compositions: dict):
    """(fn(x, t, kwargs) -> 'mean' loss, label): PyTorch's own function where the registry names
    one, otherwise the composition above (given every hyperparameter, defaults filled in)."""
    if info.torch_equivalent is not None:
        import importlib

        mod, _, attr = info.torch_equivalent.rpartition(".")
        f = getattr(importlib.import_module(mod), attr)
        return (lambda x, t, kw: f(x, t, reduction="mean", **kw)), info.torch_equivalent.replace(
            "torch.nn.functional.", "F.")
    comp = compositions.get(info.name)
    if comp is None:
        return None, "none"
    defaults = {k: v for k, v in info.hyperparameters.items() if k not in ("reduction", "sample_weight")}
    return (lambda x, t, kw: comp(x, t, **{**defaults, **kw})), "composed"


# ----------------------------------------------------------------------------- one loss
def _ll_call(fn, x, t, kw):
    leaf = _leaf(x)

    def call():
        leaf.grad = None
        fn(leaf, t, reduction="mean", **kw).backward()

    return call, leaf


def _torch_call(torch, tfn, x, t, kw):
    leaf = to_torch(torch, x, requires_grad=True)
    tt = to_torch(torch, t)
    tkw = {k: to_torch(torch, v) for k, v in kw.items()}

    def call():
        leaf.grad = None
        tfn(leaf, tt, tkw).backward()

    return call, leaf


def relative_difference(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-300)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale


def check_loss(torch, info, tfn, x, t, kw) -> float:
    """Run both once in float64 on the same data; the largest relative difference."""
    x64, t64 = _as(x, np.float64), _as(t, np.float64)
    kw64 = {k: _as(v, np.float64) for k, v in kw.items()}
    lleaf = _leaf(x64)
    lout = info.fn(lleaf, t64, reduction="mean", **kw64)
    lout.backward()
    tleaf = to_torch(torch, x64, requires_grad=True)
    tout = tfn(tleaf, to_torch(torch, t64), {k: to_torch(torch, v) for k, v in kw64.items()})
    tout.backward()
    return max(relative_difference(lout.data, tout.detach().numpy()),
               relative_difference(lleaf.grad.data, tleaf.grad.numpy()))


def bench_registry(names, dtype, batch, reps, min_time, quick, check=True) -> list:
    """One row per loss: dict(name, shape, ll_us, torch_us, ratio, impl, check)."""
    import torch

    comps = torch_compositions(torch)
    rows = []
    for name in names:
        info = L.get(name)
        x, t, kw, shape = scaled_example(info, dtype, batch)
        tfn, impl = torch_peer(torch, info, comps)
        calls = {"losslab": _ll_call(info.fn, x, t, kw)[0]}
        diff = None
        if tfn is not None:
            calls["torch"] = _torch_call(torch, tfn, x, t, kw)[0]
            if check:
                diff = check_loss(torch, info, tfn, x, t, kw)
        res = measure(calls, reps, min_time, quick)
        tus = res.get("torch")
        rows.append(dict(name=name, shape=shape, ll_us=res["losslab"], torch_us=tus,
                         ratio=res["losslab"] / tus if tus else None, impl=impl, check=diff))
    return rows


# ----------------------------------------------------------------------------- fused vs composed
def _ce_composed(x, y):
    # log_softmax + gather of the target class + mean: the graph SoftmaxCrossEntropy replaces
    return -ll.gather(ll.log_softmax(x, 1), 1, y.reshape(-1, 1)).mean()


def _bce_logits_composed(x, y):
    # log σ(z) = −softplus(−z); loss = −[y·log σ(x) + (1 − y)·log σ(−x)]
    return (y * ll.softplus(-x) + (1.0 - y) * ll.softplus(x)).mean()


def _huber_composed(x, y, delta=1.0):
    d = x - y
    a = d.abs()
    return ll.where(a.data < delta, 0.5 * d * d, delta * (a - 0.5 * delta)).mean()


FUSED = {
    # name: (fused losslab fn, composed fn, torch function name, data maker)
    "cross_entropy": (lambda x, y: L.cross_entropy(x, y), _ce_composed, "cross_entropy", "classes"),
    "binary_cross_entropy_with_logits": (lambda x, y: L.binary_cross_entropy_with_logits(x, y),
                                         _bce_logits_composed, "binary_cross_entropy_with_logits", "binary"),
    "huber_loss": (lambda x, y: L.huber_loss(x, y), _huber_composed, "huber_loss", "real"),
}
FUSED_CLASSES = 10


def fused_data(kind: str, dtype, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = (2.0 * rng.standard_normal((batch, FUSED_CLASSES))).astype(dtype)
    if kind == "classes":
        y = rng.integers(0, FUSED_CLASSES, batch).astype(np.int64)
    elif kind == "binary":
        y = rng.integers(0, 2, (batch, FUSED_CLASSES)).astype(dtype)
    else:
        y = (2.0 * rng.standard_normal((batch, FUSED_CLASSES))).astype(dtype)
    return x, y


def bench_fused(names, dtype, batch, reps, min_time, quick) -> list:
    import torch

    F = torch.nn.functional
    rows = []
    for name in names:
        fused, composed, tname, kind = FUSED[name]
        x, y = fused_data(kind, dtype, batch)
        yl = ll.tensor(y)
        leaves = {}

        def ll_call(f, key):
            leaf = leaves[key] = _leaf(x)

            def call():
                leaf.grad = None
                f(leaf, yl).backward()
            return call

        tx, ty = torch.from_numpy(x.copy()).requires_grad_(True), torch.from_numpy(y.copy())
        tf = getattr(F, tname)

        def torch_call():
            tx.grad = None
            tf(tx, ty).backward()

        calls = {"fused": ll_call(fused, "fused"), "composed": ll_call(composed, "composed"),
                 "torch": torch_call}
        for c in calls.values():  # one call each, then compare fused with composed
            c()
        diff = max(relative_difference(fused(leaves["fused"], yl).data, composed(leaves["composed"], yl).data),
                   relative_difference(leaves["fused"].grad.data, leaves["composed"].grad.data))
        res = measure(calls, reps, min_time, quick)
        rows.append(dict(name=name, shape="x".join(map(str, x.shape)), fused_us=res["fused"],
                         composed_us=res["composed"], torch_us=res["torch"], check=diff))
    return rows


# ----------------------------------------------------------------------------- report
def _fmt_check(d, tol):
    if d is None:
        return "-"
    return "ok" if d <= tol else f"diff {d:.1e}"


def print_registry_table(rows, dtype_name, batch, out=None) -> None:
    print(f"\nlosses: forward + backward, reduction='mean', {dtype_name}, batch {batch} "
          "(µs per call, median; losslab/torch > 1: losslab slower)", file=out)
    w = max(len(r["name"]) for r in rows)
    print(f"{'loss':<{w}}  {'shape':>10}  {'losslab µs':>11}  {'torch µs':>10}  {'losslab/torch':>13}  "
          f"{'torch impl':<36}  check", file=out)
    ordered = sorted(rows, key=lambda r: -(r["ratio"] if r["ratio"] is not None else -1.0))
    for r in ordered:
        tus = f"{r['torch_us']:10.1f}" if r["torch_us"] else f"{'-':>10}"
        ratio = f"{r['ratio']:13.2f}" if r["ratio"] is not None else f"{'-':>13}"
        print(f"{r['name']:<{w}}  {r['shape']:>10}  {r['ll_us']:11.1f}  {tus}  {ratio}  {r['impl']:<36}  "
              f"{_fmt_check(r['check'], CHECK_TOL)}", file=out)
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    native = [r["ratio"] for r in rows if r["ratio"] is not None and r["impl"] != "composed"]
    comp = [r["ratio"] for r in rows if r["ratio"] is not None and r["impl"] == "composed"]
    print(f"geometric mean losslab/torch: {geomean(ratios):.2f} over {len(ratios)} losses "
          f"({geomean(native):.2f} over {len(native)} with a PyTorch function, "
          f"{geomean(comp):.2f} over {len(comp)} against composed PyTorch ops)", file=out)
    unscaled = [r["name"] for r in rows if r["shape"].endswith("*")]
    if unscaled:
        print(f"* timed at make_example's size (could not be scaled): {', '.join(unscaled)}", file=out)


def print_fused_table(rows, dtype_name, out=None) -> None:
    print(f"\nfused vs composed (losslab engine ops), forward + backward, {dtype_name} "
          "(µs per call, median)", file=out)
    w = max(len(r["name"]) for r in rows)
    print(f"{'loss':<{w}}  {'shape':>8}  {'fused µs':>9}  {'composed µs':>11}  {'composed/fused':>14}  "
          f"{'torch µs':>9}  {'fused/torch':>11}  check", file=out)
    for r in rows:
        print(f"{r['name']:<{w}}  {r['shape']:>8}  {r['fused_us']:9.1f}  {r['composed_us']:11.1f}  "
              f"{r['composed_us'] / r['fused_us']:14.2f}  {r['torch_us']:9.1f}  "
              f"{r['fused_us'] / r['torch_us']:11.2f}  {_fmt_check(r['check'], 1e-5)}", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=["float32", "float64", "both"], default="float32")
    parser.add_argument("--batch", type=int, default=None,
                        help=f"samples per batch (default {DEFAULT_BATCH}; {QUICK_BATCH} with --quick)")
    parser.add_argument("--only", default=None, help="comma-separated loss names (default: every registered loss)")
    parser.add_argument("--reps", type=int, default=7, help="interleaved rounds (the median is reported)")
    parser.add_argument("--min-time", type=float, default=0.05, help="seconds per timed loop")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for PyTorch and for NumPy's BLAS alike (default 1)")
    parser.add_argument("--quick", action="store_true", help="two calls per loss, no repetitions (smoke test)")
    parser.add_argument("--no-check", action="store_true", help="skip the float64 agreement check")
    parser.add_argument("--no-fused", action="store_true", help="skip the fused-vs-composed table")
    args = parser.parse_args(argv)

    batch = args.batch if args.batch is not None else (QUICK_BATCH if args.quick else DEFAULT_BATCH)
    if batch < 1:
        parser.error(f"--batch must be ≥ 1, got {batch}")
    names = select_names(args.only, L.available(), "loss(es)", parser)
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    torch_threads, blas, restore_threads = setup_threads(args.threads)
    try:
        print(machine_line(torch_threads, blas))
        run(args, names, dtypes, batch)
    finally:
        restore_threads()
    return 0


def run(args, names, dtypes, batch: int) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_KL_MEAN_WARNING)
        for dname in dtypes:
            dtype = np.dtype(dname)
            rows = bench_registry(names, dtype, batch, args.reps, args.min_time, args.quick,
                                  check=not args.no_check)
            print_registry_table(rows, dname, batch)
            fused = [n for n in FUSED if n in names]
            if fused and not args.no_fused:
                print_fused_table(bench_fused(fused, dtype, batch, args.reps, args.min_time, args.quick), dname)


if __name__ == "__main__":
    raise SystemExit(main())
