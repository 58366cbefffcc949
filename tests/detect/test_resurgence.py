"""Resurgent accounts: a new account linked to the suspended or silent one it replaces.

Hand-made profiles for each kind of evidence and each reason not to link, real PDQ and
pHash of pillow-drawn images, and a seeded scale run (5,000 gone, 500 new) with planted
returns and similar-handle decoys. Timings are printed (run with -s to see them).
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image, ImageDraw

from iru.detect.resurgence import (
    Mention,
    Profile,
    ResurgenceLinker,
    avatar_hashes,
    confidence,
    handle_similarity,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PDQ_A = "f" * 16 + "0" * 16 + "a5" * 16
PHASH_A = "c3a5" * 4


def prof(
    account_id: str,
    handle: str,
    *,
    appear: datetime | None = None,
    last: datetime | None = None,
    platform: str = "twitter",
    bio: str = "",
    pdq: str | None = None,
    phash: str | None = None,
    audience: tuple[str, ...] | frozenset[str] = (),
) -> Profile:
    """A gone profile (give ``last``) or a new one (give ``appear``)."""
    start = appear if appear is not None else (last or T0) - timedelta(days=200)
    return Profile(
        platform=platform,
        account_id=account_id,
        handle=handle,
        bio=bio,
        created_at=start,
        first_post_at=start + timedelta(minutes=20),
        last_post_at=last if last is not None else start + timedelta(hours=5),
        avatar_pdq=pdq,
        avatar_phash=phash,
        audience=frozenset(audience),
    )


def flip(hex_hash: str, bits: int, seed: int = 0) -> str:
    """``hex_hash`` with ``bits`` distinct bits flipped."""
    n = len(hex_hash) * 4
    chosen = np.random.default_rng(seed).choice(n, size=bits, replace=False)
    value = int(hex_hash, 16)
    for b in chosen.tolist():
        value ^= 1 << b
    return f"{value:0{len(hex_hash)}x}"


def shapes_png() -> bytes:
    image = Image.new("RGB", (200, 200), (20, 30, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 120, 120), fill=(230, 200, 40))
    draw.rectangle((100, 90, 185, 180), fill=(40, 120, 220))
    draw.polygon([(10, 190), (60, 130), (110, 190)], fill=(200, 40, 60))
    draw.line((0, 0, 200, 200), fill=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


# --- handle similarity and the model ---------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "at_least"),
    [
        ("abu_harb", "abu_harb", 1.0),
        ("ABU_HARB", "@abu_harb", 1.0),
        ("sunrise_media", "sunrise_media2", 0.9),
        ("sunrise_media77", "sunrise_media", 0.9),
        ("sunrise_media", "sunrise_media_back", 0.9),
        ("sunrise_media", "sunrise_media_new", 0.9),
        ("sunrise_media", "real_sunrise_media", 0.9),
        ("sunrise_media", "thesunrise_media", 0.9),
        ("lion_of_islam", "l1on_0f_1slam", 1.0),
        ("amaq_news", "4maq_n3ws", 1.0),
        ("tawhid_post", "7awhid_pos7", 1.0),
        ("abcdefghij", "abcdfeghij", 0.85),
        ("nashir_news", "nashir_news_v2", 0.9),
        ("nashir", "nashir_official", 0.8),
    ],
)
def test_handle_similarity_returns(old: str, new: str, at_least: float) -> None:
    assert at_least <= handle_similarity(old, new) <= 1.0


@pytest.mark.parametrize(
    ("old", "new"),
    [("sunrise_media", "qwerty_zxcv"), ("abu_harb", "moonlight22"), ("nashir", ""), ("", "x")],
)
def test_handle_similarity_unrelated(old: str, new: str) -> None:
    assert 0.0 <= handle_similarity(old, new) < 0.5


def test_model_design_points() -> None:
    assert confidence({"handle": 0.9}) < 0.6
    assert confidence({"handle": 1.0}) < 0.6
    assert confidence({"bio": 1.0}) < 0.6
    assert confidence({"handle": 0.8, "avatar": 1.0}) > 0.9
    assert confidence({"handle": 0.2, "avatar": 1.0, "shout_outs": 1.0}) > 0.9
    assert confidence({"avatar": 1.0}) < 0.6
    assert 0.0 < confidence({}) < confidence({"handle": 0.9, "shout_outs": 1.0}) < 1.0


# --- avatar hashes ----------------------------------------------------------------------


def test_avatar_hashes_of_real_images() -> None:
    png = shapes_png()
    pdq, phash = avatar_hashes(png)
    assert pdq is not None and len(pdq) == 64 and int(pdq, 16) >= 0
    assert phash is not None and len(phash) == 16 and int(phash, 16) >= 0
    assert avatar_hashes(png) == (pdq, phash)
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(out, format="JPEG", quality=70)
    jpeg_pdq, jpeg_phash = avatar_hashes(out.getvalue())
    assert jpeg_pdq is not None and jpeg_phash is not None
    assert hamming(pdq, jpeg_pdq) <= 31 and hamming(phash, jpeg_phash) <= 10
    assert avatar_hashes(b"not an image") == (None, None)
    assert avatar_hashes(b"") == (None, None)


def test_reencoded_avatar_links_accounts() -> None:
    png = shapes_png()
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(out, format="JPEG", quality=70)
    pdq_old, phash_old = avatar_hashes(png)
    pdq_new, phash_new = avatar_hashes(out.getvalue())
    old = prof("1", "falcon_truth", last=T0, pdq=pdq_old, phash=phash_old)
    new = prof("2", "falcon_truth_2", appear=T0 + timedelta(days=1), pdq=pdq_new, phash=phash_new)
    (link,) = ResurgenceLinker().link([old], [new])
    assert link.predecessor_id == "1" and link.evidence["avatar"] == 1.0


# --- links and non-links ----------------------------------------------------------------


def test_suffix_handle_and_same_avatar() -> None:
    old = prof("100", "abu_harb", last=T0, pdq=PDQ_A, phash=PHASH_A, bio="news of the brothers")
    new = prof("200", "abu_harb_back", appear=T0 + timedelta(days=2), pdq=PDQ_A, phash=PHASH_A)
    (link,) = ResurgenceLinker().link([old], [new])
    assert (link.platform, link.account_id, link.predecessor_id) == ("twitter", "200", "100")
    assert link.confidence > 0.9
    assert link.evidence["avatar"] == 1.0 and link.evidence["handle"] >= 0.8
    assert set(link.evidence) == {"handle", "avatar", "bio", "audience", "shout_outs"}
    assert all(0.0 <= v <= 1.0 for v in link.evidence.values())
    assert "@abu_harb_back" in link.explanation and "@abu_harb " in link.explanation
    assert "same profile picture (PDQ distance 0)" in link.explanation
    assert link.first_post_at == new.first_post_at


def test_lookalike_handle_and_shout_outs() -> None:
    friends = [f"f{k}" for k in range(10)]
    old = prof("100", "sunrise_media", last=T0, audience=friends)
    appear = T0 + timedelta(days=1)
    new = prof("200", "5unr1se_media", appear=appear)
    mentions = [
        Mention("twitter", f"f{k}", "5unr1se_media", f"p{k}", appear + timedelta(hours=k + 1))
        for k in range(3)
    ]
    # Not evidence: a stranger, a repeat by f0, one too late, one before the account existed.
    mentions += [
        Mention("twitter", "stranger", "5unr1se_media", "q1", appear + timedelta(hours=2)),
        Mention("twitter", "f0", "5UNR1SE_MEDIA", "q2", appear + timedelta(hours=3)),
        Mention("twitter", "f5", "5unr1se_media", "q3", appear + timedelta(days=4)),
        Mention("twitter", "f6", "5unr1se_media", "q4", appear - timedelta(days=2)),
    ]
    linker = ResurgenceLinker()
    assert linker.link([old], [new]) == []  # the handle alone is not enough
    (link,) = linker.link([old], [new], mentions)
    assert link.predecessor_id == "100" and link.confidence > 0.85
    assert link.evidence["shout_outs"] == 1.0
    assert "3 shout-outs by its former audience" in link.explanation
    (one,) = linker.link([old], [new], mentions[:1])
    assert one.evidence["shout_outs"] == 0.6 and one.confidence < link.confidence


def test_other_handle_same_avatar_and_audience() -> None:
    audience = [f"a{k}" for k in range(20)]
    old = prof("100", "falcon_of_truth", last=T0, pdq=PDQ_A, audience=audience)
    new = prof(
        "200",
        "qwxyz_media",
        appear=T0 + timedelta(days=5),
        pdq=flip(PDQ_A, 6),
        audience=[*audience[:12], "b1", "b2"],
    )
    (link,) = ResurgenceLinker().link([old], [new])
    assert link.predecessor_id == "100" and link.confidence >= 0.6
    assert link.evidence["handle"] < 0.5 and link.evidence["audience"] == pytest.approx(12 / 14)
    assert "PDQ distance 6" in link.explanation and "audience overlap 86%" in link.explanation
    # The picture alone (no audience) does not link.
    alone = prof("201", "qwxyz_media", appear=T0 + timedelta(days=5), pdq=PDQ_A)
    assert ResurgenceLinker().link([old], [alone]) == []


def test_similar_handle_alone_is_a_decoy() -> None:
    old = prof("100", "abu_harb", last=T0, pdq=PDQ_A, bio="lions of the east", audience=["x"])
    decoy = prof(
        "200",
        "abu_harb2",
        appear=T0 + timedelta(days=1),
        pdq=flip(PDQ_A, 128),
        bio="football and coffee",
        audience=["y"],
    )
    assert ResurgenceLinker().link([old], [decoy]) == []
    assert ResurgenceLinker(min_confidence=0.0).link([old], [decoy])[0].confidence < 0.6


def test_still_posting_or_too_long_gone_is_not_a_predecessor() -> None:
    appear = T0 + timedelta(days=2)
    posting = prof("100", "abu_harb", last=appear + timedelta(days=1), pdq=PDQ_A)
    long_gone = prof("101", "abu_harb", last=appear - timedelta(days=31), pdq=PDQ_A)
    new = prof("200", "abu_harb_2", appear=appear, pdq=PDQ_A)
    assert ResurgenceLinker().link([posting, long_gone], [new]) == []
    assert ResurgenceLinker(max_gap_days=40).link([long_gone], [new])[0].predecessor_id == "101"
    # Within the hour of tolerance is still "before".
    just = prof("102", "abu_harb", last=appear + timedelta(minutes=30), pdq=PDQ_A)
    assert ResurgenceLinker().link([just], [new])[0].predecessor_id == "102"
    # The new account is not its own predecessor.
    assert ResurgenceLinker().link([prof("200", "abu_harb", last=T0, pdq=PDQ_A)], [new]) == []


def test_other_platform_is_not_linked() -> None:
    old = prof("100", "abu_harb", last=T0, pdq=PDQ_A, platform="telegram")
    new = prof("200", "abu_harb_back", appear=T0 + timedelta(days=1), pdq=PDQ_A)
    assert ResurgenceLinker().link([old], [new]) == []


def test_best_predecessor_and_shared_predecessor() -> None:
    appear = T0 + timedelta(days=3)
    real = prof("100", "zarqa_media", last=T0, pdq=PDQ_A)
    older = prof("099", "zarqa_media", last=T0 - timedelta(days=10), pdq=PDQ_A)
    namesake = prof("101", "zarqa_media1", last=T0)
    a = prof("300", "zarqa_media2", appear=appear, pdq=PDQ_A)
    b = prof("250", "zarqa_media_new", appear=appear + timedelta(hours=1), pdq=flip(PDQ_A, 3))
    other = prof("200", "zarqa_media3", appear=appear, platform="telegram", pdq=PDQ_A)
    links = ResurgenceLinker().link([namesake, older, real], [other, a, b])
    assert [(k.account_id, k.predecessor_id) for k in links] == [("250", "100"), ("300", "100")]
    again = ResurgenceLinker().link([real, namesake, older], [b, a, other])
    assert again == links


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="min_confidence"):
        ResurgenceLinker(min_confidence=1.5)
    with pytest.raises(ValueError, match="pdq_threshold"):
        ResurgenceLinker(pdq_threshold=256)
    assert ResurgenceLinker().link([], []) == []
    # Malformed hashes count as unknown pictures, not as errors.
    old = prof("1", "abu_harb", last=T0, pdq="0x" + "f" * 62, phash="zz" * 8)
    new = prof("2", "abu_harb_2", appear=T0 + timedelta(days=1), pdq="0x" + "f" * 62)
    (link,) = ResurgenceLinker(min_confidence=0.0).link([old], [new])
    assert link.evidence["avatar"] == 0.0


# --- scale ------------------------------------------------------------------------------

SYLLABLES = [c + v for c in "bdfghjkmnqrstwz" for v in "aeiou"] + ["abu", "umm", "al", "ibn"]


def _handle(rng: np.random.Generator) -> str:
    parts = [SYLLABLES[int(x)] for x in rng.integers(0, len(SYLLABLES), int(rng.integers(2, 4)))]
    sep = "_" if rng.random() < 0.5 else ""
    return sep.join(parts)[:12]


def _variant(rng: np.random.Generator, handle: str) -> str:
    op = int(rng.integers(0, 6))
    if op == 0:
        return handle + str(int(rng.integers(1, 999)))
    if op == 1:
        return handle + ["_2", "_back", "_new", "_real", "_official", "_x"][int(rng.integers(0, 6))]
    if op == 2:
        return ["the", "real_", "new_"][int(rng.integers(0, 3))] + handle
    if op == 3:
        swap = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7"}
        spots = [k for k, ch in enumerate(handle) if ch in swap]
        if spots:
            k = spots[int(rng.integers(0, len(spots)))]
            return handle[:k] + swap[handle[k]] + handle[k + 1 :]
    if op == 4 and len(handle) > 3:
        k = int(rng.integers(0, len(handle) - 1))
        return handle[:k] + handle[k + 1] + handle[k] + handle[k + 2 :]
    return handle + "_" + str(int(rng.integers(0, 9)))


def _bio(rng: np.random.Generator) -> str:
    return " ".join(_handle(rng).replace("_", "") for _ in range(int(rng.integers(3, 9))))


def _hexes(rng: np.random.Generator, nbytes: int) -> str:
    return rng.bytes(nbytes).hex()


def test_scale_planted_returns_and_decoys() -> None:
    rng = np.random.default_rng(20240501)
    population = 50_000
    gone: list[Profile] = []
    for k in range(5000):
        last = T0 + timedelta(days=float(rng.uniform(0, 60)))
        size = int(rng.integers(5, 60))
        gone.append(
            prof(
                f"g{k}",
                _handle(rng),
                last=last,
                bio=_bio(rng),
                pdq=_hexes(rng, 32),
                phash=_hexes(rng, 8),
                audience=tuple(f"u{int(x)}" for x in rng.integers(0, population, size)),
            )
        )
    order = rng.permutation(len(gone))
    planted, targets = order[:400].tolist(), order[400:500].tolist()
    new: list[Profile] = []
    mentions: list[Mention] = []
    truth: dict[str, str] = {}
    for n, j in enumerate(planted):
        old = gone[j]
        assert old.last_post_at is not None and old.avatar_pdq and old.avatar_phash
        appear = old.last_post_at + timedelta(days=float(rng.uniform(0.05, 20)))
        kind = float(rng.random())
        handle = _handle(rng) if kind < 0.1 else _variant(rng, old.handle)
        pdq, phash = old.avatar_pdq, old.avatar_phash
        if float(rng.random()) < 0.3:  # a re-saved near-duplicate
            pdq, phash = flip(pdq, int(rng.integers(1, 12)), n), flip(phash, 2, n)
        kept = [a for a in sorted(old.audience) if rng.random() < 0.5]
        if kind > 0.85:  # no picture: friends announce it instead
            pdq = phash = None
            for m, author in enumerate(kept[:3]):
                when = appear + timedelta(hours=float(rng.uniform(0.1, 30)))
                mentions.append(Mention("twitter", author, handle, f"s{n}-{m}", when))
        bio = old.bio if rng.random() < 0.5 else _bio(rng)
        extra = tuple(f"u{int(x)}" for x in rng.integers(0, population, 5))
        new.append(
            prof(
                f"n{n}",
                handle,
                appear=appear,
                bio=bio,
                pdq=pdq,
                phash=phash,
                audience=(*kept, *extra),
            )
        )
        truth[f"n{n}"] = old.account_id
    for n, j in enumerate(targets):  # decoys: an alike handle, nothing else
        old = gone[j]
        assert old.last_post_at is not None
        appear = old.last_post_at + timedelta(days=float(rng.uniform(0.05, 20)))
        audience = tuple(f"u{int(x)}" for x in rng.integers(0, population, 30))
        new.append(
            prof(
                f"d{n}",
                _variant(rng, old.handle),
                appear=appear,
                bio=_bio(rng),
                pdq=_hexes(rng, 32),
                phash=_hexes(rng, 8),
                audience=audience,
            )
        )
    for m in range(3000):  # chatter: random people naming random new handles
        target = new[int(rng.integers(0, len(new)))]
        assert target.created_at is not None
        when = target.created_at + timedelta(hours=float(rng.uniform(-48, 96)))
        author = f"u{int(rng.integers(0, population))}"
        mentions.append(Mention("twitter", author, target.handle, f"c{m}", when))

    started = time.perf_counter()
    links = ResurgenceLinker().link(gone, new, mentions)
    elapsed = time.perf_counter() - started
    found = {k.account_id: k.predecessor_id for k in links}
    correct = sum(found.get(a) == p for a, p in truth.items())
    wrong = [(a, p) for a, p in found.items() if a in truth and truth[a] != p]
    decoys = [k for k in links if k.account_id.startswith("d")]
    print(
        f"\nresurgence: {len(gone)} gone x {len(new)} new, {len(mentions)} mentions: "
        f"{elapsed:.2f} s, recall {correct / len(truth):.3f}, wrong {len(wrong)}, "
        f"decoys linked {len(decoys)}"
    )
    assert correct / len(truth) >= 0.9
    assert not wrong and not decoys
    assert [(k.platform, k.account_id) for k in links] == sorted(
        (k.platform, k.account_id) for k in links
    )
    assert elapsed < 5.0
