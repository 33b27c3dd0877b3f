"""Perceptual and content hashes: variants of a photo stay close, unrelated photos stay far,
bit order and 64-bit values are what the catalog and later stages rely on."""

from __future__ import annotations

import hashlib
import io
import itertools

import numpy as np
import pytest
from PIL import Image, ImageOps

from core.analysis import hashing
from core.media import imaging
from core.models import Hashes
from tests.images import blurred, encoded, resized, scene


def hashes_of(img: Image.Image, fmt: str = "JPEG", **kw) -> Hashes:
    """Hashes of ``img`` after encoding it as ``fmt`` and decoding it the way a scan does."""
    decoded = imaging.decode(io.BytesIO(encoded(img, fmt, **kw)), fmt)
    return hashing.compute_hashes(hashing.grey_thumbnail(decoded.rgb))


@pytest.fixture(scope="module")
def originals() -> list[Image.Image]:
    return [scene(seed, (1024, 768)) for seed in (11, 12, 13)]


VARIANTS = {
    "jpeg q70": lambda im: (im, "JPEG", {"quality": 70}),
    "jpeg q35": lambda im: (im, "JPEG", {"quality": 35}),
    "50% resize": lambda im: (resized(im, 0.5), "JPEG", {"quality": 90}),
    "25% thumbnail": lambda im: (resized(im, 0.25), "JPEG", {"quality": 80}),
    "lossless png": lambda im: (im, "PNG", {}),
    "webp q75": lambda im: (im, "WEBP", {"quality": 75}),
    "slight blur": lambda im: (blurred(im, 1.5), "JPEG", {"quality": 90}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_re_encodes_and_resizes_stay_within_a_few_bits(originals, variant):
    for original in originals:
        reference = hashes_of(original, quality=95)
        img, fmt, kw = VARIANTS[variant](original)
        copy = hashes_of(img, fmt, **kw)
        assert hashing.hamming(reference.phash, copy.phash) <= 4
        assert hashing.hamming(reference.dhash, copy.dhash) <= 6
        assert hashing.hamming(reference.ahash, copy.ahash) <= 6


def test_unrelated_photos_are_far_apart():
    hashes = [hashes_of(scene(seed, (512, 384))) for seed in range(20)]
    distances = [hashing.hamming(a.phash, b.phash) for a, b in itertools.combinations(hashes, 2)]
    assert min(distances) > 12
    assert np.median(distances) >= 26  # about half of 64 bits, as for random hashes


def test_mirror_changes_the_plain_hash_a_lot(originals):
    # Why grouping must hash orientation variants: a mirror is "unrelated" to a plain pHash.
    original = originals[0]
    mirrored = hashes_of(ImageOps.mirror(original), quality=95)
    assert hashing.hamming(hashes_of(original, quality=95).phash, mirrored.phash) > 16


def test_bit_order_puts_the_first_cell_in_the_top_bit():
    top_bright = np.zeros((hashing.THUMB_SIZE, hashing.THUMB_SIZE), np.uint8)
    top_bright[: hashing.THUMB_SIZE // 2] = 200
    assert hashing.average_hash(top_bright) == 0xFFFF_FFFF_0000_0000
    left_to_right = np.tile(np.arange(hashing.THUMB_SIZE, dtype=np.uint8) * 4, (64, 1))
    assert hashing.difference_hash(left_to_right) == 2**64 - 1
    assert hashing.difference_hash(left_to_right[:, ::-1].copy()) == 0


def test_hashes_are_deterministic_golden_values():
    thumb = hashing.grey_thumbnail(np.asarray(scene(5, (320, 240))))
    assert hashing.compute_hashes(thumb) == hashing.compute_hashes(thumb.copy())
    assert hashing.compute_hashes(thumb) == Hashes(
        ahash=0xC7E7E6E6E6E6E658, dhash=0x0C8E8E8E8E8E8ED1, phash=0xF5B68AB40AE50ACB
    )


def test_hashes_use_all_64_bits():
    values = [hashes_of(scene(seed, (256, 192))) for seed in range(12)]
    assert any(h.phash >= 2**63 for h in values)  # top bit used: the store must keep it
    assert all(0 <= v < 2**64 for h in values for v in (h.ahash, h.dhash, h.phash))


def test_distance_helpers_agree():
    rng = np.random.default_rng(3)
    many = rng.integers(0, 2**64, 50, dtype=np.uint64)
    query = int(many[7])
    vectorised = hashing.hamming_many(query, many)
    assert [int(d) for d in vectorised] == [hashing.hamming(query, int(h)) for h in many]
    assert vectorised[7] == 0
    assert hashing.similarity(query, query) == 1.0
    assert hashing.similarity(0, 2**64 - 1) == 0.0
    assert hashing.similarity(0, 0xFF) == pytest.approx(1 - 8 / 64)


def test_content_hash_is_blake2b_of_the_whole_file():
    data = encoded(scene(1, (300, 200)))
    expected = hashlib.blake2b(data, digest_size=16).hexdigest()
    fh = io.BytesIO(data)
    fh.read(10)  # content_hash rewinds: the analyser has already read the header
    assert hashing.content_hash(fh) == expected
    changed = bytearray(data)
    changed[-3] ^= 1
    assert hashing.content_hash(io.BytesIO(bytes(changed))) != expected


def test_thumbnail_round_trips_through_bytes():
    thumb = hashing.grey_thumbnail(np.asarray(scene(2, (200, 100))))
    assert thumb.shape == (hashing.THUMB_SIZE, hashing.THUMB_SIZE)
    assert np.array_equal(hashing.thumb_from_bytes(thumb.tobytes()), thumb)
