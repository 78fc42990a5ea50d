"""Sequential, ModuleList and ModuleDict against torch.nn: indexing, names, mutation, repr."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import losslab as ll
import losslab.nn as lnn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _seq(nn):
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())


def _names(m):
    return [k for k, _ in m.named_parameters()]


def test_sequential_indexing_len_iter():
    s = _seq(lnn)
    assert len(s) == 4
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear", "Tanh"]
    assert s[0] is s._modules["0"] and s[-1] is s[3]
    sub = s[1:3]
    assert isinstance(sub, lnn.Sequential) and len(sub) == 2 and sub[0] is s[1] and sub[1] is s[2]
    assert list(sub._modules) == ["1", "2"]  # keys kept, as torch
    assert list(sub._modules) == list(_seq(tnn)[1:3]._modules)
    assert _names(s[::2]) == _names(_seq(tnn)[::2])
    with pytest.raises(IndexError, match="out of range"):
        s[4]
    with pytest.raises(TypeError, match="integers or slices"):
        s["0"]


def test_sequential_ordered_dict_names():
    def build(nn):
        return nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Sigmoid()), ("out", nn.Linear(2, 1))]))

    m, t = build(lnn), build(tnn)
    assert _names(m) == _names(t) == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    assert repr(m) == repr(t)
    assert m[1] is m.act and m[-1] is m.out
    assert list(m.state_dict()) == list(t.state_dict())


def test_sequential_forward_chains():
    s = lnn.Sequential(lnn.Linear(2, 3), lnn.ReLU())
    x = ll.ones(5, 2)
    np.testing.assert_array_equal(s(x).data, s[1](s[0](x)).data)
    assert lnn.Sequential()(x) is x


def test_sequential_append_extend_insert_del_pop_match_torch():
    def ops(nn):
        s = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        s.append(nn.Linear(2, 3))
        s.extend([nn.Tanh(), nn.Linear(3, 1)])
        s.insert(1, nn.Sigmoid())
        del s[2]
        s.pop(0)
        s[0] = nn.Identity()
        del s[1:3]
        return s

    m, t = ops(lnn), ops(tnn)
    assert repr(m) == repr(t)
    assert _names(m) == _names(t)
    assert list(m._modules) == list(t._modules)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="argument 1"):
        lnn.Sequential(lnn.ReLU(), lambda x: x)
    with pytest.raises(TypeError, match="Module"):
        lnn.Sequential().append(3)


def test_module_list():
    def build(nn):
        ml = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
        ml.append(nn.Linear(2, 1))
        ml.extend([nn.ReLU(), nn.ReLU()])
        ml += [nn.Tanh()]
        ml.insert(0, nn.Sigmoid())
        del ml[1]
        return ml

    m, t = build(lnn), build(tnn)
    assert repr(m) == repr(t)  # includes the "(3-4): 2 x ReLU()" compression
    assert _names(m) == _names(t)
    assert len(m) == len(t) == 6
    assert isinstance(m[1:3], lnn.ModuleList) and m[1:3][0] is m[1]
    assert m[-1] is m[5]
    both = m + lnn.ModuleList([lnn.ReLU()])
    assert len(both) == 7 and both[0] is m[0]
    assert m.pop(0).__class__.__name__ == "Sigmoid" and len(m) == 5
    with pytest.raises(NotImplementedError):
        m(ll.ones(1))
    with pytest.raises(TypeError, match="iterable"):
        lnn.ModuleList(3)


def test_module_list_registers_parameters_in_parent():
    class Net(lnn.Module):
        def __init__(self):
            super().__init__()
            self.layers = lnn.ModuleList([lnn.Linear(2, 2) for _ in range(3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    n = Net()
    assert _names(n) == [f"layers.{i}.{w}" for i in range(3) for w in ("weight", "bias")]
    n(ll.ones(1, 2)).sum().backward()
    assert all(p.grad is not None for p in n.parameters())


def test_module_dict():
    def build(nn):
        d = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU()})
        d["c"] = nn.Linear(2, 1)
        d.update([("e", nn.Tanh())])
        del d["a"]
        return d

    m, t = build(lnn), build(tnn)
    assert repr(m) == repr(t)
    assert list(m.keys()) == list(t.keys()) == ["b", "c", "e"]
    assert _names(m) == _names(t)
    assert "c" in m and "a" not in m and len(m) == 3
    assert list(iter(m)) == ["b", "c", "e"]
    assert [type(v).__name__ for v in m.values()] == ["Linear", "Linear", "Tanh"]
    assert dict(m.items())["c"] is m["c"]
    assert type(m.pop("e")).__name__ == "Tanh" and len(m) == 2
    with pytest.raises(KeyError, match="'zz'"):
        m["zz"]
    with pytest.raises(TypeError, match="Module"):
        m["x"] = 3
    with pytest.raises(ValueError, match="pair"):
        m.update([("x",)])
    m.clear()
    assert len(m) == 0


def test_manual_gradient_descent_lowers_loss():
    ll.manual_seed(0)
    rng = np.random.default_rng(0)
    x = ll.tensor(rng.normal(size=(64, 3)), dtype=ll.float32)
    y = ll.tensor((rng.normal(size=(64, 1)) + x.data.sum(1, keepdims=True)), dtype=ll.float32)
    net = lnn.Sequential(lnn.Linear(3, 16), lnn.Tanh(), lnn.Linear(16, 1))

    def loss():
        return ((net(x) - y) ** 2).mean()

    first = loss().item()
    for _ in range(200):
        net.zero_grad()
        loss().backward()
        with ll.no_grad():
            for p in net.parameters():
                p.sub_(p.grad, alpha=0.05)
    assert loss().item() < 0.5 * first
