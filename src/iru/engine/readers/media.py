"""Where the unit's downloaded copy of a media or profile-picture URL lies, if it has one.

Two places are looked in: the file the reader found beside the export the record came
from (``Media.local_path``: a Telegram export's ``photos/``, ``files/``, ...), then the
unit's media folder, at the URL's path and else by its file name. A URL with a scheme
(``https://host/a/b.jpg``) has its host dropped; a relative one (``photos/b.jpg``, as
Telegram writes them) is kept whole. Nothing outside the media folder is ever returned,
whatever ``..`` or absolute path the URL holds.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def _url_path(url: str) -> str:
    """The path part of ``url``: without scheme, host, query or fragment."""
    path = url.split("#", 1)[0].split("?", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1].partition("/")[2]
    return path.replace("\\", "/").strip("/")


def _inside(media_dir: Path, relative: str) -> Path | None:
    parts = PurePosixPath(relative).parts
    if not parts or any(part in {"..", "."} for part in parts):
        return None
    candidate = media_dir.joinpath(*parts)
    try:
        if candidate.is_file() and candidate.resolve().is_relative_to(media_dir.resolve()):
            return candidate
    except (OSError, ValueError):  # a name the file system cannot hold, a loop of links
        return None
    return None


def local_file(
    media_dir: Path | None, url: str | None, local_path: str | None = None
) -> Path | None:
    """The file for a media item: its ``local_path``, else ``url`` under ``media_dir``."""
    if local_path:
        found = Path(local_path)
        try:
            if found.is_absolute() and found.is_file():
                return found
        except (OSError, ValueError):
            pass
    if not url or media_dir is None:
        return None
    path = _url_path(url)
    for candidate in (path, path.rsplit("/", 1)[-1]):
        found_in_dir = _inside(media_dir, candidate) if candidate else None
        if found_in_dir is not None:
            return found_in_dir
    return None


MAX_MEDIA_PATH = 1024  # characters: longer names are no file the unit stores


def file_in(media_dir: Path, relative: str) -> Path | None:
    """The regular file at ``relative`` inside ``media_dir``; None for anything else.

    Safe for any string (the web's ``/media/...`` route): a NUL, an over-long name, an
    absolute path, ``..`` or a link leading out all give None, as a missing file does, so
    the answer never tells whether a file outside the media folder exists.
    """
    if not relative or len(relative) > MAX_MEDIA_PATH or "\x00" in relative:
        return None
    return _inside(media_dir, relative.replace("\\", "/").strip("/"))


__all__ = ["MAX_MEDIA_PATH", "file_in", "local_file"]
