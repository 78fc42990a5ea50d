"""Generic tests driven by ``LOSS_REGISTRY``: a loss enrolled there is tested here with no
further code — value and gradients against PyTorch (float64, every reduction), finite-difference
gradcheck, minimum at a perfect prediction, finiteness at extreme inputs, float32, the class
form, and the completeness of its metadata."""
from __future__ import annotations

import inspect
import zlib

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab.losses.registry import validate

torch = pytest.importorskip("torch")

import loss_helpers as H  # noqa: E402

NAMES = L.available()
REDUCTIONS = ("mean", "sum", "none")
#: keyword arguments every loss (sample_weight) or every class-index loss (ignore_index,
#: label_smoothing) takes beyond PyTorch's own signature
BEYOND_TORCH = {"sample_weight", "ignore_index", "label_smoothing"}


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _example(name, dtype=np.float64, *key):
    return L.get(name).make_example(_rng(name, *key), dtype)


def test_registry_lists_the_first_losses():
    assert {"mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
            "cross_entropy", "nll_loss"} <= set(NAMES)


# ----------------------------------------------------------------------------- vs PyTorch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", NAMES)
def test_value_and_gradients_match_torch(name, reduction):
    info = L.get(name)
    if info.torch_equivalent is None:
        pytest.skip(f"{name} has no PyTorch equivalent")
    tfn = H.resolve(info.torch_equivalent)
    for trial in range(3):
        x, y, kw = _example(name, np.float64, trial)
        out, tout, (lx, ly), (tx, ty) = H.run_both(torch, info.fn, tfn, x, y, kw, reduction, seed=trial)
        assert out.dtype == np.float64 and out.shape == tuple(tout.shape)
        H.assert_close(out, tout, what=f"{name} value")
        H.assert_close(lx.grad, tx.grad, atol=1e-14, what=f"{name} d/d input")
        if ty.grad is not None:
            H.assert_close(ly.grad, ty.grad, atol=1e-14, what=f"{name} d/d target")


# ----------------------------------------------------------------------------- finite differences
def _target_can_move(info, x, y, kw) -> bool:
    """Whether the target can be perturbed by ±1e-6 and stay valid (hard 0/1 labels of a
    probability loss cannot); only then is the target gradchecked here."""
    try:
        for d in (1e-6, -1e-6):
            info.fn(x, ll.tensor(y.data + d), **kw)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_float64(name, reduction):
    info = L.get(name)
    x, y, kw = _example(name, np.float64, "gradcheck")
    lx, ly = H.leaf(x), H.leaf(y)
    inputs = [lx, ly] if ly.requires_grad and _target_can_move(info, x, y, kw) else [lx]

    transform = info.gradcheck_transform or (lambda z: z)

    def f(*ts):
        return info.fn(transform(ts[0]), ts[1] if len(ts) > 1 else ly, reduction=reduction, **kw)

    assert ll.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


# ----------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("name", NAMES)
def test_minimal_at_perfect_prediction(name):
    info = L.get(name)
    if info.make_perfect is None:
        pytest.skip(f"{name}: no stationary minimizer at finite inputs (make_perfect=None)")
    rng = _rng(name, "perfect")
    x, y, kw = info.make_perfect(rng, np.float64)
    lx = H.leaf(x)
    best = info.fn(lx, y, reduction="sum", **kw)
    best.backward()
    # stationary: the gradient vanishes at the minimizer
    np.testing.assert_allclose(lx.grad.data, 0.0, atol=1e-9)
    for scale in (1e-3, 1e-1, 1.0):
        for _ in range(10):
            xp = ll.tensor(H.perturb(info, x.data, rng, scale))
            assert info.fn(xp, y, reduction="sum", **kw).item() >= best.item() - 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_finite_value_and_gradient_at_extreme_inputs(name):
    info = L.get(name)
    rng = _rng(name, "extreme")
    for dtype in (np.float64, np.float32):
        x, y, kw = info.make_example(rng, dtype)
        for xe in H.extreme_inputs(info, x, rng):
            for reduction in ("mean", "none"):
                lx = H.leaf(xe)
                out = info.fn(lx, y, reduction=reduction, **kw)
                assert np.all(np.isfinite(out.data)), f"{name}: non-finite loss at {xe}"
                out.sum().backward()
                assert np.all(np.isfinite(lx.grad.data)), f"{name}: non-finite gradient at {xe}"


