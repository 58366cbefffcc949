"""Known-content detection: hash-list import, known media, near-duplicate text, known URLs.

Real images from the simulator (iru.sim.media), real PDQ, pHash, faiss and MinHash LSH;
nothing is mocked. Match rates and throughputs are printed (run with -s to see them).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from threatexchange.signal_type.pdq.pdq_index2 import PDQIndex2

from iru.detect.base import Batch, NotFittedError, Signal
from iru.detect.hashlists import HashListError, KnownHashEntry, KnownHashList, load_hash_list
from iru.detect.known_media import KnownMediaDetector
from iru.detect.known_urls import KnownUrlDetector
from iru.detect.near_duplicate import NearDuplicateTextDetector, normalise_text
from iru.domain import Media, MediaKind, Post
from iru.sim import filler
from iru.sim.hashlists import KnownHash, outlet_label, write_hash_list
from iru.sim.media import (
    VARIANT_KINDS,
    MediaFile,
    encode_media,
    make_variant,
    pdq_distance,
    render_release,
)

AnyDetector = type[KnownMediaDetector] | type[NearDuplicateTextDetector] | type[KnownUrlDetector]
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EDITS = tuple(k for k in VARIANT_KINDS if k != "original")
OUTLETS = 6
RELEASES = 4


def _media(
    media_id: str, *, sha256: str | None = None, md5: str | None = None, pdq: str | None = None
) -> Media:
    return Media(
        platform="telegram",
        media_id=media_id,
        post_id=f"p-{media_id}",
        account_id="a1",
        created_at=T0,
        kind=MediaKind.PHOTO,
        sha256=sha256,
        md5=md5,
        pdq=pdq,
    )


def _post(post_id: str, text: str = "", urls: list[str] | None = None) -> Post:
    return Post(
        platform="telegram",
        post_id=post_id,
        account_id="a1",
        created_at=T0,
        text=text,
        urls=urls or [],
    )


# -- fixtures: known releases, their re-uploads, unrelated releases ------------------


class Corpus:
    def __init__(self) -> None:
        self.known: dict[str, MediaFile] = {}
        self.images: dict[str, Image.Image] = {}
        self.label: dict[str, str] = {}
        for outlet in range(OUTLETS):
            for seed in range(RELEASES):
                rid = f"o{outlet}-r{seed}"
                self.images[rid] = render_release(seed, outlet)
                self.known[rid] = encode_media(self.images[rid], rid, rid, "original")
                self.label[rid] = outlet_label(f"o{outlet}")
        self.variants: list[MediaFile] = []
        for n, (rid, image) in enumerate(self.images.items()):
            for kind in EDITS:
                self.variants.append(
                    encode_media(make_variant(image, kind, n), f"{rid}-{kind}", rid, kind)
                )
        # Unrelated: other releases of the same outlets and of outlets not on the list.
        self.unrelated = [
            encode_media(render_release(seed, outlet), f"u{outlet}-{seed}", "none", "original")
            for outlet in range(OUTLETS + 3)
            for seed in (RELEASES + 10, RELEASES + 11)
        ]
        self.entries = [KnownHash.of(m, self.label[rid], T0) for rid, m in self.known.items()]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus()


@pytest.fixture(scope="module")
def hash_list(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> KnownHashList:
    path = tmp_path_factory.mktemp("lists") / "known.csv"
    write_hash_list(corpus.entries, path, "gifct-csv")
    return load_hash_list(path)


# -- hash lists ----------------------------------------------------------------------


def _odd_entries() -> list[KnownHash]:
    """Entries whose labels need CSV quoting and JSON escapes."""
    return [
        KnownHash("a" * 64, "b" * 32, "c" * 64, 'terrorist-content/x, "quoted"', T0),
        KnownHash("d" * 64, "e" * 32, "f" * 64, "terrorist-content/ملصق é", T0),
    ]


@pytest.mark.parametrize("fmt", ["gifct-csv", "tat-json", "pdq-plain"])
def test_sim_formats_read_back(corpus: Corpus, tmp_path: Path, fmt: str) -> None:
    entries = corpus.entries + _odd_entries()
    path = tmp_path / f"list.{fmt}"
    write_hash_list(entries, path, fmt, source="member-7")  # type: ignore[arg-type]
    types = ("pdq",) if fmt == "pdq-plain" else ("sha256", "md5", "pdq")
    expected = {(t, getattr(e, t), e.label) for e in entries for t in types}
    for how in (fmt, "auto"):
        loaded = load_hash_list(path, how)  # type: ignore[arg-type]
        assert loaded.fmt == fmt
        assert loaded.rejected == () and loaded.skipped == ()
        assert {(e.hash_type, e.value, e.label) for e in loaded.entries} == expected
        assert len(loaded.entries) == len(expected)
        if fmt == "gifct-csv":
            assert {e.source for e in loaded.entries} == {"member-7"}
        if fmt != "pdq-plain":
            assert {e.created_at for e in loaded.entries} == {T0}
    if fmt == "pdq-plain":
        write_hash_list(entries, path, "pdq-plain", labels=False)
        bare = load_hash_list(path, default_label="watchlist")
        assert {e.label for e in bare.entries} == {"watchlist"}
        assert len(bare.entries) == len({e.pdq for e in entries})
    empty = tmp_path / "empty"
    write_hash_list([], empty, fmt)  # type: ignore[arg-type]
    assert len(load_hash_list(empty, fmt)) == 0  # type: ignore[arg-type]


TCAP_RECORDS = [
    {"id": 101, "hash_digest": "A" * 64, "algorithm": "SHA256", "ideology": "Far-right",
     "file_type": "image/png", "deleted": False, "updated_on": "2024-03-02T10:11:12.345678Z"},
    {"id": 102, "hash_digest": "0" * 32, "algorithm": "MD5", "ideology": "Islamist",
     "file_type": "video/mp4", "deleted": False, "updated_on": "2024-03-02T10:11:12+00:00"},
    {"id": 103, "hash_digest": "1f" * 32, "algorithm": "PDQ", "ideology": None,
     "file_type": "image/jpeg", "deleted": False, "updated_on": "2024-03-03T00:00:00"},
    {"id": 104, "hash_digest": "2" * 64, "algorithm": "PDQ", "ideology": "Islamist",
     "file_type": "image/jpeg", "deleted": True, "updated_on": "2024-03-04T00:00:00Z"},
    {"id": 105, "hash_digest": "3" * 40, "algorithm": "SHA1", "ideology": "Islamist",
     "file_type": "image/jpeg", "deleted": False, "updated_on": "2024-03-04T00:00:00Z"},
    {"id": 106, "hash_digest": "4" * 63, "algorithm": "SHA-256", "ideology": "Islamist",
     "file_type": "image/jpeg", "deleted": False, "updated_on": "2024-03-04T00:00:00Z"},
]  # fmt: skip


@pytest.mark.parametrize("layout", ["array", "jsonl"])
def test_tcap_records(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "tcap.json"
    if layout == "array":
        path.write_text(json.dumps(TCAP_RECORDS, indent=2) + "\n")
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in TCAP_RECORDS))
    loaded = load_hash_list(path)
    assert loaded.fmt == "tcap"
    assert [(e.hash_type, e.value, e.label, e.ref) for e in loaded.entries] == [
        ("sha256", "a" * 64, "tcap/Far-right", "101"),
        ("md5", "0" * 32, "tcap/Islamist", "102"),
        ("pdq", "1f" * 32, "tcap/unknown", "103"),
    ]
    assert loaded.entries[0].created_at == datetime(2024, 3, 2, 10, 11, 12, 345678, tzinfo=UTC)
    assert loaded.entries[2].created_at == datetime(2024, 3, 3, tzinfo=UTC)
    assert {e.source for e in loaded.entries} == {"tcap.json"}
    assert [s.reason for s in loaded.skipped] == [
        "deleted on TCAP (id 104)",
        "algorithm 'SHA1' is not matched by iru (id 105)",
    ]
    (bad,) = loaded.rejected
    assert "has 63 hex digits, expected 64" in bad.reason
    where = "record 6 (line 47)" if layout == "array" else "line 6"
    assert str(bad) == f"{path}: {where}: {bad.reason}"


def test_malformed_rows_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    good = "pdq," + "ab" * 32 + ",terrorist-content/a,m1,2024-05-01T12:00:00Z\n"
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text(
        "hash_type,hash_value,label,source,created_at\n"
        + good
        + "md5," + "0" * 31 + ",terrorist-content/a,m1,2024-05-01T12:00:00Z\n"  # line 3
        + "sha256," + "g" * 64 + ",terrorist-content/a,m1,2024-05-01T12:00:00Z\n"  # line 4
        + "sha1," + "0" * 40 + ",terrorist-content/a,m1,2024-05-01T12:00:00Z\n"  # line 5
        + "md5," + "1" * 32 + ",,m1,2024-05-01T12:00:00Z\n"  # line 6
        + "md5," + "2" * 32 + ",terrorist-content/a,m1,yesterday\n"  # line 7
        + "md5," + "3" * 32 + ",terrorist-content/a\n"  # line 8
        + good  # line 9: a repeat
        + "\n"
        + "md5," + "4" * 32 + ",terrorist-content/b,m1,2024-05-01T12:00:00Z\n"  # line 11
    )  # fmt: skip
    loaded = load_hash_list(csv_path)
    assert [(e.hash_type, e.label) for e in loaded.entries] == [
        ("pdq", "terrorist-content/a"),
        ("md5", "terrorist-content/b"),
    ]
    reasons = {r.location: r.reason for r in loaded.rejected}
    assert reasons == {
        "line 3": "md5 digest has 31 hex digits, expected 32",
        "line 4": f"sha256 digest is not hexadecimal: {'g' * 64!r}",
        "line 5": "unknown hash type 'sha1'; expected one of sha256, md5, pdq",
        "line 6": "label is empty",
        "line 7": "created_at is not an ISO 8601 time: 'yesterday'",
        "line 8": "has 3 fields, expected 5",
    }
    assert all(str(r).startswith(f"{csv_path}: line ") for r in loaded.rejected)
    assert [s.location for s in loaded.skipped] == ["line 9"]

    tat = tmp_path / "bad.json"
    tat.write_text(
        json.dumps(
            [
                {"id": 1, "sha256": "a" * 64, "md5": "b" * 32, "pdq": "c" * 64, "classification": "x", "first_seen": "2024-05-01T12:00:00Z"},
                {"id": 2, "sha256": "a" * 64, "md5": "b" * 32, "pdq": "c" * 60, "classification": "y"},
                {"id": 3, "classification": "z"},
                ["not", "an", "object"],
                {"id": 5, "sha256": "d" * 64, "classification": " padded"},
            ],
            indent=2,
        )
    )  # fmt: skip
    loaded = load_hash_list(tat)
    assert loaded.fmt == "tat-json"
    assert {e.label for e in loaded.entries} == {"x"} and len(loaded.entries) == 3
    assert [(r.location.split(" (")[0], r.reason.split(":")[0]) for r in loaded.rejected] == [
        ("record 2", "pdq digest has 60 hex digits, expected 64"),
        ("record 3", "has none of sha256, md5, pdq"),
        ("record 4", "is not a JSON object"),
        ("record 5", "classification has leading or trailing whitespace"),
    ]
    assert loaded.rejected[0].location == "record 2 (line 10)"

    plain = tmp_path / "bad.txt"
    plain.write_text(f"# comment\n{'ab' * 32} lbl\n\n{'ab' * 31}\n{'cd' * 32}  two spaces\n")
    loaded = load_hash_list(plain, "pdq-plain")
    assert len(loaded.entries) == 1
    assert [r.location for r in loaded.rejected] == ["line 4", "line 5"]

    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text(json.dumps(TCAP_RECORDS[0]) + "\n{not json\n")
    loaded = load_hash_list(jsonl, "tcap")
    assert len(loaded.entries) == 1 and loaded.rejected[0].location == "line 2"


def test_unreadable_files_raise(tmp_path: Path) -> None:
    wrong_header = tmp_path / "h.csv"
    wrong_header.write_text("type,value\nmd5,x\n")
    with pytest.raises(HashListError, match=r"h\.csv: line 1: header must be"):
        load_hash_list(wrong_header, "gifct-csv")
    with pytest.raises(HashListError, match="cannot tell the hash-list format"):
        load_hash_list(wrong_header)
    latin1 = tmp_path / "l.txt"
    latin1.write_bytes(b"\xff\xfe")
    with pytest.raises(HashListError, match="not UTF-8"):
        load_hash_list(latin1)
    broken = tmp_path / "b.json"
    broken.write_text('[{"id": 1}, {"id": ')
    with pytest.raises(HashListError, match="invalid JSON"):
        load_hash_list(broken)
    with pytest.raises(HashListError, match="cannot read"):
        load_hash_list(tmp_path / "missing.csv")


# -- known media ---------------------------------------------------------------------


def test_exact_matches(corpus: Corpus, hash_list: KnownHashList) -> None:
    detector = KnownMediaDetector(hash_list).fit(Batch())
    originals = list(corpus.known.values())
    media = [_media(f"s{n}", sha256=m.sha256) for n, m in enumerate(originals[:8])]
    media += [_media(f"m{n}", md5=m.md5.upper()) for n, m in enumerate(originals[8:16])]
    media += [_media(f"f{n}") for n in range(8)]  # hashes only from the file bytes
    files = {f"f{n}": m.png for n, m in enumerate(originals[16:24])}
    signals = detector.score(Batch(media=media, media_files=files))
    assert [s.subject_id for s in signals] == [m.media_id for m in media]
    assert all(s.score == 1.0 and s.subject == "media" for s in signals)
    assert [s.evidence["hash_type"] for s in signals] == ["sha256"] * 8 + ["md5"] * 8 + [
        "sha256"
    ] * 8
    assert [s.label for s in signals] == [corpus.label[m.release_id] for m in originals]
    assert signals[16].evidence["hash_origin"] == "file bytes"
    assert (
        signals[0].explanation.startswith("SHA-256 ")
        and "known item terrorist-content/o0" in signals[0].explanation
    )


def test_pdq_near_matches_of_variants(corpus: Corpus, hash_list: KnownHashList) -> None:
    detector = KnownMediaDetector(hash_list, pdq_threshold=31).fit(Batch())
    media = [_media(v.media_id, pdq=v.pdq) for v in corpus.variants]
    signals = detector.score(Batch(media=media))
    by_id = {s.subject_id: s for s in signals}
    assert len(by_id) == len(signals)  # one label per variant: no cross-release hits
    rates = {}
    for kind in EDITS:
        variants = [v for v in corpus.variants if v.kind == kind]
        hits = [v for v in variants if v.media_id in by_id]
        rates[kind] = len(hits) / len(variants)
        for v in hits:
            s = by_id[v.media_id]
            distance = pdq_distance(v.pdq, corpus.known[v.release_id].pdq)
            assert s.label == corpus.label[v.release_id]
            assert s.evidence["matched_hash"] == corpus.known[v.release_id].pdq
            assert s.evidence["distance"] == str(distance)
            assert (
                s.explanation == f"PDQ distance {distance} to known item {s.label} (threshold 31)"
            )
            assert s.score == pytest.approx(1 - distance / 32, abs=1e-6)
        missed = [
            pdq_distance(v.pdq, corpus.known[v.release_id].pdq) for v in variants if v not in hits
        ]
        assert all(d > 31 for d in missed)
    print(f"\nPDQ match rate of variants at threshold 31: {rates}")
    assert rates["resize"] == rates["reencode"] == 1.0
    assert rates["crop"] >= 0.9 and rates["overlay"] >= 0.85

    # ThreatExchange's own PDQ index agrees on every match and distance.
    oracle = PDQIndex2(entries=[(e.value, e.label) for e in hash_list.of_type("pdq")], threshold=31)
    for v in corpus.variants:
        found = {(m.metadata, int(m.similarity_info.distance)) for m in oracle.query(v.pdq)}
        ours = {
            (s.label, int(s.evidence["distance"])) for s in signals if s.subject_id == v.media_id
        }
        assert ours == found

    # PDQ computed from the file bytes gives the same signals as the record's PDQ.
    sample = corpus.variants[::8]
    from_files = detector.score(
        Batch(
            media=[_media(v.media_id) for v in sample],
            media_files={v.media_id: v.png for v in sample},
        )
    )
    expected = [by_id[v.media_id] for v in sample if v.media_id in by_id]
    assert [(s.subject_id, s.evidence["distance"]) for s in from_files] == [
        (s.subject_id, s.evidence["distance"]) for s in expected
    ]
    assert all(s.evidence["hash_origin"] == "computed from file" for s in from_files)


def test_unrelated_releases_not_matched(corpus: Corpus, hash_list: KnownHashList) -> None:
    references = {rid: m.png for rid, m in corpus.known.items()}
    detector = KnownMediaDetector(hash_list, reference_images=references).fit(Batch())
    media = [_media(m.media_id) for m in corpus.unrelated]
    files = {m.media_id: m.png for m in corpus.unrelated}
    assert detector.score(Batch(media=media, media_files=files)) == []
    nearest = min(
        pdq_distance(u.pdq, k.pdq) for u in corpus.unrelated for k in corpus.known.values()
    )
    print(f"\nunrelated releases: 0/{len(media)} matched; nearest PDQ distance {nearest}")


def test_phash_catches_crops_that_pdq_misses(corpus: Corpus, hash_list: KnownHashList) -> None:
    crops = []
    for rid, image in corpus.images.items():
        dx, dy = round(image.width * 0.02), round(image.height * 0.02)  # a centred 4 % crop
        crops.append(
            encode_media(
                image.crop((dx, dy, image.width - dx, image.height - dy)), f"{rid}-c4", rid, "crop"
            )
        )
    media = [_media(c.media_id) for c in crops]
    files = {c.media_id: c.png for c in crops}
    pdq_only = (
        KnownMediaDetector(hash_list).fit(Batch()).score(Batch(media=media, media_files=files))
    )
    references = {rid: m.png for rid, m in corpus.known.items()}
    both = KnownMediaDetector(hash_list, reference_images=references).fit(Batch())
    signals = both.score(Batch(media=media, media_files=files))
    phash = [s for s in signals if s.evidence["hash_type"] == "phash"]
    assert all(
        s.label == corpus.label[s.evidence["reference"]]
        for s in signals
        if "reference" in s.evidence
    )
    assert {s.subject_id for s in pdq_only} <= {s.subject_id for s in signals}
    rate_pdq, rate_both = (
        len(pdq_only) / len(crops),
        len({s.subject_id for s in signals}) / len(crops),
    )
    print(f"\n4% crops matched: PDQ alone {rate_pdq:.0%}, PDQ + pHash {rate_both:.0%}")
    assert rate_both >= 0.8 and rate_pdq <= 0.25 and phash
    assert phash[0].explanation.startswith("pHash distance ")


def test_media_throughput(corpus: Corpus, hash_list: KnownHashList) -> None:
    rng = np.random.default_rng(7)
    filler_hashes = [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(5000)]
    entries = list(hash_list.entries) + [
        KnownHashEntry("pdq", h, "terrorist-content/zz", "bench") for h in filler_hashes
    ]
    detector = KnownMediaDetector(KnownHashList(tuple(entries))).fit(Batch())
    n = 5000
    media = []
    for i in range(n):
        v = corpus.variants[i % len(corpus.variants)]
        random = hashlib.sha256(str(i).encode()).hexdigest()
        pdq = v.pdq if i % 10 == 0 else bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()
        media.append(_media(f"b{i}", sha256=random, md5=random[:32], pdq=pdq))
    start = time.perf_counter()
    signals = detector.score(Batch(media=media))
    rate = n / (time.perf_counter() - start)
    print(
        f"\nknown-media, precomputed hashes, {len(entries)} list entries: {rate:,.0f} media items/s"
    )
    assert len({s.subject_id for s in signals}) >= n // 10 * 0.9
    assert rate > 1000


# -- near-duplicate text ---------------------------------------------------------------


def _words(rng: np.random.Generator, lang: str, n: int) -> list[str]:
    vocabulary = filler.WORDS[lang]
    return [vocabulary[int(i)] for i in rng.integers(0, len(vocabulary), n)]


def _known_texts() -> list[tuple[str, str]]:
    rng = np.random.default_rng(11)
    return [
        (f"text/{lang}/{n}", " ".join(_words(rng, lang, 40)))
        for lang in ("en", "ar", "ru")
        for n in range(15)
    ]


def _edits(text: str, lang: str, rng: np.random.Generator) -> dict[str, str]:
    words = text.split()
    swapped = list(words)
    for i in (5, 17, 29):
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    extra = " ".join(_words(rng, lang, 6))
    out = {
        "word swaps": " ".join(swapped),
        "added filler": f"{extra} {text} https://share.example/x @someone",
        "long filler": f"{text} {' '.join(_words(rng, lang, 14))}",
        "case and punctuation": "!! " + text.upper().replace(" ", ", ", 4) + " ...",
    }
    if lang == "ar":  # harakat, tatweel and alef variants sprinkled in
        out["diacritics"] = text.replace("ا", "أ", 3).replace("ب", "بَ").replace("ل", "لـ", 2)
    return out


def test_near_duplicate_texts() -> None:
    known = _known_texts()
    detector = NearDuplicateTextDetector(known).fit(Batch())
    rng = np.random.default_rng(5)
    posts, expected = [], {}
    for label, text in known:
        lang = label.split("/")[1]
        for kind, edited in _edits(text, lang, rng).items():
            post_id = f"{label}:{kind}"
            posts.append(_post(post_id, edited))
            expected[post_id] = label
    unrelated = [
        _post(f"u{lang}{i}", " ".join(_words(rng, lang, 40)))
        for lang in ("en", "ar", "ru")
        for i in range(30)
    ]
    signals = detector.score(Batch(posts=posts + unrelated))
    found = {s.subject_id: s for s in signals}
    assert all(s.subject_id in expected for s in signals), "an unrelated text matched"
    rate = sum(
        found.get(p) is not None and found[p].label == lab for p, lab in expected.items()
    ) / len(expected)
    scores = [s.score for s in signals]
    print(
        f"\nnear-duplicate texts found: {rate:.0%} of {len(expected)} edits; Jaccard {min(scores):.2f}-{max(scores):.2f}"
    )
    assert rate >= 0.97
    s = next(iter(found.values()))
    assert s.explanation.startswith(f"Near-duplicate of known text {s.label}: estimated Jaccard")
    assert normalise_text("أَحْمَدُ ــ @x https://a.example/b  Ёж!") == "احمد еж"


def test_text_throughput() -> None:
    known = _known_texts()
    detector = NearDuplicateTextDetector(known).fit(Batch())
    rng = np.random.default_rng(9)
    posts = [
        _post(str(i), " ".join(_words(rng, ("en", "ar", "ru")[i % 3], 30))) for i in range(2000)
    ]
    start = time.perf_counter()
    detector.score(Batch(posts=posts))
    rate = len(posts) / (time.perf_counter() - start)
    print(f"\nnear-duplicate-text: {rate:,.0f} posts/s ({len(known)} known texts)")
    assert rate > 200


# -- known URLs --------------------------------------------------------------------------

DOMAINS = {
    "outlet-abc.example": "outlet/abc",
    "https://www.Files.Test/": "file-sharing",
    "drive.host.invalid": "file-sharing/drive",
    "host.invalid": "host",
    "пример.испытание": "outlet/idn",
}


def test_known_urls() -> None:
    detector = KnownUrlDetector(DOMAINS).fit(Batch())
    posts = [
        _post("1", urls=["https://cdn.Outlet-ABC.example/release/17"]),
        _post("2", "new release at WWW.files.test/abc and outlet-abc.example!"),
        _post("3", "defanged: hxxps://dl.files[.]test/x"),
        _post("4", "https://drive.host.invalid/f/1 https://www.host.invalid/"),
        _post("5", "lookalikes: notfiles.test files.test.evil.example mail@files.test"),
        _post("6", "http://пример.испытание/путь"),
        _post("7", "see https://outlet-abc.example/a", urls=["https://outlet-abc.example/a"]),
    ]
    signals = detector.score(Batch(posts=posts))
    got = [(s.subject_id, s.evidence["domain"], s.label) for s in signals]
    assert got == [
        ("1", "outlet-abc.example", "outlet/abc"),
        ("2", "files.test", "file-sharing"),
        ("2", "outlet-abc.example", "outlet/abc"),
        ("3", "files.test", "file-sharing"),
        ("4", "drive.host.invalid", "file-sharing/drive"),
        ("4", "host.invalid", "host"),
        ("6", "xn--e1afmkfd.xn--80akhbyknj4f", "outlet/idn"),
        ("7", "outlet-abc.example", "outlet/abc"),
    ]
    assert (
        signals[0].explanation
        == "Links to listed domain outlet-abc.example (outlet/abc) via cdn.outlet-abc.example"
    )
    assert signals[-1].evidence["links"] == "1"


def test_url_throughput() -> None:
    domains = {f"outlet{i}.example": f"outlet/{i}" for i in range(500)}
    detector = KnownUrlDetector(domains).fit(Batch())
    posts = [
        _post(
            str(i),
            f"watch https://cdn.outlet{i % 1000}.example/v/{i} now",
            urls=[f"https://t.example/{i}"],
        )
        for i in range(5000)
    ]
    start = time.perf_counter()
    signals = detector.score(Batch(posts=posts))
    rate = len(posts) / (time.perf_counter() - start)
    print(f"\nknown-urls: {rate:,.0f} posts/s ({len(domains)} listed domains)")
    assert len(signals) == 2500 and rate > 1000


# -- the protocol ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (KnownMediaDetector, "known-media"),
        (NearDuplicateTextDetector, "near-duplicate-text"),
        (KnownUrlDetector, "known-urls"),
    ],
)
def test_empty_knowledge_and_not_fitted(corpus: Corpus, cls: AnyDetector, name: str) -> None:
    assert cls.name == name
    original = next(iter(corpus.known.values()))
    batch = Batch(
        posts=[_post("1", "a known text https://files.test/x")],
        media=[_media("m", sha256=original.sha256, pdq=original.pdq)],
        media_files={"m": original.png},
    )
    with pytest.raises(NotFittedError):
        cls().score(batch)
    detector = cls()
    assert detector.fit(batch) is detector
    assert detector.score(batch) == []


def test_signals_are_deterministic(corpus: Corpus, hash_list: KnownHashList) -> None:
    detector = KnownMediaDetector(hash_list).fit(Batch())
    batch = Batch(media=[_media(v.media_id, pdq=v.pdq) for v in corpus.variants[:20]])
    first: list[Signal] = detector.score(batch)
    assert first == detector.score(batch) and first
    assert all(0.0 < s.score <= 1.0 and s.detector == "known-media" for s in first)
