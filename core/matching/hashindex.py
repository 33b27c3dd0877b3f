"""Pairs of 64-bit hashes within a Hamming radius, found without comparing every pair.

Comparing all pairs costs n^2 (about an hour for a million photos at 64 bits in numpy), so this
is bit-sampling locality-sensitive hashing with an exact check: each of several *tables* keeps
``bits`` randomly chosen bit positions; hashes that agree on all of them are candidates, and a
candidate is kept only if its true Hamming distance is within the radius. Two hashes ``d`` bits
apart agree on ``bits`` random positions with probability C(64-d, bits) / C(64, bits), so the
number of tables is chosen to find a pair at the radius with at least the requested recall
(pairs closer than the radius are found even more surely). ``bits`` grows with the input so
that random collisions stay at a few per hash. Everything is vectorised per table; memory is
a few arrays the size of the input plus the candidates of one table.

Pure numpy; must not import the store or any UI.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

HASH_BITS = 64


@dataclass(frozen=True, slots=True)
class Plan:
    bits: int  # sampled bit positions per table
    tables: int

    def recall_at(self, distance: int) -> float:
        """Probability that a pair ``distance`` bits apart is found."""
        agree = _agree(distance, self.bits)
        return 1.0 - (1.0 - agree) ** self.tables


@dataclass(frozen=True, slots=True)
class Pairs:
    """Parallel arrays: ``left[i]`` and ``right[i]`` are ``distance[i]`` bits apart."""

    left: np.ndarray
    right: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return len(self.left)

    @staticmethod
    def none() -> Pairs:
        return Pairs(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int16))


def _agree(distance: int, bits: int) -> float:
    return math.comb(HASH_BITS - distance, bits) / math.comb(HASH_BITS, bits)


def plan(n_left: int, n_right: int, radius: int, recall: float = 0.99) -> Plan:
    """Bits per table so that random collisions stay near two per hash, and enough tables to
    reach ``recall`` for pairs exactly ``radius`` bits apart."""
    pairs = max(1, n_left) * max(1, n_right)
    bits = math.ceil(math.log2(max(2.0, pairs / (2.0 * max(1, n_left + n_right)))))
    bits = min(max(bits, 8), HASH_BITS - radius - 1)
    agree = _agree(radius, bits)
    if agree >= 1.0:  # radius 0: equal hashes agree on every bit
        return Plan(bits=bits, tables=1)
    tables = max(1, math.ceil(math.log(1.0 - recall) / math.log(1.0 - agree)))
    return Plan(bits=bits, tables=tables)


def near_pairs(
    hashes: np.ndarray,
    radius: int,
    *,
    recall: float = 0.99,
    seed: int = 0,
    on_table: Callable[[int, int], None] | None = None,
) -> Pairs:
    """All pairs i < j of ``hashes`` (uint64) within ``radius`` bits, each found with at least
    ``recall`` probability (more for closer pairs). ``on_table(done, total)`` reports progress.
    Equal hashes are searched once and always paired."""
    values, inverse = np.unique(np.asarray(hashes, np.uint64), return_inverse=True)
    chosen = plan(len(values), len(values), radius, recall)
    rng = np.random.default_rng(seed)
    codes = _Codes()
    for table in range(chosen.tables):
        keys = values & _mask(rng, chosen.bits)
        order = np.argsort(keys)  # stability is not needed: pairs are deduplicated
        codes.add(_pairs_within_runs(values, keys[order], order, radius))
        if on_table:
            on_table(table + 1, chosen.tables)
    value_left, value_right = np.divmod(codes.unique(), max(1, len(values)))
    return _expand(values, inverse.ravel(), value_left, value_right)


def near_pairs_between(
    queries: np.ndarray,
    index: np.ndarray,
    radius: int,
    *,
    recall: float = 0.99,
    seed: int = 0,
    on_table: Callable[[int, int], None] | None = None,
) -> Pairs:
    """Pairs (q, i): ``queries[q]`` within ``radius`` bits of ``index[i]``, in that order.
    Where one side is small (a few new photos against a library, a few hundred photos),
    every pair is compared: that is cheaper than the tables, and finds them all."""
    (whole,) = lookups(queries, index, radius, recall=recall, seed=seed, part=len(queries))
    return look_up(whole, on_table)


@dataclass(frozen=True, slots=True)
class Lookup:
    """Some of a search's queries (from ``begin``) against its whole index, with the
    search's plan (None: every pair compared): what ``look_up`` needs, anywhere. The
    parts of one search, looked up in any order and ``joined``, give its pairs."""

    queries: np.ndarray
    index: np.ndarray
    radius: int
    plan: Plan | None
    seed: int
    begin: int


def lookups(
    queries: np.ndarray,
    index: np.ndarray,
    radius: int,
    *,
    recall: float = 0.99,
    seed: int = 0,
    part: int,
) -> list[Lookup]:
    """``near_pairs_between`` in parts of ``part`` queries (at least one part)."""
    queries = np.asarray(queries, np.uint64)
    index = np.asarray(index, np.uint64)
    n, m = len(queries), len(index)
    chosen = None if n * m <= _EVERY_PAIR * max(1, n + m) else plan(n, m, radius, recall)
    step = max(1, part)
    return [
        Lookup(queries[begin : begin + step], index, radius, chosen, seed, begin)
        for begin in range(0, max(n, 1), step)
    ]


def look_up(lookup: Lookup, on_table: Callable[[int, int], None] | None = None) -> Pairs:
    """The pairs of one part of a search (``lookups``), numbered as in the whole search."""
    if lookup.plan is None:
        found = _every_pair_within(lookup.queries, lookup.index, lookup.radius)
        if on_table:
            on_table(1, 1)
    else:
        found = _tables(lookup, lookup.plan, on_table)
    return Pairs(found.left + lookup.begin, found.right, found.distance)


def joined(parts: Sequence[Pairs]) -> Pairs:
    """The pairs of a whole search from those of its parts, in the order of the parts."""
    if not parts:
        return Pairs.none()
    return Pairs(*(np.concatenate([getattr(p, f) for p in parts]) for f in _PAIR_FIELDS))


_PAIR_FIELDS = ("left", "right", "distance")


def _tables(lookup: Lookup, chosen: Plan, on_table: Callable[[int, int], None] | None) -> Pairs:
    """The pairs the tables of ``chosen`` find, each within the radius."""
    queries, index, radius = lookup.queries, lookup.index, lookup.radius
    n = len(queries)
    rng = np.random.default_rng(lookup.seed)
    codes = _Codes()
    for table in range(chosen.tables):
        mask = _mask(rng, chosen.bits)
        keys = index & mask
        order = np.argsort(keys)
        # one search among the distinct keys (fewer, and no second search for run ends)
        distinct, first, runs = np.unique(keys[order], return_index=True, return_counts=True)
        for begin in range(0, n, _PROBED):  # the queries' collisions, a part at a time
            part = queries[begin : begin + _PROBED]
            probe = part & mask
            at = np.minimum(np.searchsorted(distinct, probe), max(len(distinct) - 1, 0))
            found = distinct[at] == probe if len(distinct) else np.zeros(len(probe), bool)
            start = np.where(found, first[at] if len(distinct) else 0, 0)
            count = np.where(found, runs[at] if len(distinct) else 0, 0)
            q = np.repeat(np.arange(len(part)), count)
            offsets = np.arange(len(q)) - np.repeat(np.cumsum(count) - count, count)
            i = order[np.repeat(start, count) + offsets]
            close = np.bitwise_count(part[q] ^ index[i]) <= radius
            codes.add((q[close] + begin).astype(np.int64) * len(index) + i[close])
        if on_table:
            on_table(table + 1, chosen.tables)
    left, right = np.divmod(codes.unique(), max(1, len(index)))
    distance = np.bitwise_count(queries[left] ^ index[right]).astype(np.int16)
    return Pairs(left, right, distance)


# Every pair of n queries and m hashes is compared when n * m <= _EVERY_PAIR * (n + m):
# comparing costs about 4 ns a pair, the tables about 800 ns a hash (16 to 36 tables).
_EVERY_PAIR = 400
_COMPARED = 1 << 22  # pairs compared at once (32 MiB of distances)
_PROBED = 1 << 18  # queries looked up in a table at once (their collisions held meanwhile)


def _every_pair_within(queries: np.ndarray, index: np.ndarray, radius: int) -> Pairs:
    step = max(1, _COMPARED // max(1, len(index)))
    lefts, rights = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for start in range(0, len(queries), step):
        distances = np.bitwise_count(queries[start : start + step, None] ^ index[None, :])
        left, right = np.nonzero(distances <= radius)
        lefts.append(left + start)
        rights.append(right)
    left, right = np.concatenate(lefts), np.concatenate(rights)
    distance = np.bitwise_count(queries[left] ^ index[right]).astype(np.int16)
    return Pairs(left, right, distance)


class _Codes:
    """Pair codes from many tables, deduplicated every few tables so that memory holds about
    one table's worth beyond the distinct pairs."""

    def __init__(self, every: int = 16) -> None:
        self.every = every
        self.parts: list[np.ndarray] = []

    def add(self, codes: np.ndarray) -> None:
        self.parts.append(codes)
        if len(self.parts) >= self.every:
            self.parts = [self.unique()]

    def unique(self) -> np.ndarray:
        if not self.parts:
            return np.empty(0, np.int64)
        return _distinct(np.concatenate(self.parts))


