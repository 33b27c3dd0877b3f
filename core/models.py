"""The values photosift passes around: frozen dataclasses and enums, no behaviour beyond small
derived properties. Shared by every layer; imports nothing from photosift or any library."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# Bump when what analysis computes changes: a re-scan then re-analyses every file.
ANALYSIS_VERSION = 3  # 2: pHash from an exact 2x2 box reduction; 3: quality, provenance

# Images with more pixels than this are refused unopened: a guard against decompression bombs.
DEFAULT_MAX_PIXELS = 200_000_000

# Failure categories retried by the next scan even if the file looks unchanged: the cause may
# have gone (permissions, a copy in progress), or the limit may have been raised ("too large"
# is decided from the header alone, so retrying costs next to nothing).
RETRY_CATEGORIES = frozenset({"unreadable", "changed", "vanished", "too large"})


def printable(text: str) -> str:
    """``text`` safe to print or store as UTF-8: the undecodable bytes of a file name (kept by
    Python as surrogate escapes) are shown as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_below(path: str, folders: Iterable[str]) -> bool:
    """``path`` lies inside one of ``folders`` (a folder named like the start of another,
    /x/ref and /x/refs, does not count)."""
    return any(path.startswith(folder.rstrip("/") + "/") for folder in folders)


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


class ScanPhase(StrEnum):
    DISCOVERING = "discovering"
    ANALYSING = "analysing"
    HASHING = "hashing"  # content hashes of older files whose size now collides
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """One progress event. ``done``/``total`` count files of the current phase."""

    phase: ScanPhase
    done: int = 0
    total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    errors: int = 0
    current: str | None = None
    elapsed: float = 0.0
    phase_elapsed: float = 0.0

    @property
    def rate(self) -> float:
        """Files per second in this phase."""
        return self.done / self.phase_elapsed if self.phase_elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left in this phase, estimated from bytes when they are known."""
        if self.phase_elapsed <= 0 or self.done == 0:
            return None
        if self.bytes_total and self.bytes_done:
            return (self.bytes_total - self.bytes_done) * self.phase_elapsed / self.bytes_done
        return (self.total - self.done) / self.rate


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """What a scan did. ``skipped`` maps a reason category to a count; ``problems`` lists
    (path, reason) for the files that could not be analysed in this scan."""

    roots: tuple[str, ...]
    seen: int = 0
    analysed: int = 0
    unchanged: int = 0
    removed: int = 0
    hashed: int = 0
    bytes_read: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    skipped: dict[str, int] = field(default_factory=dict)
    problems: tuple[tuple[str, str], ...] = ()
    unreadable_dirs: tuple[str, ...] = ()

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def rate(self) -> float:
        return self.analysed / self.elapsed if self.elapsed > 0 else 0.0


class Tier(StrEnum):
    """How alike a group's photos are, from the strictest: byte-identical copies, the same
    photo saved differently, distinct shots of one moment (a burst)."""

    EXACT = "exact"
    NEAR = "near"
    SIMILAR = "similar"


TIER_ORDER = {Tier.EXACT: 0, Tier.NEAR: 1, Tier.SIMILAR: 2}


@dataclass(frozen=True, slots=True)
class GroupMember:
    photo: Photo
    relation: Tier  # exact: has a byte-identical copy here; near: same photo saved
    # differently; similar: another shot (a burst frame, another capture time)
    similarity: float  # visual similarity to the group's anchor (1.0: identical)
    reference: bool = False  # in a reference folder: matched, never proposed for backup


@dataclass(frozen=True, slots=True)
class Burst:
    """Frames shot in quick succession by one camera, in capture order."""

    members: tuple[str, ...]
    keep: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    tier: Tier
    anchor: str  # the member every other one was verified against
    members: tuple[GroupMember, ...]  # sorted by path
    bursts: tuple[Burst, ...] = ()
    id: int | None = None
    keep: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(m.photo.path for m in self.members)

    @property
    def size(self) -> int:
        return sum(m.photo.size for m in self.members)

    @property
    def similarity(self) -> float:
        return min(m.similarity for m in self.members)

    @property
    def reclaimable(self) -> int:
        """Bytes freed by keeping one file (``keep``, else the largest) and backing up the rest;
        files in reference folders are never counted."""
        kept = self.keep or max(self.members, key=lambda m: (m.photo.size, m.photo.path)).photo.path
        return sum(m.photo.size for m in self.members if m.photo.path != kept and not m.reference)


@dataclass(frozen=True, slots=True)
class GroupingProgress:
    phase: str
    done: int = 0
    total: int = 0
