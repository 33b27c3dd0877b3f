"""The catalog's schema: the field types, the tables (Peewee models bound to one database, made
per catalog by ``Tables``), and the steps that bring an older catalog file up to date. Only
the store package imports peewee.

* Paths are stored as BLOBs of their file-system bytes, so names that are not UTF-8 round-trip.
* 64-bit hashes are stored as signed integers (SQLite has no unsigned 64-bit type).
* The schema version is ``PRAGMA user_version``; ``PRAGMA application_id`` marks the file as
  a photosift catalog. A new catalog is created at ``SCHEMA_VERSION`` from the models; an
  older one is brought forward by the steps in ``MIGRATIONS``, which are frozen SQL so that
  they keep describing their version when the models move on.
* Models are made per database (``Tables(database)``), not bound to a module-wide one, so two
  catalogs can be open in one process and one never re-initialises the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import peewee as pw

SCHEMA_VERSION = 6
APPLICATION_ID = 0x50534654  # "PSFT"


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


class Tables:
    """The catalog's tables as Peewee models bound to ``database``. Columns added by a
    migration come last in their model, in the order the migration adds them, so that a
    migrated catalog has exactly the schema of a new one."""

    def __init__(self, database: pw.SqliteDatabase) -> None:
        bound = database

        class _Model(pw.Model):
            class Meta:
                database = bound
                legacy_table_names = False

        class Root(_Model):
            """A folder that was scanned."""

            id = pw.AutoField()
            path = PathField(unique=True)
            added_at = pw.DateTimeField(default=datetime.now)
            last_scan_at = pw.DateTimeField(null=True)
            # schema 3: the device it was on at its last scan, and why it is unavailable now
            device = pw.BigIntegerField(null=True)
            unavailable = pw.TextField(null=True)

        class Scan(_Model):
            id = pw.AutoField()
            started_at = pw.DateTimeField(default=datetime.now)
            finished_at = pw.DateTimeField(null=True)
            roots = pw.TextField()  # newline-separated, for display
            status = pw.CharField(default="running")  # running | finished | interrupted
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
            scan = pw.ForeignKeyField(Scan, null=True, on_delete="SET NULL")
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
            # quality (core.analysis.quality), measured by the scan
            sharpness = pw.FloatField(null=True)
            brightness = pw.FloatField(null=True)
            contrast = pw.FloatField(null=True)
            highlights = pw.FloatField(null=True)
            shadows = pw.FloatField(null=True)
            noise = pw.FloatField(null=True)
            colourfulness = pw.FloatField(null=True)
            jpeg_quality = pw.IntegerField(null=True)
            # provenance marks read by the scan
            creator_tool = pw.TextField(null=True)
            provenance = pw.TextField(null=True)
            # measured on demand, when judging groups
            fine_sharpness = pw.FloatField(null=True)
            faces = pw.IntegerField(null=True)
            eyes_open = pw.IntegerField(null=True)
            face_sharpness = pw.FloatField(null=True)
            # schema 3: the inode change time, part of what says a file is unchanged
            ctime_ns = pw.BigIntegerField(null=True)
            # schema 5: the picture's box, in fractions (core.analysis.content.picture_box)
            picture_left = pw.FloatField(null=True)
            picture_top = pw.FloatField(null=True)
            picture_right = pw.FloatField(null=True)
            picture_bottom = pw.FloatField(null=True)
            picture_screen = pw.BooleanField(null=True)  # the picture is shown in a screenshot

        class Thumb(_Model):
            """The small grey thumbnail of each analysed photo, apart from ``File`` so that
            reading the catalog's metadata never pages through 4 KiB blobs."""

            file = pw.ForeignKeyField(File, primary_key=True, on_delete="CASCADE", backref="thumb")
            data = pw.BlobField()
            picture = pw.BlobField(null=True)  # schema 5: the picture box's, if not the whole
            # schema 5: the variant pHashes grouping computed from them (a cache: a version,
            # then the hashes); cleared when the photo is analysed again
            variants = pw.BlobField(null=True)

        class Link(_Model):
            """A pair of photos grouping verified (schema 5), with the similarity it needed
            and found, so that after a scan only the new photos' pairs are verified. A cache:
            gone with either file, or when either is analysed again; ``version`` is that of
            the grouping code that found it."""

            a = pw.ForeignKeyField(File, on_delete="CASCADE")
            b = pw.ForeignKeyField(File, on_delete="CASCADE")
            needed = pw.FloatField()
            score = pw.FloatField()
            version = pw.IntegerField()

            class Meta:
                primary_key = pw.CompositeKey("a", "b", "needed")

        class Candidate(_Model):
            """A candidate pair the hash search found (schema 6): which face of ``a``, seen
            through which hash column of which search, came within ``distance`` bits of which
            face of ``b``; so that after a scan only the new photos are searched. A cache:
            gone with either file, or when either is analysed again; ``stamp`` is that of the
            search (grouping version and search settings) that found it."""

            a = pw.ForeignKeyField(File, on_delete="CASCADE")
            b = pw.ForeignKeyField(File, on_delete="CASCADE")
            distance = pw.IntegerField()
            face_a = pw.IntegerField()
            face_b = pw.IntegerField()
            search = pw.IntegerField()
            column = pw.IntegerField()
            stamp = pw.IntegerField()

            class Meta:
                primary_key = pw.CompositeKey("a", "b")

        class Searched(_Model):
            """A photo the hash search (of ``stamp``) searched against all others (schema
            6): its candidate pairs are in ``Candidate``. Gone when it is analysed again or
            stops being the one file of its content that grouping searches."""

            file = pw.ForeignKeyField(File, primary_key=True, on_delete="CASCADE")
            stamp = pw.IntegerField()

        class PhotoGroup(_Model):
            """A group as computed. ``signature`` (a hash of its member paths) gives a group
            that is found again its old id; a group with no members left is retired, and its
            row stays so that its id is never handed out again."""

            id = pw.AutoField()
            signature = pw.CharField(unique=True)
            tier = pw.CharField()
            anchor = pw.ForeignKeyField(File, null=True, on_delete="SET NULL")
            created_at = pw.DateTimeField(default=datetime.now)

        class GroupMember(_Model):
            group = pw.ForeignKeyField(PhotoGroup, on_delete="CASCADE", backref="members")
            file = pw.ForeignKeyField(File, on_delete="CASCADE")
            relation = pw.CharField()  # exact | near | similar, to the anchor
            similarity = pw.FloatField()
            burst = pw.IntegerField(null=True)  # index of its burst within the group

            class Meta:
                indexes = ((("group", "file"), True),)

        class ReferenceFolder(_Model):
            """Files below these folders take part in matching but are never proposed for
            backup."""

            path = PathField(unique=True)
            added_at = pw.DateTimeField(default=datetime.now)

        class Setting(_Model):
            key = pw.CharField(primary_key=True)
            value = pw.TextField()

        class Verdict(_Model):
            """A person's "not duplicates" (schema 3): the contents listed in ``VerdictSide``
            on different sides are never grouped together. ``group_id`` is the id of the group
            it was said about, to take it back by."""

            id = pw.AutoField()
            group_id = pw.IntegerField(null=True, index=True)
            created_at = pw.DateTimeField(default=datetime.now)

        class VerdictSide(_Model):
            """One content (by content hash) on one side of a verdict. The same content on
            two sides: its byte-identical copies are not to be grouped either."""

            verdict = pw.ForeignKeyField(Verdict, on_delete="CASCADE", backref="sides")
            content_hash = pw.CharField(index=True)
            side = pw.IntegerField()
            size = pw.BigIntegerField(null=True)  # file size: a renamed copy is found by it

            class Meta:
                indexes = ((("verdict", "content_hash", "side"), True),)

        class GroupSignature(_Model):
            """Every signature a group id was ever stored with (schema 4): a group found again
            exactly gets its id back even after the id passed to a changed group meanwhile
            (files moved away by apply and brought back by undo)."""

            signature = pw.CharField(unique=True)
            group_id = pw.IntegerField(index=True)

        class FileDecision(_Model):
            """A person's keep / backup / undecided (schema 4), about the file at ``path`` with
            this stat, or about its content wherever it has gone since (a rename)."""

            id = pw.AutoField()
            path = PathField(unique=True)
            decision = pw.CharField()
            size = pw.BigIntegerField()
            mtime_ns = pw.BigIntegerField()
            inode = pw.BigIntegerField(default=0)
            device = pw.BigIntegerField(default=0)
            content_hash = pw.CharField(null=True, index=True)
            source = pw.CharField(default="decide")  # decide | accept
            group_id = pw.IntegerField(null=True)
            allow_empty = pw.BooleanField(default=False)
            decided_at = pw.DateTimeField(default=datetime.now)

        class Batch(_Model):
            """One run of apply (schema 4): its operations, its state, its log file."""

            id = pw.AutoField()
            mode = pw.CharField()
            destination = PathField(null=True)
            state = pw.CharField()
            created_at = pw.DateTimeField(default=datetime.now)
            finished_at = pw.DateTimeField(null=True)
            log_path = PathField(null=True)

        class Operation(_Model):
            """One file of a batch, journaled before and after each step on disk."""

            id = pw.AutoField()
            batch = pw.ForeignKeyField(Batch, on_delete="CASCADE", backref="operations")
            seq = pw.IntegerField()
            state = pw.CharField()
            source = PathField()
            root = PathField()
            target = PathField(null=True)
            temp = PathField(null=True)
            size = pw.BigIntegerField()
            mtime_ns = pw.BigIntegerField()
            ctime_ns = pw.BigIntegerField(default=0)
            inode = pw.BigIntegerField(default=0)
            device = pw.BigIntegerField(default=0)
            atime_ns = pw.BigIntegerField(default=0)
            mode = pw.IntegerField(default=0)
            content_hash = pw.CharField(null=True)
            copy_of = PathField(null=True)
            sidecar_of = PathField(null=True)
            group_id = pw.IntegerField(null=True)
            keep = pw.TextField(default="[]")  # JSON: the group's files that stay, with stats
            why = pw.TextField(default="")
            error = pw.TextField(null=True)
            updated_at = pw.DateTimeField(default=datetime.now)

            class Meta:
                indexes = ((("batch", "seq"), True),)

        self.Root, self.Scan, self.File, self.Thumb = Root, Scan, File, Thumb
        self.PhotoGroup, self.GroupMember = PhotoGroup, GroupMember
        self.ReferenceFolder, self.Setting = ReferenceFolder, Setting
        self.Verdict, self.VerdictSide = Verdict, VerdictSide
        self.FileDecision, self.Batch, self.Operation = FileDecision, Batch, Operation
        self.GroupSignature, self.Link = GroupSignature, Link
        self.Candidate, self.Searched = Candidate, Searched
        self.all: list[type[pw.Model]] = [
            Root, Scan, File, Thumb, PhotoGroup, GroupMember, ReferenceFolder, Setting,
            Verdict, VerdictSide, GroupSignature, FileDecision, Batch, Operation, Link,
            Candidate, Searched,
        ]  # fmt: skip


