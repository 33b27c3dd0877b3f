"""Folders on real trees: a path counts as inside a folder when it is, spelled however (symlinked,
NFC or NFD, another case where the file system ignores it), and not when it only starts with the
folder's text; each parent folder is stat'ed once. The case probe reads and never writes."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import core.media.folders
from core.media.folders import FolderSet, case_insensitive


@pytest.fixture(autouse=True)
def fresh_probe() -> Iterator[None]:
    core.media.folders._probe.cache_clear()
    yield
    core.media.folders._probe.cache_clear()


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def ignores_case_here(tmp_path: Path) -> bool:
    """The truth for tmp_path's file system, found by writing a file (the code must not)."""
    probe = touch(tmp_path / "Truth-Probe")
    try:
        return (tmp_path / "tRUTH-pROBE").exists()
    finally:
        probe.unlink()


def count_stats(monkeypatch) -> list[str]:
    """Records every os.stat and os.lstat from now on (os.path.realpath uses lstat)."""
    calls: list[str] = []
    real_stat, real_lstat = os.stat, os.lstat

    def stat(path, *args, **kwargs):
        calls.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    def lstat(path, *args, **kwargs):
        calls.append(os.fspath(path))
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "lstat", lstat)
    return calls


@pytest.fixture
def case_blind(monkeypatch) -> Callable[[Path], None]:
    """``case_blind(folder)`` makes os.lstat look names up ignoring case in ``folder`` and below,
    as on a case-insensitive volume (or an ext4 casefold folder) there."""
    real_lstat = os.lstat
    scopes: list[str] = []

    def lstat(path, *args, **kwargs):
        try:
            return real_lstat(path, *args, **kwargs)
        except FileNotFoundError:
            head, tail = os.path.split(os.fspath(path))
            if any(f"{head}/".startswith(f"{scope}/") for scope in scopes):
                for name in os.listdir(head):
                    if name.lower() == tail.lower():
                        return real_lstat(os.path.join(head, name), *args, **kwargs)
            raise

    monkeypatch.setattr(os, "lstat", lstat)
    return lambda folder: scopes.append(str(folder))


# -- the case probe ------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["an entry", "empty"])
def test_case_probe_agrees_with_the_file_system(tmp_path, content):
    folder = tmp_path / "Photos"
    folder.mkdir()
    if content == "an entry":
        touch(folder / "IMG_0001.jpg")

    assert case_insensitive(str(folder)) == ignores_case_here(tmp_path)


@pytest.mark.skipif(sys.platform != "linux", reason="Linux temporary folders respect case")
def test_case_probe_says_linux_tmp_respects_case(tmp_path):
    touch(tmp_path / "a.jpg")

    assert not case_insensitive(str(tmp_path))


def test_case_probe_judges_a_folder_by_its_entries(tmp_path, case_blind):
    folder = tmp_path / "photos"
    touch(folder / "IMG_0001.jpg")
    case_blind(folder)  # its parent respects case: only the entry can tell

    assert case_insensitive(str(folder))


def test_case_probe_judges_an_empty_folder_by_its_name_in_its_parent(tmp_path, case_blind):
    (tmp_path / "blind/empty").mkdir(parents=True)
    (tmp_path / "seeing/empty").mkdir(parents=True)
    case_blind(tmp_path / "blind")
    case_blind(tmp_path / "seeing/empty")  # a limit: its parent has the say

    assert case_insensitive(str(tmp_path / "blind/empty"))
    assert not case_insensitive(str(tmp_path / "seeing/empty"))


def test_case_probe_learns_nothing_from_names_without_ascii_letters(tmp_path, case_blind):
    folder = tmp_path / "2023"
    touch(folder / "0001.123")

    assert not case_insensitive(str(folder))  # every lookup here respects case

    core.media.folders._probe.cache_clear()
    case_blind(tmp_path.parent)  # the nearest name with a letter is tmp_path's, looked up there

    assert case_insensitive(str(folder))


def test_case_probe_with_both_spellings_present_says_case_is_respected(tmp_path):
    touch(tmp_path / "A.jpg")
    touch(tmp_path / "a.jpg")
    if len(os.listdir(tmp_path)) < 2:
        pytest.skip("this file system cannot hold both spellings")

    assert not case_insensitive(str(tmp_path))


