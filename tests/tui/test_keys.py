"""The keys of the groups, review and apply screens that ``test_app`` leaves out, driven with
Textual's pilot on a real catalog, each checked by what the screen shows or the catalog keeps.

The catalog (``key_photos``) has one group of each kind the keys tell apart:

* ``exact``: ``exact/a.jpg`` and its byte-identical copy ``exact/b.jpg`` (tier exact);
* ``s1``: ``s1/orig.jpg`` and a 75% ``s1/small.jpg`` (near), accepted before the app opens;
* ``ai``: ``s2/orig.jpg``, a 75% ``s2/small.jpg`` and a 2x ``s2/orig-gigapixel.jpg``, which
  the engine flags as AI-upscaled by its name (near);
* ``similar``: ``shots/one.jpg`` and a slightly blurred ``shots/two.jpg`` taken 40 s later
  (EXIF), another shot of the same scene (similar).
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from core.library import Library
from core.models.actions import Decision, Mode
from tests.images import blurred, exif_bytes, resized, save, scene
from tests.tui.test_app import SIZE, decisions, make_app, settle

# the members each group is known by (relative to the photos folder)
GROUPS = {
    "exact": ("exact/a.jpg", "exact/b.jpg"),
    "s1": ("s1/orig.jpg", "s1/small.jpg"),
    "ai": ("s2/orig-gigapixel.jpg", "s2/orig.jpg", "s2/small.jpg"),
    "similar": ("shots/one.jpg", "shots/two.jpg"),
}


def key_photos(root: Path) -> None:
    for seed in (1, 2):
        original = scene(seed, (320, 240))
        save(original, root / f"s{seed}/orig.jpg")
        save(resized(original, 0.75), root / f"s{seed}/small.jpg")
    save(resized(scene(2, (320, 240)), 2.0), root / "s2/orig-gigapixel.jpg")
    save(scene(4, (320, 240)), root / "exact/a.jpg")
    shutil.copyfile(root / "exact/a.jpg", root / "exact/b.jpg")
    shot = scene(5, (320, 240))
    save(shot, root / "shots/one.jpg", exif=exif_bytes(taken=datetime(2024, 5, 1, 10, 0, 0)))
    save(
        blurred(shot, 0.8),
        root / "shots/two.jpg",
        exif=exif_bytes(taken=datetime(2024, 5, 1, 10, 0, 40)),
    )


@pytest.fixture
def photos(tmp_path) -> Path:
    root = tmp_path / "photos"
    key_photos(root)
    return root


def group_ids(library: Library, root: Path) -> dict[str, int]:
    """name (as in GROUPS) -> the id of the group with exactly those members."""
    real = os.path.realpath(root)
    by_members = {
        tuple(os.path.relpath(p, real) for p in g.paths): g.id
        for g in library.groups().groups
        if g.id is not None
    }
    return {name: by_members[members] for name, members in GROUPS.items()}


@pytest.fixture
def catalog(tmp_path, photos) -> tuple[str, dict[str, int]]:
    """The scanned catalog with the ``s1`` group accepted, and the groups' ids."""
    db = str(tmp_path / "catalog.sqlite3")
    with Library(db) as library:
        library.scan([str(photos)])
        ids = group_ids(library, photos)
        assert not library.accept([ids["s1"]]).refused
    return db, ids


def shown_ids(app) -> set[int]:
    table = app.screen.query_one("#groups", DataTable)
    return {int(key.value) for key in table.rows}


def totals(app) -> str:
    return str(app.screen.query_one("#totals").render())


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


# -- groups: t, I, U, escape -----------------------------------------------------------------


async def test_t_cycles_the_tier_filter_through_every_tier(catalog, tmp_path):
    db, ids = catalog
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert shown_ids(app) == set(ids.values())
        assert "showing" not in totals(app)
        expected = [
            ("exact", {ids["exact"]}),
            ("near", {ids["s1"], ids["ai"]}),
            ("similar", {ids["similar"]}),
            ("burst", set()),
        ]
        for tier, wanted in expected:
            await pilot.press("t")
            await settle(app, pilot)
            assert shown_ids(app) == wanted, tier
            assert f"showing {len(wanted)}: {tier}" in totals(app)
            table = app.screen.query_one("#groups", DataTable)
            assert all(table.get_cell(str(i), "tier") == tier for i in wanted)
        await pilot.press("t")  # round again: every tier
        await settle(app, pilot)
        assert shown_ids(app) == set(ids.values())
        assert "showing" not in totals(app)


async def test_shift_i_shows_only_the_ai_flagged_groups(catalog, tmp_path):
    db, ids = catalog
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#groups", DataTable)
        assert table.get_cell(str(ids["ai"]), "flags") == "AI"
        await pilot.press("I")
        await settle(app, pilot)
        assert shown_ids(app) == {ids["ai"]}
        assert "showing 1: AI-flagged" in totals(app)
        await pilot.press("I")  # a toggle
        await settle(app, pilot)
        assert shown_ids(app) == set(ids.values())
        assert "showing" not in totals(app)


