"""losslab.nn.functional: re-exports of the engine's ops, softmax dim handling, loss re-exports."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "linear"])
def test_reexports_are_the_engine_ops(name):
    assert getattr(F, name) is getattr(ll, name)


def test_all_names_exist():
    for name in F.__all__:
        assert callable(getattr(F, name)), name


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_explicit_dim_matches_torch(fn):
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    for dim in (0, 1, 2, -1):
        y = getattr(F, fn)(ll.tensor(x), dim=dim)
        yt = getattr(TF, fn)(torch.tensor(x), dim=dim)
        np.testing.assert_allclose(y.data, yt.numpy(), rtol=1e-12, atol=1e-14)
    y = getattr(F, fn)(ll.tensor(x), 1, dtype=ll.float32)
    assert y.dtype == np.float32


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4), (2, 2, 3, 4)])
def test_softmax_implicit_dim_warns_like_torch(fn, shape):
    x = np.random.default_rng(1).normal(size=shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = getattr(F, fn)(ll.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = getattr(TF, fn)(torch.tensor(x))
    np.testing.assert_allclose(y.data, yt.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_functional_matches_torch():
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    y = F.linear(ll.tensor(x), ll.tensor(w), ll.tensor(b))
    np.testing.assert_allclose(y.data, TF.linear(*map(torch.tensor, (x, w, b))).numpy(), rtol=1e-12)


_LOSSES = ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy"]
_LOSS_CLASSES = ["MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"]


def _losses_available() -> bool:
    try:
        import losslab.losses as L
    except ModuleNotFoundError:
        return False
    return all(hasattr(L, n) for n in _LOSSES)


needs_losses = pytest.mark.skipif(not _losses_available(), reason="losslab.losses does not provide the losses yet")


@needs_losses
@pytest.mark.parametrize("name", _LOSSES)
def test_loss_functions_reexported(name):
    import losslab.losses as L
    assert getattr(F, name) is getattr(L, name)
    assert name in dir(F)
    from losslab.nn.functional import mse_loss as f  # from-import goes through __getattr__
    assert f is L.mse_loss


@needs_losses
def test_every_registered_loss_is_in_functional_and_nn():
    import losslab.nn as nn
    from losslab.losses.registry import LOSS_REGISTRY
    for name, info in LOSS_REGISTRY.items():
        assert getattr(F, name) is info.fn
        assert getattr(nn, info.module.__name__) is info.module


@needs_losses
@pytest.mark.parametrize("name", _LOSS_CLASSES)
def test_loss_classes_reexported_in_nn_and_are_modules(name):
    import losslab.losses as L
    import losslab.nn as nn
    cls = getattr(nn, name)
    assert cls is getattr(L, name) and issubclass(cls, nn.Module)
    assert name in dir(nn)
    assert repr(cls()) == repr(getattr(torch.nn, name)())


def test_unknown_names_raise_attribute_error():
    import losslab.nn as nn
    with pytest.raises(AttributeError, match="no_such_loss"):
        F.no_such_loss
    with pytest.raises(AttributeError, match="NoSuchLoss"):
        nn.NoSuchLoss
    with pytest.raises(AttributeError):
        nn._private


def test_import_order_losses_first_still_reexports():
    """losslab.losses imports losslab.nn; either import order must give the same names."""
    import subprocess
    import sys
    code = ("import losslab.losses as L; import losslab.nn as nn; import losslab.nn.functional as F; "
            "assert F.mse_loss is L.mse_loss and nn.MSELoss is L.MSELoss")
    if _losses_available():
        subprocess.run([sys.executable, "-c", code], check=True)
    code2 = "import losslab.nn as nn; import losslab.nn.functional as F; nn.Linear(2, 2); F.relu"
    subprocess.run([sys.executable, "-c", code2], check=True)
