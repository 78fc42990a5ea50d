"""One fixed colour per loss and per optimizer, the same on every chart of the explorer.

The palette joins Okabe & Ito's eight colours (chosen to stay distinguishable with the common
colour-vision deficiencies) and Paul Tol's "muted" scheme (designed for the same). Each loss gets
the colour of its position in the loss registry, each optimizer (and the SGD variants of seed 003:
plain gradient descent, momentum, Nesterov) that of its position in the optimizer registry, so a
name's colour never depends on what else is on the chart. Other series names (e.g. ``bce_y1``)
are mapped through :data:`SERIES_ALIASES` or, failing that, by a stable hash of the name.

Example:
    >>> from losslab.web.colors import color_for
    >>> color_for("mse_loss") == color_for("mse_loss")
    True
"""
from __future__ import annotations

import zlib

__all__ = ["PALETTE", "color_for", "loss_color", "optimizer_color", "optimizer_key", "SERIES_ALIASES"]

#: Okabe–Ito (without black), then Paul Tol's muted scheme.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499",
)

#: Series that stand for a registry entry.
SERIES_ALIASES = {"bce_y1": "binary_cross_entropy", "bce_y0": "binary_cross_entropy_with_logits"}

_SGD_VARIANTS = ("gd", "momentum", "nesterov")


def _keys() -> dict:
    from ..losses.registry import LOSS_REGISTRY
    from ..optim import OPTIMIZER_REGISTRY

    keys = {}
    for i, name in enumerate(LOSS_REGISTRY):
        keys[("loss", name)] = PALETTE[i % len(PALETTE)]
    # optimizers start at an offset so that the first ones do not repeat the first losses' colours
    names = list(_SGD_VARIANTS) + [n for n in OPTIMIZER_REGISTRY if n != "sgd"]
    for i, name in enumerate(names):
        keys[("optimizer", name)] = PALETTE[(i * 3 + 1) % len(PALETTE)]
    keys[("optimizer", "sgd")] = keys[("optimizer", "gd")]
    return keys


_CACHE: dict = {}


def _table() -> dict:
    if not _CACHE:
        _CACHE.update(_keys())
    return _CACHE


def _hashed(name: str) -> str:
    return PALETTE[zlib.crc32(name.encode("utf-8")) % len(PALETTE)]


def loss_color(name: str) -> str:
    """The colour of loss ``name`` (series aliases such as ``bce_y1`` included)."""
    name = SERIES_ALIASES.get(name, name)
    return _table().get(("loss", name)) or _hashed(name)


def optimizer_key(name: str, params: dict | None = None) -> str:
    """The colour key of an optimizer: ``sgd`` with ``nesterov`` is ``"nesterov"``, with momentum
    ``"momentum"``, plain ``"gd"``; any other optimizer its registry name."""
    params = params or {}
    if name == "sgd":
        if params.get("nesterov"):
            return "nesterov"
        if params.get("momentum"):
            return "momentum"
        return "gd"
    return name


def optimizer_color(name: str, params: dict | None = None) -> str:
    """The colour of an optimizer (SGD variants told apart by :func:`optimizer_key`)."""
    key = optimizer_key(name, params)
    return _table().get(("optimizer", key)) or _hashed(key)


def color_for(name: str) -> str:
    """The colour of a loss or optimizer name (losses first), else a stable hashed colour."""
    t = _table()
    name = SERIES_ALIASES.get(name, name)
    return t.get(("loss", name)) or t.get(("optimizer", name)) or _hashed(name)
