"""Independent reference for the explainer tests: the same network built in PyTorch (float64),
with the seed's naming scheme re-derived here, so that both the numbers and the names are pinned
without reading losslab's code."""
from __future__ import annotations

import numpy as np

SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu",
          "softplus": "softplus", "identity": "id"}


def torch_reference(layers, x, y, loss="bce", lr=0.1):
    """``layers``: list of (weight (out,in), bias (out,) or None, activation, params dict).
    Returns {step name: value} for every computed step (forward, loss, backward, grads, updates)."""
    import torch

    sizes = [len(x)] + [np.shape(w)[0] for w, *_ in layers]
    n_out = sizes[-1]
    total = sum(sizes[1:])
    sep = "_" if max(sizes[0], total) > 9 else ""
    starts, s = [], 1
    for n in sizes[1:]:
        starts.append(s)
        s += n

    def act_name(l, r):
        if l == len(layers) - 1:
            return "ŷ" if n_out == 1 else f"ŷ{r + 1}"
        return f"a{starts[l] + r}"

    def src(l, c):
        return (c + 1, f"x{c + 1}") if l == 0 else (starts[l - 1] + c, act_name(l - 1, c))

    def act_fn(name, p):
        F = torch.nn.functional
        return {
            "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "leaky_relu": lambda z: F.leaky_relu(z, p.get("negative_slope", 0.01)),
            "softplus": lambda z: F.softplus(z, p.get("beta", 1.0), p.get("threshold", 20.0)),
            "identity": lambda z: z * 1.0,
        }[name]

    a = torch.tensor(np.asarray(x, dtype=np.float64))
    yt = torch.tensor(np.asarray(y, dtype=np.float64))
    Ws, bs, zs, acts = [], [], [], []
    for w, b, act, p in layers:
        W = torch.tensor(np.asarray(w, dtype=np.float64), requires_grad=True)
        B = None if b is None else torch.tensor(np.asarray(b, dtype=np.float64), requires_grad=True)
        z = W @ a + (B if B is not None else 0.0)
        z.retain_grad()
        a = act_fn(act, p)(z)
        a.retain_grad()
        Ws.append(W), bs.append(B), zs.append(z), acts.append(a)
    if loss == "bce":
        L = torch.nn.functional.binary_cross_entropy(acts[-1], yt)
    else:
        L = torch.nn.functional.mse_loss(acts[-1], yt)
    # f'(z) on detached copies: in PyTorch, autograd.grad also fills the .grad of tensors that
    # called retain_grad(), which would pollute dL/da below.
    fprimes = []
    for (w, b, act, p), z_ in zip(layers, zs):
        zd = z_.detach().clone().requires_grad_(True)
        fprimes.append(torch.autograd.grad(act_fn(act, p)(zd), zd, torch.ones_like(zd))[0])
    L.backward()

    out = {"L": L.item()}
    for l, (w, b, act, p) in enumerate(layers):
        n_o, n_i = np.shape(w)
        for r in range(n_o):
            j = starts[l] + r
            name = act_name(l, r)
            out[f"z{j}"] = zs[l][r].item()
            out[name] = acts[l][r].item()
            out[f"dL/d{name}"] = acts[l].grad[r].item()
            out[f"{SYMBOL[act]}'(z{j})"] = fprimes[l][r].item()
            out[f"δ{j}"] = zs[l].grad[r].item()
            for c in range(n_i):
                i, _ = src(l, c)
                wn = f"w{i}{sep}{j}"
                out[f"dL/d{wn}"] = Ws[l].grad[r, c].item()
                out[f"{wn}'"] = (Ws[l][r, c] - lr * Ws[l].grad[r, c]).item()
            if bs[l] is not None:
                out[f"dL/db{j}"] = bs[l].grad[r].item()
                out[f"b{j}'"] = (bs[l][r] - lr * bs[l].grad[r]).item()
    return out
