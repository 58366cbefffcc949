"""The account classifier that learns from analysts' labels, with network evidence on top.

Two stages, both scikit-learn logistic regressions:

1. **Local**: what an account writes and passes on, its posting behaviour and the
   signals of the post detectors (:mod:`iru.detect.features`) give a local
   probability. Its word weights name the words behind a score.
2. **Relational** (iterative classification): the local log-odds plus what the
   account's network neighbours are (:mod:`iru.detect.propagation`: reposted by,
   reposting, quoting, mentioning accounts that are labelled or estimated
   supporters) go into a second, calibrated model (Platt scaling over 5 folds).
   Estimates are updated for a few rounds; analysts' labels stay fixed as seeds.

``train`` measures itself by stratified cross-validation on the labelled accounts
(out-of-fold predictions at both stages, so the reported figures are not fitted to
the data they score) and returns the figures for the model card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from iru.detect.features import AccountDocument, AccountFeaturizer
from iru.detect.propagation import InteractionGraph, feature_names, neighbour_features

ROUNDS = 3
STRONG_WORD = 0.25  # share of the largest word weight a word needs to be named
_EPS = 1e-4


class TrainingError(ValueError):
    """The labels cannot train a model (too few, or one class only)."""


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(np.log(q / (1 - q)))


def _folds(y: np.ndarray, seed: int) -> StratifiedKFold:
    smallest = int(min(np.sum(y == 0), np.sum(y == 1)))
    return StratifiedKFold(n_splits=max(2, min(5, smallest)), shuffle=True, random_state=seed)


def _figures(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    figures = {"roc_auc": float(roc_auc_score(y, p)), "brier": float(brier_score_loss(y, p))}
    for name, cut in (("at_0.5", 0.5), (f"at_{threshold:g}", threshold)):
        predicted = (p >= cut).astype(int)
        figures[f"precision_{name}"] = float(precision_score(y, predicted, zero_division=0))
        figures[f"recall_{name}"] = float(recall_score(y, predicted, zero_division=0))
        figures[f"f1_{name}"] = float(f1_score(y, predicted, zero_division=0))
    return {k: round(v, 4) for k, v in figures.items()}


@dataclass(slots=True)
class Scores:
    """The classifier's view of every account of a graph."""

    local: np.ndarray  # stage 1 probability
    final: np.ndarray  # stage 2 (calibrated) probability, labels not applied


