"""Folders as the file system sees them: is a path inside one of a set of folders, and does a
folder's file system ignore case.

``is_below`` in ``core.paths`` compares text, which misses the same folder spelled another way:
``/Photos/Archive`` and ``/photos/archive`` on a case-insensitive volume, ``Café`` composed (NFC)
or decomposed (NFD, as macOS and many NAS shares store it), a folder reached through a symlink.
``FolderSet`` compares text first (cheap) and then identity, the ``(st_dev, st_ino)`` of the
path's parent folders, each stat'ed once per set. Reads only: nothing here creates, changes or
deletes a file. Standard library only; must not import the store or a UI.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import stat
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Identity = tuple[int, int]  # (st_dev, st_ino)

_SWAP_ASCII = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
)
_PROBE_ENTRIES = 64  # entries of a folder looked at for one whose name has an ASCII letter


# -- does a folder's file system ignore case ------------------------------------------------------


def case_insensitive(folder: str) -> bool:
    """Whether names in ``folder`` are looked up ignoring (ASCII) case, as on APFS and HFS+ by
    default, NTFS, FAT/exFAT and most SMB shares. Answered once per real path and remembered.

    Probes without writing: an entry of the folder whose name has an ASCII letter is looked up
    again with those letters' case swapped (``IMG_1.jpg`` -> ``img_1.JPG``); the same file under
    both spellings means case is ignored, no such file (or another file) means it is not. An
    empty folder, or one it cannot list, is judged by its own name (then its parents') in its
    parent folder, as long as that parent is on the same device. Nothing to go by, or a folder
    that does not exist: False, case-sensitive, which is how text compares anyway."""
    return _probe(os.path.realpath(folder))


@functools.lru_cache(maxsize=256)
def _probe(real: str) -> bool:
    try:
        st = os.stat(real)
    except OSError:
        return False
    verdict = _probe_entries(real) if stat.S_ISDIR(st.st_mode) else None
    if verdict is None:
        verdict = _probe_own_names(real, st.st_dev)
    logger.debug("%s: names %s case", real, "ignore" if verdict else "respect")
    return verdict


def _probe_entries(folder: str) -> bool | None:
    """Decided by the first entry of ``folder`` with an ASCII letter; None: no such entry."""
    try:
        with os.scandir(folder) as it:
            for entry in itertools.islice(it, _PROBE_ENTRIES):
                verdict = _same_under_swapped_case(folder, entry.name)
                if verdict is not None:
                    return verdict
    except OSError:
        return None
    return None


def _probe_own_names(real: str, device: int) -> bool:
    """Decided by the nearest name on the way up with an ASCII letter, looked up in its parent,
    while the parents are on ``device`` (a mount point's parent says nothing about it)."""
    current = real
    while True:
        parent, name = os.path.split(current)
        if not name or parent == current:
            return False
        try:
            if os.stat(parent).st_dev != device:
                return False
        except OSError:
            return False
        verdict = _same_under_swapped_case(parent, name)
        if verdict is not None:
            return verdict
        current = parent


def _same_under_swapped_case(folder: str, name: str) -> bool | None:
    """True: ``name`` with its ASCII case swapped is the same entry; False: it is not there or
    is another entry; None: ``name`` has no ASCII letter, or vanished meanwhile."""
    swapped = name.translate(_SWAP_ASCII)
    if swapped == name:
        return None
    try:
        original = os.lstat(os.path.join(folder, name))
    except OSError:
        return None
    try:
        other = os.lstat(os.path.join(folder, swapped))
    except OSError:
        return False
    return os.path.samestat(original, other)


# -- is a path inside one of these folders --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Folder:
    real: str  # os.path.realpath of the folder as given
    prefix: str  # real + separator: what a path strictly below it starts with
    nfc_prefix: str
    folded_prefix: str | None  # only when the folder's file system ignores case
    identity: Identity | None  # None: the folder does not exist (or has no usable inode)


class FolderSet:
    """A few folders, and whether a path lies strictly below one of them: by text (as given,
    in NFC, and case-folded where the folder's file system ignores case), else by identity of
    the path's parent folders. Cheap to build; share it between threads freely (the cache of
    parent folders only grows, under a lock). Build a new one per scan or plan: a folder
    replaced after it was built keeps its old identity here."""

    __slots__ = ("_folders", "_innermost_first", "_by_identity", "_parents", "_lock")

    def __init__(self, folders: Iterable[str]) -> None:
        seen: dict[str, _Folder] = {}
        for given in folders:
            real = os.path.realpath(given)
            if real not in seen:
                seen[real] = _describe(real)
        self._folders = tuple(seen.values())
        self._innermost_first = sorted(self._folders, key=lambda f: len(f.prefix), reverse=True)
        self._by_identity = {f.identity: f.real for f in self._folders if f.identity}
        self._parents: dict[str, str | None] = {}  # parent folder -> the folder it lies in
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._folders)

    def __len__(self) -> int:
        return len(self._folders)

    def __iter__(self) -> Iterator[str]:
        return (f.real for f in self._folders)

    def __repr__(self) -> str:
        return f"FolderSet({[f.real for f in self._folders]!r})"

    def contains(self, path: str) -> bool:
        """``path`` lies strictly below one of the folders (the folder itself does not)."""
        return self.folder_of(path) is not None

    def folder_of(self, path: str) -> str | None:
        """The folder (its real path) that ``path`` lies strictly below, or None. A path that
        no longer exists is judged by its text and by those of its parents that still do."""
        path = _absolute(path)
        if not self._folders or os.path.dirname(path) == path:
            return None  # the file system root lies in nothing
        return self._by_text(path) or self._by_identity_of_parents(os.path.dirname(path))

    def _by_text(self, path: str) -> str | None:
        nfc = _nfc(path)
        folded: str | None = None
        for folder in self._innermost_first:
            if path.startswith(folder.prefix) or nfc.startswith(folder.nfc_prefix):
                return folder.real
            if folder.folded_prefix is not None:
                folded = _fold(nfc) if folded is None else folded
                if folded.startswith(folder.folded_prefix):
                    return folder.real
        return None

    def _by_identity_of_parents(self, start: str) -> str | None:
        """Walks up from ``start``: one lstat per parent folder not seen before, and the answer
        remembered for every folder on the way. A symlinked folder is followed to its real path,
        whose parents are walked from there."""
        if not self._by_identity:
            return None
        walked: list[str] = []
        current = start
        answer: str | None = None
        while True:
            if current in self._parents:  # entries are only ever added
                answer = self._parents[current]
                break
            walked.append(current)
            identity, link = _identity(current)
            if identity is not None and identity in self._by_identity:
                answer = self._by_identity[identity]
                break
            parent = os.path.realpath(current) if link else os.path.dirname(current)
            if parent == current:
                break
            current = parent
        with self._lock:
            for folder in walked:
                self._parents[folder] = answer
        return answer


def _describe(real: str) -> _Folder:
    prefix = real if real.endswith(os.sep) else real + os.sep
    nfc_prefix = _nfc(prefix)
    identity: Identity | None = None
    folded: str | None = None
    try:
        st = os.stat(real)
    except OSError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        identity = (st.st_dev, st.st_ino) if st.st_ino else None
        if case_insensitive(real):
            folded = _fold(nfc_prefix)
    return _Folder(real, prefix, nfc_prefix, folded, identity)


def _identity(folder: str) -> tuple[Identity | None, bool]:
    """(st_dev, st_ino) of ``folder`` if it is one, and whether it is a symlink."""
    try:
        st = os.lstat(folder)
    except OSError:
        return None, False
    if stat.S_ISLNK(st.st_mode):
        return None, True
    if not stat.S_ISDIR(st.st_mode) or not st.st_ino:
        return None, False  # some network file systems report no inode: text decides
    return (st.st_dev, st.st_ino), False


def _absolute(path: str) -> str:
    """``path`` made absolute; ``..`` resolved through the file system, not by text, so that
    ``/x/ref/../other/a.jpg`` is not taken for a file below /x/ref."""
    if ".." not in path.split(os.sep):
        return os.path.abspath(path)
    head, tail = os.path.split(path)
    if tail in ("", ".", ".."):
        return os.path.realpath(path)
    return os.path.join(os.path.realpath(head), tail)


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _fold(text: str) -> str:
    return text.casefold()
