"""Sharing exports from a workspace: the referred accounts a user may read, as STIX or MISP.

:func:`gather_targets` collects one :class:`~iru.cases.sharing.SharedTarget` per referred
account: cases with status ``referred`` (optionally of one unit) that the acting user may
read (``case.read`` on the case's unit and restriction; the others are counted, never
shown), the referral decision's time (its approval under four eyes), the handle and
display name, the
stored assessment, the evidence captures about ``platform:account_id`` that the user's
unit may read and that are still held (purged items are not shared), the strongest
resurgence link, and the known-content hashes the account's media matched (known-media
signals in the archive, and evidence whose SHA-256 is on a hash list). The analyst's
free-text reason is not read at all.

:func:`export_shared` builds the document, writes it to a temporary file next to the
target, records an ``export.stix``/``export.misp`` audit event with the file's SHA-256,
and only then renames the file into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from iru.cases.access import Action, CaseScope, PermissionDenied, Principal, allowed, authorize
from iru.cases.evidence import Holdings, ManifestEntry
from iru.cases.sharing import (
    HASH_TYPES,
    REFERRAL_CATEGORY,
    KnownHash,
    SharedEvidence,
    SharedTarget,
    SharingContext,
    misp_event,
    profile_url,
    stix_bundle,
    to_json,
)
from iru.storage.account_facts import AccountFacts
from iru.storage.archive import Archive
from iru.storage.assessments import DetectionStore
from iru.storage.audit import AuditStore
from iru.storage.cases import CaseRow, CaseStore
from iru.storage.database import Database
from iru.storage.evidence import EvidenceStore
from iru.storage.knowledge import KnowledgeStore
from iru.storage.post_reads import PostReads

FORMATS = ("stix", "misp")
KNOWN_MEDIA = "known-media"


class NothingToExport(LookupError):
    """No referred case the user may read matches the request."""


@dataclass(frozen=True, slots=True)
class Selection:
    """The targets to share, the units whose cases they come from, and what was left out."""

    targets: list[SharedTarget]
    units: list[str]
    left_out: int  # referred cases matching the request that the user may not read


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    targets: int
    left_out: int
    sha256: str
    units: list[str] = field(default_factory=list)


def _readable(principal: Principal, case: CaseRow) -> bool:
    try:
        authorize(principal, Action.CASE_READ, CaseScope(case.unit, case.restricted))
    except PermissionDenied:
        return False
    return True


def _referred_at(database: Database, cases: Sequence[CaseRow]) -> dict[int, datetime]:
    """When each case's latest referral took effect: its approval, else its decision."""
    found: dict[int, tuple[int, datetime]] = {}
    for decision in CaseStore(database).refer_decisions([c.case_id for c in cases]):
        held = found.get(decision.case_id)
        if held is None or decision.decision_id > held[0]:
            found[decision.case_id] = (decision.decision_id, decision.at)
    return {case_id: at for case_id, (_, at) in found.items()}


def _handles(
    database: Database, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(handle, display name) of each stored account."""
    return {
        key: (name.handle, name.display_name)
        for key, name in AccountFacts(database).names(keys).items()
    }


def _evidence(
    store: EvidenceStore, principal: Principal, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], list[SharedEvidence]]:
    """Held captures about each account that the principal's unit may read."""
    subjects = {f"{p}:{a}": (p, a) for p, a in keys}
    holdings = Holdings()
    captures: list[ManifestEntry] = []
    for entry in store.entries():
        holdings.observe(entry)
        if (
            entry.action == "capture"
            and entry.subject in subjects
            and allowed(principal, Action.EVIDENCE_READ, CaseScope(entry.unit))
        ):
            captures.append(entry)
    found: dict[tuple[str, str], dict[tuple[str, str, str], SharedEvidence]] = {}
    for entry in captures:
        if entry.sha256 not in holdings.held:
            continue  # purged since: it is not shared
        items = found.setdefault(subjects[entry.subject], {})
        item = (entry.sha256, entry.kind, entry.source)
        if item not in items:  # the earliest capture of each item (seq order)
            items[item] = SharedEvidence(*item, captured_at=entry.at)
    return {key: list(items.values()) for key, items in found.items()}


def _signal_hashes(
    archive: Archive | None, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], set[KnownHash]]:
    """Known-list hashes that each account's media matched (known-media signals)."""
    found: dict[tuple[str, str], set[KnownHash]] = {}
    if archive is None:
        return found
    for signal in PostReads(archive).signals_of(KNOWN_MEDIA):
        key = (signal.platform, signal.account_id)
        if key not in keys:
            continue
        details = json.loads(signal.evidence or "{}")
        hash_type, value = details.get("hash_type"), details.get("matched_hash")
        if hash_type in HASH_TYPES and value:
            found.setdefault(key, set()).add(KnownHash(hash_type, value, signal.label))
    return found


