"""Small column operations (Arrow and numpy) the bulk readers build their records with.

Index and mask arrays are numpy; values stay Arrow arrays. "Parents" are the list each
item of a flattened list column came from (:func:`flatten`), non-decreasing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Index = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def to_numpy(array: pa.Array) -> npt.NDArray[np.generic]:
    return array.to_numpy(zero_copy_only=False)  # type: ignore[no-any-return]


def bool_mask(array: pa.Array) -> Mask:
    """A boolean array as numpy, null as False."""
    mask: Mask = to_numpy(pc.fill_null(array, False)).astype(np.bool_)
    return mask


def whole(column: pa.ChunkedArray) -> pa.Array:
    """A column as one array (copied only when the parser made several chunks)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def struct_fields(struct: pa.Array) -> dict[str, pa.Array]:
    """A struct array's fields, null where the struct is."""
    return {struct.type.field(i).name: child for i, child in enumerate(struct.flatten())}


def flatten(lists: pa.Array) -> tuple[pa.Array, Index]:
    """A list array's items and the index of the list each belongs to."""
    return pc.list_flatten(lists), to_numpy(pc.list_parent_indices(lists)).astype(np.int64)


def truthy(array: pa.Array) -> Mask:
    """Python's ``bool(value)`` for optional strings: neither null nor empty."""
    return bool_mask(pc.not_equal(array, ""))


def or_else(first: pa.Array, second: pa.Array) -> pa.Array:
    """Python's ``first or second`` for optional strings."""
    return pc.if_else(pa.array(truthy(first)), first, second)


def take_or_null(values: pa.Array, index: Index) -> pa.Array:
    """``values[index]``, null where the index is -1."""
    return pc.take(values, pa.array(index, mask=index < 0))


def run_ends(parents: Index, *, last: bool) -> Mask:
    """The last (or first) item of each run of equal parents."""
    if len(parents) == 0:
        return np.zeros(0, bool)
    runs = np.ones(len(parents), np.bool_)
    if last:
        runs[:-1] = parents[1:] != parents[:-1]
    else:
        runs[1:] = parents[1:] != parents[:-1]
    return runs


def pick(parents: Index, mask: Mask, size: int, *, last: bool = True) -> Index:
    """Per parent (0..size-1), the position of its last (or first) item where ``mask``
    holds; -1 where none does. ``parents`` must be non-decreasing."""
    positions = np.flatnonzero(mask)
    chosen = positions[run_ends(parents[positions], last=last)]
    index = np.full(size, -1, np.int64)
    index[parents[chosen]] = chosen
    return index


def through(mapping: Index, index: Index) -> Index:
    """``mapping[index]``, keeping -1 (none) as it is."""
    out = np.full(len(index), -1, np.int64)
    hit = index >= 0
    out[hit] = mapping[index[hit]]
    return out


def regroup(values: pa.Array, parents: Index, size: int) -> pa.Array:
    """Items grouped back into one list per parent (``parents`` non-decreasing)."""
    offsets = np.zeros(size + 1, np.int32)
    np.cumsum(np.bincount(parents, minlength=size), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=pa.list_(pa.string()))


def constant(value: str, size: int) -> pa.Array:
    return pa.array([value], pa.string()).take(np.zeros(size, np.int64))


def join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")
