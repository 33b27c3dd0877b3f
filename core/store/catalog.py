"""The catalog: everything photosift knows, in one SQLite file, through Peewee.

The store package is the only place that imports peewee; it hands out ``core.models``
dataclasses, never rows or queries. Each ``Catalog`` has its own database and its own models
(``schema.Tables``), and is safe to use from several threads: every thread gets its own
connection on first use. Writes are IMMEDIATE transactions; every write that changes what a
grouping reads bumps the catalog's *generation*, so a grouping computed while a scan commits
is never stored as current. Group persistence lives in ``core.store.groups``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from core.errors import CatalogError
from core.models import AnalysisResult, Photo, ScanSummary
from core.paths import printable
from core.store import database, schema
from core.store.decisions import DecisionsMixin
from core.store.groups import GroupsMixin
from core.store.rows import (
    chunks,
    file_fields,
    insert_rows,
    photo_from_row,
    photo_to_row,
    plain_rows,
    tuples,
)

_GENERATION = "generation"


@dataclass(frozen=True, slots=True)
class FileState:
    """What an incremental scan compares to decide whether a file must be analysed again."""

    size: int
    mtime_ns: int
    ctime_ns: int  # 0: not recorded (catalogued by an older release)
    inode: int
    device: int
    analysis_version: int
    error: str | None


@dataclass(frozen=True, slots=True)
class RootState:
    """A scanned root as the catalog remembers it."""

    path: str
    id: int
    device: int | None  # the device it was on at its last scan
    unavailable: str | None  # why it was unavailable at the last scan, if it was
    files: int  # catalogued files below it (or found through it)


class Catalog(GroupsMixin, DecisionsMixin):
    """An open catalog. Use as a context manager, or call ``close()``.

    ``create``: make a new catalog file if there is none (else refuse with advice to scan).
    ``read_only``: True reads only; None decides by whether the file and its folder can be
    written (``self.read_only`` says what was decided). ``own_folder``: the folder is
    photosift's own, and is made private if others can read it. ``notes`` lists what was done
    that the person should hear about (permissions tightened)."""

    def __init__(
        self,
        path: str,
        *,
        create: bool = True,
        read_only: bool | None = False,
        own_folder: bool = False,
    ) -> None:
        self.path = path
        self.notes = database.prepare_file(
            path, create=create and read_only is not True, own_folder=own_folder
        )
        can_write = database.writable(path)
        if read_only is False and not can_write:
            raise CatalogError(
                f"the catalog {path} is read-only here (a read-only medium, or not yours to "
                "write); this command needs to write to it"
            )
        self.read_only = not can_write if read_only is None else read_only
        self.db = database.connect(path, read_only=self.read_only)
        self.t = schema.Tables(self.db)
        self._columns = file_fields(self.t.File)
        try:
            self._prepare_schema()
            if not self.read_only and self.db.pragma("journal_mode") != "wal":
                self.db.pragma("journal_mode", "wal")  # once the file is known to be ours
        except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
            self.db.close()
            raise database.busy_error(path, exc) or CatalogError(
                f"{path} is not a usable photosift catalog ({exc})"
            ) from exc
        except CatalogError:
            self.db.close()
            raise

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close this thread's connection (other threads' close when they end)."""
        if not self.db.is_closed():
            self.db.close()

    # -- schema and transactions -------------------------------------------------------------

    def _prepare_schema(self) -> None:
        version, app_id = self.db.pragma("user_version"), self.db.pragma("application_id")
        if version == schema.SCHEMA_VERSION and app_id == schema.APPLICATION_ID:
            return
        self._refuse_foreign(version, app_id)
        if self.read_only:
            raise CatalogError(
                f"{self.path} needs an upgrade to catalog schema {schema.SCHEMA_VERSION}, but "
                "it is read-only here; open it once where it can be written"
            )
        with self.db.atomic():  # IMMEDIATE: another process may be creating it right now
            version = self.db.pragma("user_version")
            if version == 0:
                self.db.create_tables(self.t.all)
                self.db.pragma("application_id", schema.APPLICATION_ID)
                self.db.pragma("user_version", schema.SCHEMA_VERSION)
                return
            for step in range(version + 1, schema.SCHEMA_VERSION + 1):
                schema.MIGRATIONS[step](self.db)
                self.db.pragma("user_version", step)

    def _refuse_foreign(self, version: int, app_id: int) -> None:
        if version == 0 and not self.db.get_tables():
            return  # a new, empty file
        if app_id != schema.APPLICATION_ID:
            raise CatalogError(f"{self.path} is an SQLite database, but not a photosift catalog")
        if version > schema.SCHEMA_VERSION:
            raise CatalogError(
                f"{self.path} was written by a newer photosift (catalog schema {version}, this "
                f"release reads up to {schema.SCHEMA_VERSION}); upgrade photosift to use it"
            )

    @property
    def schema_version(self) -> int:
        return int(self.db.pragma("user_version"))

    @contextlib.contextmanager
    def writing(self, *, inputs: bool = True) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE, waiting for the lock). ``inputs``: it
        changes what a grouping reads, so the generation goes up with it."""
        if self.read_only:
            raise CatalogError(f"the catalog {self.path} is read-only here; it can only be read")
        try:
            with self.db.atomic():
                yield
                if inputs:
                    self.db.execute_sql(
                        "INSERT INTO setting (key, value) VALUES (?, '1') ON CONFLICT (key) "
                        "DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                        (_GENERATION,),
                    )
        except pw.OperationalError as exc:
            _raise_clearly(self.path, exc)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: everything read inside sees the catalog as of one moment, while
        other connections go on writing. Nothing may be written inside."""
        if self.db.in_transaction():
            yield
            return
        try:
            with self.db.atomic("DEFERRED"):
                yield
        except pw.OperationalError as exc:
            _raise_clearly(self.path, exc)

    def generation(self) -> int:
        """A number that every write of grouping inputs (files, verdicts, reference folders)
        increases: equal numbers, same inputs."""
        value = self.setting(_GENERATION)
        return int(value) if value else 0

    # -- roots and scans ---------------------------------------------------------------------

    def ensure_roots(self, paths: Iterable[str]) -> dict[str, int]:
        """Register scan roots (real paths); returns path -> root id."""
        Root = self.t.Root
        ids = {}
        with self.writing(inputs=False):
            for path in paths:
                root, _ = Root.get_or_create(path=path)
                ids[path] = root.id
        return ids

    def root_states(self, paths: Sequence[str]) -> dict[str, RootState]:
        """The catalogued roots among ``paths``, with how many files each holds."""
        Root = self.t.Root
        out = {}
        with self.snapshot():
            for row in Root.select().where(Root.path.in_(list(paths))):
                files = self.t.File.select().where(self._in_scope([row.path])).count()
                out[row.path] = RootState(row.path, row.id, row.device, row.unavailable, files)
        return out

    def root_paths(self) -> list[str]:
        Root = self.t.Root
        return sorted(path for (path,) in tuples(Root.select(Root.path)))

    def set_root_state(self, path: str, *, device: int | None, unavailable: str | None) -> None:
        """Record a root's device at this scan, and why it is unavailable (None: it is not)."""
        Root = self.t.Root
        with self.writing(inputs=False):
            query = Root.update(unavailable=unavailable)
            if device is not None:
                query = Root.update(unavailable=unavailable, device=device)
            query.where(Root.path == path).execute()

    def unavailable_roots(self) -> dict[str, str]:
        """path -> why, for the roots found unavailable at their last scan."""
        Root = self.t.Root
        query = Root.select(Root.path, Root.unavailable).where(Root.unavailable.is_null(False))
        return dict(tuples(query))

    def begin_scan(self, roots: Sequence[str]) -> int:
        with self.writing(inputs=False):
            return self.t.Scan.create(roots="\n".join(printable(root) for root in roots)).id

    def finish_scan(self, scan_id: int, summary: ScanSummary, status: str) -> None:
        Root, Scan = self.t.Root, self.t.Scan
        now = datetime.now()
        with self.writing(inputs=False):
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
                scanned = [r for r in summary.roots if r not in summary.unavailable]
                Root.update(last_scan_at=now).where(Root.path.in_(scanned)).execute()

    # -- files -------------------------------------------------------------------------------

    def file_states(self, roots: Sequence[str]) -> dict[str, FileState]:
        """path -> state for every catalogued file of ``roots``: below one of them, or found
        through one (a followed link can lead outside)."""
        File = self.t.File
        query = File.select(
            File.path, File.size, File.mtime_ns, File.ctime_ns, File.inode, File.device,
            File.analysis_version, File.error,
        ).where(self._in_scope(roots))  # fmt: skip
        return {
            path: FileState(size, mtime, ctime or 0, inode, device, version, error)
            for path, size, mtime, ctime, inode, device, version, error in tuples(query)
        }

    def record_stats(self, stats: Sequence[tuple[str, int, int, int]]) -> None:
        """Update (path, ctime_ns, inode, device) of files found unchanged in every other way:
        a catalog written before ctimes were recorded, or a root remounted on a new device."""
        File = self.t.File
        with self.writing(inputs=False):
            for path, ctime_ns, inode, device in stats:
                File.update(ctime_ns=ctime_ns, inode=inode, device=device).where(
                    File.path == path
                ).execute()

    def size_counts(self, exclude_roots: Sequence[str] = ()) -> Counter[int]:
        """How many analysed images have each file size, outside ``exclude_roots``."""
        File = self.t.File
        query = File.select(File.size, pw.fn.COUNT(File.id)).where(File.error.is_null())
        if exclude_roots:
            query = query.where(~self._in_scope(exclude_roots))
        return Counter(dict(tuples(query.group_by(File.size))))

    def save_results(
        self, results: Sequence[tuple[AnalysisResult, int | None]], scan_id: int | None
    ) -> None:
        """Insert or replace the analysed files (each with its root id) and their thumbnails."""
        if not results:
            return
        File, Thumb = self.t.File, self.t.Thumb
        now = datetime.now()
        rows = [photo_to_row(r.photo, root, scan_id, now, self._columns) for r, root in results]
        with self.writing():
            for chunk in chunks(rows):
                File.insert_many(chunk, fields=self._columns).on_conflict(
                    conflict_target=[File.path], preserve=self._columns
                ).execute()
            ids = self.file_ids([r.photo.path for r, _ in results])
            # (grouping's variant hashes of the old thumbnails go with them)
            thumbs = [
                (ids[r.photo.path], r.thumb, r.picture_thumb, None)
                for r, _ in results
                if r.thumb is not None
            ]
            fields = [Thumb.file, Thumb.data, Thumb.picture, Thumb.variants]
            for chunk in chunks(thumbs):
                Thumb.insert_many(chunk, fields=fields).on_conflict(
                    conflict_target=[Thumb.file], preserve=fields[1:]
                ).execute()
            Link, Candidate, Searched = self.t.Link, self.t.Candidate, self.t.Searched
            for chunk in chunks(list(ids.values())):  # pairs found on what they were
                Link.delete().where(Link.a.in_(chunk) | Link.b.in_(chunk)).execute()
                Candidate.delete().where(Candidate.a.in_(chunk) | Candidate.b.in_(chunk)).execute()
                Searched.delete().where(Searched.file.in_(chunk)).execute()
            stale = [ids[r.photo.path] for r, _ in results if r.thumb is None]
            for chunk in chunks(stale):
                Thumb.delete().where(Thumb.file.in_(chunk)).execute()

    def forget(self, paths: Sequence[str]) -> int:
        """Remove files from the catalog (not from disk). Returns how many rows went."""
        File = self.t.File
        removed = 0
        if not paths:
            return 0
        with self.writing():
            for chunk in chunks(paths):
                removed += File.delete().where(File.path.in_(chunk)).execute()
        return removed

    def forget_below(self, roots: Sequence[str]) -> int:
        """Forget every file of ``roots`` (below them, or found through them)."""
        File = self.t.File
        with self.writing():
            return File.delete().where(self._in_scope(roots)).execute()

    def missing_content_hashes(self) -> list[Photo]:
        """Analysed images that share their size with another one but have no content hash."""
        File = self.t.File
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
        with self.writing():
            return self._update_unchanged(path, size, mtime_ns, content_hash=digest)

    def set_measures(self, photo: Photo, **values: object) -> bool:
        """Store measures taken after the scan (fine_sharpness, faces, eyes_open,
        face_sharpness) if the file is still the one described; False otherwise."""
        allowed = {"fine_sharpness", "faces", "eyes_open", "face_sharpness"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"not a measure: {', '.join(sorted(unknown))}")
        with self.writing(inputs=False):
            return self._update_unchanged(photo.path, photo.size, photo.mtime_ns, **values)

    def _update_unchanged(self, path: str, size: int, mtime_ns: int, **values: object) -> bool:
        File = self.t.File
        query = File.update(**values).where(
            (File.path == path) & (File.size == size) & (File.mtime_ns == mtime_ns)
        )
        return bool(query.execute())

    # -- reading -----------------------------------------------------------------------------

    def photos(self, *, errors: bool = False, roots: Sequence[str] = ()) -> list[Photo]:
        """Catalogued files in path order: analysed images, or with ``errors`` only failures."""
        File, Root = self.t.File, self.t.Root
        query = File.select(File, Root.path.alias("root_path")).join(
            Root, pw.JOIN.LEFT_OUTER, on=(File.root == Root.id)
        )
        query = query.where(File.error.is_null(False) if errors else File.error.is_null())
        if roots:
            query = query.where(self._under_any(roots))
        return [photo_from_row(row) for row in query.order_by(File.path).objects()]

    def photos_for(
        self,
        paths: Iterable[str],
        *,
        inodes: Iterable[int] = (),
        content_hashes: Iterable[str] = (),
    ) -> list[Photo]:
        """Catalogued images (no failures) at one of ``paths``, or with one of the ``inodes``
        or ``content_hashes``, in path order: what a few decisions need, without reading every
        photo."""
        File, Root = self.t.File, self.t.Root
        found: dict[str, Photo] = {}
        for column, values in (
            (File.path, paths), (File.inode, inodes), (File.content_hash, content_hashes),
        ):  # fmt: skip
            for chunk in chunks(sorted(set(values))):
                query = (
                    File.select(File, Root.path.alias("root_path"))
                    .join(Root, pw.JOIN.LEFT_OUTER, on=(File.root == Root.id))
                    .where(File.error.is_null() & column.in_(chunk))
                )
                for row in query.objects():
                    photo = photo_from_row(row)
                    found[photo.path] = photo
        return [found[path] for path in sorted(found)]

    def photo(self, path: str) -> Photo | None:
        File = self.t.File
        row = File.get_or_none(File.path == path)
        return photo_from_row(row) if row else None

    def thumbnails(self, paths: Sequence[str]) -> dict[str, bytes]:
        """path -> grey thumbnail bytes, for the given files that have one."""
        File, Thumb = self.t.File, self.t.Thumb
        out: dict[str, bytes] = {}
        for chunk in chunks(paths):
            query = Thumb.select(File.path, Thumb.data).join(File).where(File.path.in_(chunk))
            out.update((path, bytes(data)) for path, data in tuples(query))
        return out

    def picture_thumbnails(self, paths: Sequence[str]) -> dict[str, bytes]:
        """path -> the grey thumbnail of the picture's box, for the given files whose
        picture is not the whole photo."""
        File, Thumb = self.t.File, self.t.Thumb
        out: dict[str, bytes] = {}
        for chunk in chunks(paths):
            query = (
                Thumb.select(File.path, Thumb.picture)
                .join(File)
                .where(File.path.in_(chunk), Thumb.picture.is_null(False))
            )
            out.update((path, bytes(data)) for path, data in tuples(query))
        return out

    # -- what grouping keeps between runs ----------------------------------------------

    def cached_variants(self, ids: Sequence[int], version: int) -> dict[int, bytes]:
        """file id -> the variant hashes grouping stored for it with ``version``."""
        Thumb = self.t.Thumb
        stamp = _stamp(version)
        out: dict[int, bytes] = {}
        for chunk in chunks(ids):
            query = Thumb.select(Thumb.file, Thumb.variants).where(
                Thumb.file.in_(chunk), Thumb.variants.is_null(False)
            )
            for file_id, blob in tuples(query):
                data = bytes(blob)
                if data[: len(stamp)] == stamp:
                    out[file_id] = data[len(stamp) :]
        return out

    def save_variants(self, rows: dict[int, bytes], version: int) -> None:
        """Keep grouping's variant hashes of these files (by file id)."""
        if not rows or self.read_only:
            return
        Thumb, stamp = self.t.Thumb, _stamp(version)
        with self.writing(inputs=False):
            self.db.cursor().executemany(
                f'UPDATE "{Thumb._meta.table_name}" SET "variants" = ? WHERE "file_id" = ?',
                [(stamp + data, file_id) for file_id, data in rows.items()],
            )

    def cached_links(self, version: int) -> dict[tuple[int, int, float], float]:
        """(file id, file id, similarity needed) -> similarity found, for the pairs grouping
        verified with ``version``."""
        Link = self.t.Link
        query = Link.select(Link.a, Link.b, Link.needed, Link.score).where(Link.version == version)
        return {(a, b, needed): score for a, b, needed, score in plain_rows(query)}

    def save_links(self, rows: Sequence[tuple[int, int, float, float]], version: int) -> None:
        """Keep verified pairs: (file id, file id, similarity needed, similarity found)."""
        if not rows or self.read_only:
            return
        Link = self.t.Link
        fields = [Link.a, Link.b, Link.needed, Link.score, Link.version]
        with self.writing(inputs=False):
            Link.delete().where(Link.version != version).execute()
            insert_rows(Link, fields, [(*row, version) for row in rows], replace=True)

    def searched_files(self, ids: Sequence[int], stamp: int) -> set[int]:
        """Those of the file ids the hash search of ``stamp`` searched (``save_candidates``)."""
        Searched = self.t.Searched
        found: set[int] = set()
        for chunk in chunks(ids):
            query = Searched.select(Searched.file).where(
                Searched.file.in_(chunk), Searched.stamp == stamp
            )
            found.update(file_id for (file_id,) in tuples(query))
        return found

    def cached_candidates(self, stamp: int) -> list[tuple[int, int, int, int, int, int, int]]:
        """The candidate pairs the hash search of ``stamp`` found: (file id a, file id b,
        distance, face of a, face of b, search, column)."""
        C = self.t.Candidate
        query = C.select(C.a, C.b, C.distance, C.face_a, C.face_b, C.search, C.column).where(
            C.stamp == stamp
        )
        return plain_rows(query)

    def save_candidates(
        self,
        rows: Sequence[tuple[int, int, int, int, int, int, int]],
        searched: Sequence[int],
        unsearched: Sequence[int],
        stamp: int,
    ) -> None:
        """Keep the candidate pairs a hash search of ``stamp`` found for the files it
        ``searched`` (rows as ``cached_candidates``), replacing what was kept of them; the
        ``unsearched`` files' pairs go (they were not searched this time). What other
        searches kept goes too."""
        if self.read_only or not (rows or searched or unsearched):
            return
        Candidate, Searched = self.t.Candidate, self.t.Searched
        fields = [
            Candidate.a, Candidate.b, Candidate.distance, Candidate.face_a, Candidate.face_b,
            Candidate.search, Candidate.column, Candidate.stamp,
        ]  # fmt: skip
        with self.writing(inputs=False):
            Candidate.delete().where(Candidate.stamp != stamp).execute()
            Searched.delete().where(Searched.stamp != stamp).execute()
            for chunk in chunks([*searched, *unsearched]):
                Candidate.delete().where(Candidate.a.in_(chunk) | Candidate.b.in_(chunk)).execute()
                Searched.delete().where(Searched.file.in_(chunk)).execute()
            insert_rows(Candidate, fields, [(*row, stamp) for row in rows], replace=True)
            insert_rows(Searched, [Searched.file, Searched.stamp], [(f, stamp) for f in searched])

    def file_ids(self, paths: Sequence[str]) -> dict[str, int]:
        """path -> file id, for the given paths that are catalogued."""
        File = self.t.File
        ids: dict[str, int] = {}
        for chunk in chunks(paths):
            ids.update(tuples(File.select(File.path, File.id).where(File.path.in_(chunk))))
        return ids

    def counts(self) -> dict[str, int]:
        File, Root, Scan = self.t.File, self.t.Root, self.t.Scan
        return {
            "files": File.select().count(),
            "images": File.select().where(File.error.is_null()).count(),
            "problems": File.select().where(File.error.is_null(False)).count(),
            "roots": Root.select().count(),
            "scans": Scan.select().count(),
        }

    # -- SQL helpers -------------------------------------------------------------------------

    def _in_scope(self, roots: Sequence[str]) -> pw.Expression:
        """SQL: the file lies below one of ``roots`` or was found through one of them."""
        File, Root = self.t.File, self.t.Root
        found_through = File.root.in_(Root.select(Root.id).where(Root.path.in_(list(roots))))
        return self._under_any(roots) | found_through

    def _under_any(self, roots: Sequence[str]) -> pw.Expression:
        """SQL: the path is one of ``roots`` or lies below one (a byte-range test on the
        BLOB)."""
        File = self.t.File
        clause: pw.Expression | None = None
        for root in roots:
            raw = os.fsencode(root).rstrip(b"/")
            below = (File.path >= raw + b"/") & (File.path < raw + b"0")  # "0" follows "/"
            term = (File.path == (raw or b"/")) | below
            clause = term if clause is None else (clause | term)
        if clause is None:
            raise ValueError("no roots given")
        return clause


def _raise_clearly(path: str, exc: pw.OperationalError) -> None:
    """Raise a CatalogError for a lock not had in time or a read-only file, else ``exc``."""
    clear = database.busy_error(path, exc)
    if clear is None:
        raise exc
    raise clear from exc


def _stamp(version: int) -> bytes:
    return version.to_bytes(4, "little")
