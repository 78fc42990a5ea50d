"""The registry-driven op table: every primitive in ``ll.autograd.OP_REGISTRY`` is exercised here.

Each :class:`OpCase` pairs a losslab callable with the PyTorch callable that should agree with it,
and says how to draw its inputs. ``tests/autograd/test_ops_vs_torch.py`` runs every case for
values, gradients (a random upstream gradient), ``gradcheck`` and, where ``gradgrad`` is set,
``gradgradcheck`` plus second derivatives vs PyTorch; and it checks that the graphs built by the
cases (including the graphs of their ``create_graph`` gradients) contain every registered
Function, so adding an op without a case here fails the suite.

Inputs are float64 and ``requires_grad=True``; constants (indices, masks, condition tensors) are
captured in the callables. ``dom`` names the domain an input is drawn from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import losslab as ll

torch = None  # set by the test module (pytest.importorskip) before the table is used


def _T():
    return torch


@dataclass
class In:
    """One differentiable input: its shape and domain (or fixed values)."""

    shape: tuple = ()
    dom: str = "real"
    value: object = None  # fixed data instead of a random draw

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        if self.value is not None:
            return np.array(self.value, dtype=np.float64)
        s = self.shape
        if self.dom == "real":
            return rng.standard_normal(s)
        if self.dom == "pos":  # (0.5, 2): logs, roots, divisors, bases of pow
            return rng.uniform(0.5, 2.0, s)
        if self.dom == "nonzero":  # |x| in (0.2, 2): away from the kink of abs/relu/sign at 0
            return rng.choice([-1.0, 1.0], s) * rng.uniform(0.2, 2.0, s)
        if self.dom == "unit":  # (-0.9, 0.9)
            return rng.uniform(-0.9, 0.9, s)
        if self.dom == "distinct":  # a permutation of spaced values: no ties (max/min/amax/norm inf)
            n = int(np.prod(s))
            return (rng.permutation(n) * 0.37 - n * 0.15 + rng.uniform(0, 0.05)).reshape(s)
        raise ValueError(self.dom)


@dataclass
class OpCase:
    name: str
    ll_fn: object
    torch_fn: object
    inputs: list
    gradgrad: bool = False  # also gradgradcheck and second derivatives vs torch
    gradcheck: bool = True
    rtol: float = 1e-10
    atol: float = 1e-12
    tags: tuple = field(default_factory=tuple)

    def __repr__(self):
        return self.name


F = None  # torch.nn.functional, set with torch


def t_(x):
    """A constant as a torch tensor (indices stay int64, floats become float64)."""
    return _T().as_tensor(np.asarray(x))


def L_(x):
    return ll.tensor(np.asarray(x))


IDX_REP = np.array([0, 2, 2, 1, 0])  # repeats: gradients must accumulate
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
GATHER_IDX = np.array([[0, 2, 2], [1, 1, 0]])  # (2, 3), repeats, gathered along dim 1 of (2, 4)
GATHER_IDX_SMALL = np.array([[3, 0]])  # smaller than the input in the other dimension
COND = np.array([[True], [False], [True]])  # broadcasts (3, 1) against (3, 4) and (4,)
CLS = np.array([0, 3, 1, 3])


def _seeded_dropout(x, p=0.3, seed=7):
    """F.dropout with the generator seeded (and its state put back): the same mask every call, so
    that gradcheck's perturbed evaluations see one function."""
    import losslab.nn.functional as LF

    state = ll.random.get_rng_state()
    ll.manual_seed(seed)
    try:
        return LF.dropout(x, p)
    finally:
        ll.random.set_rng_state(state)


def _torch_dropout_of_the_same_mask(x, p=0.3, seed=7):
    """x times the mask losslab draws (documented: generator.random(shape) < 1 − p, scaled by
    1/(1 − p)); PyTorch's own dropout draws from another generator."""
    keep = np.random.default_rng(seed).random(tuple(x.shape)) < (1.0 - p)
    return x * _T().from_numpy(keep.astype(np.float64) * (1.0 / (1.0 - p)))


