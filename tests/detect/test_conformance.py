"""The conformance suite every registered detector must pass.

Like scikit-learn's ``check_estimator`` and ThreatExchange's ``SignalTypeAutoTest``: for each
detector registered under the ``iru.detectors`` entry-point group (built-in and third-party
alike) it builds an instance from a small sample configuration, then checks the contract of
:mod:`iru.detect.base`: a stable lowercase name equal to the registration, ``__init__`` that
only stores parameters, ``score`` before ``fit`` refused, ``fit`` returning ``self``, ``[]``
for an empty batch, deterministic output, and well-formed, explained, msgspec-encodable
signals about the items of the batch.

To add a detector: register it, and add a factory to ``FACTORIES`` below when it cannot be
built with no arguments (or would then never fire on the sample batch).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from iru.detect.base import ENTRY_POINT_GROUP, Batch, Detector, NotFittedError, Signal
from iru.detect.registry import detector_classes
from iru.domain import Media, MediaKind, Post
from iru.sim.content import ContentGenerator
from iru.sim.vocabulary import MarkerVocabulary, generate_vocabulary

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE_INDICATORS = DATA / "indicators" / "sample-campaign.toml"
SEED = 7  # the synthetic world the sample indicator file was written for
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_ENTRY_POINTS: dict[str, EntryPoint] = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
REGISTERED = sorted(_ENTRY_POINTS)


# -- the sample batch ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A small multilingual batch from the simulator, with what the factories need."""

    vocabulary: MarkerVocabulary
    batch: Batch
    known_text: str  # a post text the near-duplicate sample config knows
    known_media: tuple[str, str, str]  # (sha256, pdq, label) of an image on the hash list


def _media_files() -> tuple[list[Media], dict[str, bytes], tuple[str, str, str]]:
    from iru.sim.media import encode_media, make_variant, render_release

    original = render_release(0, 1)
    known = encode_media(original, "m-known", "o1-r0", "original")
    variant = encode_media(make_variant(original, "crop", 3), "m-crop", "o1-r0", "crop")
    other = encode_media(render_release(5, 2), "m-other", "o2-r5", "original")

    def media(
        item_id: str, post_id: str, sha256: str | None = None, pdq: str | None = None
    ) -> Media:
        return Media(
            platform="telegram",
            media_id=item_id,
            post_id=post_id,
            account_id="acc-1",
            created_at=T0,
            kind=MediaKind.PHOTO,
            sha256=sha256,
            pdq=pdq,
        )

    items = [
        media("m-known", "p-0", sha256=known.sha256, pdq=known.pdq),
        media("m-crop", "p-1", pdq=variant.pdq),
        media("m-file", "p-2"),  # hashes only from the downloaded bytes
        media("m-other", "p-3", sha256=other.sha256, pdq=other.pdq),
    ]
    files = {"m-file": known.png}
    return items, files, (known.sha256, known.pdq, "terrorist-content/o1")


def make_sample() -> Sample:
    """Posts in every language of the simulator: propaganda stand-ins, hard negatives,
    bystanders, plus edge cases (empty, emoji-only, unknown language); and four media items."""
    vocab = generate_vocabulary(SEED)
    gen = ContentGenerator(vocab, SEED)
    rng = np.random.default_rng(SEED)
    release = gen.release(0, 0, vocab.outlets[0])
    texts = []
    for lang in vocab.languages:
        texts += [
            (lang, gen.propaganda(rng, lang, release)),
            (lang, gen.propaganda(rng, lang, None)),
            (lang, gen.hard_negative(rng, lang, "journalist", release)),
            (lang, gen.bystander(rng, lang, hijacked=True)),
            (lang, gen.bystander(rng, lang)),
        ]
    posts = [
        Post(
            platform="telegram" if n % 2 else "twitter",
            post_id=f"p-{n}",
            account_id=f"acc-{n % 5}",
            created_at=T0 + timedelta(minutes=n),
            text=g.text,
            lang=lang if n % 6 else None,
            hashtags=list(g.hashtags),
            urls=list(g.urls),
        )
        for n, (lang, g) in enumerate(texts)
    ]
    n = len(posts)
    posts += [
        Post(platform="twitter", post_id=f"p-{n}", account_id="acc-9", created_at=T0, text=""),
        Post(
            platform="twitter", post_id=f"p-{n + 1}", account_id="acc-9", created_at=T0, text="🙏🔥"
        ),
        Post(
            platform="twitter",
            post_id=f"p-{n + 2}",
            account_id="acc-9",
            created_at=T0,
            text="ok",
            lang="und",
        ),
    ]
    media, files, known = _media_files()
    return Sample(
        vocabulary=vocab,
        batch=Batch(posts=tuple(posts), media=tuple(media), media_files=files),
        known_text=texts[0][1].text,
        known_media=known,
    )


