"""SVG snapshots of the app's main screens (pytest-textual-snapshot), at 120x40 with the
``unicode`` preview renderer, which draws the same cells on any terminal.

The catalog is a scan of ``tests.tui.catalogs.snapshot_photos``: fixed file names, EXIF dates
and cameras, and fixed mtimes, so sizes, groups, ids and advice are the same on every run.

The review and apply screens show absolute paths (the review's details name the photo's
folder; the apply plan lists sources and targets), and those start with pytest's numbered
temporary folder, which changes from run to run and from machine to machine. Those screens
put every path through ``tui.text.plain``, which escapes it with ``tui.text.shown``: the tests
wrap ``shown`` so that the temporary folder reads ``<tmp>``, and run in it with the relative
backup folder ``backup`` (which the apply screen's folder box shows as given). Nothing else
the app draws is changed. Each test waits for the app's workers (loading, judging,
previews, the plan) before the screenshot, so no ``…`` or "loading" placeholder is caught.

The scan screen (``test_scan_screen_after_the_scan``) scans a fresh catalog of the same photos
plus ``Phone/notes.jpg``, a text file named like a photo: a scan with a problem stays on its
screen (a clean one goes straight on to the groups), which is the moment it is shown, with
``e`` listing the problem. Its progress line, files per second and ETA are gone by then; the
one figure left that changes from run to run is the time the scan took ("Scan done in 1.9 s"),
written with ``tui.cli.format.duration`` as imported by ``tui.screens.scan``: the test
replaces that name with one that writes ``<elapsed>``. The rest of the screen is the app's.

The compare screen (``c`` in the review) is shot once its first two 1:1 regions are drawn,
around the photos' centres.

The faces screen (``f`` in the review) is shot on a group of two look-alike photos of a real
face (``skimage.data.astronaut``, as ``tests/tui/test_faces_screen.py`` uses; the test is
skipped without scikit-image), so it shows close-ups and open eyes, not "no face found".

Update the snapshots after an intended change with
``pytest tests/tui/test_snapshots.py --snapshot-update``, and look at the SVGs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tui.screens.scan
import tui.text
from core.library import Library
from tests.images import resized, save
from tests.tui.catalogs import FIXED_MTIME_NS, snapshot_photos
from tui.app import PhotosiftApp

SIZE = (120, 40)
TMP_MARK = "<tmp>"
ELAPSED_MARK = "<elapsed>"


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Paths under ``tmp_path`` shown as ``<tmp>/...``, and ``tmp_path`` the working folder."""
    prefixes = sorted({os.path.realpath(tmp_path), str(tmp_path)}, key=len, reverse=True)
    real_shown = tui.text.shown

    def shown(text: object) -> str:
        out = real_shown(text)
        for prefix in prefixes:
            out = out.replace(prefix + os.sep, TMP_MARK + "/")
        return out

    monkeypatch.setattr(tui.text, "shown", shown)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scanned(photos: Path, db: str) -> str:
    with Library(db) as library:
        library.scan([str(photos)])
    return db


def photosift_app(library: Library, tmp_path: Path, **kw) -> PhotosiftApp:
    return PhotosiftApp(
        library,
        preview_mode="unicode",
        cache_dir=str(tmp_path / "cache"),
        backup_folder="backup",
        **kw,
    )


@pytest.fixture
def app(masked: Path) -> Iterator[PhotosiftApp]:
    photos = masked / "photos"
    snapshot_photos(photos)
    library = Library(scanned(photos, str(masked / "catalog.sqlite3")))
    yield photosift_app(library, masked)
    library.close()


def test_groups_screen(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_review_screen_of_the_first_group(app, snap_compare):
    async def open_first_group(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen.__class__.__name__ == "ReviewScreen"

    assert snap_compare(app, terminal_size=SIZE, run_before=open_first_group)


def test_help_screen_over_the_review(app, snap_compare):
    async def open_help(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert pilot.app.screen.__class__.__name__ == "HelpScreen"

    assert snap_compare(app, terminal_size=SIZE, run_before=open_help)


def test_apply_screen_with_the_plan(app, snap_compare):
    async def accept_all_and_plan(pilot) -> None:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.__class__.__name__ == "ApplyScreen"
        assert screen.plan is not None and screen.plan.files == 5

    assert snap_compare(app, terminal_size=SIZE, run_before=accept_all_and_plan)


async def open_the_first_group(pilot) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.screen.__class__.__name__ == "ReviewScreen"


@pytest.fixture
def scanning_app(masked: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PhotosiftApp]:
    """The app scanning the snapshot photos and a text file named ``Phone/notes.jpg`` into a
    new catalog, with the scan's duration shown as ``<elapsed>``."""
    photos = masked / "photos"
    snapshot_photos(photos)
    (photos / "Phone/notes.jpg").write_text("a shopping list, not a photo\n")
    monkeypatch.setattr(tui.screens.scan, "duration", lambda seconds: ELAPSED_MARK)
    library = Library(str(masked / "catalog.sqlite3"))
    yield photosift_app(library, masked, paths=[str(photos)])
    library.close()


def test_scan_screen_after_the_scan(scanning_app, snap_compare):
    async def scan_then_list_the_problems(pilot) -> None:
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.__class__.__name__ == "ScanScreen"
        assert screen.summary is not None and screen.summary.seen == 9
        assert screen.summary.problems  # notes.jpg: so the screen stays
        await pilot.press("e")
        await settle(pilot)
        assert str(screen.query_one("#scan-problems").render()).startswith(TMP_MARK)

    assert snap_compare(scanning_app, terminal_size=SIZE, run_before=scan_then_list_the_problems)


def test_compare_screen_at_1_1(app, snap_compare):
    async def compare(pilot) -> None:
        await open_the_first_group(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.__class__.__name__ == "CompareScreen"
        assert screen.centre == (0.5, 0.5)
        assert all(thumb.image is not None for thumb in screen.regions.values())
        title = str(screen.query_one("#compare-title").render())
        assert title == "1:1 around 50% across, 50% down · arrows move the region"

    assert snap_compare(app, terminal_size=SIZE, run_before=compare)


@pytest.fixture
def faces_app(masked: Path) -> Iterator[PhotosiftApp]:
    """A catalog of one group: ``astronaut.jpg`` (a real face) and a 75% copy of it."""
    data = pytest.importorskip("skimage.data")
    from PIL import Image

    photos = masked / "photos"
    face = Image.fromarray(data.astronaut())
    made = [save(face, photos / "astronaut.jpg"), save(resized(face, 0.75), photos / "small.jpg")]
    for path in made:
        os.utime(path, ns=(FIXED_MTIME_NS, FIXED_MTIME_NS))
    library = Library(scanned(photos, str(masked / "catalog.sqlite3")))
    yield photosift_app(library, masked)
    library.close()


def test_faces_screen_of_a_group_with_a_face(faces_app, snap_compare):
    async def faces(pilot) -> None:
        await open_the_first_group(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = pilot.app.screen
        assert screen.__class__.__name__ == "FacesScreen"
        assert len(screen.found) == 2
        assert all(found.count >= 1 for found in screen.found.values())
        assert "finding faces" not in str(screen.query_one("#faces-title").render())

    assert snap_compare(faces_app, terminal_size=SIZE, run_before=faces)