def _best_links(database: Database, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The predecessor of each account: its most confident resurgence link."""
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for link in DetectionStore(database).links():
        key = (str(link["platform"]), str(link["account_id"]))
        if key not in keys:
            continue
        candidate = (float(link["confidence"]), str(link["predecessor_id"]))
        held = best.get(key)
        if held is None or (candidate[0], held[1]) > (held[0], candidate[1]):
            best[key] = candidate
    return {key: predecessor for key, (_, predecessor) in best.items()}


def gather_targets(
    database: Database,
    evidence: EvidenceStore,
    archive: Archive | None,
    principal: Principal,
    *,
    unit: str | None = None,
) -> Selection:
    """The referred accounts ``principal`` may read (of ``unit`` when given)."""
    authorize(principal, Action.CASE_READ)
    referred = [
        c
        for c in CaseStore(database).cases()
        if c.status == "referred" and (unit is None or c.unit == unit)
    ]
    readable = [c for c in referred if _readable(principal, c)]
    when = _referred_at(database, readable)
    # One case per account: the principal's own unit first, then the earliest referral.
    chosen: dict[tuple[str, str], CaseRow] = {}
    for case in sorted(
        readable,
        key=lambda c: (c.unit != principal.unit, when.get(c.case_id, c.updated_at), c.case_id),
    ):
        chosen.setdefault((case.platform, case.account_id), case)
    keys = set(chosen)
    handles = _handles(database, keys)
    assessed = DetectionStore(database).by_account()
    items = _evidence(evidence, principal, keys)
    known = _signal_hashes(archive, keys)
    listed = KnowledgeStore(database).sha256_labels(
        e.sha256 for found in items.values() for e in found
    )
    links = _best_links(database, keys)
    targets = []
    for key in sorted(keys):
        case = chosen[key]
        view = assessed.get(key) or {}
        shared = items.get(key, [])
        hashes = set(known.get(key, set()))
        for item in shared:
            hashes.update(
                KnownHash("sha256", item.sha256, lb) for lb in listed.get(item.sha256, ())
            )
        handle, display_name = handles.get(key, ("", None))
        targets.append(
            SharedTarget(
                platform=case.platform,
                account_id=case.account_id,
                handle=handle,
                profile_url=profile_url(case.platform, case.account_id, handle),
                status=case.status,
                decided_at=when.get(case.case_id, case.updated_at),
                reason_category=REFERRAL_CATEGORY,
                score=float(view["score"]) if view.get("score") is not None else None,
                label=str(view["label"]) if view.get("label") else None,
                language=str(view["language"]) if view.get("language") else None,
                evidence=shared,
                predecessor_id=links.get(key),
                known_hashes=sorted(hashes),
                display_name=display_name,
            )
        )
    units = sorted({c.unit for c in chosen.values()})
    return Selection(targets, units, len(referred) - len(readable))


def export_shared(
    database: Database,
    evidence: EvidenceStore,
    archive: Archive | None,
    principal: Principal,
    *,
    output_format: str,
    out: Path,
    unit: str | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the referred accounts ``principal`` may read to ``out``; audited.

    Raises :class:`NothingToExport` (nothing written, nothing audited) when there is
    nothing to share, and :class:`~iru.cases.access.PermissionDenied` when the user may
    not read cases at all.
    """
    if output_format not in FORMATS:
        raise ValueError(f"unknown sharing format {output_format!r} (use stix or misp)")
    at = now or datetime.now(UTC)
    selection = gather_targets(database, evidence, archive, principal, unit=unit)
    if not selection.targets:
        scope = f" of unit {unit}" if unit else ""
        hidden = f" ({selection.left_out} left out: not readable by {principal.name})"
        raise NothingToExport(
            f"nothing to export: no referred case{scope} that {principal.name} may read"
            + (hidden if selection.left_out else "")
        )
    context = SharingContext(unit=principal.unit, created=at)
    build = stix_bundle if output_format == "stix" else misp_event
    data = to_json(build(selection.targets, context)).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex}.partial")
    try:
        with partial.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        AuditStore(database).append(
            principal.name,
            principal.unit,
            f"export.{output_format}",
            f"unit:{unit or principal.unit}",
            after={
                "targets": len(selection.targets),
                "file_sha256": digest,
                "left_out": selection.left_out,
                "units": selection.units,
            },
            at=at,
        )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return ExportResult(out, len(selection.targets), selection.left_out, digest, selection.units)


__all__ = [
    "FORMATS",
    "ExportResult",
    "NothingToExport",
    "Selection",
    "export_shared",
    "gather_targets",
]
