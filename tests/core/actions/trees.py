"""Photo trees for the file-action tests, and what is on disk below a folder (names as bytes,
contents, mtimes, permission bits), so a test can say "exactly as it was"."""

from __future__ import annotations

import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from core.actions.fsops import TEMP_MARK
from core.library import Library
from core.models import Group
from core.models.actions import Decision, Operation
from core.runtime.scan import ScanOptions
from tests.images import resized, save, scene

SIZE = (160, 120)

Snapshot = dict[bytes, tuple[bytes, int, int]]


def snapshot(folder: str | os.PathLike[str]) -> Snapshot:
    """relative path (bytes) -> (content, mtime_ns, permission bits) of every file below
    ``folder``, hidden ones included."""
    top = os.fsencode(folder)
    out: Snapshot = {}
    for dirpath, _, names in os.walk(top):
        for name in names:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, top)] = (
                    fh.read(),
                    info.st_mtime_ns,
                    stat.S_IMODE(info.st_mode),
                )
    return out


def files_below(folder: str | os.PathLike[str]) -> list[str]:
    """Every file below ``folder`` (none if it does not exist), hidden ones included."""
    return sorted(os.path.join(d, n) for d, _, names in os.walk(folder) for n in names)


def temp_files(*folders: str | os.PathLike[str]) -> list[str]:
    """The temporary files apply or undo left below ``folders``."""
    return [p for folder in folders for p in files_below(folder) if TEMP_MARK in p]


def move_ctime(path: str | os.PathLike[str], ctime_ns: int) -> None:
    """Change only the inode change time of ``path`` (a chmod to the same mode), until it
    differs from ``ctime_ns`` (the clock of ctimes ticks coarsely)."""
    deadline = time.monotonic() + 2
    while os.stat(path).st_ctime_ns == ctime_ns and time.monotonic() < deadline:
        time.sleep(0.005)
        os.chmod(path, stat.S_IMODE(os.stat(path).st_mode))
    assert os.stat(path).st_ctime_ns != ctime_ns


def read(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


@dataclass
class Tree:
    """A photo folder (``root``) scanned into ``library``."""

    root: Path
    library: Library

    def __call__(self, name: str) -> str:
        return str(self.root / name)

    def scan(self) -> None:
        self.library.scan([str(self.root)], ScanOptions(workers=1))

    def group_of(self, name: str) -> Group:
        (found,) = (g for g in self.library.groups().groups if self(name) in g.paths)
        return found

    def decide(self, names: list[str], decision: Decision, **options: bool):
        return self.library.decide([self(n) for n in names], decision, **options)

    def decision(self, name: str) -> Decision:
        record = self.library.decisions().get(self(name))
        return record.decision if record else Decision.UNDECIDED

    def operation(self, batch_id: int, name: str) -> Operation:
        (found,) = (op for op in self.library.operations(batch_id) if op.source == self(name))
        return found


def two_scenes(root: Path) -> None:
    """``s1/orig.jpg`` with a 75% copy ``s1/small.jpg`` and a byte copy ``s1/copy.jpg``;
    ``s2/orig.jpg`` with a 75% copy ``s2/small.jpg``."""
    for seed in (1, 2):
        original = scene(seed, SIZE)
        save(original, root / f"s{seed}/orig.jpg")
        save(resized(original, 0.75), root / f"s{seed}/small.jpg")
    shutil.copyfile(root / "s1/orig.jpg", root / "s1/copy.jpg")


def decide_two_scenes(tree: Tree) -> None:
    """Each scene keeps its original; the copies are marked backup."""
    tree.decide(["s1/orig.jpg", "s2/orig.jpg"], Decision.KEEP)
    tree.decide(["s1/small.jpg", "s1/copy.jpg", "s2/small.jpg"], Decision.BACKUP)


BACKED_UP = ["s1/copy.jpg", "s1/small.jpg", "s2/small.jpg"]
