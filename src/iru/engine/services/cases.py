"""The case service: users, the triage queue, decisions, holds and approvals, audited.

Every method takes the acting :class:`~iru.cases.access.Principal`, checks its
permission first (:func:`~iru.cases.access.authorize`), and writes its change and the
audit event in one transaction (the audit chain's lock held), so that no change is
ever stored without its record. A decision to refer or dismiss becomes a training
label (source ``decision:<unit>``), which ``iru train`` reads with the imported ones:
``supporter`` for a referral, ``not_supporter`` for a dismissal, or ``counter_speech``
when the analyst dismisses an account that speaks against the propaganda.

A decision needs an account iru holds (a stored profile, an assessment, a post in the
archive or a case already open on it): a typo never opens a case. Deciding again what
stands — the same user, the same decision on the same account, its case still in the
state that decision left it — is a retry (a command killed and run again): nothing is
recorded twice and the result says so (:attr:`DecisionResult.repeated`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iru.cases.access import (
    Action,
    CaseScope,
    PermissionDenied,
    Principal,
    Role,
    allowed,
    authorize,
)
from iru.cases.holds import Hold, blocking, new_hold
from iru.cases.triage import Candidate, QueueItem, build_queue
from iru.engine.services.case_reads import read_case, standing_decision, subject
from iru.storage.archive import Archive
from iru.storage.audit import AUDIT_CHAIN, AuditStore, locked_transaction
from iru.storage.cases import CaseRow, CaseStore
from iru.storage.database import Database

DECISIONS = ("refer", "dismiss", "monitor", "hold")
# Decisions that say what the account is: they become training labels.
LABEL_OF = {"refer": "supporter", "dismiss": "not_supporter"}
# The training labels a dismissal may give instead of its default (``LABEL_OF``).
DISMISS_LABELS = ("not_supporter", "counter_speech")


class Deconflicted(PermissionError):
    """Another unit holds the account; the message says whom to contact, nothing more."""


class UnknownUser(LookupError):
    """No such user (or the workspace has none yet)."""


class UnknownAccount(LookupError):
    """iru holds nothing of the account: no case is opened on it."""


@dataclass(frozen=True, slots=True)
class DecisionResult:
    case_id: int
    status: str  # the case's new status
    decision_id: int
    label: str | None  # the training label it gave, if any
    repeated: bool = False  # a retry of the decision that stands: nothing was recorded


def training_label(decision: str, label: str | None = None) -> str | None:
    """The training label ``decision`` gives: ``label`` when chosen (dismissals only).

    A dismissal says "not a supporter" (``not_supporter``) unless the analyst says more:
    ``counter_speech``, an account that speaks against the propaganda.
    """
    if label is None:
        return LABEL_OF.get(decision)
    if decision != "dismiss":
        raise ValueError(f"a training label ({label!r}) may only be chosen with dismiss")
    if label not in DISMISS_LABELS:
        raise ValueError(
            f"a dismissal's label must be one of {', '.join(DISMISS_LABELS)}, got {label!r}"
        )
    return label


class CaseService:
    """Case work of one workspace."""

    def __init__(
        self, database: Database, *, four_eyes: bool = False, archive: Archive | None = None
    ) -> None:
        self.database = database
        self.store = CaseStore(database)
        self.audit = AuditStore(database)
        self.four_eyes = four_eyes
        self.archive = archive  # where posts are held: an author there is a known account

    # -- users ------------------------------------------------------------------------------

    def principal(self, name: str) -> Principal:
        found = self.store.principal(name) if name else None
        if found is None:
            raise UnknownUser(
                f"unknown user {name!r}: add one with `iru users add NAME --role ... --unit ...`"
                if name
                else "no user given: pass --user NAME or set IRU_USER"
            )
        return found

    def add_user(
        self,
        actor: Principal | None,
        name: str,
        role: Role,
        unit: str,
        now: datetime,
        *,
        unit_name: str = "",
        contact: str = "",
    ) -> None:
        """Add a user; the very first one (an admin, to bootstrap) needs no actor."""
        bootstrap = self.store.user_count() == 0
        if bootstrap:
            if role is not Role.ADMIN:
                raise PermissionDenied("the first user of a workspace must be an admin")
        else:
            if actor is None:
                raise PermissionDenied("adding a user needs an acting admin (--user)")
            authorize(actor, Action.USERS_MANAGE)
        if self.store.principal(name) is not None:
            raise ValueError(f"user {name!r} exists already")
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            self.store.ensure_unit(conn, unit, unit_name, contact, now)
            self.store.add_user(conn, name, role, unit, now)
            self.audit.append_in(
                conn,
                actor.name if actor else name,
                actor.unit if actor else unit,
                "users.add",
                f"user:{name}",
                after={"role": role.value, "unit": unit},
                at=now,
            )

    # -- the queue --------------------------------------------------------------------------

    def queue(
        self, principal: Principal, candidates: list[Candidate], now: datetime, **filters: Any
    ) -> list[QueueItem]:
        """The principal's queue: accounts without a standing decision of its unit."""
        authorize(principal, Action.CASE_READ)
        decided = {
            (c.platform, c.account_id)
            for c in self.store.cases()
            if c.unit == principal.unit and c.status != "open"
        }
        items = build_queue(
            [c for c in candidates if (c.platform, c.account_id) not in decided], now, **filters
        )
        self.audit.append(
            principal.name,
            principal.unit,
            "queue.read",
            f"unit:{principal.unit}",
            after={"items": len(items)},
            at=now,
        )
        return items

    # -- decisions --------------------------------------------------------------------------

    def decide(
        self,
        principal: Principal,
        platform: str,
        account_id: str,
        *,
        decision: str,
        reason: str,
        now: datetime,
        contact: str = "",
        hold_until: datetime | None = None,
        label: str | None = None,
    ) -> DecisionResult:
        """Record ``decision`` on the account for the principal's unit.

        ``label`` chooses the training label of a dismissal (see :func:`training_label`);
        a dismissal is never pending, so the label is stored at once.
        """
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r} (use one of {', '.join(DECISIONS)})")
        given = training_label(decision, label)
        if not reason.strip():
            raise ValueError("a decision needs a reason")
        authorize(principal, Action.CASE_DECIDE)
        if decision == "hold":
            authorize(principal, Action.HOLD_PLACE)
        if not self.account_known(platform, account_id):
            raise UnknownAccount(
                f"iru holds nothing of {subject(platform, account_id)}: no case opened "
                "(ingest the account first, or check PLATFORM:ACCOUNT_ID)"
            )
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            case = self.store.case(conn, platform, account_id, principal.unit, now)
            if case is not None:
                authorize(principal, Action.CASE_DECIDE, CaseScope(case.unit, case.restricted))
                standing = standing_decision(
                    self.store, conn, case, principal, decision, label=given, now=now
                )
                if standing is not None:  # a retry: the same decision stands, record nothing
                    return DecisionResult(case.case_id, case.status, standing, given, True)
            if decision == "refer":
                stop = blocking(
                    self.store.holds_on(conn, platform, account_id), principal.unit, now
                )
                if stop is not None:
                    self.audit.append_in(
                        conn,
                        principal.name,
                        principal.unit,
                        "case.refer_blocked",
                        subject(platform, account_id),
                        after={"holding_unit": stop.unit},
                        at=now,
                    )
                    conn.commit()
                    raise Deconflicted(f"{subject(platform, account_id)} is {stop.message}")
            if case is None:
                case = self.store.open_case(
                    conn, platform, account_id, unit=principal.unit, user=principal.name, now=now
                )
            status, restricted, approved_by = self._outcome(principal, decision)
            if decision == "hold":
                hold = new_hold(
                    platform,
                    account_id,
                    unit=principal.unit,
                    contact=contact or self.store.unit_contact(principal.unit),
                    reason=reason,
                    placed_by=principal.name,
                    now=now,
                    expires_at=hold_until,
                )
                self.store.add_hold(conn, hold)
            decision_id = self.store.add_decision(
                conn,
                case.case_id,
                decision=decision,
                reason=reason,
                user=principal.name,
                now=now,
                approved_by=approved_by,
            )
            self.store.set_status(conn, case.case_id, status, now, restricted)
            if given is not None:
                self.store.set_decision_label(
                    conn, platform, account_id, unit=principal.unit, label=given, now=now
                )
            after = {"status": status, "decision": decision, "reason": reason}
            if label is not None:
                after["label"] = label
            self.audit.append_in(
                conn,
                principal.name,
                principal.unit,
                "case.decide",
                subject(platform, account_id),
                before={"status": case.status},
                after=after,
                at=now,
            )
        return DecisionResult(case.case_id, status, decision_id, given)

    def account_known(self, platform: str, account_id: str) -> bool:
        """Whether iru holds the account: a profile, an assessment, a resurgence link, a
        case, or (with an archive) a post of it."""
        if self.store.account_known(platform, account_id):
            return True
        return self.archive is not None and self.archive.has_posts_of(platform, account_id)

    def approve(
        self, principal: Principal, platform: str, account_id: str, now: datetime
    ) -> DecisionResult:
        """A supervisor approves its unit's pending referral (the four-eyes rule)."""
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            case = self.store.case(conn, platform, account_id, principal.unit)
            if case is None:
                raise LookupError(
                    f"unit {principal.unit} has no case on {subject(platform, account_id)}"
                )
            authorize(principal, Action.CASE_APPROVE, CaseScope(case.unit, case.restricted))
            pending = self.store.pending_referral(conn, case.case_id)
            if pending is None or case.status != "pending_approval":
                raise LookupError(f"no referral awaits approval on {subject(platform, account_id)}")
            if pending["decided_by"] == principal.name:
                raise PermissionDenied("four eyes: a referral is approved by someone else")
            stop = blocking(self.store.holds_on(conn, platform, account_id), principal.unit, now)
            if stop is not None:
                raise Deconflicted(f"{subject(platform, account_id)} is {stop.message}")
            self.store.approve(conn, int(pending["decision_id"]), principal.name, now)
            self.store.set_status(conn, case.case_id, "referred", now)
            self.audit.append_in(
                conn,
                principal.name,
                principal.unit,
                "case.approve",
                subject(platform, account_id),
                before={"status": case.status},
                after={"status": "referred"},
                at=now,
            )
        return DecisionResult(case.case_id, "referred", int(pending["decision_id"]), "supporter")

    def read_case(self, principal: Principal, case: CaseRow, now: datetime) -> dict[str, Any]:
        """A case with its decisions and its history, each read audited (see
        :func:`~iru.engine.services.case_reads.read_case`)."""
        return read_case(
            self.store, self.audit, self.database, principal=principal, case=case, now=now
        )

    # -- holds -------------------------------------------------------------------------------

    def holds(self, principal: Principal) -> list[tuple[int, Hold]]:
        """The principal's unit's holds (others' holds are never listed)."""
        authorize(principal, Action.CASE_READ)
        return self.store.holds_of(principal.unit)

    def lift_hold(self, principal: Principal, hold_id: int, reason: str, now: datetime) -> Hold:
        """A supervisor of the holding unit lifts its hold; audited with the reason."""
        if not reason.strip():
            raise ValueError("lifting a hold needs a reason")
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            hold = self.store.hold_by_id(conn, hold_id)
            if hold is None or hold.unit != principal.unit:
                raise LookupError(f"unit {principal.unit} has no hold {hold_id}")
            authorize(principal, Action.HOLD_LIFT, CaseScope(hold.unit, restricted=True))
            if hold.lifted_at is not None:
                raise ValueError(f"hold {hold_id} was lifted already")
            self.store.lift_hold(conn, hold_id, now)
            self.audit.append_in(
                conn,
                principal.name,
                principal.unit,
                "hold.lift",
                subject(hold.platform, hold.account_id),
                before={"hold_id": hold_id, "expires_at": hold.expires_at.isoformat()},
                after={"lifted_at": now.isoformat(), "reason": reason},
                at=now,
            )
        return hold

    # -- resurgence -------------------------------------------------------------------------

    def reopen_resurgent(
        self, links: list[dict[str, Any]], now: datetime
    ) -> list[tuple[CaseRow, CaseRow]]:
        """Open a case on each new account linked to a referred or removed one, per unit.

        The new case names its predecessor's case, so the history (decisions, referrals,
        evidence) travels with it; it is restricted while the predecessor's unit holds the
        predecessor (the hold carries, see :mod:`iru.storage.cases`), and its history
        shows another unit nothing of a restricted predecessor. Returns (predecessor
        case, new case) pairs; audited as ``case.reopen`` by ``system``.
        """
        ended = ("referred", "removed", "restored")
        by_account: dict[tuple[str, str], list[CaseRow]] = {}
        for case in self.store.cases(now):
            by_account.setdefault((case.platform, case.account_id), []).append(case)
        opened: list[tuple[CaseRow, CaseRow]] = []
        for link in links:
            platform, new_id = str(link["platform"]), str(link["account_id"])
            for old in by_account.get((platform, str(link["predecessor_id"])), []):
                if old.status not in ended:
                    continue
                if any(c.unit == old.unit for c in by_account.get((platform, new_id), [])):
                    continue
                with locked_transaction(self.database, AUDIT_CHAIN) as conn:
                    if self.store.case(conn, platform, new_id, old.unit) is not None:
                        continue
                    new = self.store.open_case(
                        conn,
                        platform,
                        new_id,
                        unit=old.unit,
                        user="system:resurgence",
                        now=now,
                        predecessor_case_id=old.case_id,
                    )
                    self.audit.append_in(
                        conn,
                        "system:resurgence",
                        old.unit,
                        "case.reopen",
                        subject(platform, new_id),
                        after={
                            "predecessor": subject(platform, old.account_id),
                            "predecessor_case_id": old.case_id,
                            "confidence": float(link.get("confidence") or 0.0),
                        },
                        at=now,
                    )
                by_account.setdefault((platform, new_id), []).append(new)
                opened.append((old, new))
        return opened

    def visible_cases(self, principal: Principal, now: datetime) -> list[CaseRow]:
        """Every case the principal may read; the export itself is audited."""
        authorize(principal, Action.CASE_READ)
        found = [
            c
            for c in self.store.cases(now)
            if allowed(principal, Action.CASE_READ, CaseScope(c.unit, c.restricted))
        ]
        self.audit.append(
            principal.name,
            principal.unit,
            "export.cases",
            f"unit:{principal.unit}",
            after={"cases": len(found)},
            at=now,
        )
        return found

    # -- helpers ----------------------------------------------------------------------------

    def _outcome(self, principal: Principal, decision: str) -> tuple[str, bool | None, str | None]:
        """(status, restricted, approved_by) of a decision by ``principal``."""
        if decision == "refer":
            if self.four_eyes and principal.role is not Role.SUPERVISOR:
                return "pending_approval", None, None
            return "referred", None, principal.name
        if decision == "hold":
            return "hold", True, None  # an investigation's case is visible to its unit only
        return {"dismiss": "dismissed", "monitor": "monitor"}[decision], None, None


__all__ = [
    "DECISIONS",
    "DISMISS_LABELS",
    "CaseService",
    "DecisionResult",
    "Deconflicted",
    "UnknownAccount",
    "UnknownUser",
    "subject",
    "training_label",
]
