"""Applying plans on real photos: every file is checked again right before it moves (changed,
deleted, replaced: skipped with why, left in place; a kept file that changed holds back its
whole group), a taken target gets a free name that the journal records, permissions and
times travel with the file (also across file systems), a full disk fails one file and not
the batch, names of any bytes move, sidecars follow their photo, ``--trash`` with no trash
sends nothing, ``--hardlink`` links exact copies only, a stop or a crash leaves a journal
that ``resume`` finishes."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.actions import fsops, trash
from core.actions import log as jsonlog
from core.library import Library
from core.models.actions import BatchState, Decision, Mode, OpState
from tests.core.actions.trees import (
    BACKED_UP,
    SIZE,
    Tree,
    decide_two_scenes,
    files_below,
    move_ctime,
    read,
    snapshot,
    temp_files,
    two_scenes,
)
from tests.images import resized, save, scene

REPO = Path(__file__).resolve().parents[3]


def backup_of(dest: Path, name: str) -> Path:
    """Where the file ``photos/<name>`` lands in the backup folder ``dest``."""
    return dest / "photos" / name


# -- checked again right before it moves -------------------------------------------------------


def _rewrite(path: str) -> None:
    save(scene(11, SIZE), path)


def _touch(path: str) -> None:
    info = os.stat(path)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def _same_size_and_time(path: str) -> None:
    info = os.stat(path)
    data = bytearray(read(path))
    data[len(data) // 2] ^= 0xFF
    with open(path, "r+b") as fh:
        fh.write(data)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    move_ctime(path, info.st_ctime_ns)


def _replaced(path: str) -> None:
    info = os.stat(path)
    shutil.copy2(path, path + ".new")
    os.replace(path + ".new", path)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


CHANGES = {
    "rewritten": (_rewrite, "modified since the scan"),
    "touched": (_touch, "modified since the scan"),
    "same size and mtime": (_same_size_and_time, "inode change time moved"),
    "replaced by a copy": (_replaced, "replaced by another file"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_file_changed_after_the_scan_is_skipped_and_left_in_place(tree, tmp_path, change):
    alter, reason = CHANGES[change]
    alter(tree("s1/small.jpg"))
    changed = read(tree("s1/small.jpg"))
    dest = tmp_path / "backup"

    out = tree.library.apply(tree.library.plan(Mode.BACKUP, destination=str(dest)))

    ((path, why),) = out.problems
    assert path == tree("s1/small.jpg") and reason in why
    assert read(tree("s1/small.jpg")) == changed
    assert not backup_of(dest, "s1/small.jpg").exists()
    op = tree.operation(out.batch.id, "s1/small.jpg")
    assert op.state is OpState.SKIPPED and reason in (op.error or "")
    # the rest of the batch went on
    assert sorted(out.done) == [tree("s1/copy.jpg"), tree("s2/small.jpg")]
    assert out.batch.state is BatchState.DONE and out.batch.skipped == 1


def test_a_file_deleted_after_the_scan_is_skipped(tree, tmp_path):
    os.unlink(tree("s2/small.jpg"))
    dest = tmp_path / "backup"

    out = tree.library.apply(tree.library.plan(Mode.BACKUP, destination=str(dest)))

    assert out.problems == ((tree("s2/small.jpg"), "gone since the scan"),)
    assert not os.path.lexists(tree("s2/small.jpg"))
    assert not backup_of(dest, "s2/small.jpg").exists()
    assert tree.operation(out.batch.id, "s2/small.jpg").state is OpState.SKIPPED
    assert sorted(out.done) == [tree("s1/copy.jpg"), tree("s1/small.jpg")]


@pytest.mark.parametrize("what", ["deleted", "modified"])
def test_a_kept_file_gone_or_changed_holds_back_its_whole_group(tree, tmp_path, what):
    if what == "deleted":
        os.unlink(tree("s1/orig.jpg"))
    else:
        _touch(tree("s1/orig.jpg"))
    before = snapshot(tree.root)
    dest = tmp_path / "backup"

    out = tree.library.apply(tree.library.plan(Mode.BACKUP, destination=str(dest)))

    held = [tree("s1/copy.jpg"), tree("s1/small.jpg")]
    assert sorted(p for p, _ in out.problems) == held
    for _, why in out.problems:
        assert "kept file" in why and "its group was left alone" in why
    for name in ("s1/copy.jpg", "s1/small.jpg"):
        assert tree.operation(out.batch.id, name).state is OpState.SKIPPED
        assert not backup_of(dest, name).exists()
    # nothing of the group moved; the other group did
    assert out.done == (tree("s2/small.jpg"),)
    after = snapshot(tree.root)
    assert {k: v for k, v in after.items() if k.startswith(b"s1/")} == {
        k: v for k, v in before.items() if k.startswith(b"s1/")
    }


# -- targets that are taken ----------------------------------------------------------------------


def test_a_target_taken_before_the_plan_gets_a_free_name_and_comes_back(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    taken = backup_of(dest, "s1/small.jpg")
    save(scene(7, SIZE), taken)
    theirs, mine = read(taken), read(tree("s1/small.jpg"))
    free = backup_of(dest, "s1/small (2).jpg")

    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))

    assert read(taken) == theirs and read(free) == mine
    assert tree.operation(out.batch.id, "s1/small.jpg").target == str(free)
    moved = [r for r in _log(out.batch.log_path) if r.get("event") == "moved"]
    assert {r["from"]: r["to"] for r in moved}[tree("s1/small.jpg")] == str(free)

    back = lib.undo()

    assert tree("s1/small.jpg") in back.done and back.problems == ()
    assert read(tree("s1/small.jpg")) == mine
    assert read(taken) == theirs and not free.exists()


def test_a_target_taken_after_the_plan_gets_a_free_name_at_apply(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    plan = lib.plan(Mode.BACKUP, destination=str(dest))
    taken = backup_of(dest, "s2/small.jpg")
    assert str(taken) in [m.target for m in plan.moves]
    save(scene(8, SIZE), taken)
    theirs, mine = read(taken), read(tree("s2/small.jpg"))

    out = lib.apply(plan)

    free = backup_of(dest, "s2/small (2).jpg")
    assert read(taken) == theirs and read(free) == mine
    assert tree.operation(out.batch.id, "s2/small.jpg").target == str(free)

    lib.undo()

    assert read(tree("s2/small.jpg")) == mine and read(taken) == theirs
    assert not free.exists()


def _log(path: str | None) -> list[dict]:
    assert path is not None
    return list(jsonlog.read(path))


# -- permissions, file systems, full disks ---------------------------------------------------


@pytest.fixture
def read_only(tmp_path, library) -> Tree:
    """``two_scenes`` with the files to back up made read-only before the scan."""
    root = tmp_path / "photos"
    two_scenes(root)
    for name in BACKED_UP:
        os.chmod(root / name, 0o444)
    tree = Tree(root, library)
    tree.scan()
    decide_two_scenes(tree)
    return tree


def test_read_only_files_move_with_their_permissions_and_come_back(read_only, backup_dir):
    tree, lib = read_only, read_only.library
    before = snapshot(tree.root)

    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(backup_dir)))

    assert out.problems == () and len(out.done) == 3
    for name in BACKED_UP:
        moved = os.stat(backup_of(backup_dir, name))
        assert stat.S_IMODE(moved.st_mode) == 0o444
        data, mtime_ns, _ = before[os.fsencode(name)]
        assert moved.st_mtime_ns == mtime_ns
        assert read(backup_of(backup_dir, name)) == data
        assert not os.path.lexists(tree(name))
    assert temp_files(tree.root, backup_dir) == []

    back = lib.undo()

    assert back.problems == () and back.batch.state is BatchState.UNDONE
    assert snapshot(tree.root) == before


class _FullDisk:
    """A file whose every write fails as on a full disk."""

    def __init__(self, fh) -> None:
        self.fh = fh

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def fileno(self) -> int:
        return self.fh.fileno()

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["another file system", "one file system, copied"])
def test_a_full_disk_fails_one_file_leaves_no_temporary_file_and_the_batch_goes_on(
    request, tree, tmp_path, monkeypatch, where
):
    lib = tree.library
    if where == "another file system":
        dest = request.getfixturevalue("other_fs") / "backup"
    else:  # copied as if it were another file system, so that it runs everywhere
        dest = tmp_path / "backup"
        monkeypatch.setattr(fsops, "same_device", lambda path, folder: False)
    before = snapshot(tree.root)
    real_fdopen, opened = os.fdopen, []

    def fdopen(fd, mode="r", *args, **kwargs):
        fh = real_fdopen(fd, mode, *args, **kwargs)
        if "w" in mode:
            opened.append(fd)
            if len(opened) == 1:  # the first copy apply writes
                return _FullDisk(fh)
        return fh

    monkeypatch.setattr(os, "fdopen", fdopen)

    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))
    monkeypatch.undo()

    ((failed, why),) = out.problems
    assert "no space" in why
    assert failed in [tree(n) for n in BACKED_UP]
    name = os.path.relpath(failed, tree.root)
    assert read(failed) == before[os.fsencode(name)][0]
    assert not backup_of(dest, name).exists()
    assert temp_files(tmp_path, dest) == []
    op = tree.operation(out.batch.id, name)
    assert op.state is OpState.FAILED and "no space" in (op.error or "")
    assert sorted(out.done) == sorted(tree(n) for n in BACKED_UP if tree(n) != failed)
    assert out.batch.state is BatchState.DONE and out.batch.failed == 1 and out.batch.done == 2
    for other in out.done:
        rel = os.path.relpath(other, tree.root)
        assert read(backup_of(dest, rel)) == before[os.fsencode(rel)][0]

    lib.undo()

    assert snapshot(tree.root) == before


# -- names of any bytes --------------------------------------------------------------------------

ODD_NAMES = [
    "caf\u00e9.jpg",  # NFC
    "cafe\u0301.jpg",  # NFD: another file on Linux
    "line\nbreak.jpg",
    "  with spaces  .jpg",
    os.fsdecode(b"caf\xe9.jpg"),  # not UTF-8
]


@pytest.fixture
def odd_names(tmp_path, library) -> Tree:
    """``keep/orig.jpg`` and, in ``odd/``, a copy of a different size under each odd name."""
    root = tmp_path / "photos"
    original = scene(4, SIZE)
    save(original, root / "keep/orig.jpg")
    for n, name in enumerate(ODD_NAMES):
        save(resized(original, 0.9 - 0.1 * n), os.fsencode(root / "odd") + b"/" + os.fsencode(name))
    tree = Tree(root, library)
    tree.scan()
    tree.decide(["keep/orig.jpg"], Decision.KEEP)
    tree.decide(["odd"], Decision.BACKUP)  # a folder: every catalogued file below it
    return tree


def test_odd_names_move_and_come_back_byte_for_byte(odd_names, tmp_path):
    tree, lib, dest = odd_names, odd_names.library, tmp_path / "backup"
    names = sorted(os.fsencode(n) for n in ODD_NAMES)
    assert len(set(names)) == len(ODD_NAMES)
    assert sorted(os.listdir(os.fsencode(tree.root / "odd"))) == names
    before = snapshot(tree.root)

    plan = lib.plan(Mode.BACKUP, destination=str(dest))
    out = lib.apply(plan)

    assert len(plan.moves) == len(ODD_NAMES) and out.problems == ()
    assert os.listdir(os.fsencode(tree.root / "odd")) == []
    assert sorted(os.listdir(os.fsencode(dest / "photos/odd"))) == names
    for name in names:
        data = read(os.fsencode(dest / "photos/odd") + b"/" + name)
        assert data == before[b"odd/" + name][0]

    back = lib.undo()

    assert back.problems == () and len(back.done) == len(ODD_NAMES)
    assert snapshot(tree.root) == before
    assert files_below(dest / "photos") == []


# -- sidecars ------------------------------------------------------------------------------------

SIDECARS = ["IMG_1.xmp", "IMG_1.JPG.json", "IMG_1.AAE"]


@pytest.fixture
def with_sidecars(tmp_path, library) -> Tree:
    """``a/IMG_1.JPG`` kept with its ``a/IMG_1.xmp``, which it shares with ``a/IMG_1.png``
    (a smaller copy, marked backup); ``b/IMG_1.JPG`` (a 75% copy, marked backup) with three
    sidecars of its own."""
    root = tmp_path / "photos"
    original = scene(5, SIZE)
    save(original, root / "a/IMG_1.JPG")
    save(resized(original, 0.5), root / "a/IMG_1.png", "PNG")
    (root / "a/IMG_1.xmp").write_text("<x:xmpmeta>kept</x:xmpmeta>")
    save(resized(original, 0.75), root / "b/IMG_1.JPG")
    for name in SIDECARS:
        (root / "b" / name).write_text(f"sidecar {name}")
    tree = Tree(root, library)
    tree.scan()
    tree.decide(["a/IMG_1.JPG"], Decision.KEEP)
    tree.decide(["a/IMG_1.png", "b/IMG_1.JPG"], Decision.BACKUP)
    return tree


def test_sidecars_go_with_their_photo_and_come_back(with_sidecars, tmp_path):
    tree, lib, dest = with_sidecars, with_sidecars.library, tmp_path / "backup"
    before = snapshot(tree.root)

    plan = lib.plan(Mode.BACKUP, destination=str(dest))
    out = lib.apply(plan)

    sidecars = {m.source: m.sidecar_of for m in plan.moves if m.sidecar_of}
    assert sidecars == {tree(f"b/{n}"): tree("b/IMG_1.JPG") for n in SIDECARS}
    assert out.problems == ()
    for name in ["IMG_1.JPG", *SIDECARS]:
        assert not os.path.lexists(tree(f"b/{name}"))
        assert read(backup_of(dest, f"b/{name}")) == before[os.fsencode(f"b/{name}")][0]
    # shared with a photo that stays: stays
    assert read(tree("a/IMG_1.xmp")) == before[b"a/IMG_1.xmp"][0]
    assert not backup_of(dest, "a/IMG_1.xmp").exists()
    assert backup_of(dest, "a/IMG_1.png").is_file()

    back = lib.undo()

    assert back.problems == ()
    assert snapshot(tree.root) == before


def test_sidecars_of_a_photo_that_was_not_moved_stay(with_sidecars, tmp_path):
    tree, lib, dest = with_sidecars, with_sidecars.library, tmp_path / "backup"
    plan = lib.plan(Mode.BACKUP, destination=str(dest))
    _touch(tree("b/IMG_1.JPG"))

    out = lib.apply(plan)

    problems = dict(out.problems)
    assert problems[tree("b/IMG_1.JPG")] == "modified since the scan"
    for name in SIDECARS:
        assert problems[tree(f"b/{name}")] == "its photo was not moved"
        assert os.path.isfile(tree(f"b/{name}"))
        assert not backup_of(dest, f"b/{name}").exists()


# -- the trash, hard links, deleting -------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the freedesktop trash")
def test_trash_where_there_is_none_sends_nothing_and_starts_no_batch(tree, monkeypatch):
    monkeypatch.setattr(trash, "mounts", lambda: [("/", "nfs4", False)])
    before = snapshot(tree.root)
    lib = tree.library
    plan = lib.plan(Mode.TRASH)
    assert len(plan.moves) == 3

    with pytest.raises(trash.NoTrashError, match="network share"):
        lib.apply(plan)

    assert snapshot(tree.root) == before
    assert lib.history() == []


@pytest.fixture
def exact_copies(tmp_path, library) -> Tree:
    """``orig.jpg`` kept; ``copy.jpg`` (its byte copy, read-only, older) and ``small.jpg``
    (a 75% copy) marked backup."""
    root = tmp_path / "photos"
    original = scene(6, SIZE)
    save(original, root / "orig.jpg")
    shutil.copyfile(root / "orig.jpg", root / "copy.jpg")
    os.chmod(root / "copy.jpg", 0o444)
    os.utime(root / "copy.jpg", ns=(1_500_000_000_123_456_789, 1_500_000_000_123_456_789))
    save(resized(original, 0.75), root / "small.jpg")
    tree = Tree(root, library)
    tree.scan()
    tree.decide(["orig.jpg"], Decision.KEEP)
    tree.decide(["copy.jpg", "small.jpg"], Decision.BACKUP)
    return tree


def test_hardlink_links_exact_copies_only_and_undo_unlinks_them(exact_copies):
    tree, lib = exact_copies, exact_copies.library
    before = snapshot(tree.root)
    small = os.stat(tree("small.jpg"))

    plan = lib.plan(Mode.HARDLINK)
    out = lib.apply(plan)

    assert [m.source for m in plan.moves] == [tree("copy.jpg")]
    ((skipped, why),) = [(s.path, s.reason) for s in plan.skipped]
    assert skipped == tree("small.jpg") and "byte-identical" in why
    assert out.done == (tree("copy.jpg"),) and out.problems == ()
    linked, kept = os.stat(tree("copy.jpg")), os.stat(tree("orig.jpg"))
    assert linked.st_ino == kept.st_ino and kept.st_nlink == 2
    assert read(tree("copy.jpg")) == before[b"copy.jpg"][0]
    assert os.stat(tree("small.jpg")).st_ino == small.st_ino  # a look-alike is never linked

    back = lib.undo()

    assert back.done == (tree("copy.jpg"),) and back.problems == ()
    unlinked, kept = os.stat(tree("copy.jpg")), os.stat(tree("orig.jpg"))
    assert unlinked.st_ino != kept.st_ino
    assert unlinked.st_nlink == 1 and kept.st_nlink == 1
    assert snapshot(tree.root) == before  # bytes, mtime_ns and permissions


def test_an_interrupted_hardlink_batch_is_finished_by_resume(tmp_path, library):
    root = tmp_path / "photos"
    save(scene(6, SIZE), root / "orig.jpg")
    for name in ("copy_a.jpg", "copy_b.jpg"):
        shutil.copyfile(root / "orig.jpg", root / name)
    tree = Tree(root, library)
    tree.scan()
    tree.decide(["orig.jpg"], Decision.KEEP)
    tree.decide(["copy_a.jpg", "copy_b.jpg"], Decision.BACKUP)

    first = library.apply(
        library.plan(Mode.HARDLINK), should_stop=lambda: os.stat(tree("orig.jpg")).st_nlink > 1
    )
    assert first.interrupted and first.done == (tree("copy_a.jpg"),)

    out = library.resume()

    assert out.problems == () and out.done == (tree("copy_b.jpg"),)
    assert os.stat(tree("orig.jpg")).st_nlink == 3


LONG_NAME = "\u5199\u771f" * 40 + ".jpg"  # 244 bytes in UTF-8: a valid name on ext4 and tmpfs


def test_a_long_non_ascii_name_can_be_hard_linked(tmp_path, library):
    root = tmp_path / "photos"
    save(scene(6, SIZE), root / "orig.jpg")
    shutil.copyfile(root / "orig.jpg", root / LONG_NAME)
    tree = Tree(root, library)
    tree.scan()
    tree.decide(["orig.jpg"], Decision.KEEP)
    tree.decide([LONG_NAME], Decision.BACKUP)

    out = library.apply(library.plan(Mode.HARDLINK))

    assert out.problems == ()
    assert os.stat(tree(LONG_NAME)).st_ino == os.stat(tree("orig.jpg")).st_ino


def test_delete_removes_the_files_and_undo_says_they_cannot_come_back(tree):
    lib = tree.library

    out = lib.apply(lib.plan(Mode.DELETE))
    back = lib.undo()

    assert sorted(out.done) == sorted(tree(n) for n in BACKED_UP)
    for name in BACKED_UP:
        assert not os.path.lexists(tree(name))
    assert sorted(p for p, _ in back.problems) == sorted(tree(n) for n in BACKED_UP)
    assert all("cannot come back" in why for _, why in back.problems)
    assert back.batch.state is BatchState.PARTLY_UNDONE
    assert os.path.isfile(tree("s1/orig.jpg")) and os.path.isfile(tree("s2/orig.jpg"))


# -- stopping and crashing -----------------------------------------------------------------------


def test_a_stop_after_the_first_file_leaves_a_journal_that_resume_finishes(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    before = snapshot(tree.root)

    first = lib.apply(
        lib.plan(Mode.BACKUP, destination=str(dest)),
        should_stop=lambda: any(p.endswith(".jpg") for p in files_below(dest)),
    )

    assert first.interrupted and len(first.done) == 1
    assert first.batch.state is BatchState.RUNNING
    assert lib.unfinished() == [first.batch]
    ops = lib.operations(first.batch.id)
    assert [op.state for op in ops] == [OpState.DONE, OpState.PLANNED, OpState.PLANNED]
    (moved,) = first.done
    assert ops[0].source == moved and not os.path.lexists(moved)
    assert read(ops[0].target) == before[os.fsencode(os.path.relpath(moved, tree.root))][0]
    for op in ops[1:]:
        assert os.path.isfile(op.source) and not os.path.lexists(op.target)

    rest = lib.resume()

    assert not rest.interrupted and rest.problems == ()
    assert sorted([*first.done, *rest.done]) == sorted(tree(n) for n in BACKED_UP)
    assert rest.batch.state is BatchState.DONE and rest.batch.done == 3
    assert lib.unfinished() == []
    for name in BACKED_UP:
        assert read(backup_of(dest, name)) == before[os.fsencode(name)][0]
    assert temp_files(tmp_path) == []


class Crash(BaseException):
    """The process dies here (nothing after this point runs)."""


def _crash_after(monkeypatch, name: str) -> None:
    real = getattr(fsops, name)

    def crashing(*args, **kwargs):
        real(*args, **kwargs)
        raise Crash(name)

    monkeypatch.setattr(fsops, name, crashing)


# (file system, the step after which the process dies, the state the journal shows then)
CRASHES = {
    "renamed": ("same", "rename_noreplace", OpState.MOVING),
    "copied into the temporary file": ("other", "copy_to", OpState.COPYING),
    "copy renamed into place": ("other", "rename_noreplace", OpState.COPIED),
}


@pytest.mark.parametrize("crash", CRASHES)
def test_a_crash_mid_file_is_finished_by_resume_in_a_new_session(
    tree, tmp_path, monkeypatch, crash
):
    fs, step, state = CRASHES[crash]
    lib, dest = tree.library, tmp_path / "backup"
    before = snapshot(tree.root)
    plan = lib.plan(Mode.BACKUP, destination=str(dest))
    if fs == "other":  # as if the backup were on another file system: copied, not renamed
        monkeypatch.setattr(fsops, "same_device", lambda path, folder: False)
    _crash_after(monkeypatch, step)

    with pytest.raises(Crash):
        lib.apply(plan)
    monkeypatch.undo()
    lib.close()

    with Library(lib.path) as again:
        (batch,) = again.unfinished()
        ops = again.operations(batch.id)
        assert ops[0].state is state
        for op in ops:  # every file is at its source, its target or both, never neither
            assert os.path.lexists(op.source) or os.path.lexists(op.target)

        out = again.resume()

        assert out.problems == () and out.batch.state is BatchState.DONE
        for name in BACKED_UP:
            assert not os.path.lexists(tree(name))
            assert read(backup_of(dest, name)) == before[os.fsencode(name)][0]
        assert temp_files(tmp_path) == []

        again.undo()

        assert snapshot(tree.root) == before


_KILLED = """
import os, signal, sys
from core.actions import fsops
from core.library import Library
from core.models.actions import Mode

