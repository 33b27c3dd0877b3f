"""The Library's file actions (mixed into ``core.library.Library``): decisions, accepting
recommendations, plans, apply, resume, undo and history. The CLI and the app call these and
nothing below them.

Rules kept here, whoever asks:

* A group never ends with no file that stays (unless the person forces it:
  ``allow_empty_group``). Files in reference or protected folders are never marked backup.
  ``accept`` never marks an AI-flagged file backup (only an explicit ``decide`` does), and
  never overrides what the person decided one by one.
* ``apply`` moves only what a fresh plan says, checks everything again right before it moves
  (``core.actions.apply``), and a backup folder inside a scanned root is excluded from scans
  from then on (the plan says so).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core import __version__
from core.actions import apply as applying
from core.actions import trash
from core.actions.decisions import record_for, resolve
from core.actions.plan import PlanRequest, build_plan, check_destination
from core.actions.undo import Restored, undo_batch, undo_from_log
from core.errors import PhotosiftError
from core.judging import rules
from core.judging.profiles import get_profile
from core.models import Group, Photo
from core.models.actions import (
    Batch,
    BatchState,
    Decision,
    DecisionRecord,
    Mode,
    Operation,
    Outcome,
    Plan,
)
from core.paths import is_below, printable
from core.progress import ProgressCallback, Reporter, StopCheck

if TYPE_CHECKING:
    from core.store import Catalog

EXCLUDED = "excluded_folders"  # setting: folders never scanned (backup folders inside roots)


@dataclass(frozen=True, slots=True)
class Decided:
    """What ``decide`` or ``accept`` changed, and what it refused (path or group, why)."""

    changed: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()
    kept_yours: int = 0  # accept: files whose decision the person had made one by one
    groups: int = 0  # accept: groups whose recommendation was taken
    counts: dict[str, int] = field(default_factory=dict)  # decision -> files set to it


class Actions:
    """Mixed into the Library, which provides ``catalog``, ``groups``, ``judge``, ``scan``."""

    catalog: Catalog
    path: str

    groups: Callable[..., Any]
    judge: Callable[..., Any]
    scan: Callable[..., Any]

    # -- decisions ---------------------------------------------------------------------------

    def decisions(self) -> dict[str, DecisionRecord]:
        """path -> the decision that applies to each catalogued file that has one."""
        return resolve(self.catalog.photos(), self.catalog.decision_records())

    def decide(
        self, paths: Sequence[str], decision: Decision, *, allow_empty_group: bool = False
    ) -> Decided:
        """Mark files (or every catalogued file below a folder) keep, backup or undecided."""
        photos = self._photos_named(paths)
        refused: list[tuple[str, str]] = []
        groups = self._stored_groups()
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
        result = self.groups()
        wanted_ids = set(group_ids) if group_ids is not None else None
        groups = [g for g in result.groups if wanted_ids is None or g.id in wanted_ids]
        if wanted_ids:
            missing = wanted_ids - {g.id for g in groups}
            if missing:
                raise PhotosiftError(
                    f"no group {', '.join(map(str, sorted(missing)))}; "
                    "run 'photosift groups' to see the current ones"
                )
        judged = self.judge(
            groups, profile=result.profile.name, on_progress=on_progress, should_stop=should_stop
        )
        profile_rules = rules.parse_all(result.profile.rules)
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
        catalogued = {p.path: p for p in self.catalog.photos()}
        out: dict[str, Photo] = {}
        for given in paths:
            real = os.path.realpath(os.path.expanduser(given))
            if real in catalogued:
                out[real] = catalogued[real]
            elif os.path.isdir(real):
                below = [p for path, p in catalogued.items() if is_below(path, [real])]
                if not below:
                    raise PhotosiftError(f"{printable(given)}: no catalogued photo below it")
                out.update((p.path, p) for p in below)
            else:
                raise PhotosiftError(
                    f"{printable(given)} is not in the catalog; scan its folder first"
                )
        return list(out.values())

    def _stored_groups(self) -> list[Group]:
        return list(self.groups().groups)

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

    # -- plans and batches -------------------------------------------------------------------

    def plan(
        self,
        mode: Mode,
        *,
        destination: str | None = None,
        group_ids: Iterable[int] = (),
        allow_empty_group: bool = False,
    ) -> Plan:
        """What apply would do now: nothing on disk is touched (except that a backup folder
        inside a scanned root is noted to be excluded, when the plan is applied)."""
        notes: list[str] = []
        roots = self.catalog.root_paths()
        real = None
        if mode is Mode.BACKUP:
            if not destination:
                raise PhotosiftError("a backup folder is needed (--backup DIR)")
            real = os.path.realpath(os.path.expanduser(destination))
            problem = check_destination(real, roots)
            if problem:
                raise PhotosiftError(
                    f"{printable(destination)} cannot be the backup folder: {problem}"
                )
            held = self.catalog.photos(roots=[real]) + self.catalog.photos(
                errors=True, roots=[real]
            )
            if held:
                raise PhotosiftError(
                    f"{printable(destination)} cannot be the backup folder: it holds "
                    f"{len(held)} catalogued photos (e.g. {printable(held[0].path)}); choose an "
                    "empty folder, or one outside the scanned folders"
                )
            inside = [r for r in roots if is_below(real, [r])]
            if inside and real not in self._excluded():
                notes.append(
                    f"the backup folder {printable(real)} lies inside the scanned folder "
                    f"{printable(inside[0])}; it is excluded from scans from now on"
                )
        result = self.groups()
        wanted = frozenset(group_ids)
        known = {g.id for g in result.groups}
        if wanted - known:
            raise PhotosiftError(
                f"no group {', '.join(map(str, sorted(wanted - known)))}; "
                "run 'photosift groups' to see the current ones"
            )
        profile_rules = rules.parse_all(result.profile.rules)
        request = PlanRequest(mode, real, wanted, allow_empty_group)
        return build_plan(
            request,
            result.groups,
            self.decisions(),
            roots,
            protected=lambda photo: rules.protected(profile_rules, photo),
            notes=notes,
        )

    def apply(
        self,
        plan: Plan,
        *,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Outcome:
        """Carry out ``plan`` as a new batch (journaled; ``resume`` finishes it if it is
        interrupted, ``undo`` reverts it)."""
        self.read_only_catalog()
        if plan.mode is Mode.TRASH:
            trash.check(m.source for m in plan.moves)
        if plan.destination and any("excluded from scans" in n for n in plan.notes):
            self._exclude(plan.destination)
        log_folder = plan.destination or os.path.join(os.path.dirname(self.path), "logs")
        header = {
            "photosift": __version__,
            "catalog": self.path,
            "destination": plan.destination,
            "files": plan.files,
            "bytes": plan.bytes,
        }
        batch = applying.start(self.catalog, plan, log_folder, header)
        reporter = Reporter(on_progress, should_stop)
        return applying.Runner(self.catalog, batch, reporter).run()

    def resume(
        self,
        batch_id: int | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Outcome:
        """Finish an interrupted batch (the newest one, unless ``batch_id``)."""
        self.read_only_catalog()
        batch = self._batch(batch_id, running=True)
        if batch.state is not BatchState.RUNNING:
            raise PhotosiftError(f"batch {batch.id} is {batch.state.value}: nothing to resume")
        return applying.Runner(self.catalog, batch, Reporter(on_progress, should_stop)).run()

    def undo(
        self,
        batch_id: int | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Outcome:
        """Move the files of a batch (the newest, unless ``batch_id``) back where they were,
        then scan their folders so the catalog knows them again."""
        self.read_only_catalog()
        batch = self._batch(batch_id)
        outcome = undo_batch(self.catalog, batch.id, Reporter(on_progress, should_stop))
        self._rescan([op for op in self.catalog.operations(batch.id)], outcome, on_progress)
        return outcome

    @staticmethod
    def undo_from_log(
        path: str, *, on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Restored:  # fmt: skip
        """Bring back what the backup folder's log at ``path`` lists, without the catalog's
        journal (a catalog lost or another machine's)."""
        return undo_from_log(path, Reporter(on_progress, should_stop))

    def history(self) -> list[Batch]:
        """Every batch, newest first."""
        return self.catalog.batches()

    def operations(self, batch_id: int) -> list[Operation]:
        self._batch(batch_id)
        return self.catalog.operations(batch_id)

    def unfinished(self) -> list[Batch]:
        """Batches a crash or a stop left half done."""
        return [b for b in self.catalog.batches() if b.state is BatchState.RUNNING]

    def batch(self, batch_id: int | None = None) -> Batch:
        """Batch ``batch_id``, or the newest that was not undone."""
        return self._batch(batch_id)

    def _batch(self, batch_id: int | None, *, running: bool = False) -> Batch:
        batches = self.catalog.batches()
        if batch_id is None:
            candidates = [b for b in batches if b.state is BatchState.RUNNING] if running else []
            candidates = candidates or [b for b in batches if b.state is not BatchState.UNDONE]
            if not candidates:
                raise PhotosiftError("no batch to act on; 'photosift history' lists them")
            return candidates[0]
        for batch in batches:
            if batch.id == batch_id:
                return batch
        raise PhotosiftError(f"no batch {batch_id}; 'photosift history' lists them")

    def _rescan(
        self, ops: Sequence[Operation], outcome: Outcome, on_progress: ProgressCallback | None
    ) -> None:
        back = set(outcome.done)
        roots = sorted({op.root for op in ops if op.source in back and op.root})
        present = [r for r in roots if os.path.isdir(r)]
        if present:
            self.scan(present, on_progress=on_progress)

    # -- folders never scanned ---------------------------------------------------------------

    def _excluded(self) -> list[str]:
        raw = self.catalog.setting(EXCLUDED)
        return list(json.loads(raw)) if raw else []

    def _exclude(self, folder: str) -> None:
        folders = sorted(set(self._excluded()) | {folder})
        self.catalog.set_setting(EXCLUDED, json.dumps(folders))

    def exclude_globs(self) -> tuple[str, ...]:
        """The folders never scanned, as exclude globs that match exactly their paths."""
        return tuple(_glob_escape(folder) for folder in self._excluded())


def _glob_escape(path: str) -> str:
    """``path`` as an fnmatch pattern (core.media.discover's excludes) matching only itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in path)


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
