"""`photosift demo`'s collection (tui.demo), checked with the engine the way the app uses it:
built, scanned, grouped and judged. It must make sense as a demo: one group per photo that
has copies, every copy in its photo's group, the untouched original kept, the AI upscale
flagged, the burst found, the lone photos left alone, and nothing unreadable. And building
is safe: it re-creates its own folder, refuses anyone else's, and gives the same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from importlib import resources

import platformdirs
import pytest
from PIL import Image

from core.errors import PhotosiftError
from core.library import Judged, Library
from tui import demo
from tui.demo import FILES, MARKER, README_NAME, build_demo, default_demo_dir

ORIGINALS = {f.photo: f.path for f in FILES if f.edit == "original"}


def _expected_groups() -> dict[str, set[str]]:
    """shipped photo -> the files expected in its group: every file made from it but a
    detail cut out of it, for the photos that have more than one."""
    made = defaultdict(set)
    for item in FILES:
        if item.edit != "detail":
            made[item.photo].add(item.path)
    return {photo: paths for photo, paths in made.items() if len(paths) > 1}


GROUPED = _expected_groups()
ALONE = {f.path for f in FILES} - {p for paths in GROUPED.values() for p in paths}
FRAMES = {f.path for f in FILES if f.edit == "frame"}
UPSCALES = {f.path for f in FILES if f.edit == "upscale"}


def files_below(root: str) -> dict[str, tuple[bytes, int]]:
    """relative path -> (bytes, mtime_ns) of every file below ``root``."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as fh:
                found[rel] = (fh.read(), os.stat(path).st_mtime_ns)
    return found


class Scanned:
    def __init__(self, root: str, lib: Library, summary, judged: list[Judged]) -> None:
        self.root = os.path.realpath(root)
        self.lib, self.summary, self.judged = lib, summary, judged

    def rel(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def groups_by_photo(self) -> dict[str, Judged]:
        """Each judged group under the shipped photo its members come from."""
        by_photo = {}
        for judged in self.judged:
            photos = {_photo_of(self.rel(p)) for p in judged.group.paths}
            assert len(photos) == 1, f"one group mixes photos: {sorted(photos)}"
            by_photo[photos.pop()] = judged
        return by_photo


def _photo_of(rel: str) -> str:
    return next(f.photo for f in FILES if f.path == rel)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    root = build_demo(base / "collection")
    lib = Library(str(base / "cat.db"))
    summary = lib.scan([root])
    judged = lib.judge(lib.groups().groups)
    yield Scanned(root, lib, summary, judged)
    lib.close()


# -- the collection as built --------------------------------------------------------------


def test_the_collection_looks_like_a_photo_folder(tmp_path):
    root = build_demo(tmp_path / "demo")
    assert root == str(tmp_path / "demo")
    found = files_below(root)
    photos = {rel for rel in found if rel.lower().endswith(".jpg")}
    assert photos == {f.path for f in FILES}
    assert 20 <= len(photos) <= 35
    assert set(found) - photos == {MARKER, README_NAME}
    assert "demo" in found[README_NAME][0].decode() and "delete" in found[README_NAME][0].decode()
    folders = {rel.split("/")[0] for rel in photos}
    assert {"Camera", "WhatsApp", "Desktop", "Backup 2019", "DCIM"} <= folders
    assert "Desktop/to sort/IMG_20230521_194512_upscayl_4x_realesrgan.jpg" in photos
    assert sum(len(data) for data, _ in found.values()) < 6_000_000


def test_originals_are_the_oldest_files_of_their_photo(tmp_path):
    root = build_demo(tmp_path / "demo")
    mtimes = {f.path: os.stat(os.path.join(root, f.path)).st_mtime for f in FILES}
    for photo, original in ORIGINALS.items():
        copies = [f.path for f in FILES if f.photo == photo and f.edit != "frame"]
        assert mtimes[original] == min(mtimes[p] for p in copies), photo


def test_the_burst_frames_carry_one_cameras_exif_a_fraction_of_a_second_apart(tmp_path):
    root = build_demo(tmp_path / "demo")
    frames = FRAMES | {ORIGINALS[demo.BEE]}
    cameras, taken = set(), []
    for rel in frames:
        with Image.open(os.path.join(root, rel)) as im:
            exif = im.getexif()
        sub = exif.get_ifd(0x8769)
        cameras.add((exif.get(0x010F), exif.get(0x0110)))
        when = datetime.strptime(sub[0x9003], "%Y:%m:%d %H:%M:%S")
        taken.append(when + timedelta(milliseconds=int(sub.get(0x9291, "0"))))
    assert cameras == {("NIKON CORPORATION", "NIKON D50")}
    taken.sort()
    gaps = [(b - a).total_seconds() for a, b in zip(taken, taken[1:], strict=False)]
    assert len(frames) == 5 and all(0.2 <= gap <= 0.5 for gap in gaps), gaps


def test_the_shipped_photos_are_small_and_credited():
    folder = resources.files("tui") / "demo_photos"
    sources = (folder / "SOURCES.md").read_text(encoding="utf-8")
    total = 0
    for name in demo.photo_files():
        data = (folder / name).read_bytes()
        total += len(data)
        assert f"`{name}`" in sources
        with Image.open(folder / name) as im:
            assert max(im.size) <= 1620
    assert total < 800_000
    for licence in ("Public Domain", "CC0"):
        assert licence in sources


def test_progress_counts_up_to_the_total(tmp_path):
    seen = []
    build_demo(tmp_path / "demo", on_progress=lambda done, total: seen.append((done, total)))
    total = seen[-1][1]
    assert seen[-1] == (total, total) and total >= len(FILES)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_default_folder_is_in_photosifts_cache():
    assert default_demo_dir() == os.path.join(platformdirs.user_cache_dir("photosift"), "demo")


def test_the_module_needs_no_terminal_ui():
    code = "import json, sys, tui.demo; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    assert not loaded & {"textual", "textual_image", "rich", "PIL", "numpy"}


# -- building again, refusing, determinism ----------------------------------------------------


def test_building_twice_re_creates_the_collection(tmp_path):
    target = tmp_path / "demo"
    first = files_below(build_demo(target))
    (target / "Camera" / "IMG_0815.JPG").write_bytes(b"scribbled over")
    (target / "Desktop" / "notes.txt").write_text("added since")
    (target / "Backup 2019").rename(target / "Old backup")
    assert files_below(build_demo(target)) == first


def test_a_folder_with_someone_elses_files_is_refused(tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "IMG_0001.JPG").write_bytes(b"my own photo")
    with pytest.raises(PhotosiftError, match="not photosift's demo"):
        build_demo(target)
    assert files_below(str(target)) == {
        "IMG_0001.JPG": (b"my own photo", os.stat(target / "IMG_0001.JPG").st_mtime_ns)
    }


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "demo").write_text("a file")
    with pytest.raises(PhotosiftError, match="not a folder"):
        build_demo(tmp_path / "demo")