@pytest.mark.parametrize("name", NAMES)
def test_float32_in_float32_out(name):
    info = L.get(name)
    x32, y32, kw32 = _example(name, np.float32, "f32")
    x64, y64, kw64 = _example(name, np.float64, "f32")
    lx = H.leaf(x32)
    out = info.fn(lx, y32, **kw32)
    assert out.dtype == np.float32
    out.backward()
    assert lx.grad.dtype == np.float32
    np.testing.assert_allclose(out.item(), info.fn(x64, y64, **kw64).item(), rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_reduction_is_refused(name):
    info = L.get(name)
    x, y, kw = _example(name)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        info.fn(x, y, reduction="avg", **kw)
    with pytest.raises(ValueError, match="reduction"):
        info.module(reduction="avg")


# ----------------------------------------------------------------------------- classes
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", NAMES)
def test_class_equals_function(name, reduction):
    info = L.get(name)
    x, y, kw = _example(name, np.float64, "module")
    ctor = inspect.signature(info.module.__init__).parameters
    hp = {k: v for k, v in kw.items() if k in ctor}
    data = {k: v for k, v in kw.items() if k not in ctor}  # extra data tensors go to forward
    crit = info.module(reduction=reduction, **hp)
    lx1, lx2 = H.leaf(x), H.leaf(x)
    a, b = crit(lx1, y, **data), info.fn(lx2, y, reduction=reduction, **kw)
    np.testing.assert_array_equal(a.data, b.data)
    a.sum().backward(), b.sum().backward()
    np.testing.assert_array_equal(lx1.grad.data, lx2.grad.data)
    assert crit.forward(lx1, y, **data).shape == a.shape


@pytest.mark.parametrize("name", NAMES)
def test_class_repr_and_signature_like_torch(name):
    info = L.get(name)
    if info.torch_equivalent is None:
        assert repr(info.module()) == f"{info.module.__name__}()"
        return
    tcls = getattr(torch.nn, info.module.__name__)
    assert repr(info.module()) == repr(tcls())
    ours = list(inspect.signature(info.module.__init__).parameters)
    theirs = list(inspect.signature(tcls.__init__).parameters)
    assert ours[:len(theirs)] == theirs, f"{info.module.__name__} constructor differs from torch: {ours} vs {theirs}"
    assert set(ours[len(theirs):]) <= BEYOND_TORCH, f"{info.module.__name__}: unexpected extra arguments"


# ----------------------------------------------------------------------------- metadata
@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_complete(name):
    info = L.get(name)
    assert validate(info) == []
    assert info.name == name == info.fn.__name__
    for field in ("target_kind", "output_activation", "domain", "latex", "summary"):
        assert len(getattr(info, field)) >= 5, field
    assert isinstance(info.references, tuple) and all(isinstance(r, str) and r for r in info.references)
    # hyperparameters list exactly the keyword arguments after (input, target), with defaults
    params = list(inspect.signature(info.fn).parameters.values())
    data = [p.name for p in params if p.default is p.empty]
    if info.torch_equivalent is None:
        assert data == ["input", "target"]
    else:  # PyTorch's own data arguments, in its order (input1, input2, target; log_probs, ...)
        tparams = inspect.signature(H.resolve(info.torch_equivalent)).parameters.values()
        assert data == [p.name for p in tparams if p.default is p.empty]
    declared = {p.name: p.default for p in params if p.default is not p.empty}
    assert dict(info.hyperparameters) == declared
    assert declared.get("reduction") == "mean"
    # the docstring follows the template
    for section in ("Formula", "Args:", "Shape:", "Example:", "Note:"):
        assert section in info.fn.__doc__, f"{name} docstring lacks {section}"
    assert "{" + "reduction" not in info.fn.__doc__  # fragments were substituted
    if info.torch_equivalent is not None:
        tfn = H.resolve(info.torch_equivalent)
        tparams = inspect.signature(tfn).parameters
        ours = set(declared) - BEYOND_TORCH
        assert ours <= set(tparams), f"{name}: kwargs unknown to torch: {ours - set(tparams)}"
        for k, v in declared.items():
            if k in tparams:
                assert tparams[k].default == v, f"{name}: default of {k} differs from torch"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_make_example_gives_valid_tensors(name, dtype):
    info = L.get(name)
    x, y, kw = info.make_example(np.random.default_rng(0), dtype)
    assert isinstance(x, ll.Tensor) and x.dtype == dtype
    assert isinstance(y, ll.Tensor) and (y.dtype == dtype or y.dtype == np.int64)
    assert isinstance(kw, dict)
    info.fn(x, y, **kw)  # valid: no error


def _per_sample(name):
    """(fn, x, y, kw, out_none) for a loss whose unreduced output has a leading sample axis."""
    info = L.get(name)
    x, y, kw = _example(name, np.float64, "per-sample")
    out = info.fn(x, y, reduction="none", **kw)
    if out.ndim == 0:
        pytest.skip(f"{name}: the unreduced loss is a scalar (no per-sample axis)")
    return info.fn, x, y, kw, out


@pytest.mark.parametrize("name", NAMES)
def test_sample_weight_weights_each_sample(name):
    """The contract beyond PyTorch: every loss takes ``sample_weight`` (N,); 'none' scales each
    sample's loss, 'sum' adds the scaled losses, 'mean' divides by the (broadcast) weight sum."""
    fn, x, y, kw, out = _per_sample(name)
    n = out.shape[0]
    w = _rng(name, "sw").uniform(0.0, 2.0, n)
    shaped = w.reshape((n,) + (1,) * (out.ndim - 1))
    got = fn(x, y, reduction="none", sample_weight=w, **kw)
    H.assert_close(got, out.data * shaped, what=f"{name}: sample_weight with reduction='none'")
    H.assert_close(fn(x, y, reduction="sum", sample_weight=w, **kw), (out.data * shaped).sum(),
                   what=f"{name}: sample_weight with reduction='sum'")
    ones = fn(x, y, reduction="mean", sample_weight=np.ones(n), **kw)
    H.assert_close(ones, fn(x, y, reduction="mean", **kw), what=f"{name}: unit sample weights change the mean")
    with pytest.raises(ValueError, match="sample_weight"):
        fn(x, y, sample_weight=np.ones(n + 1), **kw)


@pytest.mark.parametrize("name", NAMES)
def test_single_example_equals_batch_of_one(name):
    """Sample i of the unreduced batch loss equals the loss of sample i alone (no leakage
    between samples through the reduction, normalisation or broadcasting)."""
    if L.get(name).batch_coupled:
        pytest.skip(f"{name}: batch-coupled (a sample's loss depends on the others)")
    fn, x, y, kw, out = _per_sample(name)
    n = out.shape[0]
    if x.ndim == 0 or x.shape[0] != n or y.ndim == 0 or y.shape[0] != n:
        pytest.skip(f"{name}: input/target are not indexed by sample along dim 0")

    def take(v, i):
        if isinstance(v, ll.Tensor) and v.ndim and v.shape[0] == n and v is not kw.get("weight"):
            return v[i:i + 1]
        return v

    for i in (0, n - 1):
        alone = fn(x[i:i + 1], y[i:i + 1], reduction="none", **{k: take(v, i) for k, v in kw.items()})
        H.assert_close(alone, out.data[i:i + 1], rtol=1e-12, atol=1e-15,
                       what=f"{name}: sample {i} alone differs from the batch")
