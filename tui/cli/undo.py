"""`photosift undo` and `photosift history`: bring the files of a batch back, and list the
batches."""

from __future__ import annotations

import argparse
import json
import sys

from tui.cli.apply import _confirm, _run
from tui.cli.format import HelpFormatter, middle, path_entry, shown, size, width
from tui.cli.signals import Stopper

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTLY = 0, 1, 2, 3

UNDO_HELP = """\
Move the files of a batch (the last one, or BATCH; see `photosift history`) back to where
they were. Each file's content is verified against the hash taken before it moved, and its
times and permissions are restored. A file that has appeared at the original path since is
never replaced: the one in the backup stays there, and is listed. The folders of the files
brought back are scanned again, so the catalog knows them.

An interrupted batch is first brought to rest (what had moved counts as moved) and then
undone; an interrupted undo is finished by running undo again.

--from-log FILE works from the JSON-lines log in the backup folder alone, without the
catalog's journal (a lost catalog, or a backup folder carried to another machine).

Exit status: 0 done, 3 done except for the files listed (left in the backup), 1 error.
"""

HISTORY_HELP = """\
List the batches of `photosift apply`, newest first: when, how, how many files and bytes,
where to, and their state (done, running: interrupted and resumable, undone, partly undone).
"""


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "undo",
        parents=[common],
        help="bring the files of a batch back where they were",
        description=UNDO_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("batch", nargs="?", type=int, metavar="BATCH", help="batch id")
    p.add_argument("--last", action="store_true", help="the last batch (the default)")
    p.add_argument("--from-log", metavar="FILE", help="undo what this log file lists")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="write the result as JSON")
    p.set_defaults(run=run_undo)

    h = commands.add_parser(
        "history",
        parents=[common],
        help="list the batches of apply, and what became of them",
        description=HISTORY_HELP,
        formatter_class=HelpFormatter,
    )
    h.add_argument("--show", type=int, metavar="BATCH", help="list every file of BATCH")
    h.add_argument("--json", action="store_true", help="write the batches as JSON")
    h.set_defaults(run=run_history)


def run_undo(args: argparse.Namespace, stopper: Stopper) -> int:
    from core.library import Library
    from tui.cli.session import open_library

    if args.batch is not None and (args.last or args.from_log):
        print("photosift undo: error: give BATCH, --last or --from-log", file=sys.stderr)
        return EXIT_USAGE
    if args.from_log:
        if not args.yes and not _confirm(f"Restore the files listed in {shown(args.from_log)}?"):
            return EXIT_ERROR
        restored = _run(lambda view: Library.undo_from_log(
            args.from_log, on_progress=view, should_stop=stopper
        ))  # fmt: skip
        return _said(len(restored.restored), restored.left, restored.interrupted, args, stopper)
    with open_library(args) as library:
        batch = library.batch(args.batch)
        if not args.yes and not _confirm(
            f"Bring back the {batch.done} files of batch {batch.id} ({size(batch.bytes)})?"
        ):
            return EXIT_ERROR
        outcome = _run(lambda view: library.undo(
            batch.id, on_progress=view, should_stop=stopper
        ))  # fmt: skip
    return _said(len(outcome.done), outcome.problems, outcome.interrupted, args, stopper,
                 batch_id=outcome.batch.id)  # fmt: skip


def _said(restored, left, interrupted, args, stopper, batch_id=None) -> int:
    if args.json:
        print(json.dumps({
            "batch": batch_id, "restored": restored, "interrupted": interrupted,
            "left": [{"path": path_entry(p)["path"], "why": why} for p, why in left],
        }, indent=2))  # fmt: skip
    else:
        room = width(sys.stderr)
        for path, why in left:
            line = f"photosift: not restored: {shown(path)}: {shown(why)}"
            print(middle(line, room), file=sys.stderr)
        of = f" of batch {batch_id}" if batch_id is not None else ""
        print(f"Restored {restored} file{'s' if restored != 1 else ''}{of}.")
        if interrupted:
            print("Interrupted: run undo again to finish.")
    if interrupted:
        return stopper.exit_code
    return EXIT_PARTLY if left else EXIT_OK


def run_history(args: argparse.Namespace, stopper: Stopper) -> int:
    from tui.cli.session import open_library

    with open_library(args) as library:
        if args.show is not None:
            ops = library.operations(args.show)
            if args.json:
                print(json.dumps([_op_entry(op) for op in ops], indent=2))
                return EXIT_OK
            room = width()
            for op in ops:
                arrow = f" -> {shown(op.target)}" if op.target else ""
                line = f"  {op.state.value:<10}{shown(op.source)}{arrow}"
                print(middle(line, room))
                if op.error:
                    print(f"  {'':<10}{shown(op.error)}")
            return EXIT_OK
        batches = library.history()
    if args.json:
        print(json.dumps([_batch_entry(b) for b in batches], indent=2))
        return EXIT_OK
    if not batches:
        print("No batches yet: 'photosift apply' makes one.")
        return EXIT_OK
    print(f"{'batch':>5}  {'when':<17}{'mode':<9}{'files':>6}{'size':>10}  {'state':<14}where")
    room = width()
    for b in batches:
        when = b.created_at.strftime("%Y-%m-%d %H:%M")
        counts = f"{b.done}" if b.state.value == "done" else f"{b.files}"
        line = (
            f"{b.id:>5}  {when:<17}{b.mode.value:<9}{counts:>6}{size(b.bytes):>10}  "
            f"{b.state.value:<14}{shown(b.destination) if b.destination else '-'}"
        )
        print(middle(line, room))
    return EXIT_OK


def _batch_entry(b) -> dict:
    return {
        "batch": b.id, "mode": b.mode.value, "state": b.state.value,
        "created_at": b.created_at.isoformat(timespec="seconds"),
        "finished_at": b.finished_at.isoformat(timespec="seconds") if b.finished_at else None,
        "destination": b.destination, "files": b.files, "bytes": b.bytes, "done": b.done,
        "skipped": b.skipped, "failed": b.failed, "undone": b.undone, "log": b.log_path,
    }  # fmt: skip


def _op_entry(op) -> dict:
    return {
        "seq": op.seq, "state": op.state.value, "from": path_entry(op.source)["path"],
        "to": path_entry(op.target)["path"] if op.target else None, "size": op.stat.size,
        "blake2b": op.content_hash, "group": op.group_id, "why": op.why, "error": op.error,
    }  # fmt: skip
