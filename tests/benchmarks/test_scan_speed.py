"""Scan throughput of photosift against two references, on camera-size JPEGs.

Over the same files (every JPEG of the folder, sorted by name; at least 200), in one process,
after reading every file once so that all runs see a warm page cache, it times:

* photosift, one worker: ``core.scan.scan`` into a fresh catalog (discovery and catalog writes
  included), then the same with one worker per core into another fresh catalog;
* the bare reduced decode: Pillow ``open`` + ``draft("RGB", (w // 8, h // 8))`` + ``load()``,
  the 1/8 DCT-scaled decode that is the floor of any analysis built on it;
* imagehash: one ``PIL.Image.open`` per file, then ``phash``, ``dhash`` and ``average_hash``
  on that image (what a plain imagehash script does);
* photosift, one worker, with the quality metrics replaced by a constant: the scan as it was
  before them, to show what they cost (limit: 1.25x the time per photo);
* photosift, one worker, with the picture's box taken to be the whole photo: the scan as it
  was before it looked for borders and screenshots (limit: 1.3x the time per photo).

photosift runs first so that the process's peak memory after it is photosift's own. It prints
images/s for each, the ratios photosift-single / imagehash (target >= 5) and photosift-single /
bare decode (target >= 0.8), the all-cores speedup, and peak memory in MiB: ``ru_maxrss`` of
this process and of its children (``RUSAGE_CHILDREN``), plus, on Linux, each pool worker's own
peak (``VmHWM``, sampled while the pool runs). ``RUSAGE_CHILDREN`` alone misleads on Linux: a
spawned worker is forked before it execs, so its ``ru_maxrss`` is at least the parent's size
at that moment. It asserts both ratio targets and that the catalogs hold every file with its
hashes.

Input: ``PHOTOSIFT_BENCH_PHOTOS``, a folder made by the benchmark kit's ``make_scale.py``
(camera-size JPEGs and nothing else that photosift would scan). Run with::

    PHOTOSIFT_BENCH_PHOTOS=/path/to/photos python -m pytest -m benchmark \\
        tests/benchmarks/test_scan_speed.py -s

imagehash is the optional ``bench`` extra (``pip install -e .[bench]``); without it the test
skips.
"""

from __future__ import annotations

import glob
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from core.analysis.content import WHOLE
from core.media.discover import discover, resolve_roots
from core.models import Quality
from core.runtime.scan import ScanOptions, scan
from core.store import Catalog

PHOTOS_ENV = "PHOTOSIFT_BENCH_PHOTOS"
MIN_FILES = 200
JPEG_SUFFIXES = (".jpg", ".jpeg")
TARGET_VS_IMAGEHASH = 5.0
TARGET_VS_BARE_DECODE = 0.8
QUALITY_COST_LIMIT = 1.25  # per-photo time with quality metrics / without
PICTURE_COST_LIMIT = 1.3  # per-photo time with the picture's box found / without
_READ_CHUNK = 1 << 20
_SAMPLE_SECONDS = 0.05

IMAGEHASH = "imagehash"
NO_QUALITY = "photosift 1 w/o quality"
NO_PICTURE = "photosift 1 w/o box"
BARE = "bare 1/8 decode"
SINGLE = "photosift 1 worker"


@dataclass(frozen=True, slots=True)
class Timing:
    """How long one contender took over ``count`` images."""

    name: str
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        """Images per second."""
        return self.count / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class MemoryNote:
    """Peak RSS in MiB after one stage: this process, its children, each pool worker."""

    stage: str
    own: float
    children: float
    workers: tuple[float, ...] = ()


@dataclass(slots=True)
class WorkerPeaks:
    """Peak RSS (MiB) of each child process seen while sampling, by pid."""

    by_pid: dict[int, float] = field(default_factory=dict)

    def sample(self) -> None:
        for pid in child_pids():
            peak = vm_hwm_mib(pid)
            if peak is not None:
                self.by_pid[pid] = max(peak, self.by_pid.get(pid, 0.0))


# -- input ---------------------------------------------------------------------------------


def photo_folder() -> Path:
    """The input folder from the environment, or a skip saying how to provide it."""
    value = os.environ.get(PHOTOS_ENV)
    if not value:
        pytest.skip(f"set {PHOTOS_ENV} to a folder of camera-size JPEGs (make_scale.py output)")
    folder = Path(value)
    if not folder.is_dir():
        pytest.skip(f"{PHOTOS_ENV}={value} is not a folder")
    return folder