_V2_GROUPS = """
CREATE TABLE "photo_group" ("id" INTEGER NOT NULL PRIMARY KEY, "signature" VARCHAR(255) NOT NULL,
  "tier" VARCHAR(255) NOT NULL, "anchor_id" INTEGER, "created_at" DATETIME NOT NULL,
  FOREIGN KEY ("anchor_id") REFERENCES "file" ("id") ON DELETE SET NULL);
CREATE UNIQUE INDEX "photo_group_signature" ON "photo_group" ("signature");
CREATE INDEX "photo_group_anchor_id" ON "photo_group" ("anchor_id");
CREATE TABLE "group_member" ("id" INTEGER NOT NULL PRIMARY KEY, "group_id" INTEGER NOT NULL,
  "file_id" INTEGER NOT NULL, "relation" VARCHAR(255) NOT NULL, "similarity" REAL NOT NULL,
  "burst" INTEGER,
  FOREIGN KEY ("group_id") REFERENCES "photo_group" ("id") ON DELETE CASCADE,
  FOREIGN KEY ("file_id") REFERENCES "file" ("id") ON DELETE CASCADE);
CREATE INDEX "group_member_group_id" ON "group_member" ("group_id");
CREATE INDEX "group_member_file_id" ON "group_member" ("file_id");
CREATE UNIQUE INDEX "group_member_group_id_file_id" ON "group_member" ("group_id", "file_id");
CREATE TABLE "verdict" ("id" INTEGER NOT NULL PRIMARY KEY, "a" VARCHAR(255) NOT NULL,
  "b" VARCHAR(255) NOT NULL, "size_a" INTEGER, "size_b" INTEGER, "created_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "verdict_a_b" ON "verdict" ("a", "b");
CREATE TABLE "reference_folder" ("id" INTEGER NOT NULL PRIMARY KEY, "path" BLOB NOT NULL,
  "added_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "reference_folder_path" ON "reference_folder" ("path");
CREATE TABLE "setting" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, "value" TEXT NOT NULL);
ALTER TABLE "root" DROP COLUMN "reference";
ALTER TABLE "file" ADD COLUMN "sharpness" REAL;
ALTER TABLE "file" ADD COLUMN "brightness" REAL;
ALTER TABLE "file" ADD COLUMN "contrast" REAL;
ALTER TABLE "file" ADD COLUMN "highlights" REAL;
ALTER TABLE "file" ADD COLUMN "shadows" REAL;
ALTER TABLE "file" ADD COLUMN "noise" REAL;
ALTER TABLE "file" ADD COLUMN "colourfulness" REAL;
ALTER TABLE "file" ADD COLUMN "jpeg_quality" INTEGER;
ALTER TABLE "file" ADD COLUMN "creator_tool" TEXT;
ALTER TABLE "file" ADD COLUMN "provenance" TEXT;
ALTER TABLE "file" ADD COLUMN "fine_sharpness" REAL;
ALTER TABLE "file" ADD COLUMN "faces" INTEGER;
ALTER TABLE "file" ADD COLUMN "eyes_open" INTEGER;
ALTER TABLE "file" ADD COLUMN "face_sharpness" REAL;
"""

