"""``ll.autograd.gradcheck`` / ``gradgradcheck`` themselves: pass on right derivatives, report
wrong ones readably, refuse inputs that make finite differences meaningless."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.autograd import Function, GradcheckError, OP_REGISTRY


def f64(v, requires_grad=True):
    return ll.tensor(np.asarray(v, dtype=np.float64), requires_grad=requires_grad)


@pytest.fixture
def custom_fns():
    """Custom primitives for these tests, taken out of OP_REGISTRY again afterwards (they are
    not part of the library, and registry-driven tests elsewhere must not see them)."""
    before = set(OP_REGISTRY)

    class WrongSquare(Function):
        """x² with a deliberately wrong derivative at one element: 2x, but 3x for element 1."""

        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, g):
            (x,) = self.saved_tensors
            scale = np.full(x.shape, 2.0)
            scale.reshape(-1)[1] = 3.0
            return g * x * scale

    class Cube(Function):
        """x³; the first derivative is right, but the saved value is a copy, so with
        create_graph it is taken for a constant and the second derivative comes out wrong."""

        def forward(self, x):
            self.save_for_backward(x.copy())
            return x ** 3

        def backward(self, g):
            (x,) = self.saved_tensors
            return g * 3.0 * x * x

    class GoodCube(Function):
        """x³ done right: the input array itself is saved, so second derivatives are right."""

        def forward(self, x):
            self.save_for_backward(x)
            return x ** 3

        def backward(self, g):
            (x,) = self.saved_tensors
            return g * 3.0 * x * x

    yield WrongSquare, Cube, GoodCube
    for name in set(OP_REGISTRY) - before:
        del OP_REGISTRY[name]


@pytest.mark.parametrize("fn,inputs", [
    (lambda t: (t.sigmoid() * t).sum(), ([0.3, -1.2, 2.0],)),
    (lambda a, b: (a @ b).tanh(), ([[0.1, 0.2], [0.3, -0.4]], [[1.0], [-0.5]])),
    (lambda a: (a.softmax(-1), a.logsumexp(0)), ([[0.1, 0.2, 0.7], [0.3, -0.4, 1.0]],)),
    (lambda a: a.norm(dim=1) / a.std(), ([[0.1, 0.2, 0.7], [0.3, -0.4, 1.0]],)),
])
def test_gradcheck_true_on_correct_ops(fn, inputs):
    xs = tuple(f64(v) for v in inputs)
    assert ll.autograd.gradcheck(fn, xs) is True
    assert ll.autograd.gradgradcheck(fn, xs) is True


def test_gradcheck_accepts_a_single_tensor_and_constant_inputs():
    x = f64([1.0, 2.0])
    c = f64([3.0, 4.0], requires_grad=False)
    assert ll.autograd.gradcheck(lambda a: (a * a).sum(), x)
    assert ll.autograd.gradcheck(lambda a, k: (a * k).exp(), (x, c))


def test_gradcheck_reports_a_wrong_derivative(custom_fns):
    WrongSquare, _, _ = custom_fns
    x = f64([0.5, -1.0, 2.0])
    with pytest.raises(GradcheckError) as info:
        ll.autograd.gradcheck(lambda t: WrongSquare.apply(t), (x,))
    msg = str(info.value)
    assert "input 0 (shape (3,))" in msg
    assert "at element (1,)" in msg and "output element 1" in msg
    assert "analytic -3.0" in msg and "numeric -2.0" in msg  # the wrong and the right value
    assert "1 of 9 entries disagree" in msg
    assert ll.autograd.gradcheck(lambda t: WrongSquare.apply(t), (x,), raise_exception=False) is False
    assert isinstance(info.value, RuntimeError)


def test_gradcheck_names_the_right_input(custom_fns):
    WrongSquare, _, _ = custom_fns
    a, b = f64([[1.0, 2.0]]), f64([[0.5, 1.5], [2.0, 1.0]])
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(2, 2\)\) at element \(0, 1\)"):
        ll.autograd.gradcheck(lambda p, q: p @ WrongSquare.apply(q), (a, b))


def test_gradgradcheck_catches_a_wrong_second_derivative(custom_fns):
    _, Cube, GoodCube = custom_fns
    x = f64([0.5, -1.0, 2.0])
    assert ll.autograd.gradcheck(lambda t: Cube.apply(t), (x,))  # first order is right
    with pytest.raises(GradcheckError, match=r"Jacobian mismatch for input 0"):
        ll.autograd.gradgradcheck(lambda t: Cube.apply(t), (x,))
    assert ll.autograd.gradgradcheck(lambda t: GoodCube.apply(t), (x,))


def test_custom_function_registers_itself(custom_fns):
    WrongSquare, Cube, _ = custom_fns
    assert OP_REGISTRY["WrongSquare"] is WrongSquare and OP_REGISTRY["Cube"] is Cube


def test_gradcheck_refuses_float32_inputs():
    x = ll.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 has dtype float32; use float64 inputs"):
        ll.autograd.gradcheck(lambda t: t * 2.0, (x,))
    with pytest.raises(GradcheckError, match="float64"):
        ll.autograd.gradgradcheck(lambda t: t * 2.0, (x,))


def test_gradcheck_refuses_float32_inside_fn():
    x = f64([1.0, 2.0])
    with pytest.raises(GradcheckError, match=r"output 0 has dtype float32; finite differences need float64"):
        ll.autograd.gradcheck(lambda t: t.float() * 2.0, (x,))


def test_gradcheck_needs_a_differentiable_input_and_tensor_outputs():
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        ll.autograd.gradcheck(lambda t: t * 2.0, (f64([1.0], requires_grad=False),))
    with pytest.raises(TypeError, match="fn must return Tensors, output 0 is float"):
        ll.autograd.gradcheck(lambda t: 2.0, (f64([1.0]),))


def test_gradcheck_leaves_inputs_unchanged():
    x = f64([0.1, 0.2, 0.3])
    before = x.data.copy()
    ll.autograd.gradcheck(lambda t: t.exp().sum(), (x,))
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_gradcheck_on_a_non_contiguous_leaf():
    x = ll.Tensor(np.arange(6.0).reshape(2, 3).T, requires_grad=True)  # a transposed view, no copy
    assert not x.data.flags.c_contiguous
    assert ll.autograd.gradcheck(lambda t: (t * t).sum(0), (x,))
    np.testing.assert_array_equal(x.data, np.arange(6.0).reshape(2, 3).T)


def test_gradcheck_restores_inputs_when_fn_raises():
    x = f64([1.0, 2.0])
    calls = []

    def fn(t):
        calls.append(1)
        if len(calls) > 1:
            raise ArithmeticError("boom")
        return t * 2.0

    with pytest.raises(ArithmeticError):
        ll.autograd.gradcheck(fn, (x,))
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
