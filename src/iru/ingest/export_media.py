"""The media files an export carries beside its records, found where the export says.

A Telegram Desktop export writes ``photos/photo_1@01-02-2021_10-00-00.jpg``, ``files/…``,
``video_files/…``, ``voice_messages/…``, ``stickers/…`` and ``round_video_messages/…``
relative to the folder holding its ``result.json``; iru's JSONL may name a downloaded file
relative to the JSONL file. :func:`file_in_export` turns such a path into the absolute
path a reader stores in ``Media.local_path``, so detection and evidence capture find the
bytes without any setting. Only a regular file inside the export's folder counts: a path
with ``..`` or an absolute one that leads out of it is ignored, as is a missing file.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath


def file_in_export(export_dir: Path, relative: str | None) -> str | None:
    """The absolute path of ``relative`` under ``export_dir`` when a file lies there, else None."""
    if not relative or "\x00" in relative:
        return None
    as_posix = relative.replace("\\", "/")
    if PurePosixPath(as_posix).is_absolute() or PureWindowsPath(relative).drive:
        return None
    try:
        root = export_dir.resolve()
        candidate = (root / as_posix).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return str(candidate)
    except (OSError, ValueError, RuntimeError):  # too long a name, a loop of links
        return None
    return None


__all__ = ["file_in_export"]
