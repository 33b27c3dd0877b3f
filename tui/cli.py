"""photosift's command line. Talks to the engine only through ``core.service``.

Exit codes: 0 done, 1 error (a message says what), 2 usage error, 130 interrupted (Ctrl-C;
what was done is kept).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from core import __version__
from core.errors import PhotosiftError
from core.models import DEFAULT_MAX_PIXELS, printable

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
PROBLEMS_SHOWN = 20

DESCRIPTION = """\
photosift finds near-duplicate and similar photos, judges their quality and keeps the best one.

Everything photosift learns about your photos goes into a catalog (an SQLite file); each
command reads or updates it. The catalog lives in your data folder unless you give --db PATH
or set PHOTOSIFT_DB.
"""

SCAN_HELP = """\
Find the photos under each PATH and analyse them into the catalog: size, dimensions, EXIF
capture time and camera, three perceptual hashes, and a content hash for files whose size
collides with another's (exact duplicates). Photos are recognised by their content, so a JPEG
named .dat is found and a text file named .jpg is reported, not analysed.

Scanning again is incremental: files whose size and modification time did not change are not
read again, new files are added, and files that are gone are forgotten. Files that cannot be
analysed (corrupt, truncated, empty, too large, unreadable) are listed with the reason; they
never stop the scan. Ctrl-C stops cleanly and keeps what was already analysed.
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
    _add_scan(commands, common)
    return parser


def _add_scan(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "scan",
        parents=[common],
        help="find and analyse the photos under one or more folders",
        description=SCAN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="folder (or file) to scan")
    p.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help=f"analysis processes (default: one per CPU core, here {os.cpu_count() or 1})",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files and folders whose name, path below the scanned folder, or full path "
        "matches GLOB (repeatable), e.g. --exclude '*.png' --exclude 'Trash/*'",
    )
    p.add_argument(
        "--include-hidden", action="store_true", help="also scan files and folders named .*"
    )
    p.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="follow symbolic links (loops are detected; each file still counts once)",
    )
    p.add_argument(
        "--max-pixels",
        type=_positive_float,
        metavar="MP",
        default=DEFAULT_MAX_PIXELS / 1e6,
        help="refuse images larger than this many megapixels, a guard against "
        "decompression bombs (default: %(default).0f)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="list every file that could not be analysed"
    )
    p.set_defaults(run=_run_scan)


def _run_scan(args: argparse.Namespace) -> int:
    from core import service
    from core.scan import ScanOptions
    from tui.progress import ScanProgressView

    options = ScanOptions(
        exclude=tuple(args.exclude),
        include_hidden=args.include_hidden,
        follow_symlinks=args.follow_symlinks,
        workers=args.workers,
        max_pixels=int(args.max_pixels * 1_000_000),
    )
    db_path = service.resolve_db_path(args.db)
    with ScanProgressView(sys.stderr) as view:
        summary = service.scan(args.paths, db_path=db_path, options=options, on_progress=view)
    if args.json:
        print(json.dumps(_summary_dict(summary, db_path), indent=2))
    else:
        _print_summary(summary, db_path, verbose=args.verbose)
    return EXIT_INTERRUPTED if summary.interrupted else EXIT_OK


def _summary_dict(summary, db_path: str) -> dict:
    return {
        "roots": list(summary.roots),
        "catalog": db_path,
        "seen": summary.seen,
        "analysed": summary.analysed,
        "unchanged": summary.unchanged,
        "removed": summary.removed,
        "skipped": summary.skipped,
        "content_hashed": summary.hashed,
        "seconds": round(summary.elapsed, 3),
        "images_per_second": round(summary.rate, 2),
        "interrupted": summary.interrupted,
        "problems": [{"path": p, "reason": r} for p, r in summary.problems],
        "unreadable_folders": list(summary.unreadable_dirs),
    }


def _print_summary(summary, db_path: str, *, verbose: bool) -> None:
    out = sys.stdout
    state = "Interrupted; kept what was done" if summary.interrupted else "Scanned"
    print(f"{state}: {', '.join(summary.roots)} in {_duration(summary.elapsed)}", file=out)
    rate = f"  ({summary.rate:.1f} images/s)" if summary.analysed else ""
    rows = [
        ("files seen", summary.seen, ""),
        ("analysed", summary.analysed, rate),
        ("unchanged", summary.unchanged, "  (not read again)" if summary.unchanged else ""),
        ("skipped", summary.skipped_total, ""),
    ]
    rows += [(f"  {reason}", count, "") for reason, count in summary.skipped.items()]
    if summary.removed:
        rows.append(("forgotten", summary.removed, "  (no longer on disk)"))
    if summary.hashed:
        rows.append(("content-hashed", summary.hashed, "  (same size as another file)"))
    for label, count, note in rows:
        print(f"  {label:<18}{count:>8}{note}", file=out)
    problems = summary.problems if verbose else summary.problems[:PROBLEMS_SHOWN]
    if problems:
        print("Not analysed:", file=out)
        for path, reason in problems:
            print(f"  {printable(path)}: {reason}", file=out)
        hidden = len(summary.problems) - len(problems)
        if hidden:
            print(f"  ... and {hidden} more (--verbose lists them all)", file=out)
    for folder in summary.unreadable_dirs:
        print(f"Could not read folder {printable(folder)}", file=out)
    print(f"Catalog: {printable(db_path)}", file=out)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


if __name__ == "__main__":
    sys.exit(main())
