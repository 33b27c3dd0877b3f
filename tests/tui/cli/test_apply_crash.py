"""Fault injection: `photosift apply` is SIGKILLed at random instants, again and again, on the
same file system and across file systems, and resumed after each kill. After every kill every
file is at its source, at its target, or both (never neither); when the batch is finished each
is in exactly one place with no temporary file left; and undo restores the tree byte for byte,
with its mtimes."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from core.library import Library
from tests.images import resized, save, scene
from tui.cli import EXIT_OK, main

KILLS = 52
SCENES = 40  # six files each; five of them are marked backup: a 200-file plan


def _tree(root: Path) -> dict[str, tuple[str, int]]:
    """relative path -> (content hash, mtime_ns) of every file, temporary ones included."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
            out[str(path.relative_to(root))] = (digest, path.stat().st_mtime_ns)
    return out


def _contents(*roots: Path) -> Counter[str]:
    """How many real files (not temporary, not logs) hold each content, under ``roots``."""
    found: Counter[str] = Counter()
    for root in roots:
        if not root.exists():
            continue
        for rel, (digest, _) in _tree(root).items():
            name = os.path.basename(rel)
            if ".photosift-tmp" not in name and not name.startswith("photosift-log-"):
                found[digest] += 1
    return found


def _temporaries(*roots: Path) -> list[str]:
    return [
        rel for root in roots if root.exists() for rel in _tree(root) if ".photosift-tmp" in rel
    ]


def _make_photos(root: Path) -> None:
    for seed in range(SCENES):
        original = scene(1000 + seed, (200, 150))
        folder = root / f"trip{seed % 4}" / f"day{seed}"
        save(original, folder / "IMG_0001.JPG", quality=92)
        save(resized(original, 0.8), folder / "small.jpg", quality=85)
        save(original, folder / "resaved.jpg", quality=70)
        for n in range(3):  # byte-identical copies, same name in different folders
            copy = root / f"copies{n}" / f"day{seed}" / "IMG_0001.JPG"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / "IMG_0001.JPG", copy)


def _second_filesystem(tmp_path: Path) -> Path | None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        return None
    if os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        return None
    return shm / f"photosift-test-{uuid.uuid4().hex}"


def _photosift(*args: str, db: Path) -> subprocess.Popen:
    env = {**os.environ, "PHOTOSIFT_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[3],
    )


def _startup(db: Path) -> float:
    """Seconds a command takes to start: kills are spread from then on, a few tenths of a
    second apart, so that each run gets a little further into the batch before it dies."""
    started = time.monotonic()
    assert _photosift("apply", "--resume", "--yes", db=db).wait() == EXIT_OK
    return time.monotonic() - started


def _apply_until_done(db, backup, photos, want, rng, kills, startup, caught):
    """Start a batch, SIGKILL it at random instants and resume it until it finishes. A kill
    that found the batch no further than the one before waits a little longer next time
    (a loaded machine starts slower), so that every run gets a little further."""
    args = ["apply", "--backup", str(backup), "--yes"]
    extra, done_before = 0.0, -1
    while True:
        proc = _photosift(*args, db=db)
        time.sleep(rng.uniform(0.7 * startup, startup + 0.25) + extra)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills.append(backup)
            found = _contents(photos, backup)
            lost = [c for c, n in want.items() if found[c] < n]
            assert not lost, f"after kill {len(kills)}: {len(lost)} contents lost"
            with Library(str(db)) as library:  # killed before the batch was journaled: start again
                unfinished = library.unfinished()
                states = [op.state.value for b in unfinished for op in library.operations(b.id)]
            caught.update(states)
            done = states.count("done")
            extra = extra + 0.05 if done <= done_before else max(0.0, extra - 0.05)
            done_before = done
            args = ["apply", "--resume", "--yes"] if unfinished else args
            continue
        assert proc.returncode == EXIT_OK, f"apply exited {proc.returncode}"
        return


def test_apply_survives_sigkill_at_any_instant_and_undo_restores_the_tree(tmp_path):
    photos, db = tmp_path / "photos", tmp_path / "catalog.sqlite3"
    _make_photos(photos)
    before = _tree(photos)
    want = _contents(photos)
    other = _second_filesystem(tmp_path)
    destinations = [tmp_path / "backup"] + ([other] if other else [])
    assert main(["scan", str(photos), "--db", str(db)]) == EXIT_OK
    assert main(["accept", "--all", "--db", str(db)]) == EXIT_OK
    rng = random.Random(8)
    startup = _startup(db)
    caught: set[str] = set()  # states operations were caught in by a kill
    kills: list[Path] = []
    rounds = 0
    try:

        def fewest() -> int:
            return min(sum(1 for k in kills if k == d) for d in destinations)

        while fewest() < KILLS // len(destinations) or rounds < 2:
            backup = destinations[rounds % len(destinations)]
            _apply_until_done(db, backup, photos, want, rng, kills, startup, caught)
            rounds += 1
            moved = _tree(backup)
            assert len([r for r in moved if not r.startswith("photosift-log-")]) >= 200
            assert _contents(photos, backup) == want  # each file in exactly one place
            assert not _temporaries(photos, backup)
            assert main(["undo", "--last", "--yes", "--db", str(db)]) == EXIT_OK
            assert _tree(photos) == before  # byte for byte, with mtimes
            assert not [r for r in _tree(backup) if not r.startswith("photosift-log-")]
        print(f"{len(kills)} kills in {rounds} rounds, startup {startup:.2f} s, caught {caught}")
        per_fs = Counter(str(k) for k in kills)
        assert len(kills) >= 50
        assert all(per_fs[str(d)] >= KILLS // len(destinations) for d in destinations), per_fs
        # kills landed in the middle of operations, not only between them
        assert "moving" in caught, caught
        if other:
            assert {"copying", "copied"} & caught, caught
    finally:
        if other is not None:
            shutil.rmtree(other, ignore_errors=True)
