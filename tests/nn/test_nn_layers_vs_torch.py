"""Layers against torch.nn: Linear, activations, Flatten/Identity, whole Sequential models
(forward values and every parameter gradient in float64), default init and reprs."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.nn as lnn

from nn_helpers import assert_close, copy_torch_into

torch = pytest.importorskip("torch")
tnn = torch.nn

ACTIVATIONS = [
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("ReLU", (), {}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (), {}), ("ELU", (0.7,), {}),
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}),
    ("Softplus", (), {}), ("Softplus", (2.0, 1.5), {}),
    ("Softmax", (), {"dim": 1}), ("Softmax", (), {"dim": -1}), ("Softmax", (), {"dim": 0}),
    ("LogSoftmax", (), {"dim": 1}), ("LogSoftmax", (), {"dim": 0}),
]


def _x(shape=(6, 5), seed=0):
    x = np.random.default_rng(seed).normal(scale=2.0, size=shape)
    x.flat[:3] = [0.0, 1.0, -1.0]  # include the kinks of relu/leaky_relu/elu
    return x


@pytest.mark.parametrize("name,args,kwargs", ACTIVATIONS, ids=lambda v: str(v))
def test_activation_module_matches_torch(name, args, kwargs):
    m = getattr(lnn, name)(*args, **kwargs)
    t = getattr(tnn, name)(*args, **kwargs)
    assert repr(m) == repr(t)
    x = _x()
    xl = ll.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = m(xl), t(xt)
    assert_close(y, yt)
    g = np.random.default_rng(1).normal(size=x.shape)
    y.backward(ll.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xl.grad, xt.grad)


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
@pytest.mark.parametrize("cls", ["Softmax", "LogSoftmax"])
def test_softmax_implicit_dim_warns_and_matches_torch(cls, ndim):
    x = _x((2, 3, 4, 5)[:ndim])
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = getattr(lnn, cls)()(ll.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = getattr(tnn, cls)()(torch.tensor(x))
    assert_close(y, yt)


@pytest.mark.parametrize("inplace_cls,args", [("ReLU", ()), ("LeakyReLU", (0.3,)), ("ELU", (2,))])
def test_inplace_flag_is_shown_but_input_untouched(inplace_cls, args):
    m = getattr(lnn, inplace_cls)(*args, inplace=True)
    assert repr(m) == repr(getattr(tnn, inplace_cls)(*args, inplace=True))
    x = ll.tensor([-1.0, 2.0])
    m(x)
    np.testing.assert_array_equal(x.data, [-1.0, 2.0])


def test_activation_option_validation():
    with pytest.raises(ValueError, match="approximate"):
        lnn.GELU("fast")
    with pytest.raises(ValueError, match="beta"):
        lnn.Softplus(beta=0.0)


def _arch(nn, kind):
    if kind == "mlp_tanh":
        return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.LogSoftmax(dim=1))
    if kind == "mlp_mix":
        return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.LeakyReLU(0.1),
                             nn.Linear(6, 6), nn.ELU(0.5), nn.Linear(6, 5, bias=False), nn.GELU(),
                             nn.Linear(5, 5), nn.Softplus(beta=2.0), nn.Linear(5, 2), nn.Sigmoid())
    if kind == "softmax_head":
        return nn.Sequential(nn.Flatten(), nn.Linear(4, 7), nn.GELU(approximate="tanh"), nn.Identity(),
                             nn.Dropout(0.5), nn.Linear(7, 3), nn.Softmax(dim=-1))
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["mlp_tanh", "mlp_mix", "softmax_head"])
def test_sequential_copied_from_torch_matches_forward_and_all_grads(kind):
    torch.manual_seed(0)
    t = _arch(tnn, kind).double().eval()  # eval: Dropout is the identity in both
    m = _arch(lnn, kind).double().eval()
    copy_torch_into(m, t)
    assert repr(m) == repr(t)
    x = _x((5, 4), seed=3)
    if kind == "softmax_head":
        x = x.reshape(5, 2, 2)
    xl, xt = ll.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = m(xl), t(xt)
    assert y.dtype == np.float64
    assert_close(y, yt)
    w = np.random.default_rng(4).normal(size=y.shape)
    (y * ll.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    assert_close(xl.grad, xt.grad)
    tp = dict(t.named_parameters())
    names = [k for k, _ in m.named_parameters()]
    assert names == list(tp)
    for k, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.data, tp[k].grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=k)


def test_linear_batched_input_matches_torch():
    torch.manual_seed(1)
    t = tnn.Linear(3, 2).double()
    m = lnn.Linear(3, 2, dtype=ll.float64)
    copy_torch_into(m, t)
    for shape in [(3,), (4, 3), (2, 4, 3)]:
        x = _x(shape, seed=len(shape))
        xl, xt = ll.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        m.zero_grad(), t.zero_grad()
        y, yt = m(xl), t(xt)
        assert_close(y, yt)
        y.sum().backward(), yt.sum().backward()
        assert_close(xl.grad, xt.grad)
        assert_close(m.weight.grad, t.weight.grad)
        assert_close(m.bias.grad, t.bias.grad)


def test_linear_attributes_shapes_dtype():
    m = lnn.Linear(3, 5)
    assert m.weight.shape == (5, 3) and m.bias.shape == (5,)
    assert m.in_features == 3 and m.out_features == 5
    assert m.weight.dtype == ll.get_default_dtype() == np.float32
    assert lnn.Linear(3, 5, dtype=ll.float64).weight.dtype == np.float64
    nb = lnn.Linear(3, 5, bias=False)
    assert nb.bias is None and [k for k, _ in nb.named_parameters()] == ["weight"]
    assert repr(nb) == repr(tnn.Linear(3, 5, bias=False))
    assert list(nb.state_dict()) == list(tnn.Linear(3, 5, bias=False).state_dict())


def test_linear_default_init_bounds_and_spread():
    ll.manual_seed(123)
    fan_in, out = 50, 400
    m = lnn.Linear(fan_in, out)
    bound = 1.0 / math.sqrt(fan_in)
    w, b = m.weight.data, m.bias.data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # fills the interval
    # U(-bound, bound): std = bound/sqrt(3); 20000 draws -> relative error of std ~ 0.5%
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03
    assert abs(w.mean()) < 0.02 * bound * 3
    # torch's own default init has the same bound
    tw = tnn.Linear(fan_in, out).weight.detach().numpy()
    assert abs(np.abs(tw).max() - np.abs(w).max()) < 0.01 * bound


def test_linear_reset_parameters_is_seeded():
    ll.manual_seed(5)
    a = lnn.Linear(4, 3)
    ll.manual_seed(5)
    b = lnn.Linear(4, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    b.reset_parameters()
    assert not np.array_equal(a.weight.data, b.weight.data)


def test_linear_wrong_input_size_names_shapes():
    m = lnn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"\(4, 5\).*in_features=3.*\(2, 3\)"):
        m(ll.ones(4, 5))


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True])
def test_linear_bad_features(bad):
    with pytest.raises(ValueError, match="in_features"):
        lnn.Linear(bad, 2)
    with pytest.raises(ValueError, match="out_features"):
        lnn.Linear(2, bad)


def test_linear_bad_dtype_and_device():
    with pytest.raises(TypeError, match="floating"):
        lnn.Linear(2, 2, dtype=ll.int64)
    with pytest.raises(ValueError, match="CPU"):
        lnn.Linear(2, 2, device="cuda")


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (2, 3), (0, 0)])
def test_flatten_matches_torch(start, end):
    x = _x((2, 3, 4, 5))
    y = lnn.Flatten(start, end)(ll.tensor(x))
    yt = tnn.Flatten(start, end)(torch.tensor(x))
    assert y.shape == tuple(yt.shape)
    assert_close(y, yt)
    assert repr(lnn.Flatten(start, end)) == repr(tnn.Flatten(start, end))


def test_identity_returns_input():
    x = ll.ones(3)
    assert lnn.Identity(4, foo=1)(x) is x
    assert repr(lnn.Identity()) == "Identity()"


def test_big_sequential_repr_equals_torch():
    def build(nn):
        return nn.Sequential(
            nn.Linear(2, 2), nn.Sigmoid(), nn.Dropout(0.3), nn.LeakyReLU(0.2), nn.ELU(), nn.GELU(),
            nn.GELU("tanh"), nn.Softplus(), nn.Softmax(dim=1), nn.LogSoftmax(1), nn.Tanh(), nn.ReLU(),
            nn.Identity(), nn.Flatten(), nn.Softmax(), nn.Linear(3, 1, bias=False),
            nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1), nn.Linear(1, 1), nn.Tanh()]),
            nn.ModuleDict({"a": nn.ReLU(), "b": nn.Sequential(nn.Linear(1, 2))}), nn.Sequential(),
            nn.ModuleList(),
        )

    assert repr(build(lnn)) == repr(build(tnn))
    assert repr(lnn.Sequential(lnn.Linear(2, 2), lnn.Sigmoid())) == \
        "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): Sigmoid()\n)"
