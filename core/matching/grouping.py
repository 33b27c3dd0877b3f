"""Group the catalogued photos: exact copies, near-duplicates and bursts.

1. **Exact**: files with the same content hash are one photo for everything below; each set
   of two or more that matches nothing else is an *exact* group.
2. **Candidates** (``core.matching``) come from two places: the variant pHashes of
   ``core.similarity`` (each photo's 8 orientations in several zooms and turns against
   every photo's plain pHash, searched with ``core.hashindex`` within ``hash_radius`` bits),
   so mirrored, rotated and cropped copies are found; and EXIF capture times (same camera,
   consecutive frames at most ``burst_seconds`` apart), so the frames of a burst are compared
   even when they moved.
3. **Verification** (``core.verify``): a candidate pair is compared on its thumbnails,
   aligned, in batches that carry their own thumbnails, so that large batches run on every
   core (``executor``) and each pair's result is its own. Frames of one burst link at
   ``threshold``; other pairs need more the further apart their hashes are (copies of one
   photo sit within a few bits and correlate above 0.98, while two featureless photos, a
   sky and a fog, may correlate well but never hash that close), up to a ceiling.
4. **Clustering** (``core.clustering``): families are the connected components of the
   pairs that verify, found without verifying pairs already connected; each family splits
   around its anchor, every member verified against it (a burst's frames may join through
   their neighbours; a photo left out but linked to a member joins if alike to the anchor
   at the threshold itself), and no person's "not duplicates" is overruled, so gradual changes
   never chain into one giant group. A family of ``n`` copies costs about ``2n``
   verifications, not the ``n^2 / 2`` of its candidate pairs.
5. **Tiers**: a member is *similar* when it is another shot (a burst frame, or EXIF says it
   was taken at another moment than the anchor), else *exact* if it has a byte-identical copy
   in the group, else *near* (the same photo saved differently). A group's tier is its
   loosest member's; a group of nothing but copies of one file is *exact*.

Must not import the store or any UI: photos and thumbnails come in as arguments.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from core.matching.clustering import Cluster, cluster
from core.matching.matcher import (
    Cache,
    Matcher,
    ThumbLoader,
    same_moment,
)
from core.matching.options import GROUPING_VERSION, GroupingOptions
from core.matching.verify import Executor
from core.media.folders import FolderSet
from core.models import TIER_ORDER, Burst, Group, GroupMember, Photo, Tier, Verdict
from core.progress import Reporter

__all__ = ["GROUPING_VERSION", "GroupingOptions", "group_photos"]

log = logging.getLogger(__name__)


def group_photos(
    photos: Iterable[Photo],
    load_thumbs: ThumbLoader,
    options: GroupingOptions = GroupingOptions(),
    *,
    verdicts: Sequence[Verdict] = (),
    reference_folders: Collection[str] = (),
    reporter: Reporter | None = None,
    load_pictures: ThumbLoader | None = None,
    executor: Executor | None = None,
    cache: Cache | None = None,
) -> list[Group]:
    """Groups of the analysed ``photos``, sorted by their first path.

    ``verdicts`` are what a person said is not duplicates (``core.models.Verdict``).
    ``reference_folders`` are folders whose files are marked ``reference`` in the result.
    ``load_pictures`` gives the thumbnails of the photos' picture boxes (``Photo.picture``),
    for those that have one. ``executor`` verifies the pairs once there are enough of them
    (on every core, with a process pool that keeps its workers between calls: clustering
    asks for many small batches); without one, all are verified here. ``cache`` keeps the photos'
    variant hashes and the verified pairs between runs (``matcher.Cache``)."""
    reporter = reporter or Reporter()
    usable = sorted((p for p in photos if p.error is None and p.hashes), key=lambda p: p.path)
    sets = _exact_sets(usable, verdicts)
    reps = [s[0] for s in sets]
    matcher = Matcher(reps, load_thumbs, options, reporter, load_pictures, executor, cache)
    forbidden = _Forbidden(sets, verdicts)
    pairs = matcher.candidates(lambda a, b: forbidden.allows((a,), (b,)))
    started = time.perf_counter()
    clusters = cluster(
        len(reps),
        pairs,
        matcher.verify,
        matcher.rank,
        matcher.score,
        lambda members, item: forbidden.allows(members, (item,)),
        through=matcher.through,
        loose=matcher.loose,
    )
    seconds = time.perf_counter() - started
    if cache is not None:
        copies = [p.id for s in sets for p in s[1:] if p.id is not None]  # never searched
        search = replace(matcher.search, unsearched=copies)
        cache.keep(matcher.new_variants, matcher.new_links, search)
    log.debug(
        "%d representatives, %d candidate pairs, %d verified in %.1f s (%.0f pairs/s)",
        len(reps),
        len(pairs),
        matcher.verified,
        seconds,
        matcher.verified / max(seconds, 1e-9),
    )
    references = FolderSet(reference_folders)
    groups = [_visual_group(c, sets, matcher, options, references) for c in clusters]
    grouped = {i for c in clusters for i in c.members}
    groups += [
        _exact_group(s, references) for i, s in enumerate(sets) if len(s) > 1 and i not in grouped
    ]
    return sorted(groups, key=lambda g: g.paths[0])


def _exact_sets(photos: Sequence[Photo], verdicts: Sequence[Verdict]) -> list[list[Photo]]:
    """Photos with equal content hashes together (path order), except where a person said a
    content's copies are not duplicates (it stands on two sides of a verdict); every other
    photo alone."""
    apart = {
        content
        for verdict in verdicts
        for content, count in Counter(c for side in verdict.sides for c in side).items()
        if count > 1
    }
    by_hash: dict[str, list[Photo]] = defaultdict(list)
    sets: list[list[Photo]] = []
    for photo in photos:
        if photo.content_hash and photo.content_hash not in apart:
            by_hash[photo.content_hash].append(photo)
        else:
            sets.append([photo])
    sets.extend(by_hash.values())
    return sorted(sets, key=lambda s: s[0].path)


class _Forbidden:
    """What the verdicts forbid: two exact sets may not be grouped when one holds a content on
    one side of a verdict and the other a content on another side of the same verdict."""

    def __init__(self, sets: Sequence[list[Photo]], verdicts: Sequence[Verdict]) -> None:
        self.hash_of = [s[0].content_hash for s in sets]
        self.marks: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for number, verdict in enumerate(verdicts):
            for side, contents in enumerate(verdict.sides):
                for content in contents:
                    self.marks[content].append((number, side))

    def _sides(self, items: Iterable[int]) -> dict[int, set[int]]:
        found: dict[int, set[int]] = defaultdict(set)
        for item in items:
            for number, side in self.marks.get(self.hash_of[item] or "", ()):
                found[number].add(side)
        return found

    def allows(self, xs: Iterable[int], ys: Iterable[int]) -> bool:
        if not self.marks:
            return True
        sides_x = self._sides(xs)
        if not sides_x:
            return True
        sides_y = self._sides(ys)
        return not any(len(sx | sides_y[n]) > 1 for n, sx in sides_x.items() if n in sides_y)


def _exact_group(photos: list[Photo], references: FolderSet) -> Group:
    members = tuple(GroupMember(p, Tier.EXACT, 1.0, references.contains(p.path)) for p in photos)
    return Group(tier=Tier.EXACT, anchor=photos[0].path, members=members)


def _visual_group(
    found: Cluster,
    sets: Sequence[list[Photo]],
    matcher: Matcher,
    options: GroupingOptions,
    references: FolderSet,
) -> Group:
    anchor = sets[found.anchor][0]
    inside = set(found.members)
    bursts = []
    for run in matcher.bursts:
        frames = [i for i in run if i in inside]
        if len(frames) > 1 and not same_moment(sets[frames[0]][0], sets[frames[-1]][0]):
            bursts.append(Burst(members=tuple(p.path for i in frames for p in sets[i])))
    in_burst = {path for burst in bursts for path in burst.members}
    members = []
    for i in found.members:
        score = round(matcher.score(found.anchor, i), 4)
        for photo in sets[i]:
            if photo.path in in_burst or _other_moment(photo, anchor):
                relation = Tier.SIMILAR  # another shot
            elif len(sets[i]) > 1:
                relation = Tier.EXACT  # has a byte-identical copy in the group
            else:
                relation = Tier.NEAR
            reference = references.contains(photo.path)
            members.append(GroupMember(photo, relation, score, reference))
    members.sort(key=lambda m: m.photo.path)
    tier = max((m.relation for m in members), key=TIER_ORDER.__getitem__)
    return Group(
        tier=max(tier, Tier.NEAR, key=TIER_ORDER.__getitem__),
        anchor=anchor.path,
        members=tuple(members),
        bursts=tuple(sorted(bursts, key=lambda b: b.members[0])),
    )


def _other_moment(photo: Photo, anchor: Photo) -> bool:
    """Both capture times are known and differ: two shots, not two copies of one."""
    if photo.taken_at is None or anchor.taken_at is None:
        return False
    return not same_moment(photo, anchor)
