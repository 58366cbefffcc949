"""What the writers share: record checks and a post's entities placed in its text.

Every format marks a post's urls, mentions and hashtags at their place in its text
(Twitter as code-point offsets, Telegram as text entities, Mastodon as links in the
HTML). An entity stands where its token is a whole word (no letter, digit or ``_``
on either side) clear of the entities placed before it; one the text does not
contain is appended to it (:func:`place`). :func:`cut` then splits the text at the
spans found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from iru.domain import Interaction, InteractionKind

__all__ = ["check_platform", "cut", "edge_targets", "find", "is_word", "place"]

Span = tuple[int, int]
_Item = TypeVar("_Item")
_Plain = TypeVar("_Plain")


def check_platform(platform: str, expected: str, what: str, key: str) -> None:
    """Refuse a record (``what`` ``key``) of another platform than the writer's."""
    if platform != expected:
        raise ValueError(f"{what} {key!r} is on {platform!r}, not {expected!r}")


def edge_targets(interactions: Iterable[Interaction], kind: InteractionKind) -> dict[str, str]:
    """The target account of each post's ``kind`` edge, as the interactions name it."""
    return {
        edge.post_id: edge.dst_account_id
        for edge in interactions
        if edge.kind is kind and edge.post_id and edge.dst_account_id
    }


def is_word(char: str) -> bool:
    """Whether ``char`` belongs to a word: a letter, a digit or ``_``."""
    return char.isalnum() or char == "_"


def find(text: str, token: str, taken: list[Span], *, not_before: str = "") -> int:
    """Where ``token`` stands in ``text`` as a whole word, clear of the spans taken; or -1.

    Nor may a character of ``not_before`` follow it (Mastodon's ``@name`` does not
    stand in ``@name@host``).
    """
    pos = text.find(token) if text else -1
    while pos >= 0:
        end = pos + len(token)
        if (
            (end == len(text) or not (is_word(text[end]) or text[end] in not_before))
            and (pos == 0 or not is_word(text[pos - 1]))
            and not any(pos < b and a < end for a, b in taken)
        ):
            return pos
        pos = text.find(token, pos + 1)
    return -1


def place(text: str, token: str, taken: list[Span]) -> tuple[str, int, int]:
    """The text with ``token`` in it, and its span: where it stands as a whole word clear of
    the spans taken, or appended (after a space unless the text is empty or ends in one).
    The span is added to ``taken``."""
    pos = find(text, token, taken)
    if pos < 0:
        if text and not text[-1].isspace():
            text += " "
        pos = len(text)
        text += token
    end = pos + len(token)
    taken.append((pos, end))
    return text, pos, end


def cut(
    text: str, spans: Iterable[tuple[int, int, _Item]], plain: Callable[[str], _Plain]
) -> list[_Plain | _Item]:
    """The text cut at the spans (in the order given): each stretch between them made
    ``plain`` (empty ones left out), and each span's item in its place."""
    parts: list[_Plain | _Item] = []
    cursor = 0
    for start, end, item in spans:
        if start > cursor:
            parts.append(plain(text[cursor:start]))
        parts.append(item)
        cursor = end
    if cursor < len(text):
        parts.append(plain(text[cursor:]))
    return parts
