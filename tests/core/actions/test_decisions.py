"""Decisions on real photos: a group never loses its last kept file unless the person forces
it; files in reference folders are never marked backup nor moved; accept never marks an
AI-flagged file backup and leaves what the person decided alone; decisions survive a rescan
and follow a renamed file (and only a renamed one)."""

from __future__ import annotations

import os
import shutil

import pytest

from core.errors import PhotosiftError
from core.models.actions import Decision, Mode
from tests.core.actions.trees import SIZE, Tree, read
from tests.images import exif_bytes, resized, save, scene


@pytest.fixture
def pair(tmp_path, library) -> Tree:
    """A group of two: ``orig.jpg`` and its 75% copy ``small.jpg``."""
    root = tmp_path / "photos"
    original = scene(21, SIZE)
    save(original, root / "orig.jpg")
    save(resized(original, 0.75), root / "small.jpg")
    tree = Tree(root, library)
    tree.scan()
    assert tree.group_of("orig.jpg").paths == (tree("orig.jpg"), tree("small.jpg"))
    return tree


# -- a group keeps a file ------------------------------------------------------------------------


def test_marking_the_last_kept_file_of_a_group_backup_is_refused(pair):
    first = pair.decide(["orig.jpg"], Decision.BACKUP)

    last = pair.decide(["small.jpg"], Decision.BACKUP)

    assert first.changed == (pair("orig.jpg"),) and first.refused == ()
    assert last.changed == ()
    ((path, why),) = last.refused
    assert path == pair("small.jpg") and "would keep no file" in why
    assert pair.decision("small.jpg") is Decision.UNDECIDED


def test_marking_a_whole_group_backup_at_once_is_refused(pair):
    both = pair.decide(["orig.jpg", "small.jpg"], Decision.BACKUP)

    assert both.changed == ()
    assert sorted(p for p, _ in both.refused) == [pair("orig.jpg"), pair("small.jpg")]
    assert pair.decision("orig.jpg") is Decision.UNDECIDED


def test_a_group_forced_empty_moves_only_when_the_plan_is_forced_too(pair, tmp_path):
    lib, dest = pair.library, tmp_path / "backup"
    forced = pair.decide(["orig.jpg", "small.jpg"], Decision.BACKUP, allow_empty_group=True)
    assert sorted(forced.changed) == [pair("orig.jpg"), pair("small.jpg")]

    plain = lib.plan(Mode.BACKUP, destination=str(dest))
    plan = lib.plan(Mode.BACKUP, destination=str(dest), allow_empty_group=True)

    assert plain.moves == ()
    assert sorted(s.path for s in plain.skipped) == [pair("orig.jpg"), pair("small.jpg")]
    assert all("would keep no file" in s.reason for s in plain.skipped)
    assert sorted(m.source for m in plan.moves) == [pair("orig.jpg"), pair("small.jpg")]
    out = lib.apply(plan)
    assert out.problems == () and not os.listdir(pair.root)


def test_a_group_emptied_one_file_at_a_time_moves_when_forced(pair, tmp_path):
    lib = pair.library
    pair.decide(["orig.jpg"], Decision.BACKUP)
    last = pair.decide(["small.jpg"], Decision.BACKUP, allow_empty_group=True)
    assert last.changed == (pair("small.jpg"),)

    plan = lib.plan(Mode.BACKUP, destination=str(tmp_path / "backup"), allow_empty_group=True)

    assert sorted(m.source for m in plan.moves) == [pair("orig.jpg"), pair("small.jpg")]


def test_accept_never_leaves_a_group_without_a_kept_file(pair):
    decided = pair.library.accept()

    assert decided.groups == 1
    assert pair.decision("orig.jpg") is Decision.KEEP
    assert pair.decision("small.jpg") is Decision.BACKUP


# -- reference folders ---------------------------------------------------------------------------


