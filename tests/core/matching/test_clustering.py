"""Anchored clustering: links join clusters strongest first, but only when the caller's check
accepts the merged cluster around its anchor, so chains of small steps split."""

from __future__ import annotations

from core.matching.clustering import cluster

POSITIONS = [0, 1, 2, 3, 4, 5, 6, 20, 21]  # a chain 0..6 one step apart, and a far pair


def chain_links():
    left = [0, 1, 2, 3, 4, 5, 7]
    right = [1, 2, 3, 4, 5, 6, 8]
    strength = [-abs(POSITIONS[a] - POSITIONS[b]) for a, b in zip(left, right, strict=True)]
    return left, right, strength


def within(radius):
    def check(x, y, anchor):
        return all(
            abs(POSITIONS[anchor] - POSITIONS[m]) <= radius for m in (*x.members, *y.members)
        )

    return check


def test_without_a_check_links_make_connected_components():
    found = cluster(len(POSITIONS), *chain_links())
    assert [c.members for c in found] == [[0, 1, 2, 3, 4, 5, 6], [7, 8]]


def test_a_chain_of_small_steps_splits_around_anchors():
    found = cluster(len(POSITIONS), *chain_links(), can_join=within(1))
    assert all(len(c.members) <= 3 for c in found)
    for c in found:
        assert all(abs(POSITIONS[c.anchor] - POSITIONS[m]) <= 1 for m in c.members)
    assert [7, 8] in [c.members for c in found]


def test_every_member_stays_close_to_its_anchor():
    found = cluster(len(POSITIONS), *chain_links(), can_join=within(2))
    for c in found:
        assert all(abs(POSITIONS[c.anchor] - POSITIONS[m]) <= 2 for m in c.members)


def test_anchor_is_the_most_linked_member():
    # a star: 0 linked to 1, 2, 3; the leaves are not linked to each other
    found = cluster(4, [0, 0, 0], [1, 2, 3], [1.0, 1.0, 1.0])
    assert found[0].anchor == 0


def test_the_other_anchor_is_tried_when_the_preferred_one_fails():
    asked = []

    def only_anchor_one(x, y, anchor):
        asked.append(anchor)
        return anchor == 1

    # 0 has more links, so it is proposed first; the check only accepts 1
    found = cluster(3, [0, 0], [1, 2], [2.0, 1.0], can_join=only_anchor_one)
    assert asked[:2] == [0, 1]
    assert found[0].anchor == 1


def test_output_is_sorted_and_singletons_are_dropped():
    found = cluster(6, [4, 1], [5, 2], [1.0, 1.0])
    assert [c.members for c in found] == [[1, 2], [4, 5]]
