"""The conformance suite of every installed plugin, fed by the examples each plugin ships.

Like python-threatexchange's signal-type tests over ``get_examples()`` and scikit-learn's
``check_estimator``: for every entry point of ``iru.ingest_formats``, ``iru.detectors`` and
``iru.connectors`` (built-in and third-party alike), the plugin's own ``examples()`` are run
through the contract of its kind.

- **Detectors** (:mod:`iru.detect.base`): built through ``from_knowledge`` from each
  example's knowledge; a stable lowercase name equal to the registration, ``__init__`` that
  only stores parameters, ``score`` before ``fit`` refused, ``fit`` returning ``self`` and
  keeping its parameters, ``[]`` for an empty batch, deterministic, well-formed, explained,
  msgspec-encodable signals about the batch's items; the example's items fire (with their
  labels) or stay quiet as it says. Each is also run on a multilingual batch from the
  simulator with edge cases (empty, emoji-only, unknown language) to check that well-formed,
  deterministic output does not depend on the plugin's own examples.
- **Ingest formats** (:mod:`iru.ingest.base`): the example file is recognised by the format
  and by auto-detection, reads to the expected counts of each record kind (bad records as
  ``Rejected`` values with locator, reason and raw bytes, never an exception), twice alike.
- **Connectors** (:mod:`iru.cases.connectors`): built with ``from_settings``, delivers the
  example package (to the local target the example starts), delivers it again under the same
  idempotency key without a second notice, reads the ticket's events, closes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from iru.cases.connectors import Connector, PlatformEvent, Receipt
from iru.detect.base import Batch, Detector, NotFittedError, Signal
from iru.detect.knowledge import DetectorExample, Knowledge
from iru.detect.registry import detector_classes
from iru.domain import Post
from iru.engine.adapters.examples import ConnectorExample
from iru.engine.adapters.registry import connector_factory
from iru.ingest.base import IngestFormat, Rejected
from iru.ingest.examples import KINDS, IngestExample, record_counts
from iru.ingest.registry import available_formats, detect_format
from iru.plugins import GROUPS

NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _entry_points(kind: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUPS[kind])}


DETECTORS = _entry_points("detector")
FORMATS = _entry_points("ingest-format")
CONNECTORS = _entry_points("connector")


def test_every_kind_has_its_built_in_plugins() -> None:
    assert {"language", "indicators", "known-media", "near-duplicate-text", "known-urls"} <= set(
        DETECTORS
    )
    assert {"twitter-v2", "telegram", "activitypub", "jsonl"} <= set(FORMATS)
    assert {"http", "export"} <= set(CONNECTORS)
    for kind, found in (("detector", DETECTORS), ("ingest-format", FORMATS)):
        for name in found:
            assert NAME.fullmatch(name), f"{kind} {name!r}: lowercase words joined by '-'"


# -- detectors -------------------------------------------------------------------------------


def detector_class(name: str) -> type[Detector]:
    return detector_classes()[name]


def detector_examples(name: str) -> list[DetectorExample]:
    examples = list(detector_class(name).examples())
    assert examples, f"detector {name!r} ships no examples"
    return examples


def build(name: str, example: DetectorExample) -> Detector:
    """The one detector the example's knowledge configures, unfitted."""
    built = list(detector_class(name).from_knowledge(example.knowledge))
    assert len(built) == 1, f"{name}: the example's knowledge should configure one detector"
    return built[0]


def item_ids(batch: Batch) -> dict[tuple[str, str], str]:
    """(subject, id) -> platform of every post and media item of a batch."""
    items = {("post", p.post_id): p.platform for p in batch.posts}
    items |= {("media", m.media_id): m.platform for m in batch.media}
    return items


def learned(detector: object) -> list[str]:
    return sorted(a for a in vars(detector) if a.endswith("_") and not a.startswith("__"))


def check_signals(name: str, signals: list[Signal], batch: Batch) -> None:
    assert isinstance(signals, list)
    items = item_ids(batch)
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


