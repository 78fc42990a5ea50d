"""losslab.viz.loss_profile / loss_profile_data: values, gradients, kinks, errors, figures."""
import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab.viz import Kink, LossProfile, loss_profile, loss_profile_data, supported_losses

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SUPPORTED = supported_losses()
UNSUPPORTED = [n for n in L.available() if n not in SUPPORTED]


def direct(fn, input, target, **kw):
    """The loss evaluated directly, per sample (no viz code involved)."""
    out = fn(ll.tensor(np.asarray(input, dtype=np.float64)), ll.tensor(np.asarray(target)), reduction="none", **kw)
    return out.data


# -- values equal the loss evaluated directly ------------------------------------------------------
def test_regression_values_equal_direct_evaluation():
    x = np.linspace(-2.5, 2.5, 11)
    for name, kw in [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {"delta": 0.7}),
                     ("quantile_loss", {"tau": 0.2}), ("log_cosh_loss", {})]:
        prof = loss_profile_data(name, params=kw, x=x)
        np.testing.assert_allclose(prof.loss, direct(L.get(name).fn, x, np.zeros_like(x), **kw), rtol=1e-12)
    _, loss, _ = loss_profile_data("mse_loss", x=x)
    np.testing.assert_allclose(loss, x ** 2, rtol=1e-12)
    _, loss, _ = loss_profile_data("huber_loss", params={"delta": 1.0}, x=x)
    np.testing.assert_allclose(loss, np.where(np.abs(x) < 1, 0.5 * x ** 2, np.abs(x) - 0.5), rtol=1e-12)


def test_mape_profile_uses_target_one():
    x = np.array([-0.5, 0.25, 1.0])
    _, loss, _ = loss_profile_data("mean_absolute_percentage_error", x=x)
    np.testing.assert_allclose(loss, direct(L.get("mean_absolute_percentage_error").fn, 1 + x, np.ones(3)))


def test_classification_values_equal_direct_evaluation():
    m = np.linspace(-3, 3, 13)
    _, loss, _ = loss_profile_data("hinge_loss", x=m)
    np.testing.assert_allclose(loss, direct(L.get("hinge_loss").fn, m, np.ones_like(m)), rtol=1e-12)
    np.testing.assert_allclose(loss, np.maximum(0, 1 - m), rtol=1e-12)
    _, loss, _ = loss_profile_data("binary_cross_entropy_with_logits", x=m)
    np.testing.assert_allclose(loss, np.logaddexp(0, -m), rtol=1e-12)
    # multiclass: the 2-class logit difference [m, 0] with class 0 true
    _, loss, _ = loss_profile_data("cross_entropy", x=m)
    logits = np.stack([m, np.zeros_like(m)], axis=1)
    np.testing.assert_allclose(loss, direct(L.cross_entropy, logits, np.zeros(13, dtype=np.int64)), rtol=1e-12)
    np.testing.assert_allclose(loss, np.logaddexp(0, -m), rtol=1e-12)
    p = np.linspace(0.05, 0.95, 7)
    _, loss, _ = loss_profile_data("binary_cross_entropy", x=p)
    np.testing.assert_allclose(loss, -np.log(p), rtol=1e-12)
    _, loss, _ = loss_profile_data("nll_loss", x=p)
    np.testing.assert_allclose(loss, -np.log(p), rtol=1e-12)


def test_other_families_values():
    d = np.array([0.2, 0.9, 1.5])
    _, loss, _ = loss_profile_data("hinge_embedding_loss", x=d)
    np.testing.assert_allclose(loss, np.maximum(0, 1 - d))  # dissimilar pair, margin 1
    m = np.array([-1.0, 0.5, 2.0])
    _, loss, _ = loss_profile_data("margin_ranking_loss", params={"margin": 0.5}, x=m)
    np.testing.assert_allclose(loss, np.maximum(0, 0.5 - m))
    _, loss, _ = loss_profile_data("poisson_nll_loss", x=m)
    np.testing.assert_allclose(loss, np.exp(m) - m, rtol=1e-12)  # log-rate m, count 1


