"""Roots that come and go: is a scanned folder really there, or is it a NAS share or a USB
disk that is not mounted right now?

An unmounted drive usually leaves its mount point behind as an empty folder on another file
system. Rescanning that as if it were the collection would forget every photo, group and
verdict of it. So a root is *unavailable*, and its catalogued files are kept, when

* it does not exist any more, though the catalog knows it;
* it walks as empty where it held files at the last scan;
* it is on another device than at the last scan and fewer than half of its catalogued files
  are found there (the mount point with some stray files in it).

A root on another device whose files are there was remounted: it is available, and its files'
old device number maps to the new one, so they are not analysed again for it.
Pure decisions on what the catalog and the walk say; must not import the store or a UI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.models import Candidate


@dataclass(frozen=True, slots=True)
class KnownRoot:
    """What the catalog remembers of a root."""

    device: int | None  # its device at the last scan
    files: int  # catalogued files below it


@dataclass(frozen=True, slots=True)
class RootVerdict:
    path: str
    device: int | None  # the device it is on now (None: it is not there)
    unavailable: str | None = None  # why its files are kept unscanned
    old_device: int | None = None  # set when it was remounted: files move to ``device``


def missing_root(path: str, known: KnownRoot) -> RootVerdict:
    return RootVerdict(
        path,
        None,
        f"not found: it held {_photos(known.files)} at the last scan; is its drive mounted?",
    )


def judge_root(
    path: str, known: KnownRoot | None, found: Sequence[Candidate], catalogued: set[str]
) -> RootVerdict:
    """The verdict on a root that exists, from what the walk ``found`` below it and the paths
    the catalog holds below it (``catalogued``)."""
    device = _device(path)
    if known is None or known.files == 0:
        return RootVerdict(path, device)
    if not found:
        return RootVerdict(
            path,
            device,
            f"empty: it held {_photos(known.files)} at the last scan; is its drive mounted?",
        )
    if known.device is None or device is None or device == known.device:
        return RootVerdict(path, device)
    there = sum(c.path in catalogued for c in found)
    if there * 2 < known.files:
        return RootVerdict(
            path,
            device,
            f"on another device than at the last scan, and {known.files - there} of its "
            f"{_photos(known.files)} are not there; is the right drive mounted?",
        )
    return RootVerdict(path, device, old_device=known.device)


def _device(path: str) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def device_map(verdicts: Sequence[RootVerdict]) -> Mapping[int, int]:
    """Old device -> new device, for the roots that were remounted."""
    return {
        v.old_device: v.device
        for v in verdicts
        if v.old_device is not None and v.device is not None and not v.unavailable
    }


def _photos(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"
