"""The triage queue as people see it: one :class:`QueueRow` per account, for the CLI and the web.

``iru queue`` and the workbench's queue (page and API) both show the case service's
queue (:meth:`iru.engine.services.cases.CaseService.queue`, audited as ``queue.read``);
they build their rows here, rounded once, and differ only in how they print them:
:meth:`QueueRow.cli` (a position, the reasons joined) and :meth:`QueueRow.web` (the
reasons as a list, the resurgence flag).

The workbench asks for the queue with every page view, so it keeps a :class:`UnitQueue`
per unit and data version (:func:`unit_queue`: the same accounts, in the same order, as
the case service's queue) and answers each filter and sort from it
(:meth:`UnitQueue.rows_for`); it audits each read itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iru.cases.access import Principal
from iru.cases.triage import Candidate, QueueItem, build_queue

if TYPE_CHECKING:
    from iru.engine.services.cases import CaseService


@dataclass(frozen=True)
class QueueRow:
    """One account in the queue, with its figures rounded as shown."""

    platform: str
    account_id: str
    handle: str
    score: float  # detection confidence, 4 places
    impact: float  # share of the at-risk reach its removal cuts, 5 places
    urgency: float  # 3 places
    priority: float  # impact × confidence × urgency, 6 places
    language: str
    why: tuple[str, ...]  # one-line reasons for the place in the queue
    resurgent: bool  # replaces an account already removed

    @classmethod
    def of(cls, item: QueueItem) -> QueueRow:
        c = item.candidate
        return cls(
            platform=c.platform,
            account_id=c.account_id,
            handle=c.handle,
            score=round(c.confidence, 4),
            impact=round(c.impact, 5),
            urgency=round(item.urgency, 3),
            priority=round(item.priority, 6),
            language=c.language,
            why=tuple(item.why),
            resurgent=c.predecessor_removed,
        )

    def _figures(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "account_id": self.account_id,
            "handle": self.handle,
            "score": self.score,
            "impact": self.impact,
            "urgency": self.urgency,
            "priority": self.priority,
            "language": self.language,
        }

    def cli(self, position: int) -> dict[str, Any]:
        """The row of ``iru queue`` (its columns: position, ..., why as one string)."""
        return {"position": position, **self._figures(), "why": "; ".join(self.why)}

    def web(self) -> dict[str, Any]:
        """The row of the workbench's queue (page and ``/api/v1/queue``), before its position."""
        return {**self._figures(), "why": list(self.why), "resurgent": self.resurgent}


def queue_rows(items: Iterable[QueueItem]) -> list[QueueRow]:
    return [QueueRow.of(i) for i in items]


def reference_time(now: datetime, newest: datetime | None) -> datetime:
    """Urgency is measured from the newest data when it is older than now (a replay or a
    simulated world), so that recency still orders the queue."""
    return min(now, newest) if newest is not None else now


def triage_rows(
    cases: CaseService,
    principal: Principal,
    candidates: list[Candidate],
    reference: datetime,
    *,
    platforms: Sequence[str] = (),
    languages: Sequence[str] = (),
) -> list[QueueRow]:
    """The principal's queue in priority order (audited ``queue.read`` by the case service)."""
    items = cases.queue(principal, candidates, reference, platforms=platforms, languages=languages)
    return queue_rows(items)


#: The workbench's sort keys (any other sort keeps the priority order).
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "priority": lambda i: i["priority"],
    "score": lambda i: i["score"],
    "impact": lambda i: i["impact"],
    "language": lambda i: i["language"],
}


@dataclass(frozen=True)
class UnitQueue:
    """One unit's queue at one data version: its rows in priority order."""

    rows: tuple[QueueRow, ...]
    platforms: tuple[str, ...]  # of every candidate (the filter's choices)
    languages: tuple[str, ...]
    reference: datetime  # the time urgency was measured from

    def rows_for(
        self, platform: str = "", language: str = "", sort: str = "priority", order: str = "desc"
    ) -> list[dict[str, Any]]:
        """The workbench's rows (:meth:`QueueRow.web` with their ``position`` in the
        filtered priority order) filtered and sorted; a new list of new rows."""
        rows = [
            r.web()
            for r in self.rows
            if (not platform or r.platform == platform) and (not language or r.language == language)
        ]
        for n, row in enumerate(rows, start=1):
            row["position"] = n
        if sort in SORTS and not (sort == "priority" and order == "desc"):
            rows.sort(key=SORTS[sort], reverse=order == "desc")
        return rows


def unit_queue(
    cases: Iterable[Any], unit: str, candidates: Sequence[Candidate], reference: datetime
) -> UnitQueue:
    """``unit``'s queue (every case ``cases`` given, any unit's): the candidates without a
    standing decision of the unit, in triage order, as
    :meth:`~iru.engine.services.cases.CaseService.queue` gives them (neither authorised
    nor audited here: the caller does both)."""
    decided = {(c.platform, c.account_id) for c in cases if c.unit == unit and c.status != "open"}
    items = build_queue(
        [c for c in candidates if (c.platform, c.account_id) not in decided], reference
    )
    return UnitQueue(
        rows=tuple(queue_rows(items)),
        platforms=tuple(sorted({c.platform for c in candidates})),
        languages=tuple(sorted({c.language for c in candidates})),
        reference=reference,
    )


__all__ = [
    "SORTS",
    "QueueRow",
    "UnitQueue",
    "queue_rows",
    "reference_time",
    "triage_rows",
    "unit_queue",
]
