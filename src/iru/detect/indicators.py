"""Analysts' indicator rules (terms, hashtags, domains, regexes per language) from versioned files.

The file format is in ``docs/indicators.md``. Rules and posts are *folded* alike (:func:`fold`).
Terms, hashtags and domains compile into hash tables keyed by UTF-8 words, so a post costs one
tokenisation (``bytes.translate`` and ``split``, at C speed) and a few set intersections however
many rules there are, and overlapping rules all fire. A language's regexes are joined into one
alternation that screens posts; only a post it matches meets each regex on its own.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from os import PathLike, fspath
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self

from iru.detect.base import Batch, Signal, check_fitted
from iru.detect.folding import DOMAIN, HASHTAG, find_hosts, fold, fold_letters, separate, words
from iru.domain import Post

if TYPE_CHECKING:
    from iru.detect.knowledge import DetectorExample, Knowledge


class IndicatorKind(StrEnum):
    """What a rule's pattern is."""

    TERM = "term"  # a word or phrase of whole words
    HASHTAG = "hashtag"  # one hashtag, with or without its '#'
    REGEX = "regex"  # a Python regular expression, searched in the folded text
    DOMAIN = "domain"  # a domain; matches it and its subdomains in links and text


ANY_LANGUAGE = "*"
#: (rule id or "#n", reason) pairs; the rule is None for a problem of the file itself.
Problems = list[tuple[str | None, str]]

_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


# -- the indicator set ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    """One analyst's rule."""

    id: str
    language: str  # ISO 639-1 code, or "*" for any language
    kind: IndicatorKind
    pattern: str
    weight: float
    description: str = ""