def _distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct values of ``codes``, sorted: what ``np.unique`` gives, by a sort (numpy
    2.4's ``np.unique`` took 4.7 s on 6M codes where this takes 0.15 s)."""
    ordered = np.sort(codes)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _mask(rng: np.random.Generator, bits: int) -> np.uint64:
    positions = rng.choice(HASH_BITS, size=bits, replace=False)
    return np.uint64(sum(1 << int(p) for p in positions))


def _pairs_within_runs(
    values: np.ndarray, sorted_keys: np.ndarray, order: np.ndarray, radius: int
) -> np.ndarray:
    """Codes (a * n + b, a < b) of value pairs whose masked keys are equal and whose values
    are within ``radius``. Equal keys sit in runs of the sorted order, so pairing each position
    with the one ``step`` further on, for step = 1, 2, ... until no run is that long, visits
    every pair inside every run with one vector operation per step."""
    n = len(values)
    sorted_values = values[order]
    out = []
    step = 1
    while step < n:
        same = np.flatnonzero(sorted_keys[:-step] == sorted_keys[step:])
        if not len(same):
            break
        close = same[np.bitwise_count(sorted_values[same] ^ sorted_values[same + step]) <= radius]
        a, b = order[close], order[close + step]
        out.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
        step += 1
    return np.concatenate(out) if out else np.empty(0, np.int64)


def _expand(
    values: np.ndarray, inverse: np.ndarray, value_left: np.ndarray, value_right: np.ndarray
) -> Pairs:
    """Item pairs from value pairs: every item of one value with every item of the other, plus
    every pair of items that share a value (distance 0)."""
    by_value = np.argsort(inverse, kind="stable")
    count = np.bincount(inverse, minlength=len(values))
    start = np.cumsum(count) - count
    # pairs across two values
    left_n, right_n = count[value_left], count[value_right]
    per_pair = left_n * right_n
    pair_of = np.repeat(np.arange(len(value_left)), per_pair)
    within = np.arange(per_pair.sum()) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    li = by_value[start[value_left[pair_of]] + within // right_n[pair_of]]
    ri = by_value[start[value_right[pair_of]] + within % right_n[pair_of]]
    # pairs inside one value
    shared = np.flatnonzero(count > 1)
    extra_left, extra_right = [], []
    for value in shared:
        members = by_value[start[value] : start[value] + count[value]]
        a, b = np.triu_indices(len(members), 1)
        extra_left.append(members[a])
        extra_right.append(members[b])
    left = np.concatenate([li, *extra_left]).astype(np.int64)
    right = np.concatenate([ri, *extra_right]).astype(np.int64)
    left, right = np.minimum(left, right), np.maximum(left, right)
    distance = np.bitwise_count(values[inverse[left]] ^ values[inverse[right]]).astype(np.int16)
    order = np.lexsort((right, left))
    return Pairs(left[order], right[order], distance[order])
