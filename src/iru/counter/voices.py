"""Who speaks around the propaganda: supporters, watchers, counter-speech, and everyone else.

iru's detection says *supporter* or *not supporter*; analysts' labels say *supporter*,
*not_supporter* or *counter_speech*. This module sorts every account (the rules are
documented in docs/counter.md):

* a **supporter** is labelled one, or assessed one by the account model (labels win);
* a **producer** writes marker-carrying posts (at least ``min_marker_posts`` of them, and at
  least ``marker_share`` of its own posts) *and* reposts or forwards supporters, or mostly
  amplifies them (at least ``min_amplified`` reposts/forwards of supporters, making at least
  ``amplified_share`` of everything it put out): it behaves like part of the network that
  detection has not (yet) caught, so it is never counted as audience;
* a **possible supporter** is not assessed one, but close: the account model gives it at
  least ``possible_score``, or, for a *silent* account (nothing posted, passed on or
  answered in the window, so never assessed), its ties to supporters say as much: at
  least ``silent_odds`` by a one-feature logistic regression, fitted on the assessed
  accounts, of being a supporter on the number of supporters it follows
  (:func:`silent_supporter_odds`). Set aside like
  producers: the audience is who the network reaches, not who may belong to it;
* a **watcher** writes marker-carrying posts in the same measure but never amplifies:
  journalists, researchers, officials and counter-speech accounts, the hard negatives;
* **counter-speech** is labelled so by an analyst, or found by the framing test among the
  *framing candidates*: the watchers; the non-supporters that answer supporters (quote or
  reply to them at least ``min_engaged`` times) or write a marker-carrying post without
  ever amplifying them; and the accounts the model alone (no label) calls supporters that
  never amplify supporters — counter-speech quotes the same markers, and the model can
  mistake it. The test compares each of a candidate's posts (multilingual sentence
  embeddings, USE v3) with generic, hand-written counter-messages ("don't share it,
  report it") and reporting (news, research, official notices and advice). A post's
  margin is its best counter cosine minus the larger of its best reporting cosine and
  ``min_similarity`` (so chat, close to neither, scores below zero); an account whose mean
  margin reaches the threshold is counter-speech. The threshold is *learnt from the
  labels* when analysts have labelled at least ``min_labelled`` counter-speech accounts
  and ``min_labelled`` watchers ``not_supporter`` (:func:`learnt_margin`: the cut that
  best separates their margins), else ``counter_margin``. Accounts the model alone calls
  supporters must clear ``supporter_margin`` as well: overriding it takes more. (Posts of
  labelled accounts as extra prototypes were tried and dropped: a centroid of a few posts
  is closer to any post of its language than to its framing.)

Everything else is *other*; :mod:`iru.counter.segments` decides which of those the
propaganda reached. Pure: numpy and scikit-learn; the embedder is passed in.
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
    "learnt_margin",
    "silent_supporter_odds",
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
    COUNTER_SPEECH = 4  # labelled counter-speech, or a candidate whose posts counter-message
    POSSIBLE = 5  # not assessed a supporter, but close to it (score or ties)


#: Generic counter-messages: what a counter-speech post says, whatever it is about.
COUNTER_EXEMPLARS: tuple[str, ...] = (
    "This is propaganda. Don't share it, report it.",
    "Fact check: this video is old propaganda, do not spread it.",
    "Don't amplify extremist content. Report the account instead.",
    "Do not click these links, they spread propaganda. Report them.",
    "Ne partagez pas cette propagande, signalez-la.",
    "Das ist Propaganda. Nicht teilen, sondern melden.",
    "Это пропаганда. Не распространяйте, пожалуйтесь на аккаунт.",
    "Bu propaganda. Paylaşmayın, hesabı şikayet edin.",
    "این تبلیغات است. هم‌رسانی نکنید، گزارش دهید.",
    "هذه دعاية، لا تشاركها وأبلغ عنها.",
)
#: Generic reporting: news, research and official notices about the same material.
REPORTING_EXEMPLARS: tuple[str, ...] = (
    "Breaking news: platforms removed the accounts after the video appeared.",
    "Our newsroom is tracking the hashtag campaign overnight.",
    "Researchers archived the release for analysis; a new study of the network.",
    "Police notice: the authorities warn the public and ask people to report material.",
    "Official statement from the ministry about the online campaign.",
    "Police advice to the public: do not open these links; report them to the police.",
    "Avis de la police : n'ouvrez pas ces liens, signalez-les à la police.",
    "نصيحة من الشرطة: لا تفتحوا هذه الروابط وأبلغوا الشرطة عنها.",
    "Thread: our data shows the campaign spiking again.",
)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the sorting needs per account ``0..n-1`` (the optional arrays may be None)."""

    supporter: BoolArray  # labelled or assessed supporter (labels win)
    own_posts: IntArray  # original posts, quotes and replies in the window (not reposts)
    marker_posts: IntArray  # of those, posts on which a content detector fired
    amplified: IntArray  # reposts and forwards of supporters' posts in the window
    engaged: IntArray | None = None  # quotes of and replies to supporters' posts
    score: FloatArray | None = None  # the account model's probability; NaN: not assessed
    label: Sequence[str] | None = None  # analysts' label ("" for none)
    supporter_follows: IntArray | None = None  # supporters it follows (distinct)

    @property
    def n(self) -> int:
        return int(np.shape(self.supporter)[0])

    def labelled(self, kind: str) -> BoolArray:
        """Accounts whose analysts' label is ``kind``."""
        if self.label is None:
            return np.zeros(self.n, dtype=bool)
        return np.asarray([value == kind for value in self.label], dtype=bool)

    def silent(self) -> BoolArray:
        """Accounts that posted, passed on and answered nothing in the window."""
        quiet = (np.asarray(self.own_posts) == 0) & (np.asarray(self.amplified) == 0)
        if self.engaged is not None:
            quiet &= np.asarray(self.engaged) == 0
        return np.asarray(quiet)


