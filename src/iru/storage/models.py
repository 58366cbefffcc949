"""Trained account models in the workspace: versioned files, their cards, and the labels.

Each ``iru train`` writes ``models/account-NNNN.joblib`` (temp name, then rename)
and one row in the ``models`` table holding the file's SHA-256 and the model card
(training data summary, cross-validated metrics, parameters). A model is loaded only
when its file still has the recorded digest: a pickle is code, and a changed file
is refused rather than run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from iru.storage.database import Database
from iru.storage.schema import labels, models

if TYPE_CHECKING:  # the classifier (scikit-learn) loads with a model, not on import
    from iru.detect.classifier import AccountModel


class ModelFileError(RuntimeError):
    """A model file is missing or does not match its recorded digest."""


@dataclass(frozen=True, slots=True)
class ModelRow:
    version: str
    path: str
    sha256: str
    card: dict[str, Any]
    trained_at: datetime


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ModelStore:
    """The model versions of one workspace."""

    def __init__(self, database: Database, workspace: Path) -> None:
        self.database = database
        self.workspace = workspace

    def versions(self) -> list[ModelRow]:
        with self.database.engine.connect() as conn:
            rows = conn.execute(select(models).order_by(models.c.trained_at, models.c.version))
            return [
                ModelRow(r.version, r.path, r.sha256, json.loads(r.card), r.trained_at)
                for r in rows
            ]

    def latest(self) -> ModelRow | None:
        found = self.versions()
        return found[-1] if found else None

    def next_version(self) -> str:
        return f"account-{len(self.versions()) + 1:04d}"

    def save(self, model: AccountModel, card: dict[str, Any]) -> ModelRow:
        relative = f"models/{model.version}.joblib"
        path = self.workspace / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        import joblib

        joblib.dump(model, partial, compress=3)
        partial.replace(path)
        row = ModelRow(model.version, relative, _sha256(path), card, datetime.now(UTC))
        with self.database.engine.begin() as conn:
            conn.execute(
                models.insert().values(
                    version=row.version,
                    path=row.path,
                    sha256=row.sha256,
                    card=json.dumps(card, ensure_ascii=False, sort_keys=True),
                    trained_at=row.trained_at,
                )
            )
        return row

    def load(self, row: ModelRow) -> AccountModel:
        path = self.workspace / row.path
        if not path.is_file():
            raise ModelFileError(f"model {row.version}: file {path} is missing")
        if _sha256(path) != row.sha256:
            raise ModelFileError(
                f"model {row.version}: {path} does not match its recorded SHA-256; refusing to load"
            )
        import joblib

        from iru.detect.classifier import AccountModel

        model = joblib.load(path)
        if not isinstance(model, AccountModel):
            raise ModelFileError(f"model {row.version}: {path} holds no account model")
        return model


def current_labels(database: Database) -> dict[tuple[str, str], str]:
    """The newest label of every labelled account, whatever its source (file or decision).

    Ties in time go to the source that sorts last; re-importing an unchanged label does not
    make it newer (see ``KnowledgeStore.add_labels``)."""
    newest: dict[tuple[str, str], tuple[datetime, str]] = {}
    with database.engine.connect() as conn:
        for row in conn.execute(select(labels).order_by(labels.c.labelled_at, labels.c.source)):
            key = (str(row.platform), str(row.account_id))
            when = row.labelled_at
            newest[key] = (when, str(row.label))  # ordered: the newest wins
    return {key: label for key, (_, label) in newest.items()}


__all__ = ["ModelFileError", "ModelRow", "ModelStore", "current_labels"]
