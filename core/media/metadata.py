"""What a photo's file says about it: EXIF (orientation, capture time, camera, software),
the JPEG quantisation tables, and provenance: XMP's CreatorTool and history agents, and
C2PA / IPTC marks of AI-made or AI-edited content. Reads an opened Pillow image; decodes
nothing. Must not import the store or any UI.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PIL import Image

from core.media import formats

log = logging.getLogger(__name__)

_TAG_ORIENTATION = 0x0112
_TAG_MAKE, _TAG_MODEL, _TAG_SOFTWARE, _TAG_DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
_IFD_EXIF = 0x8769
_TAG_DATETIME_ORIGINAL, _TAG_DATETIME_DIGITIZED = 0x9003, 0x9004
_TAG_SUBSEC_ORIGINAL, _TAG_SUBSEC_DIGITIZED = 0x9291, 0x9292

# Formats whose decoder applies the container's rotation itself (pillow-heif does; Pillow's
# AVIF reader reports the container's rotation as an EXIF orientation instead).
SELF_ORIENTING = {formats.HEIF}
_EXIF_DATE = re.compile(r"^\s*(\d{4})[:\-](\d\d)[:\-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
_XMP_TOOLS = re.compile(
    rb"(?:xmp:CreatorTool|stEvt:softwareAgent)(?:=\"([^\"]{1,200})\"|>([^<]{1,200})<)"
)
_AI_SOURCE = re.compile(rb"(compositeWith)?[Tt]rainedAlgorithmicMedia|algorithmicMedia")
_C2PA_GENERATOR = b"claim_generator"


@dataclass(frozen=True, slots=True)
class ImageMeta:
    format: str
    width: int  # as displayed, after orientation
    height: int
    orientation: int
    taken_at: datetime | None
    camera_make: str | None
    camera_model: str | None
    software: str | None
    jpeg_quality: int | None = None
    creator_tool: str | None = None  # XMP CreatorTool / history agents, C2PA claim generator
    provenance: str | None = None  # e.g. "C2PA", "C2PA: trainedAlgorithmicMedia"


def read_meta(im: Image.Image, fmt: str, width: int, height: int) -> ImageMeta:
    try:
        exif = im.getexif()
        sub = exif.get_ifd(_IFD_EXIF)
    except Exception as exc:  # a broken EXIF block is not a broken photo
        log.debug("unreadable EXIF: %s", exc)
        exif, sub = Image.Exif(), {}
    orientation = _int(exif.get(_TAG_ORIENTATION), 1)
    if fmt in SELF_ORIENTING:
        orientation = _int(im.info.get("original_orientation"), orientation)
    if orientation not in range(1, 9):
        orientation = 1
    if orientation in (5, 6, 7, 8) and fmt not in SELF_ORIENTING:
        width, height = height, width
    taken = (
        _exif_datetime(sub.get(_TAG_DATETIME_ORIGINAL), sub.get(_TAG_SUBSEC_ORIGINAL))
        or _exif_datetime(sub.get(_TAG_DATETIME_DIGITIZED), sub.get(_TAG_SUBSEC_DIGITIZED))
        or _exif_datetime(exif.get(_TAG_DATETIME), None)
    )
    return ImageMeta(
        format=fmt,
        width=width,
        height=height,
        orientation=orientation,
        taken_at=taken,
        camera_make=_text(exif.get(_TAG_MAKE)),
        camera_model=_text(exif.get(_TAG_MODEL)),
        software=_text(exif.get(_TAG_SOFTWARE)),
        jpeg_quality=jpeg_quality(getattr(im, "quantization", None)) if fmt == "JPEG" else None,
        creator_tool=_creator_tools(im),
        provenance=_provenance(im),
    )


def _xmp(im: Image.Image) -> bytes:
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = im.info.get(key)
        if isinstance(value, str):
            return value.encode("utf-8", "replace")
        if isinstance(value, bytes):
            return value
    return b""


def _c2pa(im: Image.Image) -> bytes:
    """The C2PA manifest store (JUMBF in JPEG APP11 segments), if the file carries one."""
    segments = [data for marker, data in getattr(im, "applist", []) if marker == "APP11"]
    store = b"".join(segments)
    return store if b"c2pa" in store else b""


def _creator_tools(im: Image.Image) -> str | None:
    names: list[str] = []
    for match in _XMP_TOOLS.finditer(_xmp(im)):
        names.append((match.group(1) or match.group(2)).decode("utf-8", "replace").strip())
    manifest = _c2pa(im)
    at = manifest.find(_C2PA_GENERATOR)
    if at >= 0:
        names.append(_cbor_text(manifest, at + len(_C2PA_GENERATOR)))
    unique = [n for i, n in enumerate(names) if n and n not in names[:i]]
    return "; ".join(unique)[:300] or None


def _cbor_text(data: bytes, at: int) -> str:
    """The CBOR text string that starts at ``data[at]`` (short forms only), else ''."""
    if at >= len(data):
        return ""
    head = data[at]
    if 0x60 <= head <= 0x77:
        length, start = head - 0x60, at + 1
    elif head == 0x78 and at + 1 < len(data):
        length, start = data[at + 1], at + 2
    else:
        return ""
    return data[start : start + length].decode("utf-8", "replace").strip()


def _provenance(im: Image.Image) -> str | None:
    manifest = _c2pa(im)
    for source, label in ((manifest, "C2PA"), (_xmp(im), "IPTC")):
        found = _AI_SOURCE.search(source) if source else None
        if found:
            return f"{label}: {found.group(0).decode()}"
    return "C2PA" if manifest else None


def _exif_datetime(value: object, subsec: object) -> datetime | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" (plus sub-seconds) as a naive datetime; None if implausible."""
    text = _text(value)
    match = _EXIF_DATE.match(text) if text else None
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = map(int, match.groups())
        when = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00" and friends
        return None
    digits = "".join(ch for ch in (_text(subsec) or "") if ch.isdigit())[:6]
    if digits:
        when = when.replace(microsecond=int(digits.ljust(6, "0")))
    return when


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", " ").strip()
    return value or None


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default


# IJG's standard luminance quantisation table (quality 50), row by row.
_IJG_LUMA = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
     14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    dtype=np.float64,
)  # fmt: skip


def _ijg_table_sum(quality: int) -> float:
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return float(np.clip(np.floor((_IJG_LUMA * scale + 50) / 100), 1, 255).sum())


_IJG_SUMS = {q: _ijg_table_sum(q) for q in range(1, 101)}


def jpeg_quality(quantization: Mapping[int, object] | None) -> int | None:
    """The IJG quality whose luminance table is closest to the file's (by table sum)."""
    if not quantization or 0 not in quantization:
        return None
    table = quantization[0]
    total = float(np.sum(np.asarray(table, dtype=np.float64)))
    return min(_IJG_SUMS, key=lambda q: abs(_IJG_SUMS[q] - total))
