"""Undo on real photos: scan, accept, apply, undo gives back the tree byte for byte with every
mtime (the backup on the same or another file system); a file that appeared at a path since
is never replaced; the backup folder's log alone (the catalog lost) brings everything back;
an interrupted batch can be undone; a batch is undone once."""

from __future__ import annotations

import os
import shutil

import pytest

from core.actions import fsops, trash
from core.actions.undo import undo_from_log
from core.errors import PhotosiftError
from core.library import Library
from core.models.actions import BatchState, Decision, Mode, OpState
from core.progress import Reporter
from core.runtime.scan import ScanOptions
from tests.core.actions.trees import (
    BACKED_UP,
    SIZE,
    Tree,
    files_below,
    read,
    snapshot,
    temp_files,
)
from tests.images import save, scene, scenes_with_copies

NON_UTF8 = os.fsdecode(b"caf\xe9 IMG.jpg")


@pytest.fixture
def library_tree(tmp_path, library) -> Tree:
    """``scenes_with_copies`` (two scenes, each with a resized and a mirrored copy, and a byte
    copy of the first) plus a read-only byte copy of the second under a name that is not
    UTF-8, and an unrelated photo; scanned."""
    root = tmp_path / "photos"
    scenes_with_copies(root)
    save(scene(9, SIZE), root / "other.jpg")
    odd = os.path.join(os.fsdecode(root), "copies", NON_UTF8)
    shutil.copyfile(root / "s2/orig.jpg", odd)
    os.chmod(odd, 0o444)
    tree = Tree(root, library)
    tree.scan()
    return tree


def test_scan_accept_apply_undo_gives_back_the_tree_byte_for_byte(library_tree, backup_dir):
    tree, lib = library_tree, library_tree.library
    before = snapshot(tree.root)
    accepted = lib.accept()
    assert accepted.counts["backup"] >= 3

    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(backup_dir)))

    assert out.problems == () and len(out.done) == accepted.counts["backup"]
    assert snapshot(tree.root) != before
    assert len(snapshot(tree.root)) == len(before) - len(out.done)
    assert temp_files(tree.root, backup_dir) == []

    back = lib.undo()

    assert back.problems == () and sorted(back.done) == sorted(out.done)
    assert back.batch.state is BatchState.UNDONE
    assert snapshot(tree.root) == before  # names as bytes, contents, mtime_ns, permissions
    assert [p for p in files_below(backup_dir) if not p.endswith(".jsonl")] == []
    assert temp_files(tree.root, backup_dir) == []
    # the catalog knows them again
    assert {p.path for p in lib.catalog.photos()} >= set(out.done)


def test_undo_never_replaces_a_file_that_appeared_at_its_place(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))
    moved = read(dest / "photos/s1/small.jpg")
    save(scene(12, SIZE), tree("s1/small.jpg"))
    newcomer = read(tree("s1/small.jpg"))

    back = lib.undo()

    ((path, why),) = back.problems
    assert path == tree("s1/small.jpg") and "appeared" in why
    assert read(tree("s1/small.jpg")) == newcomer
    assert read(dest / "photos/s1/small.jpg") == moved
    assert sorted(back.done) == [tree("s1/copy.jpg"), tree("s2/small.jpg")]
    assert back.batch.state is BatchState.PARTLY_UNDONE
    op = tree.operation(out.batch.id, "s1/small.jpg")
    assert op.state is OpState.DONE and "appeared" in (op.error or "")

    os.unlink(tree("s1/small.jpg"))  # the person moves the newcomer away: undo again
    again = lib.undo(out.batch.id)

    assert again.done == (tree("s1/small.jpg"),) and again.problems == ()
    assert read(tree("s1/small.jpg")) == moved
    assert again.batch.state is BatchState.UNDONE


def test_undo_leaves_a_backed_up_file_that_changed_in_the_backup(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))
    save(scene(13, SIZE), dest / "photos/s2/small.jpg")
    edited = read(dest / "photos/s2/small.jpg")

    back = lib.undo()

    assert dict(back.problems)[tree("s2/small.jpg")].startswith("its copy changed")
    assert not os.path.lexists(tree("s2/small.jpg"))
    assert read(dest / "photos/s2/small.jpg") == edited


def test_a_batch_is_undone_once(tree, tmp_path):
    lib = tree.library
    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(tmp_path / "backup")))
    lib.undo()

    with pytest.raises(PhotosiftError):
        lib.undo(out.batch.id)
    with pytest.raises(PhotosiftError, match="no batch"):
        lib.undo()


