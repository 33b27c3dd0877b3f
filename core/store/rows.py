"""Conversions between catalog rows and ``core.models`` values, and small query helpers
shared by the store's modules."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, cast

import peewee as pw

from core.models import Faces, Hashes, MediaType, Photo, Quality
from core.paths import printable

CHUNK = 500  # rows per statement; well under SQLite's bound-variable limit


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    model: type[pw.Model], fields: Sequence[Any], rows: Sequence[tuple], replace: bool = False
) -> None:
    """Insert plain ``rows`` of values (already as stored: no field conversion) into
    ``model``'s table with one prepared statement: for many rows of a few numbers, a hundred
    times faster than building an INSERT per chunk."""
    if not rows:
        return
    table = model._meta.table_name
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join("?" * len(fields))
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    sql = f'{verb} INTO "{table}" ({columns}) VALUES ({marks})'
    model._meta.database.cursor().executemany(sql, rows)


def tuples(query: Any) -> Iterator[tuple[Any, ...]]:
    """Rows of ``query`` as plain tuples, streamed."""
    return cast(Iterator[tuple[Any, ...]], query.tuples().iterator())


def plain_rows(query: Any) -> list[tuple[Any, ...]]:
    """Rows of ``query`` as SQLite gives them, without peewee's conversions: for many rows
    of plain numbers, several times faster than ``tuples``."""
    sql, params = query.sql()
    return cast(
        list[tuple[Any, ...]], query.model._meta.database.execute_sql(sql, params).fetchall()
    )


def file_fields(file_model: type[pw.Model]) -> list[pw.Field]:
    """The columns of the file table that a saved analysis writes (all but the id)."""
    return [f for f in file_model._meta.sorted_fields if f.name != "id"]


def photo_to_row(
    photo: Photo,
    root_id: int | None,
    scan_id: int | None,
    now: datetime,
    columns: Sequence[pw.Field],
) -> tuple:
    h = photo.hashes
    values = {
        "path": photo.path,
        "root": root_id,
        "scan": scan_id,
        "size": photo.size,
        "mtime_ns": photo.mtime_ns,
        "ctime_ns": photo.ctime_ns or None,
        "inode": photo.inode,
        "device": photo.device,
        "format": photo.format,
        "media_type": photo.media_type.value if photo.media_type else None,
        "width": photo.width,
        "height": photo.height,
        "orientation": photo.orientation,
        "taken_at": photo.taken_at,
        "camera_make": photo.camera_make,
        "camera_model": photo.camera_model,
        "has_camera_exif": photo.has_camera_exif,
        "software": photo.software,
        "content_hash": photo.content_hash,
        "ahash": h.ahash if h else None,
        "dhash": h.dhash if h else None,
        "phash": h.phash if h else None,
        "analysis_version": photo.analysis_version,
        "creator_tool": photo.creator_tool,
        "provenance": photo.provenance,
        **_quality_values(photo.quality),
        # faces are measured on demand, when a profile asks; a new analysis starts afresh
        "faces": None,
        "eyes_open": None,
        "face_sharpness": None,
        "error": printable(photo.error) if photo.error else None,
        "analysed_at": now,
        **dict(zip(_PICTURE_FIELDS, photo.picture or (None,) * 4, strict=True)),
        "picture_screen": photo.screenshot if photo.picture is not None else None,
    }
    return tuple(values[f.name] for f in columns)


def photo_from_row(row: Any, root: str | None = None) -> Photo:
    """The Photo of a file row; its root is ``root``, or the row's selected ``root_path``."""
    hashes = None
    if row.ahash is not None and row.dhash is not None and row.phash is not None:
        hashes = Hashes(ahash=row.ahash, dhash=row.dhash, phash=row.phash)
    root_path = root or getattr(row, "root_path", None)
    if isinstance(root_path, bytes | memoryview):
        root_path = os.fsdecode(bytes(root_path))
    return Photo(
        id=row.id,
        path=row.path,
        root=root_path,
        size=row.size,
        mtime_ns=row.mtime_ns,
        ctime_ns=row.ctime_ns or 0,
        inode=row.inode,
        device=row.device,
        format=row.format,
        media_type=MediaType(row.media_type) if row.media_type else None,
        width=row.width,
        height=row.height,
        orientation=row.orientation,
        taken_at=row.taken_at,
        camera_make=row.camera_make,
        camera_model=row.camera_model,
        software=row.software,
        content_hash=row.content_hash,
        hashes=hashes,
        quality=_quality(row),
        faces=Faces(row.faces, row.eyes_open or 0, row.face_sharpness or 0.0)
        if row.faces is not None
        else None,
        creator_tool=row.creator_tool,
        provenance=row.provenance,
        analysis_version=row.analysis_version,
        error=row.error,
        picture=_picture(row),
        screenshot=bool(getattr(row, "picture_screen", None)),
    )


_QUALITY_FIELDS = [f.name for f in fields(Quality)]
_PICTURE_FIELDS = ("picture_left", "picture_top", "picture_right", "picture_bottom")


def _picture(row: Any) -> tuple[float, float, float, float] | None:
    sides = tuple(getattr(row, name, None) for name in _PICTURE_FIELDS)
    return None if None in sides else sides  # type: ignore[return-value]


def _quality_values(quality: Quality | None) -> dict[str, object]:
    if quality is None:
        return dict.fromkeys(_QUALITY_FIELDS)
    return {name: getattr(quality, name) for name in _QUALITY_FIELDS}


def _quality(row: Any) -> Quality | None:
    if row.sharpness is None:
        return None
    return Quality(**{name: getattr(row, name) for name in _QUALITY_FIELDS})
