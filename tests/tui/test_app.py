"""The app driven as a person drives it, with Textual's pilot, on a real catalog of fixture
photos: every screen and binding, decisions stored in the catalog at once, the place kept
across a restart, apply and undo from the app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.library import Library
from core.models.actions import Decision
from tests.images import scenes_with_copies
from tui.app import PhotosiftApp

SIZE = (120, 40)


@pytest.fixture
def photos(tmp_path) -> Path:
    root = tmp_path / "photos"
    scenes_with_copies(root, seeds=(1, 2, 3))
    return root


@pytest.fixture
def catalog(tmp_path, photos) -> str:
    db = str(tmp_path / "catalog.sqlite3")
    with Library(db) as library:
        library.scan([str(photos)])
    return db


def make_app(db: str, tmp_path: Path, **kw) -> PhotosiftApp:
    return PhotosiftApp(
        Library(db),
        preview_mode="unicode",
        cache_dir=str(tmp_path / "cache"),
        backup_folder=str(tmp_path / "backup"),
        **kw,
    )


async def settle(app: PhotosiftApp, pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def open_first_group(app: PhotosiftApp, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


def decisions(db: str) -> dict[str, Decision]:
    with Library(db) as library:
        return {p: r.decision for p, r in library.decisions().items()}


async def test_the_groups_screen_lists_every_group_with_totals(catalog, tmp_path):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#groups")
        assert table.row_count == 3
        totals = str(app.screen.query_one("#totals").render())
        assert "3 groups" in totals and "0 decided" in totals


async def test_enter_opens_a_group_and_a_then_n_store_a_decision(catalog, tmp_path):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_group(app, pilot)
        assert app.screen.__class__.__name__ == "ReviewScreen"
        first = app.screen.group_id
        await pilot.press("a")
        await settle(app, pilot)
        assert app.screen.group_id != first  # moved on to the next undecided group
        stored = decisions(catalog)
        group = app.session.row(first).group
        assert all(p in stored for p in group.paths)
        assert [stored[p] for p in group.paths].count(Decision.KEEP) >= 1
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        await pilot.press("ctrl+q")
    assert app.return_value == 0


async def test_space_toggles_and_u_undoes_a_decision(catalog, tmp_path):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_group(app, pilot)
        screen = app.screen
        photo = screen.members()[screen.selected]
        await pilot.press("space")
        await settle(app, pilot)
        assert decisions(catalog).get(photo.path) is Decision.BACKUP
        await pilot.press("space")
        await settle(app, pilot)
        assert decisions(catalog).get(photo.path) is Decision.KEEP
        await pilot.press("u")
        await settle(app, pilot)
        assert decisions(catalog).get(photo.path) is Decision.BACKUP


async def test_photos_are_browsed_with_arrows_and_hl(catalog, tmp_path):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_group(app, pilot)
        screen = app.screen
        start = screen.selected
        await pilot.press("right")
        assert screen.selected == (start + 1) % len(screen.members())
        await pilot.press("h")
        assert screen.selected == start
        await pilot.press("l", "left")
        assert screen.selected == start


async def test_zoom_compare_and_help_open_and_close(catalog, tmp_path):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_group(app, pilot)
        await pilot.press("z")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "ZoomScreen"
        await pilot.press("escape")
        await pilot.press("c")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "CompareScreen"
        centre = app.screen.centre
        await pilot.press("right")
        await settle(app, pilot)
        assert app.screen.centre[0] > centre[0]
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"
        text = str(app.screen.query_one("#help-text").render())
        assert "Compare 1:1" in text and "Keep/backup" in text
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "ReviewScreen"


async def test_filter_sort_and_the_place_survive_a_restart(catalog, tmp_path, photos):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"s2")
        await pilot.press("enter")
        await settle(app, pilot)
        table = app.screen.query_one("#groups")
        assert table.row_count == 1
        await pilot.press("s")
        await settle(app, pilot)
        sort = app.session.sort
        await pilot.press("enter")
        await settle(app, pilot)
        group = app.screen.group_id
        await pilot.press("ctrl+q")
    again = make_app(catalog, tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        assert again.session.filter.text == "s2" and again.session.sort == sort
        assert again.screen.current_id() == group


async def test_accept_all_asks_then_marks_every_group(catalog, tmp_path):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("A")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("y")
        await settle(app, pilot)
        assert "3 decided" in str(app.screen.query_one("#totals").render())
    stored = decisions(catalog)
    assert sum(d is Decision.BACKUP for d in stored.values()) >= 5


async def test_apply_and_undo_from_the_app(catalog, tmp_path, photos):
    before = sorted(p for p in photos.rglob("*") if p.is_file())
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("A", "y")
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "ApplyScreen"
        assert app.screen.plan is not None and app.screen.plan.files >= 5
        await pilot.press("g")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        moved = [p for p in (tmp_path / "backup").rglob("*.jpg")]
        assert len(moved) >= 5
        assert "Moved" in str(app.screen.query_one("#apply-result").render())
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert "Restored" in str(app.screen.query_one("#apply-result").render())
        await pilot.press("H")
        await settle(app, pilot)
        assert app.screen.query_one("#history").row_count == 1
    assert sorted(p for p in photos.rglob("*") if p.is_file()) == before


async def test_the_scan_screen_scans_then_shows_the_groups(tmp_path, photos):
    db = str(tmp_path / "new.sqlite3")
    app = make_app(db, tmp_path, paths=[str(photos)])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "GroupsScreen"
        assert app.screen.query_one("#groups").row_count == 3


async def test_not_duplicates_is_remembered_and_regroups(catalog, tmp_path):
    app = make_app(catalog, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_group(app, pilot)
        dismissed = app.session.row(app.screen.group_id).group
        originals = [p for p in dismissed.paths if p.endswith("orig.jpg")]
        smaller = [p for p in dismissed.paths if p.endswith("small.jpg")]
        await pilot.press("d")
        await settle(app, pilot)
        together = [r for r in app.session.rows if {*originals, *smaller} <= set(r.group.paths)]
        assert not together
    with Library(catalog) as library:  # remembered in the catalog
        groups = library.groups().groups
        assert not [g for g in groups if {*originals, *smaller} <= set(g.paths)]


def test_the_app_ships_its_styles():
    import styles

    assert os.path.isfile(os.path.join(os.path.dirname(styles.__file__), "app.tcss"))
