"""`photosift groups` as a person or a script uses it: the table and its summary, JSON in the
benchmark kit's format, tier filters, remembered reference folders, verdicts, bursts, exit
codes, and a reader that goes away early."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from core.library import Library
from core.runtime.scan import ScanOptions
from core.store import Catalog
from tests.images import exif_bytes, save, scene, scenes_with_copies
from tui.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main
from tui.cli.format import size

REPO = Path(__file__).resolve().parents[3]
T0 = datetime(2024, 5, 1, 12, 0, 0)
# burst frames by name -> sub-second of their capture time: capture order c, a, b
FRAMES = {"burst/IMG_a.jpg": "400", "burst/IMG_b.jpg": "700", "burst/IMG_c.jpg": "100"}
BURST = ["burst/IMG_a.jpg", "burst/IMG_b.jpg", "burst/IMG_c.jpg"]
SCENE_1 = ["copies/s1.jpg", "s1/mirror.jpg", "s1/orig.jpg", "s1/small.jpg"]
PAIR = ["pair/one.jpg", "pair/two.jpg"]
SCENE_2 = ["s2/mirror.jpg", "s2/orig.jpg", "s2/small.jpg"]


@pytest.fixture
def photos(tmp_path) -> Path:
    """Two scenes with a resized and a mirrored copy each (and an exact copy of the first), a
    byte-identical pair, a burst of three shifted frames, and an unrelated photo."""
    root = tmp_path / "photos"
    scenes_with_copies(root)
    save(scene(3, (320, 240)), root / "pair/one.jpg")
    shutil.copyfile(root / "pair/one.jpg", root / "pair/two.jpg")
    wide = scene(5, (352, 264))
    for step, (name, subsec) in enumerate(sorted(FRAMES.items(), key=lambda kv: kv[1])):
        frame = wide.crop((4 * step, 3 * step, 4 * step + 320, 3 * step + 240))
        exif = exif_bytes(taken=T0, subsec=subsec, make="Canon", model="EOS R6")
        save(frame, root / name, exif=exif)
    save(scene(9, (320, 240)), root / "other.jpg")
    return root


@pytest.fixture
def db(tmp_path, photos) -> str:
    """The catalog with ``photos`` scanned into it."""
    path = str(tmp_path / "catalog.sqlite3")
    with Library(path) as library:
        library.scan([str(photos)], ScanOptions(workers=1))
    return path


def groups(db: str, capsys, *options: str) -> dict:
    """`photosift groups --json` with ``options``: the parsed document."""
    assert main(["groups", "--db", db, "--json", *options]) == EXIT_OK
    return json.loads(capsys.readouterr().out)


def names(document: dict, root: Path) -> list[list[str]]:
    return [[str(Path(p).relative_to(root)) for p in g["members"]] for g in document["groups"]]


def group_id(document: dict, path: Path) -> int:
    (found,) = (g["id"] for g in document["groups"] if str(path) in g["members"])
    return found


def references(document: dict) -> set[str]:
    return {f["path"] for g in document["groups"] for f in g["files"] if f["reference"]}


# -- the table ----------------------------------------------------------------------------------


def test_table_has_a_header_a_row_per_group_and_a_summary(db, photos, capsys):
    assert main(["groups", "--db", db]) == EXIT_OK

    header, *rows, summary = capsys.readouterr().out.splitlines()
    with Catalog(db) as catalog:
        stored = catalog.load_groups()
    with Library(db) as library:
        judged = library.judge(stored)
    assert header.split() == ["id", "tier", "files", "size", "reclaimable", "AI", "decided", "keep"]
    assert len(rows) == len(stored) == 4
    for row, j in zip(rows, judged, strict=True):
        g = j.group
        assert row.split()[:3] == [str(g.id), g.tier.value, str(len(g.members))]
        assert g.keep in g.paths and row.endswith(g.keep)
    reclaimable = size(sum(j.recommendation.potential_savings for j in judged))
    assert summary.startswith(
        f"4 groups (1 exact, 2 near, 1 similar), 12 files, {reclaimable} reclaimable "
        "[profile default, similarity >= 0.85; computed]"
    )


def test_second_run_says_the_groups_are_unchanged(db, capsys):
    main(["groups", "--db", db])
    first = capsys.readouterr().out.splitlines()

    main(["groups", "--db", db])
    second = capsys.readouterr().out.splitlines()

    assert second[:-1] == first[:-1]
    assert second[-1].endswith("unchanged since the last grouping]")


def test_empty_catalog_has_no_groups(tmp_path, capsys):
    empty = tmp_path / "empty.sqlite3"
    Catalog(str(empty)).close()
    assert main(["groups", "--db", str(empty)]) == EXIT_OK

    assert capsys.readouterr().out == "No groups found.\n"


# -- JSON ---------------------------------------------------------------------------------------


def test_json_lists_each_group_with_its_files(db, photos, capsys):
    document = groups(db, capsys)

    assert names(document, photos) == [BURST, SCENE_1, PAIR, SCENE_2]
    assert [g["tier"] for g in document["groups"]] == ["similar", "near", "exact", "near"]
    assert len({g["id"] for g in document["groups"]}) == 4
    for g in document["groups"]:
        assert isinstance(g["id"], int)
        assert g["keep"] in g["members"]
        assert g["recommendation"].startswith("keep ")
        assert 0.85 <= g["similarity"] <= 1.0
        assert g["members"] == sorted(g["members"])
        assert [f["path"] for f in g["files"]] == g["members"]
        for f in g["files"]:
            assert f["relation"] in ("exact", "near", "similar")
            assert g["similarity"] <= f["similarity"] <= 1.0
            assert f["reference"] is False
    relations = {f["path"]: f["relation"] for g in document["groups"] for f in g["files"]}
    assert relations[str(photos / "pair/one.jpg")] == "exact"
    assert relations[str(photos / "s2/small.jpg")] == "near"
    assert relations[str(photos / "burst/IMG_b.jpg")] == "similar"


def test_json_has_the_structure_the_benchmark_scorer_reads(db, capsys):
    document = groups(db, capsys)

    assert isinstance(document["groups"], list) and isinstance(document["bursts"], list)
    assert document["bursts"]
    for entry in [*document["groups"], *document["bursts"]]:
        assert isinstance(entry["members"], list) and len(entry["members"]) >= 2
        assert all(isinstance(p, str) and os.path.isabs(p) for p in entry["members"])
        assert entry["keep"] in entry["members"]
    assert isinstance(document["ai_enhanced"], list)


def test_burst_frames_form_one_similar_group_listed_in_capture_order(db, photos, capsys):
    document = groups(db, capsys)

    (burst,) = document["bursts"]
    (similar,) = (g for g in document["groups"] if g["tier"] == "similar")
    capture_order = [
        str(photos / n) for n in ("burst/IMG_c.jpg", "burst/IMG_a.jpg", "burst/IMG_b.jpg")
    ]
    assert {k: burst[k] for k in ("group", "members")} == {
        "group": similar["id"],
        "members": capture_order,
    }
    assert burst["keep"] in capture_order
    assert sorted(similar["members"]) == sorted(capture_order)


def test_tier_option_shows_only_that_tier(db, photos, capsys):
    near = groups(db, capsys, "--tier", "near")
    exact = groups(db, capsys, "--tier", "exact")

    assert names(near, photos) == [SCENE_1, SCENE_2]
    assert names(exact, photos) == [PAIR]
    assert exact["bursts"] == []


def test_real_entry_point_writes_the_same_json(db, photos, capsys):
    expected = groups(db, capsys)

    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "groups", "--db", db, "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout) == expected


def test_reader_going_away_early_is_not_an_error(db):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -1` having finished before anything was written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli", "groups", "--db", db],
            cwd=REPO,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)

    assert done.returncode == EXIT_OK
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


# -- reference folders and verdicts -------------------------------------------------------------


def test_reference_folder_is_remembered_until_unreferenced(db, photos, capsys):
    marked = groups(db, capsys, "--reference", str(photos / "copies"))
    later = groups(db, capsys)
    assert main(["groups", "--db", db, "--unreference", str(photos / "copies")]) == EXIT_OK
    err = capsys.readouterr().err
    unmarked = groups(db, capsys)

    assert references(marked) == references(later) == {str(photos / "copies/s1.jpg")}
    assert "Reference folders: none" in err
    assert references(unmarked) == set()


def test_reference_option_reports_the_folders_in_force(db, photos, capsys):
    assert main(["groups", "--db", db, "--reference", str(photos / "pair")]) == EXIT_OK

    assert f"Reference folders: {photos / 'pair'}" in capsys.readouterr().err


def test_dismissed_group_is_confirmed_and_no_longer_listed(db, photos, capsys):
    scene_2 = group_id(groups(db, capsys), photos / "s2/orig.jpg")

    code = main(["groups", "--db", db, "--json", "--dismiss", str(scene_2)])
    captured = capsys.readouterr()

    assert code == EXIT_OK
    assert f"Group {scene_2}: remembered as not duplicates" in captured.err
    assert names(json.loads(captured.out), photos) == [BURST, SCENE_1, PAIR]


def test_not_duplicate_takes_one_file_out_of_its_group(db, photos, capsys):
    scene_1 = group_id(groups(db, capsys), photos / "s1/orig.jpg")
    mirror = photos / "s1/mirror.jpg"

    code = main(["groups", "--db", db, "--json", "--not-duplicate", str(scene_1), str(mirror)])
    captured = capsys.readouterr()

    assert code == EXIT_OK
    assert f"{mirror}: remembered as not a duplicate of group {scene_1}" in captured.err
    rest = [n for n in SCENE_1 if n != "s1/mirror.jpg"]
    assert names(json.loads(captured.out), photos) == [BURST, rest, PAIR, SCENE_2]


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [["--dismiss", "999"], ["--not-duplicate", "999", "x.jpg"]],
    ids=["dismiss", "not-duplicate"],
)
def test_unknown_group_id_is_an_error_with_exit_1(db, capsys, options):
    groups(db, capsys)

    assert main(["groups", "--db", db, *options]) == EXIT_ERROR

    captured = capsys.readouterr()
    assert "photosift: error: no group 999" in captured.err
    assert captured.out == ""


def test_group_id_that_is_not_a_number_is_a_usage_error(db, capsys):
    assert main(["groups", "--db", db, "--not-duplicate", "abc", "x.jpg"]) == EXIT_USAGE

    assert "'abc' is not a group id" in capsys.readouterr().err


def test_threshold_outside_0_to_1_is_an_error_with_exit_1(db, capsys):
    assert main(["groups", "--db", db, "--threshold", "1.5"]) == EXIT_ERROR

    assert "photosift: error: threshold must be between 0 and 1" in capsys.readouterr().err


def test_unknown_profile_is_a_clear_error(db, capsys):
    assert main(["groups", "--db", db, "--profile", "nonsense"]) == 1
    assert "unknown profile 'nonsense'" in capsys.readouterr().err


def test_groups_without_a_catalog_says_to_scan_first(tmp_path, capsys):
    missing = tmp_path / "nowhere.sqlite3"
    assert main(["groups", "--db", str(missing)]) == 1
    assert "run 'photosift scan FOLDER' first" in capsys.readouterr().err
    assert not missing.exists()


# -- names, roles and what-ifs ----------------------------------------------------------------


def test_a_non_utf8_name_round_trips_from_json_to_the_file(tmp_path, capsys):
    root = tmp_path / "photos"
    original = save(scene(1, (320, 240)), root / "orig.jpg")
    raw = os.path.join(os.fsencode(root), b"copie-\xe9t\xe9.jpg")
    shutil.copyfile(original, raw)
    db = str(tmp_path / "catalog.sqlite3")
    main(["scan", str(root), "--db", db])
    capsys.readouterr()

    (group,) = groups(db, capsys)["groups"]

    (entry,) = (f for f in group["files"] if "path_bytes" in f)
    assert entry["path"].endswith("copie-\\xe9t\\xe9.jpg")
    assert base64.b64decode(entry["path_bytes"]) == raw
    with open(base64.b64decode(entry["path_bytes"]), "rb") as fh:
        assert fh.read() == original.read_bytes()


def test_names_with_terminal_escapes_are_escaped_in_the_table(tmp_path, capsys):
    root = tmp_path / "photos"
    original = save(scene(1, (320, 240)), root / "a.jpg")
    shutil.copyfile(original, root / "\x1b[2J\x1b]0;title\x07.jpg")
    db = str(tmp_path / "catalog.sqlite3")
    main(["scan", str(root), "--db", db])
    capsys.readouterr()

    main(["groups", "--db", db, "-v"])

    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J\\x1b]0;title\\x07.jpg" in out


def test_show_lists_every_member_with_its_role_and_why(db, photos, capsys):
    document = groups(db, capsys)
    scene_1 = group_id(document, photos / "s1/orig.jpg")

    assert main(["groups", "--db", db, "--show", str(scene_1)]) == EXIT_OK

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"Group {scene_1}: near, 4 files")
    roles = {line.split()[0] for line in lines[2:-1] if not line.startswith("    ")}
    assert {"keep", "copy", "lower"} <= roles


def test_a_deleted_keep_is_marked_missing_and_another_file_is_kept(db, photos, capsys):
    before = groups(db, capsys)
    scene_2 = next(g for g in before["groups"] if str(photos / "s2/orig.jpg") in g["members"])
    os.remove(scene_2["keep"])

    after = groups(db, capsys)

    again = next(g for g in after["groups"] if g["id"] == scene_2["id"])
    states = {f["path"]: (f["state"], f["role"]) for f in again["files"]}
    assert states[scene_2["keep"]] == ("missing", "missing")
    assert again["keep"] not in (None, scene_2["keep"])
    assert scene_2["keep"] not in again["duplicates"] + again["lower_quality"]


def test_a_what_if_threshold_keeps_the_stored_groups_and_their_ids(db, capsys):
    stored = groups(db, capsys)

    what_if = groups(db, capsys, "--threshold", "0.99")
    after = groups(db, capsys)

    assert what_if["stored"] is False and "what-if" in what_if["note"]
    assert after["stored"] is True
    assert [(g["id"], g["members"]) for g in after["groups"]] == [
        (g["id"], g["members"]) for g in stored["groups"]
    ]
    main(["groups", "--db", db])
    assert "unchanged since the last grouping" in capsys.readouterr().out


def test_undismiss_takes_a_dismissal_back(db, photos, capsys):
    document = groups(db, capsys)
    scene_2 = group_id(document, photos / "s2/orig.jpg")
    main(["groups", "--db", db, "--dismiss", str(scene_2)])
    capsys.readouterr()

    assert main(["groups", "--db", db, "--json", "--undismiss", str(scene_2)]) == EXIT_OK

    captured = capsys.readouterr()
    assert f"Group {scene_2}: verdicts taken back" in captured.err
    assert names(json.loads(captured.out), photos) == names(document, photos)
