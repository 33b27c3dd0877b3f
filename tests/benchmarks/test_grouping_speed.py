"""Grouping speed, recall and memory on synthetic 64-bit hashes with planted near-duplicates.

Synthetic records (no input files), for ``n`` records and a seed (``SEED + n``), from one
``numpy.random.default_rng``:

* every record gets a uniformly random uint64 hash;
* ``n // 10`` records (``PLANTED_SHARE``) are turned into *copies*: planted groups are a base
  and 1 to 5 copies (uniform; the last group is cut short so that the copies add up exactly),
  so groups hold 2 to 6 records; bases and copies are distinct records picked by a random
  permutation, so they are scattered over the ids;
* a copy's hash is its base's hash with ``d`` distinct random bits flipped, ``d`` uniform in
  ``0..RADIUS`` (0..10), so every planted pair (base, copy) is at most 10 bits apart. Two copies
  of one base may be up to 20 apart: they are *siblings*, not planted pairs.

*Grouping* is ``hashindex.near_pairs(hashes, radius=10)`` (default recall 0.99 at the radius),
then ``clustering.cluster`` over those pairs, closest first, where a pair is linked when its
hashes are within 10 bits: each family splits around its anchor, bounding its diameter.
Each size runs in a fresh subprocess (``python -m tests.benchmarks.test_grouping_speed``),
pinned to one CPU with ``OMP/OPENBLAS/MKL_NUM_THREADS=1`` (nothing here calls BLAS; the
printed CPU/wall ratio shows the run used one core), so that ``ru_maxrss`` is that run's own
peak. Per size it reports: seconds for the candidate search (``near_pairs`` up to its last
table), the merge (unique codes and expansion to record pairs) and the clustering; records/s;
peak RSS and its growth over the RSS before grouping, per record; the share of planted pairs
found by ``near_pairs`` and the share that end in one cluster, overall and by distance; pairs
and clusters that mix records of different planted groups or random records, next to the
number of random pairs within 10 bits to expect by chance (random hashes are ~32 bits apart,
but at 1M records a few thousand pairs fall within 10 by chance). Then the fitted exponent of
time against ``n``, and a reference: numpy blockwise brute force (XOR + ``np.bitwise_count``
over the upper triangle in blocks of rows) on 10k and 20k records, extrapolated quadratically
to 100k and 1M, which also checks that ``near_pairs`` finds the brute-force pairs.

Sizes 10k, 30k, 100k, 300k by default; 1M only with ``PHOTOSIFT_BENCH_MILLION=1`` (minutes).
Asserts at 100k: grouping <= 10 s and >= 99% of planted pairs grouped; at 1M: <= 180 s and
>= 99%. Run with::

    python -m pytest -m benchmark tests/benchmarks/test_grouping_speed.py -s
    PHOTOSIFT_BENCH_MILLION=1 python -m pytest -m benchmark \\
        tests/benchmarks/test_grouping_speed.py -s
"""

from __future__ import annotations

import itertools
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pytest

from core.analysis.hashing import hamming
from core.matching import clustering, hashindex

MILLION_ENV = "PHOTOSIFT_BENCH_MILLION"
RADIUS = 10
PLANTED_SHARE = 0.10
COPIES_PER_BASE = (1, 5)  # groups of 2 to 6 records
SEED = 20261124
SIZES = (10_000, 30_000, 100_000, 300_000)
MILLION = 1_000_000
BRUTE_SIZES = (10_000, 20_000)
BRUTE_TILE = (128, 8192)  # rows x columns: fastest of a few tried on a 2-core EPYC
REPEATS = 3  # timings are medians of this many runs (one at 1M)
TARGETS = {100_000: 10.0, MILLION: 180.0}  # seconds
RECALL_TARGET = 0.99
ROOT = Path(__file__).resolve().parents[2]
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True, slots=True)
class Planted:
    """Synthetic records: ``hashes``, and each copy with its base and flipped bit count."""

    hashes: np.ndarray
    base: np.ndarray
    copy: np.ndarray
    distance: np.ndarray
    group: np.ndarray  # planted group of each record, -1 for records outside every group


