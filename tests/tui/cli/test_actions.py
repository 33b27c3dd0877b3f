"""The file-action commands as a person or a script runs them: decide, accept, apply (dry
run, confirmation, --delete's --yes, exit codes, JSON), history and undo, including undo from
the backup folder's log once the catalog is gone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.library import Library
from core.models.actions import Mode
from tests.images import scenes_with_copies
from tui.cli import EXIT_OK, EXIT_USAGE, main
from tui.cli.apply import EXIT_PARTLY


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def scanned(tmp_path, monkeypatch) -> tuple[Path, list[str]]:
    photos = tmp_path / "photos"
    scenes_with_copies(photos)
    db = tmp_path / "catalog.sqlite3"
    monkeypatch.setenv("PHOTOSIFT_DB", str(db))
    assert main(["scan", str(photos)]) == EXIT_OK
    return photos, ["--db", str(db)]


def test_the_commands_are_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("decide", "accept", "apply", "undo", "history"):
        assert command in text


def test_accept_then_a_dry_run_touches_nothing_and_lists_mirrored_targets(scanned, capsys):
    photos, db = scanned
    before = _tree(photos)
    assert main(["accept", "--all", *db]) == EXIT_OK
    capsys.readouterr()
    backup = photos.parent / "backup"
    assert main(["apply", "--backup", str(backup), "--dry-run", "--json", *db]) == EXIT_OK
    plan = json.loads(capsys.readouterr().out)
    assert plan["files"] >= 4
    for move in plan["moves"]:
        relative = os.path.relpath(move["from"], photos)
        assert move["to"] == str(backup / "photos" / relative)
    assert _tree(photos) == before
    assert not backup.exists()


def test_apply_asks_and_without_a_terminal_moves_nothing(scanned, capsys, monkeypatch):
    photos, db = scanned
    before = _tree(photos)
    assert main(["accept", "--all", *db]) == EXIT_OK
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code = main(["apply", "--backup", str(photos.parent / "backup"), *db])
    assert code != EXIT_OK
    assert "add --yes" in capsys.readouterr().err
    assert _tree(photos) == before


def test_delete_needs_yes(scanned, capsys):
    photos, db = scanned
    before = _tree(photos)
    assert main(["accept", "--all", *db]) == EXIT_OK
    assert main(["apply", "--delete", *db]) == EXIT_USAGE
    assert "--yes" in capsys.readouterr().err
    assert _tree(photos) == before


def test_apply_history_undo_round_trip(scanned, capsys):
    photos, db = scanned
    before = _tree(photos)
    backup = photos.parent / "backup"
    assert main(["accept", "--all", *db]) == EXIT_OK
    assert main(["apply", "--backup", str(backup), "--yes", *db]) == EXIT_OK
    out = capsys.readouterr().out
    assert "photosift undo 1" in out
    moved = [p for p in _tree(backup) if not p.startswith("photosift-log-")]
    assert moved and all(p.startswith("photos/") for p in moved)
    assert main(["history", "--json", *db]) == EXIT_OK
    (batch,) = json.loads(capsys.readouterr().out)
    assert (batch["state"], batch["done"], batch["files"]) == ("done", len(moved), len(moved))
    assert main(["undo", "--last", "--yes", *db]) == EXIT_OK
    assert _tree(photos) == before
    capsys.readouterr()
    assert main(["history", "--json", *db]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)[0]["state"] == "undone"
    # the catalog knows the files again
    capsys.readouterr()
    assert main(["groups", "--json", *db]) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert {m for g in document["groups"] for m in g["members"]} >= {
        str(photos.parent / p) for p in moved
    }


def test_a_file_changed_after_accept_is_skipped_and_the_exit_code_says_so(scanned, capsys):
    photos, db = scanned
    assert main(["accept", "--all", *db]) == EXIT_OK
    plan = Library(db[1]).plan(Mode.BACKUP, destination=str(photos.parent / "backup"))
    victim = Path(plan.moves[0].source)
    original = victim.read_bytes()
    victim.write_bytes(original + b"edited")
    code = main(["apply", "--backup", str(photos.parent / "backup"), "--yes", *db])
    assert code == EXIT_PARTLY
    err = capsys.readouterr().err
    assert "not moved" in err and "modified since the scan" in err
    assert victim.read_bytes() == original + b"edited"


def test_an_interrupted_batch_blocks_a_new_one_until_resumed(scanned, capsys):
    photos, db = scanned
    backup = photos.parent / "backup"
    assert main(["accept", "--all", *db]) == EXIT_OK
    with Library(db[1]) as library:
        plan = library.plan(Mode.BACKUP, destination=str(backup))
        calls = []
        outcome = library.apply(plan, should_stop=lambda: bool(calls.append(1)) or len(calls) > 1)
        assert outcome.interrupted and len(outcome.done) == 1
    assert main(["apply", "--backup", str(backup), "--yes", *db]) != EXIT_OK
    assert "--resume" in capsys.readouterr().err
    assert main(["apply", "--resume", "--yes", *db]) == EXIT_OK
    capsys.readouterr()
    assert main(["history", "--json", *db]) == EXIT_OK
    (batch,) = json.loads(capsys.readouterr().out)
    assert batch["state"] == "done" and batch["done"] == plan.files


def test_decide_refuses_to_empty_a_group(scanned, capsys):
    photos, db = scanned
    group = [str(photos / "s2" / n) for n in ("orig.jpg", "small.jpg", "mirror.jpg")]
    assert main(["decide", *group[1:], "--backup", *db]) == EXIT_OK
    assert main(["decide", group[0], "--backup", *db]) != EXIT_OK
    assert "would keep no file" in capsys.readouterr().err
    assert main(["decide", group[0], "--backup", "--allow-empty-group", *db]) == EXIT_OK


def test_groups_show_the_decisions(scanned, capsys):
    photos, db = scanned
    assert main(["decide", str(photos / "s2" / "small.jpg"), "--backup", *db]) == EXIT_OK
    capsys.readouterr()
    assert main(["groups", "--json", *db]) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    decisions = {f["path"]: f["decision"] for g in document["groups"] for f in g["files"]}
    assert decisions[str(photos / "s2" / "small.jpg")] == "backup"
    assert decisions[str(photos / "s2" / "orig.jpg")] == "undecided"


def test_undo_from_the_log_alone_after_the_catalog_is_lost(scanned, capsys, tmp_path):
    photos, db = scanned
    before = _tree(photos)
    backup = tmp_path / "backup"
    assert main(["accept", "--all", *db]) == EXIT_OK
    assert main(["apply", "--backup", str(backup), "--yes", *db]) == EXIT_OK
    (log,) = backup.glob("photosift-log-*.jsonl")
    for path in tmp_path.glob("catalog.sqlite3*"):
        path.unlink()
    other = ["--db", str(tmp_path / "elsewhere.sqlite3")]
    assert main(["undo", "--from-log", str(log), "--yes", *other]) == EXIT_OK
    assert _tree(photos) == before
    assert [p.name for p in backup.rglob("*") if p.is_file()] == [log.name]
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert events.count("restored") == events.count("moved") > 0
