"""Accounts in columns, as bulk batches bring them: the record check, the snapshots a run
already stored, and the Account records built only for the accounts sent to the database.

The database keeps an account's newest snapshot (by ``observed_at``): a dated snapshot
no newer than one this run stored cannot change the row, so :class:`StoredSnapshots`
lets the engine skip it before it becomes a record, for a column of thousands at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import repeat

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from iru.domain import Account, utc
from iru.ingest.sanitise import _suspect_mask, platform_problem

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER = int(np.iinfo(np.int64).min)  # no snapshot stored yet


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, the unit of the archive's timestamps."""
    return (utc(moment) - _EPOCH) // timedelta(microseconds=1)


def suspect_rows(rows: pa.Table) -> pa.ChunkedArray | None:
    """Which account rows :func:`check_record` would clean or refuse (None: none would):
    the bulk tables' check (:func:`iru.ingest.sanitise.check_table`), and the platform."""
    flagged = _suspect_mask(rows)
    platforms = rows.column("platform")
    bad = [p for p in pc.unique(platforms).to_pylist() if p is None or platform_problem(p)]
    if bad:
        wrong = pc.fill_null(pc.is_in(platforms, value_set=pa.array(bad, pa.string())), True)
        flagged = wrong if flagged is None else pc.or_(flagged, wrong)
    return flagged


def account_records(rows: pa.Table) -> list[Account]:
    """Account records from their columns, times in UTC (``datetime.UTC``, as the
    per-record path gives them)."""
    columns = []
    for name in Account.__struct_fields__:
        column = rows.column(name)
        if pa.types.is_timestamp(column.type):
            # Naive, then marked UTC: several times faster than Arrow's zone-aware values.
            naive = pc.cast(column, pa.timestamp("us")).to_pylist()
            columns.append([None if t is None else t.replace(tzinfo=UTC) for t in naive])
        else:
            columns.append(column.to_pylist())
    names = Account.__struct_fields__
    return [
        Account(**dict(zip(names, values, strict=True))) for values in zip(*columns, strict=True)
    ]


class StoredSnapshots:
    """platform -> account id -> the newest ``observed_at`` this run stored (microseconds)."""

    def __init__(self) -> None:
        self._newest: dict[str, dict[str, int]] = {}

    def is_newer(self, account: Account) -> bool:
        """Whether storing ``account`` could change its row (an undated one always could)."""
        if account.observed_at is None:
            return True
        known = self._newest.get(account.platform, {}).get(account.account_id)
        return known is None or micros(account.observed_at) > known

    def remember(self, accounts: list[Account]) -> None:
        for account in accounts:
            if account.observed_at is not None:
                newest = self._newest.setdefault(account.platform, {})
                newest[account.account_id] = micros(account.observed_at)

    def newer_rows(self, rows: pa.Table) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """:meth:`is_newer` for every row, and each row's ``observed_at`` in microseconds."""
        observed = pc.cast(rows.column("observed_at"), pa.int64())
        stamps = pc.fill_null(observed, _NEVER).to_numpy(zero_copy_only=False)
        platforms = rows.column("platform")
        ids = rows.column("account_id").to_pylist()
        stored = np.full(rows.num_rows, _NEVER, np.int64)
        for platform in pc.unique(platforms).to_pylist():
            known = self._newest.get(platform)
            if known:
                at = np.flatnonzero(pc.equal(platforms, platform).to_numpy(zero_copy_only=False))
                keys = ids if len(at) == len(ids) else [ids[i] for i in at]
                stored[at] = np.fromiter(map(known.get, keys, repeat(_NEVER)), np.int64, len(at))
        fresh = pc.is_null(observed).to_numpy(zero_copy_only=False) | (stamps > stored)
        return fresh, stamps

    def remember_rows(self, rows: pa.Table, stamps: npt.NDArray[np.int64]) -> None:
        """Remember ``rows`` as stored (``stamps`` from :meth:`newer_rows`, for these rows)."""
        dated = np.flatnonzero(stamps != _NEVER)
        platforms = pc.take(rows.column("platform"), pa.array(dated)).to_pylist()
        ids = pc.take(rows.column("account_id"), pa.array(dated)).to_pylist()
        for platform, account_id, stamp in zip(platforms, ids, stamps[dated].tolist(), strict=True):
            self._newest.setdefault(platform, {})[account_id] = stamp