def test_detector_registry_loads_every_entry_point() -> None:
    assert sorted(detector_classes()) == sorted(DETECTORS)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_name_is_the_registration(name: str) -> None:
    cls = detector_class(name)
    assert isinstance(cls.name, str) and cls.name == name, f"{cls.__name__}.name is {cls.name!r}"
    for example in detector_examples(name):
        detector = build(name, example)
        assert type(detector) is cls and detector.name == name
        assert isinstance(detector, Detector)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_examples_are_well_made(name: str) -> None:
    for example in detector_examples(name):
        ids = {item_id for _, item_id in item_ids(example.batch)}
        assert example.fires, "an example must say which items fire"
        assert example.fires <= ids and example.quiet <= ids, "examples name their own items"
        assert not example.fires & example.quiet
        assert set(example.labels) <= example.fires


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_nothing_known_builds_only_what_needs_no_knowledge(name: str) -> None:
    cls = detector_class(name)
    for detector in cls.from_knowledge(Knowledge()):
        assert type(detector) is cls
        assert detector.fit(Batch()).score(Batch()) == []


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_init_only_stores_parameters(name: str) -> None:
    for example in detector_examples(name):
        assert learned(build(name, example)) == [], "__init__ must not set attributes ending '_'"


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_score_before_fit_is_refused(name: str) -> None:
    for example in detector_examples(name):
        with pytest.raises(NotFittedError):
            build(name, example).score(example.batch)
        with pytest.raises(NotFittedError):
            build(name, example).score(Batch())


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_fit_returns_self_and_keeps_parameters(name: str) -> None:
    for example in detector_examples(name):
        detector = build(name, example)
        params = {k: v for k, v in vars(detector).items() if not k.endswith("_")}
        assert detector.fit(example.batch) is detector
        assert learned(detector), "fit must set its state in attributes ending in '_'"
        after = {k: v for k, v in vars(detector).items() if not k.endswith("_")}
        assert after.keys() == params.keys()
        assert all(after[k] is params[k] for k in params), "fit must not change the parameters"


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_empty_batch_gives_no_signals(name: str) -> None:
    for example in detector_examples(name):
        assert build(name, example).fit(example.batch).score(Batch()) == []
        assert build(name, example).fit(Batch()).score(Batch()) == []


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_fires_on_its_examples_as_they_say(name: str) -> None:
    for example in detector_examples(name):
        signals = build(name, example).fit(Batch()).score(example.batch)
        check_signals(name, signals, example.batch)
        fired: dict[str, set[str]] = {}
        for signal in signals:
            fired.setdefault(signal.subject_id, set()).add(signal.label)
        assert example.fires <= set(fired), f"did not fire on {sorted(example.fires - set(fired))}"
        assert not example.quiet & set(fired), f"fired on {sorted(example.quiet & set(fired))}"
        for item_id, label in example.labels.items():
            assert label in fired[item_id], f"{item_id}: {label!r} not in {sorted(fired[item_id])}"


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_signals_are_deterministic_and_msgspec_encodable(name: str) -> None:
    for example in detector_examples(name):
        detector = build(name, example).fit(example.batch)
        first = detector.score(example.batch)
        assert detector.score(example.batch) == first
        assert build(name, example).fit(example.batch).score(example.batch) == first
        as_json = msgspec.json.encode(first)
        assert msgspec.json.decode(as_json, type=list[Signal]) == first
        as_msgpack = msgspec.msgpack.encode(first)
        assert msgspec.msgpack.decode(as_msgpack, type=list[Signal]) == first


# A multilingual batch from the simulator (its vocabulary's languages, propaganda stand-ins,
# hard negatives, bystanders) with edge cases: detectors must not depend on their examples.
SEED = 7
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    batch: Batch


def make_sample() -> Sample:
    from iru.sim.content import ContentGenerator
    from iru.sim.vocabulary import generate_vocabulary

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
    edge = (("", None), ("🙏🔥", None), ("ok", "und"))
    posts += [
        Post(
            platform="twitter",
            post_id=f"p-{n + i}",
            account_id="acc-9",
            created_at=T0,
            text=text,
            lang=lang,
        )
        for i, (text, lang) in enumerate(edge)
    ]
    return Sample(batch=Batch(posts=tuple(posts)))