@dataclass(frozen=True, slots=True)
class Result:
    """One size's grouping: timings (medians), memory, recall and false groupings."""

    n: int
    planted: int
    pairs: int
    clusters: int
    search: float
    merge: float
    clustering: float
    cpu_share: float  # CPU seconds per wall second while grouping
    rss_before: float  # MiB, resident before grouping
    rss_peak: float  # MiB, ru_maxrss after grouping
    by_distance: list[list[int]]  # [planted, found by near_pairs, same cluster] per d
    foreign_pairs: int  # pairs not inside one planted group
    mixed_clusters: int  # clusters with records of two groups or random records
    chance_pairs: float  # random pairs within RADIUS to expect
    far_pairs: int  # pairs reported beyond RADIUS (must be 0)

    @property
    def total(self) -> float:
        return self.search + self.merge + self.clustering

    def recall(self, column: int) -> float:
        """Share of planted pairs found (column 1) or grouped (column 2)."""
        return sum(row[column] for row in self.by_distance) / max(1, self.planted)


@dataclass(frozen=True, slots=True)
class Brute:
    """Blockwise brute force on ``n`` records, and how many of its pairs near_pairs found."""

    n: int
    seconds: float
    pairs: int
    found: int


# -- synthetic records -----------------------------------------------------------------------


def make_records(n: int, seed: int) -> Planted:
    """The recipe of the module docstring."""
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    copies = int(n * PLANTED_SHARE)
    low, high = COPIES_PER_BASE
    per_base = rng.integers(low, high, size=copies, endpoint=True)
    bases = int(np.searchsorted(np.cumsum(per_base), copies)) + 1
    per_base = per_base[:bases]
    per_base[-1] -= per_base.sum() - copies
    ids = rng.permutation(n)
    base_ids, copy_ids = ids[:bases], ids[bases : bases + copies]
    base = np.repeat(base_ids, per_base)
    distance = rng.integers(0, RADIUS, size=copies, endpoint=True)
    hashes[copy_ids] = hashes[base] ^ flip_masks(rng, distance)
    group = np.full(n, -1, np.int64)
    group[base_ids] = np.arange(bases)
    group[copy_ids] = np.repeat(np.arange(bases), per_base)
    return Planted(hashes, base, copy_ids, distance, group)


def flip_masks(rng: np.random.Generator, bits: np.ndarray) -> np.ndarray:
    """For each entry, a uint64 with ``bits[i]`` distinct random bits set: add random bits
    until each mask has enough (a uniform subset; needs no n x 64 temporary)."""
    masks = np.zeros(len(bits), np.uint64)
    while len(short := np.flatnonzero(np.bitwise_count(masks) < bits)):
        positions = rng.integers(0, 64, size=len(short), dtype=np.uint64)
        masks[short] |= np.uint64(1) << positions
    return masks


