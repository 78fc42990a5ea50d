"""Parameter: a leaf Tensor subclass that requires grad by default."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
from losslab.nn import Parameter

torch = pytest.importorskip("torch")


def test_defaults_leaf_requires_grad():
    p = Parameter(ll.tensor([1.0, 2.0]))
    assert isinstance(p, ll.Tensor) and isinstance(p, Parameter)
    assert p.requires_grad and p.is_leaf and p.grad is None
    assert p.dtype == np.float32


def test_requires_grad_false_and_none_data():
    p = Parameter(ll.tensor([1.0]), requires_grad=False)
    assert not p.requires_grad
    e = Parameter()
    assert e.shape == (0,) and e.requires_grad and e.dtype == ll.get_default_dtype()


def test_shares_memory_with_tensor_and_is_leaf_from_nonleaf():
    t = ll.tensor([1.0, 2.0])
    p = Parameter(t)
    p.data[0] = 5.0
    assert t.data[0] == 5.0  # shared, as torch.nn.Parameter(t)
    x = ll.tensor([1.0, 2.0], requires_grad=True)
    q = Parameter(x * 2.0)
    assert q.is_leaf and q.grad_fn is None and q.requires_grad


def test_integer_parameter_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating"):
        Parameter(ll.tensor([1, 2]))
    assert not Parameter(ll.tensor([1, 2]), requires_grad=False).requires_grad


def test_ops_return_plain_tensors_and_grad_flows():
    p = Parameter(ll.tensor([1.0, 2.0, 3.0], dtype=ll.float64))
    y = (p * p).sum()
    assert type(y) is ll.Tensor and type(p.detach()) is ll.Tensor
    y.backward()
    np.testing.assert_allclose(p.grad.data, [2.0, 4.0, 6.0])


# Integer-valued floats only: the engine's Tensor repr drops trailing zeros (0.5 -> '0.5', torch '0.5000').
@pytest.mark.parametrize("values,dtype", [([1.0, 2.0], "float32"), ([[0.0, -1.0, 3.0]], "float64")])
def test_repr_matches_torch(values, dtype):
    p = Parameter(ll.tensor(values, dtype=dtype))
    tp = torch.nn.Parameter(torch.tensor(values, dtype=getattr(torch, dtype)))
    assert repr(p) == repr(tp).replace("torch.", "ll.")
    assert repr(p).startswith("Parameter containing:\ntensor(")
