"""What photosift knows about a file: what discovery saw, what analysis measured, and the
record the catalog keeps. Frozen dataclasses and enums; imports nothing from photosift."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Bump when what analysis computes changes: a re-scan then re-analyses every file.
ANALYSIS_VERSION = 4  # 2: pHash from an exact 2x2 box reduction; 3: quality, provenance;
# 4: the picture's box (inside borders, or in a screenshot) and its own thumbnail

# Images with more pixels than this are refused unopened: a guard against decompression bombs.
DEFAULT_MAX_PIXELS = 200_000_000

# Failure categories retried by the next scan even if the file looks unchanged: the cause may
# have gone (permissions, a copy in progress, memory short when a decoder died), or the limit
# may have been raised ("too large" is decided from the header alone, so retrying costs next
# to nothing).
RETRY_CATEGORIES = frozenset({"unreadable", "changed", "vanished", "too large", "crashed"})


class MediaType(StrEnum):
    IMAGE = "image"
    UNSUPPORTED = "unsupported"  # recognised, but not analysed (camera RAW for now)


@dataclass(frozen=True, slots=True)
class Hashes:
    """Three 64-bit perceptual hashes as unsigned ints (bit 63 is the first hash bit)."""

    ahash: int
    dhash: int
    phash: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A regular file found under a scan root: what `stat` said, before anything was read."""

    path: str  # real path; may carry surrogate escapes for names that are not UTF-8
    root: str
    size: int
    mtime_ns: int
    inode: int
    device: int
    ctime_ns: int = 0  # inode change time: a replaced file gets a new one even with the old mtime


@dataclass(frozen=True, slots=True)
class Quality:
    """Technical quality metrics of a photo (see ``core.quality`` for what each means)."""

    sharpness: float
    brightness: float  # mean grey level, 0..255
    contrast: float  # standard deviation of the grey levels
    highlights: float  # fraction of pixels clipped white
    shadows: float  # fraction of pixels clipped black
    noise: float  # grey levels
    colourfulness: float
    jpeg_quality: int | None = None  # IJG-equivalent, for JPEG files
    fine_sharpness: float | None = None  # at half size, measured on demand


@dataclass(frozen=True, slots=True)
class Faces:
    """What face detection found in a photo (``core.faces``)."""

    count: int
    eyes_open: int
    sharpness: float  # the sharpest face's, contrast-normalised like Quality.sharpness


@dataclass(frozen=True, slots=True)
class Photo:
    """What the catalog knows about one file. ``error`` is set (and the analysis fields are
    empty) when the file could not be analysed; its text before the colon is the category."""

    path: str
    size: int
    mtime_ns: int
    inode: int = 0
    device: int = 0
    ctime_ns: int = 0  # 0: not known (catalogued by a release that did not record it)
    root: str | None = None
    id: int | None = None
    format: str | None = None
    media_type: MediaType | None = None
    width: int | None = None  # as displayed, after the EXIF orientation
    height: int | None = None
    orientation: int = 1
    taken_at: datetime | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    software: str | None = None
    content_hash: str | None = None
    hashes: Hashes | None = None
    quality: Quality | None = None
    creator_tool: str | None = None  # XMP CreatorTool / history agents, C2PA claim generator
    provenance: str | None = None  # an AI-content mark (C2PA, IPTC digital source type)
    faces: Faces | None = None  # measured on demand, when a profile looks at faces
    # where the picture is (left, top, right, bottom in fractions): inside uniform borders,
    # or the photo a screenshot shows; (0, 0, 1, 1) the whole; None if not measured
    picture: tuple[float, float, float, float] | None = None
    screenshot: bool = False  # the picture is a photo shown inside an app's screen
    analysis_version: int = 0
    error: str | None = None

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def has_camera_exif(self) -> bool:
        return bool(self.camera_make or self.camera_model)

    @property
    def megapixels(self) -> float:
        return (self.width or 0) * (self.height or 0) / 1e6

    @property
    def error_category(self) -> str | None:
        return self.error.split(":", 1)[0] if self.error else None


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """What analysing one file produced: the catalog record and, for images, the small grey
    thumbnail (``THUMB_SIZE`` squared bytes, row-major) that later stages compare."""

    photo: Photo
    thumb: bytes | None = None
    picture_thumb: bytes | None = None  # the same of the picture's box, when not the whole
