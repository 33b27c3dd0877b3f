"""Decode a photo once, small and fast, with its metadata.

The cost of a scan is the entropy decoding of each file; everything photosift computes per photo
(hashes now, quality metrics later) works on one *reduced* decode made here:

* JPEG uses libjpeg's DCT scaling through Pillow's ``draft`` (1/2, 1/4 or 1/8 of each side);
  measured on 80 camera-size JPEGs it costs the same as OpenCV's ``IMREAD_REDUCED_COLOR_8``
  (9.1 vs 9.4 ms per photo) and, unlike OpenCV, hands us the EXIF of the same open file.
* HEIF takes its embedded thumbnail when one is large enough (pillow-heif's ``draft``).
* Other formats decode fully and are box-reduced by the same power-of-two factor, so a PNG copy
  and its JPEG original end up at the same scale.

The reduction keeps the shorter side at least ``REDUCED_MIN_SIDE`` pixels. The EXIF orientation
is applied to the small image. Raises ``AnalysisError`` with a reason for anything unreadable.
The guarded open (``open_image``), the pixel load (``load_pixels``), ``to_rgb`` and ``upright``
are shared with ``core.media.previews``, so the app's pictures are decoded the same way.
Must not import the store or any UI.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pillow_heif
from PIL import Image, ImageFile

from core.errors import AnalysisError
from core.media.metadata import SELF_ORIENTING, ImageMeta, read_meta
from core.models import DEFAULT_MAX_PIXELS

log = logging.getLogger(__name__)

pillow_heif.register_heif_opener()
ImageFile.LOAD_TRUNCATED_IMAGES = False
_LIMIT_LOCK = threading.Lock()
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")

REDUCED_MIN_SIDE = 192

# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class Decoded:
    """A reduced, upright RGB decode (``rgb`` is H x W x 3 uint8) and the file's metadata."""

    meta: ImageMeta
    rgb: np.ndarray
    factor: int  # how many times smaller than the full image, per side


def reduction_factor(width: int, height: int, min_side: int = REDUCED_MIN_SIDE) -> int:
    """The largest of 8, 4, 2, 1 that keeps the shorter side at least ``min_side``."""
    short = min(width, height)
    for factor in (8, 4, 2):
        if short // factor >= min_side:
            return factor
    return 1


def decode(fh: BinaryIO, fmt: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Decoded:
    """Decode the image in ``fh`` (of the sniffed format ``fmt``) small and upright."""
    with open_image(fh, fmt, max_pixels=max_pixels) as im:
        width, height = im.size
        meta = read_meta(im, fmt, width, height)
        factor = reduction_factor(width, height)
        rgb = _load_reduced(im, factor)
    return Decoded(meta=meta, rgb=np.asarray(upright(rgb, meta.orientation, fmt)), factor=factor)


def open_image(fh: BinaryIO, fmt: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """The image in ``fh`` (of the sniffed format ``fmt``) opened, its pixels not read yet;
    ``AnalysisError`` ("corrupt: ...", "too large: ...") if it cannot be, or has more than
    ``max_pixels`` pixels. Shared by every decode of photosift, so all have the same guard."""
    im = _open(fh, fmt, max_pixels)
    width, height = im.size
    if width * height > max_pixels:
        im.close()
        raise AnalysisError(
            f"too large: {width}x{height} is {width * height / 1e6:.0f} MP, above the "
            f"{max_pixels / 1e6:.0f} MP limit"
        )
    return im


def upright(im: Image.Image, orientation: int, fmt: str) -> Image.Image:
    """``im`` (decoded from a file of format ``fmt``) turned as its EXIF ``orientation`` says,
    unless the format's decoder has turned it already."""
    turn = upright_transpose(orientation, fmt)
    return im if turn is None else im.transpose(turn)


def upright_transpose(orientation: int, fmt: str) -> Image.Transpose | None:
    """The transpose that shows an image of format ``fmt`` with this EXIF ``orientation``
    upright, or None when it is upright as decoded."""
    return None if fmt in SELF_ORIENTING else _UPRIGHT.get(orientation)


def load_pixels(im: Image.Image) -> None:
    """Decode the pixels of an opened image; a decoder's failure becomes ``AnalysisError``."""
    try:
        im.load()
    except OSError as exc:
        if "truncated" in str(exc):
            raise AnalysisError(f"corrupt: truncated file ({_short(exc)})") from None
        raise AnalysisError(f"corrupt: {_short(exc)}") from None
    except Exception as exc:
        raise AnalysisError(f"corrupt: {_short(exc)}") from None


def _open(fh: BinaryIO, fmt: str, max_pixels: int) -> Image.Image:
    """Open (read the header of) the image, with Pillow's decompression-bomb guard set to this
    decode's own limit for the call, never switched off: ``decode`` then refuses anything
    above the limit with its size. An image so large that Pillow itself refuses it (over
    twice the limit) is opened once more with the guard at its exact pixel count, only to
    read its width and height for the reason."""
    try:
        return _open_guarded(fh, fmt, max_pixels)
    except Image.DecompressionBombError as exc:
        found = _BOMB_PIXELS.search(str(exc))
        if found:
            fh.seek(0)
            return _open_guarded(fh, fmt, int(found.group(1)))
        raise AnalysisError(f"too large: above the {max_pixels / 1e6:.0f} MP limit") from None


def _open_guarded(fh: BinaryIO, fmt: str, limit: int) -> Image.Image:
    try:
        with _LIMIT_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, limit
            try:
                return Image.open(fh, formats=[fmt])
            finally:
                Image.MAX_IMAGE_PIXELS = previous
    except Image.DecompressionBombError:
        raise
    except Exception as exc:  # decoders raise many types on bad data
        raise AnalysisError(f"corrupt: not a readable {fmt} file ({_short(exc)})") from None


def _load_reduced(im: Image.Image, factor: int) -> Image.Image:
    """Load ``im`` at about 1/``factor`` of each side and return it in RGB mode."""
    target = (max(1, im.width // factor), max(1, im.height // factor))
    if factor > 1:
        im.draft("RGB", target)  # JPEG: DCT scaling; HEIF: an embedded thumbnail; else a no-op
    load_pixels(im)
    rgb = to_rgb(im)
    shrink = rgb.width // target[0]
    if shrink >= 2:  # the decoder did not reduce (or not enough): box-reduce the rest
        rgb = rgb.reduce(min(shrink, factor))
    return rgb


def to_rgb(im: Image.Image) -> Image.Image:
    """RGB of any Pillow mode: transparency composited on white, 16-bit data scaled down."""
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float32)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        grey = np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
