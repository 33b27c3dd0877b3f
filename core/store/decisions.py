"""Decisions (keep / backup) and the journal of apply in the catalog (mixed into ``Catalog``).

Decisions are one row per path with the file's stat and, where known, its content hash, so
that ``core.actions.decisions`` can find them again after rescans and renames. An undecided
file has no row.

The journal is written before and after every step on disk, each write its own IMMEDIATE
transaction with ``synchronous=FULL``: a write that returned is on disk, even if the power
goes the next instant.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import peewee as pw

from core.models.actions import (
    Batch,
    BatchState,
    Decision,
    DecisionRecord,
    FileStat,
    Mode,
    Operation,
    OpState,
)
from core.store.rows import chunks, tuples

if TYPE_CHECKING:
    from core.store.schema import Tables

_STAT_FIELDS = ("size", "mtime_ns", "ctime_ns", "inode", "device")
_OP_FIELDS = {"state", "target", "temp", "content_hash", "atime_ns", "mode", "error"}


class DecisionsMixin:
    # the Catalog provides these
    t: Tables
    db: Any
    writing: Callable[..., Any]
    snapshot: Callable[[], Any]

    # -- decisions ---------------------------------------------------------------------------

    def set_decisions(self, records: Sequence[DecisionRecord]) -> None:
        """Record decisions (one per path, replacing what was there); an undecided record
        removes the path's row."""
        FileDecision = self.t.FileDecision
        now = datetime.now()
        with self.writing(inputs=False):
            gone = [r.path for r in records if r.decision is Decision.UNDECIDED]
            for chunk in chunks(gone):
                FileDecision.delete().where(FileDecision.path.in_(chunk)).execute()
            rows = [_decision_row(r, now) for r in records if r.decision is not Decision.UNDECIDED]
            for chunk in chunks(rows):
                FileDecision.insert_many(chunk).on_conflict_replace().execute()

    def decision_records(self) -> list[DecisionRecord]:
        FileDecision = self.t.FileDecision
        return [
            DecisionRecord(
                path=row.path,
                decision=Decision(row.decision),
                size=row.size,
                mtime_ns=row.mtime_ns,
                inode=row.inode,
                device=row.device,
                content_hash=row.content_hash,
                source=row.source,
                group_id=row.group_id,
                allow_empty=bool(row.allow_empty),
                decided_at=row.decided_at,
            )
            for row in FileDecision.select().order_by(FileDecision.path)
        ]

    def forget_decisions(self, paths: Sequence[str]) -> int:
        FileDecision = self.t.FileDecision
        removed = 0
        with self.writing(inputs=False):
            for chunk in chunks(paths):
                removed += FileDecision.delete().where(FileDecision.path.in_(chunk)).execute()
        return removed

    # -- the journal -------------------------------------------------------------------------

    @contextlib.contextmanager
    def journaling(self) -> Iterator[None]:
        """A journal write: durable when it returns."""
        self.db.execute_sql("PRAGMA synchronous = FULL")
        with self.writing(inputs=False):
            yield

    def create_batch(
        self, mode: Mode, destination: str | None, operations: Sequence[Operation]
    ) -> Batch:
        """A new batch with its operations, all planned (ids and batch ids are assigned)."""
        BatchRow, OperationRow = self.t.Batch, self.t.Operation
        with self.journaling():
            batch = BatchRow.create(
                mode=mode.value, destination=destination, state=BatchState.RUNNING.value
            )
            rows = [_operation_row(op, batch.id) for op in operations]
            for chunk in chunks(rows, 200):
                OperationRow.insert_many(chunk).execute()
        return self.batch(batch.id)

    def set_batch(self, batch_id: int, *, state: BatchState | None = None, **values: Any) -> None:
        BatchRow = self.t.Batch
        if state is not None:
            values["state"] = state.value
            if state in (BatchState.DONE, BatchState.UNDONE, BatchState.PARTLY_UNDONE):
                values["finished_at"] = datetime.now()
        with self.journaling():
            BatchRow.update(**values).where(BatchRow.id == batch_id).execute()

    def update_operation(self, op_id: int, **values: Any) -> None:
        """Record a step of one operation (its state, temporary file, hash, error, ...)."""
        unknown = set(values) - _OP_FIELDS
        if unknown:
            raise ValueError(f"not an operation field: {', '.join(sorted(unknown))}")
        if isinstance(values.get("state"), OpState):
            values["state"] = values["state"].value
        OperationRow = self.t.Operation
        with self.journaling():
            OperationRow.update(updated_at=datetime.now(), **values).where(
                OperationRow.id == op_id
            ).execute()

    def batch(self, batch_id: int) -> Batch:
        found = self.batches(ids=[batch_id])
        if not found:
            raise KeyError(batch_id)
        return found[0]

    def batches(self, *, ids: Sequence[int] | None = None) -> list[Batch]:
        """Batches, newest first, with how many of their operations are in each state."""
        BatchRow, OperationRow = self.t.Batch, self.t.Operation
        query = BatchRow.select().order_by(BatchRow.id.desc())
        if ids is not None:
            query = query.where(BatchRow.id.in_(list(ids)))
        out = []
        with self.snapshot():
            for row in query:
                counts: dict[str, int] = dict(
                    tuples(
                        OperationRow.select(OperationRow.state, pw.fn.COUNT(OperationRow.id))
                        .where(OperationRow.batch == row.id)
                        .group_by(OperationRow.state)
                    )
                )
                size = (
                    OperationRow.select(pw.fn.SUM(OperationRow.size))
                    .where(OperationRow.batch == row.id)
                    .scalar()
                )
                out.append(
                    Batch(
                        id=row.id,
                        mode=Mode(row.mode),
                        destination=row.destination,
                        state=BatchState(row.state),
                        created_at=row.created_at,
                        finished_at=row.finished_at,
                        files=sum(counts.values()),
                        bytes=int(size or 0),
                        done=counts.get(OpState.DONE.value, 0),
                        skipped=counts.get(OpState.SKIPPED.value, 0),
                        failed=counts.get(OpState.FAILED.value, 0),
                        undone=counts.get(OpState.UNDONE.value, 0),
                        log_path=row.log_path,
                    )
                )
        return out

    def operations(self, batch_id: int) -> list[Operation]:
        OperationRow = self.t.Operation
        query = OperationRow.select().where(OperationRow.batch == batch_id)
        return [_operation(row) for row in query.order_by(OperationRow.seq)]


