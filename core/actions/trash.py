"""The platform's trash, through send2trash, checked before anything is sent: a batch goes to
the trash only if every one of its files has a trash to go to, so nothing is half done.

On Linux (the freedesktop trash) a file on the home folder's file system goes to the home
trash; a file elsewhere to its mount's ``.Trash/$UID`` or ``.Trash-$UID``, which must exist or
be creatable. Network shares (NFS, SMB, SSHFS, ...) have no trash that anyone would find. On
macOS and Windows the system's trash is used as is. Must not import the store or any UI.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable
from functools import lru_cache

from core.errors import PhotosiftError
from core.paths import printable

NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "sshfs", "9p", "afs", "ceph",
     "glusterfs", "fuse.glusterfs", "davfs", "fuse.davfs2", "fuse.rclone", "lustre", "gpfs"}
)  # fmt: skip


class NoTrashError(PhotosiftError):
    """Some files have no trash to go to; nothing was sent."""


def mounts() -> list[tuple[str, str, bool]]:
    """(mount point, file-system type, read-only) of every mount, from /proc/self/mountinfo."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 6 or not tail:
            continue
        point = fields[4].encode("utf-8", "surrogateescape").decode("unicode_escape")
        point = point.encode("latin-1").decode("utf-8", "surrogateescape")
        out.append((point, tail[0], "ro" in fields[5].split(",")))
    return out


def _mount_of(path: str, table: list[tuple[str, str, bool]]) -> tuple[str, str, bool]:
    best = ("/", "", False)
    for point, kind, read_only in table:
        if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) >= len(
            best[0]
        ):
            best = (point, kind, read_only)
    return best


@lru_cache(maxsize=1)
def _home_device() -> int | None:
    try:
        return os.stat(os.path.realpath(os.path.expanduser("~"))).st_dev
    except OSError:
        return None


def home_trash() -> str:
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(data, "Trash")


def trash_for(path: str) -> tuple[str | None, str]:
    """(the trash folder ``path`` would go to, why not when None)."""
    if not sys.platform.startswith("linux"):
        return "", ""  # the system's own trash
    try:
        device = os.lstat(path).st_dev
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    point, kind, read_only = _mount_of(path, mounts())
    if kind in NETWORK_FILESYSTEMS:
        return None, f"on a network share ({kind} at {printable(point)}) that has no trash"
    if read_only:
        return None, f"on a read-only file system ({printable(point)})"
    if device == _home_device():
        return home_trash(), ""
    uid = os.getuid()
    shared = os.path.join(point, ".Trash")
    try:
        info = os.lstat(shared)
        if stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX:
            return os.path.join(shared, str(uid)), ""
    except OSError:
        pass
    own = os.path.join(point, f".Trash-{uid}")
    if os.path.isdir(own) or os.access(point, os.W_OK):
        return own, ""
    return None, f"no trash folder on {printable(point)}, and none can be made there"


def check(paths: Iterable[str]) -> None:
    """Raise NoTrashError, naming the files and why, unless every path has a trash."""
    missing = []
    for path in paths:
        folder, why = trash_for(path)
        if folder is None:
            missing.append(f"{printable(path)}: {why}")
    if missing:
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        raise NoTrashError(
            "there is no trash for some files; nothing was sent (use --backup DIR instead):\n  "
            + "\n  ".join(missing[:5])
            + more
        )


def send(path: str) -> str | None:
    """Send ``path`` to the trash; returns where it now is in the trash when that can be
    told (so that undo can bring it back), else None."""
    from send2trash import send2trash

    folder, _ = trash_for(path)
    files = os.path.join(folder, "files") if folder else None
    before = set(_names(files))
    send2trash(path)
    if files is None:
        return None
    new = set(_names(files)) - before
    return os.path.join(files, new.pop()) if len(new) == 1 else None


def _names(folder: str | None) -> list[str]:
    if not folder:
        return []
    try:
        return os.listdir(folder)
    except OSError:
        return []


def forget_entry(trashed: str) -> None:
    """Remove the ``.trashinfo`` of a file taken back out of the trash."""
    files = os.path.dirname(trashed)
    info = os.path.join(os.path.dirname(files), "info", os.path.basename(trashed) + ".trashinfo")
    with contextlib.suppress(OSError):
        os.unlink(info)
