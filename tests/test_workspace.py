"""The workspace: one writer at a time, and the message a second one gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from iru.workspace import WorkspaceBusy

from .conftest import EXAMPLES, Iru, open_workspace


def test_a_second_writer_is_told_who_holds_the_workspace(tmp_path: Path) -> None:
    first, second = open_workspace(tmp_path / "ws"), open_workspace(tmp_path / "ws")
    with (
        first.write_lock("ingest"),
        pytest.raises(WorkspaceBusy, match=r"busy: pid \d+ is running ingest"),
        second.write_lock("ingest"),
    ):
        pass
    with second.write_lock("ingest"):
        pass


def test_ingest_into_a_busy_workspace_fails_with_one_line(tmp_path: Path) -> None:
    iru = Iru(tmp_path / "ws", "")
    holder = open_workspace(tmp_path / "ws")
    with holder.write_lock("ingest"):
        result = iru("ingest", str(EXAMPLES / "jsonl"), ok=False)
    assert result.exit_code == 1
    assert "is busy" in result.output