real = fsops.rename_noreplace
def rename_then_die(source, target):
    real(source, target)
    os.kill(os.getpid(), signal.SIGKILL)
fsops.rename_noreplace = rename_then_die
with Library(sys.argv[1]) as lib:
    lib.apply(lib.plan(Mode.BACKUP, destination=sys.argv[2]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_process_killed_mid_batch_leaves_a_journal_that_resume_finishes(tree, tmp_path):
    dest = tmp_path / "backup"
    before = snapshot(tree.root)
    path = tree.library.path
    tree.library.close()

    child = subprocess.run(
        [sys.executable, "-c", _KILLED, path, str(dest)], cwd=REPO, capture_output=True
    )

    assert child.returncode == -9, child.stderr.decode()
    with Library(path) as lib:
        (batch,) = lib.unfinished()
        states = [op.state for op in lib.operations(batch.id)]
        assert states == [OpState.MOVING, OpState.PLANNED, OpState.PLANNED]

        out = lib.resume()

        assert out.problems == () and out.batch.state is BatchState.DONE
        assert sorted(files_below(dest / "photos")) == sorted(
            str(backup_of(dest, n)) for n in BACKED_UP
        )
        lib.undo()
        assert snapshot(tree.root) == before


def test_a_target_taken_at_the_instant_of_the_rename_gets_a_free_name(tree, tmp_path, monkeypatch):
    lib, dest = tree.library, tmp_path / "backup"
    mine = read(tree("s2/small.jpg"))
    taken = backup_of(dest, "s2/small.jpg")
    real = fsops.rename_noreplace

    def someone_else_first(source, target):
        if target == str(taken) and not taken.exists():
            save(scene(16, SIZE), target)
        real(source, target)

    monkeypatch.setattr(fsops, "rename_noreplace", someone_else_first)
    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))
    monkeypatch.undo()
    theirs = read(taken)

    free = backup_of(dest, "s2/small (2).jpg")
    assert out.problems == () and read(free) == mine
    assert tree.operation(out.batch.id, "s2/small.jpg").target == str(free)
    moved = {r["from"]: r["to"] for r in _log(out.batch.log_path) if r.get("event") == "moved"}
    assert moved[tree("s2/small.jpg")] == str(free)

    lib.undo()

    assert read(tree("s2/small.jpg")) == mine and read(taken) == theirs


