"""compile_step and autograd.capture: a replayed step is the eager step, bit for bit; whatever a
replay cannot do safely stays eager (and says why); value checks still raise their errors."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab import nn, optim
from losslab.autograd import capture
from losslab.autograd.function import Function
from losslab.losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss,
                            mse_loss)
from losslab.optim.registry import OPTIMIZER_REGISTRY
from losslab.train import CompiledStep, compile_step


def _mlp(widths=(4, 8, 3), act=nn.ReLU, out_act=None, dtype=np.float64, seed=0, dropout=None):
    ll.manual_seed(seed)
    mods = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        mods.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            mods.append(act())
            if dropout is not None:
                mods.append(nn.Dropout(dropout))
    if out_act is not None:
        mods.append(out_act())
    model = nn.Sequential(*mods)
    return model.double() if dtype == np.float64 else model


def _batches(n_batches, n=6, d=4, classes=3, seed=1, binary=False, dtype=np.float64, kind=None):
    """Batches of (x, y); y: class indices, or with ``binary`` (kind "binary") 0/1 floats of shape
    (n, 1), or with kind "regression" floats of shape (n, classes)."""
    kind = kind or ("binary" if binary else "classes")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_batches):
        x = ll.tensor(rng.standard_normal((n, d)).astype(dtype))
        if kind == "binary":
            y = ll.tensor(rng.integers(0, 2, (n, 1)).astype(dtype))
        elif kind == "regression":
            y = ll.tensor(rng.standard_normal((n, classes)).astype(dtype))
        else:
            y = ll.tensor(rng.integers(0, classes, n))
        out.append((x, y))
    return out


def _eager_run(model, loss_fn, opt, batches):
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.data.copy())
    return losses


def _assert_same_state(m1, m2):
    for (n1, p1), (_, p2) in zip(m1.named_parameters(), m2.named_parameters()):
        assert np.array_equal(p1.data, p2.data), n1
        assert (p1.grad is None) == (p2.grad is None), n1
        if p1.grad is not None:
            assert np.array_equal(p1.grad.data, p2.grad.data), n1


def _arith_loss(out, y):
    """Cross-entropy plus arithmetic on the output: Add, Sub, Mul, Div, Neg, PowScalar, Sum, Mean,
    a Cast there and back (to the other float dtype and to the output's again), and the
    movement ops Reshape, Permute and Expand."""
    z = (out - 0.5) * out / 3.0 + (-out)
    other = ll.float32 if out.dtype == np.float64 else ll.float64
    c = out.to(other).sum().to(out.dtype)
    # Reshape, Permute, Expand: shapes only
    r = (out.reshape(-1) * 0.5).sum() + (out.T * out.permute(1, 0)).mean() \
        + out.sum(1, keepdim=True).expand(*out.shape).mean()
    return cross_entropy(out, y) + (z ** 2).mean() * 0.1 + z.sum() / 100.0 + c * 1e-3 + r * 0.01


# The cases that make each capturable op run inside a replayed step: (model kwargs, loss, kind of
# targets: "classes", "binary" or "regression").
_ARITH = (dict(), _arith_loss, "classes")
CAPTURE_CASES = {
    "Linear": (dict(), cross_entropy, "classes"),
    "Relu": (dict(act=nn.ReLU), cross_entropy, "classes"),
    "Tanh": (dict(act=nn.Tanh), cross_entropy, "classes"),
    "Sigmoid": (dict(widths=(4, 5, 1), act=nn.Sigmoid, out_act=nn.Sigmoid), binary_cross_entropy, "binary"),
    "BinaryCrossEntropyMean": (dict(widths=(4, 5, 1), out_act=nn.Sigmoid), binary_cross_entropy, "binary"),
    "SoftmaxCrossEntropyMean": (dict(), cross_entropy, "classes"),
    "Sub": (dict(), mse_loss, "regression"),  # mse_loss: Sub, Mul, Mean
    "Mul": (dict(), mse_loss, "regression"),
    "Mean": (dict(), mse_loss, "regression"),
    "BinaryCrossEntropyWithLogits": (dict(widths=(4, 5, 1)), binary_cross_entropy_with_logits, "binary"),
    "Reshape": _ARITH, "Permute": _ARITH, "Expand": _ARITH,
    # the command line's other activations: leaky ReLU (Where on x > 0), ELU (Expm1 and Where),
    # GELU (Erf), softplus
    "Where": (dict(act=nn.LeakyReLU), cross_entropy, "classes"),
    "Expm1": (dict(act=nn.ELU), cross_entropy, "classes"),
    "Erf": (dict(act=nn.GELU), cross_entropy, "classes"),
    "Softplus": (dict(act=nn.Softplus), cross_entropy, "classes"),
    # dropout draws its mask in forward: a replay draws in the eager step's order (the tests seed
    # the generator before the eager run and before the compiled one)
    "InvertedDropout": (dict(dropout=0.3), cross_entropy, "classes"),
    "Add": _ARITH, "Div": _ARITH, "Neg": _ARITH, "PowScalar": _ARITH, "Sum": _ARITH, "Cast": _ARITH,
}


def test_every_capturable_op_has_a_case():
    assert sorted(CAPTURE_CASES) == capture.capturable_ops()


@pytest.mark.parametrize("op", sorted(CAPTURE_CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_replay_equals_eager_bit_for_bit(op, dtype):
    kw, loss_fn, kind = CAPTURE_CASES[op]
    batches = _batches(6, kind=kind, dtype=dtype)
    m1, m2 = _mlp(dtype=dtype, **kw), _mlp(dtype=dtype, **kw)
    o1, o2 = optim.SGD(m1.parameters(), lr=0.3, momentum=0.9), optim.SGD(m2.parameters(), lr=0.3, momentum=0.9)
    step = compile_step(m2, loss_fn, o2)
    ll.manual_seed(5)
    eager = _eager_run(m1, loss_fn, o1, batches)
    ll.manual_seed(5)
    compiled = [step(x, y) for x, y in batches]
    assert step.stats == {"captures": 1, "replays": 5, "eager": 1}, step.reason
    for a, b in zip(eager, compiled):
        assert np.array_equal(a, b.data) and b.dtype == dtype
        assert not b.requires_grad and b.grad_fn is None
    _assert_same_state(m1, m2)


def test_the_plan_runs_each_captured_op():
    for op, (kw, loss_fn, kind) in CAPTURE_CASES.items():
        model = _mlp(**kw)
        step = compile_step(model, loss_fn, optim.SGD(model.parameters(), lr=0.1))
        x, y = _batches(1, kind=kind)[0]
        step(x, y)
        plan = step._plans[(x.shape, y.shape, x.dtype, y.dtype)]
        names = {type(e[3]).__name__ for e in plan.backward}
        assert op in names, (op, names)


@pytest.mark.parametrize("op", ["Sigmoid", "SoftmaxCrossEntropyMean"])
def test_forward_backward_returns_the_output_and_leaves_the_update_to_the_caller(op):
    kw, loss_fn, kind = CAPTURE_CASES[op]
    m1, m2 = _mlp(**kw), _mlp(**kw)
    o1, o2 = optim.SGD(m1.parameters(), lr=0.3), optim.SGD(m2.parameters(), lr=0.3)
    step = compile_step(m2, loss_fn, o2)
    for i, (x, y) in enumerate(_batches(4, kind=kind)):
        before = [p.data.copy() for p in m2.parameters()]
        o1.zero_grad()
        out1 = m1(x)
        loss1 = loss_fn(out1, y)
        loss1.backward()
        out2, loss2 = step.forward_backward(x, y)
        assert np.array_equal(out1.data, out2.data) and np.array_equal(loss1.data, loss2.data)
        assert out2.grad_fn is None and not out2.requires_grad
        _assert_same_state(m1, m2)  # the same gradients, and no update yet
        assert all(np.array_equal(a, p.data) for a, p in zip(before, m2.parameters()))
        o1.step()
        o2.step()
    assert step.stats == {"captures": 1, "replays": 3, "eager": 1}
    _assert_same_state(m1, m2)


def test_a_shared_layer_sums_its_gradients_in_every_replay():
    # one Linear applied twice: its weight gets two gradients, which the replay adds as the
    # engine does, first in the traced backward, then in the lean one (_lean) it records
    def build():
        ll.manual_seed(3)
        shared = nn.Linear(4, 4)
        return nn.Sequential(shared, nn.Tanh(), shared, nn.ReLU(), nn.Linear(4, 3)).double()

    m1, m2 = build(), build()
    o1, o2 = optim.SGD(m1.parameters(), lr=0.2), optim.SGD(m2.parameters(), lr=0.2)
    batches = _batches(5)
    step = compile_step(m2, cross_entropy, o2)
    eager = _eager_run(m1, cross_entropy, o1, batches)
    compiled = [step(x, y) for x, y in batches]
    assert step.stats == {"captures": 1, "replays": 4, "eager": 1}, step.reason
    plan = step._plans[(batches[0][0].shape, batches[0][1].shape, np.dtype(np.float64), np.dtype(np.int64))]
    assert plan._lean is not None
    assert any(add for entry in plan._lean for _, _, add in entry[2])  # (.., stores, ..)
    for a, b in zip(eager, compiled):
        assert np.array_equal(a, b.data)
    _assert_same_state(m1, m2)


_GENERIC = [name for name, info in OPTIMIZER_REGISTRY.items()
            if not info.requires_closure and info.param_ndim is None]


@pytest.mark.parametrize("name", _GENERIC)
def test_every_optimizer_trains_identically_through_a_replay(name):
    """Registry-enrolled: each optimizer's trajectory through compile_step equals the eager one."""
    info = OPTIMIZER_REGISTRY[name]
    cfg = dict(info.descent_config)
    batches = _batches(8)
    m1, m2 = _mlp(), _mlp()
    o1, o2 = info.cls(m1.parameters(), **cfg), info.cls(m2.parameters(), **cfg)
    step = compile_step(m2, cross_entropy, o2)
    eager = _eager_run(m1, cross_entropy, o1, batches)
    compiled = [step(x, y).data for x, y in batches]
    assert step.stats["replays"] == 7, step.reason
    assert all(np.array_equal(a, b) for a, b in zip(eager, compiled))
    _assert_same_state(m1, m2)


def test_a_scheduler_between_calls_is_followed():
    m1, m2 = _mlp(), _mlp()
    o1, o2 = optim.Adam(m1.parameters(), lr=0.05), optim.Adam(m2.parameters(), lr=0.05)
    s1, s2 = optim.lr_scheduler.StepLR(o1, 2, 0.5), optim.lr_scheduler.StepLR(o2, 2, 0.5)
    step = compile_step(m2, cross_entropy, o2)
    for x, y in _batches(7):
        o1.zero_grad()
        loss = cross_entropy(m1(x), y)
        loss.backward()
        o1.step()
        s1.step()
        assert np.array_equal(step(x, y).data, loss.data)
        s2.step()
    _assert_same_state(m1, m2)


def test_new_shapes_capture_again_and_each_plan_is_kept():
    model = _mlp()
    step = compile_step(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1))
    a, b = _batches(2, n=6), _batches(2, n=3)
    for x, y in a + b + a + b:
        step(x, y)
    assert step.stats == {"captures": 2, "replays": 6, "eager": 2}


