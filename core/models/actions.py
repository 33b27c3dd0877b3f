"""What the person decided about files, and what photosift does about it: a plan of moves, the
batches and operations of the journal, and what applying or undoing them achieved. Frozen
dataclasses and enums; imports nothing from photosift.

An operation goes ``planned -> copying -> copied -> done`` across file systems (a copy in a
temporary file, verified, renamed into place, then the source removed), ``planned -> moving
-> done`` on one file system (one atomic rename), or ends ``skipped`` / ``failed`` with a
reason. Undo takes a done operation ``-> restoring -> undone``, or leaves it ``done`` with the
reason it could not come back (``left``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Decision(StrEnum):
    KEEP = "keep"
    BACKUP = "backup"  # moved away (to the backup folder, the trash, ...) by apply
    UNDECIDED = "undecided"


class Mode(StrEnum):
    """Where apply sends the files marked backup."""

    BACKUP = "backup"  # moved to a backup folder that mirrors their original paths
    TRASH = "trash"  # sent to the platform's trash
    HARDLINK = "hardlink"  # exact copies replaced by hard links to the kept file
    DELETE = "delete"  # removed for good (only when asked, twice)


class OpState(StrEnum):
    PLANNED = "planned"
    MOVING = "moving"  # one rename on one file system, or a hand-over to the trash
    COPYING = "copying"  # a copy into a temporary file is being written
    COPIED = "copied"  # the temporary copy is complete and verified
    DONE = "done"
    SKIPPED = "skipped"  # not touched: it changed, vanished, its group's keep is gone, ...
    FAILED = "failed"  # tried and not done (permission, disk full); the source is intact
    RESTORING = "restoring"  # undo is bringing it back
    UNDONE = "undone"


PENDING_STATES = frozenset({OpState.PLANNED, OpState.MOVING, OpState.COPYING, OpState.COPIED})
FINAL_STATES = frozenset({OpState.DONE, OpState.SKIPPED, OpState.FAILED, OpState.UNDONE})


class BatchState(StrEnum):
    RUNNING = "running"  # being applied, or interrupted: ``apply --resume`` finishes it
    DONE = "done"
    UNDOING = "undoing"  # being undone, or interrupted while undone: run undo again
    UNDONE = "undone"
    PARTLY_UNDONE = "partly undone"  # some files could not come back (see the operations)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision as the catalog keeps it: about the file at ``path`` with this stat, or
    about its content (``content_hash``) wherever it has gone since."""

    path: str
    decision: Decision
    size: int
    mtime_ns: int
    inode: int = 0
    device: int = 0
    content_hash: str | None = None
    source: str = "decide"  # decide: said by the person; accept: a recommendation accepted
    group_id: int | None = None
    allow_empty: bool = False  # the person forced a group with no kept file
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FileStat:
    """What a file was when it was scanned or planned; an action goes ahead only if it still
    is. ``ctime_ns`` and ``inode`` of 0 are not known (not compared)."""

    size: int
    mtime_ns: int
    ctime_ns: int = 0
    inode: int = 0
    device: int = 0


@dataclass(frozen=True, slots=True)
class Move:
    """One file the plan sends away. ``target``: where it goes (None for trash and delete);
    ``copy_of``: the kept file it is a byte-identical copy of, if it is one (both are hashed
    again right before it moves); ``sidecar_of``: the photo this sidecar (.xmp, .aae, .json)
    belongs to: it goes only if that photo went."""

    source: str
    root: str
    stat: FileStat
    group_id: int | None
    why: str
    target: str | None = None
    content_hash: str | None = None  # as catalogued, if known
    copy_of: str | None = None
    sidecar_of: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    path: str
    group_id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class PlanGroup:
    """A group's share of the plan: the files that stay (each must still be as scanned right
    before the group's files move) and the moves."""

    group_id: int | None
    keep: tuple[tuple[str, FileStat], ...]
    moves: tuple[Move, ...]
    allow_empty: bool = False


@dataclass(frozen=True, slots=True)
class Plan:
    mode: Mode
    destination: str | None  # the backup folder (for Mode.BACKUP)
    groups: tuple[PlanGroup, ...]
    skipped: tuple[Skip, ...] = ()
    notes: tuple[str, ...] = ()  # what the person should hear (a folder excluded from scans)

    @property
    def moves(self) -> tuple[Move, ...]:
        return tuple(m for g in self.groups for m in g.moves)

    @property
    def files(self) -> int:
        return len(self.moves)

    @property
    def bytes(self) -> int:
        return sum(m.stat.size for m in self.moves)


@dataclass(frozen=True, slots=True)
class Operation:
    """One move as the journal keeps it."""

    id: int
    batch_id: int
    seq: int
    state: OpState
    source: str
    root: str
    stat: FileStat
    group_id: int | None
    why: str
    target: str | None = None
    temp: str | None = None  # a temporary file this operation may have left
    content_hash: str | None = None  # of the file moved, hashed before it moved
    copy_of: str | None = None
    sidecar_of: str | None = None
    keep: tuple[tuple[str, FileStat], ...] = ()  # its group's files that stay
    atime_ns: int = 0
    mode: int = 0  # permission bits
    error: str | None = None  # why it was skipped or failed, or why undo left it


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    mode: Mode
    destination: str | None
    state: BatchState
    created_at: datetime
    finished_at: datetime | None = None
    files: int = 0  # operations planned
    bytes: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    undone: int = 0
    log_path: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one apply, resume or undo run did."""

    batch: Batch
    done: tuple[str, ...] = ()  # paths moved (apply) or restored (undo)
    problems: tuple[tuple[str, str], ...] = ()  # (path, why) skipped, failed or left
    interrupted: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