@pytest.fixture(scope="module")
def sample() -> Sample:
    return make_sample()


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_on_a_multilingual_batch(name: str, sample: Sample) -> None:
    for example in detector_examples(name):
        signals = build(name, example).fit(sample.batch).score(sample.batch)
        check_signals(name, signals, sample.batch)
        again = build(name, example).fit(make_sample().batch).score(make_sample().batch)
        assert again == signals


# -- ingest formats --------------------------------------------------------------------------


def format_examples(name: str) -> list[IngestExample]:
    fmt = available_formats()[name]
    examples = list(type(fmt).examples())
    assert examples, f"ingest format {name!r} ships no examples"
    return examples


def write(example: IngestExample, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / example.filename
    path.write_bytes(example.data)
    return path


def test_format_registry_loads_every_entry_point() -> None:
    assert sorted(available_formats()) == sorted(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_keeps_the_protocol(name: str) -> None:
    fmt = available_formats()[name]
    assert isinstance(fmt, IngestFormat)
    assert fmt.name == name
    assert isinstance(fmt.description, str) and fmt.description.strip()
    for example in format_examples(name):
        assert set(example.counts) <= set(KINDS), f"count kinds are {KINDS}"
        assert sum(example.counts.values()) > 0


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_recognises_its_examples(name: str, tmp_path: Path) -> None:
    for n, example in enumerate(format_examples(name)):
        path = write(example, tmp_path / str(n))
        assert detect_format(path).name == name, "auto-detection must pick the format"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_reads_its_examples_to_the_expected_counts(name: str, tmp_path: Path) -> None:
    fmt = available_formats()[name]
    for n, example in enumerate(format_examples(name)):
        path = write(example, tmp_path / str(n))
        consumed: list[int] = []
        items = list(fmt.read(path, progress=consumed.append))
        expected = {kind: example.counts.get(kind, 0) for kind in KINDS}
        assert record_counts(items) == expected
        for item in items:
            if isinstance(item, Rejected):
                assert item.locator.strip() and item.reason.strip(), item
                assert isinstance(item.raw, bytes)
        assert list(fmt.read(path)) == items, "reading is deterministic"
        assert sum(consumed) <= path.stat().st_size


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_is_not_fooled_by_other_formats_examples(name: str, tmp_path: Path) -> None:
    """Auto-detection gives every example to its own format, whichever formats are installed."""
    for other in sorted(FORMATS):
        if other == name:
            continue
        for n, example in enumerate(format_examples(other)):
            path = write(example, tmp_path / other / str(n))
            assert detect_format(path).name == other


# -- connectors ------------------------------------------------------------------------------


def connector_plugin(name: str) -> Any:
    return CONNECTORS[name].load()


def connector_examples(name: str) -> list[ConnectorExample]:
    plugin = connector_plugin(name)
    assert callable(getattr(plugin, "examples", None)), f"connector {name!r} ships no examples"
    examples = list(plugin.examples())
    assert examples, f"connector {name!r} ships no examples"
    return examples


def connected(name: str, example: ConnectorExample, root: Path, stack: ExitStack) -> Connector:
    settings = dict(example.settings)
    if example.target is not None:
        settings |= stack.enter_context(example.target())
    connector = connector_factory(connector_plugin(name))(settings, root)
    stack.callback(connector.close)
    return connector


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as exits:
        yield exits


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_connector_keeps_the_protocol(name: str, tmp_path: Path, stack: ExitStack) -> None:
    for n, example in enumerate(connector_examples(name)):
        connector = connected(name, example, tmp_path / str(n), stack)
        assert isinstance(connector, Connector)
        assert connector.name == name


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_connector_delivers_its_example_once(name: str, tmp_path: Path, stack: ExitStack) -> None:
    for n, example in enumerate(connector_examples(name)):
        connector = connected(name, example, tmp_path / str(n), stack)
        receipt = connector.deliver(example.outgoing)
        assert type(receipt) is Receipt and receipt.connector == name
        assert not receipt.replayed
        again = connector.deliver(example.outgoing)
        assert again.replayed, "the same idempotency key must not deliver twice"
        assert again.ticket == receipt.ticket
        if receipt.ticket is not None:
            events = connector.events(example.outgoing.platform, receipt.ticket)
            assert events is None or all(type(e) is PlatformEvent for e in events)
        else:
            assert receipt.received_at is None, "no ticket: nothing acknowledged yet"
