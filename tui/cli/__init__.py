"""photosift's command line. Talks to the engine only through ``core.service``.

Exit codes: 0 done, 1 error (a message says what), 2 usage error, 130 interrupted (Ctrl-C;
what was done is kept).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from core import __version__
from core.errors import PhotosiftError
from tui.cli import groups, report, scan

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
photosift finds near-duplicate and similar photos, judges their quality and keeps the best one.

Everything photosift learns about your photos goes into a catalog (an SQLite file); each
command reads or updates it. The catalog lives in your data folder unless you give --db PATH
or set PHOTOSIFT_DB.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="photosift: %(levelname)s: %(name)s: %(message)s",
    )
    try:
        return int(args.run(args))
    except PhotosiftError as exc:
        print(f"photosift: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("photosift: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="catalog file to use (default: $PHOTOSIFT_DB, else photosift's data folder)",
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="log details to stderr"
    )
    parser = argparse.ArgumentParser(
        prog="photosift",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.set_defaults(db=None, debug=False)
    parser.add_argument("--version", action="version", version=f"photosift {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    scan.add_parser(commands, common)
    groups.add_parser(commands, common)
    report.add_parser(commands, common)
    return parser