async def test_shift_u_hides_the_decided_groups_and_escape_clears_every_filter(catalog, tmp_path):
    db, ids = catalog
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "1 decided" in totals(app)
        await pilot.press("U")
        await settle(app, pilot)
        assert shown_ids(app) == set(ids.values()) - {ids["s1"]}
        assert "showing 3: undecided" in totals(app)
        await pilot.press("I")  # the filters add up
        await settle(app, pilot)
        assert shown_ids(app) == {ids["ai"]}
        assert "showing 1: undecided, AI-flagged" in totals(app)
        with Library(db) as library:  # kept in the catalog, for the next start
            kept = library.app_state()["filter"]
        assert kept["undecided"] is True and kept["ai"] is True
        await pilot.press("escape")
        await settle(app, pilot)
        assert shown_ids(app) == set(ids.values())
        assert "showing" not in totals(app)
        assert not app.session.filter.active
    with Library(db) as library:
        kept = library.app_state()["filter"]
    assert kept == {"text": "", "undecided": False, "ai": False, "tier": ""}


# -- review: j, k, D -------------------------------------------------------------------------


async def open_group(app, pilot, group_id: int) -> None:
    """Move the list's cursor down to ``group_id``, then open it."""
    await settle(app, pilot)
    for _ in range(len(app.session.rows)):
        if app.screen.current_id() == group_id:
            break
        await pilot.press("j")
    assert app.screen.current_id() == group_id
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.screen.__class__.__name__ == "ReviewScreen"
    assert app.screen.group_id == group_id


async def test_j_and_k_move_between_the_photos_of_the_group(catalog, tmp_path):
    db, ids = catalog
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_group(app, pilot, ids["ai"])
        screen = app.screen
        table = screen.query_one("#members", DataTable)
        names = [os.path.basename(p.path) for p in screen.members()]
        assert names == ["orig-gigapixel.jpg", "orig.jpg", "small.jpg"]
        assert screen.selected == 0  # the keep (orig.jpg) is on the left already
        assert text_of(app, "#selected-label") == "1/3: orig-gigapixel.jpg"
        for key, index in (("j", 1), ("j", 2), ("j", 0), ("k", 2), ("k", 1)):
            await pilot.press(key)
            await settle(app, pilot)
            assert screen.selected == index, key
            assert table.cursor_row == index
            assert text_of(app, "#selected-label") == f"{index + 1}/3: {names[index]}"
            assert text_of(app, "#review-meta").startswith(names[index])


async def test_shift_d_remembers_that_one_photo_is_not_a_duplicate(catalog, tmp_path, photos):
    db, ids = catalog
    real = os.path.realpath(photos)
    small = os.path.join(real, "s2/small.jpg")
    rest = {os.path.join(real, "s2/orig.jpg"), os.path.join(real, "s2/orig-gigapixel.jpg")}
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_group(app, pilot, ids["ai"])
        await pilot.press("j", "j")
        assert app.screen.members()[app.screen.selected].path == small
        await pilot.press("D")
        await settle(app, pilot)
        status = text_of(app, "#status")
        assert status == "small.jpg: not a duplicate of the others; remembered, and regrouped."
        # the review goes on with what is left of the group, without the photo
        shown = {p.path for p in app.screen.members()}
        assert shown == rest
        assert app.screen.query_one("#members", DataTable).row_count == 2
        assert not [r for r in app.session.rows if small in r.group.paths]
    with Library(db) as library:  # remembered in the catalog
        verdicts = library.catalog.verdicts()
        assert [v.group_id for v in verdicts] == [ids["ai"]]
        groups = library.groups().groups
        assert not [g for g in groups if small in g.paths]
        assert [set(g.paths) for g in groups if rest & set(g.paths)] == [rest]


async def test_shift_d_on_a_changed_group_says_nothing_was_remembered(catalog, tmp_path, photos):
    db, ids = catalog
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_group(app, pilot, ids["ai"])
        (photos / "s2/small.jpg").write_bytes(b"changed since the scan")
        await pilot.press("D")
        await settle(app, pilot)
        status = text_of(app, "#status")
        assert "changed or vanished since it was scanned" in status
        with Library(db) as library:
            assert library.catalog.verdicts() == []
        assert "remembered" not in status


async def test_c_opens_the_compare_with_regions_as_big_as_the_previews(catalog, tmp_path):
    db, ids = catalog
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_group(app, pilot, ids["ai"])
        await pilot.press("c")
        await settle(app, pilot)
        screen = app.screen
        assert screen.__class__.__name__ == "CompareScreen"
        preview = screen.query_one("#compare-0")
        wanted = (preview.size.width, preview.size.height * 2)  # unicode: 1x2 pixels a cell
        assert wanted[0] > 8
        sizes = {thumb.image.size for thumb in screen.regions.values() if thumb.image}
        assert sizes == {wanted}


# -- apply: e, t, r --------------------------------------------------------------------------


@pytest.fixture
def accepted(catalog) -> tuple[str, dict[str, int]]:
    """The catalog with every group accepted: four files marked backup."""
    db, ids = catalog
    with Library(db) as library:
        assert not library.accept().refused
    return db, ids


