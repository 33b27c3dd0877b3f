"""Clusters from candidate pairs, verifying about as few pairs as the clusters need.

Plain connected components (single linkage) chain: in a run of gradual changes A~B~C~D every
neighbour is linked, and A ends up grouped with a D that looks nothing like it. Verifying
every candidate pair first is quadratic: a family of 400 frames of one scene has 80,000. So
clustering runs in two stages, each of which hands the caller whole batches of pairs to
verify (``verify``: pairs -> linked or not), never one pair at a time:

1. **Families**: the connected components of the pairs that verify, found without verifying
   pairs whose two items are already connected. Pairs are taken in the caller's order (the
   likeliest first); each batch is a forest over the current components (a pair whose items
   the batch already connects waits for the next one), plus a few more pairs between two
   components when one of them might fail. A family of ``n`` copies costs about ``n - 1``
   verifications, however many candidate pairs it has.
2. **Anchors**: each family is split around an *anchor* (the item ``rank`` puts first: the
   caller's stand-in for the medoid). Every other member is verified against it, all
   families at once; those linked to it form the cluster (in order of ``strength``, each
   accepted by ``joins``), and the rest is clustered again in the same way, among itself.
   Every member of a cluster is thus linked to its anchor, which bounds its diameter.

The result depends only on the pairs' order and on each pair's own verdict, never on how
the batches were cut. Pure Python on integer ids; must not import the store or any UI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Cluster:
    anchor: int
    members: list[int] = field(default_factory=list)


Verify = Callable[[list[tuple[int, int]]], list[bool]]  # pairs -> linked, in order
Rank = Callable[[list[int]], int]  # the anchor among these members
Strength = Callable[[int, int], float]  # how alike an anchor and a member linked to it are
Joins = Callable[[list[int], int], bool]  # may this item join these members?
Through = Callable[[int, list[int]], list[int]]  # members an item may join a cluster through

BATCH = 4096  # pairs verified at once, at most
_BETWEEN = 4  # pairs between the same two components in one batch


def cluster(
    count: int,
    pairs: Sequence[tuple[int, int]],
    verify: Verify,
    rank: Rank,
    strength: Strength,
    joins: Joins | None = None,
    batch: int = BATCH,
    through: Through | None = None,
) -> list[Cluster]:
    """Clusters of two or more of the items ``0..count-1``, from candidate ``pairs`` (the
    likeliest first). An item not linked to its family's anchor may still join the
    anchor's cluster through a member linked to the anchor, if ``through`` names that
    member and the pair verifies (frames of one burst drift away from its first frame, and
    still belong together). Members and clusters come sorted by id."""
    pool = [0] * count  # which pool each item is in: pairs count only within one
    pools = 1
    found: list[Cluster] = []
    live = list(pairs)
    while live:
        families = _families(count, live, pool, verify, batch)
        pool, pools, found_now = _split(
            count, families, pools, verify, rank, strength, joins, through
        )
        found += found_now
        live = [(a, b) for a, b in live if pool[a] == pool[b] >= 0]
    for c in found:
        c.members.sort()
    return sorted(found, key=lambda c: c.members[0])


def _families(
    count: int, pairs: list[tuple[int, int]], pool: list[int], verify: Verify, batch: int
) -> list[list[int]]:
    """The connected components (two or more items) of the ``pairs`` that verify, within
    each pool."""
    parent = list(range(count))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pending = [(a, b) for a, b in pairs if pool[a] == pool[b] >= 0]
    while pending:
        trial: dict[int, int] = {}  # roots merged by this batch, were its pairs to verify
        chosen: list[tuple[int, int]] = []
        between: dict[tuple[int, int], int] = {}
        later: list[tuple[int, int]] = []
        for a, b in pending:
            ra, rb = root(a), root(b)
            if ra == rb:
                continue  # already one family: no need to verify
            key = (min(ra, rb), max(ra, rb))
            seen = between.get(key, 0)
            if len(chosen) >= batch:
                later.append((a, b))
            elif seen == 0:
                ta, tb = _merged(trial, ra), _merged(trial, rb)
                if ta == tb:
                    later.append((a, b))  # this batch may join them already
                    continue
                trial[max(ta, tb)] = min(ta, tb)
                between[key] = 1
                chosen.append((a, b))
            elif seen < _BETWEEN:
                between[key] = seen + 1
                chosen.append((a, b))  # in case the first one between them fails
            else:
                later.append((a, b))
        for (a, b), linked in zip(chosen, verify(chosen), strict=True):
            if linked:
                ra, rb = root(a), root(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        pending = later
    members: dict[int, list[int]] = {}
    for item in range(count):
        if pool[item] >= 0:
            members.setdefault(root(item), []).append(item)
    return [m for m in members.values() if len(m) > 1]


def _merged(trial: dict[int, int], x: int) -> int:
    while x in trial:
        x = trial[x]
    return x


def _split(
    count: int,
    families: list[list[int]],
    pools: int,
    verify: Verify,
    rank: Rank,
    strength: Strength,
    joins: Joins | None,
    through: Through | None,
) -> tuple[list[int], int, list[Cluster]]:
    """Each family split around its anchor: (the pools left to cluster again, their count,
    the clusters found)."""
    anchors = [rank(family) for family in families]
    asked = [
        (anchor, m) for anchor, f in zip(anchors, families, strict=True) for m in f if m != anchor
    ]
    linked = dict(zip(asked, verify(asked), strict=True))
    pool = [-1] * count
    clusters = []
    direct = []
    for anchor, family in zip(anchors, families, strict=True):
        near = sorted(
            (m for m in family if m != anchor and linked[(anchor, m)]),
            key=lambda m: (-strength(anchor, m), m),
        )
        members = [anchor]
        for m in near:
            if joins is None or joins(members, m):
                members.append(m)
        direct.append(members)
    if through is not None:
        direct = _through(families, direct, verify, joins, through)
    for family, members in zip(families, direct, strict=True):
        anchor = members[0]
        if len(members) > 1:
            clusters.append(Cluster(anchor=anchor, members=members))
        joined = set(members)
        rest = [m for m in family if m not in joined]
        if len(rest) > 1:
            for m in rest:
                pool[m] = pools
            pools += 1
    return pool, pools, clusters


def _through(
    families: list[list[int]],
    direct: list[list[int]],
    verify: Verify,
    joins: Joins | None,
    through: Through,
) -> list[list[int]]:
    """Each cluster (anchor first) with the items of its family that join it through one
    of its members (one step: the clusters' diameter stays bounded)."""
    asks = []
    for family, members in zip(families, direct, strict=True):
        inside = set(members)
        for m in family:
            if m not in inside:
                asks += [(x, m) for x in through(m, members[1:])]
    linked = dict(zip(asks, verify(asks), strict=True))
    grown = []
    for family, members in zip(families, direct, strict=True):
        inside = set(members)
        joined = list(members)
        for m in family:
            if m in inside:
                continue
            via = [x for x in through(m, members[1:]) if linked[(x, m)]]
            if via and (joins is None or joins(joined, m)):
                joined.append(m)
        grown.append(joined)
    return grown