def jpeg_files(folder: Path) -> list[Path]:
    """Every JPEG directly in ``folder``, sorted by name; skips if there are too few."""
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in JPEG_SUFFIXES),
        key=lambda p: p.name,
    )
    if len(files) < MIN_FILES:
        pytest.skip(f"{PHOTOS_ENV} holds {len(files)} JPEGs; at least {MIN_FILES} are needed")
    return files


def require_same_files(folder: Path, files: Sequence[Path]) -> None:
    """Skip unless photosift's discovery sees exactly ``files``: the runs must compare alike."""
    found = discover(resolve_roots([str(folder)])).candidates
    expected = sorted(os.path.realpath(p) for p in files)
    if [c.path for c in found] != expected:
        pytest.skip(
            f"photosift finds {len(found)} files under {folder}, not just its {len(files)} "
            "JPEGs; use a folder that holds only the JPEGs"
        )


def warm_page_cache(files: Sequence[Path]) -> int:
    """Read every file once; returns the bytes read."""
    total = 0
    for path in files:
        with open(path, "rb") as fh:
            while chunk := fh.read(_READ_CHUNK):
                total += len(chunk)
    return total


# -- contenders ----------------------------------------------------------------------------


def time_each(name: str, files: Sequence[Path], work: Callable[[Path], object]) -> Timing:
    started = time.perf_counter()
    for path in files:
        work(path)
    return Timing(name, len(files), time.perf_counter() - started)


def imagehash_three(path: Path) -> tuple[object, object, object]:
    """Reference 1: what an imagehash user writes (one open, three hashes)."""
    import imagehash

    with Image.open(path) as im:
        return imagehash.phash(im), imagehash.dhash(im), imagehash.average_hash(im)


