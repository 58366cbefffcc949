"""Reads one workspace into the records of :mod:`iru.measure.report` and audits each report.

Scope: a report holds only the cases the acting principal may read
(:func:`iru.cases.access.allowed` with ``case.read``): its own unit's, and other units'
shared (non-restricted) ones. Nothing about another unit's restricted cases enters it,
not even in totals; the report says so. Evidence figures are the principal's unit's own.

Referrals come with their stored events (Annex III grounds from the platform's form),
their deadline clock's state at report time (:meth:`ReferralService.clock` and
:meth:`ReferralService.clock_state`), the case and the refer decision behind them, the
account's language and its first post in the archive. The impact report adds the
archive's per-day propaganda exposures to the at-risk audience (the reach model's
``E(x)``) and the reach the removals cut (:func:`iru.network.reach.reach_removed`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import numpy as np

from iru.cases.access import Action, CaseScope, Principal, allowed, authorize
from iru.domain import utc
from iru.engine.readers.network import ReachReader
from iru.engine.services.referrals import ReferralService
from iru.measure.report import (
    DayPoint,
    EventRecord,
    EvidenceRecord,
    Period,
    ReferralRecord,
    ResurgenceRecord,
    transparency,
)
from iru.measure.report_impact import ReachFigures, impact, in_period, removed_accounts, summary
from iru.network.reach import marginal_gains, reach_removed, total_reach
from iru.storage.account_facts import AccountFacts
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.audit import AuditStore
from iru.storage.cases import CaseRow, CaseStore
from iru.storage.database import Database
from iru.storage.evidence import EvidenceStore
from iru.storage.post_reads import PostReads
from iru.storage.referrals import ReferralRow

SCOPE = (
    "Cases the acting user may read: the unit's own and other units' shared cases; "
    "other units' restricted cases are left out entirely, totals included."
)


class WorkspaceView(Protocol):
    """What a report reads of a workspace (:class:`iru.workspace.Workspace` is one)."""

    @property
    def database(self) -> Database: ...

    @property
    def archive(self) -> Archive: ...

    def referral_service(self) -> ReferralService: ...

    def evidence_store(self) -> EvidenceStore: ...

    def reach_reader(self) -> ReachReader: ...


@dataclass(slots=True)
class Records:
    """What a report is computed from: the principal's visible case data."""

    referrals: list[ReferralRecord]
    resurgences: list[ResurgenceRecord]
    cases: int  # visible cases
    scope: str = SCOPE


def _form_grounds(form_json: str | None) -> tuple[str, ...]:
    if not form_json:
        return ()
    try:
        form = json.loads(form_json)
    except ValueError:
        return ()
    grounds = form.get("grounds") if isinstance(form, dict) else None
    return tuple(sorted(str(g) for g in grounds)) if isinstance(grounds, list) else ()


def _order_facts(row: ReferralRow) -> tuple[tuple[str, ...], bool, str | None]:
    """(Annex I reasons, cross-border, package language) from the stored package."""
    try:
        package = json.loads(row.package_json) if row.package_json else {}
    except ValueError:
        package = {}
    if not isinstance(package, dict):
        return (), False, None
    language = package.get("language") if row.kind == "referral" else None
    if row.kind != "removal_order":
        return (), False, language if isinstance(language, str) else None
    header = package.get("header") or {}
    differs = bool((package.get("cross_border") or {}).get("provider_state_differs")) or (
        header.get("issuing_member_state") != header.get("provider_member_state")
    )
    reasons = tuple(sorted(str(r) for r in (package.get("content") or {}).get("reasons") or ()))
    return reasons, differs, None


def visible_cases(database: Database, principal: Principal) -> dict[int, CaseRow]:
    """The cases the principal may read, by id."""
    authorize(principal, Action.CASE_READ)
    return {
        case.case_id: case
        for case in CaseStore(database).cases()
        if allowed(principal, Action.CASE_READ, CaseScope(case.unit, case.restricted))
    }


