"""The registry entries, one module per family; importing this package enrolls them all
(in this order, which is the order of ``losslab.losses.available()`` and docs/losses.md)."""
from . import core  # noqa: F401
from . import ranking, sequence, multiclass, regression, distribution, binary, segmentation  # noqa: F401