def test_train_eval_switch_and_hooks_are_guarded():
    model = _mlp()
    step = compile_step(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1))
    (x, y), = _batches(1)
    step(x, y)
    step(x, y)
    model[1].eval()  # a flag the capture saw: capture again
    step(x, y)
    assert step.stats["captures"] == 2
    handle = model[0].register_forward_hook(lambda m, args, out: None)
    step(x, y)
    assert "hooks" in step.reason and step.stats["eager"] == 3
    handle.remove()
    step(x, y)
    assert step.reason is None


def test_freezing_a_parameter_captures_again_and_leaves_it_without_grad():
    m1, m2 = _mlp(), _mlp()
    o1, o2 = optim.SGD(m1.parameters(), lr=0.1), optim.SGD(m2.parameters(), lr=0.1)
    step = compile_step(m2, cross_entropy, o2)
    batches = _batches(6)
    eager = _eager_run(m1, cross_entropy, o1, batches[:2])
    compiled = [step(x, y) for x, y in batches[:2]]
    for m in (m1, m2):  # fine-tuning: freeze the first layer
        m[0].weight.requires_grad_(False)
        m[0].weight.grad = None
    eager += _eager_run(m1, cross_entropy, o1, batches[2:])
    compiled += [step(x, y) for x, y in batches[2:]]
    assert step.stats == {"captures": 2, "replays": 4, "eager": 2}
    assert m2[0].weight.grad is None
    for a, b in zip(eager, compiled):
        assert np.array_equal(a, b.data)
    _assert_same_state(m1, m2)


