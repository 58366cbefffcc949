"""The platforms' real export formats, written from simulated records.

Each writer is the inverse of one of iru's readers (:mod:`iru.ingest`): what it
writes, the reader maps back to the same records, on every field the format
carries (each module says which it cannot). Output is deterministic: the same
records give byte-identical files.
"""

from iru.sim.writers.activitypub import write_outbox
from iru.sim.writers.telegram import write_telegram_export
from iru.sim.writers.twitter import write_twarc2

__all__ = ["write_outbox", "write_telegram_export", "write_twarc2"]
