"""Discovery on real trees: images are recognised by extension or content, filters and hidden
entries are honoured, links are followed only when asked (and never forever), a file reached
twice is listed once, and a folder that cannot be read is reported without stopping the walk."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pillow_heif
import pytest

import core.media.discover
import core.media.folders
from core.errors import RootNotFoundError
from core.media import formats
from core.media.discover import DiscoveryOptions, discover, resolve_roots
from tests.images import encoded, save, scene

SIZE = (64, 48)
FOLLOW = DiscoveryOptions(follow_symlinks=True)


def photo(path: Path | bytes, seed: int = 0, fmt: str = "JPEG") -> Path:
    """A small real image at ``path``, whatever its name says."""
    return save(scene(seed, SIZE), path, fmt)


def found(root: Path, options: DiscoveryOptions = DiscoveryOptions()) -> list[str]:
    """Paths of the candidates below ``root``, relative to it, in discovery order."""
    return [os.path.relpath(c.path, root) for c in discover([str(root)], options).candidates]


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Records every file discovery opens to sniff."""
    paths: list[str] = []

    def spy(path, *args, **kwargs):
        paths.append(os.fspath(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(core.media.discover, "open", spy, raising=False)
    return paths


# -- what is an image --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["IMG_0001", "IMG_0001.dat", "IMG_0001.jpg_backup"])
def test_jpeg_with_missing_or_unknown_extension_is_found_by_content(tmp_path, name):
    photo(tmp_path / name)
    (tmp_path / "notes.xyz").write_text("just some text, not a photo\n")

    result = discover([str(tmp_path)])

    assert [Path(c.path).name for c in result.candidates] == [name]
    assert result.ignored == 1


def test_skip_listed_extensions_are_never_opened(tmp_path, opened):
    jpeg = encoded(scene(0, SIZE))
    (tmp_path / "clip.mp4").write_bytes(jpeg)
    (tmp_path / "notes.txt").write_bytes(jpeg)
    (tmp_path / "CLIP.MOV").write_bytes(jpeg)

    result = discover([str(tmp_path)])

    assert result.candidates == []
    assert result.ignored == 3
    assert opened == []


def test_text_file_named_jpg_is_a_candidate_without_being_read(tmp_path, opened):
    (tmp_path / "notes.jpg").write_text("not a photo\n")
    (tmp_path / "empty.JPEG").touch()

    assert found(tmp_path) == ["empty.JPEG", "notes.jpg"]
    assert opened == []


def test_candidate_carries_what_stat_said(tmp_path):
    path = photo(tmp_path / "a.jpg")
    st = path.stat()

    (candidate,) = discover([str(tmp_path)]).candidates

    assert candidate.path == str(path)
    assert candidate.root == str(tmp_path)
    assert (candidate.size, candidate.mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert (candidate.inode, candidate.device) == (st.st_ino, st.st_dev)
    assert candidate.ctime_ns == st.st_ctime_ns


@pytest.mark.parametrize(
    "fmt", ["JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF", "AVIF", "HEIF"], ids=str.lower
)
def test_real_encoded_image_is_sniffed_and_found_without_extension(tmp_path, fmt):
    if fmt == "HEIF":
        pillow_heif.register_heif_opener()
    path = photo(tmp_path / "photo", fmt=fmt)

    assert formats.sniff(path.read_bytes()[: formats.SNIFF_BYTES]) == fmt
    assert found(tmp_path) == ["photo"]


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello, world\n",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",  # an MP4 video
        b"\x00\x00\x00\x1cftypqt  \x00\x00\x02\x00qt  \x00\x00\x00\x00",  # a QuickTime movie
        b"BM",  # too short to be a bitmap header
    ],
    ids=["empty", "text", "pdf", "zip", "mp4", "quicktime", "short-bm"],
)
def test_sniff_rejects_what_is_not_an_image(head):
    assert formats.sniff(head) is None


# -- filters ------------------------------------------------------------------------------------


def test_exclude_glob_matches_file_names(tmp_path):
    photo(tmp_path / "a.jpg")
    photo(tmp_path / "sub/b.png", fmt="PNG")

    assert found(tmp_path, DiscoveryOptions(exclude=("*.png",))) == ["a.jpg"]


def test_exclude_glob_matches_the_path_below_the_root(tmp_path):
    photo(tmp_path / "trip/a.jpg")
    photo(tmp_path / "home/a.jpg")
    photo(tmp_path / "home/trip/b.jpg")

    kept = found(tmp_path, DiscoveryOptions(exclude=("trip/*.jpg",)))

    assert kept == ["home/a.jpg", "home/trip/b.jpg"]


def test_exclude_glob_matches_the_absolute_path(tmp_path):
    photo(tmp_path / "a/b.jpg")
    photo(tmp_path / "a/c.jpg")

    kept = found(tmp_path, DiscoveryOptions(exclude=(str(tmp_path / "a/b.jpg"),)))

    assert kept == ["a/c.jpg"]


def test_excluded_folder_is_pruned_not_walked(tmp_path, monkeypatch):
    photo(tmp_path / "keep/a.jpg")
    photo(tmp_path / "cache/b.jpg")
    photo(tmp_path / "cache/deep/c.jpg")
    walked = []
    real_scandir = os.scandir

    def recording_scandir(path):
        walked.append(os.path.relpath(path, tmp_path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", recording_scandir)

    options = DiscoveryOptions(exclude=("cache",), ignore_case=False)  # no case probe listing
    assert found(tmp_path, options) == ["keep/a.jpg"]
    assert walked == [".", "keep"]


def test_exclude_glob_respects_case_when_told_to(tmp_path):
    photo(tmp_path / "a.jpg")
    photo(tmp_path / "b.JPG")
    photo(tmp_path / "Trip/c.jpg")

    kept = found(tmp_path, DiscoveryOptions(exclude=("*.JPG", "trip"), ignore_case=False))

    assert kept == ["Trip/c.jpg", "a.jpg"]


@pytest.mark.parametrize(
    "pattern",
    ["*.JPG", "TRIP/*", "{root}/TRIP/A.JPG"],
    ids=["name", "path-below-root", "full-path"],
)
def test_exclude_glob_ignores_case_when_told_to(tmp_path, pattern):
    root = tmp_path / "root"
    photo(root / "trip/a.jpg")
    photo(root / "home/b.png", fmt="PNG")
    options = DiscoveryOptions(exclude=(pattern.format(root=root),), ignore_case=True)

    assert found(root, options) == ["home/b.png"]


def test_exclude_glob_ignores_case_on_a_root_whose_file_system_does(tmp_path, monkeypatch):
    asked: list[str] = []

    def ignores_case(folder: str) -> bool:
        asked.append(folder)
        return folder.endswith("mac")

    monkeypatch.setattr(core.media.folders, "case_insensitive", ignores_case)
    for name in ("a.jpg", "b.jpg", "c.JPG"):
        photo(tmp_path / "mac" / name)
        photo(tmp_path / "linux" / name)
    roots = [str(tmp_path / "mac"), str(tmp_path / "linux")]

    result = discover(roots, DiscoveryOptions(exclude=("*.JPG",)))

    assert [os.path.relpath(c.path, tmp_path) for c in result.candidates] == [
        "linux/a.jpg",
        "linux/b.jpg",
    ]
    assert asked == roots  # once per root, not once per entry


def test_exclude_glob_respects_case_by_default_on_a_case_sensitive_root(tmp_path):
    photo(tmp_path / "a.jpg")
    if (tmp_path / "A.JPG").exists():
        pytest.skip("this temporary folder's file system ignores case")

    assert found(tmp_path, DiscoveryOptions(exclude=("*.JPG",))) == ["a.jpg"]


def test_no_case_probe_without_exclude_globs(tmp_path, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(core.media.folders, "case_insensitive", asked.append)
    photo(tmp_path / "a.jpg")

    assert found(tmp_path) == ["a.jpg"]
    assert asked == []


def test_hidden_files_and_folders_are_skipped_by_default(tmp_path):
    photo(tmp_path / "a.jpg")
    photo(tmp_path / ".b.jpg")
    photo(tmp_path / ".thumbnails/c.jpg")

    assert found(tmp_path) == ["a.jpg"]


def test_include_hidden_finds_hidden_files_and_folders(tmp_path):
    photo(tmp_path / "a.jpg")
    photo(tmp_path / ".b.jpg")
    photo(tmp_path / ".thumbnails/c.jpg")

    kept = found(tmp_path, DiscoveryOptions(include_hidden=True))

    assert kept == [".b.jpg", ".thumbnails/c.jpg", "a.jpg"]


def test_hidden_root_is_still_walked(tmp_path):
    photo(tmp_path / ".photos/a.jpg")

    assert found(tmp_path / ".photos") == ["a.jpg"]


# -- links and files reached twice ---------------------------------------------------------------


@pytest.fixture
def linked(tmp_path) -> Path:
    """A root holding one photo, a link to a photo outside it, and a link to a folder outside."""
    root = tmp_path / "root"
    photo(root / "a.jpg")
    photo(tmp_path / "elsewhere/b.jpg", seed=1)
    photo(tmp_path / "album/c.jpg", seed=2)
    (root / "b-link.jpg").symlink_to(tmp_path / "elsewhere/b.jpg")
    (root / "album-link").symlink_to(tmp_path / "album", target_is_directory=True)
    return root


def test_symlinks_to_files_and_folders_are_skipped_unless_followed(linked):
    result = discover([str(linked)])

    assert [c.path for c in result.candidates] == [str(linked / "a.jpg")]
    assert result.symlinks_skipped == 2


def test_followed_symlinks_reach_files_and_folders_by_their_real_paths(linked):
    result = discover([str(linked)], FOLLOW)

    outside = linked.parent
    assert sorted(c.path for c in result.candidates) == [
        str(outside / "album/c.jpg"),
        str(outside / "elsewhere/b.jpg"),
        str(linked / "a.jpg"),
    ]
    assert result.symlinks_skipped == 0
    assert {c.root for c in result.candidates} == {str(linked)}


def test_symlink_loop_terminates_and_lists_each_file_once(tmp_path):
    photo(tmp_path / "a.jpg")
    photo(tmp_path / "sub/b.jpg", seed=1)
    (tmp_path / "sub/up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "sub/self").symlink_to(tmp_path / "sub", target_is_directory=True)

    assert found(tmp_path, FOLLOW) == ["a.jpg", "sub/b.jpg"]


def test_dangling_symlink_is_passed_over(tmp_path):
    photo(tmp_path / "a.jpg")
    (tmp_path / "gone.jpg").symlink_to(tmp_path / "missing.jpg")

    assert found(tmp_path, FOLLOW) == ["a.jpg"]


def test_followed_link_to_a_file_in_the_tree_lists_it_once(tmp_path):
    photo(tmp_path / "a.jpg")
    (tmp_path / "z-link.jpg").symlink_to(tmp_path / "a.jpg")

    result = discover([str(tmp_path)], FOLLOW)

    assert [c.path for c in result.candidates] == [str(tmp_path / "a.jpg")]
    assert result.seen_twice == 1


@pytest.mark.parametrize("order", ["outer-first", "inner-first"])
def test_overlapping_roots_list_each_file_once(tmp_path, order):
    photo(tmp_path / "a.jpg")
    photo(tmp_path / "sub/b.jpg", seed=1)
    photo(tmp_path / "sub/deep/c.jpg", seed=2)
    roots = [str(tmp_path), str(tmp_path / "sub")]
    if order == "inner-first":
        roots.reverse()

    paths = [c.path for c in discover(resolve_roots(roots)).candidates]

    assert paths == [str(tmp_path / p) for p in ("a.jpg", "sub/b.jpg", "sub/deep/c.jpg")]


def test_hard_linked_file_is_listed_once_and_counted_as_seen_twice(tmp_path):
    photo(tmp_path / "a.jpg")
    os.link(tmp_path / "a.jpg", tmp_path / "b.jpg")
    photo(tmp_path / "c.jpg", seed=1)

    result = discover([str(tmp_path)])

    assert [Path(c.path).name for c in result.candidates] == ["a.jpg", "c.jpg"]
    assert result.seen_twice == 1


# -- names and order ----------------------------------------------------------------------------


def test_name_that_is_not_utf8_is_found_and_round_trips(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg")
    photo(raw)

    (candidate,) = discover([str(tmp_path)]).candidates

    assert os.fsencode(candidate.path) == raw
    assert os.path.getsize(candidate.path) == candidate.size


def test_candidates_are_sorted_by_path_and_stable(tmp_path):
    for name in ["b.jpg", "B.jpg", "a.jpg", "a/z.jpg", "a-b/x.jpg", "a/0/y.jpg", "é.jpg"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")

    first = discover([str(tmp_path)]).candidates
    second = discover([str(tmp_path)]).candidates

    paths = [c.path for c in first]
    assert len(paths) == 7
    assert paths == sorted(paths)
    assert second == first


# -- roots --------------------------------------------------------------------------------------


def test_resolve_roots_refuses_a_missing_path(tmp_path):
    missing = str(tmp_path / "nope")

    with pytest.raises(RootNotFoundError, match="nope"):
        resolve_roots([str(tmp_path), missing])


def test_resolve_roots_expands_home_and_drops_duplicates(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Pictures").mkdir()
    (tmp_path / "Other").mkdir()
    (tmp_path / "Pics").symlink_to(tmp_path / "Pictures")
    pictures = os.path.realpath(tmp_path / "Pictures")

    roots = resolve_roots(
        [
            "~/Pictures",
            str(tmp_path / "Other"),
            f"{tmp_path}/Pictures/",
            "~/Pics",
            "~/Other/../Pictures",
        ]
    )

    assert roots == [pictures, os.path.realpath(tmp_path / "Other")]


def test_single_file_root_is_a_candidate(tmp_path):
    path = photo(tmp_path / "only.jpg")
    (tmp_path / "other.jpg").write_bytes(path.read_bytes())

    result = discover(resolve_roots([str(path)]))

    assert [(c.path, c.root) for c in result.candidates] == [(str(path), str(path))]


def test_unreadable_folder_is_reported_and_the_walk_goes_on(tmp_path, monkeypatch):
    photo(tmp_path / "a/x.jpg")
    photo(tmp_path / "locked/y.jpg")
    photo(tmp_path / "z/w.jpg")
    locked = str(tmp_path / "locked")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    result = discover([str(tmp_path)])

    assert result.unreadable_dirs == [(locked, "Permission denied")]
    assert [os.path.relpath(c.path, tmp_path) for c in result.candidates] == ["a/x.jpg", "z/w.jpg"]
    assert not result.interrupted


def test_should_stop_interrupts_the_walk(tmp_path):
    for i in range(5):
        (tmp_path / f"first/{i}.jpg").parent.mkdir(exist_ok=True)
        (tmp_path / f"first/{i}.jpg").write_bytes(b"")
    (tmp_path / "second").mkdir()
    (tmp_path / "second/x.jpg").write_bytes(b"")
    checks = 0

    def should_stop() -> bool:
        nonlocal checks
        checks += 1
        return checks > 3

    result = discover([str(tmp_path / "first"), str(tmp_path / "second")], should_stop=should_stop)

    assert result.interrupted
    assert 0 < len(result.candidates) < 5
    assert all("/second/" not in c.path for c in result.candidates)
