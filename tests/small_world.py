"""A hand-made workspace for the storage readers' tests: three accounts, five posts, signals.

S (a profile, handle ``sup``) posts p1 (a link, a hashtag, mentions ``u``) on 1 March and
p2 (a photo, m1) on 2 March; U (handle ``u``) reposts p1 (p3) and quotes p2 (p4); V (no profile) posts
p5. Interactions: U follows S (long before), S mentions U, U reposts and quotes S.
Signals: ``indicators`` on p1 (0.9) and on U's repost p3 (0.7), ``language`` on p1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from iru.domain.columns import SCHEMAS
from iru.workspace import Workspace

DAY1 = datetime(2025, 3, 1, 10, tzinfo=UTC)
S, U, V = ("f", "S"), ("f", "U"), ("f", "V")


def _post(post_id: str, account_id: str, at: str, text: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "post",
        "platform": "f",
        "post_id": post_id,
        "account_id": account_id,
        "created_at": at,
        "text": text,
        **more,
    }


def _interaction(kind: str, src: str, dst: str, at: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "interaction",
        "platform": "f",
        "kind": kind,
        "src_account_id": src,
        "dst_account_id": dst,
        "created_at": at,
        **more,
    }


def _signal(
    signal_id: str, detector: str, post: tuple[str, str], label: str, score: float
) -> dict[str, Any]:
    return {
        "platform": "f",
        "signal_id": signal_id,
        "detector": detector,
        "subject": "post",
        "subject_id": post[0],
        "account_id": post[1],
        "label": label,
        "score": score,
        "explanation": f"{detector} on {post[0]}",
        "evidence": "{}",
        "created_at": DAY1,
    }


def small_world(ws: Workspace, folder: Path) -> None:
    """Ingests the world into ``ws`` and stores its signals."""
    lines = [
        {
            "type": "account",
            "platform": "f",
            "account_id": "S",
            "handle": "sup",
            "followers_count": 100,
            "description": "bio s",
            "language": "en",
        },
        {
            "type": "account",
            "platform": "f",
            "account_id": "U",
            "handle": "u",
            "followers_count": 10,
        },
        _post(
            "p1",
            "S",
            "2025-03-01T10:00:00Z",
            "own one",
            urls=["https://a.example/x"],
            hashtags=["Tag"],
            mentions=["u"],
            lang="en",
        ),
        _post("p2", "S", "2025-03-02T10:00:00Z", "own two", media_ids=["m1"]),
        {
            "type": "media",
            "platform": "f",
            "media_id": "m1",
            "post_id": "p2",
            "account_id": "S",
            "created_at": "2025-03-02T10:00:00Z",
            "kind": "photo",
            "url": "https://media.example/m1.jpg",
            "mime_type": "image/jpeg",
        },
        _post("p3", "U", "2025-03-02T11:00:00Z", "rt", repost_of_post_id="p1"),
        _post("p4", "U", "2025-03-02T12:00:00Z", "quoted", quote_of_post_id="p2"),
        _post("p5", "V", "2025-03-02T13:00:00Z", "v post"),
        _interaction("follow", "U", "S", "2025-01-01T00:00:00Z"),
        _interaction("mention", "S", "U", "2025-03-01T10:00:00Z", post_id="p1"),
        _interaction("repost", "U", "S", "2025-03-02T11:00:00Z", post_id="p3", dst_post_id="p1"),
        _interaction("quote", "U", "S", "2025-03-02T12:00:00Z", post_id="p4", dst_post_id="p2"),
    ]
    path = folder / "world.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    ws.ingest_engine().run([path])
    signals = [
        _signal("s1", "indicators", ("p1", "S"), "marker", 0.9),
        _signal("s2", "indicators", ("p3", "U"), "marker", 0.7),
        _signal("s3", "language", ("p1", "S"), "en", 1.0),
    ]
    ws.archive.write("signals", pa.Table.from_pylist(signals, schema=SCHEMAS["signals"]))