def test_an_empty_folder_is_used(tmp_path):
    (tmp_path / "demo").mkdir()
    assert os.path.isfile(os.path.join(build_demo(tmp_path / "demo"), MARKER))


def test_the_build_is_deterministic(tmp_path):
    one = files_below(build_demo(tmp_path / "one"))
    two = files_below(build_demo(tmp_path / "two"))
    assert one == two


# -- what the engine makes of it ------------------------------------------------------------


def test_every_photo_is_read(scanned):
    summary = scanned.summary
    assert summary.skipped == {} and summary.problems == ()
    assert summary.analysed == len(FILES)


def test_one_group_per_photo_with_copies_and_every_copy_in_it(scanned):
    by_photo = scanned.groups_by_photo()
    assert set(by_photo) == set(GROUPED)
    for photo, judged in by_photo.items():
        assert {scanned.rel(p) for p in judged.group.paths} == GROUPED[photo], photo


def test_the_lone_photos_are_in_no_group(scanned):
    grouped = {scanned.rel(p) for j in scanned.judged for p in j.group.paths}
    assert ALONE and not ALONE & grouped
    assert {"Downloads/dscovr-launch.jpg", "Wallpapers/purple aster.jpg"} == ALONE


def test_the_untouched_original_is_kept(scanned):
    for photo, judged in scanned.groups_by_photo().items():
        assert scanned.rel(judged.group.keep) == ORIGINALS[photo], judged.recommendation
        assert judged.recommendation.stale == {}


def test_the_ai_upscale_is_flagged_and_nothing_else(scanned):
    flagged = {scanned.rel(p) for j in scanned.judged for p in j.recommendation.ai_enhanced}
    assert flagged == UPSCALES


def test_the_burst_is_found_and_its_sharp_frame_kept(scanned):
    bee = scanned.groups_by_photo()[demo.BEE]
    (burst,) = bee.group.bursts
    members = {scanned.rel(p) for p in burst.members}
    assert FRAMES | {ORIGINALS[demo.BEE]} <= members
    assert scanned.rel(burst.keep) == ORIGINALS[demo.BEE]
    others = [j for j in scanned.judged if j is not bee]
    assert not any(j.group.bursts for j in others)


def test_the_advice_frees_space_and_backs_up_the_copies(scanned):
    for judged in scanned.judged:
        advice = judged.recommendation
        assert advice.potential_savings > 0
        moved = set(advice.duplicates) | set(advice.lower_quality)
        assert judged.group.keep not in moved
        accounted = moved | set(advice.ai_enhanced) | set(advice.kept) | {judged.group.keep}
        assert accounted == set(judged.group.paths)


def test_burst_frames_are_moments_apart_in_the_catalog(scanned):
    photos = {scanned.rel(p.path): p for p in scanned.lib.catalog.photos()}
    taken = sorted(photos[rel].taken_at for rel in FRAMES | {ORIGINALS[demo.BEE]})
    gaps = [b - a for a, b in zip(taken, taken[1:], strict=False)]
    assert all(timedelta(seconds=0.2) <= gap <= timedelta(seconds=0.5) for gap in gaps)
