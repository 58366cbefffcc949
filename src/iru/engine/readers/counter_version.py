"""The data version of the counter-messaging analysis: it changes when its inputs do.

:class:`iru.engine.readers.counter.CounterAnalysis` reads the archive (posts, interactions,
follows: new rows bump the archive's generation marker), the assessments and analysts'
labels (who is a supporter), the accounts' profiles and status, and the referrals the
platforms answered ``removed`` (takedowns). :func:`counter_version` is a cheap token of
all of them — one file read and a few ``count``/``max`` queries — for
:class:`iru.engine.readers.background.Background`, so the workbench recomputes the analysis once
per data change, off the request path.
"""

from __future__ import annotations

from sqlalchemy import func, select

from iru.storage.archive import Archive
from iru.storage.database import Database
from iru.storage.schema import accounts, assessments, labels, referral_events

__all__ = ["counter_version"]


def counter_version(database: Database, archive: Archive) -> tuple[str, ...]:
    """A token that changes whenever the counter analysis's inputs change."""
    with database.engine.connect() as conn:
        assessed = conn.execute(
            select(func.count(), func.max(assessments.c.assessed_at)).select_from(assessments)
        ).one()
        labelled = conn.execute(
            select(func.count(), func.max(labels.c.labelled_at)).select_from(labels)
        ).one()
        removed_events = conn.execute(
            select(func.count(), func.max(referral_events.c.event_id)).where(
                referral_events.c.status == "removed"
            )
        ).one()
        profiles = conn.execute(
            select(
                func.count(),
                func.max(accounts.c.observed_at),
                func.count().filter(accounts.c.status == "removed"),
            ).select_from(accounts)
        ).one()
    return (
        archive.generation(),
        *(str(v) for v in (*assessed, *labelled, *removed_events, *profiles)),
    )
