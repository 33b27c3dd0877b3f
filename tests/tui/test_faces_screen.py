"""The faces screen driven with Textual's pilot on a real catalog: a row per photo saying how
many faces and open eyes were found (or none), the close-ups as previews, a file that changed
since the scan told as such, and escape back."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from textual.app import App
from textual.widgets import Static

from core.library import Library
from tests.images import save, scene
from tui.screens.faces import FacesScreen
from tui.widgets.preview import PhotoPreview

SIZE = (120, 40)


class FacesApp(App[None]):
    """Just enough of the app for the screen: the library and the preview mode."""

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library
        self.preview_mode = "unicode"


@pytest.fixture
def library(tmp_path) -> Library:
    data = pytest.importorskip("skimage.data")
    root = tmp_path / "photos"
    save(Image.fromarray(data.astronaut()), root / "astronaut.jpg")
    save(scene(3, (640, 480)), root / "scene.jpg")
    lib = Library(str(tmp_path / "catalog.sqlite3"))
    lib.scan([str(root)])
    yield lib
    lib.close()


def labels(app: App) -> list[str]:
    return [str(label.render()) for label in app.screen.query(".faces-label").results(Static)]


async def settle(app: App, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_each_photo_has_a_row_with_its_faces_and_escape_goes_back(library):
    photos = library.catalog.photos()
    assert [Path(p.path).name for p in photos] == ["astronaut.jpg", "scene.jpg"]
    app = FacesApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(FacesScreen(photos))
        screen = app.screen
        assert isinstance(screen, FacesScreen)
        await settle(app, pilot)
        assert labels(app) == [
            "astronaut.jpg: 1 face, 2 eyes open",
            "scene.jpg: no face found",
        ]
        title = str(screen.query_one("#faces-title", Static).render())
        assert title.startswith("Faces: close-ups of every face in the group")
        assert "finding faces" not in title and "1 face in 2 photos" in title
        rows = list(screen.query(".faces-row"))
        assert len(rows) == 2
        close_ups = list(rows[0].query(PhotoPreview))
        assert len(close_ups) == 1
        assert close_ups[0].reason is None  # a picture shows, not a placeholder
        assert close_ups[0].caption == "2 eyes open"
        assert not list(rows[1].query(PhotoPreview))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen
        assert not isinstance(app.screen, FacesScreen)


async def test_f_goes_back_too_and_a_changed_file_gives_its_reason(library):
    photos = library.catalog.photos()
    Path(photos[1].path).write_bytes(b"changed since the scan")
    app = FacesApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(FacesScreen(photos))
        screen = app.screen
        await settle(app, pilot)
        assert labels(app)[0] == "astronaut.jpg: 1 face, 2 eyes open"
        assert labels(app)[1] == "scene.jpg: gone or changed since the scan; scan again"
        await pilot.press("f")
        await pilot.pause()
        assert app.screen is not screen


async def test_only_the_first_six_photos_are_searched(library, tmp_path):
    photos = library.catalog.photos()
    many = [photos[1]] * 8
    app = FacesApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(FacesScreen(many))
        await settle(app, pilot)
        assert labels(app) == ["scene.jpg: no face found"] * 6
        title = str(app.screen.query_one("#faces-title", Static).render())
        assert "the first 6 of 8 photos" in title