def _events(
    service: ReferralService, ids: set[int]
) -> dict[int, list[tuple[str, datetime, str | None]]]:
    return {
        rid: [(e.status, e.at, e.form_json) for e in events]
        for rid, events in service.store.events_of(ids).items()
    }


def _decided(database: Database) -> dict[int, list[datetime]]:
    """When each case's refer decisions came to stand (approval, under four eyes)."""
    found: dict[int, list[datetime]] = {}
    for decision in CaseStore(database).refer_decisions():
        found.setdefault(decision.case_id, []).append(decision.at)
    return found


def _languages(database: Database) -> dict[tuple[str, str], str]:
    found = AccountFacts(database).languages()
    for key, row in DetectionStore(database).by_account().items():
        if row.get("language") and row["language"] != "und":
            found[key] = str(row["language"])
    return found


def _detected(database: Database) -> dict[tuple[str, str], datetime]:
    return {
        key: utc(row["assessed_at"])
        for key, row in DetectionStore(database).by_account().items()
        if row["label"] == "supporter"
    }


def first_seen(archive: Archive, keys: list[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """Each account's first post in the archive."""
    return PostReads(archive).first_posts(keys)


def load(ws: WorkspaceView, principal: Principal, now: datetime) -> Records:
    """The principal's visible referrals (drafts left out) and resurgences, as records."""
    cases = visible_cases(ws.database, principal)
    service = ws.referral_service()
    rows = [r for r in service.store.find() if r.case_id in cases and r.status != "draft"]
    events = _events(service, {r.referral_id for r in rows})
    decided = _decided(ws.database)
    languages = _languages(ws.database)
    detected = _detected(ws.database)
    seen = first_seen(ws.archive, sorted({(r.platform, r.account_id) for r in rows}))
    records = []
    for row in rows:
        key = (row.platform, row.account_id)
        case = cases[row.case_id]
        reasons, cross_border, package_language = _order_facts(row)
        before = [t for t in decided.get(row.case_id, ()) if t <= row.created_at]
        marks = [t for t in (case.opened_at, detected.get(key)) if t is not None]
        clock = service.clock_state(row, now).status if row.received_at else None
        usable = clock != "invalid"  # an impossible stored time: no duration comes of it
        records.append(
            ReferralRecord(
                reference=row.reference,
                kind=row.kind,
                platform=row.platform,
                account_id=row.account_id,
                language=languages.get(key) or package_language or "und",
                status=row.status,
                created_at=row.created_at,
                sent_at=row.sent_at,
                received_at=row.received_at if usable else None,
                events=tuple(
                    EventRecord(status, at, _form_grounds(form))
                    for status, at, form in (events.get(row.referral_id, ()) if usable else ())
                ),
                clock_status=clock,
                order_reasons=reasons,
                cross_border=cross_border,
                case_opened_at=case.opened_at,
                decided_at=max(before) if before else None,
                first_seen=seen.get(key),
                detected_at=min(marks) if marks else None,
            )
        )
    return Records(records, _resurgences(ws.database, cases, records), len(cases))


def _resurgences(
    database: Database, cases: dict[int, CaseRow], rows: list[ReferralRecord]
) -> list[ResurgenceRecord]:
    """Resurgence links on a visible case or a visible referred predecessor."""
    removed = dict(removed_accounts(rows))
    referred: dict[tuple[str, str], datetime] = {}
    for row in rows:
        key = (row.platform, row.account_id)
        referred[key] = min(row.created_at, referred.get(key, row.created_at))
    with_case = {(c.platform, c.account_id) for c in cases.values()}
    found = []
    for link in DetectionStore(database).links():
        key = (str(link["platform"]), str(link["account_id"]))
        before = (key[0], str(link["predecessor_id"]))
        if key not in with_case and before not in referred:
            continue
        first_post = link.get("first_post_at")
        found.append(
            ResurgenceRecord(
                platform=key[0],
                account_id=key[1],
                predecessor_id=before[1],
                linked_at=utc(link["linked_at"]),
                first_post_at=utc(first_post) if first_post is not None else None,
                predecessor_removed_at=removed.get(before),
                rereferred_at=referred.get(key),
            )
        )
    return found


def evidence_records(store: EvidenceStore) -> list[EvidenceRecord]:
    return [
        EvidenceRecord(e.action, e.sha256, e.size, e.at, e.kind, e.unit) for e in store.entries()
    ]


def exposure_series(reader: ReachReader) -> tuple[list[DayPoint], ReachFigures, Any]:
    """Per-day exposures and active supporters, the reach inputs and their window."""
    inputs, window = reader.inputs()
    days = PostReads(reader.archive).supporter_days(inputs.keys, inputs.exposure, inputs.supporter)
    points = [DayPoint(date.fromisoformat(d.day), d.exposure, d.active) for d in days]
    return points, ReachFigures(total_reach(inputs), 0.0, (), window.days), inputs


def _reach(inputs: Any, base: ReachFigures, rows: list[ReferralRecord]) -> ReachFigures:
    """What removing the referred-and-removed accounts cut, each removal's gain in order."""
    index = {key: i for i, key in enumerate(inputs.keys)}
    order = [(index[key], at) for key, at in removed_accounts(rows) if key in index]
    nodes = [i for i, _ in order]
    gains = marginal_gains(inputs, nodes) if nodes else np.zeros(0)
    return ReachFigures(
        total=base.total,
        removed=reach_removed(inputs, nodes),
        gains=tuple((at, float(g)) for (_, at), g in zip(order, gains, strict=True)),
        window_days=base.window_days,
    )


def transparency_figures(
    ws: WorkspaceView, principal: Principal, period: Period, now: datetime, *, output: str = ""
) -> dict[str, Any]:
    """The transparency report's figures for ``period``; audited as ``report.transparency``."""
    records = load(ws, principal, now)
    figures = transparency(
        records.referrals,
        records.resurgences,
        evidence_records(ws.evidence_store()),
        unit=principal.unit,
        period=period,
        now=now,
    )
    figures["scope"] = records.scope
    _audit(ws, principal, "report.transparency", period.label, figures["totals"], output, now)
    return figures


def impact_figures(
    ws: WorkspaceView,
    principal: Principal,
    now: datetime,
    *,
    period: Period | None = None,
    output: str = "",
    audited: bool = True,
) -> dict[str, Any]:
    """The impact report's figures; audited as ``report.impact`` unless ``audited`` is off."""
    records = load(ws, principal, now)
    series, base, inputs = exposure_series(ws.reach_reader())
    reach = _reach(inputs, base, in_period(records.referrals, period))
    figures = impact(
        records.referrals,
        records.resurgences,
        series,
        reach,
        now=now,
        unit=principal.unit,
        period=period,
    )
    figures["scope"] = records.scope
    if audited:
        label = period.label if period else "all"
        _audit(ws, principal, "report.impact", label, figures["outcomes"], output, now)
    return figures


def impact_summary(ws: WorkspaceView, principal: Principal) -> dict[str, Any]:
    """Small JSON-able impact figures for the dashboard (not audited: aggregates only)."""
    figures = impact_figures(ws, principal, datetime.now(UTC), audited=False)
    return {**summary(figures), "scope": figures["scope"], "generated_at": figures["generated_at"]}


def _audit(  # noqa: PLR0917 - internal
    ws: WorkspaceView,
    principal: Principal,
    action: str,
    label: str,
    totals: dict[str, Any],
    output: str,
    now: datetime,
) -> None:
    AuditStore(ws.database).append(
        principal.name,
        principal.unit,
        action,
        f"report:{label}",
        after={"period": label, "output": output, **totals},
        at=now,
    )


__all__ = [
    "SCOPE",
    "Records",
    "WorkspaceView",
    "evidence_records",
    "exposure_series",
    "first_seen",
    "impact_figures",
    "impact_summary",
    "load",
    "transparency_figures",
    "visible_cases",
]
