"""SGD: the kernel against hand-computed values, hyperparameter validation, repr, state layout,
tensor learning rate, and Rosenbrock convergence."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.optim import SGD, sgd_update
from losslab.optim import _functional

import optim_testutil as U  # noqa: E402

torch = pytest.importorskip("torch")


# -- kernel -----------------------------------------------------------------------------------
def test_kernel_plain_gradient_descent():
    p, g = np.array([1.0, -2.0, 0.5]), np.array([0.2, 0.4, -1.0])
    g0 = g.copy()
    buf = sgd_update(p, g, None, lr=0.5)
    assert buf is None
    np.testing.assert_allclose(p, [0.9, -2.2, 1.0], rtol=0, atol=1e-15)  # θ − η g
    np.testing.assert_array_equal(g, g0)  # gradient not modified


def test_kernel_weight_decay_and_maximize():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    sgd_update(p, g, None, lr=0.1, weight_decay=0.1)
    # g' = g + λθ = [0.6, 0.3]; θ = θ − 0.1 g'
    np.testing.assert_allclose(p, [0.94, -2.03], atol=1e-15)
    p = np.array([1.0, -2.0])
    sgd_update(p, g, None, lr=0.1, weight_decay=0.1, maximize=True)
    # g' = −g + λθ = [−0.4, −0.7]
    np.testing.assert_allclose(p, [1.04, -1.93], atol=1e-15)


def test_kernel_momentum_first_step_ignores_dampening():
    p, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    buf = sgd_update(p, g, None, lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_array_equal(buf, g)  # b₁ = g, no (1 − τ)
    assert buf is not g
    np.testing.assert_allclose(p, [0.95, 2.1], atol=1e-15)
    same = buf
    g2 = np.array([1.0, 1.0])
    buf = sgd_update(p, g2, buf, lr=0.1, momentum=0.9, dampening=0.5)
    assert buf is same  # updated in place
    # b₂ = 0.9 b₁ + 0.5 g₂ = [0.95, −0.4]; θ −= 0.1 b₂
    np.testing.assert_allclose(buf, [0.95, -0.4], atol=1e-15)
    np.testing.assert_allclose(p, [0.855, 2.14], atol=1e-15)


def test_kernel_nesterov():
    p, g = np.array([1.0]), np.array([2.0])
    buf = sgd_update(p, g, None, lr=0.1, momentum=0.5, nesterov=True)
    # b₁ = g = 2; step direction g + μ b = 3
    np.testing.assert_allclose(buf, [2.0])
    np.testing.assert_allclose(p, [0.7], atol=1e-15)
    buf = sgd_update(p, np.array([1.0]), buf, lr=0.1, momentum=0.5, nesterov=True)
    # b₂ = 0.5·2 + 1 = 2; direction 1 + 0.5·2 = 2
    np.testing.assert_allclose(buf, [2.0])
    np.testing.assert_allclose(p, [0.5], atol=1e-15)


def test_kernel_keeps_float32_and_checks_shapes():
    p = np.array([1.0, 2.0], dtype=np.float32)
    buf = sgd_update(p, np.array([0.1, 0.1]), None, lr=0.1, momentum=0.9)  # float64 grad
    assert p.dtype == np.float32 and buf.dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        sgd_update(p, np.zeros(3), None, lr=0.1)
    with pytest.raises(ValueError, match="momentum_buffer"):
        sgd_update(p, np.zeros(2), np.zeros(3), lr=0.1, momentum=0.9)


def test_kernel_matches_torch_functional():
    import importlib
    torch_sgd = importlib.import_module("torch.optim.sgd").sgd
    rng = np.random.default_rng(0)
    p0, b0 = rng.normal(size=7), rng.normal(size=7)
    grads = rng.normal(size=(3, 7))
    for kw in [dict(momentum=0.9, dampening=0.3), dict(momentum=0.8, nesterov=True, weight_decay=0.1),
               dict(momentum=0.0, maximize=True)]:
        p, b = p0.copy(), (b0.copy() if kw["momentum"] else None)
        tp, tb = torch.tensor(p0), [torch.tensor(b0) if kw["momentum"] else None]
        full = dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False)
        full.update(kw)
        for g in grads:
            b = sgd_update(p, g, b, lr=0.05, **full)
            torch_sgd([tp], [torch.tensor(g)], tb, lr=0.05, foreach=False, **full)
        np.testing.assert_allclose(p, tp.numpy(), rtol=1e-13)
        if kw["momentum"]:
            np.testing.assert_allclose(b, tb[0].numpy(), rtol=1e-13)


def test_functional_namespace():
    assert _functional.sgd_update is sgd_update


# -- class ------------------------------------------------------------------------------------
def test_defaults_match_torch():
    w = ll.zeros(2, requires_grad=True)
    tw = torch.zeros(2, requires_grad=True)
    assert SGD([w]).defaults == torch.optim.SGD([tw]).defaults
    assert SGD([w]).defaults["lr"] == 1e-3


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr=-1), ValueError, r"Invalid learning rate: lr=-1"),
    (dict(lr=float("nan")), ValueError, "learning rate"),
    (dict(lr="0.1"), TypeError, "lr must be a real number"),
    (dict(lr=True), TypeError, "lr must be a real number"),
    (dict(momentum=-0.1), ValueError, r"momentum=-0.1"),
    (dict(weight_decay=-1e-3), ValueError, r"weight_decay=-0.001"),
    (dict(dampening=None), TypeError, "dampening"),
    (dict(nesterov=True), ValueError, r"Nesterov momentum requires a momentum and zero dampening.*momentum=0"),
    (dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError, r"dampening=0.1"),
    (dict(nesterov="yes", momentum=0.9), TypeError, "nesterov must be True or False"),
    (dict(maximize=1), TypeError, "maximize"),
    (dict(differentiable=True), ValueError, "differentiable"),
    (dict(fused=True), ValueError, "fused"),
    (dict(foreach="x"), TypeError, "foreach"),
])
def test_validation_errors(kwargs, exc, match):
    w = ll.zeros(2, requires_grad=True)
    with pytest.raises(exc, match=match):
        SGD([w], **kwargs)


def test_validation_conditions_agree_with_torch():
    """Same accept/reject decisions as torch.optim.SGD on the numeric conditions."""
    cases = [dict(lr=0.0), dict(lr=-1e-9), dict(momentum=0.0, nesterov=True),
             dict(momentum=0.5, nesterov=True), dict(momentum=0.5, dampening=1.5),
             dict(momentum=0.5, dampening=-1.0), dict(weight_decay=0.0), dict(weight_decay=-1.0),
             dict(momentum=-1.0)]
    for kw in cases:
        def ok(fn):
            try:
                fn()
                return True
            except ValueError:
                return False
        assert ok(lambda: SGD([ll.zeros(1, requires_grad=True)], **kw)) == \
            ok(lambda: torch.optim.SGD([torch.zeros(1, requires_grad=True)], **kw)), kw


def test_param_group_options_are_validated():
    a, b = ll.zeros(2, requires_grad=True), ll.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD param group 1: Invalid learning rate: lr=-0.5"):
        SGD([{"params": [a]}, {"params": [b], "lr": -0.5}], lr=0.1)
    opt = SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        opt.add_param_group({"params": [b], "nesterov": True})
    assert len(opt.param_groups) == 1


def test_repr_matches_torch():
    a, b = ll.zeros(2, requires_grad=True), ll.zeros(2, requires_grad=True)
    ta, tb = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    kw = dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], **kw)
    topt = torch.optim.SGD([{"params": [ta]}, {"params": [tb], "lr": 0.01}], **kw)
    assert repr(opt) == repr(topt)
    assert repr(opt).startswith("SGD (\nParameter Group 0\n    dampening: 0\n")


def test_momentum_zero_keeps_no_state_and_momentum_buffer_layout():
    w = ll.tensor([1.0, 2.0], dtype=ll.float64, requires_grad=True)
    opt = SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert len(opt.state) == 0 and opt.state_dict()["state"] == {}
    opt = SGD([w], lr=0.1, momentum=0.9, dampening=0.5)
    w.grad = None
    (w * w).sum().backward()
    g = w.grad.data.copy()
    opt.step()
    assert list(opt.state[w]) == ["momentum_buffer"]
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"], g)  # first buffer = grad


def test_tensor_learning_rate():
    w = ll.tensor([1.0, 2.0], dtype=ll.float64, requires_grad=True)
    opt = SGD([w], lr=ll.tensor(0.25, dtype=ll.float64))
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.5, 1.0])
    with pytest.raises(ValueError, match="1-element"):
        SGD([w], lr=ll.tensor([0.1, 0.2]))
    sd = opt.state_dict()
    assert isinstance(sd["param_groups"][0]["lr"], ll.Tensor)


def test_lr_change_in_param_group_takes_effect():
    """Schedulers work by writing group['lr']; the next step must use it."""
    w = ll.tensor([1.0], dtype=ll.float64, requires_grad=True)
    opt = SGD([w], lr=0.1)
    opt.param_groups[0]["lr"] = 0.5
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.0])


def test_read_only_param_array_is_replaced_by_a_copy():
    arr = np.broadcast_to(np.array([1.0]), (3,))
    w = ll.tensor([0.0, 0.0, 0.0], dtype=ll.float64, requires_grad=True)
    w.data = arr  # a read-only view
    w.grad = ll.tensor(np.ones(3))
    SGD([w], lr=0.5).step()
    np.testing.assert_allclose(w.data, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(arr, [1.0, 1.0, 1.0])


def test_rosenbrock_momentum_reaches_minimum():
    p = ll.tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt = SGD([p], lr=5e-4, momentum=0.9)
    start = U.rosenbrock(p).item()
    for _ in range(2000):
        opt.zero_grad()
        U.rosenbrock(p).backward()
        opt.step()
    assert U.rosenbrock(p).item() < 1e-4 * start
    np.testing.assert_allclose(p.data, [1.0, 1.0], atol=0.05)


def test_plain_gd_on_rosenbrock_is_slower_than_momentum():
    """Behaviour from seed 003: momentum accelerates convergence along the curved valley."""
    def run(momentum):
        p = ll.tensor(np.array([-1.5, 2.0]), requires_grad=True)
        opt = SGD([p], lr=5e-4, momentum=momentum)
        for _ in range(300):
            opt.zero_grad()
            U.rosenbrock(p).backward()
            opt.step()
        return U.rosenbrock(p).item()
    assert run(0.9) < run(0.0)


# ----------------------------------------------------------------------------- momentum_style
def _keras_sgd(theta, grads_at, lrs, mu, nesterov):
    """Keras's SGD written plainly: v ← μv − ηg; θ ← θ + v (nesterov: θ ← θ + μv − ηg)."""
    v = np.zeros_like(theta)
    for lr in lrs:
        g = grads_at(theta)
        v = mu * v - lr * g
        theta = theta + (mu * v - lr * g if nesterov else v)
    return theta


