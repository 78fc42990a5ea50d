"""Adam: the kernel against hand-computed values and torch's functional form, 200-step
trajectories against torch.optim.Adam for every registry configuration and for several param
groups with different hyperparameters, state_dict resume, validation, the ε̂ convention
(``eps_style="epsilon_hat"``, Keras/TF) and descent on the test surfaces."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.optim import OPTIMIZER_REGISTRY, Adam, adam_update

import adaptive_testutil as T
import optim_testutil as U

torch = pytest.importorskip("torch")

INFO = OPTIMIZER_REGISTRY["adam"]


# -- kernel -----------------------------------------------------------------------------------
def test_kernel_first_step_is_a_sign_step():
    """t = 1: m̂ = g and v̂ = g², so θ moves by η·g/(|g| + ε) ≈ η·sign(g)."""
    p, g = np.array([1.0, -1.0, 0.0]), np.array([0.5, -2.0, 1e-3])
    g0 = g.copy()
    m, v, vmax = adam_update(p, g, step=1, lr=0.1, eps=0.0)
    np.testing.assert_allclose(p, [0.9, -0.9, -0.1], rtol=1e-14)
    np.testing.assert_allclose(m, 0.1 * g0, rtol=1e-15)
    np.testing.assert_allclose(v, 0.001 * g0 ** 2, rtol=1e-12)
    assert vmax is None
    np.testing.assert_array_equal(g, g0)  # gradient untouched


def test_kernel_two_steps_by_hand_with_amsgrad():
    """The second gradient is smaller, so v shrinks and AMSGrad keeps the larger v_max."""
    b1, b2, lr, eps = 0.9, 0.99, 0.01, 1e-8
    g1, g2 = np.array([2.0]), np.array([0.1])
    p, pa = np.array([1.0]), np.array([1.0])
    m, v, _ = adam_update(p, g1, step=1, lr=lr, beta1=b1, beta2=b2, eps=eps)
    m, v, _ = adam_update(p, g2, m, v, step=2, lr=lr, beta1=b1, beta2=b2, eps=eps)
    ma, va, vm = adam_update(pa, g1, step=1, lr=lr, beta1=b1, beta2=b2, eps=eps, amsgrad=True)
    ma, va, vm = adam_update(pa, g2, ma, va, vm, step=2, lr=lr, beta1=b1, beta2=b2, eps=eps, amsgrad=True)
    m_ref = b1 * (1 - b1) * 2.0 + (1 - b1) * 0.1
    v1 = (1 - b2) * 4.0
    v_ref = b2 * v1 + (1 - b2) * 0.01
    step1 = lr * 2.0 / (2.0 + eps)
    np.testing.assert_allclose(m, [m_ref], rtol=1e-14)
    np.testing.assert_allclose(v, [v_ref], rtol=1e-14)
    np.testing.assert_allclose(vm, [max(v1, v_ref)], rtol=1e-14)
    mhat = m_ref / (1 - b1 ** 2)
    np.testing.assert_allclose(p, [1 - step1 - lr * mhat / (np.sqrt(v_ref / (1 - b2 ** 2)) + eps)], rtol=1e-13)
    np.testing.assert_allclose(pa, [1 - step1 - lr * mhat / (np.sqrt(max(v1, v_ref) / (1 - b2 ** 2)) + eps)],
                               rtol=1e-13)
    assert v_ref < v1  # so the AMSGrad step is the smaller one
    assert pa[0] > p[0]


def test_kernel_weight_decay_coupled_and_decoupled():
    g = np.array([0.0])
    p = np.array([2.0])
    m, v, _ = adam_update(p, g, step=1, lr=0.1, weight_decay=0.5, eps=0.0)
    # coupled: g' = λθ = 1 > 0, a full sign step
    np.testing.assert_allclose(p, [1.9], rtol=1e-14)
    np.testing.assert_allclose(m, [0.1], rtol=1e-14)
    p = np.array([2.0])
    m, v, _ = adam_update(p, g, step=1, lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    # decoupled: θ(1 − ηλ) = 2·0.95, m and v never see λ
    np.testing.assert_allclose(p, [1.9], rtol=1e-14)
    np.testing.assert_array_equal(m, [0.0])
    np.testing.assert_array_equal(v, [0.0])


def test_kernel_maximize_is_minimizing_the_negative():
    rng = np.random.default_rng(3)
    p0, gs = rng.normal(size=5), rng.normal(size=(4, 5))
    a, b = p0.copy(), p0.copy()
    sa = sb = (None, None, None)
    for t, g in enumerate(gs, 1):
        sa = adam_update(a, g, *sa, step=t, lr=0.01, maximize=True, weight_decay=0.1, amsgrad=True)
        sb = adam_update(b, -g, *sb, step=t, lr=0.01, weight_decay=0.1, amsgrad=True)
    np.testing.assert_array_equal(a, b)


def test_kernel_keeps_float32_and_checks_shapes():
    p = np.array([1.0, 2.0], dtype=np.float32)
    m, v, vm = adam_update(p, np.array([0.1, -0.1]), step=1, lr=0.1, amsgrad=True)  # float64 grad
    assert p.dtype == m.dtype == v.dtype == vm.dtype == np.float32
    with pytest.raises(ValueError, match=r"grad has shape \(3,\)"):
        adam_update(p, np.zeros(3), step=1, lr=0.1)
    with pytest.raises(ValueError, match="exp_avg_sq has shape"):
        adam_update(p, np.zeros(2), np.zeros(2, np.float32), np.zeros(3), step=1, lr=0.1)
    with pytest.raises(ValueError, match="eps_style"):
        adam_update(p, np.zeros(2), step=1, lr=0.1, eps_style="keras")


@pytest.mark.parametrize("kw", [
    dict(),
    dict(amsgrad=True, weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
    dict(beta1=0.3, beta2=0.5, eps=1e-3, amsgrad=True),
], ids=["plain", "amsgrad-wd", "decoupled-max", "low-betas"])
def test_kernel_matches_torch_functional(kw):
    torch_adam = importlib.import_module("torch.optim.adam").adam
    full = dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
                decoupled_weight_decay=False)
    full.update(kw)
    names = {"exp_avg": 0.0, "exp_avg_sq": 0.0}
    if full["amsgrad"]:
        names["max_exp_avg_sq"] = 0.0

    def ours(p, g, s, t):
        adam_update(p, g, s["exp_avg"], s["exp_avg_sq"], s.get("max_exp_avg_sq"), step=t, lr=0.05, **full)

    def theirs(p, g, s, step):
        dwd = full["decoupled_weight_decay"]
        rest = {k: v for k, v in full.items() if k != "decoupled_weight_decay"}
        torch_adam([p], [g], [s["exp_avg"]], [s["exp_avg_sq"]],
                   [s["max_exp_avg_sq"]] if full["amsgrad"] else [], [step], foreach=False,
                   decoupled_weight_decay=dwd, lr=0.05, **rest)

    T.kernel_vs_torch_functional(torch, ours, theirs, names)


# -- against torch.optim.Adam -----------------------------------------------------------------
def test_repr_matches_torch():
    T.assert_repr_matches_torch(torch, Adam, torch.optim.Adam, weight_decay=1e-2)


def test_defaults_match_torch():
    w, tw = ll.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    assert Adam([w]).defaults == torch.optim.Adam([tw]).defaults
    assert list(Adam([w]).defaults) == list(torch.optim.Adam([tw]).defaults)


@pytest.mark.parametrize("cfg", INFO.oracle_configs, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                                           for c in INFO.oracle_configs])
def test_200_steps_match_torch(cfg):
    T.compare_trajectory(torch, Adam, torch.optim.Adam, steps=200, **cfg)


def test_200_steps_three_groups_with_different_hyperparameters():
    def groups(ps):
        return [
            {"params": ps[:1], "amsgrad": True, "weight_decay": 1e-2},
            {"params": ps[1:2], "betas": (0.8, 0.99), "weight_decay": 0.1, "decoupled_weight_decay": True},
            {"params": ps[2:], "lr": 0.003, "eps": 1e-6, "maximize": True},
        ]
    lopt, topt, _, _ = T.compare_trajectory(torch, Adam, torch.optim.Adam, groups, steps=200,
                                            chunks=(50, 150), lr=0.01)
    assert [g["amsgrad"] for g in lopt.param_groups] == [True, False, False]
    assert lopt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_tensor_lr_and_tensor_betas():
    x, y, init = U.problem(11)
    lp, tp = U.ll_params(init), U.torch_params(torch, init)
    lopt = Adam(lp, lr=ll.tensor(0.01, dtype=ll.float64),
                betas=(ll.tensor(0.8, dtype=ll.float64), ll.tensor(0.99, dtype=ll.float64)))
    topt = torch.optim.Adam(tp, lr=torch.tensor(0.01, dtype=torch.float64),
                            betas=(torch.tensor(0.8, dtype=torch.float64), torch.tensor(0.99, dtype=torch.float64)))
    np.testing.assert_allclose(U.ll_run(lopt, lp, x, y, 30), U.torch_run(torch, topt, tp, x, y, 30), rtol=1e-10)
    U.assert_params_close(lp, tp)


def test_state_dict_mid_run_resume_with_amsgrad_and_groups():
    def groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.002, "decoupled_weight_decay": True}]
    opt = T.resume_mid_run(torch, Adam, torch.optim.Adam,
                           dict(lr=0.01, amsgrad=True, weight_decay=1e-2), groups)
    st = next(iter(opt.state.values()))
    assert list(st) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert float(st["step"]) == 200 and st["step"].dtype == np.float32 and st["step"].shape == ()


def test_load_torch_state_dict_mid_run():
    T.load_torch_state_mid_run(torch, Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.1,
                                                                  decoupled_weight_decay=True))


def test_amsgrad_switched_on_mid_run_starts_its_maximum():
    w = ll.tensor([1.0, -1.0], dtype=ll.float64, requires_grad=True)
    opt = Adam([w], lr=0.1)
    for _ in range(3):
        opt.zero_grad(); (w * w).sum().backward(); opt.step()
    assert "max_exp_avg_sq" not in opt.state[w]
    opt.param_groups[0]["amsgrad"] = True
    opt.zero_grad(); (w * w).sum().backward(); opt.step()
    np.testing.assert_array_equal(opt.state[w]["max_exp_avg_sq"], opt.state[w]["exp_avg_sq"])


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-1e-3), ValueError, r"Adam: Invalid learning rate: lr=-0.001; expected a finite number >= 0"),
    (dict(lr=float("nan")), ValueError, "Invalid learning rate: lr=nan"),
    (dict(lr="1e-3"), TypeError, "lr must be a real number"),
    (dict(lr=ll.tensor([0.1, 0.2])), ValueError, "Tensor lr must be 1-element"),
    (dict(betas=(1.0, 0.999)), ValueError, r"Invalid beta parameter at index 0: betas\[0\]=1.0; expected 0 <= beta < 1"),
    (dict(betas=(0.9, -0.1)), ValueError, r"index 1: betas\[1\]=-0.1"),
    (dict(betas=(0.9, float("nan"))), ValueError, "index 1"),
    (dict(betas=(0.9,)), TypeError, r"betas must be a pair \(beta1, beta2\)"),
    (dict(betas=0.9), TypeError, "betas must be a pair"),
    (dict(betas=(0.9, "x")), TypeError, r"betas\[1\] must be a real number"),
    (dict(eps=-1e-8), ValueError, r"Invalid epsilon value: eps=-1e-08; expected a finite number >= 0"),
    (dict(eps=float("nan")), ValueError, "epsilon"),
    (dict(weight_decay=-0.1), ValueError, r"Invalid weight_decay value: weight_decay=-0.1"),
    (dict(amsgrad=None), TypeError, "amsgrad must be True or False"),
    (dict(maximize="no"), TypeError, "maximize must be True or False"),
    (dict(decoupled_weight_decay=1), TypeError, "decoupled_weight_decay"),
    (dict(fused=True), ValueError, "fused=True is not supported"),
    (dict(capturable=True), ValueError, "capturable=True is not supported"),
    (dict(differentiable=True), ValueError, "differentiable=True is not supported"),
    (dict(foreach="x"), TypeError, "foreach"),
    (dict(eps_style="keras"), ValueError, r"eps_style must be one of 'pytorch', 'epsilon_hat', got 'keras'"),
])
def test_validation_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Adam([ll.zeros(2, requires_grad=True)], **kwargs)


def test_validation_agrees_with_torch():
    T.assert_validation_agrees(torch, Adam, torch.optim.Adam, [
        dict(lr=0.0), dict(lr=-1e-9), dict(betas=(0.0, 0.0)), dict(betas=(0.999999, 0.5)),
        dict(betas=(1.0, 0.5)), dict(betas=(0.5, 1.0)), dict(betas=(-1e-9, 0.5)), dict(eps=0.0),
        dict(eps=-1e-12), dict(weight_decay=0.0), dict(weight_decay=-1e-12),
    ])


def test_param_group_options_are_validated():
    a, b = ll.zeros(2, requires_grad=True), ll.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"Adam param group 1: Invalid beta parameter at index 1"):
        Adam([{"params": [a]}, {"params": [b], "betas": (0.9, 1.5)}])
    opt = Adam([a])
    with pytest.raises(ValueError, match=r"param group 1: Invalid epsilon value: eps=-1"):
        opt.add_param_group({"params": [b], "eps": -1})
    assert len(opt.param_groups) == 1


# -- the ε̂ convention (Keras / TensorFlow) ---------------------------------------------------
def _mlp_run(cfg, steps, seed=12):
    x, y, init = U.problem(seed)
    lp = U.ll_params(init)
    opt = Adam(lp, **cfg)
    U.ll_run(opt, lp, x, y, steps)
    return lp, opt


def test_eps_style_is_stored_only_when_not_pytorch():
    w = ll.zeros(2, requires_grad=True)
    assert "eps_style" not in Adam([w]).defaults
    assert "eps_style" not in Adam([w], eps_style="pytorch").param_groups[0]
    opt = Adam([w], eps_style="epsilon_hat")
    assert opt.defaults["eps_style"] == opt.param_groups[0]["eps_style"] == "epsilon_hat"
    sd = opt.state_dict()
    assert sd["param_groups"][0]["eps_style"] == "epsilon_hat"
    fresh = Adam([w])
    fresh.load_state_dict(sd)  # the convention travels with the state dict
    assert fresh.param_groups[0]["eps_style"] == "epsilon_hat"
    with pytest.raises(ValueError, match="param group 1: eps_style"):
        Adam([{"params": [w]}, {"params": [ll.zeros(1, requires_grad=True)], "eps_style": "tf"}])


def test_eps_style_equal_when_eps_is_zero():
    a, _ = _mlp_run(dict(lr=0.01, eps=0.0), 100)
    b, _ = _mlp_run(dict(lr=0.01, eps=0.0, eps_style="epsilon_hat"), 100)
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-15)


def test_eps_style_differs_otherwise_as_documented():
    a, _ = _mlp_run(dict(lr=0.01, eps=1e-3), 50)
    b, _ = _mlp_run(dict(lr=0.01, eps=1e-3, eps_style="epsilon_hat"), 50)
    assert max(np.max(np.abs(p.data - q.data)) for p, q in zip(a, b)) > 1e-4
    # first step exactly: PyTorch η·g/(|g| + ε), ε̂ form η·g/(|g| + ε̂/√(1 − β₂))
    g, lr, eps = np.array([0.02, -0.5]), 0.1, 1e-3
    p1, p2 = np.zeros(2), np.zeros(2)
    adam_update(p1, g, step=1, lr=lr, eps=eps)
    adam_update(p2, g, step=1, lr=lr, eps=eps, eps_style="epsilon_hat")
    np.testing.assert_allclose(p1, -lr * g / (np.abs(g) + eps), rtol=1e-12)
    np.testing.assert_allclose(p2, -lr * g / (np.abs(g) + eps / np.sqrt(1 - 0.999)), rtol=1e-12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_epsilon_hat_is_pytorch_with_a_growing_eps(amsgrad):
    """ε̂ form with ε̂ ≡ PyTorch form with ε_t = ε̂/√(1 − β₂ᵗ), step by step."""
    rng = np.random.default_rng(5)
    p0, gs = rng.normal(size=6), rng.normal(size=(30, 6)) * 1e-3
    eps_hat, b2 = 1e-4, 0.999
    a, b = p0.copy(), p0.copy()
    sa = sb = (None, None, None)
    for t, g in enumerate(gs, 1):
        sa = adam_update(a, g, *sa, step=t, lr=0.01, eps=eps_hat, amsgrad=amsgrad, eps_style="epsilon_hat")
        sb = adam_update(b, g, *sb, step=t, lr=0.01, eps=eps_hat / np.sqrt(1 - b2 ** t), amsgrad=amsgrad)
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_epsilon_hat_matches_keras_formula():
    """A NumPy transcription of Keras 3's Adam.update_step (keras/src/optimizers/adam.py)."""
    rng = np.random.default_rng(6)
    p0, gs = rng.normal(size=5), rng.normal(size=(40, 5))
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    k = p0.copy()
    m, v, vhat = np.zeros(5), np.zeros(5), np.zeros(5)
    ours, state = p0.copy(), (None, None, None)
    for t, g in enumerate(gs, 1):
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        vhat = np.maximum(vhat, v)
        k -= m * alpha / (np.sqrt(vhat) + eps)
        state = adam_update(ours, g, *state, step=t, lr=lr, eps=eps, amsgrad=True, eps_style="epsilon_hat")
    np.testing.assert_allclose(ours, k, rtol=1e-12)


# -- descent ----------------------------------------------------------------------------------
def test_descends_ill_conditioned_quadratic_and_rosenbrock():
    T.assert_descends(Adam, INFO)


def test_docstring_examples_run():
    import losslab.optim.adam as mod
    T.run_doctests(mod)
