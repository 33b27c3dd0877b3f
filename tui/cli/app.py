"""`photosift [PATH...]`, `photosift review` and `photosift demo`: the terminal app. With
folders it scans them first (the scan screen), then opens the groups; `review` opens what the
catalog holds; `demo` builds a small collection from the photos shipped with photosift, scans
it into a catalog of its own and opens it."""

from __future__ import annotations

import argparse
import os
import sys

from tui.cli.format import HelpFormatter, shown
from tui.cli.signals import Stopper

EXIT_OK, EXIT_ERROR = 0, 1
PREVIEW_MODES = ("auto", "kitty", "sixel", "halfcell", "unicode", "off")

REVIEW_HELP = """\
Open the terminal app on the catalog: the groups, photo by photo with previews, one key per
decision (a accepts a group's recommendation, space toggles keep/backup of a photo), and
apply and undo. ? shows every key. Decisions are stored at once: quit (ctrl+q) at any time
and reopen where you were.

Previews: --preview auto|kitty|sixel|halfcell|unicode|off, or PHOTOSIFT_PREVIEW. auto asks
the terminal; inside tmux it uses halfcell, which works everywhere with true colour
(COLORTERM=truecolor; without it colours are coarse).
"""

DEMO_HELP = """\
Build a small demo collection (a few freely licensed photos shipped with photosift, with
copies, re-saves, resizes, a crop, a mirrored copy, a burst and an AI upscale made from them
now) in photosift's cache folder, scan it into a catalog of its own, and open the app on it.
Your own catalog is not touched. Point photosift at your photos with `photosift ~/Pictures`.
"""


def add_parsers(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for name, text, helpline in (
        ("review", REVIEW_HELP, "open the app on the catalog (scanning PATHs first, if given)"),
        ("demo", DEMO_HELP, "open the app on a demo collection made from shipped photos"),
    ):
        p = commands.add_parser(
            name, parents=[common], help=helpline, description=text, formatter_class=HelpFormatter
        )
        if name == "review":
            p.add_argument("paths", nargs="*", metavar="PATH", help="folders to scan first")
        else:
            p.add_argument("--folder", metavar="DIR", help="where to build it (default: cache)")
        p.add_argument(
            "--preview",
            choices=PREVIEW_MODES,
            help="how photos are drawn (default: $PHOTOSIFT_PREVIEW, else auto)",
        )
        p.add_argument("--backup", metavar="DIR", help="backup folder proposed by apply")
        p.set_defaults(run=run_review if name == "review" else run_demo)


def run_review(args: argparse.Namespace, stopper: Stopper) -> int:
    from tui.cli.session import open_library

    paths = [os.path.abspath(os.path.expanduser(p)) for p in args.paths]
    with open_library(args, create=bool(paths)) as library:
        return _run_app(library, args, stopper, paths)


def run_demo(args: argparse.Namespace, stopper: Stopper) -> int:
    from core.library import Library
    from tui.demo import build_demo, default_demo_dir

    folder = args.folder or default_demo_dir()
    print(f"Building the demo collection in {shown(folder)}…", file=sys.stderr)
    root = build_demo(folder)
    home = os.path.dirname(os.path.abspath(root))
    db = args.db or os.path.join(home, "demo-catalog.sqlite3")
    args.backup = args.backup or os.path.join(home, "demo-backup")  # apply's proposal
    with Library(db) as library:
        return _run_app(library, args, stopper, [root])


def _run_app(library, args: argparse.Namespace, stopper: Stopper, paths: list[str]) -> int:
    from tui.widgets.preview import prepare, resolve_mode

    try:
        mode = resolve_mode(args.preview)
    except ValueError as exc:
        print(f"photosift: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        print("photosift: error: the app needs a terminal; the other commands work in scripts "
              "(photosift --help)", file=sys.stderr)  # fmt: skip
        return EXIT_ERROR
    prepare(mode)  # textual-image asks the terminal what it can draw, before the app runs
    from tui.app import PhotosiftApp

    stopper.restore()  # the app handles its own keys; Ctrl-C is a key there, not a signal
    app = PhotosiftApp(library, paths=paths, preview_mode=mode, backup_folder=args.backup)
    code = app.run()
    return int(code or 0)
