"""Helpers shared by the tests/nn files: copy weights from a torch model into a losslab one."""
from __future__ import annotations

import numpy as np


def copy_torch_into(ll_model, torch_model) -> None:
    """Copy every torch parameter/buffer into the losslab model with the same state_dict key."""
    sd = {k: v.detach().cpu().numpy().copy() for k, v in torch_model.state_dict().items()}
    result = ll_model.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []


def assert_close(a, b, rtol=1e-12, atol=1e-12) -> None:
    a = a.data if hasattr(a, "data") and isinstance(getattr(a, "data"), np.ndarray) else a
    b = b.detach().numpy() if hasattr(b, "detach") else b
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)
