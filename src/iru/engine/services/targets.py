"""Everything a referral shows of its target, preserved as evidence before it is sent.

:class:`TargetCollector` reads the account's profile, its newest posts and their media,
captures each into the evidence store (the profile and every post as a canonical JSON
record of what iru holds, media files as their bytes where the unit has a copy), and
returns a :class:`~iru.cases.packages.Target` carrying the evidence hashes the package
cites. Capturing what is already held adds a manifest entry (who, when, why) but no bytes.
"""

from __future__ import annotations

import json
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Any

from iru.cases.packages import MediaItem, PostItem, Target, post_url, profile_url
from iru.engine.readers.media import local_file
from iru.storage.account_facts import AccountFacts
from iru.storage.archive import Archive
from iru.storage.database import Database
from iru.storage.evidence import EvidenceStore
from iru.storage.post_reads import PostReads


class TargetNotFound(LookupError):
    """iru holds nothing of the account: no profile and no posts."""


def _record_bytes(record: dict[str, Any]) -> bytes:
    """A canonical JSON form of a record: sorted keys, times in ISO 8601."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()


class TargetCollector:
    """Reads a target from the workspace and preserves it in the evidence store."""

    def __init__(
        self,
        database: Database,
        archive: Archive,
        evidence: EvidenceStore,
        media_dir: Path | None,
    ) -> None:
        self.database = database
        self.archive = archive
        self.evidence = evidence
        self.media_dir = media_dir

    def _profile(self, platform: str, account_id: str) -> dict[str, Any] | None:
        stored = AccountFacts(self.database).profile(platform, account_id)
        if stored is None:
            return None
        profile = dict(stored.account) if stored.account is not None else {}
        if stored.assessment is not None:
            profile["_score"] = stored.assessment.score
            profile["_reasons"] = list(stored.assessment.reasons)
            profile["_language"] = stored.assessment.language
        return profile

    def _posts(self, platform: str, account_id: str, limit: int) -> list[dict[str, Any]]:
        posts = []
        for stored in PostReads(self.archive).newest_posts(platform, account_id, limit):
            post = dict(stored.columns)
            post["_media"] = list(stored.media)
            posts.append(post)
        return posts

    def collect(
        self,
        platform: str,
        account_id: str,
        *,
        actor: str,
        unit: str,
        now: datetime,
        max_posts: int = 20,
    ) -> Target:
        """The target with its profile, posts and media preserved as evidence."""
        profile = self._profile(platform, account_id)
        posts = self._posts(platform, account_id, max_posts)
        if profile is None and not posts:
            raise TargetNotFound(f"iru holds no profile and no posts of {platform}:{account_id}")
        profile = profile or {}
        handle = profile.get("handle")
        subject = f"{platform}:{account_id}"
        home = profile_url(platform, account_id, handle)

        def keep(data: bytes, kind: str, source: str, mime_type: str) -> str:
            entry = self.evidence.capture(
                subject,
                kind,
                data,
                source=source,
                captured_by=actor,
                unit=unit,
                mime_type=mime_type,
                now=now,
            )
            return entry.sha256

        profile_sha = None
        if profile:
            record = {k: v for k, v in profile.items() if not k.startswith("_")}
            source = home or f"iru:accounts/{subject}"
            profile_sha = keep(_record_bytes(record), "profile", source, "application/json")
        items = []
        for post in posts:
            url = post_url(platform, account_id, handle, post["post_id"])
            record = {k: v for k, v in post.items() if not k.startswith("_")}
            record |= {"platform": platform, "account_id": account_id}
            source = url or f"iru:posts/{platform}/{post['post_id']}"
            sha = keep(_record_bytes(record), "post", source, "application/json")
            media = []
            for media_id, info in post["_media"]:
                path = local_file(self.media_dir, info.url, info.local_path)
                if path is None:
                    continue  # the unit holds no copy: the platform's hash stays in the record
                mime = info.mime_type or mimetypes.guess_type(path.name)[0]
                mime = mime or "application/octet-stream"
                digest = keep(path.read_bytes(), "media", info.url or str(path), mime)
                media.append(
                    MediaItem(media_id=media_id, url=info.url, sha256=digest, mime_type=mime)
                )
            items.append(
                PostItem(
                    post_id=post["post_id"],
                    url=url,
                    created_at=post["created_at"],
                    text=post["text"] or "",
                    language=post["lang"],
                    sha256=sha,
                    media=tuple(media),
                )
            )
        return Target(
            platform=platform,
            account_id=account_id,
            handle=handle,
            display_name=profile.get("display_name"),
            profile_url=home,
            language=profile.get("_language") or profile.get("language") or "und",
            score=profile.get("_score"),
            reasons=tuple(profile.get("_reasons") or ()),
            profile_sha256=profile_sha,
            posts=tuple(items),
        )


__all__ = ["TargetCollector", "TargetNotFound"]