@pytest.mark.parametrize("through", ["Library", "core.actions.undo"])
def test_the_log_alone_brings_everything_back_when_the_catalog_is_lost(
    library_tree, tmp_path, backup_dir, through
):
    tree, lib = library_tree, library_tree.library
    before = snapshot(tree.root)
    lib.accept()
    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(backup_dir)))
    assert len(out.done) >= 3 and tree(f"copies/{NON_UTF8}") in out.done
    log = out.batch.log_path
    assert log is not None and os.path.dirname(log) == str(backup_dir)
    lib.close()
    for leftover in tmp_path.glob("catalog.sqlite3*"):
        leftover.unlink()

    if through == "Library":
        with Library(str(tmp_path / "elsewhere.sqlite3")) as other:
            restored = other.undo_from_log(log)
    else:
        restored = undo_from_log(log, Reporter())

    assert restored.left == () and not restored.interrupted
    assert sorted(restored.restored) == sorted(out.done)
    assert snapshot(tree.root) == before
    assert [p for p in files_below(backup_dir) if not p.endswith(".jsonl")] == []
    # the log tells what came back: a second run has nothing left to do
    assert undo_from_log(log, Reporter()).restored == ()


def test_an_interrupted_batch_can_be_undone(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    before = snapshot(tree.root)
    first = lib.apply(
        lib.plan(Mode.BACKUP, destination=str(dest)),
        should_stop=lambda: any(p.endswith(".jpg") for p in files_below(dest)),
    )
    assert first.interrupted and len(first.done) == 1

    back = lib.undo()

    assert back.done == first.done and back.problems == ()
    assert back.batch.state is BatchState.UNDONE
    states = sorted(op.state for op in lib.operations(first.batch.id))
    assert states == sorted([OpState.UNDONE, OpState.SKIPPED, OpState.SKIPPED])
    assert snapshot(tree.root) == before
    assert lib.unfinished() == []
    with pytest.raises(PhotosiftError):
        lib.resume(first.batch.id)


def test_undo_brings_back_files_whose_folder_was_removed_since(tmp_path, library):
    root = tmp_path / "photos"
    original = scene(14, SIZE)
    save(original, root / "keep/orig.jpg")
    save(original.resize((120, 90)), root / "trip/day 1/small.jpg")
    tree = Tree(root, library)
    library.scan([str(root)], ScanOptions(workers=1))
    tree.decide(["keep/orig.jpg"], Decision.KEEP)
    tree.decide(["trip/day 1/small.jpg"], Decision.BACKUP)
    before = snapshot(root)
    library.apply(library.plan(Mode.BACKUP, destination=str(tmp_path / "backup")))
    shutil.rmtree(root / "trip")

    back = library.undo()

    assert back.problems == () and snapshot(root) == before


def test_undo_of_the_moved_files_lists_them_for_the_catalog_again(tree, tmp_path):
    lib = tree.library
    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(tmp_path / "backup")))
    assert all(lib.catalog.photo(p) is None for p in out.done)  # gone from the catalog

    lib.undo()

    assert all(lib.catalog.photo(tree(n)) is not None for n in BACKED_UP)


def test_a_copy_back_that_fails_at_the_last_step_leaves_no_temporary_file(
    tree, tmp_path, monkeypatch
):
    lib, dest = tree.library, tmp_path / "backup"
    lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))
    monkeypatch.setattr(fsops, "same_device", lambda path, folder: False)  # copied back
    real = fsops.rename_noreplace

    def newcomer_first(source, target):  # a file appears just before the copy takes its name
        if target == tree("s2/small.jpg"):
            save(scene(15, SIZE), target)
        real(source, target)

    monkeypatch.setattr(fsops, "rename_noreplace", newcomer_first)

    back = lib.undo()

    assert [p for p, _ in back.problems] == [tree("s2/small.jpg")]
    assert (dest / "photos/s2/small.jpg").is_file()  # the backup copy stays
    assert temp_files(tmp_path) == []


class FakeTrash:
    """A trash folder in the test's folder, standing in for the platform's (the person's own
    trash is never touched)."""

    def __init__(self, folder) -> None:
        self.files, self.info = folder / "files", folder / "info"
        self.tells = True  # whether send says where the file went

    def send(self, path: str) -> str | None:
        os.makedirs(self.files, exist_ok=True)
        os.makedirs(self.info, exist_ok=True)
        trashed = fsops.free_name(str(self.files / os.path.basename(path)))
        name = os.path.basename(trashed)
        (self.info / f"{name}.trashinfo").write_text(f"[Trash Info]\nPath={path}\n")
        os.rename(path, trashed)
        return trashed if self.tells else None


