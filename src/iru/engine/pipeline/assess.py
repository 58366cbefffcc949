"""Account assessment after the post detectors: model, network, labels and resurgence, stored.

Without a trained model, the touched accounts are assessed from their signals alone
(:func:`iru.detect.assess.assess_accounts`). With one, every account gets the
model's local probability (recomputed for accounts with new posts, and for all
when the model version changes), evidence is propagated over the interaction graph
of the window, analysts' labels are applied as fixed seeds, and new accounts linked
to suspended supporters inherit their predecessor's assessment. Only accounts whose
view changed are written back.

What that costs per account is kept small: a run's reads share one archive
connection; a recomputed account's document is read and featurised once, giving its
score and the words behind it together; only an account the network moved without
new posts has its document read for its words; the rules read each account's
language signals as one tally per language, not one row per post; and an avatar
file is hashed once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from iru.detect.assess import Assessment, assess_accounts
from iru.detect.classifier import AccountModel
from iru.detect.propagation import (
    RELATION_WORDS,
    InteractionGraph,
    contacts_of,
    supporter_contacts,
)
from iru.detect.resurgence import Mention, Profile, ResurgenceLink, ResurgenceLinker, avatar_hashes
from iru.domain import utc
from iru.engine.readers.accounts import CHUNK, AccountReader
from iru.engine.readers.media import local_file
from iru.storage.assessments import DetectionStore

LINK_WINDOW_DAYS = 30.0
_CHANGED = 1e-3
_AVATARS: dict[tuple[str, int, int], tuple[str | None, str | None]] = {}
_AVATARS_KEPT = 200_000  # (path, mtime, size) -> (PDQ, pHash) hashes remembered


@dataclass(slots=True)
class AssessReport:
    accounts: int = 0
    recomputed: int = 0
    saved: int = 0
    supporters: int = 0
    links: list[ResurgenceLink] = field(default_factory=list)


def _words_reason(towards: list[str], against: list[str], score: float) -> str | None:
    if score >= 0.5 and towards:
        return "writes like labelled supporters: " + ", ".join(f"'{w}'" for w in towards)
    if score < 0.5 and against:
        return "writes like labelled non-supporters: " + ", ".join(f"'{w}'" for w in against)
    return None


class AccountAssessor:
    """Assesses accounts of one workspace and stores the result."""

    def __init__(
        self,
        reader: AccountReader,
        store: DetectionStore,
        labels: dict[tuple[str, str], str],
        *,
        threshold: float,
        model: AccountModel | None = None,
        media_dir: Path | None = None,
        linker: ResurgenceLinker | None = None,
    ) -> None:
        self.reader = reader
        self.store = store
        self.labels = labels
        self.threshold = threshold
        self.model = model
        self.media_dir = media_dir
        self.linker = linker or ResurgenceLinker()

    # -- the run --------------------------------------------------------------------------------

    def run(self, touched: set[tuple[str, str]]) -> AssessReport:
        """Assess again the ``touched`` accounts (those with new signals), and with a model
        every account whose view the network or a new model changes; store what changed."""
        report = AssessReport()
        with self.reader.session():
            if self.model is None:
                self._rules_only(touched, report)
            else:
                self._with_model(self.model, touched, report)
        return report

    def _with_model(
        self, model: AccountModel, touched: set[tuple[str, str]], report: AssessReport
    ) -> None:
        keys = self.reader.keys()
        index = {key: i for i, key in enumerate(keys)}
        graph = self.reader.graph(keys)
        stored = self.store.by_account()
        version = model.version
        recompute = [
            k
            for k in keys
            if k in touched
            or k not in stored
            or stored[k].get("model") != version
            or stored[k].get("local_score") is None
        ]
        local = np.array(
            [float(stored[k]["local_score"] or 0.0) if k in stored else 0.0 for k in keys]
        )
        # One featurisation gives a recomputed account's score and the words behind it.
        said: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        for docs in self.reader.documents(recompute):
            scores, words = model.local_scores_and_words(docs)
            for doc, p, w in zip(docs, scores, words, strict=True):
                local[index[doc.key]] = p
                said[doc.key] = w
        report.recomputed = len(recompute)
        seeds = np.full(len(keys), np.nan)
        for key, label in self.labels.items():
            if key in index:
                seeds[index[key]] = 1.0 if label == "supporter" else 0.0
        final = model.propagate(graph, local, seeds).final
        final = np.where(np.isnan(seeds), final, seeds)
        links = self._link(keys, graph, final)
        for link in links:
            i, j = (
                index[(link.platform, link.account_id)],
                index[(link.platform, link.predecessor_id)],
            )
            if np.isnan(seeds[i]):
                final[i] = max(final[i], link.confidence * final[j])
        report.links = links
        changed = set(recompute)
        for k in keys:
            before = stored.get(k)
            p = float(final[index[k]])
            if (
                before is None
                or abs(float(before["score"]) - p) > _CHANGED
                or (before["label"] == "supporter") != (p >= self.threshold)
            ):
                changed.add(k)
        # Accounts the network moved without new posts: their words, from their documents.
        for docs in self.reader.documents(sorted(changed - said.keys())):
            said.update(zip([d.key for d in docs], model.words(docs), strict=True))
        link_of = {(lk.platform, lk.account_id): lk for lk in links}
        contacts = supporter_contacts(graph, final >= 0.5)
        results: list[Assessment] = []
        ordered = sorted(changed)
        for start in range(0, len(ordered), CHUNK):
            part = ordered[start : start + CHUNK]
            evidence, languages = self.reader.signal_summary(part)
            rules = {
                (a.platform, a.account_id): a
                for a in assess_accounts(evidence, self.threshold, languages=languages)
            }
            for key in part:
                i = index[key]
                rule = rules.get(key)
                towards, against = said[key]
                reasons = self._reasons(
                    key,
                    float(final[i]),
                    contacts_of(contacts, i),
                    rule,
                    link_of.get(key),
                    towards,
                    against,
                )
                results.append(
                    Assessment(
                        platform=key[0],
                        account_id=key[1],
                        score=round(float(final[i]), 6),
                        label="supporter" if final[i] >= self.threshold else "not_supporter",
                        reasons=reasons,
                        signals=rule.signals if rule is not None else 0,
                        language=rule.language if rule is not None else "und",
                    )
                )
        locals_ = {
            (a.platform, a.account_id): float(local[index[(a.platform, a.account_id)]])
            for a in results
        }
        report.saved = self.store.save_assessments(results, model=version, local=locals_)
        self.store.save_links(links)
        report.accounts = len(keys)
        report.supporters = int(np.sum(final >= self.threshold))

    def _reasons(  # noqa: PLR0917 - one account's facts, in the order they are read
        self,
        key: tuple[str, str],
        score: float,
        contacts: list[tuple[str, str, int]],
        rules: Assessment | None,
        link: ResurgenceLink | None,
        towards: list[str],
        against: list[str],
    ) -> list[str]:
        reasons: list[str] = []
        label = self.labels.get(key)
        if label is not None:
            reasons.append(f"analyst label: {label}")
        if link is not None:
            reasons.append(link.explanation)
        if rules is not None:
            reasons += rules.reasons[:2]
        said = _words_reason(towards, against, score)
        if said:
            reasons.append(said)
        for kind, direction, n in contacts[:2]:
            reasons.append(f"{RELATION_WORDS[(kind, direction)]} {n} supporter account(s)")
        return reasons

    # -- without a model --------------------------------------------------------------------------

    def _rules_only(self, touched: set[tuple[str, str]], report: AssessReport) -> None:
        evidence, languages = self.reader.signal_summary(sorted(touched))
        results = assess_accounts(evidence, self.threshold, languages=languages)
        for a in results:
            label = self.labels.get((a.platform, a.account_id))
            if label is not None:
                a.score = 1.0 if label == "supporter" else 0.0
                # An assessment says supporter or not; counter_speech is a kind of not.
                a.label = "supporter" if label == "supporter" else "not_supporter"
                a.reasons.insert(0, f"analyst label: {label}")
        # Resurgence needs no model: supporters by label or by their stored assessment.
        stored = self.store.by_account()
        current = {k: float(v["score"]) for k, v in stored.items()}
        current |= {(a.platform, a.account_id): a.score for a in results}
        current |= {k: 1.0 if v == "supporter" else 0.0 for k, v in self.labels.items()}
        keys = self.reader.keys()
        scores = np.array([current.get(k, 0.0) for k in keys])
        links = self._link(keys, self.reader.graph(keys), scores)
        by_key = {(a.platform, a.account_id): a for a in results}
        for link in links:
            key = (link.platform, link.account_id)
            inherited = link.confidence * current.get((link.platform, link.predecessor_id), 0.0)
            if key in self.labels:
                continue
            view = by_key.get(key)
            if view is None:
                before = stored.get(key)
                view = by_key[key] = Assessment(
                    platform=link.platform,
                    account_id=link.account_id,
                    score=float(before["score"]) if before else 0.0,
                    label="not_supporter",
                    reasons=json.loads(before["reasons"]) if before else [],
                    signals=int(before["signals"]) if before else 0,
                )
            if link.explanation not in view.reasons:
                view.reasons.insert(0, link.explanation)
            view.score = round(max(view.score, inherited), 6)
            view.label = "supporter" if view.score >= self.threshold else "not_supporter"
        results = sorted(by_key.values(), key=lambda a: (a.platform, a.account_id))
        report.saved = self.store.save_assessments(results, model="", local={})
        self.store.save_links(links)
        report.links = links
        report.accounts = len(results)
        report.recomputed = len(results)
        report.supporters = sum(1 for a in results if a.label == "supporter")

    # -- resurgence -----------------------------------------------------------------------------

    def _avatar(self, url: str | None) -> tuple[str | None, str | None]:
        found = local_file(self.media_dir, url)
        if found is None:
            return None, None
        try:
            stat = found.stat()
        except OSError:
            return None, None
        # The same avatar file hashes once per process (each detection run links again).
        key = (str(found), stat.st_mtime_ns, stat.st_size)
        hashes = _AVATARS.get(key)
        if hashes is None:
            if len(_AVATARS) >= _AVATARS_KEPT:
                _AVATARS.clear()
            hashes = _AVATARS[key] = avatar_hashes(found.read_bytes())
        return hashes

    def _link(
        self, keys: list[tuple[str, str]], graph: InteractionGraph, final: np.ndarray
    ) -> list[ResurgenceLink]:
        activity = self.reader.activity()  # one scan gives the newest post too
        if not activity:
            return []
        newest = max(last for _, last in activity.values())
        horizon = newest - timedelta(days=LINK_WINDOW_DAYS)
        supporters = {k for k, p in zip(keys, final, strict=True) if p >= self.threshold}
        # Every account first seen in the window is a candidate, whatever its own score:
        # a returning supporter is often assessed a supporter on its first day.
        fresh = [k for k in keys if k in activity and activity[k][0] >= horizon]
        profiles = self.reader.profiles([*supporters, *fresh])
        fresh = [
            k
            for k in fresh
            if utc(profiles.get(k, {}).get("created_at") or activity[k][0]) >= horizon
        ]
        if not fresh or not supporters:
            return []
        audience = self._audiences(graph)
        made = {
            k: self._profile(k, profiles.get(k, {}), activity.get(k), audience.get(k))
            for k in [*supporters, *fresh]
        }
        handles = {k[1]: (profiles.get(k, {}).get("handle") or "") for k in made}
        mentions = [
            Mention(platform, author, handles.get(target, target).lstrip("@"), post_id, when)
            for platform, author, target, post_id, when in self.reader.mentions(horizon)
        ]
        return self.linker.link(
            [made[k] for k in sorted(supporters)], [made[k] for k in sorted(fresh)], mentions
        )

    def _audiences(self, graph: InteractionGraph) -> dict[tuple[str, str], frozenset[str]]:
        found: dict[tuple[str, str], set[str]] = {}
        for matrix in graph.matrices.values():
            coo = matrix.tocoo()
            for src, dst in zip(coo.row, coo.col, strict=True):
                found.setdefault(graph.keys[dst], set()).add(graph.keys[src][1])
        return {k: frozenset(v) for k, v in found.items()}

    def _profile(
        self,
        key: tuple[str, str],
        profile: dict[str, object],
        span: tuple[datetime, datetime] | None,
        audience: frozenset[str] | None,
    ) -> Profile:
        pdq, phash = self._avatar(profile.get("profile_image_url"))  # type: ignore[arg-type]
        created = profile.get("created_at")
        return Profile(
            platform=key[0],
            account_id=key[1],
            handle=str(profile.get("handle") or ""),
            bio=str(profile.get("description") or ""),
            created_at=utc(created) if isinstance(created, datetime) else None,
            first_post_at=span[0] if span else None,
            last_post_at=span[1] if span else None,
            avatar_pdq=pdq,
            avatar_phash=phash,
            audience=audience or frozenset(),
        )


__all__ = ["LINK_WINDOW_DAYS", "AccountAssessor", "AssessReport"]
