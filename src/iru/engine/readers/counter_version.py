"""The data version of the counter-messaging analysis: it changes when its inputs do.

:class:`iru.engine.readers.counter.CounterAnalysis` reads the archive (posts, interactions,
follows: new rows bump the archive's generation marker), the assessments and analysts'
labels (who is a supporter), the accounts' profiles and status, and the referrals the
platforms answered ``removed`` (takedowns). :func:`counter_version` is a cheap token of
all of them — one file read and a few ``count``/``max`` queries
(:meth:`iru.storage.counter_reads.CounterSources.input_stamps`) — for
:class:`iru.engine.readers.background.Background`, so the workbench recomputes the analysis once
per data change, off the request path.
"""

from __future__ import annotations

from dataclasses import fields

from iru.storage.archive import Archive
from iru.storage.counter_reads import CounterSources
from iru.storage.database import Database

__all__ = ["counter_version"]


def counter_version(database: Database, archive: Archive) -> tuple[str, ...]:
    """A token that changes whenever the counter analysis's inputs change."""
    stamps = CounterSources(database).input_stamps()
    return (archive.generation(), *(str(getattr(stamps, f.name)) for f in fields(stamps)))
