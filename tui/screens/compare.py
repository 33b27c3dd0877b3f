"""Compare at 1:1: the same part of two photos side by side at full resolution, to judge
sharpness and noise the way one does in a photo editor's compare view. The arrow keys move
the part shown. A worker decodes the two photos whole once (with "loading…" shown); each move
then cuts the two regions from those pictures, also in a worker, while the last regions stay
on screen. The pictures are let go when the screen closes."""

from __future__ import annotations

import os

from PIL.Image import Image as PILImage
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from core.errors import PhotosiftError
from core.models import Photo
from tui.messages import ThumbnailReady
from tui.text import plain
from tui.thumbnails import Thumb
from tui.widgets.preview import PhotoPreview

_STEP = 0.1  # of the photo's width or height, per key press


class CompareScreen(Screen[None]):
    """Compare at 1:1: the same part of two photos at full resolution"""

    BINDINGS = [
        Binding("left,h", "move(-1, 0)", "Left", key_display="←/h"),
        Binding("right,l", "move(1, 0)", "Right", key_display="→/l"),
        Binding("up,k", "move(0, -1)", "Up", key_display="↑/k"),
        Binding("down,j", "move(0, 1)", "Down", key_display="↓/j"),
        Binding("escape,c", "back", "Back", key_display="esc/c"),
    ]

    def __init__(self, keep: Photo, other: Photo) -> None:
        super().__init__()
        self.photos = (keep, other)
        self.centre = (0.5, 0.5)
        self.regions: dict[str, Thumb] = {}
        self.pictures: dict[str, PILImage | str] = {}  # path -> decoded whole, or why not

    def compose(self) -> ComposeResult:
        mode = self.app.preview_mode  # type: ignore[attr-defined]
        yield Static("", id="compare-title")
        with Horizontal(id="compare-row"):
            for n, photo in enumerate(self.photos):
                with Vertical(classes="review-side"):
                    label = "keep" if n == 0 else "other"
                    yield Static(
                        f"{label}: {plain(os.path.basename(photo.path))} "
                        f"({photo.width}x{photo.height})",
                        classes="review-label",
                    )
                    yield PhotoPreview(mode, id=f"compare-{n}")
        yield Footer()

    def on_mount(self) -> None:
        # the regions are as big as the previews: wait until the layout has sized them
        self.call_after_refresh(self.refresh_regions)

    def on_resize(self) -> None:
        if self.is_mounted and self.pictures:
            self.call_after_refresh(self.refresh_regions)

    def region_size(self) -> tuple[int, int]:
        """Pixels per side of the region: as many as the preview can show at 1:1."""
        preview = self.query_one("#compare-0", PhotoPreview)
        cols, rows = max(preview.size.width, 8), max(preview.size.height, 4)
        mode = self.app.preview_mode  # type: ignore[attr-defined]
        if mode in ("halfcell", "unicode"):
            return cols, rows * 2
        return cols * 10, rows * 20  # a graphics protocol: about 10x20 pixels per cell

    def refresh_regions(self) -> None:
        x, y = self.centre
        decoded = all(p.path in self.pictures for p in self.photos)
        self.query_one("#compare-title", Static).update(
            f"1:1 around {x:.0%} across, {y:.0%} down · arrows move"
            + ("" if decoded else " · loading…")
        )
        if not decoded:
            for n in range(2):
                self.query_one(f"#compare-{n}", PhotoPreview).show(None)
        self.load_regions(self.centre, self.region_size())

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_regions(self, centre: tuple[float, float], size: tuple[int, int]) -> None:
        library = self.app.library  # type: ignore[attr-defined]
        for photo in self.photos:
            picture = self.pictures.get(photo.path)
            if picture is None:
                try:
                    picture = library.full_picture(photo)
                except PhotosiftError as exc:
                    picture = str(exc)
                self.pictures[photo.path] = picture
            if isinstance(picture, str):
                thumb = Thumb(None, picture)
            else:
                thumb = Thumb(library.region_of(picture, centre, size), None)
            self.regions[photo.path] = thumb
            self.post_message(ThumbnailReady(photo.path))

    def on_thumbnail_ready(self, message: ThumbnailReady) -> None:
        for n, photo in enumerate(self.photos):
            if photo.path == message.path:
                self.query_one(f"#compare-{n}", PhotoPreview).show(self.regions.get(photo.path))
        if all(p.path in self.regions for p in self.photos):
            x, y = self.centre
            self.query_one("#compare-title", Static).update(
                f"1:1 around {x:.0%} across, {y:.0%} down · arrows move the region"
            )

    def action_move(self, dx: int, dy: int) -> None:
        x, y = self.centre
        self.centre = (min(1.0, max(0.0, x + dx * _STEP)), min(1.0, max(0.0, y + dy * _STEP)))
        self.regions.clear()
        self.refresh_regions()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.pictures.clear()
