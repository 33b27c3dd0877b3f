"""The preview widget in a tiny app (half cells: the same cells on any terminal), and how the
preview mode is chosen."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image
from textual.app import App, ComposeResult
from textual.geometry import Region

from tui.thumbnails import Thumb
from tui.widgets.preview import LOADING, OFF_TEXT, PhotoPreview, PreviewMode, prepare, resolve_mode


class PreviewApp(App[None]):
    def __init__(self, mode: str, first: Thumb | None = None) -> None:
        super().__init__()
        self.mode = mode
        self.first = first

    def compose(self) -> ComposeResult:
        preview = PhotoPreview(self.mode, id="preview")
        if self.first is not None:
            preview.show(self.first, "given before mounting")
        yield preview


def red_and_blue(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """Left half red, right half blue."""
    img = Image.new("RGB", size, (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return img


def cells(widget) -> list[list[tuple[str, str]]]:
    """Each cell row of ``widget`` as (text, style) segments."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [[(seg.text, str(seg.style)) for seg in line] for line in lines]


def visible(preview: PhotoPreview, part: str) -> bool:
    return preview.query_one(f".{part}").display


async def test_halfcell_preview_shows_the_picture_then_a_placeholder():
    app = PreviewApp("halfcell")
    async with app.run_test(size=(60, 20)) as pilot:
        preview = app.query_one(PhotoPreview)
        assert preview.reason == LOADING and visible(preview, "preview-placeholder")

        preview.show(Thumb(red_and_blue()), "photo.jpg · 80x40")
        await pilot.pause()
        image = preview.query_one(".preview-image")
        assert visible(preview, "preview-image") and not visible(preview, "preview-placeholder")
        assert not preview.has_class("-placeholder")
        assert str(preview.query_one(".preview-caption").render()) == "photo.jpg · 80x40"
        # The aspect ratio is kept: 2:1 pixels in 10x20-pixel cells is 4 times wider than high.
        assert image.size.width == 4 * image.size.height
        row = cells(image)[image.size.height // 2]
        left, right = row[0][1], row[-1][1]
        assert "#ff0000" in left and "#0000ff" in right

        preview.show(Thumb(None, "corrupt: truncated file"))
        await pilot.pause()
        assert preview.reason == "corrupt: truncated file"
        assert visible(preview, "preview-placeholder") and not visible(preview, "preview-image")
        assert "corrupt: truncated file" in str(preview.query_one(".preview-placeholder").render())
        assert preview.has_class("-placeholder")
        assert not visible(preview, "preview-caption")

        preview.show(None)
        await pilot.pause()
        assert preview.reason == LOADING


async def test_halfcell_output_is_the_same_every_time():
    outputs = []
    for _ in range(2):
        app = PreviewApp("halfcell")
        async with app.run_test(size=(40, 16)) as pilot:
            preview = app.query_one(PhotoPreview)
            preview.show(Thumb(red_and_blue((64, 48))))
            await pilot.pause()
            outputs.append(cells(preview.query_one(".preview-image")))
    assert outputs[0] == outputs[1] and outputs[0]


async def test_a_picture_that_cannot_be_decoded_shows_a_placeholder(tmp_path):
    path = tmp_path / "broken.png"
    Image.new("RGB", (40, 40), (9, 9, 9)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    lazy = Image.open(path)  # opened, not decoded: the decode fails
    app = PreviewApp("unicode")
    async with app.run_test(size=(40, 16)) as pilot:
        preview = app.query_one(PhotoPreview)
        preview.show(Thumb(lazy))
        await pilot.pause()
        assert preview.reason is not None and preview.reason.startswith("unreadable:")
        assert not visible(preview, "preview-image")


async def test_previews_off_show_only_text():
    app = PreviewApp("off")
    async with app.run_test(size=(40, 10)) as pilot:
        preview = app.query_one(PhotoPreview)
        preview.show(Thumb(red_and_blue()), "photo.jpg")
        await pilot.pause()
        assert preview.reason == OFF_TEXT
        assert not preview.query(".preview-image")


async def test_a_thumb_given_before_mounting_is_shown_on_mount():
    app = PreviewApp("halfcell", Thumb(None, "gone or changed since the scan; scan again"))
    async with app.run_test(size=(60, 10)):
        preview = app.query_one(PhotoPreview)
        assert preview.reason == "gone or changed since the scan; scan again"
        assert visible(preview, "preview-placeholder") and visible(preview, "preview-caption")


@pytest.mark.parametrize(
    ("cli", "env", "mode"),
    [
        (None, {}, PreviewMode.AUTO),
        ("sixel", {"PHOTOSIFT_PREVIEW": "kitty"}, PreviewMode.SIXEL),
        (None, {"PHOTOSIFT_PREVIEW": " Unicode "}, PreviewMode.UNICODE),
        (None, {"PHOTOSIFT_PREVIEW": ""}, PreviewMode.AUTO),
        (None, {"TMUX": "socket,1234,0"}, PreviewMode.HALFCELL),
        ("auto", {"TMUX": "x", "PHOTOSIFT_PREVIEW": "off"}, PreviewMode.HALFCELL),
        (None, {"TMUX": "x", "PHOTOSIFT_PREVIEW": "sixel"}, PreviewMode.SIXEL),
        ("off", {"TMUX": "x"}, PreviewMode.OFF),
    ],
)
def test_resolve_mode_reads_the_option_then_the_environment(cli, env, mode):
    assert resolve_mode(cli, env) is mode
    assert resolve_mode(cli, env) == mode.value  # the app compares it with plain strings


def test_resolve_mode_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("PHOTOSIFT_PREVIEW", "halfcell")
    monkeypatch.delenv("TMUX", raising=False)
    assert resolve_mode(None) is PreviewMode.HALFCELL


@pytest.mark.parametrize(("cli", "env"), [("colour", {}), (None, {"PHOTOSIFT_PREVIEW": "ascii"})])
def test_an_invalid_mode_is_refused_with_the_valid_ones(cli, env):
    with pytest.raises(ValueError) as raised:
        resolve_mode(cli, env)
    message = str(raised.value)
    assert all(m in message for m in ("auto", "kitty", "sixel", "halfcell", "unicode", "off"))
    assert ("--preview" if cli else "PHOTOSIFT_PREVIEW") in message


def test_an_invalid_mode_is_refused_by_the_widget():
    with pytest.raises(ValueError, match="halfcell"):
        PhotoPreview("colour")


def test_prepare_reports_the_renderer():
    assert prepare("off") is PreviewMode.OFF
    assert prepare("halfcell") is PreviewMode.HALFCELL
    if sys.__stdout__ is not None and not sys.__stdout__.isatty():
        # Not on a terminal (pytest captures stdout), auto detection picks Unicode shades.
        assert prepare("auto") is PreviewMode.UNICODE


def test_textual_image_is_imported_only_when_previews_are_on():
    code = (
        "import sys\n"
        "from tui.widgets.preview import prepare\n"
        "before = 'textual_image' in sys.modules\n"
        "prepare('off')\n"
        "off = 'textual_image' in sys.modules\n"
        "prepare('unicode')\n"
        "print(before, off, 'textual_image' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.stdout.split() == ["False", "False", "True"]
