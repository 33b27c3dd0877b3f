"""`photosift scan` as a person or a script uses it: output, exit codes, catalog location,
progress when not on a terminal, and Ctrl-C."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest

from core.models import Phase
from core.store import Catalog
from tests.images import save, scene
from tui.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / "photos"
    for i in range(4):
        save(scene(i, (240, 180)), root / f"IMG_{i}.jpg")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    return root


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cat.sqlite3")


def test_scan_prints_a_summary_and_exits_0(photos, db, capsys):
    assert main(["scan", str(photos), "--db", db]) == EXIT_OK
    out = capsys.readouterr().out
    assert "files seen" in out and "analysed" in out
    assert "broken.jpg: corrupt" in out
    assert f"Catalog: {db}" in out
    with Catalog(db) as cat:
        assert len(cat.photos()) == 4


def test_second_scan_says_nothing_changed(photos, db, capsys):
    main(["scan", str(photos), "--db", db])
    capsys.readouterr()
    main(["scan", str(photos), "--db", db, "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert (summary["analysed"], summary["unchanged"], summary["removed"]) == (0, 4, 0)


def test_json_summary_is_machine_readable(photos, db, capsys):
    assert main(["scan", str(photos), "--db", db, "--json"]) == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["seen"] == 5 and summary["analysed"] == 4
    assert summary["skipped"] == {"corrupt": 1}
    assert summary["problems"][0]["path"].endswith("broken.jpg")
    assert summary["catalog"] == db


def test_missing_folder_is_a_clear_error_with_exit_1(tmp_path, db, capsys):
    code = main(["scan", str(tmp_path / "no-such-folder"), "--db", db])
    assert code == EXIT_ERROR
    err = capsys.readouterr().err
    assert "photosift: error:" in err and "no such file or folder" in err
    assert not os.path.exists(db)


def test_a_file_that_is_not_a_catalog_is_refused(photos, tmp_path, capsys):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a database, just some text long enough to matter\n" * 20)
    assert main(["scan", str(photos), "--db", str(bogus)]) == EXIT_ERROR
    assert "not a usable photosift catalog" in capsys.readouterr().err
    assert bogus.read_text().startswith("this is not a database")


@pytest.mark.parametrize(
    "argv", [["scan"], ["scan", "x", "--workers", "0"], ["frobnicate"], ["--no-such-flag"]]
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == EXIT_USAGE


def test_no_command_shows_help_and_exits_2(capsys):
    assert main([]) == EXIT_USAGE
    assert "scan" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == "photosift 0.1.0"


def test_scan_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    out = capsys.readouterr().out
    for option in ("--db", "--workers", "--exclude", "--include-hidden", "--follow-symlinks"):
        assert option in out
    assert "incremental" in out.lower()


def test_catalog_location_comes_from_env_unless_db_is_given(photos, tmp_path, monkeypatch):
    env_db = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("PHOTOSIFT_DB", str(env_db))
    assert main(["scan", str(photos), "--json"]) == EXIT_OK
    assert env_db.exists()
    flag_db = tmp_path / "from-flag.sqlite3"
    assert main(["scan", str(photos), "--db", str(flag_db), "--json"]) == EXIT_OK
    assert flag_db.exists()


def test_default_catalog_lives_in_the_user_data_folder(photos, tmp_path, monkeypatch):
    monkeypatch.delenv("PHOTOSIFT_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["scan", str(photos), "--json"]) == EXIT_OK
    assert (tmp_path / "data" / "photosift" / "catalog.sqlite3").exists()


def test_exclude_and_hidden_options_reach_the_scan(photos, db, capsys):
    save(scene(9, (64, 48)), photos / ".cache" / "thumb.jpg")
    save(scene(8, (64, 48)), photos / "raw" / "skip.jpg")
    main(["scan", str(photos), "--db", db, "--json", "--exclude", "raw"])
    assert json.loads(capsys.readouterr().out)["seen"] == 5
    main(["scan", str(photos), "--db", db, "--json", "--include-hidden"])
    assert json.loads(capsys.readouterr().out)["seen"] == 7


def test_progress_is_plain_lines_when_not_a_terminal(photos, db, capsys):
    main(["scan", str(photos), "--db", db])
    err = capsys.readouterr().err
    assert "analysing" in err
    assert "\r" not in err and "\x1b" not in err


def test_interrupt_keeps_work_and_exits_130(photos, db, capsys, monkeypatch):
    from core.library import Library

    real_scan = Library.scan

    def scan_then_ctrl_c(*args, **kwargs):
        shown = kwargs["on_progress"]

        def on_progress(event):
            shown(event)
            if event.phase is Phase.ANALYSING and event.done >= 2:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C

        kwargs["on_progress"] = on_progress
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(Library, "scan", scan_then_ctrl_c)
    monkeypatch.setattr("core.progress.THROTTLE_SECONDS", 0.0)
    assert main(["scan", str(photos), "--db", db, "--workers", "1"]) == EXIT_INTERRUPTED
    assert "Interrupted; kept what was done" in capsys.readouterr().out
    with Catalog(db) as cat:
        assert 2 <= len(cat.photos() + cat.photos(errors=True)) < 5


@pytest.mark.parametrize(
    ("signum", "code", "whole_group"),
    [
        (signal.SIGINT, 130, True),  # Ctrl-C: the terminal signals the whole process group
        (signal.SIGTERM, 143, False),  # kill PID, systemd, a job scheduler
        (signal.SIGTERM, 143, True),  # kill -TERM -PGID
        (signal.SIGHUP, 129, True),  # the SSH session went away
    ],
    ids=["ctrl-c", "sigterm", "sigterm-group", "sighup"],
)
def test_a_signal_stops_the_real_command_cleanly_and_the_next_scan_carries_on(
    tmp_path, db, signum, code, whole_group
):
    root = tmp_path / "many"
    first = save(scene(1, (3000, 2250)), root / "P000.jpg")
    for i in range(1, 300):  # enough work that the scan is still running when the signal comes
        shutil.copy(first, root / f"P{i:03d}.jpg")
    command = [sys.executable, "-m", "tui.cli", "scan", str(root), "--db", db, "--workers", "2"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    deadline = time.monotonic() + 30
    line = ""
    while "analysing" not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
    while not committed(db) and time.monotonic() < deadline:  # some work is done and kept
        time.sleep(0.05)
    if whole_group:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == code, err
    assert "Traceback" not in err and "Error" not in err
    assert "Interrupted" in out
    with Catalog(db) as catalog:
        (last,) = catalog.t.Scan.select().order_by(catalog.t.Scan.id.desc()).limit(1)
        assert last.status == "interrupted"
        kept = len(catalog.photos())
    assert 0 < kept < 300
    again = subprocess.run(command + ["--json"], capture_output=True, text=True, timeout=120)
    summary = json.loads(again.stdout)
    assert (summary["unchanged"], summary["analysed"]) == (kept, 300 - kept)


def committed(db: str) -> int:
    """How many files a running scan has committed to the catalog so far."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
            return conn.execute("SELECT COUNT(*) FROM file").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_names_with_terminal_escapes_are_printed_escaped(tmp_path, db, capsys):
    root = tmp_path / "photos"
    save(scene(1, (64, 48)), root / "fine.jpg")
    (root / "\x1b]0;pwned\x07\x1b[31mred.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")

    assert main(["scan", str(root), "--db", db, "-v"]) == EXIT_OK

    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07\\x1b[31mred.jpg: corrupt" in out


def test_undecodable_file_names_print_and_round_trip_through_json(photos, db, capsys):
    raw = os.path.join(os.fsencode(photos), b"caf\xe9.jpg")
    with open(raw, "wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0 broken too")
    assert main(["scan", str(photos), "--db", db]) == EXIT_OK
    assert "caf\\xe9.jpg: corrupt" in capsys.readouterr().out
    main(["scan", str(photos), "--db", db, "--json"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    (entry,) = (p for p in problems if "path_bytes" in p)
    assert entry["path"].endswith("caf\\xe9.jpg")
    with open(base64.b64decode(entry["path_bytes"]), "rb") as fh:  # the script opens it
        assert fh.read().startswith(b"\xff\xd8")
