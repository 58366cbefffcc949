"""The contract every detector keeps, and the signal it returns.

Modelled on scikit-learn's estimators: ``__init__`` stores parameters only, ``fit``
learns (state in attributes ending in ``_``) and returns ``self``, ``score`` returns
:class:`Signal` values that say which rule, hash, model or neighbour fired and how
strongly. Detectors register under the ``iru.detectors`` entry-point group by a
stable name, built-in ones included. The workspace builds each of them from the unit's
knowledge through ``from_knowledge`` (:mod:`iru.detect.knowledge`), and each ships
``examples()`` on which every registered detector must pass the plugin conformance suite
(``tests/test_plugin_conformance.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol, Self, runtime_checkable

import msgspec

from iru.domain import Media, Post

if TYPE_CHECKING:
    from iru.detect.knowledge import DetectorExample, Knowledge


class Signal(msgspec.Struct, frozen=True, kw_only=True):
    """One detector's finding on one post or media item."""

    detector: str  # the detector's stable name
    subject: str  # "post" or "media"
    platform: str
    subject_id: str  # post_id or media_id
    score: float  # strength in [0, 1]
    label: str  # what fired: a rule id, a hash-list label, a language code, a model version
    explanation: str  # one line an analyst can read
    evidence: dict[str, str] = msgspec.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Batch:
    """What detectors look at: posts and the media attached to them."""

    posts: Sequence[Post] = ()
    media: Sequence[Media] = ()
    # Local files of media items, by media_id, where the unit has downloaded them.
    media_files: dict[str, bytes] = field(default_factory=dict)


class NotFittedError(RuntimeError):
    """``score`` was called before ``fit``."""


def check_fitted(detector: object, attribute: str) -> None:
    """Raise NotFittedError unless ``fit`` has set ``attribute`` on the detector."""
    if not hasattr(detector, attribute):
        raise NotFittedError(f"{type(detector).__name__} is not fitted; call fit first")


@runtime_checkable
class Detector(Protocol):
    """A detector: configured in ``__init__``, ``fit`` returns self, ``score`` explains itself."""

    name: ClassVar[str]

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Sequence[Self]:
        """The detectors the unit's knowledge configures, unfitted; () when it has nothing
        to configure one with (the detector then does not run)."""
        ...

    @classmethod
    def examples(cls) -> Sequence[DetectorExample]:
        """Small synthetic examples: knowledge, a batch, the items that must (not) fire."""
        ...

    def fit(self, batch: Batch) -> Self:
        """Learn from (or just prepare on) a batch; returns self."""
        ...

    def score(self, batch: Batch) -> list[Signal]:
        """Signals for the batch, in a deterministic order; [] when nothing fires."""
        ...


ENTRY_POINT_GROUP = "iru.detectors"
