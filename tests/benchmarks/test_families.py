"""The near-duplicate families corpus (``tests.families``): the generator's own checks, and a
benchmark that scans, groups and judges a corpus and prints how the engine does per family.

The benchmark measures, it does not judge: it asserts only that the corpus was built and
scanned without a problem, and prints

* per family, how many (original, copy) pairs ended in one group, and how many of those
  only as another shot (a ``similar`` member);
* pairs between files of different truth groups that are not a hard negative (false pairs);
* per hard-negative kind, how many ended in one group;
* per truth group whose original was grouped, whether the keep is the original, and which
  family won when it is not (and the first reason the judge gave).

Run with::

    python -m pytest -m benchmark tests/benchmarks/test_families.py -s

(``PHOTOSIFT_BENCH_FAMILIES=SOURCES,SEED`` builds another corpus; the default is 12,1.)

The generator's checks are fast and run by default.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import math
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.library import Judged, Library
from core.models import Tier
from tests import families
from tests.families import FAMILIES, NEAR, Made, Truth, build, family_rng
from tests.images import scene

SOURCES, SEED = (int(n) for n in os.environ.get("PHOTOSIFT_BENCH_FAMILIES", "12,1").split(","))

# -- the generator --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source() -> Image.Image:
    return scene(3, (360, 240))


def made(name: str, src: Image.Image, seed: int = 7) -> Made:
    return FAMILIES[name].make(src, family_rng(seed, 0, name))


def decoded(m: Made) -> Image.Image:
    return Image.open(io.BytesIO(m.encoded())).convert("RGB")


def area_share(m: Made, src: Image.Image) -> float:
    return m.image.width * m.image.height / (src.width * src.height)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_family_is_the_same_for_a_seed(name: str, source: Image.Image) -> None:
    assert made(name, source).encoded() == made(name, source).encoded()
    assert made(name, source).params == made(name, source).params


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_family_changes_the_file(name: str, source: Image.Image) -> None:
    out = made(name, source)
    picture = decoded(out)
    if name == "png":  # the same pixels, saved another way
        assert out.fmt == "PNG" and np.array_equal(np.asarray(picture), np.asarray(source))
        return
    if picture.size == source.size:
        diff = np.abs(np.asarray(picture, np.int16) - np.asarray(source, np.int16)).mean()
        assert diff > 0.5, diff


def test_crops_keep_at_least_half_within_their_ranges(source: Image.Image) -> None:
    portrait, square = source.transpose(Image.ROTATE_90), source.crop((0, 0, 240, 240))
    for seed, src in itertools.product(range(20), (source, portrait, square)):
        side = made("crop_side", src, seed)
        assert 0.55 - 0.01 <= area_share(side, src) <= 0.85 + 0.01
        assert 0.5 <= area_share(made("crop_square", src, seed), src) <= 0.9
        assert 0.5 <= area_share(made("crop_box", src, seed), src) <= 0.85 + 0.01
        turned = made("rotate_small", src, seed)
        assert 1 <= abs(turned.params["angle"]) <= 10
        assert 0.5 <= area_share(turned, src) < 1.0


def test_the_corner_crop_keeps_at_most_a_third(source: Image.Image) -> None:
    for seed in range(30):
        out = made("corner_third", source, seed)
        x0, y0, x1, y1 = out.params["box"]
        assert 0.17 <= area_share(out, source) <= 1 / 3
        assert x0 == 0 or x1 == source.width
        assert y0 == 0 or y1 == source.height


def test_the_screenshot_shows_the_photo_at_its_box(source: Image.Image) -> None:
    seen = set()
    for seed in range(8):
        out = made("screenshot", source, seed)
        shot = decoded(out)
        x0, y0, x1, y1 = box = out.params["box"]
        assert shot.width < shot.height and 0 <= x0 < x1 <= shot.width and y1 <= shot.height
        assert math.isclose((x1 - x0) / (y1 - y0), source.width / source.height, rel_tol=0.02)
        expected = source.resize((x1 - x0, y1 - y0), Image.LANCZOS)
        assert np.array_equal(np.asarray(shot.crop(box)), np.asarray(expected))
        seen.add((out.params["style"], out.params["theme"]))
    assert len(seen) >= 3  # chats and viewers, light and dark


@pytest.mark.parametrize("name", ["sticker", "caption", "watermark", "frame"])
def test_overlays_cover_at_most_fifteen_percent(name: str, source: Image.Image) -> None:
    low = {"sticker": 0.03, "caption": 0.08, "watermark": 0.0, "frame": 0.03}[name]
    for seed in range(15):
        out = made(name, source, seed)
        assert out.image.size == source.size
        assert low - 0.005 <= out.params["share"] <= 0.15 + 0.005
        moved = np.abs(np.asarray(decoded(out), np.int16) - np.asarray(source, np.int16))
        assert (moved.max(axis=2) > 40).mean() <= 0.16


def test_padding_and_stretching_change_the_frame(source: Image.Image) -> None:
    for seed in range(20):
        padded = made("padding", source, seed)
        border = 1 - 1 / area_share(padded, source)
        assert 0.025 <= border <= 0.155 and math.isclose(
            border, padded.params["share"], abs_tol=1e-3
        )
        stretched = made("stretch", source, seed)
        w, h = stretched.image.size
        ratio = (w / h) / (source.width / source.height)
        assert 1.09 <= max(ratio, 1 / ratio) <= 1.41


def test_resizes_and_reencodes_keep_to_their_ranges(source: Image.Image) -> None:
    for seed in range(20):
        assert 0.24 <= math.sqrt(area_share(made("resize", source, seed), source)) <= 0.76
        assert 40 <= made("jpeg_low", source, seed).params["quality"] <= 70
        assert made("jpeg_low", source, seed).image.size == source.size
        assert made("webp", source, seed).ext == ".webp"


def test_two_picture_negatives_overlap_little() -> None:
    world = scene(11, (800, 480))
    for seed in range(10):
        left, right = families.panorama_halves(world, np.random.default_rng(seed))
        assert left.params["box"][2] == right.params["box"][0]  # side by side, no overlap
        one, two = families.viewpoints(world, np.random.default_rng(seed))
        assert one.image.size == two.image.size
        assert one.params["box"] != two.params["box"]
        assert max(one.params["overlap_share"], two.params["overlap_share"]) <= 0.4


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Truth:
    return build(tmp_path_factory.mktemp("families"), sources=2, seed=5, negatives=1)


def test_build_writes_one_group_per_source_with_its_original_to_keep(small: Truth) -> None:
    groups = small.groups
    assert len(groups) == 2
    for name, files in groups.items():
        assert [f.family for f in files].count("original") == 1
        assert sorted(f.family for f in files[1:]) == sorted(f.name for f in NEAR)
        assert small.keep(name) == files[0].path and "DCIM" in files[0].path
    assert all(Path(f.path).is_file() for f in small.files)
    assert len({f.path for f in small.files}) == len(small.files)
    kinds = Counter(h.kind for h in small.hard_negatives)
    assert kinds["corner_third"] == 2 and kinds["panorama_halves"] == kinds["viewpoints"] == 1
    assert small.to_json()["files"][0]["path"].startswith("DCIM/")


def test_build_is_the_same_for_a_seed(small: Truth, tmp_path: Path) -> None:
    again = build(tmp_path, sources=2, seed=5, negatives=1)
    assert digests(Path(small.root)) == digests(tmp_path)
    assert again.to_json() == small.to_json()


# -- the benchmark --------------------------------------------------------------------------


def group_index(judged: Sequence[Judged]) -> dict[str, int]:
    return {path: n for n, j in enumerate(judged) for path in j.group.paths}


def print_recall(truth: Truth, judged: Sequence[Judged]) -> None:
    """Per family: (original, copy) pairs in one group, how many of them as another shot,
    and the sources whose copy was missed (or, when most were, found)."""
    where = group_index(judged)
    relation = {m.photo.path: m.relation for j in judged for m in j.group.members}
    found: dict[str, list[str]] = {f.name: [] for f in NEAR}
    missed: dict[str, list[str]] = {f.name: [] for f in NEAR}
    split = 0
    for files in truth.groups.values():
        original = files[0].path
        split += len({where[f.path] for f in files if f.path in where}) > 1
        for copy in files[1:]:
            hit = original in where and where.get(copy.path) == where[original]
            (found if hit else missed)[copy.family].append(copy.path)
    print(f"\n{'family':<15}{'found':>6}{'of':>4}  recall  similar  missed")
    for name in found:
        hits, total = len(found[name]), len(found[name]) + len(missed[name])
        similar = sum(relation[p] == Tier.SIMILAR for p in found[name])
        which = sources_of(truth, missed[name])
        if len(missed[name]) > total / 2:
            which = f"all but {sources_of(truth, found[name]) or 'none'}"
        print(f"{name:<15}{hits:>6}{total:>4}  {hits / total:6.2f}  {similar:>7}  {which}")
    hits = sum(len(v) for v in found.values())
    total = hits + sum(len(v) for v in missed.values())
    print(f"{'all':<15}{hits:>6}{total:>4}  {hits / total:6.2f}")
    print(f"truth groups spread over more than one group: {split} of {len(truth.groups)}")


def sources_of(truth: Truth, paths: Sequence[str]) -> str:
    """The short names of the sources of ``paths``: 's05 s11'."""
    files = truth.by_path()
    return " ".join(files[p].source.split("-")[0] for p in paths)


def print_mistakes(truth: Truth, judged: Sequence[Judged]) -> None:
    where, files = group_index(judged), truth.by_path()
    hard_pairs = {
        frozenset(pair) for h in truth.hard_negatives for pair in itertools.product(h.a, h.b)
    }
    false: Counter[str] = Counter()
    for j in judged:
        for a, b in itertools.combinations(j.group.paths, 2):
            fa, fb = files[a], files[b]
            if (fa.group is not None and fa.group == fb.group) or frozenset((a, b)) in hard_pairs:
                continue
            false[" ~ ".join(sorted((f"{fa.family}", f"{fb.family}")))] += 1
    print(f"\nfalse pairs (different truth groups, not a hard negative): {sum(false.values())}")
    for label, count in false.most_common(12):
        print(f"  {count:>4}  {label}")
    print(f"\n{'hard negative':<20}{'grouped':>8}{'of':>4}  tiers")
    for kind in families.NEGATIVE_KINDS:
        cases = [h for h in truth.hard_negatives if h.kind == kind]
        if not cases:
            continue
        tiers = Counter(
            judged[where[a]].group.tier.value
            for h in cases
            for a in h.a[:1]
            if a in where and any(where.get(b) == where[a] for b in h.b)
        )
        print(f"{kind:<20}{sum(tiers.values()):>8}{len(cases):>4}  {dict(tiers) or ''}")


def print_keeps(truth: Truth, judged: Sequence[Judged]) -> None:
    where, files = group_index(judged), truth.by_path()
    right, lonely, wrong, why = 0, 0, Counter(), {}
    for name, members in truth.groups.items():
        original = members[0].path
        if original not in where:
            lonely += 1
            continue
        advice = judged[where[original]].recommendation
        kept = advice.best_file
        if kept == original:
            right += 1
            continue
        label = files[kept].family if kept in files and files[kept].group == name else "other"
        wrong[label] += 1
        why.setdefault(label, advice.reasons[0] if advice.reasons else "")
    print(f"\nkeep right {right}, wrong {sum(wrong.values())}, original not grouped {lonely}")
    for label, count in wrong.most_common():
        flag = "  (must never win)" if label in families.MUST_LOSE else ""
        print(f"  {label} won {count} time{'s' * (count != 1)}{flag}: {why[label]}")


@pytest.mark.benchmark
def test_families_corpus_is_grouped_and_judged(tmp_path: Path) -> None:
    started = time.monotonic()
    truth = build(tmp_path / "photos", sources=SOURCES, seed=SEED)
    built = time.monotonic() - started
    with Library(str(tmp_path / "catalog.sqlite3")) as library:
        started = time.monotonic()
        summary = library.scan([str(tmp_path / "photos")])
        scanned = time.monotonic() - started
        result = library.groups()
        started = time.monotonic()
        judged = library.judge(result.groups)
        judging = time.monotonic() - started
    print(
        f"\n{len(truth.files)} files from {SOURCES} sources (seed {SEED}): built in {built:.1f} s, "
        f"scanned in {scanned:.1f} s ({summary.rate:.0f}/s), {len(result.groups)} groups in "
        f"{result.elapsed:.2f} s, judged in {judging:.2f} s"
    )
    print_recall(truth, judged)
    print_mistakes(truth, judged)
    print_keeps(truth, judged)
    assert summary.analysed == len(truth.files)
    assert not summary.problems and not summary.interrupted
