"""Clusters from candidate pairs, verifying about as few pairs as the clusters need.

Plain connected components (single linkage) chain: in a run of gradual changes A~B~C~D every
neighbour is linked, and A ends up grouped with a D that looks nothing like it. Verifying
every candidate pair first is quadratic: a family of 400 frames of one scene has 80,000. So
clustering runs in two stages, each of which hands the caller whole batches of pairs to
verify (``verify``: pairs -> linked or not), never one pair at a time:

1. **Families**: the connected components of the pairs that verify. A pair one of whose
   items has at most ``eager`` candidate pairs (most photos have a copy or two) is verified
   in the first batch, so the caller verifies nearly everything at once (on every core);
   that costs at most ``eager`` verifications a member. Other pairs whose two items are
   already connected are not verified: pairs are taken in the caller's order (the
   likeliest first); each batch is a forest over the current components (a pair whose items
   the batch already connects waits for the next one, unless few pairs verified in the
   last batch: then it tries a few more towards each merge, about as many as it takes for
   one to verify), plus a few more pairs between two components when one of them might
   fail. A family of ``n`` copies costs about ``n - 1`` verifications, however many
   candidate pairs it has.
2. **Anchors**: each family is split around *anchors*: the item ``rank`` puts first (the
   caller's stand-in for the medoid, or the anchor it had before), and after it each item
   in ``rank`` order more than two candidate steps from an anchor before it (a long family,
   a chain of overlapping crops, splits in many places at once). The members within reach
   of an anchor are verified against it, all families at once: its candidates first, then
   what is linked to those linked to it (a copy whose hash strayed from the original's is
   still near another copy's); those linked to it form its cluster (in order of
   ``strength``, each accepted by ``joins``; a member alike to two anchors joins the
   first), and the rest is clustered again in the same way, among itself. Every member of a
   cluster is thus linked to its anchor, which bounds its diameter; and a family costs
   about its candidate pairs, not the square of its size (a family of 1,000 overlapping
   crops, each alike to a few others, is not verified member by member against anchor after
   anchor).

No pair is verified twice. The result depends only on the pairs' order and on each pair's
own verdict, never on how the batches were cut or which pairs were verified early. Pure
Python on integer ids; must not import the store or any UI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Cluster:
    anchor: int
    members: list[int] = field(default_factory=list)


Verify = Callable[[list[tuple[int, int]]], list[bool]]  # pairs -> linked, in order
Rank = Callable[[list[int]], list[int]]  # these members, the likeliest anchor first
Strength = Callable[[int, int], float]  # how alike an anchor and a member linked to it are
Joins = Callable[[list[int], int], bool]  # may this item join these members?
Through = Callable[[int], list[int]]  # the items an item may join a cluster through

BATCH = 4096  # pairs verified at once, at most
EAGER = 32  # a pair is verified at once when one of its items has at most this many
_BETWEEN = 4  # pairs between the same two components in one batch
_MOST_TRIES = 32  # pairs a batch tries towards one merge, at most (when few verify)


def cluster(
    count: int,
    pairs: Sequence[tuple[int, int]],
    verify: Verify,
    rank: Rank,
    strength: Strength,
    joins: Joins | None = None,
    batch: int = BATCH,
    through: Through | None = None,
    eager: int = EAGER,
    loose: Verify | None = None,
) -> list[Cluster]:
    """Clusters of two or more of the items ``0..count-1``, from candidate ``pairs`` (the
    likeliest first). An item not linked to its family's anchor may still join the
    anchor's cluster through a member linked to the anchor, if ``through`` names that
    member and the pair verifies (frames of one burst drift away from its first frame, and
    still belong together). An item left in no cluster but linked to a member of one joins
    it if ``loose`` says it is alike to its anchor (pairs (anchor, item) -> alike enough).
    Members and clusters come sorted by id."""
    pool = [0] * count  # which pool each item is in: pairs count only within one
    pools = 1
    found: list[Cluster] = []
    live = list(pairs)
    memo = _Memo(verify)
    memo.ask(_sparse(count, live, eager))
    near: list[set[int]] = [set() for _ in range(count)]  # each item's candidates
    for a, b in live:
        near[a].add(b)
        near[b].add(a)
    while live:
        families = _families(count, live, pool, memo, batch)
        pool, pools, found_now = _split(
            count, families, pools, memo, near, rank, strength, joins, through
        )
        found += found_now
        live = [(a, b) for a, b in live if pool[a] == pool[b] >= 0]
    if loose is not None:
        _adopt(count, found, memo, near, loose, strength, joins)
    for c in found:
        c.members.sort()
    return sorted(found, key=lambda c: c.members[0])


class _Memo:
    """``verify`` that remembers: each pair is verified once."""

    def __init__(self, verify: Verify) -> None:
        self.verify = verify
        self.known: dict[tuple[int, int], bool] = {}

    def __call__(self, pairs: list[tuple[int, int]]) -> list[bool]:
        self.ask(pairs)
        return [self.known[_key(a, b)] for a, b in pairs]

    def ask(self, pairs: list[tuple[int, int]]) -> None:
        keys = dict.fromkeys(_key(a, b) for a, b in pairs)
        todo = [key for key in keys if key not in self.known]
        if todo:
            self.known.update(zip(todo, self.verify(todo), strict=True))

    def get(self, a: int, b: int) -> bool | None:
        return self.known.get(_key(a, b))


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _sparse(count: int, pairs: list[tuple[int, int]], eager: int) -> list[tuple[int, int]]:
    """The pairs one of whose items has at most ``eager`` candidate pairs: at most ``eager``
    a member, however dense the rest."""
    degree = [0] * count
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1
    return [(a, b) for a, b in pairs if min(degree[a], degree[b]) <= eager]


class _Roots:
    """Union-find over ``0..count-1``; the smaller root wins."""

    def __init__(self, count: int) -> None:
        self.parent = list(range(count))

    def root(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _families(
    count: int, pairs: list[tuple[int, int]], pool: list[int], verify: _Memo, batch: int
) -> list[list[int]]:
    """The connected components (two or more items) of the ``pairs`` that verify, within
    each pool."""
    finder = _Roots(count)
    root = finder.root
    pending = [(a, b) for a, b in pairs if pool[a] == pool[b] >= 0]
    tries = 1  # pairs a batch tries towards one merge: more, the fewer verified last time
    while pending:
        unknown = []
        for a, b in pending:  # what is verified already joins at once
            linked = verify.get(a, b)
            if linked is None:
                unknown.append((a, b))
            elif linked:
                finder.union(a, b)
        pending = unknown
        trial: dict[int, int] = {}  # roots merged by this batch, were its pairs to verify
        extra: dict[int, int] = {}  # pairs tried towards a merge this batch may make already
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
                if ta == tb:  # this batch may join them already
                    if extra.get(ta, 0) + 1 < tries:
                        extra[ta] = extra.get(ta, 0) + 1
                        between[key] = 1
                        chosen.append((a, b))
                    else:
                        later.append((a, b))
                    continue
                trial[max(ta, tb)] = min(ta, tb)
                between[key] = 1
                chosen.append((a, b))
            elif seen < max(_BETWEEN, tries):
                between[key] = seen + 1
                chosen.append((a, b))  # in case the first one between them fails
            else:
                later.append((a, b))
        verdicts = verify(chosen)
        for (a, b), linked in zip(chosen, verdicts, strict=True):
            if linked:
                finder.union(a, b)
        rate = sum(verdicts) / max(len(verdicts), 1)
        tries = max(1, min(_MOST_TRIES, round(1.0 / max(rate, 1.0 / _MOST_TRIES))))
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
    verify: _Memo,
    near: list[set[int]],
    rank: Rank,
    strength: Strength,
    joins: Joins | None,
    through: Through | None,
) -> tuple[list[int], int, list[Cluster]]:
    """Each family split around its anchors: (the pools left to cluster again, their count,
    the clusters found). The anchors of a family are its members in ``rank`` order more
    than two candidate steps from an anchor before them, so one pass splits a long family
    (a chain of overlapping crops) in many places at once; a member alike to several
    anchors joins the first."""
    anchors = [_anchors(rank(family), near) for family in families]
    inside = [set(f) for f in families]
    reach = [
        (anchor, m)
        for chosen, f in zip(anchors, inside, strict=True)
        for anchor in chosen
        for m in sorted(near[anchor] & f)
    ]
    verify.ask(reach)
    further = [
        (anchor, m)
        for chosen, f in zip(anchors, inside, strict=True)
        for anchor in chosen
        for m in sorted(
            {
                x
                for y in near[anchor] & f
                if verify.get(anchor, y)
                for x in near[y] & f
                if verify.get(y, x)
            }
            - near[anchor]
            - {anchor}
        )
    ]
    verify.ask(further)
    pool = [-1] * count
    clusters = []
    for chosen, family in zip(anchors, families, strict=True):
        taken = set(chosen)
        direct = []
        for anchor in chosen:
            alike = sorted(
                (m for m in family if m not in taken and verify.get(anchor, m)),
                key=lambda m: (-strength(anchor, m), m),
            )
            members = [anchor]
            for m in alike:
                if joins is None or joins(members, m):
                    members.append(m)
            taken.update(members)
            direct.append(members)
        if through is not None:
            direct = _through(family, direct, verify, joins, through)
        joined = {chosen[0]}  # the first anchor is done with, alone or not: progress
        for members in direct:
            if len(members) > 1:
                clusters.append(Cluster(anchor=members[0], members=members))
                joined.update(members)
        rest = [m for m in family if m not in joined]
        if len(rest) > 1:
            for m in rest:
                pool[m] = pools
            pools += 1
    return pool, pools, clusters


def _anchors(ordered: list[int], near: list[set[int]]) -> list[int]:
    """The members of ``ordered`` (the likeliest anchor first) more than two candidate
    steps from every one before them: between two anchors' reaches there is room for the
    members neither takes to cluster among themselves in the next pass."""
    anchors: list[int] = []
    covered: set[int] = set()
    for m in ordered:
        if m not in covered:
            anchors.append(m)
            covered.add(m)
            for x in near[m]:
                covered.add(x)
                covered |= near[x]
    return anchors


def _through(
    family: list[int],
    direct: list[list[int]],
    verify: Verify,
    joins: Joins | None,
    through: Through,
) -> list[list[int]]:
    """Each cluster of ``family`` (anchor first) with the members of the family in none
    that join it through one of its other members (one step: the clusters' diameter stays
    bounded); a member joins the first cluster it can."""
    cluster_of = {m: n for n, members in enumerate(direct) for m in members[1:]}
    taken = {m for members in direct for m in members}
    vias = {m: [x for x in through(m) if x in cluster_of] for m in family if m not in taken}
    asks = [(x, m) for m, xs in vias.items() for x in xs]
    linked = dict(zip(asks, verify(asks), strict=True))
    grown = [list(members) for members in direct]
    for m, xs in vias.items():
        for n in sorted({cluster_of[x] for x in xs if linked[(x, m)]}):
            if joins is None or joins(grown[n], m):
                grown[n].append(m)
                break
    return grown


def _adopt(
    count: int,
    found: list[Cluster],
    verify: _Memo,
    near: list[set[int]],
    loose: Verify,
    strength: Strength,
    joins: Joins | None,
) -> None:
    """Each item in no cluster joins a cluster one of whose members it is linked to, if
    ``loose`` finds it alike to that cluster's anchor: the cluster of its strongest such
    link first. (A copy of a copy whose hash strayed from the original's is linked to the
    other copy and, at the raised similarity its hashes ask for, not to the original.)"""
    cluster_of = {m: n for n, c in enumerate(found) for m in c.members}
    asks: list[tuple[int, int, int]] = []  # (cluster, item, anchor)
    for item in range(count):
        if item in cluster_of:
            continue
        best: dict[int, float] = {}
        for x in near[item]:
            n = cluster_of.get(x)
            if n is not None and verify.get(x, item):
                best[n] = max(best.get(n, 0.0), strength(x, item))
        for n in sorted(best, key=lambda n: (-best[n], n)):
            asks.append((n, item, found[n].anchor))
    verdicts = loose([(anchor, item) for _, item, anchor in asks])
    joined: set[int] = set()
    for (n, item, _), alike in zip(asks, verdicts, strict=True):
        if alike and item not in joined and (joins is None or joins(found[n].members, item)):
            found[n].members.append(item)
            joined.add(item)