# Schema 3: change detection by ctime too, roots that come and go, and "not duplicates" kept
# as one row per content instead of one per pair. Each old pair becomes a verdict of two sides.
_V3_ROOTS_AND_VERDICT_SIDES = """
ALTER TABLE "root" ADD COLUMN "device" INTEGER;
ALTER TABLE "root" ADD COLUMN "unavailable" TEXT;
ALTER TABLE "file" ADD COLUMN "ctime_ns" INTEGER;
ALTER TABLE "verdict" RENAME TO "verdict_pair";
DROP INDEX "verdict_a_b";
CREATE TABLE "verdict" ("id" INTEGER NOT NULL PRIMARY KEY, "group_id" INTEGER,
  "created_at" DATETIME NOT NULL);
CREATE INDEX "verdict_group_id" ON "verdict" ("group_id");
CREATE TABLE "verdict_side" ("id" INTEGER NOT NULL PRIMARY KEY, "verdict_id" INTEGER NOT NULL,
  "content_hash" VARCHAR(255) NOT NULL, "side" INTEGER NOT NULL, "size" INTEGER,
  FOREIGN KEY ("verdict_id") REFERENCES "verdict" ("id") ON DELETE CASCADE);
CREATE INDEX "verdict_side_verdict_id" ON "verdict_side" ("verdict_id");
CREATE INDEX "verdict_side_content_hash" ON "verdict_side" ("content_hash");
CREATE UNIQUE INDEX "verdict_side_verdict_id_content_hash_side"
  ON "verdict_side" ("verdict_id", "content_hash", "side");
INSERT INTO "verdict" ("id", "group_id", "created_at")
  SELECT "id", NULL, "created_at" FROM "verdict_pair";
INSERT INTO "verdict_side" ("verdict_id", "content_hash", "side", "size")
  SELECT "id", "a", 0, "size_a" FROM "verdict_pair";
INSERT INTO "verdict_side" ("verdict_id", "content_hash", "side", "size")
  SELECT "id", "b", 1, "size_b" FROM "verdict_pair";
DROP TABLE "verdict_pair";
"""

