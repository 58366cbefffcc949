"""Who speaks around the propaganda: supporters, watchers, counter-speech, and everyone else.

iru's detection says *supporter* or *not supporter*; analysts' labels say the same. Neither
names counter-speech, so this module sorts the non-supporters by what their own posts do
(the rules are documented in docs/counter.md):

* a **producer** writes marker-carrying posts (at least ``min_marker_posts`` of them, and at
  least ``marker_share`` of its own posts) *and* reposts or forwards supporters, or mostly
  amplifies them (at least ``min_amplified`` reposts/forwards of supporters, making at least
  ``amplified_share`` of everything it put out): it behaves like part of the network that
  detection has not (yet) caught, so it is never counted as audience;
* a **watcher** writes marker-carrying posts in the same measure but never amplifies:
  journalists, researchers, officials and counter-speech accounts, the hard negatives;
* among the watchers, and the non-supporters that answer supporters (quote or reply to
  them at least ``min_engaged`` times) without ever amplifying them, **counter-speech** is
  told apart from reporting and from chat by the framing of its posts: each post's
  multilingual sentence embedding (USE v3, sixteen languages) is compared with a few
  hand-written, generic counter-message exemplars ("don't share it, report it") and
  reporting exemplars (news, research, official notices). A post's margin is its best
  counter cosine minus the larger of its best reporting cosine and ``min_similarity`` (so
  chat, close to neither, scores below zero); an account whose mean margin reaches
  ``counter_margin`` is counter-speech.

Everything else that is not a supporter is *other*; :mod:`iru.counter.segments` decides
which of those the propaganda reached. Pure: numpy only; the embedder is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

__all__ = [
    "COUNTER_EXEMPLARS",
    "REPORTING_EXEMPLARS",
    "AccountFacts",
    "Embedder",
    "FramingResult",
    "Voice",
    "VoiceRules",
    "classify_voices",
    "counter_framing",
    "framing_candidates",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
Embedder = Callable[[list[str]], npt.NDArray[np.floating]]


class Voice(IntEnum):
    """What an account is, for counter-messaging (stored as small integers in arrays)."""

    OTHER = 0  # not a supporter, not speaking about the propaganda
    SUPPORTER = 1  # labelled or assessed supporter
    PRODUCER = 2  # writes propaganda markers and amplifies supporters: likely undetected
    WATCHER = 3  # writes about the propaganda without amplifying it (news, research, ...)
    COUNTER_SPEECH = 4  # a watcher whose posts are counter-messages


#: Generic counter-messages: what a counter-speech post says, whatever it is about.
COUNTER_EXEMPLARS: tuple[str, ...] = (
    "This is propaganda. Don't share it, report it.",
    "Fact check: this video is old propaganda, do not spread it.",
    "Don't amplify extremist content. Report the account instead.",
    "Do not click these links, they spread propaganda. Report them.",
    "Ne partagez pas cette propagande, signalez-la.",
    "هذه دعاية، لا تشاركها وأبلغ عنها.",
)
#: Generic reporting: news, research and official notices about the same material.
REPORTING_EXEMPLARS: tuple[str, ...] = (
    "Breaking news: platforms removed the accounts after the video appeared.",
    "Our newsroom is tracking the hashtag campaign overnight.",
    "Researchers archived the release for analysis; a new study of the network.",
    "Police notice: the authorities warn the public and ask people to report material.",
    "Official statement from the ministry about the online campaign.",
    "Thread: our data shows the campaign spiking again.",
)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the sorting needs per account ``0..n-1``."""

    supporter: BoolArray  # labelled or assessed supporter (labels win)
    own_posts: IntArray  # original posts, quotes and replies in the window (not reposts)
    marker_posts: IntArray  # of those, posts on which a content detector fired
    amplified: IntArray  # reposts and forwards of supporters' posts in the window
    engaged: IntArray | None = None  # quotes of and replies to supporters' posts

    @property
    def n(self) -> int:
        return int(np.shape(self.supporter)[0])


@dataclass(frozen=True, slots=True)
class VoiceRules:
    """Thresholds of the sorting (see the module docstring)."""

    marker_share: float = 0.35
    min_marker_posts: int = 1
    amplified_share: float = 0.5
    min_amplified: int = 2
    counter_margin: float = 0.05
    min_similarity: float = 0.2
    posts_per_account: int = 5  # posts embedded per candidate
    min_engaged: int = 2  # quotes/replies that make a non-amplifier a framing candidate


