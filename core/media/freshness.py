"""Is a file still the one the catalog describes? Checked with one ``stat`` right before advice
about it is given (``groups``, ``report``, the app), so that a file deleted, replaced or
truncated since the scan is never recommended as the one to keep, and never makes another
file "a copy of" it. A full rescan is not needed for that, only suggested.

Files below a root that was unavailable at its last scan are not even stat-ed (a stat on a
share that went away can hang); they are reported as unavailable. Must not import the store
or a UI.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping

from core.models import Photo
from core.paths import is_below

MISSING = "missing: deleted or moved since the scan"
CHANGED = "changed since the scan: scan again to analyse it"


def staleness(photo: Photo) -> str | None:
    """Why ``photo`` is not as scanned (its text before the colon is the category: missing,
    changed, unreadable), or None if size, mtime, inode and, where recorded, ctime still match."""
    try:
        st = os.stat(photo.path)
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        return "changed since the scan: no longer a regular file"
    if (st.st_size, st.st_mtime_ns) != (photo.size, photo.mtime_ns):
        return CHANGED
    if (photo.inode and st.st_ino != photo.inode) or (
        photo.ctime_ns and st.st_ctime_ns != photo.ctime_ns
    ):
        return CHANGED  # replaced by another file with the same size and mtime
    return None


def stale_files(
    photos: Iterable[Photo], unavailable_roots: Mapping[str, str] | None = None
) -> dict[str, str]:
    """path -> why, for the ``photos`` that are not as scanned."""
    away = unavailable_roots or {}
    out: dict[str, str] = {}
    for photo in photos:
        root = next((r for r in away if photo.path == r or is_below(photo.path, (r,))), None)
        reason = f"unavailable: {root} is not available" if root else staleness(photo)
        if reason:
            out[photo.path] = reason
    return out
