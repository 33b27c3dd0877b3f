"""Face close-ups on a real face (scikit-image's astronaut): the faces ``detect`` counts, each
cut out of the upright photo with a margin, at most FACE_CROP_SIDE pixels, with its open eyes,
in reading order; none on a photo without faces; upright on an EXIF-rotated JPEG."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from core.analysis.faces import FACE_CROP_SIDE, FaceCrop, crops, detect
from core.errors import AnalysisError
from tests.images import encoded, exif_bytes, scene


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    data = pytest.importorskip("skimage.data")
    return Image.fromarray(data.astronaut())


def jpeg(img: Image.Image, **kw) -> io.BytesIO:
    return io.BytesIO(encoded(img, "JPEG", quality=92, **kw))


def only(found: list[FaceCrop]) -> FaceCrop:
    assert len(found) == 1, [face.box for face in found]
    return found[0]


def margin_box(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, ...]:
    left, top, right, bottom = box
    dx, dy = round((right - left) * 0.2), round((bottom - top) * 0.2)
    return max(0, left - dx), max(0, top - dy), min(size[0], right + dx), min(size[1], bottom + dy)


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two pictures, the second brought to the first's size."""
    b = b.convert("RGB").resize(a.size, Image.Resampling.LANCZOS)
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


def test_the_astronauts_face_is_cut_out_with_a_margin(astronaut):
    face = only(crops(jpeg(astronaut)))
    left, top, right, bottom = face.box
    assert 0 <= left < right <= astronaut.width and 0 <= top < bottom <= astronaut.height
    assert 60 <= right - left <= 200  # a face, not the whole photo or a speck
    assert 160 < (left + right) / 2 < 290 and 60 < (top + bottom) / 2 < 170  # her face
    assert face.image.mode == "RGB"
    assert max(face.image.size) <= FACE_CROP_SIDE
    # the close-up is the face box and about 20% around it, at full resolution here
    expected = margin_box(face.box, astronaut.size)
    assert face.image.size == (expected[2] - expected[0], expected[3] - expected[1])
    assert face.image.width > (right - left) * 1.3
    assert difference(face.image, astronaut.crop(expected)) < 6
    # and a face is found again in it
    assert detect(jpeg(face.image)).count == 1


def test_the_open_eyes_are_those_detect_counts(astronaut):
    face = only(crops(jpeg(astronaut)))
    found = detect(jpeg(astronaut))
    assert face.eyes_open == found.eyes_open == 2


def test_a_large_photo_gives_a_close_up_of_at_most_the_crop_side(astronaut):
    # three times larger: the working copy is smaller than the photo, the face box is not
    big = astronaut.resize((astronaut.width * 3, astronaut.height * 3), Image.Resampling.LANCZOS)
    face = only(crops(jpeg(big)))
    small = only(crops(jpeg(astronaut)))
    assert max(face.image.size) == FACE_CROP_SIDE
    for coordinate, reference in zip(face.box, small.box, strict=True):
        assert abs(coordinate - 3 * reference) <= 15
    assert difference(face.image, big.crop(margin_box(face.box, big.size))) < 6


def test_a_mirrored_photo_gives_the_mirrored_close_up(astronaut):
    face = only(crops(jpeg(astronaut)))
    mirrored = only(crops(jpeg(ImageOps.mirror(astronaut))))
    left, top, right, bottom = face.box
    m_left, m_top, m_right, m_bottom = mirrored.box
    width = astronaut.width
    tolerance = (right - left) // 10
    assert abs(m_left - (width - right)) <= tolerance
    assert abs(m_right - (width - left)) <= tolerance
    assert abs(m_top - top) <= tolerance and abs(m_bottom - bottom) <= tolerance
    assert mirrored.eyes_open == face.eyes_open
    source = ImageOps.mirror(astronaut)
    region = source.crop(margin_box(mirrored.box, source.size))
    assert difference(mirrored.image, region) < 6
    assert difference(mirrored.image, ImageOps.mirror(region)) > 15  # not the unmirrored face


def test_a_photo_without_faces_gives_none():
    assert crops(jpeg(scene(5, (800, 600)))) == []


def test_an_exif_rotated_jpeg_gives_upright_close_ups(astronaut):
    # wider than high, so that a wrong turn shows in the sizes too
    upright = scene(7, (800, 512))
    upright.paste(astronaut, (0, 0))
    plain = only(crops(jpeg(upright)))
    # stored turned a quarter to the left; orientation 6 says "turn right to show"
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    assert stored.size == (512, 800)
    turned = only(crops(jpeg(stored, exif=exif_bytes(orientation=6))))
    for coordinate, reference in zip(turned.box, plain.box, strict=True):
        assert abs(coordinate - reference) <= 10
    assert turned.eyes_open == plain.eyes_open == 2
    region = upright.crop(margin_box(turned.box, upright.size))
    assert difference(turned.image, region) < 8
    assert difference(turned.image, region.transpose(Image.Transpose.ROTATE_90)) > 15


def test_faces_come_in_reading_order(astronaut):
    # four astronauts, the top right one a little lower than the top left one
    sheet = Image.new("RGB", (1024, 1100), (128, 128, 128))
    places = [(0, 0), (512, 40), (0, 560), (512, 560)]
    for place in places:
        sheet.paste(astronaut, place)
    found = crops(jpeg(sheet))
    assert len(found) == 4
    centres = [((f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2) for f in found]
    assert centres[0][0] < 512 and centres[0][1] < 550  # top left
    assert centres[1][0] > 512 and centres[1][1] < 550  # top right
    assert centres[2][0] < 512 and centres[2][1] > 550  # bottom left
    assert centres[3][0] > 512 and centres[3][1] > 550  # bottom right
    assert sum(f.eyes_open for f in found) == detect(jpeg(sheet)).eyes_open


def test_a_file_that_is_no_image_says_so():
    with pytest.raises(AnalysisError, match="not an image"):
        crops(io.BytesIO(b"hello, these are not pixels\n" * 20))


def test_a_truncated_jpeg_says_it_is_corrupt(astronaut):
    data = encoded(astronaut, "JPEG", quality=92)
    with pytest.raises(AnalysisError, match="corrupt"):
        crops(io.BytesIO(data[: len(data) // 2]))