# -- gradients equal finite differences, for every supported loss ----------------------------------
@pytest.mark.parametrize("name", SUPPORTED)
def test_gradient_equals_finite_differences(name):
    prof = loss_profile_data(name, num=41)
    x = prof.x[1:-1]
    h = 1e-6 * max(1.0, float(np.ptp(prof.x)))
    _, lp, _ = loss_profile_data(name, kind=prof.kind, x=x + h)
    _, lm, _ = loss_profile_data(name, kind=prof.kind, x=x - h)
    fd = (lp - lm) / (2 * h)
    g = prof.grad[1:-1]
    away = np.ones_like(x, dtype=bool)
    for k in prof.kinks:
        away &= np.abs(x - k.x) > 4 * h
    scale = max(1.0, float(np.abs(g).max()))
    np.testing.assert_allclose(g[away], fd[away], rtol=1e-5, atol=1e-6 * scale, err_msg=name)


# -- kinks and flat tails --------------------------------------------------------------------------
def test_mae_gradient_jumps_from_minus_one_to_plus_one_at_zero():
    prof = loss_profile_data("l1_loss")
    x, _, g = prof
    assert np.all(g[x < 0] == -1.0) and np.all(g[x > 0] == 1.0)
    assert g[x == 0].tolist() == [0.0]  # PyTorch's convention sign(0) = 0
    assert prof.kinks == (Kink(x=0.0, loss=0.0, grad_left=-1.0, grad_right=1.0),)


def test_hinge_gradient_is_exactly_zero_beyond_margin_one():
    prof = loss_profile_data("hinge_loss", range=(-4, 4))
    x, loss, g = prof
    assert np.all(g[x > 1] == 0.0) and np.all(loss[x > 1] == 0.0)
    assert np.all(g[x < 1] == -1.0)
    assert [(k.x, k.grad_left, k.grad_right) for k in prof.kinks] == [(1.0, -1.0, 0.0)]


def test_huber_gradient_is_continuous():
    for delta in (0.5, 1.0, 2.0):
        prof = loss_profile_data("huber_loss", params={"delta": delta}, num=601)
        x, _, g = prof
        assert prof.kinks == ()
        step = x[1] - x[0]
        assert np.abs(np.diff(g)).max() <= step * (1 + 1e-9)  # slope ≤ 1: no jump anywhere
        np.testing.assert_allclose(g, np.clip(x, -delta, delta), rtol=1e-12)


def test_kinks_found_numerically_not_from_metadata():
    # smooth_l1 is C1 in the registry, but with beta = 0 it is L1 and has a kink
    prof = loss_profile_data("smooth_l1_loss", params={"beta": 0.0})
    assert [k.x for k in prof.kinks] == [0.0]
    prof = loss_profile_data("epsilon_insensitive_loss", params={"epsilon": 0.5})
    assert [(k.x, k.grad_left, k.grad_right) for k in prof.kinks] == [(-0.5, -1.0, 0.0), (0.5, 0.0, 1.0)]


@pytest.mark.parametrize("name", SUPPORTED)
def test_kinks_agree_with_smoothness(name):
    info = L.get(name)
    prof = loss_profile_data(name)
    if info.smoothness == "C0":
        assert prof.kinks, f"{name} is C0 but no gradient jump was found in {prof.x[0]}..{prof.x[-1]}"
        for k in prof.kinks:
            assert abs(k.grad_right - k.grad_left) > 1e-3
    else:  # C1 and smooth losses: no false kink, even where the gradient is steep (BCE near 0)
        assert prof.kinks == (), f"{name} is {info.smoothness} but kinks were reported: {prof.kinks}"


def test_steep_smooth_gradient_is_not_a_kink():
    prof = loss_profile_data("binary_cross_entropy", range=(1e-4, 1 - 1e-4), num=201)
    assert prof.kinks == ()


