"""What a unit already knows about a simulated world: an analyst's indicator file and labels.

A real unit starts with partial knowledge, never the whole vocabulary: this file
lists half of the campaign hashtags, half of the outlets' domains and release-tag
patterns and half of the file-sharing hosts (chosen by the world's seed), the way an
analyst desk would after a few weeks; and the labels earlier review decisions would
give: a uniform sample of about 10 % of the accounts, plus about 30 % of the hard
negatives (journalists, researchers, officials, counter-speech) besides, since they carry
the markers detection flags and so reach review far more often than the rest. Both are
written by
the simulator under ``knowledge/`` for the demo and the benchmarks; iru reads them
through its ordinary commands (``iru indicators import``, ``iru label import``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

from iru.sim.vocabulary import MarkerVocabulary

LABEL_SHARE = 0.10
REVIEWED_SHARE = 0.30


def _half(items: Sequence[str], rng: np.random.Generator) -> list[str]:
    if not items:
        return []
    chosen = rng.choice(len(items), max(1, len(items) // 2), replace=False)
    return [items[int(i)] for i in sorted(chosen)]


def _rule(rule_id: str, kind: str, pattern: str, weight: float) -> str:
    quoted = pattern.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'[[rule]]\nid = "{rule_id}"\nlanguage = "*"\nkind = "{kind}"\n'
        f'pattern = "{quoted}"\nweight = {weight}\n'
    )


def analyst_indicators(vocabulary: MarkerVocabulary) -> str:
    """A TOML indicator file covering half of each kind of marker (see docs/indicators.md)."""
    rng = np.random.default_rng([vocabulary.seed, 0x1D1CA7])
    rules: list[str] = []
    for n, tag in enumerate(_half(vocabulary.campaign_hashtags, rng), start=1):
        rules.append(_rule(f"SIM-HT-{n:03d}", "hashtag", f"#{tag}", 0.6))
    outlets = _half([o.code for o in vocabulary.outlets], rng)
    by_code = {o.code: o for o in vocabulary.outlets}
    for n, code in enumerate(outlets, start=1):
        outlet = by_code[code]
        rules.append(_rule(f"SIM-DOM-{n:03d}", "domain", outlet.domain, 0.7))
        rules.append(_rule(f"SIM-REL-{n:03d}", "regex", rf"\b{outlet.tag_prefix}-\d{{3}}\b", 0.8))
    for n, host in enumerate(_half(vocabulary.filesharing_domains, rng), start=1):
        rules.append(_rule(f"SIM-FILE-{n:03d}", "domain", host, 0.5))
    header = (
        f"# What the analyst desk knows of the markers of simulated world {vocabulary.seed}.\n"
        f'name = "sim{vocabulary.seed}-desk"\nversion = "1"\nauthor = "iru simulator"\n'
        "updated = 2025-01-01\n"
    )
    return header + "\n" + "\n".join(rules)


def analyst_labels(
    keys: Sequence[tuple[str, str, str]],
    seed: int,
    share: float = LABEL_SHARE,
    *,
    reviewed: Sequence[bool] = (),
    reviewed_share: float = REVIEWED_SHARE,
) -> str:
    """CSV ``platform,account_id,label`` for a seeded sample of (platform, id, label) rows:
    ``share`` of them uniformly, and ``reviewed_share`` of the others flagged ``reviewed``
    (the hard negatives, which review meets more often)."""
    rng = np.random.default_rng([seed, 0x1AB31])
    chosen = {int(i) for i in rng.choice(len(keys), round(len(keys) * share), False)}
    if reviewed:
        if len(reviewed) != len(keys):
            raise ValueError("reviewed must flag every row")
        extra = np.random.default_rng([seed, 0x5EB1E3]).random(len(keys)) < reviewed_share
        chosen |= {i for i, flag in enumerate(reviewed) if flag and extra[i]}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["platform", "account_id", "label"])
    for i in sorted(chosen):
        writer.writerow(keys[i])
    return buffer.getvalue()


__all__ = ["LABEL_SHARE", "REVIEWED_SHARE", "analyst_indicators", "analyst_labels"]