@dataclass(frozen=True, slots=True)
class FramingResult:
    """The framing test of the watchers that had texts: their margin and the verdict."""

    accounts: IntArray
    margin: FloatArray  # mean (best counter cosine - best reporting cosine) over its posts
    counter: BoolArray


def classify_voices(facts: AccountFacts, rules: VoiceRules | None = None) -> IntArray:
    """A :class:`Voice` code per account: SUPPORTER, PRODUCER, WATCHER or OTHER."""
    rules = rules or VoiceRules()
    n = facts.n
    for name in ("own_posts", "marker_posts", "amplified"):
        if np.shape(getattr(facts, name)) != (n,):
            raise ValueError(f"{name} must have shape ({n},)")
    own = np.asarray(facts.own_posts, dtype=np.float64)
    marked = np.asarray(facts.marker_posts, dtype=np.float64)
    share = np.divide(marked, own, out=np.zeros(n), where=own > 0)
    speaks = (marked >= rules.min_marker_posts) & (share >= rules.marker_share)
    passed = np.asarray(facts.amplified, dtype=np.float64)
    amplifies = passed > 0
    mostly = (passed >= rules.min_amplified) & (passed >= rules.amplified_share * (passed + own))
    voices = np.full(n, Voice.OTHER, dtype=np.int64)
    voices[(speaks & amplifies) | mostly] = Voice.PRODUCER
    voices[speaks & ~amplifies] = Voice.WATCHER
    voices[np.asarray(facts.supporter, dtype=bool)] = Voice.SUPPORTER
    return voices


def framing_candidates(
    facts: AccountFacts, voices: IntArray, rules: VoiceRules | None = None
) -> IntArray:
    """Who gets the framing test: watchers, and non-supporters that answer supporters (at least
    ``min_engaged`` quotes or replies) without ever amplifying them."""
    rules = rules or VoiceRules()
    answers = np.zeros(facts.n, dtype=bool)
    if facts.engaged is not None:
        answers = (np.asarray(facts.engaged) >= rules.min_engaged) & (
            np.asarray(facts.amplified) == 0
        )
    chosen = (voices == Voice.WATCHER) | ((voices == Voice.OTHER) & answers)
    return np.flatnonzero(chosen).astype(np.int64)


def _unit(rows: npt.NDArray[np.floating]) -> FloatArray:
    matrix = np.asarray(rows, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.where(norms > 0, norms, 1.0))


def counter_framing(
    accounts: Sequence[int],
    texts: Sequence[Sequence[str]],
    embed: Embedder,
    rules: VoiceRules | None = None,
    *,
    counter_exemplars: Sequence[str] = COUNTER_EXEMPLARS,
    reporting_exemplars: Sequence[str] = REPORTING_EXEMPLARS,
) -> FramingResult:
    """Which of ``accounts`` (watchers, with their marker posts in ``texts``) counter-message."""
    rules = rules or VoiceRules()
    if len(accounts) != len(texts):
        raise ValueError("accounts and texts must have the same length")
    batch: list[str] = []
    owner: list[int] = []
    for position, posts in enumerate(texts):
        chosen = [t for t in posts if t.strip()][: rules.posts_per_account]
        batch.extend(chosen)
        owner.extend([position] * len(chosen))
    ids = np.asarray(accounts, dtype=np.int64)
    if not batch:
        return FramingResult(ids[:0], np.zeros(0), np.zeros(0, dtype=bool))
    exemplars = [*counter_exemplars, *reporting_exemplars]
    vectors = _unit(embed([*exemplars, *batch]))
    k = len(counter_exemplars)
    protos, embedded = vectors[: len(exemplars)], vectors[len(exemplars) :]
    sims = embedded @ protos.T
    floor = np.maximum(sims[:, k:].max(axis=1), rules.min_similarity)
    per_post = sims[:, :k].max(axis=1) - floor
    who = np.asarray(owner, dtype=np.int64)
    counts = np.bincount(who, minlength=len(accounts)).astype(np.float64)
    sums = np.bincount(who, weights=per_post, minlength=len(accounts))
    has = counts > 0
    margin = sums[has] / counts[has]
    return FramingResult(ids[has], margin, margin >= rules.counter_margin)