# -- axes, conversions, parameters ----------------------------------------------------------------
def test_profile_object_fields():
    prof = loss_profile_data("huber_loss", params={"delta": 2.0}, num=7)
    assert isinstance(prof, LossProfile)
    assert prof.kind == "error" and prof.label == "huber_loss (delta=2)" and prof.params == {"delta": 2.0}
    assert prof.x.shape == prof.loss.shape == prof.grad.shape == (7,)
    assert prof.x.dtype == np.float64
    assert loss_profile_data("binary_cross_entropy").kind == "probability"
    assert loss_profile_data("focal_loss").kind == "margin"
    assert loss_profile_data("hinge_embedding_loss").kind == "distance"


def test_probability_loss_on_margin_axis_equals_logit_loss():
    bce = loss_profile_data("binary_cross_entropy", kind="margin", num=61)
    logits = loss_profile_data("binary_cross_entropy_with_logits", num=61)
    np.testing.assert_allclose(bce.x, logits.x)
    np.testing.assert_allclose(bce.loss, logits.loss, rtol=1e-9)
    np.testing.assert_allclose(bce.grad, logits.grad, rtol=1e-9, atol=1e-12)
    assert "σ(m)" in bce.label


def test_logit_loss_on_probability_axis_equals_probability_loss():
    a = loss_profile_data("binary_cross_entropy_with_logits", kind="probability", num=31)
    b = loss_profile_data("binary_cross_entropy", num=31)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-9)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-7)


def test_works_inside_no_grad():
    with ll.no_grad():
        _, _, g = loss_profile_data("mse_loss", x=[1.0, 2.0])
    assert g.tolist() == [2.0, 4.0]


def test_params_forms():
    a = loss_profile_data(("huber_loss", {"delta": 0.3}), x=[2.0])
    b = loss_profile_data("huber_loss", params={"huber_loss": {"delta": 0.3}}, x=[2.0])
    c = loss_profile_data(L.get("huber_loss"), params={"delta": 0.3}, x=[2.0])
    assert a.loss.tolist() == b.loss.tolist() == c.loss.tolist() == [0.3 * (2.0 - 0.15)]


def test_default_ranges_respect_domains():
    x = loss_profile_data("binary_cross_entropy").x
    assert 0 < x[0] and x[-1] < 1
    x = loss_profile_data("mean_squared_logarithmic_error").x
    assert x[0] > -1
    x, _, _ = loss_profile_data("binary_cross_entropy", range=(0, 1), num=11)
    assert 0 < x[0] < 0.01 and 0.99 < x[-1] < 1  # the open domain's edges are stepped off


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ctc_loss", "dice_loss", "triplet_margin_loss", "ntxent_loss",
                                  "cosine_similarity_loss"])
def test_unsupported_losses_raise_clear_errors(name):
    assert name in UNSUPPORTED
    with pytest.raises(ValueError, match=name) as e:
        loss_profile_data(name)
    assert "no 1-D profile" in str(e.value) and "Supported:" in str(e.value)
    with pytest.raises(ValueError, match=name):
        loss_profile(["mse_loss", name])