@dataclass(frozen=True, slots=True)
class VoiceRules:
    """Thresholds of the sorting (see the module docstring)."""

    marker_share: float = 0.35
    min_marker_posts: int = 1
    amplified_share: float = 0.5
    min_amplified: int = 2
    counter_margin: float = 0.05
    supporter_margin: float = 0.08  # for accounts the model alone calls supporters
    min_similarity: float = 0.12
    posts_per_account: int = 5  # posts embedded per candidate
    min_engaged: int = 2  # quotes/replies that make a non-amplifier a framing candidate
    possible_score: float = 0.35  # model score that makes a non-supporter a possible one
    silent_odds: float = 0.6  # P(supporter | ties) that makes a silent account one
    min_labelled: int = 2  # labelled accounts of each side needed to learn the threshold
    margin_bounds: tuple[float, float] = (0.0, 0.2)  # where a learnt threshold may fall


@dataclass(frozen=True, slots=True)
class FramingResult:
    """The framing test of the watchers that had texts: their margin and the verdict."""

    accounts: IntArray
    margin: FloatArray  # mean (best counter cosine - best reporting cosine) over its posts
    counter: BoolArray


def silent_supporter_odds(facts: AccountFacts) -> FloatArray:
    """Per account, P(supporter | supporters it follows), fitted on the assessed accounts.

    NaN where there is nothing to fit (no follows known, or the assessed accounts are all
    of one kind)."""
    n = facts.n
    out = np.full(n, np.nan)
    if facts.supporter_follows is None or facts.score is None:
        return out
    follows = np.log1p(np.asarray(facts.supporter_follows, dtype=np.float64))
    assessed = ~np.isnan(np.asarray(facts.score, dtype=np.float64))
    y = np.asarray(facts.supporter, dtype=bool)[assessed]
    if not assessed.any() or y.all() or not y.any() or not follows.any():
        return out
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(class_weight=None)
    model.fit(follows[assessed].reshape(-1, 1), y.astype(np.int64))
    out[:] = model.predict_proba(follows.reshape(-1, 1))[:, 1]
    return out


