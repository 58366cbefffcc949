"""The ``texts-jsonl`` known-text list: good lines kept, every bad line rejected with its reason."""

from __future__ import annotations

import json

from iru.detect.base import Batch
from iru.detect.known_texts import (
    DEFAULT_LABEL,
    MIN_TEXT_CHARS,
    looks_like_known_texts,
    parse_known_texts,
)
from iru.detect.near_duplicate import NearDuplicateTextDetector

# Placeholder pseudo-words with markers, never real propaganda.
TEXT_A = (
    "Zorvek Announces | zorvek-101 blentar quosimo feldrap https://files.sim.example/a1 #Quvarl"
)
TEXT_B = "نشر زوركت-٢٠٢ بلنتار كوسيمو فلدراب #كوفارل"


def _line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def test_good_lines_with_defaults_and_blank_lines_skipped() -> None:
    data = b"\n".join(
        [
            b"\xef\xbb\xbf"
            + _line({"text": TEXT_A, "label": " outlet/zorvek ", "source": "unit-7"}),
            b"",
            b"   \r",
            _line({"text": TEXT_B, "extra": 1}) + b"\r",
            b"",
        ]
    )
    parsed = parse_known_texts(data, source="partner.jsonl")
    assert parsed.rejected == () and parsed.skipped == ()
    assert [(e.line, e.label, e.source) for e in parsed.entries] == [
        (1, "outlet/zorvek", "unit-7"),
        (4, DEFAULT_LABEL, "partner.jsonl"),
    ]
    assert [e.text for e in parsed.entries] == [TEXT_A, TEXT_B]
    assert len(parsed) == 2 and parsed.fmt == "texts-jsonl"


def test_every_bad_line_is_rejected_with_its_number_reason_and_bytes() -> None:
    bad = [
        b"{not json",
        b"[1, 2]",
        b'"just a string"',
        _line({"label": "x"}),
        _line({"text": None}),
        _line({"text": ""}),
        _line({"text": "   \n "}),
        _line({"text": 42}),
        _line({"text": TEXT_A + " v2", "label": ""}),
        _line({"text": TEXT_A + " v3", "label": 7}),
        _line({"text": TEXT_A + " v4", "source": "a\tb"}),
        _line({"text": "Ab!"}),
        b"\xff\xfe" + _line({"text": TEXT_A}),
    ]
    data = b"\n".join([_line({"text": TEXT_A}), *bad, _line({"text": TEXT_A})]) + b"\n"
    parsed = parse_known_texts(data, source="list.jsonl")
    assert [e.line for e in parsed.entries] == [1]
    reasons = {issue.line: issue.reason for issue in parsed.rejected}
    assert sorted(reasons) == list(range(2, 2 + len(bad)))
    assert reasons[2].startswith("not JSON")
    assert reasons[3] == "not a JSON object but list"
    assert reasons[4] == "not a JSON object but str"
    assert reasons[5] == reasons[6] == 'missing "text"'
    assert reasons[7] == reasons[8] == "text is empty"
    assert reasons[9] == "text is not a string: 42"
    assert reasons[10] == "label is empty"
    assert reasons[11] == "label is not a string: 7"
    assert reasons[12].startswith("source contains a control character")
    assert reasons[13].startswith("text too short to match: 2 character(s) once normalised")
    assert f"{MIN_TEXT_CHARS}-character shingles" in reasons[13]
    assert reasons[14].startswith("not UTF-8 text")
    assert [issue.raw for issue in parsed.rejected] == bad
    assert [issue.location for issue in parsed.rejected][:2] == ["line 2", "line 3"]
    (repeat,) = parsed.skipped
    assert (repeat.line, repeat.reason) == (len(bad) + 2, "repeats the text of line 1")


def test_minimum_length_is_the_detectors_shingle() -> None:
    assert NearDuplicateTextDetector().shingle == MIN_TEXT_CHARS
    at_least = parse_known_texts(_line({"text": "a" * MIN_TEXT_CHARS}), source="s")
    assert len(at_least) == 1 and not at_least.rejected
    wider = parse_known_texts(_line({"text": "abcdef"}), source="s", min_chars=8)
    assert not wider.entries and "fewer than the 8-character shingles" in wider.rejected[0].reason


def test_parsed_texts_fit_the_detector() -> None:
    parsed = parse_known_texts(b"\n".join([_line({"text": TEXT_A}), _line({"text": TEXT_B})]), "s")
    detector = NearDuplicateTextDetector([(e.label, e.text) for e in parsed.entries]).fit(Batch())
    assert len(detector.known_) == 2
    match = detector.best_match(TEXT_A.replace("feldrap", "feldrapp") + " #Extra")
    assert match is not None and match[0] == 0


def test_sniffing() -> None:
    assert looks_like_known_texts(b"\n\n" + _line({"text": TEXT_A}))
    assert not looks_like_known_texts(b'{"hash_digest": "ab", "algorithm": "md5"}\n')
    assert not looks_like_known_texts(b"hash_type,hash_value\n")
    assert not looks_like_known_texts(b"")
