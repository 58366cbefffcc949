"""Reading a case with its history, and recognising a decision that stands already.

Both are parts of :class:`~iru.engine.services.cases.CaseService` kept apart for size: a case's
history (the cases it resurged from) is access-checked case by case, and every read is
audited; a decision repeated while it still stands (a command killed and run again)
is recognised so that nothing is recorded twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from iru.cases.access import Action, CaseScope, Principal, allowed, authorize
from iru.storage.audit import AUDIT_CHAIN, AuditStore, locked_transaction
from iru.storage.cases import CaseRow, CaseStore
from iru.storage.database import Database, Transaction

# The status each decision leaves a case in (a refer under four eyes: pending_approval).
STATUS_OF = {"refer": "referred", "dismiss": "dismissed", "monitor": "monitor", "hold": "hold"}


def subject(platform: str, account_id: str) -> str:
    return f"{platform}:{account_id}"


def standing_decision(
    store: CaseStore,
    conn: Transaction,
    case: CaseRow,
    principal: Principal,
    decision: str,
    *,
    label: str | None,
    now: datetime,
) -> int | None:
    """The id of the case's last decision when ``decision`` repeats it, else None.

    A repeat: the same user made the same decision last, and the case is still in the
    state that decision left it (a referral: pending approval, or referred once
    approved); a hold still stands; a dismissal gave the same training label.
    """
    last = store.last_decision(conn, case.case_id)
    if last is None or last["decision"] != decision or last["decided_by"] != principal.name:
        return None
    produced = {"referred", "pending_approval"} if decision == "refer" else set()
    produced.add(STATUS_OF[decision])
    if case.status not in produced:
        return None
    if decision == "hold" and not any(
        h.unit == principal.unit and h.active(now)
        for h in store.holds_on(conn, case.platform, case.account_id)
    ):
        return None
    if decision == "dismiss" and (
        store.decision_label(conn, case.platform, case.account_id, principal.unit) != label
    ):
        return None
    return int(last["decision_id"])


def read_case(
    store: CaseStore,
    audit: AuditStore,
    database: Database,
    *,
    principal: Principal,
    case: CaseRow,
    now: datetime,
) -> dict[str, Any]:
    """A case with its decisions and its history, each read audited.

    The history (the cases it resurged from) is checked case by case, as any read: a
    predecessor the principal may not read is given as ``{"restricted": True}``, with
    nothing of it, and the walk stops there (what lies beyond is the same unit's).
    """
    case = store.case_by_id(case.case_id, now) or case  # its restriction now
    authorize(principal, Action.CASE_READ, CaseScope(case.unit, case.restricted))
    history: list[dict[str, Any]] = []
    read = [case]
    refused: CaseRow | None = None
    seen = {case.case_id}
    previous = case.predecessor_case_id
    while previous is not None and previous not in seen:  # the chain of resurgences
        seen.add(previous)
        earlier = store.case_by_id(previous, now)
        if earlier is None:
            break
        if not allowed(principal, Action.CASE_READ, CaseScope(earlier.unit, earlier.restricted)):
            history.append({"restricted": True, "case": None, "decisions": []})
            refused = earlier
            break
        history.append({"case": earlier, "decisions": store.decisions_of(previous)})
        read.append(earlier)
        previous = earlier.predecessor_case_id
    with locked_transaction(database, AUDIT_CHAIN) as conn:
        for shown in read:
            audit.append_in(
                conn,
                principal.name,
                principal.unit,
                "case.read",
                subject(shown.platform, shown.account_id),
                after=None if shown is case else {"as_history_of": case.case_id},
                at=now,
            )
        if refused is not None:
            audit.append_in(
                conn,
                principal.name,
                principal.unit,
                "case.read_refused",
                subject(case.platform, case.account_id),
                after={"history": "restricted"},
                at=now,
            )
    return {"case": case, "decisions": store.decisions_of(case.case_id), "history": history}
