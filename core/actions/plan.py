"""From decisions to a plan: which files go, where to, and which files must still be there
for them to go.

* Only files marked backup move, group by group. A group keeps at least one file: one whose
  files would all go is refused (unless the person forced it), and its files that stay are
  listed so that apply checks them right before any of the group's files move.
* Files in reference or protected folders never move; nor do files outside the scanned roots.
* In a backup folder, a file goes to ``DIR/<root name>/<path below its root>``: the original
  tree mirrored, so files of the same name from different folders never meet. A taken target
  gets a free name (``name (2).jpg``), recorded in the plan.
* A byte-identical copy of a kept file names it (``copy_of``): both are hashed again right
  before it moves. ``--hardlink`` takes only such copies on the kept file's file system.
* Sidecars (``core.actions.sidecars``) follow their photo.

Must not import the store or any UI.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from core.actions import fsops
from core.actions.sidecars import sidecars
from core.models import Group, Photo
from core.models.actions import (
    Decision,
    DecisionRecord,
    FileStat,
    Mode,
    Move,
    Plan,
    PlanGroup,
    Skip,
)
from core.paths import is_below, printable


@dataclass(frozen=True, slots=True)
class PlanRequest:
    mode: Mode
    destination: str | None = None  # the backup folder, a real path (Mode.BACKUP)
    group_ids: frozenset[int] = frozenset()  # only these groups; empty: all
    allow_empty_group: bool = False


def build_plan(
    request: PlanRequest,
    groups: Sequence[Group],
    decided: Mapping[str, DecisionRecord],
    roots: Sequence[str],
    *,
    protected: Callable[[Photo], bool] = lambda photo: False,
    notes: Sequence[str] = (),
) -> Plan:
    """The plan for ``groups`` (as judged now) and the decisions that apply to their files."""
    names = root_names(roots)
    taken: set[str] = set()
    planned: list[PlanGroup] = []
    skipped: list[Skip] = []
    grouped: set[str] = set()
    for group in sorted(groups, key=lambda g: (g.id is None, g.id or 0, g.paths)):
        grouped.update(group.paths)
        if request.group_ids and group.id not in request.group_ids:
            continue
        entry = _plan_group(request, group, decided, names, taken, protected, skipped)
        if entry is not None:
            planned.append(entry)
    for path, record in sorted(decided.items()):
        if record.decision is Decision.BACKUP and path not in grouped and not request.group_ids:
            skipped.append(Skip(path, None, "in no group now; run groups, then decide again"))
    return Plan(request.mode, request.destination, tuple(planned), tuple(skipped), tuple(notes))


def _plan_group(
    request: PlanRequest,
    group: Group,
    decided: Mapping[str, DecisionRecord],
    names: Mapping[str, str],
    taken: set[str],
    protected: Callable[[Photo], bool],
    skipped: list[Skip],
) -> PlanGroup | None:
    def decision(path: str) -> Decision:
        record = decided.get(path)
        return record.decision if record else Decision.UNDECIDED

    going, staying = [], []
    for member in group.members:
        photo = member.photo
        if decision(photo.path) is not Decision.BACKUP:
            staying.append(member)
        elif member.reference or protected(photo):
            where = "a reference" if member.reference else "a protected"
            skipped.append(Skip(photo.path, group.id, f"in {where} folder: never moved"))
            staying.append(member)
        elif photo.root is None or not is_below(photo.path, [photo.root]):
            skipped.append(Skip(photo.path, group.id, "outside the scanned folders"))
            staying.append(member)
        else:
            going.append(photo)
    if not going:
        return None
    forced = request.allow_empty_group and any(decided[p.path].allow_empty for p in going)
    if not staying and not forced:
        for photo in going:
            skipped.append(
                Skip(photo.path, group.id, "its group would keep no file (--allow-empty-group)")
            )
        return None
    kept = [m for m in staying if decision(m.photo.path) is Decision.KEEP or m.reference]
    keep = [m.photo for m in (kept or staying)]
    by_content = {p.content_hash: p.path for p in keep if p.content_hash}
    moves: list[Move] = []
    moving = [p.path for p in going]
    for photo in going:
        copy_of = by_content.get(photo.content_hash) if photo.content_hash else None
        reason = _refuse(request.mode, photo, copy_of, keep)
        if reason:
            skipped.append(Skip(photo.path, group.id, reason))
            continue
        why = decided[photo.path].source
        move = Move(
            source=photo.path,
            root=photo.root or "",
            stat=_stat(photo),
            group_id=group.id,
            why=f"backup ({'recommended' if why == 'accept' else 'your decision'})",
            target=_target(request, photo.path, photo.root or "", names, taken),
            content_hash=photo.content_hash,
            copy_of=copy_of,
        )
        moves.append(move)
        if request.mode is not Mode.HARDLINK:
            moves.extend(_sidecar_moves(request, move, moving, names, taken))
    if not moves:
        return None
    keep_stats = tuple((p.path, _stat(p)) for p in keep)
    return PlanGroup(group.id, keep_stats, tuple(moves), allow_empty=not staying)


def _refuse(mode: Mode, photo: Photo, copy_of: str | None, keep: Sequence[Photo]) -> str | None:
    if mode is not Mode.HARDLINK:
        return None
    if copy_of is None:
        return "not a byte-identical copy of the kept file: --hardlink never links look-alikes"
    original = next(p for p in keep if p.path == copy_of)
    if original.device != photo.device:
        return "on another file system than its kept copy: a hard link cannot cross"
    return None


def _sidecar_moves(
    request: PlanRequest,
    move: Move,
    moving: Sequence[str],
    names: Mapping[str, str],
    taken: set[str],
) -> list[Move]:
    out = []
    for path in sidecars(move.source, moving):
        try:
            info = os.lstat(path)
        except OSError:
            continue
        out.append(
            Move(
                source=path,
                root=move.root,
                stat=fsops.file_stat(info),
                group_id=move.group_id,
                why=f"sidecar of {os.path.basename(move.source)}",
                target=_sidecar_target(request, path, move, names, taken),
                sidecar_of=move.source,
            )
        )
    return out


def _sidecar_target(
    request: PlanRequest, path: str, move: Move, names: Mapping[str, str], taken: set[str]
) -> str | None:
    """Next to its photo's target, renamed the way the photo was (``IMG_1 (2).JPG`` takes
    ``IMG_1 (2).JPG.json`` and ``IMG_1 (2).xmp``), so the pair still matches by name."""
    target = _target(request, path, move.root, names, set())
    if target is None or move.target is None:
        return target
    name, photo = os.path.basename(path), os.path.basename(move.source)
    chosen = os.path.basename(move.target)
    if chosen != photo:
        stem, chosen_stem = os.path.splitext(photo)[0], os.path.splitext(chosen)[0]
        if name.startswith(photo):
            name = chosen + name[len(photo) :]
        elif name.startswith(stem):
            name = chosen_stem + name[len(stem) :]
    wanted = fsops.free_name(os.path.join(os.path.dirname(move.target), name), taken)
    taken.add(wanted)
    return wanted


def _stat(photo: Photo) -> FileStat:
    return FileStat(photo.size, photo.mtime_ns, photo.ctime_ns, photo.inode, photo.device)


def _target(
    request: PlanRequest, path: str, root: str, names: Mapping[str, str], taken: set[str]
) -> str | None:
    if request.mode is not Mode.BACKUP or request.destination is None:
        return None
    relative = os.path.relpath(path, root)
    target = os.path.join(request.destination, names.get(root, "root"), relative)
    chosen = fsops.free_name(target, taken)
    taken.add(chosen)
    return chosen


def root_names(roots: Sequence[str]) -> dict[str, str]:
    """The folder name each root gets in a backup folder: its own name, with a short tag of
    its full path where two roots share a name (``/a/Photos``, ``/b/Photos``)."""

    def name(root: str) -> str:
        return os.path.basename(root.rstrip("/")) or "root"

    counts: dict[str, int] = {}
    for root in roots:
        counts[name(root)] = counts.get(name(root), 0) + 1
    out = {}
    for root in roots:
        base = name(root)
        if counts[base] > 1:
            tag = hashlib.blake2b(os.fsencode(root), digest_size=3).hexdigest()
            base = f"{base}-{tag}"
        out[root] = base
    return out


def check_destination(destination: str, roots: Sequence[str]) -> str | None:
    """Why ``destination`` cannot be a backup folder (it is a scanned root or holds one), or
    None. A destination inside a root is allowed: the caller excludes it from scans."""
    existing = destination
    while not os.path.lexists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        if existing == destination:
            return "it is a file, not a folder"
        return f"{printable(existing)} is a file, not a folder"
    for root in roots:
        if destination == root or is_below(root, [destination]) or destination == "/":
            return f"it is or holds the scanned folder {root}: backups would land among the photos"
    return None
