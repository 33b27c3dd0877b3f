"""Small, pure helpers on path strings shared by every layer: a path safe to store or print
as UTF-8, and "is this path inside that folder" by its text. Imports nothing from photosift.
"""

from __future__ import annotations

from collections.abc import Iterable


def printable(text: str) -> str:
    """``text`` safe to store as UTF-8: the undecodable bytes of a file name (kept by Python
    as surrogate escapes) are shown as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_below(path: str, folders: Iterable[str]) -> bool:
    """``path`` lies inside one of ``folders`` (a folder named like the start of another,
    /x/ref and /x/refs, does not count)."""
    return any(path.startswith(folder.rstrip("/") + "/") for folder in folders)