async def open_apply(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("x")
    await settle(app, pilot)
    assert app.screen.__class__.__name__ == "ApplyScreen"


async def type_folder(app, pilot, folder: str) -> None:
    """e, then ``folder`` typed over the one shown, then Enter. The tests run in ``tmp_path``
    and type short relative names (the app resolves them from the working folder): a key
    press takes the pilot tens of milliseconds, a whole temporary path seconds."""
    await pilot.press("e")
    box = app.screen.query_one("#backup-folder", Input)
    assert app.focused is box
    await pilot.press("home", "ctrl+k", *folder, "enter")
    await settle(app, pilot)
    assert box.value == folder


def targets(app) -> list[str]:
    table = app.screen.query_one("#plan", DataTable)
    return [str(table.get_cell(key, "to")) for key in table.rows]


async def test_e_edits_the_backup_folder_and_the_plan_follows(accepted, tmp_path, monkeypatch):
    db, _ = accepted
    monkeypatch.chdir(tmp_path)
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_apply(app, pilot)
        plan = app.screen.plan
        assert plan is not None and plan.files == 4
        assert plan.destination == os.path.realpath(tmp_path / "backup")
        await type_folder(app, pilot, "elsewhere")
        folder = os.path.realpath(tmp_path / "elsewhere")
        plan = app.screen.plan
        assert plan is not None and plan.files == 4 and plan.destination == folder
        assert all(m.target and m.target.startswith(folder + os.sep) for m in plan.moves)
        assert all(t.startswith(folder + os.sep) for t in targets(app))
        assert f"to {folder}." in text_of(app, "#apply-summary")
        assert app.focused is app.screen.query_one("#plan", DataTable)
    assert not os.path.exists(folder)  # planned, nothing moved


async def test_a_scanned_folder_is_refused_as_the_backup_folder(accepted, tmp_path, monkeypatch):
    db, _ = accepted
    monkeypatch.chdir(tmp_path)
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_apply(app, pilot)
        await type_folder(app, pilot, "photos")
        assert app.screen.plan is None
        summary = text_of(app, "#apply-summary")
        assert "cannot be the backup folder: it is or holds the scanned folder" in summary
        await pilot.press("g")  # nothing to apply: no question asked
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ApplyScreen"
        await type_folder(app, pilot, "backup")  # a good folder again
        assert app.screen.plan is not None and app.screen.plan.files == 4


async def test_a_file_is_refused_as_the_backup_folder(accepted, tmp_path, monkeypatch):
    db, _ = accepted
    (tmp_path / "notes.txt").write_text("not a folder")
    monkeypatch.chdir(tmp_path)
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_apply(app, pilot)
        await type_folder(app, pilot, "notes.txt")
        assert "cannot be the backup folder" in text_of(app, "#apply-summary")
        assert app.screen.plan is None


async def test_t_switches_between_backup_and_trash(accepted, tmp_path, photos):
    db, _ = accepted
    before = sorted(p for p in photos.rglob("*") if p.is_file())
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_apply(app, pilot)
        box = app.screen.query_one("#backup-folder", Input)
        assert text_of(app, "#apply-mode").startswith("backup · Move the files")
        await pilot.press("t")
        await settle(app, pilot)
        plan = app.screen.plan
        assert plan is not None and plan.mode is Mode.TRASH and plan.files == 4
        assert plan.destination is None and all(m.target is None for m in plan.moves)
        assert text_of(app, "#apply-mode") == "trash · Send the files marked backup to the trash."
        assert "to the trash. g applies" in text_of(app, "#apply-summary")
        assert targets(app) == ["trash"] * 4
        assert not box.display
        await pilot.press("e")  # no folder to edit for the trash
        assert app.focused is not box
        await pilot.press("t")
        await settle(app, pilot)
        plan = app.screen.plan
        assert plan is not None and plan.mode is Mode.BACKUP
        assert plan.destination == os.path.realpath(tmp_path / "backup")
        assert box.display and "backup · " in text_of(app, "#apply-mode")
    assert sorted(p for p in photos.rglob("*") if p.is_file()) == before
    with Library(db) as library:
        assert library.history() == []


async def test_r_plans_again_with_the_decisions_made_meanwhile(catalog, tmp_path, photos):
    db, ids = catalog
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_apply(app, pilot)
        plan = app.screen.plan
        assert plan is not None and plan.files == 1  # s1/small.jpg, of the one group accepted
        with Library(db) as library:  # decided elsewhere (the command line, say)
            assert not library.accept([ids["exact"]]).refused
        assert decisions(db)[os.path.join(os.path.realpath(photos), "exact/b.jpg")] is (
            Decision.BACKUP
        )
        assert app.screen.plan.files == 1  # the plan shown is not remade by itself
        await pilot.press("r")
        await settle(app, pilot)
        plan = app.screen.plan
        assert plan is not None and plan.files == 2
        assert {os.path.relpath(m.source, os.path.realpath(photos)) for m in plan.moves} == {
            "s1/small.jpg",
            "exact/b.jpg",
        }
        assert "2 files" in text_of(app, "#apply-summary")
