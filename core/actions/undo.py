"""Bringing files back: each one moved back from the backup folder (or the trash) to where it
was, its content verified against the hash taken before it left, its times and permissions
restored. A file that has appeared at the original path since is never replaced: the one in
the backup stays there, reported. Journaled like apply (``restoring -> undone``), so an undo
that was interrupted is finished by running it again; it also works from the backup
folder's JSON-lines log alone (``undo_from_log``), without the catalog.

Must not import any UI.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from core.actions import fsops, trash
from core.actions import log as jsonlog
from core.errors import Cancelled, PhotosiftError
from core.models import Phase
from core.models.actions import BatchState, FileStat, Mode, Operation, OpState, Outcome
from core.paths import printable
from core.progress import Reporter
from core.store import Catalog

Mark = Callable[[Operation, OpState], Operation]
_TO_RESTORE = (OpState.DONE, OpState.RESTORING)


@dataclass(frozen=True, slots=True)
class Restored:
    restored: tuple[str, ...]
    left: tuple[tuple[str, str], ...]  # (path, why it is still in the backup)
    interrupted: bool = False


def undo_batch(catalog: Catalog, batch_id: int, reporter: Reporter) -> Outcome:
    """Undo batch ``batch_id``; files that cannot come back stay where they are, reported."""
    batch = catalog.batch(batch_id)
    if batch.state is BatchState.UNDONE:
        raise PhotosiftError(f"batch {batch_id} was already undone")
    if batch.state is BatchState.RUNNING:
        # first finish what a crash left half-way, so that every file is in one known place
        from core.actions.apply import Runner

        Runner(catalog, batch, Reporter()).settle()
    catalog.set_batch(batch_id, state=BatchState.UNDOING)
    ops = [op for op in catalog.operations(batch_id) if op.state in _TO_RESTORE]

    def mark(op: Operation, state: OpState) -> Operation:
        catalog.update_operation(op.id, state=state, temp=op.temp, error=op.error)
        return replace(op, state=state)

    result = restore(list(reversed(ops)), batch.mode, mark, reporter)
    if batch.destination:
        back = set(result.restored)
        targets = [os.path.dirname(op.target) for op in ops if op.source in back and op.target]
        fsops.prune_empty(targets, batch.destination)
    if batch.log_path:
        _log_restored(batch.log_path, batch_id, result, {op.source: op.target for op in ops})
    left = [op for op in catalog.operations(batch_id) if op.state is OpState.DONE]
    if not result.interrupted:
        catalog.set_batch(batch_id, state=BatchState.PARTLY_UNDONE if left else BatchState.UNDONE)
    return Outcome(catalog.batch(batch_id), result.restored, result.left, result.interrupted)


def restore(ops: Sequence[Operation], mode: Mode, mark: Mark, reporter: Reporter) -> Restored:
    reporter.phase(Phase.RESTORING, len(ops))
    restored: list[str] = []
    left: list[tuple[str, str]] = []
    try:
        for n, op in enumerate(ops):
            reporter.step(n, current=op.source)
            try:
                why = _restore_one(op, mode, mark)
            except OSError as exc:
                why = f"{fsops.describe(exc)}; still at {printable(op.target or '?')}"
                with contextlib.suppress(OSError):  # what the copy back may have written
                    fsops.discard(op.temp)
                    fsops.discard(_undo_temp(op))
            if why is None:
                restored.append(op.source)
            else:
                left.append((op.source, why))
                mark(replace(op, error=why, temp=None), OpState.DONE)
    except Cancelled:
        return Restored(tuple(restored), tuple(left), True)
    return Restored(tuple(restored), tuple(left))


def _restore_one(op: Operation, mode: Mode, mark: Mark) -> str | None:
    """Bring one file back; None when it is back, else why it stays where it is."""
    if mode is Mode.DELETE:
        return "deleted for good at your request; it cannot come back"
    if mode is Mode.HARDLINK:
        return _unlink_copy(op, mark)
    if mode is Mode.TRASH and not op.target:
        return "in the trash, where photosift could not find it; restore it from there"
    target = op.target or ""
    if op.state is OpState.RESTORING and _back(op):
        fsops.discard(op.temp)
        with contextlib.suppress(FileNotFoundError):
            if os.path.lexists(target) and fsops.hash_file(target) == op.content_hash:
                os.unlink(target)  # the copy was back in place; the backup was still there
        return _done(op, mode, mark)
    if os.path.lexists(op.source):
        return (
            f"a file has appeared at its place since; it stays in the backup: {printable(target)}"
        )
    if not os.path.lexists(target):
        return "no longer where it was moved to"
    if fsops.hash_file(target) != op.content_hash:
        return f"its copy changed since it was moved; it stays at {printable(target)}"
    folder = os.path.dirname(op.source)
    fsops.make_folders(folder)
    if not (fsops.same_device(target, folder) and _renamed(target, op, mark)):
        temp = _undo_temp(op)
        fsops.discard(temp)
        op = mark(replace(op, temp=temp), OpState.RESTORING)
        fsops.copy_to(target, temp, expected_hash=op.content_hash)
        fsops.set_times_and_mode(temp, op.atime_ns, op.stat.mtime_ns, op.mode)
        fsops.rename_noreplace(temp, op.source)
        fsops.fsync_dir(folder)
        os.unlink(target)
    fsops.fsync_dir(folder)
    fsops.fsync_dir(os.path.dirname(target))
    return _done(op, mode, mark)


def _renamed(target: str, op: Operation, mark: Mark) -> bool:
    """Rename the file back; False if the two places are on different mounts (EXDEV)."""
    mark(replace(op, temp=None), OpState.RESTORING)
    try:
        fsops.rename_noreplace(target, op.source)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        return False
    return True


def _undo_temp(op: Operation) -> str:
    """The temporary file a copy back of ``op`` writes (next to its original place)."""
    return fsops.temp_name(op.source, f"undo-{op.batch_id}-{op.seq}")


def _back(op: Operation) -> bool:
    try:
        return os.path.isfile(op.source) and fsops.hash_file(op.source) == op.content_hash
    except OSError:
        return False


def _done(op: Operation, mode: Mode, mark: Mark) -> str | None:
    fsops.keep_times_and_mode(op.source, op.atime_ns, op.stat.mtime_ns, op.mode)
    if mode is Mode.TRASH and op.target:
        trash.forget_entry(op.target)
    mark(replace(op, temp=None), OpState.UNDONE)
    return None


def _unlink_copy(op: Operation, mark: Mark) -> str | None:
    """Give a path that was made a hard link its own copy of the bytes again."""
    interrupted = op.state is OpState.RESTORING and op.temp and not os.path.lexists(op.temp)
    if interrupted and _back(op) and os.lstat(op.source).st_nlink == 1:
        return _done(op, Mode.HARDLINK, mark)  # it had its own copy already
    if not _back(op):
        return "changed since it was linked; left as it is"
    temp = _undo_temp(op)
    fsops.discard(temp)
    op = mark(replace(op, temp=temp), OpState.RESTORING)
    fsops.copy_to(op.source, temp, expected_hash=op.content_hash)
    fsops.set_times_and_mode(temp, op.atime_ns, op.stat.mtime_ns, op.mode)
    os.replace(temp, op.source)
    fsops.fsync_dir(os.path.dirname(op.source))
    return _done(op, Mode.HARDLINK, mark)


# -- from the log alone ------------------------------------------------------------------------

_MODES = {"moved": Mode.BACKUP, "trashed": Mode.TRASH, "deleted": Mode.DELETE,
          "linked": Mode.HARDLINK}  # fmt: skip


def undo_from_log(path: str, reporter: Reporter) -> Restored:
    """Bring back every file the log at ``path`` says was moved and not yet restored."""
    try:
        records = list(jsonlog.read(path))
    except OSError as exc:
        raise PhotosiftError(f"cannot read the log {printable(path)}: {exc.strerror}") from exc
    if not records or records[0].get("event") != "batch":
        raise PhotosiftError(f"{printable(path)} is not a photosift log")
    moved: dict[tuple[str, str | None], dict] = {}
    for record in records:
        key = (record.get("from"), record.get("to"))
        if record.get("event") in _MODES and key[0]:
            moved[key] = record  # type: ignore[index]
        elif record.get("event") == "restored":
            moved.pop(key, None)  # type: ignore[arg-type]
    batch_id = int(records[0].get("batch") or 0)
    by_mode: dict[Mode, list[Operation]] = {}
    for n, record in enumerate(reversed(list(moved.values()))):
        by_mode.setdefault(_MODES[record["event"]], []).append(_operation(record, batch_id, n))
    restored: list[str] = []
    left: list[tuple[str, str]] = []
    interrupted = False
    for mode, ops in by_mode.items():
        result = restore(ops, mode, lambda op, state: replace(op, state=state), reporter)
        restored += result.restored
        left += result.left
        interrupted = interrupted or result.interrupted
        if interrupted:
            break
    outcome = Restored(tuple(restored), tuple(left), interrupted)
    back = set(restored)
    targets = [
        os.path.dirname(r["to"]) for r in moved.values() if r["from"] in back and r.get("to")
    ]
    fsops.prune_empty(targets, os.path.dirname(os.path.abspath(path)))
    _log_restored(path, batch_id, outcome, {r["from"]: r.get("to") for r in moved.values()})
    return outcome


def _operation(record: dict, batch_id: int, n: int) -> Operation:
    return Operation(
        id=0,
        batch_id=batch_id,
        seq=int(record.get("seq", n)),
        state=OpState.DONE,
        source=record["from"],
        root="",
        stat=FileStat(int(record.get("size") or 0), int(record.get("mtime_ns") or 0)),
        group_id=record.get("group"),
        why=str(record.get("why") or ""),
        target=record.get("to"),
        content_hash=record.get("blake2b"),
        atime_ns=int(record.get("atime_ns") or 0),
        mode=int(record.get("mode") or 0),
    )


def _log_restored(
    path: str, batch_id: int, result: Restored, targets: dict[str, str | None] | None = None
) -> None:
    """Note in the log what came back, so the log keeps telling the truth."""
    try:
        for source in result.restored:
            to = targets.get(source) if targets else None
            jsonlog.append(path, {"event": "restored", "batch": batch_id, "from": source, "to": to})
    except OSError:
        pass  # the backup folder is gone or read-only; the catalog still knows