def _cases() -> list[OpCase]:
    T, Fn = _T(), F
    c: list[OpCase] = []

    def add(name, lf, tf, inputs, **kw):
        c.append(OpCase(name, lf, tf, inputs, **kw))

    # ------------------------------------------------------------------ arithmetic, broadcasting
    add("add_bcast_3x1_1x4", lambda a, b: a + b, lambda a, b: a + b, [In((3, 1)), In((1, 4))], gradgrad=True)
    add("add_scalar_and_radd", lambda a: (a + 2.5) * (1.5 + a), lambda a: (a + 2.5) * (1.5 + a), [In((3,))], gradgrad=True)
    add("add_alpha", lambda a, b: ll.add(a, b, alpha=2.0), lambda a, b: T.add(a, b, alpha=2.0), [In((2, 3)), In((3,))], gradgrad=True)
    add("add_0d_tensor", lambda a, b: a + b, lambda a, b: a + b, [In(()), In((2, 3))], gradgrad=True)
    add("sub_bcast_234_4", lambda a, b: a - b, lambda a, b: a - b, [In((2, 3, 4)), In((4,))], gradgrad=True)
    add("sub_alpha_rsub", lambda a, b: ll.sub(a, b, alpha=0.5) + (1.5 - a), lambda a, b: T.sub(a, b, alpha=0.5) + (1.5 - a), [In((3,)), In((3,))], gradgrad=True)
    add("mul_bcast_234_4", lambda a, b: a * b, lambda a, b: a * b, [In((2, 3, 4)), In((4,))], gradgrad=True)
    add("mul_scalar", lambda a: a * 2.0 * 3, lambda a: a * 2.0 * 3, [In((2, 2))], gradgrad=True)
    add("mul_fanout_3x", lambda a: a * a * a.exp() + a, lambda a: a * a * a.exp() + a, [In((4,))], gradgrad=True)
    add("mul_self", lambda a: a * a, lambda a: a * a, [In((3,))], gradgrad=True)
    add("div_bcast", lambda a, b: a / b, lambda a, b: a / b, [In((3, 1)), In((1, 4), "pos")], gradgrad=True)
    add("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [In((3,), "pos")], gradgrad=True)
    add("neg", lambda a: -a, lambda a: -a, [In((2, 3))], gradgrad=True)
    add("pos_op", lambda a: +a * 1.0, lambda a: +a * 1.0, [In((2,))])
    for p in (3, 2, 0.5, -1.5, 0, 1):
        dom = "pos" if p in (0.5, -1.5) else "real"
        add(f"pow_scalar_{p}", lambda a, p=p: a ** p, lambda a, p=p: a ** p, [In((2, 3), dom)], gradgrad=True)
    add("pow_method_and_square", lambda a: a.pow(3.0) + ll.square(a), lambda a: a.pow(3.0) + T.square(a), [In((3,))], gradgrad=True)
    add("pow_tensor_exponent", lambda a, b: a ** b, lambda a, b: a ** b, [In((3, 1), "pos"), In((1, 4))], gradgrad=True)
    add("pow_tensor_fn", lambda a, b: ll.pow(a, b), lambda a, b: T.pow(a, b), [In((3,), "pos"), In((3,))], gradgrad=True)
    add("rpow_scalar_base", lambda a: 2.0 ** a, lambda a: 2.0 ** a, [In((3,))], gradgrad=True)

    # ------------------------------------------------------------------ unary elementwise
    unary = [
        ("exp", "real"), ("log", "pos"), ("log1p", "pos"), ("expm1", "real"), ("sqrt", "pos"),
        ("rsqrt", "pos"), ("reciprocal", "nonzero"), ("abs", "nonzero"), ("sign", "nonzero"),
        ("sin", "real"), ("cos", "real"), ("tanh", "real"), ("sigmoid", "real"), ("relu", "nonzero"),
        ("erf", "real"),
    ]
    for name, dom in unary:
        add(f"{name}_fn", lambda a, n=name: getattr(ll, n)(a), lambda a, n=name: getattr(T, n)(a), [In((2, 3), dom)], gradgrad=True)
        add(f"{name}_method", lambda a, n=name: getattr(a, n)(), lambda a, n=name: getattr(a, n)(), [In((4,), dom)])
    add("abs_operator", lambda a: abs(a), lambda a: abs(a), [In((3,), "nonzero")])
    add("tanh_0d", lambda a: a.tanh() ** 3, lambda a: a.tanh() ** 3, [In(())], gradgrad=True)
    add("exp_0d", lambda a: a.exp(), lambda a: a.exp(), [In(())], gradgrad=True)
    add("sigmoid_extreme", lambda a: ll.sigmoid(a), lambda a: T.sigmoid(a), [In(value=[-800.0, -30.0, 0.0, 30.0, 800.0])], gradcheck=False)
    add("dropout", _seeded_dropout, _torch_dropout_of_the_same_mask, [In((4, 5))], gradgrad=True)
    add("leaky_relu", lambda a: ll.leaky_relu(a, 0.2), lambda a: Fn.leaky_relu(a, 0.2), [In((2, 3), "nonzero")], gradgrad=True)
    add("leaky_relu_default", lambda a: ll.leaky_relu(a), lambda a: Fn.leaky_relu(a), [In((5,), "nonzero")])
    add("elu", lambda a: ll.elu(a, 1.3), lambda a: Fn.elu(a, 1.3), [In((2, 3), "nonzero")], gradgrad=True)
    add("gelu_none", lambda a: ll.gelu(a), lambda a: Fn.gelu(a), [In((2, 3))], gradgrad=True)
    add("gelu_tanh", lambda a: ll.gelu(a, approximate="tanh"), lambda a: Fn.gelu(a, approximate="tanh"), [In((2, 3))], gradgrad=True)
    add("softplus_default", lambda a: ll.softplus(a), lambda a: Fn.softplus(a), [In((2, 3))], gradgrad=True)
    add("softplus_beta_threshold", lambda a: ll.softplus(a, beta=2.0, threshold=3.0),
        lambda a: Fn.softplus(a, beta=2.0, threshold=3.0), [In(value=[-3.0, -0.3, 0.4, 1.2, 1.7, 2.5, 40.0])], gradgrad=True)
    add("softplus_large", lambda a: ll.softplus(a, beta=0.5), lambda a: Fn.softplus(a, beta=0.5),
        [In(value=[-900.0, -50.0, 39.0, 41.0, 900.0])], gradcheck=False)
    add("clamp_min_only", lambda a: ll.clamp(a, min=-0.3), lambda a: T.clamp(a, min=-0.3), [In((2, 4), "nonzero")], gradgrad=True)
    add("clamp_max_only", lambda a: a.clamp(max=0.4), lambda a: a.clamp(max=0.4), [In((2, 4), "nonzero")], gradgrad=True)
    add("clamp_both", lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [In((3, 4), "nonzero")], gradgrad=True)
    add("clip_alias", lambda a: a.clip(-0.5, 0.5), lambda a: a.clip(-0.5, 0.5), [In((4,), "nonzero")])
    add("clamp_tensor_bounds", lambda a, lo, hi: ll.clamp(a, lo, hi), lambda a, lo, hi: T.clamp(a, lo, hi),
        [In(value=[[-2.0, -0.25, 0.1, 3.0], [0.7, -1.0, 0.2, 0.0]]), In(value=[-1.0, -0.5, 0.3, -0.1]), In(value=[1.0, 0.5, 2.0, 1.5])], gradgrad=True)
    add("maximum_bcast", lambda a, b: ll.maximum(a, b), lambda a, b: T.maximum(a, b), [In((3, 4), "distinct"), In((4,), "distinct")], gradgrad=True)
    add("minimum_bcast", lambda a, b: ll.minimum(a, b), lambda a, b: T.minimum(a, b), [In((3, 4), "distinct"), In((4,), "distinct")], gradgrad=True)
    add("max_min_tensor_arg", lambda a, b: ll.max(a, b) - b.min(a), lambda a, b: T.max(a, b) - b.min(a), [In((3,), "distinct"), In((3,), "distinct")])
    add("where_bcast", lambda a, b: ll.where(L_(COND), a, b), lambda a, b: T.where(t_(COND), a, b), [In((3, 4)), In((4,))], gradgrad=True)
    add("where_scalar_other", lambda a: ll.where(L_(COND), a, 0.5), lambda a: T.where(t_(COND), a, 0.5), [In((3, 2))])
    add("clone", lambda a: a.clone() * 2.0, lambda a: a.clone() * 2.0, [In((3,))], gradgrad=True)
    add("cast_roundtrip", lambda a: (a.to(ll.float32) * 2.0).double() + a.float().to("float64"),
        lambda a: (a.to(T.float32) * 2.0).double() + a.float().to(T.float64), [In((3,))], gradcheck=False, rtol=1e-6)

    # ------------------------------------------------------------------ reductions
    add("sum_all", lambda a: a.sum(), lambda a: a.sum(), [In((2, 3))], gradgrad=True)
    add("sum_dim1", lambda a: ll.sum(a, 1), lambda a: T.sum(a, 1), [In((2, 3, 4))], gradgrad=True)
    add("sum_negdim_keepdim", lambda a: a.sum(dim=-1, keepdim=True), lambda a: a.sum(dim=-1, keepdim=True), [In((2, 3, 4))], gradgrad=True)
    add("sum_tuple_dims", lambda a: a.sum((0, 2)), lambda a: a.sum((0, 2)), [In((2, 3, 4))], gradgrad=True)
    add("sum_tuple_neg_keepdim", lambda a: a.sum((-1, 0), keepdim=True), lambda a: a.sum((-1, 0), keepdim=True), [In((2, 3, 4))], gradgrad=True)
    add("mean_all", lambda a: a.mean(), lambda a: a.mean(), [In((2, 3))], gradgrad=True)
    add("mean_tuple_keepdim", lambda a: ll.mean(a, (0, -1), keepdim=True), lambda a: T.mean(a, (0, -1), keepdim=True), [In((2, 3, 4))], gradgrad=True)
    add("var_default", lambda a: a.var(), lambda a: a.var(), [In((2, 3))], gradgrad=True)
    add("var_dim_corr0", lambda a: a.var(1, correction=0), lambda a: a.var(1, correction=0), [In((2, 3, 4))], gradgrad=True)
    add("var_unbiased_false_keepdim", lambda a: ll.var(a, -1, unbiased=False, keepdim=True), lambda a: T.var(a, -1, unbiased=False, keepdim=True), [In((3, 4))], gradgrad=True)
    add("std_default", lambda a: a.std(), lambda a: a.std(), [In((2, 3))], gradgrad=True)
    add("std_tuple_keepdim", lambda a: a.std((0, 1), keepdim=True), lambda a: a.std((0, 1), keepdim=True), [In((2, 3, 4))], gradgrad=True)
    add("std_corr2", lambda a: ll.std(a, 0, correction=2), lambda a: T.std(a, 0, correction=2), [In((5, 2))], gradgrad=True)
    add("max_all", lambda a: a.max(), lambda a: a.max(), [In((3, 4), "distinct")], gradgrad=True)
    add("min_all", lambda a: ll.min(a), lambda a: T.min(a), [In((3, 4), "distinct")], gradgrad=True)
    add("max_dim", lambda a: tuple(a.max(1)), lambda a: tuple(a.max(1)), [In((3, 4), "distinct")], gradgrad=True)
    add("max_dim_named", lambda a: (lambda r: (r.values * 2.0, r.indices))(a.max(dim=-1, keepdim=True)),
        lambda a: (lambda r: (r.values * 2.0, r.indices))(a.max(dim=-1, keepdim=True)), [In((2, 3, 4), "distinct")])
    add("min_dim_keepdim", lambda a: tuple(ll.min(a, 0, keepdim=True)), lambda a: tuple(T.min(a, 0, keepdim=True)), [In((3, 4), "distinct")], gradgrad=True)
    add("amax_tuple", lambda a: a.amax((0, 2)), lambda a: a.amax((0, 2)), [In((2, 3, 4), "distinct")], gradgrad=True)
    add("amin_neg_keepdim", lambda a: ll.amin(a, -1, keepdim=True), lambda a: T.amin(a, -1, keepdim=True), [In((3, 4), "distinct")], gradgrad=True)
    add("amax_all", lambda a: a.amax(), lambda a: a.amax(), [In((3, 4), "distinct")])
    add("argmax_argmin", lambda a: (a * 1.0, a.argmax(), a.argmin(1), ll.argmax(a, -1, keepdim=True)),
        lambda a: (a * 1.0, a.argmax(), a.argmin(1), T.argmax(a, -1, keepdim=True)), [In((3, 4), "distinct")])
    add("prod_all", lambda a: a.prod(), lambda a: a.prod(), [In((2, 3), "nonzero")], gradgrad=True)
    add("prod_dim", lambda a: ll.prod(a, 1), lambda a: T.prod(a, 1), [In((2, 3, 2), "nonzero")], gradgrad=True)
    add("prod_dim_keepdim", lambda a: a.prod(-1, keepdim=True), lambda a: a.prod(-1, keepdim=True), [In((3, 3), "nonzero")], gradgrad=True)
    add("prod_with_zeros", lambda a: a.prod(1), lambda a: a.prod(1),
        [In(value=[[0.0, 2.0, 3.0, 0.5], [1.5, 0.0, 0.0, 2.0], [1.0, 2.0, 3.0, 4.0]])])
    add("prod_all_one_zero", lambda a: a.prod(), lambda a: a.prod(), [In(value=[[1.5, 0.0], [2.0, -3.0]])])
    add("norm_2_all", lambda a: a.norm(), lambda a: a.norm(), [In((3, 4))], gradgrad=True)
    add("norm_2_dim", lambda a: ll.norm(a, dim=1), lambda a: T.norm(a, dim=1), [In((3, 4))], gradgrad=True)
    add("norm_fro_keepdim", lambda a: a.norm("fro", dim=(0, 1), keepdim=True), lambda a: a.norm("fro", dim=(0, 1), keepdim=True), [In((3, 4))], gradgrad=True)
    add("norm_1", lambda a: a.norm(1, dim=-1), lambda a: a.norm(1, dim=-1), [In((3, 4), "nonzero")], gradgrad=True)
    add("norm_3", lambda a: a.norm(3), lambda a: a.norm(3), [In((3, 4))], gradgrad=True)
    add("norm_1_5", lambda a: a.norm(1.5, dim=0), lambda a: a.norm(1.5, dim=0), [In((3, 4), "nonzero")], gradgrad=True)
    add("norm_0_5", lambda a: a.norm(0.5), lambda a: a.norm(0.5), [In((2, 3), "nonzero")], gradgrad=True)
    add("norm_inf", lambda a: a.norm(float("inf"), dim=1), lambda a: a.norm(float("inf"), dim=1), [In((3, 4), "distinct")], gradgrad=True)
    add("logsumexp_dim", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1), [In((3, 4))], gradgrad=True)
    add("logsumexp_tuple_keepdim", lambda a: ll.logsumexp(a, (0, -1), keepdim=True), lambda a: T.logsumexp(a, (0, -1), keepdim=True), [In((2, 3, 4))], gradgrad=True)
    add("logsumexp_large", lambda a: a.logsumexp(-1), lambda a: a.logsumexp(-1), [In(value=[[1000.0, 999.0, -5.0], [-1000.0, -1001.0, -1002.0]])], gradgrad=True)
    add("softmax_dim1", lambda a: a.softmax(1), lambda a: a.softmax(1), [In((3, 4))], gradgrad=True)
    add("softmax_dim0_fn", lambda a: ll.softmax(a, 0), lambda a: T.softmax(a, 0), [In((3, 4))], gradgrad=True)
    add("log_softmax_neg", lambda a: a.log_softmax(-1), lambda a: a.log_softmax(-1), [In((2, 3, 4))], gradgrad=True)
    add("log_softmax_extreme", lambda a: ll.log_softmax(a, 1), lambda a: T.log_softmax(a, 1), [In(value=[[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]])], gradgrad=True)

    # 0-d inputs accept dim 0 / -1, as in PyTorch
    add("reductions_0d_dim", lambda a: a.sum(0) + a.mean(-1, keepdim=True) * a.amax(0) + a.logsumexp(0) + a.prod(0) + a.norm(dim=0),
        lambda a: a.sum(0) + a.mean(-1, keepdim=True) * a.amax(0) + a.logsumexp(0) + a.prod(0) + a.norm(dim=0), [In((), "nonzero")], gradgrad=True)
    add("max_0d_dim", lambda a: tuple(a.max(0)), lambda a: tuple(a.max(0)), [In(())])
    add("softmax_0d", lambda a: a.softmax(0) + a.log_softmax(-1), lambda a: a.softmax(0) + a.log_softmax(-1), [In(())])
    add("gather_0d", lambda a: a.gather(0, L_(np.array(0))), lambda a: a.gather(0, t_(np.array(0))), [In(())])

    # ------------------------------------------------------------------ movement
    add("reshape_view", lambda a: a.reshape(3, 4).view(-1, 2) * 1.0, lambda a: a.reshape(3, 4).view(-1, 2) * 1.0, [In((2, 6))], gradgrad=True)
    add("reshape_tuple_fn", lambda a: ll.reshape(a, (4, -1)), lambda a: T.reshape(a, (4, -1)), [In((2, 6))])
    add("flatten", lambda a: a.flatten(1), lambda a: a.flatten(1), [In((2, 3, 4))])
    add("flatten_range", lambda a: ll.flatten(a, 0, 1), lambda a: T.flatten(a, 0, 1), [In((2, 3, 4))])
    add("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [In((2, 3, 4))], gradgrad=True)
    add("transpose_neg", lambda a: ll.transpose(a, -1, -2), lambda a: T.transpose(a, -1, -2), [In((2, 3, 4))])
    add("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [In((2, 3, 4))], gradgrad=True)
    add("permute_tuple", lambda a: ll.permute(a, (1, 0, 2)), lambda a: T.permute(a, (1, 0, 2)), [In((2, 3, 4))])
    add("T_prop", lambda a: a.T, lambda a: a.permute(*range(a.ndim - 1, -1, -1)), [In((2, 3, 4))])
    add("T_2d", lambda a: a.T * 1.0, lambda a: a.T * 1.0, [In((2, 3))])
    add("mT_prop", lambda a: a.mT, lambda a: a.mT, [In((2, 3, 4))])
    add("squeeze_unsqueeze", lambda a: a.squeeze().unsqueeze(0).unsqueeze(-1), lambda a: a.squeeze().unsqueeze(0).unsqueeze(-1), [In((1, 3, 1, 2))])
    add("squeeze_dim", lambda a: ll.squeeze(a, 2), lambda a: T.squeeze(a, 2), [In((1, 3, 1, 2))])
    add("expand", lambda a: a.expand(2, 3, 4), lambda a: a.expand(2, 3, 4), [In((3, 1))], gradgrad=True)
    add("expand_minus1", lambda a: a.expand(5, -1), lambda a: a.expand(5, -1), [In((1, 3))])
    add("broadcast_to", lambda a: ll.broadcast_to(a, (2, 3, 4)), lambda a: T.broadcast_to(a, (2, 3, 4)), [In((4,))])
    add("expand_as_view_as", lambda a, b: a.expand_as(b) + b.view_as(b), lambda a, b: a.expand_as(b) + b.view_as(b), [In((1, 4)), In((3, 4))])
    add("getitem_slices", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [In((3, 5))], gradgrad=True)
    add("getitem_none_ellipsis", lambda a: a[..., None, 1], lambda a: a[..., None, 1], [In((2, 3, 4))])
    add("getitem_int_neg", lambda a: a[-1, 0:2], lambda a: a[-1, 0:2], [In((3, 4))])
    add("getitem_int_array_repeats", lambda a: a[IDX_REP], lambda a: a[t_(IDX_REP)], [In((4, 2))], gradgrad=True)
    add("getitem_list_repeats", lambda a: a[[0, 0, 1], 1:], lambda a: a[[0, 0, 1], 1:], [In((3, 4))], gradgrad=True)
    add("getitem_two_arrays", lambda a: a[[0, 1, 1, 2], [3, 0, 0, 1]], lambda a: a[[0, 1, 1, 2], [3, 0, 0, 1]], [In((3, 4))], gradgrad=True)
    add("getitem_cubed", lambda a: a[IDX_REP] ** 3, lambda a: a[t_(IDX_REP)] ** 3, [In((4, 2))], gradgrad=True)
    add("getitem_tensor_index", lambda a: a[L_(IDX_REP)], lambda a: a[t_(IDX_REP)], [In((3,))])
    add("getitem_bool_mask", lambda a: a[L_(MASK)], lambda a: a[t_(MASK)], [In((3, 4))], gradgrad=True)
    add("getitem_bool_rows", lambda a: a[np.array([True, False, True])], lambda a: a[t_(np.array([True, False, True]))], [In((3, 4))])
    add("getitem_iter_unbind", lambda a: ll.stack(list(a), 1), lambda a: T.stack(list(a), 1), [In((3, 2))])
    add("cat_dim0", lambda a, b: ll.cat([a, b]), lambda a, b: T.cat([a, b]), [In((2, 3)), In((1, 3))], gradgrad=True)
    add("cat_neg_dim", lambda a, b, d: ll.cat([a, b, d], dim=-1), lambda a, b, d: T.cat([a, b, d], dim=-1), [In((2, 1)), In((2, 3)), In((2, 2))])
    add("cat_same_twice", lambda a: ll.concat([a, a * 2.0], 0), lambda a: T.concat([a, a * 2.0], 0), [In((2,))])
    add("stack_dim1", lambda a, b: ll.stack([a, b], 1), lambda a, b: T.stack([a, b], 1), [In((2, 3)), In((2, 3))], gradgrad=True)
    add("stack_neg", lambda a, b: ll.stack((a, b), dim=-1), lambda a, b: T.stack((a, b), dim=-1), [In((3,)), In((3,))])
    add("split_size", lambda a: a.split(2, 1), lambda a: a.split(2, 1), [In((2, 5))])
    add("split_sections", lambda a: ll.split(a, [1, 3, 1], dim=0), lambda a: T.split(a, [1, 3, 1], dim=0), [In((5, 2))])
    add("chunk", lambda a: a.chunk(3, -1), lambda a: a.chunk(3, -1), [In((2, 7))])
    add("chunk_fn", lambda a: ll.chunk(a, 2), lambda a: T.chunk(a, 2), [In((4, 3))])
    add("gather_dim1", lambda a: a.gather(1, L_(GATHER_IDX)), lambda a: a.gather(1, t_(GATHER_IDX)), [In((2, 4))], gradgrad=True)
    add("gather_dim0_fn", lambda a: ll.gather(a, 0, L_(GATHER_IDX.T[:, :2])), lambda a: T.gather(a, 0, t_(GATHER_IDX.T[:, :2])), [In((3, 2))], gradgrad=True)
    add("gather_cubed", lambda a: a.gather(1, L_(GATHER_IDX)) ** 3, lambda a: a.gather(1, t_(GATHER_IDX)) ** 3, [In((2, 4))], gradgrad=True)
    add("gather_smaller_index", lambda a: ll.gather(a, 1, L_(GATHER_IDX_SMALL)), lambda a: T.gather(a, 1, t_(GATHER_IDX_SMALL)), [In((2, 4))])
    add("one_hot_weighted", lambda a: ll.one_hot(L_(CLS), 5).double() * a, lambda a: Fn.one_hot(t_(CLS), 5).double() * a, [In((4, 5))])
    add("one_hot_infer", lambda a: (a * 1.0, ll.one_hot(L_(CLS))), lambda a: (a * 1.0, Fn.one_hot(t_(CLS))), [In((2,))])

    # ------------------------------------------------------------------ linear algebra
    add("matmul_1d_1d", lambda a, b: a @ b, lambda a, b: a @ b, [In((4,)), In((4,))], gradgrad=True)
    add("dot", lambda a, b: ll.dot(a, b) + a.dot(b), lambda a, b: T.dot(a, b) + a.dot(b), [In((3,)), In((3,))])
    add("matmul_2d_2d", lambda a, b: a @ b, lambda a, b: a @ b, [In((3, 4)), In((4, 2))], gradgrad=True)
    add("matmul_1d_2d", lambda a, b: ll.matmul(a, b), lambda a, b: T.matmul(a, b), [In((4,)), In((4, 2))], gradgrad=True)
    add("matmul_2d_1d", lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), [In((3, 4)), In((4,))], gradgrad=True)
    add("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, [In((2, 3, 4)), In((2, 4, 5))], gradgrad=True)
    add("matmul_bcast_batched", lambda a, b: a @ b, lambda a, b: a @ b, [In((2, 1, 3, 4)), In((3, 4, 2))], gradgrad=True)
    add("matmul_2d_batched", lambda a, b: a @ b, lambda a, b: a @ b, [In((3, 4)), In((2, 4, 5))], gradgrad=True)
    add("matmul_1d_batched", lambda a, b: a @ b, lambda a, b: a @ b, [In((4,)), In((2, 4, 3))], gradgrad=True)
    add("matmul_batched_1d", lambda a, b: a @ b, lambda a, b: a @ b, [In((2, 3, 4)), In((4,))], gradgrad=True)
    add("mm_method", lambda a, b: a.mm(b), lambda a, b: a.mm(b), [In((2, 3)), In((3, 2))])
    add("rmatmul_ndarray", lambda b: np.eye(3)[:2] @ b, lambda b: t_(np.eye(3)[:2]) @ b, [In((3, 2))])
    add("linear_bias", lambda x, w, b: ll.linear(x, w, b), lambda x, w, b: Fn.linear(x, w, b), [In((2, 3, 4)), In((5, 4)), In((5,))], gradgrad=True)
    add("linear_2d_bias", lambda x, w, b: ll.linear(x, w, b), lambda x, w, b: Fn.linear(x, w, b), [In((6, 4)), In((3, 4)), In((3,))], gradgrad=True)
    # one row: the bias gradient's sum over rows is a copy of that row (Linear.backward)
    add("linear_one_row", lambda x, w, b: ll.linear(x, w, b), lambda x, w, b: Fn.linear(x, w, b), [In((1, 4)), In((3, 4)), In((3,))], gradgrad=True)
    add("linear_nobias", lambda x, w: ll.linear(x, w), lambda x, w: Fn.linear(x, w), [In((3, 4)), In((2, 4))], gradgrad=True)
    add("linear_1d_input", lambda x, w, b: ll.linear(x, w, b), lambda x, w, b: Fn.linear(x, w, b), [In((4,)), In((3, 4)), In((3,))], gradgrad=True)

    # ------------------------------------------------------------------ compositions
    add("mlp_mse", lambda x, w, b: ((ll.linear(x, w, b).tanh() - 0.5) ** 2).mean(),
        lambda x, w, b: ((Fn.linear(x, w, b).tanh() - 0.5) ** 2).mean(), [In((4, 3)), In((2, 3)), In((2,))], gradgrad=True)
    add("cross_entropy_by_hand", lambda z: -(z.log_softmax(1).gather(1, L_(CLS[:3, None] % 4))).mean(),
        lambda z: -(z.log_softmax(1).gather(1, t_(CLS[:3, None] % 4))).mean(), [In((3, 4))], gradgrad=True)
    return c


_CACHE: list = []


def cases() -> list[OpCase]:
    """The table (built once torch is set)."""
    if not _CACHE:
        _CACHE.extend(_cases())
    return _CACHE


def draw_inputs(case: OpCase, seed: int):
    rng = np.random.default_rng(seed)
    return [spec.draw(rng) for spec in case.inputs]


def set_torch(torch_module):
    global torch, F
    torch = torch_module
    F = torch_module.nn.functional


__all__ = ["OpCase", "In", "cases", "draw_inputs", "set_torch"]
