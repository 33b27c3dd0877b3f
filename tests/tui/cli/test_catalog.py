"""The catalog as the commands use it: private from the start, tightened when it was not,
readable from a read-only medium, and shared by commands running at the same time."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.images import save, scene, scenes_with_copies
from tui.cli import EXIT_OK, main

REPO = Path(__file__).resolve().parents[3]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def photos(tmp_path) -> Path:
    root = tmp_path / "photos"
    scenes_with_copies(root)
    return root


def test_a_new_catalog_is_private_in_a_private_folder(photos, tmp_path, monkeypatch):
    monkeypatch.delenv("PHOTOSIFT_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    old = os.umask(0o022)
    try:
        assert main(["scan", str(photos), "--json"]) == EXIT_OK
    finally:
        os.umask(old)

    folder = tmp_path / "data" / "photosift"
    assert mode(folder) == 0o700
    assert mode(folder / "catalog.sqlite3") == 0o600
    for companion in folder.glob("catalog.sqlite3-*"):  # WAL files take the file's mode
        assert mode(companion) == 0o600


def test_a_world_readable_catalog_is_tightened_with_a_note(photos, tmp_path, capsys):
    db = tmp_path / "shared" / "catalog.sqlite3"
    main(["scan", str(photos), "--db", str(db)])
    os.chmod(db, 0o644)
    capsys.readouterr()

    assert main(["groups", "--db", str(db)]) == EXIT_OK

    assert mode(db) == 0o600
    assert "photosift: note: made the catalog" in capsys.readouterr().err


@pytest.fixture
def read_only_mount(tmp_path):
    """A folder on a file system that can be made read-only (needs the right to mount)."""
    where = tmp_path / "medium"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)],
                      capture_output=True).returncode:  # fmt: skip
        pytest.skip("cannot mount a file system here")

    def remount(option: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{option}", str(where)], check=True)

    yield where, remount
    subprocess.run(["umount", str(where)], check=False)


def test_a_catalog_on_a_read_only_medium_can_still_be_read(photos, read_only_mount, capsys):
    where, remount = read_only_mount
    db = str(where / "catalog.sqlite3")
    main(["scan", str(photos), "--db", db])
    capsys.readouterr()
    main(["groups", "--db", db, "--json"])
    stored = json.loads(capsys.readouterr().out)
    remount("ro")
    try:
        assert main(["groups", "--db", db, "--json"]) == EXIT_OK
        again = json.loads(capsys.readouterr().out)
        assert main(["groups", "--db", db, "--json", "--threshold", "0.95"]) == EXIT_OK
        what_if = json.loads(capsys.readouterr().out)
        assert main(["report", "--db", db]) == EXIT_OK
        capsys.readouterr()
        assert main(["scan", str(photos), "--db", db]) == 1
        assert "read-only" in capsys.readouterr().err
    finally:
        remount("rw")
    assert again["groups"] == stored["groups"]
    assert what_if["stored"] is False


def run(*argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_regroupings_and_a_scan_at_once_all_succeed(photos, tmp_path):
    db = str(tmp_path / "catalog.sqlite3")
    assert main(["scan", str(photos), "--db", db, "--json"]) == EXIT_OK
    source = photos / "s1" / "orig.jpg"
    for round_ in range(4):
        for i in range(30):  # new files, so that the scan writes while the others read and write
            save(scene(1000 + 40 * round_ + i, (200, 150)), photos / f"new{round_}" / f"{i}.jpg")
        shutil.copy(source, photos / f"new{round_}" / f"copy-{uuid.uuid4().hex[:6]}.jpg")
        procs = [
            run("groups", "--db", db, "--regroup", "--json"),
            run("scan", str(photos), "--db", db, "--json", "--workers", "2"),
            run("groups", "--db", db, "--regroup", "--json"),
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == EXIT_OK, err
            assert "Traceback" not in err and "locked" not in err, err
            json.loads(out)
    # once everything has settled, the stored grouping is the one a fresh grouping finds
    final = run("groups", "--db", db, "--json")
    regrouped = run("groups", "--db", db, "--json", "--regroup")
    assert (
        json.loads(final.communicate()[0])["groups"]
        == json.loads(regrouped.communicate()[0])["groups"]
    )
