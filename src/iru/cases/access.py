"""Who may do what: roles, units and the permission check every case service calls.

Four roles, least privilege first:

* **analyst** reads cases of its unit and shared cases of others, decides (refer,
  dismiss, monitor, hold), captures evidence and places holds for its own unit;
* **supervisor** does all an analyst does and approves referrals (the four-eyes rule)
  and lifts its unit's holds;
* **auditor** reads the audit log and verifies the audit and evidence chains, and reads
  (never changes) its unit's cases;
* **admin** manages users and units, and nothing of the cases' content.

A case belongs to a unit; a *restricted* case is visible to that unit only. The check
lives here, in the service layer, so that every interface (CLI, web, API) gets the same
answer; a refusal says what was refused and why, never what the case holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Action(StrEnum):
    CASE_READ = "case.read"
    CASE_DECIDE = "case.decide"
    CASE_APPROVE = "case.approve"
    HOLD_PLACE = "hold.place"
    HOLD_LIFT = "hold.lift"
    EVIDENCE_CAPTURE = "evidence.capture"
    EVIDENCE_READ = "evidence.read"
    REFERRAL_SEND = "referral.send"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    USERS_MANAGE = "users.manage"


_ANALYST = frozenset(
    {
        Action.CASE_READ,
        Action.CASE_DECIDE,
        Action.HOLD_PLACE,
        Action.EVIDENCE_CAPTURE,
        Action.EVIDENCE_READ,
        Action.REFERRAL_SEND,
    }
)
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.ANALYST: _ANALYST,
    Role.SUPERVISOR: _ANALYST | {Action.CASE_APPROVE, Action.HOLD_LIFT},
    Role.AUDITOR: frozenset(
        {Action.CASE_READ, Action.EVIDENCE_READ, Action.AUDIT_READ, Action.AUDIT_VERIFY}
    ),
    Role.ADMIN: frozenset({Action.USERS_MANAGE, Action.AUDIT_VERIFY}),
}
# Actions that change a case: only members of the owning unit may take them.
_OWN_UNIT_ONLY = frozenset(
    {Action.CASE_APPROVE, Action.HOLD_LIFT, Action.EVIDENCE_CAPTURE, Action.EVIDENCE_READ}
)


class PermissionDenied(PermissionError):
    """The principal may not take this action; the message names the action, not the case."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The person acting: a user of one unit with one role."""

    name: str
    role: Role
    unit: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class CaseScope:
    """What the check needs to know of a case: its owning unit and whether it is restricted."""

    unit: str
    restricted: bool = False


def allowed(principal: Principal, action: Action, case: CaseScope | None = None) -> bool:
    """True when ``principal`` may take ``action`` (on ``case``, when it concerns one)."""
    if not principal.active or action not in PERMISSIONS[principal.role]:
        return False
    if case is None:
        return True
    if case.unit == principal.unit:
        return True
    if case.restricted:
        return False  # another unit's restricted case: invisible
    if principal.role is Role.AUDITOR:
        return False  # auditors read their own unit only
    return action not in _OWN_UNIT_ONLY


def authorize(principal: Principal, action: Action, case: CaseScope | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` may take ``action``."""
    if allowed(principal, action, case):
        return
    if not principal.active:
        raise PermissionDenied(f"user {principal.name} is disabled")
    if action not in PERMISSIONS[principal.role]:
        raise PermissionDenied(f"{principal.name} ({principal.role.value}) may not {action.value}")
    raise PermissionDenied(
        f"{principal.name} of unit {principal.unit} may not {action.value} on a case of "
        "another unit"
    )


__all__ = [
    "PERMISSIONS",
    "Action",
    "CaseScope",
    "PermissionDenied",
    "Principal",
    "Role",
    "allowed",
    "authorize",
]
