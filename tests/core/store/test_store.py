"""The catalog: it is created stamped and in WAL mode, refuses files that are not its own (or
are from a newer release) with a CatalogError, migrates older files once, and round-trips
64-bit hashes, non-UTF-8 paths, thumbnails and scan records exactly."""

from __future__ import annotations

import os
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from core import store
from core.errors import CatalogError
from core.models import ANALYSIS_VERSION, AnalysisResult, Hashes, MediaType, Photo, ScanSummary
from core.store import Catalog, schema
from core.store import database as database_module

HASHES = Hashes(ahash=1, dhash=2, phash=3)
MTIME = 1_600_000_000_000_000_000


def image(path: str, size: int = 1000, **fields) -> Photo:
    """An analysed photo record."""
    fields.setdefault("hashes", HASHES)
    return Photo(
        path=path,
        size=size,
        mtime_ns=fields.pop("mtime_ns", MTIME),
        format="JPEG",
        media_type=MediaType.IMAGE,
        width=64,
        height=48,
        analysis_version=ANALYSIS_VERSION,
        **fields,
    )


def failure(path: str, size: int = 1000, reason: str = "corrupt: truncated JPEG") -> Photo:
    return Photo(path=path, size=size, mtime_ns=1, analysis_version=ANALYSIS_VERSION, error=reason)


def keep(catalog: Catalog, *photos: Photo, thumb: bytes | None = None, root: int | None = None):
    catalog.save_results([(AnalysisResult(p, thumb), root) for p in photos], scan_id=None)


def paths(photos: list[Photo]) -> list[str]:
    return [p.path for p in photos]


