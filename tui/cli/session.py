"""Opening the Library for a command: the catalog the person chose, and the notes it has for
them (permissions tightened) printed before anything else."""

from __future__ import annotations

import argparse
import sys

from core.library import Library
from tui.cli.format import shown


def open_library(
    args: argparse.Namespace, *, create: bool = False, read_only: bool | None = None
) -> Library:
    """The Library on ``--db`` (or $PHOTOSIFT_DB, or the default catalog)."""
    library = Library(args.db, create=create, read_only=read_only)
    for note in library.notes:
        print(f"photosift: note: {shown(note)}", file=sys.stderr)
    return library
