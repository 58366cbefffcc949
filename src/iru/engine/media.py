"""Where the unit's downloaded copy of a media or profile-picture URL lies, if it has one."""

from __future__ import annotations

from pathlib import Path


def local_file(media_dir: Path | None, url: str | None) -> Path | None:
    """The file for ``url`` under ``media_dir``: at the URL's path, else by its file name."""
    if not url or media_dir is None:
        return None
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
    name = path.rsplit("/", 1)[-1]
    for candidate in (path, name):
        if candidate and (media_dir / candidate).is_file():
            return media_dir / candidate
    return None


__all__ = ["local_file"]
