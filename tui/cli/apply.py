"""`photosift apply`: carry out the decisions. Files marked backup move to a backup folder that
mirrors their original paths (or go to the trash, become hard links, or are deleted when that
is asked for), journaled so that a crash can be resumed or undone."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from core.models.actions import Mode
from tui.cli.format import HelpFormatter, middle, path_entry, shown, size, width
from tui.cli.signals import Stopper

if TYPE_CHECKING:
    from core.library import Library
    from core.models.actions import Outcome, Plan
    from tui.cli.progress import ProgressView

T = TypeVar("T")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTLY = 0, 1, 2, 3
LISTED = 15  # files listed before a plan is asked to be confirmed

HELP = """\
Move the files marked backup (by `photosift accept` or `photosift decide`) out of the way:

  --backup DIR   to DIR/<scanned folder's name>/<path below it>: the original tree mirrored,
                 so files of the same name from different folders never meet; a name that is
                 taken gets a free one ("name (2).jpg"), recorded. Same file system: one
                 atomic rename. Another one: a copy into a temporary file, synced, verified
                 against the content hash, renamed into place, and only then the original is
                 removed. Times and permissions are kept. Sidecars (.xmp, .aae, Takeout
                 .json) go with their photo. A log of every move (JSON lines) is written in
                 DIR, so the backup explains itself; `photosift undo --from-log` reads it.
  --trash        to the platform's trash; refused as a whole if some file has none (a
                 network share, a disk without a trash folder)
  --hardlink     byte-identical copies become hard links to the kept file (every path keeps
                 working); never done to look-alikes
  --delete       removed for good; needs --yes, and cannot be undone

Right before anything moves, every file is checked again: a file modified, replaced or
deleted since the scan is skipped with the reason, and a byte-identical copy is hashed again
on both sides. If a group's kept file is gone or changed, none of that group's files move.
A backup folder inside a scanned folder is excluded from scans from then on.

Every step is journaled in the catalog before and after it happens: after a crash, a power
cut or Ctrl-C, `photosift apply --resume` finishes the batch and `photosift undo` reverts it.