def classify_voices(facts: AccountFacts, rules: VoiceRules | None = None) -> IntArray:
    """A :class:`Voice` code per account before the framing test: SUPPORTER, PRODUCER,
    POSSIBLE, WATCHER, COUNTER_SPEECH (labelled) or OTHER."""
    rules = rules or VoiceRules()
    n = facts.n
    for name in ("own_posts", "marker_posts", "amplified", "engaged", "score"):
        value = getattr(facts, name)
        if value is not None and np.shape(value) != (n,):
            raise ValueError(f"{name} must have shape ({n},)")
    if facts.label is not None and len(facts.label) != n:
        raise ValueError(f"label must have {n} entries")
    own = np.asarray(facts.own_posts, dtype=np.float64)
    marked = np.asarray(facts.marker_posts, dtype=np.float64)
    share = np.divide(marked, own, out=np.zeros(n), where=own > 0)
    speaks = (marked >= rules.min_marker_posts) & (share >= rules.marker_share)
    passed = np.asarray(facts.amplified, dtype=np.float64)
    amplifies = passed > 0
    mostly = (passed >= rules.min_amplified) & (passed >= rules.amplified_share * (passed + own))
    voices = np.full(n, Voice.OTHER, dtype=np.int64)
    if facts.score is not None:
        score = np.asarray(facts.score, dtype=np.float64)
        close = np.nan_to_num(score, nan=0.0) >= rules.possible_score
        odds = silent_supporter_odds(facts)
        tied = (
            facts.silent() & np.isnan(score) & (np.nan_to_num(odds, nan=0.0) >= rules.silent_odds)
        )
        voices[close | tied] = Voice.POSSIBLE
    voices[(speaks & amplifies) | mostly] = Voice.PRODUCER
    voices[speaks & ~amplifies] = Voice.WATCHER
    other = facts.labelled("not_supporter")
    voices[other & (voices == Voice.POSSIBLE)] = Voice.OTHER  # the analyst said so
    voices[facts.labelled("counter_speech")] = Voice.COUNTER_SPEECH
    voices[np.asarray(facts.supporter, dtype=bool)] = Voice.SUPPORTER
    return voices


def framing_candidates(
    facts: AccountFacts, voices: IntArray, rules: VoiceRules | None = None
) -> IntArray:
    """Who gets the framing test: watchers; non-supporters that answer supporters (at least
    ``min_engaged`` quotes or replies) or write a marker-carrying post, without ever
    amplifying them; and accounts the model alone calls supporters that never amplify."""
    rules = rules or VoiceRules()
    never = np.asarray(facts.amplified) == 0
    engaged = np.asarray(facts.engaged) if facts.engaged is not None else np.zeros(facts.n)
    speaks = np.asarray(facts.marker_posts) >= 1
    answers = never & ((engaged >= rules.min_engaged) | speaks)
    unlabelled = ~facts.labelled("supporter")
    chosen = (
        (voices == Voice.WATCHER)
        | (np.isin(voices, (Voice.OTHER, Voice.POSSIBLE)) & answers)
        | ((voices == Voice.SUPPORTER) & unlabelled & never & speaks)
    )
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
    margin: float | None = None,
) -> FramingResult:
    """Which of ``accounts`` (candidates, with their posts in ``texts``) counter-message
    (mean margin at least ``margin``, by default ``rules.counter_margin``)."""
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
    means = sums[has] / counts[has]
    cut = rules.counter_margin if margin is None else margin
    return FramingResult(ids[has], means, means >= cut)


def learnt_margin(
    counter: Sequence[float], other: Sequence[float], rules: VoiceRules | None = None
) -> float:
    """The framing threshold that best separates the margins of accounts analysts labelled
    ``counter_speech`` from those of the watchers they labelled ``not_supporter``.

    With fewer than ``min_labelled`` of either, the rules' ``counter_margin`` stands.
    Otherwise the cuts with the best balanced accuracy form intervals between neighbouring
    margins; of those, the point nearest ``counter_margin`` is taken (the default moves
    only as far as the labels say it must: a few labels rarely show where the unlabelled
    accounts' margins end), kept within ``margin_bounds``."""
    rules = rules or VoiceRules()
    pos = np.asarray(counter, dtype=np.float64)
    neg = np.asarray(other, dtype=np.float64)
    if pos.size < rules.min_labelled or neg.size < rules.min_labelled:
        return rules.counter_margin
    values = np.unique(np.concatenate([pos, neg]))
    # A cut c in (values[k - 1], values[k]] keeps pos >= values[k] and drops neg <= values[k - 1].
    lows = np.concatenate([[-np.inf], values])
    highs = np.concatenate([values, [np.inf]])
    tpr = np.array([(pos >= h).mean() for h in highs])
    tnr = np.array([(neg <= lo).mean() for lo in lows])
    score = (tpr + tnr) / 2
    step = 1e-4
    best = []
    for k in np.flatnonzero(np.isclose(score, score.max())):
        low, high = lows[k] + step, highs[k]
        best.append(float(np.clip(rules.counter_margin, low, high)) if low <= high else high)
    chosen = min(best, key=lambda c: (abs(c - rules.counter_margin), c))
    low, high = rules.margin_bounds
    return float(np.clip(chosen, low, high))
