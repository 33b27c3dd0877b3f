"""Undo on real photos: scan, accept, apply, undo gives back the tree byte for byte with every
mtime (the backup on the same or another file system); a file that appeared at a path since
is never replaced; the backup folder's log alone (the catalog lost) brings everything back;
an interrupted batch can be undone; a batch is undone once."""

from __future__ import annotations

import os
import shutil

import pytest

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
