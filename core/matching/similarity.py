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

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

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
        return _variant_alignment(column, aspect)

    @classmethod
    def turned(cls, k: int) -> Alignment:
        return _turned_alignment(k)

    def as_array(self) -> np.ndarray:
        """The 3x3 matrix (read-only)."""
        return _as_array(self.matrix)

    @property
    def inside(self) -> bool:
        """B's whole frame falls inside A's."""
        corners = self.as_array() @ np.array([[0, 1, 0, 1], [0, 0, 1, 1], [1, 1, 1, 1.0]])
        return bool((corners[:2] >= -1e-6).all() and (corners[:2] <= 1 + 1e-6).all())


PLAIN = Alignment()


@functools.lru_cache(maxsize=8192)
def _as_array(matrix: tuple[float, ...]) -> np.ndarray:
    array = np.vstack([np.reshape(matrix, (2, 3)), [0.0, 0.0, 1.0]])
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=DIHEDRAL)
def _turned_alignment(k: int) -> Alignment:
    return Alignment.of(orientation(k))


@functools.lru_cache(maxsize=8192)
def _variant_alignment(column: int, aspect: float) -> Alignment:
    view, k = COLUMNS[column]
    return Alignment.of(VIEWS[view].matrix(aspect) @ orientation(k))


_PIXELS = np.array([[THUMB_SIZE, 0, -0.5], [0, THUMB_SIZE, -0.5], [0, 0, 1.0]])
_NORMALISE = np.linalg.inv(_PIXELS)
_PAD = 24  # pixels: past this, a warped image shows zeros (and its mask nothing)
_PADDED = np.array([[1, 0, _PAD], [0, 1, _PAD], [0, 0, 1.0]]) @ _PIXELS  # into a padded one


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
    stack = thumbs.astype(np.float64)  # once, not for every view
    count = len(thumbs)
    aspects = np.ones(count) if aspects is None else np.asarray(aspects, np.float64)
    plain = [v for v in VIEWS if not v.angle and not v.square]
    plain_low = low_frequencies_of_boxes(stack, tuple(v.box for v in plain))  # all at once
    shapes = np.round(aspects, 3)
    blocks = []
    for view in VIEWS:
        if view.angle:
            turned = np.stack(
                [view_image(t, view, a) for t, a in zip(thumbs, aspects, strict=True)]
            )
            low = low_frequencies_of_boxes(turned, ((0.0, 0.0, 1.0, 1.0),))[:, 0]
        elif view.square:
            low = np.empty((count, 8, 8))
            for shape in np.unique(shapes):  # photos of one shape at once
                same = np.flatnonzero(shapes == shape)
                box = (view.resolved(float(shape)),)
                low[same] = low_frequencies_of_boxes(stack[same], box)[:, 0]
        else:
            low = plain_low[:, plain.index(view)]
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
    # the image (mirrored past its edges) and the mask (nothing past them) as two channels,
    # ``_PAD`` pixels larger each way: both are warped at once
    both: np.ndarray = field(init=False, repr=False, compare=False)
    # the weights B's own pixels are compared with (its mask inside the margin), and its
    # pixels centred on mid-grey to the powers 0, 1 and 2 (pixels, 3), all flat
    inner: np.ndarray = field(init=False, repr=False, compare=False)
    powers: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pad = (_PAD,) * 4
        centred = self.image - np.float32(_MID_GREY)  # correlations do not see the offset
        both = cv2.merge(
            [
                cv2.copyMakeBorder(centred, *pad, cv2.BORDER_REFLECT),
                cv2.copyMakeBorder(self.mask, *pad, cv2.BORDER_CONSTANT, value=0.0),
            ]
        )
        object.__setattr__(self, "both", both)
        object.__setattr__(self, "inner", (self.mask * _INNER).ravel())
        flat = centred.ravel()
        # Fortran order: the first two powers, as a slice, are contiguous too
        powers = np.asfortranarray(np.stack([np.ones_like(flat), flat, flat * flat], axis=1))
        object.__setattr__(self, "powers", powers)


def prepare(thumb: np.ndarray, aspect: float = 1.0) -> Prepared:
    image = cv2.GaussianBlur(np.asarray(thumb, np.float32), (0, 0), 1.0)
    return Prepared(image=image, mask=content_mask(thumb), aspect=aspect)


