"""Bad input gets an error of the right type whose message names the problem."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll

X = ll.tensor(np.ones((2, 3)))


@pytest.mark.parametrize("data", [[[1.0, 2.0], [3.0]], [[[1.0], [2.0]], [[3.0]]], [np.ones(2), np.ones(3)]])
def test_ragged_list(data):
    with pytest.raises(ValueError, match=r"ragged nested sequence.*same length"):
        ll.tensor(data)


@pytest.mark.parametrize("data,kind", [
    ("abc", "str"), (["a", "b"], "list"), ([1.0, "x"], "list"), ([object()], "list"), (None, "NoneType"),
    ({1, 2}, "set"), ([1j], "list"),
])
def test_non_numeric_data(data, kind):
    with pytest.raises(TypeError, match=rf"data: expected numbers \(float, int or bool\).*\({kind}\)"):
        ll.tensor(data)


@pytest.mark.parametrize("other", ["a", object(), None])
def test_non_numeric_operand(other):
    with pytest.raises(TypeError, match="other: expected numbers"):
        X + other


@pytest.mark.parametrize("a,b,msg", [
    ((2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned.*\(3\).*\(4\)"),
    ((3,), (4,), r"matmul: shapes \(3,\) and \(4,\) are not aligned"),
    ((2, 3), (2,), r"matmul: shapes \(2, 3\) and \(2,\)"),
    ((2, 2, 3), (3, 3, 2), r"batch dimensions of \(2, 2, 3\) and \(3, 3, 2\) don't broadcast"),
])
def test_matmul_mismatched_shapes(a, b, msg):
    with pytest.raises(ValueError, match=msg):
        ll.tensor(np.ones(a)) @ ll.tensor(np.ones(b))


def test_matmul_zero_dim():
    with pytest.raises(RuntimeError, match=r"at least 1 dimension.*\(\) and \(2, 3\)"):
        ll.matmul(ll.tensor(2.0), X)


def test_dot_and_linear_shapes():
    with pytest.raises(RuntimeError, match=r"dot: expected 1-D tensors, got shapes \(2, 3\)"):
        ll.dot(X, X)
    with pytest.raises(ValueError, match=r"linear: input has shape \(2, 3\).*in_features=2"):
        ll.linear(X, ll.tensor(np.ones((4, 2))))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\), got \(3,\)"):
        ll.linear(X, ll.tensor(np.ones((4, 3))), ll.tensor(np.ones(3)))
    with pytest.raises(ValueError, match=r"linear: weight must be 2-D"):
        ll.linear(X, ll.tensor(np.ones(3)))


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"add: operands of shapes \(3,\) and \(4,\) can't be broadcast"):
        ll.tensor(np.ones(3)) + ll.tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"mul: operands of shapes \(2, 3\) and \(2,\)"):
        X * ll.tensor(np.ones(2))


@pytest.mark.parametrize("call,fn,dim", [
    (lambda: X.sum(2), "sum", 2), (lambda: X.sum(-3), "sum", -3), (lambda: X.mean((0, 5)), "mean", 5),
    (lambda: X.softmax(4), "softmax", 4), (lambda: X.log_softmax(-3), "log_softmax", -3),
    (lambda: X.max(3), "max", 3), (lambda: X.amax(2), "amax", 2), (lambda: X.var(5), "var", 5),
    (lambda: X.prod(4), "prod", 4), (lambda: X.logsumexp(2), "logsumexp", 2), (lambda: X.norm(dim=3), "norm", 3),
    (lambda: X.transpose(0, 5), "transpose", 5), (lambda: ll.cat([X, X], 3), "cat", 3),
    (lambda: X.unsqueeze(4), "unsqueeze", 4), (lambda: X.squeeze(3), "squeeze", 3),
    (lambda: X.gather(2, ll.tensor([[0]])), "gather", 2), (lambda: X.argmax(2), "argmax", 2),
    (lambda: X.split(1, 2), "split", 2), (lambda: X.flatten(0, 4), "flatten", 4),
])
def test_unknown_dim(call, fn, dim):
    with pytest.raises(IndexError, match=rf"{fn}: dim {dim} is out of range for a tensor with 2 dimension"):
        call()


def test_bad_dim_types():
    with pytest.raises(TypeError, match="sum: dim must be an int or a tuple of ints, got 'a'"):
        X.sum("a")
    with pytest.raises(ValueError, match=r"names the same dimension twice"):
        X.sum((0, -2))
    with pytest.raises(TypeError, match=r"max: dim must be a single int here, got \(0, 1\)"):
        X.max((0, 1))
    with pytest.raises(TypeError, match="softmax: pass dim explicitly"):
        ll.softmax(X, None)


def test_one_hot_bad_classes():
    with pytest.raises(ValueError, match="one_hot: class indices must be non-negative, got -1"):
        ll.one_hot(ll.tensor([0, -1]))
    with pytest.raises(ValueError, match="one_hot: class index 5 is out of range for num_classes=3"):
        ll.one_hot(ll.tensor([0, 5]), 3)
    with pytest.raises(TypeError, match="one_hot: expected an integer tensor.*float32"):
        ll.one_hot(ll.tensor([0.0, 1.0]))


def test_gather_index_problems():
    with pytest.raises(ValueError, match="gather: index has 1 dimensions but input has 2"):
        X.gather(1, ll.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"gather: index shape \(3, 1\) must not be larger than input shape \(2, 3\)"):
        X.gather(1, ll.tensor([[0], [1], [0]]))
    with pytest.raises(TypeError, match="gather: index must be an integer tensor, got dtype float32"):
        X.gather(1, ll.tensor([[0.0]]))
    with pytest.raises(IndexError, match=r"gather: index values must lie in \[0, 3\).*\[3, 3\]"):
        X.gather(1, ll.tensor([[3]]))


def test_indexing_errors():
    with pytest.raises(IndexError, match=r"index 5 is invalid for a tensor of shape \(2, 3\)"):
        X[5]
    with pytest.raises(IndexError, match=r"too many indices"):
        X[0, 0, 0]
    with pytest.raises(IndexError, match=r"shape \(2, 3\).*boolean index did not match"):
        X[ll.tensor([True, False, True])]


def test_inplace_on_leaf_requiring_grad():
    w = ll.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: a tensor that requires grad can't be modified in place.*ll.no_grad"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match=r"__setitem__: a tensor that requires grad"):
        w[0] = 3.0


def test_shape_op_errors():
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for a tensor of 6 elements"):
        X.reshape(4, 2)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[-1, -1\]"):
        X.reshape(-1, -1)
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 2\) but tensor 0 has shape \(2, 3\)"):
        ll.cat([X, ll.tensor(np.ones((2, 2)))], 0)
    with pytest.raises(ValueError, match="cat: expected a non-empty list"):
        ll.cat([])
    with pytest.raises(ValueError, match=r"stack: tensor 1 has shape \(3, 2\)"):
        ll.stack([X, ll.tensor(np.ones((3, 2)))])
    with pytest.raises(ValueError, match=r"permute: dims \[0, 0\] are not a permutation"):
        X.permute(0, 0)
    with pytest.raises(RuntimeError, match=r"broadcast_to: shape \(2, 3\) can't be broadcast to \(4, 3\)"):
        X.broadcast_to((4, 3))
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\) can't be broadcast to \(3, 3\)"):
        X.expand(3, 3)
    with pytest.raises(ValueError, match=r"split: sections \[1, 1\] sum to 2, but dimension 1 has size 3"):
        X.split([1, 1], 1)
    with pytest.raises(ValueError, match="split: split_size must be positive"):
        X.split(0)
    with pytest.raises(ValueError, match="chunk: chunks must be a positive int, got 0"):
        X.chunk(0)
    with pytest.raises(ValueError, match="flatten: start_dim 1 must not come after end_dim 0"):
        X.flatten(1, 0)


def test_option_errors():
    with pytest.raises(TypeError, match="where: condition must be a bool tensor, got dtype int64"):
        ll.where(ll.tensor([1, 0, 1]), X, X)
    with pytest.raises(ValueError, match="norm: p must be a positive number, 'fro' or inf, got -1"):
        X.norm(-1)
    with pytest.raises(ValueError, match="clamp: at least one of min and max must be given"):
        X.clamp()
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'fast'"):
        ll.gelu(X, "fast")
    with pytest.raises(ValueError, match="softplus: beta must be > 0, got 0"):
        ll.softplus(X, beta=0)
    with pytest.raises(TypeError, match="mean: expected a floating tensor, got dtype int64"):
        ll.tensor([1, 2]).mean()
    with pytest.raises(TypeError, match="dtype: expected one of.*got 'complex'"):
        ll.tensor([1.0], dtype="complex")
    with pytest.raises(ValueError, match=r"size: expected non-negative ints, got \(-1,\)"):
        ll.zeros(-1)


def test_conversion_errors():
    with pytest.raises(ValueError, match=r"item: only one-element tensors.*shape \(2, 3\)"):
        X.item()
    with pytest.raises(RuntimeError, match=r"numpy\(\) on a tensor that requires grad.*detach"):
        ll.tensor([1.0], requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="truth value of a tensor with 6 elements is ambiguous"):
        bool(X)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ll.tensor(1.0))
    with pytest.raises(TypeError, match="expected a Tensor, got list"):
        ll.sum([1.0, 2.0])


def test_expand_minus_one_in_a_new_dimension():
    with pytest.raises(RuntimeError, match=r"expand: -1 is not allowed in a new leading dimension"):
        ll.tensor(np.ones(3)).expand(-1, 3)


def test_prod_second_derivative_with_zeros_is_refused_clearly():
    x = ll.tensor([0.0, 2.0], dtype=ll.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="prod: higher-order gradients at an input containing zeros"):
        ll.autograd.grad(x.prod(), x, create_graph=True)
    (g,) = ll.autograd.grad(x.prod(), x)  # first order is fine
    assert g.data.tolist() == [2.0, 0.0]
