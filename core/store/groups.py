"""Groups, verdicts, reference folders and settings in the catalog (mixed into ``Catalog``).

Group ids are stable: a group found again with exactly the same members gets its old id back
(its signature, a hash of its sorted paths, is remembered even after the group was retired),
and a group whose members changed a little (a copy joined or left) inherits the id of the
stored group it shares most of its members with. Ids are never handed out twice. Verdicts
("these are not duplicates") are kept by content hash, one row per content and side, so they
survive rescans, renames and moves, and a dismissed group of 300 files writes 300 rows.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from core.models import Burst, Group, GroupMember, Tier, Verdict
from core.paths import is_below
from core.store.rows import chunks, photo_from_row, tuples

if TYPE_CHECKING:
    from core.store.schema import Tables

_NEXT_GROUP_ID = "next_group_id"
_INHERIT_OVERLAP = 0.5  # shared members / members of either, for a changed group to keep an id


def signature(paths: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(paths):
        digest.update(os.fsencode(path) + b"\0")
    return digest.hexdigest()


def match_ids(
    groups: Sequence[Group], known: Mapping[str, int], live: Mapping[int, frozenset[str]]
) -> list[int | None]:
    """The stored id each of ``groups`` takes, or None for a new one: by exact signature
    (``known``: every signature ever stored), else the live stored group (``live``: id ->
    members) with the largest share of common members, at least ``_INHERIT_OVERLAP``."""
    ids: list[int | None] = [known.get(signature(g.paths)) for g in groups]
    claimed: set[int] = set()
    for n, gid in enumerate(ids):  # an id is given once, even if two old signatures lead to it
        if gid is not None and gid in claimed:
            ids[n] = None
        elif gid is not None:
            claimed.add(gid)
    by_path = {path: gid for gid, members in live.items() for path in members}
    offers = []
    for n, group in enumerate(groups):
        if ids[n] is not None:
            continue
        shared: dict[int, int] = defaultdict(int)
        for path in group.paths:
            if path in by_path:
                shared[by_path[path]] += 1
        for gid, common in shared.items():
            share = common / len(set(group.paths) | live[gid])
            if share >= _INHERIT_OVERLAP and gid not in claimed:
                offers.append((-share, group.paths[0], gid, n))
    for _, _, gid, n in sorted(offers):
        if ids[n] is None and gid not in claimed:
            ids[n] = gid
            claimed.add(gid)
    return ids


class GroupsMixin:
    # the Catalog provides these
    t: Tables
    db: Any
    writing: Callable[..., Any]
    snapshot: Callable[[], Any]
    file_ids: Callable[[Sequence[str]], dict[str, int]]

    # -- settings ----------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        Setting = self.t.Setting
        row = Setting.get_or_none(Setting.key == key)
        return row.value if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.writing(inputs=False):
            self.t.Setting.insert(key=key, value=value).on_conflict_replace().execute()

    # -- reference folders -------------------------------------------------------------------

    def reference_folders(self) -> list[str]:
        ReferenceFolder = self.t.ReferenceFolder
        return sorted(path for (path,) in tuples(ReferenceFolder.select(ReferenceFolder.path)))

    def add_reference_folder(self, path: str) -> bool:
        """Mark a folder as reference; False if it already was."""
        ReferenceFolder = self.t.ReferenceFolder
        with self.writing():
            if ReferenceFolder.select().where(ReferenceFolder.path == path).exists():
                return False
            ReferenceFolder.insert(path=path).execute()
        return True

    def remove_reference_folder(self, path: str) -> bool:
        ReferenceFolder = self.t.ReferenceFolder
        with self.writing():
            return bool(ReferenceFolder.delete().where(ReferenceFolder.path == path).execute())

    # -- verdicts ----------------------------------------------------------------------------

    def verdicts(self) -> list[Verdict]:
        """Every "not duplicates" a person said, oldest first."""
        Verdict_, Side = self.t.Verdict, self.t.VerdictSide
        sides: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        sizes: dict[int, dict[str, int]] = defaultdict(dict)
        query = Side.select(Side.verdict, Side.content_hash, Side.side, Side.size)
        for verdict_id, content, side, size in tuples(query):
            sides[verdict_id][side].add(content)
            if size is not None:
                sizes[verdict_id][content] = size
        return [
            Verdict(
                sides=tuple(frozenset(sides[vid][s]) for s in sorted(sides[vid])),
                group_id=group_id,
                id=vid,
                sizes=tuple(sorted(sizes[vid].items())),
            )
            for vid, group_id in tuples(
                Verdict_.select(Verdict_.id, Verdict_.group_id).order_by(Verdict_.id)
            )
            if vid in sides
        ]

    def add_verdict(self, verdict: Verdict) -> int:
        """Store a verdict (one row per content and side); returns its id."""
        Verdict_, Side = self.t.Verdict, self.t.VerdictSide
        sizes = dict(verdict.sizes)
        rows = [
            (content, n, sizes.get(content))
            for n, side in enumerate(verdict.sides)
            for content in sorted(side)
        ]
        with self.writing():
            verdict_id = Verdict_.insert(group_id=verdict.group_id).execute()
            for chunk in chunks(rows):
                Side.insert_many(
                    [(verdict_id, c, n, s) for c, n, s in chunk],
                    fields=[Side.verdict, Side.content_hash, Side.side, Side.size],
                ).on_conflict_ignore().execute()
        return int(verdict_id)

    def remove_verdicts(self, group_id: int) -> int:
        """Take back every verdict said about group ``group_id``; returns how many."""
        Verdict_ = self.t.Verdict
        with self.writing():
            return Verdict_.delete().where(Verdict_.group_id == group_id).execute()

    def verdict_sizes(self) -> set[int]:
        """File sizes of the contents that verdicts are about."""
        Side = self.t.VerdictSide
        query = Side.select(Side.size).where(Side.size.is_null(False)).distinct()
        return {size for (size,) in tuples(query)}

    # -- groups ------------------------------------------------------------------------------

    def match_group_ids(self, groups: Sequence[Group]) -> list[Group]:
        """``groups`` with the ids they would take if stored now (None for new ones), without
        storing anything: for groups computed as a what-if."""
        with self.snapshot():
            known, live = self._known_groups()
        ids = match_ids(groups, known, live)
        return [replace(g, id=i) for g, i in zip(groups, ids, strict=True)]

    def _known_groups(self) -> tuple[dict[str, int], dict[int, frozenset[str]]]:
        PhotoGroup, Member, File = self.t.PhotoGroup, self.t.GroupMember, self.t.File
        Signature = self.t.GroupSignature
        known = dict(tuples(Signature.select(Signature.signature, Signature.group_id)))
        known.update(tuples(PhotoGroup.select(PhotoGroup.signature, PhotoGroup.id)))
        live: dict[int, set[str]] = defaultdict(set)
        for gid, path in tuples(Member.select(Member.group, File.path).join(File)):
            live[gid].add(path)
        return known, {gid: frozenset(paths) for gid, paths in live.items()}

    def save_groups(self, groups: Sequence[Group]) -> list[Group]:
        """Replace the stored groups with ``groups``; returns them with their ids. Groups not
        found again are retired: their rows stay (their ids are never reused), without
        members. A group stored as it is already is not written again (after a scan that
        added a few photos, most are)."""
        PhotoGroup, Member = self.t.PhotoGroup, self.t.GroupMember
        ids = self.file_ids(sorted({p for g in groups for p in g.paths}))
        saved = []
        with self.writing(inputs=False):
            known, live = self._known_groups()
            stored = self._stored_groups()
            next_id = max(
                [int(self.setting(_NEXT_GROUP_ID) or 1), *(i + 1 for i in known.values())]
            )
            for group, group_id in zip(groups, match_ids(groups, known, live), strict=True):
                key = signature(group.paths)
                head = (key, group.tier.value, ids[group.anchor])
                rows = _rows(group, ids)
                if group_id is not None and stored.get(group_id) == (head, rows):
                    saved.append(replace(group, id=group_id))
                    continue
                if group_id is None:  # its signature is new too (else it would have its id)
                    group_id, next_id = next_id, next_id + 1
                    PhotoGroup.insert(
                        id=group_id, signature=key, tier=group.tier.value, anchor=ids[group.anchor]
                    ).execute()
                else:
                    PhotoGroup.update(
                        signature=key, tier=group.tier.value, anchor=ids[group.anchor]
                    ).where(PhotoGroup.id == group_id).execute()
                self._save_members(group_id, rows)
                self.t.GroupSignature.insert(
                    signature=key, group_id=group_id
                ).on_conflict_ignore().execute()
                saved.append(replace(group, id=group_id))
            retired = sorted(set(live) - {g.id for g in saved})
            for chunk in chunks(retired):
                Member.delete().where(Member.group.in_(chunk)).execute()
            self.t.Setting.insert(
                key=_NEXT_GROUP_ID, value=str(next_id)
            ).on_conflict_replace().execute()
        return saved

    def group_anchors(self) -> set[int]:
        """The file ids of the stored groups' anchors (groups with members only)."""
        PhotoGroup, Member = self.t.PhotoGroup, self.t.GroupMember
        live = Member.select(Member.group).distinct()
        query = PhotoGroup.select(PhotoGroup.anchor).where(
            PhotoGroup.id.in_(live) & PhotoGroup.anchor.is_null(False)
        )
        return {anchor for (anchor,) in tuples(query)}

    def _stored_groups(
        self,
    ) -> dict[int, tuple[tuple[str, str, int], frozenset[tuple[int, str, float, int | None]]]]:
        """Each live group as stored: (signature, tier, anchor's file id), and its members
        as ``_rows`` gives them."""
        PhotoGroup, Member = self.t.PhotoGroup, self.t.GroupMember
        members: dict[int, set[tuple[int, str, float, int | None]]] = defaultdict(set)
        query = Member.select(
            Member.group, Member.file, Member.relation, Member.similarity, Member.burst
        )
        for gid, *row in tuples(query):
            members[gid].add(tuple(row))
        heads = PhotoGroup.select(
            PhotoGroup.id, PhotoGroup.signature, PhotoGroup.tier, PhotoGroup.anchor
        )
        return {
            gid: ((key, tier, anchor), frozenset(members[gid]))
            for gid, key, tier, anchor in tuples(heads)
            if gid in members
        }

    def _save_members(
        self, group_id: int, rows: frozenset[tuple[int, str, float, int | None]]
    ) -> None:
        Member = self.t.GroupMember
        Member.delete().where(Member.group == group_id).execute()
        values = [
            {"group": group_id, "file": file, "relation": relation, "similarity": score, "burst": n}
            for file, relation, score, n in rows
        ]
        for chunk in chunks(values):
            Member.insert_many(chunk).execute()

    def load_groups(
        self, *, ids: Collection[int] | None = None, containing: Collection[str] | None = None
    ) -> list[Group]:
        """The stored groups, sorted by their first path; members sorted by path. Read in one
        snapshot, so a scan committing meanwhile is seen entirely or not at all. ``ids``: only
        the groups with these ids; ``containing``: only those with one of these paths."""
        with self.snapshot():
            return self._load_groups(ids, containing)

    def _load_groups(
        self, ids: Collection[int] | None = None, containing: Collection[str] | None = None
    ) -> list[Group]:
        Member, File, PhotoGroup, Root = (
            self.t.GroupMember, self.t.File, self.t.PhotoGroup, self.t.Root,
        )  # fmt: skip
        references = self.reference_folders()
        # flat rows (named tuples), not three model objects a row: reading the groups of a
        # big catalog is what the app waits for before its first screen
        query = (
            Member.select(
                *File._meta.sorted_fields,
                Member.relation.alias("m_relation"),
                Member.similarity.alias("m_similarity"),
                Member.burst.alias("m_burst"),
                PhotoGroup.id.alias("g_id"),
                PhotoGroup.tier.alias("g_tier"),
                PhotoGroup.anchor.alias("g_anchor"),
            )
            .join(File)
            .switch(Member)
            .join(PhotoGroup)
            .order_by(File.path)
        )
        if ids is not None:
            query = query.where(Member.group.in_(sorted(set(ids))))
        if containing is not None:
            wanted = {int(gid) for chunk in chunks(sorted(set(containing))) for (gid,) in tuples(
                Member.select(Member.group).join(File).where(File.path.in_(chunk))
            )}  # fmt: skip
            query = query.where(Member.group.in_(sorted(wanted)))
        members: dict[int, list[GroupMember]] = defaultdict(list)
        bursts: dict[int, dict[int, list[GroupMember]]] = defaultdict(lambda: defaultdict(list))
        tiers: dict[int, str] = {}
        anchors: dict[int, str] = {}
        roots = dict(tuples(Root.select(Root.id, Root.path)))
        rows: Iterable[Any] = query.namedtuples()
        for row in rows:
            photo = photo_from_row(row, roots.get(row.root))
            reference = is_below(photo.path, references)
            member = GroupMember(photo, Tier(row.m_relation), row.m_similarity, reference)
            gid = row.g_id
            tiers[gid] = row.g_tier
            members[gid].append(member)
            if row.g_anchor == row.id:
                anchors[gid] = photo.path
            if row.m_burst is not None:
                bursts[gid][row.m_burst].append(member)
        groups = [
            Group(
                tier=Tier(tiers[gid]),
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


def _rows(group: Group, ids: dict[str, int]) -> frozenset[tuple[int, str, float, int | None]]:
    """The member rows of ``group``: (file id, relation, similarity, burst)."""
    burst_of = {path: n for n, burst in enumerate(group.bursts) for path in burst.members}
    return frozenset(
        (ids[m.photo.path], m.relation.value, m.similarity, burst_of.get(m.photo.path))
        for m in group.members
    )
