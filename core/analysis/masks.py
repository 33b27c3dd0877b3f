"""Which part of a small grey image shows the photo: flat dark regions touching the edge
(letterbox bars, the black corners of a rotation) are not picture content. Used by the
quality metrics and by visual comparison. Pure numpy/OpenCV; must not import the store or any
UI.
"""

from __future__ import annotations

import cv2
import numpy as np

_BAR_DARK, _BAR_STD, _BAR_MIN = 12, 3.0, 0.02
_MIN_CONTENT = 0.35  # a mask that would leave less than this share falls back to everything


def content_mask(thumb: np.ndarray, grow: int = 2) -> np.ndarray:
    """1.0 where a grey image (uint8) shows the photo, 0.0 on flat dark regions touching its
    edge (letterbox bars, black corners) and ``grow`` pixels around them. Falls back to
    everything if that would leave too little."""
    dark = (thumb <= _BAR_DARK).astype(np.uint8)
    count, labels = cv2.connectedComponents(dark, connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    bars = np.zeros(thumb.shape, np.uint8)
    for label in edge[edge > 0]:
        region = labels == label
        pixels = thumb[region]
        if pixels.size >= _BAR_MIN * thumb.size and pixels.std() <= _BAR_STD:
            bars[region] = 1
    if not bars.any():
        return np.ones(thumb.shape, np.float32)
    grown = cv2.dilate(bars, np.ones((3, 3), np.uint8), iterations=grow)
    if grown.mean() > 1.0 - _MIN_CONTENT:
        return np.ones(thumb.shape, np.float32)
    return (1 - grown).astype(np.float32)
