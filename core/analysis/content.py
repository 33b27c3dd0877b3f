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


# -- a photo shown inside an app ------------------------------------------------------------
#
# A screenshot of a photo in a chat or a viewer shows it among the app's chrome: bars, a
# background, bubbles, buttons and text. The chrome's background is exactly uniform colour
# reaching the screen's edges (an app paints it; no camera does); the photo is the largest
# part of the screen that is not background, less the uniform margin of a bubble around it
# and a caption under it, and it meets what surrounds it along four straight edges. On a
# photo with a flat sky or a studio backdrop there is no such rectangle, and nothing is
# found; a photo between bars of one colour with nothing on them (a letterbox, padding) is
# not a screenshot either: its bars are a border. Works on a copy of the decoded image
# ``_SCREEN_SIDE`` pixels on its longer side.

_SCREEN_SIDE = 400
_SCREEN_FLAT = 3  # levels: a pixel whose 3x3 neighbourhood spans no more is flat
_BACKGROUND_SPREAD = 4.0  # levels: a border or padding is one colour
# levels: an app's background is painted, one colour to within this even once the
# screenshot is a JPEG (0.54 at most measured, quality 60-90, resized); a photographed fog
# or sky, however flat it looks, varies more (2.4-2.6 on the camera photos it was taken for)
_PAINTED_SPREAD = 1.5
_MIN_BACKGROUND = 0.1  # of the screen
_MIN_PHOTO, _MAX_PHOTO = 0.04, 0.92  # of the screen
_MIN_CHROME = 0.01  # of the screen: the app's marks around the photo (text, icons, bubbles)
_DIFFERENT = 14  # levels: a pixel this far from the bubble's colour is the photo's
_EDGE_INSIDE = 0.3  # at most this share of the line inside an edge may be the outside colour
_EDGE_OUTSIDE = 0.6  # at least this share of the line outside an edge must be


def screen_box(rgb: np.ndarray) -> FractionBox | None:
    """The box (fractions of the image) of a photo shown inside an app's chrome in ``rgb``
    (H x W x 3 uint8), or None if the image is not such a screenshot."""
    import cv2

    small = _working_image(rgb)
    h, w = small.shape[:2]
    if min(h, w) < 32:
        return None
    kernel = np.ones((3, 3), np.uint8)
    spread = cv2.subtract(cv2.dilate(small, kernel), cv2.erode(small, kernel))
    flat = (cv2.inRange(spread, (0, 0, 0), (_SCREEN_FLAT,) * 3) > 0).astype(np.uint8)
    if flat.mean() < _MIN_BACKGROUND:  # (the background is flat)
        return None
    background = _background(small, flat, _MIN_BACKGROUND * h * w)
    if background is None or background.mean() < _MIN_BACKGROUND:
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (1 - background).astype(np.uint8), connectivity=8
    )
    if count < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_WIDTH] * stats[1:, cv2.CC_STAT_HEIGHT]
    best = 1 + int(np.argmax(areas))
    x, y, bw, bh = (int(v) for v in stats[best, :4])
    if bw * bh < _MIN_PHOTO * w * h:
        return None
    box = _inside_bubble(small, (x, y, x + bw, y + bh))
    left, top, right, bottom = box
    share = (right - left) * (bottom - top) / (w * h)
    if not _MIN_PHOTO <= share <= _MAX_PHOTO or not _straight_edges(small, box):
        return None
    chrome = ~background  # what is neither background nor the photo (nor its blended edge)
    chrome[max(0, top - 2) : bottom + 2, max(0, left - 2) : right + 2] = False
    if chrome.mean() < _MIN_CHROME:  # bars of one colour and nothing on them: a border
        return None
    return (left / w, top / h, right / w, bottom / h)


FractionBox = tuple[float, float, float, float]