def test_replaced_parameters_capture_again():
    model = _mlp(dtype=np.float32)
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = compile_step(model, cross_entropy, opt)
    (x, y), = _batches(1, dtype=np.float32)
    step(x, y)
    step(x, y)
    with ll.no_grad():
        model[0].weight.data = model[0].weight.data.copy()  # a new array behind the parameter
    ref = _mlp(dtype=np.float32)
    ref.load_state_dict(model.state_dict())
    o_ref = optim.SGD(ref.parameters(), lr=0.1)
    assert np.array_equal(_eager_run(ref, cross_entropy, o_ref, [(x, y)])[0], step(x, y).data)
    assert step.stats["captures"] == 2
    assert np.array_equal(step(x, y).data, _eager_run(ref, cross_entropy, o_ref, [(x, y)])[0])


def test_a_parameter_the_loss_does_not_reach_keeps_no_grad():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.unused = nn.Linear(4, 3), nn.Linear(4, 2)

        def forward(self, x):
            return self.body(x)

    model = TwoHeads().double()
    step = compile_step(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1))
    for x, y in _batches(3):
        step(x, y)
    assert model.unused.weight.grad is None and model.body.weight.grad is not None
    assert step.stats["replays"] == 2


# ----------------------------------------------------------------------------- stays eager
def test_a_loss_with_an_uncapturable_op_stays_eager_and_says_which():
    model = _mlp(widths=(4, 3))
    step = compile_step(model, l1_loss, optim.SGD(model.parameters(), lr=0.1))
    rng = np.random.default_rng(0)
    x, y = ll.tensor(rng.standard_normal((5, 4))), ll.tensor(rng.standard_normal((5, 3)))
    m_ref = _mlp(widths=(4, 3))
    o_ref = optim.SGD(m_ref.parameters(), lr=0.1)
    for _ in range(3):
        assert np.array_equal(step(x, y).data, _eager_run(m_ref, l1_loss, o_ref, [(x, y)])[0])
    assert step.stats == {"captures": 0, "replays": 0, "eager": 3}
    assert "not replayed" in step.reason and "is not marked capturable" in step.reason
    assert "Abs" in step.reason, step.reason


