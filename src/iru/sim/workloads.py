"""Simulated post workloads for detectors: bystanders alone, or a campaign mixed with them.

One source for the tests and benchmarks that measure a detector on the simulator's own
vocabulary in every language: a campaign workload interleaves release propaganda,
unreleased propaganda, bystanders (some on a hijacked hashtag) and researchers writing
about the same releases; a bystander workload is bystanders only.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from iru.domain import Post
from iru.sim.content import ContentGenerator
from iru.sim.vocabulary import generate_vocabulary

WORKLOADS = ("bystanders", "campaign")
T0 = datetime(2025, 6, 1, tzinfo=UTC)


def workload_posts(n: int, workload: str, seed: int = 7) -> list[Post]:
    """``n`` simulated posts of ``workload`` (one of :data:`WORKLOADS`); every fifth has
    no language tag, as exports often lack one."""
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r} (use one of {', '.join(WORKLOADS)})")
    vocab = generate_vocabulary(seed)
    gen = ContentGenerator(vocab, seed)
    rng = np.random.default_rng(seed)
    releases = [gen.release(0, i, outlet) for i, outlet in enumerate(vocab.outlets)]
    posts = []
    for i in range(n):
        lang = vocab.languages[i % len(vocab.languages)]
        if workload == "bystanders" or i % 4 == 2:
            text = gen.bystander(rng, lang, hijacked=i % 3 == 0)
        elif i % 4 == 0:
            text = gen.propaganda(rng, lang, releases[i % len(releases)])
        elif i % 4 == 1:
            text = gen.propaganda(rng, lang, None)
        else:
            text = gen.hard_negative(rng, lang, "researcher", None)
        posts.append(
            Post(
                platform="twitter",
                post_id=str(i),
                account_id="a1",
                created_at=T0,
                text=text.text,
                lang=lang if i % 5 else None,
                hashtags=list(text.hashtags),
                urls=list(text.urls),
            )
        )
    return posts
