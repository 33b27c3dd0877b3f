"""Clustering from candidate pairs: families are found without verifying pairs that are
already connected, each family splits around its anchor so chains of small steps do not
become one cluster, and the result does not depend on how the batches are cut."""

from __future__ import annotations

import itertools

import pytest

from core.matching.clustering import cluster

POSITIONS = [0, 1, 2, 3, 4, 5, 6, 20, 21]  # a chain 0..6 one step apart, and a far pair


class Oracle:
    """Verifies pairs by position: linked when at most ``radius`` apart; counts the pairs it
    was asked and the batches."""

    def __init__(self, positions: list[float], radius: float) -> None:
        self.positions, self.radius = positions, radius
        self.asked: list[tuple[int, int]] = []
        self.batches = 0
        self.sizes: list[int] = []

    def verify(self, pairs: list[tuple[int, int]]) -> list[bool]:
        self.batches += 1
        self.sizes.append(len(pairs))
        self.asked += pairs
        return [abs(self.positions[a] - self.positions[b]) <= self.radius for a, b in pairs]

    def strength(self, a: int, b: int) -> float:
        return -abs(self.positions[a] - self.positions[b])


def first(members: list[int]) -> list[int]:
    return sorted(members)


def middle(positions: list[float]):
    def rank(members: list[int]) -> list[int]:
        centre = sorted(positions[m] for m in members)[len(members) // 2]
        return sorted(members, key=lambda m: (abs(positions[m] - centre), m))

    return rank


def all_pairs(count: int) -> list[tuple[int, int]]:
    return list(itertools.combinations(range(count), 2))


def test_a_chain_of_small_steps_splits_around_anchors():
    oracle = Oracle(POSITIONS, 1)
    found = cluster(len(POSITIONS), all_pairs(9), oracle.verify, middle(POSITIONS), oracle.strength)
    for c in found:
        assert all(abs(POSITIONS[c.anchor] - POSITIONS[m]) <= 1 for m in c.members)
    assert [7, 8] in [c.members for c in found]
    assert max(len(c.members) for c in found) == 3


def test_members_that_miss_the_anchor_are_clustered_again_among_themselves():
    positions = [0, 1, 2, 3, 4]
    oracle = Oracle(positions, 1)
    found = cluster(5, all_pairs(5), oracle.verify, first, oracle.strength)
    # anchor 0 takes 1; the rest, 2-3-4, splits around its own first member
    assert [c.members for c in found] == [[0, 1], [2, 3]]
    assert [c.anchor for c in found] == [0, 2]


def test_a_family_of_copies_costs_about_two_verifications_a_member():
    count = 400
    oracle = Oracle([0.0] * count, 0.5)  # every pair alike: 79,800 candidate pairs
    found = cluster(count, all_pairs(count), oracle.verify, first, oracle.strength)
    assert [len(c.members) for c in found] == [count]
    assert len(oracle.asked) <= 2 * count
    assert oracle.batches <= 4


def test_a_long_chain_splits_in_a_few_passes_at_about_the_cost_of_its_candidates():
    # 600 overlapping crops in a row, each alike to its next neighbour, a candidate of the
    # next three: one family, with no item alike to most of it
    count = 600
    pairs = [(a, b) for a in range(count) for b in range(a + 1, min(a + 4, count))]
    oracle = Oracle(list(range(count)), 1)
    found = cluster(count, pairs, oracle.verify, first, oracle.strength, eager=0)
    assert all(max(c.members) - min(c.members) <= 2 for c in found)
    assert sum(len(c.members) for c in found) >= count * 0.9
    assert len(oracle.asked) <= 2 * len(pairs)
    assert oracle.batches <= 40


def test_sparse_candidates_are_verified_at_once_and_never_twice():
    # pairs of copies, and a chain: few candidate pairs a member
    positions = [0, 0.1, 10, 10.1, 20, 20.5, 21, 21.5]
    pairs = [(0, 1), (2, 3), (4, 5), (5, 6), (6, 7), (4, 6), (1, 2)]
    oracle = Oracle(positions, 1.0)
    found = cluster(len(positions), pairs, oracle.verify, first, oracle.strength)
    assert [c.members for c in found] == [[0, 1], [2, 3], [4, 5, 6]]
    assert oracle.sizes[0] == len(pairs)  # all in the first batch
    assert len(oracle.asked) == len(set(oracle.asked))
    lazy = Oracle(positions, 1.0)
    again = cluster(len(positions), pairs, lazy.verify, first, lazy.strength, eager=0)
    assert [c.members for c in again] == [c.members for c in found]
    assert lazy.sizes[0] < len(pairs)  # (4, 6) waits: 4-5-6 may connect them


def test_the_clusters_do_not_depend_on_how_the_batches_are_cut():
    positions = [0, 0.4, 0.8, 1.5, 1.9, 5, 5.2, 9, 9.1, 9.3, 12]
    pairs = [(a, b) for a, b in all_pairs(len(positions)) if abs(positions[a] - positions[b]) < 3]
    pairs.sort(key=lambda p: (abs(positions[p[0]] - positions[p[1]]), p))
    results = []
    for batch, eager in itertools.product((1, 2, 3, 7, 4096), (0, 1, 3, 100)):
        oracle = Oracle(positions, 1.0)
        found = cluster(
            len(positions),
            pairs,
            oracle.verify,
            middle(positions),
            oracle.strength,
            batch=batch,
            eager=eager,
        )
        results.append([(c.anchor, c.members) for c in found])
    assert all(r == results[0] for r in results)


def test_a_failing_pair_between_two_families_does_not_hide_the_one_that_links_them():
    # 0-1 and 2-3 are families; of the pairs between them only (1, 2) verifies
    linked = {(0, 1), (2, 3), (1, 2)}

    def verify(pairs):
        return [(min(pair), max(pair)) in linked for pair in pairs]

    pairs = [(0, 1), (2, 3), (0, 2), (0, 3), (1, 3), (1, 2)]
    found = cluster(
        4, pairs, verify, lambda m: sorted(m, key=lambda x: (x != 1, x)), lambda a, b: 1.0
    )
    assert [c.members for c in found] == [[0, 1, 2]]
    assert found[0].anchor == 1  # 3 is not linked to it, and alone


def test_joins_can_refuse_a_member():
    oracle = Oracle([0, 0, 0], 0.5)
    found = cluster(
        3, all_pairs(3), oracle.verify, first, oracle.strength, joins=lambda ms, m: m != 2
    )
    assert [c.members for c in found] == [[0, 1]]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_small_inputs_and_no_links(count):
    oracle = Oracle([10 * i for i in range(count)], 1)
    assert cluster(count, all_pairs(count), oracle.verify, first, oracle.strength) == []


def test_output_is_sorted_and_singletons_are_dropped():
    positions = [50, 0, 0, 90, 30, 30]
    oracle = Oracle(positions, 0)
    found = cluster(6, all_pairs(6), oracle.verify, first, oracle.strength)
    assert [c.members for c in found] == [[1, 2], [4, 5]]


def test_an_item_joins_through_the_member_it_is_allowed_to_join_through():
    # frames of a burst drifting away from the anchor 0: 0-1-2-3 each one step apart
    positions = [0, 1, 2, 3]
    oracle = Oracle(positions, 1)

    def neighbours(item):  # the frame just before it
        return [item - 1]

    plain = cluster(4, all_pairs(4), oracle.verify, first, oracle.strength)
    grown = cluster(4, all_pairs(4), oracle.verify, first, oracle.strength, through=neighbours)
    assert [c.members for c in plain] == [[0, 1], [2, 3]]
    # 2 joins through 1 (linked to the anchor); 3 would need two steps: it stays out
    assert [c.members for c in grown] == [[0, 1, 2]]


def test_an_item_left_out_joins_the_cluster_of_a_member_it_is_linked_to_if_alike_to_its_anchor():
    # 0-1-2 one step apart (anchor 0 takes 1; 2 misses it and is left alone), and 3-4
    positions = [0, 1, 2, 5, 6]
    oracle = Oracle(positions, 1)
    plain = cluster(5, all_pairs(5), oracle.verify, first, oracle.strength)
    assert [c.members for c in plain] == [[0, 1], [3, 4]]
    for reach, expected in ((2.5, [[0, 1, 2], [3, 4]]), (1.5, [[0, 1], [3, 4]])):
        looser = Oracle(positions, reach)  # alike to the anchor, with the link as more evidence
        found = cluster(5, all_pairs(5), oracle.verify, first, oracle.strength, loose=looser.verify)
        assert [c.members for c in found] == expected
        assert looser.asked == [(0, 2)]  # only the one left out, against its cluster's anchor