@pytest.fixture
def with_reference(tmp_path, library) -> Tree:
    """``photos/orig.jpg`` and ``photos/ref/copy.jpg``, its byte copy, in a folder that
    becomes a reference folder."""
    root = tmp_path / "photos"
    save(scene(22, SIZE), root / "orig.jpg")
    (root / "ref").mkdir()
    shutil.copyfile(root / "orig.jpg", root / "ref/copy.jpg")
    tree = Tree(root, library)
    tree.scan()
    return tree


def test_decide_refuses_to_mark_a_file_in_a_reference_folder_backup(with_reference):
    tree = with_reference
    tree.library.set_reference_folders([tree("ref")])

    decided = tree.decide(["ref/copy.jpg"], Decision.BACKUP)

    assert decided.changed == ()
    assert decided.refused == ((tree("ref/copy.jpg"), "in a reference folder: never backed up"),)
    assert tree.decision("ref/copy.jpg") is Decision.UNDECIDED


def test_a_file_in_a_reference_folder_is_never_moved_even_if_marked_before(
    with_reference, tmp_path
):
    tree, lib = with_reference, with_reference.library
    tree.decide(["orig.jpg"], Decision.KEEP)
    tree.decide(["ref/copy.jpg"], Decision.BACKUP)  # before it was a reference folder
    assert tree.decision("ref/copy.jpg") is Decision.BACKUP
    content = read(tree("ref/copy.jpg"))
    lib.set_reference_folders([tree("ref")])

    for mode in (Mode.BACKUP, Mode.HARDLINK, Mode.DELETE):
        plan = lib.plan(mode, destination=str(tmp_path / "backup") if mode is Mode.BACKUP else None)
        assert plan.moves == ()
        assert [(s.path, s.reason) for s in plan.skipped] == [
            (tree("ref/copy.jpg"), "in a reference folder: never moved")
        ]
    lib.apply(lib.plan(Mode.DELETE))
    assert read(tree("ref/copy.jpg")) == content


def test_accept_keeps_the_files_of_a_reference_folder(with_reference):
    tree = with_reference
    tree.library.set_reference_folders([tree("ref")])

    tree.library.accept()

    assert tree.decision("ref/copy.jpg") is Decision.KEEP


# -- accept --------------------------------------------------------------------------------------

AI_FILES = {
    "named upscaled": ("photo_upscaled_4x.jpg", None),
    "made by Topaz Gigapixel AI": ("IMG_0002.jpg", "Topaz Gigapixel AI"),
}


@pytest.mark.parametrize("kind", AI_FILES)
def test_accept_never_marks_an_ai_flagged_file_backup(tmp_path, library, kind):
    name, software = AI_FILES[kind]
    root = tmp_path / "photos"
    original = scene(23, SIZE)
    save(original, root / "orig.jpg")
    save(resized(original, 0.75), root / "small.jpg")
    extra = {"exif": exif_bytes(software=software)} if software else {}
    save(resized(original, 2.0), root / "ai" / name, **extra)
    tree = Tree(root, library)
    tree.scan()
    assert len(tree.group_of("orig.jpg").paths) == 3

    tree.library.accept()

    assert tree.decision(f"ai/{name}") is not Decision.BACKUP
    assert tree.decision("small.jpg") is Decision.BACKUP  # accept did mark the group
    assert tree.decision("orig.jpg") is Decision.KEEP


def test_accept_leaves_what_the_person_decided_alone(pair):
    lib = pair.library
    pair.decide(["small.jpg"], Decision.KEEP)  # accept would mark it backup

    decided = lib.accept()

    assert decided.kept_yours == 1
    assert pair("small.jpg") not in decided.changed
    record = lib.decisions()[pair("small.jpg")]
    assert record.decision is Decision.KEEP and record.source == "decide"
    assert lib.decisions()[pair("orig.jpg")].source == "accept"

    pair.decide(["orig.jpg"], Decision.BACKUP)
    lib.accept()  # again: still what the person said

    assert pair.decision("orig.jpg") is Decision.BACKUP
    assert pair.decision("small.jpg") is Decision.KEEP


def test_accept_of_an_unknown_group_is_refused(pair):
    with pytest.raises(PhotosiftError, match="no group"):
        pair.library.accept([999])


# -- decisions over time -------------------------------------------------------------------------