# -- one size, in a fresh process ------------------------------------------------------------


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def rss_mib() -> float:
    """This process's resident size now (Linux ``/proc/self/statm``), else its peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mib()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def group(hashes: np.ndarray) -> tuple[hashindex.Pairs, list[clustering.Cluster], list[float]]:
    """The grouping under test, with its seconds: search, merge, clustering."""
    last_table = [0.0]
    started = time.perf_counter()
    pairs = hashindex.near_pairs(
        hashes, RADIUS, on_table=lambda done, total: last_table.__setitem__(0, time.perf_counter())
    )
    searched = time.perf_counter()
    values = hashes.tolist()
    distance = {
        (a, b): d
        for a, b, d in zip(
            pairs.left.tolist(), pairs.right.tolist(), pairs.distance.tolist(), strict=True
        )
    }

    def verify(asked: list[tuple[int, int]]) -> list[bool]:
        """Linked: within RADIUS (the search's pairs, or any pair an anchor asks about)."""
        return [hamming(values[a], values[b]) <= RADIUS for a, b in asked]

    degree = np.bincount(pairs.left, minlength=len(hashes)) + np.bincount(
        pairs.right, minlength=len(hashes)
    )

    def rank(members: list[int]) -> int:
        """The member with the most pairs (a base is within reach of all its copies)."""
        return min(members, key=lambda m: (-int(degree[m]), m))

    order = sorted(distance, key=lambda pair: (distance[pair], pair))
    clusters = clustering.cluster(
        len(hashes),
        order,
        verify,
        rank,
        lambda a, b: -hamming(values[a], values[b]),
    )
    done = time.perf_counter()
    table_end = last_table[0] or started
    return pairs, clusters, [table_end - started, searched - table_end, done - searched]


def measure_here(n: int) -> Result:
    """Generate, group ``REPEATS`` times (median seconds), then score the last grouping."""
    records = make_records(n, SEED + n)
    rss_before = rss_mib()
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    runs = [group(records.hashes) for _ in range(1 if n >= MILLION else REPEATS)]
    cpu_share = (time.process_time() - cpu_started) / (time.perf_counter() - wall_started)
    rss_peak = peak_rss_mib()
    pairs, clusters, _ = runs[-1]
    seconds = np.median([r[2] for r in runs], axis=0)
    search, merge, clustered = (float(s) for s in seconds)
    return Result(
        n=n,
        planted=len(records.copy),
        pairs=len(pairs),
        clusters=len(clusters),
        search=search,
        merge=merge,
        clustering=clustered,
        cpu_share=cpu_share,
        rss_before=rss_before,
        rss_peak=rss_peak,
        by_distance=recall_by_distance(records, pairs, clusters),
        foreign_pairs=foreign_pairs(records, pairs),
        mixed_clusters=mixed_clusters(records, clusters),
        chance_pairs=chance_pairs(n),
        far_pairs=int(np.sum(pairs.distance > RADIUS)),
    )


def recall_by_distance(
    records: Planted, pairs: hashindex.Pairs, clusters: Sequence[clustering.Cluster]
) -> list[list[int]]:
    """Per distance 0..RADIUS: planted pairs, those found by near_pairs, those in one cluster."""
    n = len(records.hashes)
    low = np.minimum(records.base, records.copy)
    high = np.maximum(records.base, records.copy)
    found = np.isin(low * n + high, pairs.left * n + pairs.right)
    label = np.full(n, -1, np.int64)
    for index, c in enumerate(clusters):
        label[c.members] = index
    together = (label[records.base] >= 0) & (label[records.base] == label[records.copy])
    return [
        [int(np.sum(at)), int(np.sum(found & at)), int(np.sum(together & at))]
        for at in (records.distance == d for d in range(RADIUS + 1))
    ]


def foreign_pairs(records: Planted, pairs: hashindex.Pairs) -> int:
    """Pairs that are not two records of one planted group."""
    left, right = records.group[pairs.left], records.group[pairs.right]
    return int(np.sum((left != right) | (left < 0)))


def mixed_clusters(records: Planted, clusters: Sequence[clustering.Cluster]) -> int:
    """Clusters holding records of two planted groups, or random records."""
    groups = ({int(g) for g in records.group[c.members]} for c in clusters)
    return sum(len(g) > 1 or -1 in g for g in groups)


def chance_pairs(n: int) -> float:
    """Pairs of independent random hashes within RADIUS bits to expect among ``n``."""
    share = sum(math.comb(64, k) for k in range(RADIUS + 1)) / 2**64
    return n * (n - 1) / 2 * share


def brute_here(n: int) -> Brute:
    """Every pair within RADIUS by XOR + popcount over tiles of the upper triangle (a tile's
    temporaries stay a few MiB at any n); then near_pairs on the same records."""
    hashes = make_records(n, SEED + n).hashes
    rows, columns = BRUTE_TILE
    started = time.perf_counter()
    codes = []
    for top in range(0, n, rows):
        block = hashes[top : top + rows, None]
        for left in range(top, n, columns):
            close = np.bitwise_count(block ^ hashes[None, left : left + columns]) <= RADIUS
            i, j = np.nonzero(close)
            i, j = i + top, j + left
            codes.append(i[j > i] * n + j[j > i])
    seconds = time.perf_counter() - started
    truth = np.concatenate(codes)
    pairs = hashindex.near_pairs(hashes, RADIUS)
    found = int(np.sum(np.isin(truth, pairs.left * n + pairs.right)))
    return Brute(n, seconds, len(truth), found)


def run_isolated(kind: str, n: int) -> dict:
    """``measure_here``/``brute_here`` in a fresh interpreter on one CPU; its JSON result."""
    env = {**os.environ, **dict.fromkeys(THREAD_VARS, "1")}
    command = [sys.executable, "-m", "tests.benchmarks.test_grouping_speed", kind, str(n)]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: Sequence[str]) -> None:
    kind, n = argv[0], int(argv[1])
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    work: Callable[[int], Result | Brute] = measure_here if kind == "group" else brute_here
    print(json.dumps(asdict(work(n))))