# Schema 4: the person's decisions per file, the journal of apply (batches, operations), and
# every signature a group id had.
_V4_DECISIONS_AND_JOURNAL = """
CREATE TABLE "group_signature" ("id" INTEGER NOT NULL PRIMARY KEY,
  "signature" VARCHAR(255) NOT NULL, "group_id" INTEGER NOT NULL);
CREATE UNIQUE INDEX "group_signature_signature" ON "group_signature" ("signature");
CREATE INDEX "group_signature_group_id" ON "group_signature" ("group_id");
INSERT INTO "group_signature" ("signature", "group_id") SELECT "signature", "id" FROM "photo_group";
CREATE TABLE "file_decision" ("id" INTEGER NOT NULL PRIMARY KEY, "path" BLOB NOT NULL,
  "decision" VARCHAR(255) NOT NULL, "size" INTEGER NOT NULL, "mtime_ns" INTEGER NOT NULL,
  "inode" INTEGER NOT NULL, "device" INTEGER NOT NULL, "content_hash" VARCHAR(255),
  "source" VARCHAR(255) NOT NULL, "group_id" INTEGER, "allow_empty" INTEGER NOT NULL,
  "decided_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "file_decision_path" ON "file_decision" ("path");
CREATE INDEX "file_decision_content_hash" ON "file_decision" ("content_hash");
CREATE TABLE "batch" ("id" INTEGER NOT NULL PRIMARY KEY, "mode" VARCHAR(255) NOT NULL,
  "destination" BLOB, "state" VARCHAR(255) NOT NULL, "created_at" DATETIME NOT NULL,
  "finished_at" DATETIME, "log_path" BLOB);
CREATE TABLE "operation" ("id" INTEGER NOT NULL PRIMARY KEY, "batch_id" INTEGER NOT NULL,
  "seq" INTEGER NOT NULL, "state" VARCHAR(255) NOT NULL, "source" BLOB NOT NULL,
  "root" BLOB NOT NULL, "target" BLOB, "temp" BLOB, "size" INTEGER NOT NULL,
  "mtime_ns" INTEGER NOT NULL, "ctime_ns" INTEGER NOT NULL, "inode" INTEGER NOT NULL,
  "device" INTEGER NOT NULL, "atime_ns" INTEGER NOT NULL, "mode" INTEGER NOT NULL,
  "content_hash" VARCHAR(255), "copy_of" BLOB, "sidecar_of" BLOB, "group_id" INTEGER,
  "keep" TEXT NOT NULL, "why" TEXT NOT NULL, "error" TEXT, "updated_at" DATETIME NOT NULL,
  FOREIGN KEY ("batch_id") REFERENCES "batch" ("id") ON DELETE CASCADE);
CREATE INDEX "operation_batch_id" ON "operation" ("batch_id");
CREATE UNIQUE INDEX "operation_batch_id_seq" ON "operation" ("batch_id", "seq");
"""


