"""Opening the catalog's SQLite file: private, safe under concurrency, readable from a read-only
medium.

* **Private.** A new catalog file is created 0600 in a folder created 0700 (the paths of
  someone's photos are nobody else's business); an existing catalog file that others can read
  is tightened to 0600, and so is photosift's own folder when asked, each with a note.
* **Concurrent.** Every connection waits up to ``BUSY_SECONDS`` for a lock, and every write
  transaction is ``BEGIN IMMEDIATE``: a transaction that read first and then wanted to write
  fails at once in WAL mode when another connection wrote in between (SQLITE_BUSY_SNAPSHOT,
  whatever the timeout), so writers take the write lock before they read anything.
* **Read-only.** A catalog whose file or folder cannot be written (a read-only mount, another
  user's file) is opened with ``mode=ro``, or ``immutable=1`` when SQLite cannot even create
  its shared-memory file there.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import urllib.parse

import peewee as pw

from core.errors import CatalogError

log = logging.getLogger(__name__)

BUSY_SECONDS = 60.0
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700
_PRAGMAS = {"foreign_keys": 1, "synchronous": "normal", "busy_timeout": int(BUSY_SECONDS * 1000)}


def prepare_file(path: str, *, create: bool, own_folder: bool) -> list[str]:
    """Make sure ``path`` can be a catalog: refuse a folder, create the file 0600 (and missing
    folders 0700) when ``create``, tighten permissions that let others read it. Returns notes
    for the person about what was changed."""
    if os.path.isdir(path):
        raise CatalogError(f"{path} is a folder, not a catalog file")
    folder = os.path.dirname(os.path.abspath(path))
    notes: list[str] = []
    if not os.path.exists(path):
        if not create:
            raise CatalogError(f"no catalog at {path}; run 'photosift scan FOLDER' first")
        try:
            os.makedirs(folder, mode=PRIVATE_FOLDER, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        except FileExistsError:
            pass  # another process created it just now
        except OSError as exc:
            raise CatalogError(f"cannot create the catalog {path}: {exc.strerror}") from exc
    if writable(path):
        notes += _tighten(path, PRIVATE_FILE, "catalog")
        if own_folder:
            notes += _tighten(folder, PRIVATE_FOLDER, "catalog folder")
    return notes


def writable(path: str) -> bool:
    """The catalog at ``path`` can be written: the file, and the folder that WAL mode needs
    for its -wal and -shm files, on a medium mounted read-write."""
    folder = os.path.dirname(os.path.abspath(path))
    if not (os.access(path, os.W_OK) and os.access(folder, os.W_OK | os.X_OK)):
        return False
    try:
        return not os.statvfs(folder).f_flag & os.ST_RDONLY
    except OSError:
        return True


def _tighten(path: str, mode: int, what: str) -> list[str]:
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
        if current & 0o077 and os.stat(path).st_uid == os.getuid():
            os.chmod(path, mode)
            note = f"made the {what} {path} private (mode {current:o} -> {mode:o})"
            log.info(note)
            return [note]
    except OSError as exc:
        log.debug("could not tighten %s: %s", path, exc)
    return []


def connect(path: str, *, read_only: bool) -> pw.SqliteDatabase:
    """A Peewee database on ``path``, connected in this thread (other threads connect on first
    use, with the same pragmas). Read-write connections begin every transaction IMMEDIATE."""
    if not read_only:
        database = pw.SqliteDatabase(
            path, pragmas=_PRAGMAS, lock_type="IMMEDIATE", timeout=BUSY_SECONDS
        )
        return _connected(database, path)
    uri = "file:" + urllib.parse.quote(os.fsencode(os.path.abspath(path)))
    database = pw.SqliteDatabase(f"{uri}?mode=ro", uri=True, pragmas=_PRAGMAS)
    try:
        _connected(database, path)
        database.execute_sql("SELECT count(*) FROM sqlite_master")  # WAL needs its -shm file
        return database
    except (CatalogError, pw.DatabaseError, sqlite3.DatabaseError):
        database.close()
    # a read-only medium where SQLite cannot create the -shm file: nothing can change the
    # file there, so it may be read without locks
    database = pw.SqliteDatabase(f"{uri}?mode=ro&immutable=1", uri=True, pragmas=_PRAGMAS)
    return _connected(database, path)


def _connected(database: pw.SqliteDatabase, path: str) -> pw.SqliteDatabase:
    try:
        database.connect(reuse_if_open=True)
    except (pw.DatabaseError, sqlite3.DatabaseError) as exc:
        database.close()
        raise CatalogError(f"{path} is not a usable photosift catalog ({exc})") from exc
    return database


def busy_error(path: str, exc: Exception) -> CatalogError | None:
    """The error to raise for a lock that could not be had in time, or None if ``exc`` is
    about something else."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return CatalogError(
            f"the catalog {path} is busy: another photosift has been writing to it for more "
            f"than {BUSY_SECONDS:.0f} s; try again when it has finished"
        )
    if "readonly" in text or "read-only" in text:
        return CatalogError(f"the catalog {path} is read-only here; it can only be read")
    return None
