"""Release media and hash lists: real images, real PDQ, files parsed back."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from iru.sim.hashlists import (
    GIFCT_CSV_HEADER,
    HASH_LIST_FORMATS,
    TAT_JSON_KEYS,
    KnownHash,
    outlet_label,
    render_hash_list,
    write_hash_list,
)
from iru.sim.media import (
    VARIANT_KINDS,
    MediaFile,
    VariantKind,
    encode_media,
    make_variant,
    pdq_distance,
    pdq_hex,
    png_bytes,
    render_release,
)

SEEDS = range(40)
OUTLETS = 5
EDITS: tuple[VariantKind, ...] = ("crop", "resize", "reencode", "overlay")
MATCH_THRESHOLD = 31  # GIFCT's usual PDQ threshold


@pytest.fixture(scope="module")
def releases() -> dict[int, Image.Image]:
    return {seed: render_release(seed, seed % OUTLETS) for seed in SEEDS}


@pytest.fixture(scope="module")
def release_pdq(releases: dict[int, Image.Image]) -> dict[int, str]:
    return {seed: pdq_hex(image)[0] for seed, image in releases.items()}


@pytest.fixture(scope="module")
def variant_distances(
    releases: dict[int, Image.Image], release_pdq: dict[int, str]
) -> dict[str, list[int]]:
    return {
        kind: [
            pdq_distance(release_pdq[seed], pdq_hex(make_variant(releases[seed], kind, seed))[0])
            for seed in SEEDS
        ]
        for kind in EDITS
    }


def _chunk_types(png: bytes) -> Iterator[bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    offset = 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        yield png[offset + 4 : offset + 8]
        offset += 12 + length


# --- releases ---------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes() -> None:
    a, b = render_release(7, 3), render_release(7, 3)
    assert a.size == (640, 360)
    assert a.mode == "RGB"
    assert png_bytes(a) == png_bytes(b)
    assert render_release(7, 3, size=(320, 200)).size == (320, 200)


def test_different_seeds_give_different_images_far_apart_under_pdq() -> None:
    a, b = render_release(1, 1), render_release(2, 1)
    assert png_bytes(a) != png_bytes(b)
    assert pdq_distance(pdq_hex(a)[0], pdq_hex(b)[0]) > 60


def test_releases_of_one_outlet_are_far_apart(release_pdq: dict[int, str]) -> None:
    same = [
        pdq_distance(release_pdq[a], release_pdq[b])
        for a, b in itertools.combinations(SEEDS, 2)
        if a % OUTLETS == b % OUTLETS
    ]
    other = [
        pdq_distance(release_pdq[a], release_pdq[b])
        for a, b in itertools.combinations(SEEDS, 2)
        if a % OUTLETS != b % OUTLETS
    ]
    assert min(same) > 2 * MATCH_THRESHOLD
    assert np.mean(np.array(same) > 80) >= 0.9
    assert np.median(same) >= 100
    # A shared style (palette, logo block) brings an outlet's releases a little closer.
    assert np.mean(other) > np.mean(same)
    assert min(other) > 2 * MATCH_THRESHOLD


def test_releases_have_usable_pdq_quality(releases: dict[int, Image.Image]) -> None:
    qualities = [pdq_hex(image)[1] for image in releases.values()]
    assert all(0 <= q <= 100 for q in qualities)
    assert np.mean(np.array(qualities) >= 50) >= 0.95


def test_too_small_size_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        render_release(1, 1, size=(16, 16))


# --- variants ---------------------------------------------------------------------------


def test_variants_are_near_but_not_equal(variant_distances: dict[str, list[int]]) -> None:
    everything = [d for kind in EDITS for d in variant_distances[kind]]
    assert 0 not in everything
    assert np.mean([1 <= d <= MATCH_THRESHOLD for d in everything]) >= 0.95
    for kind in EDITS:
        near = np.mean([1 <= d <= MATCH_THRESHOLD for d in variant_distances[kind]])
        assert near >= 0.9, (kind, sorted(variant_distances[kind]))


def test_variants_stay_far_from_other_releases(
    releases: dict[int, Image.Image], release_pdq: dict[int, str]
) -> None:
    for seed in list(SEEDS)[:10]:
        copy = pdq_hex(make_variant(releases[seed], "overlay", seed))[0]
        others = [pdq_distance(copy, release_pdq[s]) for s in SEEDS if s != seed]
        assert min(others) > MATCH_THRESHOLD


def test_original_variant_is_the_same_picture(releases: dict[int, Image.Image]) -> None:
    image = releases[0]
    copy = make_variant(image, "original", 3)
    assert copy is not image
    assert copy.tobytes() == image.tobytes()
    assert pdq_distance(pdq_hex(copy)[0], pdq_hex(image)[0]) == 0


def test_variants_are_deterministic(releases: dict[int, Image.Image]) -> None:
    image = releases[4]
    for kind in VARIANT_KINDS:
        assert png_bytes(make_variant(image, kind, 11)) == png_bytes(make_variant(image, kind, 11))
    for kind in EDITS:
        assert png_bytes(make_variant(image, kind, 11)) != png_bytes(make_variant(image, kind, 12))


def test_variant_geometry(releases: dict[int, Image.Image]) -> None:
    for seed in list(SEEDS)[:8]:
        image = releases[seed]
        width, height = image.size
        crop = make_variant(image, "crop", seed)
        assert 0.98 * width <= crop.width < width
        assert 0.98 * height <= crop.height < height
        resize = make_variant(image, "resize", seed)
        assert 0.49 * width <= resize.width <= 0.81 * width
        assert abs(resize.width / resize.height - width / height) < 0.02
        same_size: tuple[VariantKind, ...] = ("reencode", "overlay")
        for kind in same_size:
            assert make_variant(image, kind, seed).size == image.size


def test_reencode_went_through_jpeg_and_overlay_marks_a_corner_or_edge(
    releases: dict[int, Image.Image],
) -> None:
    image = np.asarray(releases[2], dtype=np.int16)
    reencoded = np.asarray(make_variant(releases[2], "reencode", 5), dtype=np.int16)
    assert 0 < np.abs(reencoded - image).mean() < 8  # small errors everywhere
    overlaid = np.asarray(make_variant(releases[2], "overlay", 5), dtype=np.int16)
    changed = np.argwhere(np.any(overlaid != image, axis=2))
    assert 0 < len(changed) < 0.2 * image.shape[0] * image.shape[1]


def test_unknown_variant_kind_is_refused(releases: dict[int, Image.Image]) -> None:
    with pytest.raises(ValueError, match="unknown variant kind"):
        make_variant(releases[0], "mirror", 1)  # type: ignore[arg-type]


# --- files and hashes -------------------------------------------------------------------


def test_encode_media_hashes_the_png_bytes(releases: dict[int, Image.Image]) -> None:
    variant = make_variant(releases[3], "reencode", 3)
    media = encode_media(variant, "m-1", "r-3", "reencode")
    assert media == encode_media(variant, "m-1", "r-3", "reencode")
    assert (media.media_id, media.release_id, media.kind) == ("m-1", "r-3", "reencode")
    assert media.sha256 == hashlib.sha256(media.png).hexdigest()
    assert media.md5 == hashlib.md5(media.png).hexdigest()
    with Image.open(io.BytesIO(media.png)) as reopened:
        assert reopened.format == "PNG"
        assert reopened.mode == "RGB"
        assert reopened.size == (media.width, media.height) == variant.size
        assert pdq_hex(reopened) == (media.pdq, media.pdq_quality)
    assert len(media.pdq) == 64
    assert media.pdq == media.pdq.lower()
    assert 0 <= media.pdq_quality <= 100
    # No metadata: no time stamp, no text, no ICC profile, no physical size.
    assert set(_chunk_types(media.png)) == {b"IHDR", b"IDAT", b"IEND"}


def test_pdq_hex_is_written_as_threatexchange_writes_it(releases: dict[int, Image.Image]) -> None:
    image = releases[5]
    bits, quality = pdqhash.compute(np.asarray(image))
    # ThreatExchange's pdq_hasher: the bit vector as a binary string, then hex.
    expected = format(int("".join(str(int(b)) for b in bits), 2), "064x")
    assert pdq_hex(image) == (expected, int(quality))


def test_pdq_distance() -> None:
    zero, ones = "0" * 64, "f" * 64
    assert pdq_distance(zero, zero) == 0
    assert pdq_distance(zero, ones) == 256
    assert pdq_distance(zero, "8" + "0" * 63) == 1
    assert pdq_distance("F" * 64, ones) == 0
    for bad in ("0" * 63, "g" * 64, "0x" + "0" * 62):
        with pytest.raises(ValueError, match="64 hex digits"):
            pdq_distance(bad, zero)


# --- hash lists -------------------------------------------------------------------------

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def small_media() -> list[MediaFile]:
    return [
        encode_media(render_release(seed, 1, size=(128, 72)), f"m-{seed}", f"r-{seed}", "original")
        for seed in range(4)
    ]


@pytest.fixture(scope="module")
def entries(small_media: list[MediaFile]) -> list[KnownHash]:
    cest = timezone(timedelta(hours=2))
    return [
        KnownHash.of(small_media[0], outlet_label("abc"), T0 + timedelta(minutes=5)),
        KnownHash.of(small_media[1], outlet_label("abc"), T0),
        KnownHash.of(small_media[2], 'odd, "quoted" label', T0.astimezone(cest)),
        KnownHash.of(small_media[3], outlet_label("xyz"), T0 + timedelta(days=1, microseconds=7)),
    ]


def _by_time(entries: list[KnownHash]) -> list[KnownHash]:
    return sorted(entries, key=lambda e: (e.created_at, e.label, e.sha256))


def test_gifct_csv_round_trip(entries: list[KnownHash], tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    write_hash_list(entries, path, "gifct-csv", source="member-7")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "hash_type,hash_value,label,source,created_at"
    assert "\r" not in text
    assert text.endswith("\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == GIFCT_CSV_HEADER
    expected = [
        {
            "hash_type": hash_type,
            "hash_value": getattr(entry, hash_type),
            "label": entry.label,
            "source": "member-7",
            "created_at": entry.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for entry in _by_time(entries)
        for hash_type in ("pdq", "md5", "sha256")
    ]
    assert rows == expected
    assert rows[0]["created_at"] == "2024-05-01T12:00:00Z"
    assert rows[-1]["created_at"] == "2024-05-02T12:00:00Z"  # microseconds dropped
    assert {r["label"] for r in rows} >= {"terrorist-content/abc", 'odd, "quoted" label'}


def test_tat_json_round_trip(entries: list[KnownHash], tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    write_hash_list(entries, path, "tat-json")
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    assert raw.isascii()
    records = json.loads(raw)
    assert [tuple(r) for r in records] == [TAT_JSON_KEYS] * len(entries)
    assert records == [
        {
            "id": n,
            "sha256": e.sha256,
            "md5": e.md5,
            "pdq": e.pdq,
            "classification": e.label,
            "first_seen": e.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for n, e in enumerate(_by_time(entries), start=1)
    ]
    for record in records:
        seen = datetime.strptime(record["first_seen"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert seen.year == 2024


def test_pdq_plain_round_trip(entries: list[KnownHash], tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    write_hash_list(entries, path, "pdq-plain")
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = [line.partition(" ") for line in lines]
    assert [(pdq, label) for pdq, _, label in parsed] == sorted((e.pdq, e.label) for e in entries)
    assert all(len(pdq) == 64 and sep == " " for pdq, sep, _ in parsed)

    write_hash_list(entries, path, "pdq-plain", labels=False)
    assert path.read_text(encoding="utf-8").splitlines() == sorted({e.pdq for e in entries})


def test_hash_lists_are_byte_identical_for_the_same_entries(entries: list[KnownHash]) -> None:
    shuffled = [entries[2], entries[0], entries[3], entries[1], entries[0]]
    for fmt in HASH_LIST_FORMATS:
        once = render_hash_list(entries, fmt)
        assert once == render_hash_list(list(entries), fmt)
        assert once == render_hash_list(shuffled, fmt)  # order and exact duplicates do not matter


def test_write_hash_list_writes_what_render_gives(entries: list[KnownHash], tmp_path: Path) -> None:
    for fmt in HASH_LIST_FORMATS:
        path = tmp_path / f"list.{fmt}"
        write_hash_list(entries, str(path), fmt)
        assert path.read_bytes() == render_hash_list(entries, fmt)


def test_empty_hash_lists() -> None:
    assert render_hash_list([], "gifct-csv") == b"hash_type,hash_value,label,source,created_at\n"
    assert render_hash_list([], "tat-json") == b"[]\n"
    assert render_hash_list([], "pdq-plain") == b""


def test_known_hash_checks_its_fields(small_media: list[MediaFile]) -> None:
    media = small_media[0]
    upper = KnownHash(media.sha256.upper(), media.md5.upper(), media.pdq.upper(), "x", T0)
    assert (upper.sha256, upper.md5, upper.pdq) == (media.sha256, media.md5, media.pdq)
    local = KnownHash.of(media, "x", T0.astimezone(timezone(timedelta(hours=-5))))
    assert local.created_at.tzinfo == UTC
    assert local.created_at == T0
    with pytest.raises(ValueError, match="time zone"):
        KnownHash.of(media, "x", datetime(2024, 5, 1, 12))
    with pytest.raises(ValueError, match="md5"):
        KnownHash(media.sha256, media.sha256, media.pdq, "x", T0)
    for label in ("", " padded", "two\nlines", "tab\there"):
        with pytest.raises(ValueError, match="label"):
            KnownHash.of(media, label, T0)
    with pytest.raises(ValueError, match="unknown hash list format"):
        render_hash_list([], "csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source"):
        render_hash_list([], "gifct-csv", source="a\nb")
