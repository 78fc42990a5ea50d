"""Shared helpers for the loss tests: PyTorch conversion, running a loss in both libraries,
and inputs at the edge of each input kind. (Imported as a top-level module: tests/losses is on
sys.path under pytest's default import mode.)"""
from __future__ import annotations

import importlib

import numpy as np

import losslab as ll

RTOL = 1e-10


def resolve(dotted: str):
    """``"torch.nn.functional.mse_loss"`` -> the object."""
    mod, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(mod), attr)


def to_torch(torch, x, requires_grad: bool = False):
    """A copy of an ll Tensor / ndarray / number as a torch tensor (dtype kept)."""
    if isinstance(x, ll.Tensor):
        x = x.data
    if isinstance(x, np.ndarray):
        t = torch.from_numpy(np.array(x, copy=True))
        return t.requires_grad_(True) if requires_grad else t
    return x


def kwargs_to_torch(torch, kwargs: dict) -> dict:
    return {k: to_torch(torch, v) for k, v in kwargs.items()}


def leaf(x: ll.Tensor, requires_grad: bool = True) -> ll.Tensor:
    """A fresh leaf copy of ``x`` (float tensors require grad)."""
    t = ll.tensor(np.array(x.data, copy=True))
    if requires_grad and t.dtype.kind == "f":
        t.requires_grad = True
    return t


def assert_close(a, b, rtol: float = RTOL, atol: float = 0.0, what: str = ""):
    a = a.data if isinstance(a, ll.Tensor) else a
    b = b.detach().numpy() if hasattr(b, "detach") else b
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=what)


def run_both(torch, ll_fn, torch_fn, x, y, kwargs, reduction, *, seed=0, grad_target=True):
    """Run the loss in losslab and PyTorch on copies of (x, y); backpropagate the same random
    upstream gradient through both. Returns (ll_out, torch_out, ll_leaves, torch_leaves)."""
    lx, ly = leaf(x), leaf(y, requires_grad=grad_target)
    tx = to_torch(torch, x, requires_grad=True)
    ty = to_torch(torch, y, requires_grad=grad_target and y.dtype.kind == "f")
    out = ll_fn(lx, ly, reduction=reduction, **kwargs)
    tout = torch_fn(tx, ty, reduction=reduction, **kwargs_to_torch(torch, kwargs))
    g = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    out.backward(ll.tensor(g.astype(out.dtype)))
    tout.backward(torch.from_numpy(g.astype(np.float64)).to(tout.dtype))
    return out, tout, (lx, ly), (tx, ty)


def class_dim(x) -> int:
    return 0 if x.ndim == 1 else 1


def extreme_inputs(info, x: ll.Tensor, rng) -> list:
    """Inputs at the edge of ``info.input_kind``: ±1e4 logits, reals, scores or embeddings;
    distances 0 and 1e4; rates 1e-8 and 1e4; log-rates ±½·log(finfo.max); probabilities
    exactly 0 and 1; log-probabilities of ±1e4 logits."""
    shape = x.shape
    signs = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    kind = info.input_kind
    if kind in ("logits", "real", "scores", "embeddings"):
        return [ll.tensor(1e4 * signs, dtype=x.dtype), ll.tensor(-1e4 * np.ones(shape), dtype=x.dtype),
                ll.tensor(1e4 * np.ones(shape), dtype=x.dtype)]
    if kind == "distances":  # non-negative: 0 and 1e4
        return [ll.tensor(1e4 * (signs > 0), dtype=x.dtype), ll.tensor(np.zeros(shape), dtype=x.dtype),
                ll.tensor(1e4 * np.ones(shape), dtype=x.dtype)]
    if kind == "rates":  # non-negative rates or counts: huge and nearly zero
        return [ll.tensor(np.where(signs > 0, 1e4, 1e-8), dtype=x.dtype),
                ll.tensor(np.full(shape, 1e-8), dtype=x.dtype), ll.tensor(np.full(shape, 1e4), dtype=x.dtype)]
    if kind == "log-rates":  # exp(input) must stay finite: half the log of the largest float
        big = 0.5 * np.log(np.finfo(x.dtype).max)
        return [ll.tensor(big * signs, dtype=x.dtype), ll.tensor(np.full(shape, -big), dtype=x.dtype),
                ll.tensor(np.full(shape, big), dtype=x.dtype)]
    if kind == "probabilities":
        return [ll.tensor((signs > 0).astype(np.float64), dtype=x.dtype),
                ll.tensor(np.zeros(shape), dtype=x.dtype), ll.tensor(np.ones(shape), dtype=x.dtype)]
    if kind == "log-probabilities":
        z = 1e4 * signs
        d = class_dim(x)
        logp = z - np.max(z, axis=d, keepdims=True)
        logp = logp - np.log(np.sum(np.exp(logp), axis=d, keepdims=True))
        return [ll.tensor(logp, dtype=x.dtype)]
    raise NotImplementedError(f"no extreme inputs defined for input_kind {kind!r}; add them here")


def perturb(info, x: np.ndarray, rng, scale: float) -> np.ndarray:
    """A nearby valid input of the same kind."""
    noisy = x + scale * rng.normal(size=x.shape)
    if info.input_kind == "probabilities":
        return np.clip(noisy, 0.0, 1.0)
    if info.input_kind in ("rates", "distances"):
        return np.maximum(noisy, 0.0)
    if info.input_kind == "log-probabilities":
        d = class_dim(x)
        return noisy - np.log(np.sum(np.exp(noisy), axis=d, keepdims=True))
    return noisy
