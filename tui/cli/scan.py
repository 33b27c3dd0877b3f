"""`photosift scan`: find and analyse photos into the catalog."""

from __future__ import annotations

import argparse
import json
import os
import sys

from core.models import DEFAULT_MAX_PIXELS, ScanSummary
from core.paths import printable
from tui.cli.format import duration, positive_float, positive_int

EXIT_OK, EXIT_INTERRUPTED = 0, 130
PROBLEMS_SHOWN = 20

HELP = """\
Find the photos under each PATH and analyse them into the catalog: size, dimensions, EXIF
capture time and camera, three perceptual hashes, and a content hash for files whose size
collides with another's (exact duplicates). Photos are recognised by their content, so a JPEG
named .dat is found and a text file named .jpg is reported, not analysed.

Scanning again is incremental: files whose size and modification time did not change are not
read again, new files are added, and files that are gone are forgotten. Files that cannot be
analysed (corrupt, truncated, empty, too large, unreadable) are listed with the reason; they
never stop the scan. Ctrl-C stops cleanly and keeps what was already analysed.
"""


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "scan",
        parents=[common],
        help="find and analyse the photos under one or more folders",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="folder (or file) to scan")
    p.add_argument(
        "--workers",
        type=positive_int,
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
        type=positive_float,
        metavar="MP",
        default=DEFAULT_MAX_PIXELS / 1e6,
        help="refuse images larger than this many megapixels, a guard against "
        "decompression bombs (default: %(default).0f)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="list every file that could not be analysed"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from core import service
    from core.runtime.scan import ScanOptions
    from tui.cli.progress import ProgressView

    options = ScanOptions(
        exclude=tuple(args.exclude),
        include_hidden=args.include_hidden,
        follow_symlinks=args.follow_symlinks,
        workers=args.workers,
        max_pixels=int(args.max_pixels * 1_000_000),
    )
    db_path = service.resolve_db_path(args.db)
    with ProgressView(sys.stderr) as view:
        summary = service.scan(args.paths, db_path=db_path, options=options, on_progress=view)
    if args.json:
        print(json.dumps(summary_dict(summary, db_path), indent=2))
    else:
        print_summary(summary, db_path, verbose=args.verbose)
    return EXIT_INTERRUPTED if summary.interrupted else EXIT_OK


def summary_dict(summary: ScanSummary, db_path: str) -> dict:
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


def print_summary(summary: ScanSummary, db_path: str, *, verbose: bool) -> None:
    out = sys.stdout
    state = "Interrupted; kept what was done" if summary.interrupted else "Scanned"
    print(f"{state}: {', '.join(summary.roots)} in {duration(summary.elapsed)}", file=out)
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
