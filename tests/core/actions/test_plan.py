"""Plans on real photos: a backup folder mirrors the scanned tree, so files of the same name
from different folders (or from two roots of the same name) never meet and nothing is
overwritten; a taken name gets a free one; a backup folder inside a root is excluded from
scans, one that is or holds a root is refused."""

from __future__ import annotations

import shutil

import pytest

from core.errors import PhotosiftError
from core.models.actions import Decision, Mode, OpState
from core.runtime.scan import ScanOptions
from tests.core.actions.trees import SIZE, Tree, files_below, read, snapshot
from tests.images import resized, save, scene


@pytest.fixture
def same_names(tmp_path, library) -> Tree:
    """Three ``IMG_0001.JPG`` of one scene in three folders: the original (``a``), a 75%
    copy (``b``) and a byte copy (``c``)."""
    root = tmp_path / "photos"
    original = scene(1, SIZE)
    save(original, root / "a/IMG_0001.JPG")
    save(resized(original, 0.75), root / "b/IMG_0001.JPG")
    (root / "c").mkdir()
    shutil.copyfile(root / "a/IMG_0001.JPG", root / "c/IMG_0001.JPG")
    tree = Tree(root, library)
    tree.scan()
    return tree


def test_same_named_files_from_different_folders_land_under_their_own_mirrored_paths(
    same_names, tmp_path
):
    lib, dest = same_names.library, tmp_path / "backup"
    before = {n: read(same_names(n)) for n in ("b/IMG_0001.JPG", "c/IMG_0001.JPG")}
    lib.accept()
    assert same_names.decision("a/IMG_0001.JPG") is Decision.KEEP

    plan = lib.plan(Mode.BACKUP, destination=str(dest))
    out = lib.apply(plan)

    assert {m.source: m.target for m in plan.moves} == {
        same_names("b/IMG_0001.JPG"): str(dest / "photos/b/IMG_0001.JPG"),
        same_names("c/IMG_0001.JPG"): str(dest / "photos/c/IMG_0001.JPG"),
    }
    copy = next(m for m in plan.moves if m.source == same_names("c/IMG_0001.JPG"))
    assert copy.copy_of == same_names("a/IMG_0001.JPG")
    assert out.problems == () and sorted(out.done) == [same_names(n) for n in sorted(before)]
    for name, content in before.items():
        assert read(dest / "photos" / name) == content
        assert not (same_names.root / name).exists()
    assert (same_names.root / "a/IMG_0001.JPG").is_file()
    assert [op.state for op in lib.operations(out.batch.id)] == [OpState.DONE, OpState.DONE]


def test_two_roots_of_the_same_name_get_folders_of_their_own(tmp_path, library):
    original = scene(3, SIZE)
    save(original, tmp_path / "kept/orig.jpg")
    save(resized(original, 0.75), tmp_path / "x/Photos/IMG_0001.JPG")
    save(resized(original, 0.5), tmp_path / "y/Photos/IMG_0001.JPG")
    roots = [tmp_path / "kept", tmp_path / "x/Photos", tmp_path / "y/Photos"]
    library.scan([str(r) for r in roots], ScanOptions(workers=1))
    library.decide([str(tmp_path / "kept/orig.jpg")], Decision.KEEP)
    copies = [str(tmp_path / f"{r}/Photos/IMG_0001.JPG") for r in "xy"]
    before = {p: read(p) for p in copies}
    library.decide(copies, Decision.BACKUP)

    plan = library.plan(Mode.BACKUP, destination=str(tmp_path / "backup"))
    out = library.apply(plan)

    targets = {m.source: m.target for m in plan.moves}
    assert sorted(targets) == sorted(copies)
    assert len(set(targets.values())) == 2
    for source, target in targets.items():
        assert target.startswith(str(tmp_path / "backup/Photos-"))
        assert target.endswith("/IMG_0001.JPG")
        assert read(target) == before[source]
    assert out.problems == ()