def test_case_probe_writes_nothing(tmp_path, case_blind):
    case_blind(tmp_path)
    folder = tmp_path / "Photos"
    touch(folder / "IMG_0001.jpg")
    (folder / "Empty").mkdir()
    before = sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))

    case_insensitive(str(folder))
    case_insensitive(str(folder / "Empty"))

    assert sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


def test_case_probe_answer_is_remembered_per_folder(tmp_path, monkeypatch):
    touch(tmp_path / "IMG_0001.jpg")
    listed: list[str] = []
    real_scandir = os.scandir

    def scandir(path):
        listed.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    first = case_insensitive(str(tmp_path))
    second = case_insensitive(str(tmp_path) + "/")

    assert first == second
    assert listed == [str(tmp_path)]


def test_case_probe_of_a_missing_folder_says_case_is_respected(tmp_path, case_blind):
    case_blind(tmp_path)
    assert not case_insensitive(str(tmp_path / "gone"))


# -- FolderSet: by text --------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    """/ref/a.jpg, /ref/sub/b.jpg, /refs/c.jpg (named like the start of ref), /other/d.jpg."""
    for name in ("ref/a.jpg", "ref/sub/b.jpg", "refs/c.jpg", "other/d.jpg"):
        touch(tmp_path / name)
    return tmp_path


def test_file_below_the_folder_is_inside(tree):
    folders = FolderSet([str(tree / "ref")])

    assert folders.contains(str(tree / "ref/a.jpg"))
    assert folders.folder_of(str(tree / "ref/sub/b.jpg")) == str(tree / "ref")


def test_sibling_named_like_the_start_of_the_folder_is_outside(tree):
    folders = FolderSet([str(tree / "ref")])

    assert not folders.contains(str(tree / "refs/c.jpg"))
    assert not folders.contains(str(tree / "other/d.jpg"))
    assert not folders.contains(str(tree / "ref"))  # strictly below: not the folder itself


def test_dot_dot_out_of_the_folder_is_outside(tree):
    (tree / "other/inner").mkdir()
    (tree / "ref/up").symlink_to(tree / "other/inner", target_is_directory=True)
    folders = FolderSet([str(tree / "ref")])

    assert not folders.contains(str(tree / "ref/../other/d.jpg"))
    assert not folders.contains(str(tree / "ref/up/../d.jpg"))  # other/d.jpg, as the OS reads it
    assert folders.contains(str(tree / "other/../ref/a.jpg"))


def test_innermost_folder_is_the_one_a_file_lies_in(tree):
    folders = FolderSet([str(tree / "ref"), str(tree / "ref/sub")])

    assert folders.folder_of(str(tree / "ref/sub/b.jpg")) == str(tree / "ref/sub")
    assert folders.folder_of(str(tree / "ref/a.jpg")) == str(tree / "ref")


@pytest.mark.parametrize("given", ["NFC", "NFD"])
def test_folder_named_in_one_unicode_form_holds_paths_spelled_in_the_other(tmp_path, given):
    # On disk the folder exists in one form only; Linux treats the other as another name, so
    # the other spelling cannot be stat'ed: normalising the text is what recognises it.
    on_disk = "NFD" if given == "NFC" else "NFC"
    folder = tmp_path / unicodedata.normalize(on_disk, "Café")
    photo = touch(folder / "été.jpg")
    spelled = unicodedata.normalize(given, str(folder))

    folders = FolderSet([spelled])

    assert folders.contains(str(photo))
    assert folders.contains(unicodedata.normalize(given, str(photo)))
    assert not folders.contains(str(tmp_path / "Cafe/été.jpg"))


def test_other_case_is_inside_where_the_file_system_ignores_case(tree, monkeypatch):
    monkeypatch.setattr(core.media.folders, "case_insensitive", lambda folder: True)
    folders = FolderSet([str(tree / "ref")])

    assert folders.contains(str(tree / "REF/A.jpg"))
    assert folders.contains(str(tree / "Ref/Sub/b.jpg"))
    assert not folders.contains(str(tree / "REFS/c.jpg"))


