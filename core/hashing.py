"""Fingerprints of a photo: the exact content hash and three 64-bit perceptual hashes.

All perceptual hashes are computed from one small grey thumbnail (``THUMB_SIZE`` squared,
squashed to a square, made from the reduced decode), which the catalog also keeps so later
stages can compare photos, or hash their mirrored and rotated variants, without decoding again.
Bit order follows imagehash: the first cell of the row-major bit grid is the most significant
bit. Pure numpy/OpenCV; must not import the store or any UI.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO

import cv2
import numpy as np

from core.models import Hashes

THUMB_SIZE = 64
HASH_BITS = 64
_CHUNK = 1 << 20

# OpenCV's DCT is orthonormal; scipy's unnormalised DCT-II (used by imagehash) weighs the
# first row and column sqrt(2) more. Matching it keeps the median split the same.
_DCT_WEIGHT = np.ones((8, 8), np.float32)
_DCT_WEIGHT[0, :] *= np.sqrt(2)
_DCT_WEIGHT[:, 0] *= np.sqrt(2)


def content_hash(fh: BinaryIO) -> str:
    """BLAKE2b-128 of the whole file, read from the start in 1 MiB chunks, as hex."""
    fh.seek(0)
    digest = hashlib.blake2b(digest_size=16)
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def grey_thumbnail(rgb: np.ndarray) -> np.ndarray:
    """The ``THUMB_SIZE`` x ``THUMB_SIZE`` uint8 grey thumbnail of an RGB (or grey) array."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    return cv2.resize(grey, (THUMB_SIZE, THUMB_SIZE), interpolation=cv2.INTER_AREA)


def _pack(bits: np.ndarray) -> int:
    return int.from_bytes(np.packbits(bits.ravel()).tobytes(), "big")


def average_hash(thumb: np.ndarray) -> int:
    """aHash: 8x8 block means, each bit set where the block is brighter than the mean."""
    small = cv2.resize(thumb, (8, 8), interpolation=cv2.INTER_AREA).astype(np.float32)
    return _pack(small > small.mean())


def difference_hash(thumb: np.ndarray) -> int:
    """dHash: a 9x8 image, each bit set where a pixel is brighter than its left neighbour."""
    small = cv2.resize(thumb, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    return _pack(small[:, 1:] > small[:, :-1])


def perceptual_hash(thumb: np.ndarray) -> int:
    """pHash: the 8x8 lowest frequencies of a 32x32 DCT, each bit set above their median."""
    small = cv2.resize(thumb, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8] * _DCT_WEIGHT
    return _pack(low > np.median(low))


def compute_hashes(thumb: np.ndarray) -> Hashes:
    return Hashes(
        ahash=average_hash(thumb),
        dhash=difference_hash(thumb),
        phash=perceptual_hash(thumb),
    )


def thumb_from_bytes(data: bytes) -> np.ndarray:
    """A stored thumbnail back as a ``THUMB_SIZE`` square uint8 array."""
    return np.frombuffer(data, np.uint8).reshape(THUMB_SIZE, THUMB_SIZE)


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit hashes."""
    return (a ^ b).bit_count()


def similarity(a: int, b: int) -> float:
    """1 - Hamming distance / 64: 1.0 for equal hashes, about 0.5 for unrelated photos."""
    return 1.0 - hamming(a, b) / HASH_BITS


def hamming_many(query: int, hashes: np.ndarray) -> np.ndarray:
    """Distances from one hash to an array of uint64 hashes, vectorised."""
    return np.bitwise_count(hashes ^ np.uint64(query)).astype(np.uint8)
