"""The workbench's account page and neighbourhood graph as read models, built many at a time.

What an account page shows of the data (profile and assessment, newest posts with their
signals and media, the signals' summary, resurgence links) and its neighbourhood graph
depend on the data's version only, not on who reads them: :class:`AccountPages` builds
them for a batch of accounts of one platform with one query per table (the account
index's ``*_of`` reads, the workbench reads' ``profiles_of`` and ``resurgence_links_for``),
so that the workbench builds them for the top of the queue ahead of any request and for
one account when a page is asked for that was not built. Who may read them, the case on
the account and the audit of the read are the workbench's (``iru.web.views``).

The models are plain mappings, as the pages and the JSON API give them; a media item
shows the workbench's path to the unit's copy of it when there is one (the officers'
browsers never fetch from the content's hosts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from iru.engine.readers.account_index import AccountIndex
from iru.engine.readers.media import local_file
from iru.storage.workbench_reads import AccountProfile, StoredResurgenceLink, WorkbenchReads

__all__ = ["RTL_LANGUAGES", "AccountPages", "direction", "iso", "media_path", "path_segment"]

RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "ckb", "yi", "dv", "sd", "ug", "arz"})
#: Posts an account page shows, newest first.
POSTS_SHOWN = 50
#: Neighbours the graph shows, most interactions first.
NEIGHBOURS_SHOWN = 40

Key = tuple[str, str]


def direction(language: str | None) -> str:
    if not language or language == "und":
        return "auto"
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"


def iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value else None)


def path_segment(value: str) -> str:
    """``value`` as one URL path segment ("/" and ":" escaped too)."""
    return quote(str(value), safe="")


def media_path(media_dir: Path | None, url: str | None) -> str | None:
    """The workbench's own path to the unit's copy of a media URL (None: no copy)."""
    if media_dir is None:
        return None
    path = local_file(media_dir, url)
    if path is None:
        return None
    return "/media/" + quote(path.relative_to(media_dir).as_posix())


def _profile(
    platform: str, account_id: str, stored: AccountProfile, media: Callable[[str | None], Any]
) -> dict[str, Any] | None:
    row, assessed = stored.account, stored.assessment
    if row is None and assessed is None:
        return None
    profile: dict[str, Any] = asdict(row) if row is not None else {}
    profile |= {"platform": platform, "account_id": account_id}
    profile["score"] = assessed.score if assessed is not None else None
    profile["label"] = assessed.label if assessed is not None else None
    profile["reasons"] = list(assessed.reasons) if assessed is not None else []
    profile["language"] = (
        (assessed.language if assessed is not None else None) or profile.get("language") or "und"
    )
    profile["created_at"] = iso(profile.get("created_at"))
    profile["profile_image_url"] = media(profile.get("profile_image_url"))
    for key in ("handle", "display_name", "description", "status", "profile_image_url"):
        profile.setdefault(key, None)
    for key in ("followers_count", "following_count", "post_count"):
        profile.setdefault(key, None)
    return profile


def _unknown_profile(platform: str, account_id: str) -> dict[str, Any]:
    """The profile of an account iru holds posts of but no snapshot or assessment."""
    return {
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


def _resurgence(
    platform: str, account_id: str, links: Sequence[StoredResurgenceLink]
) -> list[dict[str, Any]]:
    out = []
    for r in links:
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


class AccountPages:
    """Builds account pages and graphs of one workspace, a batch of accounts at a time."""

    def __init__(self, index: AccountIndex, reads: WorkbenchReads, media_dir: Path | None) -> None:
        self.index = index
        self.reads = reads
        self.media_dir = media_dir

    def local_media(self, url: str | None) -> str | None:
        return media_path(self.media_dir, url)

    def pages(self, platform: str, account_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Each account's page (None: iru holds nothing of it), by account id."""
        ids = list(dict.fromkeys(account_ids))
        profiles = self.reads.profiles_of(platform, ids)
        posts_of = self.index.posts_of(platform, ids, POSTS_SHOWN)
        signals_of = self.index.signals_of(platform, ids)
        links = self.reads.resurgence_links_for(platform, ids)
        wanted = sorted(
            {m for rows in posts_of.values() for p in rows for m in p["media_ids"] or ()}
        )
        media = self.index.media(platform, wanted)
        return {
            a: self._page(platform, a, profiles[a], posts_of[a], signals_of[a], links[a], media)
            for a in ids
        }

    def _page(  # noqa: PLR0917 - the rows of one account
        self,
        platform: str,
        account_id: str,
        stored: AccountProfile,
        posts: list[dict[str, Any]],
        found_signals: list[dict[str, Any]],
        links: list[StoredResurgenceLink],
        media: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, Any] | None:
        profile = _profile(platform, account_id, stored, self.local_media)
        if profile is None and not posts:
            return None
        signals: dict[str, list[dict[str, Any]]] = {}
        for s in found_signals:
            signals.setdefault(s["post_id"], []).append(s)
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
                    "created_at": iso(post["created_at"]),
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
        return {
            "account": profile or _unknown_profile(platform, account_id),
            "posts": shown,
            "signals_summary": [
                {"detector": d, "label": label, "count": n}
                for (d, label), n in sorted(summary.items(), key=lambda kv: -kv[1])
            ],
            "resurgence": _resurgence(platform, account_id, links),
        }

    def graphs(
        self,
        platform: str,
        account_ids: Sequence[str],
        labels: Mapping[Key, str],
        handles: Mapping[Key, str],
    ) -> dict[str, dict[str, Any]]:
        """Each account's interaction neighbourhood for Cytoscape, by account id."""
        ids = list(dict.fromkeys(account_ids))
        found = self.index.neighbours_of(platform, ids, NEIGHBOURS_SHOWN)
        return {a: _graph(platform, a, found[a], labels, handles) for a in ids}


def _graph(
    platform: str,
    account_id: str,
    neighbours: list[dict[str, Any]],
    labels: Mapping[Key, str],
    handles: Mapping[Key, str],
) -> dict[str, Any]:
    nodes = {account_id: "target"}
    edges = []
    for n, row in enumerate(neighbours):
        other = row["other"]
        nodes.setdefault(
            other, "supporter" if labels.get((platform, other)) == "supporter" else "at_risk"
        )
        source, target = (account_id, other) if row["direction"] == "out" else (other, account_id)
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
