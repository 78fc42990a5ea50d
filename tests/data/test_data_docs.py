"""The runnable examples in losslab.data's and losslab.datasets' docstrings run and print what they say."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

import losslab as ll
import losslab.data  # noqa: F401  (ll.data in the examples)
import losslab.datasets  # noqa: F401

MODULES = ["losslab.data", "losslab.data.dataset", "losslab.data.loader", "losslab.datasets",
           "losslab.datasets.split", "losslab.datasets.csv"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, extraglobs={"ll": ll, "np": np}, report=True,
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
    if name != "losslab.data":
        assert res.attempted > 0


@pytest.mark.parametrize("name", ["losslab.data", "losslab.datasets"])
def test_public_names_have_docstrings(name):
    mod = importlib.import_module(name)
    for attr in mod.__all__:
        obj = getattr(mod, attr)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), f"{name}.{attr} has no docstring"