def test_reading_a_value_in_forward_stays_eager():
    class Peeking(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)

        def forward(self, x):
            out = self.lin(x)
            if out.relu().sum().item() > 1e9:  # branches on the data
                return out
            return out

    model = Peeking().double()
    step = compile_step(model, cross_entropy, optim.SGD(model.parameters(), lr=0.1))
    for x, y in _batches(2):
        step(x, y)
    assert step.stats["replays"] == 0
    assert "item()" in step.reason or "capturable" in step.reason


def test_an_array_made_inside_the_step_is_refused():
    from losslab.autograd.function import OP_REGISTRY

    class _Scale(Function):
        """A test op, marked capturable, that multiplies by an array handed to it."""

        capturable = True

        def forward(self, x, s):
            self.save_for_backward(s)
            return x * s

        def backward(self, g):
            return g * self.saved[0], None

    x = ll.tensor(np.ones((2, 3)), requires_grad=True)
    try:
        with capture.recording() as rec:
            out = _Scale.apply(x, np.full((2, 3), 2.0))  # a constant made here, from outside any op
        with pytest.raises(capture.CaptureError, match="made inside the step"):
            capture.ReplayPlan(rec, (), [x], out)
    finally:
        OP_REGISTRY.pop("_Scale", None)  # a test op: out of the registry the other tests read


def test_a_refused_replay_puts_the_generator_back_before_the_eager_redo():
    # dropout draws in the replay's forward; when the loss's check then refuses the batch, the
    # eager step that raises the error must draw the very masks an eager run would have drawn
    kw = dict(widths=(4, 5, 1), out_act=nn.Sigmoid, dropout=0.5)
    good = _batches(3, binary=True)
    bad_y = ll.tensor(np.full((6, 1), 2.0))  # a target outside [0, 1]
    states = []
    for compiled in (False, True):
        model = _mlp(**kw)
        opt = optim.SGD(model.parameters(), lr=0.1)
        step = compile_step(model, binary_cross_entropy, opt) if compiled else None
        ll.manual_seed(9)
        for x, y in good:
            step(x, y) if compiled else _eager_run(model, binary_cross_entropy, opt, [(x, y)])
        with pytest.raises(ValueError, match="target"):
            if compiled:
                step(good[0][0], bad_y)
            else:
                _eager_run(model, binary_cross_entropy, opt, [(good[0][0], bad_y)])
        states.append(ll.random.get_rng_state())
        if compiled:
            assert step.stats["replays"] == 2
    assert states[0] == states[1]


def test_a_where_mask_computed_from_the_data_in_python_is_not_frozen():
    # ll.where(out > 0, ...): the mask is the data's, made outside any op; a replay would reuse the
    # captured mask on every batch, so the plan refuses it and the step stays eager (and right)
    def loss_fn(out, y):
        return cross_entropy(ll.where(out > 0, out, out * 0.1), y)

    m1, m2 = _mlp(), _mlp()
    o1, o2 = optim.SGD(m1.parameters(), lr=0.1), optim.SGD(m2.parameters(), lr=0.1)
    step = compile_step(m2, loss_fn, o2)
    batches = _batches(4)
    eager = _eager_run(m1, loss_fn, o1, batches)
    compiled = [step(x, y) for x, y in batches]
    assert step.stats["replays"] == 0 and "made inside the step" in step.reason, step.reason
    for a, b in zip(eager, compiled):
        assert np.array_equal(a, b.data)
    _assert_same_state(m1, m2)


