"""Where the picture is: the box inside a photo's uniform borders (padding, frames and mats of
any colour, letterbox bars). A copy with a white frame has more pixels than its original, but
no more picture: judging compares the pixels inside this box.

A border is a band of lines (rows or columns, from one side inward) that are all flat and of
one colour, followed by a line that is clearly not (most of its pixels far from that colour):
picture content starts with a step. A sky
or a wall that fades slowly is not a border, however flat, because it has no such step. The
bands are taken from the four sides, and again inside what is left (a mat inside a frame), at
most ``_PASSES`` times. A box that would keep less than ``_MIN_SHARE`` of the image, or less
than ``_MIN_SIDE`` of a side, is refused (a photo of a white wall has no border): the whole
image is the picture then.

Works on a small image (the scan's 64x64 grey thumbnail is enough: a box is a share of each
side, and a thumbnail squashed to a square keeps those shares). On a grey image a frame whose
grey is that of the picture along its edge is not told apart (a red frame beside dark ground
can be the same grey): the picture is then taken to be bigger than it is. Pure numpy; must
not import the store or any UI.
"""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]  # left, top, right, bottom (right and bottom exclusive)

_FLAT = 4.0  # grey levels: how far a border line's pixels may stray from the band's colour
_STEP = 14.0  # grey levels: how different the first line of picture must be
_PASSES = 3
_MIN_SHARE = 0.25
_MIN_SIDE = 0.4


def content_box(image: np.ndarray) -> Box:
    """The picture's box in ``image`` (H x W grey, or H x W x C), in its pixels."""
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width = pixels.shape[:2]
    box = (0, 0, width, height)
    for _ in range(_PASSES):
        trimmed = _trim(pixels, box)
        if trimmed == box:
            break
        box = trimmed
    left, top, right, bottom = box
    kept_w, kept_h = (right - left) / width, (bottom - top) / height
    if kept_w * kept_h < _MIN_SHARE or min(kept_w, kept_h) < _MIN_SIDE:
        return (0, 0, width, height)
    return box


def content_share(image: np.ndarray) -> float:
    """The share (0..1] of ``image``'s area that is picture (inside ``content_box``)."""
    height, width = np.asarray(image).shape[:2]
    left, top, right, bottom = content_box(image)
    return (right - left) * (bottom - top) / (width * height)


def _trim(pixels: np.ndarray, box: Box) -> Box:
    left, top, right, bottom = box
    inner = pixels[top:bottom, left:right]
    rows, columns = inner[:, 1:-1], inner[1:-1].transpose(1, 0, 2)
    # (each line without its two end pixels: where it crosses the blended edge of the next
    # side's border)
    top_band, bottom_band = _band(rows), _band(rows[::-1])
    left_band, right_band = _band(columns), _band(columns[::-1])
    return (left + left_band, top + top_band, right - right_band, bottom - bottom_band)


def _band(lines: np.ndarray) -> int:
    """How many lines from the start of ``lines`` (L x N x C) are a border: flat, of the first
    line's colour, and followed by a line that steps away from it; 0 if none is. The first
    line may be a blend (what the last pass left of the edge between a frame and a mat)."""
    count = lines.shape[0]
    if count < 3:
        return 0
    colour = lines[0].mean(axis=0)
    stray = np.abs(lines - colour).max(axis=(1, 2))  # per line: its worst pixel
    flat = stray <= _FLAT
    if not flat[0]:
        return 0
    band = int(np.argmin(flat)) if not flat.all() else count
    if band >= count - 1:
        return 0  # all of it flat: nothing to tell a border from
    # the first line after the band may blend border and picture (a thumbnail's pixel that
    # straddles the edge): then the step shows in the line after it, and the blend goes with
    # the border (a mat inside a frame starts clean for the next pass)
    for blend, after in enumerate(lines[band : band + 2]):
        deviation = np.abs(after - colour).max(axis=1)  # per pixel, its most different channel
        if float(np.percentile(deviation, 75)) >= _STEP:
            edge = band + blend
            # a blended line between this border and another flat one (a mat) goes with
            # this border, so that the next pass starts on the mat itself
            if edge + 1 < count and not _is_flat(lines[edge]) and _is_flat(lines[edge + 1]):
                return edge + 1
            return edge
    return 0


def _is_flat(line: np.ndarray) -> bool:
    return float(np.abs(line - line.mean(axis=0)).max()) <= _FLAT
