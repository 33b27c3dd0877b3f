"""The candidate search: it finds the pairs within the radius that brute force finds (at the
promised recall), never returns a pair beyond the radius, and copes with equal hashes."""

from __future__ import annotations

import numpy as np
import pytest

from core.matching import hashindex


def planted(n: int, copies: int, seed: int = 3) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Random hashes; the first ``copies`` bases each get a copy 0-10 bits away."""
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**64, n, dtype=np.uint64)
    pairs = set()
    for base in range(copies):
        value = int(hashes[base])
        for bit in rng.choice(64, int(rng.integers(0, 11)), replace=False):
            value ^= 1 << int(bit)
        hashes[n - 1 - base] = np.uint64(value)
        pairs.add((base, n - 1 - base))
    return hashes, pairs


def brute_force(hashes: np.ndarray, radius: int) -> set[tuple[int, int]]:
    distances = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
    left, right = np.nonzero(np.triu(distances <= radius, 1))
    return set(zip(left.tolist(), right.tolist(), strict=True))


def as_set(pairs: hashindex.Pairs) -> set[tuple[int, int]]:
    return set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))


def test_finds_what_brute_force_finds():
    hashes, planted_pairs = planted(4000, 400)
    truth = brute_force(hashes, 10)
    assert planted_pairs <= truth
    found = hashindex.near_pairs(hashes, 10)
    assert as_set(found) <= truth  # nothing beyond the radius
    assert len(as_set(found) & truth) >= 0.99 * len(truth)


def test_reported_distances_are_exact():
    hashes, _ = planted(2000, 200)
    found = hashindex.near_pairs(hashes, 10)
    exact = np.bitwise_count(hashes[found.left] ^ hashes[found.right])
    assert np.array_equal(found.distance, exact)
    assert np.all(found.left < found.right)


def test_equal_hashes_are_always_paired():
    hashes = np.array([7, 7, 7, 2**63, 12345], dtype=np.uint64)
    assert as_set(hashindex.near_pairs(hashes, 0)) == {(0, 1), (0, 2), (1, 2)}


@pytest.mark.parametrize("count", [300, 3000])  # every pair compared; the tables
def test_search_between_two_sets_matches_brute_force(count):
    index, _ = planted(3000, 0, seed=5)
    rng = np.random.default_rng(9)
    queries = index[rng.choice(3000, count, replace=False)].copy()
    for q in range(0, count, 2):  # half the queries moved a few bits away
        queries[q] ^= np.uint64(1 << int(rng.integers(0, 64)))
    truth = {tuple(p) for p in np.argwhere(np.bitwise_count(queries[:, None] ^ index) <= 6)}
    found = hashindex.near_pairs_between(queries, index, 6)
    codes = found.left * len(index) + found.right
    assert np.all(np.diff(codes) > 0)  # in order, each once
    assert as_set(found) <= truth and len(as_set(found)) >= 0.99 * len(truth)
    if count == 300:
        assert as_set(found) == truth  # one side small: every pair was compared


@pytest.mark.parametrize("count", [300, 3000])
def test_a_search_in_parts_looked_up_in_any_order_finds_the_same_pairs(count):
    index, _ = planted(3000, 0, seed=5)
    queries = index[np.random.default_rng(2).choice(3000, count, replace=False)] ^ np.uint64(5)
    whole = hashindex.near_pairs_between(queries, index, 6)
    parts = hashindex.lookups(queries, index, 6, part=256)
    assert len(parts) == -(-count // 256)
    found = {id(p): hashindex.look_up(p) for p in reversed(parts)}
    joined = hashindex.joined([found[id(p)] for p in parts])
    for field in ("left", "right", "distance"):
        assert np.array_equal(getattr(joined, field), getattr(whole, field))
    assert len(whole) >= count  # each query's own hash is 2 bits away


def test_plan_reaches_the_recall_at_the_radius_and_grows_with_size():
    small, large = hashindex.plan(1000, 1000, 10), hashindex.plan(1_000_000, 1_000_000, 10)
    assert small.recall_at(10) >= 0.99 and large.recall_at(10) >= 0.99
    assert large.bits > small.bits
    assert large.recall_at(4) > large.recall_at(10)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs(n):
    hashes = np.arange(n, dtype=np.uint64)
    found = hashindex.near_pairs(hashes, 3)
    assert len(found) == (1 if n == 2 else 0)
