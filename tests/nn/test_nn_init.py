"""nn.init: formulas against torch.nn.init (gains, fans) and seeded statistics of the draws."""
from __future__ import annotations

import math

import numpy as np
import pytest

import losslab as ll
import losslab.nn as lnn
from losslab.nn import init

torch = pytest.importorskip("torch")
tinit = torch.nn.init

GAIN_CASES = [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
    ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
    ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 3),
    ("leaky_relu", math.sqrt(5)), ("selu", None),
]


@pytest.mark.parametrize("name,param", GAIN_CASES)
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == tinit.calculate_gain(name, param)


@pytest.mark.parametrize("name,param", [("leaky_relu", True), ("leaky_relu", "0.1"), ("swish", None)])
def test_calculate_gain_bad_input(name, param):
    with pytest.raises(ValueError):
        init.calculate_gain(name, param)
    with pytest.raises(ValueError):
        tinit.calculate_gain(name, param)


@pytest.mark.parametrize("shape", [(3, 4), (7, 2), (3, 4, 5), (2, 3, 4, 5)])
def test_fan_in_fan_out_matches_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ll.empty(*shape)) == \
        tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ll.empty(3))
    with pytest.raises(ValueError, match="fewer than 2"):
        init.xavier_uniform_(ll.empty(3))


def _big(shape=(400, 300), dtype=ll.float64):
    return lnn.Parameter(ll.empty(*shape, dtype=dtype))


def _check_uniform(data, bound):
    assert np.abs(data).max() <= bound
    assert np.abs(data).max() > 0.99 * bound
    # U(-b, b): std b/sqrt(3); with 120k draws the relative error of the std is ~0.2%
    assert abs(data.std() / (bound / math.sqrt(3)) - 1) < 0.02
    assert abs(data.mean()) < 0.02 * bound


def _check_normal(data, std, mean=0.0):
    assert abs(data.std() / std - 1) < 0.02
    assert abs(data.mean() - mean) < 0.02 * std
    # about 4.55% of a normal sample lies beyond 2 std
    assert abs((np.abs(data - mean) > 2 * std).mean() - 0.0455) < 0.005


def test_uniform_normal_constant_ones_zeros_eye():
    ll.manual_seed(0)
    t = _big()
    assert init.uniform_(t, -0.3, 0.7) is t
    assert t.data.min() >= -0.3 and t.data.max() <= 0.7 and abs(t.data.mean() - 0.2) < 0.01
    init.normal_(t, 2.0, 0.5)
    _check_normal(t.data, 0.5, mean=2.0)
    init.constant_(t, 0.25)
    assert np.all(t.data == 0.25)
    assert np.all(init.ones_(t).data == 1) and np.all(init.zeros_(t).data == 0)
    e = init.eye_(ll.empty(2, 3))
    np.testing.assert_array_equal(e.data, tinit.eye_(torch.empty(2, 3)).numpy())
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(ll.empty(2, 2, 2))
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(t, 1.0, 0.0)
    with pytest.raises(ValueError, match="std"):
        init.normal_(t, 0.0, -1.0)


@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_uniform_and_normal(gain):
    ll.manual_seed(1)
    t = _big()
    fan_in, fan_out = 300, 400
    init.xavier_uniform_(t, gain=gain)
    _check_uniform(t.data, gain * math.sqrt(6.0 / (fan_in + fan_out)))
    init.xavier_normal_(t, gain=gain)
    _check_normal(t.data, gain * math.sqrt(2.0 / (fan_in + fan_out)))
    # same spread as torch's draws
    tt = tinit.xavier_normal_(torch.empty(400, 300, dtype=torch.float64), gain=gain).numpy()
    assert abs(t.data.std() / tt.std() - 1) < 0.03


@pytest.mark.parametrize("a,mode,nonlinearity", [
    (0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"), (0, "fan_out", "relu"),
    (0.2, "fan_out", "leaky_relu"), (0, "FAN_IN", "tanh"), (0, "fan_in", "linear"),
])
def test_kaiming_uniform_and_normal(a, mode, nonlinearity):
    ll.manual_seed(2)
    shape = (60, 40, 3, 3)  # conv-like: receptive field 9
    t = _big(shape)
    fan_in, fan_out = 40 * 9, 60 * 9
    fan = fan_in if mode.lower() == "fan_in" else fan_out
    gain = tinit.calculate_gain(nonlinearity, a)
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _check_uniform(t.data, gain * math.sqrt(3.0 / fan))
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _check_normal(t.data, gain / math.sqrt(fan))
    tt = tinit.kaiming_normal_(torch.empty(*shape, dtype=torch.float64), a=a, mode=mode,
                               nonlinearity=nonlinearity).numpy()
    assert abs(t.data.std() / tt.std() - 1) < 0.03


def test_kaiming_bad_mode_and_zero_element():
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_uniform_(ll.empty(3, 3), mode="fan_avg")
    t = ll.empty(0, 3)
    with pytest.warns(UserWarning, match="no-op"):
        assert init.kaiming_normal_(t) is t


def test_init_on_parameter_records_no_graph_and_keeps_dtype():
    p = lnn.Parameter(ll.zeros(3, 4))
    assert ll.is_grad_enabled()
    for fn in (init.xavier_uniform_, init.kaiming_normal_, init.ones_):
        out = fn(p)
        assert out is p and p.is_leaf and p.grad_fn is None and p.requires_grad
        assert p.dtype == np.float32


def test_generator_argument_and_global_seed():
    a = init.normal_(ll.empty(5), generator=np.random.default_rng(3))
    b = init.normal_(ll.empty(5), generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a.data, b.data)
    ll.manual_seed(9)
    c = init.xavier_uniform_(ll.empty(4, 4))
    ll.manual_seed(9)
    d = init.xavier_uniform_(ll.empty(4, 4))
    np.testing.assert_array_equal(c.data, d.data)
    with pytest.raises(TypeError, match="Generator"):
        init.uniform_(ll.empty(2), generator=3)


def test_non_tensor_rejected():
    with pytest.raises(TypeError, match="Tensor"):
        init.zeros_(np.zeros(3))