def test_recordings_do_not_nest():
    with capture.recording():
        with pytest.raises(RuntimeError, match="don't nest"):
            with capture.recording():
                pass


def test_nothing_is_recorded_outside_a_capture():
    x = ll.tensor([1.0, 2.0], requires_grad=True)
    with capture.recording() as rec:
        y = ll.sigmoid(x)
    z = ll.sigmoid(y)  # after the block
    assert [type(e[0]).__name__ for e in rec.entries] == ["Sigmoid"] and z is not None


# ----------------------------------------------------------------------------- value checks
def test_out_of_range_labels_in_a_replay_raise_the_eager_error_and_change_nothing():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = compile_step(model, cross_entropy, opt)
    x, y = _batches(1)[0]
    step(x, y)
    step(x, y)
    before = [p.data.copy() for p in model.parameters()]
    for bad in (3, -1):
        yb = ll.tensor(np.where(np.arange(6) == 2, bad, y.data))
        with pytest.raises(ValueError, match="cross_entropy") as e:
            step(x, yb)
        try:
            cross_entropy(model(x), yb)
        except ValueError as eager_error:
            assert str(e.value) == str(eager_error)
        assert all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))
    assert step.stats["replays"] == 1


def test_an_ignored_class_in_a_later_batch_is_not_replayed_through_the_fused_node():
    loss_fn = lambda out, y: cross_entropy(out, y, ignore_index=2)  # noqa: E731
    m1, m2 = _mlp(), _mlp()
    o1, o2 = optim.SGD(m1.parameters(), lr=0.2), optim.SGD(m2.parameters(), lr=0.2)
    step = compile_step(m2, loss_fn, o2)
    rng = np.random.default_rng(3)
    x = ll.tensor(rng.standard_normal((6, 4)))
    batches = [(x, ll.tensor(np.array([0, 1, 0, 1, 1, 0]))), (x, ll.tensor(np.array([0, 1, 0, 1, 1, 0]))),
               (x, ll.tensor(np.array([0, 2, 2, 1, 1, 0])))]  # the last one has ignored targets
    eager = _eager_run(m1, loss_fn, o1, batches)
    compiled = [step(bx, by).data for bx, by in batches]
    assert all(np.array_equal(a, b) for a, b in zip(eager, compiled))
    assert step.stats == {"captures": 1, "replays": 1, "eager": 2}
    _assert_same_state(m1, m2)


def test_bce_targets_and_probabilities_outside_the_unit_interval_raise_in_a_replay():
    model = _mlp(widths=(4, 5, 1), out_act=nn.Sigmoid)
    step = compile_step(model, binary_cross_entropy, optim.SGD(model.parameters(), lr=0.1))
    x, y = _batches(1, binary=True)[0]
    step(x, y)
    step(x, y)
    with pytest.raises(ValueError, match="target should be between 0 and 1"):
        step(x, ll.tensor(y.data * 2.0))
    with pytest.raises(ValueError, match="input should be between 0 and 1"):
        step(ll.tensor(np.full((6, 4), np.nan)), y)
    assert step.stats["replays"] == 1


# ----------------------------------------------------------------------------- arguments
def test_bad_arguments_are_named():
    model = _mlp()
    with pytest.raises(TypeError, match="model must be an ll.nn.Module"):
        compile_step(lambda x: x, cross_entropy, optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="optimizer must be an ll.optim optimizer"):
        compile_step(model, cross_entropy, object())
    with pytest.raises(ValueError, match="loss_fn"):
        compile_step(model, "no_such_loss", optim.SGD(model.parameters(), lr=0.1))


def test_a_registry_name_and_arrays_are_accepted():
    m1, m2 = _mlp(), _mlp()
    o1, o2 = optim.SGD(m1.parameters(), lr=0.1), optim.SGD(m2.parameters(), lr=0.1)
    step = compile_step(m2, "cross_entropy", o2)
    assert isinstance(step, CompiledStep)
    for x, y in _batches(3):
        assert np.array_equal(step(x.data, y.data).data, _eager_run(m1, cross_entropy, o1, [(x, y)])[0])
    assert "replays=2" in repr(step)


def test_docstring_example_runs():
    import doctest

    import losslab.train.compiled as mod

    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0
