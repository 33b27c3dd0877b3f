"""Variant hashes and thumbnail verification: the DCT shortcut for orientations agrees with
hashing the turned image, alignments map back correctly, and the comparison tells copies from
different photos while ignoring letterbox bars."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from core.analysis import hashing
from core.matching import similarity
from tests.images import scene


def thumb(img: Image.Image) -> np.ndarray:
    return hashing.grey_thumbnail(np.asarray(img.convert("RGB")))


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    return thumb(scene(8, (640, 480)))


def test_first_variant_is_the_plain_phash(base):
    assert int(similarity.variant_phashes(base[None])[0, 0]) == hashing.perceptual_hash(base)


@pytest.mark.parametrize("aspect", [1.0, 1.5, 0.75])
@pytest.mark.parametrize("index", range(similarity.VARIANTS))
def test_each_variant_hashes_the_image_it_describes(base, index, aspect):
    alignment = similarity.Alignment.from_variant(index, aspect)
    image = similarity.warp(base.astype(np.float32), alignment.as_array())
    variants = similarity.variant_phashes(base[None], np.array([aspect]))[0]
    assert hashing.hamming(int(variants[index]), hashing.perceptual_hash(image)) <= 2


def test_dihedral_variants_of_a_turned_photo_find_the_original(base):
    original = hashing.perceptual_hash(base)
    for k in range(similarity.DIHEDRAL):
        turned = similarity.dihedral(base, k)
        variants = similarity.variant_phashes(turned[None])[0]
        assert (
            int(np.bitwise_count(variants[: similarity.DIHEDRAL] ^ np.uint64(original)).min()) == 0
        )


@pytest.mark.parametrize("k", range(similarity.DIHEDRAL))
def test_orientation_matrices_are_the_dihedral_turns(base, k):
    warped = similarity.warp(base.astype(np.float32), similarity.orientation(k))
    assert np.abs(warped - similarity.dihedral(base, k)).max() < 1e-3


def test_views_stay_inside_the_photo_and_the_turned_ones_keep_its_proportions():
    for aspect in (0.5, 0.75, 1.0, 1.5, 2.0):
        for column in range(similarity.VARIANTS):
            assert similarity.Alignment.from_variant(column, aspect).inside
    # a turned view of a 3:2 photo, measured in the photo's own pixels, is a 3:2 rectangle
    view = next(v for v in similarity.VIEWS if v.angle == 9.0)
    m = view.matrix(1.5)
    corners = m @ np.array([[0, 1, 0], [0, 0, 1], [1, 1, 1.0]])
    across = (corners[:2, 1] - corners[:2, 0]) * [1.5, 1.0]
    down = (corners[:2, 2] - corners[:2, 0]) * [1.5, 1.0]
    assert abs(float(across @ down)) < 1e-9  # still square corners
    assert np.linalg.norm(across) / np.linalg.norm(down) == pytest.approx(1.5)


def test_a_crop_from_one_side_hashes_near_its_window():
    photo = scene(8, (960, 640))
    crop = photo.crop((int(960 * 0.3), 0, 960, 640))  # 30% cut from the left
    variants = similarity.variant_phashes(thumb(photo)[None], np.array([1.5]))[0]
    plain = hashing.perceptual_hash(thumb(crop))
    assert int(np.bitwise_count(variants ^ np.uint64(plain)).min()) <= 8
    assert hashing.hamming(int(variants[0]), plain) > 12


def test_copies_compare_high_and_different_photos_low(base):
    prepared = similarity.prepare(base)
    assert similarity.compare(prepared, prepared) == pytest.approx(1.0)
    mirrored = similarity.prepare(thumb(ImageOps.mirror(scene(8, (640, 480)))))
    assert similarity.compare(prepared, mirrored, similarity.Alignment.turned(4)) > 0.98
    other = similarity.prepare(thumb(scene(9, (640, 480))))
    assert similarity.compare(prepared, other) < 0.85


def test_letterbox_bars_are_left_out_of_the_comparison():
    photo = scene(8, (640, 480))
    boxed = Image.new("RGB", (640, 480), "black")
    inner = photo.crop((100, 0, 540, 480))
    boxed.paste(inner, (100, 0))  # the middle of the photo between black bars
    bars = similarity.content_mask(thumb(boxed))
    assert bars[:, :8].max() == 0 and bars[:, -8:].max() == 0 and bars[:, 20:44].min() == 1
    plain = similarity.prepare(thumb(photo))
    assert similarity.compare(plain, similarity.prepare(thumb(boxed))) > 0.95


def test_dark_textured_photo_is_not_taken_for_bars():
    rng = np.random.default_rng(1)
    night = np.clip(rng.normal(10, 6, (64, 64)), 0, 255).astype(np.uint8)
    assert similarity.content_mask(night).min() == 1.0


def test_blank_images_are_flat():
    assert similarity.is_flat(np.full((64, 64), 255, np.uint8))
    assert not similarity.is_flat(thumb(scene(1, (64, 48))))


def smooth_photo(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A sky-like photo: a vertical gradient with faint mottling of its own (clouds, haze) a
    few percent of the picture across."""
    rng = np.random.default_rng(seed)
    w, h = size
    sky = np.linspace(230, 90, h)[:, None] * np.ones((1, w))
    mottle = np.asarray(
        Image.fromarray(rng.integers(0, 256, (h // 16, w // 16), dtype=np.uint8)).resize(
            size, Image.BICUBIC
        ),
        np.float64,
    )
    grey = sky + (mottle - 128) * 0.25
    return Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8)).convert("RGB")


def verified(a: Image.Image, b: Image.Image, needed: float = 0.85) -> float:
    from core.matching import verify

    pa, pb = similarity.prepare(thumb(a)), similarity.prepare(thumb(b))
    return verify.verify_pair(pa, pb, (similarity.PLAIN,), needed)


def test_two_smooth_photos_alike_only_in_their_shading_are_not_linked():
    a, b = smooth_photo(1), smooth_photo(2)
    pa, pb = similarity.prepare(thumb(a)), similarity.prepare(thumb(b))
    assert similarity.compare(pa, pb) > 0.85  # overall, the gradients correlate
    assert verified(a, b) < 0.85  # their detail does not


def test_a_copy_of_a_smooth_photo_is_still_linked():
    a = smooth_photo(1)
    small = a.resize((320, 240), Image.BILINEAR)
    buffer = __import__("io").BytesIO()
    small.save(buffer, "JPEG", quality=70)
    copy = Image.open(buffer)
    brighter = a.point(lambda v: min(255, int(v * 1.1)))
    assert verified(a, copy) >= 0.85
    assert verified(a, brighter) >= 0.85


def test_a_view_of_a_uniform_area_correlates_with_nothing(base):
    # a photo white but for a corner, seen through a zoom into its white part: the pixels
    # compared barely vary, and their sums must not cancel into a figure above 1
    white = np.full((64, 64), 254, np.uint8)
    white[:12, :12] = base[:12, :12]
    white[20:, 20:] += (np.arange(44) % 2).astype(np.uint8)[None, :]  # a faint weave
    zoom = similarity.Alignment.of(np.array([[0.6, 0.0, 0.4], [0.0, 0.6, 0.4], [0.0, 0.0, 1.0]]))
    a, b = similarity.prepare(white), similarity.prepare(base)
    figures = similarity.first_figures(a, b, [zoom, similarity.PLAIN])
    assert figures[0] == 0.0
    assert all(-1.0 <= f <= 1.0 for f in figures)
    assert similarity.compare(a, b, zoom, target=0.85) < 0.85
