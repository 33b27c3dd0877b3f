"""Shared fixtures: a catalog in a temporary folder, and the scene images of tests.images."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.store import Catalog


@pytest.fixture
def catalog(tmp_path) -> Iterator[Catalog]:
    with Catalog(str(tmp_path / "catalog.sqlite3")) as cat:
        yield cat
