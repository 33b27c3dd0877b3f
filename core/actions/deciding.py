"""The person's decisions, for the Library (mixed in through ``core.actions.session``):
``decide`` file by file, ``accept`` a group's recommendation, and the rules both keep.

* A group never ends with no file that stays (unless the person forces it:
  ``allow_empty_group``). Files in reference or protected folders are never marked backup.
* ``accept`` never marks an AI-flagged file backup (only an explicit ``decide`` does), and
  never overrides what the person decided one by one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.actions.decisions import record_for, resolve
from core.errors import PhotosiftError
from core.judging import rules
from core.judging.profiles import get_profile
from core.models import Group, Photo
from core.models.actions import Decision, DecisionRecord
from core.paths import is_below, printable
from core.progress import ProgressCallback, StopCheck

if TYPE_CHECKING:
    from core.store import Catalog


@dataclass(frozen=True, slots=True)
class Decided:
    """What ``decide`` or ``accept`` changed, and what it refused (path or group, why)."""

    changed: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    kept_yours: int = 0  # accept: files whose decision the person had made one by one
    groups: int = 0  # accept: groups whose recommendation was taken
    counts: dict[str, int] = field(default_factory=dict)  # decision -> files set to it


class Deciding:
    """Provided by the Library: ``catalog``, ``path``, ``groups``, ``judge``."""

    catalog: Catalog
    path: str
    groups: Callable[..., Any]
    current_groups: Callable[..., list[Group]]
    judge: Callable[..., Any]

    # -- decisions ---------------------------------------------------------------------------

    def decisions(self) -> dict[str, DecisionRecord]:
        """path -> the decision that applies to each catalogued file that has one."""
        records = self.catalog.decision_records()
        if not records:
            return {}
        # only the files a decision may apply to: at its path, or where it may have gone
        # (the same inode, or for a keep the same content): see ``resolve``
        photos = self.catalog.photos_for(
            (r.path for r in records),
            inodes=(r.inode for r in records if r.inode),
            content_hashes=(
                r.content_hash
                for r in records
                if r.content_hash and r.decision is not Decision.BACKUP
            ),
        )
        return resolve(photos, records)

    def decide(
        self, paths: Sequence[str], decision: Decision, *, allow_empty_group: bool = False
    ) -> Decided:
        """Mark files (or every catalogued file below a folder) keep, backup or undecided."""
        photos = self._photos_named(paths)
        refused: list[tuple[str, str]] = []
        groups = self.current_groups(containing={p.path for p in photos})
        if decision is Decision.BACKUP:
            photos = self._not_protected(photos, groups, refused)
        decided = self.decisions()
        wanted = {p.path: record_for(p, decision, allow_empty=allow_empty_group) for p in photos}
        blocked = _emptied(groups, decided, wanted) if not allow_empty_group else {}
        for path, group_id in blocked.items():
            refused.append(
                (path, f"group {group_id} would keep no file (--allow-empty-group forces it)")
            )
        records = [r for p, r in wanted.items() if p not in blocked]
        if records and not self.read_only_catalog():
            self.catalog.set_decisions(records)
        return Decided(
            tuple(r.path for r in records),
            tuple(refused),
            counts={decision.value: len(records)},
        )

    def accept(
        self,
        group_ids: Iterable[int] | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Decided:
        """Take the recommendation of the given groups (None: all): its keep and the files it
        keeps are marked keep, the copies and lesser versions backup; AI-flagged files and
        files left out (changed since the scan) stay undecided. Decisions the person made one
        by one are left as they are."""
        wanted_ids = set(group_ids) if group_ids is not None else None
        if wanted_ids is None:
            groups = list(self.groups().groups)
        else:
            groups = self.current_groups(ids=wanted_ids)
        if wanted_ids:
            missing = wanted_ids - {g.id for g in groups}
            if missing:
                raise PhotosiftError(
                    f"no group {', '.join(map(str, sorted(missing)))}; "
                    "run 'photosift groups' to see the current ones"
                )
        profile = get_profile(self._profile_name())
        judged = self.judge(
            groups, profile=profile.name, on_progress=on_progress, should_stop=should_stop
        )
        profile_rules = rules.parse_all(profile.rules)
        decided = self.decisions()
        records: list[DecisionRecord] = []
        refused: list[tuple[str, str]] = []
        kept_yours = taken = 0
        counts = {"keep": 0, "backup": 0, "undecided": 0}
        for item in judged:
            group, advice = item.group, item.recommendation
            if advice.best_file is None:
                refused.append((f"group {group.id}", "no file of it is as it was scanned"))
                continue
            keep = {advice.best_file, *advice.kept}
            backup = (set(advice.duplicates) | set(advice.lower_quality)) - set(advice.ai_enhanced)
            plan = {}
            for member in group.members:
                photo = member.photo
                mine = decided.get(photo.path)
                if mine is not None and mine.source == "decide":
                    kept_yours += 1
                    plan[photo.path] = mine.decision
                    continue
                if photo.path in keep or member.reference or rules.protected(profile_rules, photo):
                    plan[photo.path] = Decision.KEEP
                elif photo.path in backup and photo.path not in advice.stale:
                    plan[photo.path] = Decision.BACKUP
                else:
                    plan[photo.path] = Decision.UNDECIDED
            if all(d is Decision.BACKUP for d in plan.values()):
                refused.append((f"group {group.id}", "your decisions leave it no file to keep"))
                continue
            taken += 1
            for member in group.members:
                photo = member.photo
                mine = decided.get(photo.path)
                if mine is not None and mine.source == "decide":
                    continue
                counts[plan[photo.path].value] += 1
                records.append(
                    record_for(photo, plan[photo.path], source="accept", group_id=group.id)
                )
        if records:
            self.catalog.set_decisions(records)
        return Decided(tuple(r.path for r in records), tuple(refused), kept_yours, taken, counts)

    def _photos_named(self, paths: Sequence[str]) -> list[Photo]:
        """The catalogued photos at ``paths`` (a folder: every one below it); refuses a path
        the catalog does not know, before anything is changed."""
        reals = {given: os.path.realpath(os.path.expanduser(given)) for given in paths}
        catalogued = {p.path: p for p in self.catalog.photos_for(reals.values())}
        out: dict[str, Photo] = {}
        for given, real in reals.items():
            if real in catalogued:
                out[real] = catalogued[real]
            elif os.path.isdir(real):
                below = [p for p in self.catalog.photos(roots=[real]) if is_below(p.path, [real])]
                if not below:
                    raise PhotosiftError(f"{printable(given)}: no catalogued photo below it")
                out.update((p.path, p) for p in below)
            else:
                raise PhotosiftError(
                    f"{printable(given)} is not in the catalog; scan its folder first"
                )
        return list(out.values())

    def _not_protected(
        self, photos: list[Photo], groups: Sequence[Group], refused: list[tuple[str, str]]
    ) -> list[Photo]:
        profile = get_profile(self._profile_name())
        profile_rules = rules.parse_all(profile.rules)
        reference = {m.photo.path for g in groups for m in g.members if m.reference}
        out = []
        for photo in photos:
            if photo.path in reference or is_below(photo.path, self.catalog.reference_folders()):
                refused.append((photo.path, "in a reference folder: never backed up"))
            elif rules.protected(profile_rules, photo):
                refused.append((photo.path, "in a protected folder: never backed up"))
            else:
                out.append(photo)
        return out

    def _profile_name(self) -> str | None:
        raw = self.catalog.setting("grouping")
        return json.loads(raw).get("profile") if raw else None

    def read_only_catalog(self) -> bool:
        if self.catalog.read_only:
            raise PhotosiftError(f"the catalog {self.path} is read-only here; decisions need it")
        return False


def _emptied(
    groups: Sequence[Group], decided: dict[str, DecisionRecord], wanted: dict[str, DecisionRecord]
) -> dict[str, int | None]:
    """path -> group id, for the wanted changes that would leave a group with no file that
    stays."""
    blocked: dict[str, int | None] = {}
    for group in groups:
        touched = [p for p in group.paths if p in wanted]
        if not touched:
            continue
        after = {p: (wanted.get(p) or decided.get(p)) for p in group.paths}
        if all(r is not None and r.decision is Decision.BACKUP for r in after.values()):
            blocked.update((p, group.id) for p in touched if wanted[p].decision is Decision.BACKUP)
    return blocked
