"""Importing analysts' knowledge through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from iru.storage.knowledge import KnowledgeStore
from iru.workspace import Workspace

from .conftest import Iru


def _store(iru: Iru) -> tuple[Workspace, KnowledgeStore]:
    ws = iru.open()
    return ws, KnowledgeStore(ws.database)


def test_label_import_is_idempotent_and_quarantines_bad_rows(iru: Iru, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "platform,account_id,label\n"
        "twitter,100,supporter\n"
        "twitter,101,not_supporter\n"
        "twitter,,supporter\n"
        "telegram,channel7,maybe\n"
        "activitypub,https://social.example/users/a,Supporter\n",
        encoding="utf-8",
    )
    first = iru("label", "import", str(labels))
    assert "3 read, 3 new, 0 changed, 2 quarantined" in first.output
    again = iru("label", "import", str(labels))
    assert "3 read, 0 new, 0 changed" in again.output
    labels.write_text("platform,account_id,label\ntwitter,100,not_supporter\n", encoding="utf-8")
    changed = iru("label", "import", str(labels))
    assert "1 read, 0 new, 1 changed" in changed.output
    ws, store = _store(iru)
    assert store.label_counts() == {"not_supporter": 2, "supporter": 1}
    ws.close()
    quarantined = json.loads(iru("quarantine", "list", "--format", "json").output)
    reasons = {q["locator"]: q["reason"] for q in quarantined}
    assert reasons["line 4"] == "platform and account_id must not be empty"
    assert "maybe" in reasons["line 5"]


def test_label_import_errors_are_one_line(iru: Iru, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("user,label\nx,supporter\n", encoding="utf-8")
    result = iru("label", "import", str(wrong), ok=False)
    assert result.exit_code == 1 and "missing column(s) platform, account_id" in result.output
    missing = iru("label", "import", str(tmp_path / "nope.csv"), ok=False)
    assert missing.exit_code == 1 and "cannot open" in missing.output


def test_label_import_takes_counter_speech_and_names_the_allowed_values(
    iru: Iru, tmp_path: Path
) -> None:
    labels = tmp_path / "kinds.csv"
    labels.write_text(
        "platform,account_id,label\n"
        "twitter,200,supporter\n"
        "twitter,201,counter_speech\n"
        "telegram,channel9,Counter_Speech\n"
        "twitter,202,counter-speech\n"
        "twitter,203,not_supporter\n",
        encoding="utf-8",
    )
    result = iru("label", "import", str(labels))
    assert "4 read, 4 new, 0 changed, 1 quarantined" in result.output
    ws, store = _store(iru)
    try:
        assert store.label_counts() == {"counter_speech": 2, "not_supporter": 1, "supporter": 1}
    finally:
        ws.close()
    quarantined = json.loads(iru("quarantine", "list", "--format", "json").output)
    reasons = {q["locator"]: q["reason"] for q in quarantined}
    assert reasons == {
        "line 5": "label must be one of supporter, not_supporter, counter_speech, "
        "got 'counter-speech'"
    }
    # A later import changes a label to counter_speech like any other value.
    labels.write_text("platform,account_id,label\ntwitter,203,counter_speech\n", encoding="utf-8")
    assert "1 read, 0 new, 1 changed" in iru("label", "import", str(labels)).output
    assert "counter_speech" in iru("label", "import", "--help").output