def _decision_row(record: DecisionRecord, now: datetime) -> dict[str, Any]:
    return {
        "path": record.path,
        "decision": record.decision.value,
        "size": record.size,
        "mtime_ns": record.mtime_ns,
        "inode": record.inode,
        "device": record.device,
        "content_hash": record.content_hash,
        "source": record.source,
        "group_id": record.group_id,
        "allow_empty": record.allow_empty,
        "decided_at": record.decided_at or now,
    }


def _operation_row(op: Operation, batch_id: int) -> dict[str, Any]:
    return {
        "batch": batch_id,
        "seq": op.seq,
        "state": op.state.value,
        "source": op.source,
        "root": op.root,
        "target": op.target,
        "temp": op.temp,
        **{name: getattr(op.stat, name) for name in _STAT_FIELDS},
        "atime_ns": op.atime_ns,
        "mode": op.mode,
        "content_hash": op.content_hash,
        "copy_of": op.copy_of,
        "sidecar_of": op.sidecar_of,
        "group_id": op.group_id,
        "keep": _keep_json(op.keep),
        "why": op.why,
        "error": op.error,
    }


def _keep_json(keep: Sequence[tuple[str, FileStat]]) -> str:
    # paths as their bytes (latin-1 maps each byte to one character): names need not be UTF-8
    return json.dumps(
        [
            [path.encode("utf-8", "surrogateescape").decode("latin-1")]
            + [getattr(stat, n) for n in _STAT_FIELDS]
            for path, stat in keep
        ]
    )


def _keep_from_json(text: str) -> tuple[tuple[str, FileStat], ...]:
    return tuple(
        (raw.encode("latin-1").decode("utf-8", "surrogateescape"), FileStat(*values))
        for raw, *values in json.loads(text)
    )


def _operation(row: Any) -> Operation:
    op = Operation(
        id=row.id,
        batch_id=row.batch_id,
        seq=row.seq,
        state=OpState(row.state),
        source=row.source,
        root=row.root,
        stat=FileStat(*(getattr(row, n) for n in _STAT_FIELDS)),
        group_id=row.group_id,
        why=row.why,
    )
    return replace(
        op,
        target=row.target,
        temp=row.temp,
        content_hash=row.content_hash,
        copy_of=row.copy_of,
        sidecar_of=row.sidecar_of,
        keep=_keep_from_json(row.keep),
        atime_ns=row.atime_ns,
        mode=row.mode,
        error=row.error,
    )
