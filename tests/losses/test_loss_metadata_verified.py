"""Every registered loss's declared metadata survives the numerical checks of
``losslab.losses.properties``: convexity (second differences along lines in input space),
smoothness (one-sided slopes and curvatures, kinks located by refinement), growth for large
errors, and a minimum with zero gradient at ``make_perfect``. Parametrized over the registry, so
a new entry is enrolled automatically."""
from __future__ import annotations

import zlib

import pytest

import losslab.losses as L
from losslab.losses.properties import errors, verify_metadata

NAMES = L.available()


@pytest.mark.parametrize("name", NAMES)
def test_declared_metadata_is_not_contradicted(name):
    info = L.get(name)
    findings = verify_metadata(info, zlib.crc32(f"verify {name}".encode()))
    bad = errors(findings)
    others = [f for f in findings if f.severity != "error"]
    assert not bad, (
        f"{name}: the registry's metadata is contradicted numerically (fix the declaration in "
        f"losses/catalog, or the loss):\n  " + "\n  ".join(str(f) for f in bad)
        + ("\nother findings:\n  " + "\n  ".join(str(f) for f in others) if others else ""))
    # the checks actually ran (an input domain the prober cannot walk would make them vacuous)
    assert not any(f.check == "probe" and f.severity != "info" for f in findings), "\n".join(map(str, findings))
