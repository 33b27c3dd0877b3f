"""Visual comparison of two photos from their stored grey thumbnails, no decoding needed.

Two steps, both on the ``THUMB_SIZE`` squared thumbnails the scan keeps:

* **Variant pHashes** find candidates. For each photo, the pHash of each of its 8 dihedral
  variants (rotations by 90 degrees, mirrors) in each of its ``VIEWS`` (centre crops scaled back
  up) is computed in one batch from the DCT of the zoomed thumbnails: mirroring and rotating
  an image only flips signs and transposes its DCT, so 8 orientations cost one transform.
  A copy that was mirrored, rotated or cut down at the borders is then within a few bits of
  one variant of its original.
* **Verification** decides. The thumbnail is aligned the way the best variant says, refined
  over small rotations, zooms and shifts, and compared by normalised cross-correlation, with
  flat dark borders (letterbox bars, the black corners of a rotation) left out of the
  comparison. 1.0 means identical; re-saves, resizes, crops and edits of one photo score
  above about 0.94, different photos below about 0.8.

Pure numpy/OpenCV; must not import the store or any UI.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.analysis.hashing import low_frequencies, phash_bits
from core.analysis.masks import content_mask

# The views of a photo that are hashed: (zoom, angle): the centre ``zoom`` of the thumbnail
# scaled back up, turned ``angle`` degrees. Zooms catch copies cut down at the borders, the
# turned views copies straightened by a few degrees (and cropped to hide the corners).
VIEWS = ((1.0, 0.0), (0.92, 0.0), (0.85, 0.0), (0.78, 0.0), (0.95, 3.0), (0.95, -3.0))
CENTRE_VIEW = 3  # the view that leaves out the edges (watermarks, bars, frames)
DIHEDRAL = 8  # k < 4: rotated k quarter turns anticlockwise; k >= 4: then mirrored
VARIANTS = len(VIEWS) * DIHEDRAL
FLAT_STD = 3.0  # a thumbnail this uniform (blank, black) is matched only by content hash

_MARGIN = 5  # pixels at the thumbnail's edge left out of every correlation
_FULL = np.ones((64, 64), np.float32)
_MIN_OVERLAP = 0.35  # at least this share of the thumbnail must be compared

_V = np.arange(8)
_FLIP_COLUMNS = np.where(_V % 2 == 1, -1.0, 1.0)[None, :]  # mirror: odd horizontal freqs


@dataclass(frozen=True, slots=True)
class Alignment:
    """How photo A must be transformed to look like photo B: dihedral ``k``, then zoomed into
    its centre by ``zoom`` and turned by ``angle`` degrees."""

    k: int = 0
    zoom: float = 1.0
    angle: float = 0.0

    @classmethod
    def from_variant(cls, index: int) -> Alignment:
        zoom, angle = VIEWS[index // DIHEDRAL]
        k = index % DIHEDRAL
        # the variant turned the view, then mirrored it; mirroring first turns the other way
        return cls(k=k, zoom=zoom, angle=angle if k < 4 else -angle)


def dihedral(thumb: np.ndarray, k: int) -> np.ndarray:
    """Variant ``k`` of an image: ``k % 4`` quarter turns anticlockwise, mirrored if k >= 4."""
    turned = np.rot90(thumb, k % 4)
    return np.ascontiguousarray(turned[:, ::-1] if k >= 4 else turned)


def _dihedral_block(low: np.ndarray, k: int) -> np.ndarray:
    """The DCT block of ``dihedral(image, k)`` from the DCT block of the image."""
    for _ in range(k % 4):  # np.rot90 == transpose of the left-right mirror
        low = np.swapaxes(low * _FLIP_COLUMNS, -1, -2)
    return low * _FLIP_COLUMNS if k >= 4 else low


def warp(image: np.ndarray, zoom: float = 1.0, angle: float = 0.0, shift=(0.0, 0.0)):
    """``image`` zoomed in by 1/``zoom`` about its centre, rotated by ``angle`` degrees
    (anticlockwise) and shifted, same size, edges reflected."""
    size = image.shape[0]
    centre = (size - 1) / 2.0
    matrix = cv2.getRotationMatrix2D((centre, centre), angle, 1.0 / zoom)
    matrix[:, 2] += shift
    return cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def variant_phashes(thumbs: np.ndarray) -> np.ndarray:
    """pHashes of every variant of a stack of thumbnails (n, 64, 64) -> (n, VARIANTS) uint64;
    column ``i`` is ``Alignment.from_variant(i)``. Column 0 is the plain pHash."""
    thumbs = np.asarray(thumbs, dtype=np.float32)
    zooms = tuple(zoom for zoom, angle in VIEWS if not angle)
    turned = [np.stack([warp(t, zoom, angle) for t in thumbs]) for zoom, angle in VIEWS if angle]
    low = np.concatenate(
        [low_frequencies(thumbs, zooms)] + [low_frequencies(t) for t in turned], axis=1
    )  # (n, views, 8, 8), in the order of VIEWS (zoom-only views come first)
    blocks = np.stack([_dihedral_block(low, k) for k in range(DIHEDRAL)], axis=2)
    return phash_bits(blocks).reshape(len(thumbs), VARIANTS)


def is_flat(thumb: np.ndarray) -> bool:
    return float(np.std(thumb)) < FLAT_STD


@dataclass(frozen=True, slots=True)
class Prepared:
    """A thumbnail ready for correlation: smoothed, as float, with its content mask."""

    image: np.ndarray
    mask: np.ndarray

    @property
    def full(self) -> bool:
        return bool(self.mask.min() == 1.0)


def prepare(thumb: np.ndarray) -> Prepared:
    image = cv2.GaussianBlur(np.asarray(thumb, np.float32), (0, 0), 1.0)
    return Prepared(image=image, mask=content_mask(thumb))


def correlation(a: np.ndarray, mask_a: np.ndarray, b: Prepared) -> float:
    """Normalised cross-correlation of ``a`` and ``b`` over both masks, inside the margin."""
    weight = mask_a * b.mask
    weight[:_MARGIN] = weight[-_MARGIN:] = 0
    weight[:, :_MARGIN] = weight[:, -_MARGIN:] = 0
    total = float(weight.sum())
    if total < _MIN_OVERLAP * weight.size:
        return 0.0
    da = (a - float((a * weight).sum()) / total) * weight
    db = (b.image - float((b.image * weight).sum()) / total) * weight
    denominator = float(np.sqrt((da * da).sum() * (db * db).sum()))
    return float((da * db).sum()) / denominator if denominator > 1e-6 else 0.0


def compare(
    a: Prepared,
    b: Prepared,
    alignment: Alignment = Alignment(),
    floor: float = 0.5,
    target: float | None = None,
) -> float:
    """How alike A and B look (0..1) when A is aligned to B, searching small turns
    (+-3 degrees), zooms (+-4%) and shifts (+-2 px) around ``alignment``.

    The search is quick (views, then shifts, twice), and exhaustive over all combinations
    only when that leaves the figure just short of ``target``, where the decision lies. It
    gives up early when A, as aligned, is below ``floor``: on the benchmark corpora the
    search never added more than 0.15 to that first figure."""
    base_image = dihedral(a.image, alignment.k)
    base_mask = None if a.full else dihedral(a.mask, alignment.k)

    def score(zoom: float, angle: float, shift=(0.0, 0.0)) -> float:
        image = warp(base_image, zoom, angle, shift)
        if base_mask is None:
            return correlation(image, _FULL, b)
        mask = (warp(base_mask, zoom, angle, shift) > 0.99).astype(np.float32)
        return correlation(image, mask, b)

    best = score(alignment.zoom, alignment.angle)
    if best >= _GOOD_ENOUGH or best < floor:
        return best
    views = [
        (zoom, angle)
        for zoom in (alignment.zoom, alignment.zoom * 0.96, alignment.zoom * 1.04)
        for angle in (alignment.angle, alignment.angle - 3.0, alignment.angle + 3.0)
    ]
    view, shift = views[0], (0.0, 0.0)
    for _ in range(2):  # coordinate ascent: the best view at this shift, then the best shift
        for candidate in views:
            found = score(*candidate, shift)
            if found > best:
                best, view = found, candidate
        for offset in _SHIFTS:
            moved = (shift[0] + offset[0], shift[1] + offset[1])
            found = score(*view, moved)
            if found > best:
                best, shift = found, moved
        if best >= _GOOD_ENOUGH:
            return best
    if target is not None and target - _CLOSE_CALL <= best < target:
        for candidate in views:
            for offset in _SHIFTS:
                best = max(best, score(*candidate, offset))
    return best


_SHIFTS = [(dx, dy) for dx in (-2.0, 0.0, 2.0) for dy in (-2.0, 0.0, 2.0) if dx or dy]
_GOOD_ENOUGH = 0.985  # stop searching: nothing found later would change a decision
_CLOSE_CALL = 0.15  # this far short of a target, every combination is tried
