"""Analyse one file: what runs in each scan worker.

Opens the file once, checks what it is by its first bytes, decodes it small (``core.imaging``),
fingerprints it (``core.hashing``) and returns an ``AnalysisResult``. Never raises for a bad
file: every failure becomes a ``Photo`` whose ``error`` says why ("corrupt: truncated file",
"not an image: text", "unreadable: permission denied", ...). Must not import the store or a UI.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import replace
from typing import BinaryIO, TypeVar

import cv2

from core.analysis import content, hashing, quality
from core.errors import AnalysisError
from core.media import formats, imaging
from core.models import ANALYSIS_VERSION, DEFAULT_MAX_PIXELS, AnalysisResult, MediaType, Photo

T = TypeVar("T")


def analyse_file(
    path: str,
    *,
    want_content_hash: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> AnalysisResult:
    """Analyse the file at ``path``. The size and mtime recorded are those of the bytes read."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after fstat checks
    except OSError as exc:
        return AnalysisResult(_failed(path, _os_reason(exc)))
    with fh:
        before = os.fstat(fh.fileno())
        photo = Photo(
            path=path,
            size=before.st_size,
            mtime_ns=before.st_mtime_ns,
            ctime_ns=before.st_ctime_ns,
            inode=before.st_ino,
            device=before.st_dev,
            analysis_version=ANALYSIS_VERSION,
        )
        try:
            result = _analyse_open(fh, photo, want_content_hash, max_pixels)
        except AnalysisError as exc:
            return AnalysisResult(replace(photo, error=exc.reason))
        except OSError as exc:
            return AnalysisResult(replace(photo, error=_os_reason(exc)))
        after = os.fstat(fh.fileno())
    if _identity(after) != _identity(before):
        return AnalysisResult(replace(photo, error="changed: modified while it was being read"))
    return result


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _analyse_open(fh, photo: Photo, want_content_hash: bool, max_pixels: int) -> AnalysisResult:
    if photo.size == 0:
        raise AnalysisError("empty: zero-byte file")
    head = fh.read(formats.SNIFF_BYTES)
    fmt = formats.sniff(head)
    ext = formats.extension(photo.path)
    if formats.is_raw_name(photo.path) and fmt in (None, formats.TIFF):
        return AnalysisResult(
            replace(
                photo,
                format=formats.RAW,
                media_type=MediaType.UNSUPPORTED,
                error=f"unsupported: camera RAW file (.{ext}) is not analysed yet",
            )
        )
    if fmt is None:
        named = f" named .{ext}" if ext else ""
        raise AnalysisError(f"not an image: {formats.describe_non_image(head)}{named}")
    fh.seek(0)
    decoded = imaging.decode(fh, fmt, max_pixels=max_pixels)
    grey = cv2.cvtColor(decoded.rgb, cv2.COLOR_RGB2GRAY)
    small = hashing.reduced(grey)
    thumb = hashing.grey_thumbnail(small)
    found, screenshot = content.picture_box(decoded.rgb, small, thumb)
    picture = (round(found[0], 4), round(found[1], 4), round(found[2], 4), round(found[3], 4))
    picture_thumb = None
    if picture != content.WHOLE:
        height, width = small.shape
        left, top, right, bottom = picture
        cut = small[
            round(top * height) : round(bottom * height), round(left * width) : round(right * width)
        ]
        picture_thumb = hashing.grey_thumbnail(cut).tobytes() if cut.size else None
    meta = decoded.meta
    photo = replace(
        photo,
        format=meta.format,
        media_type=MediaType.IMAGE,
        width=meta.width,
        height=meta.height,
        orientation=meta.orientation,
        taken_at=meta.taken_at,
        camera_make=meta.camera_make,
        camera_model=meta.camera_model,
        software=meta.software,
        creator_tool=meta.creator_tool,
        provenance=meta.provenance,
        quality=quality.measure(decoded.rgb, meta.jpeg_quality, grey),
        hashes=hashing.compute_hashes(thumb),
        content_hash=hashing.content_hash(fh) if want_content_hash else None,
        picture=picture,
        screenshot=screenshot,
    )
    return AnalysisResult(photo, thumb.tobytes(), picture_thumb)


def _failed(path: str, reason: str) -> Photo:
    return Photo(path=path, size=0, mtime_ns=0, analysis_version=ANALYSIS_VERSION, error=reason)


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "vanished: deleted during the scan"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "unreadable: permission denied"
    if exc.errno == errno.EISDIR:
        return "not an image: a folder"
    return f"unreadable: {exc.strerror or exc}"


def analyse_task(task: tuple[str, bool, int]) -> AnalysisResult:
    """``analyse_file`` for a (path, want_content_hash, max_pixels) tuple: the pool's entry."""
    path, want_content_hash, max_pixels = task
    return analyse_file(path, want_content_hash=want_content_hash, max_pixels=max_pixels)


def read_if_unchanged(
    path: str, size: int, mtime_ns: int, read: Callable[[BinaryIO], T]
) -> T | None:
    """``read(file)``, or None if the file is gone or no longer has this size and mtime (a
    file that changed since it was scanned is never measured or acted on as if it had not)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
                return None
            return read(fh)
    except OSError:
        return None


def content_hash_if_unchanged(path: str, size: int, mtime_ns: int) -> str | None:
    """The file's content hash, or None if it is gone or no longer has this size and mtime."""
    return read_if_unchanged(path, size, mtime_ns, hashing.content_hash)