# Schema 5: where the picture is in each photo, and the thumbnail of that box; what grouping
# keeps to be incremental (variant hashes, verified pairs).
_V5_PICTURE = """
ALTER TABLE "file" ADD COLUMN "picture_left" REAL;
ALTER TABLE "file" ADD COLUMN "picture_top" REAL;
ALTER TABLE "file" ADD COLUMN "picture_right" REAL;
ALTER TABLE "file" ADD COLUMN "picture_bottom" REAL;
ALTER TABLE "file" ADD COLUMN "picture_screen" INTEGER;
ALTER TABLE "thumb" ADD COLUMN "picture" BLOB;
ALTER TABLE "thumb" ADD COLUMN "variants" BLOB;
CREATE TABLE "link" ("a_id" INTEGER NOT NULL, "b_id" INTEGER NOT NULL, "needed" REAL NOT NULL,
  "score" REAL NOT NULL, "version" INTEGER NOT NULL, PRIMARY KEY ("a_id", "b_id", "needed"),
  FOREIGN KEY ("a_id") REFERENCES "file" ("id") ON DELETE CASCADE,
  FOREIGN KEY ("b_id") REFERENCES "file" ("id") ON DELETE CASCADE);
CREATE INDEX "link_a_id" ON "link" ("a_id");
CREATE INDEX "link_b_id" ON "link" ("b_id")
"""


# Schema 6: the hash search's candidate pairs, and which photos were searched, so that a scan
# that adds photos costs the search of those photos only.
_V6_CANDIDATES = """
CREATE TABLE "candidate" ("a_id" INTEGER NOT NULL, "b_id" INTEGER NOT NULL,
  "distance" INTEGER NOT NULL, "face_a" INTEGER NOT NULL, "face_b" INTEGER NOT NULL,
  "search" INTEGER NOT NULL, "column" INTEGER NOT NULL, "stamp" INTEGER NOT NULL,
  PRIMARY KEY ("a_id", "b_id"),
  FOREIGN KEY ("a_id") REFERENCES "file" ("id") ON DELETE CASCADE,
  FOREIGN KEY ("b_id") REFERENCES "file" ("id") ON DELETE CASCADE);
CREATE INDEX "candidate_a_id" ON "candidate" ("a_id");
CREATE INDEX "candidate_b_id" ON "candidate" ("b_id");
CREATE TABLE "searched" ("file_id" INTEGER NOT NULL PRIMARY KEY, "stamp" INTEGER NOT NULL,
  FOREIGN KEY ("file_id") REFERENCES "file" ("id") ON DELETE CASCADE)
"""


def _run_script(script: str) -> Callable[[pw.SqliteDatabase], None]:
    def step(database: pw.SqliteDatabase) -> None:
        for statement in filter(str.strip, script.split(";")):
            database.execute_sql(statement)

    return step


# version -> step that brings a catalog from version-1 to version. New catalogs are created at
# SCHEMA_VERSION directly from the models above; these steps only ever run on older files.
MIGRATIONS: dict[int, Callable[[pw.SqliteDatabase], None]] = {
    2: _run_script(_V2_GROUPS),  # groups, verdicts, reference folders, settings, quality
    3: _run_script(_V3_ROOTS_AND_VERDICT_SIDES),  # ctime, root devices, verdicts by content
    4: _run_script(_V4_DECISIONS_AND_JOURNAL),  # decisions, the journal of apply
    5: _run_script(_V5_PICTURE),  # the picture's box and its thumbnail; grouping's caches
    6: _run_script(_V6_CANDIDATES),  # the hash search's candidate pairs
}
