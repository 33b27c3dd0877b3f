"""The catalog: a SQLite database of everything photosift knows, through Peewee.

This is the only module that imports peewee. It hands out ``core.models`` dataclasses, never
rows or queries. One catalog is open per process (the models bind to one deferred database).

Conventions:
* paths are stored as BLOBs of their file-system bytes, so names that are not UTF-8 round-trip;
* 64-bit hashes are stored as signed integers (SQLite has no unsigned 64-bit type);
* the schema version is ``PRAGMA user_version``; a new catalog is created at the current version
  and an older one is brought forward by the steps in ``MIGRATIONS``;
* ``PRAGMA application_id`` marks the file as a photosift catalog.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import peewee as pw

from core.errors import CatalogError
from core.models import AnalysisResult, Hashes, MediaType, Photo, ScanSummary, printable

SCHEMA_VERSION = 1
APPLICATION_ID = 0x50534654  # "PSFT"
_CHUNK = 500  # rows per statement; well under SQLite's bound-variable limit

db = pw.SqliteDatabase(None)


class PathField(pw.BlobField):
    """A file-system path stored as its exact bytes (``os.fsencode``)."""

    def db_value(self, value):
        return None if value is None else os.fsencode(value)

    def python_value(self, value):
        return None if value is None else os.fsdecode(bytes(value))


class Hash64Field(pw.BigIntegerField):
    """An unsigned 64-bit hash stored as SQLite's signed 64-bit integer."""

    def db_value(self, value):
        if value is None:
            return None
        return value - (1 << 64) if value >= 1 << 63 else value

    def python_value(self, value):
        if value is None:
            return None
        return value + (1 << 64) if value < 0 else value


