"""Sidecars: the small files that belong to a photo and must go wherever it goes. An XMP
file of the same stem (``IMG_1.xmp``) or of the whole name (``IMG_1.JPG.xmp``), Apple's
``IMG_1.AAE``, and Google Takeout's ``IMG_1.JPG.json`` (also ``.supplemental-metadata.json``
and its truncated spellings). Extensions are compared without regard to case.

A sidecar shared by a photo that stays (``IMG_1.JPG`` kept, ``IMG_1.HEIC`` moved, one
``IMG_1.xmp``) stays too. Must not import the store or any UI.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

_STEM_SIDECARS = (".xmp", ".aae")  # IMG_1.xmp, IMG_1.AAE
_NAME_SIDECARS = (".xmp", ".json")  # IMG_1.JPG.xmp, IMG_1.JPG.json


def belongs_to(sidecar: str, photo: str) -> bool:
    """The file named ``sidecar`` (a name, not a path) is a sidecar of the photo named
    ``photo`` in the same folder."""
    if sidecar == photo:
        return False
    lower, name = sidecar.lower(), photo.lower()
    stem = os.path.splitext(name)[0]
    base, ext = os.path.splitext(lower)
    if ext in _STEM_SIDECARS and base == stem:
        return True
    if ext in _NAME_SIDECARS and base == name:
        return True
    # Takeout: IMG_1.JPG.supplemental-metadata.json, also cut short (...supplemental-met.json)
    return ext == ".json" and lower.startswith(name + ".")


def sidecars(photo: str, moving: Iterable[str] = ()) -> list[str]:
    """The sidecar files next to ``photo`` (a path), in name order, leaving out those that
    also belong to another file of the folder that is not in ``moving`` (it stays)."""
    folder, name = os.path.split(photo)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    going = {os.path.basename(p) for p in moving if os.path.dirname(p) == folder} | {name}
    mine = [e for e in entries if belongs_to(e.name, name) and e.is_file(follow_symlinks=False)]
    sidecar_names = {e.name for e in mine}
    others = [e.name for e in entries if e.name not in going and e.name not in sidecar_names]
    return [e.path for e in mine if not any(belongs_to(e.name, other) for other in others)]
