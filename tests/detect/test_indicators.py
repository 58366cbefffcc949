"""Indicator files (loading, every kind of error) and the indicator detector (hits, Unicode
word boundaries, Arabic/Persian folding, language scoping, explanations, simulated workloads).

All markers are the simulator's pseudo-words (seed 7) or made up here. Throughput is
measured by bench/indicators.py, not here.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from iru.detect.base import Batch, NotFittedError, Signal
from iru.detect.indicators import (
    IndicatorDetector,
    IndicatorFileError,
    IndicatorKind,
    IndicatorRule,
    IndicatorSet,
    fold,
    load_indicator_file,
    words,
)
from iru.domain import Post
from iru.sim.workloads import workload_posts

DATA = Path(__file__).resolve().parents[1] / "data" / "indicators"
SAMPLE = DATA / "sample-campaign.toml"
T0 = datetime(2025, 6, 1, tzinfo=UTC)
HEADER = 'version = "1"\nname = "t"\nauthor = "tests"\nupdated = 2025-06-01\n'


def _post(
    text: str,
    lang: str | None = None,
    post_id: str = "p1",
    hashtags: list[str] | None = None,
    urls: list[str] | None = None,
) -> Post:
    return Post(
        platform="twitter",
        post_id=post_id,
        account_id="a1",
        created_at=T0,
        text=text,
        lang=lang,
        hashtags=hashtags or [],
        urls=urls or [],
    )


def _rule(
    rid: str, kind: str, pattern: str, language: str = "*", weight: float = 0.5
) -> IndicatorRule:
    return IndicatorRule(
        id=rid, language=language, kind=IndicatorKind(kind), pattern=pattern, weight=weight
    )


def _set(*rules: IndicatorRule) -> IndicatorSet:
    return IndicatorSet(
        name="unit", version="9", author="tests", updated=date(2025, 6, 1), rules=rules
    )


def _score(indicators: IndicatorSet, *posts: Post) -> list[Signal]:
    batch = Batch(posts=posts)
    return IndicatorDetector(indicators).fit(batch).score(batch)


def _hits(indicators: IndicatorSet, post: Post) -> list[str]:
    return [s.label for s in _score(indicators, post)]


def _problems(tmp_path: Path, body: str, name: str = "x.toml") -> list[tuple[str | None, str]]:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(IndicatorFileError) as caught:
        load_indicator_file(path)
    assert all(line.startswith(f"{path}: ") for line in str(caught.value).splitlines())
    return list(caught.value.problems)


# -- files -----------------------------------------------------------------------------------


def test_load_the_sample_toml() -> None:
    indicators = load_indicator_file(SAMPLE)
    assert (indicators.name, indicators.version, indicators.label) == (
        "sim7-campaign",
        "3",
        "sim7-campaign@3",
    )
    assert indicators.author.startswith("IRU analyst desk")
    assert indicators.updated == date(2025, 6, 1)
    assert indicators.source == str(SAMPLE)
    assert len(indicators.rules) == 25
    assert {r.kind for r in indicators.rules} == set(IndicatorKind)
    first = indicators.rules[0]
    assert (first.id, first.language, first.kind, first.pattern, first.weight) == (
        "S7-HT-001",
        "*",
        IndicatorKind.HASHTAG,
        "#Delpi84",
        0.7,
    )
    assert first.description.startswith("Campaign hashtag")
    assert indicators.rules[4].pattern == r"\bzaskurkhit-\d{3}\b"


def test_load_the_sample_json() -> None:
    indicators = load_indicator_file(DATA / "sample-small.json")
    assert indicators.label == "sim7-hosts@12"  # an integer version is kept as text
    assert indicators.updated == date(2025, 5, 20)
    assert [r.id for r in indicators.rules] == ["H-1", "H-2", "H-3", "H-4"]


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "indicators.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    indicators = load_indicator_file(path)
    assert indicators.label == "sim7-campaign@3"
    assert [r.kind for r in indicators.rules] == ["hashtag", "term", "regex", "domain"]


def test_the_invalid_sample_names_file_rule_and_reason() -> None:
    path = DATA / "invalid-rules.toml"
    with pytest.raises(IndicatorFileError) as caught:
        load_indicator_file(path)
    message = str(caught.value)
    assert f"{path}: rule B-1: invalid regex 'zaskurkhit-(\\\\d{{3}}': missing )" in message
    assert f"{path}: rule B-2: duplicate id (an earlier rule has id 'B-2')" in message
    assert f"{path}: rule B-3: weight 1.5 must be between 0 and 1" in message
    assert f"{path}: rule B-3: unknown kind 'keyword'" in message
    assert f"{path}: rule B-3: language 'Arabic' must be '*' or a lower-case ISO 639-1" in message
    assert caught.value.source == str(path)
    assert [rule for rule, _ in caught.value.problems] == ["B-1", "B-3", "B-3", "B-3", "B-2"]


def _rule_toml(**fields: object) -> str:
    body = {"id": "R1", "language": "*", "kind": "term", "pattern": "abc", "weight": 0.5}
    body.update(fields)
    lines = [f"{k} = {json.dumps(v)}" for k, v in body.items() if v is not None]
    return HEADER + "[[rule]]\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"pattern": "a(b"}, "invalid regex 'a(b'"),
        ({"pattern": "(?i)abc"}, "scope the flags"),
        ({"pattern": "(?P<x>abc)"}, "may not use named groups or back-references"),
        ({"pattern": r"(a)\1"}, "may not use named groups or back-references"),
        ({"pattern": "a*"}, "matches the empty string"),
        ({"pattern": r"\b"}, "matches the empty string"),
    ],
)
def test_bad_regexes_are_rejected_at_load(
    tmp_path: Path, fields: dict[str, object], reason: str
) -> None:
    problems = _problems(tmp_path, _rule_toml(kind="regex", **fields))
    assert len(problems) == 1 and problems[0][0] == "R1" and reason in problems[0][1]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"weight": 1.01}, "weight 1.01 must be between 0 and 1"),
        ({"weight": -0.1}, "must be between 0 and 1"),
        ({"weight": True}, "'weight' must be a number, got True"),
        ({"weight": "0.5"}, "'weight' must be a number"),
        ({"weight": None}, "'weight' missing"),
        ({"pattern": None}, "'pattern' missing"),
        ({"pattern": "  "}, "pattern is empty"),
        ({"language": "AR"}, "language 'AR' must be '*' or a lower-case ISO 639-1 code"),
        ({"language": 7}, "'language' must be a string, got 7"),
        ({"kind": "keyword"}, "unknown kind 'keyword'"),
        ({"id": "bad id"}, "id 'bad id' must be a letter or digit"),
        ({"extra": 1}, "unknown key 'extra'"),
        ({"pattern": "#abc"}, "use kind 'hashtag' or 'domain'"),
        ({"pattern": "!!!"}, "has no letters or digits"),
        ({"kind": "hashtag", "pattern": "#two words"}, "must be one '#' and one word"),
        ({"kind": "hashtag", "pattern": "#a-b"}, "must be one '#' and one word"),
        ({"kind": "domain", "pattern": "https://x.example/a"}, "must be a bare domain"),
        ({"kind": "domain", "pattern": "localhost"}, "must be a bare domain"),
        ({"description": 3}, "'description' must be a string"),
    ],
)
def test_bad_rules_are_rejected(tmp_path: Path, fields: dict[str, object], reason: str) -> None:
    problems = _problems(tmp_path, _rule_toml(**fields))
    assert any(rule in ("R1", "bad id") and reason in text for rule, text in problems), problems


def test_a_rule_without_an_id_is_named_by_its_position(tmp_path: Path) -> None:
    body = _rule_toml() + '[[rule]]\nlanguage = "*"\nkind = "term"\npattern = "x"\nweight = 1\n'
    assert _problems(tmp_path, body) == [("#2", "'id' missing")]


def test_duplicate_ids_ignore_case_and_earlier_problems(tmp_path: Path) -> None:
    body = _rule_toml(id="R-1", weight=2) + _rule_toml(id="r-1").removeprefix(HEADER)
    problems = _problems(tmp_path, body)
    assert ("r-1", "duplicate id (an earlier rule has id 'R-1')") in problems
    assert ("R-1", "weight 2.0 must be between 0 and 1") in problems


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "'version' missing"),
        (HEADER.replace('version = "1"', "version = 1.5"), "'version' must be a non-empty string"),
        (HEADER.replace('name = "t"', 'name = ""'), "'name' must be a non-empty string"),
        (HEADER.replace("updated = 2025-06-01", 'updated = "June"'), "'updated' must be a date"),
        (HEADER + "rules = []\n", "unknown key 'rules' (did you mean 'rule'?)"),
        (HEADER + 'rule = "x"\n', "'rule' must be an array of tables"),
        (HEADER + "[[rule]\n", "not valid TOML"),
    ],
)
def test_bad_headers_are_rejected(tmp_path: Path, body: str, reason: str) -> None:
    problems = _problems(tmp_path, body)
    assert any(rule is None and reason in text for rule, text in problems), problems


def test_bad_json_is_rejected(tmp_path: Path) -> None:
    assert "not valid JSON" in _problems(tmp_path, "{", "x.json")[0][1]
    assert _problems(tmp_path, "[]", "y.json") == [(None, "the document must be a table/object")]


def test_a_file_without_rules_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text(HEADER)
    indicators = load_indicator_file(path)
    assert indicators.rules == ()
    assert _score(indicators, _post("anything #at all")) == []


def test_sets_built_in_code_are_checked_too() -> None:
    with pytest.raises(IndicatorFileError, match=r"<memory>: rule R1: invalid regex"):
        _set(_rule("R1", "regex", "a(b"))
    with pytest.raises(IndicatorFileError, match="duplicate id"):
        _set(_rule("R1", "term", "a"), _rule("R1", "term", "b"))
    with pytest.raises(IndicatorFileError, match="name, version and author must be non-empty"):
        dataclasses.replace(_set(), name=" ")


# -- matching --------------------------------------------------------------------------------


def test_hits_and_explanations_from_the_sample_file() -> None:
    post = _post(
        "Сасасхер Медиа: zaskurkhit-001 https://sasasher.example/zaskurkhit-001 #Delpi84",
        lang="ru",
        post_id="p9",
    )
    detector = IndicatorDetector(path=SAMPLE)
    signals = detector.fit(Batch()).score(Batch(posts=[post]))
    assert [s.label for s in signals] == ["S7-HT-001", "S7-REL-001", "S7-DOM-001", "S7-RU-003"]
    by_label = {s.label: s for s in signals}
    assert by_label["S7-HT-001"].explanation == (
        "hashtag #Delpi84 matched rule S7-HT-001 (weight 0.7, file sim7-campaign@3)"
    )
    assert by_label["S7-REL-001"].explanation == (
        'regex "zaskurkhit-001" matched rule S7-REL-001 (weight 0.9, file sim7-campaign@3)'
    )
    assert by_label["S7-DOM-001"].explanation == (
        "domain sasasher.example matched rule S7-DOM-001 (weight 0.8, file sim7-campaign@3)"
    )
    assert by_label["S7-RU-003"].explanation == (
        'term "сасасхер медиа" matched rule S7-RU-003 (weight 0.5, file sim7-campaign@3)'
    )
    assert by_label["S7-HT-001"].evidence == {
        "matched": "#Delpi84",
        "kind": "hashtag",
        "pattern": "#Delpi84",
        "rule_language": "*",
        "indicators": "sim7-campaign",
        "version": "3",
        "updated": "2025-06-01",
        "post_language": "ru",
    }
    for signal in signals:
        assert (signal.detector, signal.subject, signal.subject_id) == ("indicators", "post", "p9")
        assert signal.platform == "twitter"
        assert signal.evidence["version"] == "3"
    assert by_label["S7-RU-003"].score == 0.5


def test_arabic_hashtags_with_underscores_tatweel_and_diacritics() -> None:
    indicators = load_indicator_file(SAMPLE)
    plain = _post("الجو جميل اليوم #بوسزيسبون_جومجي", lang="ar")
    [signal] = _score(indicators, plain)
    assert signal.label == "S7-AR-001"
    assert signal.explanation == (
        "hashtag #بوسزيسبون_جومجي matched rule S7-AR-001 (weight 0.75, file sim7-campaign@3)"
    )
    # Tatweel, a fatha and a zero-width non-joiner inside the tag: still the same hashtag.
    styled = _post("#بوسزيـــسبَون_جو\u200cمجي، الجو جميل", lang="ar")
    assert _hits(indicators, styled) == ["S7-AR-001"]
    # Part of a longer hashtag is not the hashtag.
    assert _hits(indicators, _post("#بوسزيسبون_جومجي_تاني", lang="ar")) == []
    # Only in the platform's hashtag entities.
    assert _hits(indicators, _post("بدون وسم", lang="ar", hashtags=["بوسزيسبون_جومجي"])) == [
        "S7-AR-001"
    ]


def test_arabic_and_persian_spellings_meet() -> None:
    indicators = _set(_rule("AR", "term", "زومقومور جينكي كوفاسي"), _rule("FA", "term", "پاکی"))
    persian_spelling = _post("امروز زومقومور جینکی کوفاسی دیدم")  # Farsi yeh and keheh
    assert _hits(indicators, persian_spelling) == ["AR"]
    assert _hits(indicators, _post("إنها پاكي")) == ["FA"]
    hamza = _set(_rule("H", "term", "أمان"))
    assert _hits(hamza, _post("هذا امان")) == ["H"]
    assert _hits(hamza, _post("هذا إمان")) == ["H"]


def test_word_boundaries_hold_in_every_script() -> None:
    indicators = _set(
        _rule("LAT", "term", "Sasasher Media"),
        _rule("CYR", "term", "нутпи"),
        _rule("ARA", "term", "مومييكني"),
        _rule("TR", "term", "ışık"),
    )
    assert _hits(indicators, _post("SASASHER MEDIA, again")) == ["LAT"]
    assert _hits(indicators, _post("Sasasher-Media")) == ["LAT"]
    assert _hits(indicators, _post("Sasasher Medias")) == []
    assert _hits(indicators, _post("Sasashers Media")) == []
    assert _hits(indicators, _post("«Нутпи», сказал он")) == ["CYR"]
    assert _hits(indicators, _post("нутпия и нутпиев")) == []
    assert _hits(indicators, _post("من ميديا مومييكني.")) == ["ARA"]
    assert _hits(indicators, _post("ميديا مومييكنيات")) == []
    assert _hits(indicators, _post("IŞIK yandı")) == ["TR"]
    assert _hits(indicators, _post("Işıklar")) == []


def test_one_word_terms_also_match_hashtags_but_hashtags_only_hashtags() -> None:
    indicators = _set(_rule("T", "term", "Delpi84"), _rule("H", "hashtag", "#Delpi84"))
    assert _hits(indicators, _post("see #delpi84!")) == ["T", "H"]
    assert _hits(indicators, _post("see delpi84!")) == ["T"]
    assert _hits(indicators, _post("#Delpi845 #xDelpi84")) == []


def test_overlapping_rules_all_fire_once_each_in_file_order() -> None:
    indicators = _set(
        _rule("PHRASE", "term", "sasasher media"),
        _rule("WORD", "term", "sasasher"),
        _rule("RX", "regex", r"sasasher\s+med"),
        _rule("RX2", "regex", r"media\b"),
    )
    signals = _score(indicators, _post("Sasasher Media and sasasher media again"))
    assert [s.label for s in signals] == ["PHRASE", "WORD", "RX", "RX2"]
    assert signals[2].evidence["matched"] == "sasasher med"


def test_domains_and_subdomains_in_links_text_and_entities() -> None:
    indicators = _set(_rule("D", "domain", "files.example"), _rule("W", "domain", "*.up.test"))
    assert _hits(indicators, _post("get it at https://cdn.files.example/x")) == ["D"]
    assert _hits(indicators, _post("mirror: files.example/abc.")) == ["D"]
    assert _hits(indicators, _post("link", urls=["https://FILES.example/a"])) == ["D"]
    assert _hits(indicators, _post("https://otherfiles.example/x files.example.org")) == []
    assert _hits(indicators, _post("up.test and a.b.up.test")) == ["W"]
    [signal] = _score(indicators, _post("https://cdn.files.example/x"))
    assert signal.explanation.startswith("domain cdn.files.example matched rule D ")


def test_rules_are_scoped_by_the_posts_language() -> None:
    indicators = _set(
        _rule("ANY", "term", "zaskurkhit"),
        _rule("AR", "term", "zaskurkhit", language="ar"),
        _rule("RU", "term", "zaskurkhit", language="ru"),
    )
    text = "zaskurkhit-001"
    assert _hits(indicators, _post(text, lang="ar")) == ["ANY", "AR"]
    assert _hits(indicators, _post(text, lang="ru-RU")) == ["ANY", "RU"]
    assert _hits(indicators, _post(text, lang="de")) == ["ANY"]
    for unknown in (None, "", "und", "qme", "zxx"):
        assert _hits(indicators, _post(text, lang=unknown)) == ["ANY", "AR", "RU"]
    [signal, *_] = _score(indicators, _post(text, lang="qme"))
    assert signal.evidence["post_language"] == ""


def test_signals_follow_batch_order() -> None:
    indicators = _set(_rule("A", "hashtag", "x1"), _rule("B", "term", "beta"))
    posts = [
        _post("beta #x1", post_id="1"),
        _post("nothing", post_id="2"),
        _post("#X1", post_id="3"),
    ]
    signals = _score(indicators, *posts)
    assert [(s.subject_id, s.label) for s in signals] == [("1", "A"), ("1", "B"), ("3", "A")]
    assert signals[2].evidence["matched"] == "#X1"  # as the post wrote it


def test_the_file_version_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "v.toml"
    post = _post("#Delpi84")
    rule = '[[rule]]\nid = "R"\nlanguage = "*"\nkind = "hashtag"\npattern = "Delpi84"\n'
    rule += "weight = 0.4\n"
    seen = []
    for version in ("1", "2"):
        path.write_text(HEADER.replace('version = "1"', f'version = "{version}"') + rule)
        [signal] = _score(load_indicator_file(path), post)
        seen.append((signal.evidence["version"], signal.explanation))
    assert seen == [
        ("1", "hashtag #Delpi84 matched rule R (weight 0.4, file t@1)"),
        ("2", "hashtag #Delpi84 matched rule R (weight 0.4, file t@2)"),
    ]


def test_fit_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        IndicatorDetector().fit(Batch())
    with pytest.raises(ValueError, match="exactly one"):
        IndicatorDetector(_set(), path=str(SAMPLE)).fit(Batch())
    with pytest.raises(NotFittedError):
        IndicatorDetector(_set()).score(Batch())
    with pytest.raises(FileNotFoundError):
        IndicatorDetector(path="/nonexistent/indicators.toml").fit(Batch())


def test_folding_and_words() -> None:
    assert fold("İSTANBUL Işık") == "istanbul işik"
    assert fold("Straße") == "strasse"
    assert fold("ＦＵＬＬ") == "full"
    assert fold("بِسْمِ") == "بسم"
    assert fold("كتابـــي ٢٠٢٥ ۱۲") == "كتابي 2025 12"
    assert words(fold("«Привет», мир! #Тег_1 a.b")) == [
        "привет".encode(),
        "мир".encode(),
        "#тег_1".encode(),
        b"a",
        b"b",
    ]
    assert words("नमस्ते दुनिया") == ["नमस्ते".encode(), "दुनिया".encode()]


# -- simulated workloads -------------------------------------------------------------------
# Throughput is measured by bench/indicators.py (figures in bench/results/indicators.json),
# not asserted here: a timed floor only measured the CI runner's load.


def test_simulated_workloads_hit_where_the_campaign_is() -> None:
    """Every language of the simulator: the campaign is hit far more than bystanders, and
    the regexes only add hits to what the terms, hashtags and domains find."""
    full = load_indicator_file(SAMPLE)
    simple = dataclasses.replace(full, rules=tuple(r for r in full.rules if r.kind != "regex"))
    rate: dict[tuple[str, str], float] = {}
    for workload in ("bystanders", "campaign"):
        batch = Batch(posts=workload_posts(400, workload))
        found = {}
        for name, indicators in (("simple", simple), ("full", full)):
            signals = IndicatorDetector(indicators).fit(batch).score(batch)
            found[name] = {(s.subject_id, s.label) for s in signals}
            rate[workload, name] = len(signals) / len(batch.posts)
        assert found["simple"] <= found["full"]
    assert rate["campaign", "simple"] > 3 * rate["bystanders", "simple"] > 0
    assert rate["campaign", "full"] > rate["campaign", "simple"]
