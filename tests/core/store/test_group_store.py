"""Groups in the catalog: they round-trip exactly, keep their ids while their members stay the
same (or change a little), get their old id back when found again, and never hand an id out
twice; reference folders and "not duplicates" verdicts are remembered, one row per content;
the generation counts every change of what a grouping reads; a schema-1 or schema-2 catalog is
brought forward to exactly the schema of a new one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

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
    Verdict,
)
from core.store import APPLICATION_ID, SCHEMA_VERSION, Catalog, schema

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


def test_only_the_groups_that_changed_are_written_again(catalog):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcdef"))
    bursty = replace(group("/p/e.jpg", "/p/f.jpg"), bursts=(Burst(("/p/e.jpg", "/p/f.jpg")),))
    first = [group("/p/a.jpg", "/p/b.jpg"), group("/p/c.jpg", "/p/d.jpg"), bursty]
    catalog.save_groups(first)
    Member = catalog.t.GroupMember

    def rows() -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        for row_id, group_id in Member.select(Member.id, Member.group_id).tuples():
            found.setdefault(group_id, set()).add(row_id)
        return found

    before = rows()
    changed = [
        first[0],
        group("/p/c.jpg", "/p/d.jpg", similarity=0.91),
        replace(bursty, bursts=()),
    ]
    again = catalog.save_groups(changed)
    after = rows()

    assert [g.id for g in again] == [1, 2, 3]
    assert after[1] == before[1]  # as it was: not written
    assert after[2].isdisjoint(before[2]) and after[3].isdisjoint(before[3])
    loaded = catalog.load_groups()
    assert [m.similarity for m in loaded[1].members] == [1.0, 0.91]
    assert loaded[2].bursts == ()
    assert loaded == [as_stored(catalog, g) for g in again]


@pytest.mark.parametrize(
    "paths",
    [("/p/a.jpg", "/p/b.jpg"), ("/p/a.jpg", "/p/b.jpg", "/p/c.jpg", "/p/d.jpg")],
    ids=["member removed", "member added"],
)
def test_group_whose_members_changed_a_little_keeps_its_id(catalog, paths):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcd"))
    (before,) = catalog.save_groups([group("/p/a.jpg", "/p/b.jpg", "/p/c.jpg")])

    (after,) = catalog.save_groups([group(*paths)])

    assert after.id == before.id
    assert [(g.id, g.paths) for g in catalog.load_groups()] == [(before.id, paths)]


def test_a_group_found_again_exactly_gets_its_id_back_after_lending_it(catalog):
    """Apply moves copies away (the group shrinks, its id goes to what is left) and undo
    brings them back: the whole group is found again with its first id, and the group
    that took an id meanwhile does not keep a second one."""
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcdef"))
    whole = group("/p/a.jpg", "/p/b.jpg", "/p/c.jpg", "/p/d.jpg")
    other = group("/p/e.jpg", "/p/f.jpg")
    first, second = catalog.save_groups([whole, other])
    (shrunk,) = catalog.save_groups([group("/p/a.jpg", "/p/b.jpg")])
    assert shrunk.id == first.id

    again = catalog.save_groups([whole, other, group("/p/a.jpg", "/p/e.jpg")])

    assert [g.id for g in again[:2]] == [first.id, second.id]
    assert again[2].id not in (first.id, second.id)


def test_group_whose_members_changed_a_lot_gets_a_new_id(catalog):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcd"))
    (before,) = catalog.save_groups([group("/p/a.jpg", "/p/b.jpg", "/p/c.jpg")])

    (after,) = catalog.save_groups([group("/p/a.jpg", "/p/d.jpg")])

    assert after.id != before.id


def test_a_split_group_leaves_its_id_to_the_larger_part(catalog):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcde"))
    (before,) = catalog.save_groups([group(*(f"/p/{n}.jpg" for n in "abcde"))])

    small, large = catalog.save_groups(
        [group("/p/a.jpg", "/p/b.jpg"), group("/p/c.jpg", "/p/d.jpg", "/p/e.jpg")]
    )

    assert large.id == before.id and small.id != before.id


def test_match_group_ids_gives_ids_without_storing(catalog):
    catalogue(catalog, *(image(f"/p/{name}.jpg") for name in "abcdef"))
    stored = catalog.save_groups([group("/p/a.jpg", "/p/b.jpg"), group("/p/c.jpg", "/p/d.jpg")])

    matched = catalog.match_group_ids(
        [group("/p/a.jpg", "/p/b.jpg"), group("/p/e.jpg", "/p/f.jpg")]
    )

    assert [g.id for g in matched] == [stored[0].id, None]
    assert [g.id for g in catalog.load_groups()] == [g.id for g in stored]


def test_group_ids_are_never_handed_out_twice(tmp_path):
    path = str(tmp_path / "catalog.sqlite3")
    a, b, c, d, x = (group(f"/p/{n}1.jpg", f"/p/{n}2.jpg") for n in "abcdx")
    with Catalog(path) as catalog:
        catalogue(catalog, *(m.photo for g in (a, b, c, d, x) for m in g.members))
        used = {g.id for g in catalog.save_groups([a, b, c])}
        kept = catalog.save_groups([a, b])  # the group with the highest id goes
    with Catalog(path) as catalog:  # and the catalog is closed and opened again
        newest = catalog.save_groups([a, b, d])[-1]
        catalog.save_groups([])
        back = catalog.save_groups([c])[0]
        other = catalog.save_groups([x])[0]

    assert {g.id for g in kept} == used - {max(used)}
    assert newest.id > max(used)
    assert back.id == max(used)  # found again: its old id, which nobody else got meanwhile
    assert other.id > newest.id


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


def test_verdicts_round_trip_with_their_sides_sizes_and_group(catalog):
    said = Verdict((frozenset({"a"}), frozenset({"b", "c"})), group_id=7, sizes=(("a", 10),))

    catalog.add_verdict(said)

    (back,) = catalog.verdicts()
    assert (back.sides, back.group_id, back.sizes) == (said.sides, 7, (("a", 10),))
    assert catalog.verdict_sizes() == {10}


def test_a_verdict_on_a_large_group_writes_one_row_per_content(catalog):
    contents = [f"h{i:03d}" for i in range(300)]

    catalog.add_verdict(Verdict(tuple(frozenset({c}) for c in contents), group_id=1))

    assert query(catalog.path, "SELECT COUNT(*) FROM verdict_side") == [(300,)]
    assert len(catalog.verdicts()[0].sides) == 300


def test_verdicts_are_taken_back_by_their_group(catalog):
    catalog.add_verdict(Verdict((frozenset({"a"}), frozenset({"b"})), group_id=1))
    catalog.add_verdict(Verdict((frozenset({"c"}), frozenset({"a"})), group_id=1))
    catalog.add_verdict(Verdict((frozenset({"d"}), frozenset({"e"})), group_id=2))

    assert catalog.remove_verdicts(1) == 2
    assert [v.group_id for v in catalog.verdicts()] == [2]
    assert query(catalog.path, "SELECT COUNT(*) FROM verdict_side") == [(2,)]
    assert catalog.remove_verdicts(1) == 0


def test_the_generation_moves_with_everything_a_grouping_reads(catalog):
    catalogue(catalog, image("/p/a.jpg"), image("/p/b.jpg"))
    seen = [catalog.generation()]

    def changed() -> bool:
        seen.append(catalog.generation())
        return seen[-1] > seen[-2]

    catalog.add_verdict(Verdict((frozenset({"h1"}), frozenset({"h2"}))))
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
    catalog.remove_verdicts(0)
    catalog.forget(["/p/b.jpg"])
    assert changed()


def test_the_generation_stays_when_nothing_a_grouping_reads_changed(catalog):
    catalogue(catalog, image("/p/a.jpg"), image("/p/b.jpg"))
    before = catalog.generation()

    catalog.save_groups([group("/p/a.jpg", "/p/b.jpg")])
    catalog.set_setting("anything", "else")
    catalog.set_measures(image("/p/a.jpg"), faces=1)
    catalog.ensure_roots(["/p"])
    assert catalog.generation() == before


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
        catalog.add_verdict(Verdict((frozenset({"def"}), frozenset({"abc"}))))
        catalog.add_reference_folder("/photos")
    with Catalog(str(schema_1)) as catalog:
        (loaded,) = catalog.load_groups()

        assert (loaded.id, loaded.paths) == (saved.id, saved.paths)
        assert all(m.reference for m in loaded.members)
        assert [v.sides for v in catalog.verdicts()] == [(frozenset({"def"}), frozenset({"abc"}))]
        assert catalog.schema_version == SCHEMA_VERSION


def test_schema_2_verdict_pairs_become_verdicts_of_two_sides(schema_1, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(schema, "SCHEMA_VERSION", 2)
        Catalog(str(schema_1)).close()
    with closing(sqlite3.connect(schema_1)) as conn:
        conn.execute(
            "INSERT INTO verdict (a, b, size_a, size_b, created_at) "
            "VALUES ('abc', 'def', 2048, NULL, '2024-05-03')"
        )
        conn.commit()

    with Catalog(str(schema_1)) as catalog:
        (verdict,) = catalog.verdicts()

    assert verdict.sides == (frozenset({"abc"}), frozenset({"def"}))
    assert verdict.sizes == (("abc", 2048),)
