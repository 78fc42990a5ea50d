"""The engine's behaviour: deep graphs, accumulation, retain_graph, grad modes, detach, dtypes,
``autograd.grad`` (higher order, allow_unused, grad_outputs) — compared with PyTorch where it has
the same behaviour."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll

torch = pytest.importorskip("torch")


def f64(v, requires_grad=True):
    return ll.tensor(np.asarray(v, dtype=np.float64), requires_grad=requires_grad)


def t64(v, requires_grad=True):
    return torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- graph traversal
def test_ten_thousand_op_chain_has_no_recursion_limit():
    x = f64([0.5, -0.25])
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0  # two ops per step: 10,000 nodes
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full(2, 1.0001 ** 5000), rtol=1e-10)


def test_deep_chain_of_nonlinear_ops_matches_torch():
    x, t = f64([0.3, -0.2]), t64([0.3, -0.2])
    y, u = x, t
    for _ in range(2000):
        y, u = (y * 0.999).sin(), (u * 0.999).sin()
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10)


def test_diamond_graph_and_fan_out():
    x, t = f64([0.5, 1.5]), t64([0.5, 1.5])
    for lib, v in ((ll, x), (torch, t)):
        a = v.exp()
        b = a * v  # a used three times
        out = (a + b * a).sum()
        out.backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- accumulation, retain
def test_gradients_accumulate_across_backward_calls():
    x, t = f64([1.0, 2.0]), t64([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    (t * t).sum().backward()
    (t * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
    np.testing.assert_array_equal(x.grad.data, [5.0, 7.0])


def test_retain_graph_allows_a_second_backward():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_second_backward_through_freed_graph_raises_clearly():
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*retain_graph=True"):
        y.backward()
    z = (x * x).sum()
    ll.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        ll.autograd.grad(z, x)


def test_backward_on_non_scalar_without_gradient_names_the_shape():
    x = f64([[1.0, 2.0, 3.0]])
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(1, 3\)"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match=r"shape \(1, 3\)"):
        ll.autograd.grad(x * 2.0, x)


def test_backward_gradient_shape_mismatch():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the tensor has shape \(2,\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_with_explicit_gradient_on_one_element_and_zero_d():
    x = f64([3.0])
    (x * 2.0).backward()  # one element: implicit gradient allowed, as in torch
    assert x.grad.data.tolist() == [2.0]
    s = f64(2.0)
    (s ** 3).backward(ll.tensor(0.5, dtype=ll.float64))
    assert s.grad.item() == 6.0


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ll.tensor([1.0, 2.0]).sum().backward()


def test_retain_grad_and_is_leaf_and_grad_fn():
    x, t = f64([1.0, 2.0]), t64([1.0, 2.0])
    y, u = x * 2.0, t * 2.0
    y.retain_grad()
    u.retain_grad()
    (y * y).sum().backward()
    (u * u).sum().backward()
    np.testing.assert_array_equal(y.grad.data, u.grad.numpy())
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
    assert x.is_leaf and not y.is_leaf and x.grad_fn is None
    assert "Mul" in y.grad_fn.name
    with pytest.raises(RuntimeError, match="retain_grad"):
        ll.tensor([1.0]).retain_grad()


def test_backward_inputs_restricts_accumulation():
    x, w = f64([1.0, 2.0]), f64([3.0, 4.0])
    (x * w).sum().backward(inputs=[x])
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    assert w.grad is None


def test_grad_is_a_float_tensor_of_the_leaf_dtype():
    x = ll.tensor([1.0, 2.0], requires_grad=True)
    (x * np.ones(2)).sum().backward()  # the float64 operand promotes the product, not the grad
    assert isinstance(x.grad, ll.Tensor) and x.grad.dtype == np.float32
    x.grad.zero_()
    assert x.grad.data.tolist() == [0.0, 0.0]


def test_zero_grad_pattern_and_no_shared_memory():
    x = f64([1.0, 2.0])
    y = f64([1.0, 2.0])
    (x + y).sum().backward()
    x.grad.data[0] = 99.0
    assert y.grad.data[0] == 1.0  # .grad of two leaves never alias the same upstream buffer


# ----------------------------------------------------------------------------- grad modes
def test_requires_grad_on_int_tensor_is_refused():
    with pytest.raises(RuntimeError, match=r"only floating-point tensors can require gradients.*int64"):
        ll.tensor([1, 2, 3], requires_grad=True)
    t = ll.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floating-point"):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match="floating-point"):
        ll.arange(3, requires_grad=True)


def test_requires_grad_cannot_be_turned_off_on_non_leaf():
    y = f64([1.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"non-leaf.*detach"):
        y.requires_grad = False


def test_no_grad_enable_grad_set_grad_enabled_contexts():
    x = f64([1.0])
    with ll.no_grad():
        assert not ll.is_grad_enabled()
        assert not (x * 2.0).requires_grad
        with ll.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad
    assert ll.is_grad_enabled()
    with ll.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert ll.is_grad_enabled()
    with ll.set_grad_enabled(True):
        assert (x * 2.0).requires_grad
    ll.set_grad_enabled(False)  # plain call switches at once, as torch.set_grad_enabled
    try:
        assert not ll.is_grad_enabled()
    finally:
        ll.set_grad_enabled(True)
    assert ll.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with ll.no_grad():
            raise ValueError("boom")
    assert ll.is_grad_enabled()


def test_grad_mode_is_thread_local():
    """As in PyTorch, grad mode belongs to a thread: a no_grad block in one thread does not stop
    another thread from recording, and a new thread starts with grad enabled even when the thread
    that starts it is inside no_grad."""
    import threading

    inside = threading.Event()
    release = threading.Event()
    seen = {}

    def worker_no_grad():
        with ll.no_grad():
            seen["worker_inside"] = ll.is_grad_enabled()
            inside.set()
            release.wait(10)
            y = f64([1.0]) * 2
            seen["worker_records"] = y.requires_grad
        seen["worker_after"] = ll.is_grad_enabled()

    t = threading.Thread(target=worker_no_grad)
    t.start()
    assert inside.wait(10)
    # The other thread is inside no_grad right now; this one still records.
    assert ll.is_grad_enabled()
    x = f64([1.0, 2.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    release.set()
    t.join(10)
    assert seen == {"worker_inside": False, "worker_records": False, "worker_after": True}

    # A thread started from inside no_grad begins with grad enabled (torch's rule too).
    def probe(out):
        out.append(ll.is_grad_enabled())
        with ll.set_grad_enabled(False):
            out.append(ll.is_grad_enabled())

    got, ref = [], []
    with ll.no_grad():
        t = threading.Thread(target=probe, args=(got,))
        t.start()
        t.join(10)
        assert not ll.is_grad_enabled()  # the worker's switch did not leak back either
    with torch.no_grad():
        t = threading.Thread(target=lambda: ref.append(torch.is_grad_enabled()))
        t.start()
        t.join(10)
    assert got == [True, False]
    assert ref == [True]
    assert ll.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = f64([1.0])

    @ll.no_grad()
    def f(a):
        return a * 2.0

    @ll.no_grad
    def f_bare(a):
        return a * 2.0

    @ll.set_grad_enabled(False)
    def g(a):
        return a * 2.0

    assert ll.is_grad_enabled()  # decorating with set_grad_enabled(False) must not switch it off
    assert not f(x).requires_grad and not f_bare(x).requires_grad and not g(x).requires_grad
    assert ll.is_grad_enabled()

    @ll.enable_grad()
    def h(a):
        return a * 2.0

    with ll.no_grad():
        assert h(x).requires_grad
        assert not ll.is_grad_enabled()
    assert f.__name__ == "f"


def test_detach():
    x = f64([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    y = (x * (x * 3.0).detach()).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 6.0])
    xd = x.detach()
    assert np.shares_memory(xd.data, x.data)  # shares data, as torch


def test_detach_sharing_data_is_not_confused_in_second_order():
    """x * x.detach(): both operands are the same array; the saved value of the detached one must
    stay a constant when the backward is differentiated again (Hessian 0, not 1)."""
    x, t = f64([1.0, 2.0]), t64([1.0, 2.0])
    (g,) = ll.autograd.grad((x * x.detach()).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((t * t.detach()).sum(), t, create_graph=True)
    np.testing.assert_array_equal(g.data, gt.detach().numpy())
    assert not g.requires_grad and not gt.requires_grad
    (g,) = ll.autograd.grad((x.detach() * x.exp()).sum(), x, create_graph=True)
    (h,) = ll.autograd.grad(g.sum(), x)
    (gt,) = torch.autograd.grad((t.detach() * t.exp()).sum(), t, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), t)
    np.testing.assert_allclose(h.data, ht.numpy(), rtol=1e-12)


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = f64([1.0, 2.0])
    for op in (lambda: x.add_(1.0), lambda: x.mul_(2.0), lambda: x.zero_(), lambda: x.fill_(1.0),
               lambda: x.copy_(np.zeros(2)), lambda: x.__setitem__(0, 5.0), lambda: x.normal_()):
        with pytest.raises(RuntimeError, match=r"in place.*no_grad"):
            op()
    y = x * 2.0
    with pytest.raises(RuntimeError, match="in place"):
        y[0] = 1.0
    with ll.no_grad():
        x.sub_(1.0)
        x[1] = 7.0
    assert x.data.tolist() == [0.0, 7.0]


# ----------------------------------------------------------------------------- dtypes
def test_float32_default_and_float64_kept():
    assert ll.tensor([1.0, 2.0]).dtype == np.float32
    assert ll.tensor(1.5).dtype == np.float32
    assert ll.tensor(np.array([1.0, 2.0])).dtype == np.float64
    assert ll.tensor([1.0], dtype=ll.float64).dtype == np.float64
    assert ll.tensor([1, 2]).dtype == np.int64
    assert ll.tensor([True]).dtype == np.bool_
    assert ll.get_default_dtype() == np.float32
    x = ll.tensor([1.0, 2.0], dtype=ll.float64, requires_grad=True)
    y = ((x * 2.0 + 1).exp() / 3 - 0.5) ** 2
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float64


def _ll_dtype(v):
    return str(v.dtype)


def _t_dtype(v):
    return str(v.dtype).removeprefix("torch.")


PROMOTION = {
    "x * 2.0": lambda e: e.x * 2.0, "2.0 * x": lambda e: 2.0 * e.x, "x + 2": lambda e: e.x + 2,
    "x / 3": lambda e: e.x / 3, "x ** 2.0": lambda e: e.x ** 2.0, "2.0 ** x": lambda e: 2.0 ** e.x,
    "x - np.float64(2.0)": lambda e: e.x - np.float64(2.0), "x * f64_0d": lambda e: e.x * e.f64_0d,
    "x + f64_vec": lambda e: e.x + e.f64_vec, "x + f32_0d": lambda e: e.x + e.f32_0d,
    "i + 2.5": lambda e: e.i + 2.5, "2.5 - i": lambda e: 2.5 - e.i, "i * 2": lambda e: e.i * 2,
    "i / i": lambda e: e.i / e.i, "i / 2": lambda e: e.i / 2, "i ** 0.5": lambda e: e.i ** 0.5,
    "i ** 2": lambda e: e.i ** 2, "i * x": lambda e: e.i * e.x, "i + f64_0d": lambda e: e.i + e.f64_0d,
    "b + 1": lambda e: e.b + 1, "b * 1.5": lambda e: e.b * 1.5, "x16 * 2.0": lambda e: e.x16 * 2.0,
    "x16 * x": lambda e: e.x16 * e.x, "x * f64_t_0d": lambda e: e.x * e.f64_t_0d,
    "x * f64_t": lambda e: e.x * e.f64_t, "i.exp()": lambda e: e.i.exp(), "i.sqrt()": lambda e: e.i.sqrt(),
    "i.sigmoid()": lambda e: e.i.sigmoid(), "i.tanh()": lambda e: e.i.tanh(),
    "where(m, i, 0.5)": lambda e: e.lib.where(e.m, e.i, 0.5), "where(m, x, 0.5)": lambda e: e.lib.where(e.m, e.x, 0.5),
    "i.clamp(0.5, 2.5)": lambda e: e.i.clamp(0.5, 2.5), "i.clamp(0, 2)": lambda e: e.i.clamp(0, 2),
    "maximum(x, f64_t)": lambda e: e.lib.maximum(e.x, e.f64_t), "reciprocal(i)": lambda e: e.lib.reciprocal(e.i),
    "1 / i": lambda e: 1 / e.i, "x.sum()": lambda e: e.x.sum(), "i.sum()": lambda e: e.i.sum(),
    "b.sum()": lambda e: e.b.sum(),
    "x.clamp(np.float64)": lambda e: e.x.clamp(np.float64(0.5), np.float64(1.5)),
    "i.clamp(np.float64)": lambda e: e.i.clamp(np.float64(1.5)),
    "x * np.float64 * 0d": lambda e: (e.x * np.float64(3.0)) * e.f64_t_0d,
    "x16 + f64_0d": lambda e: e.x16 + e.f64_0d, "i + b": lambda e: e.i + e.b,
    "where(m, x, f64_t)": lambda e: e.lib.where(e.m, e.x, e.f64_t),
    "clamp(x, f64_t)": lambda e: e.lib.clamp(e.x, e.f64_t), "clamp(x, x, x)": lambda e: e.lib.clamp(e.x, e.x * 0.5, e.x * 2.0),
    "clamp(i, x)": lambda e: e.lib.clamp(e.i, e.x),
}


class _Env:
    def __init__(self, lib):
        T = lib
        mk = ll.tensor if lib is ll else torch.tensor
        f64 = ll.float64 if lib is ll else torch.float64
        self.lib = lib
        self.x, self.i, self.b = mk([1.0, 2.0]), mk([1, 2]), mk([True, False])
        self.x16 = mk([1.0, 2.0], dtype=T.float16)
        self.m = mk([True, False])
        self.f64_t_0d, self.f64_t = mk(2.0, dtype=f64), mk([2.0, 3.0], dtype=f64)
        if lib is ll:  # NumPy operands: treated like tensors of their dtype and number of dims
            self.f64_0d, self.f64_vec, self.f32_0d = np.array(2.0), np.ones(2), np.array(2.0, dtype=np.float32)
        else:
            self.f64_0d, self.f64_vec = mk(2.0, dtype=f64), mk([1.0, 1.0], dtype=f64)
            self.f32_0d = mk(2.0)


@pytest.mark.parametrize("expr", list(PROMOTION))
def test_type_promotion_matches_torch(expr):
    """PyTorch's rules: Python numbers and 0-d operands don't upcast a float32 tensor; an int
    tensor meeting a float number becomes the default dtype (float32); true division and float
    functions of ints give float32; dimensioned float64 operands win. NumPy arrays are treated
    like tensors (a 0-d float64 array does not upcast, a 1-d one does)."""
    got = _ll_dtype(PROMOTION[expr](_Env(ll)))
    want = _t_dtype(PROMOTION[expr](_Env(torch)))
    assert got == want, f"{expr}: losslab {got}, torch {want}"


def test_promotion_keeps_gradients_in_leaf_dtypes():
    x = ll.tensor([1.0, 2.0], requires_grad=True)  # float32
    w = ll.tensor([3.0, 4.0], dtype=ll.float64, requires_grad=True)
    y = x * w
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    np.testing.assert_array_equal(w.grad.data, [1.0, 2.0])


def test_numpy_operand_on_the_left_returns_a_tensor():
    x = ll.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([2.0, 3.0], dtype=np.float32) * x
    assert isinstance(y, ll.Tensor) and y.requires_grad
    z = np.float64(2.0) * x
    assert isinstance(z, ll.Tensor) and z.dtype == np.float32


def test_to_and_cast_are_differentiable():
    x, t = f64([1.5, -2.0]), t64([1.5, -2.0])
    (x.float() * 3.0).double().sum().backward()
    (t.float() * 3.0).double().sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
    i = x.long()
    assert i.dtype == np.int64 and not i.requires_grad


# ----------------------------------------------------------------------------- autograd.grad
def _hess_vs_torch(fn_ll, fn_t, value, order=2):
    x, t = f64(value), t64(value)
    gl, gt = fn_ll(x), fn_t(t)
    for _ in range(order):
        (gl,) = ll.autograd.grad(gl.sum(), x, create_graph=True)
        (gt,) = torch.autograd.grad(gt.sum(), t, create_graph=True)
        np.testing.assert_allclose(gl.data, gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    return gl


W = np.array([0.5, -1.0, 2.0, 0.25])
M = np.array([[0.3, -0.2, 0.1, 0.0], [0.5, 0.4, -0.6, 0.2], [0.1, 0.1, 0.9, -0.3], [0.0, 0.2, 0.3, 0.4]])


@pytest.mark.parametrize("name,fl,ft", [
    ("sum_tanh_cubed", lambda x: (x.tanh() ** 3).sum(), lambda x: (x.tanh() ** 3).sum()),
    ("softmax_weighted", lambda x: (x.softmax(0) * ll.tensor(W)).sum(), lambda x: (x.softmax(0) * torch.tensor(W)).sum()),
    ("matmul_chain", lambda x: (ll.tensor(M) @ (x * x) @ ll.tensor(M)).tanh().sum(),
     lambda x: (torch.tensor(M) @ (x * x) @ torch.tensor(M)).tanh().sum()),
    ("matmul_cubic", lambda x: (x @ ll.tensor(M) @ x) * x.sum(), lambda x: (x @ torch.tensor(M) @ x) * x.sum()),
    ("log_softmax", lambda x: (x.log_softmax(0) * ll.tensor(W)).sum(), lambda x: (x.log_softmax(0) * torch.tensor(W)).sum()),
    ("norm", lambda x: x.norm() ** 3, lambda x: x.norm() ** 3),
    ("logsumexp", lambda x: x.logsumexp(0), lambda x: x.logsumexp(0)),
    ("sigmoid_prod", lambda x: x.sigmoid().prod(), lambda x: x.sigmoid().prod()),
    ("var_std", lambda x: x.var() * x.std(), lambda x: x.var() * x.std()),
])
@pytest.mark.parametrize("order", [2, 3])
def test_higher_order_grad_matches_torch(name, fl, ft, order):
    value = np.array([0.4, -0.3, 0.8, 0.1]) if name != "matmul_chain" else M * 0.7
    _hess_vs_torch(fl, ft, value, order)


def test_grad_of_grad_is_a_graph_only_with_create_graph():
    x = f64([0.5, 1.0])
    (g,) = ll.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    (g,) = ll.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_create_graph_fills_grad_with_a_graph():
    x, t = f64([0.5, 1.0]), t64([0.5, 1.0])
    (x ** 3).sum().backward(create_graph=True)
    (t ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (gx,) = ll.autograd.grad(x.grad.sum(), x)
    (gt,) = torch.autograd.grad(t.grad.sum(), t)
    np.testing.assert_allclose(gx.data, gt.numpy())


def test_grad_allow_unused_and_grad_outputs():
    x, w, u = f64([1.0, 2.0]), f64([3.0, 4.0]), f64([5.0])
    y = x * w
    with pytest.raises(RuntimeError, match=r"inputs\[2\].*allow_unused=True"):
        ll.autograd.grad(y, [x, w, u], grad_outputs=ll.tensor([1.0, 1.0], dtype=ll.float64), retain_graph=True)
    gx, gw, gu = ll.autograd.grad(y, [x, w, u], grad_outputs=[np.array([0.5, -1.0])], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.data, [1.5, -4.0])
    np.testing.assert_array_equal(gw.data, [0.5, -2.0])
    assert x.grad is None and w.grad is None  # grad() returns, never accumulates


def test_grad_with_several_outputs_sums_their_contributions():
    x, t = f64([1.0, 2.0]), t64([1.0, 2.0])
    g = ll.autograd.grad([(x * x).sum(), x.exp()], x, grad_outputs=[None, np.array([1.0, 2.0])])
    gt = torch.autograd.grad([(t * t).sum(), t.exp()], t, grad_outputs=[None, torch.tensor([1.0, 2.0], dtype=torch.float64)])
    np.testing.assert_allclose(g[0].data, gt[0].numpy())


def test_grad_wrt_non_leaf():
    x, t = f64([1.0, 2.0]), t64([1.0, 2.0])
    h, ht = x * 3.0, t * 3.0
    (g,) = ll.autograd.grad((h ** 2).sum(), h)
    (gt,) = torch.autograd.grad((ht ** 2).sum(), ht)
    np.testing.assert_array_equal(g.data, gt.numpy())


def test_grad_errors():
    x = f64([1.0])
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        ll.autograd.grad((x * 2).sum(), ll.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"outputs\[0\] does not require grad"):
        ll.autograd.grad(ll.tensor([1.0]).sum(), x)
    with pytest.raises(ValueError, match="grad_outputs for 1 outputs"):
        ll.autograd.grad((x * 2).sum(), x, grad_outputs=[None, None])
    with pytest.raises(RuntimeError, match=r"grad_outputs\[0\] has shape \(2,\), expected \(1,\)"):
        ll.autograd.grad(x * 2, x, grad_outputs=[np.ones(2)])


def test_hessian_vector_product_of_mlp_loss():
    rng = np.random.default_rng(0)
    xv, wv, vv = rng.standard_normal((5, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    res = []
    for lib, mk, F in ((ll, f64, ll), (torch, t64, torch.nn.functional)):
        x, w = mk(xv, requires_grad=False), mk(wv)
        loss = (F.linear(x, w).tanh() ** 2).mean() if lib is torch else (ll.linear(x, w).tanh() ** 2).mean()
        grad = ll.autograd.grad if lib is ll else torch.autograd.grad
        (g,) = grad(loss, w, create_graph=True)
        (hv,) = grad((g * mk(vv, requires_grad=False)).sum(), w)
        res.append(hv.data if lib is ll else hv.numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-10)


def test_grad_wrt_the_same_input_twice_and_wrt_the_output_itself():
    x, t = f64([1.0, 2.0]), t64([1.0, 2.0])
    g1, g2 = ll.autograd.grad((x * x).sum(), [x, x])
    u1, u2 = torch.autograd.grad((t * t).sum(), [t, t])
    np.testing.assert_array_equal(g1.data, u1.numpy())
    np.testing.assert_array_equal(g2.data, u2.numpy())
    y = x * 2.0
    (gy,) = ll.autograd.grad(y, y, grad_outputs=[np.array([3.0, 4.0])])
    np.testing.assert_array_equal(gy.data, [3.0, 4.0])


CREATION = {
    "zeros": lambda L, d: L.zeros(2, 3, dtype=d), "ones": lambda L, d: L.ones((2, 3), dtype=d),
    "full_float": lambda L, d: L.full((2,), 1.5, dtype=d), "full_int": lambda L, d: L.full((2,), 3),
    "full_bool": lambda L, d: L.full((2,), True), "arange_int": lambda L, d: L.arange(5),
    "arange_float": lambda L, d: L.arange(0, 1, 0.25, dtype=d), "arange_float_args": lambda L, d: L.arange(0.0, 2.0),
    "linspace": lambda L, d: L.linspace(0, 1, 5, dtype=d), "eye": lambda L, d: L.eye(3, dtype=d),
    "randn": lambda L, d: L.randn(2, 2, dtype=d), "rand": lambda L, d: L.rand(3, dtype=d),
    "randint": lambda L, d: L.randint(0, 5, (4,)), "randperm": lambda L, d: L.randperm(4),
    "zeros_like": lambda L, d: L.zeros_like(L.ones(2), dtype=d), "ones_like_keep": lambda L, d: L.ones_like(L.ones(2, dtype=d)),
    "full_like": lambda L, d: L.full_like(L.ones(2), 2.0, dtype=d), "randn_like": lambda L, d: L.randn_like(L.ones(2), dtype=d),
    "rand_like_keep": lambda L, d: L.rand_like(L.ones(2, dtype=d)),
}


@pytest.mark.parametrize("name", list(CREATION))
@pytest.mark.parametrize("which", ["default", "float64"])
def test_creation_dtypes_match_torch(name, which):
    got = CREATION[name](ll, None if which == "default" else ll.float64)
    want = CREATION[name](torch, None if which == "default" else torch.float64)
    assert _ll_dtype(got) == _t_dtype(want), name
    assert got.shape == tuple(want.shape)
    assert not got.requires_grad


def test_creation_requires_grad():
    for t in (ll.zeros(2, requires_grad=True), ll.randn(2, dtype=ll.float64, requires_grad=True),
              ll.ones_like(ll.ones(2), requires_grad=True)):
        assert t.requires_grad and t.is_leaf