def _quadratic_grad(theta):  # J = ½ θᵀ diag(1, 10) θ
    return np.array([1.0, 10.0]) * theta


def _run_sgd(lrs, **kw):
    w = ll.tensor([1.0, -2.0], dtype=ll.float64, requires_grad=True)
    opt = SGD([w], lr=lrs[0], **kw)
    for lr in lrs:
        opt.param_groups[0]["lr"] = lr
        opt.zero_grad()
        (0.5 * (ll.tensor([1.0, 10.0], dtype=ll.float64) * w * w).sum()).backward()
        opt.step()
    return w.data.copy(), opt


@pytest.mark.parametrize("nesterov", [False, True])
def test_sutskever_style_equals_keras_formula(nesterov):
    lrs = [0.05] * 10 + [0.01] * 10
    got, opt = _run_sgd(lrs, momentum=0.9, nesterov=nesterov, momentum_style="sutskever")
    want = _keras_sgd(np.array([1.0, -2.0]), _quadratic_grad, lrs, 0.9, nesterov)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert set(opt.state[opt.param_groups[0]["params"][0]]) == {"velocity"}


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_styles_agree_at_constant_lr_and_differ_when_it_changes(nesterov):
    const = [0.05] * 30
    a, _ = _run_sgd(const, momentum=0.9, nesterov=nesterov)
    b, _ = _run_sgd(const, momentum=0.9, nesterov=nesterov, momentum_style="sutskever")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    decayed = [0.05] * 10 + [0.005] * 20
    a, _ = _run_sgd(decayed, momentum=0.9, nesterov=nesterov)
    b, _ = _run_sgd(decayed, momentum=0.9, nesterov=nesterov, momentum_style="sutskever")
    # PyTorch's buffer rescales the old gradients by the new, smaller lr: it stops sooner
    assert np.max(np.abs(a - b)) > 1e-3


