"""Shared helpers for the optimizer tests: a small MLP built from losslab leaves and the same MLP
in PyTorch, so trajectories can be compared step by step (no dependency on losslab.nn/losses)."""
from __future__ import annotations

import numpy as np

import losslab as ll

# 2-layer MLP: 3 inputs -> 5 tanh units -> 2 sigmoid outputs, MSE against fixed targets.
SHAPES = {"w1": (5, 3), "b1": (5,), "w2": (2, 5), "b2": (2,)}
NAMES = tuple(SHAPES)


def problem(seed: int = 0):
    """Inputs, targets and initial parameters (float64 ndarrays), deterministic."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3))
    y = rng.uniform(0.1, 0.9, size=(16, 2))
    init = {k: rng.normal(scale=0.7, size=s) for k, s in SHAPES.items()}
    return x, y, init


def ll_params(init, dtype=np.float64):
    return [ll.tensor(np.array(init[k], dtype=dtype), requires_grad=True) for k in NAMES]


def torch_params(torch, init):
    return [torch.tensor(np.array(init[k]), dtype=torch.float64, requires_grad=True) for k in NAMES]


def ll_loss(params, x, y):
    w1, b1, w2, b2 = params
    xt = ll.tensor(np.asarray(x, dtype=w1.dtype))
    yt = ll.tensor(np.asarray(y, dtype=w1.dtype))
    h = ll.tanh(ll.linear(xt, w1, b1))
    out = ll.sigmoid(ll.linear(h, w2, b2))
    return ((out - yt) ** 2).mean()


def torch_loss(torch, params, x, y):
    w1, b1, w2, b2 = params
    F = torch.nn.functional
    h = torch.tanh(F.linear(torch.from_numpy(x), w1, b1))
    out = torch.sigmoid(F.linear(h, w2, b2))
    return ((out - torch.from_numpy(y)) ** 2).mean()


def ll_run(opt, params, x, y, steps: int):
    """``steps`` rounds of zero_grad / loss / backward / step; returns the losses."""
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ll_loss(params, x, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def torch_run(torch, opt, params, x, y, steps: int):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch_loss(torch, params, x, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def assert_params_close(ll_ps, torch_ps, rtol=1e-10, atol=1e-13):
    for i, (a, b) in enumerate(zip(ll_ps, torch_ps)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"parameter {i} ({NAMES[i] if i < len(NAMES) else '?'})")


def rosenbrock(p):
    """f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1)."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def parabola(p):
    """f(θ) = Σ c_i θ_i², an ill-conditioned bowl (c = 1, 4), minimum 0 at 0."""
    c = ll.tensor(np.array([1.0, 4.0], dtype=p.dtype))
    return (c * p * p).sum()
