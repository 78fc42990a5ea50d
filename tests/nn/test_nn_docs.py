"""The runnable examples in losslab.nn's docstrings run and print what they say."""
from __future__ import annotations

import doctest
import importlib

import pytest

import losslab as ll

MODULES = ["losslab.nn", "losslab.nn.parameter", "losslab.nn.module", "losslab.nn.linear",
           "losslab.nn.container", "losslab.nn.activation", "losslab.nn.dropout", "losslab.nn.init",
           "losslab.nn.functional"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, extraglobs={"ll": ll}, report=True,
                          optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