def test_supported_covers_the_families():
    for name in ["mse_loss", "l1_loss", "huber_loss", "hinge_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "cross_entropy", "focal_loss", "nll_loss", "kl_div"]:
        assert name in SUPPORTED
    assert supported_losses("regression") == [n for n in SUPPORTED if L.get(n).task == "regression"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="did you mean"):
        loss_profile_data("huber_los")
    with pytest.raises(ValueError, match="no parameter 'delta'.*mse_loss|mse_loss has no parameter"):
        loss_profile_data("mse_loss", params={"delta": 1.0})
    with pytest.raises(ValueError, match="reduction"):
        loss_profile_data("mse_loss", params={"reduction": "sum"})
    with pytest.raises(ValueError, match="kind"):
        loss_profile_data("mse_loss", kind="angle")
    with pytest.raises(ValueError, match="hinge_loss.*'probability'"):
        loss_profile_data("hinge_loss", kind="probability")  # scores have no probability meaning
    with pytest.raises(ValueError, match="'margin'"):
        loss_profile_data("mse_loss", kind="margin")
    with pytest.raises(ValueError, match="domain"):
        loss_profile_data("binary_cross_entropy", range=(-1, 2))
    with pytest.raises(ValueError, match="low < high"):
        loss_profile_data("mse_loss", range=(3, 1))
    with pytest.raises(ValueError, match="num"):
        loss_profile_data("mse_loss", num=2)
    with pytest.raises(ValueError, match="domain"):
        loss_profile_data("binary_cross_entropy", x=[0.5, 1.5])
    with pytest.raises(TypeError):
        loss_profile_data(3)


# -- the figure -----------------------------------------------------------------------------------
def test_figure_axes_lines_and_labels(no_pyplot_figures):
    fig = loss_profile(["mse_loss", "l1_loss", "huber_loss"], num=101)
    ax_loss, ax_grad = fig.axes
    assert ax_loss.get_title() == "Regression losses vs error"
    assert ax_loss.get_ylabel() == "loss ℓ" and ax_grad.get_ylabel() == "dℓ/de"
    assert ax_grad.get_xlabel().startswith("error")
    assert [t.get_text() for t in ax_loss.get_legend().get_texts()] == ["mse_loss", "l1_loss", "huber_loss"]
    assert ax_loss.get_shared_x_axes().joined(ax_loss, ax_grad)
    # the L1 kink: a dot on the loss at (0, 0), the gradient's jump from −1 to +1 drawn at 0
    dots = [ln for ln in ax_loss.get_lines() if ln.get_marker() == "o"]
    assert [(ln.get_xdata()[0], ln.get_ydata()[0]) for ln in dots] == [(0.0, 0.0)]
    jumps = [ln for ln in ax_grad.get_lines() if ln.get_linestyle() == ":"]
    assert [list(ln.get_ydata()) for ln in jumps] == [[-1.0, 1.0]]
    # the L1 gradient curve is broken at 0 (no vertical segment through the jump)
    l1_grad = ax_grad.get_lines()[1]
    assert np.isnan(np.asarray(l1_grad.get_ydata(), dtype=float)).sum() == 1


def test_mixed_families_get_one_column_each(no_pyplot_figures):
    fig = loss_profile(["hinge_loss", "mse_loss", "binary_cross_entropy"], num=51)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Regression losses vs error", "Classification losses vs margin", "", ""]
    margin_legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert margin_legend == ["hinge_loss", "binary_cross_entropy [p = σ(m)]"]
    fig = loss_profile(["binary_cross_entropy", "nll_loss"], num=51)  # all probability losses
    assert fig.axes[0].get_title() == "Losses vs predicted probability"


def test_same_loss_with_several_parameters():
    fig = loss_profile([("huber_loss", {"delta": 0.5}), ("huber_loss", {"delta": 2.0})], num=51,
                       title="Huber δ")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["huber_loss (delta=0.5)", "huber_loss (delta=2)"]
    assert fig._suptitle.get_text() == "Huber δ"


def test_save_png_and_svg(tmp_path):
    loss_profile("l1_loss", num=51, save=tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG_MAGIC
    loss_profile("hinge_loss", num=51, save=str(tmp_path / "p.SVG"))
    head = (tmp_path / "p.SVG").read_text()[:200].lstrip()
    assert head.startswith("<?xml") or head.startswith("<svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.SVG", "p.png"]  # no temporary left


def test_save_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\.jpg.*PNG or SVG"):
        loss_profile("mse_loss", save=tmp_path / "p.jpg")
    with pytest.raises(ValueError, match="suffix"):
        loss_profile("mse_loss", save=tmp_path / "p")
    with pytest.raises(ValueError, match="does not exist"):
        loss_profile("mse_loss", save=tmp_path / "missing" / "p.png")
    with pytest.raises(TypeError):
        loss_profile("mse_loss", save=3)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="empty"):
        loss_profile([])
