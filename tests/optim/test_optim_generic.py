"""Generic tests run for every entry of OPTIMIZER_REGISTRY: trajectories against torch.optim in
float64, param groups, parameters without a gradient, closures, state_dict round trips and
structure, float32 preservation, and descent on a parabola and on Rosenbrock."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.optim as optim
from losslab.optim import OPTIMIZER_REGISTRY

import optim_testutil as U  # noqa: E402  (tests/optim is on sys.path)

torch = pytest.importorskip("torch")

ALL_INFOS = list(OPTIMIZER_REGISTRY.values())
# LBFGS (closure only) and Muon (2-D parameters only) have their own files with these checks
INFOS = [i for i in ALL_INFOS if not i.requires_closure and i.param_ndim is None]
ORACLE = [(info, cfg) for info in INFOS if info.torch_name for cfg in info.oracle_configs]


def _cfg_id(cfg):
    return ",".join(f"{k}={v}" for k, v in cfg.items())


def _torch_cls(info):
    return getattr(torch.optim, info.torch_name)


def _first_cfg(info):
    """A configuration with state (e.g. momentum) for the structural tests."""
    for cfg in info.oracle_configs:
        if cfg.get("momentum", 1) != 0:
            return dict(cfg)
    return dict(info.oracle_configs[0]) if info.oracle_configs else dict(info.descent_config)


def test_registry_entries_are_complete():
    assert "sgd" in OPTIMIZER_REGISTRY
    for name, info in OPTIMIZER_REGISTRY.items():  # every entry, LBFGS and Muon included
        assert info.name == name and name == name.lower()
        assert issubclass(info.cls, optim.Optimizer)
        assert info.summary and info.update_rule
        assert info.descent_config, name
        if info.torch_name is not None:
            assert hasattr(torch.optim, info.torch_name), info.torch_name
            assert info.oracle_configs, f"{name}: a torch_name needs oracle_configs"
        assert getattr(optim, info.cls.__name__) is info.cls, "exported from losslab.optim"


def test_register_rejects_name_clash():
    info = OPTIMIZER_REGISTRY["sgd"]
    assert optim.register_optimizer(info) is info  # same class: no-op

    class Other(optim.Optimizer):
        pass

    import dataclasses
    with pytest.raises(ValueError, match="already taken"):
        optim.register_optimizer(dataclasses.replace(info, cls=Other))
    with pytest.raises(TypeError):
        optim.register_optimizer({"name": "x"})
    assert OPTIMIZER_REGISTRY["sgd"].cls is optim.SGD


@pytest.mark.parametrize("info,cfg", ORACLE, ids=[f"{i.name}[{_cfg_id(c)}]" for i, c in ORACLE])
def test_trajectory_matches_torch(info, cfg):
    """200 steps on a small MLP in float64: losses and parameters equal torch.optim's."""
    x, y, init = U.problem(1)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lopt, topt = info.cls(lp, **cfg), _torch_cls(info)(tp, **cfg)
    for chunk in (10, 40, 50, 100):
        l_losses = U.ll_run(lopt, lp, x, y, chunk)
        t_losses = U.torch_run(torch, topt, tp, x, y, chunk)
        np.testing.assert_allclose(l_losses, t_losses, rtol=1e-10, atol=1e-14)
        U.assert_params_close(lp, tp)
    # the optimizer really moved the parameters
    assert not np.allclose(lp[0].data, init["w1"])
    # per-parameter state equals torch's
    for p, q in zip(lp, tp):
        ls, ts = lopt.state.get(p, {}), topt.state.get(q, {})
        assert set(ls) == set(ts)
        for k in ts:
            np.testing.assert_allclose(np.asarray(ls[k]), ts[k].detach().numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("info", [i for i in INFOS if i.torch_name], ids=lambda i: i.name)
def test_param_groups_with_different_lr(info):
    cfg = _first_cfg(info)
    x, y, init = U.problem(2)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lr2 = cfg["lr"] / 4

    def groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": lr2}]

    lopt, topt = info.cls(groups(lp), **cfg), _torch_cls(info)(groups(tp), **cfg)
    assert [g["lr"] for g in lopt.param_groups] == [cfg["lr"], lr2]
    assert [len(g["params"]) for g in lopt.param_groups] == [2, 2]
    for g in lopt.param_groups:  # every hyperparameter is filled from defaults
        assert set(lopt.defaults) <= set(g)
    np.testing.assert_allclose(U.ll_run(lopt, lp, x, y, 30), U.torch_run(torch, topt, tp, x, y, 30),
                               rtol=1e-10)
    U.assert_params_close(lp, tp)


@pytest.mark.parametrize("info", [i for i in INFOS if i.torch_name], ids=lambda i: i.name)
def test_param_without_grad_is_skipped(info):
    cfg = _first_cfg(info)
    x, y, init = U.problem(3)
    extra = np.arange(3.0)
    lp = U.ll_params(init) + [ll.tensor(extra.copy(), requires_grad=True)]
    tp = U.torch_params(torch, init) + [torch.tensor(extra.copy(), requires_grad=True)]
    lopt, topt = info.cls(lp, **cfg), _torch_cls(info)(tp, **cfg)
    U.ll_run(lopt, lp[:4], x, y, 5)
    U.torch_run(torch, topt, tp[:4], x, y, 5)
    assert lp[4].grad is None
    np.testing.assert_array_equal(lp[4].data, extra)  # untouched, no weight decay applied
    # torch's Adagrad initialises state in its constructor, so it may hold the unused parameter;
    # what matters is that we agree with torch and never step it
    assert (lp[4] in lopt.state) == (tp[4] in topt.state)
    if lp[4] in lopt.state:
        assert float(lopt.state[lp[4]]["step"]) == 0
    assert sorted(lopt.state_dict()["state"]) == sorted(topt.state_dict()["state"])
    U.assert_params_close(lp[:4], tp[:4])


@pytest.mark.parametrize("info", [i for i in INFOS if i.torch_name], ids=lambda i: i.name)
def test_closure(info):
    cfg = _first_cfg(info)
    x, y, init = U.problem(4)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lopt, topt = info.cls(lp, **cfg), _torch_cls(info)(tp, **cfg)
    seen_grad_mode = []

    def lclosure():
        seen_grad_mode.append(ll.is_grad_enabled())
        lopt.zero_grad()
        loss = U.ll_loss(lp, x, y)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = U.torch_loss(torch, tp, x, y)
        loss.backward()
        return loss

    for _ in range(8):
        with ll.no_grad():  # the closure runs with gradients enabled anyway
            lloss = lopt.step(lclosure)
        tloss = topt.step(tclosure)
        assert isinstance(lloss, ll.Tensor)
        np.testing.assert_allclose(lloss.item(), tloss.item(), rtol=1e-10)
    assert seen_grad_mode == [True] * 8
    U.assert_params_close(lp, tp)
    assert lopt.step() is None  # without a closure step returns None


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_state_dict_round_trip_continues_exactly(info):
    """Save after 10 steps, load into a fresh optimizer over copied parameters, run 10 more:
    identical to 20 uninterrupted steps (bit for bit)."""
    cfg = _first_cfg(info)
    x, y, init = U.problem(5)
    ref = U.ll_params(init)
    ref_opt = info.cls([{"params": ref[:1]}, {"params": ref[1:], "lr": cfg["lr"] / 2}], **cfg)
    U.ll_run(ref_opt, ref, x, y, 20)

    a = U.ll_params(init)
    a_opt = info.cls([{"params": a[:1]}, {"params": a[1:], "lr": cfg["lr"] / 2}], **cfg)
    U.ll_run(a_opt, a, x, y, 10)
    sd = a_opt.state_dict()
    b = [ll.tensor(p.data.copy(), requires_grad=True) for p in a]
    b_opt = info.cls([{"params": b[:1]}, {"params": b[1:]}], lr=123.0)  # options come from sd
    b_opt.load_state_dict(sd)
    assert [g["lr"] for g in b_opt.param_groups] == [cfg["lr"], cfg["lr"] / 2]
    U.ll_run(b_opt, b, x, y, 10)
    for p, q in zip(ref, b):
        np.testing.assert_array_equal(p.data, q.data)
    # the source optimizer kept going independently of the saved dict: continue it too
    U.ll_run(a_opt, a, x, y, 10)
    for p, q in zip(ref, a):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("named", [False, True], ids=["plain", "named"])
@pytest.mark.parametrize("info", [i for i in INFOS if i.torch_name], ids=lambda i: i.name)
def test_state_dict_structure_matches_torch(info, named):
    cfg = _first_cfg(info)
    x, y, init = U.problem(6)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    extra_l, extra_t = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)

    def groups(ps, extra):
        items = list(zip(U.NAMES, ps)) + [("extra", extra)] if named else ps + [extra]
        return [{"params": items[:3]}, {"params": items[3:], "lr": cfg["lr"] / 3}]

    lopt = info.cls(groups(lp, extra_l), **cfg)
    topt = _torch_cls(info)(groups(tp, extra_t), **cfg)
    U.ll_run(lopt, lp, x, y, 3)
    U.torch_run(torch, topt, tp, x, y, 3)
    lsd, tsd = lopt.state_dict(), topt.state_dict()
    assert list(lsd) == list(tsd) == ["state", "param_groups"]
    assert sorted(lsd["state"]) == sorted(tsd["state"])  # int ids, only params that stepped
    assert all(type(k) is int for k in lsd["state"])
    for k in tsd["state"]:
        assert list(lsd["state"][k]) == list(tsd["state"][k])
        for key, v in tsd["state"][k].items():
            np.testing.assert_allclose(lsd["state"][k][key], v.numpy(), rtol=1e-10)
            assert isinstance(lsd["state"][k][key], np.ndarray)
    assert len(lsd["param_groups"]) == len(tsd["param_groups"]) == 2
    for lg, tg in zip(lsd["param_groups"], tsd["param_groups"]):
        assert list(lg) == list(tg)  # same keys, same order
        assert lg["params"] == tg["params"]
        for key in tg:
            if key != "params":
                assert lg[key] == tg[key], key
    assert lsd["param_groups"][1]["params"] == [3, 4]


