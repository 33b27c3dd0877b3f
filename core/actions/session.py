"""The Library's file actions (mixed into ``core.library.Library``): decisions, accepting
recommendations, plans, apply, resume, undo and history. The CLI and the app call these and
nothing below them.

Decisions are ``core.actions.deciding``'s. Here, ``apply`` moves only what a fresh plan says
and checks everything again right before it moves (``core.actions.apply``); a backup folder
inside a scanned root is excluded from scans from then on (the plan says so).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from core import __version__
from core.actions import apply as applying
from core.actions import trash
from core.actions.deciding import Decided, Deciding
from core.actions.plan import PlanRequest, build_plan, check_destination
from core.actions.undo import Restored, undo_batch, undo_from_log
from core.errors import PhotosiftError
from core.judging import rules
from core.models.actions import (
    Batch,
    BatchState,
    Mode,
    Operation,
    Outcome,
    Plan,
)
from core.paths import is_below, printable
from core.progress import ProgressCallback, Reporter, StopCheck

if TYPE_CHECKING:
    pass

__all__ = ["Actions", "Decided"]

EXCLUDED = "excluded_folders"  # setting: folders never scanned (backup folders inside roots)


class Actions(Deciding):
    """Mixed into the Library, which provides ``catalog``, ``groups``, ``judge``, ``scan``."""

    scan: Callable[..., Any]

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
        return tuple(glob.escape(folder) for folder in self._excluded())
