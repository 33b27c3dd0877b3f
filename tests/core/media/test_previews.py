"""Previews for people: the small upright picture made from a reduced decode, and the 1:1 crop
of compare, checked against Pillow's own full decode."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps, JpegImagePlugin

from core.errors import AnalysisError
from core.media import previews
from tests.images import bomb_png, encoded, exif_bytes, save, scene


@pytest.fixture(scope="module")
def big_jpeg() -> bytes:
    """A 4000x3000 camera-size JPEG (upscaled from a small scene, which is quick to draw)."""
    return encoded(scene(7, (400, 300)).resize((4000, 3000), Image.BILINEAR), "JPEG", quality=85)


def full_decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def marked(size: tuple[int, int] = (90, 60)) -> Image.Image:
    """An image whose top-left quarter is red and the rest blue: its way up can be seen."""
    img = Image.new("RGB", size, (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    return img


def test_longest_side_is_bounded_and_the_shape_kept():
    data = encoded(scene(1, (1000, 300)), "PNG")
    small = previews.preview(io.BytesIO(data), 200)
    assert small.size == (200, 60)
    assert small.mode == "RGB"


def test_small_photo_is_not_enlarged():
    data = encoded(scene(2, (120, 90)), "JPEG")
    assert previews.preview(io.BytesIO(data), 640).size == (120, 90)


def test_exif_rotated_jpeg_comes_upright():
    # Stored sideways (60 wide, 90 high) with orientation 6: shown 90 wide, red top-left.
    stored = marked((90, 60)).transpose(Image.Transpose.ROTATE_90)
    data = encoded(stored, "JPEG", quality=95, exif=exif_bytes(orientation=6))
    small = previews.preview(io.BytesIO(data), 45)
    assert small.size == (45, 30)
    rgb = np.asarray(small).astype(int)
    assert rgb[5, 5, 0] > 200 and rgb[5, 5, 2] < 60  # top-left red
    assert rgb[25, 40, 2] > 200 and rgb[25, 40, 0] < 60  # bottom-right blue


def test_big_jpeg_is_decoded_at_a_reduced_dct_scale(big_jpeg, monkeypatch):
    drafts: list[tuple[tuple[int, int], tuple[int, int]]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = real_draft(self, mode, size)
        drafts.append((size, self.size))  # what was asked, and the size the decode will have
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    small = previews.preview(io.BytesIO(big_jpeg), 640)
    assert small.size == (640, 480)
    # 1/4 scale: the smallest whose long side (1000) is still at least 640; 1/8 would be 500.
    assert drafts == [((640, 480), (1000, 750))]


def test_reduced_preview_looks_like_the_full_decode(big_jpeg):
    small = previews.preview(io.BytesIO(big_jpeg), 400)
    reference = full_decode(big_jpeg).resize(small.size, Image.LANCZOS)
    diff = np.abs(np.asarray(small, np.int16) - np.asarray(reference, np.int16))
    assert diff.mean() < 3


def test_region_is_full_resolution_pixels_at_the_centre(big_jpeg):
    crop = previews.region(io.BytesIO(big_jpeg), (0.25, 0.5), (300, 200))
    assert crop.size == (300, 200)
    expected = full_decode(big_jpeg).crop((850, 1400, 1150, 1600))
    assert np.array_equal(np.asarray(crop), np.asarray(expected))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_region_of_a_turned_photo_is_cut_from_the_upright_image(orientation):
    data = encoded(scene(3, (160, 100)), "PNG", exif=exif_bytes(orientation=orientation))
    upright = full_decode(data)
    centre, size = (0.3, 0.7), (50, 30)
    box = previews.crop_box(upright.size, centre, size)
    crop = previews.region(io.BytesIO(data), centre, size)
    assert np.array_equal(np.asarray(crop), np.asarray(upright.crop(box)))


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_full_is_the_upright_photo_and_region_of_cuts_what_region_reads(orientation):
    data = encoded(
        scene(3, (160, 100)), "JPEG", quality=90, exif=exif_bytes(orientation=orientation)
    )
    whole = previews.full(io.BytesIO(data))
    assert whole.mode == "RGB"
    assert np.array_equal(np.asarray(whole), np.asarray(full_decode(data)))
    for centre, size in (((0.3, 0.7), (50, 30)), ((1.0, 0.0), (500, 20))):
        from_file = previews.region(io.BytesIO(data), centre, size)
        assert np.array_equal(
            np.asarray(previews.region_of(whole, centre, size)), np.asarray(from_file)
        )


@pytest.mark.parametrize(
    ("centre", "box"),
    [
        ((0.0, 0.0), (0, 0, 40, 30)),
        ((1.0, 1.0), (160, 70, 200, 100)),
        ((-3.0, 0.5), (0, 35, 40, 65)),
        ((0.5, 0.5), (80, 35, 120, 65)),
    ],
)
def test_region_is_clamped_inside_the_photo(centre, box):
    data = encoded(scene(4, (200, 100)), "PNG")
    crop = previews.region(io.BytesIO(data), centre, (40, 30))
    assert np.array_equal(np.asarray(crop), np.asarray(full_decode(data).crop(box)))


def test_region_larger_than_the_photo_is_the_whole_photo():
    data = encoded(scene(5, (60, 40)), "PNG")
    crop = previews.region(io.BytesIO(data), (0.9, 0.1), (500, 500))
    assert np.array_equal(np.asarray(crop), np.asarray(full_decode(data)))


def test_same_centre_shows_the_same_part_of_two_sizes_of_a_photo():
    base = scene(6, (400, 300)).resize((800, 600), Image.BILINEAR)
    small, large = encoded(base.resize((400, 300), Image.LANCZOS), "PNG"), encoded(base, "PNG")
    centre = (0.62, 0.35)
    from_small = previews.region(io.BytesIO(small), centre, (60, 60))
    from_large = previews.region(io.BytesIO(large), centre, (120, 120)).resize((60, 60))
    elsewhere = previews.region(io.BytesIO(large), (0.3, 0.7), (120, 120)).resize((60, 60))

    def distance(a: Image.Image, b: Image.Image) -> float:
        return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())

    assert distance(from_small, from_large) < 6
    assert distance(from_small, elsewhere) > 3 * distance(from_small, from_large)


def test_truncated_jpeg_raises_a_corrupt_reason(big_jpeg):
    with pytest.raises(AnalysisError) as raised:
        previews.preview(io.BytesIO(big_jpeg[: len(big_jpeg) // 2]), 320)
    assert raised.value.category == "corrupt"
    with pytest.raises(AnalysisError, match="^corrupt"):
        previews.region(io.BytesIO(big_jpeg[: len(big_jpeg) // 2]), (0.5, 0.5), (64, 64))


def test_garbage_after_a_jpeg_header_is_corrupt():
    with pytest.raises(AnalysisError, match="^corrupt"):
        previews.preview(io.BytesIO(b"\xff\xd8\xff\xe0" + bytes(200)), 320)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"hello, this is text\n", "not an image: text"), (b"", "not an image: empty file")],
)
def test_a_file_that_is_no_image_says_what_it_is(data, reason):
    with pytest.raises(AnalysisError) as raised:
        previews.preview(io.BytesIO(data), 320)
    assert raised.value.reason == reason


def test_a_decompression_bomb_is_too_large():
    with pytest.raises(AnalysisError, match="^too large: 30000x30000"):
        previews.preview(io.BytesIO(bomb_png()), 320)


def test_a_photo_above_the_limit_is_refused_with_its_size(tmp_path):
    path = save(scene(8, (200, 100)), tmp_path / "wide.png", "PNG")
    with open(path, "rb") as fh, pytest.raises(AnalysisError, match="^too large: 200x100"):
        previews.region(fh, (0.5, 0.5), (10, 10), max_pixels=10_000)


def test_transparency_is_shown_on_white():
    clear = Image.new("RGBA", (20, 10), (255, 0, 0, 0))
    small = previews.preview(io.BytesIO(encoded(clear, "PNG")), 10)
    assert small.mode == "RGB" and small.getpixel((5, 2)) == (255, 255, 255)
