"""The Optimizer base class: params forms and their errors, param groups, zero_grad, hooks,
state_dict copies and load_state_dict validation."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.optim import SGD, Optimizer
from losslab.optim.optimizer import required

torch = pytest.importorskip("torch")


def _p(*shape, value=1.0):
    return ll.full(shape or (2,), value, dtype=ll.float64, requires_grad=True)


def _step(opt, params):
    opt.zero_grad()
    sum((p * p).sum() for p in params).backward()
    opt.step()


def test_tensor_hashes_by_identity():
    a, b = ll.tensor([1.0, 2.0]), ll.tensor([1.0, 2.0])
    d = {a: 1, b: 2}
    assert d[a] == 1 and d[b] == 2 and len({a, b}) == 2
    assert a in d and ll.tensor([1.0, 2.0]) not in d  # equal values, different tensors
    a.data += 1  # mutating the data does not change the key
    assert d[a] == 1


# -- params forms ------------------------------------------------------------------------------
def test_single_tensor_is_rejected_like_torch():
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of Tensors or dicts"):
        SGD(_p(), lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        SGD(np.zeros(2), lr=0.1)
    with pytest.raises(TypeError, match="single dict"):
        SGD({"params": [_p()]}, lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        SGD(3, lr=0.1)


def test_empty_set_and_non_tensor_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        SGD({_p()}, lr=0.1)
    with pytest.raises(TypeError, match="set"):
        SGD([{"params": {_p()}}], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] is numpy.ndarray"):
        SGD([_p(), np.zeros(2)], lr=0.1)


def test_generator_and_group_with_single_tensor():
    ps = [_p(), _p()]
    opt = SGD((p for p in ps), lr=0.1)
    got = opt.param_groups[0]["params"]
    assert len(got) == 2 and all(a is b for a, b in zip(got, ps))
    opt = SGD([{"params": ps[0]}], lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 1 and opt.param_groups[0]["params"][0] is ps[0]


def test_non_leaf_is_rejected():
    a = _p()
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        SGD([a * 2], lr=0.1)
    b = a * 2
    b.retain_grad()
    SGD([b], lr=0.1)  # allowed, as in torch (retains_grad)


def test_parameter_in_two_groups():
    a = _p()
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [a]}, {"params": [a], "lr": 0.5}], lr=0.1)
    opt = SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [_p(), a]})
    assert len(opt.param_groups) == 1


def test_duplicate_within_group_warns():
    a = _p()
    with pytest.warns(UserWarning, match="duplicate"):
        SGD([a, a], lr=0.1)


def test_required_option():
    class Plain(Optimizer):
        def step(self, closure=None):
            return self._run_closure(closure)

    a, b = _p(), _p()
    with pytest.raises(ValueError, match="required optimization parameter lr"):
        Plain([a], {"lr": required})
    opt = Plain([{"params": [a], "lr": 0.3}], {"lr": required, "beta": 0.5})
    g = opt.param_groups[0]
    assert (g["lr"], g["beta"], list(g)) == (0.3, 0.5, ["params", "lr", "beta"])
    with pytest.raises(ValueError, match="required"):
        opt.add_param_group({"params": [b]})
    assert repr(required) == "<required parameter>"
    assert opt.step(lambda: 7) == 7


def test_base_step_not_implemented_and_bad_defaults():
    with pytest.raises(NotImplementedError):
        Optimizer([_p()], {"lr": 0.1}).step()
    with pytest.raises(TypeError, match="defaults"):
        Optimizer([_p()], [("lr", 0.1)])


def test_add_param_group_errors_and_defaults():
    a, b = _p(), _p()
    opt = SGD([a], lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([b])
    with pytest.raises(ValueError, match="'params'"):
        opt.add_param_group({"lr": 0.1})
    group = {"params": [b], "lr": 0.01}
    opt.add_param_group(group)
    g = opt.param_groups[1]
    assert g["lr"] == 0.01 and g["momentum"] == 0.9 and g["params"][0] is b
    assert group == {"params": [b], "lr": 0.01}  # the caller's dict is left alone


def test_named_parameters():
    a, b = _p(), _p()
    opt = SGD([("a", a), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]
    with pytest.raises(ValueError, match="Some param names are missing"):
        SGD([("a", a), b], lr=0.1)
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [_p()]})
    with pytest.raises(TypeError, match="pairs"):
        SGD([("a", a, 1)], lr=0.1)
    assert "param_names: ['a', 'b']" in repr(opt)


# -- zero_grad ---------------------------------------------------------------------------------
def test_zero_grad_set_to_none():
    a, b = _p(), _p()
    opt = SGD([a, b], lr=0.1)
    (a * a).sum().backward()
    assert a.grad is not None and b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_zero_grad_to_zeros_keeps_the_array_and_still_steps():
    a = _p()
    opt = SGD([a], lr=0.1, weight_decay=0.5)
    (a * a).sum().backward()
    g = a.grad
    arr = g.data
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and g.data is arr
    np.testing.assert_array_equal(arr, [0.0, 0.0])
    opt.step()  # a zero gradient is still a gradient: weight decay applies (torch semantics)
    np.testing.assert_allclose(a.data, [0.95, 0.95])


def test_zero_grad_detaches_graph_grads():
    a = _p()
    y = (a * a * a).sum()
    (ga,) = ll.autograd.grad(y, [a], create_graph=True)
    a.grad = ga
    assert a.grad.requires_grad
    SGD([a], lr=0.1).zero_grad(set_to_none=False)
    assert not a.grad.requires_grad and a.grad.grad_fn is None
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0])


def test_zero_grad_matches_torch_semantics():
    """set_to_none=False then a backward accumulates into zeros: same result as torch."""
    a, ta = _p(), torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt, topt = SGD([a], lr=0.1), torch.optim.SGD([ta], lr=0.1)
    for o, x in ((opt, a), (topt, ta)):
        (x * 3).sum().backward()
        o.zero_grad(set_to_none=False)
        (x * 2).sum().backward()
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())


# -- hooks ------------------------------------------------------------------------------------
def test_step_hooks_run_once_and_are_removable():
    a = _p()
    calls = []

    class MySGD(SGD):
        def step(self, closure=None):
            calls.append("sub")
            return super().step(closure)

    opt = MySGD([a], lr=0.1)
    h1 = opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
    _step(opt, [a])
    assert calls == ["pre", "sub", "post"]
    h1.remove()
    h2.remove()
    calls.clear()
    _step(opt, [a])
    assert calls == ["sub"]


def test_pre_hook_can_replace_arguments():
    a = _p()
    opt = SGD([a], lr=0.1)
    opt.register_step_pre_hook(lambda o, args, kw: ((lambda: "replaced",), {}))
    assert opt.step() == "replaced"
    opt2 = SGD([a], lr=0.1)
    opt2.register_step_pre_hook(lambda o, args, kw: "bad")
    with pytest.raises(RuntimeError, match="pre-hook"):
        opt2.step()


# -- state_dict / load_state_dict ---------------------------------------------------------------
def test_state_dict_is_a_copy():
    a = _p()
    opt = SGD([a], lr=0.1, momentum=0.9)
    _step(opt, [a])
    sd = opt.state_dict()
    saved = sd["state"][0]["momentum_buffer"].copy()
    _step(opt, [a])  # the live buffer changes in place ...
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], saved)  # ... the copy doesn't
    sd["param_groups"][0]["lr"] = 99.0
    assert opt.param_groups[0]["lr"] == 0.1


def test_load_state_dict_copies_and_ids_across_groups():
    a, b, c = _p(), _p(3), _p(4)
    opt = SGD([{"params": [a]}, {"params": [b, c], "lr": 0.2}], lr=0.1, momentum=0.9)
    _step(opt, [a, b, c])
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sorted(sd["state"]) == [0, 1, 2]
    a2, b2, c2 = _p(), _p(3), _p(4)
    opt2 = SGD([{"params": [a2]}, {"params": [b2, c2]}], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.2 and opt2.param_groups[1]["params"][1] is c2
    buf = opt2.state[c2]["momentum_buffer"]
    assert buf is not sd["state"][2]["momentum_buffer"]
    sd["state"][2]["momentum_buffer"][...] = 123.0
    assert not np.any(buf == 123.0)


def test_load_state_dict_casts_to_param_dtype():
    a = ll.ones(2, dtype=ll.float32, requires_grad=True)
    opt = SGD([a], lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": np.array([0.5, 0.25])}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(sd)
    assert opt.state[a]["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize("mutate,exc,match", [
    (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0], params=[])), ValueError,
     "different number of parameter groups: it has 2, this optimizer has 1"),
    (lambda sd: sd["param_groups"][0]["params"].append(9), ValueError,
     "doesn't match the size of optimizer's group: saved group 0 has 4 parameters, this optimizer's group 0 has 3"),
    (lambda sd: sd["state"].__setitem__(7, {"momentum_buffer": np.zeros(2)}), ValueError,
     "parameter id 7"),
    (lambda sd: sd["state"][1].__setitem__("momentum_buffer", np.zeros(5)), ValueError,
     r"has shape \(5,\) but the parameter it belongs to \(shape \(3,\)\) needs \(3,\)"),
    (lambda sd: sd.pop("state"), ValueError, "missing key"),
    (lambda sd: sd.__setitem__("param_groups", "x"), TypeError, "list of dicts"),
    (lambda sd: sd.__setitem__("state", []), TypeError, "expected a dict"),
    (lambda sd: sd["param_groups"][0].__setitem__("lr", -3.0), ValueError, "Invalid learning rate"),
    (lambda sd: sd["param_groups"][0].pop("params"), ValueError, "no 'params'"),
])
def test_load_state_dict_errors(mutate, exc, match):
    ps = [_p(), _p(3), _p(4)]
    opt = SGD(ps, lr=0.1, momentum=0.9)
    _step(opt, ps)
    sd = opt.state_dict()
    mutate(sd)
    before = opt.state_dict()
    with pytest.raises(exc, match=match):
        opt.load_state_dict(sd)
    after = opt.state_dict()  # a failed load leaves the optimizer as it was
    assert after["param_groups"] == before["param_groups"]
    for k in before["state"]:
        np.testing.assert_array_equal(after["state"][k]["momentum_buffer"], before["state"][k]["momentum_buffer"])


def test_load_state_dict_not_a_dict():
    opt = SGD([_p()], lr=0.1)
    with pytest.raises(TypeError, match="expected a dict"):
        opt.load_state_dict([("state", {})])


def test_load_keeps_names_when_saved_dict_has_none():
    a = _p()
    opt = SGD([("a", a)], lr=0.1)
    plain = SGD([_p()], lr=0.3).state_dict()
    opt.load_state_dict(plain)
    assert opt.param_groups[0]["param_names"] == ["a"] and opt.param_groups[0]["lr"] == 0.3
