"""What a scan records for a benchmark corpus with ground truth, and how its hashes spread.

Scans the corpus into a fresh catalog (default options: one worker per core), then checks and
reports:

* every file of ``truth.json`` (group members and singletons) is catalogued, analysed without
  error, with hashes and dimensions; files whose EXIF holds a capture time have ``taken_at``
  (every burst frame does, 0.2 s apart);
* a second scan of the unchanged tree analyses nothing, leaves the catalog as it was, and is at
  least ``RESCAN_TARGET`` times faster than the first;
* the Hamming distances of pHash (in full) and of dHash and aHash (briefly): between each
  group's original and each other member, by transform; and across groups (every pair of
  originals and singletons of different groups, which includes truth's hard negatives, also
  shown on their own). Only sanity is asserted here (exact copies at 0, unrelated photos far
  apart); the tables are for tuning the grouping.

Input: ``PHOTOSIFT_BENCH_CORPUS``, a folder made by the benchmark kit's ``make_corpus.py`` (it
holds ``truth.json``). Run with::

    PHOTOSIFT_BENCH_CORPUS=/path/to/corpus python -m pytest -m benchmark \\
        tests/benchmarks/test_corpus_hashes.py -s
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pytest
from PIL import Image

from core.analysis.hashing import hamming
from core.models import Photo, ScanSummary
from core.runtime.scan import scan
from core.store import Catalog
from tests.benchmarks.corpus import Member, Truth, corpus_root, load_truth, warm_page_cache

RESCAN_TARGET = 20.0
NEAR, LOOSE = 10, 16  # Hamming distances worth counting, of 64 bits
HASH_KINDS = ("phash", "dhash", "ahash")
HASH_NAMES = {"phash": "pHash", "dhash": "dHash", "ahash": "aHash"}
BURST_GAP_SECONDS = (0.15, 0.25)  # make_corpus.py spaces burst frames 180-220 ms apart
_EXIF_IFD, _DATETIME_ORIGINAL = 0x8769, 0x9003


@dataclass(slots=True)
class Corpus:
    """The corpus scanned once into an open catalog, shared by this module's tests."""

    root: str
    truth: Truth
    catalog: Catalog
    summary: ScanSummary
    photos: dict[str, Photo]


@dataclass(frozen=True, slots=True)
class Spread:
    """Summary figures of a list of distances."""

    count: int
    low: int
    p1: float
    median: float
    high: int
    near: int  # <= NEAR
    loose: int  # <= LOOSE

    @classmethod
    def of(cls, values: Sequence[int]) -> Spread:
        return cls(
            count=len(values),
            low=min(values),
            p1=float(np.percentile(values, 1)),
            median=float(statistics.median(values)),
            high=max(values),
            near=sum(v <= NEAR for v in values),
            loose=sum(v <= LOOSE for v in values),
        )

    @property
    def near_share(self) -> str:
        return f"{100 * self.near / self.count:.0f}%"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    root = corpus_root()
    truth = load_truth(root)
    warm_page_cache(truth.paths)
    db_path = tmp_path_factory.mktemp("corpus") / "catalog.sqlite3"
    with Catalog(str(db_path)) as catalog:
        summary = scan(catalog, [root])
        photos = {p.path: p for p in catalog.photos()}
        print(
            f"\n{root}: {summary.seen} files seen, {summary.analysed} analysed, "
            f"{summary.skipped_total} skipped, {summary.hashed} content-hashed in "
            f"{summary.elapsed:.2f} s ({summary.rate:.0f} files/s)"
        )
        yield Corpus(root, truth, catalog, summary, photos)


# -- catalogue -----------------------------------------------------------------------------


@pytest.mark.benchmark
def test_every_truth_file_is_catalogued_with_hashes_and_dimensions(corpus: Corpus) -> None:
    expected = corpus.truth.paths
    missing = [p for p in expected if p not in corpus.photos]
    failed = [(p.path, p.error) for p in corpus.catalog.photos(errors=True)]
    incomplete = [p for p in expected if p in corpus.photos and not is_complete(corpus.photos[p])]
    print(f"truth lists {len(expected)} files; catalog holds {len(corpus.photos)} analysed")
    assert not failed, failed[:5]
    assert not missing, f"{len(missing)} truth files not catalogued, e.g. {missing[:3]}"
    assert not incomplete, f"{len(incomplete)} without hashes or size, e.g. {incomplete[:3]}"


