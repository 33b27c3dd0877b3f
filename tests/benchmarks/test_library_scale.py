"""photosift on a whole library, as a person runs it: ``photosift scan`` and then
``photosift groups`` as separate processes, timed end to end (catalog, thumbnails,
verification and clustering included), each with its own peak memory.

The library is built in a temporary folder from ``PHOTOSIFT_BENCH_LIBRARY``, a folder made by
the benchmark kit's ``make_scale.py`` (``--small`` for small photos): every photo of it, plus
derived copies of some of them, the kinds a real library holds: every 10th photo re-saved at
JPEG quality 70, and every 20th cut to an overlapping crop (80% of each side, off centre)
re-saved at 85. With ``PHOTOSIFT_BENCH_NEW``, another such folder, its photos are then added
to the library (at most ``PHOTOSIFT_BENCH_NEW_COUNT``, default 100), scanned, and the
library grouped again: what one more scan costs. A second benchmark needs no input: 400
shots of one scene, drawn here, scanned and grouped the same way (one family in which every
pair is a candidate).

It prints, per step, seconds, peak RSS (MiB) and, for grouping, the candidate pairs and the
pairs verified per second (from ``groups --debug``), then grouping time over scan time and
the new-photos regroup over the full one. It measures; it asserts only that every step ran
and that the groups hold the copies it made. Run with::

    PHOTOSIFT_BENCH_LIBRARY=/path/to/photos python -m pytest -m benchmark \\
        tests/benchmarks/test_library_scale.py -s
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

LIBRARY_ENV = "PHOTOSIFT_BENCH_LIBRARY"
NEW_ENV = "PHOTOSIFT_BENCH_NEW"
NEW_COUNT_ENV = "PHOTOSIFT_BENCH_NEW_COUNT"
_VERIFIED = re.compile(r"(\d+) representatives, (\d+) candidate pairs, (\d+) verified in")


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    seconds: float
    peak_mib: float
    stderr: str
    stdout: str


def run(name: str, *args: str) -> Step:
    """One photosift command in its own process: wall time and its own peak RSS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "tui.cli", *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    assert proc.returncode == 0, stderr[-2000:]
    return Step(name, seconds, usage.ru_maxrss / 1024, stderr, stdout)


def photos_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))


def build_library(source: Path, out: Path) -> tuple[int, int]:
    """``out`` holds every photo of ``source`` (hard links where possible) and the copies;
    returns (photos, copies)."""
    photos = photos_of(source)
    copies = 0
    for i, path in enumerate(photos):
        target = out / "photos" / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            target.write_bytes(path.read_bytes())
        if i % 10 == 0:
            with Image.open(path) as im:
                saved = out / "copies" / "resaved" / f"{path.stem}_q70.jpg"
                saved.parent.mkdir(parents=True, exist_ok=True)
                im.convert("RGB").save(saved, quality=70)
                copies += 1
                if i % 20 == 0:
                    w, h = im.size
                    box = (w // 8, h // 20, w // 8 + int(w * 0.8), h // 20 + int(h * 0.8))
                    cut = out / "copies" / "crops" / f"{path.stem}_crop.jpg"
                    cut.parent.mkdir(parents=True, exist_ok=True)
                    im.convert("RGB").crop(box).save(cut, quality=85)
                    copies += 1
    return len(photos), copies


def verified(step: Step) -> tuple[int, int, int] | None:
    found = _VERIFIED.search(step.stderr)
    return tuple(int(g) for g in found.groups()) if found else None  # type: ignore[return-value]


@pytest.mark.benchmark
def test_library_scan_and_group_as_whole_processes(tmp_path: Path) -> None:
    source = os.environ.get(LIBRARY_ENV)
    if not source:
        pytest.skip(f"set {LIBRARY_ENV} to a folder made by make_scale.py")
    library = tmp_path / "library"
    db = str(tmp_path / "catalog.sqlite3")
    photos, copies = build_library(Path(source), library)
    print(f"\n{photos} photos and {copies} copies, {os.cpu_count()} cores")

    steps = [run("scan", "scan", str(library), "--db", db)]
    steps.append(run("groups", "groups", "--debug", "--db", db))
    extra = os.environ.get(NEW_ENV)
    if extra:
        count = int(os.environ.get(NEW_COUNT_ENV, "100"))
        for path in photos_of(Path(extra))[:count]:
            target = library / "new" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
        steps.append(run(f"scan +{count}", "scan", str(library), "--db", db))
        steps.append(run(f"groups +{count}", "groups", "--debug", "--db", db))

    print(f"{'step':<14}{'seconds':>9}{'peak MiB':>10}  grouping")
    for step in steps:
        found = verified(step)
        said = ""
        if found:
            reps, candidates, pairs = found
            said = f"{reps} photos, {candidates} candidate pairs, {pairs} verified"
        print(f"{step.name:<14}{step.seconds:>9.1f}{step.peak_mib:>10.0f}  {said}")
    print(f"groups / scan: {steps[1].seconds / steps[0].seconds:.2f}")
    if extra:
        print(
            f"regroup after new photos / full grouping: {steps[3].seconds / steps[1].seconds:.2f}"
        )

    result = run("groups --json", "groups", "--json", "--db", db)
    groups = json.loads(result.stdout)["groups"]
    grouped = {Path(m).name for g in groups for m in g["members"]}
    made = {p.name for p in (library / "copies").rglob("*.jpg")}
    print(f"copies grouped: {len(made & grouped)} of {len(made)}")
    assert made & grouped


def shots_of_one_scene(out: Path, count: int, seed: int = 5) -> None:
    """``count`` shots of one drawn scene, each framed a few pixels off (up to 40) and with
    its own noise, 800x600 JPEGs: a family of near-identical photos in which every pair is
    a candidate."""
    import numpy as np
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    scene = Image.new("RGB", (840, 640), (120, 160, 200))
    draw = ImageDraw.Draw(scene)
    for _ in range(60):
        x, y, r = int(rng.integers(0, 840)), int(rng.integers(0, 640)), int(rng.integers(10, 90))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    pixels = np.asarray(scene, np.float32)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        dx, dy = (int(v) for v in rng.integers(0, 41, 2))
        shot = pixels[dy : dy + 600, dx : dx + 800] + rng.normal(0, 6, (600, 800, 3))
        image = Image.fromarray(np.clip(shot, 0, 255).astype(np.uint8))
        image.save(out / f"shot_{i:03d}.jpg", quality=90)


@pytest.mark.benchmark
def test_shots_of_one_scene_group_as_one_family_in_about_their_scan_time(tmp_path: Path) -> None:
    """400 near-identical shots (79,800 candidate pairs): grouping must cost about linear,
    a member joining through its links to the anchor, not pair by pair."""
    count = 400
    shots_of_one_scene(tmp_path / "shots", count)
    db = str(tmp_path / "catalog.sqlite3")
    scan = run("scan", "scan", str(tmp_path / "shots"), "--db", db)
    groups = run("groups", "groups", "--debug", "--db", db)
    found = verified(groups)
    print(f"\n{count} shots: scan {scan.seconds:.1f} s, groups {groups.seconds:.1f} s", found)
    print(f"groups / scan: {groups.seconds / scan.seconds:.2f}")
    result = json.loads(run("groups --json", "groups", "--json", "--db", db).stdout)["groups"]
    assert [len(g["members"]) for g in result] == [count]