# -- report ----------------------------------------------------------------------------------


def fitted_exponent(sizes: Sequence[int], seconds: Sequence[float]) -> float:
    """Slope of log(seconds) against log(n), least squares."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def print_growth(results: Sequence[Result]) -> None:
    print()
    print(
        f"{'n':>9}{'planted':>9}{'pairs':>9}{'clusters':>9}{'search s':>10}{'merge s':>9}"
        f"{'cluster s':>10}{'total s':>9}{'records/s':>11}{'pairs/s':>10}{'cpu/wall':>9}"
        f"{'peak MiB':>9}{'+MiB':>7}{'B/rec':>7}{'found':>8}{'grouped':>8}"
    )
    for r in results:
        grown = r.rss_peak - r.rss_before
        print(
            f"{r.n:>9}{r.planted:>9}{r.pairs:>9}{r.clusters:>9}{r.search:>10.3f}{r.merge:>9.3f}"
            f"{r.clustering:>10.3f}{r.total:>9.3f}{r.n / r.total:>11.0f}{r.pairs / r.total:>10.0f}"
            f"{r.cpu_share:>9.2f}{r.rss_peak:>9.1f}{grown:>7.1f}{grown * 2**20 / r.n:>7.0f}"
            f"{r.recall(1):>8.2%}{r.recall(2):>8.2%}"
        )
    print("search + merge: near_pairs (its tables; unique codes and expansion); cluster s:")
    print("clustering.cluster; pairs/s: pairs found per second of the total")
    print("found: planted pairs that near_pairs returns; grouped: planted pairs in one cluster")
    print("peak MiB: ru_maxrss of the run; +MiB: over the RSS before grouping (interpreter,")
    print("numpy and the records); B/rec: +MiB per record")
    if len(results) > 1:
        sizes, seconds = [r.n for r in results], [r.total for r in results]
        steps = ", ".join(
            f"{a.n // 1000}k->{b.n // 1000}k {fitted_exponent([a.n, b.n], [a.total, b.total]):.2f}"
            for a, b in itertools.pairwise(results)
        )
        print(f"time ~ n^{fitted_exponent(sizes, seconds):.2f} (fitted); between sizes: {steps}")


def print_recall(results: Sequence[Result]) -> None:
    print()
    print("planted pairs by distance: count at the largest n; found / grouped per n, in %")
    print(f"{'d':>3}{'count':>8}" + "".join(f"{r.n // 1000:>14}k" for r in results))
    for d in range(RADIUS + 1):
        cells = "".join(
            f"{100 * row[1] / max(1, row[0]):>8.2f}/{100 * row[2] / max(1, row[0]):>6.2f}"
            for row in (r.by_distance[d] for r in results)
        )
        print(f"{d:>3}{results[-1].by_distance[d][0]:>8}{cells}")
    print()
    print(f"{'n':>9}{'foreign pairs':>15}{'by chance':>11}{'mixed clusters':>16}{'> radius':>10}")
    for r in results:
        print(
            f"{r.n:>9}{r.foreign_pairs:>15}{r.chance_pairs:>11.1f}{r.mixed_clusters:>16}"
            f"{r.far_pairs:>10}"
        )
    print("foreign: pairs not inside one planted group; by chance: random pairs within")
    print(f"{RADIUS} bits to expect; mixed: clusters with two groups' records or random ones")


def print_brute(brutes: Sequence[Brute], results: Sequence[Result]) -> None:
    print()
    print(f"{'brute force n':>14}{'seconds':>9}{'comparisons/s':>15}{'pairs':>7}{'near_pairs':>11}")
    for b in brutes:
        rate = b.n * (b.n - 1) / 2 / b.seconds
        print(f"{b.n:>14}{b.seconds:>9.3f}{rate:>15.3g}{b.pairs:>7}{b.found:>11}")
    largest = brutes[-1]
    print(
        f"brute force ~ n^{fitted_exponent([b.n for b in brutes], [b.seconds for b in brutes]):.2f}"
        " between its sizes; extrapolated as n^2 from the largest:"
    )
    measured = {r.n: r.total for r in results}
    for n in (100_000, MILLION):
        brute = largest.seconds * (n / largest.n) ** 2
        if n in measured:
            grouping, how = measured[n], "measured"
        else:
            sizes = [r.n for r in results]
            slope = fitted_exponent(sizes, [r.total for r in results])
            grouping, how = results[-1].total * (n / results[-1].n) ** slope, "extrapolated"
        print(
            f"{n:>9}: brute force {brute:8.1f} s, grouping {grouping:7.2f} s ({how}), "
            f"brute / grouping {brute / grouping:6.1f}x"
        )


# -- the benchmarks --------------------------------------------------------------------------


_results: dict[int, Result] = {}
_brutes: dict[int, Brute] = {}


def measured(n: int) -> Result:
    """This size's result, measured once per session in its own process."""
    if n not in _results:
        _results[n] = Result(**run_isolated("group", n))
    return _results[n]