def is_complete(photo: Photo) -> bool:
    return (
        photo.error is None
        and photo.hashes is not None
        and bool(photo.width)
        and bool(photo.height)
    )


@pytest.mark.benchmark
def test_exif_capture_times_become_taken_at(corpus: Corpus) -> None:
    expected = files_with_capture_time(corpus.truth)
    untimed = [p for p in expected if getattr(corpus.photos.get(p), "taken_at", None) is None]
    bursts = [ms for ms in burst_frames(corpus.truth) if ms]
    frames = sum(len(b) for b in bursts)
    timed = sum(p.taken_at is not None for p in corpus.photos.values())
    print(
        f"taken_at: {timed} of {len(corpus.photos)} files; expected on {len(expected)} "
        f"(incl. {frames} burst frames in {len(bursts)} bursts), missing on {len(untimed)}"
    )
    assert frames, "the corpus has no burst frames to check"
    assert not untimed, f"EXIF capture time not read, e.g. {untimed[:3]}"
    for burst in bursts:
        gaps = burst_gaps(corpus.photos, burst)
        assert all(BURST_GAP_SECONDS[0] <= g <= BURST_GAP_SECONDS[1] for g in gaps), (
            burst[0].path,
            gaps,
        )


def files_with_capture_time(truth: Truth) -> list[str]:
    """Derived files truth says carry an EXIF time, plus untouched files whose EXIF has a
    DateTimeOriginal (read here with Pillow: truth does not describe the sources' EXIF)."""
    derived = [
        m.path for ms in truth.groups.values() for m in ms if m.exif and "time" in m.exif.split("+")
    ]
    untouched = [m.path for ms in truth.groups.values() for m in ms if m.exif is None]
    untouched += truth.singletons
    return sorted(derived + [p for p in untouched if exif_capture_time(p)])


def exif_capture_time(path: str) -> datetime | None:
    with Image.open(path) as im:
        value = im.getexif().get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
    try:
        return datetime.strptime(str(value).strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def burst_frames(truth: Truth) -> list[list[Member]]:
    """Each group's burst frames in frame order."""
    return [
        sorted((m for m in ms if m.frame is not None), key=lambda m: m.frame or 0)
        for ms in truth.groups.values()
    ]


def burst_gaps(photos: dict[str, Photo], burst: Sequence[Member]) -> list[float]:
    times = [photos[m.path].taken_at for m in burst]
    assert all(times), [m.path for m, t in zip(burst, times, strict=True) if t is None]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times) if a and b]


# -- re-scan -------------------------------------------------------------------------------


@pytest.mark.benchmark
def test_rescan_of_unchanged_tree_analyses_nothing(corpus: Corpus) -> None:
    before = catalog_snapshot(corpus.catalog)
    second = scan(corpus.catalog, [corpus.root])
    after = catalog_snapshot(corpus.catalog)
    first = corpus.summary
    ratio = first.elapsed / second.elapsed
    print(
        f"re-scan: {second.seen} seen, {second.analysed} analysed, {second.unchanged} "
        f"unchanged, {second.removed} removed in {second.elapsed * 1000:.0f} ms; first scan "
        f"{first.elapsed:.2f} s; first / second = {ratio:.1f} (target >= {RESCAN_TARGET:.0f})"
    )
    assert second.analysed == 0
    assert second.unchanged == second.seen == first.seen
    assert second.removed == 0
    assert after == before, "the re-scan changed catalog rows"
    assert ratio >= RESCAN_TARGET


def catalog_snapshot(catalog: Catalog) -> tuple[list[Photo], list[Photo], dict[str, bytes]]:
    """Every file row (analysed and failed) and every thumbnail."""
    photos = catalog.photos()
    return photos, catalog.photos(errors=True), catalog.thumbnails([p.path for p in photos])


# -- distances -----------------------------------------------------------------------------