def correlation(a: np.ndarray, mask_a: np.ndarray, b: Prepared) -> float:
    """Normalised cross-correlation of ``a`` and ``b`` over both masks, inside the margin,
    leaving out the blocks where the two disagree far more than they do elsewhere (an
    overlay on one of them: a sticker, a caption bar, a watermark), up to ``_OVERLAY`` of
    the compared area. Two different photos disagree everywhere, so nothing stands out
    and nothing is left out."""
    weight = mask_a * b.mask
    weight[:_MARGIN] = weight[-_MARGIN:] = 0
    weight[:, :_MARGIN] = weight[:, -_MARGIN:] = 0
    total = float(weight.sum())
    if total < _MIN_OVERLAP * weight.size:
        return 0.0
    da, db = _centred(a, weight, total), _centred(b.image, weight, total)
    plain = _ncc_of(da, db)
    if plain >= _GOOD_ENOUGH or plain <= 0.0:
        return plain
    kept = _without_overlays(da, db, weight, total)
    if kept is None:
        return plain
    return max(plain, _ncc(a, b.image, kept, float(kept.sum())))


def _centred(x: np.ndarray, weight: np.ndarray, total: float) -> np.ndarray:
    """``x`` less its weighted mean, where weighted (weights 0 or 1), else 0."""
    return (x - float((x * weight).sum()) / total) * weight


def _ncc_of(da: np.ndarray, db: np.ndarray) -> float:
    """The correlation of two ``_centred`` images."""
    denominator = float(np.sqrt(np.vdot(da, da) * np.vdot(db, db)))
    return float(np.vdot(da, db)) / denominator if denominator > 1e-6 else 0.0


def _ncc(a: np.ndarray, b: np.ndarray, weight: np.ndarray, total: float) -> float:
    return _ncc_of(_centred(a, weight, total), _centred(b, weight, total))


_BLOCK = 8  # pixels: the side of the blocks an overlay is found in
_OVERLAY = 0.15  # at most this share of the compared area is left out as overlays
_OUTLIER = 6.0  # a block disagrees this many times more than the typical block


def _without_overlays(
    da: np.ndarray, db: np.ndarray, weight: np.ndarray, total: float
) -> np.ndarray | None:
    """``weight`` less the blocks of an overlay, or None if no block stands out; ``da``
    and ``db`` are the two images ``_centred`` by ``weight``."""
    std_a = np.sqrt(float(np.vdot(da, da)) / total)
    std_b = np.sqrt(float(np.vdot(db, db)) / total)
    if std_a < 1e-6 or std_b < 1e-6:
        return None
    residual = np.square(da * np.float32(1.0 / std_a) - db * np.float32(1.0 / std_b))
    side = THUMB_SIZE // _BLOCK
    block_weight = weight.reshape(side, _BLOCK, side, _BLOCK).sum(axis=(1, 3))
    block_error = residual.reshape(side, _BLOCK, side, _BLOCK).sum(axis=(1, 3))
    used = block_weight > 0.25 * _BLOCK * _BLOCK
    if used.sum() < 8:
        return None
    error = np.where(used, block_error / np.maximum(block_weight, 1e-6), 0.0)
    typical = float(np.median(error[used]))
    order = np.argsort(-error, axis=None)
    dropped = np.zeros(side * side, bool)
    budget = _OVERLAY * total
    for block in order:
        value = error.flat[block]
        if value <= _OUTLIER * max(typical, 0.02) or block_weight.flat[block] > budget:
            break
        dropped[block] = True
        budget -= block_weight.flat[block]
    if not dropped.any():
        return None
    keep = np.repeat(np.repeat(~dropped.reshape(side, side), _BLOCK, 0), _BLOCK, 1)
    return weight * keep


def compare(
    a: Prepared,
    b: Prepared,
    alignment: Alignment = PLAIN,
    floor: float = 0.5,
    target: float | None = None,
) -> float:
    """How alike A and B look (0..1) when A is aligned to B: ``match``'s figure."""
    return match(a, b, alignment, floor, target)[0]


