"""The picture's box inside uniform borders (``core.analysis.content``), found on the scan's
64x64 grey thumbnail of real-looking photos, JPEG-encoded as they would be on disk."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from core.analysis.content import content_box, content_share
from core.analysis.hashing import THUMB_SIZE, grey_thumbnail
from tests.images import encoded, scene


def thumb(img: Image.Image) -> np.ndarray:
    """What the scan keeps of ``img``: decoded from a JPEG, as a 64x64 grey thumbnail."""
    with Image.open(io.BytesIO(encoded(img, "JPEG", quality=85))) as im:
        return grey_thumbnail(np.asarray(im.convert("RGB")))


def framed(img: Image.Image, share: tuple[float, float, float, float], colour) -> Image.Image:
    """``img`` with a border of ``colour``: (left, top, right, bottom) shares of its size."""
    w, h = img.size
    border = tuple(round(s * (w if i % 2 == 0 else h)) for i, s in enumerate(share))
    return ImageOps.expand(img, border=border, fill=colour)


def expected_box(share, size=(640, 480)) -> tuple[int, int, int, int]:
    left, top, right, bottom = share
    w, h = size
    total_w, total_h = w * (1 + left + right), h * (1 + top + bottom)
    k = THUMB_SIZE
    return (
        round(k * w * left / total_w),
        round(k * h * top / total_h),
        round(k * (w * (1 + left)) / total_w),
        round(k * (h * (1 + top)) / total_h),
    )


@pytest.mark.parametrize(
    ("colour", "share"),
    [
        ("white", (0.1, 0.1, 0.1, 0.1)),
        ("black", (0.0, 0.15, 0.0, 0.15)),  # letterbox bars
        ((230, 200, 40), (0.05, 0.05, 0.05, 0.2)),  # a coloured frame, deeper at the bottom
        ((128, 128, 128), (0.08, 0.0, 0.0, 0.0)),  # one side only
    ],
)
def test_a_border_of_any_colour_is_not_picture(colour, share):
    img = framed(scene(3), share, colour)
    box = content_box(thumb(img))
    want = expected_box(share)
    assert all(abs(a - b) <= 1 for a, b in zip(box, want, strict=True)), (box, want)


def test_a_mat_inside_a_frame_is_trimmed_too():
    matted = framed(scene(4), (0.05,) * 4, "white")
    img = framed(matted, (0.05,) * 4, (20, 20, 20))
    left, top, right, bottom = content_box(thumb(img))
    # the picture is 1/(1.1*1.1) of each side: about 52 of 64 thumbnail pixels
    assert 51 <= right - left <= 55 and 51 <= bottom - top <= 55


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8])
def test_a_photo_without_a_border_is_all_picture(seed):
    assert content_share(thumb(scene(seed))) == 1.0


def test_a_sky_that_fades_slowly_is_picture():
    rows = np.linspace(235, 150, 480)[:, None, None]  # a clear sky, lighter at the top
    sky = np.broadcast_to(rows * np.array([0.55, 0.75, 1.0]), (480, 640, 3))
    img = np.array(sky, dtype=np.uint8)
    img[300:] = np.asarray(scene(6, (640, 180)))  # the land below it
    assert content_share(thumb(Image.fromarray(img))) == 1.0


def test_an_image_of_one_colour_is_all_picture():
    assert content_box(np.full((64, 64), 250, np.uint8)) == (0, 0, 64, 64)


def test_a_border_that_would_leave_almost_nothing_is_refused():
    img = framed(scene(3, (120, 90)), (1.0, 1.0, 1.0, 1.0), "white")  # picture: 1/9 of it
    assert content_share(thumb(img)) == 1.0
