"""Faces: a close-up of every face found in the photos of a group, photo by photo, with how
many open eyes were found in each, to choose the frame where nobody blinks. Faces are found in
a worker (``Library.faces_of``), one photo after the other, so the first row shows while the
next is searched."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup, VerticalGroup, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from core.errors import PhotosiftError
from core.models import Photo
from tui.text import plain
from tui.thumbnails import Thumb
from tui.widgets.preview import PhotoPreview

if TYPE_CHECKING:
    from core.analysis.faces import FaceCrop

log = logging.getLogger(__name__)

MAX_PHOTOS = 6  # rows shown: the first photos of the group
MAX_FACES = 4  # close-ups shown per photo
TITLE = "Faces: close-ups of every face in the group"
FINDING = "finding faces…"


@dataclass
class FacesFound(Message):
    """The faces of the photo at ``index`` of the screen's list were looked for: ``count``
    faces with ``eyes_open`` open eyes in all, the first ones' close-ups in ``crops``, or
    ``reason`` why the photo could not be searched."""

    index: int
    count: int = 0
    eyes_open: int = 0
    crops: list[FaceCrop] = field(default_factory=list)
    reason: str | None = None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe(found: FacesFound) -> str:
    """What a photo's row says about its faces."""
    if found.reason is not None:
        return plain(found.reason)
    if not found.count:
        return "no face found"
    text = f"{_plural(found.count, 'face')}, {_plural(found.eyes_open, 'eye')} open"
    if found.count > len(found.crops):
        text += f" (the first {len(found.crops)} shown)"
    return text


class FacesScreen(Screen[None]):
    """Faces: close-ups of every face in the group, with the open eyes found in each"""

    DEFAULT_CSS = """
    FacesScreen .faces-crop { width: 26; height: 14; }
    """

    BINDINGS = [
        Binding("escape,f", "back", "Back", key_display="esc/f"),
    ]

    def __init__(self, photos: list[Photo]) -> None:
        super().__init__()
        self.all_photos = len(photos)
        self.photos = list(photos[:MAX_PHOTOS])
        self.found: dict[int, FacesFound] = {}

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="faces-title")
        with VerticalScroll(id="faces-rows"):
            for n, photo in enumerate(self.photos):
                with VerticalGroup(classes="faces-row", id=f"faces-row-{n}"):
                    yield Static(
                        f"{plain(os.path.basename(photo.path))}: {FINDING}",
                        classes="faces-label",
                        id=f"faces-label-{n}",
                    )
                    yield HorizontalGroup(classes="faces-crops", id=f"faces-crops-{n}")
        yield Footer()

    def on_mount(self) -> None:
        if self.photos:
            self.find_faces()

    @work(thread=True, exit_on_error=False)
    def find_faces(self) -> None:
        worker = get_current_worker()
        library = self.app.library  # type: ignore[attr-defined]
        for n, photo in enumerate(self.photos):
            if worker.is_cancelled:
                return
            try:
                crops = library.faces_of(photo)
            except PhotosiftError as exc:
                self.post_message(FacesFound(n, reason=str(exc) or type(exc).__name__))
                continue
            except Exception as exc:  # a decoder may raise anything on a broken file
                log.warning("could not look for faces in %r: %s", photo.path, exc)
                self.post_message(FacesFound(n, reason=f"unreadable: {exc}"))
                continue
            eyes = sum(crop.eyes_open for crop in crops)
            self.post_message(FacesFound(n, len(crops), eyes, crops[:MAX_FACES]))

    def on_faces_found(self, message: FacesFound) -> None:
        self.found[message.index] = message
        name = plain(os.path.basename(self.photos[message.index].path))
        label = self.query_one(f"#faces-label-{message.index}", Static)
        label.update(f"{name}: {describe(message)}")
        mode = self.app.preview_mode  # type: ignore[attr-defined]
        previews = []
        for crop in message.crops:
            preview = PhotoPreview(mode, classes="faces-crop")
            preview.show(Thumb(crop.image), f"{_plural(crop.eyes_open, 'eye')} open")
            previews.append(preview)
        if previews:
            self.query_one(f"#faces-crops-{message.index}", HorizontalGroup).mount_all(previews)
        self.query_one("#faces-title", Static).update(self._title())

    def _title(self) -> str:
        parts = [TITLE]
        if len(self.found) < len(self.photos):
            parts.append(FINDING)
        else:
            faces = sum(found.count for found in self.found.values())
            parts.append(f"{_plural(faces, 'face')} in {_plural(len(self.photos), 'photo')}")
        if self.all_photos > len(self.photos):
            parts.append(f"the first {len(self.photos)} of {self.all_photos} photos")
        return " · ".join(parts)

    def action_back(self) -> None:
        self.app.pop_screen()
