"""Roots that come and go: a scanned folder that is missing, empty where it held files, or on
another device keeps its files (marked unavailable, never forgotten) until --forget-missing;
a remounted one is not analysed again for its new device number."""

from __future__ import annotations

import shutil

import pytest

from core.errors import RootNotFoundError
from core.models import Candidate
from core.runtime import roots
from core.runtime.scan import ScanOptions, scan
from tests.images import save, scene

SINGLE = ScanOptions(workers=1)


@pytest.fixture
def nas(tmp_path):
    """A share of five photos, scanned once."""
    root = tmp_path / "nas"
    for i in range(5):
        save(scene(i, (160, 120)), root / f"2021/IMG_{i:04d}.jpg")
    return root


def test_an_emptied_root_keeps_its_files_and_forget_missing_forgets_them(nas, catalog):
    scan(catalog, [str(nas)], SINGLE)
    shutil.rmtree(nas / "2021")  # what an unmounted share looks like: its mount point, empty

    summary = scan(catalog, [str(nas)], SINGLE)

    assert summary.removed == 0 and len(catalog.photos()) == 5
    assert summary.unavailable[str(nas)].startswith("empty: it held 5 files")
    assert catalog.unavailable_roots() == {str(nas): summary.unavailable[str(nas)]}

    forgotten = scan(catalog, [str(nas)], ScanOptions(workers=1, forget_missing=True))

    assert forgotten.removed == 5 and catalog.photos() == []
    assert forgotten.unavailable == {} and catalog.unavailable_roots() == {}


def test_a_missing_root_the_catalog_knows_is_unavailable_not_an_error(nas, tmp_path, catalog):
    scan(catalog, [str(nas)], SINGLE)
    shutil.rmtree(nas)

    summary = scan(catalog, [str(nas)], SINGLE)

    assert summary.unavailable[str(nas)].startswith("not found")
    assert len(catalog.photos()) == 5
    with pytest.raises(RootNotFoundError):
        scan(catalog, [str(tmp_path / "never-scanned")], SINGLE)


def test_a_root_that_comes_back_is_available_again(nas, catalog):
    scan(catalog, [str(nas)], SINGLE)
    shutil.move(nas / "2021", nas.parent / "away")
    scan(catalog, [str(nas)], SINGLE)
    shutil.move(nas.parent / "away", nas / "2021")

    back = scan(catalog, [str(nas)], SINGLE)

    assert back.unavailable == {} and back.unchanged == 5 and back.analysed == 0
    assert catalog.unavailable_roots() == {}


def test_a_root_on_another_device_with_other_files_is_unavailable(nas, catalog, monkeypatch):
    scan(catalog, [str(nas)], SINGLE)
    shutil.rmtree(nas / "2021")
    save(scene(50, (160, 120)), nas / "stray.jpg")  # left in the mount point meanwhile
    real = roots._device
    monkeypatch.setattr(roots, "_device", lambda path: real(path) + 1)

    summary = scan(catalog, [str(nas)], SINGLE)

    assert "on another device" in summary.unavailable[str(nas)]
    assert summary.analysed == 0 and len(catalog.photos()) == 5


def test_a_remounted_root_maps_its_files_to_the_new_device(tmp_path):
    root = str(tmp_path)
    found = [Candidate(f"{root}/{n}.jpg", root, 1, 1, n, 2) for n in range(4)]
    catalogued = {c.path for c in found}
    old = roots._device(root) + 1  # it was on another device at the last scan

    verdict = roots.judge_root(root, roots.KnownRoot(device=old, files=4), found, catalogued)

    assert verdict.unavailable is None
    assert verdict.old_device == old
    assert roots.device_map([verdict]) == {old: roots._device(root)}


def test_a_root_scanned_for_the_first_time_is_always_available(tmp_path):
    (tmp_path / "empty").mkdir()

    verdict = roots.judge_root(str(tmp_path / "empty"), None, [], set())

    assert verdict.unavailable is None
