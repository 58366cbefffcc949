"""The reference pages kept in step with the code: a page that drifts fails the suite.

docs/cli.md is generated from the click commands; docs/web.md's module table must name
every module of ``iru.web`` (and nothing that is gone); docs/detection.md's detector
table must list every detector registered under ``iru.detectors``.
"""

from __future__ import annotations

import re
from pathlib import Path

from iru.cli.reference import reference
from iru.detect.registry import detector_classes

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
WEB = ROOT / "src" / "iru" / "web"


def _table_names(page: str, header: str) -> set[str]:
    """The first column's backquoted names of the table under the row starting ``header``."""
    lines = page.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    names = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        match = re.match(r"\|\s*`([^`]+)`", line)
        if match:
            names.add(match.group(1))
    return names


def test_cli_reference_is_generated_from_the_commands() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert page == reference(), (
        "docs/cli.md is stale: run python -m iru.cli.reference > docs/cli.md"
    )


def test_cli_reference_lists_every_command_and_option() -> None:
    page = reference()
    for command in ("iru ingest", "iru decide", "iru evidence verify", "iru plugins"):
        assert f"## `{command}`" in page
    assert "`--format`" in page and "[table\\|csv\\|json]" in page


def test_web_module_table_names_every_module_of_the_package() -> None:
    page = (DOCS / "web.md").read_text(encoding="utf-8")
    listed = {name for name in _table_names(page, "| module |") if name.endswith(".py")}
    present = {f"web/{path.name}" for path in WEB.glob("*.py") if path.name != "__init__.py"}
    assert listed == present, (
        f"docs/web.md's module table: missing {sorted(present - listed)}, "
        f"gone {sorted(listed - present)}"
    )


def test_detection_table_lists_every_registered_detector() -> None:
    page = (DOCS / "detection.md").read_text(encoding="utf-8")
    assert _table_names(page, "| detector |") == set(detector_classes())
