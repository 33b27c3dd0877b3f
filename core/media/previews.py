"""Pictures of one photo for people to look at, as opposed to the numbers a scan computes.

Owns two decodes, both upright (the EXIF orientation applied, as ``core.media.imaging`` does
for the scan) and in RGB:

* ``preview``: the whole photo, its longest side at most ``max_side``, for the app's browsing.
  JPEG is decoded at the smallest DCT scale (1/8, 1/4, 1/2) whose longest side is still at
  least ``max_side`` (Pillow's ``draft``; HEIF takes an embedded thumbnail that is large
  enough), then downscaled with Lanczos; a 12 MP JPEG never goes through a full decode.
* ``region``: a crop at full resolution, for comparing two photos at 1:1. Its centre is given
  in fractions of the upright image, so the same centre on two photos of different sizes
  shows the same part of the scene. To move around one photo, decode it once with ``full``
  and cut each region from that with ``region_of``.

The file is sniffed (``core.media.formats``) and opened with imaging's decompression-bomb
guard; anything unreadable raises ``AnalysisError`` with a reason ("not an image: text",
"corrupt: truncated file (...)", "too large: ..."). Must not import textual, the store or any
UI: the app reaches this through ``core.library.Library.preview`` and ``region``.
"""

from __future__ import annotations

import math
from typing import BinaryIO

from PIL import Image

from core.media import formats, imaging
from core.media.metadata import read_meta
from core.models import DEFAULT_MAX_PIXELS

__all__ = ["crop_box", "full", "preview", "region", "region_of"]

_T = Image.Transpose
# The transposes that undo each of imaging's orientation transposes.
_INVERSE = {
    _T.FLIP_LEFT_RIGHT: _T.FLIP_LEFT_RIGHT,
    _T.FLIP_TOP_BOTTOM: _T.FLIP_TOP_BOTTOM,
    _T.ROTATE_180: _T.ROTATE_180,
    _T.TRANSPOSE: _T.TRANSPOSE,
    _T.TRANSVERSE: _T.TRANSVERSE,
    _T.ROTATE_90: _T.ROTATE_270,
    _T.ROTATE_270: _T.ROTATE_90,
}

_SWAPS_SIDES = {_T.TRANSPOSE, _T.TRANSVERSE, _T.ROTATE_90, _T.ROTATE_270}

Box = tuple[int, int, int, int]


def preview(fh: BinaryIO, max_side: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The photo in ``fh`` upright, in RGB, its longest side at most ``max_side`` pixels
    (never enlarged), made from a reduced decode."""
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, not {max_side}")
    fmt = formats.sniff_file(fh)
    with imaging.open_image(fh, fmt, max_pixels=max_pixels) as im:
        orientation = read_meta(im, fmt, *im.size).orientation
        target = _fit(im.size, max_side)
        if target != im.size:
            # The request keeps the aspect ratio, so the scale draft picks keeps the longest
            # side at least max_side.
            im.draft("RGB", target)
        imaging.load_pixels(im)
        rgb = imaging.to_rgb(im)
        target = _fit(rgb.size, max_side)
        small = (
            rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
            if target != rgb.size
            else rgb.copy()
        )
    return imaging.upright(small, orientation, fmt)


def region(
    fh: BinaryIO,
    centre: tuple[float, float],
    size: tuple[int, int],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """A ``size`` (width, height) crop of the upright photo at full resolution, centred on
    ``centre`` (fractions 0..1 of the upright width and height) and moved to stay inside the
    photo; smaller than ``size`` where the photo is."""
    _check_region(centre, size)
    fmt = formats.sniff_file(fh)
    with imaging.open_image(fh, fmt, max_pixels=max_pixels) as im:
        orientation = read_meta(im, fmt, *im.size).orientation
        turn = imaging.upright_transpose(orientation, fmt)
        width, height = im.size
        shown = (height, width) if turn in _SWAPS_SIDES else (width, height)
        box = crop_box(shown, centre, size)
        # Crop the stored image, then turn only the crop: the full image is never turned.
        raw = box if turn is None else _box_after(_INVERSE[turn], box, shown)
        imaging.load_pixels(im)
        crop = imaging.to_rgb(im.crop(raw))
    return crop if turn is None else crop.transpose(turn)


def full(fh: BinaryIO, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The whole photo in ``fh`` at full resolution, upright, in RGB (for ``region_of``)."""
    fmt = formats.sniff_file(fh)
    with imaging.open_image(fh, fmt, max_pixels=max_pixels) as im:
        orientation = read_meta(im, fmt, *im.size).orientation
        imaging.load_pixels(im)
        rgb = imaging.to_rgb(im)
        if rgb is im:
            rgb = im.copy()  # the file's image is closed on leaving
    return imaging.upright(rgb, orientation, fmt)


def region_of(
    image: Image.Image, centre: tuple[float, float], size: tuple[int, int]
) -> Image.Image:
    """``region`` of a picture already decoded (``full``): no file is read."""
    _check_region(centre, size)
    return image.crop(crop_box(image.size, centre, size))


def _check_region(centre: tuple[float, float], size: tuple[int, int]) -> None:
    if size[0] < 1 or size[1] < 1:
        raise ValueError(f"size must be at least 1x1, not {size[0]}x{size[1]}")
    if not all(math.isfinite(c) for c in centre):
        raise ValueError(f"centre must be finite fractions, not {centre}")


def crop_box(
    image_size: tuple[int, int], centre: tuple[float, float], size: tuple[int, int]
) -> Box:
    """The (left, top, right, bottom) of a ``size`` crop centred on ``centre`` (fractions of
    ``image_size``), clamped to stay inside the image."""
    width, height = image_size
    crop_w, crop_h = min(size[0], width), min(size[1], height)
    left, top = _start(centre[0], crop_w, width), _start(centre[1], crop_h, height)
    return left, top, left + crop_w, top + crop_h


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its longest side is at most ``max_side``."""
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return size
    scale = max_side / longest
    return max(1, min(max_side, round(width * scale))), max(1, min(max_side, round(height * scale)))


def _box_after(turn: Image.Transpose, box: Box, size: tuple[int, int]) -> Box:
    """Where ``box`` of an image of ``size`` lands once the image is transposed by ``turn``."""
    width, height = size
    left, top, right, bottom = box
    return {
        _T.FLIP_LEFT_RIGHT: (width - right, top, width - left, bottom),
        _T.FLIP_TOP_BOTTOM: (left, height - bottom, right, height - top),
        _T.ROTATE_180: (width - right, height - bottom, width - left, height - top),
        _T.TRANSPOSE: (top, left, bottom, right),
        _T.ROTATE_90: (top, width - right, bottom, width - left),
        _T.ROTATE_270: (height - bottom, left, height - top, right),
        _T.TRANSVERSE: (height - bottom, width - right, height - top, width - left),
    }[turn]


def _start(fraction: float, crop: int, side: int) -> int:
    """Where a ``crop`` long span centred at ``fraction`` of ``side`` starts, kept inside."""
    fraction = min(1.0, max(0.0, fraction))
    return min(side - crop, max(0, round(fraction * side - crop / 2)))
