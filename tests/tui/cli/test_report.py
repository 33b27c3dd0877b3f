"""`photosift report`: the summary per tier, CSV and JSON, and totals per profile."""

from __future__ import annotations

import csv
import io
import json

import pytest

from core.runtime.scan import ScanOptions, scan
from core.store import Catalog
from tests.images import save, scene, scenes_with_copies
from tui.cli import EXIT_OK, main


@pytest.fixture
def db(tmp_path):
    root = tmp_path / "photos"
    scenes_with_copies(root)
    save(scene(9, (320, 240)), root / "IMG_0009_x4_ESRGAN.jpg")  # AI, not grouped
    path = str(tmp_path / "catalog.sqlite3")
    with Catalog(path) as catalog:
        scan(catalog, [str(root)], ScanOptions(workers=1))
    return path


def test_text_report_sums_up_per_tier(db, capsys):
    assert main(["report", "--db", db]) == EXIT_OK
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Profile default:"
    total = next(line for line in lines if line.strip().startswith("total"))
    groups, files, backup = (int(x) for x in total.split()[1:4])
    assert (groups, files, backup) == (2, 7, 5)


def test_csv_has_one_line_per_file_with_an_action(db, capsys):
    assert main(["report", "--db", db, "--csv"]) == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 7
    assert sorted({r["action"] for r in rows}) == ["backup", "keep"]
    assert sum(r["action"] == "keep" for r in rows) == 2
    assert all(r["why"] for r in rows)


def test_json_report_has_the_summary_and_the_groups(db, capsys):
    assert main(["report", "--db", db, "--json", "--all-profiles"]) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["total"]["groups"] == 2
    assert document["summary"]["total"]["reclaimable"] > 0
    assert set(document["profiles"]) == {"default", "family", "travel", "event", "professional"}
    assert all(g["keep"] in g["members"] for g in document["groups"])


def test_all_profiles_leaves_the_stored_groups_alone(db, capsys):
    main(["groups", "--db", db, "--json"])
    before = json.loads(capsys.readouterr().out)
    main(["report", "--db", db, "--all-profiles"])
    capsys.readouterr()
    main(["groups", "--db", db])
    assert "unchanged since the last grouping" in capsys.readouterr().out
    main(["groups", "--db", db, "--json"])
    assert json.loads(capsys.readouterr().out)["groups"] == before["groups"]