def test_decisions_survive_a_rescan(pair):
    pair.decide(["orig.jpg"], Decision.KEEP)
    pair.decide(["small.jpg"], Decision.BACKUP)

    pair.scan()
    pair.library.groups(regroup=True)

    assert pair.decision("orig.jpg") is Decision.KEEP
    assert pair.decision("small.jpg") is Decision.BACKUP


def test_a_decision_follows_a_file_renamed_in_its_folder(pair, tmp_path):
    lib = pair.library
    pair.decide(["orig.jpg"], Decision.KEEP)
    pair.decide(["small.jpg"], Decision.BACKUP)
    os.rename(pair("small.jpg"), pair("renamed.jpg"))

    pair.scan()

    decided = lib.decisions()
    assert pair("small.jpg") not in decided
    assert decided[pair("renamed.jpg")].decision is Decision.BACKUP
    plan = lib.plan(Mode.BACKUP, destination=str(tmp_path / "backup"))
    assert [m.source for m in plan.moves] == [pair("renamed.jpg")]


def test_only_a_keep_decision_follows_a_byte_copy_moved_by_copying(tmp_path, library):
    root = tmp_path / "photos"
    save(scene(28, SIZE), root / "orig.jpg")
    shutil.copyfile(root / "orig.jpg", root / "copy.jpg")
    save(scene(29, SIZE), root / "other.jpg")
    shutil.copyfile(root / "other.jpg", root / "other copy.jpg")
    tree = Tree(root, library)
    tree.scan()
    tree.decide(["orig.jpg", "other.jpg", "other copy.jpg"], Decision.KEEP)
    tree.decide(["copy.jpg"], Decision.BACKUP)
    os.makedirs(root / "sub")
    for name in ("copy.jpg", "other.jpg"):  # moved by copying: a new inode
        shutil.copy2(tree(name), root / "sub" / name)
        os.unlink(tree(name))

    tree.scan()

    # a backup decision never lands on a file by its content alone (it may be the original)
    assert tree.decision("sub/copy.jpg") is Decision.UNDECIDED
    assert tree.decision("orig.jpg") is Decision.KEEP
    # keeping is safe to carry over to the content's new place
    assert tree.decision("sub/other.jpg") is Decision.KEEP


def test_a_decision_about_a_file_replaced_at_its_path_no_longer_applies(pair):
    pair.decide(["orig.jpg"], Decision.KEEP)
    pair.decide(["small.jpg"], Decision.BACKUP)
    save(scene(24, SIZE), pair("small.jpg"))  # another photo under the same name

    pair.scan()

    assert pair.decision("small.jpg") is Decision.UNDECIDED


def test_the_backup_decision_of_a_deleted_copy_does_not_pass_to_its_original(tmp_path, library):
    root = tmp_path / "photos"
    original = scene(25, SIZE)
    save(original, root / "orig.jpg")
    shutil.copyfile(root / "orig.jpg", root / "copy.jpg")
    save(resized(original, 0.75), root / "small.jpg")
    tree = Tree(root, library)
    tree.scan()
    tree.decide(["copy.jpg"], Decision.BACKUP)
    assert tree.decision("orig.jpg") is Decision.UNDECIDED
    os.unlink(tree("copy.jpg"))  # the person deletes the copy themselves

    tree.scan()

    assert tree.decision("orig.jpg") is not Decision.BACKUP


def test_accept_does_not_mark_a_file_changed_since_the_scan_backup(pair):
    save(scene(26, SIZE).resize((100, 75)), pair("small.jpg"))

    pair.library.accept()

    assert pair.decision("small.jpg") is not Decision.BACKUP


def test_decide_refuses_a_path_the_catalog_does_not_know_and_changes_nothing(pair, tmp_path):
    save(scene(27, SIZE), tmp_path / "unscanned.jpg")

    with pytest.raises(PhotosiftError, match="not in the catalog"):
        pair.library.decide([pair("orig.jpg"), str(tmp_path / "unscanned.jpg")], Decision.KEEP)

    assert pair.library.decisions() == {}
