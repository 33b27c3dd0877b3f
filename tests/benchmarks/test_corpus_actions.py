"""The whole cycle on a benchmark corpus, as a person runs it: scan, accept every
recommendation, apply to a backup folder (here and, when there is one, on a second file
system), undo; the corpus comes back byte for byte, with its mtimes and permissions.

Input: ``PHOTOSIFT_BENCH_CORPUS``, a folder made by the kit's ``make_corpus.py`` (copied to a
temporary folder first: the corpus itself is never touched)::

    PHOTOSIFT_BENCH_CORPUS=/path/to/corpus python -m pytest -m benchmark \\
        tests/benchmarks/test_corpus_actions.py -s
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests.benchmarks.corpus import corpus_root
from tui.cli import EXIT_OK, main

pytestmark = pytest.mark.benchmark


def _tree(root: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            info = path.lstat()
            digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
            out[str(path.relative_to(root))] = (digest, info.st_mtime_ns, info.st_mode)
    return out


def _backups(tmp_path: Path) -> list[Path]:
    out = [tmp_path / "backup"]
    shm = Path("/dev/shm")
    if shm.is_dir() and os.stat(shm).st_dev != os.stat(tmp_path).st_dev:
        out.append(shm / f"photosift-bench-{uuid.uuid4().hex}")
    return out


def test_scan_accept_apply_undo_restores_the_corpus(tmp_path, capsys) -> None:
    photos = tmp_path / "photos"
    shutil.copytree(corpus_root(), photos, copy_function=shutil.copy2)
    before = _tree(photos)
    db = ["--db", str(tmp_path / "catalog.sqlite3")]
    assert main(["scan", str(photos), *db]) == EXIT_OK
    for backup in _backups(tmp_path):
        try:
            assert main(["accept", "--all", *db]) == EXIT_OK
            assert main(["apply", "--backup", str(backup), "--yes", *db]) == EXIT_OK
            moved = [p for p in _tree(backup) if not p.startswith("photosift-log-")]
            assert len(moved) > 100
            assert len(_tree(photos)) == len(before) - len(moved)
            assert main(["undo", "--last", "--yes", *db]) == EXIT_OK
            assert _tree(photos) == before
            print(f"{backup}: {len(moved)} files moved and restored byte for byte")
        finally:
            if str(backup).startswith("/dev/shm/"):
                shutil.rmtree(backup, ignore_errors=True)
