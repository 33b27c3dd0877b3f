"""Carrying out a batch: every operation journaled before and after each step on disk, so that a
crash at any instant (SIGKILL, a power cut) leaves every file at its source, at its target, or
both, never neither; running the batch again (``resume``) finishes it from where it was.

Right before a group's files move, the files it keeps must still be as planned, or the whole
group is left alone. Right before a file moves it must still be as scanned (size, mtime,
ctime, inode), and a byte-identical copy is hashed again on both sides. A file's own problem
(it changed, permission denied, the disk is full) is recorded for that file and the batch goes
on; a request to stop is honoured between files.

Must not import any UI.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby

from core.actions import fsops, trash
from core.actions import log as jsonlog
from core.errors import Cancelled
from core.models import Phase
from core.models.actions import (
    PENDING_STATES,
    Batch,
    BatchState,
    Mode,
    Operation,
    OpState,
    Outcome,
    Plan,
)
from core.paths import printable
from core.progress import Reporter
from core.store import Catalog

log = logging.getLogger(__name__)

_EVENT = {Mode.BACKUP: "moved", Mode.TRASH: "trashed", Mode.DELETE: "deleted",
          Mode.HARDLINK: "linked"}  # fmt: skip


def start(catalog: Catalog, plan: Plan, log_folder: str, header: dict) -> Batch:
    """Journal ``plan`` as a new batch (every operation planned) and start its log."""
    operations = []
    seq = 0
    for group in plan.groups:
        for move in group.moves:
            operations.append(
                Operation(
                    id=0,
                    batch_id=0,
                    seq=seq,
                    state=OpState.PLANNED,
                    source=move.source,
                    root=move.root,
                    stat=move.stat,
                    group_id=move.group_id,
                    why=move.why,
                    target=move.target,
                    content_hash=move.content_hash,
                    copy_of=move.copy_of,
                    sidecar_of=move.sidecar_of,
                    keep=group.keep,
                )  # fmt: skip
            )
            seq += 1
    fsops.make_folders(log_folder)
    batch = catalog.create_batch(plan.mode, plan.destination, operations)
    return _with_log(catalog, batch, log_folder, header)


def _with_log(catalog: Catalog, batch: Batch, folder: str, header: dict) -> Batch:
    path = jsonlog.new_log(folder, batch.id, {"mode": batch.mode.value, **header})
    catalog.set_batch(batch.id, log_path=path)
    return replace(batch, log_path=path)


class Runner:
    """Runs (or resumes) one batch."""

    def __init__(self, catalog: Catalog, batch: Batch, reporter: Reporter) -> None:
        self.catalog = catalog
        self.batch = batch
        self.reporter = reporter
        self.done: list[str] = []
        self.problems: list[tuple[str, str]] = []

    def run(self) -> Outcome:
        if self.batch.log_path is None and self.batch.destination:  # killed before it had one
            header = {"destination": self.batch.destination, "resumed": True}
            self.batch = _with_log(self.catalog, self.batch, self.batch.destination, header)
        ops = self.catalog.operations(self.batch.id)
        pending = [op for op in ops if op.state in PENDING_STATES]
        self.reporter.phase(Phase.APPLYING, len(pending))
        if self.batch.mode is Mode.TRASH:
            trash.check(op.source for op in pending if op.state is OpState.PLANNED)
        interrupted = False
        states = {op.source: op.state for op in ops}
        handled = 0
        try:
            for _, members in groupby(ops, key=lambda op: (op.group_id, op.keep)):
                group = list(members)
                if any(op.state in PENDING_STATES for op in group):
                    handled = self._group(group, states, handled)
        except Cancelled:
            interrupted = True
        finally:
            self._forget_moved()
        left = [op for op in self.catalog.operations(self.batch.id) if op.state in PENDING_STATES]
        if not left:
            self.catalog.set_batch(self.batch.id, state=BatchState.DONE)
        batch = self.catalog.batch(self.batch.id)
        return Outcome(batch, tuple(self.done), tuple(self.problems), interrupted)

    def settle(self) -> None:
        """Bring every unfinished operation of an interrupted batch to rest without moving
        anything further (before it is undone): done where the file had left its source,
        else not moved, with whatever it had written removed."""
        for op in self.catalog.operations(self.batch.id):
            if op.state not in PENDING_STATES:
                continue
            if op.state is OpState.PLANNED:
                self._end(op, OpState.SKIPPED, "not moved: the batch was undone first")
            elif self._left_source(op):
                self._finish(op)
            else:
                self._clean_partial(op)
                if (
                    op.state is OpState.MOVING
                    and op.target
                    and _same_inode(op.target, op.stat.inode)
                ):
                    os.unlink(op.target)  # a link-then-unlink rename stopped half-way
                self._end(op, OpState.SKIPPED, "not moved: the batch was undone first")
        self._forget_moved()

    def _left_source(self, op: Operation) -> bool:
        if self.batch.mode is Mode.HARDLINK:
            with contextlib.suppress(OSError):
                return _same_inode(op.source, os.lstat(op.copy_of or "").st_ino)
            return False
        return not os.path.lexists(op.source)

    # -- one group ---------------------------------------------------------------------------

    def _group(self, ops: Sequence[Operation], states: dict[str, OpState], handled: int) -> int:
        """Carry out one group's operations; returns how many of the batch's are handled."""
        pending = [op for op in ops if op.state in PENDING_STATES]
        if all(op.state is OpState.PLANNED for op in pending):
            # once some of the group went, its kept file may have a new ctime (a hard link
            # to it was made): then only its size, mtime and inode must still match
            started = len(pending) < len(ops)
            reason = _keep_missing(ops[0], ctime=not started)
            if reason:
                for op in pending:
                    states[op.source] = self._end(op, OpState.SKIPPED, reason)
                return handled + len(pending)
        for op in pending:
            if op.state is OpState.PLANNED:
                self.reporter.step(handled, current=op.source)  # stops between files only
            handled += 1
            orphan = op.sidecar_of and states.get(op.sidecar_of) is not OpState.DONE
            if orphan and op.state is OpState.PLANNED:
                states[op.source] = self._end(op, OpState.SKIPPED, "its photo was not moved")
                continue
            states[op.source] = self._operate(op)
        return handled

    # -- one file ----------------------------------------------------------------------------

    def _operate(self, op: Operation) -> OpState:
        try:
            if op.state is OpState.PLANNED:
                return self._begin(op)
            return self._recover(op)
        except OSError as exc:
            current = self._current(op)
            self._clean_partial(current)
            return self._end(current, OpState.FAILED, f"{fsops.describe(exc)}; left in place")

    def _clean_partial(self, op: Operation) -> None:
        """After a failed step: remove what the operation wrote, so the file is at its
        source only (never at neither)."""
        if op.state in (OpState.COPYING, OpState.COPIED, OpState.MOVING) and op.temp:
            with contextlib.suppress(OSError):
                fsops.discard(op.temp)
        intact = os.path.lexists(op.source) and not fsops.changed(op.source, op.stat)
        copied = op.state is OpState.COPIED and op.target
        if copied and intact and _holds(op.target or "", op.content_hash):
            with contextlib.suppress(OSError):
                fsops.discard(op.target)

    def _begin(self, op: Operation) -> OpState:
        reason = fsops.changed(op.source, op.stat)
        if reason:
            return self._end(op, OpState.SKIPPED, reason)
        digest = fsops.hash_file(op.source)
        if op.copy_of:
            if op.content_hash and digest != op.content_hash:
                return self._end(op, OpState.SKIPPED, "its content changed since the scan")
            if fsops.hash_file(op.copy_of) != digest:
                return self._end(
                    op, OpState.SKIPPED,
                    f"no longer a byte-identical copy of {printable(op.copy_of)}",
                )  # fmt: skip
        info = os.lstat(op.source)
        op = replace(op, content_hash=digest, atime_ns=info.st_atime_ns, mode=info.st_mode)
        mode = self.batch.mode
        if mode is Mode.BACKUP:
            return self._to_backup(op)
        if mode is Mode.TRASH:
            self._mark(op, OpState.MOVING)
            return self._finish(replace(op, target=trash.send(op.source)))
        if mode is Mode.DELETE:
            self._mark(op, OpState.MOVING)
            os.unlink(op.source)
            fsops.fsync_dir(os.path.dirname(op.source))
            return self._finish(op)
        return self._hardlink(op)

    def _to_backup(self, op: Operation) -> OpState:
        assert op.target is not None
        target = fsops.free_name(op.target)
        folder = os.path.dirname(target)
        fsops.make_folders(folder)
        op = replace(op, target=target)
        if fsops.same_device(op.source, folder):
            try:
                op = self._rename(op.source, self._mark(op, OpState.MOVING))
                fsops.fsync_dir(os.path.dirname(op.source))
                return self._finish(op)
            except OSError as exc:  # one file system seen through two mounts: copy instead
                if exc.errno != errno.EXDEV:
                    raise
        temp = fsops.temp_name(target, f"{self.batch.id}-{op.seq}")
        op = self._mark(replace(op, temp=temp), OpState.COPYING)
        fsops.copy_to(op.source, temp, expected_hash=op.content_hash)
        fsops.set_times_and_mode(temp, op.atime_ns, op.stat.mtime_ns, op.mode)
        op = self._mark(op, OpState.COPIED)
        return self._complete_copy(op)

    def _rename(self, source: str, op: Operation) -> Operation:
        """Rename ``source`` to the operation's target; a target taken meanwhile gets a new
        free name, journaled first."""
        while True:
            try:
                fsops.rename_noreplace(source, op.target or "")
                fsops.fsync_dir(os.path.dirname(op.target or ""))
                return op
            except FileExistsError:
                op = self._mark(replace(op, target=fsops.free_name(op.target or "")), op.state)

    def _complete_copy(self, op: Operation) -> OpState:
        """From a verified temporary copy (or one already renamed into place) to done."""
        assert op.target is not None
        if op.temp and os.path.lexists(op.temp):
            if fsops.hash_file(op.temp) != op.content_hash:
                fsops.discard(op.temp)
                return self._end(op, OpState.FAILED, "the copy did not verify; left in place")
            op = self._rename(op.temp, op)
        elif not _holds(op.target or "", op.content_hash):
            return self._end(op, OpState.FAILED, "its copy was lost; the source is intact")
        if os.path.lexists(op.source):
            reason = fsops.changed(op.source, op.stat)
            if reason:  # modified while it was copied: keep the new version where it is
                fsops.discard(op.target)
                return self._end(op, OpState.SKIPPED, f"{reason} (while it was copied)")
            os.unlink(op.source)
            fsops.fsync_dir(os.path.dirname(op.source))
        return self._finish(op)

    def _hardlink(self, op: Operation) -> OpState:
        assert op.copy_of is not None
        copy_of = op.copy_of
        temp = fsops.temp_name(op.source, f"{self.batch.id}-{op.seq}")
        op = self._mark(replace(op, temp=temp), OpState.MOVING)
        os.link(copy_of, temp, follow_symlinks=False)
        os.replace(temp, op.source)
        fsops.fsync_dir(os.path.dirname(op.source))
        return self._finish(op)

    def _recover(self, op: Operation) -> OpState:
        """Finish an operation a crash interrupted, from what is on disk."""
        mode = self.batch.mode
        if op.state is OpState.COPYING:  # the copy may be partial: start it again
            fsops.discard(op.temp)
            return self._begin(replace(op, state=OpState.PLANNED, temp=None))
        if op.state is OpState.COPIED:
            return self._complete_copy(op)
        # MOVING
        if mode is Mode.BACKUP:
            if op.target and _same_inode(op.target, op.stat.inode):
                if os.path.lexists(op.source) and _same_inode(op.source, op.stat.inode):
                    os.unlink(op.source)  # a link-then-unlink rename stopped half-way
                fsops.fsync_dir(os.path.dirname(op.source))
                return self._finish(op)
            return self._begin(replace(op, state=OpState.PLANNED))
        if mode is Mode.HARDLINK:
            fsops.discard(op.temp)
            if op.copy_of and _same_inode(op.source, os.lstat(op.copy_of).st_ino):
                return self._finish(op)
            return self._begin(replace(op, state=OpState.PLANNED))
        if os.path.lexists(op.source):
            return self._begin(replace(op, state=OpState.PLANNED))
        return self._finish(op)  # trashed or deleted just before the crash

    # -- the journal -------------------------------------------------------------------------

    def _mark(self, op: Operation, state: OpState) -> Operation:
        self.catalog.update_operation(
            op.id, state=state, target=op.target, temp=op.temp, content_hash=op.content_hash,
            atime_ns=op.atime_ns, mode=op.mode,
        )  # fmt: skip
        return replace(op, state=state)

    def _finish(self, op: Operation) -> OpState:
        if self.batch.mode is Mode.BACKUP and op.target:
            fsops.keep_times_and_mode(op.target, op.atime_ns, op.stat.mtime_ns, op.mode)
        record = {
            "event": _EVENT[self.batch.mode], "batch": self.batch.id, "seq": op.seq,
            "from": op.source, "to": op.target, "size": op.stat.size,
            "blake2b": op.content_hash, "mtime_ns": op.stat.mtime_ns, "atime_ns": op.atime_ns,
            "mode": op.mode, "why": op.why, "group": op.group_id,
            "kept_file": op.keep[0][0] if op.keep else None, "sidecar_of": op.sidecar_of,
        }  # fmt: skip
        if self.batch.log_path:
            try:
                jsonlog.append(self.batch.log_path, record)
            except OSError as exc:
                log.warning("could not write the log %s: %s", self.batch.log_path, exc)
        self.catalog.update_operation(
            op.id, state=OpState.DONE, target=op.target, temp=None, content_hash=op.content_hash
        )
        self.done.append(op.source)
        return OpState.DONE

    def _end(self, op: Operation, state: OpState, reason: str) -> OpState:
        self.catalog.update_operation(op.id, state=state, error=reason, temp=None)
        self.problems.append((op.source, reason))
        return state

    def _current(self, op: Operation) -> Operation:
        for current in self.catalog.operations(op.batch_id):
            if current.id == op.id:
                return current
        return op

    def _forget_moved(self) -> None:
        """Files that left their place leave the catalog (a scan would find them gone)."""
        ops = self.catalog.operations(self.batch.id)
        gone = [op.source for op in ops if op.state is OpState.DONE and op.sidecar_of is None]
        if self.batch.mode is Mode.HARDLINK:
            return  # every path is still there
        present = self.catalog.file_ids(gone)
        if present:
            self.catalog.forget(list(present))


def _keep_missing(op: Operation, *, ctime: bool = True) -> str | None:
    """Why the group of ``op`` must be left alone (a file it keeps is gone or changed)."""
    for path, stat in op.keep:
        reason = fsops.changed(path, stat if ctime else replace(stat, ctime_ns=0))
        if reason:
            return f"the kept file {printable(path)}: {reason}; its group was left alone"
    return None


def _same_inode(path: str, inode: int) -> bool:
    try:
        return os.lstat(path).st_ino == inode
    except OSError:
        return False


def _holds(path: str, digest: str | None) -> bool:
    try:
        return os.path.isfile(path) and fsops.hash_file(path) == digest
    except OSError:
        return False