def test_momentum_style_with_dampening_agrees_at_constant_lr():
    const = [0.03] * 25
    a, _ = _run_sgd(const, momentum=0.8, dampening=0.3)
    b, _ = _run_sgd(const, momentum=0.8, dampening=0.3, momentum_style="sutskever")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_default_style_keeps_torch_group_keys_and_bad_style_is_refused():
    w = ll.tensor([1.0], requires_grad=True)
    assert "momentum_style" not in SGD([w], lr=0.1).param_groups[0]
    assert SGD([w], lr=0.1, momentum_style="sutskever").param_groups[0]["momentum_style"] == "sutskever"
    with pytest.raises(ValueError, match="momentum_style must be 'pytorch'.*got 'keras'"):
        SGD([w], lr=0.1, momentum=0.9, momentum_style="keras")
    with pytest.raises(ValueError, match="momentum_style must be one of"):
        sgd_update(np.ones(1), np.ones(1), lr=0.1, momentum=0.9, momentum_style="keras")


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
@pytest.mark.parametrize("setting", ["lr", "weight_decay"])
def test_infinite_hyperparameters_are_refused(opt_name, setting):
    # torch accepts lr=inf or weight_decay=inf and then produces inf/NaN weights on the first
    # step; losslab says so at construction
    import losslab as ll
    from losslab import optim

    p = [ll.zeros(2, requires_grad=True)]
    kwargs = {"lr": 0.01, setting: float("inf")}
    with pytest.raises(ValueError, match=f"{setting}=inf; expected a finite number"):
        getattr(optim, opt_name)(p, **kwargs)


def test_sgd_infinite_momentum_and_nan_dampening_are_refused():
    import losslab as ll
    from losslab import optim

    p = [ll.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="momentum=inf; expected a finite number"):
        optim.SGD(p, lr=0.1, momentum=float("inf"))
    with pytest.raises(ValueError, match="dampening=nan; expected a finite number"):
        optim.SGD(p, lr=0.1, momentum=0.9, dampening=float("nan"))
