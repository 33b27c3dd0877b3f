"""`photosift scan`: find and analyse photos into the catalog."""

from __future__ import annotations

import argparse
import json
import os
import sys

from core.models import DEFAULT_MAX_PIXELS, ScanSummary
from tui.cli.format import (
    HelpFormatter,
    duration,
    middle,
    path_entry,
    positive_float,
    positive_int,
    shown,
    width,
)
from tui.cli.signals import Stopper

EXIT_OK = 0
PROBLEMS_SHOWN = 20

HELP = """\
Find the photos under each PATH and analyse them into the catalog: size, dimensions, EXIF
capture time and camera, three perceptual hashes, quality metrics, and a content hash for
files whose size collides with another's (exact duplicates). Photos are recognised by their
content, so a JPEG named .dat is found and a text file named .jpg is reported, not analysed.

Scanning again is incremental: a file whose size, modification time, change time, inode and
device are all unchanged is not read again; new and changed files are analysed, and files
that are gone are forgotten. Files that cannot be analysed (corrupt, truncated, empty, too
large, unreadable, or a decoder that crashed on them) are listed with the reason; they never
stop the scan.

A folder that was scanned before and is now missing, empty where it held files, or on
another device (a NAS share or a USB disk that is not mounted) is reported as unavailable and
its files are kept; --forget-missing forgets them on purpose.

Ctrl-C, SIGTERM or a hang-up stop cleanly and keep what was already analysed; the next scan
carries on from there.
"""


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "scan",
        parents=[common],
        help="find and analyse the photos under one or more folders",
        description=HELP,
        formatter_class=HelpFormatter,
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
        "matches GLOB (repeatable), e.g. --exclude '*.png' --exclude 'Trash/*'. Matched "
        "without regard to case on a file system that ignores case (most NAS shares, macOS "
        "and Windows disks), with regard to it elsewhere",
    )
    p.add_argument(
        "--exclude-ignore-case",
        action="store_true",
        default=None,
        help="match --exclude globs without regard to case on every file system",
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
    p.add_argument(
        "--forget-missing",
        action="store_true",
        help="forget the files of folders that are unavailable (missing, or empty where they "
        "held files) instead of keeping them",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="list every file that could not be analysed"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace, stopper: Stopper) -> int:
    from core.runtime.scan import ScanOptions
    from tui.cli.progress import ProgressView
    from tui.cli.session import open_library

    options = ScanOptions(
        exclude=tuple(args.exclude),
        include_hidden=args.include_hidden,
        follow_symlinks=args.follow_symlinks,
        workers=args.workers,
        max_pixels=int(args.max_pixels * 1_000_000),
        exclude_ignore_case=args.exclude_ignore_case,
        forget_missing=args.forget_missing,
    )
    _check_paths(args.paths, args.db)
    with open_library(args, create=True, read_only=False) as library:
        with ProgressView(sys.stderr) as view:
            summary = library.scan(args.paths, options, on_progress=view, should_stop=stopper)
        db_path = library.path
    if args.json:
        print(json.dumps(summary_dict(summary, db_path), indent=2))
    else:
        print_summary(summary, db_path, verbose=args.verbose)
    for root, why in summary.unavailable.items():
        print(
            f"photosift: warning: {shown(root)} is unavailable ({shown(why)}); its files were "
            "kept (--forget-missing forgets them)",
            file=sys.stderr,
        )
    return stopper.exit_code if summary.interrupted else EXIT_OK


def _check_paths(paths: list[str], db: str | None) -> None:
    """Refuse a missing path before a catalog is created for nothing. (With a catalog, a
    missing folder that it knows is the scan's to report as unavailable.)"""
    from core.errors import RootNotFoundError
    from core.library import resolve_db_path

    missing = [p for p in paths if not os.path.exists(os.path.expanduser(p))]
    if missing and not os.path.exists(resolve_db_path(db)):
        raise RootNotFoundError(f"{missing[0]}: no such file or folder")


def summary_dict(summary: ScanSummary, db_path: str) -> dict:
    return {
        "roots": [path_entry(r)["path"] for r in summary.roots],
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
        "unavailable": [
            {**path_entry(root), "reason": why} for root, why in summary.unavailable.items()
        ],
        "problems": [{**path_entry(p), "reason": r} for p, r in summary.problems],
        "unreadable_folders": list(summary.unreadable_dirs),
    }


def print_summary(summary: ScanSummary, db_path: str, *, verbose: bool) -> None:
    out = sys.stdout
    state = "Interrupted; kept what was done" if summary.interrupted else "Scanned"
    roots = ", ".join(shown(r) for r in summary.roots)
    print(f"{state}: {roots} in {duration(summary.elapsed)}", file=out)
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
    for root, why in summary.unavailable.items():
        print(f"Unavailable: {shown(root)}: {shown(why)}; its files were kept", file=out)
    problems = summary.problems if verbose else summary.problems[:PROBLEMS_SHOWN]
    if problems:
        print("Not analysed:", file=out)
        room = width(out)
        for path, reason in problems:
            line = f"{shown(path)}: {shown(reason)}"
            print(f"  {middle(line, room - 2 if room else None)}", file=out)
        hidden = len(summary.problems) - len(problems)
        if hidden:
            print(f"  ... and {hidden} more (--verbose lists them all)", file=out)
    for folder in summary.unreadable_dirs:
        print(f"Could not read folder {shown(folder)}", file=out)
    print(f"Catalog: {shown(db_path)}", file=out)
