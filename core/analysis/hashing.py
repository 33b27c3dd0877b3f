"""Fingerprints of a photo: the exact content hash and three 64-bit perceptual hashes.

All perceptual hashes are computed from one small grey thumbnail (``THUMB_SIZE`` squared,
squashed to a square, made from the reduced decode), which the catalog also keeps so later
stages can compare photos, or hash their mirrored and rotated variants, without decoding again.
Bit order follows imagehash: the first cell of the row-major bit grid is the most significant
bit. Pure numpy/OpenCV; must not import the store or any UI.
"""

from __future__ import annotations

import functools
import hashlib
from typing import BinaryIO

import cv2
import numpy as np

from core.models import Hashes

THUMB_SIZE = 64
REDUCED_SIDE = 256  # the reduced grey image the scan works on (``reduced``)
HASH_BITS = 64
_CHUNK = 1 << 20

# pHash keeps the 8x8 lowest frequencies of a 32x32 orthonormal DCT-II of the thumbnail (box-
# reduced 2x2). imagehash uses scipy's unnormalised DCT, which weighs the first row and column
# sqrt(2) more; matching it keeps the median split the same. Reduction, DCT and any centred zoom
# are linear, so each becomes one 8x64 matrix and a batch of hashes costs two matrix products.
_DCT_SIZE, _LOW = 32, 8
_u = np.arange(_LOW)[:, None]
_x = np.arange(_DCT_SIZE)[None, :]
# (The orthonormal first row would be 1/sqrt(2) of this; leaving that out is the weighting.)
_DCT_ROWS = np.sqrt(2.0 / _DCT_SIZE) * np.cos(np.pi * (2 * _x + 1) * _u / (2 * _DCT_SIZE))
_HALVE = np.kron(np.eye(_DCT_SIZE), [0.5, 0.5])  # 32x64: mean of each pair of pixels


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


def reduced(grey: np.ndarray) -> np.ndarray:
    """``grey`` at most ``REDUCED_SIDE`` pixels on its longer side, in its own proportions
    (area-averaged). Shrinking a camera-size photo costs about as much as any later step,
    so the scan shrinks it once, here, and makes the thumbnail and finds the picture's box
    from this."""
    height, width = grey.shape[:2]
    scale = REDUCED_SIDE / max(height, width)
    if scale >= 1.0:
        return grey
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


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


def _span_matrix(start: float, length: float) -> np.ndarray:
    """Rows of bilinear weights that enlarge the span [``start``, ``start`` + ``length``] of a
    row (in fractions of its length) back to full length."""
    source = (start + (np.arange(THUMB_SIZE) + 0.5) / THUMB_SIZE * length) * THUMB_SIZE - 0.5
    source = np.clip(source, 0.0, THUMB_SIZE - 1.0)
    lower = np.clip(np.floor(source).astype(int), 0, THUMB_SIZE - 2)
    weight = source - lower
    matrix = np.zeros((THUMB_SIZE, THUMB_SIZE))
    rows = np.arange(THUMB_SIZE)
    matrix[rows, lower] = 1.0 - weight
    matrix[rows, lower + 1] += weight
    return matrix


@functools.cache
def _projection(start: float, length: float) -> np.ndarray:
    return _DCT_ROWS @ _HALVE @ _span_matrix(start, length)


def span_projection(start: float, length: float) -> np.ndarray:
    """The 8x64 matrix that takes a thumbnail's line to the weighted low frequencies of its
    span [``start``, ``start`` + ``length``] (fractions), enlarged to the full line."""
    return _projection(round(start, 6), round(length, 6))


def low_frequencies(thumbs: np.ndarray, zooms: tuple[float, ...] = (1.0,)) -> np.ndarray:
    """The weighted 8x8 low-frequency DCT blocks of a stack of ``THUMB_SIZE`` square
    thumbnails (n, 64, 64), each first zoomed into its centre by each of ``zooms``; returns
    shape (n, len(zooms), 8, 8). Block [u, v]: u counts vertical, v horizontal frequency."""
    boxes = tuple(((1 - z) / 2, (1 - z) / 2, (1 + z) / 2, (1 + z) / 2) for z in zooms)
    return low_frequencies_of_boxes(thumbs, boxes)


def low_frequencies_of_boxes(
    thumbs: np.ndarray, boxes: tuple[tuple[float, float, float, float], ...]
) -> np.ndarray:
    """Like ``low_frequencies``, of the ``boxes`` (left, top, right, bottom, in fractions)
    of each thumbnail, each enlarged to the full square: shape (n, len(boxes), 8, 8)."""
    stack = np.asarray(thumbs, dtype=np.float64).reshape(-1, THUMB_SIZE, THUMB_SIZE)
    count = len(stack)
    lines = stack.reshape(-1, THUMB_SIZE)
    out = np.empty((count, len(boxes), _LOW, _LOW))
    across: dict[tuple[float, float], np.ndarray] = {}  # boxes with one span share this step
    for index, (left, top, right, bottom) in enumerate(boxes):
        right_ = across.get((left, right))
        if right_ is None:
            columns = span_projection(left, right - left)  # (8, 64)
            right_ = (lines @ columns.T).reshape(count, THUMB_SIZE, _LOW)
            right_ = across[(left, right)] = right_.transpose(1, 0, 2).reshape(THUMB_SIZE, -1)
        rows = span_projection(top, bottom - top)
        both = rows @ right_  # (8, n*8)
        out[:, index] = both.reshape(_LOW, count, _LOW).transpose(1, 0, 2)
    return out


def phash_bits(low: np.ndarray) -> np.ndarray:
    """pHashes (uint64) of a stack of 8x8 blocks: each bit set above the block's median."""
    flat = low.reshape(*low.shape[:-2], _LOW * _LOW)
    bits = flat > np.median(flat, axis=-1, keepdims=True)
    packed = np.packbits(bits, axis=-1)  # 8 bytes per hash, first bit most significant
    return packed.view(">u8")[..., 0].astype(np.uint64)


def perceptual_hash(thumb: np.ndarray) -> int:
    """pHash: the 8x8 lowest frequencies of a 32x32 DCT, each bit set above their median."""
    return int(phash_bits(low_frequencies(thumb))[0, 0])


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
