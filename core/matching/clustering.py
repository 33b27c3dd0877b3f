"""Clusters from links without chaining.

Plain connected components (single linkage) chain: in a run of gradual changes A~B~C~D every
neighbour is linked, and A ends up grouped with a D that looks nothing like it. Here links are
taken strongest first, and two clusters merge only if ``can_join`` accepts the merged cluster
around a proposed *anchor* (the member with the most links, then the strongest ones: a
stand-in for the medoid; failing that, the other cluster's anchor). The caller's check decides
what "close to the anchor" means (within the hash radius, visually alike, not ruled apart by a
person) and should hold it for every member, which bounds each cluster's diameter.

Pure Python on integer ids; must not import the store or any UI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class Cluster:
    anchor: int
    members: list[int] = field(default_factory=list)


JoinCheck = Callable[[Cluster, Cluster, int], bool]  # (x, y, proposed anchor of the union)


def cluster(
    count: int,
    left: Sequence[int] | np.ndarray,
    right: Sequence[int] | np.ndarray,
    strength: Sequence[float] | np.ndarray,
    can_join: JoinCheck | None = None,
) -> list[Cluster]:
    """Clusters of two or more of the items ``0..count-1`` linked by ``left[i]``-``right[i]``
    with ``strength[i]`` (higher is stronger). Members and clusters come sorted by id."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    weights = np.asarray(strength, dtype=np.float64)
    links = np.bincount(left, minlength=count) + np.bincount(right, minlength=count)
    weight = np.bincount(left, weights, count) + np.bincount(right, weights, count)
    order = np.lexsort((right, left, -weights))
    owner: list[Cluster | None] = [None] * count

    def cluster_of(item: int) -> Cluster:
        found = owner[item]
        if found is None:
            found = owner[item] = Cluster(anchor=item, members=[item])
        return found

    for edge in order:
        x, y = cluster_of(int(left[edge])), cluster_of(int(right[edge]))
        if x is y:
            continue
        preferred, other = sorted((x.anchor, y.anchor), key=lambda a: (-links[a], -weight[a], a))
        anchor = next(
            (a for a in (preferred, other) if can_join is None or can_join(x, y, a)), None
        )
        if anchor is None:
            continue
        keep, gone = (x, y) if len(x.members) >= len(y.members) else (y, x)
        keep.anchor = anchor
        for item in gone.members:
            owner[item] = keep
        keep.members.extend(gone.members)
    unique = {id(c): c for c in owner if c is not None and len(c.members) > 1}
    result = list(unique.values())
    for c in result:
        c.members.sort()
    return sorted(result, key=lambda c: c.members[0])
