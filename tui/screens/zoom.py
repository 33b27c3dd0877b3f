"""Full screen: one photo as large as the terminal allows."""

from __future__ import annotations

import os

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from core.models import Photo
from tui.messages import ThumbnailReady
from tui.text import plain
from tui.widgets.preview import PhotoPreview


class ZoomScreen(Screen[None]):
    """Full screen: one photo, as large as the terminal allows"""

    BINDINGS = [
        Binding("escape,z", "back", "Back", key_display="esc/z"),
    ]

    def __init__(self, photo: Photo) -> None:
        super().__init__()
        self.photo = photo

    def compose(self) -> ComposeResult:
        yield Static(plain(os.path.basename(self.photo.path)), id="zoom-title")
        yield PhotoPreview(self.app.preview_mode, id="zoom-preview")  # type: ignore[attr-defined]
        yield Footer()

    def on_mount(self) -> None:
        cached = self.app.thumbs.cached(self.photo)  # type: ignore[attr-defined]
        self.query_one(PhotoPreview).show(cached)
        if cached is None:
            self.load()

    @work(thread=True, exit_on_error=False)
    def load(self) -> None:
        self.app.thumbs.load(self.photo)  # type: ignore[attr-defined]
        self.post_message(ThumbnailReady(self.photo.path))

    def on_thumbnail_ready(self, message: ThumbnailReady) -> None:
        self.query_one(PhotoPreview).show(self.app.thumbs.cached(self.photo))  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()