class _Model(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Root(_Model):
    """A folder that was scanned. ``reference`` folders are matched but never proposed for
    backup (used by grouping)."""

    id = pw.AutoField()
    path = PathField(unique=True)
    reference = pw.BooleanField(default=False)
    added_at = pw.DateTimeField(default=datetime.now)
    last_scan_at = pw.DateTimeField(null=True)


class Scan(_Model):
    id = pw.AutoField()
    started_at = pw.DateTimeField(default=datetime.now)
    finished_at = pw.DateTimeField(null=True)
    roots = pw.TextField()  # newline-separated, for display
    status = pw.CharField(default="running")  # running | finished | interrupted | failed
    seen = pw.IntegerField(default=0)
    analysed = pw.IntegerField(default=0)
    unchanged = pw.IntegerField(default=0)
    skipped = pw.IntegerField(default=0)
    removed = pw.IntegerField(default=0)
    elapsed = pw.FloatField(default=0.0)


class File(_Model):
    id = pw.AutoField()
    path = PathField(unique=True)
    root = pw.ForeignKeyField(Root, null=True, on_delete="SET NULL", backref="files")
    scan = pw.ForeignKeyField(Scan, null=True, on_delete="SET NULL")  # scan that analysed it
    size = pw.BigIntegerField(index=True)
    mtime_ns = pw.BigIntegerField()
    inode = pw.BigIntegerField(default=0)
    device = pw.BigIntegerField(default=0)
    format = pw.CharField(null=True)
    media_type = pw.CharField(null=True)
    width = pw.IntegerField(null=True)
    height = pw.IntegerField(null=True)
    orientation = pw.SmallIntegerField(default=1)
    taken_at = pw.DateTimeField(null=True)
    camera_make = pw.CharField(null=True)
    camera_model = pw.CharField(null=True)
    has_camera_exif = pw.BooleanField(default=False)
    software = pw.CharField(null=True)
    content_hash = pw.CharField(null=True, index=True)
    ahash = Hash64Field(null=True)
    dhash = Hash64Field(null=True)
    phash = Hash64Field(null=True)
    analysis_version = pw.IntegerField(default=0)
    error = pw.TextField(null=True)
    analysed_at = pw.DateTimeField(default=datetime.now)


class Thumb(_Model):
    """The small grey thumbnail of each analysed photo, apart from ``File`` so that reading
    the catalog's metadata never pages through 4 KiB blobs."""

    file = pw.ForeignKeyField(File, primary_key=True, on_delete="CASCADE", backref="thumb")
    data = pw.BlobField()


MODELS: list[type[_Model]] = [Root, Scan, File, Thumb]

# version -> step that brings a catalog from version-1 to version. New catalogs are created at
# SCHEMA_VERSION directly from the models above; these steps only ever run on older files.
MIGRATIONS: dict[int, Callable[[pw.SqliteDatabase], None]] = {}

_FILE_FIELDS = [f for f in File._meta.sorted_fields if f.name != "id"]


@dataclass(frozen=True, slots=True)
class FileState:
    """What an incremental scan compares to decide whether a file must be analysed again."""

    size: int
    mtime_ns: int
    analysis_version: int
    error: str | None


class Catalog:
    """An open catalog. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str) -> None:
        self.path = path
        parent = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as exc:
            raise CatalogError(
                f"cannot create the catalog folder {parent}: {exc.strerror}"
            ) from exc
        if os.path.isdir(path):
            raise CatalogError(f"{path} is a folder, not a catalog file")
        # WAL is switched on only once the file is known to be ours (it persists in the file);
        # the other pragmas hold per connection.
        db.init(
            path,
            pragmas={"foreign_keys": 1, "synchronous": "normal", "busy_timeout": 10_000},
        )
        try:
            db.connect(reuse_if_open=True)
            self._prepare_schema()
            db.pragma("journal_mode", "wal")
        except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
            db.close()
            raise CatalogError(f"{path} is not a usable photosift catalog ({exc})") from exc
        except CatalogError:
            db.close()
            raise

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not db.is_closed():
            db.close()

    # -- schema -------------------------------------------------------------------------

    def _prepare_schema(self) -> None:
        version = db.pragma("user_version")
        app_id = db.pragma("application_id")
        if version == 0:
            if db.get_tables() and app_id != APPLICATION_ID:
                raise CatalogError(
                    f"{self.path} is an SQLite database, but not a photosift catalog"
                )
            with db.atomic():
                db.create_tables(MODELS)
                db.pragma("application_id", APPLICATION_ID)
                db.pragma("user_version", SCHEMA_VERSION)
            return
        if app_id != APPLICATION_ID:
            raise CatalogError(f"{self.path} is an SQLite database, but not a photosift catalog")
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"{self.path} was written by a newer photosift (catalog schema {version}, this "
                f"release reads up to {SCHEMA_VERSION}); upgrade photosift to use it"
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            with db.atomic():
                MIGRATIONS[step](db)
                db.pragma("user_version", step)

    @property
    def schema_version(self) -> int:
        return int(db.pragma("user_version"))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with db.atomic():
            yield

    # -- roots and scans ----------------------------------------------------------------

    def ensure_roots(self, paths: Iterable[str]) -> dict[str, int]:
        """Register scan roots (real paths); returns path -> root id."""
        ids = {}
        with db.atomic():
            for path in paths:
                root, _ = Root.get_or_create(path=path)
                ids[path] = root.id
        return ids

    def begin_scan(self, roots: Sequence[str]) -> int:
        return Scan.create(roots="\n".join(printable(root) for root in roots)).id

    def finish_scan(self, scan_id: int, summary: ScanSummary, status: str) -> None:
        now = datetime.now()
        with db.atomic():
            Scan.update(
                finished_at=now,
                status=status,
                seen=summary.seen,
                analysed=summary.analysed,
                unchanged=summary.unchanged,
                skipped=summary.skipped_total,
                removed=summary.removed,
                elapsed=summary.elapsed,
            ).where(Scan.id == scan_id).execute()
            if status == "finished":
                Root.update(last_scan_at=now).where(Root.path.in_(summary.roots)).execute()

    # -- files --------------------------------------------------------------------------

    def file_states(self, roots: Sequence[str]) -> dict[str, FileState]:
        """path -> state for every catalogued file of ``roots``: below one of them, or found
        through one (a followed link can lead outside)."""
        query = File.select(
            File.path, File.size, File.mtime_ns, File.analysis_version, File.error
        ).where(_in_scope(roots))
        return {
            path: FileState(size, mtime, version, error)
            for path, size, mtime, version, error in _tuples(query)
        }

    def size_counts(self, exclude_roots: Sequence[str] = ()) -> Counter[int]:
        """How many analysed images have each file size, outside ``exclude_roots``."""
        query = File.select(File.size, pw.fn.COUNT(File.id)).where(File.error.is_null())
        if exclude_roots:
            query = query.where(~_in_scope(exclude_roots))
        return Counter(dict(_tuples(query.group_by(File.size))))

    def save_results(
        self, results: Sequence[tuple[AnalysisResult, int | None]], scan_id: int | None
    ) -> None:
        """Insert or replace the analysed files (each with its root id) and their thumbnails."""
        if not results:
            return
        now = datetime.now()
        rows = [_photo_row(r.photo, root_id, scan_id, now) for r, root_id in results]
        with db.atomic():
            for start in range(0, len(rows), _CHUNK):
                File.insert_many(rows[start : start + _CHUNK], fields=_FILE_FIELDS).on_conflict(
                    conflict_target=[File.path], preserve=_FILE_FIELDS
                ).execute()
            ids = self._ids([r.photo.path for r, _ in results])
            thumbs = [(ids[r.photo.path], r.thumb) for r, _ in results if r.thumb is not None]
            for start in range(0, len(thumbs), _CHUNK):
                Thumb.insert_many(
                    thumbs[start : start + _CHUNK], fields=[Thumb.file, Thumb.data]
                ).on_conflict(conflict_target=[Thumb.file], preserve=[Thumb.data]).execute()
            stale = [ids[r.photo.path] for r, _ in results if r.thumb is None]
            for start in range(0, len(stale), _CHUNK):
                Thumb.delete().where(Thumb.file.in_(stale[start : start + _CHUNK])).execute()

    def _ids(self, paths: Sequence[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for start in range(0, len(paths), _CHUNK):
            chunk = paths[start : start + _CHUNK]
            ids.update(_tuples(File.select(File.path, File.id).where(File.path.in_(chunk))))
        return ids

    def forget(self, paths: Sequence[str]) -> int:
        """Remove files from the catalog (not from disk). Returns how many rows went."""
        removed = 0
        with db.atomic():
            for start in range(0, len(paths), _CHUNK):
                chunk = paths[start : start + _CHUNK]
                removed += File.delete().where(File.path.in_(chunk)).execute()
        return removed

    def missing_content_hashes(self) -> list[Photo]:
        """Analysed images that share their size with another one but have no content hash."""
        colliding = (
            File.select(File.size)
            .where(File.error.is_null())
            .group_by(File.size)
            .having(pw.fn.COUNT(File.id) > 1)
        )
        query = File.select().where(
            File.error.is_null() & File.content_hash.is_null() & File.size.in_(colliding)
        )
        return [_photo(row) for row in query.order_by(File.path)]

    def set_content_hash(self, path: str, size: int, mtime_ns: int, digest: str) -> bool:
        """Record a content hash if the file is still the one described; False otherwise."""
        updated = (
            File.update(content_hash=digest)
            .where((File.path == path) & (File.size == size) & (File.mtime_ns == mtime_ns))
            .execute()
        )
        return bool(updated)

    # -- reading ------------------------------------------------------------------------

    def photos(self, *, errors: bool = False, roots: Sequence[str] = ()) -> list[Photo]:
        """Catalogued files in path order: analysed images, or with ``errors`` only failures."""
        query = File.select(File, Root.path.alias("root_path")).join(
            Root, pw.JOIN.LEFT_OUTER, on=(File.root == Root.id)
        )
        query = query.where(File.error.is_null(False) if errors else File.error.is_null())
        if roots:
            query = query.where(_under_any(roots))
        return [_photo(row) for row in query.order_by(File.path).objects()]

    def photo(self, path: str) -> Photo | None:
        row = File.get_or_none(File.path == path)
        return _photo(row) if row else None

    def thumbnails(self, paths: Sequence[str]) -> dict[str, bytes]:
        """path -> grey thumbnail bytes, for the given files that have one."""
        out: dict[str, bytes] = {}
        for start in range(0, len(paths), _CHUNK):
            chunk = paths[start : start + _CHUNK]
            query = Thumb.select(File.path, Thumb.data).join(File).where(File.path.in_(chunk))
            out.update((path, bytes(data)) for path, data in _tuples(query))
        return out

    def counts(self) -> dict[str, int]:
        return {
            "files": File.select().count(),
            "images": File.select().where(File.error.is_null()).count(),
            "problems": File.select().where(File.error.is_null(False)).count(),
            "roots": Root.select().count(),
            "scans": Scan.select().count(),
        }


def _tuples(query: Any) -> Iterator[tuple[Any, ...]]:
    """Rows of ``query`` as plain tuples, streamed."""
    return cast(Iterator[tuple[Any, ...]], query.tuples().iterator())


def _in_scope(roots: Sequence[str]) -> pw.Expression:
    """SQL: the file lies below one of ``roots`` or was found through one of them."""
    found_through = File.root.in_(Root.select(Root.id).where(Root.path.in_(list(roots))))
    return _under_any(roots) | found_through


def _under_any(roots: Sequence[str]) -> pw.Expression:
    """SQL: the path is one of ``roots`` or lies below one (a byte-range test on the BLOB)."""
    clause: pw.Expression | None = None
    for root in roots:
        raw = os.fsencode(root).rstrip(b"/")
        below = (File.path >= raw + b"/") & (File.path < raw + b"0")  # "0" follows "/"
        term = (File.path == (raw or b"/")) | below
        clause = term if clause is None else (clause | term)
    if clause is None:
        raise ValueError("no roots given")
    return clause


def _photo_row(photo: Photo, root_id: int | None, scan_id: int | None, now: datetime) -> tuple:
    h = photo.hashes
    values = {
        "path": photo.path,
        "root": root_id,
        "scan": scan_id,
        "size": photo.size,
        "mtime_ns": photo.mtime_ns,
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
        "error": printable(photo.error) if photo.error else None,
        "analysed_at": now,
    }
    return tuple(values[f.name] for f in _FILE_FIELDS)


def _photo(row: File) -> Photo:
    hashes = None
    if row.ahash is not None and row.dhash is not None and row.phash is not None:
        hashes = Hashes(ahash=row.ahash, dhash=row.dhash, phash=row.phash)
    root_path = getattr(row, "root_path", None)
    if isinstance(root_path, bytes | memoryview):
        root_path = os.fsdecode(bytes(root_path))
    return Photo(
        id=row.id,
        path=row.path,
        root=root_path,
        size=row.size,
        mtime_ns=row.mtime_ns,
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
        analysis_version=row.analysis_version,
        error=row.error,
    )
