"""Technical quality of one photo, measured on the scan's reduced decode (no second decode).

* **sharpness**: variance of the Laplacian of the lightly smoothed grey image, divided by the
  image's own variance, so that it does not change with brightness or contrast, and pixel
  noise does not pass for detail. Measured at the decode's scale (about 1/8 of a camera
  file's side), it compares copies of one size well; ``fine_sharpness`` (an on-demand
  measure at half size, see ``measure_fine_sharpness``) tells apart frames of a burst.
* **exposure**: mean brightness and the fractions of clipped highlights and shadows.
* **contrast**: standard deviation of the grey levels.
* **noise**: Immerkaer's fast estimate (grey levels) from a Laplacian-difference residual.
* **colourfulness**: Hasler and Suesstrunk's metric (0 for a grey image, ~35 "moderately
  colourful", ~60 "very colourful").
* **compression**: the IJG-equivalent JPEG quality read from the quantisation tables.

``quality_score`` folds them into 0..1 with per-profile weights (the design document's
defaults: sharpness 0.3, contrast 0.2, colour 0.2, brightness 0.1, compression artefacts -0.1,
noise -0.1). Must not import the store or any UI.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image

from core.analysis.masks import content_mask
from core.models import Quality

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "sharpness": 0.3,
    "contrast": 0.2,
    "colour": 0.2,
    "brightness": 0.1,
    "compression": -0.1,
    "noise": -0.1,
}

_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
_COLOUR_SIDE = 96  # colourfulness is a global statistic: measured on a small copy


def measure(rgb: np.ndarray, jpeg_q: int | None = None, grey: np.ndarray | None = None) -> Quality:
    """Quality metrics of an RGB (H x W x 3 uint8) image; ``grey`` is its grey version, if
    the caller has it already. Integer arithmetic where it is exact enough: this runs once
    per photo in the scan, next to a decode of about 10 ms."""
    if grey is None:
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    mean, std = (float(v[0][0]) for v in cv2.meanStdDev(grey))
    _, lap_std = cv2.meanStdDev(cv2.Laplacian(cv2.GaussianBlur(grey, (0, 0), 1.0), cv2.CV_16S))
    sharpness = float(lap_std[0][0]) ** 2 / (std * std + 1e-6)
    residual = cv2.filter2D(grey, cv2.CV_16S, _NOISE_KERNEL)
    noise = math.sqrt(math.pi / 2) * cv2.norm(residual, cv2.NORM_L1) / residual.size / 6.0
    pixels = grey.size
    return Quality(
        sharpness=sharpness,
        brightness=mean,
        contrast=std,
        highlights=float(np.count_nonzero(grey >= 250)) / pixels,
        shadows=float(np.count_nonzero(grey <= 5)) / pixels,
        noise=noise,
        colourfulness=colourfulness(rgb),
        jpeg_quality=jpeg_q,
    )


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003): spread and strength of the opponent colour channels,
    on a copy box-reduced by a whole factor to about ``_COLOUR_SIDE`` pixels (a global
    statistic: the smaller copy gives the same figure within a few percent)."""
    step = max(1, min(rgb.shape[:2]) // _COLOUR_SIDE)
    if step > 1:
        height, width = (rgb.shape[0] // step) * step, (rgb.shape[1] // step) * step
        rgb = cv2.resize(
            rgb[:height, :width], (width // step, height // step), interpolation=cv2.INTER_AREA
        )
    pixels = rgb.astype(np.float32)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    return math.hypot(float(rg.std()), float(yb.std())) + 0.3 * math.hypot(
        float(rg.mean()), float(yb.mean())
    )


def measure_fine_sharpness(fh: BinaryIO) -> float:
    """Sharpness at half size (JPEG DCT scaling), left out flat dark borders: what tells
    the sharpest frame of a burst from frames with slight motion blur."""
    with Image.open(fh) as im:
        im.draft("L", (max(1, im.width // 2), max(1, im.height // 2)))
        grey = np.asarray(im.convert("L"))
    inside = content_mask(grey, grow=6) > 0
    inside[:8] = inside[-8:] = False
    inside[:, :8] = inside[:, -8:] = False
    if np.count_nonzero(inside) < 64:
        return 0.0
    grey_f = grey.astype(np.float32)
    lap = cv2.Laplacian(grey_f, cv2.CV_32F)
    return float(lap[inside].var() / (grey_f[inside].var() + 1e-6))


def quality_score(
    q: Quality,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    *,
    megapixels: float = 0.0,
    face_sharpness: float | None = None,
) -> float:
    """0..1: each metric mapped to 0..1, weighted, and the weighted sum rescaled so that the
    worst possible photo scores 0 and the best 1. ``resolution`` and ``faces`` weights use
    ``megapixels`` (24 MP counts fully) and ``face_sharpness``."""
    parts = {
        "sharpness": q.sharpness / (q.sharpness + 0.02),
        "contrast": min(1.0, q.contrast / 64.0),
        "colour": q.colourfulness / (q.colourfulness + 40.0),
        "brightness": max(0.0, 1.0 - abs(q.brightness - 118.0) / 118.0)
        * (1.0 - min(1.0, 2.0 * (q.highlights + q.shadows))),
        "compression": (100 - q.jpeg_quality) / 100.0 if q.jpeg_quality else 0.0,
        "noise": q.noise / (q.noise + 5.0),
        "resolution": min(1.0, megapixels / 24.0),
        "faces": face_sharpness / (face_sharpness + 0.02) if face_sharpness else 0.0,
    }
    raw = sum(weights.get(name, 0.0) * value for name, value in parts.items())
    low = sum(w for w in weights.values() if w < 0)
    high = sum(w for w in weights.values() if w > 0)
    return (raw - low) / (high - low) if high > low else 0.0