def match(
    a: Prepared,
    b: Prepared,
    alignment: Alignment = PLAIN,
    floor: float = 0.5,
    target: float | None = None,
    first: float | None = None,
) -> tuple[float, np.ndarray]:
    """How alike A and B look (0..1) when A is aligned to B, searching small turns
    (+-3 degrees), zooms (+-4%) and shifts (+-2 px) around ``alignment`` (in B's frame), and
    the alignment (3x3, B's normalised coordinates to A's) that figure was found at. The
    shifts of one view are windows of one warp a little larger than the thumbnail.

    The search is quick (views, then shifts, twice), and exhaustive over all combinations
    only when that leaves the figure just short of ``target``, where the decision lies. It
    gives up early when A, as aligned (and shifted by phase correlation), is below
    ``floor``. ``first``: the figure at ``alignment`` itself, when the caller has it. Each
    step scores all its alignments at once; overlays are left out (``correlation``) at the
    first alignment and at the best one found."""
    base = alignment.as_array()

    def scores(
        nudges: list[tuple[float, float, tuple[float, float]]],
        offsets: Sequence[tuple[int, int]] = _UNMOVED,
    ) -> np.ndarray:
        matrices = [base @ _nudge(z, t, sh, b.aspect) for z, t, sh in nudges]
        return _correlations(a, b, matrices, offsets)

    start = (1.0, 0.0, (0.0, 0.0))
    best = float(scores([start])[0]) if first is None else first
    if best >= _GOOD_ENOUGH:
        return best, base
    shifted = _phase_shifted(a, b, base)
    if shifted is not None:
        phased = float(_correlations(a, b, [shifted])[0])
        if phased > best:
            best, base = phased, shifted
            if best >= _GOOD_ENOUGH:
                return best, base
    robust = _robust(a, b, base)
    if robust >= _GOOD_ENOUGH or max(best, robust) < floor:
        return max(best, robust), base
    views = [(zoom, angle) for zoom in (1.0, 0.96, 1.04) for angle in (0.0, -3.0, 3.0)]
    view, shift = views[0], (0.0, 0.0)
    for _ in range(2):  # coordinate ascent: the best view at this shift, then the best shift
        found = scores([(z, t, shift) for z, t in views])
        if found.max() > best:
            best, view = float(found.max()), views[int(found.argmax())]
        moved = [(shift[0] + dx, shift[1] + dy) for dx, dy in _SHIFTS]
        found = scores([(*view, shift)], _SHIFTS)
        if found.max() <= best:
            break  # at this shift again, the views would score as they just did
        best, shift = float(found.max()), moved[int(found.argmax())]
        if best >= _GOOD_ENOUGH:
            return best, base @ _nudge(*view, shift, b.aspect)
    if target is not None and target - _CLOSE_CALL <= max(best, robust) < target:
        every = [(z, t, (float(dx), float(dy))) for z, t in views for dx, dy in _SHIFTS]
        found = scores([(z, t, (0.0, 0.0)) for z, t in views], _SHIFTS)
        if found.max() > best:
            best = float(found.max())
            view, shift = every[int(found.argmax())][:2], every[int(found.argmax())][2]
    nudged = base @ _nudge(*view, shift, b.aspect)
    moved_robust = _robust(a, b, nudged) if (view, shift) != (views[0], (0.0, 0.0)) else 0.0
    if robust > max(best, moved_robust):
        return robust, base
    return max(best, moved_robust), nudged


def _phase_shifted(a: Prepared, b: Prepared, base: np.ndarray) -> np.ndarray | None:
    """``base`` moved by the shift phase correlation finds between A (so aligned) and B, or
    None when it finds none worth trying. A hashed view is a box at a fixed place: a crop
    a few percent off it is found here in one step, where the search's steps of 2 pixels
    would not reach it."""
    image = warp(a.image, base)
    (dx, dy), response = cv2.phaseCorrelate(
        image.astype(np.float64), b.image.astype(np.float64), _WINDOW
    )
    if response < _PHASE_RESPONSE or not 0.5 <= np.hypot(dx, dy) <= _PHASE_REACH:
        return None
    return base @ _nudge(1.0, 0.0, (-round(dx, 2), -round(dy, 2)), b.aspect)


_WINDOW = cv2.createHanningWindow((THUMB_SIZE, THUMB_SIZE), cv2.CV_64F)
_PHASE_RESPONSE = 0.05  # below this, the peak is noise
_PHASE_REACH = 16.0  # pixels: further than a quarter of the thumbnail, no crop of one view


def first_figures(a: Prepared, b: Prepared, alignments: Sequence[Alignment]) -> list[float]:
    """How alike A and B look at each alignment as it is, before any search."""
    return [float(v) for v in _correlations(a, b, [al.as_array() for al in alignments])]


def detail_agreement(a: Prepared, b: Prepared, matrix: np.ndarray) -> float:
    """How well the fine detail of A, aligned by ``matrix``, agrees with B's: the
    correlation of what is left of each once its broad shading (a blur of ``_DETAIL_BLUR``
    pixels) is taken away, overlays left out as in ``correlation``. Two photos of smooth
    things (skies, walls, gradients) correlate well overall whatever they show; their
    detail, where they have any, does not."""
    image, mask = _warped(a, matrix)
    weight = mask * b.mask * _INNER
    total = float(weight.sum())
    if total < _MIN_OVERLAP * weight.size:
        return 0.0
    kept = _without_overlays(
        _centred(image, weight, total), _centred(b.image, weight, total), weight, total
    )
    if kept is not None:
        weight, total = kept, float(kept.sum())
    fine_a = image - cv2.GaussianBlur(image, (0, 0), _DETAIL_BLUR)
    fine_b = b.image - cv2.GaussianBlur(b.image, (0, 0), _DETAIL_BLUR)
    return _ncc(fine_a, fine_b, weight, total)


_DETAIL_BLUR = 3.0


