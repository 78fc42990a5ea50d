"""The shared helpers: reduce(), the argument checks, the docstring fragments, and the runnable
examples in every docstring of losslab.losses."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

import losslab as ll
from losslab.losses import _reduction as R


def t64(a):
    return ll.tensor(np.asarray(a, dtype=np.float64))


def test_reduce_three_ways():
    loss = t64([[1.0, 2.0], [3.0, 6.0]])
    assert R.reduce(loss, "mean").item() == 3.0
    assert R.reduce(loss, "sum").item() == 12.0
    assert R.reduce(loss, "none") is loss


def test_reduce_weighted():
    loss, w = t64([1.0, 2.0, 3.0]), t64([2.0, 0.0, 1.0])
    np.testing.assert_array_equal(R.reduce(loss, "none", w).data, [2.0, 0.0, 3.0])
    assert R.reduce(loss, "sum", w).item() == 5.0
    assert R.reduce(loss, "mean", w).item() == pytest.approx(5.0 / 3.0)
    # ndarray and number weights; a broadcast weight counts once per element it covers
    assert R.reduce(loss, "mean", np.array([2.0, 0.0, 1.0])).item() == pytest.approx(5.0 / 3.0)
    assert R.reduce(loss, "mean", 4.0).item() == pytest.approx(2.0)
    m = t64([[1.0, 2.0], [3.0, 4.0]])
    assert R.reduce(m, "mean", t64([1.0, 3.0])).item() == pytest.approx((1 + 6 + 3 + 12) / 8)


def test_reduce_weighted_mean_differentiates_the_weights_too():
    loss = t64([1.0, 3.0]).requires_grad_()
    w = t64([1.0, 1.0]).requires_grad_()
    assert ll.autograd.gradcheck(lambda a, b: R.reduce(a, "mean", b), [loss, w])


def test_reduce_total_weight_and_errors():
    loss = t64([1.0, 2.0, 3.0])
    assert R.reduce(loss, "mean", total_weight=2.0).item() == 3.0
    assert R.reduce(loss, "sum", total_weight=2.0).item() == 6.0
    with np.errstate(all="raise"):
        assert np.isnan(R.reduce(t64([0.0]), "mean", total_weight=0.0).item())  # 0/0, no warning
    with pytest.raises(ValueError, match="either weight or total_weight"):
        R.reduce(loss, "mean", t64([1.0, 1.0, 1.0]), total_weight=3.0)
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) does not broadcast"):
        R.reduce(loss, "mean", t64([1.0, 1.0]))


@pytest.mark.parametrize("bad", ["avg", "MEAN", None, 1, "batchmean"])
def test_reduce_unknown_reduction(bad):
    with pytest.raises(ValueError, match=rf"reduction must be 'mean', 'sum' or 'none', got {bad!r}"):
        R.reduce(t64([1.0]), bad)


def test_check_reduction_with_extra_choices():
    assert R.check_reduction("batchmean", "kl_div", ("none", "mean", "sum", "batchmean")) == "batchmean"
    with pytest.raises(ValueError, match="'none', 'mean', 'sum' or 'batchmean', got 'x'"):
        R.check_reduction("x", "kl_div", ("none", "mean", "sum", "batchmean"))


def test_reduce_keeps_float32_with_float64_array_weight():
    out = R.reduce(ll.tensor([1.0, 2.0]), "mean", np.array([1.0, 1.0]))
    assert out.dtype == np.float32


def test_reduce_mean_of_empty_is_nan_without_warning():
    with np.errstate(all="raise"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert np.isnan(R.reduce(t64(np.zeros((0, 3))), "mean").item())


def test_check_same_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"f: input and target must have the same shape, got input \(2, 3\) and target \(3, 2\)"):
        R.check_same_shape(t64(np.zeros((2, 3))), np.zeros((3, 2)), "f")
    R.check_same_shape(t64(np.zeros((2, 3))), [[0, 0, 0], [0, 0, 0]], "f")


def test_as_tensor_like():
    x32 = ll.tensor([1.0, 2.0])
    x64 = t64([1.0, 2.0])
    assert R.as_tensor_like([3.0, 4.0], x64).dtype == np.float64
    assert R.as_tensor_like(np.array([3.0, 4.0]), x32).dtype == np.float32
    assert R.as_tensor_like(ll.tensor([1, 0]), x64).dtype == np.float64
    assert R.as_tensor_like(5, x32).shape == ()
    same = t64([0.0, 0.0])
    assert R.as_tensor_like(same, x64) is same
    with pytest.raises(TypeError, match="f: target must be a Tensor or array of numbers"):
        R.as_tensor_like(["a", "b"], x64, "f")


def test_as_input():
    assert R.as_input([1.0, 2.0], "f").dtype == np.float32
    assert R.as_input(np.array([1.0]), "f").dtype == np.float64
    with pytest.raises(TypeError, match="f: input must be a floating tensor, got dtype int64"):
        R.as_input(ll.tensor([1, 2]), "f")
    with pytest.raises(TypeError, match="f: input must be a Tensor or array of numbers"):
        R.as_input("abc", "f")


def test_as_class_indices():
    x = t64(np.zeros((2, 3, 4)))
    idx = R.as_class_indices(np.array([[0, 1, 2, -100]] * 2, dtype=np.int32), x, -100, "f")
    assert idx.dtype == np.int64 and idx.shape == (2, 4)
    with pytest.raises(R.ClassIndexError, match=r"class index 3, outside \[0, 3\) for C=3"):
        R.as_class_indices(np.array([[0, 1, 2, 3]] * 2), x, -100, "f")
    with pytest.raises(TypeError, match="bool"):
        R.as_class_indices(np.array([[True] * 4] * 2), x, -100, "f")


def test_doc_fragments_are_substituted_with_indentation():
    @R.doc(extra="line one\nline two")
    def f():
        """Summary.

        Args:
            {reduction}
            {extra}
        """

    assert "{reduction}" not in f.__doc__
    assert "            reduction: ``'none'``" in f.__doc__
    assert "                returns the unreduced loss" in f.__doc__
    assert "            line one\n            line two" in f.__doc__


@pytest.mark.parametrize("module", ["_reduction", "regression", "classification", "modules", "registry"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"losslab.losses.{module}")
    result = doctest.testmod(mod, extraglobs={"ll": ll}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_reduce_sample_weight_is_a_weighted_mean_over_samples():
    import losslab as ll
    from losslab.losses import reduce as _reduce
    loss = ll.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=ll.float64)
    sw = [1.0, 0.0, 3.0]
    # Σ_n w_n Σ_d ℓ_nd / (D Σ_n w_n)
    assert _reduce(loss, "mean", sample_weight=sw).item() == pytest.approx((3 + 3 * 11) / (2 * 4))
    assert _reduce(loss, "sum", sample_weight=sw).item() == pytest.approx(3 + 33)
    assert _reduce(loss, "none", sample_weight=sw).data.tolist() == [[1, 2], [0, 0], [15, 18]]
    # combined with an elementwise weight: the product of both
    w = ll.tensor([[1.0, 0.0]] * 3, dtype=ll.float64)
    assert _reduce(loss, "mean", weight=w, sample_weight=sw).item() == pytest.approx((1 + 15) / 4)


@pytest.mark.parametrize("sw, match", [([1.0, 2.0], r"shape \(N,\) with N = 3"),
                                       ([1.0, -1.0, 0.0], "finite and ≥ 0"),
                                       ([1.0, float("nan"), 0.0], "finite and ≥ 0")])
def test_reduce_sample_weight_bad_input(sw, match):
    import losslab as ll
    from losslab.losses import reduce as _reduce
    with pytest.raises(ValueError, match=match):
        _reduce(ll.ones(3, 2), "mean", sample_weight=sw)