Exit status: 0 done, 3 done except for the files listed (skipped or failed), 1 error.
"""


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "apply",
        parents=[common],
        help="move the files marked backup to a backup folder (journaled, undoable)",
        description=HELP,
        formatter_class=HelpFormatter,
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--backup", metavar="DIR", help="the backup folder")
    where.add_argument("--trash", action="store_true", help="send them to the trash")
    where.add_argument("--hardlink", action="store_true", help="replace exact copies by hard links")
    where.add_argument("--delete", action="store_true", help="delete them (needs --yes)")
    where.add_argument(
        "--resume",
        nargs="?",
        type=int,
        const=0,
        metavar="BATCH",
        help="finish an interrupted batch (default: the last one)",
    )
    p.add_argument("--dry-run", action="store_true", help="show the plan; touch nothing")
    p.add_argument(
        "--group",
        type=int,
        action="append",
        default=[],
        metavar="ID",
        help="only the files of group ID (repeatable)",
    )
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--allow-empty-group",
        action="store_true",
        help="also move groups whose every file was marked backup with --allow-empty-group",
    )
    p.add_argument("--json", action="store_true", help="write the plan or result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, stopper: Stopper) -> int:
    from tui.cli.session import open_library

    if args.delete and not args.yes and not args.dry_run:
        print(
            "photosift apply: error: --delete removes files for good; it needs --yes",
            file=sys.stderr,
        )
        return EXIT_USAGE
    with open_library(args) as library:
        if args.resume is not None:
            return _resume(library, args, stopper)
        unfinished = library.unfinished()
        if unfinished and not args.dry_run:
            batch = unfinished[0]
            print(
                f"photosift: error: batch {batch.id} was interrupted; 'photosift apply --resume' "
                f"finishes it, 'photosift undo {batch.id}' reverts it",
                file=sys.stderr,
            )
            return EXIT_ERROR
        mode = (
            Mode.BACKUP if args.backup else Mode.TRASH if args.trash
            else Mode.HARDLINK if args.hardlink else Mode.DELETE
        )  # fmt: skip
        plan = library.plan(
            mode,
            destination=args.backup,
            group_ids=args.group,
            allow_empty_group=args.allow_empty_group,
        )
        if args.json and args.dry_run:
            print(json.dumps(plan_document(plan), indent=2))
            return EXIT_OK
        print_plan(plan, full=args.dry_run)
        if args.dry_run or not plan.files:
            return EXIT_OK
        if not args.yes and not _confirm(_question(plan)):
            print("Nothing was moved.", file=sys.stderr)
            return EXIT_ERROR
        outcome = _run(lambda view: library.apply(
            plan, on_progress=view, should_stop=stopper
        ))  # fmt: skip
    return report(outcome, args, stopper)


def _resume(library: Library, args: argparse.Namespace, stopper: Stopper) -> int:
    batch_id = args.resume or None
    unfinished = library.unfinished()
    if batch_id is None and not unfinished:
        print("Nothing to resume: no batch was interrupted.")
        return EXIT_OK
    batch = next((b for b in unfinished if b.id == batch_id), None) if batch_id else unfinished[0]
    if batch is None:
        print(f"photosift: error: batch {batch_id} is not interrupted", file=sys.stderr)
        return EXIT_ERROR
    left = batch.files - batch.done - batch.skipped - batch.failed
    print(f"Batch {batch.id}: {left} of {batch.files} files still to move")
    if args.dry_run:
        return EXIT_OK
    if not args.yes and not _confirm(f"Finish batch {batch.id}?"):
        return EXIT_ERROR
    outcome = _run(lambda view: library.resume(
        batch.id, on_progress=view, should_stop=stopper
    ))  # fmt: skip
    return report(outcome, args, stopper)


def _run(work: Callable[[ProgressView], T]) -> T:
    """``work(view)`` with a progress line on stderr."""
    from tui.cli.progress import ProgressView

    with ProgressView(sys.stderr) as view:
        return work(view)


def _question(plan: Plan) -> str:
    where = {
        Mode.BACKUP: f"to {shown(plan.destination)}",
        Mode.TRASH: "to the trash",
        Mode.HARDLINK: "into hard links to their kept copies",
        Mode.DELETE: "FOR GOOD (delete)",
    }[plan.mode]
    verb = (
        "Turn" if plan.mode is Mode.HARDLINK else "Delete" if plan.mode is Mode.DELETE else "Move"
    )
    return f"{verb} {plan.files} files ({size(plan.bytes)}) {where}?"


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        print(f"{question} (not asked: no terminal; add --yes)", file=sys.stderr)
        return False
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


# -- the plan ------------------------------------------------------------------------------------


def print_plan(plan: Plan, *, full: bool) -> None:
    for note in plan.notes:
        print(f"photosift: note: {shown(note)}", file=sys.stderr)
    room = width()
    moves = plan.moves
    listed = moves if full or len(moves) <= LISTED else moves[:LISTED]
    for move in listed:
        arrow = f" -> {shown(move.target)}" if move.target else ""
        print(middle(f"  {shown(move.source)}{arrow}", room))
    if len(listed) < len(moves):
        print(f"  ... and {len(moves) - len(listed)} more (--dry-run lists them all)")
    if plan.skipped:
        print(f"Not moving {len(plan.skipped)} file{'s' if len(plan.skipped) != 1 else ''}:")
        for skip in plan.skipped if full else plan.skipped[:LISTED]:
            print(middle(f"  {shown(skip.path)}: {shown(skip.reason)}", room))
        if not full and len(plan.skipped) > LISTED:
            print(f"  ... and {len(plan.skipped) - LISTED} more (--dry-run lists them all)")
    if not moves:
        print("Nothing to move: no file of these groups is marked backup "
              "('photosift accept' or 'photosift decide' marks them).")  # fmt: skip
        return
    groups = len(plan.groups)
    where = f" to {shown(plan.destination)}" if plan.destination else f" ({plan.mode.value})"
    print(f"Plan: {plan.files} files, {size(plan.bytes)}, from {groups} groups{where}")


def plan_document(plan: Plan) -> dict:
    return {
        "mode": plan.mode.value,
        "destination": plan.destination,
        "files": plan.files,
        "bytes": plan.bytes,
        "notes": list(plan.notes),
        "moves": [
            {
                "from": path_entry(m.source)["path"],
                "to": path_entry(m.target)["path"] if m.target else None,
                "size": m.stat.size,
                "group": m.group_id,
                "why": m.why,
                "copy_of": path_entry(m.copy_of)["path"] if m.copy_of else None,
                "sidecar_of": path_entry(m.sidecar_of)["path"] if m.sidecar_of else None,
            }
            for m in plan.moves
        ],
        "skipped": [
            {"path": path_entry(s.path)["path"], "group": s.group_id, "reason": s.reason}
            for s in plan.skipped
        ],
    }


# -- the outcome ---------------------------------------------------------------------------------


def report(outcome: Outcome, args: argparse.Namespace, stopper: Stopper) -> int:
    batch = outcome.batch
    if args.json:
        print(json.dumps(outcome_document(outcome), indent=2))
    else:
        print_problems(outcome.problems)
        moved = len(outcome.done)
        files = f"{moved} file{'s' if moved != 1 else ''}"
        said = {
            Mode.BACKUP: f"Moved {files} to {shown(batch.destination)}",
            Mode.TRASH: f"Sent {files} to the trash",
            Mode.HARDLINK: f"Replaced {files} by hard links to their kept copies",
            Mode.DELETE: f"Deleted {files}",
        }[batch.mode]
        print(f"{said} (batch {batch.id}).")
        if outcome.interrupted:
            print(
                "Interrupted: 'photosift apply --resume' finishes the batch, "
                f"'photosift undo {batch.id}' reverts it."
            )
        elif batch.mode is not Mode.DELETE and moved:
            print(f"'photosift undo {batch.id}' brings them back.")
        if batch.log_path:
            print(f"Log: {shown(batch.log_path)}")
    if outcome.interrupted:
        return stopper.exit_code
    return EXIT_PARTLY if outcome.problems else EXIT_OK


def print_problems(problems: Sequence[tuple[str, str]]) -> None:
    room = width(sys.stderr)
    for path, why in problems:
        print(middle(f"photosift: not moved: {shown(path)}: {shown(why)}", room), file=sys.stderr)


def outcome_document(outcome: Outcome) -> dict:
    batch = outcome.batch
    return {
        "batch": batch.id,
        "mode": batch.mode.value,
        "state": batch.state.value,
        "destination": batch.destination,
        "done": [path_entry(p)["path"] for p in outcome.done],
        "problems": [{"path": path_entry(p)["path"], "why": why} for p, why in outcome.problems],
        "interrupted": outcome.interrupted,
        "log": batch.log_path,
    }