@pytest.mark.parametrize("where", ["notes.txt", "notes.txt/backup"])
def test_a_file_is_refused_as_the_backup_folder(tree, tmp_path, where):
    (tmp_path / "notes.txt").write_text("not a folder")
    tree.library.accept()

    with pytest.raises(PhotosiftError, match="is a file, not a folder"):
        tree.library.plan(Mode.BACKUP, destination=str(tmp_path / where))

    assert (tmp_path / "notes.txt").read_text() == "not a folder"


def test_a_name_taken_in_the_backup_folder_gets_a_free_one(tree, tmp_path):
    dest = tmp_path / "backup"
    taken = dest / "photos/s1/small.jpg"
    save(scene(7, SIZE), taken)
    theirs = read(taken)

    plan = tree.library.plan(Mode.BACKUP, destination=str(dest))

    (move,) = (m for m in plan.moves if m.source == tree("s1/small.jpg"))
    assert move.target == str(dest / "photos/s1/small (2).jpg")
    assert read(taken) == theirs  # planning touches nothing


def test_a_backup_folder_inside_a_root_is_excluded_from_scans(tree):
    lib, dest = tree.library, tree.root / "backup"

    plan = lib.plan(Mode.BACKUP, destination=str(dest))
    out = lib.apply(plan)
    tree.scan()

    assert len(plan.notes) == 1 and "excluded from scans" in plan.notes[0]
    assert str(dest) in plan.notes[0]
    assert len(out.done) == 3 and out.problems == ()
    assert len([p for p in files_below(dest) if p.endswith(".jpg")]) == 3
    catalogued = [p.path for p in lib.catalog.photos()]
    assert catalogued and not [p for p in catalogued if p.startswith(str(dest) + "/")]
    assert not [p for g in lib.groups().groups for p in g.paths if p.startswith(str(dest))]
    # said once: the folder is excluded now
    assert lib.plan(Mode.BACKUP, destination=str(dest)).notes == ()


@pytest.mark.parametrize("where", ["the root", "its parent"])
def test_a_backup_folder_that_is_or_holds_a_root_is_refused(tree, tmp_path, where):
    dest = tree.root if where == "the root" else tmp_path
    before = snapshot(tree.root)

    with pytest.raises(PhotosiftError, match="cannot be the backup folder"):
        tree.library.plan(Mode.BACKUP, destination=str(dest))

    assert snapshot(tree.root) == before
    assert tree.library.history() == []


def test_a_backup_mode_without_a_folder_is_refused(tree):
    with pytest.raises(PhotosiftError, match="backup folder is needed"):
        tree.library.plan(Mode.BACKUP)


def test_photos_already_in_the_chosen_backup_folder_stay_in_the_catalog(tree):
    lib = tree.library
    try:
        plan = lib.plan(Mode.BACKUP, destination=tree("s2"))
    except PhotosiftError:
        return  # refusing such a folder is a fix too
    lib.apply(plan)
    tree.scan()

    assert lib.catalog.photo(tree("s2/orig.jpg")) is not None  # kept, still on disk


def test_a_plan_for_some_groups_moves_only_theirs(tree, tmp_path):
    lib = tree.library
    group = tree.group_of("s2/orig.jpg")

    plan = lib.plan(Mode.BACKUP, destination=str(tmp_path / "backup"), group_ids=[group.id])

    assert [m.source for m in plan.moves] == [tree("s2/small.jpg")]
    with pytest.raises(PhotosiftError, match="no group 999"):
        lib.plan(Mode.BACKUP, destination=str(tmp_path / "backup"), group_ids=[999])


def test_a_file_marked_backup_that_is_in_no_group_is_not_moved(tree, tmp_path):
    save(scene(17, SIZE), tree.root / "alone.jpg")
    tree.scan()
    tree.decide(["alone.jpg"], Decision.BACKUP)

    plan = tree.library.plan(Mode.BACKUP, destination=str(tmp_path / "backup"))

    assert tree("alone.jpg") not in [m.source for m in plan.moves]
    assert [s.reason for s in plan.skipped if s.path == tree("alone.jpg")] == [
        "in no group now; run groups, then decide again"
    ]
