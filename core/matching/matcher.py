"""Matching: which representatives of the photos are alike, and how much.

Candidates come from the variant pHashes (``core.similarity``) searched with
``core.hashindex`` (every variant of each photo against every plain pHash, and the centres
against each other), and from EXIF capture times (frames of one burst). Each candidate is
verified on the thumbnails; the similarity a pair needs grows with the distance of their
hashes, except between frames of one burst. Must not import the store or any UI.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from core.analysis.hashing import thumb_from_bytes
from core.matching import hashindex, similarity
from core.matching.options import GroupingOptions
from core.matching.similarity import Alignment
from core.models import Phase, Photo
from core.progress import Reporter

ThumbLoader = Callable[[Sequence[str]], dict[str, bytes]]

_LOAD_CHUNK = 2000
_BURST_NEIGHBOURS = 8  # in a long continuous run, compare each frame with this many next ones
_SAME_MOMENT = 0.05  # seconds: capture times closer than this are the same shot
_NO_MATCH = 1 << 30
# Copies of one photo sit within a few bits of each other in some variant (8 at most on the
# benchmark corpora, all with similarity above 0.98); beyond that, each further bit asks for
# more similarity, so two smooth, featureless photos that happen to correlate stay apart.
_FREE_DISTANCE = 8
_STRICTER_PER_BIT = 0.03
# The fine alignment search added at most 0.15 to a pair's first figure on the benchmark
# corpora; pairs further than this below what they need are not searched.
_SEARCH_GAIN = 0.3
_PLAIN = similarity.PLAIN


class Matcher:
    """Candidate search and verification over the representatives of the exact sets.

    Each representative has one or two *faces*: its thumbnail, and the thumbnail of its
    picture's box when that is not the whole photo (a framed, padded or letterboxed copy, a
    screenshot). Faces are hashed and searched alike; a pair of representatives is linked by
    its best-matching faces."""

    def __init__(
        self,
        reps: Sequence[Photo],
        load_thumbs: ThumbLoader,
        options: GroupingOptions,
        reporter: Reporter,
        load_pictures: ThumbLoader | None = None,
    ) -> None:
        self.reps = reps
        self.options = options
        self.reporter = reporter
        count = len(reps)
        aspects = np.array([_aspect(p) for p in reps], np.float64)
        thumbs = self._load(load_thumbs)
        pictures = self._pictures(load_pictures)
        boxed = np.stack([t for _, t in pictures]) if pictures else np.zeros((0, 64, 64), np.uint8)
        self.thumbs = np.concatenate([thumbs, boxed])
        self.owner = np.concatenate([np.arange(count), [i for i, _ in pictures]]).astype(np.int64)
        self.aspects = np.concatenate(
            [aspects, [aspects[i] * _box_aspect(reps[i].picture) for i, _ in pictures]]
        )
        self.faces_of: list[list[int]] = [[i] for i in range(count)]
        for face, (i, _) in enumerate(pictures, start=count):
            self.faces_of[i].append(face)
        self.face_flat = np.array([similarity.is_flat(t) for t in self.thumbs], dtype=bool)
        self.flat = self.face_flat[:count]
        self.variants = self._fingerprint()
        self.bursts = self._burst_runs()
        self.run_of = {i: n for n, run in enumerate(self.bursts) for i in run}
        self._scores: dict[tuple[int, int], float] = {}

    def _load(self, load_thumbs: ThumbLoader) -> np.ndarray:
        thumbs = np.zeros((len(self.reps), 64, 64), np.uint8)
        paths = [p.path for p in self.reps]
        self.reporter.phase(Phase.LOADING, len(paths))
        for start in range(0, len(paths), _LOAD_CHUNK):
            self.reporter.step(start)
            loaded = load_thumbs(paths[start : start + _LOAD_CHUNK])
            for offset, path in enumerate(paths[start : start + _LOAD_CHUNK]):
                if path in loaded:
                    thumbs[start + offset] = thumb_from_bytes(loaded[path])
        return thumbs

    def _pictures(self, load_pictures: ThumbLoader | None) -> list[tuple[int, np.ndarray]]:
        """(representative, its picture's thumbnail) for those whose picture is a box."""
        boxed = [i for i, p in enumerate(self.reps) if p.picture and p.picture != _WHOLE]
        if load_pictures is None or not boxed:
            return []
        found = []
        for start in range(0, len(boxed), _LOAD_CHUNK):
            chunk = boxed[start : start + _LOAD_CHUNK]
            loaded = load_pictures([self.reps[i].path for i in chunk])
            found += [
                (i, thumb_from_bytes(loaded[self.reps[i].path]))
                for i in chunk
                if self.reps[i].path in loaded
            ]
        return found

    def _fingerprint(self) -> np.ndarray:
        out = np.zeros((len(self.thumbs), similarity.VARIANTS), np.uint64)
        self.reporter.phase(Phase.FINGERPRINTING, len(self.thumbs))
        for start in range(0, len(self.thumbs), _LOAD_CHUNK):
            self.reporter.step(start)
            chunk = self.thumbs[start : start + _LOAD_CHUNK]
            aspects = self.aspects[start : start + _LOAD_CHUNK]
            out[start : start + len(chunk)] = similarity.variant_phashes(chunk, aspects)
        return out

    # -- candidates ---------------------------------------------------------------------

    def links(
        self, allowed: Callable[[int, int], bool]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Verified links (left, right, similarity) between representatives; pairs that
        ``allowed`` refuses are not even compared."""
        candidates = self._hash_candidates()
        for a, b in self._time_candidates():
            if (a, b) not in candidates and (b, a) not in candidates:
                candidates[(a, b)] = (self.options.hash_radius + 1, a, b, _PLAIN)
        ordered = sorted(candidates.items())
        kept: list[tuple[int, int, float]] = []
        self.reporter.phase(Phase.VERIFYING, len(ordered))
        for done, ((a, b), (_, fa, fb, alignment)) in enumerate(ordered):
            self.reporter.step(done)
            if not allowed(a, b):
                continue
            needed = self.required(a, b)
            score = self._verify(fa, fb, alignment, needed)
            if score >= needed:
                kept.append((min(a, b), max(a, b), score))
        if not kept:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0)
        table = np.array(kept)
        return table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2]

    def _hash_candidates(self) -> dict[tuple[int, int], tuple[int, int, int, Alignment]]:
        """(a, b) -> (distance, face of a, face of b, alignment): that face of ``a`` so
        aligned resembles that face of ``b``. Two searches over the faces: every variant of
        each against every plain pHash (orientation, crops, turns), and the centres against
        each other (edits near the edges, e.g. watermarks)."""
        live = np.flatnonzero(~self.face_flat)
        if len(live) < 2:
            return {}
        centre = similarity.CENTRE_COLUMN
        found: dict[tuple[int, int], tuple[int, int, int, Alignment]] = {}
        searches = (
            (self.variants[live], self.variants[live, 0], self._alignment),
            (
                self.variants[live, centre : centre + similarity.DIHEDRAL],
                self.variants[live, centre],
                lambda column, face: similarity.Alignment.turned(column),
            ),
        )
        self.reporter.phase(Phase.SEARCHING)
        for queries, index, alignment_of in searches:
            per_face = queries.shape[1]
            pairs = hashindex.near_pairs_between(
                queries.ravel(),
                index,
                self.options.hash_radius,
                recall=self.options.recall,
                on_table=self._searched,
            )
            for q, i, d in zip(
                pairs.left.tolist(), pairs.right.tolist(), pairs.distance.tolist(), strict=True
            ):
                fa, fb = int(live[q // per_face]), int(live[i])
                a, b = int(self.owner[fa]), int(self.owner[fb])
                if a != b and d < found.get((a, b), (_NO_MATCH,))[0]:
                    found[(a, b)] = (d, fa, fb, alignment_of(q % per_face, fa))
        # one direction per pair: the closer one
        return {
            (a, b): hit
            for (a, b), hit in found.items()
            if (b, a) not in found or (hit[0], a) < (found[(b, a)][0], b)
        }

    def _alignment(self, column: int, face: int) -> Alignment:
        """What hash ``column`` of ``face`` stands for."""
        return similarity.Alignment.from_variant(column, float(self.aspects[face]))

    def _searched(self, done: int, total: int) -> None:
        self.reporter.total = total
        self.reporter.step(done)

    def _burst_runs(self) -> list[list[int]]:
        """Runs of frames from one camera whose consecutive captures are at most
        ``burst_seconds`` apart, in capture order."""
        by_camera: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
        for i, photo in enumerate(self.reps):
            if photo.taken_at and not self.flat[i]:
                camera = (photo.camera_make or "", photo.camera_model or "")
                by_camera[camera].append((photo.taken_at.timestamp(), i))
        runs = []
        for frames in by_camera.values():
            frames.sort()
            runs += [[i for _, i in run] for run in _runs(frames, self.options.burst_seconds)]
        return runs

    def _time_candidates(self) -> Iterable[tuple[int, int]]:
        """Pairs of frames of one run, each with its next few frames, at distinct moments."""
        for run in self.bursts:
            for x, a in enumerate(run):
                for b in run[x + 1 : x + 1 + _BURST_NEIGHBOURS]:
                    if not same_moment(self.reps[a], self.reps[b]):
                        yield (a, b)

    # -- verification -------------------------------------------------------------------

    @functools.lru_cache(maxsize=8192)  # noqa: B019 - lives as long as one grouping run
    def _prepared(self, face: int) -> similarity.Prepared:
        return similarity.prepare(self.thumbs[face], float(self.aspects[face]))

    def _verify(self, fa: int, fb: int, alignment: Alignment, needed: float) -> float:
        """Similarity of face ``fa`` aligned to face ``fb``, searched hardest near
        ``needed``; the plain alignment is tried too. Recorded for their owners."""
        pa, pb = self._prepared(fa), self._prepared(fb)
        floor = needed - _SEARCH_GAIN
        score = similarity.compare(pa, pb, alignment, floor, needed)
        if alignment != _PLAIN and score < needed:
            score = max(score, similarity.compare(pa, pb, _PLAIN, floor, needed))
        a, b = int(self.owner[fa]), int(self.owner[fb])
        key = (min(a, b), max(a, b))
        self._scores[key] = max(score, self._scores.get(key, 0.0))  # each is a lower bound
        return self._scores[key]

    def score(self, a: int, b: int) -> float:
        """Similarity of two representatives, their closest faces aligned by their closest
        variant pHashes."""
        if a == b:
            return 1.0
        key = (min(a, b), max(a, b))
        if key not in self._scores:
            if self.flat[a] or self.flat[b]:
                return 0.0
            _, fa, fb, column = self._closest(a, b)
            self._verify(fa, fb, self._alignment(column, fa), self.required(a, b))
        return self._scores[key]

    def _closest(self, a: int, b: int) -> tuple[int, int, int, int]:
        """(distance, face of one, face of the other, column): the variant of one face that
        comes closest to the plain pHash of the other's, in either direction."""
        best = (_NO_MATCH, a, b, 0)
        for fa in self.faces_of[a]:
            for fb in self.faces_of[b]:
                for x, y in ((fa, fb), (fb, fa)):
                    distances = np.bitwise_count(self.variants[x] ^ self.variants[y, 0])
                    column = int(distances.argmin())
                    if int(distances[column]) < best[0]:
                        best = (int(distances[column]), x, y, column)
        return best

    def distance(self, a: int, b: int) -> int:
        """The closest any variant of one's faces comes to the other's plain or centre
        pHash."""
        centre = similarity.CENTRE_COLUMN
        nearest = self._closest(a, b)[0]
        for fa in self.faces_of[a]:
            for fb in self.faces_of[b]:
                turned = self.variants[fa, centre : centre + similarity.DIHEDRAL]
                nearest = min(
                    nearest, int(np.bitwise_count(turned ^ self.variants[fb, centre]).min())
                )
        return nearest

    def required(self, a: int, b: int) -> float:
        """The similarity two representatives need to be linked: the threshold for frames of
        one burst; otherwise more, the further apart their hashes (two kinds of evidence)."""
        run = self.run_of.get(a)
        if run is not None and run == self.run_of.get(b):
            return self.options.threshold
        extra = max(0, self.distance(a, b) - _FREE_DISTANCE) * _STRICTER_PER_BIT
        return self.options.threshold + extra

    def alike(self, a: int, b: int) -> bool:
        return a == b or self.score(a, b) >= self.required(a, b)


_WHOLE = (0.0, 0.0, 1.0, 1.0)


def _box_aspect(box: tuple[float, float, float, float] | None) -> float:
    """How much wider than the photo's, relatively, a box of it is."""
    if not box:
        return 1.0
    left, top, right, bottom = box
    return (right - left) / max(bottom - top, 1e-6)


def _aspect(photo: Photo) -> float:
    """Width / height as displayed; square when unknown."""
    if photo.width and photo.height:
        return photo.width / photo.height
    return 1.0


def _runs(frames: list[tuple[float, int]], gap: float) -> Iterable[list[tuple[float, int]]]:
    """Maximal runs of (time, id) whose consecutive times are at most ``gap`` apart."""
    run = frames[:1]
    for frame in frames[1:]:
        if frame[0] - run[-1][0] <= gap:
            run.append(frame)
        else:
            if len(run) > 1:
                yield run
            run = [frame]
    if len(run) > 1:
        yield run


def same_moment(a: Photo, b: Photo) -> bool:
    """The two capture times are one shot's. Editors often drop the sub-second part of the
    EXIF time, so a time without one matches any time within the same second (a frame shot
    at exactly .000 is then taken for a copy of its neighbours: grouped all the same, only
    labelled near rather than similar)."""
    x, y = a.taken_at, b.taken_at
    assert x is not None and y is not None
    if abs((x - y).total_seconds()) < _SAME_MOMENT:
        return True
    whole = x.microsecond == 0 or y.microsecond == 0
    return whole and x.replace(microsecond=0) == y.replace(microsecond=0)