def _warped(a: Prepared, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A's image and content mask as seen through ``matrix``."""
    both = _warped_both(a, [matrix])[0]
    return both[..., 0], (both[..., 1] > 0.99).astype(np.float32)


def _warped_both(a: Prepared, matrices: Sequence[np.ndarray], reach: int = 0) -> np.ndarray:
    """A's image and mask (``Prepared.both``) as seen through each of ``matrices``, and
    ``reach`` pixels past B's frame each way: one warp of both for each,
    (count, size + 2 reach, size + 2 reach, 2)."""
    outside = _NORMALISE @ _shift(-reach, -reach)  # a pixel of the larger view, in B's
    pixels = np.matmul(_PADDED, np.matmul(np.asarray(matrices), outside))[:, :2]
    side = THUMB_SIZE + 2 * reach
    warped = np.empty((len(pixels), side, side, 2), np.float32)
    for i, matrix in enumerate(pixels):
        cv2.warpAffine(
            a.both,
            matrix,
            (side, side),
            warped[i],
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0.0,
        )
    return warped


def _correlations(
    a: Prepared,
    b: Prepared,
    matrices: Sequence[np.ndarray],
    offsets: Sequence[tuple[int, int]] = ((0, 0),),
) -> np.ndarray:
    """``correlation`` without leaving out overlays, for each alignment at once, each moved
    by each of ``offsets`` (whole pixels of B's frame: windows of one larger warp), in
    that order: from the weighted sums of A, B, their squares and product (weights 0 or 1,
    pixels centred on mid-grey so that little cancels)."""
    reach = max(max(abs(dx), abs(dy)) for dx, dy in offsets)
    warped = _warped_both(a, matrices, reach)
    if reach:
        end = reach + THUMB_SIZE
        warped = np.stack(
            [warped[:, reach + dy : end + dy, reach + dx : end + dx] for dx, dy in offsets],
            axis=1,
        )
    count = len(matrices) * len(offsets)
    flat = warped.reshape(count, -1, 2)
    weights = (flat[..., 1] > 0.99) * b.inner
    weighted = weights * flat[..., 0]  # A's pixels (centred already) where compared
    totals, sum_y, sum_yy = (weights @ b.powers).astype(np.float64).T  # B's 1, y, y^2
    sum_x, sum_xy = (weighted @ b.powers[:, :2]).astype(np.float64).T
    sum_xx = np.einsum("ij,ij->i", weighted, weighted).astype(np.float64)  # weights 0 or 1
    safe = np.maximum(totals, 1e-6)
    covariance = sum_xy - sum_x * sum_y / safe
    variance_x = sum_xx - sum_x * sum_x / safe
    variance_y = sum_yy - sum_y * sum_y / safe
    denominator = np.sqrt(np.maximum(variance_x, 0.0) * np.maximum(variance_y, 0.0))
    out = np.clip(covariance / np.maximum(denominator, 1e-6), -1.0, 1.0)
    flat = np.minimum(variance_x, variance_y) < _FLAT_VARIANCE * safe
    out[flat | (totals < _MIN_OVERLAP * _INNER.size)] = 0.0
    return out


# Compared pixels of one side spread less than this (variance, grey levels squared): a
# uniform area, which correlates with nothing (and whose sums cancel out in float32)
_FLAT_VARIANCE = 1.0


_MID_GREY = 128.0


def _robust(a: Prepared, b: Prepared, matrix: np.ndarray) -> float:
    """``correlation`` at one alignment: overlays left out."""
    image, mask = _warped(a, matrix)
    return correlation(image, mask, b)


_INNER = np.zeros((THUMB_SIZE, THUMB_SIZE), np.float32)
_INNER[_MARGIN:-_MARGIN, _MARGIN:-_MARGIN] = 1.0


@functools.lru_cache(maxsize=4096)
def _nudge(zoom: float, angle: float, shift: tuple[float, float], aspect: float) -> np.ndarray:
    """A small change of B's frame: shifted (pixels), then zoomed and turned about its
    centre (so a window of the view moved by whole pixels is the view shifted that far)."""
    if zoom == 1.0 and not angle and shift == (0.0, 0.0):
        return _EYE
    matrix = (
        _shift(0.5, 0.5)
        @ _turn(angle, aspect)
        @ np.diag([zoom, zoom, 1.0])
        @ _shift(shift[0] / THUMB_SIZE - 0.5, shift[1] / THUMB_SIZE - 0.5)
    )
    matrix.flags.writeable = False
    return matrix


_EYE = np.eye(3)
_EYE.flags.writeable = False


_SHIFTS = [(dx, dy) for dx in (-2, 0, 2) for dy in (-2, 0, 2) if dx or dy]
_UNMOVED = ((0, 0),)
_GOOD_ENOUGH = 0.985  # stop searching: nothing found later would change a decision
_CLOSE_CALL = 0.04  # this far short of a target, every combination is tried
