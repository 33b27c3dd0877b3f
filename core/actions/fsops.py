"""The few things apply and undo do to files, each one careful: check that a file is still
the one planned, hash it, rename without ever replacing what is there, copy across file
systems into a temporary file that is synced and verified before it takes its name, and sync
folders so that a rename survives a power cut.

Never follows a symlink to act on its target: a path that is (or now passes through) a
symlink is refused as changed. Must not import the store or any UI.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import os
import stat as st
import sys
from collections.abc import Collection, Iterable

from core.models.actions import FileStat

_CHUNK = 1 << 20
_RENAME_NOREPLACE = 1
TEMP_MARK = ".photosift-tmp"  # in the name of every temporary file apply and undo write
_NAME_MAX = 255  # bytes in one file name, on every file system photos live on


def stat_of(path: str) -> os.stat_result:
    return os.lstat(path)


def file_stat(info: os.stat_result) -> FileStat:
    return FileStat(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def changed(path: str, expected: FileStat) -> str | None:
    """Why the file at ``path`` is not the one described any more, or None if it still is
    (a regular file, not a symlink, at its real path, with the same size, mtime, ctime and
    inode; a ctime or inode of 0 is not compared)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "gone since the scan"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if st.S_ISLNK(info.st_mode):
        return "is now a symbolic link"
    if not st.S_ISREG(info.st_mode):
        return "is not a regular file any more"
    if os.path.realpath(path) != path:
        return "is now reached through a symbolic link"
    if info.st_size != expected.size or info.st_mtime_ns != expected.mtime_ns:
        return "modified since the scan"
    if expected.inode and info.st_ino != expected.inode:
        return "replaced by another file since the scan"
    if expected.ctime_ns and info.st_ctime_ns != expected.ctime_ns:
        return "changed since the scan (its inode change time moved)"
    return None


def hash_file(path: str) -> str:
    """BLAKE2b-128 of the file's bytes, as hex: the catalog's content hash, the same digest
    as ``core.analysis.hashing.content_hash`` (not imported: it brings OpenCV to every
    command that only moves files)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(folder: str) -> None:
    """Make a folder's entries (a rename, a new or removed file) durable."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some platforms cannot open folders; nothing more can be done there
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def same_device(path: str, folder: str) -> bool:
    return os.lstat(path).st_dev == os.stat(folder).st_dev


def _renameat2() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_RENAMEAT2 = _renameat2()
_AT_FDCWD = -100


def rename_noreplace(source: str, target: str) -> None:
    """Rename ``source`` to ``target`` on one file system, atomically, failing with
    FileExistsError if ``target`` exists (it is never replaced). Uses renameat2's
    RENAME_NOREPLACE where the system has it, else a hard link then an unlink (both names
    exist for a moment, never neither), else a check then a rename."""
    if _RENAMEAT2 is not None:
        result = _RENAMEAT2(  # type: ignore[operator]
            _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE
        )
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), target)
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "File exists", target) from exc
        os.rename(source, target)
        return
    os.unlink(source)


def copy_to(source: str, temp: str, *, expected_hash: str | None = None) -> str:
    """Copy ``source`` into a new file ``temp`` (which must not exist), synced to disk, then
    read back and verified; returns the content hash. On any failure (disk full, a short
    read, a mismatch) the temporary file is removed and the error raised: nothing half
    written is left behind."""
    digest = hashlib.blake2b(digest_size=16)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never one already there
    try:
        with os.fdopen(fd, "wb", buffering=0) as dst, open(source, "rb", buffering=0) as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[dst.write(view) :]
            os.fsync(dst.fileno())
        written = digest.hexdigest()
        if expected_hash is not None and written != expected_hash:
            raise OSError(errno.EIO, "the file changed while it was copied", source)
        if hash_file(temp) != written:
            raise OSError(errno.EIO, "the copy does not read back as written", temp)
    except BaseException:
        discard(temp)
        raise
    return written


def set_times_and_mode(path: str, atime_ns: int, mtime_ns: int, mode: int) -> None:
    """Give a copy its original's permissions and times (last: reading it moved its atime)."""
    os.chmod(path, st.S_IMODE(mode))
    os.utime(path, ns=(atime_ns, mtime_ns), follow_symlinks=False)


def keep_times_and_mode(path: str, atime_ns: int, mtime_ns: int, mode: int) -> None:
    """Put back the times (and permissions) of a file that was read to be hashed; a file that
    is not the person's to change keeps what it has (rename kept its mtime anyway)."""
    if not mode:
        return
    with contextlib.suppress(OSError):
        set_times_and_mode(path, atime_ns, mtime_ns, mode)


def discard(path: str | None) -> None:
    """Remove a temporary file if it is there."""
    if not path:
        return
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def temp_name(target: str, tag: str) -> str:
    """A temporary name next to ``target`` (same folder, so the final rename is atomic)."""
    folder, name = os.path.split(target)
    room = _NAME_MAX - len(f"..{tag}{TEMP_MARK}".encode())
    short = os.fsencode(name)[: max(room, 1)]
    return os.path.join(folder, f".{os.fsdecode(short)}.{tag}{TEMP_MARK}")


def free_name(target: str, taken: Collection[str] = ()) -> str:
    """``target``, or ``name (2).ext``, ``name (3).ext``, ... if it exists (or is in
    ``taken``: promised to another file)."""
    stem, ext = os.path.splitext(target)
    candidate, n = target, 2
    while os.path.lexists(candidate) or candidate in taken:
        candidate, n = f"{stem} ({n}){ext}", n + 1
    return candidate


def make_folders(folder: str) -> None:
    """Create ``folder`` and its missing parents, syncing each parent so they last."""
    missing = []
    current = folder
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path):
                raise
        fsync_dir(os.path.dirname(path))


def prune_empty(folders: Iterable[str], stop: str) -> None:
    """Remove the empty folders among ``folders`` and their empty parents, up to (not
    including) ``stop``: what moving files out of a backup folder left behind."""
    for folder in sorted(set(folders), key=len, reverse=True):
        current = folder
        while current != stop and current.startswith(stop.rstrip("/") + "/"):
            try:
                os.rmdir(current)  # only ever removes an empty folder
            except OSError:
                break
            current = os.path.dirname(current)


def describe(exc: OSError) -> str:
    """An OSError in a few words a person understands."""
    if exc.errno == errno.ENOSPC:
        return "no space left on the destination's disk"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded"
    return exc.strerror or str(exc)