@pytest.fixture(scope="module")
def sample() -> Sample:
    return make_sample()


# -- sample configurations -------------------------------------------------------------------


def _language(cls: Any, sample: Sample) -> Any:
    return cls()


def _indicators(cls: Any, sample: Sample) -> Any:
    return cls(path=str(SAMPLE_INDICATORS))


def _known_media(cls: Any, sample: Sample) -> Any:
    from iru.detect.hashlists import KnownHashEntry, KnownHashList

    sha256, pdq, label = sample.known_media
    entries = (
        KnownHashEntry(hash_type="sha256", value=sha256, label=label, source="conformance"),
        KnownHashEntry(hash_type="pdq", value=pdq, label=label, source="conformance"),
    )
    return cls(hash_list=KnownHashList(entries=entries))


def _near_duplicate(cls: Any, sample: Sample) -> Any:
    return cls(known_texts=[("sample/release-0", sample.known_text)])


def _known_urls(cls: Any, sample: Sample) -> Any:
    vocab = sample.vocabulary
    domains = {vocab.outlets[0].domain: "outlet/o0"}
    domains.update(dict.fromkeys(vocab.filesharing_domains, "file-sharing"))
    return cls(domains=domains)


#: name -> (detector class, sample) -> a configured, unfitted instance. Unlisted: ``cls()``.
FACTORIES: dict[str, Callable[[Any, Sample], Any]] = {
    "language": _language,
    "indicators": _indicators,
    "known-media": _known_media,
    "near-duplicate-text": _near_duplicate,
    "known-urls": _known_urls,
}


def load_class(name: str) -> type[Detector]:
    """The registered class; skips (only) while its module is not written yet."""
    entry = _ENTRY_POINTS[name]
    module = entry.value.partition(":")[0]
    try:
        return detector_classes()[name]
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if not (module == missing or module.startswith(missing + ".")):
            raise
        try:
            cls: type[Detector] = entry.load()
        except ModuleNotFoundError as own:
            if own.name and (module == own.name or module.startswith(own.name + ".")):
                pytest.skip(f"{module} (registered as {name!r}) is not importable yet: {own}")
            raise
        return cls


def _default(cls: Any, sample: Sample) -> Any:
    return cls()


def build(name: str, sample: Sample) -> Detector:
    cls = load_class(name)
    detector: Detector = FACTORIES.get(name, _default)(cls, sample)
    return detector


def learned(detector: object) -> list[str]:
    return sorted(a for a in vars(detector) if a.endswith("_") and not a.startswith("__"))


# -- the checks ------------------------------------------------------------------------------


def test_registry_loads_every_registered_detector() -> None:
    try:
        classes = detector_classes()
    except ModuleNotFoundError as error:
        pytest.skip(f"a registered detector's module is not importable yet: {error}")
    assert sorted(classes) == REGISTERED
    assert {"language", "indicators"} <= set(classes)


