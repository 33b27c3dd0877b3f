"""Fixtures of the file-action tests: a Library in a temporary folder, a scanned photo tree,
and a folder on a second file system."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.library import Library
from tests.core.actions.trees import Tree, decide_two_scenes, two_scenes

SECOND_FS = "/dev/shm"


@pytest.fixture
def library(tmp_path) -> Iterator[Library]:
    with Library(str(tmp_path / "catalog.sqlite3")) as lib:
        yield lib


@pytest.fixture
def tree(tmp_path, library) -> Tree:
    """``two_scenes`` under ``photos``, scanned, each original kept and its copies marked
    backup."""
    root = tmp_path / "photos"
    two_scenes(root)
    photos = Tree(root, library)
    photos.scan()
    decide_two_scenes(photos)
    return photos


@pytest.fixture
def other_fs(tmp_path) -> Iterator[Path]:
    """An empty folder on another file system than ``tmp_path``; skips where there is none."""
    if not os.path.isdir(SECOND_FS) or os.stat(SECOND_FS).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip(f"{SECOND_FS} is not another file system here")
    try:
        folder = tempfile.mkdtemp(prefix="photosift-test-", dir=SECOND_FS)
    except OSError as exc:
        pytest.skip(f"cannot make a folder in {SECOND_FS}: {exc}")
    yield Path(os.path.realpath(folder))
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["same fs", "other fs"])
def backup_dir(request, tmp_path) -> Path:
    """The backup folder: on the photos' file system, or on another one."""
    if request.param == "same fs":
        return tmp_path / "backup"
    return request.getfixturevalue("other_fs") / "backup"
