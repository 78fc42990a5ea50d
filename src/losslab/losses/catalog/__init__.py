"""The registry entries, one module per family; importing this package enrolls them all."""
from . import core  # noqa: F401