def brute(n: int) -> Brute:
    if n not in _brutes:
        _brutes[n] = Brute(**run_isolated("brute", n))
    return _brutes[n]


def report(sizes: Sequence[int]) -> list[Result]:
    results = [measured(n) for n in sizes]
    brutes = [brute(n) for n in BRUTE_SIZES]
    print(f"\nradius {RADIUS} of 64 bits, {PLANTED_SHARE:.0%} planted copies, one CPU")
    print_growth(results)
    print_recall(results)
    print_brute(brutes, results)
    return results


def assert_target(result: Result) -> None:
    assert result.far_pairs == 0
    assert result.total <= TARGETS[result.n], f"{result.total:.1f} s at n={result.n}"
    assert result.recall(1) >= RECALL_TARGET, f"near_pairs found {result.recall(1):.2%}"
    assert result.recall(2) >= RECALL_TARGET, f"clusters hold {result.recall(2):.2%}"


@pytest.mark.benchmark
def test_grouping_100k_within_10_seconds_and_growth() -> None:
    results = report(SIZES)
    assert_target(next(r for r in results if r.n == 100_000))


@pytest.mark.benchmark
def test_grouping_a_million_within_3_minutes() -> None:
    if os.environ.get(MILLION_ENV) != "1":
        pytest.skip(f"1M records take minutes: set {MILLION_ENV}=1 to run this case")
    results = report(sorted({*_results, 100_000, 300_000, MILLION}))
    assert_target(results[-1])


if __name__ == "__main__":
    main(sys.argv[1:])
