"""The catalog: everything photosift knows, in one SQLite file, through Peewee.

The store package is the only place that imports peewee; it hands out ``core.models``
dataclasses, never rows or queries. One catalog is open per process (the models bind to one
deferred database, ``schema.db``). Group persistence lives in ``core.store.groups``.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from core.errors import CatalogError
from core.models import AnalysisResult, Photo, ScanSummary
from core.paths import printable
from core.store import schema
from core.store.groups import GroupsMixin
from core.store.rows import CHUNK, FILE_FIELDS, file_ids, photo_from_row, photo_to_row, tuples
from core.store.schema import APPLICATION_ID, MODELS, File, Root, Scan, Thumb, db


@dataclass(frozen=True, slots=True)
class FileState:
    """What an incremental scan compares to decide whether a file must be analysed again."""

    size: int
    mtime_ns: int
    analysis_version: int
    error: str | None


class Catalog(GroupsMixin):
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
                db.pragma("user_version", schema.SCHEMA_VERSION)
            return
        if app_id != APPLICATION_ID:
            raise CatalogError(f"{self.path} is an SQLite database, but not a photosift catalog")
        if version > schema.SCHEMA_VERSION:
            raise CatalogError(
                f"{self.path} was written by a newer photosift (catalog schema {version}, this "
                f"release reads up to {schema.SCHEMA_VERSION}); upgrade photosift to use it"
            )
        for step in range(version + 1, schema.SCHEMA_VERSION + 1):
            with db.atomic():
                schema.MIGRATIONS[step](db)
                db.pragma("user_version", step)

    @property
    def schema_version(self) -> int:
        return int(db.pragma("user_version"))

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
            for path, size, mtime, version, error in tuples(query)
        }

    def size_counts(self, exclude_roots: Sequence[str] = ()) -> Counter[int]:
        """How many analysed images have each file size, outside ``exclude_roots``."""
        query = File.select(File.size, pw.fn.COUNT(File.id)).where(File.error.is_null())
        if exclude_roots:
            query = query.where(~_in_scope(exclude_roots))
        return Counter(dict(tuples(query.group_by(File.size))))

    def save_results(
        self, results: Sequence[tuple[AnalysisResult, int | None]], scan_id: int | None
    ) -> None:
        """Insert or replace the analysed files (each with its root id) and their thumbnails."""
        if not results:
            return
        now = datetime.now()
        rows = [photo_to_row(r.photo, root_id, scan_id, now) for r, root_id in results]
        with db.atomic():
            for start in range(0, len(rows), CHUNK):
                File.insert_many(rows[start : start + CHUNK], fields=FILE_FIELDS).on_conflict(
                    conflict_target=[File.path], preserve=FILE_FIELDS
                ).execute()
            ids = file_ids([r.photo.path for r, _ in results])
            thumbs = [(ids[r.photo.path], r.thumb) for r, _ in results if r.thumb is not None]
            for start in range(0, len(thumbs), CHUNK):
                Thumb.insert_many(
                    thumbs[start : start + CHUNK], fields=[Thumb.file, Thumb.data]
                ).on_conflict(conflict_target=[Thumb.file], preserve=[Thumb.data]).execute()
            stale = [ids[r.photo.path] for r, _ in results if r.thumb is None]
            for start in range(0, len(stale), CHUNK):
                Thumb.delete().where(Thumb.file.in_(stale[start : start + CHUNK])).execute()

    def forget(self, paths: Sequence[str]) -> int:
        """Remove files from the catalog (not from disk). Returns how many rows went."""
        removed = 0
        with db.atomic():
            for start in range(0, len(paths), CHUNK):
                chunk = paths[start : start + CHUNK]
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
        return [photo_from_row(row) for row in query.order_by(File.path)]

    def set_content_hash(self, path: str, size: int, mtime_ns: int, digest: str) -> bool:
        """Record a content hash if the file is still the one described; False otherwise."""
        return _update_unchanged(path, size, mtime_ns, content_hash=digest)

    def set_measures(self, photo: Photo, **values: object) -> bool:
        """Store measures taken after the scan (fine_sharpness, faces, eyes_open,
        face_sharpness) if the file is still the one described; False otherwise."""
        allowed = {"fine_sharpness", "faces", "eyes_open", "face_sharpness"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not a measure: {', '.join(sorted(unknown))}")
        return _update_unchanged(photo.path, photo.size, photo.mtime_ns, **values)

    # -- reading ------------------------------------------------------------------------

    def photos(self, *, errors: bool = False, roots: Sequence[str] = ()) -> list[Photo]:
        """Catalogued files in path order: analysed images, or with ``errors`` only failures."""
        query = File.select(File, Root.path.alias("root_path")).join(
            Root, pw.JOIN.LEFT_OUTER, on=(File.root == Root.id)
        )
        query = query.where(File.error.is_null(False) if errors else File.error.is_null())
        if roots:
            query = query.where(_under_any(roots))
        return [photo_from_row(row) for row in query.order_by(File.path).objects()]

    def photo(self, path: str) -> Photo | None:
        row = File.get_or_none(File.path == path)
        return photo_from_row(row) if row else None

    def thumbnails(self, paths: Sequence[str]) -> dict[str, bytes]:
        """path -> grey thumbnail bytes, for the given files that have one."""
        out: dict[str, bytes] = {}
        for start in range(0, len(paths), CHUNK):
            chunk = paths[start : start + CHUNK]
            query = Thumb.select(File.path, Thumb.data).join(File).where(File.path.in_(chunk))
            out.update((path, bytes(data)) for path, data in tuples(query))
        return out

    def counts(self) -> dict[str, int]:
        return {
            "files": File.select().count(),
            "images": File.select().where(File.error.is_null()).count(),
            "problems": File.select().where(File.error.is_null(False)).count(),
            "roots": Root.select().count(),
            "scans": Scan.select().count(),
        }


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


def _update_unchanged(path: str, size: int, mtime_ns: int, **values: object) -> bool:
    """Set ``values`` on the file if it is still the one described; False otherwise."""
    query = File.update(**values).where(
        (File.path == path) & (File.size == size) & (File.mtime_ns == mtime_ns)
    )
    return bool(query.execute())
