"""Optional numba compilation for the graph kernels, with a plain-Python fallback.

The kernels in :mod:`iru.network.kernels`, :mod:`iru.network.greedy` and
:mod:`iru.network.reinsert` are written in the subset of Python that numba
compiles (numpy arrays, integers, loops). With numba installed they run as
machine code (compiled once, cached on disk); without it they run unchanged,
correct but about a hundred times slower, which only matters past ~10^5 nodes.
Setting ``IRU_NETWORK_NO_JIT=1`` forces the plain-Python path (for tests and
debugging).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["NUMBA", "jit"]


def _numba() -> Any:
    if os.environ.get("IRU_NETWORK_NO_JIT"):
        return None
    try:
        return importlib.import_module("numba")
    except ImportError:
        return None


_MODULE = _numba()
NUMBA: bool = _MODULE is not None


def jit(func: F) -> F:
    """Compile ``func`` with ``numba.njit`` (cached) when numba is available."""
    if _MODULE is None:
        return func
    return cast(F, _MODULE.njit(cache=True, nogil=True)(func))
