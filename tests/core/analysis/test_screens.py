"""Where the picture is in a screenshot of a photo shown in an app, and that an ordinary
photo, a padded one and a studio shot are not taken for screenshots."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.analysis import hashing
from core.analysis.content import WHOLE, picture_box, screen_box
from tests.families import FAMILIES, family_rng
from tests.images import scene


def rgb(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"))


def found(pixels: np.ndarray) -> tuple[tuple[float, float, float, float], bool]:
    """The box the scan finds (from the photo, its reduced grey image and its thumbnail),
    and whether it found a screenshot."""
    small = hashing.reduced(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY))
    return picture_box(pixels, small, hashing.grey_thumbnail(small))


def box_of(pixels: np.ndarray) -> tuple[float, float, float, float]:
    return found(pixels)[0]


def screenshot_of(
    seed: int, photo: int, size: tuple[int, int]
) -> tuple[Image.Image, tuple[float, float, float, float]]:
    """A fixture screenshot of scene ``photo`` and the box (fractions) the photo is in."""
    made = FAMILIES["screenshot"].make(scene(photo, size), family_rng(seed, 0, "screenshot"))
    shot = Image.open(io.BytesIO(made.encoded())).convert("RGB")
    x0, y0, x1, y1 = made.params["box"]
    return shot, (x0 / shot.width, y0 / shot.height, x1 / shot.width, y1 / shot.height)


def assert_found(pixels: np.ndarray, truth: tuple[float, float, float, float]) -> None:
    box, screenshot = found(pixels)
    assert screenshot
    assert max(abs(a - b) for a, b in zip(box, truth, strict=True)) < 0.02


@pytest.mark.parametrize("seed", range(8))
def test_the_photo_in_a_screenshot_is_found_to_within_two_percent(seed: int) -> None:
    shot, truth = screenshot_of(seed, seed + 3, (960, 640) if seed % 2 == 0 else (640, 900))
    assert_found(rgb(shot), truth)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_an_ordinary_photo_is_all_picture(seed: int) -> None:
    photo = rgb(scene(seed, (900, 600)))
    assert screen_box(photo) is None
    # (the border check may take a thumbnail line of flat backdrop for a border)
    box, screenshot = found(photo)
    assert not screenshot
    assert box == pytest.approx(WHOLE, abs=0.04)


def test_a_padded_photo_is_its_picture() -> None:
    padded = Image.new("RGB", (1000, 700), "white")
    padded.paste(scene(5, (900, 600)), (50, 50))
    box = box_of(rgb(padded))
    assert box == pytest.approx((0.05, 50 / 700, 0.95, 650 / 700), abs=0.02)


def test_a_product_on_a_white_backdrop_is_not_a_screenshot() -> None:
    studio = Image.new("RGB", (900, 900), "white")
    ImageDraw.Draw(studio).ellipse((250, 150, 650, 800), fill=(180, 40, 40))  # a bottle
    assert screen_box(rgb(studio)) is None


@pytest.mark.parametrize("colour", ["white", "black", (200, 30, 30)])
@pytest.mark.parametrize("share", [0.02, 0.05])
def test_a_thin_frame_of_any_colour_is_not_picture(colour: object, share: float) -> None:
    # a frame of 2% is thinner than one pixel of the 64x64 thumbnail on a camera-size photo
    width, height = 2000, 1400
    side = round(share * width)
    framed = Image.new("RGB", (width + 2 * side, height + 2 * side), colour)  # type: ignore[arg-type]
    framed.paste(scene(5, (width, height)), (side, side))
    across, down = side / framed.width, side / framed.height
    expected = (across, down, 1 - across, 1 - down)
    assert box_of(rgb(framed)) == pytest.approx(expected, abs=0.006)


@pytest.mark.parametrize("side", [4, 9, 30])
def test_a_small_mark_on_a_plain_backdrop_is_all_picture(side: int) -> None:
    # a plain backdrop with one small textured mark: no screenshot, and no failure on a
    # mark only a few pixels across
    pixels = np.full((450, 600, 3), 128, np.uint8)
    rng = np.random.default_rng(side)
    pixels[200 : 200 + side, 300 : 300 + side + 3] = rng.integers(0, 256, (side, side + 3, 3))
    assert found(pixels) == (WHOLE, False)


def foggy_pier() -> np.ndarray:
    """A photo whose top third is a foggy sky, flat to the eye (it darkens gently towards
    the horizon), with two lamp posts seen against it, above a textured pier whose near
    edge is in deep shadow."""
    width, height, horizon, shadow = 1200, 800, 280, 760
    pixels = rgb(scene(4, (width, height))).copy()
    shade = np.linspace(146.0, 156.0, horizon)[:, None, None]
    pixels[:horizon] = np.round(np.broadcast_to(shade, (horizon, width, 3))).astype(np.uint8)
    dark = np.linspace(30.0, 36.0, height - shadow)[:, None, None]
    pixels[shadow:] = np.round(np.broadcast_to(dark, (height - shadow, width, 3))).astype(np.uint8)
    for x in (420, 660):
        pixels[40:240, x : x + 30] = 60
    return pixels


def test_a_photographed_sky_is_not_an_apps_background() -> None:
    assert screen_box(foggy_pier()) is None
    assert not found(foggy_pier())[1]


@pytest.mark.parametrize("quality", [60, 85])
def test_a_screenshot_saved_as_jpeg_is_still_found(quality: int) -> None:
    shot, truth = screenshot_of(3, 7, (960, 640))
    buffer = io.BytesIO()
    shot.save(buffer, "JPEG", quality=quality)
    assert_found(rgb(Image.open(io.BytesIO(buffer.getvalue()))), truth)
