"""Referrals and removal orders: from a referred case to a package the platform acts on.

:meth:`ReferralService.create` preserves the target (:mod:`iru.engine.services.targets`), builds the
package (:mod:`iru.cases.packages`) and stores it as *queued* with its own idempotency key,
in one audited transaction; only then can it be delivered (:mod:`iru.engine.services.delivery`), so
a crash never leaves a package sent that iru does not know of. Platform answers — from a
connector, a callback or an analyst — go through :meth:`ReferralService.apply_event`, which
is idempotent per (referral, platform event number), moves the referral's status, the
case's and the account's, and audits the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from iru.cases.access import Action, CaseScope, PermissionDenied, Principal, authorize
from iru.cases.clocks import time_problem
from iru.cases.connectors import (
    OPEN_STATUSES,
    PlatformEvent,
    StatusError,
    next_status,
)
from iru.cases.evidence import content_address
from iru.cases.holds import blocking
from iru.cases.packages import (
    AuthorityProfile,
    Package,
    build_referral,
    build_removal_order,
    make_package,
)
from iru.cases.tco import (
    Reason,
    TcoFormatError,
    confirmation_from_json,
    impossibility_from_json,
    validate_order,
    validate_referral,
)
from iru.engine.services.cases import Deconflicted, subject
from iru.engine.services.referral_tracking import CASE_STATUS, Deadline, ReferralTracking
from iru.engine.services.targets import TargetCollector
from iru.storage.audit import AUDIT_CHAIN, AuditStore, locked_transaction
from iru.storage.cases import CaseStore
from iru.storage.database import Database
from iru.storage.referrals import ReferralRow, ReferralStore

KINDS = ("referral", "removal_order")
# A platform's word for the account, in the accounts table.
ACCOUNT_STATUS = {"removed": "removed", "restored": "active"}


def _with_form_check(kind: str, event: PlatformEvent) -> str:
    """The event's detail, noting when a removal order's Annex II/III form does not decode."""
    if kind != "removal_order" or not event.form:
        return event.detail
    data = msgspec.json.encode(event.form)
    try:
        if event.status == "removed":
            confirmation_from_json(data)
        else:
            impossibility_from_json(data)
    except TcoFormatError as exc:
        return f"{event.detail} [the platform's form is not valid: {exc}]".strip()
    return event.detail


class ReferralError(ValueError):
    """A referral that cannot be made or changed, with the reason."""


class EventTimeError(ReferralError):
    """A platform event whose time cannot be: no zone, before 2000 or in the future."""


class ReferralService(ReferralTracking):
    """Referral work of one workspace."""

    def __init__(
        self,
        database: Database,
        collector: TargetCollector,
        *,
        target_hours: float = 24,
        authority: AuthorityProfile | None = None,
    ) -> None:
        self.database = database
        self.collector = collector
        self.store = ReferralStore(database)
        self.cases = CaseStore(database)
        self.audit = AuditStore(database)
        self.target_hours = target_hours
        self.authority = authority

    # -- creating --------------------------------------------------------------------------

    def create(
        self,
        principal: Principal,
        platform: str,
        account_id: str,
        *,
        now: datetime,
        kind: str = "referral",
        connector: str = "http",
        reasons: Iterable[Reason] = (Reason.INCITES,),
        additional_reasons: str | None = None,
        non_disclosure: bool = False,
    ) -> ReferralRow:
        """Preserve the target, build its package and queue it for delivery."""
        if kind not in KINDS:
            raise ReferralError(f"unknown kind {kind!r} (use one of {', '.join(KINDS)})")
        authorize(principal, Action.REFERRAL_SEND)
        authorize(principal, Action.EVIDENCE_CAPTURE)
        with self.database.connection() as conn:
            case = self.cases.case(conn, platform, account_id, principal.unit)
            holds = self.cases.holds_on(conn, platform, account_id)
        where = subject(platform, account_id)
        if case is None or case.status not in ("referred", "removed", "rejected", "restored"):
            state_words = "no case" if case is None else f"a case that is {case.status}"
            raise ReferralError(
                f"unit {principal.unit} has {state_words} on {where}: "
                "decide to refer it first (`iru decide ... refer`, approved where four eyes apply)"
            )
        authorize(principal, Action.REFERRAL_SEND, CaseScope(case.unit, case.restricted))
        stop = blocking(holds, principal.unit, now)
        if stop is not None:
            raise Deconflicted(f"{where} is {stop.message}")
        for existing in self.store.find(case_id=case.case_id):
            if existing.kind == kind and existing.status in ("queued", *OPEN_STATUSES):
                raise ReferralError(f"{where} already has {kind} {existing.reference} open")
        if kind == "removal_order" and self.authority is None:
            raise ReferralError(
                "a removal order needs the issuing authority: fill the [authority] table of "
                "iru.toml (docs/referrals.md)"
            )
        target = self.collector.collect(
            platform, account_id, actor=principal.name, unit=principal.unit, now=now
        )
        draft = self._reserve(principal, case.case_id, platform, account_id, kind, connector, now)
        package = self._package(
            kind,
            target,
            draft.reference,
            now,
            reasons=frozenset(reasons),
            additional_reasons=additional_reasons,
            non_disclosure=non_disclosure,
        )
        # What is sent is evidence too: the JSON package and its readable page.
        for data, mime in (
            (package.json_bytes, "application/json"),
            (package.html.encode(), "text/html"),
        ):
            self.collector.evidence.capture(
                where,
                "package",
                data,
                source=f"iru:referrals/{draft.reference}",
                captured_by=principal.name,
                unit=principal.unit,
                mime_type=mime,
                now=now,
            )
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            self.store.update(
                conn,
                draft.referral_id,
                status="queued",
                package_sha256=package.sha256,
                package_json=package.json_bytes.decode(),
                html_sha256=content_address(package.html.encode()),
                updated_at=now,
            )
            self.audit.append_in(
                conn,
                principal.name,
                principal.unit,
                f"{kind}.create",
                where,
                after={
                    "reference": draft.reference,
                    "package_sha256": package.sha256,
                    "evidence": len(target.posts) + (1 if target.profile_sha256 else 0),
                    "connector": connector,
                },
                at=now,
            )
        reference = draft.reference
        found = self.store.get(reference)
        assert found is not None
        return found

    def _reserve(  # noqa: PLR0917 - internal, called once
        self,
        principal: Principal,
        case_id: int,
        platform: str,
        account_id: str,
        kind: str,
        connector: str,
        now: datetime,
    ) -> ReferralRow:
        """A numbered draft (reused when a crashed run left one), so the package can cite it."""
        for existing in self.store.find(case_id=case_id, statuses=("draft",)):
            if existing.kind == kind:
                return existing
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            prefix = f"IRU-{principal.unit}-{now.year}-"
            reference = f"{prefix}{self.store.next_number(conn, prefix):06d}"
            self.store.insert(
                conn,
                reference=reference,
                kind=kind,
                case_id=case_id,
                unit=principal.unit,
                platform=platform,
                account_id=account_id,
                status="draft",
                connector=connector,
                idempotency_key=uuid.uuid4().hex,
                package_sha256="",
                package_json="",
                target_hours=1.0 if kind == "removal_order" else self.target_hours,
                created_by=principal.name,
                created_at=now,
                updated_at=now,
            )
        found = self.store.get(reference)
        assert found is not None
        return found

    def _package(
        self,
        kind: str,
        target: Any,
        reference: str,
        now: datetime,
        *,
        reasons: frozenset[Reason],
        additional_reasons: str | None,
        non_disclosure: bool,
    ) -> Package:
        if kind == "removal_order":
            assert self.authority is not None
            form: Any = build_removal_order(
                target,
                self.authority,
                reference=reference,
                issued_at=now,
                reasons=reasons,
                additional_reasons=additional_reasons,
                non_disclosure=non_disclosure,
            )
        else:
            form = build_referral(
                target,
                reference=reference,
                created_at=now,
                target_response_hours=round(self.target_hours),
            )
        problems = (
            validate_order(form, now=now) if kind == "removal_order" else validate_referral(form)
        )
        if problems:
            raise ReferralError(f"{reference} does not validate: " + "; ".join(problems))
        return make_package(form, target)

    # -- reading ---------------------------------------------------------------------------

    def visible(self, principal: Principal, row: ReferralRow) -> bool:
        """Whether the principal may read this referral (its case's unit and restriction,
        a restriction its predecessors' holds carry included)."""
        case = self.cases.case_by_id(row.case_id)
        restricted = case is None or case.restricted
        try:
            authorize(principal, Action.CASE_READ, CaseScope(row.unit, restricted))
        except PermissionDenied:
            return False
        return True

    def get(self, principal: Principal, reference: str, now: datetime) -> ReferralRow:
        """One referral, for a principal allowed to read it; the read is audited."""
        row = self.store.get(reference)
        if row is None or not self.visible(principal, row):
            raise LookupError(f"no referral {reference} visible to {principal.name}")
        self.audit.append(
            principal.name,
            principal.unit,
            "referral.read",
            subject(row.platform, row.account_id),
            after={"reference": reference},
            at=now,
        )
        return row

    def listing(
        self, principal: Principal, statuses: tuple[str, ...] | None = None
    ) -> list[ReferralRow]:
        authorize(principal, Action.CASE_READ)
        return [r for r in self.store.find(statuses=statuses) if self.visible(principal, r)]

    # -- platform answers ------------------------------------------------------------------

    def apply_event(
        self,
        row: ReferralRow,
        event: PlatformEvent,
        *,
        source: str,
        actor: str,
        now: datetime,
    ) -> bool:
        """Apply one platform event; False when it was applied before (same seq) or is moot.

        An event time outside :func:`iru.cases.clocks.time_problem`'s window (as seen at
        ``now``) is refused with :class:`EventTimeError`, whoever sends it.
        """
        problem = time_problem(event.at, now, f"{event.status} at")
        if problem is not None:
            raise EventTimeError(f"{row.reference}: {problem}")
        with locked_transaction(self.database, AUDIT_CHAIN) as conn:
            current = self.store.get(row.reference, conn)
            assert current is not None
            if event.seq and self.store.has_event(conn, current.referral_id, event.seq):
                return False
            status = current.status
            repeated = event.status == status or (
                event.status == "received" and status not in ("queued", "sent")
            )
            if not repeated:  # a repeat (the platform's own "received") is history only
                try:
                    status = next_status(current.status, event.status)
                except StatusError as exc:
                    raise ReferralError(f"{current.reference}: {exc}") from exc
            self.store.add_event(
                conn,
                referral_id=current.referral_id,
                seq=event.seq or None,
                status=event.status,
                at=event.at,
                detail=_with_form_check(current.kind, event),
                form_json=msgspec.json.encode(event.form).decode() if event.form else None,
                source=source,
                recorded_by=actor,
                recorded_at=now,
            )
            values: dict[str, Any] = {"status": status, "updated_at": now}
            if event.seq:
                values["last_seq"] = max(current.last_seq, event.seq)
            if event.status == "received" and current.received_at is None:
                values["received_at"] = event.at
            if status in ("removed", "rejected") and current.closed_at is None:
                values["closed_at"] = event.at
            self.store.update(conn, current.referral_id, **values)
            if status in CASE_STATUS and status != current.status:
                self.cases.set_status(conn, current.case_id, CASE_STATUS[status], now)
            if status in ACCOUNT_STATUS and status != current.status:
                self.store.set_account_status(
                    conn, current.platform, current.account_id, ACCOUNT_STATUS[status]
                )
            self.audit.append_in(
                conn,
                actor,
                current.unit,
                "referral.status",
                subject(current.platform, current.account_id),
                before={"status": current.status},
                after={
                    "reference": current.reference,
                    "status": status,
                    "event": event.status,
                    "seq": event.seq,
                    "source": source,
                },
                at=now,
            )
        return True

    def record_status(
        self,
        principal: Principal,
        reference: str,
        status: str,
        *,
        at: datetime,
        detail: str,
        now: datetime,
    ) -> ReferralRow:
        """An analyst records what a platform answered (e-mail, phone, the export connector)."""
        authorize(principal, Action.REFERRAL_SEND)
        row = self.store.get(reference)
        if row is None or not self.visible(principal, row):
            raise LookupError(f"no referral {reference} visible to {principal.name}")
        authorize(principal, Action.REFERRAL_SEND, CaseScope(row.unit))
        if row.unit != principal.unit:
            raise PermissionDenied(f"{principal.name} may not change another unit's referral")
        self.apply_event(
            row,
            PlatformEvent(seq=0, status=status, at=at, detail=detail),
            source="analyst",
            actor=principal.name,
            now=now,
        )
        found = self.store.get(reference)
        assert found is not None
        return found


def open_referral(service: ReferralService, case_id: int) -> str | None:
    """The reference of the case's referral that is queued or open, if there is one."""
    for row in service.store.find(case_id=case_id):
        if row.kind == "referral" and row.status in ("queued", *OPEN_STATUSES):
            return row.reference
    return None


__all__ = [
    "KINDS",
    "Deadline",
    "EventTimeError",
    "ReferralError",
    "ReferralRow",
    "ReferralService",
    "open_referral",
]
