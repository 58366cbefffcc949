"""JSON for figures that may be undefined: NaN and ±infinity become ``null``, never invalid JSON.

Python's :func:`json.dumps` writes ``NaN``/``Infinity`` by default (which no JSON parser
accepts) and raises with ``allow_nan=False`` ("Out of range float values are not JSON
compliant"). Experiments, reports, counter-messaging and benchmarks compute ratios, means
and medians that are undefined when there is nothing to divide or take the middle of, so
every writer of their output goes through :func:`dumps` — or :func:`finite` before a
writer of its own (CSV: an empty cell; pages: "n/a"; templates' ``tojson``).

Pure: no files, no numpy import (numpy scalars and arrays are read through ``tolist``).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["dumps", "finite", "is_undefined"]


def is_undefined(value: Any) -> bool:
    """True for ``None`` and for a real number that is NaN or infinite."""
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return not math.isfinite(float(value))
    return False


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float, at any depth, replaced by ``None``.

    Mappings and sequences (lists, tuples, sets) come back as dicts and lists; numpy
    scalars and arrays as Python numbers and lists; strings, bytes and other objects as
    they are.
    """
    if value is None or isinstance(value, str | bytes | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [finite(item) for item in value]
    to_list = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(to_list):
        return finite(to_list())
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def dumps(
    value: Any,
    *,
    indent: int | None = None,
    ensure_ascii: bool = False,
    sort_keys: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """Standard JSON text of ``value`` with undefined figures as ``null`` (see :func:`finite`).

    ``default`` converts other objects (as :func:`json.dumps`'); what it returns is made
    finite too.
    """

    def convert(obj: Any) -> Any:
        if default is None:
            raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
        return finite(default(obj))

    return json.dumps(
        finite(value),
        indent=indent,
        ensure_ascii=ensure_ascii,
        sort_keys=sort_keys,
        allow_nan=False,
        default=convert,
    )
