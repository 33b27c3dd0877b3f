"""What kind of file is this: image formats recognised by their first bytes, and the file-name
extensions photosift trusts enough to skip sniffing. Pure functions; imports nothing heavy."""

from __future__ import annotations

import os
from typing import BinaryIO

from core.errors import AnalysisError

SNIFF_BYTES = 32

# Extensions of the images photosift analyses. A file with one of these is a candidate without
# being opened during discovery; its content is still checked when it is analysed.
IMAGE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "tif", "tiff", "bmp", "dib"}
    | {"heic", "heif", "hif", "avif"}
)
# Camera RAW files: recognised and listed, not analysed yet.
RAW_EXTENSIONS = frozenset(
    {"dng", "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "orf", "rw2", "raf"}
    | {"pef", "srw", "x3f", "3fr", "iiq", "rwl", "erf", "kdc", "mos"}
)
# Files that are certainly not photos; they are not opened at all. Anything else without an
# image extension is sniffed, so a photo saved without (or with a wrong) extension is found.
SKIP_EXTENSIONS = frozenset(
    # video, and the sidecar files cameras write next to it
    {"mp4", "mov", "m4v", "avi", "mkv", "mts", "m2ts", "3gp", "wmv", "webm", "mpg", "mpeg"}
    | {"flv", "lrv", "thm"}
    # audio
    | {"mp3", "m4a", "aac", "wav", "flac", "ogg", "opus", "wma"}
    # documents, metadata sidecars, code, databases
    | {"txt", "md", "rst", "json", "xml", "xmp", "aae", "ini", "log", "nfo", "csv", "pdf"}
    | {"doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "html", "htm", "css", "js", "py"}
    | {"sh", "db", "sqlite", "sqlite3", "lnk", "url"}
    # archives and binaries
    | {"zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "tar", "iso", "dmg", "exe", "dll", "so"}
)

# Formats as Pillow names them, for the formats photosift can decode.
JPEG, PNG, GIF, WEBP, TIFF, BMP = "JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"
HEIF, AVIF = "HEIF", "AVIF"
RAW = "RAW"

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}


def extension(path: str) -> str:
    return os.path.splitext(path)[1][1:].lower()


def sniff(head: bytes) -> str | None:
    """The image format that ``head`` (a file's first bytes) starts, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if head[:2] == b"BM" and len(head) >= 14:
        return BMP
    if head[4:8] == b"ftyp":
        return _sniff_isobmff(head)
    return None


def _sniff_isobmff(head: bytes) -> str | None:
    """HEIF and AVIF share the ISO box layout: a major brand, then compatible brands."""
    box_end = min(len(head), int.from_bytes(head[:4], "big") or len(head))
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, box_end - 3, 4)}
    if brands & _AVIF_BRANDS:
        return AVIF
    if brands & _HEIF_BRANDS:
        return HEIF
    return None


def describe_non_image(head: bytes) -> str:
    """A short guess at what a file that is not an image is, for the reason we record."""
    if not head:
        return "empty file"
    if head.startswith((b"%PDF",)):
        return "PDF document"
    if head.startswith((b"PK\x03\x04",)):
        return "ZIP archive"
    if head[4:8] == b"ftyp":
        return "video or other ISO media"
    if b"\x00" not in head and all(b >= 32 or b in b"\t\n\r" for b in head):
        return "text"
    return "unknown binary data"


def is_raw_name(path: str) -> bool:
    return extension(path) in RAW_EXTENSIONS


def sniff_file(fh: BinaryIO) -> str:
    """The format of the image in ``fh`` (rewound afterwards); AnalysisError("not an image:
    ...") for anything else."""
    head = fh.read(SNIFF_BYTES)
    fmt = sniff(head)
    if fmt is None:
        raise AnalysisError(f"not an image: {describe_non_image(head)}")
    fh.seek(0)
    return fmt
