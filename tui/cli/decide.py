"""`photosift decide` and `photosift accept`: what to keep and what to back up, file by file or
by taking the recommendations. Nothing moves until `photosift apply`."""

from __future__ import annotations

import argparse
import sys

from core.models.actions import Decision
from tui.cli.format import HelpFormatter, shown
from tui.cli.signals import Stopper

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

DECIDE_HELP = """\
Mark photos keep, backup or undecided. A folder stands for every catalogued photo below it.
Decisions are kept in the catalog by file and content, so they survive rescans, regroupings
and renames; `photosift groups -v` shows them and `photosift apply` acts on them.

Refused, with the reason: marking backup a file in a reference or protected folder, and
marking backup the last file of a group that stays (every group keeps at least one file,
unless --allow-empty-group says otherwise). An explicit decide is the only way to back up a
file flagged as AI-enhanced.
"""

ACCEPT_HELP = """\
Take the recommendation of each given group (or of every group with --all): its best file,
and the files it keeps (reference or protected folders, each burst's best frame), are marked
keep; byte-identical copies and lower-quality versions are marked backup. Files flagged as
AI-enhanced, and files that changed since the scan, stay undecided. Decisions you made one
by one with `photosift decide` are left as they are. Nothing moves until `photosift apply`.
"""


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "decide",
        parents=[common],
        help="mark photos keep, backup or undecided",
        description=DECIDE_HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="photo (or folder of photos)")
    which = p.add_mutually_exclusive_group(required=True)
    for name, value, text in (
        ("--keep", Decision.KEEP, "keep them where they are"),
        ("--backup", Decision.BACKUP, "move them away when apply runs"),
        ("--undecided", Decision.UNDECIDED, "forget what was decided about them"),
    ):
        which.add_argument(name, dest="decision", action="store_const", const=value, help=text)
    p.add_argument(
        "--allow-empty-group",
        action="store_true",
        help="allow marking backup every file of a group (nothing of it would stay in place)",
    )
    p.set_defaults(run=run_decide)

    a = commands.add_parser(
        "accept",
        parents=[common],
        help="take the recommendations of groups as decisions",
        description=ACCEPT_HELP,
        formatter_class=HelpFormatter,
    )
    a.add_argument("groups", nargs="*", type=int, metavar="GROUP", help="group id")
    a.add_argument("--all", action="store_true", help="every group")
    a.set_defaults(run=run_accept)


def run_decide(args: argparse.Namespace, stopper: Stopper) -> int:
    from tui.cli.session import open_library

    with open_library(args) as library:
        result = library.decide(args.paths, args.decision, allow_empty_group=args.allow_empty_group)
    for path, why in result.refused:
        print(f"photosift: refused: {shown(path)}: {shown(why)}", file=sys.stderr)
    count = len(result.changed)
    print(f"{count} file{'s' if count != 1 else ''} marked {args.decision.value}")
    return EXIT_ERROR if result.refused and not result.changed else EXIT_OK


def run_accept(args: argparse.Namespace, stopper: Stopper) -> int:
    from tui.cli.progress import ProgressView
    from tui.cli.session import open_library

    if bool(args.groups) == bool(args.all):
        print("photosift accept: error: give group ids or --all (not both)", file=sys.stderr)
        return EXIT_USAGE
    with open_library(args) as library, ProgressView(sys.stderr) as view:
        result = library.accept(
            None if args.all else args.groups, on_progress=view, should_stop=stopper
        )
    for what, why in result.refused:
        print(f"photosift: not accepted: {shown(what)}: {shown(why)}", file=sys.stderr)
    counts = result.counts
    print(
        f"Accepted {result.groups} group{'s' if result.groups != 1 else ''}: "
        f"{counts.get('keep', 0)} to keep, {counts.get('backup', 0)} to back up, "
        f"{counts.get('undecided', 0)} left undecided"
        + (
            f"; {result.kept_yours} of your own decisions left as they were"
            if result.kept_yours
            else ""
        )
    )
    if counts.get("backup"):
        print("Next: 'photosift apply --backup DIR --dry-run' shows what would move.")
    return EXIT_OK