def _background(small: np.ndarray, flat: np.ndarray, least: float = 0.0) -> np.ndarray | None:
    """1 where a region of one flat colour reaches the image's edge; None if the flat
    regions that do cover less than ``least`` pixels (there is less background than that)."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    h, w = flat.shape
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    # regions of flat pixels (label 0 is the rest) large enough to be a background
    edge = edge[(edge > 0) & (stats[edge, cv2.CC_STAT_AREA] >= 0.01 * h * w)]
    if not len(edge) or stats[edge, cv2.CC_STAT_AREA].sum() < least:
        return None
    out = np.zeros(flat.shape, bool)
    for label in edge.tolist():
        region = (labels == label).astype(np.uint8)
        _, deviation = cv2.meanStdDev(small, mask=region)
        if float(deviation.max()) <= _PAINTED_SPREAD:  # one painted colour
            out |= region.astype(bool)
    return out


def _inside_bubble(small: np.ndarray, box: Box) -> Box:
    """``box`` less, on each side, a band of one colour with at most sparse marks on it (a
    bubble's margin, the caption under a photo), up to ``_MAX_MARGIN`` of the box."""
    left, top, right, bottom = box
    part = small[top:bottom, left:right].astype(np.int16)
    height, width = part.shape[:2]
    sides = (part, part[::-1], part.transpose(1, 0, 2), part.transpose(1, 0, 2)[::-1])
    top_, bottom_, left_, right_ = (
        _margin(lines, int(_MAX_MARGIN * len(lines))) for lines in sides
    )
    if width - left_ - right_ < 8 or height - top_ - bottom_ < 8:
        return box
    return (left + left_, top + top_, right - right_, bottom - bottom_)


_MAX_MARGIN = 0.3
_MARGIN_START = 0.8  # a margin starts with a line at least this much of one colour
_MARGIN_LINE = 0.4  # and goes on while its lines are (the rest: text, icons, a caption)


def _margin(lines: np.ndarray, most: int) -> int:
    """How many lines from the start of ``lines`` (L x N x 3) are of one colour but for
    sparse marks; 0 if none is. The first two lines may blend the margin with what is
    outside it (a rounded corner, the resampled edge)."""
    found = 0
    for start in range(min(3, most + 1, len(lines))):
        colour = np.median(lines[start], axis=0)
        near = (np.abs(lines[start : most + 1] - colour).max(axis=2) <= 6).mean(axis=1)
        if near[0] >= _MARGIN_START:
            outside = np.flatnonzero(near < _MARGIN_LINE)
            found = max(found, start + int(outside[0]) if len(outside) else 0)
    return found


def _longest_run(mask: np.ndarray) -> tuple[int, int] | None:
    best, start = None, None
    for i, on in enumerate([*mask.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def _straight_edges(small: np.ndarray, box: Box) -> bool:
    """Each side of ``box`` not at the image's edge is a clean step: the line just outside
    is mostly one colour, and the line just inside mostly is not."""
    left, top, right, bottom = box
    h, w = small.shape[:2]
    image = small.astype(np.int16)
    if right - left < 8 or bottom - top < 8:
        return False
    # two lines out and two in: the line at the edge itself may blend both sides
    sides = (
        (top >= 2, image[top - 2, left:right], image[top + 2, left:right]),
        (bottom <= h - 2, image[min(bottom + 1, h - 1), left:right], image[bottom - 3, left:right]),
        (left >= 2, image[top:bottom, left - 2], image[top:bottom, left + 2]),
        (right <= w - 2, image[top:bottom, min(right + 1, w - 1)], image[top:bottom, right - 3]),
    )
    checked = 0
    for present, outside, inside in sides:
        if not present:
            continue
        checked += 1
        colour = np.median(outside, axis=0)
        if (np.abs(outside - colour).max(axis=1) <= 6).mean() < _EDGE_OUTSIDE:
            return False
        if (np.abs(inside - colour).max(axis=1) <= 6).mean() > _EDGE_INSIDE:
            return False
    return checked >= 2


_RING_FLAT = 0.5  # share of a thumbnail's edge that must be flat for a screenshot to be looked for


def might_be_screen(thumb: np.ndarray) -> bool:
    """Cheap first test on the 64x64 grey thumbnail: at least half of its edge is flat (the
    app's bars and background reach the edges of a screenshot; a photo's edge is mostly
    textured). Only then is ``screen_box`` worth its few milliseconds."""
    pixels = np.asarray(thumb, np.int16)
    ring = np.concatenate([pixels[0], pixels[:, -1], pixels[-1, ::-1], pixels[::-1, 0]])
    return float((np.abs(np.diff(ring)) <= 1).mean()) >= _RING_FLAT


def picture_box(rgb: np.ndarray, small: np.ndarray, thumb: np.ndarray) -> tuple[FractionBox, bool]:
    """The picture's box in fractions of the photo, and whether it is a photo shown in a
    screenshot: that photo's box, else the inside of uniform borders, else the whole.
    ``small`` is the photo in grey at a few hundred pixels in its own proportions
    (``hashing.reduced``), ``thumb`` its 64x64 thumbnail. A border is found by
    ``content_box`` on ``small`` and kept only if its band is uniform there (a band that
    fades, or has texture, is picture)."""
    if might_be_screen(thumb):
        found = screen_box(rgb)
        if found is not None:
            return found, True
    h, w = small.shape[:2]
    left, top, right, bottom = content_box(small)
    if (left, top, right, bottom) == (0, 0, w, h):
        return WHOLE, False
    inset = 1  # the band's last line may blend border and picture
    bands = {
        "left": small[:, : left - inset] if left > inset else None,
        "right": small[:, right + inset :] if right < w - inset else None,
        "top": small[: top - inset] if top > inset else None,
        "bottom": small[bottom + inset :] if bottom < h - inset else None,
    }
    uniform = {side: band is not None and _uniform(band) for side, band in bands.items()}
    box = (
        left / w if uniform["left"] else 0.0,
        top / h if uniform["top"] else 0.0,
        right / w if uniform["right"] else 1.0,
        bottom / h if uniform["bottom"] else 1.0,
    )
    return box, False


def _uniform(band: np.ndarray) -> bool:
    pixels = band.reshape(band.shape[0] * band.shape[1], -1)
    return pixels.size > 0 and float(pixels.std(axis=0).max()) <= _BACKGROUND_SPREAD


def _working_image(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` at most ``_SCREEN_SIDE`` pixels on its longer side."""
    import cv2

    height, width = rgb.shape[:2]
    scale = _SCREEN_SIDE / max(height, width)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


WHOLE: FractionBox = (0.0, 0.0, 1.0, 1.0)
