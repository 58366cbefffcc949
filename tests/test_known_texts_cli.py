"""Known-text lists through the CLI, on SQLite and PostgreSQL: import, quarantine, detection."""

from __future__ import annotations

import json
from pathlib import Path

from iru.storage.knowledge import KnowledgeStore

from .conftest import Iru

# Placeholder pseudo-words with markers, never real propaganda.
KNOWN = (
    "Vornak Media | vornak-314 glemtari usquon praveld tormishe kelvadri ostrune "
    "https://files.sim.example/vk314 #Glemtari #Vornak314"
)
OTHER = "Quessel Bulletin quessel-007 dranvo pelkirsa mondautri selvique #Quessel"


def _known_list(path: Path) -> Path:
    lines = [
        json.dumps({"text": KNOWN, "label": "terrorist-content/vornak", "source": "partner"}),
        "",
        "{broken",
        json.dumps({"text": OTHER}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"label": "terrorist-content/none"}),
        json.dumps({"text": "ok!"}),
        json.dumps({"text": KNOWN, "label": "terrorist-content/again"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _posts(path: Path) -> Path:
    edited = KNOWN.replace("vornak-314 ", "vornak-314 NEW ").replace("#Vornak314", "#Vornak")
    records = [
        {"type": "account", "platform": "forum-example", "account_id": "u1", "handle": "u1"},
        {"type": "account", "platform": "forum-example", "account_id": "u2", "handle": "u2"},
        {
            "type": "post",
            "platform": "forum-example",
            "post_id": "p-copy",
            "account_id": "u1",
            "created_at": "2025-03-01T10:00:00Z",
            "text": f"@someone {edited} https://mirror.sim.example/x",
        },
        {
            "type": "post",
            "platform": "forum-example",
            "post_id": "p-other",
            "account_id": "u2",
            "created_at": "2025-03-01T11:00:00Z",
            "text": "Weather today: light rain, then sunshine over the harbour by the evening.",
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_known_texts_import_quarantine_and_detection(iru: Iru, tmp_path: Path) -> None:
    known = _known_list(tmp_path / "known.jsonl")
    first = iru("hashes", "import", str(known), "--format", "texts-jsonl")
    assert "known texts (texts-jsonl): 2 read, 2 new, 4 quarantined, 1 skipped" in first.output
    again = iru("hashes", "import", str(known), "--format", "texts-jsonl")
    assert "2 read, 0 new" in again.output
    sniffed = iru("hashes", "import", str(known))  # auto recognises the format
    assert "known texts (texts-jsonl): 2 read, 0 new" in sniffed.output

    ws = iru.open()
    store = KnowledgeStore(ws.database)
    assert store.text_count() == 2
    stored = {row["text"]: (row["label"], row["source"]) for row in store.texts()}
    assert stored == {
        KNOWN: ("terrorist-content/vornak", "partner"),
        OTHER: ("known-text", "known.jsonl"),
    }
    ws.close()

    quarantined = json.loads(iru("quarantine", "list", "--format", "json").output)
    ours = [q for q in quarantined if q["format"] == "hashes:texts-jsonl"]
    reasons = {q["locator"]: q["reason"] for q in ours}
    assert set(reasons) == {"line 3", "line 5", "line 6", "line 7"}
    assert reasons["line 3"].startswith("not JSON")
    assert {q["locator"]: q["raw"] for q in ours}["line 3"] == "{broken"
    assert reasons["line 5"] == "not a JSON object but list"
    assert reasons["line 6"] == 'missing "text"'
    assert reasons["line 7"].startswith("text too short to match")
    assert all(q["source"] == str(known.resolve()) for q in ours)
    assert len(ours) == 4  # re-imports quarantined nothing twice

    iru("ingest", str(_posts(tmp_path / "posts.jsonl")), "--format", "jsonl")
    detected = iru("detect")
    assert "near-duplicate-text" in detected.output
    ws = iru.open()
    with ws.archive.query() as conn:
        rows = conn.execute(
            "SELECT subject_id, label, account_id FROM signals "
            "WHERE detector = 'near-duplicate-text' ORDER BY subject_id"
        ).fetchall()
    ws.close()
    assert rows == [("p-copy", "terrorist-content/vornak", "u1")]


def test_a_known_text_list_with_nothing_usable_fails_in_one_line(iru: Iru, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"text": ""}\n\n[1]\n', encoding="utf-8")
    result = iru("hashes", "import", str(empty), "--format", "texts-jsonl", ok=False)
    assert result.exit_code == 1
    assert "known texts (texts-jsonl): 0 read, 0 new, 2 quarantined" in result.output
    assert "no usable known texts" in result.output
