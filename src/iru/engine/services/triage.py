"""Triage candidates from what the workspace knows: assessments, reach, activity, resurgence.

Impact is each account's marginal share of the window's at-risk reach in the impact
ranking (the reach model); confidence the detection probability; the last post time
comes from the archive; an account linked to a predecessor that iru assessed or
labelled supporter, or that its unit referred, counts as the resurgence of a removed
target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iru.cases.triage import Candidate
from iru.storage.assessments import DetectionStore
from iru.storage.cases import CaseStore

if TYPE_CHECKING:  # readers and the reach model (numba, igraph) load when a queue is built
    from iru.engine.readers.accounts import AccountReader
    from iru.engine.readers.network import ReachReader
    from iru.storage.database import Database


def queue_candidates(
    database: Database, reach: ReachReader, accounts: AccountReader, min_score: float
) -> list[Candidate]:
    """Every account assessed at or above ``min_score``, with what triage needs."""
    store = DetectionStore(database)
    assessed = store.by_account()
    wanted = {k for k, v in assessed.items() if float(v["score"]) >= min_score}
    if not wanted:
        return []
    from iru.network.reach import total_reach
    from iru.network.strategies import rank

    inputs, _ = reach.inputs()
    total = total_reach(inputs)
    impact: dict[tuple[str, str], float] = {}
    if total > 0:
        for r in rank(inputs, inputs.n, "impact"):
            impact[inputs.keys[r.index]] = r.gain / total
    referred = {
        (c.platform, c.account_id)
        for c in CaseStore(database).cases()
        if c.status in ("referred", "pending_approval", "removed", "restored")
    }
    removed_before = {}
    for link in store.links():
        predecessor = (link["platform"], link["predecessor_id"])
        view = assessed.get(predecessor)
        if predecessor in referred or (view is not None and view["label"] == "supporter"):
            removed_before[(link["platform"], link["account_id"])] = True
    activity = accounts.activity()
    handles = reach.handles()
    found = []
    for key in sorted(wanted):
        view = assessed[key]
        span = activity.get(key)
        found.append(
            Candidate(
                platform=key[0],
                account_id=key[1],
                handle=handles.get(key, ""),
                confidence=float(view["score"]),
                impact=impact.get(key, 0.0),
                last_post_at=span[1] if span else None,
                language=str(view.get("language") or "und"),
                predecessor_removed=key in removed_before,
            )
        )
    return found


__all__ = ["queue_candidates"]