class IndicatorFileError(ValueError):
    """An indicator file (or set) is invalid; ``problems`` lists (rule, reason) pairs."""

    def __init__(self, source: str, problems: Sequence[tuple[str | None, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = (f"{source}: " + (f"rule {r}: " if r else "") + why for r, why in self.problems)
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    """A named, versioned list of rules, checked when built (raises IndicatorFileError)."""

    name: str
    version: str
    author: str
    updated: date
    rules: tuple[IndicatorRule, ...]
    description: str = ""
    source: str = field(default="<memory>", compare=False)

    def __post_init__(self) -> None:
        problems: Problems = [(r.id, why) for r in self.rules for why in rule_problems(r)]
        problems += _duplicates(rule.id for rule in self.rules)
        names = (self.name, self.version, self.author)
        if not all(isinstance(v, str) and v.strip() for v in names):
            problems.append((None, "name, version and author must be non-empty strings"))
        if problems:
            raise IndicatorFileError(self.source, problems)

    @property
    def label(self) -> str:
        """``name@version``, as signals cite it."""
        return f"{self.name}@{self.version}"

    @classmethod
    def from_mapping(cls, data: object, source: str = "<memory>") -> IndicatorSet:
        """An indicator set from a parsed TOML or JSON document, every problem reported."""
        if not isinstance(data, Mapping):
            raise IndicatorFileError(source, [(None, "the document must be a table/object")])
        problems: Problems = [
            (None, f"unknown key {key!r}" + (" (did you mean 'rule'?)" if key == "rules" else ""))
            for key in sorted(set(data) - _FILE_KEYS)
        ]
        header: dict[str, str] = {}
        for key in ("name", "version", "author", "description"):
            value = data.get(key, "" if key == "description" else None)
            if key == "version" and type(value) is int:
                value = str(value)
            if isinstance(value, str) and (value.strip() or key == "description"):
                header[key] = value.strip()
            else:
                got = "missing" if value is None else f"must be a non-empty string, got {value!r}"
                problems.append((None, f"{key!r} {got}"))
        updated = _as_date(data.get("updated"))
        if updated is None:
            when = data.get("updated")
            problems.append((None, f"'updated' must be a date (YYYY-MM-DD), got {when!r}"))
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            problems.append((None, "'rule' must be an array of tables ([[rule]])"))
            raw_rules = []
        rules = [r for n, raw in enumerate(raw_rules, 1) if (r := _parse_rule(raw, n, problems))]
        ids = [raw.get("id") for raw in raw_rules if isinstance(raw, Mapping)]
        problems.extend(_duplicates(rid for rid in ids if isinstance(rid, str) and rid))
        if problems or updated is None:
            raise IndicatorFileError(source, problems)
        return cls(**header, updated=updated, rules=tuple(rules), source=source)


_FILE_KEYS = frozenset({"version", "name", "author", "updated", "description", "rule"})
_RULE_KEYS = frozenset({"id", "language", "kind", "pattern", "weight", "description"})


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    with suppress(ValueError):
        return date.fromisoformat(value.strip()) if isinstance(value, str) else None
    return None


def _duplicates(ids: Iterable[str]) -> Problems:
    """Ids used twice (ignoring case: labels that differ only by case confuse analysts)."""
    first: dict[str, tuple[int, str]] = {}
    problems: Problems = []
    for n, rid in enumerate(ids):
        m, earlier = first.setdefault(rid.casefold(), (n, rid))
        if m != n:
            problems.append((rid, f"duplicate id (an earlier rule has id {earlier!r})"))
    return problems


def _parse_rule(raw: object, number: int, problems: Problems) -> IndicatorRule | None:
    """A rule from its table; None (and the reasons added to ``problems``) when invalid."""
    if not isinstance(raw, Mapping):
        problems.append((f"#{number}", "must be a table ([[rule]]) / object"))
        return None
    rid = raw.get("id")
    name = rid if isinstance(rid, str) and rid else f"#{number}"
    reasons = [f"unknown key {key!r}" for key in sorted(set(raw) - _RULE_KEYS)]
    for key in ("id", "language", "kind", "pattern", "description"):
        if key in raw and not isinstance(raw[key], str):
            reasons.append(f"{key!r} must be a string, got {raw[key]!r}")
        elif key not in raw and key != "description":
            reasons.append(f"{key!r} missing")
    weight = raw.get("weight", "")
    if type(weight) not in (int, float):
        got = "missing" if "weight" not in raw else f"must be a number, got {weight!r}"
        reasons.append(f"'weight' {got}")
    if not reasons:
        rule = IndicatorRule(
            id=raw["id"],
            language=raw["language"],
            kind=raw["kind"],
            pattern=raw["pattern"],
            weight=float(weight),
            description=raw.get("description", ""),
        )
        reasons = rule_problems(rule)
    problems.extend((name, reason) for reason in reasons)
    return None if reasons else rule


def rule_problems(rule: IndicatorRule) -> list[str]:
    """Why a rule is invalid ([] when it is fine)."""
    problems: list[str] = []
    if not _RULE_ID.fullmatch(rule.id):
        problems.append(f"id {rule.id!r} must be a letter or digit, then letters, digits, ._:-")
    if rule.language != ANY_LANGUAGE and not _LANGUAGE.fullmatch(rule.language):
        problems.append(f"language {rule.language!r} must be '*' or a lower-case ISO 639-1 code")
    if not (math.isfinite(rule.weight) and 0.0 <= rule.weight <= 1.0):
        problems.append(f"weight {rule.weight!r} must be between 0 and 1")
    try:
        kind = IndicatorKind(rule.kind)
    except ValueError:
        return [*problems, f"unknown kind {rule.kind!r} (use one of term, hashtag, regex, domain)"]
    if not rule.pattern.strip():
        return [*problems, "pattern is empty"]
    problem = _pattern_problem(kind, rule.pattern)
    return [*problems, problem] if problem else problems


def _pattern_problem(kind: IndicatorKind, pattern: str) -> str | None:
    folded = fold(pattern)
    if kind == IndicatorKind.TERM:
        if "#" in pattern or "://" in pattern:
            return f"term {pattern!r} holds '#' or a link: use kind 'hashtag' or 'domain'"
        return None if words(folded) else f"term {pattern!r} has no letters or digits"
    if kind == IndicatorKind.HASHTAG:
        if len(tag := words(folded.removeprefix("#"))) == 1 and b"#" not in tag[0]:
            return None
        return f"hashtag {pattern!r} must be one '#' and one word (letters, digits, '_')"
    if kind == IndicatorKind.DOMAIN:
        if DOMAIN.fullmatch(folded.removeprefix("*.")):
            return None
        return f"domain {pattern!r} must be a bare domain like x.example (no scheme, path, port)"
    try:
        compiled = re.compile(fold_letters(pattern), re.IGNORECASE)
        re.compile(f"(?:{fold_letters(pattern)})|(?:x)", re.IGNORECASE)
    except re.error as error:
        hint = " (scope the flags, as in (?s:...))" if "global flags" in str(error) else ""
        return f"invalid regex {pattern!r}: {error}{hint}"
    if compiled.groupindex or (compiled.groups and _BACKREF.search(pattern)):
        return f"regex {pattern!r} may not use named groups or back-references"
    found = compiled.search("") or compiled.search("a b")
    if found is not None and found.end() == found.start():
        return f"regex {pattern!r} matches the empty string (it would fire on every post)"
    return None


def load_indicator_file(path: str | PathLike[str]) -> IndicatorSet:
    """An indicator set from a ``.toml`` or ``.json`` file; IndicatorFileError when invalid."""
    is_json = Path(path).suffix.lower() == ".json"
    raw = Path(path).read_bytes()
    try:
        data = json.loads(raw) if is_json else tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        problem = f"not valid {'JSON' if is_json else 'TOML'}: {error}"
        raise IndicatorFileError(fspath(path), [(None, problem)]) from error
    return IndicatorSet.from_mapping(data, fspath(path))


# -- matching ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    """The compiled rules that apply to one language, keyed by folded pattern."""

    words: dict[bytes, tuple[int, ...]]  # one-word terms (also as '#word') and '#hashtags'
    phrases: dict[bytes, tuple[tuple[tuple[bytes, ...], int], ...]]  # by first word
    domains: dict[bytes, tuple[int, ...]]
    tlds: tuple[str, ...]  # ".example": a post without one has no domain to look up
    regexes: tuple[tuple[int, re.Pattern[str]], ...]
    regex_any: re.Pattern[str] | None  # all of them at once, to screen posts


def _compile(rules: Sequence[IndicatorRule], indices: Iterable[int]) -> _Table:
    keys: dict[bytes, tuple[int, ...]] = {}
    phrases: dict[bytes, tuple[tuple[tuple[bytes, ...], int], ...]] = {}
    domains: dict[bytes, tuple[int, ...]] = {}
    regexes: list[tuple[int, str]] = []
    for i in indices:
        rule = rules[i]
        if rule.kind == IndicatorKind.TERM:
            phrase = tuple(words(fold(rule.pattern)))
            if len(phrase) > 1:
                phrases[phrase[0]] = (*phrases.get(phrase[0], ()), (phrase, i))
            for key in (phrase[0], b"#" + phrase[0]) if len(phrase) == 1 else ():
                keys[key] = (*keys.get(key, ()), i)
        elif rule.kind == IndicatorKind.HASHTAG:
            key = b"#" + words(fold(rule.pattern.removeprefix("#")))[0]
            keys[key] = (*keys.get(key, ()), i)
        elif rule.kind == IndicatorKind.DOMAIN:
            domain = fold(rule.pattern.removeprefix("*.")).encode()
            domains[domain] = (*domains.get(domain, ()), i)
        else:
            regexes.append((i, fold_letters(rule.pattern)))
    any_regex = "|".join(f"(?:{p})" for _, p in regexes)
    return _Table(
        words=keys,
        phrases=phrases,
        domains=domains,
        tlds=tuple(sorted({"." + domain.rsplit(b".", 1)[-1].decode() for domain in domains})),
        regexes=tuple((i, re.compile(p, re.IGNORECASE)) for i, p in regexes),
        regex_any=re.compile(any_regex, re.IGNORECASE) if regexes else None,
    )


def _post_language(lang: str | None) -> str | None:
    """The post's language code, or None when the platform does not know it."""
    code = (lang or "").lower().replace("_", "-").split("-", 1)[0]
    unknown = code in ("", "und", "zxx", "mul") or (len(code) == 3 and "qaa" <= code <= "qtz")
    return None if unknown else code


def _match(table: _Table, post: Post, tags: dict[str, bytes]) -> dict[int, str]:
    """Rule index -> the (first) folded text that matched it (``tags``: a cache of folded
    hashtag entities, which repeat across a batch)."""
    text = fold(post.text)
    separated = separate(text)
    hits: dict[int, str] = {}
    if table.words or table.phrases:
        found = words(separated)
        for tag in post.hashtags:
            if (key := tags.get(tag)) is None:
                key = tags[tag] = b"#" + fold(tag.removeprefix("#")).encode()
            found.append(key)
        for word in table.words.keys() & found:
            for i in table.words[word]:
                hits.setdefault(i, word.decode())
        for first in table.phrases.keys() & found if table.phrases else ():
            starts = [n for n, word in enumerate(found) if word == first]
            for phrase, i in table.phrases[first]:
                if any(tuple(found[n : n + len(phrase)]) == phrase for n in starts):
                    hits.setdefault(i, b" ".join(phrase).decode())
    if table.domains:
        hosts = find_hosts(separated) if any(tld in text for tld in table.tlds) else set()
        for url in post.urls:
            hosts |= find_hosts(separate(fold(url)))
        for host in sorted(hosts):
            parts = host.split(b".")
            for n in range(len(parts) - 1):
                for i in table.domains.get(b".".join(parts[n:]), ()):
                    hits.setdefault(i, host.decode())
    if table.regex_any is not None and table.regex_any.search(text):
        for i, regex in table.regexes:
            if match := regex.search(text):
                hits.setdefault(i, match.group(0))
    return hits


def _original_hashtag(text: str, folded: str) -> str:
    """The hashtag as the post wrote it (folded form when it is not in the text)."""
    return next((str(t) for t in HASHTAG.findall(text) if fold(t) == folded), folded)


class IndicatorDetector:
    """One signal per post and rule that hits it: label the rule id, score the rule's weight."""

    name: ClassVar[str] = "indicators"

    def __init__(
        self, indicators: IndicatorSet | None = None, path: str | PathLike[str] | None = None
    ) -> None:
        self.indicators = indicators
        self.path = path

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Sequence[Self]:
        """One detector per indicator set (the newest version of each), in the sets' order."""
        return tuple(cls(indicator_set) for indicator_set in knowledge.indicator_sets)

    @classmethod
    def examples(cls) -> Sequence[DetectorExample]:
        """A hashtag, a term and a domain rule: posts that carry them fire, look-alikes do not."""
        from iru.detect.examples import indicators_examples

        return indicators_examples()

    def fit(self, batch: Batch) -> Self:
        """Loads the file (when given a path) and compiles the rules."""
        if self.indicators is not None and self.path is None:
            indicators = self.indicators
        elif self.path is not None and self.indicators is None:
            indicators = load_indicator_file(self.path)
        else:
            raise ValueError("IndicatorDetector needs exactly one of indicators= or path=")
        rules = indicators.rules
        languages = sorted({r.language for r in rules} - {ANY_LANGUAGE})
        self.indicator_set_ = indicators
        self.any_language_ = _compile(rules, [i for i, r in enumerate(rules) if r.language == "*"])
        self.by_language_ = {
            lang: _compile(rules, [i for i, r in enumerate(rules) if r.language in (lang, "*")])
            for lang in languages
        }
        self.unknown_language_ = _compile(rules, range(len(rules)))
        return self

    def score(self, batch: Batch) -> list[Signal]:
        """Signals for the posts, in the batch's order and each post's rules in file order."""
        check_fitted(self, "indicator_set_")
        indicators = self.indicator_set_
        cite = f"file {indicators.label}"
        about = {"indicators": indicators.name, "version": indicators.version}
        about["updated"] = indicators.updated.isoformat()
        facts = [
            (
                IndicatorKind(rule.kind),
                f"matched rule {rule.id} (weight {rule.weight:g}, {cite})",
                {"kind": str(rule.kind), "pattern": rule.pattern, "rule_language": rule.language}
                | about,
            )
            for rule in indicators.rules
        ]
        tables: dict[str | None, tuple[str, _Table]] = {}
        tags: dict[str, bytes] = {}
        out: list[Signal] = []
        for post in batch.posts:
            if (known := tables.get(post.lang)) is None:
                lang = _post_language(post.lang)
                table = self.by_language_.get(lang, self.any_language_) if lang else None
                known = tables[post.lang] = (lang or "", table or self.unknown_language_)
            hits = _match(known[1], post, tags)
            for i in sorted(hits):
                rule, matched = indicators.rules[i], hits[i]
                kind, cited, evidence = facts[i]
                if kind == IndicatorKind.HASHTAG:
                    matched = shown = "#" + _original_hashtag(post.text, matched[1:])
                else:
                    shown = matched if kind == IndicatorKind.DOMAIN else f'"{matched[:80]}"'
                out.append(
                    Signal(
                        detector=self.name,
                        subject="post",
                        platform=post.platform,
                        subject_id=post.post_id,
                        score=rule.weight,
                        label=rule.id,
                        explanation=f"{kind} {shown} {cited}",
                        evidence={"matched": matched, **evidence, "post_language": known[0]},
                    )
                )
        return out
