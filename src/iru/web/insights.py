"""Read models of the workbench's wider pages: dashboard, network, cases, referrals, audit.

Companion of :mod:`iru.web.views` (the queue and the account page); same rules: every
read goes through the service layer's permission checks, and reads of a case or a
referral are audited there.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from iru.cases.access import Action, CaseScope, PermissionDenied, Principal, allowed, authorize
from iru.engine.readers.account_page import iso as _iso
from iru.engine.readers.rank import CommunityRow, NetworkModel, RankRow
from iru.engine.readers.report import impact_summary
from iru.web.views import Views


class Insights:
    """Dashboard, network, case, referral and audit views over one :class:`Views`."""

    def __init__(self, views: Views) -> None:
        self.views = views
        self.ws = views.ws

    # -- network ---------------------------------------------------------------------------

    def _network(self) -> NetworkModel:
        """The network read model (Leiden seed 0), kept per data version."""
        return self.views.network_model()

    def _communities(self, model: NetworkModel) -> list[CommunityRow]:
        rows: list[CommunityRow] = self.views.cached("summaries", model.communities)
        return rows

    def _community_by_id(self, model: NetworkModel) -> dict[int, CommunityRow]:
        found: dict[int, CommunityRow] = self.views.cached(
            "communities_by_id", lambda: {c.id: c for c in self._communities(model)}
        )
        return found

    def community_of(
        self, platform: str, account_id: str
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The account's community and the bridges of that community (for the account page)."""
        model = self._network()
        node = model.node(platform, account_id)
        if node is None:
            return None, []
        cid = model.community(node)
        found = self._community_by_id(model).get(cid)
        if found is None:
            return None, []
        community = {
            "id": cid,
            "kind": found.band,
            "size": found.size,
            "reach_share": found.reach_share,
        }
        return community, [a.as_dict() for a in found.bridges[:5]]

    def network(self, principal: Principal, top: int = 30) -> dict[str, Any]:
        authorize(principal, Action.CASE_READ)
        page: dict[str, Any] = self.views.cached(
            f"network_page:{top}", lambda: self._network_page(top)
        )
        return dict(page)  # the what-if panel's answer is added to a copy

    def _network_page(self, top: int) -> dict[str, Any]:
        """The network page of the current data version (the same for every reader)."""
        model = self._network()
        if not model.n:
            return {"communities": [], "ranking": [], "total_reach": 0.0, "whatif": None}
        ranked: list[RankRow] = self.views.cached(
            f"ranking:{top}", lambda: model.rank_rows(model.ranking(top, "impact"), bridges=False)
        )
        return {
            "communities": [
                {
                    "id": c.id,
                    "kind": c.band,
                    "size": c.size,
                    "reach_share": c.reach_share,
                    "top": [a.as_dict() for a in c.top_accounts[:3]],
                    "bridges": len(c.bridges),
                }
                for c in self._communities(model)[:15]
            ],
            "ranking": [
                {
                    "platform": r.platform,
                    "account_id": r.account_id,
                    "handle": r.handle,
                    "rank": r.rank,
                    "impact": r.impact,
                    "reach_removed": r.reach_removed,
                    "share": r.share,
                    "community": r.community,
                }
                for r in ranked
            ],
            "total_reach": round(model.total_reach, 1),
            "whatif": None,
        }

    def whatif(self, principal: Principal, chosen: list[tuple[str, str]]) -> dict[str, Any]:
        """What removing the chosen accounts would cut of the at-risk reach."""
        authorize(principal, Action.CASE_READ)
        return {"whatif": self._network().whatif(chosen).as_dict()}

    # -- dashboard -------------------------------------------------------------------------

    def dashboard(self, principal: Principal) -> dict[str, Any]:
        authorize(principal, Action.CASE_READ)
        now = self.views.clock()
        referrals = self.ws.referral_service()
        statuses: dict[str, int] = {}
        for case in self.views.cases.store.cases(now):
            if allowed(principal, Action.CASE_READ, CaseScope(case.unit, case.restricted)):
                statuses[case.status] = statuses.get(case.status, 0) + 1
        closed = {"dismissed", "removed", "rejected"}
        deadlines = [
            {
                "reference": d.referral.reference,
                "kind": d.referral.kind,
                "platform": d.referral.platform,
                "account_id": d.referral.account_id,
                "clock": d.clock.status,
                "due_at": _iso(d.clock.due_at),
                "remaining_seconds": int(d.clock.remaining.total_seconds())
                if d.clock.remaining
                else None,
                "alert": d.clock.problem or (d.alerts[-1].message if d.alerts else ""),
            }
            for d in referrals.deadlines(principal, now, timedelta(minutes=15))
        ][:20]
        volume = self.views.cached(
            "volume", lambda: [{**r, "day": str(r["day"])} for r in self.views.index.daily(14)]
        )
        return {
            "volume": volume,
            "open_cases": sum(n for s, n in statuses.items() if s not in closed),
            "cases_by_status": statuses,
            "deadlines": deadlines,
            "outcomes": referrals.metrics(principal, now),
            "reach": self.views.cached("reach_daily", self._reach_daily),
            "impact": self.views.cached(
                f"impact:{principal.unit}:{principal.role}",
                lambda: impact_summary(self.ws, principal),
                ttl=60.0,
                fixed=True,
            ),
        }

    def _reach_daily(self) -> list[dict[str, Any]]:
        """Per day: at-risk accounts that took up a supporter's post, and active supporters."""
        return [
            {
                "day": str(d.day),
                "at_risk_reach": d.at_risk_reach,
                "supporters_active": d.supporters_active,
            }
            for d in self.ws.network_reader().daily_reach()
        ]

    # -- cases and referrals ---------------------------------------------------------------

    def case(self, principal: Principal, case_id: int) -> dict[str, Any]:
        store = self.views.cases.store
        case = store.case_by_id(case_id, self.views.clock())
        if case is None or not allowed(
            principal, Action.CASE_READ, CaseScope(case.unit, case.restricted)
        ):
            raise PermissionDenied(f"{principal.name} may not read case {case_id}")
        read = self.views.cases.read_case(principal, case, self.views.clock())
        referrals = self.ws.referral_service().store.find(case_id=case_id)
        holds = []
        if case.unit == principal.unit:
            holds = [
                {
                    "hold_id": hid,
                    "unit": h.unit,
                    "contact": h.contact,
                    "expires_at": _iso(h.expires_at),
                    "active": h.active(self.views.clock()),
                }
                for hid, h in store.holds_of(case.unit)
                if (h.platform, h.account_id) == (case.platform, case.account_id)
            ]
        return {
            "case": _case(case),
            "decisions": _decisions(read["decisions"]),
            "history": [
                {"restricted": True, "case": None, "decisions": []}
                if h.get("restricted")
                else {"case": _case(h["case"]), "decisions": _decisions(h["decisions"])}
                for h in read["history"]
            ],
            "referrals": [
                {
                    "reference": r.reference,
                    "kind": r.kind,
                    "status": r.status,
                    "ticket": r.ticket,
                    "created_at": _iso(r.created_at),
                    "received_at": _iso(r.received_at),
                    "closed_at": _iso(r.closed_at),
                }
                for r in referrals
            ],
            "holds": holds,
        }

    def referral(self, principal: Principal, reference: str) -> dict[str, Any]:
        service = self.ws.referral_service()
        now = self.views.clock()
        try:
            row = service.get(principal, reference, now)
        except LookupError as exc:
            raise PermissionDenied(str(exc)) from exc
        deadline = None
        if row.received_at is not None:
            from iru.cases.clocks import alerts

            st = service.clock_state(row, now)  # "invalid" when a stored time is impossible
            deadline = {
                "status": st.status,
                "due_at": _iso(st.due_at),
                "remaining_seconds": int(st.remaining.total_seconds()) if st.remaining else None,
                "overdue_seconds": int(st.overdue_by.total_seconds()) if st.overdue_by else None,
                "alerts": [st.problem]
                if st.problem
                else [a.message for a in alerts(service.clock(row), now)],
            }
        package = json.loads(row.package_json) if row.package_json else {}
        evidence = [
            {
                "sha256": e.get("sha256"),
                "excerpt": e.get("excerpt"),
                "url": e.get("url"),
                "captured_at": e.get("captured_at"),
                "lang": package.get("language"),
            }
            for e in package.get("evidence", [])
        ]
        return {
            "referral": {
                "reference": row.reference,
                "kind": row.kind,
                "platform": row.platform,
                "account_id": row.account_id,
                "status": row.status,
                "ticket": row.ticket,
                "connector": row.connector,
                "created_at": _iso(row.created_at),
                "sent_at": _iso(row.sent_at),
                "received_at": _iso(row.received_at),
                "closed_at": _iso(row.closed_at),
                "package_sha256": row.package_sha256,
                "error": row.error,
            },
            "events": [
                {
                    "at": _iso(e.at),
                    "status": e.status,
                    "source": e.source,
                    "detail": e.detail,
                    "seq": e.seq,
                    "form": json.loads(e.form_json) if e.form_json else None,
                }
                for e in service.store.events(row.referral_id)
            ],
            "deadline": deadline,
            "evidence": evidence,
            "package_json": json.dumps(package, indent=2, ensure_ascii=False),
            "attempts": [
                {k: (_iso(v) if k.endswith("_at") else v) for k, v in a.items()}
                for a in service.store.attempts(row.referral_id)
            ],
            "package_url": f"/referrals/{reference}/package.html",
            "html_sha256": row.html_sha256,
        }

    def approvals(self, principal: Principal) -> dict[str, Any]:
        authorize(principal, Action.CASE_APPROVE)
        store = self.views.cases.store
        pending = []
        handles = self.views.cached("handles", lambda: self.ws.reach_reader().handles())
        for case in store.cases():
            if case.unit != principal.unit or case.status != "pending_approval":
                continue
            decided = store.decisions_of(case.case_id)
            last = decided[-1] if decided else {}
            pending.append(
                {
                    "case_id": case.case_id,
                    "platform": case.platform,
                    "account_id": case.account_id,
                    "handle": handles.get((case.platform, case.account_id), ""),
                    "decided_by": last.get("decided_by"),
                    "decided_at": _iso(last.get("decided_at")),
                    "reason": last.get("reason"),
                }
            )
        return {"pending": pending}

    def audit(
        self, principal: Principal, *, page: int = 1, subject: str = "", action: str = ""
    ) -> dict[str, Any]:
        authorize(principal, Action.AUDIT_READ)
        self.views.flush_reads()  # the reads audited a moment ago are shown too
        store = self.ws.audit_store()
        report = store.verify()
        events = [
            e
            for e in store.events(subject=subject or None)
            if e.unit == principal.unit and (not action or e.action == action)
        ]
        per_page = 100
        pages = max(1, -(-len(events) // per_page))
        page = min(max(page, 1), pages)
        shown = list(reversed(events))[(page - 1) * per_page : page * per_page]
        return {
            "events": [
                {
                    "seq": e.seq,
                    "at": _iso(e.at),
                    "actor": e.actor,
                    "unit": e.unit,
                    "action": e.action,
                    "subject": e.subject,
                    "before": json.dumps(e.before, ensure_ascii=False) if e.before else None,
                    "after": json.dumps(e.after, ensure_ascii=False) if e.after else None,
                    "hash": e.hash,
                }
                for e in shown
            ],
            "verify": {
                "ok": report.ok,
                "checked": report.checked,
                "head": report.head,
                "reason": report.reason,
            },
            "page": page,
            "pages": pages,
            "filters": {"subject": subject, "action": action},
        }


def _case(case: Any) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "platform": case.platform,
        "account_id": case.account_id,
        "unit": case.unit,
        "status": case.status,
        "restricted": case.restricted,
        "opened_by": case.opened_by,
        "opened_at": _iso(case.opened_at),
        "predecessor_case_id": case.predecessor_case_id,
    }


def _decisions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**d, "decided_at": _iso(d.get("decided_at")), "approved_at": _iso(d.get("approved_at"))}
        for d in rows
    ]


__all__ = ["Insights"]
