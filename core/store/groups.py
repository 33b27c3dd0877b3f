"""Groups, verdicts and reference folders in the catalog (mixed into ``Catalog``).

A group's id stays the same as long as a new grouping finds exactly the same member paths:
groups are matched by a signature of their sorted paths, and ids are never handed out twice.
Verdicts ("these are not duplicates") are kept by content hash, so they survive re-scans,
renames and moves.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import peewee as pw

from core.models import Burst, Group, GroupMember, Tier
from core.paths import is_below
from core.store.rows import CHUNK, file_ids, photo_from_row, tuples
from core.store.schema import File, PhotoGroup, ReferenceFolder, Root, Setting, Verdict, db
from core.store.schema import GroupMember as MemberRow

_NEXT_GROUP_ID = "next_group_id"


def signature(paths: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(paths):
        digest.update(os.fsencode(path) + b"\0")
    return digest.hexdigest()


class GroupsMixin:
    # -- settings -----------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        row = Setting.get_or_none(Setting.key == key)
        return row.value if row else None

    def set_setting(self, key: str, value: str) -> None:
        Setting.insert(key=key, value=value).on_conflict_replace().execute()

    # -- reference folders --------------------------------------------------------------

    def reference_folders(self) -> list[str]:
        return sorted(path for (path,) in tuples(ReferenceFolder.select(ReferenceFolder.path)))

    def add_reference_folder(self, path: str) -> bool:
        """Mark a folder as reference; False if it already was."""
        with db.atomic():
            if ReferenceFolder.select().where(ReferenceFolder.path == path).exists():
                return False
            ReferenceFolder.insert(path=path).execute()
        return True

    def remove_reference_folder(self, path: str) -> bool:
        return bool(ReferenceFolder.delete().where(ReferenceFolder.path == path).execute())

    # -- verdicts -----------------------------------------------------------------------

    def not_duplicates(self) -> set[tuple[str, str]]:
        """Pairs of content hashes (a <= b) a person said are not duplicates."""
        return set(tuples(Verdict.select(Verdict.a, Verdict.b)))

    def add_not_duplicates(
        self, pairs: Iterable[tuple[str, str]], sizes: Mapping[str, int] | None = None
    ) -> int:
        """Record pairs of content hashes as not duplicates, with the contents' file sizes when
        known; returns how many pairs were new."""
        sizes = sizes or {}
        rows = sorted({(min(a, b), max(a, b)) for a, b in pairs} - self.not_duplicates())
        with db.atomic():
            for start in range(0, len(rows), CHUNK):
                chunk = [
                    {"a": a, "b": b, "size_a": sizes.get(a), "size_b": sizes.get(b)}
                    for a, b in rows[start : start + CHUNK]
                ]
                Verdict.insert_many(chunk).on_conflict_ignore().execute()
        return len(rows)

    def verdict_sizes(self) -> set[int]:
        """File sizes of the contents that verdicts are about."""
        query = Verdict.select(Verdict.size_a, Verdict.size_b)
        return {size for pair in tuples(query) for size in pair if size is not None}

    # -- what a grouping depends on -----------------------------------------------------

    def grouping_inputs(self) -> str:
        """A fingerprint of everything a grouping reads from the catalog: it changes when a
        scan adds, changes or forgets photos, and when verdicts or reference folders change."""
        files = File.select(
            pw.fn.COUNT(File.id),
            pw.fn.MAX(File.id),
            pw.fn.MAX(File.analysed_at),
            pw.fn.COUNT(File.content_hash),
        ).where(File.error.is_null())
        verdicts = Verdict.select(pw.fn.COUNT(Verdict.id), pw.fn.MAX(Verdict.id))
        state = [next(tuples(files)), next(tuples(verdicts)), self.reference_folders()]
        return json.dumps(state, default=str)

    # -- groups -------------------------------------------------------------------------

    def save_groups(self, groups: Sequence[Group]) -> list[Group]:
        """Replace the stored groups with ``groups``; returns them with their ids."""
        ids = file_ids(sorted({p for g in groups for p in g.paths}))
        saved = []
        with db.atomic():
            known = dict(tuples(PhotoGroup.select(PhotoGroup.signature, PhotoGroup.id)))
            next_id = max(
                [int(self.setting(_NEXT_GROUP_ID) or 1), *(i + 1 for i in known.values())]
            )
            for group in groups:
                key = signature(group.paths)
                group_id = known.pop(key, None)
                if group_id is None:
                    group_id, next_id = next_id, next_id + 1
                    PhotoGroup.insert(
                        id=group_id, signature=key, tier=group.tier.value, anchor=ids[group.anchor]
                    ).execute()
                else:
                    PhotoGroup.update(tier=group.tier.value, anchor=ids[group.anchor]).where(
                        PhotoGroup.id == group_id
                    ).execute()
                self._save_members(group_id, group, ids)
                saved.append(_with_id(group, group_id))
            gone = list(known.values())
            for start in range(0, len(gone), CHUNK):
                PhotoGroup.delete().where(PhotoGroup.id.in_(gone[start : start + CHUNK])).execute()
            self.set_setting(_NEXT_GROUP_ID, str(next_id))
        return saved

    def _save_members(self, group_id: int, group: Group, ids: dict[str, int]) -> None:
        burst_of = {path: n for n, burst in enumerate(group.bursts) for path in burst.members}
        MemberRow.delete().where(MemberRow.group == group_id).execute()
        rows = [
            {
                "group": group_id,
                "file": ids[m.photo.path],
                "relation": m.relation.value,
                "similarity": m.similarity,
                "burst": burst_of.get(m.photo.path),
            }
            for m in group.members
        ]
        for start in range(0, len(rows), CHUNK):
            MemberRow.insert_many(rows[start : start + CHUNK]).execute()

    def load_groups(self) -> list[Group]:
        """The stored groups, sorted by their first path; members sorted by path."""
        references = self.reference_folders()
        query = (
            MemberRow.select(MemberRow, File, PhotoGroup)
            .join(File)
            .switch(MemberRow)
            .join(PhotoGroup)
            .order_by(File.path)
        )
        members: dict[int, list[GroupMember]] = defaultdict(list)
        bursts: dict[int, dict[int, list[GroupMember]]] = defaultdict(lambda: defaultdict(list))
        heads: dict[int, PhotoGroup] = {}
        anchors: dict[int, str] = {}
        roots = dict(tuples(Root.select(Root.id, Root.path)))
        for row in query:
            photo = photo_from_row(row.file, roots.get(row.file.root_id))  # type: ignore[attr-defined]
            reference = is_below(photo.path, references)
            member = GroupMember(photo, Tier(row.relation), row.similarity, reference)
            gid = row.group.id
            heads[gid] = row.group
            members[gid].append(member)
            if row.group.anchor_id == row.file.id:  # type: ignore[attr-defined]
                anchors[gid] = photo.path
            if row.burst is not None:
                bursts[gid][row.burst].append(member)
        groups = [
            Group(
                tier=Tier(heads[gid].tier),
                anchor=anchors.get(gid, found[0].photo.path),
                members=tuple(found),
                bursts=tuple(_burst(frames) for _, frames in sorted(bursts[gid].items())),
                id=gid,
            )
            for gid, found in members.items()
        ]
        return sorted(groups, key=lambda g: g.paths[0])


def _burst(frames: list[GroupMember]) -> Burst:
    ordered = sorted(
        frames, key=lambda m: (m.photo.taken_at is None, m.photo.taken_at, m.photo.path)
    )
    return Burst(members=tuple(m.photo.path for m in ordered))


def _with_id(group: Group, group_id: int) -> Group:
    return replace(group, id=group_id)
