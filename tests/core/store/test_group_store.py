"""Groups in the catalog and through the service: they round-trip exactly, keep their ids while
their members stay the same and never hand an id out twice; reference folders and "not
duplicates" verdicts are remembered and change what a grouping finds; a schema-1 catalog is
brought forward to exactly the schema of a new one; and the service recomputes groups only
when something they depend on changed."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core import service
from core.errors import PhotosiftError
from core.models import (
    ANALYSIS_VERSION,
    AnalysisResult,
    Burst,
    Group,
    GroupMember,
    Hashes,
    MediaType,
    Photo,
    Tier,
)
from core.runtime.scan import ScanOptions
from core.store import APPLICATION_ID, SCHEMA_VERSION, Catalog
from tests.images import save, scene, scenes_with_copies

HASHES = Hashes(ahash=1, dhash=2, phash=3)
MTIME = 1_600_000_000_000_000_000
T0 = datetime(2024, 5, 1, 12, 0, 0)


def image(path: str, size: int = 1000, taken: datetime | None = None) -> Photo:
    """An analysed photo record."""
    return Photo(
        path=path,
        size=size,
        mtime_ns=MTIME,
        format="JPEG",
        media_type=MediaType.IMAGE,
        width=64,
        height=48,
        taken_at=taken,
        hashes=HASHES,
        analysis_version=ANALYSIS_VERSION,
    )


def catalogue(catalog: Catalog, *photos: Photo) -> None:
    catalog.save_results([(AnalysisResult(p), None) for p in photos], scan_id=None)


def group(*paths: str, tier: Tier = Tier.NEAR, similarity: float = 0.95) -> Group:
    """A group anchored on its first path (similarity 1.0), the others ``similarity``."""
    members = [GroupMember(image(paths[0]), tier, 1.0)]
    members += [GroupMember(image(p), tier, similarity) for p in paths[1:]]
    members.sort(key=lambda m: m.photo.path)
    return Group(tier=tier, anchor=paths[0], members=tuple(members))


def as_stored(catalog: Catalog, g: Group) -> Group:
    """``g`` with each member's photo as the catalog holds it."""
    members = tuple(replace(m, photo=catalog.photo(m.photo.path)) for m in g.members)
    return replace(g, members=members)


def ids_by_paths(groups: list[Group]) -> dict[tuple[str, ...], int | None]:
    return {g.paths: g.id for g in groups}


def outline(groups: list[Group]) -> list[tuple]:
    """Everything a grouping decided: ids, tiers, anchors, bursts, members' relations."""
    return [
        (
            g.id,
            g.tier,
            g.anchor,
            g.bursts,
            [(m.photo.path, m.relation, m.similarity) for m in g.members],
        )
        for g in groups
    ]