@pytest.mark.benchmark
def test_hash_distance_distribution(corpus: Corpus) -> None:
    truth, photos = corpus.truth, corpus.photos
    within = {kind: distances_to_original(truth, photos, kind) for kind in HASH_KINDS}
    pairs = cross_group_pairs(truth)
    cross = {kind: [distance(photos, a, b, kind) for a, b in pairs] for kind in HASH_KINDS}
    hard = {
        kind: [distance(photos, a, b, kind) for a, b in truth.hard_negatives] for kind in HASH_KINDS
    }
    order = transform_order(truth, within["phash"])
    print_full_table("phash", order, within["phash"], cross["phash"], hard["phash"])
    print_brief_table(("dhash", "ahash"), order, within, cross, hard)

    for kind in HASH_KINDS:
        assert set(within[kind].get("exact_copy", [0])) == {0}, (kind, "exact copies differ")
    assert Spread.of(cross["phash"]).median > 20


def distances_to_original(
    truth: Truth, photos: dict[str, Photo], kind: str
) -> dict[str, list[int]]:
    """transform -> distances between each group's original and its members of that kind."""
    out: dict[str, list[int]] = {}
    for members in truth.groups.values():
        original, others = members[0], members[1:]
        for member in others:
            out.setdefault(member.transform, []).append(
                distance(photos, original.path, member.path, kind)
            )
    return out


def cross_group_pairs(truth: Truth) -> list[tuple[str, str]]:
    """Every pair of photos from different groups (originals and singletons), with truth's
    hard negatives (already among them, added in case truth names other files)."""
    pairs = {tuple(sorted(p)) for p in itertools.combinations(truth.representatives, 2)}
    pairs |= {tuple(sorted(p)) for p in truth.hard_negatives}
    return sorted((a, b) for a, b in pairs)


def distance(photos: dict[str, Photo], a: str, b: str, kind: str) -> int:
    ha, hb = photos[a].hashes, photos[b].hashes
    assert ha is not None and hb is not None, (a, b)
    return hamming(getattr(ha, kind), getattr(hb, kind))


def transform_order(truth: Truth, within: dict[str, list[int]]) -> list[str]:
    """Transforms present, in truth's order (unknown ones last, by name)."""
    known = [t for t in truth.transforms if t in within]
    return known + sorted(set(within) - set(known))


def print_full_table(
    kind: str,
    order: Sequence[str],
    within: dict[str, list[int]],
    cross: Sequence[int],
    hard: Sequence[int],
) -> None:
    name = HASH_NAMES[kind]
    print(f"\n{name}: Hamming distance (of 64 bits) from each group's original")
    print(f"{'transform':<16}{'n':>5}{'min':>5}{'median':>8}{'max':>5}{f'<={NEAR}':>7}")
    for transform in order:
        s = Spread.of(within[transform])
        print(f"{transform:<16}{s.count:>5}{s.low:>5}{s.median:>8.1f}{s.high:>5}{s.near_share:>7}")
    print_cross(name, cross, hard)


def print_brief_table(
    kinds: Sequence[str],
    order: Sequence[str],
    within: dict[str, dict[str, list[int]]],
    cross: dict[str, list[int]],
    hard: dict[str, list[int]],
) -> None:
    names = " | ".join(f"{HASH_NAMES[k]} median max <={NEAR}" for k in kinds)
    print(f"\n{'transform':<16}{'n':>5}  {names}")
    for transform in order:
        cells = []
        for kind in kinds:
            s = Spread.of(within[kind][transform])
            cells.append(f"{s.median:>12.1f}{s.high:>4}{s.near_share:>6}")
        print(f"{transform:<16}{len(within[kinds[0]][transform]):>5}  " + " | ".join(cells))
    for kind in kinds:
        print_cross(HASH_NAMES[kind], cross[kind], hard[kind])


def print_cross(name: str, cross: Sequence[int], hard: Sequence[int]) -> None:
    s = Spread.of(cross)
    print(
        f"{name} across groups: {s.count} pairs, min {s.low}, 1st pct {s.p1:.1f}, "
        f"median {s.median:.1f}; <={NEAR}: {s.near}, <={LOOSE}: {s.loose}"
    )
    if hard:
        print(f"{name} hard negatives ({len(hard)} pairs): {' '.join(map(str, sorted(hard)))}")