def test_other_case_is_outside_where_the_file_system_respects_it(tree, monkeypatch):
    if ignores_case_here(tree):
        pytest.skip("this temporary folder's file system ignores case")
    monkeypatch.setattr(core.media.folders, "case_insensitive", lambda folder: False)
    folders = FolderSet([str(tree / "ref")])

    assert not folders.contains(str(tree / "REF/a.jpg"))


def test_deleted_file_below_the_folder_is_still_inside(tree):
    (tree / "ref/sub/b.jpg").unlink()
    (tree / "ref/sub").rmdir()
    (tree / "link").symlink_to(tree / "ref", target_is_directory=True)
    folders = FolderSet([str(tree / "ref")])

    assert folders.contains(str(tree / "ref/sub/b.jpg"))  # by its text
    assert folders.contains(str(tree / "link/sub/b.jpg"))  # by its parents that still exist
    assert not folders.contains(str(tree / "gone/b.jpg"))


def test_folder_that_does_not_exist_still_holds_paths_by_text(tmp_path):
    folders = FolderSet([str(tmp_path / "not-yet")])

    assert folders.contains(str(tmp_path / "not-yet/a.jpg"))
    assert not folders.contains(str(tmp_path / "not-yet-either/a.jpg"))


# -- FolderSet: by identity ----------------------------------------------------------------------


def test_file_reached_through_a_symlinked_folder_is_inside(tree):
    (tree / "other/album").symlink_to(tree / "ref", target_is_directory=True)

    assert FolderSet([str(tree / "ref")]).contains(str(tree / "other/album/sub/b.jpg"))
    assert FolderSet([str(tree / "other/album")]).contains(str(tree / "ref/a.jpg"))


def test_link_into_the_tree_of_a_folder_counts_by_where_it_leads(tree):
    (tree / "elsewhere").mkdir()
    (tree / "elsewhere/deep").symlink_to(tree / "ref/sub", target_is_directory=True)

    folders = FolderSet([str(tree / "ref")])

    assert folders.contains(str(tree / "elsewhere/deep/b.jpg"))
    assert not folders.contains(str(tree / "elsewhere/b.jpg"))


def test_symlinked_file_lies_where_the_link_is(tree):
    (tree / "other/a-link.jpg").symlink_to(tree / "ref/a.jpg")

    assert not FolderSet([str(tree / "ref")]).contains(str(tree / "other/a-link.jpg"))


def test_each_parent_folder_is_stat_ed_once(tmp_path, monkeypatch):
    for i in range(100):
        touch(tmp_path / f"ref/{i:03}.jpg")
        touch(tmp_path / f"other/{i:03}.jpg")
    (tmp_path / "via").symlink_to(tmp_path / "ref", target_is_directory=True)
    folders = FolderSet([str(tmp_path / "ref")])
    paths = [str(tmp_path / f"{d}/{i:03}.jpg") for d in ("via", "other") for i in range(100)]
    calls = count_stats(monkeypatch)

    first = [folders.contains(p) for p in paths]
    stats_first = len(calls)
    second = [folders.contains(p) for p in paths]

    assert first == second == [True] * 100 + [False] * 100  # neither decided by text
    depth = len(tmp_path.parts)
    assert 0 < stats_first <= 3 * (depth + 2)  # about one per folder walked, not per file
    assert len(calls) == stats_first


# -- FolderSet: the collection -------------------------------------------------------------------


def test_empty_folder_set_is_falsy_and_holds_nothing(tmp_path):
    folders = FolderSet([])

    assert not folders
    assert list(folders) == []
    assert folders.folder_of(str(tmp_path / "a.jpg")) is None


def test_folder_set_iterates_real_paths_as_given_without_duplicates(tree):
    (tree / "link").symlink_to(tree / "ref", target_is_directory=True)

    folders = FolderSet([str(tree / "other"), str(tree / "link"), str(tree / "ref/")])

    assert folders
    assert list(folders) == [str(tree / "other"), str(tree / "ref")]
    assert len(folders) == 2