def query(path: str | Path, sql: str) -> list[tuple]:
    """Rows read through a separate plain sqlite3 connection, as another process would."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "library.photosift"


def spy_on_connections(monkeypatch) -> list:
    """The databases the catalog connects from now on."""
    opened: list = []
    real = database_module.connect

    def connect(*args, **kwargs):
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(database_module, "connect", connect)
    return opened


def make_catalog(path: Path) -> None:
    with Catalog(str(path)) as catalog:
        keep(catalog, image("/photos/a.jpg"))


# -- opening ------------------------------------------------------------------------------------


def test_new_catalog_is_stamped_and_in_wal_mode(path):
    with Catalog(str(path)) as catalog:
        assert catalog.schema_version == store.SCHEMA_VERSION
        assert catalog.db.pragma("foreign_keys") == 1
        assert catalog.db.pragma("busy_timeout") >= 10_000

    assert query(path, "PRAGMA user_version") == [(store.SCHEMA_VERSION,)]
    assert query(path, "PRAGMA application_id") == [(store.APPLICATION_ID,)]
    assert query(path, "PRAGMA journal_mode") == [("wal",)]


def test_reopened_catalog_keeps_its_data(path):
    make_catalog(path)

    with Catalog(str(path)) as catalog:
        assert paths(catalog.photos()) == ["/photos/a.jpg"]
        assert catalog.photos()[0].hashes == HASHES


def test_catalog_from_a_newer_release_is_refused_with_advice_to_upgrade(path):
    make_catalog(path)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")

    with pytest.raises(CatalogError, match="upgrade"):
        Catalog(str(path))

    assert query(path, "PRAGMA user_version") == [(store.SCHEMA_VERSION + 1,)]


@pytest.fixture
def foreign(tmp_path) -> Path:
    """An SQLite database of another application, in the default rollback-journal mode."""
    other = tmp_path / "notes.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO note (text) VALUES ('buy milk')")
        conn.commit()
    return other


def test_sqlite_database_of_another_application_is_refused(foreign):
    with pytest.raises(CatalogError, match="not a photosift catalog"):
        Catalog(str(foreign))

    assert query(foreign, "SELECT text FROM note") == [("buy milk",)]
    assert query(foreign, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("note",)]


def test_refusing_another_applications_database_leaves_its_journal_mode_alone(foreign):
    with pytest.raises(CatalogError):
        Catalog(str(foreign))

    assert query(foreign, "PRAGMA journal_mode") == [("delete",)]


@pytest.mark.parametrize("kind", ["foreign", "newer"])
def test_refused_catalog_leaves_no_connection_open(path, foreign, kind, monkeypatch):
    if kind == "newer":
        make_catalog(path)
        with closing(sqlite3.connect(path)) as conn:
            conn.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    target = foreign if kind == "foreign" else path

    opened = spy_on_connections(monkeypatch)

    with pytest.raises(CatalogError):
        Catalog(str(target))

    assert opened and all(database.is_closed() for database in opened)


@pytest.mark.parametrize(
    "content",
    [
        b"this is a text file, not a database\n" * 20,
        random.Random(0).randbytes(4096),
    ],
    ids=["text", "random-bytes"],
)
def test_file_that_is_not_a_database_is_refused_and_left_untouched(path, content, monkeypatch):
    path.write_bytes(content)
    opened = spy_on_connections(monkeypatch)

    with pytest.raises(CatalogError, match="not a usable photosift catalog"):
        Catalog(str(path))

    assert path.read_bytes() == content
    assert all(database.is_closed() for database in opened)


def test_folder_given_as_catalog_path_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="folder"):
        Catalog(str(tmp_path))


def test_migration_step_runs_once_when_opening_an_older_catalog(path, monkeypatch):
    make_catalog(path)
    runs = []

    def add_album_table(database) -> None:
        runs.append(database.pragma("user_version"))
        database.execute_sql("CREATE TABLE album (id INTEGER PRIMARY KEY, name TEXT)")

    current = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(schema, "MIGRATIONS", {current + 1: add_album_table})

    with Catalog(str(path)) as catalog:
        assert catalog.schema_version == current + 1
        assert paths(catalog.photos()) == ["/photos/a.jpg"]
    with Catalog(str(path)):
        pass

    assert runs == [current]
    assert query(path, "PRAGMA user_version") == [(current + 1,)]
    assert query(path, "SELECT name FROM sqlite_master WHERE name = 'album'") == [("album",)]


def test_new_catalog_is_created_at_the_current_version_without_migrating(path, monkeypatch):
    runs = []
    current = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(schema, "MIGRATIONS", {current + 1: runs.append})

    with Catalog(str(path)) as catalog:
        assert catalog.schema_version == current + 1

    assert runs == []


# -- round trips --------------------------------------------------------------------------------

EDGE_HASHES = [0, 1, 2**63 - 1, 2**63, 2**64 - 1]


@pytest.mark.parametrize("value", EDGE_HASHES, ids=hex)
def test_64_bit_hash_edge_values_round_trip_exactly(catalog, value):
    hashes = Hashes(ahash=value, dhash=value, phash=value)
    keep(catalog, image("/p/a.jpg", hashes=hashes))

    assert catalog.photos()[0].hashes == hashes
    assert catalog.photo("/p/a.jpg").hashes == hashes


def test_random_64_bit_hashes_round_trip_exactly(catalog):
    rng = random.Random(64)
    expected = {
        f"/p/{i:03d}.jpg": Hashes(rng.getrandbits(64), rng.getrandbits(64), rng.getrandbits(64))
        for i in range(200)
    }
    keep(catalog, *(image(p, hashes=h) for p, h in expected.items()))

    assert {p.path: p.hashes for p in catalog.photos()} == expected


def test_path_that_is_not_utf8_round_trips(catalog):
    raw = b"/photos/caf\xe9/\xff\xfe.jpg"
    name = os.fsdecode(raw)
    keep(catalog, image(name), thumb=b"\x01\x02")

    (photo,) = catalog.photos()
    assert os.fsencode(photo.path) == raw
    assert catalog.photo(name) == photo
    assert list(catalog.file_states([os.fsdecode(b"/photos/caf\xe9")])) == [name]
    assert catalog.thumbnails([name]) == {name: b"\x01\x02"}


def test_saving_a_path_again_updates_its_one_row(catalog):
    keep(catalog, image("/p/a.jpg", size=100, content_hash="old"), thumb=b"old")
    first = catalog.photo("/p/a.jpg")
    newer = Hashes(ahash=2**64 - 1, dhash=7, phash=8)
    keep(catalog, image("/p/a.jpg", size=200, hashes=newer), thumb=b"new")

    (photo,) = catalog.photos()
    assert (photo.size, photo.hashes, photo.content_hash) == (200, newer, None)
    assert photo.id == first.id
    assert catalog.counts()["files"] == 1
    assert catalog.thumbnails(["/p/a.jpg"]) == {"/p/a.jpg": b"new"}


def test_saving_without_a_thumbnail_removes_the_old_one(catalog):
    keep(catalog, image("/p/a.jpg"), image("/p/b.jpg"), thumb=b"grey")

    keep(catalog, failure("/p/a.jpg"))

    assert catalog.thumbnails(["/p/a.jpg", "/p/b.jpg"]) == {"/p/b.jpg": b"grey"}


def test_a_failure_replaces_an_earlier_analysis(catalog):
    keep(catalog, image("/p/a.jpg"))

    keep(catalog, failure("/p/a.jpg", reason="corrupt: truncated"))

    assert catalog.photos() == []
    (failed,) = catalog.photos(errors=True)
    assert (failed.error, failed.hashes) == ("corrupt: truncated", None)


def test_forget_removes_rows_and_their_thumbnails(catalog):
    keep(catalog, image("/p/a.jpg"), image("/p/b.jpg"), thumb=b"grey")

    assert catalog.forget(["/p/a.jpg", "/p/never-seen.jpg"]) == 1

    assert paths(catalog.photos()) == ["/p/b.jpg"]
    assert query(catalog.path, "SELECT COUNT(*) FROM thumb") == [(1,)]
    assert catalog.thumbnails(["/p/a.jpg", "/p/b.jpg"]) == {"/p/b.jpg": b"grey"}


def test_many_files_are_saved_and_read_back_in_path_order(catalog):
    names = [f"/p/{i:05d}.jpg" for i in range(1234)]
    keep(catalog, *(image(n) for n in reversed(names)), thumb=b"t")

    assert paths(catalog.photos()) == names
    assert len(catalog.thumbnails(names)) == 1234


# -- queries ------------------------------------------------------------------------------------


def test_file_states_include_only_files_under_the_roots(catalog):
    inside = ["/a/b", "/a/b/x.jpg", "/a/b/c/y.jpg"]
    traps = ["/a/bc/x.jpg", "/a/b0/x.jpg", "/a/b-c/x.jpg", "/a/b.jpg", "/a/x.jpg", "/z/b/x.jpg"]
    keep(catalog, *(image(p) for p in inside + traps))
    keep(catalog, failure("/a/b/bad.jpg", reason="corrupt: truncated"))

    states = catalog.file_states(["/a/b"])

    assert sorted(states) == sorted([*inside, "/a/b/bad.jpg"])
    assert catalog.file_states(["/a/b/"]) == states
    assert states["/a/b/bad.jpg"].error == "corrupt: truncated"
    assert states["/a/b/x.jpg"] == store.FileState(1000, MTIME, 0, 0, 0, ANALYSIS_VERSION, None)


def test_file_states_cover_every_root_given(catalog):
    keep(catalog, image("/a/x.jpg"), image("/b/y.jpg"), image("/c/z.jpg"))

    assert sorted(catalog.file_states(["/a", "/c"])) == ["/a/x.jpg", "/c/z.jpg"]
    assert sorted(catalog.file_states(["/"])) == ["/a/x.jpg", "/b/y.jpg", "/c/z.jpg"]


def test_size_counts_skip_failed_files_and_excluded_roots(catalog):
    keep(
        catalog,
        image("/home/a.jpg", size=100),
        image("/home/b.jpg", size=100),
        image("/home/c.jpg", size=200),
        image("/new/d.jpg", size=100),
        image("/newer/e.jpg", size=300),
    )
    keep(catalog, failure("/home/bad.jpg", size=200))

    assert catalog.size_counts() == {100: 3, 200: 1, 300: 1}
    assert catalog.size_counts(exclude_roots=["/new"]) == {100: 2, 200: 1, 300: 1}


def test_missing_content_hashes_lists_colliding_unhashed_images_only(catalog):
    keep(
        catalog,
        image("/p/same-1.jpg", size=100),
        image("/p/same-2.jpg", size=100, content_hash="abc"),
        image("/p/unique.jpg", size=200),
        image("/p/beside-a-failure.jpg", size=300),
    )
    keep(catalog, failure("/p/failed-100.jpg", size=100), failure("/p/failed-300.jpg", size=300))

    assert paths(catalog.missing_content_hashes()) == ["/p/same-1.jpg"]


def test_set_content_hash_refuses_a_file_that_changed(catalog):
    keep(catalog, image("/p/a.jpg", size=100, mtime_ns=5))

    assert not catalog.set_content_hash("/p/a.jpg", 101, 5, "digest")
    assert not catalog.set_content_hash("/p/a.jpg", 100, 6, "digest")
    assert not catalog.set_content_hash("/p/other.jpg", 100, 5, "digest")
    assert catalog.photo("/p/a.jpg").content_hash is None

    assert catalog.set_content_hash("/p/a.jpg", 100, 5, "digest")
    assert catalog.photo("/p/a.jpg").content_hash == "digest"


def test_photos_with_errors_lists_only_failures(catalog):
    keep(catalog, image("/p/b.jpg"), image("/p/d.jpg"))
    keep(catalog, failure("/p/c.jpg", reason="empty: zero bytes"), failure("/p/a.jpg"))

    assert paths(catalog.photos()) == ["/p/b.jpg", "/p/d.jpg"]
    assert paths(catalog.photos(errors=True)) == ["/p/a.jpg", "/p/c.jpg"]
    assert catalog.counts()["problems"] == 2


def test_photos_can_be_limited_to_roots(catalog):
    keep(catalog, image("/a/x.jpg"), image("/ab/y.jpg"), image("/b/z.jpg"))

    assert paths(catalog.photos(roots=["/a", "/b"])) == ["/a/x.jpg", "/b/z.jpg"]


# -- roots and scans ----------------------------------------------------------------------------


def test_ensure_roots_is_idempotent(catalog):
    first = catalog.ensure_roots(["/photos", "/backup"])
    again = catalog.ensure_roots(["/backup", "/photos"])

    assert again == first
    assert len(set(first.values())) == 2
    assert catalog.counts()["roots"] == 2


def test_photo_knows_the_root_it_was_saved_under(catalog):
    root_id = catalog.ensure_roots(["/photos"])["/photos"]
    keep(catalog, image("/photos/a.jpg"), root=root_id)
    keep(catalog, image("/loose/b.jpg"))

    assert [(p.path, p.root) for p in catalog.photos()] == [
        ("/loose/b.jpg", None),
        ("/photos/a.jpg", "/photos"),
    ]


def summary(*roots: str) -> ScanSummary:
    return ScanSummary(
        roots=roots,
        seen=7,
        analysed=4,
        unchanged=2,
        removed=1,
        elapsed=1.5,
        skipped={"corrupt": 1, "empty": 2},
    )


def test_finish_scan_records_the_scan_and_marks_its_roots(catalog):
    catalog.ensure_roots(["/photos", "/other"])
    scan_id = catalog.begin_scan(["/photos"])

    catalog.finish_scan(scan_id, summary("/photos"), "finished")

    scans = query(
        catalog.path,
        "SELECT status, seen, analysed, unchanged, skipped, removed, elapsed, roots,"
        " finished_at IS NOT NULL FROM scan",
    )
    assert scans == [("finished", 7, 4, 2, 3, 1, 1.5, "/photos", 1)]
    marked = query(catalog.path, "SELECT CAST(path AS TEXT) FROM root WHERE last_scan_at NOT NULL")
    assert marked == [("/photos",)]
    assert catalog.counts()["scans"] == 1


def test_interrupted_scan_does_not_mark_its_roots_as_scanned(catalog):
    catalog.ensure_roots(["/photos"])
    scan_id = catalog.begin_scan(["/photos"])

    catalog.finish_scan(scan_id, summary("/photos"), "interrupted")

    assert query(catalog.path, "SELECT status FROM scan") == [("interrupted",)]
    assert query(catalog.path, "SELECT COUNT(*) FROM root WHERE last_scan_at NOT NULL") == [(0,)]


def test_the_picture_box_its_thumbnail_and_the_screenshot_mark_round_trip(catalog):
    box = (0.0, 0.1211, 1.0, 0.5742)
    shot = AnalysisResult(image("/p/shot.png", picture=box, screenshot=True), b"t", b"p")
    framed = AnalysisResult(image("/p/framed.jpg", picture=(0.05, 0.05, 0.95, 0.95)), b"t", b"q")
    plain = AnalysisResult(image("/p/plain.jpg", picture=(0.0, 0.0, 1.0, 1.0)), b"t")
    catalog.save_results([(r, None) for r in (shot, framed, plain)], scan_id=None)

    loaded = {p.path: p for p in catalog.photos()}
    assert (loaded["/p/shot.png"].picture, loaded["/p/shot.png"].screenshot) == (box, True)
    assert loaded["/p/framed.jpg"].screenshot is False
    assert loaded["/p/plain.jpg"].picture == (0.0, 0.0, 1.0, 1.0)
    thumbs = catalog.picture_thumbnails(["/p/shot.png", "/p/framed.jpg", "/p/plain.jpg"])
    assert thumbs == {"/p/shot.png": b"p", "/p/framed.jpg": b"q"}
