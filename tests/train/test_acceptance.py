"""Issue 5 acceptance, on real data with fixed seeds: an MLP on digits, logistic regression on
breast_cancer, a linear model on diabetes, robust losses against gross outliers, and the
trade-offs of batch GD, SGD and mini-batch (updates per epoch, smooth vs noisy curves)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import losslab as ll
import losslab.nn as nn
import losslab.optim as optim
from losslab import datasets
from losslab.data import DataLoader, TensorDataset
from losslab.optim.lr_scheduler import CosineAnnealingLR
from losslab.train import fit


def _loaders(split, batch_size, seed=0):
    train = DataLoader(split.train_dataset(), batch_size=batch_size, shuffle=True, seed=seed)
    val = DataLoader(split.val_dataset(), batch_size="full")
    return train, val


def _predict(model, x):
    model.eval()
    with ll.no_grad():
        return model(ll.tensor(x, dtype=ll.float32)).data.astype(np.float64)


def test_mlp_on_digits_reaches_95_percent():
    split = datasets.load("digits", seed=0)
    train, val = _loaders(split, 32)
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(split.n_features, 64), nn.ReLU(), nn.Linear(64, split.n_classes))
    h = fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=1e-3), train, val, epochs=15,
            progress=False)
    acc = float((_predict(model, split.x_val).argmax(1) == split.y_val).mean())
    assert h.last["val_accuracy"] == pytest.approx(acc)
    assert acc >= 0.95


def test_logistic_regression_on_breast_cancer_reaches_95_percent():
    split = datasets.load("breast_cancer", seed=0)
    train, val = _loaders(split, 32)
    ll.manual_seed(0)
    model = nn.Linear(split.n_features, 1)
    h = fit(model, "binary_cross_entropy_with_logits", optim.SGD(model.parameters(), lr=0.1), train, val,
            epochs=30, progress=False)
    acc = float(((_predict(model, split.x_val)[:, 0] > 0) == split.y_val).mean())
    assert h.last["val_accuracy"] == pytest.approx(acc)
    assert acc >= 0.95


def _r2(y, pred):
    return 1 - float(((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def test_linear_model_on_diabetes_reaches_r2_045_on_held_out_data():
    # R² on one 89-sample validation split swings with the split: the closed-form least-squares
    # optimum (the ceiling for any linear model) is 0.33 on datasets.load("diabetes", seed=0)'s
    # split and 0.33 … 0.59 over seeds 0 … 19. So "held-out" is measured by 5-fold
    # cross-validation: every sample is predicted by a model trained without it (standardized
    # with its training folds' statistics), and R² is taken over all 442 held-out predictions.
    split = datasets.load("diabetes", seed=0, standardize=False)
    x = np.vstack([split.x_train, split.x_val])
    y = np.vstack([split.y_train, split.y_val])
    order = np.random.default_rng(0).permutation(len(x))
    held_out, ols = np.zeros_like(y), np.zeros_like(y)
    fold_r2 = []
    for fold in np.array_split(order, 5):
        train_idx = np.setdiff1d(order, fold)
        mean, std = x[train_idx].mean(0), x[train_idx].std(0)
        xt, xv = (x[train_idx] - mean) / std, (x[fold] - mean) / std
        train = DataLoader(TensorDataset(xt.astype(np.float32), y[train_idx].astype(np.float32)),
                           batch_size=32, shuffle=True, seed=0)
        val = DataLoader(TensorDataset(xv.astype(np.float32), y[fold].astype(np.float32)), batch_size="full")
        ll.manual_seed(0)
        model = nn.Linear(split.n_features, 1)
        opt = optim.SGD(model.parameters(), lr=0.05)
        h = fit(model, "mse_loss", opt, train, val, epochs=60, scheduler=CosineAnnealingLR(opt, T_max=60),
                progress=False)
        held_out[fold] = _predict(model, xv)
        fold_r2.append(_r2(y[fold], held_out[fold]))
        assert h.last["val_r2"] == pytest.approx(fold_r2[-1], rel=1e-4)
        # the closed-form least-squares fit on the same folds: the best a linear model can do
        coef, *_ = np.linalg.lstsq(np.hstack([xt, np.ones((len(xt), 1))]), y[train_idx], rcond=None)
        ols[fold] = np.hstack([xv, np.ones((len(xv), 1))]) @ coef
    r2 = _r2(y, held_out)
    assert r2 >= _r2(y, ols) - 0.005  # gradient descent reaches the least-squares optimum
    assert r2 >= 0.45
    assert float(np.mean(fold_r2)) >= 0.45


def test_huber_and_mae_beat_mse_under_gross_outliers():
    split = datasets.load("linear", seed=0, outliers=0.1)
    clean = datasets.load("linear", seed=0, outliers=0.0)
    # the outliers are in the training part only: the validation part is the same clean data
    np.testing.assert_array_equal(split.y_val, clean.y_val)
    mae = {}
    for loss in ("mse_loss", "huber_loss", "l1_loss"):
        train, val = _loaders(split, 16)
        ll.manual_seed(0)
        model = nn.Linear(split.n_features, 1)
        h = fit(model, loss, optim.SGD(model.parameters(), lr=0.05), train, val, epochs=40,
                progress=False)
        mae[loss] = float(np.abs(_predict(model, split.x_val) - split.y_val).mean())
        assert h.last["val_mae"] == pytest.approx(mae[loss], rel=1e-4)
    assert mae["huber_loss"] < mae["mse_loss"]
    assert mae["l1_loss"] < mae["mse_loss"]


def test_batch_gd_sgd_and_mini_batch_trade_offs():
    split = datasets.load("breast_cancer", seed=0)
    n = len(split.x_train)
    m = 32
    runs = {}
    for mode, bs, lr, epochs in (("batch", "full", 0.5, 20), ("stochastic", 1, 0.01, 1),
                                 ("mini-batch", m, 0.1, 2)):
        train = DataLoader(split.train_dataset(), batch_size=bs, shuffle=True, seed=0)
        assert train.mode == mode
        ll.manual_seed(0)
        model = nn.Linear(split.n_features, 1)
        h = fit(model, "binary_cross_entropy_with_logits", optim.SGD(model.parameters(), lr=lr), train,
                epochs=epochs, progress=False, metrics=False)
        runs[mode] = h
    # updates per epoch: 1 vs N vs ceil(N / m)
    assert runs["batch"]["steps"][0] == 1
    assert runs["stochastic"]["steps"][0] == n
    assert runs["mini-batch"]["steps"][0] == math.ceil(n / m)

    def noise(losses):
        # the typical step-to-step change of the loss relative to its typical size (median |Δ| /
        # median): a trend-insensitive measure of how jagged the curve is
        s = np.asarray(losses, dtype=float)
        return float(np.median(np.abs(np.diff(s))) / np.median(np.abs(s)))

    def rises(losses):  # the fraction of steps after which the training loss went up
        return float(np.mean(np.diff(np.asarray(losses)) > 0))

    jag = {k: noise(h.step_losses) for k, h in runs.items()}
    assert jag["stochastic"] > 3 * jag["mini-batch"] > 3 * 3 * jag["batch"]
    # batch GD's curve is smooth: with this step size its loss decreases at every step, while
    # the sampled gradients of SGD and mini-batch make the loss go up after many steps
    assert rises(runs["batch"].step_losses) == 0.0
    assert rises(runs["stochastic"].step_losses) > 0.3
    assert rises(runs["mini-batch"].step_losses) > 0.2
    # all three learn
    for h in runs.values():
        assert np.mean(h.step_losses[-5:]) < 0.5 * h.step_losses[0]