@pytest.mark.parametrize("name", REGISTERED)
def test_name_is_the_registration(name: str, sample: Sample) -> None:
    cls = load_class(name)
    assert isinstance(cls.name, str) and cls.name, "name must be a non-empty string"
    assert cls.name == name, f"{cls.__name__}.name is {cls.name!r}, registered as {name!r}"
    assert NAME.fullmatch(cls.name), f"name {cls.name!r} must be lowercase words joined by '-'"
    detector = build(name, sample)
    assert detector.name == name
    assert isinstance(detector, Detector)


@pytest.mark.parametrize("name", REGISTERED)
def test_init_only_stores_parameters(name: str, sample: Sample) -> None:
    detector = build(name, sample)
    assert learned(detector) == [], "__init__ must not set learned attributes (ending in '_')"


@pytest.mark.parametrize("name", REGISTERED)
def test_score_before_fit_is_refused(name: str, sample: Sample) -> None:
    detector = build(name, sample)
    with pytest.raises(NotFittedError):
        detector.score(sample.batch)
    with pytest.raises(NotFittedError):
        build(name, sample).score(Batch())


@pytest.mark.parametrize("name", REGISTERED)
def test_fit_returns_self_and_keeps_parameters(name: str, sample: Sample) -> None:
    detector = build(name, sample)
    params = {k: v for k, v in vars(detector).items() if not k.endswith("_")}
    assert detector.fit(sample.batch) is detector
    assert learned(detector), "fit must set its state in attributes ending in '_'"
    after = {k: v for k, v in vars(detector).items() if not k.endswith("_")}
    assert after.keys() == params.keys()
    assert all(after[k] is params[k] for k in params), "fit must not change the parameters"


@pytest.mark.parametrize("name", REGISTERED)
def test_empty_batch_gives_no_signals(name: str, sample: Sample) -> None:
    assert build(name, sample).fit(sample.batch).score(Batch()) == []
    assert build(name, sample).fit(Batch()).score(Batch()) == []


@pytest.mark.parametrize("name", REGISTERED)
def test_score_is_deterministic(name: str, sample: Sample) -> None:
    detector = build(name, sample).fit(sample.batch)
    first = detector.score(sample.batch)
    assert detector.score(sample.batch) == first
    assert build(name, sample).fit(sample.batch).score(sample.batch) == first
    assert build(name, sample).fit(make_sample().batch).score(make_sample().batch) == first


@pytest.mark.parametrize("name", REGISTERED)
def test_signals_are_well_formed(name: str, sample: Sample) -> None:
    signals = build(name, sample).fit(sample.batch).score(sample.batch)
    assert isinstance(signals, list)
    assert signals, f"the sample config of {name!r} should make it fire on the sample batch"
    items = {("post", p.post_id): p.platform for p in sample.batch.posts}
    items |= {("media", m.media_id): m.platform for m in sample.batch.media}
    for signal in signals:
        assert type(signal) is Signal
        assert signal.detector == name
        assert signal.subject in ("post", "media")
        assert (signal.subject, signal.subject_id) in items, f"{signal} is about no input item"
        assert signal.platform == items[signal.subject, signal.subject_id]
        assert isinstance(signal.score, float | int) and not isinstance(signal.score, bool)
        assert math.isfinite(signal.score) and 0.0 <= signal.score <= 1.0, signal
        assert isinstance(signal.label, str) and signal.label.strip(), signal
        assert isinstance(signal.explanation, str) and signal.explanation.strip(), signal
        assert "\n" not in signal.explanation, "an explanation is one line"
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in signal.evidence.items())


@pytest.mark.parametrize("name", REGISTERED)
def test_signals_are_msgspec_encodable(name: str, sample: Sample) -> None:
    signals = build(name, sample).fit(sample.batch).score(sample.batch)
    as_json = msgspec.json.encode(signals)
    assert msgspec.json.decode(as_json, type=list[Signal]) == signals
    as_msgpack = msgspec.msgpack.encode(signals)
    assert msgspec.msgpack.decode(as_msgpack, type=list[Signal]) == signals
