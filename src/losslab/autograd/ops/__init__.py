"""Primitive ops by kind. Importing this package enrolls every primitive in ``OP_REGISTRY``."""
from .elementwise import *  # noqa: F401,F403
from .elementwise import __all__ as _ew_all
from .linalg import *  # noqa: F401,F403
from .linalg import __all__ as _la_all
from .movement import *  # noqa: F401,F403
from .movement import __all__ as _mv_all
from .reduce import *  # noqa: F401,F403
from .reduce import __all__ as _rd_all

__all__ = [*_ew_all, *_rd_all, *_mv_all, *_la_all]