@pytest.mark.parametrize("info", [i for i in INFOS if i.torch_name], ids=lambda i: i.name)
def test_load_torch_state_dict_and_continue(info):
    """A torch.optim state dict (tensors have __array__) loads into the losslab optimizer and the
    run continues as torch's does."""
    cfg = _first_cfg(info)
    x, y, init = U.problem(7)
    tp = U.torch_params(torch, init)
    topt = _torch_cls(info)(tp, **cfg)
    U.torch_run(torch, topt, tp, x, y, 5)
    lp = [ll.tensor(q.detach().numpy().copy(), requires_grad=True) for q in tp]
    lopt = info.cls(lp, lr=1.0)
    lopt.load_state_dict(topt.state_dict())
    U.ll_run(lopt, lp, x, y, 10)
    U.torch_run(torch, topt, tp, x, y, 10)
    U.assert_params_close(lp, tp)


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_float32_params_stay_float32(info):
    cfg = _first_cfg(info)
    x, y, init = U.problem(8)
    lp = U.ll_params(init, dtype=np.float32)
    arrays = [p.data for p in lp]
    opt = info.cls(lp, **cfg)
    losses = U.ll_run(opt, lp, x, y, 20)
    for p, arr in zip(lp, arrays):
        assert p.data.dtype == np.float32
        assert p.data is arr  # updated in place: the ndarray is kept
        for v in opt.state[p].values():
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                assert v.dtype == np.float32
    # loading a float64 state into float32 params casts the state to float32
    opt.load_state_dict(opt.state_dict())
    assert all(np.isfinite(losses))


def _descend(info, f, start, steps):
    p = ll.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = info.cls([p], **info.descent_config)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    return first, f(p).item(), p


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_descends_parabola(info):
    first, last, p = _descend(info, U.parabola, [2.0, -1.5], info.descent_steps)
    assert last < 1e-3 * first


@pytest.mark.parametrize("info", INFOS, ids=lambda i: i.name)
def test_descends_rosenbrock(info):
    first, last, p = _descend(info, U.rosenbrock, [-1.5, 2.0], info.descent_steps)
    assert np.isfinite(last)
    assert last < 0.01 * first, (first, last, p.data)
