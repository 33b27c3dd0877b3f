"""The careful file operations apply and undo are made of: a rename never replaces what is
there (with renameat2, with the link-then-unlink fallback, with the check-then-rename one),
``changed`` sees every way a file can stop being the one planned (a symlink swapped in, a
folder on its way turned into a symlink, new content, another inode), a copy leaves nothing
half written, and temporary names are marked, hidden and fit in a file name. Also the
sidecar rules and the log's byte-exact paths."""

from __future__ import annotations

import errno
import os

import pytest

from core.actions import fsops
from core.actions import log as jsonlog
from core.actions.sidecars import belongs_to, sidecars
from core.models.actions import FileStat
from tests.core.actions.trees import move_ctime

RENAMES = ["renameat2", "link then unlink", "check then rename"]


@pytest.fixture(params=RENAMES)
def rename_way(request, monkeypatch) -> str:
    """Which way ``rename_noreplace`` works: as the system allows, or its fallbacks."""
    if request.param == "renameat2" and fsops._RENAMEAT2 is None:
        pytest.skip("no renameat2 here")
    if request.param != "renameat2":
        monkeypatch.setattr(fsops, "_RENAMEAT2", None)
    if request.param == "check then rename":

        def no_links(*args, **kwargs):
            raise OSError(errno.EPERM, "hard links not supported")

        monkeypatch.setattr(os, "link", no_links)
    return request.param


def test_rename_noreplace_never_replaces_an_existing_target(tmp_path, rename_way):
    source, target = tmp_path / "a.jpg", tmp_path / "b.jpg"
    source.write_bytes(b"source")
    target.write_bytes(b"target")

    with pytest.raises(FileExistsError):
        fsops.rename_noreplace(str(source), str(target))

    assert source.read_bytes() == b"source" and target.read_bytes() == b"target"


def test_rename_noreplace_moves_to_a_free_name(tmp_path, rename_way):
    source, target = tmp_path / "a.jpg", tmp_path / "sub/b.jpg"
    target.parent.mkdir()
    source.write_bytes(b"source")
    inode = os.stat(source).st_ino

    fsops.rename_noreplace(str(source), str(target))

    assert not source.exists() and target.read_bytes() == b"source"
    assert os.stat(target).st_ino == inode and os.stat(target).st_nlink == 1


def test_rename_noreplace_does_not_replace_a_dangling_symlink(tmp_path, rename_way):
    source, target = tmp_path / "a.jpg", tmp_path / "b.jpg"
    source.write_bytes(b"source")
    target.symlink_to(tmp_path / "nowhere")

    with pytest.raises(FileExistsError):
        fsops.rename_noreplace(str(source), str(target))

    assert target.is_symlink() and source.read_bytes() == b"source"


# -- changed -------------------------------------------------------------------------------------


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "folder/photo.jpg"
    path.parent.mkdir()
    path.write_bytes(b"\xff\xd8 the photo \xff\xd9")
    return path


def _stat(path) -> FileStat:
    return fsops.file_stat(os.lstat(path))


def test_changed_is_none_for_the_file_as_it_was(photo):
    assert fsops.changed(str(photo), _stat(photo)) is None


def test_changed_sees_a_symlink_swapped_in_place_of_the_file(photo, tmp_path):
    planned = _stat(photo)
    elsewhere = tmp_path / "elsewhere.jpg"
    os.rename(photo, elsewhere)
    photo.symlink_to(elsewhere)  # the same bytes, size and mtime behind it

    assert fsops.changed(str(photo), planned) == "is now a symbolic link"


def test_changed_sees_a_folder_on_the_way_replaced_by_a_symlink(photo, tmp_path):
    planned = _stat(photo)
    os.rename(photo.parent, tmp_path / "moved")
    photo.parent.symlink_to(tmp_path / "moved")

    assert fsops.changed(str(photo), planned) == "is now reached through a symbolic link"


def test_changed_sees_a_folder_in_place_of_the_file(photo):
    planned = _stat(photo)
    photo.unlink()
    photo.mkdir()

    assert fsops.changed(str(photo), planned) == "is not a regular file any more"


