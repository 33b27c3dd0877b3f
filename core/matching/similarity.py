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

from core.analysis.hashing import THUMB_SIZE, low_frequencies_of_boxes, phash_bits
from core.analysis.masks import content_mask

Box = tuple[float, float, float, float]  # left, top, right, bottom, in fractions


@dataclass(frozen=True, slots=True)
class View:
    """A part of a photo that is hashed, the way a copy might show it: ``box`` (fractions of
    the photo) turned ``angle`` degrees about its centre, in the photo's own proportions.
    ``square`` takes the photo's centred square instead of ``box``; ``fit`` the largest box
    of the photo's proportions that stays inside it once turned. ``turns``: hashed in all 8
    orientations (mirrored and quarter-turned copies), else upright only."""

    box: Box = (0.0, 0.0, 1.0, 1.0)
    angle: float = 0.0
    turns: bool = False
    square: bool = False
    fit: bool = False

    def resolved(self, aspect: float) -> Box:
        """The box for a photo ``aspect`` (width / height) wide."""
        if self.square:
            if aspect >= 1.0:
                side = 1.0 / aspect
                return ((1 - side) / 2, 0.0, (1 + side) / 2, 1.0)
            return (0.0, (1 - aspect) / 2, 1.0, (1 + aspect) / 2)
        if self.fit:
            sin, cos = abs(np.sin(np.radians(self.angle))), np.cos(np.radians(self.angle))
            scale = min(aspect / (aspect * cos + sin), 1.0 / (aspect * sin + cos))
            return ((1 - scale) / 2, (1 - scale) / 2, (1 + scale) / 2, (1 + scale) / 2)
        return self.box

    def matrix(self, aspect: float) -> np.ndarray:
        """The 3x3 map from the view's normalised coordinates to the photo's."""
        left, top, right, bottom = self.resolved(aspect)
        centre = ((left + right) / 2, (top + bottom) / 2)
        return (
            _shift(*centre)
            @ _turn(self.angle, aspect)
            @ np.diag([right - left, bottom - top, 1.0])
            @ _shift(-0.5, -0.5)
        )


def _zoom(z: float, turns: bool = True) -> View:
    return View(((1 - z) / 2, (1 - z) / 2, (1 + z) / 2, (1 + z) / 2), turns=turns)


def _side_windows(keep: float) -> tuple[View, ...]:
    cut = 1.0 - keep
    return tuple(
        View(box) for box in ((0, 0, keep, 1), (cut, 0, 1, 1), (0, 0, 1, keep), (0, cut, 1, 1))
    )


# The views of a photo that are hashed: the whole photo and centre crops in every orientation
# (re-saves, resizes, mirrored and turned copies, copies cut down at the borders), turned
# views straightened by a few degrees and cropped to hide the corners, and, upright only,
# crops people make: from one side, the centred square, and boxes towards a corner.
VIEWS = (
    _zoom(1.0),
    _zoom(0.92),
    _zoom(0.85),
    _zoom(0.78),
    View(angle=3.0, fit=True, turns=True),
    View(angle=-3.0, fit=True, turns=True),
    View(angle=6.0, fit=True),
    View(angle=-6.0, fit=True),
    View(angle=9.0, fit=True),
    View(angle=-9.0, fit=True),
    *_side_windows(0.85),
    *_side_windows(0.7),
    *_side_windows(0.58),
    View(square=True),
    *(View((x0, y0, x0 + 0.8, y0 + 0.8)) for x0 in (0.0, 0.2) for y0 in (0.0, 0.2)),
    *(
        View((x0, y0, x0 + 0.7, y0 + 0.7))
        for x0 in (0.0, 0.15, 0.3)
        for y0 in (0.0, 0.15, 0.3)
        if (x0, y0) != (0.15, 0.15)
    ),
)
CENTRE_VIEW = 3  # the view that leaves out the edges (watermarks, bars, frames)
DIHEDRAL = 8  # k < 4: rotated k quarter turns anticlockwise; k >= 4: then mirrored
COLUMNS = tuple(
    (v, k) for v, view in enumerate(VIEWS) for k in (range(DIHEDRAL) if view.turns else (0,))
)  # each hash column: (view, orientation)
VARIANTS = len(COLUMNS)
CENTRE_COLUMN = COLUMNS.index((CENTRE_VIEW, 0))  # its 8 orientations follow it
FLAT_STD = 3.0  # a thumbnail this uniform (blank, black) is matched only by content hash

