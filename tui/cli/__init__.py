"""photosift's command line, one module per command. Talks to the engine only through the
Library (``core.library``).

Exit codes: 0 done, 1 error (a message says what), 2 usage error, and 128 + the signal's
number when stopped by one (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP; what was done is kept).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import sys
from collections.abc import Sequence

from core import __version__
from core.errors import Cancelled, PhotosiftError
from tui.cli import app, apply, decide, groups, report, scan, undo
from tui.cli.format import HelpFormatter, shown
from tui.cli.signals import Stopper

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

DESCRIPTION = """\
photosift finds near-duplicate and similar photos, judges their quality and keeps the best one.

Everything photosift learns about your photos goes into a catalog (an SQLite file); each
command reads or updates it. The catalog lives in your data folder unless you give --db PATH
or set PHOTOSIFT_DB.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_with_command(list(sys.argv[1:] if argv is None else argv)))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _configure_logging(args.debug)
    stopper = Stopper().install()
    try:
        return int(args.run(args, stopper))
    except Cancelled:
        _say("photosift: interrupted; nothing half-done was stored")
        return stopper.exit_code
    except PhotosiftError as exc:
        _say(f"photosift: error: {shown(exc)}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("photosift: interrupted")
        return stopper.exit_code
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno in (errno.EPIPE, errno.EIO):
            # the reader went away (| head) or the terminal did (SSH hang-up): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return stopper.exit_code if stopper() else EXIT_OK
        raise
    finally:
        stopper.restore()


def _with_command(argv: list[str]) -> list[str]:
    """``photosift PATH...`` is ``photosift review PATH...``: the app, scanning them first."""
    commands = {"scan", "groups", "report", "decide", "accept", "apply", "undo", "history",
                "review", "demo"}  # fmt: skip
    words, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--db":
            skip = True  # its value is not a folder to open
        elif not arg.startswith("-"):
            words.append(arg)
    if words and words[0] not in commands and os.path.exists(os.path.expanduser(words[0])):
        return ["review", *argv]
    return argv


def _say(message: str) -> None:
    with contextlib.suppress(OSError):  # no terminal left to tell
        print(message, file=sys.stderr)


class _Formatter(logging.Formatter):
    """``photosift: warning: message``; with --debug, also the module and the debug lines."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        where = f"{record.name}: " if self.debug else ""
        return f"photosift: {record.levelname.lower()}: {where}{shown(record.getMessage())}"


def _configure_logging(debug: bool) -> None:
    """Warnings (and with --debug everything) on stderr, through one handler of our own;
    handlers others installed (a test's log capture) are left alone."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(debug))
    handler.set_name("photosift")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "photosift"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)


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
        formatter_class=HelpFormatter,
        parents=[common],
    )
    parser.set_defaults(db=None, debug=False)
    parser.add_argument("--version", action="version", version=f"photosift {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    scan.add_parser(commands, common)
    groups.add_parser(commands, common)
    report.add_parser(commands, common)
    decide.add_parsers(commands, common)
    apply.add_parser(commands, common)
    undo.add_parsers(commands, common)
    app.add_parsers(commands, common)
    return parser
