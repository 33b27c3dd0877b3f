"""Which file of a group is the original the others were made from?

Two kinds of evidence:

* **Centrality.** Each derived copy is the original plus an edit: brighter, less contrast,
  blurred, noisier, grey, watermarked. Two copies differ by two edits, a copy and the
  original by one. So among files of the same size, the original is the one closest to all
  the others in its quality metrics (brightness, contrast, colourfulness, sharpness, noise).
* **Provenance hints** that copies rarely keep: a camera's file name (IMG_1234, DSC_0042,
  PXL_20240101_...), a camera folder (DCIM, Camera Roll), being the oldest file; against it,
  the names and folders of copies (" copy", "-edited", " (2)", WhatsApp, Downloads, Edits,
  exports, random hex names).

Mirrored and rotated copies are pixel-for-pixel the same photo, so only the hints can tell
them from the original. Must not import the store or any UI.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence

from core.models import Photo

_CAMERA_NAME = re.compile(
    r"^(IMG_\d{4}|IMG_\d{8}_\d{6}|DSC_?\d{4,5}|DSCF\d{4}|DSCN\d{4}|DSC\d{5}|P[0-9A-C]\d{6}"
    r"|P\d{7}|PXL_\d{8}_\d{6,9}|\d{8}_\d{6}|100_\d{4}|HPIM\d{4}|IMGP\d{4}|GOPR\d{4}"
    r"|MVIMG_\d{8}_\d{6}|SAM_\d{4}|CIMG\d{4}|_?MG_\d{4}|DJI_\d{4})$",
    re.IGNORECASE,
)
_COPY_NAME = re.compile(
    r"( \(\d+\)|[ _-](copy|edited|edit|small|resized|min|web|\d{1,2}))$"
    r"|^(IMG-\d{8}-WA\d{4}|photo|image|download|untitled|export|edit|final|web|insta|screenshot)\b"
    r"|^[0-9a-f]{8,}$",
    re.IGNORECASE,
)
_COPY_FOLDERS = frozenset(
    {"whatsapp", "telegram", "signal", "messenger", "downloads", "download", "edits",
     "edited", "exports", "export", "tmp", "temp", "sent", "screenshots", "instagram"}
)  # fmt: skip
_CAMERA_FOLDERS = frozenset({"dcim", "camera"})

_FEATURES = ("brightness", "contrast", "colourfulness", "sharpness", "noise")
_FLOOR = {"brightness": 2.0, "contrast": 2.0, "colourfulness": 2.0, "sharpness": 0.002,
          "noise": 0.5}  # fmt: skip
# One hint weighs as much as this much less distance to the others. On the benchmark corpora
# every value from 0.05 to 1.0 picks the same files; 0.2 sits in the middle of that range.
HINT_WEIGHT = 0.2
_RESAVE_DRIFT = 0.03  # re-encoding alone moves a metric by up to about 3%


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def hints(photo: Photo, oldest: bool, camera_exif_differs: bool = False) -> list[tuple[str, float]]:
    """Provenance hints for ``photo`` as (reason, weight): positive for an original. Folders
    are read below the scanned root, so where the collection lives does not count.
    ``camera_exif_differs``: some files of the group carry camera EXIF and some do not."""
    below = os.path.relpath(photo.path, photo.root) if photo.root else photo.path
    folder, name = os.path.split(below)
    stem = os.path.splitext(name)[0]
    found: list[tuple[str, float]] = []
    if _CAMERA_NAME.match(stem):
        found.append(("a camera's file name", 1.0))
    if _COPY_NAME.search(stem):
        found.append(("the name of a copy", -1.5))
    words = _words(folder)
    if words & _CAMERA_FOLDERS:
        found.append(("in a camera folder", 1.0))
    if words & _COPY_FOLDERS:
        found.append(("in a folder of copies", -1.0))
    if camera_exif_differs:
        if photo.has_camera_exif:
            found.append(("camera EXIF that copies lost", 1.0))
        else:
            found.append(("no camera EXIF, unlike its relatives", -1.0))
    if oldest:
        found.append(("the oldest file", 1.5))
    return found


def distance(a: Photo, b: Photo) -> float:
    """How far apart two photos' quality metrics are: the sum of absolute log ratios, each
    less the few percent that re-encoding alone moves a metric."""
    qa, qb = a.quality, b.quality
    if qa is None or qb is None:
        return 0.0
    total = 0.0
    for name in _FEATURES:
        floor = _FLOOR[name]
        ratio = abs(math.log((getattr(qa, name) + floor) / (getattr(qb, name) + floor)))
        total += max(0.0, ratio - _RESAVE_DRIFT)
    return total


def same_pixels(a: Photo, b: Photo) -> bool:
    """No metric moved more than re-encoding moves it: the same pixels, saved again,
    mirrored or turned (which no metric here can see)."""
    return (a.width or 0) * (a.height or 0) == (b.width or 0) * (b.height or 0) and (
        distance(a, b) == 0.0
    )


def rank(candidates: Sequence[Photo], relatives: Sequence[Photo]) -> list[Photo]:
    """``candidates`` from most to least likely the original, judged against ``relatives``
    (the group's files of the same size, candidates included).

    Files showing the same pixels form one class; the class the other files are closest to
    (in sum of distances) is the original's, and within a class only the provenance hints
    can tell the original from its re-saves, mirrors and turns."""
    everyone = list({id(p): p for p in (*candidates, *relatives)}.values())
    classes: list[list[Photo]] = []
    for photo in everyone:
        home = next((c for c in classes if all(same_pixels(photo, p) for p in c)), None)
        if home is None:
            classes.append([photo])
        else:
            home.append(photo)
    spread = {}
    for members in classes:
        others = [p for p in relatives if p not in members]
        value = sum(distance(members[0], other) for other in others)
        for photo in members:
            spread[id(photo)] = value
    oldest = min(p.mtime_ns for p in candidates)
    differs = len({p.has_camera_exif for p in everyone}) > 1

    def key(photo: Photo) -> tuple[float, float, int, str]:
        hint = sum(weight for _, weight in hints(photo, photo.mtime_ns == oldest, differs))
        return (spread[id(photo)] - HINT_WEIGHT * hint, -hint, photo.mtime_ns, photo.path)

    return sorted(candidates, key=key)
