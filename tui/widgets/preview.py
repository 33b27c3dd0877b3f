"""A photo's preview in the terminal: the one module of photosift that imports textual_image.

* Modes (``PreviewMode``): ``auto`` (textual_image's detection: Sixel, then Kitty, else
  half cells on a terminal, Unicode shades when not on one), ``kitty``, ``sixel``,
  ``halfcell``, ``unicode`` and ``off``. ``resolve_mode(cli_value)`` takes ``--preview``, else
  ``$PHOTOSIFT_PREVIEW``, else ``auto``; inside tmux ``auto`` becomes ``halfcell``, because
  Sixel shows an empty box and Kitty garbage there (no passthrough).
* ``prepare(mode)`` imports textual_image, whose import asks the terminal what it can draw:
  call it before ``App.run()`` (once Textual reads stdin the answers are lost). With ``off``
  it imports nothing.
* ``PhotoPreview(mode)`` shows a ``tui.thumbnails.Thumb`` (a small cached picture: textual_image
  decodes its source again on every repaint) with the mode's renderer, keeping the aspect
  ratio, or a text placeholder saying why there is no picture ("loading…", the reason of an
  unreadable, missing or changed file, "previews off"). ``show(thumb, caption)`` swaps what
  is shown in place; nothing is recomposed.

Parts, for ``styles/*.tcss`` (the few lines of DEFAULT_CSS below only keep the aspect ratio
and place the parts):

* ``PhotoPreview``: the widget; it has the class ``-placeholder`` while it shows no picture.
* ``.preview-image``: the textual_image widget (keep ``width: auto; height: auto``, or the
  picture is stretched).
* ``.preview-placeholder``: the text shown instead of a picture.
* ``.preview-caption``: a line under the picture (docked at the bottom); hidden when empty.

``halfcell`` and ``unicode`` render the same cells for the same picture and size on any
terminal, so tests and snapshots use them. Kitty writes its escapes straight to the real
stdout with random ids, and ``auto`` depends on the terminal: never use them in tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from tui.thumbnails import Thumb

ENV_VAR = "PHOTOSIFT_PREVIEW"
LOADING = "loading…"
OFF_TEXT = "previews off"


class PreviewMode(StrEnum):
    AUTO = "auto"
    KITTY = "kitty"
    SIXEL = "sixel"
    HALFCELL = "halfcell"
    UNICODE = "unicode"
    OFF = "off"


MODES = tuple(mode.value for mode in PreviewMode)


def parse_mode(value: str, source: str = "preview mode") -> PreviewMode:
    """``value`` as a PreviewMode (case and spaces ignored); ValueError naming the valid ones."""
    try:
        return PreviewMode(value.strip().lower())
    except ValueError:
        raise ValueError(
            f"{source}: {value!r} is not a preview mode; choose one of {', '.join(MODES)}"
        ) from None


def resolve_mode(cli_value: str | None, environ: Mapping[str, str] | None = None) -> PreviewMode:
    """The preview mode from ``--preview`` (``cli_value``), else ``$PHOTOSIFT_PREVIEW``, else
    ``auto``; ``auto`` inside tmux (``$TMUX`` set) is ``halfcell``."""
    env = os.environ if environ is None else environ
    if cli_value:
        mode = parse_mode(cli_value, "--preview")
    elif env.get(ENV_VAR, "").strip():
        mode = parse_mode(env[ENV_VAR], ENV_VAR)
    else:
        mode = PreviewMode.AUTO
    if mode is PreviewMode.AUTO and env.get("TMUX"):
        return PreviewMode.HALFCELL
    return mode


def prepare(mode: str) -> PreviewMode:
    """Run textual_image's terminal detection now, before the App starts (unless ``mode`` is
    ``off``). Returns the renderer the previews will use: for ``auto``, the one detected."""
    chosen = parse_mode(mode)
    if chosen is PreviewMode.OFF:
        return chosen
    import textual_image.widget  # noqa: F401 - the import queries the terminal
    from textual_image import renderable

    if chosen is not PreviewMode.AUTO:
        return chosen
    detected = {
        renderable.TGPImage: PreviewMode.KITTY,
        renderable.SixelImage: PreviewMode.SIXEL,
        renderable.HalfcellImage: PreviewMode.HALFCELL,
        renderable.UnicodeImage: PreviewMode.UNICODE,
    }
    return detected.get(renderable.Image, PreviewMode.AUTO)


def _image_widget(mode: PreviewMode) -> Widget:
    """An empty textual_image widget of the mode's renderer."""
    from textual_image import widget as images

    kind: Callable[..., Widget] = {
        PreviewMode.AUTO: images.Image,
        PreviewMode.KITTY: images.TGPImage,
        PreviewMode.SIXEL: images.SixelImage,
        PreviewMode.HALFCELL: images.HalfcellImage,
        PreviewMode.UNICODE: images.UnicodeImage,
    }[mode]
    return kind(None, classes="preview-image")


class PhotoPreview(Widget):
    """One photo's picture, or why there is none, and a caption line."""

    DEFAULT_CSS = """
    PhotoPreview { align: center middle; }
    PhotoPreview > .preview-image { width: auto; height: auto; }
    PhotoPreview > .preview-placeholder { width: 100%; height: 1fr; content-align: center middle; }
    PhotoPreview > .preview-caption { dock: bottom; width: 100%; height: auto; }
    """

    def __init__(
        self,
        mode: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.mode = parse_mode(mode)
        self.thumb: Thumb | None = None
        self.caption = ""
        self.reason: str | None = LOADING  # what the placeholder says; None: a picture shows
        self._image: Widget | None = None
        self._placeholder = Static(classes="preview-placeholder")
        self._caption = Static(classes="preview-caption")

    def compose(self) -> ComposeResult:
        if self.mode is not PreviewMode.OFF:
            self._image = _image_widget(self.mode)
            yield self._image
        yield self._placeholder
        yield self._caption

    def on_mount(self) -> None:
        self._update()

    def show(self, thumb: Thumb | None, caption: str = "") -> None:
        """Show ``thumb`` (None: it is being made) and ``caption``. Call on the UI thread."""
        self.thumb, self.caption = thumb, caption
        if self.is_mounted:
            self._update()

    def _update(self) -> None:
        self.reason = self._draw(self.thumb)
        placeholder = self.reason is not None
        self._placeholder.update(self.reason or "")
        self._placeholder.display = placeholder
        if self._image is not None:
            self._image.display = not placeholder
        self.set_class(placeholder, "-placeholder")
        self._caption.update(self.caption)
        self._caption.display = bool(self.caption)

    def _draw(self, thumb: Thumb | None) -> str | None:
        """Give the image widget the thumbnail's picture; the placeholder text if there is none."""
        picture = thumb.image if thumb is not None else None
        if self._image is None:
            return OFF_TEXT
        current = self._image.image  # type: ignore[attr-defined]
        if picture is None:
            if current is not None:
                self._image.image = None  # type: ignore[attr-defined]
            return LOADING if thumb is None else (thumb.reason or "no preview")
        if picture is current:
            return None
        try:
            picture.load()  # a lazily opened picture fails here, not in the middle of a paint
            self._image.image = picture  # type: ignore[attr-defined]
        except Exception as exc:  # Pillow raises many types on a broken picture
            self._image.image = None  # type: ignore[attr-defined]
            return f"unreadable: {exc}"
        return None