class AccountModel:
    """Featurizer, local model and relational model of one trained version."""

    def __init__(self, version: str, featurizer: AccountFeaturizer, seed: int = 0) -> None:
        self.version = version
        self.featurizer = featurizer
        self.seed = seed

    # -- training ---------------------------------------------------------------------------

    def _local_model(self) -> LogisticRegression:
        return LogisticRegression(C=4.0, max_iter=3000, solver="liblinear")

    def _relational_model(self, y: np.ndarray, outer: int = 1) -> CalibratedClassifierCV:
        """Platt-calibrated; ``outer`` folds around it leave it (outer-1)/outer of ``y``."""
        smallest = int(min(np.sum(y == 0), np.sum(y == 1)))
        inner = smallest - -(-smallest // outer) if outer > 1 else smallest
        return CalibratedClassifierCV(
            make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000)),
            method="sigmoid",
            cv=StratifiedKFold(
                n_splits=max(2, min(5, inner)), shuffle=True, random_state=self.seed
            ),
        )

    def train(
        self,
        docs: Sequence[AccountDocument],
        graph: InteractionGraph,
        labels: dict[tuple[str, str], int],
        threshold: float = 0.8,
    ) -> dict[str, Any]:
        """Fit on every labelled account of ``docs``; returns the model card's figures."""
        keys = [d.key for d in docs]
        if keys != graph.keys:
            raise ValueError("documents and graph must list the same accounts in the same order")
        labelled = np.array([i for i, k in enumerate(keys) if k in labels], dtype=np.int64)
        y = np.array([labels[keys[i]] for i in labelled], dtype=np.int64)
        positives, negatives = int(y.sum()), int(len(y) - y.sum())
        if min(positives, negatives) < 3:
            raise TrainingError(
                f"need at least 3 labelled accounts of each class among the stored accounts "
                f"(have {positives} supporter, {negatives} not_supporter)"
            )
        if not any(d.own_text().strip() for d in docs):
            raise TrainingError("no account has any text to learn from")
        try:
            x = self.featurizer.fit(docs).transform(docs)
        except ValueError as exc:  # e.g. every word too rare or too common to keep
            raise TrainingError(f"cannot build features: {exc}") from exc
        folds = _folds(y, self.seed)
        local_oof = cross_val_predict(
            self._local_model(), x[labelled], y, cv=folds, method="predict_proba"
        )[:, 1]
        self.local_ = self._local_model().fit(x[labelled], y)
        local = self.local_.predict_proba(x)[:, 1]
        local[labelled] = local_oof
        seeds = np.full(len(keys), np.nan)
        seeds[labelled] = y
        relational = self._relational_features(graph, local, seeds, local)
        final_oof = cross_val_predict(
            self._relational_model(y, folds.get_n_splits()),
            relational[labelled],
            y,
            cv=folds,
            method="predict_proba",
        )[:, 1]
        self.relational_ = self._relational_model(y).fit(relational[labelled], y)
        return {
            "labelled": len(y),
            "supporter": positives,
            "not_supporter": negatives,
            "accounts": len(keys),
            "graph_edges": graph.edges(),
            "features": dict(self.featurizer.summary()),
            "cross_validation": {
                "folds": folds.get_n_splits(),
                "local": _figures(y, local_oof, threshold),
                "with_network": _figures(y, final_oof, threshold),
            },
            "scikit_learn": sklearn.__version__,
            "seed": self.seed,
        }

    # -- scoring ----------------------------------------------------------------------------

    def _relational_features(
        self, graph: InteractionGraph, local: np.ndarray, seeds: np.ndarray, p: np.ndarray
    ) -> np.ndarray:
        current = np.where(np.isnan(seeds), p, seeds)
        return np.column_stack([_logit(local), neighbour_features(graph, current)])

    def local_scores(self, docs: Sequence[AccountDocument]) -> np.ndarray:
        if not docs:
            return np.zeros(0)
        return np.asarray(self.local_.predict_proba(self.featurizer.transform(docs))[:, 1])

    def local_scores_and_words(
        self, docs: Sequence[AccountDocument], top: int = 3
    ) -> tuple[np.ndarray, list[tuple[list[str], list[str]]]]:
        """:meth:`local_scores` and :meth:`words` of ``docs`` from one featurisation."""
        if not docs:
            return np.zeros(0), []
        x, words = self.featurizer.transform_with_words(docs)
        return np.asarray(self.local_.predict_proba(x)[:, 1]), self._words(words, top)

    def propagate(self, graph: InteractionGraph, local: np.ndarray, seeds: np.ndarray) -> Scores:
        """Iterative classification: ``seeds`` holds 1/0 for labelled accounts, NaN elsewhere."""
        p = local.copy()
        final = p
        for _ in range(ROUNDS):
            features = self._relational_features(graph, local, seeds, p)
            final = np.asarray(self.relational_.predict_proba(features)[:, 1])
            p = final
        return Scores(local=local, final=final)

    # -- explanations -----------------------------------------------------------------------

    def words(
        self, docs: Sequence[AccountDocument], top: int = 3
    ) -> list[tuple[list[str], list[str]]]:
        """Per document, the words pushing most towards supporter, and most against."""
        if not docs:
            return []
        return self._words(self.featurizer.words_.transform([d.own_text() for d in docs]), top)

    def _words(self, block: Any, top: int) -> list[tuple[list[str], list[str]]]:
        """Per row of the word block, the words pushing most towards supporter, and against."""
        matrix = sp.csr_matrix(block)
        coef = self.local_.coef_[0][self.featurizer.word_slice()]
        # Only words the model weighs strongly are named: filler that merely co-occurs is not.
        strong_up = STRONG_WORD * max(float(coef.max(initial=0.0)), 1e-9)
        strong_down = STRONG_WORD * min(float(coef.min(initial=0.0)), -1e-9)
        vocabulary = self.featurizer.vocabulary
        found = []
        for i in range(matrix.shape[0]):
            start, end = matrix.indptr[i], matrix.indptr[i + 1]
            columns = matrix.indices[start:end]
            contributions = matrix.data[start:end] * coef[columns]
            order = np.argsort(contributions, kind="stable")
            weights = coef[columns]
            towards = [
                str(vocabulary[columns[j]])
                for j in order[::-1]
                if contributions[j] > 0 and weights[j] >= strong_up
            ][:top]
            against = [
                str(vocabulary[columns[j]])
                for j in order
                if contributions[j] < 0 and weights[j] <= strong_down
            ][:top]
            found.append((towards, against))
        return found

    def relation_weights(self) -> dict[str, float]:
        """The relational model's mean coefficient per network feature (sign: towards supporter)."""
        coefs = np.mean(
            [c.estimator[-1].coef_[0] for c in self.relational_.calibrated_classifiers_], axis=0
        )
        names = ["local_log_odds", *feature_names()]
        return {name: round(float(c), 4) for name, c in zip(names, coefs, strict=True)}


__all__ = ["ROUNDS", "AccountModel", "Scores", "TrainingError"]