def query(path: str | Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


# -- saving and loading -------------------------------------------------------------------------


def test_saved_groups_load_back_exactly(catalog):
    frames = {"/p/burst/1.jpg": 0.6, "/p/burst/2.jpg": 0.0, "/p/burst/3.jpg": 0.3}
    catalogue(
        catalog,
        *(image(p, taken=T0 + timedelta(seconds=s)) for p, s in frames.items()),
        image("/p/burst/2-copy.jpg", size=800, taken=T0),
        image("/p/near/a.jpg", size=3000),
        image("/p/near/b.jpg", size=2000),
    )
    burst = Group(
        tier=Tier.SIMILAR,
        anchor="/p/burst/2.jpg",
        members=(
            GroupMember(image("/p/burst/1.jpg"), Tier.SIMILAR, 0.9123),
            GroupMember(image("/p/burst/2-copy.jpg"), Tier.NEAR, 0.9871),
            GroupMember(image("/p/burst/2.jpg"), Tier.EXACT, 1.0),
            GroupMember(image("/p/burst/3.jpg"), Tier.SIMILAR, 0.9456),
        ),
        # capture order, which is not path order
        bursts=(Burst(members=("/p/burst/2.jpg", "/p/burst/3.jpg", "/p/burst/1.jpg")),),
    )
    near = Group(
        tier=Tier.NEAR,
        anchor="/p/near/b.jpg",
        members=(
            GroupMember(image("/p/near/a.jpg"), Tier.NEAR, 0.9731),
            GroupMember(image("/p/near/b.jpg"), Tier.EXACT, 1.0),
        ),
    )

    saved = catalog.save_groups([near, burst])
    loaded = catalog.load_groups()

    assert [g.id for g in saved] == [1, 2]
    assert loaded == [as_stored(catalog, saved[1]), as_stored(catalog, saved[0])]
    assert loaded[0].bursts[0].members == ("/p/burst/2.jpg", "/p/burst/3.jpg", "/p/burst/1.jpg")
    assert loaded[1].anchor == "/p/near/b.jpg"


def test_loaded_groups_and_their_members_are_sorted_by_path(catalog):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcxyz"))
    unsorted = Group(
        tier=Tier.NEAR,
        anchor="/p/y.jpg",
        members=tuple(GroupMember(image(f"/p/{n}.jpg"), Tier.NEAR, 0.9) for n in "zyx"),
    )

    catalog.save_groups([unsorted, group("/p/c.jpg", "/p/a.jpg", "/p/b.jpg")])

    assert [g.paths for g in catalog.load_groups()] == [
        ("/p/a.jpg", "/p/b.jpg", "/p/c.jpg"),
        ("/p/x.jpg", "/p/y.jpg", "/p/z.jpg"),
    ]


def test_group_with_the_same_members_keeps_its_id_and_takes_the_new_details(catalog):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcd"))
    first = catalog.save_groups([group("/p/a.jpg", "/p/b.jpg"), group("/p/c.jpg", "/p/d.jpg")])

    again = catalog.save_groups(
        [
            group("/p/d.jpg", "/p/c.jpg", tier=Tier.SIMILAR, similarity=0.88),
            group("/p/a.jpg", "/p/b.jpg"),
        ]
    )

    assert ids_by_paths(again) == ids_by_paths(first)
    changed = catalog.load_groups()[1]
    assert (changed.id, changed.tier, changed.anchor) == (first[1].id, Tier.SIMILAR, "/p/d.jpg")
    assert [m.similarity for m in changed.members] == [0.88, 1.0]


@pytest.mark.parametrize(
    "paths",
    [("/p/a.jpg", "/p/b.jpg"), ("/p/a.jpg", "/p/b.jpg", "/p/c.jpg", "/p/d.jpg")],
    ids=["member removed", "member added"],
)
def test_group_whose_members_changed_gets_a_new_id(catalog, paths):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcd"))
    (before,) = catalog.save_groups([group("/p/a.jpg", "/p/b.jpg", "/p/c.jpg")])

    (after,) = catalog.save_groups([group(*paths)])

    assert after.id != before.id
    assert [(g.id, g.paths) for g in catalog.load_groups()] == [(after.id, paths)]


def test_group_ids_are_never_handed_out_twice(tmp_path):
    path = str(tmp_path / "catalog.sqlite3")
    a, b, c, d = (group(f"/p/{n}1.jpg", f"/p/{n}2.jpg") for n in "abcd")
    with Catalog(path) as catalog:
        catalogue(catalog, *(m.photo for g in (a, b, c, d) for m in g.members))
        used = {g.id for g in catalog.save_groups([a, b, c])}
        kept = catalog.save_groups([a, b])  # the group with the highest id goes
    with Catalog(path) as catalog:  # and the catalog is closed and opened again
        newest = catalog.save_groups([a, b, d])[-1]
        catalog.save_groups([])
        last = catalog.save_groups([c])[0]

    assert {g.id for g in kept} == used - {max(used)}
    assert newest.id > max(used)
    assert last.id > newest.id


def test_removed_groups_leave_no_member_rows(catalog):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcde"))
    gone, stays = catalog.save_groups(
        [group("/p/a.jpg", "/p/b.jpg"), group("/p/c.jpg", "/p/d.jpg")]
    )

    catalog.save_groups([group("/p/c.jpg", "/p/d.jpg"), group("/p/e.jpg", "/p/a.jpg")])

    rows = query(catalog.path, "SELECT group_id, COUNT(*) FROM group_member GROUP BY group_id")
    assert gone.id not in dict(rows)
    assert dict(rows)[stays.id] == 2  # re-saved members replace the old rows
    assert query(catalog.path, "SELECT COUNT(*) FROM group_member") == [(4,)]


# -- reference folders --------------------------------------------------------------------------


def test_reference_folders_are_added_and_removed_once(catalog):
    catalog.add_reference_folder("/x/ref")
    catalog.add_reference_folder("/x/ref")
    catalog.add_reference_folder("/a/masters")

    assert catalog.reference_folders() == ["/a/masters", "/x/ref"]
    assert catalog.remove_reference_folder("/x/ref")
    assert not catalog.remove_reference_folder("/x/ref")
    assert catalog.reference_folders() == ["/a/masters"]


def test_adding_a_known_reference_folder_again_returns_false(catalog):
    assert catalog.add_reference_folder("/x/ref")
    assert not catalog.add_reference_folder("/x/ref")


def test_members_below_a_reference_folder_are_marked_reference_when_loaded(catalog):
    paths = ["/x/other/a.jpg", "/x/ref/a.jpg", "/x/ref/deep/b.jpg", "/x/refs/a.jpg"]
    catalogue(catalog, *(image(p) for p in paths))
    catalog.save_groups([group(*paths)])

    catalog.add_reference_folder("/x/ref")
    marked = {m.photo.path: m.reference for m in catalog.load_groups()[0].members}
    catalog.remove_reference_folder("/x/ref")
    unmarked = {m.photo.path: m.reference for m in catalog.load_groups()[0].members}

    assert marked == {
        "/x/other/a.jpg": False,
        "/x/ref/a.jpg": True,
        "/x/ref/deep/b.jpg": True,
        "/x/refs/a.jpg": False,  # shares the prefix "/x/ref" but is not below it
    }
    assert not any(unmarked.values())


def test_reclaimable_bytes_never_count_reference_files(catalog):
    catalogue(
        catalog,
        image("/lib/big.jpg", size=3000),
        image("/ref/mid.jpg", size=2000),
        image("/lib/small.jpg", size=1000),
    )
    catalog.save_groups([group("/lib/big.jpg", "/ref/mid.jpg", "/lib/small.jpg")])
    catalog.add_reference_folder("/ref")

    (loaded,) = catalog.load_groups()

    assert loaded.reclaimable == 1000  # big.jpg is kept; mid.jpg is a reference
    assert replace(loaded, keep="/lib/small.jpg").reclaimable == 3000
    everything_reference = replace(
        loaded, members=tuple(replace(m, reference=True) for m in loaded.members)
    )
    assert everything_reference.reclaimable == 0


# -- verdicts -----------------------------------------------------------------------------------


def test_not_duplicate_pairs_are_stored_in_order_and_once(catalog):
    added = catalog.add_not_duplicates([("b", "a"), ("a", "b"), ("c", "c")])
    catalog.add_not_duplicates([("a", "b"), ("b", "a")])

    assert added == 2
    assert catalog.not_duplicates() == {("a", "b"), ("c", "c")}
    assert query(catalog.path, "SELECT a, b FROM verdict ORDER BY a") == [("a", "b"), ("c", "c")]


def test_adding_only_known_verdicts_reports_none_added(catalog):
    catalog.add_not_duplicates([("a", "b")])

    assert catalog.add_not_duplicates([("b", "a")]) == 0


def test_grouping_inputs_change_with_verdicts_reference_folders_and_files(catalog):
    catalogue(catalog, image("/p/a.jpg"), image("/p/b.jpg"))
    seen = [catalog.grouping_inputs()]

    def changed() -> bool:
        seen.append(catalog.grouping_inputs())
        return seen[-1] != seen[-2]

    catalog.add_not_duplicates([("h1", "h2")])
    assert changed()
    catalog.add_reference_folder("/p")
    assert changed()
    catalog.remove_reference_folder("/p")
    assert changed()
    catalogue(catalog, image("/p/c.jpg"))  # a new photo
    assert changed()
    catalogue(catalog, replace(image("/p/a.jpg"), size=1234))  # a photo analysed again
    assert changed()
    catalog.set_content_hash("/p/b.jpg", 1000, MTIME, "digest")
    assert changed()
    catalog.forget(["/p/b.jpg"])
    assert changed()


def test_grouping_inputs_stay_equal_when_nothing_a_grouping_reads_changed(catalog):
    catalogue(catalog, image("/p/a.jpg"), image("/p/b.jpg"))
    catalog.add_not_duplicates([("h1", "h2")])
    catalog.add_reference_folder("/p")
    before = catalog.grouping_inputs()

    assert catalog.grouping_inputs() == before
    catalog.add_not_duplicates([("h2", "h1")])
    catalog.add_reference_folder("/p")
    catalog.save_groups([group("/p/a.jpg", "/p/b.jpg")])
    catalog.set_setting("anything", "else")
    catalog.save_results(
        [(AnalysisResult(replace(image("/p/bad.jpg"), hashes=None, error="corrupt: x")), None)],
        scan_id=None,
    )
    assert catalog.grouping_inputs() == before


# -- migration from schema 1 --------------------------------------------------------------------

SCHEMA_1 = """
CREATE TABLE "root" ("id" INTEGER NOT NULL PRIMARY KEY, "path" BLOB NOT NULL,
  "reference" INTEGER NOT NULL, "added_at" DATETIME NOT NULL, "last_scan_at" DATETIME);
CREATE UNIQUE INDEX "root_path" ON "root" ("path");
CREATE TABLE "scan" ("id" INTEGER NOT NULL PRIMARY KEY, "started_at" DATETIME NOT NULL,
  "finished_at" DATETIME, "roots" TEXT NOT NULL, "status" VARCHAR(255) NOT NULL,
  "seen" INTEGER NOT NULL, "analysed" INTEGER NOT NULL, "unchanged" INTEGER NOT NULL,
  "skipped" INTEGER NOT NULL, "removed" INTEGER NOT NULL, "elapsed" REAL NOT NULL);
CREATE TABLE "file" ("id" INTEGER NOT NULL PRIMARY KEY, "path" BLOB NOT NULL, "root_id" INTEGER,
  "scan_id" INTEGER, "size" INTEGER NOT NULL, "mtime_ns" INTEGER NOT NULL,
  "inode" INTEGER NOT NULL, "device" INTEGER NOT NULL, "format" VARCHAR(255),
  "media_type" VARCHAR(255), "width" INTEGER, "height" INTEGER, "orientation" INTEGER NOT NULL,
  "taken_at" DATETIME, "camera_make" VARCHAR(255), "camera_model" VARCHAR(255),
  "has_camera_exif" INTEGER NOT NULL, "software" VARCHAR(255), "content_hash" VARCHAR(255),
  "ahash" INTEGER, "dhash" INTEGER, "phash" INTEGER, "analysis_version" INTEGER NOT NULL,
  "error" TEXT, "analysed_at" DATETIME NOT NULL,
  FOREIGN KEY ("root_id") REFERENCES "root" ("id") ON DELETE SET NULL,
  FOREIGN KEY ("scan_id") REFERENCES "scan" ("id") ON DELETE SET NULL);
CREATE UNIQUE INDEX "file_path" ON "file" ("path");
CREATE INDEX "file_root_id" ON "file" ("root_id");
CREATE INDEX "file_scan_id" ON "file" ("scan_id");
CREATE INDEX "file_size" ON "file" ("size");
CREATE INDEX "file_content_hash" ON "file" ("content_hash");
CREATE TABLE "thumb" ("file_id" INTEGER NOT NULL PRIMARY KEY, "data" BLOB NOT NULL,
  FOREIGN KEY ("file_id") REFERENCES "file" ("id") ON DELETE CASCADE);
"""

# Bit 63 set: stored as a negative signed integer, read back as the unsigned hash.
HIGH_HASH = (1 << 64) - 5


FILE_1 = {
    "root_id": 1,
    "mtime_ns": MTIME,
    "inode": 7,
    "device": 8,
    "format": "JPEG",
    "media_type": "image",
    "width": 640,
    "height": 480,
    "orientation": 6,
    "taken_at": "2024-05-01 12:00:00.400000",
    "camera_make": "Canon",
    "camera_model": "EOS R6",
    "has_camera_exif": 1,
    "ahash": HIGH_HASH - (1 << 64),
    "dhash": 2,
    "phash": 3,
    "analysis_version": ANALYSIS_VERSION,
    "analysed_at": "2024-05-02 09:00:00",
}


def insert(conn: sqlite3.Connection, table: str, row: dict) -> None:
    columns = ", ".join(f'"{name}"' for name in row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', tuple(row.values()))


def make_schema_1_catalog(path: Path) -> None:
    """A catalog as the first release wrote it: one root, two analysed files."""
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(SCHEMA_1)
        insert(
            conn, "root", {"id": 1, "path": b"/photos", "reference": 0, "added_at": "2024-05-01"}
        )
        insert(
            conn,
            "file",
            {**FILE_1, "id": 1, "path": b"/photos/a.jpg", "size": 2048, "content_hash": "abc"},
        )
        insert(conn, "file", {**FILE_1, "id": 2, "path": b"/photos/b.jpg", "size": 1024})
        conn.execute("PRAGMA user_version = 1")
        conn.execute("PRAGMA application_id = 1347634772")
        conn.commit()


def schema_of(path: Path | str) -> dict[str, tuple]:
    """Each table's columns, indexes (name, unique) and foreign keys."""
    with closing(sqlite3.connect(path)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: (
                conn.execute(f'PRAGMA table_info("{table}")').fetchall(),
                sorted(row[1:3] for row in conn.execute(f'PRAGMA index_list("{table}")')),
                conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall(),
            )
            for table in tables
        }


@pytest.fixture
def schema_1(tmp_path) -> Path:
    path = tmp_path / "first-release.sqlite3"
    make_schema_1_catalog(path)
    return path


def test_schema_1_catalog_is_brought_to_the_current_version(schema_1):
    assert APPLICATION_ID == 1347634772  # the id the first release wrote
    with Catalog(str(schema_1)) as catalog:
        assert catalog.schema_version == SCHEMA_VERSION

    assert query(schema_1, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert query(schema_1, "PRAGMA application_id") == [(APPLICATION_ID,)]


def test_migrated_catalog_has_exactly_the_schema_of_a_new_one(schema_1, tmp_path):
    fresh = tmp_path / "fresh.sqlite3"
    with Catalog(str(fresh)):
        pass
    with Catalog(str(schema_1)):
        pass

    migrated, created = schema_of(schema_1), schema_of(fresh)
    assert sorted(migrated) == sorted(created)
    for table in created:
        assert migrated[table] == created[table], table


def test_migrated_catalog_keeps_its_files_and_roots(schema_1):
    with Catalog(str(schema_1)) as catalog:
        photos = catalog.photos()
        root_ids = catalog.ensure_roots(["/photos"])

    assert root_ids == {"/photos": 1}
    assert photos[0] == Photo(
        id=1,
        path="/photos/a.jpg",
        root="/photos",
        size=2048,
        mtime_ns=MTIME,
        inode=7,
        device=8,
        format="JPEG",
        media_type=MediaType.IMAGE,
        width=640,
        height=480,
        orientation=6,
        taken_at=datetime(2024, 5, 1, 12, 0, 0, 400000),
        camera_make="Canon",
        camera_model="EOS R6",
        content_hash="abc",
        hashes=Hashes(ahash=HIGH_HASH, dhash=2, phash=3),
        analysis_version=ANALYSIS_VERSION,
    )
    assert [p.path for p in photos] == ["/photos/a.jpg", "/photos/b.jpg"]


def test_migrated_catalog_stores_groups_verdicts_and_reference_folders(schema_1):
    with Catalog(str(schema_1)) as catalog:
        (saved,) = catalog.save_groups([group("/photos/a.jpg", "/photos/b.jpg")])
        catalog.add_not_duplicates([("def", "abc")])
        catalog.add_reference_folder("/photos")
    with Catalog(str(schema_1)) as catalog:
        (loaded,) = catalog.load_groups()

        assert (loaded.id, loaded.paths) == (saved.id, saved.paths)
        assert all(m.reference for m in loaded.members)
        assert catalog.not_duplicates() == {("abc", "def")}
        assert catalog.schema_version == SCHEMA_VERSION


# -- the service on real photos -----------------------------------------------------------------

SCENE_1 = ["copies/s1.jpg", "s1/mirror.jpg", "s1/orig.jpg", "s1/small.jpg"]
SCENE_2 = ["s2/mirror.jpg", "s2/orig.jpg", "s2/small.jpg"]


@dataclass(frozen=True)
class Library:
    """A small photo tree and the catalog it was scanned into."""

    root: Path
    db: str

    def __call__(self, name: str) -> str:
        return str(self.root / name)

    def scan(self) -> None:
        service.scan([str(self.root)], db_path=self.db, options=ScanOptions(workers=1))

    def groups(self, **options) -> service.GroupingResult:
        return service.find_groups(db_path=self.db, **options)

    def names(self, groups: list[Group]) -> list[list[str]]:
        return [[str(Path(p).relative_to(self.root)) for p in g.paths] for g in groups]

    def group_of(self, groups: list[Group], name: str) -> Group:
        (found,) = (g for g in groups if self(name) in g.paths)
        return found


@pytest.fixture
def library(tmp_path) -> Library:
    """Two scenes, each with a resized and a mirrored copy; an exact copy of the first scene;
    and an unrelated photo."""
    root = tmp_path / "photos"
    scenes_with_copies(root)
    save(scene(9, (320, 240)), root / "other.jpg")
    lib = Library(root, str(tmp_path / "catalog.sqlite3"))
    lib.scan()
    return lib


def test_find_groups_finds_each_scene_with_its_copies(library):
    result = library.groups()

    assert result.computed
    assert library.names(result.groups) == [SCENE_1, SCENE_2]
    assert [g.tier for g in result.groups] == [Tier.NEAR, Tier.NEAR]
    relations = {m.photo.path: m.relation for g in result.groups for m in g.members}
    exact = {library("copies/s1.jpg"), library("s1/orig.jpg")}  # byte-identical
    assert relations == {p: Tier.EXACT if p in exact else Tier.NEAR for p in relations}
    for g in result.groups:
        assert g.anchor in g.paths
        assert all(result.options.threshold <= m.similarity <= 1.0 for m in g.members)


def test_second_find_groups_reuses_the_stored_groups(library):
    first = library.groups()

    second = library.groups()

    assert not second.computed
    assert outline(second.groups) == outline(first.groups)


def test_stored_groups_equal_the_computed_ones(library):
    first = library.groups()

    second = library.groups()

    assert second.groups == first.groups


@pytest.mark.parametrize(
    "options",
    [{"regroup": True}, {"threshold": 0.9}, {"profile": "family"}],
    ids=["regroup", "threshold", "profile"],
)
def test_regrouping_or_other_options_recompute_with_the_same_ids(library, options):
    first = library.groups()

    again = library.groups(**options)

    assert again.computed
    assert ids_by_paths(again.groups) == ids_by_paths(first.groups)


def test_dismissed_group_is_gone_and_stays_gone_after_a_rescan(library):
    scene_2 = library.group_of(library.groups().groups, "s2/orig.jpg")

    dismissed = service.dismiss_group(scene_2.id, db_path=library.db)
    after = library.groups()
    library.scan()
    rescanned = library.groups(regroup=True)

    assert dismissed.paths == scene_2.paths
    assert after.computed
    assert library.names(after.groups) == [SCENE_1]
    assert library.names(rescanned.groups) == [SCENE_1]


def test_dismissed_group_stays_gone_after_one_of_its_files_is_renamed(library):
    scene_2 = library.group_of(library.groups().groups, "s2/orig.jpg")
    service.dismiss_group(scene_2.id, db_path=library.db)

    Path(library("s2/small.jpg")).rename(library("s2/renamed.jpg"))
    library.scan()

    assert library.names(library.groups().groups) == [SCENE_1]


def test_split_file_leaves_its_group_and_stays_out(library):
    scene_1 = library.group_of(library.groups().groups, "s1/orig.jpg")

    service.split_from_group(scene_1.id, library("s1/mirror.jpg"), db_path=library.db)
    after = library.groups().groups
    library.scan()
    rescanned = library.groups(regroup=True).groups

    rest = [name for name in SCENE_1 if name != "s1/mirror.jpg"]
    assert library.names(after) == [rest, SCENE_2]
    assert library.names(rescanned) == [rest, SCENE_2]
    assert library.group_of(after, "s1/orig.jpg").id != scene_1.id


def test_unknown_group_or_a_path_outside_the_group_is_an_error(library):
    groups = library.groups().groups
    scene_1 = library.group_of(groups, "s1/orig.jpg")
    unknown = max(g.id for g in groups) + 1

    with pytest.raises(PhotosiftError, match=f"no group {unknown}"):
        service.dismiss_group(unknown, db_path=library.db)
    with pytest.raises(PhotosiftError, match=f"no group {unknown}"):
        service.split_from_group(unknown, library("s1/orig.jpg"), db_path=library.db)
    with pytest.raises(PhotosiftError, match="not in group"):
        service.split_from_group(scene_1.id, library("s2/orig.jpg"), db_path=library.db)
    with Catalog(library.db) as catalog:
        assert catalog.not_duplicates() == set()


def test_dismissing_a_group_with_a_file_changed_since_the_scan_is_refused(library):
    scene_2 = library.group_of(library.groups().groups, "s2/orig.jpg")
    save(scene(5, (200, 150)), library("s2/small.jpg"))  # another photo, another size

    with pytest.raises(PhotosiftError, match="changed or vanished since it was scanned"):
        service.dismiss_group(scene_2.id, db_path=library.db)

    with Catalog(library.db) as catalog:
        assert catalog.photo(library("s2/small.jpg")).content_hash is None
        assert catalog.not_duplicates() == set()


def test_reference_folders_are_remembered_and_a_missing_one_is_refused(library):
    folders = service.set_reference_folders([library("copies")], db_path=library.db)
    groups = library.groups().groups

    with pytest.raises(PhotosiftError, match="no such folder"):
        service.set_reference_folders([library("nowhere")], db_path=library.db)

    assert folders == [library("copies")]
    marked = [m.photo.path for g in groups for m in g.members if m.reference]
    assert marked == [library("copies/s1.jpg")]
    assert service.set_reference_folders(remove=[library("copies")], db_path=library.db) == []
