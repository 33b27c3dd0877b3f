"""The scan pipeline on real trees: everything found lands in the catalog, re-scans are
incremental, bad files are recorded and never stop a scan, and stopping keeps the work done."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import datetime

import pytest

from core.errors import RootNotFoundError
from core.models import ANALYSIS_VERSION, Candidate, Phase
from core.runtime import scan as scan_module
from core.runtime.scan import ScanOptions, scan
from core.store import FileState
from tests.images import bomb_png, exif_bytes, resized, save, scene

SINGLE = ScanOptions(workers=1)


@pytest.fixture
def library(tmp_path):
    """A small photo library with a copy, a resize, and one of each kind of bad file."""
    root = tmp_path / "Pictures"
    for i in range(6):
        exif = exif_bytes(taken=datetime(2020, 5, 1, 12, 0, i), make="Canon", model="EOS")
        save(scene(i, (480, 360)), root / f"2020/trip/IMG_{i:04d}.JPG", exif=exif)
    (root / "backup").mkdir()
    shutil.copy(root / "2020/trip/IMG_0000.JPG", root / "backup/IMG_0000.JPG")
    save(resized(scene(1, (480, 360)), 0.5), root / "shared/small.jpg")
    save(scene(9, (300, 200)), root / "misc/drawing.png", "PNG")
    data = (root / "2020/trip/IMG_0002.JPG").read_bytes()
    (root / "bad/cut.jpg").parent.mkdir(parents=True)
    (root / "bad/cut.jpg").write_bytes(data[: len(data) // 2])
    (root / "bad/empty.jpg").touch()
    (root / "bad/notes.jpg").write_text("not a photo\n")
    (root / "bad/bomb.png").write_bytes(bomb_png())
    (root / "misc/readme.txt").write_text("hello\n")
    save(scene(7, (100, 80)), root / ".hidden/secret.jpg")
    return root


def test_first_scan_catalogs_every_photo_and_every_problem(library, catalog):
    summary = scan(catalog, [str(library)], SINGLE)
    assert summary.seen == 13
    assert summary.analysed == 9
    assert summary.skipped == {"corrupt": 1, "empty": 1, "not an image": 1, "too large": 1}
    assert summary.seen == summary.analysed + summary.unchanged + summary.skipped_total
    photos = catalog.photos()
    assert len(photos) == 9
    assert all(p.hashes and p.width and p.height for p in photos)
    trip = [p for p in photos if "/trip/" in p.path]
    assert all(p.taken_at and p.camera_make == "Canon" for p in trip)
    problems = {os.path.basename(p.path): p.error for p in catalog.photos(errors=True)}
    assert set(problems) == {"cut.jpg", "empty.jpg", "notes.jpg", "bomb.png"}
    assert not any(".hidden" in p.path for p in photos)


def test_exact_copies_get_content_hashes_and_match(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    by_name = {os.path.relpath(p.path, library): p for p in catalog.photos()}
    original, copy = by_name["2020/trip/IMG_0000.JPG"], by_name["backup/IMG_0000.JPG"]
    assert original.content_hash and original.content_hash == copy.content_hash
    assert by_name["misc/drawing.png"].content_hash is None  # unique size: not hashed


def test_rescan_of_unchanged_tree_reads_nothing_and_changes_nothing(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    before = catalog.photos() + catalog.photos(errors=True)
    summary = scan(catalog, [str(library)], SINGLE)
    assert summary.analysed == 0
    assert summary.unchanged == 9
    assert summary.removed == 0
    assert summary.skipped_total == 4  # the bad files are still reported
    assert catalog.photos() + catalog.photos(errors=True) == before


def test_rescan_picks_up_new_changed_and_vanished_files(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    save(scene(20, (400, 300)), library / "2021/new.jpg")
    changed = library / "misc/drawing.png"
    save(scene(21, (300, 200)), changed, "PNG")
    os.utime(changed, ns=(0, 10**18))
    (library / "shared/small.jpg").unlink()
    summary = scan(catalog, [str(library)], SINGLE)
    assert summary.analysed == 2
    assert summary.removed == 1
    paths = {os.path.relpath(p.path, library) for p in catalog.photos()}
    assert "2021/new.jpg" in paths and "shared/small.jpg" not in paths
    assert catalog.photo(str(changed)).mtime_ns == 10**18


def test_new_file_with_the_size_of_an_old_one_gets_both_hashed(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    png = library / "misc/drawing.png"
    assert catalog.photo(str(png)).content_hash is None
    (library / "2021").mkdir()
    shutil.copy(png, library / "2021/drawing copy.png")
    summary = scan(catalog, [str(library)], SINGLE)
    old, new = catalog.photo(str(png)), catalog.photo(str(library / "2021/drawing copy.png"))
    assert old.content_hash and old.content_hash == new.content_hash
    assert summary.hashed == 2


def test_fixed_file_is_analysed_again(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    save(scene(30, (200, 150)), library / "bad/empty.jpg")
    summary = scan(catalog, [str(library)], SINGLE)
    assert summary.analysed == 1
    assert catalog.photo(str(library / "bad/empty.jpg")).error is None


def test_a_new_analysis_version_reanalyses_everything(library, catalog, monkeypatch):
    scan(catalog, [str(library)], SINGLE)
    monkeypatch.setattr(scan_module, "ANALYSIS_VERSION", 999)
    summary = scan(catalog, [str(library)], SINGLE)
    assert summary.unchanged == 0
    assert summary.analysed == 9


def test_worker_pool_gives_the_same_catalog_as_one_process(library, tmp_path):
    from core.store import Catalog

    many = tmp_path / "more"
    for i in range(20):
        save(scene(100 + i, (160, 120)), many / f"p{i:02d}.jpg")
    results = []
    for workers in (1, 2):
        with Catalog(str(tmp_path / f"w{workers}.sqlite3")) as cat:
            summary = scan(cat, [str(library), str(many)], ScanOptions(workers=workers))
            rows = cat.photos() + cat.photos(errors=True)
            results.append(([(p.path, p.hashes, p.error, p.content_hash) for p in rows], summary))
    (single, s1), (pooled, s2) = results
    assert single == pooled
    assert (s1.analysed, s1.skipped) == (s2.analysed, s2.skipped) == (29, s1.skipped)


def test_stopping_keeps_what_was_analysed(library, catalog, monkeypatch):
    monkeypatch.setattr("core.progress.THROTTLE_SECONDS", 0.0)  # an event for every file
    state = {"analysed": 0}

    def on_progress(event):
        if event.phase is Phase.ANALYSING:
            state["analysed"] = event.done

    def should_stop() -> bool:  # let discovery finish, then stop after three files
        return state["analysed"] >= 3

    summary = scan(
        catalog, [str(library)], SINGLE, on_progress=on_progress, should_stop=should_stop
    )
    assert summary.interrupted
    kept = catalog.photos() + catalog.photos(errors=True)
    assert len(kept) == 3
    assert summary.removed == 0
    finished = scan(catalog, [str(library)], SINGLE)
    assert not finished.interrupted
    assert finished.analysed == 9 - sum(1 for p in kept if p.error is None)
    assert finished.unchanged == 9 - finished.analysed


def test_interrupted_discovery_forgets_nothing(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    summary = scan(catalog, [str(library)], SINGLE, should_stop=lambda: True)
    assert summary.interrupted and summary.removed == 0
    assert len(catalog.photos()) == 9


def test_file_deleted_after_discovery_is_skipped_not_fatal(library, catalog):
    victim = library / "2020/trip/IMG_0003.JPG"

    def delete_when_analysis_starts(event):
        if event.phase is Phase.ANALYSING and victim.exists():
            victim.unlink()

    summary = scan(catalog, [str(library)], SINGLE, on_progress=delete_when_analysis_starts)
    assert summary.skipped.get("vanished") == 1
    assert catalog.photo(str(victim)) is None
    assert summary.analysed == 8


def test_unreadable_folder_does_not_forget_its_files(library, catalog, monkeypatch):
    scan(catalog, [str(library)], SINGLE)
    locked = str(library / "2020/trip")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = scan(catalog, [str(library)], SINGLE)
    assert summary.removed == 0
    assert any(locked in d for d in summary.unreadable_dirs)
    assert len(catalog.photos()) == 9


def test_missing_root_raises_before_anything_is_written(tmp_path, catalog):
    with pytest.raises(RootNotFoundError, match="no such file or folder"):
        scan(catalog, [str(tmp_path / "nope")])
    assert catalog.counts()["scans"] == 0


def test_progress_reports_every_phase_and_the_total(library, catalog):
    events = []
    scan(catalog, [str(library)], SINGLE, on_progress=events.append)
    phases = [e.phase for e in events]
    assert phases[0] is Phase.DISCOVERING
    assert Phase.ANALYSING in phases and phases[-1] is Phase.FINISHED
    analysing = [e for e in events if e.phase is Phase.ANALYSING]
    assert analysing[0].total == 13
    assert all(e.bytes_total > 0 for e in analysing)


def test_scan_history_is_recorded(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    scan(catalog, [str(library)], SINGLE)
    assert catalog.counts()["scans"] == 2


def test_files_reached_through_a_followed_link_are_incremental_too(tmp_path, catalog):
    elsewhere = tmp_path / "elsewhere"
    save(scene(40, (160, 120)), elsewhere / "linked.jpg")
    root = tmp_path / "root"
    save(scene(41, (160, 120)), root / "own.jpg")
    (root / "link").symlink_to(elsewhere, target_is_directory=True)
    options = ScanOptions(workers=1, follow_symlinks=True)
    first = scan(catalog, [str(root)], options)
    assert first.analysed == 2
    again = scan(catalog, [str(root)], options)
    assert (again.analysed, again.unchanged) == (0, 2)
    (elsewhere / "linked.jpg").unlink()
    gone = scan(catalog, [str(root)], options)
    assert gone.removed == 1
    assert [p.name for p in catalog.photos()] == ["own.jpg"]


def test_too_large_files_are_retried_when_the_limit_is_raised(tmp_path, catalog):
    save(scene(50, (400, 300)), tmp_path / "lib/panorama.jpg")
    small_limit = ScanOptions(workers=1, max_pixels=100_000)
    assert scan(catalog, [str(tmp_path / "lib")], small_limit).skipped == {"too large": 1}
    raised = scan(catalog, [str(tmp_path / "lib")], ScanOptions(workers=1))
    assert raised.analysed == 1 and raised.skipped == {}


def test_folder_and_file_names_that_are_not_utf8_are_scanned(tmp_path, catalog):
    folder = os.path.join(os.fsencode(tmp_path), b"f\xf6tos")
    save(scene(51, (200, 150)), os.path.join(folder, b"caf\xe9.jpg"))
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff broken")
    os.rename(tmp_path / "bad.jpg", os.path.join(folder, b"\xff.jpg"))
    summary = scan(catalog, [os.fsdecode(folder)], SINGLE)
    assert (summary.analysed, summary.skipped) == (1, {"corrupt": 1})
    assert [os.fsencode(p.path) for p in catalog.photos()] == [os.path.join(folder, b"caf\xe9.jpg")]
    assert scan(catalog, [os.fsdecode(folder)], SINGLE).unchanged == 1


def test_a_file_replaced_with_the_same_size_and_mtime_is_analysed_again(tmp_path, catalog):
    root = tmp_path / "photos"
    original = save(scene(1, (320, 240)), root / "IMG_0001.jpg")
    save(scene(2, (320, 240)), root / "IMG_0002.jpg")
    scan(catalog, [str(root)], SINGLE)
    before = os.stat(original)
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x55  # same size, other bytes
    replacement = tmp_path / "replacement.jpg"
    replacement.write_bytes(bytes(data))
    os.replace(replacement, original)  # a new inode, as rsync or cp leave it
    os.utime(original, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -r

    summary = scan(catalog, [str(root)], SINGLE)

    assert (summary.analysed, summary.unchanged) == (1, 1)
    assert catalog.photo(str(original)).inode == os.stat(original).st_ino


def test_a_file_rewritten_in_place_with_its_mtime_kept_is_analysed_again(tmp_path, catalog):
    root = tmp_path / "photos"
    photo = save(scene(3, (320, 240)), root / "IMG_0003.jpg")
    scan(catalog, [str(root)], SINGLE)
    before = os.stat(photo)
    with open(photo, "r+b") as fh:  # what exiftool -P does to the bytes, keeping the mtime
        fh.seek(before.st_size // 2)
        fh.write(b"\x00\x11")
    os.utime(photo, ns=(before.st_atime_ns, before.st_mtime_ns))

    summary = scan(catalog, [str(root)], SINGLE)

    assert summary.analysed == 1
    assert catalog.photo(str(photo)).ctime_ns == os.stat(photo).st_ctime_ns


def test_a_catalog_without_ctimes_records_them_without_analysing_again(library, catalog):
    scan(catalog, [str(library)], SINGLE)
    catalog.db.execute_sql("UPDATE file SET ctime_ns = NULL")  # as an older release left it

    again = scan(catalog, [str(library)], SINGLE)

    assert again.analysed == 0
    assert all(p.ctime_ns for p in catalog.photos())


def test_a_decoder_that_kills_its_worker_neither_hangs_nor_stops_the_scan(library, catalog):
    from core.runtime.processes import ProcessExecutor
    from tests.core.runtime.decoders import install_dying_decoder

    save(scene(11, (480, 360)), library / "bad/crash_me.jpg")
    executor = ProcessExecutor(2, initializer=install_dying_decoder)
    done: list = []
    worker = threading.Thread(
        target=lambda: done.append(scan(catalog, [str(library)], executor=executor)),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=90)

    assert done, "the scan hung on a dead worker"
    (summary,) = done
    assert summary.analysed == 9 and summary.skipped["crashed"] == 1
    (reason,) = (r for p, r in summary.problems if p.endswith("crash_me.jpg"))
    assert reason.startswith("crashed: the decoder died")
    assert catalog.photo(str(library / "bad/crash_me.jpg")).error == reason


def test_a_remounted_file_is_current_under_its_new_device():
    cand = Candidate("/r/a.jpg", "/r", size=10, mtime_ns=5, inode=7, device=99, ctime_ns=3)
    state = FileState(10, 5, 3, 7, 42, ANALYSIS_VERSION, None)

    assert not scan_module._is_current(cand, state, {})
    assert scan_module._is_current(cand, state, {42: 99})