def test_changed_sees_new_content_another_inode_and_a_missing_file(photo):
    planned = _stat(photo)
    info = os.stat(photo)

    photo.write_bytes(b"other bytes, another size")
    assert fsops.changed(str(photo), planned) == "modified since the scan"

    replacement = photo.with_name("new.jpg")
    replacement.write_bytes(b"\xff\xd8 the photo \xff\xd9")
    os.utime(replacement, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(replacement, photo)
    assert fsops.changed(str(photo), planned) == "replaced by another file since the scan"

    photo.unlink()
    assert fsops.changed(str(photo), planned) == "gone since the scan"


def test_changed_ignores_ctime_and_inode_when_they_are_not_known(photo):
    info = os.stat(photo)
    move_ctime(photo, info.st_ctime_ns)

    assert fsops.changed(str(photo), FileStat(info.st_size, info.st_mtime_ns)) is None
    assert "inode change time" in fsops.changed(str(photo), fsops.file_stat(info))


# -- copies and names ----------------------------------------------------------------------------


def test_copy_to_writes_a_verified_copy_and_returns_its_hash(photo, tmp_path):
    temp = tmp_path / fsops.temp_name(str(tmp_path / "copy.jpg"), "1-0")

    digest = fsops.copy_to(str(photo), str(temp), expected_hash=fsops.hash_file(str(photo)))

    assert temp.read_bytes() == photo.read_bytes()
    assert digest == fsops.hash_file(str(photo))


def test_copy_to_leaves_nothing_when_the_source_is_not_what_was_expected(photo, tmp_path):
    temp = tmp_path / fsops.temp_name(str(tmp_path / "copy.jpg"), "1-0")

    with pytest.raises(OSError) as caught:
        fsops.copy_to(str(photo), str(temp), expected_hash="0" * 32)

    assert caught.value.errno == errno.EIO
    assert not os.path.lexists(temp)


def test_temporary_names_are_hidden_marked_and_next_to_their_target(tmp_path):
    target = str(tmp_path / "IMG_0001.JPG")

    temp = fsops.temp_name(target, "3-7")

    assert os.path.dirname(temp) == str(tmp_path)
    assert os.path.basename(temp).startswith(".") and fsops.TEMP_MARK in temp


def test_a_temporary_name_fits_in_a_file_name(tmp_path):
    name = "\u5199\u771f" * 40 + ".jpg"
    assert len(os.fsencode(name)) <= 255

    temp = fsops.temp_name(str(tmp_path / name), "12-345")

    assert len(os.fsencode(os.path.basename(temp))) <= 255


def test_free_name_skips_names_on_disk_and_names_promised(tmp_path):
    (tmp_path / "IMG_1.jpg").write_bytes(b"1")
    (tmp_path / "IMG_1 (2).jpg").write_bytes(b"2")
    target = str(tmp_path / "IMG_1.jpg")

    assert fsops.free_name(target) == str(tmp_path / "IMG_1 (3).jpg")
    promised = {str(tmp_path / "IMG_1 (3).jpg")}
    assert fsops.free_name(target, promised) == str(tmp_path / "IMG_1 (4).jpg")
    assert fsops.free_name(str(tmp_path / "new.jpg")) == str(tmp_path / "new.jpg")


def test_a_full_disk_is_said_in_words():
    assert "no space" in fsops.describe(OSError(errno.ENOSPC, "No space left on device"))
    assert fsops.describe(OSError(errno.EACCES, "Permission denied")) == "permission denied"


# -- sidecars ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sidecar", "photo", "belongs"),
    [
        ("IMG_1.xmp", "IMG_1.JPG", True),
        ("IMG_1.XMP", "IMG_1.jpg", True),
        ("IMG_1.JPG.xmp", "IMG_1.JPG", True),
        ("IMG_1.AAE", "IMG_1.HEIC", True),
        ("IMG_1.JPG.json", "IMG_1.JPG", True),
        ("IMG_1.JPG.supplemental-metadata.json", "IMG_1.JPG", True),
        ("IMG_1.JPG.supplemental-met.json", "IMG_1.JPG", True),
        ("IMG_1.json", "IMG_1.JPG", False),  # only the whole name's .json
        ("IMG_10.xmp", "IMG_1.JPG", False),
        ("IMG_1.JPG", "IMG_1.JPG", False),
        ("IMG_1.txt", "IMG_1.JPG", False),
    ],
)
def test_which_files_are_sidecars_of_a_photo(sidecar, photo, belongs):
    assert belongs_to(sidecar, photo) is belongs


def test_a_sidecar_shared_with_a_photo_that_stays_is_left_out(tmp_path):
    for name in ("IMG_1.JPG", "IMG_1.HEIC", "IMG_1.xmp", "IMG_1.JPG.json"):
        (tmp_path / name).write_bytes(b"x")
    photo = str(tmp_path / "IMG_1.HEIC")

    alone = sidecars(photo)
    both = sidecars(photo, [str(tmp_path / "IMG_1.JPG"), photo])

    assert alone == []  # IMG_1.xmp is also the kept IMG_1.JPG's
    assert both == [str(tmp_path / "IMG_1.xmp")]
    assert sidecars(str(tmp_path / "IMG_1.JPG"), [str(tmp_path / "IMG_1.JPG")]) == [
        str(tmp_path / "IMG_1.JPG.json")
    ]


# -- the log -------------------------------------------------------------------------------------


def test_the_log_keeps_paths_that_are_not_utf8_byte_for_byte(tmp_path):
    odd = os.path.join(str(tmp_path), os.fsdecode(b"caf\xe9\nnew line.jpg"))
    log = jsonlog.new_log(str(tmp_path), 1, {"mode": "backup"})
    jsonlog.append(log, {"event": "moved", "from": odd, "to": odd + ".bak"})
    with open(log, "a", encoding="utf-8") as fh:
        fh.write('{"event": "moved", "from": "/half a li')  # a crash mid-write

    records = list(jsonlog.read(log))

    assert [r["event"] for r in records] == ["batch", "moved"]
    assert os.fsencode(records[1]["from"]) == os.fsencode(odd)
    assert os.fsencode(records[1]["to"]) == os.fsencode(odd) + b".bak"


def test_the_hash_of_a_move_is_the_catalogs_content_hash(tmp_path):
    from core.analysis.hashing import content_hash

    path = tmp_path / "photo.jpg"
    path.write_bytes(bytes(range(256)) * 9000)  # more than one read chunk
    with open(path, "rb") as fh:
        assert fsops.hash_file(str(path)) == content_hash(fh)
