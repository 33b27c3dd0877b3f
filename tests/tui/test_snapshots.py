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

Update the snapshots after an intended change with
``pytest tests/tui/test_snapshots.py --snapshot-update``, and look at the SVGs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tui.text
from core.library import Library
from tests.tui.catalogs import snapshot_photos
from tui.app import PhotosiftApp

SIZE = (120, 40)
TMP_MARK = "<tmp>"


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PhotosiftApp]:
    photos = tmp_path / "photos"
    snapshot_photos(photos)
    db = str(tmp_path / "catalog.sqlite3")
    with Library(db) as library:
        library.scan([str(photos)])
    prefixes = sorted({os.path.realpath(tmp_path), str(tmp_path)}, key=len, reverse=True)
    real_shown = tui.text.shown

    def shown(text: object) -> str:
        out = real_shown(text)
        for prefix in prefixes:
            out = out.replace(prefix + os.sep, TMP_MARK + "/")
        return out

    monkeypatch.setattr(tui.text, "shown", shown)
    monkeypatch.chdir(tmp_path)
    library = Library(db)
    yield PhotosiftApp(
        library, preview_mode="unicode", cache_dir=str(tmp_path / "cache"), backup_folder="backup"
    )
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
