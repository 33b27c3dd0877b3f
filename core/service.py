"""The small API the command line and the TUI call: where the catalog lives, opening it, and
scanning. Keeps callers away from the store's and the pipeline's internals. Must not import a UI.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import platformdirs

from core.discover import resolve_roots
from core.models import ScanSummary
from core.scan import ProgressCallback, ScanOptions, StopCheck
from core.scan import scan as _scan
from core.store import Catalog

DB_ENV = "PHOTOSIFT_DB"
DB_FILENAME = "catalog.sqlite3"


def default_db_path() -> str:
    """The catalog's default place: the user's data folder (e.g. ~/.local/share/photosift)."""
    return os.path.join(platformdirs.user_data_dir("photosift", appauthor=False), DB_FILENAME)


def resolve_db_path(explicit: str | None = None) -> str:
    """``--db`` if given, else ``$PHOTOSIFT_DB``, else the default place."""
    chosen = explicit or os.environ.get(DB_ENV) or default_db_path()
    return os.path.abspath(os.path.expanduser(chosen))


def open_catalog(db_path: str | None = None) -> Catalog:
    return Catalog(resolve_db_path(db_path))


def scan(
    paths: Sequence[str],
    *,
    db_path: str | None = None,
    options: ScanOptions = ScanOptions(),
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> ScanSummary:
    """Scan ``paths`` into the catalog at ``db_path`` (see ``resolve_db_path``). Raises
    ``RootNotFoundError`` before the catalog is created if a path does not exist."""
    resolve_roots(paths)
    with open_catalog(db_path) as catalog:
        return _scan(catalog, paths, options, on_progress=on_progress, should_stop=should_stop)
