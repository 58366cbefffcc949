"""``iru stats`` as a document: the workspace's counts (:mod:`iru.storage.archive_stats`) in JSON form.

The command's ``--format json`` prints this document and its tables show the same
figures, so both come from one :class:`~iru.storage.archive_stats.ArchiveStats`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from iru.storage.archive_stats import ArchiveStats


def stats_document(stats: ArchiveStats) -> dict[str, Any]:
    """The counts as JSON-ready values: per platform, language, day and interaction kind."""
    return {
        "platforms": {p: asdict(counts) for p, counts in stats.platforms},
        "languages": dict(stats.languages),
        "days": [{"day": str(d.day), "platform": d.platform, "posts": d.posts} for d in stats.days],
        "interaction_kinds": dict(stats.interaction_kinds),
        "quarantined": stats.quarantined,
    }


__all__ = ["stats_document"]