_MARGIN = 5  # pixels at the thumbnail's edge left out of every correlation
_FULL = np.ones((THUMB_SIZE, THUMB_SIZE), np.float32)
_MIN_OVERLAP = 0.35  # at least this share of the thumbnail must be compared

_V = np.arange(8)
_FLIP_COLUMNS = np.where(_V % 2 == 1, -1.0, 1.0)[None, :]  # mirror: odd horizontal freqs


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _turn(angle: float, aspect: float) -> np.ndarray:
    """A turn by ``angle`` degrees (anticlockwise as seen) in normalised coordinates of an
    image ``aspect`` wide: turned in its true proportions."""
    if not angle:
        return np.eye(3)
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    stretch = np.diag([aspect, 1.0, 1.0])
    # image rows grow downwards: anticlockwise as seen is clockwise in (x, y)
    return np.linalg.inv(stretch) @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1.0]]) @ stretch


_QUARTER = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # np.rot90 once
_MIRROR = np.array([[-1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def orientation(k: int) -> np.ndarray:
    """The map from ``dihedral(image, k)``'s normalised coordinates to the image's."""
    turned = np.linalg.matrix_power(_QUARTER, k % 4)
    return turned @ _MIRROR if k >= 4 else turned


@dataclass(frozen=True, slots=True)
class Alignment:
    """How photo A lines up with photo B: the affine map from B's normalised coordinates
    ([0, 1] across and down) to A's, as the six numbers of its first two rows."""

    matrix: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    @classmethod
    def of(cls, matrix: np.ndarray) -> Alignment:
        return cls(tuple(float(v) for v in np.asarray(matrix)[:2].ravel()))

    @classmethod
    def from_variant(cls, column: int, aspect: float = 1.0) -> Alignment:
        """The alignment hash ``column`` of a photo ``aspect`` wide stands for: B is that
        view of A, in that orientation."""
        view, k = COLUMNS[column]
        return cls.of(VIEWS[view].matrix(aspect) @ orientation(k))

    @classmethod
    def turned(cls, k: int) -> Alignment:
        return cls.of(orientation(k))

    def as_array(self) -> np.ndarray:
        return np.vstack([np.reshape(self.matrix, (2, 3)), [0.0, 0.0, 1.0]])

    @property
    def inside(self) -> bool:
        """B's whole frame falls inside A's."""
        corners = self.as_array() @ np.array([[0, 1, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1.0]])
        return bool((corners[:2] >= -1e-6).all() and (corners[:2] <= 1 + 1e-6).all())


PLAIN = Alignment()
_PIXELS = np.array([[THUMB_SIZE, 0, -0.5], [0, THUMB_SIZE, -0.5], [0, 0, 1.0]])
_NORMALISE = np.linalg.inv(_PIXELS)


def dihedral(thumb: np.ndarray, k: int) -> np.ndarray:
    """Variant ``k`` of an image: ``k % 4`` quarter turns anticlockwise, mirrored if k >= 4."""
    turned = np.rot90(thumb, k % 4)
    return np.ascontiguousarray(turned[:, ::-1] if k >= 4 else turned)


def _dihedral_block(low: np.ndarray, k: int) -> np.ndarray:
    """The DCT block of ``dihedral(image, k)`` from the DCT block of the image."""
    for _ in range(k % 4):  # np.rot90 == transpose of the left-right mirror
        low = np.swapaxes(low * _FLIP_COLUMNS, -1, -2)
    return low * _FLIP_COLUMNS if k >= 4 else low


def warp(
    image: np.ndarray, matrix: np.ndarray, border: int = cv2.BORDER_REFLECT, value: float = 0.0
) -> np.ndarray:
    """``image`` (a square thumbnail) as seen through ``matrix`` (3x3, from the result's
    normalised coordinates to the image's), same size."""
    pixels = (_PIXELS @ matrix @ _NORMALISE)[:2]
    return cv2.warpAffine(
        image,
        pixels,
        (THUMB_SIZE, THUMB_SIZE),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=border,
        borderValue=value,
    )


def view_image(thumb: np.ndarray, view: View, aspect: float = 1.0) -> np.ndarray:
    """What ``view`` of a photo ``aspect`` wide shows, from its thumbnail (float32)."""
    return warp(np.asarray(thumb, np.float32), view.matrix(aspect))


def variant_phashes(thumbs: np.ndarray, aspects: np.ndarray | None = None) -> np.ndarray:
    """pHashes of every variant of a stack of thumbnails (n, 64, 64) of photos ``aspects``
    wide (width / height; square if not given) -> (n, VARIANTS) uint64; column ``i`` is
    ``Alignment.from_variant(i, aspect)``. Column 0 is the plain pHash."""
    thumbs = np.asarray(thumbs, dtype=np.float32).reshape(-1, THUMB_SIZE, THUMB_SIZE)
    count = len(thumbs)
    aspects = np.ones(count) if aspects is None else np.asarray(aspects, np.float64)
    blocks = []
    for view in VIEWS:
        if view.angle:
            turned = np.stack(
                [view_image(t, view, a) for t, a in zip(thumbs, aspects, strict=True)]
            )
            low = low_frequencies_of_boxes(turned, ((0.0, 0.0, 1.0, 1.0),))[:, 0]
        elif view.square:
            low = np.empty((count, 8, 8))
            for shape in np.unique(np.round(aspects, 3)):  # photos of one shape at once
                same = np.flatnonzero(np.round(aspects, 3) == shape)
                box = (view.resolved(float(shape)),)
                low[same] = low_frequencies_of_boxes(thumbs[same], box)[:, 0]
        else:
            low = low_frequencies_of_boxes(thumbs, (view.box,))[:, 0]
        ks = range(DIHEDRAL) if view.turns else (0,)
        blocks.append(np.stack([_dihedral_block(low, k) for k in ks], axis=1))
    return phash_bits(np.concatenate(blocks, axis=1))


def is_flat(thumb: np.ndarray) -> bool:
    return float(np.std(thumb)) < FLAT_STD


@dataclass(frozen=True, slots=True)
class Prepared:
    """A thumbnail ready for correlation: smoothed, as float, with its content mask and its
    photo's proportions (width / height)."""

    image: np.ndarray
    mask: np.ndarray
    aspect: float = 1.0

    @property
    def full(self) -> bool:
        return bool(self.mask.min() == 1.0)


def prepare(thumb: np.ndarray, aspect: float = 1.0) -> Prepared:
    image = cv2.GaussianBlur(np.asarray(thumb, np.float32), (0, 0), 1.0)
    return Prepared(image=image, mask=content_mask(thumb), aspect=aspect)


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
    alignment: Alignment = PLAIN,
    floor: float = 0.5,
    target: float | None = None,
) -> float:
    """How alike A and B look (0..1) when A is aligned to B, searching small turns
    (+-3 degrees), zooms (+-4%) and shifts (+-2 px) around ``alignment`` (in B's frame).

    The search is quick (views, then shifts, twice), and exhaustive over all combinations
    only when that leaves the figure just short of ``target``, where the decision lies. It
    gives up early when A, as aligned, is below ``floor``: on the benchmark corpora the
    search never added more than 0.15 to that first figure."""
    base = alignment.as_array()

    def score(zoom: float, angle: float, shift=(0.0, 0.0)) -> float:
        matrix = base @ _nudge(zoom, angle, shift, b.aspect)
        image = warp(a.image, matrix)
        if a.full and Alignment.of(matrix).inside:
            return correlation(image, _FULL, b)
        mask = warp(a.mask, matrix, cv2.BORDER_CONSTANT, 0.0)
        return correlation(image, (mask > 0.99).astype(np.float32), b)

    best = score(1.0, 0.0)
    if best >= _GOOD_ENOUGH or best < floor:
        return best
    views = [(zoom, angle) for zoom in (1.0, 0.96, 1.04) for angle in (0.0, -3.0, 3.0)]
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


def _nudge(zoom: float, angle: float, shift: tuple[float, float], aspect: float) -> np.ndarray:
    """A small change of B's frame: zoomed and turned about its centre, shifted (pixels)."""
    if zoom == 1.0 and not angle and shift == (0.0, 0.0):
        return np.eye(3)
    return (
        _shift(0.5 + shift[0] / THUMB_SIZE, 0.5 + shift[1] / THUMB_SIZE)
        @ _turn(angle, aspect)
        @ np.diag([zoom, zoom, 1.0])
        @ _shift(-0.5, -0.5)
    )


_SHIFTS = [(dx, dy) for dx in (-2.0, 0.0, 2.0) for dy in (-2.0, 0.0, 2.0) if dx or dy]
_GOOD_ENOUGH = 0.985  # stop searching: nothing found later would change a decision
_CLOSE_CALL = 0.15  # this far short of a target, every combination is tried
