"""AdamW: equal to Adam(decoupled_weight_decay=True), 200-step trajectories against
torch.optim.AdamW, decoupled decay by hand, state_dict behaviour, validation and descent."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, Adam, AdamW

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["adamw"]


def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, AdamW, torch.optim.AdamW, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    d, td = AdamW([w]).defaults, torch.optim.AdamW([tw]).defaults
    assert d == td and list(d) == list(td)
    assert d["weight_decay"] == 1e-2 and d["decoupled_weight_decay"] is True
    assert issubclass(AdamW, Adam)


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, AdamW, torch.optim.AdamW, steps=200, **cfg)


def test_200_steps_groups_with_different_weight_decay():
    def groups(ps):  # no decay on biases, as usually done
        return [{"params": [ps[0], ps[2]], "weight_decay": 0.1},
                {"params": [ps[1], ps[3]], "weight_decay": 0.0, "amsgrad": True, "lr": 0.005}]
    T.compare_trajectory(torch, AdamW, torch.optim.AdamW, groups, steps=200, lr=0.01)


def test_is_adam_with_decoupled_weight_decay():
    x, y, init = U.problem(13)
    a, b = U.ll_params(init), U.ll_params(init)
    oa = AdamW(a, lr=0.01, weight_decay=0.05, amsgrad=True)
    ob = Adam(b, lr=0.01, weight_decay=0.05, amsgrad=True, decoupled_weight_decay=True)
    U.ll_run(oa, a, x, y, 50)
    U.ll_run(ob, b, x, y, 50)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p.data, q.data)


def test_decay_alone_shrinks_geometrically_and_follows_lr():
    w = ll.tensor([1.0, -2.0], dtype=ll.float64, requires_grad=True)
    opt = AdamW([w], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        w.grad = ll.zeros(2, dtype=ll.float64)  # zero gradient: m = v = 0, only the decay acts
        opt.step()
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.95 ** 3, rtol=1e-14)
    opt.param_groups[0]["lr"] = 0.2  # a schedule changes the decay too (λη per step)
    w.grad = ll.zeros(2, dtype=ll.float64)
    opt.step()
    np.testing.assert_allclose(w.data, np.array([1.0, -2.0]) * 0.95 ** 3 * 0.9, rtol=1e-14)


def test_loading_adam_state_dict_keeps_decoupled():
    w = ll.zeros(2, requires_grad=True)
    sd = Adam([w], lr=0.01).state_dict()
    assert sd["param_groups"][0]["decoupled_weight_decay"] is False
    opt = AdamW([w])
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert opt.param_groups[0]["lr"] == 0.01


def test_state_dict_mid_run_resume_and_torch_load():
    T.resume_mid_run(torch, AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True))
    T.load_torch_state_mid_run(torch, AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1))


def test_eps_style_passes_through():
    w = ll.zeros(2, requires_grad=True)
    assert AdamW([w], eps_style="epsilon_hat").param_groups[0]["eps_style"] == "epsilon_hat"
    x, y, init = U.problem(14)
    a, b = U.ll_params(init), U.ll_params(init)
    U.ll_run(AdamW(a, lr=0.01, eps=0.0), a, x, y, 50)
    U.ll_run(AdamW(b, lr=0.01, eps=0.0, eps_style="epsilon_hat"), b, x, y, 50)
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=-0.1), r"AdamW: Invalid learning rate: lr=-0.1"),
    (dict(weight_decay=-0.01), r"AdamW: Invalid weight_decay value: weight_decay=-0.01"),
    (dict(weight_decay=float("nan")), "weight_decay=nan"),
    (dict(betas=(0.9, 1.0)), r"Invalid beta parameter at index 1"),
    (dict(eps=-1.0), "Invalid epsilon value"),
])
def test_validation_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdamW([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch():
    T.assert_validation_agrees(torch, AdamW, torch.optim.AdamW, [
        dict(lr=0.0), dict(lr=-1.0), dict(weight_decay=0.0), dict(weight_decay=-1e-3),
        dict(betas=(0.0, 0.99)), dict(betas=(0.9, 1.0)), dict(eps=0.0), dict(eps=-1e-9),
    ])


def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(AdamW, INFO)


def test_docstring_examples_run():
    import losslab.optim.adamw as mod
    T.run_doctests(mod)