def bare_reduced_decode(path: Path) -> tuple[int, int]:
    """Reference 2: the 1/8 DCT-scaled decode alone."""
    with Image.open(path) as im:
        im.draft("RGB", (im.width // 8, im.height // 8))
        im.load()
        return im.size


def photosift_scan(
    name: str, folder: Path, db_path: Path, workers: int | None, files: Sequence[Path]
) -> Timing:
    """Scan ``folder`` into a fresh catalog at ``db_path`` and check that it holds ``files``."""
    with Catalog(str(db_path)) as catalog:
        started = time.perf_counter()
        summary = scan(catalog, [str(folder)], ScanOptions(workers=workers))
        seconds = time.perf_counter() - started
        assert_catalogued(catalog, files)
    assert summary.analysed == len(files), summary
    assert not summary.interrupted and not summary.problems, summary
    return Timing(name, summary.analysed, seconds)


def assert_catalogued(catalog: Catalog, files: Sequence[Path]) -> None:
    """Every file is in the catalog, analysed without error, with all three hashes."""
    photos = {p.path: p for p in catalog.photos()}
    problems = catalog.photos(errors=True)
    assert not problems, [(p.path, p.error) for p in problems[:5]]
    missing = [str(p) for p in files if os.path.realpath(p) not in photos]
    assert not missing, f"{len(missing)} files not catalogued, e.g. {missing[:3]}"
    unhashed = [path for path, photo in photos.items() if photo.hashes is None]
    assert not unhashed, f"{len(unhashed)} files without hashes, e.g. {unhashed[:3]}"


# -- memory --------------------------------------------------------------------------------


def peak_rss_mib(who: int) -> float:
    """Peak resident set size of this process (RUSAGE_SELF) or of its waited-for children."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def child_pids() -> set[int]:
    """This process's live children (Linux /proc; empty elsewhere)."""
    pids: set[int] = set()
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        try:
            pids.update(int(pid) for pid in Path(path).read_text().split())
        except OSError:
            continue
    return pids


def vm_hwm_mib(pid: int) -> float | None:
    """A process's own peak RSS (``VmHWM``) in MiB, or None if it is gone or unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@contextmanager
def watching_workers() -> Iterator[WorkerPeaks]:
    """Sample the children's peak RSS in a thread while the block runs."""
    peaks = WorkerPeaks()
    done = threading.Event()

    def loop() -> None:
        while not done.wait(_SAMPLE_SECONDS):
            peaks.sample()

    sampler = threading.Thread(target=loop, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        done.set()
        sampler.join()


def memory_note(stage: str, workers: WorkerPeaks | None = None) -> MemoryNote:
    return MemoryNote(
        stage,
        peak_rss_mib(resource.RUSAGE_SELF),
        peak_rss_mib(resource.RUSAGE_CHILDREN),
        tuple(sorted(workers.by_pid.values())) if workers else (),
    )


# -- report --------------------------------------------------------------------------------


def print_report(timings: Sequence[Timing], memory: Sequence[MemoryNote]) -> None:
    by_name = {t.name: t for t in timings}
    single = by_name[SINGLE].rate
    pooled = timings[1]
    print()
    print(f"{'contender':<24}{'images':>8}{'seconds':>10}{'images/s':>10}")
    for t in timings:
        print(f"{t.name:<24}{t.count:>8}{t.seconds:>10.2f}{t.rate:>10.1f}")
    print()
    print(f"{SINGLE + ' / ' + IMAGEHASH:<38}{single / by_name[IMAGEHASH].rate:6.2f}", end="")
    print(f"  (target >= {TARGET_VS_IMAGEHASH})")
    print(f"{SINGLE + ' / ' + BARE:<38}{single / by_name[BARE].rate:6.2f}", end="")
    print(f"  (target >= {TARGET_VS_BARE_DECODE})")
    print(f"{pooled.name + ' / 1 worker':<38}{pooled.rate / single:6.2f}")
    cost = by_name[NO_QUALITY].rate / single
    print(f"{'time with / without quality metrics':<38}{cost:6.2f}", end="")
    print(f"  (limit <= {QUALITY_COST_LIMIT})")
    cost = by_name[NO_PICTURE].rate / single
    print(f"{'time with / without the picture box':<38}{cost:6.2f}", end="")
    print(f"  (limit <= {PICTURE_COST_LIMIT})")
    print()
    print(f"{'peak RSS (MiB) after':<24}{'self':>8}{'children':>10}  each child's own (VmHWM)")
    for note in memory:
        workers = " ".join(f"{peak:.1f}" for peak in note.workers) or "-"
        print(f"{note.stage:<24}{note.own:>8.1f}{note.children:>10.1f}  {workers}")
    print("children: RUSAGE_CHILDREN, on Linux at least the parent's size when a worker forked;")
    print("each child's own: the pool workers and multiprocessing's resource tracker")


_NO_METRICS = Quality(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


# -- the benchmark -------------------------------------------------------------------------


@pytest.mark.benchmark
def test_scan_speed_against_imagehash_and_bare_decode(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("imagehash", reason="imagehash is the optional 'bench' extra")
    folder = photo_folder()
    files = jpeg_files(folder)
    require_same_files(folder, files)
    warmed = warm_page_cache(files)
    workers = ScanOptions(workers=None).worker_count
    print(f"\n{len(files)} JPEGs, {warmed / 2**20:.0f} MiB, page cache warmed, {workers} cores")

    memory = [memory_note("start")]
    timings = [photosift_scan(SINGLE, folder, tmp_path / "single.db", 1, files)]
    memory.append(memory_note(SINGLE))
    pooled_name = f"photosift {workers} workers"
    with watching_workers() as peaks:
        timings.append(photosift_scan(pooled_name, folder, tmp_path / "pooled.db", None, files))
    memory.append(memory_note(pooled_name, peaks))
    timings.append(time_each(BARE, files, bare_reduced_decode))
    memory.append(memory_note(BARE))
    timings.append(time_each(IMAGEHASH, files, imagehash_three))
    memory.append(memory_note(IMAGEHASH))
    with monkeypatch.context() as patch:  # the scan as it was before quality metrics
        patch.setattr("core.analysis.quality.measure", lambda *args, **kwargs: _NO_METRICS)
        timings.append(photosift_scan(NO_QUALITY, folder, tmp_path / "bare.db", 1, files))
    with monkeypatch.context() as patch:  # the scan as it was before it found picture boxes
        patch.setattr("core.analysis.content.picture_box", lambda *args, **kwargs: (WHOLE, False))
        timings.append(photosift_scan(NO_PICTURE, folder, tmp_path / "whole.db", 1, files))
    print_report(timings, memory)

    by_name = {t.name: t for t in timings}
    assert by_name[SINGLE].rate / by_name[IMAGEHASH].rate >= TARGET_VS_IMAGEHASH
    assert by_name[SINGLE].rate / by_name[BARE].rate >= TARGET_VS_BARE_DECODE
    assert by_name[NO_QUALITY].rate / by_name[SINGLE].rate <= QUALITY_COST_LIMIT
    assert by_name[NO_PICTURE].rate / by_name[SINGLE].rate <= PICTURE_COST_LIMIT
