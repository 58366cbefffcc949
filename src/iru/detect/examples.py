"""The examples the built-in detectors ship (their ``examples()``), for the conformance suite.

Each is a small synthetic case: the knowledge a detector is built from, a batch, and which
items must and must not fire (and with which label). No real people, handles or texts:
reserved ``.example`` domains, invented outlets, digests of made-up bytes. A third-party
detector ships its own the same way (see docs/detection.md).
"""

from __future__ import annotations

import hashlib
from datetime import date

from iru.detect.base import Batch
from iru.detect.hashlists import KnownHashEntry
from iru.detect.indicators import IndicatorSet
from iru.detect.knowledge import EXAMPLE_TIME, DetectorExample, Knowledge, example_post
from iru.domain import Media, MediaKind


def language_examples() -> tuple[DetectorExample, ...]:
    """Every post gets a language: English, French, and "und" for an emoji-only one."""
    from iru.detect.language import UNDETERMINED

    posts = (
        example_post("lang-en", "The weather is lovely today and the market opens at nine."),
        example_post("lang-fr", "Il fait très beau aujourd'hui et le marché ouvre à neuf heures."),
        example_post("lang-und", "🙂👍"),
    )
    return (
        DetectorExample(
            knowledge=Knowledge(),
            batch=Batch(posts=posts),
            fires=frozenset(p.post_id for p in posts),
            labels={"lang-en": "en", "lang-fr": "fr", "lang-und": UNDETERMINED},
        ),
    )


def indicators_examples() -> tuple[DetectorExample, ...]:
    """A hashtag, a term and a domain rule: posts that carry them fire, look-alikes do not."""
    indicators = IndicatorSet.from_mapping(
        {
            "name": "example-desk",
            "version": "1",
            "author": "iru examples",
            "updated": date(2025, 1, 1),
            "rule": [
                {"id": "EX-HT-1", "language": "*", "kind": "hashtag",
                 "pattern": "#examplecampaign", "weight": 0.6},
                {"id": "EX-TERM-1", "language": "en", "kind": "term",
                 "pattern": "example outlet", "weight": 0.5},
                {"id": "EX-DOM-1", "language": "*", "kind": "domain",
                 "pattern": "files.example", "weight": 0.7},
            ],
        },
        "examples",
    )  # fmt: skip
    posts = (
        example_post("ind-tag", "New release #ExampleCampaign", hashtags=["ExampleCampaign"]),
        example_post("ind-term", "Read the Example Outlet bulletin", lang="en"),
        example_post("ind-domain", "mirror at https://cdn.files.example/a1"),
        example_post("ind-longer-tag", "unrelated #examplecampaigns tag"),
        example_post("ind-other-domain", "see notfiles.example/a1 for the timetable"),
        example_post("ind-plain", "The library opens at nine on Saturdays."),
    )
    return (
        DetectorExample(
            knowledge=Knowledge.of(indicator_sets=[indicators]),
            batch=Batch(posts=posts),
            fires=frozenset({"ind-tag", "ind-term", "ind-domain"}),
            quiet=frozenset({"ind-longer-tag", "ind-other-domain", "ind-plain"}),
            labels={"ind-tag": "EX-HT-1", "ind-term": "EX-TERM-1", "ind-domain": "EX-DOM-1"},
        ),
    )


def known_media_examples() -> tuple[DetectorExample, ...]:
    """A listed SHA-256 (on the record and from the file's bytes), a PDQ 8 bits from a
    listed one; an unlisted file and a PDQ far from every listed one stay quiet."""
    listed_file = b"iru example: a file on the known-content list"
    listed_sha = hashlib.sha256(listed_file).hexdigest()
    listed_pdq = "f" * 64
    label = "example-content/e1"
    hashes = (
        KnownHashEntry(hash_type="sha256", value=listed_sha, label=label, source="examples"),
        KnownHashEntry(hash_type="pdq", value=listed_pdq, label=label, source="examples"),
    )

    def media(media_id: str, sha256: str | None = None, pdq: str | None = None) -> Media:
        return Media(
            platform="example",
            media_id=media_id,
            post_id=f"post-{media_id}",
            account_id="example-account",
            created_at=EXAMPLE_TIME,
            kind=MediaKind.PHOTO,
            sha256=sha256,
            pdq=pdq,
        )

    items = (
        media("km-sha", sha256=listed_sha),
        media("km-file"),
        media("km-pdq", pdq="00" + "f" * 62),
        media("km-unlisted"),
        media("km-far-pdq", pdq="0" * 64),
    )
    files = {"km-file": listed_file, "km-unlisted": b"iru example: a file on no list"}
    return (
        DetectorExample(
            knowledge=Knowledge.of(hashes=hashes),
            batch=Batch(media=items, media_files=files),
            fires=frozenset({"km-sha", "km-file", "km-pdq"}),
            quiet=frozenset({"km-unlisted", "km-far-pdq"}),
            labels={"km-sha": label, "km-file": label, "km-pdq": label},
        ),
    )


def near_duplicate_text_examples() -> tuple[DetectorExample, ...]:
    """A known text reposted with small edits fires; an unrelated text does not."""
    known = (
        "Example Outlet bulletin 12: the harbour festival moves to the north pier, "
        "stalls open at nine and the parade starts at noon on Saturday."
    )
    posts = (
        example_post("nd-copy", known),
        example_post("nd-edited", known.upper().replace("Saturday", "Sunday") + " Share it!"),
        example_post("nd-other", "Bus timetable changes: line 4 runs every twenty minutes."),
        example_post("nd-empty", ""),
    )
    return (
        DetectorExample(
            knowledge=Knowledge.of(known_texts=[("example-content/e1", known)]),
            batch=Batch(posts=posts),
            fires=frozenset({"nd-copy", "nd-edited"}),
            quiet=frozenset({"nd-other", "nd-empty"}),
            labels={"nd-copy": "example-content/e1", "nd-edited": "example-content/e1"},
        ),
    )


def known_urls_examples() -> tuple[DetectorExample, ...]:
    """Links to a listed domain (as an entity, a subdomain, defanged) fire; a host that
    merely ends in the same letters, and a post without links, do not."""
    posts = (
        example_post("url-entity", "new upload", urls=["https://files.example/abc"]),
        example_post("url-subdomain", "mirror: cdn.files.example/abc"),
        example_post("url-defanged", "hxxps://www.outlet[.]example/r/12"),
        example_post("url-lookalike", "see https://notfiles.example/abc"),
        example_post("url-none", "The museum is closed on Mondays."),
    )
    domains = {"files.example": "file-sharing", "outlet.example": "outlet/e1"}
    return (
        DetectorExample(
            knowledge=Knowledge.of(known_urls=domains),
            batch=Batch(posts=posts),
            fires=frozenset({"url-entity", "url-subdomain", "url-defanged"}),
            quiet=frozenset({"url-lookalike", "url-none"}),
            labels={"url-subdomain": "file-sharing", "url-defanged": "outlet/e1"},
        ),
    )
