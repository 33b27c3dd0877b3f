"""Faces and open eyes, with OpenCV's bundled Haar cascades, on a reduced image.

Used when a profile asks for it (family, professional): to keep the burst frame in which the
most eyes are open, and to weigh the sharpness inside faces. A frontal face is searched on
a copy about ``WORKING_SIDE`` pixels long; eyes are searched in the upper half of each face
(the eye cascade finds open eyes and seldom closed ones). Must not import the store or any UI.
"""

from __future__ import annotations

import functools
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, ImageOps

from core.models import Faces

WORKING_SIDE = 1000
EYE_FACE_WIDTH = 240


@functools.cache
def _cascade(name: str) -> cv2.CascadeClassifier:
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]
    if classifier.empty():
        raise RuntimeError(f"OpenCV's cascade {name} is missing")
    return classifier


def detect_in(grey: np.ndarray) -> Faces:
    """Faces, open eyes and face sharpness in a grey image (uint8)."""
    grey = cv2.equalizeHist(grey)
    short = min(grey.shape)
    faces = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        grey, scaleFactor=1.2, minNeighbors=5, minSize=(max(24, short // 10),) * 2
    )
    eyes_open = 0
    sharpness = 0.0
    for x, y, w, h in faces:
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
        eyes_open += min(2, len(eyes))
        box = grey[y : y + h, x : x + w].astype(np.float32)
        lap = cv2.Laplacian(cv2.GaussianBlur(box, (0, 0), 1.0), cv2.CV_32F)
        sharpness = max(sharpness, float(lap.var() / (box.var() + 1e-6)))
    return Faces(count=len(faces), eyes_open=eyes_open, sharpness=sharpness)


def detect(fh: BinaryIO) -> Faces:
    """Faces in an image file, decoded about ``WORKING_SIDE`` pixels long and upright."""
    with Image.open(fh) as im:
        im.draft("L", (WORKING_SIDE, WORKING_SIDE))
        upright = ImageOps.exif_transpose(im.convert("L"))
    upright.thumbnail((WORKING_SIDE, WORKING_SIDE))
    return detect_in(np.asarray(upright))
