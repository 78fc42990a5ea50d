"""Every case of the op table (op_cases.py) against PyTorch and against finite differences.

For each case: forward values, gradients for a random upstream gradient (``autograd.grad`` with
``grad_outputs`` and ``Tensor.backward(gradient)``), ``ll.autograd.gradcheck``; for cases marked
``gradgrad``: ``ll.autograd.gradgradcheck`` and a Hessian-vector product compared with PyTorch's
``create_graph=True``. A coverage test makes sure every registered primitive appears in a case.
"""
from __future__ import annotations

import pathlib
import sys
import zlib

import numpy as np
import pytest

import losslab as ll

torch = pytest.importorskip("torch")

if str(pathlib.Path(__file__).parent) not in sys.path:  # also under --import-mode=importlib
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
import op_cases as oc  # noqa: E402

oc.set_torch(torch)
CASES = oc.cases()


def _seed(case) -> int:
    return zlib.crc32(case.name.encode())


def _outs(out):
    return [out] if isinstance(out, (ll.Tensor, torch.Tensor)) else list(out)


def _run(case, arrays):
    xs = [ll.tensor(a, dtype=ll.float64, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return xs, _outs(case.ll_fn(*xs)), ts, _outs(case.torch_fn(*ts))


def _np(t):
    if t is None:
        return None
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.data


def _close(a, b, case, what):
    np.testing.assert_allclose(a, b, rtol=case.rtol, atol=case.atol, err_msg=f"{case.name}: {what}")


def _grads_equal(gl, gt, xs, case, what):
    for i, (a, b) in enumerate(zip(gl, gt)):
        a = np.zeros(xs[i].shape) if a is None else _np(a)
        b = np.zeros(xs[i].shape) if b is None else _np(b)
        assert a.shape == tuple(xs[i].shape), f"{case.name}: {what} {i} has shape {a.shape}"
        _close(a, b, case, f"{what} wrt input {i}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_values_and_grads_match_torch(case):
    arrays = oc.draw_inputs(case, _seed(case))
    xs, outs, ts, touts = _run(case, arrays)
    assert len(outs) == len(touts), case.name
    for k, (o, t) in enumerate(zip(outs, touts)):
        assert isinstance(o, ll.Tensor), f"{case.name}: output {k} is {type(o).__name__}"
        assert o.shape == tuple(t.shape), f"{case.name}: output {k} shape {o.shape} vs torch {tuple(t.shape)}"
        assert str(o.dtype) == str(t.dtype).removeprefix("torch."), f"{case.name}: output {k} dtype {o.dtype} vs {t.dtype}"
        if o.dtype.kind in "iub":
            np.testing.assert_array_equal(o.data, _np(t), err_msg=f"{case.name}: output {k}")
        else:
            _close(o.data, _np(t), case, f"value of output {k}")
        assert o.requires_grad == t.requires_grad, f"{case.name}: output {k} requires_grad"

    rng = np.random.default_rng(_seed(case) + 1)
    diff = [k for k, o in enumerate(outs) if o.requires_grad]
    assert diff, f"{case.name}: no differentiable output"
    gos = [rng.standard_normal(outs[k].shape) for k in diff]
    gl = ll.autograd.grad([outs[k] for k in diff], xs, grad_outputs=[ll.tensor(g) for g in gos], allow_unused=True)
    gt = torch.autograd.grad([touts[k] for k in diff], ts, grad_outputs=[torch.tensor(g) for g in gos], allow_unused=True)
    for g in gl:
        assert g is None or (g.dtype == np.float64 and not g.requires_grad), f"{case.name}: grad dtype/graph"
    _grads_equal(gl, gt, xs, case, "grad")

    # The same through Tensor.backward(gradient=...) into .grad, on a fresh graph.
    if len(diff) == 1:
        xs2 = [ll.tensor(a, dtype=ll.float64, requires_grad=True) for a in arrays]
        out2 = _outs(case.ll_fn(*xs2))[diff[0]]
        out2.backward(gos[0])
        _grads_equal([x.grad for x in xs2], gt, xs, case, ".grad after backward(gradient)")


def _float_outputs(case):
    def fn(*xs):
        return tuple(o for o in _outs(case.ll_fn(*xs)) if o.dtype.kind == "f")
    return fn


GC = [c for c in CASES if c.gradcheck]


@pytest.mark.parametrize("case", GC, ids=[c.name for c in GC])
def test_gradcheck(case):
    xs = [ll.tensor(a, dtype=ll.float64, requires_grad=True) for a in oc.draw_inputs(case, _seed(case))]
    assert ll.autograd.gradcheck(_float_outputs(case), xs) is True


GG = [c for c in CASES if c.gradgrad]


@pytest.mark.parametrize("case", GG, ids=[c.name for c in GG])
def test_gradgradcheck(case):
    xs = [ll.tensor(a, dtype=ll.float64, requires_grad=True) for a in oc.draw_inputs(case, _seed(case))]
    assert ll.autograd.gradgradcheck(_float_outputs(case), xs) is True


def _hvp(lib, outs, xs, gos, ws):
    """∂/∂x Σ wᵢ·(∂(Σ outs·gos)/∂xᵢ): a Hessian-vector product through create_graph=True."""
    grad = ll.autograd.grad if lib is ll else torch.autograd.grad
    wrap = ll.tensor if lib is ll else torch.tensor
    diff = [o for o in outs if o.requires_grad]
    gs = grad(diff, xs, grad_outputs=[wrap(g) for g in gos], create_graph=True, allow_unused=True)
    terms = [(g * wrap(w)).sum() for g, w in zip(gs, ws) if g is not None and g.requires_grad]
    if not terms:
        return [None] * len(xs)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return grad(total, xs, allow_unused=True)


@pytest.mark.parametrize("case", GG, ids=[c.name for c in GG])
def test_second_derivatives_match_torch(case):
    arrays = oc.draw_inputs(case, _seed(case))
    xs, outs, ts, touts = _run(case, arrays)
    rng = np.random.default_rng(_seed(case) + 2)
    gos = [rng.standard_normal(o.shape) for o in outs if o.requires_grad]
    ws = [rng.standard_normal(a.shape) for a in arrays]
    hl = _hvp(ll, outs, xs, gos, ws)
    ht = _hvp(torch, touts, ts, gos, ws)
    _grads_equal(hl, ht, xs, case, "Hessian-vector product")


def _node_types(tensors) -> set:
    names, seen = set(), set()
    stack = [t for t in tensors if t is not None]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.grad_fn is not None:
            names.add(type(t.grad_fn).__name__)
            stack.extend(p for p in t.grad_fn.parents if p is not None)
    return names


def test_every_registered_op_has_a_case():
    """Each Function defined in losslab.autograd shows up in the graph of some case (or, for the
    adjoint ops IndexAdd/ScatterAdd, in the create_graph graph of a gradgrad case)."""
    seen = set()
    for case in CASES:
        xs = [ll.tensor(a, dtype=ll.float64, requires_grad=True) for a in oc.draw_inputs(case, _seed(case))]
        outs = [o for o in _outs(case.ll_fn(*xs)) if o.requires_grad]
        seen |= _node_types(outs)
        if case.gradgrad:
            gos = [ll.ones_like(o) for o in outs]
            gs = ll.autograd.grad(outs, xs, grad_outputs=gos, create_graph=True, allow_unused=True)
            seen |= _node_types(gs)
    registered = {cls.__name__ for cls in _engine_functions()}
    missing = sorted(registered - seen)
    assert not missing, f"registered ops without a case in tests/autograd/op_cases.py: {missing}"


def _engine_functions():
    """Every Function subclass defined in losslab.autograd (walked through the class tree, so a
    primitive whose registry entry was overwritten by a same-named class elsewhere still counts)."""
    out, stack = [], list(ll.autograd.Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("losslab.autograd"):
            out.append(cls)
    return out


def test_registry_holds_every_engine_primitive():
    """OP_REGISTRY maps each engine primitive's name to that very class: no other package has
    registered a same-named Function over it (the registry is keyed by class name)."""
    fns = _engine_functions()
    assert len(fns) >= 40
    for cls in fns:
        assert ll.autograd.OP_REGISTRY.get(cls.__name__) is cls, (
            f"OP_REGISTRY[{cls.__name__!r}] is {ll.autograd.OP_REGISTRY.get(cls.__name__)!r}, not "
            f"{cls.__module__}.{cls.__name__}: two Functions share the name")


def test_case_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
