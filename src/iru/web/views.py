"""Read models of the workbench: what each page and API call shows, permission-checked.

One :class:`Views` per app. Reads go through the same permission checks as the command
line, and every read of the queue or an account is audited. Nothing a page shows of the
data is computed per request: it is kept per *data version*
(:class:`iru.engine.readers.versioned.DataVersions`: the account index's archive
generation with the assessments' version, and the cases' version) and computed once when
that version changes —

- the triage candidates, the network model, labels and handles: once per data version;
- each unit's queue (:class:`iru.engine.readers.queue.UnitQueue`) per data and cases
  version, and its rows per filter and sort;
- account pages and neighbourhood graphs (:class:`iru.engine.readers.account_page.AccountPages`):
  those of the top ``WARM_ACCOUNTS`` of the queue built in a background thread as soon
  as a new version is seen, the others on their first visit;
- rendered HTML fragments (:attr:`Views.fragments`), keyed by the version, the
  parameters and the reader's scope (:func:`scope`: role and unit), so that nothing
  rendered for one unit is ever served to another.

Per request there remain the permission check, the unit's case on the account (cases and
holds change with every decision) and the audit event, which is buffered and written in
one transaction per short interval (:class:`iru.storage.audit.ReadAuditBuffer`; the app
closes it, writing the rest, when it stops). A write made through this app (a decision,
say) makes the next read look at the versions again at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from iru.cases.access import Action, CaseScope, Principal, allowed, authorize
from iru.cases.holds import Hold, blocking
from iru.cases.triage import Candidate
from iru.engine.readers.account_index import AccountIndex
from iru.engine.readers.account_page import AccountPages, direction, path_segment
from iru.engine.readers.account_page import iso as _iso
from iru.engine.readers.queue import SORTS, UnitQueue, reference_time, unit_queue
from iru.engine.readers.rank import NetworkModel
from iru.engine.readers.versioned import DataVersions, Memo
from iru.engine.services.cases import CaseService
from iru.engine.services.triage import queue_candidates
from iru.workspace import Workspace

LOG = logging.getLogger("iru.web")

#: Accounts at the top of the queue whose pages and graphs are built ahead of requests.
WARM_ACCOUNTS = 1000
#: Accounts read together when building ahead (one query per table and platform).
WARM_BATCH = 250
#: How long a queue measured from the clock (not from the data's newest post) is kept.
LIVE_QUEUE_SECONDS = 10.0
#: The template of an account page's data part (rendered ahead for the top of the queue).
ACCOUNT_MAIN = "account_main.html"
#: Queue rows kept, filtered and sorted, all filters and sorts together.
QUEUE_ROWS_KEPT = 200_000
#: Rendered fragments kept: at most this many, and this many bytes.
FRAGMENTS = 4096
FRAGMENT_BYTES = 64 * 1024 * 1024


def scope(principal: Principal) -> tuple[str, str]:
    """What a principal's reads may differ by (its role and unit): part of the key of a
    rendered fragment that shows what differs by unit or role (the queue's rows: each
    unit's own decisions leave accounts out), so that it is never served to another."""
    return (str(principal.role), principal.unit)


#: The scope of an account's data part (profile, posts): the same for everyone allowed
#: to read the account at all (checked before it is served), whatever the unit or role.
ACCOUNT_SCOPE = ("may", Action.CASE_READ.value)


def graph_json(graph: dict[str, Any]) -> bytes:
    """The graph as the JSON response bytes (as FastAPI's JSONResponse renders them)."""
    return json.dumps(
        graph, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


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
        self.pages = AccountPages(index, self.reads, ws.media_dir)
        self.versions = DataVersions(self._read_data_version, self._read_cases_version)
        self.read_audit = ws.read_audit()
        self.fragments: Memo[Hashable, str] = Memo(FRAGMENTS, max_weight=FRAGMENT_BYTES, weigh=len)
        self._shared: Memo[Hashable, Any] = Memo(256)
        self._queues: Memo[Hashable, UnitQueue] = Memo(32)
        # Filtered and sorted rows: bounded by the rows they hold in all.
        self._rows: Memo[Hashable, list[dict[str, Any]]] = Memo(
            256, max_weight=QUEUE_ROWS_KEPT, weigh=len
        )
        self._accounts: Memo[Hashable, dict[str, Any] | None] = Memo(WARM_ACCOUNTS * 2)
        self._graphs: Memo[Hashable, bytes] = Memo(WARM_ACCOUNTS * 2)
        self._lock = threading.Lock()
        self._prepared: Hashable = None
        self._preparing: threading.Thread | None = None
        self._closed = threading.Event()
        #: Renders a template with a context (set by the app): fragments built ahead.
        self.renderer: Callable[[str, dict[str, Any]], str] | None = None

    # -- versions and what is kept per version ----------------------------------------------

    def _read_data_version(self) -> Hashable:
        return (self.index.generation(), self.reads.assessments_version().key())

    def _read_cases_version(self) -> Hashable:
        return self.reads.cases_version().key()

    def version(self) -> Hashable:
        """The data's version; a new one starts building the read models ahead."""
        data = self.versions.data()
        if data != self._prepared and not self._closed.is_set():
            with self._lock:
                if data != self._prepared:
                    self._prepared = data
                    self._preparing = threading.Thread(
                        target=self._prepare_quietly, args=(data,), name="iru-read-models"
                    )
                    self._preparing.daemon = True
                    self._preparing.start()
        return data

    def fragment(self, name: str, key: Hashable, context: dict[str, Any]) -> str:
        """Template ``name`` rendered with ``context``, once per ``key`` (which names
        everything the rendering depends on: versions, parameters, the reader's scope)."""
        renderer = self.renderer
        if renderer is None:
            raise RuntimeError("no renderer: the app sets Views.renderer")
        return self.fragments.get((name, key), lambda: renderer(name, context))

    def flush_reads(self) -> None:
        """Write the audited reads waiting now (before a decision, or to show the log); a
        failure is logged and they go with the next batch."""
        try:
            self.read_audit.flush()
        except Exception:
            LOG.exception("writing the audited reads failed; they wait for the next batch")

    def changed(self) -> None:
        """Something was written through this app: the next read checks the versions."""
        self.versions.changed()

    def cached(
        self, name: str, compute: Callable[[], Any], ttl: float = 30.0, *, fixed: bool = False
    ) -> Any:
        """``compute()``'s value, computed once per data version (concurrent requests wait
        for that one computation). ``fixed``: once per ``ttl`` seconds whatever the version
        (for figures that follow the cases, not the data)."""
        if fixed:
            key: Hashable = (name, "every", ttl, int(time.monotonic() // ttl))
        else:
            key = (name, self.version())
        return self._shared.get(key, compute)

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

    def network_model(self) -> NetworkModel:
        """The network read model (Leiden seed 0), once per data version."""
        return self.cached("network", lambda: self.ws.network_reader().model())  # type: ignore[no-any-return]

    def _newest(self) -> datetime | None:
        return self.cached("newest", lambda: self.ws.account_reader().newest_post_at())  # type: ignore[no-any-return]

    def reference_time(self) -> datetime:
        """Now, or the newest data when it is older (a replayed or simulated world)."""
        return reference_time(self.clock(), self._newest())

    def _labels(self) -> dict[tuple[str, str], str]:
        return self.cached("labels", self.reads.labels)  # type: ignore[no-any-return]

    def _handles(self) -> dict[tuple[str, str], str]:
        return self.cached("handles", lambda: self.ws.reach_reader().handles())  # type: ignore[no-any-return]

    # -- building ahead -----------------------------------------------------------------------

    def _prepare_quietly(self, data: Hashable) -> None:
        try:
            self.prepare(data)
        except Exception:  # a request builds what it needs itself
            LOG.exception("building the read models ahead failed")

    def prepare(self, data: Hashable | None = None) -> None:
        """Build the shared models, the network and the pages and graphs of the top
        ``WARM_ACCOUNTS`` of the queue for the data version ``data`` (now's by default)."""
        data = data if data is not None else self.versions.data()
        candidates = self.candidates()
        self.network_model()
        labels, handles = self._labels(), self._handles()
        top = unit_queue((), "", candidates, self.reference_time()).rows[:WARM_ACCOUNTS]
        by_platform: dict[str, list[str]] = {}
        for row in top:
            key = (data, row.platform, row.account_id)
            if key not in self._accounts or key not in self._graphs:
                by_platform.setdefault(row.platform, []).append(row.account_id)
        for platform, ids in by_platform.items():
            for start in range(0, len(ids), WARM_BATCH):
                if self._closed.is_set() or self.versions.data() != data:
                    return  # stopping, or the data moved on: its own build follows
                batch = ids[start : start + WARM_BATCH]
                pages = self.pages.pages(platform, batch)
                graphs = self.pages.graphs(platform, batch, labels, handles)
                for account_id in batch:
                    key = (data, platform, account_id)
                    page = pages[account_id]
                    self._accounts.put(key, page)
                    self._graphs.put(key, graph_json(graphs[account_id]))
                    if page is not None and self.renderer is not None:
                        self.fragments.put(
                            (ACCOUNT_MAIN, (*key, ACCOUNT_SCOPE)),
                            self.renderer(ACCOUNT_MAIN, page),
                        )

    def wait_prepared(self, timeout: float | None = None) -> None:
        """Wait for the models being built ahead (for warming up and tests)."""
        thread = self._preparing
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        """Stop building ahead and write the audited reads still buffered."""
        self._closed.set()
        self.wait_prepared(60.0)
        try:
            self.read_audit.close()
        except Exception:  # the database gone: said, not raised at shutdown
            LOG.exception("%d audited reads could not be written", self.read_audit.pending)

    # -- the queue -------------------------------------------------------------------------

    def _unit_queue(self, unit: str) -> tuple[Hashable, UnitQueue]:
        data, cases = self.version(), self.versions.cases()
        newest, now = self._newest(), self.clock()
        live = newest is None or now < newest  # urgency measured from the clock: it moves
        moment = int(time.monotonic() // LIVE_QUEUE_SECONDS) if live else None
        key = (data, cases, unit, moment)
        candidates = self.candidates()

        def build() -> UnitQueue:
            return unit_queue(
                self.cases.store.cases(), unit, candidates, reference_time(now, newest)
            )

        return key, self._queues.get(key, build)

    def queue_view(
        self,
        principal: Principal,
        *,
        platform: str = "",
        language: str = "",
        sort: str = "priority",
        order: str = "desc",
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[dict[str, Any], Hashable]:
        """The queue's page and the key of its rows (for :meth:`fragment`).

        Every read is audited (``queue.read``, with the number of accounts it holds)."""
        authorize(principal, Action.CASE_READ)
        queue_key, queue = self._unit_queue(principal.unit)
        sort_key = sort if sort in SORTS else ""
        order_key = "desc" if order == "desc" else "asc"
        rows = self._rows.get(
            (queue_key, platform, language, sort_key, order_key),
            lambda: queue.rows_for(platform, language, sort, order),
        )
        total = len(rows)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        self.read_audit.add(
            principal.name,
            principal.unit,
            "queue.read",
            f"unit:{principal.unit}",
            after={"items": total},
            at=self.clock(),
        )
        data = {
            "rows": rows[(page - 1) * per_page : page * per_page],
            "filters": {"platform": platform, "language": language, "sort": sort, "dir": order},
            "platforms": list(queue.platforms),
            "languages": list(queue.languages),
            "page": page,
            "pages": pages,
            "total": total,
        }
        key = (queue_key, platform, language, sort, order, page, per_page, scope(principal))
        return data, key

    def queue(self, principal: Principal, **filters: Any) -> dict[str, Any]:
        """The queue's page (see :meth:`queue_view`); its rows are shared: read them only."""
        return self.queue_view(principal, **filters)[0]

    # -- an account ------------------------------------------------------------------------

    def local_media(self, url: str | None) -> str | None:
        """The workbench's own path to the unit's copy of a media URL (None: no copy).

        Officers' browsers never fetch from the content's hosts: that would show the
        unit's addresses to whoever runs them.
        """
        return self.pages.local_media(url)

    def _page(
        self, platform: str, account_id: str
    ) -> tuple[tuple[Hashable, str, str], dict[str, Any] | None]:
        key = (self.version(), platform, account_id)
        return key, self._accounts.get(
            key, lambda: self.pages.pages(platform, [account_id])[account_id]
        )

    def account_view(
        self, principal: Principal, platform: str, account_id: str
    ) -> tuple[dict[str, Any], Hashable]:
        """The account page and the key of its data part (for :meth:`fragment`, with the
        template :data:`ACCOUNT_MAIN`); reading it is audited (and its case's read, when
        there is one)."""
        authorize(principal, Action.CASE_READ)
        key, page = self._page(platform, account_id)
        if page is None:
            raise LookupError(f"iru holds nothing of {platform}:{account_id}")
        case_view = self._case_of(principal, platform, account_id)
        self.read_audit.add(
            principal.name,
            principal.unit,
            "account.read",
            f"{platform}:{account_id}",
            at=self.clock(),
        )
        return {**page, **case_view}, (*key, ACCOUNT_SCOPE)

    def account(self, principal: Principal, platform: str, account_id: str) -> dict[str, Any]:
        """The account page (see :meth:`account_view`)."""
        return self.account_view(principal, platform, account_id)[0]

    def _case_of(self, principal: Principal, platform: str, account_id: str) -> dict[str, Any]:
        """The principal's unit's case on the account, its decisions and any blocking hold."""
        subjects = self._shared.get(
            ("case_subjects", self.versions.cases()), self.reads.case_subjects
        )
        case: Any = None
        holds: tuple[Hold, ...] = ()
        if (platform, account_id) in subjects:  # else neither a case nor a hold: no query
            found = self.reads.case_on(self.cases.store, platform, account_id, principal.unit)
            case, holds = found.case, found.holds
        stop = blocking(holds, principal.unit, self.clock())
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

    def _graph_bytes(self, platform: str, account_id: str) -> bytes:
        def build() -> bytes:
            graphs = self.pages.graphs(platform, [account_id], self._labels(), self._handles())
            return graph_json(graphs[account_id])

        return self._graphs.get((self.version(), platform, account_id), build)

    def graph_json(self, principal: Principal, platform: str, account_id: str) -> bytes:
        """The account's interaction neighbourhood for Cytoscape, as JSON bytes."""
        authorize(principal, Action.CASE_READ)
        return self._graph_bytes(platform, account_id)

    def graph(self, principal: Principal, platform: str, account_id: str) -> dict[str, Any]:
        """The account's interaction neighbourhood for Cytoscape."""
        found: dict[str, Any] = json.loads(self.graph_json(principal, platform, account_id))
        return found


def now_utc() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "ACCOUNT_MAIN",
    "ACCOUNT_SCOPE",
    "Views",
    "direction",
    "graph_json",
    "now_utc",
    "path_segment",
    "scope",
]
