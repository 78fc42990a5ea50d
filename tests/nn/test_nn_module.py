"""Module semantics against torch.nn.Module: registration, names, state_dict, modes, dtype."""
from __future__ import annotations

import copy
import io

import numpy as np
import pytest

import losslab as ll
import losslab.nn as lnn

torch = pytest.importorskip("torch")
tnn = torch.nn


def make_net_class(nn, tensor_fn):
    """The same architecture written against torch.nn or losslab.nn (same API)."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.act = nn.Tanh()
            self.register_buffer("scale", tensor_fn([2.0]))
            self.register_buffer("step", tensor_fn([0], integer=True))
            self.register_buffer("tmp", tensor_fn([1.0]), persistent=False)

        def forward(self, x):
            return self.act(self.fc(x)) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.alpha = nn.Parameter(tensor_fn([0.5]))
            self.stem = nn.Linear(3, 4)
            self.blocks = nn.Sequential(Block(), nn.ReLU(), Block())
            self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 1, bias=False)})
            self.extra = nn.ModuleList([nn.Identity(), nn.Linear(2, 2)])
            self.plain = tensor_fn([9.0])  # a plain tensor attribute: not registered

        def forward(self, x):
            h = self.blocks(self.stem(x)) * self.alpha
            return self.extra[1](self.heads["a"](h))

    return Net


def _ll_tensor(v, integer=False):
    return ll.tensor(v, dtype=ll.int64 if integer else ll.float64)


def _t_tensor(v, integer=False):
    return torch.tensor(v, dtype=torch.int64 if integer else torch.float64)


@pytest.fixture
def nets():
    torch.manual_seed(0)
    t = make_net_class(tnn, _t_tensor)().double()
    m = make_net_class(lnn, _ll_tensor)().double()
    return m, t


def test_named_parameters_names_and_shapes_match_torch(nets):
    m, t = nets
    got = [(k, tuple(v.shape)) for k, v in m.named_parameters()]
    want = [(k, tuple(v.shape)) for k, v in t.named_parameters()]
    assert got == want
    assert len(list(m.parameters())) == len(list(t.parameters()))
    assert all(isinstance(p, lnn.Parameter) for p in m.parameters())


def test_named_parameters_prefix_and_recurse(nets):
    m, t = nets
    assert [k for k, _ in m.named_parameters(prefix="model")] == [k for k, _ in t.named_parameters(prefix="model")]
    assert [k for k, _ in m.named_parameters(recurse=False)] == ["alpha"]


def test_state_dict_keys_match_torch(nets):
    m, t = nets
    assert list(m.state_dict().keys()) == list(t.state_dict().keys())
    assert "blocks.0.tmp" not in m.state_dict()  # non-persistent buffer


def test_buffers_children_modules_names_match_torch(nets):
    m, t = nets
    assert [k for k, _ in m.named_buffers()] == [k for k, _ in t.named_buffers()]
    assert [k for k, _ in m.named_children()] == [k for k, _ in t.named_children()]
    assert [k for k, _ in m.named_modules()] == [k for k, _ in t.named_modules()]
    assert [type(c).__name__ for c in m.children()] == [type(c).__name__ for c in t.children()]
    assert [type(c).__name__ for c in m.modules()] == [type(c).__name__ for c in t.modules()]
    assert len(list(m.buffers())) == len(list(t.buffers()))


def test_forward_and_gradients_match_torch(nets):
    m, t = nets
    m.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 3))
    y = m(ll.tensor(x))
    ty = t(torch.tensor(x))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    tgrads = dict(t.named_parameters())
    for k, p in m.named_parameters():
        tg = tgrads[k].grad
        if tg is None:  # heads.b is unused in forward
            assert p.grad is None, k
        else:
            np.testing.assert_allclose(p.grad.data, tg.numpy(), rtol=1e-12, atol=1e-12, err_msg=k)


def test_plain_tensor_attribute_is_not_registered(nets):
    m, _ = nets
    assert "plain" not in dict(m.named_parameters()) and "plain" not in m.state_dict()
    assert m.plain.data[0] == 9.0


def test_shared_parameters_deduplicated_like_torch():
    def build(nn):
        a = nn.Linear(2, 2)
        b = nn.Linear(2, 2)
        b.weight = a.weight  # tie
        return nn.Sequential(a, b, a)  # a appears twice

    m, t = build(lnn), build(tnn)
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [k for k, _ in m.named_parameters(remove_duplicate=False)] == \
        [k for k, _ in t.named_parameters(remove_duplicate=False)]
    assert list(m.state_dict()) == list(t.state_dict())  # tied entries appear under every name
    assert [k for k, _ in m.named_modules()] == [k for k, _ in t.named_modules()]
    assert [k for k, _ in m.named_modules(remove_duplicate=False)] == \
        [k for k, _ in t.named_modules(remove_duplicate=False)]
    assert len(list(m.parameters())) == 3


def test_registration_via_setattr_and_reassignment():
    m = lnn.Module()
    m.w = lnn.Parameter(ll.zeros(2))
    m.sub = lnn.Linear(2, 1)
    m.register_buffer("buf", ll.ones(1))
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and list(m._buffers) == ["buf"]
    assert "w" not in m.__dict__ and m.w is m._parameters["w"]
    m.w = None  # allowed
    assert m.w is None and [k for k, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
    m.buf = ll.zeros(3)  # buffer reassignment with a tensor
    assert m.buf.shape == (3,)
    m.sub = lnn.Parameter(ll.zeros(1))  # a parameter replaces the submodule
    assert "sub" not in m._modules and "sub" in m._parameters
    del m.sub
    assert "sub" not in m._parameters
    with pytest.raises(AttributeError, match="nothere"):
        m.nothere


def test_bad_assignments_raise():
    m = lnn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        m.weight = ll.zeros(2, 2)
    seq = lnn.Sequential(lnn.ReLU())
    with pytest.raises(TypeError, match="child module '0'"):
        setattr(seq, "0", 3)
    m.register_buffer("b", ll.zeros(1))
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.b = np.zeros(1)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("q", ll.zeros(1))
    with pytest.raises(TypeError, match="Tensor or None"):
        m.register_buffer("q", [1.0])
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("q", 3)


@pytest.mark.parametrize("name", ["a.b", "", "forward", "training"])
def test_bad_names_raise_key_and_value_error(name):
    m = lnn.Module()
    for register, value in [(m.register_parameter, lnn.Parameter(ll.zeros(1))),
                            (m.register_buffer, ll.zeros(1)), (m.add_module, lnn.ReLU())]:
        with pytest.raises(KeyError):
            register(name, value)
        with pytest.raises(ValueError):
            register(name, value)
    with pytest.raises(TypeError, match="string"):
        m.register_parameter(3, None)


def test_assign_before_init_raises():
    class Bad(lnn.Module):
        def __init__(self):
            self.w = lnn.Parameter(ll.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()

    class Bad2(lnn.Module):
        def __init__(self):
            self.l = lnn.ReLU()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad2()


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match="forward"):
        lnn.Module()(ll.zeros(1))


def test_train_eval_recursive(nets):
    m, _ = nets
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.blocks.train(False)
    assert m.training and not m.blocks[0].fc.training
    with pytest.raises(ValueError, match="bool"):
        m.train(1)


def test_zero_grad_set_to_none_and_zeros():
    m = lnn.Linear(3, 2)
    m(ll.ones(4, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and np.all(g.data == 0) and np.all(m.bias.grad.data == 0)
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_freezes():
    m = lnn.Sequential(lnn.Linear(2, 2), lnn.Linear(2, 1))
    assert m[0].requires_grad_(False) is m[0]
    m(ll.ones(1, 2)).sum().backward()
    assert m[0].weight.grad is None and m[1].weight.grad is not None
    assert not m[0].weight.requires_grad and m[1].weight.requires_grad


def test_apply_order_matches_torch(nets):
    m, t = nets
    got, want = [], []
    assert m.apply(lambda mod: got.append(type(mod).__name__)) is m
    t.apply(lambda mod: want.append(type(mod).__name__))
    assert got == want


def test_apply_custom_init():
    m = lnn.Sequential(lnn.Linear(3, 3), lnn.Tanh(), lnn.Linear(3, 1))

    def init(mod):
        if isinstance(mod, lnn.Linear):
            lnn.init.zeros_(mod.weight)

    m.apply(init)
    assert all(np.all(l.weight.data == 0) for l in (m[0], m[2]))


def test_to_dtype_keeps_parameter_identity_and_converts_grads(nets):
    m, _ = nets
    m.float()
    assert m.blocks[0].scale.dtype == np.float32 and m.blocks[0].tmp.dtype == np.float32
    params = list(m.parameters())
    m(ll.ones(2, 3)).sum().backward()
    assert m.to(ll.float64) is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert all(p.grad.dtype == np.float64 for p in m.parameters() if p.grad is not None)
    assert m.blocks[0].scale.dtype == np.float64 and m.blocks[0].tmp.dtype == np.float64
    assert m.blocks[0].step.dtype == np.int64  # integer buffers untouched, as torch
    m.to(dtype="float32")
    assert all(p.dtype == np.float32 for p in m.parameters())
    m.to("cpu", ll.float64)
    assert m.stem.weight.dtype == np.float64
    m.to(ll.zeros(1, dtype=ll.float32))
    assert m.stem.weight.dtype == np.float32
    assert m.double().stem.weight.dtype == np.float64 and m.cpu() is m


def test_to_rejects_non_float_and_devices():
    m = lnn.Linear(2, 2)
    with pytest.raises(TypeError, match="floating point"):
        m.to(ll.int64)
    with pytest.raises(ValueError, match="CPU"):
        m.to("cuda")


def test_state_dict_values_are_detached_and_share_memory():
    m = lnn.Linear(2, 2)
    sd = m.state_dict()
    assert type(sd["weight"]) is ll.Tensor and not sd["weight"].requires_grad
    sd["weight"].data[0, 0] = 123.0  # shares memory with the parameter, as torch
    assert m.weight.data[0, 0] == 123.0
    kv = m.state_dict(keep_vars=True)
    assert kv["weight"] is m.weight


def test_load_state_dict_round_trip(nets):
    m, t = nets
    m2 = make_net_class(lnn, _ll_tensor)().double()
    m2.blocks[0].scale.data[:] = 7.0
    snapshot = {k: v.clone() for k, v in m2.state_dict().items()}
    res = m.load_state_dict(snapshot)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.data, snapshot[k].data, err_msg=k)
    # the same keys load into torch (names are PyTorch's)
    t.load_state_dict({k: torch.from_numpy(np.array(v.data)) for k, v in m.state_dict().items()})
    np.testing.assert_array_equal(t.stem.weight.detach().numpy(), m.stem.weight.data)


def test_load_state_dict_from_npz_and_casts_dtype():
    m = lnn.Linear(3, 2)  # float32
    src = lnn.Linear(3, 2, dtype=ll.float64)
    buf = io.BytesIO()
    np.savez(buf, **{k: v.numpy() for k, v in src.state_dict().items()})
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        m.load_state_dict(npz)
    assert m.weight.dtype == np.float32
    np.testing.assert_allclose(m.weight.data, src.weight.data.astype(np.float32))


def test_load_state_dict_keeps_parameter_objects():
    m = lnn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert m.weight is w and np.all(w.data == 1)


def test_load_state_dict_strict_errors():
    m = lnn.Sequential(lnn.Linear(2, 3), lnn.Linear(3, 1))
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    del sd["1.bias"]
    sd["2.weight"] = ll.zeros(1)
    before = m[0].weight.data.copy()
    sd["0.weight"] = ll.ones(3, 2)
    with pytest.raises(lnn.StateDictError) as exc:
        m.load_state_dict(sd)
    msg = str(exc.value)
    assert isinstance(exc.value, RuntimeError) and isinstance(exc.value, ValueError)
    assert "Sequential" in msg and '"1.bias"' in msg and '"2.weight"' in msg
    assert msg.index("Missing") < msg.index("Unexpected")
    np.testing.assert_array_equal(m[0].weight.data, before)  # nothing copied on error
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["1.bias"] and res.unexpected_keys == ["2.weight"]
    assert np.all(m[0].weight.data == 1)


def test_load_state_dict_torch_missing_unexpected_agree():
    def build(nn):
        return nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))

    m, t = build(lnn), build(tnn)
    sd_t = t.state_dict()
    del sd_t["1.bias"]
    sd_t["extra"] = torch.zeros(1)
    res_t = t.load_state_dict(sd_t, strict=False)
    res_m = m.load_state_dict({k: v.numpy() for k, v in sd_t.items()}, strict=False)
    assert res_m.missing_keys == res_t.missing_keys and res_m.unexpected_keys == res_t.unexpected_keys


def test_load_state_dict_shape_mismatch_names_key_and_shapes():
    m = lnn.Sequential(lnn.Linear(2, 3))
    sd = {"0.weight": np.zeros((2, 2)), "0.bias": np.zeros(3)}
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"size mismatch for 0\.weight.*\(2, 2\).*\(3, 2\)"):
            m.load_state_dict(sd, strict=strict)


def test_load_state_dict_bad_values():
    m = lnn.Linear(1, 1)
    with pytest.raises(ValueError, match='"weight".*str'):
        m.load_state_dict({"weight": "abc", "bias": np.zeros(1)})
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([("weight", np.zeros((1, 1)))])


def test_repr_with_multiline_extra_repr_matches_torch():
    def build(nn):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.l = nn.Linear(1, 1)
                self.seq = nn.Sequential(nn.ReLU(), nn.Sequential(nn.Tanh()))

            def extra_repr(self):
                return "hello\nworld"

        class N(nn.Module):
            def extra_repr(self):
                return "k=1"

        return M(), N(), nn.Module()

    for a, b in zip(build(lnn), build(tnn)):
        assert repr(a) == repr(b)


def test_forward_hooks():
    m = lnn.Linear(2, 2)
    seen = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0.0,))
    h2 = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    y = m(ll.ones(3, 2))
    np.testing.assert_allclose(y.data, np.broadcast_to(m.bias.data, (3, 2)))
    assert seen == [(3, 2)]
    h1.remove()
    with h2:
        m(ll.ones(1, 2))
    m(ll.ones(1, 2))
    assert seen == [(3, 2), (1, 2)]
    h3 = m.register_forward_hook(lambda mod, args, out: out * 2.0)
    np.testing.assert_allclose(m(ll.ones(1, 2)).data, 2 * m.forward(ll.ones(1, 2)).data)
    h3.remove()


def test_deepcopy_is_independent():
    m = lnn.Sequential(lnn.Linear(2, 2), lnn.ReLU())
    c = copy.deepcopy(m)
    assert isinstance(c[0].weight, lnn.Parameter) and c[0].weight is not m[0].weight
    c[0].weight.data[:] = 0
    assert not np.all(m[0].weight.data == 0)
    assert [k for k, _ in c.named_parameters()] == ["0.weight", "0.bias"]


def test_get_submodule_and_parameter(nets):
    m, _ = nets
    assert m.get_submodule("blocks.0.fc") is m.blocks[0].fc
    assert m.get_submodule("") is m
    assert m.get_parameter("heads.a.bias") is m.heads["a"].bias
    with pytest.raises(AttributeError, match="nope"):
        m.get_submodule("blocks.nope")
    with pytest.raises(AttributeError, match="nope"):
        m.get_parameter("stem.nope")


def test_dir_lists_registered_names():
    m = lnn.Linear(2, 2)
    assert {"weight", "bias", "forward"} <= set(dir(m))
