"""Read models of the workbench: what each page and API call shows, permission-checked.

One :class:`Views` per app. Everything goes through the case services, so the web gets
the command line's permission checks and audit events. What is slow to compute and
shared by everyone (the triage candidates, the reach model) is cached and recomputed
when the assessments change; per-account reads come from the account index
(:mod:`iru.engine.readers.account_index`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from iru.cases.access import Action, CaseScope, Principal, allowed, authorize
from iru.cases.holds import blocking
from iru.cases.triage import Candidate
from iru.engine.readers.account_index import AccountIndex
from iru.engine.readers.media import local_file
from iru.engine.readers.queue import QueueRow, reference_time, triage_rows
from iru.engine.services.cases import CaseService
from iru.engine.services.triage import queue_candidates
from iru.workspace import Workspace

RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "ckb", "yi", "dv", "sd", "ug", "arz"})
SORTS = {
    "priority": lambda i: i["priority"],
    "score": lambda i: i["score"],
    "impact": lambda i: i["impact"],
    "language": lambda i: i["language"],
}


def direction(language: str | None) -> str:
    if not language or language == "und":
        return "auto"
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value else None)


class Views:
    """The workbench's read side for one workspace."""

    def __init__(self, ws: Workspace, index: AccountIndex, clock: Callable[[], datetime]) -> None:
        self.ws = ws
        self.index = index
        self.clock = clock
        self.cases = CaseService(
            ws.database, four_eyes=ws.settings["four_eyes"], archive=ws.archive
        )
        self.cases.store.clock = clock  # a hold carried to successors ends by this clock
        self.reads = ws.workbench_reads()
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Any, float, Any]] = {}
        self._flights: dict[str, threading.Lock] = {}
        self._queues: dict[tuple[Any, ...], tuple[Any, float, list[QueueRow]]] = {}

    # -- caching ---------------------------------------------------------------------------

    def version(self) -> tuple[Any, ...]:
        """Changes when detection writes new assessments."""
        return self.reads.assessments_version().key()

    def cached(
        self, name: str, compute: Callable[[], Any], ttl: float = 30.0, *, fixed: bool = False
    ) -> Any:
        """``compute()``'s value, kept while the data version holds (checked every ``ttl`` s).

        One computation per name at a time: concurrent requests wait for it rather than
        each computing the same thing. ``fixed``: recompute every ``ttl`` seconds whatever
        the version (for figures that follow the cases, not the assessments).
        """
        now = time.monotonic()
        with self._lock:
            found = self._cache.get(name)
            if found is not None and now - found[1] < ttl:
                return found[2]
            flight = self._flights.setdefault(name, threading.Lock())
        with flight:
            with self._lock:
                found = self._cache.get(name)
                if found is not None and time.monotonic() - found[1] < ttl:
                    return found[2]  # computed by the request we waited for
            version = self.version()
            if found is not None and found[0] == version and not fixed:
                with self._lock:
                    self._cache[name] = (version, time.monotonic(), found[2])
                return found[2]
            value = compute()
            with self._lock:
                self._cache[name] = (version, time.monotonic(), value)
            return value

    def candidates(self) -> list[Candidate]:
        ws = self.ws
        return self.cached(  # type: ignore[no-any-return]
            "candidates",
            lambda: queue_candidates(
                ws.database,
                ws.reach_reader(),
                ws.account_reader(),
                ws.settings["detect_threshold"],
            ),
        )

    def reference_time(self) -> datetime:
        """Now, or the newest data when it is older (a replayed or simulated world)."""
        newest = self.cached("newest", lambda: self.ws.account_reader().newest_post_at())
        now = self.clock()
        return reference_time(now, newest)

    # -- the queue -------------------------------------------------------------------------

    def queue(
        self,
        principal: Principal,
        *,
        platform: str = "",
        language: str = "",
        sort: str = "priority",
        order: str = "desc",
        page: int = 1,
        per_page: int = 50,
    ) -> dict[str, Any]:
        candidates = self.candidates()
        rows = [r.web() for r in self._queue_rows(principal, candidates, platform, language)]
        for n, row in enumerate(rows, start=1):
            row["position"] = n
        if sort in SORTS and not (sort == "priority" and order == "desc"):
            rows.sort(key=SORTS[sort], reverse=order == "desc")
        total = len(rows)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        return {
            "rows": rows[(page - 1) * per_page : page * per_page],
            "filters": {"platform": platform, "language": language, "sort": sort, "dir": order},
            "platforms": sorted({c.platform for c in candidates}),
            "languages": sorted({c.language for c in candidates}),
            "page": page,
            "pages": pages,
            "total": total,
        }

    def _cases_version(self) -> tuple[Any, ...]:
        return self.reads.cases_version().key()

    def _queue_rows(
        self, principal: Principal, candidates: list[Candidate], platform: str, language: str
    ) -> list[QueueRow]:
        """The unit's queue in priority order, kept for a few seconds while no case changes.

        Every read is audited (``queue.read``), cached or not.
        """
        key = (principal.unit, platform, language, id(candidates))
        version = self._cases_version()
        now = time.monotonic()
        with self._lock:
            found = self._queues.get(key)
        if found is not None and found[0] == version and now - found[1] < 10.0:
            authorize(principal, Action.CASE_READ)
            self.cases.audit.append(
                principal.name,
                principal.unit,
                "queue.read",
                f"unit:{principal.unit}",
                after={"items": len(found[2])},
                at=self.clock(),
            )
            return found[2]
        rows = triage_rows(
            self.cases,
            principal,
            candidates,
            self.reference_time(),
            platforms=(platform,) if platform else (),
            languages=(language,) if language else (),
        )
        with self._lock:
            self._queues[key] = (version, now, rows)
        return rows

    # -- an account ------------------------------------------------------------------------

    def _profile(self, platform: str, account_id: str) -> dict[str, Any] | None:
        stored = self.reads.profile(platform, account_id)
        row, assessed = stored.account, stored.assessment
        if row is None and assessed is None:
            return None
        profile: dict[str, Any] = asdict(row) if row is not None else {}
        profile |= {"platform": platform, "account_id": account_id}
        profile["score"] = assessed.score if assessed is not None else None
        profile["label"] = assessed.label if assessed is not None else None
        profile["reasons"] = list(assessed.reasons) if assessed is not None else []
        profile["language"] = (
            (assessed.language if assessed is not None else None)
            or profile.get("language")
            or "und"
        )
        profile["created_at"] = _iso(profile.get("created_at"))
        profile["profile_image_url"] = self.local_media(profile.get("profile_image_url"))
        for key in ("handle", "display_name", "description", "status", "profile_image_url"):
            profile.setdefault(key, None)
        for key in ("followers_count", "following_count", "post_count"):
            profile.setdefault(key, None)
        return profile

    def local_media(self, url: str | None) -> str | None:
        """The workbench's own path to the unit's copy of a media URL (None: no copy).

        Officers' browsers never fetch from the content's hosts: that would show the
        unit's addresses to whoever runs them.
        """
        path = local_file(self.ws.media_dir, url)
        if path is None:
            return None
        return "/media/" + quote(path.relative_to(self.ws.media_dir).as_posix())

    def account(self, principal: Principal, platform: str, account_id: str) -> dict[str, Any]:
        """The account page; reading it is audited (and its case's read, when there is one)."""
        authorize(principal, Action.CASE_READ)
        profile = self._profile(platform, account_id)
        posts = self.index.posts(platform, account_id, limit=50)
        if profile is None and not posts:
            raise LookupError(f"iru holds nothing of {platform}:{account_id}")
        profile = profile or {
            "platform": platform,
            "account_id": account_id,
            "handle": None,
            "display_name": None,
            "description": None,
            "followers_count": None,
            "following_count": None,
            "post_count": None,
            "created_at": None,
            "status": None,
            "language": "und",
            "score": None,
            "label": None,
            "reasons": [],
            "profile_image_url": None,
        }
        signals: dict[str, list[dict[str, Any]]] = {}
        for s in self.index.signals(platform, account_id):
            signals.setdefault(s["post_id"], []).append(s)
        media = self.index.media(platform, sorted({m for p in posts for m in p["media_ids"] or ()}))
        shown = []
        summary: dict[tuple[str, str], int] = {}
        for post in posts:
            found = signals.get(post["post_id"], [])
            detected = next((s["label"] for s in found if s["detector"] == "language"), None)
            lang = detected or post["lang"]
            for s in found:
                if s["detector"] != "language":
                    summary[(s["detector"], s["label"])] = (
                        summary.get((s["detector"], s["label"]), 0) + 1
                    )
            shown.append(
                {
                    "post_id": post["post_id"],
                    "created_at": _iso(post["created_at"]),
                    "text": post["text"] or "",
                    "lang": lang,
                    "dir": direction(lang),
                    "url": None,
                    "signals": [s for s in found if s["detector"] != "language"],
                    "media": [
                        {"url": local}
                        for m in post["media_ids"] or ()
                        if (local := self.local_media(media.get(m, {}).get("url")))
                    ],
                }
            )
        case_view = self._case_of(principal, platform, account_id)
        self.cases.audit.append(
            principal.name,
            principal.unit,
            "account.read",
            f"{platform}:{account_id}",
            at=self.clock(),
        )
        return {
            "account": profile,
            "posts": shown,
            "signals_summary": [
                {"detector": d, "label": label, "count": n}
                for (d, label), n in sorted(summary.items(), key=lambda kv: -kv[1])
            ],
            "resurgence": self._resurgence(platform, account_id),
            **case_view,
        }

    def _case_of(self, principal: Principal, platform: str, account_id: str) -> dict[str, Any]:
        """The principal's unit's case on the account, its decisions and any blocking hold."""
        found = self.reads.case_on(self.cases.store, platform, account_id, principal.unit)
        case = found.case
        stop = blocking(found.holds, principal.unit, self.clock())
        view: dict[str, Any] = {
            "case": None,
            "decisions": [],
            "hold_notice": f"{platform}:{account_id} is {stop.message}" if stop else None,
            "can_decide": allowed(principal, Action.CASE_DECIDE),
            "can_approve": False,
        }
        if case is not None:
            read = self.cases.read_case(principal, case, self.clock())
            view["case"] = {
                "case_id": case.case_id,
                "status": case.status,
                "unit": case.unit,
                "restricted": case.restricted,
            }
            view["decisions"] = [
                {**d, "decided_at": _iso(d.get("decided_at"))} for d in read["decisions"]
            ]
            view["can_approve"] = case.status == "pending_approval" and allowed(
                principal, Action.CASE_APPROVE, CaseScope(case.unit, case.restricted)
            )
        return view

    def _resurgence(self, platform: str, account_id: str) -> list[dict[str, Any]]:
        out = []
        for r in self.reads.resurgence_links_of(platform, account_id):
            successor = r.predecessor_id == account_id
            other = r.account_id if successor else r.predecessor_id
            out.append(
                {
                    "platform": platform,
                    "account_id": other,
                    "handle": None,
                    "relation": "successor" if successor else "predecessor",
                    "confidence": round(float(r.confidence), 3),
                    "explanation": r.explanation,
                }
            )
        return out

    def graph(self, principal: Principal, platform: str, account_id: str) -> dict[str, Any]:
        """The account's interaction neighbourhood for Cytoscape."""
        authorize(principal, Action.CASE_READ)
        labels = self.cached("labels", self.reads.labels)
        handles = self.cached("handles", lambda: self.ws.reach_reader().handles())
        nodes = {account_id: "target"}
        edges = []
        for n, row in enumerate(self.index.neighbours(platform, account_id)):
            other = row["other"]
            nodes.setdefault(
                other,
                "supporter" if labels.get((platform, other)) == "supporter" else "at_risk",
            )
            source, target = (
                (account_id, other) if row["direction"] == "out" else (other, account_id)
            )
            edges.append(
                {
                    "data": {
                        "id": f"e{n}",
                        "source": source,
                        "target": target,
                        "kind": row["kind"],
                        "weight": int(row["n"]),
                    }
                }
            )
        return {
            "nodes": [
                {
                    "data": {
                        "id": node,
                        "label": handles.get((platform, node)) or node[-12:],
                        "kind": kind,
                        "href": f"/accounts/{path_segment(platform)}/{path_segment(node)}",
                    }
                }
                for node, kind in nodes.items()
            ],
            "edges": edges,
        }


def path_segment(value: str) -> str:
    """``value`` as one URL path segment ("/" and ":" escaped too)."""
    return quote(str(value), safe="")


def now_utc() -> datetime:
    return datetime.now(UTC)


__all__ = ["Views", "direction", "now_utc", "path_segment"]
