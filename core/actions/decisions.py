"""Finding the person's decisions again: which recorded decision applies to each catalogued
file, after rescans, regroupings and renames.

A decision is about the file at its path while it keeps the size and mtime it had (or the
same content, when both hashes are known). A decision whose path now holds another file no
longer applies. A decision whose path is gone follows the file to its new path: the one with
the same inode, device, size and mtime (a rename), if exactly one file that has no decision
of its own matches. A keep decision may also follow its content (the same content hash) to a
file copied elsewhere; a backup decision never does, since the file with that content may be
the very original the person kept. Must not import the store or any UI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from core.models import Photo
from core.models.actions import Decision, DecisionRecord


def resolve(
    photos: Iterable[Photo], records: Sequence[DecisionRecord]
) -> dict[str, DecisionRecord]:
    """path -> the decision that applies to the catalogued file at that path (files with
    none are left out). A record found at a new path is returned with that path."""
    photos = list(photos)
    by_path = {p.path: p for p in photos}
    out: dict[str, DecisionRecord] = {}
    orphans = []
    for record in records:
        photo = by_path.get(record.path)
        if photo is None:
            orphans.append(record)
        elif _same_file(record, photo):
            out[photo.path] = record
    if not orphans:
        return out
    free = [p for p in photos if p.path not in out and p.path not in _paths(records)]
    by_hash: dict[str, list[Photo]] = defaultdict(list)
    by_inode: dict[tuple[int, int, int, int], list[Photo]] = defaultdict(list)
    for photo in free:
        if photo.content_hash:
            by_hash[photo.content_hash].append(photo)
        if photo.inode:
            by_inode[(photo.device, photo.inode, photo.size, photo.mtime_ns)].append(photo)
    claimed: set[str] = set()
    for record in orphans:
        match = _one(
            by_inode.get((record.device, record.inode, record.size, record.mtime_ns)), claimed
        )
        if match is None and record.decision is not Decision.BACKUP:
            # only keeping may follow a content elsewhere: a backup decision about a copy
            # must never land on the original the person left in place
            match = _one(by_hash.get(record.content_hash or ""), claimed)
        if match is not None:
            claimed.add(match.path)
            out[match.path] = _moved(record, match)
    return out


def _same_file(record: DecisionRecord, photo: Photo) -> bool:
    if record.content_hash and photo.content_hash:
        return record.content_hash == photo.content_hash
    return record.size == photo.size and record.mtime_ns == photo.mtime_ns


def _one(candidates: Sequence[Photo] | None, claimed: set[str]) -> Photo | None:
    left = [p for p in candidates or () if p.path not in claimed]
    return left[0] if len(left) == 1 else None


def _paths(records: Sequence[DecisionRecord]) -> set[str]:
    return {r.path for r in records}


def _moved(record: DecisionRecord, photo: Photo) -> DecisionRecord:
    return replace(record, path=photo.path, inode=photo.inode, device=photo.device)


def record_for(photo: Photo, decision: Decision, **extra: object) -> DecisionRecord:
    """A decision about ``photo`` as it is catalogued."""
    return DecisionRecord(
        path=photo.path,
        decision=decision,
        size=photo.size,
        mtime_ns=photo.mtime_ns,
        inode=photo.inode,
        device=photo.device,
        content_hash=photo.content_hash,
        **extra,  # type: ignore[arg-type]
    )


def of_group(members: Iterable[str], decided: Mapping[str, DecisionRecord]) -> dict[str, str]:
    """path -> decision value for the members of a group (undecided where none)."""
    return {p: (decided[p].decision.value if p in decided else "undecided") for p in members}
