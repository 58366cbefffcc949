"""Known URLs: posts linking to listed domains (an outlet's site, a file-sharing host).

Links are taken from ``Post.urls`` and from the text: URLs with a scheme, bare host
names (``files.example/abc``) and defanged ones (``example[.]com``, ``hxxps://``).
Each host is lowercased, IDNA-encoded, stripped of a leading ``www.`` and matched on
label boundaries against the listed domains, so ``cdn.files.example`` matches
``files.example`` but ``notfiles.example`` does not. Where both a domain and one of
its subdomains are listed, the longest (most specific) listed domain wins. No
public-suffix list is consulted: a listed domain matches itself and everything
under it, so list ``drive.host.example`` rather than ``host.example`` to single
out one service of a shared host.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar, Final, Self
from urllib.parse import urlsplit

from iru.detect.base import Batch, Signal, check_fitted
from iru.domain import Post

if TYPE_CHECKING:
    from iru.detect.knowledge import DetectorExample, Knowledge

_LABEL: Final = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST: Final = rf"(?:{_LABEL}\.)+{_LABEL}"
_SCHEME_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"'`]+", re.IGNORECASE)
_BARE_HOST = re.compile(rf"(?<![\w@.\-/:])({_HOST})(?![\w@-])")
_HOST_CHARS = re.compile(r"[\w.-]+")
_DEFANG = (
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE), "."),
    (re.compile(r"\bhxxp(s?)(\[:\]|:)//", re.IGNORECASE), r"http\1://"),
)


def normalise_host(host: str) -> str:
    """A host name as it is matched: lower case, IDNA (punycode), no ``www.``, no final dot."""
    match = _HOST_CHARS.match(host.strip().lower())
    host = match.group(0).strip(".") if match else ""
    # A host IDNA cannot encode keeps its Unicode form: it still matches a domain listed so.
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


@lru_cache(maxsize=1 << 16)
def _host(url: str) -> str:
    """:func:`host_of`, remembered: the same links recur across posts."""
    return host_of(url)


def host_of(url: str) -> str:
    """The normalised host of a URL, with or without a scheme ("" when there is none)."""
    url = url.strip()
    if "://" not in url:
        url = "//" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return normalise_host(host)


def links_in_text(text: str) -> Iterator[tuple[str, str]]:
    """(link as written after refanging, normalised host) of each link in a post's text."""
    for pattern, replacement in _DEFANG:
        text = pattern.sub(replacement, text)
    for match in _SCHEME_URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}")  # sentence punctuation after a link
        host = host_of(url)
        if host:
            yield url, host
    rest = _SCHEME_URL.sub(" ", text)
    for match in _BARE_HOST.finditer(rest):
        yield match.group(1), normalise_host(match.group(1))


@dataclass(slots=True)
class _Hit:
    domain: str
    host: str
    url: str
    where: str
    count: int = 1


class KnownUrlDetector:
    """Posts linking to a listed domain or any of its subdomains.

    ``domains`` maps a domain (``files.example``; a URL or a ``www.`` form is
    accepted) to its label, e.g. ``outlet/abc`` or ``file-sharing``.
    """

    name: ClassVar[str] = "known-urls"

    def __init__(self, domains: Mapping[str, str] | None = None) -> None:
        self.domains = domains

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> Sequence[Self]:
        """The unit's listed domains (the ``domain`` rules of its indicator files), if any."""
        return (cls(dict(knowledge.known_urls)),) if knowledge.known_urls else ()

    @classmethod
    def examples(cls) -> Sequence[DetectorExample]:
        """Links to a listed domain (as an entity, a subdomain, defanged) fire; a host that
        merely ends in the same letters, and a post without links, do not."""
        from iru.detect.examples import known_urls_examples

        return known_urls_examples()

    def fit(self, batch: Batch) -> Self:
        """Normalise the listed domains; the batch is not used."""
        table: dict[str, str] = {}
        for raw, label in (self.domains or {}).items():
            domain = host_of(raw)
            if not domain:
                raise ValueError(f"listed domain {raw!r} is not a host name")
            if not label or not label.strip():
                raise ValueError(f"listed domain {raw!r} has an empty label")
            if table.get(domain, label) != label:
                raise ValueError(f"domain {domain} is listed twice with different labels")
            table[domain] = label
        self.domains_ = table
        return self

    def match_host(self, host: str) -> str | None:
        """The longest listed domain that is ``host`` or a parent of it, or None."""
        labels = host.split(".")
        for i in range(len(labels)):
            candidate = ".".join(labels[i:])
            if candidate in self.domains_:
                return candidate
        return None

    def _hits(
        self, post: Post, texts: dict[str, list[tuple[str, str]]] | None = None
    ) -> dict[str, _Hit]:
        """The listed domains a post links to; ``texts`` caches the links of texts already
        read (a repost's text is the original's)."""
        hits: dict[str, _Hit] = {}
        found = [(u, _host(u), "post urls") for u in post.urls]
        if post.text:
            links = texts.get(post.text) if texts is not None else None
            if links is None:
                links = list(links_in_text(post.text))
                if texts is not None:
                    texts[post.text] = links
            found += [(u, h, "post text") for u, h in links]
        seen: set[str] = set()
        for url, host, where in found:
            if url in seen:  # an entity URL that also stands in the text counts once
                continue
            seen.add(url)
            domain = self.match_host(host) if host else None
            if domain is None:
                continue
            hit = hits.get(domain)
            if hit is None:
                hits[domain] = _Hit(domain, host, url, where)
            else:
                hit.count += 1
        return hits

    def score(self, batch: Batch) -> list[Signal]:
        """One signal per post and listed domain it links to, in batch order, then by domain."""
        check_fitted(self, "domains_")
        if not self.domains_:
            return []
        signals = []
        texts: dict[str, list[tuple[str, str]]] = {}
        for post in batch.posts:
            hits = self._hits(post, texts)
            for domain in sorted(hits):
                hit = hits[domain]
                label = self.domains_[domain]
                via = "" if hit.host == domain else f" via {hit.host}"
                signals.append(
                    Signal(
                        detector=self.name,
                        subject="post",
                        platform=post.platform,
                        subject_id=post.post_id,
                        score=1.0,
                        label=label,
                        explanation=f"Links to listed domain {domain} ({label}){via}",
                        evidence={
                            "domain": domain,
                            "host": hit.host,
                            "url": hit.url,
                            "found_in": hit.where,
                            "links": str(hit.count),
                        },
                    )
                )
        return signals