@pytest.fixture
def fake_trash(tmp_path, monkeypatch) -> FakeTrash:
    fake = FakeTrash(tmp_path / "Trash")
    monkeypatch.setattr(trash, "trash_for", lambda path: (str(tmp_path / "Trash"), ""))
    monkeypatch.setattr(trash, "send", fake.send)
    return fake


def test_trashed_files_come_back_from_the_trash(tree, fake_trash):
    lib = tree.library
    before = snapshot(tree.root)

    out = lib.apply(lib.plan(Mode.TRASH))

    assert sorted(out.done) == sorted(tree(n) for n in BACKED_UP)
    assert sorted(os.listdir(fake_trash.files)) == ["copy.jpg", "small (2).jpg", "small.jpg"]
    for name in BACKED_UP:
        assert not os.path.lexists(tree(name))
        assert tree.operation(out.batch.id, name).target.startswith(str(fake_trash.files))

    back = lib.undo()

    assert back.problems == () and snapshot(tree.root) == before
    assert os.listdir(fake_trash.info) == []  # the trash forgets them


def test_a_file_the_trash_did_not_tell_where_it_went_is_reported_on_undo(tree, fake_trash):
    fake_trash.tells = False
    lib = tree.library
    out = lib.apply(lib.plan(Mode.TRASH))
    assert len(out.done) == 3

    back = lib.undo()

    assert back.done == () and len(back.problems) == 3
    assert all("restore it from there" in why for _, why in back.problems)
    assert back.batch.state is BatchState.PARTLY_UNDONE
    assert len(os.listdir(fake_trash.files)) == 3


def test_a_backed_up_file_moved_away_in_the_backup_is_reported(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))
    os.rename(dest / "photos/s1/copy.jpg", dest / "elsewhere.jpg")

    back = lib.undo()

    assert dict(back.problems) == {tree("s1/copy.jpg"): "no longer where it was moved to"}
    assert (dest / "elsewhere.jpg").is_file() and not os.path.lexists(tree("s1/copy.jpg"))
    assert sorted(back.done) == [tree("s1/small.jpg"), tree("s2/small.jpg")]


def test_a_stopped_undo_is_finished_by_undo_again(tree, tmp_path):
    lib, dest = tree.library, tmp_path / "backup"
    before = snapshot(tree.root)
    lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))

    first = lib.undo(should_stop=lambda: any(os.path.lexists(tree(n)) for n in BACKED_UP))

    assert first.interrupted and len(first.done) == 1
    assert first.batch.state is BatchState.UNDOING

    rest = lib.undo()

    assert not rest.interrupted and len(rest.done) == 2 and rest.problems == ()
    assert rest.batch.state is BatchState.UNDONE
    assert snapshot(tree.root) == before


class Crash(BaseException):
    """The process dies here."""


# (file system, the step after which the process dies)
UNDO_CRASHES = {
    "renamed back": ("same", "rename_noreplace"),
    "copied back into the temporary file": ("other", "copy_to"),
    "copy renamed into place": ("other", "rename_noreplace"),
}


@pytest.mark.parametrize("crash", UNDO_CRASHES)
def test_a_crash_mid_undo_is_finished_by_undo_in_a_new_session(tree, tmp_path, monkeypatch, crash):
    fs, step = UNDO_CRASHES[crash]
    lib, dest = tree.library, tmp_path / "backup"
    before = snapshot(tree.root)
    out = lib.apply(lib.plan(Mode.BACKUP, destination=str(dest)))
    if fs == "other":
        monkeypatch.setattr(fsops, "same_device", lambda path, folder: False)
    real = getattr(fsops, step)

    def crashing(*args, **kwargs):
        real(*args, **kwargs)
        raise Crash(step)

    monkeypatch.setattr(fsops, step, crashing)

    with pytest.raises(Crash):
        lib.undo()
    monkeypatch.setattr(fsops, step, real)  # the same file systems, in a new process
    lib.close()

    with Library(lib.path) as again:
        ops = again.operations(out.batch.id)
        assert OpState.RESTORING in [op.state for op in ops]
        for op in ops:  # never neither
            assert os.path.lexists(op.source) or os.path.lexists(op.target)

        back = again.undo()

        assert back.problems == () and back.batch.state is BatchState.UNDONE
        assert snapshot(tree.root) == before
        assert [p for p in files_below(dest) if not p.endswith(".jsonl")] == []
        assert temp_files(tmp_path) == []
