"""The catalog's schema: the deferred database, the field types, the tables, and the steps
that bring an older catalog file up to date. Only the store package imports peewee.

* Paths are stored as BLOBs of their file-system bytes, so names that are not UTF-8 round-trip.
* 64-bit hashes are stored as signed integers (SQLite has no unsigned 64-bit type).
* The schema version is ``PRAGMA user_version``; ``PRAGMA application_id`` marks the file as
  a photosift catalog. A new catalog is created at ``SCHEMA_VERSION`` from the models; an
  older one is brought forward by the steps in ``MIGRATIONS``, which are frozen SQL so that
  they keep describing their version when the models move on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import peewee as pw

SCHEMA_VERSION = 2
APPLICATION_ID = 0x50534654  # "PSFT"

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
    """A folder that was scanned."""

    id = pw.AutoField()
    path = PathField(unique=True)
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
    # quality (core.quality), measured by the scan
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


class Thumb(_Model):
    """The small grey thumbnail of each analysed photo, apart from ``File`` so that reading
    the catalog's metadata never pages through 4 KiB blobs."""

    file = pw.ForeignKeyField(File, primary_key=True, on_delete="CASCADE", backref="thumb")
    data = pw.BlobField()


class PhotoGroup(_Model):
    """A group as last computed. ``signature`` (a hash of its member paths) keeps its id when
    a new grouping finds the same members again."""

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
    burst = pw.IntegerField(null=True)  # index of the burst it belongs to, within the group

    class Meta:
        indexes = ((("group", "file"), True),)


class Verdict(_Model):
    """A person's "not duplicates" for two contents (content hashes, ``a <= b``; ``a == b``
    means the byte-identical copies of ``a`` are not to be grouped)."""

    id = pw.AutoField()
    a = pw.CharField()
    b = pw.CharField()
    size_a = pw.BigIntegerField(null=True)  # file sizes of the two contents: a renamed copy
    size_b = pw.BigIntegerField(null=True)  # is found again by its size, then its hash
    created_at = pw.DateTimeField(default=datetime.now)

    class Meta:
        indexes = ((("a", "b"), True),)


class ReferenceFolder(_Model):
    """Files below these folders take part in matching but are never proposed for backup."""

    path = PathField(unique=True)
    added_at = pw.DateTimeField(default=datetime.now)


class Setting(_Model):
    key = pw.CharField(primary_key=True)
    value = pw.TextField()


MODELS: list[type[_Model]] = [
    Root,
    Scan,
    File,
    Thumb,
    PhotoGroup,
    GroupMember,
    Verdict,
    ReferenceFolder,
    Setting,
]

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


def _run_script(script: str) -> Callable[[pw.SqliteDatabase], None]:
    def step(database: pw.SqliteDatabase) -> None:
        for statement in filter(str.strip, script.split(";")):
            database.execute_sql(statement)

    return step


# version -> step that brings a catalog from version-1 to version. New catalogs are created at
# SCHEMA_VERSION directly from the models above; these steps only ever run on older files.
MIGRATIONS: dict[int, Callable[[pw.SqliteDatabase], None]] = {
    2: _run_script(_V2_GROUPS),  # groups, verdicts, reference folders, settings, quality
}
