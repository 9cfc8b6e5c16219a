"""The user's cache folder and reading its files, with nothing but os and stat.

Why a module of its own: the entry script reads the cache before anything else is imported
(``prefetch``); ``fsutil`` (writing, and ``Path`` for the rest of the package) builds on it.
What the folder holds: docs/architecture.md, "The cache folder".
"""

from __future__ import annotations

import os
import stat


def cache_folder(name: str) -> str | None:
    """``$XDG_CACHE_HOME/mica-jailhouse/NAME`` (default ``~/.cache/...``), created if need be;
    None if it cannot be used: no home, not writable, or not private to this user (what it
    holds is run as code)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, or relative: the XDG spec says to ignore it
        home = os.environ.get("HOME", "")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    folder = os.path.join(base, "mica-jailhouse", name)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        st = os.stat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None
    return folder


def read_cached(path: str | os.PathLike[str], limit: int = 16 << 20) -> bytes | None:
    """A cache file's bytes; None if it is missing, unreadable, not a regular file or too big."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            data = f.read(limit + 1)
    except OSError:
        return None
    return data if len(data) <= limit else None
