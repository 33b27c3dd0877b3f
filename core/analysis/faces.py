"""Faces and open eyes, with OpenCV's bundled Haar cascades, on a reduced image.

Used when a profile asks for it (family, professional): to keep the burst frame in which the
most eyes are open, and to weigh the sharpness inside faces. A frontal face is searched on
a copy about ``WORKING_SIDE`` pixels long; eyes are searched in the upper half of each face
(the eye cascade finds open eyes and seldom closed ones). Must not import the store or any UI.

``detect`` counts; ``crops`` finds the same faces (same decode, same cascades) and cuts each
out of the upright photo in colour, with a margin, for people to look at: the app's face
close-ups. Both share ``_working_grey`` (the decode) and ``_find`` (the search).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, ImageOps

from core.media import formats, imaging
from core.models import Faces

WORKING_SIDE = 1000
EYE_FACE_WIDTH = 240
FACE_CROP_SIDE = 320  # the longest side of a face close-up, at most
FACE_CROP_MARGIN = 0.2  # of the face box's width and height, added on each side

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True, slots=True)
class FaceCrop:
    """One face cut out of the upright photo: ``image`` (RGB, at most ``FACE_CROP_SIDE``
    pixels per side) shows the face ``box`` (left, top, right, bottom in the pixels of the
    full-size upright photo) with a margin; ``eyes_open`` is how many open eyes (0-2) were
    found in it."""

    image: Image.Image
    eyes_open: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class _Face:
    """A face found in a working image: its box (x, y, w, h), open eyes and sharpness."""

    x: int
    y: int
    w: int
    h: int
    eyes_open: int
    sharpness: float


@functools.cache
def _cascade(name: str) -> cv2.CascadeClassifier:
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]
    if classifier.empty():
        raise RuntimeError(f"OpenCV's cascade {name} is missing")
    return classifier


def _find(grey: np.ndarray) -> list[_Face]:
    """The frontal faces in a grey image (uint8), each with its open eyes and sharpness, in
    the cascade's order."""
    grey = cv2.equalizeHist(grey)
    short = min(grey.shape)
    boxes = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        grey, scaleFactor=1.2, minNeighbors=5, minSize=(max(24, short // 10),) * 2
    )
    found = []
    for x, y, w, h in boxes:
        # the eye cascade is steadiest on faces of one size: bring each face's upper half
        # to EYE_FACE_WIDTH pixels wide first
        scale = EYE_FACE_WIDTH / w
        upper = cv2.resize(
            grey[y : y + h // 2, x : x + w], None, fx=scale, fy=scale,
            interpolation=cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA,
        )  # fmt: skip
        eyes = _cascade("haarcascade_eye.xml").detectMultiScale(
            upper, scaleFactor=1.1, minNeighbors=5, minSize=(EYE_FACE_WIDTH // 8,) * 2
        )
        box = grey[y : y + h, x : x + w].astype(np.float32)
        lap = cv2.Laplacian(cv2.GaussianBlur(box, (0, 0), 1.0), cv2.CV_32F)
        sharpness = float(lap.var() / (box.var() + 1e-6))
        found.append(_Face(int(x), int(y), int(w), int(h), min(2, len(eyes)), sharpness))
    return found


def detect_in(grey: np.ndarray) -> Faces:
    """Faces, open eyes and face sharpness in a grey image (uint8)."""
    found = _find(grey)
    return Faces(
        count=len(found),
        eyes_open=sum(face.eyes_open for face in found),
        sharpness=max((face.sharpness for face in found), default=0.0),
    )


def _working_grey(
    im: Image.Image, load: Callable[[Image.Image], object] = Image.Image.load
) -> tuple[np.ndarray, tuple[int, int]]:
    """The opened image ``im`` decoded in grey about ``WORKING_SIDE`` pixels long and upright
    (its EXIF orientation applied), and the (width, height) of the full-size upright image.
    ``load`` reads the pixels."""
    width, height = im.size
    im.draft("L", (WORKING_SIDE, WORKING_SIDE))
    load(im)
    grey = im.convert("L")
    upright = ImageOps.exif_transpose(grey)
    full = (height, width) if upright.size != grey.size else (width, height)
    upright.thumbnail((WORKING_SIDE, WORKING_SIDE))
    return np.asarray(upright), full


def detect(fh: BinaryIO) -> Faces:
    """Faces in an image file, decoded about ``WORKING_SIDE`` pixels long and upright."""
    with Image.open(fh) as im:
        grey, _ = _working_grey(im)
    return detect_in(grey)


def crops(fh: BinaryIO) -> list[FaceCrop]:
    """The faces ``detect`` finds in an image file, each cut out of the upright photo in
    colour with a margin of ``FACE_CROP_MARGIN`` around its box, at most ``FACE_CROP_SIDE``
    pixels per side, in reading order (rows top to bottom, left to right in a row). The
    colour is decoded only as large as the close-ups need (JPEG's DCT scaling).
    ``AnalysisError`` with a reason if the file cannot be read."""
    fmt = formats.sniff_file(fh)
    with imaging.open_image(fh, fmt) as im:
        grey, (width, height) = _working_grey(im, imaging.load_pixels)
    faces = _find(grey)
    if not faces:
        return []
    sx, sy = width / grey.shape[1], height / grey.shape[0]
    boxes = [_full_box(face, sx, sy, width, height) for face in faces]
    margins = [_with_margin(box, width, height) for box in boxes]
    # the fraction of the full resolution that gives every close-up FACE_CROP_SIDE pixels
    # (or all it has): the smallest face decides
    needed = max(min(1.0, FACE_CROP_SIDE / max(x1 - x0, y1 - y0)) for x0, y0, x1, y1 in margins)
    fh.seek(0)
    with imaging.open_image(fh, fmt) as im:
        target = (math.ceil(im.width * needed), math.ceil(im.height * needed))
        if target != im.size:
            im.draft("RGB", target)
        imaging.load_pixels(im)
        colour = ImageOps.exif_transpose(im.convert("RGB"))  # turned as the grey copy was
    cx, cy = colour.width / width, colour.height / height
    found = []
    for face, box, (left, top, right, bottom) in zip(faces, boxes, margins, strict=True):
        part = colour.crop(
            (
                math.floor(left * cx),
                math.floor(top * cy),
                min(colour.width, math.ceil(right * cx)),
                min(colour.height, math.ceil(bottom * cy)),
            )
        )
        part.thumbnail((FACE_CROP_SIDE, FACE_CROP_SIDE), Image.Resampling.LANCZOS)
        found.append(FaceCrop(image=part, eyes_open=face.eyes_open, box=box))
    return _reading_order(found)


def _full_box(face: _Face, sx: float, sy: float, width: int, height: int) -> Box:
    """The face's box in the working image scaled to the full-size upright image."""
    return (
        max(0, round(face.x * sx)),
        max(0, round(face.y * sy)),
        min(width, round((face.x + face.w) * sx)),
        min(height, round((face.y + face.h) * sy)),
    )


def _with_margin(box: Box, width: int, height: int) -> Box:
    left, top, right, bottom = box
    dx = round((right - left) * FACE_CROP_MARGIN)
    dy = round((bottom - top) * FACE_CROP_MARGIN)
    return max(0, left - dx), max(0, top - dy), min(width, right + dx), min(height, bottom + dy)


def _reading_order(faces: list[FaceCrop]) -> list[FaceCrop]:
    """Rows top to bottom, each left to right: a face belongs to the row of the topmost face
    not placed yet when its centre lies between that face's top and bottom."""
    rest = sorted(faces, key=lambda f: (f.box[1], f.box[0]))
    ordered: list[FaceCrop] = []
    while rest:
        _, top, _, bottom = rest[0].box
        row: list[FaceCrop] = []
        later: list[FaceCrop] = []
        for face in rest:
            (row if top <= (face.box[1] + face.box[3]) / 2 <= bottom else later).append(face)
        ordered += sorted(row, key=lambda f: f.box[0])
        rest = later
    return ordered
