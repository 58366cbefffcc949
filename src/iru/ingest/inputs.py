"""Which files an ingest reads: each file named, and the export files under each folder named.

A folder is walked without following a link into a folder already read (a symbolic-link
loop) and without opening anything but regular files, so a FIFO, socket or device in it
never blocks the run. Everything passed over is reported with its reason:

- non-regular files (FIFO, socket, device), broken links and link loops, one each;
- files not named like an export (``.json``, ``.jsonl``, ``.ndjson``, optionally
  ``.gz``: images, CSV, TOML ...), grouped by suffix, since an export's media folders
  hold thousands of them.

A file that only accompanies another (a Mastodon archive's ``actor.json`` beside its
``outbox.json``) is read by that file's reader, not on its own, and is not reported.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

COMPANION_FILES = {"actor.json": "outbox.json"}
INPUT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
NOT_AN_EXPORT_NAME = "not named like an export (" + ", ".join(INPUT_SUFFIXES) + ")"

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to read; ``named`` when it was given by name rather than found in a folder."""

    path: Path
    named: bool


@dataclass(slots=True)
class InputSet:
    """The files to read, in order, and what was passed over in the folders, with why."""

    files: list[InputFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    # Files not named like an export, per (folder given, suffix): how many.
    other_files: Counter[tuple[str, str]] = field(default_factory=Counter)


def not_regular(mode: int) -> str | None:
    """What a non-regular, non-folder file is ("a FIFO (named pipe)" ...), or None."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "not a regular file"


def describe_unreadable(path: Path) -> str:
    """Why ``path`` cannot be read as a file: missing, a loop, a folder, a FIFO ..."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop"
        if path.is_symlink():
            return "a broken symbolic link (its target does not exist)"
        if exc.errno == errno.ENOENT:
            return "no such file"
        return f"cannot stat: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "a folder"
    kind = not_regular(mode)
    return f"not a regular file: {kind}" if kind else "not readable"


def _suffix(name: str) -> str:
    suffixes = Path(name).suffixes[-2:]
    return "".join(suffixes).lower() or "(no suffix)"


class _Walker:
    def __init__(self, found: InputSet, root: Path) -> None:
        self.found = found
        self.root = str(root)
        self.files: list[Path] = []
        self.seen_dirs: set[tuple[int, int]] = set()

    def walk(self, folder: Path, ancestors: tuple[tuple[int, int], ...]) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self.found.skipped.append((str(folder), f"cannot list folder: {exc.strerror or exc}"))
            return
        for entry in entries:
            path = Path(entry.path)
            try:
                info = path.stat()  # follows links
            except OSError:
                self.found.skipped.append((str(path), describe_unreadable(path)))
                continue
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in ancestors:
                    self.found.skipped.append(
                        (str(path), "a symbolic link loop (links back to a folder above it)")
                    )
                elif key in self.seen_dirs:
                    self.found.skipped.append(
                        (str(path), "a link to a folder already read through another path")
                    )
                else:
                    self.seen_dirs.add(key)
                    self.walk(path, (*ancestors, key))
                continue
            kind = not_regular(info.st_mode)
            if kind is not None:
                self.found.skipped.append((str(path), f"not a regular file: {kind}"))
            elif not entry.name.endswith(INPUT_SUFFIXES):
                self.found.other_files[(self.root, _suffix(entry.name))] += 1
            elif not (
                entry.name in COMPANION_FILES
                and (path.parent / COMPANION_FILES[entry.name]).exists()
            ):
                self.files.append(path)


def collect_inputs(paths: Sequence[Path]) -> InputSet:
    """The files to read: each file named, then the export files under each folder, sorted."""
    found = InputSet()
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            found.files.append(InputFile(path, named=True))  # its reader says why it fails
            continue
        if not stat.S_ISDIR(info.st_mode):
            found.files.append(InputFile(path, named=True))
            continue
        walker = _Walker(found, path)
        key = (info.st_dev, info.st_ino)
        walker.seen_dirs.add(key)
        walker.walk(path, (key,))
        found.files.extend(InputFile(p, named=False) for p in sorted(walker.files))
    return found


def expand_inputs(paths: Sequence[Path]) -> list[Path]:
    """The files an ingest of ``paths`` reads, in order (see :func:`collect_inputs`)."""
    return [item.path for item in collect_inputs(paths).files]
