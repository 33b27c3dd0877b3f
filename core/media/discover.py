"""Find the photos under one or more roots.

Walks folders in name order (deterministic), skips hidden entries unless asked, applies exclude
globs (ignoring case where the root's file system does, or as asked), never follows a symlink
unless asked (and then never into a loop), and counts a file reached twice (overlapping roots,
hard links, links) once. A file is a candidate when its extension is an image's, or, for unknown
extensions, when its first bytes are an image's. Only ``stat``, for unknown extensions a 32-byte
read, and, with exclude globs, the read-only case probe of ``core.media.folders`` happen here.
Must not import the store or a UI.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.errors import RootNotFoundError
from core.media import folders, formats
from core.models import Candidate

_REPORT_EVERY = 500


@dataclass(frozen=True, slots=True)
class DiscoveryOptions:
    """What to walk. ``exclude``: ``fnmatch`` globs, each tried against an entry's name, its path
    below the root and its full path; a folder that matches is not walked. ``ignore_case``: how
    those globs treat case: True ignores it, False respects it, None (the default) ignores it
    below a root whose file system does (``core.media.folders.case_insensitive``: APFS, NTFS,
    FAT, most SMB shares) and respects it elsewhere. ``include_hidden``: walk names starting
    with a dot. ``follow_symlinks``: follow links to files and folders (never into a loop)."""

    exclude: tuple[str, ...] = ()
    include_hidden: bool = False
    follow_symlinks: bool = False
    ignore_case: bool | None = None


@dataclass(slots=True)
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    unreadable_dirs: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    ignored: int = 0  # regular files that are not images
    symlinks_skipped: int = 0
    seen_twice: int = 0
    interrupted: bool = False


def resolve_roots(paths: Sequence[str]) -> list[str]:
    """Real paths of the roots, checked to exist and be readable; duplicates dropped."""
    roots: list[str] = []
    for given in paths:
        real = os.path.realpath(os.path.expanduser(given))
        if not os.path.exists(real):
            raise RootNotFoundError(f"{given}: no such file or folder")
        if os.path.isdir(real) and not os.access(real, os.R_OK | os.X_OK):
            raise RootNotFoundError(f"{given}: folder cannot be read (permission denied)")
        if real not in roots:
            roots.append(real)
    return roots


def discover(
    roots: Sequence[str],
    options: DiscoveryOptions = DiscoveryOptions(),
    *,
    on_found: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Discovery:
    """Walk ``roots`` (already resolved) and return the image candidates in path order."""
    walker = _Walker(options, on_found, should_stop)
    for root in roots:
        if walker.result.interrupted:
            break
        walker.walk_root(root)
    walker.result.candidates.sort(key=lambda c: c.path)
    return walker.result


class _Walker:
    def __init__(
        self,
        options: DiscoveryOptions,
        on_found: Callable[[int], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        self.options = options
        self.on_found = on_found
        self.should_stop = should_stop or (lambda: False)
        self.result = Discovery()
        self.seen_files: set[tuple[int, int]] = set()
        self.seen_dirs: set[tuple[int, int]] = set()
        self.globs = _compile_globs(options.exclude, ignore_case=False)
        self.folded_globs = _compile_globs(options.exclude, ignore_case=True)
        self.root_ignores_case: dict[str, bool] = {}

    def walk_root(self, root: str) -> None:
        try:
            st = os.stat(root)
        except OSError as exc:
            self.result.unreadable_dirs.append((root, exc.strerror or str(exc)))
            return
        if stat.S_ISDIR(st.st_mode):
            self._walk_tree(root)
        elif stat.S_ISREG(st.st_mode):
            self._consider_file(root, root, root, st)

    def _walk_tree(self, root: str) -> None:
        stack = [root]
        while stack and not self.result.interrupted:
            folder = stack.pop()
            try:
                st = os.stat(folder)
            except OSError as exc:
                self.result.unreadable_dirs.append((folder, exc.strerror or str(exc)))
                continue
            if (st.st_dev, st.st_ino) in self.seen_dirs:
                continue  # a loop, or a folder reached again through another root or link
            self.seen_dirs.add((st.st_dev, st.st_ino))
            subdirs = self._scan_folder(root, folder)
            stack.extend(reversed(subdirs))  # pop() then visits them in name order

    def _scan_folder(self, root: str, folder: str) -> list[str]:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.result.unreadable_dirs.append((folder, exc.strerror or str(exc)))
            return []
        subdirs = []
        for entry in entries:
            if self.should_stop():
                self.result.interrupted = True
                break
            if entry.name.startswith(".") and not self.options.include_hidden:
                continue
            if self._excluded(root, entry.path, entry.name):
                continue
            subdir = self._consider_entry(root, entry)
            if subdir:
                subdirs.append(subdir)
        return subdirs

    def _consider_entry(self, root: str, entry: os.DirEntry) -> str | None:
        """Handle one folder entry; returns a folder to descend into, if it is one."""
        path = entry.path
        try:
            if entry.is_symlink():
                if not self.options.follow_symlinks:
                    self.result.symlinks_skipped += 1
                    return None
                path = os.path.realpath(path)
                st = os.stat(path)
            else:
                st = entry.stat(follow_symlinks=False)
        except OSError:
            return None  # vanished, or a dangling link
        if stat.S_ISDIR(st.st_mode):
            return path
        if stat.S_ISREG(st.st_mode):
            self._consider_file(root, path, entry.name, st)
        return None

    def _consider_file(self, root: str, path: str, name: str, st: os.stat_result) -> None:
        key = (st.st_dev, st.st_ino)
        if key in self.seen_files:
            self.result.seen_twice += 1
            return
        ext = formats.extension(name)
        if ext in formats.SKIP_EXTENSIONS or (
            ext not in formats.IMAGE_EXTENSIONS
            and ext not in formats.RAW_EXTENSIONS
            and not _looks_like_image(path)
        ):
            self.result.ignored += 1
            return
        self.seen_files.add(key)
        self.result.candidates.append(
            Candidate(
                path=path,
                root=root,
                size=st.st_size,
                mtime_ns=st.st_mtime_ns,
                inode=st.st_ino,
                device=st.st_dev,
                ctime_ns=st.st_ctime_ns,
            )
        )
        found = len(self.result.candidates)
        if self.on_found and found % _REPORT_EVERY == 0:
            self.on_found(found)

    def _excluded(self, root: str, path: str, name: str) -> bool:
        if not self.options.exclude:
            return False
        globs = self.folded_globs if self._ignores_case(root) else self.globs
        below = os.path.relpath(path, root)
        return any(g.match(name) or g.match(below) or g.match(path) for g in globs)

    def _ignores_case(self, root: str) -> bool:
        if self.options.ignore_case is not None:
            return self.options.ignore_case
        if root not in self.root_ignores_case:
            self.root_ignores_case[root] = folders.case_insensitive(root)
        return self.root_ignores_case[root]


def _compile_globs(patterns: Sequence[str], *, ignore_case: bool) -> list[re.Pattern[str]]:
    """The globs as ``fnmatch.fnmatchcase`` reads them, compiled once, optionally caseless."""
    flags = re.IGNORECASE if ignore_case else 0
    return [re.compile(fnmatch.translate(pattern), flags) for pattern in patterns]


def _looks_like_image(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return formats.sniff(fh.read(formats.SNIFF_BYTES)) is not None
    except OSError:
        return False