def test_hard_links_are_undone_from_the_log_alone(exact_copies, tmp_path):
    tree, lib = exact_copies, exact_copies.library
    before = snapshot(tree.root)
    out = lib.apply(lib.plan(Mode.HARDLINK))
    assert os.stat(tree("copy.jpg")).st_nlink == 2
    log = out.batch.log_path
    lib.close()

    with Library(str(tmp_path / "another.sqlite3")) as other:
        restored = other.undo_from_log(log)

    assert restored.restored == (tree("copy.jpg"),) and restored.left == ()
    assert os.stat(tree("copy.jpg")).st_nlink == 1 and os.stat(tree("orig.jpg")).st_nlink == 1
    assert snapshot(tree.root) == before


def test_a_permission_error_fails_one_file_and_the_batch_goes_on(tree, tmp_path, monkeypatch):
    dest = tmp_path / "backup"
    refused = tree("s1/small.jpg")
    real_rename = fsops.rename_noreplace

    def rename(source: str, target: str) -> None:
        if source == refused:
            raise PermissionError(errno.EACCES, "Permission denied", source)
        real_rename(source, target)

    monkeypatch.setattr(fsops, "rename_noreplace", rename)
    before = read(refused)

    out = tree.library.apply(tree.library.plan(Mode.BACKUP, destination=str(dest)))

    assert out.problems == ((refused, "permission denied; left in place"),)
    assert read(refused) == before
    assert not backup_of(dest, "s1/small.jpg").exists()
    assert tree.operation(out.batch.id, "s1/small.jpg").state is OpState.FAILED
    assert sorted(out.done) == [tree("s1/copy.jpg"), tree("s2/small.jpg")]
    assert not temp_files(tree.root, dest)


def test_a_rename_refused_across_mounts_of_one_file_system_copies_instead(
    tree, tmp_path, monkeypatch
):
    """Two mounts of one file system share a device number, yet rename between them fails
    with EXDEV: the move falls back to the verified copy, and undo comes back the same way."""
    dest = tmp_path / "backup"
    before = snapshot(tree.root)
    real_rename = fsops.rename_noreplace

    def rename(source: str, target: str) -> None:
        if fsops.TEMP_MARK not in source:  # only a temporary copy may take its name
            raise OSError(errno.EXDEV, "Invalid cross-device link", source)
        real_rename(source, target)

    monkeypatch.setattr(fsops, "rename_noreplace", rename)

    out = tree.library.apply(tree.library.plan(Mode.BACKUP, destination=str(dest)))

    assert not out.problems and len(out.done) == 3
    for name in BACKED_UP:
        assert backup_of(dest, name).exists() and not os.path.lexists(tree(name))
    undone = tree.library.undo()
    assert not undone.problems
    assert snapshot(tree.root) == before
    assert not temp_files(tree.root, dest)
