"""Matching: which representatives of the photos are alike, and how much.

Candidates come from the variant pHashes (``core.similarity``) searched with
``core.hashindex`` (every variant of each photo against every plain pHash, and the centres
against each other), and from EXIF capture times (frames of one burst). Pairs are verified
on the thumbnails in batches (``core.verify``), when the clustering asks; the similarity a
pair needs grows with the distance of their hashes, except between frames of one burst.
Must not import the store or any UI.
"""

from __future__ import annotations

import functools
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from core.analysis.hashing import THUMB_SIZE, thumb_from_bytes
from core.matching import hashindex, similarity, verify
from core.matching.options import GROUPING_VERSION, GroupingOptions
from core.matching.similarity import Alignment
from core.matching.verify import Executor
from core.models import Phase, Photo
from core.progress import Reporter

ThumbLoader = Callable[[Sequence[str]], dict[str, bytes]]

_LOAD_CHUNK = 2000
_ALTERNATIVES = 3  # alignments of the next closest variants a verification may start from
_FINGERPRINT_CHUNK = 256  # faces fingerprinted at once (its transforms hold ~0.3 MB a face)
_KEYS = 4096  # pairs whose needs and faces are worked out at once (~0.3 KB each meanwhile)
_PARALLEL_FACES = 1024  # from this many faces to fingerprint, the executor's workers do it
_LOOKUP = 1 << 18  # hashes looked up in one search task; from two tasks' worth, on the workers
_BURST_NEIGHBOURS = 8  # in a long continuous run, compare each frame with this many next ones
_SAME_MOMENT = 0.05  # seconds: capture times closer than this are the same shot
_NO_MATCH = 1 << 30
# Copies of one photo sit within a few bits of each other in some variant (8 at most on the
# benchmark corpora, all with similarity above 0.98); beyond that, each further bit asks for
# more similarity, so two smooth, featureless photos that happen to correlate stay apart.
_FREE_DISTANCE = 8
_STRICTER_PER_BIT = 0.03
# However far apart their hashes, a pair this alike is linked: an overlay or a crop can move
# a pHash by many bits and leave the picture as it was.
_MOST_REQUIRED = 0.975
_BATCH = 128  # pairs in one verification task, at most
_SMALLEST_BATCH = 8  # pairs in one task, at least: a call is spread over about _SPREAD tasks
_SPREAD = 8
# Pairs are verified here until this many were handed to verification (workers take ~0.3 s to
# start); from then on the executor's workers (kept for the whole grouping) take them all.
_PARALLEL_PAIRS = 512
_PLAIN = similarity.PLAIN
_PLAIN_COLUMN = 0  # the variant hash column of the face as it is
_FACE_BYTES = similarity.VARIANTS * 8 + 1  # a face's variant hashes and its flatness


class Cache(Protocol):
    """What grouping keeps between runs (by file id), so that a scan that adds a few photos
    costs the fingerprints, the search and the verifications of those photos only; and the
    anchors of the groups it found (``anchors``), which a family keeps."""

    def variants(self, ids: Sequence[int]) -> dict[int, bytes]: ...
    def links(self) -> dict[tuple[int, int, float], float]: ...
    def searched(self, ids: Sequence[int], stamp: int) -> set[int]: ...
    def candidates(self, stamp: int) -> list[tuple[int, int, int, int, int, int, int]]: ...
    def anchors(self) -> set[int]: ...
    def keep(
        self,
        variants: dict[int, bytes],
        links: Sequence[tuple[int, int, float, float]],
        search: Search,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Search:
    """What a hash search found for the photos it searched (by file id), to keep: its
    ``stamp`` (the grouping version and search settings), the candidate ``rows`` of those
    photos (a, b, distance, face of a, face of b, search, column: that face of ``a``, seen
    through that hash column of that search, came within ``distance`` bits of that face of
    ``b``; face 0 is the photo, 1 its picture's box), the photos ``searched`` against all
    others, and those ``unsearched`` (exact copies of another: not searched themselves)."""

    stamp: int
    rows: list[tuple[int, int, int, int, int, int, int]]
    searched: list[int]
    unsearched: list[int] = field(default_factory=list)


def search_stamp(options: GroupingOptions) -> int:
    """What the candidates of a hash search depend on, as a number to keep them by."""
    key = f"{GROUPING_VERSION}/{options.hash_radius}/{options.recall}"
    return zlib.crc32(key.encode()) & 0x7FFFFFFF


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
        executor: verify.Executor | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.reps = reps
        self.executor = executor
        self.verified = 0  # pairs verified so far
        self._asked = 0  # pairs handed to verification so far
        self.options = options
        self.reporter = reporter
        self._load_thumbs, self._load_pictures = load_thumbs, load_pictures
        count = len(reps)
        aspects = np.array([_aspect(p) for p in reps], np.float64)
        boxed = [i for i, p in enumerate(reps) if p.picture and p.picture != _WHOLE]
        if load_pictures is None:
            boxed = []
        self.owner = np.concatenate([np.arange(count), boxed]).astype(np.int64)
        self.aspects = np.concatenate(
            [aspects, [aspects[i] * _box_aspect(reps[i].picture) for i in boxed]]
        )
        self.faces_of: list[list[int]] = [[i] for i in range(count)]
        for face, i in enumerate(boxed, start=count):
            self.faces_of[i].append(face)
        faces = len(self.owner)
        self.thumbs = np.zeros((faces, THUMB_SIZE, THUMB_SIZE), np.uint8)
        self._loaded = np.zeros(faces, bool)
        self.variants = np.zeros((faces, similarity.VARIANTS), np.uint64)
        self.face_flat = np.zeros(faces, bool)
        ids = [p.id for p in reps if p.id is not None]
        fingerprinted = self._fingerprint(cache.variants(ids) if cache else {})
        self.flat = self.face_flat[:count].copy()
        self.faces = [list(f) for f in self.faces_of]  # each one's faces: photo, picture's box
        self.stamp = search_stamp(options)
        # searched before, against all others, on the hashes it has now: its candidate pairs
        # with the others searched before are kept, and only the rest are searched
        searched = cache.searched(ids, self.stamp) if cache else set()
        self._old = np.array(
            [p.id in searched and i not in fingerprinted for i, p in enumerate(reps)], bool
        )
        self._kept = cache.candidates(self.stamp) if cache and self._old.any() else []
        self.search = Search(self.stamp, [], [])
        for i, faces_of in enumerate(self.faces_of):
            if reps[i].screenshot and len(faces_of) > 1:
                # a screenshot is matched by the photo it shows: the rest of it is an app's
                # chrome, which two screenshots of different photos may share
                self.faces_of[i] = faces_of[1:]
                self.face_flat[i] = True  # (not searched)
        self.bursts = self._burst_runs()
        self.run_of = {i: n for n, run in enumerate(self.bursts) for i in run}
        self._frame = {i: x for run in self.bursts for x, i in enumerate(run)}
        self._scores: dict[tuple[int, int], float] = {}
        self._needed: dict[tuple[int, int], float] = {}
        self._loose: dict[tuple[int, int], float] = {}  # similarity verified at the threshold
        self._candidates: dict[tuple[int, int], tuple[int, int, int, Alignment]] = {}
        self._neighbours: dict[int, dict[int, int]] = defaultdict(dict)
        self._known = cache.links() if cache else {}
        anchors = cache.anchors() if cache else set()
        self._anchored = {i for i, p in enumerate(reps) if p.id in anchors}
        self.new_links: list[tuple[int, int, float, float]] = []

    def _ensure(self, faces: Iterable[int]) -> None:
        """Load the thumbnails of ``faces`` not loaded yet."""
        missing = sorted({int(f) for f in faces if not self._loaded[f]})
        count = len(self.reps)
        for start in range(0, len(missing), _LOAD_CHUNK):
            chunk = missing[start : start + _LOAD_CHUNK]
            for loader, part in (
                (self._load_thumbs, [f for f in chunk if f < count]),
                (self._load_pictures, [f for f in chunk if f >= count]),
            ):
                if not part or loader is None:
                    continue
                paths = {f: self.reps[int(self.owner[f])].path for f in part}
                loaded = loader(list(paths.values()))
                for f, path in paths.items():
                    if path in loaded:
                        self.thumbs[f] = thumb_from_bytes(loaded[path])
            self._loaded[chunk] = True

    def _fingerprint(self, cached: dict[int, bytes]) -> set[int]:
        """Each face's variant pHashes and flatness: kept from an earlier grouping where the
        cache has them, else computed from the thumbnails (and kept in ``new_variants``).
        Returns the representatives fingerprinted here."""
        todo: list[int] = []
        for i, rep in enumerate(self.reps):
            faces = self.faces_of[i]
            blob = cached.get(rep.id) if rep.id is not None else None
            if blob is not None and len(blob) == len(faces) * _FACE_BYTES:
                for k, face in enumerate(faces):
                    part = blob[k * _FACE_BYTES : (k + 1) * _FACE_BYTES]
                    self.variants[face] = np.frombuffer(part[:-1], "<u8")
                    self.face_flat[face] = bool(part[-1])
            else:
                todo += faces
        self.new_variants: dict[int, bytes] = {}
        self.reporter.phase(Phase.FINGERPRINTING, len(todo))
        self._ensure(todo)
        chunks = (
            (start, verify.Faces(self.thumbs[chunk], self.aspects[chunk]))
            for start in range(0, len(todo), _FINGERPRINT_CHUNK)
            for chunk in [todo[start : start + _FINGERPRINT_CHUNK]]
        )
        executor = self.executor if len(todo) >= _PARALLEL_FACES else None
        done = 0
        for start, faces, (variants, flat) in self._tasks(chunks, executor):
            chunk = todo[start : start + len(faces.thumbs)]
            self.variants[chunk], self.face_flat[chunk] = variants, flat
            done += len(chunk)
            self.reporter.step(done)
        fingerprinted = {int(self.owner[f]) for f in todo}
        for i in sorted(fingerprinted):
            rep_id = self.reps[i].id
            if rep_id is not None:
                self.new_variants[rep_id] = b"".join(
                    self.variants[f].astype("<u8").tobytes() + bytes([int(self.face_flat[f])])
                    for f in self.faces_of[i]
                )
        return fingerprinted

    # -- candidates ---------------------------------------------------------------------

    def candidates(self, allowed: Callable[[int, int], bool]) -> list[tuple[int, int]]:
        """Candidate pairs of representatives (a < b), the likeliest first: closest hashes
        first, then frames of one burst. Pairs that ``allowed`` refuses are left out."""
        found = {(min(a, b), max(a, b)): hit for (a, b), hit in self._hash_candidates().items()}
        for a, b in self._time_candidates():
            key = (min(a, b), max(a, b))
            if key not in found:
                found[key] = (self.options.hash_radius + 1, a, b, _PLAIN)
        self._candidates = {key: hit for key, hit in found.items() if allowed(*key)}
        for (a, b), (d, *_) in self._candidates.items():
            self._neighbours[a][b] = self._neighbours[b][a] = d
        ordered = sorted(self._candidates, key=lambda key: (self._candidates[key][0], key))
        self.reporter.phase(Phase.VERIFYING, len(ordered))  # verified: about as many, or fewer
        return ordered

    def rank(self, members: list[int]) -> list[int]:
        """``members``, the likeliest anchor first: an anchor of the last grouping first
        (a family that gained a photo keeps its anchor: its groups do not shuffle, and its
        members were verified against it already), then the most candidates among them,
        then the closest hashes to them (a stand-in for the medoid; the original a family
        was made from is a candidate of each of its copies)."""
        inside = set(members)
        anchored = self._anchored

        def key(m: int) -> tuple[bool, int, int, int]:
            near = [d for other, d in self._neighbours[m].items() if other in inside]
            return (m not in anchored, -len(near), sum(near), m)

        return sorted(members, key=key)

    def through(self, item: int) -> list[int]:
        """What ``item`` may join a group through: the frames of its burst next to it (a
        burst drifts: its last frame may no longer look like the group's anchor)."""
        run = self.run_of.get(item)
        if run is None:
            return []
        frame = self._frame[item]
        frames = self.bursts[run]
        return [
            m
            for m in frames[max(0, frame - _BURST_NEIGHBOURS) : frame + _BURST_NEIGHBOURS + 1]
            if m != item and not same_moment(self.reps[m], self.reps[item])  # not a copy
        ]

    # -- verification -------------------------------------------------------------------

    def verify(self, pairs: list[tuple[int, int]]) -> list[bool]:
        """Whether each pair of representatives is alike enough to link, verifying in
        batches (through the executor, when there are enough) those not verified yet."""
        todo = [
            key
            for key in dict.fromkeys((min(a, b), max(a, b)) for a, b in pairs)
            if key not in self._scores
        ]
        needs = [
            n for at in range(0, len(todo), _KEYS) for n in self.required(todo[at : at + _KEYS])
        ]
        for key, needed, score in zip(todo, needs, self._verified(todo, needs), strict=True):
            self._needed[key] = needed
            self._scores[key] = score
        return [self.alike(a, b) for a, b in pairs]

    def loose(self, pairs: list[tuple[int, int]]) -> list[bool]:
        """Whether each pair (an anchor, a photo linked to a member of the anchor's group) is
        alike at the threshold itself, however far apart their hashes: the link to the
        member is the other evidence that the similarity a pair needs is raised for."""
        keys = list(dict.fromkeys((min(a, b), max(a, b)) for a, b in pairs))
        threshold = round(self.options.threshold, 6)
        todo = [key for key in keys if key not in self._loose]
        for key, score in zip(todo, self._verified(todo, [threshold] * len(todo)), strict=True):
            self._loose[key] = score
        return [self._loose[(min(a, b), max(a, b))] >= threshold for a, b in pairs]

    def _verified(self, keys: list[tuple[int, int]], needs: list[float]) -> list[float]:
        """The similarity of each pair of representatives (a < b), verified as needing
        that much: kept from an earlier grouping, or verified now."""
        scores: list[float | None] = [None] * len(keys)
        unknown = []
        for n, (key, needed) in enumerate(zip(keys, needs, strict=True)):
            ida, idb = self._ids(*key)
            known = None if ida is None or idb is None else self._known.get((ida, idb, needed))
            if self.flat[key[0]] or self.flat[key[1]]:
                scores[n] = 0.0  # a blank photo is matched only by its content hash
            elif known is not None:
                scores[n] = known  # verified by an earlier grouping
            else:
                unknown.append(n)
        asked = [keys[n] for n in unknown]
        faces = [
            f for at in range(0, len(asked), _KEYS) for f in self._faces(asked[at : at + _KEYS])
        ]
        jobs = [(*found, needs[n]) for n, found in zip(unknown, faces, strict=True)]
        for n, score in zip(unknown, self._run(jobs), strict=True):
            scores[n] = score
            ids = self._ids(*keys[n])
            if None not in ids:
                self.new_links.append((*ids, needs[n], score))  # type: ignore[arg-type]
        self.verified += len(jobs)
        return [0.0 if score is None else score for score in scores]

    def _ids(self, a: int, b: int) -> tuple[int | None, int | None]:
        """The file ids of two representatives, the smaller first."""
        x, y = self.reps[a].id, self.reps[b].id
        return (x, y) if x is None or y is None or x < y else (y, x)

    def _faces(
        self, keys: Sequence[tuple[int, int]]
    ) -> list[tuple[int, int, tuple[Alignment, ...]]]:
        """For each pair of representatives: which faces of the two to compare, and how
        they might be aligned: the candidate's alignment (else the closest variant
        pHashes'), then those of the next closest variants of the same faces."""
        radius = self.options.hash_radius
        hits = [self._candidates.get(key) for key in keys]
        lacking = [i for i, hit in enumerate(hits) if hit is None or hit[0] > radius]
        _, near_a, near_b, near_column = self._closest([keys[i] for i in lacking])
        chosen = [(hit[1], hit[2], hit[3]) if hit is not None else (0, 0, _PLAIN) for hit in hits]
        for i, fa, fb, column in zip(lacking, near_a, near_b, near_column, strict=True):
            chosen[i] = (fa, fb, self._alignment(column, fa))
        if not chosen:
            return []
        fa_all = np.array([fa for fa, _, _ in chosen], np.int64)
        fb_all = np.array([fb for _, fb, _ in chosen], np.int64)
        # a variant of A near B's plain hash says how B sits in A; one of B near A's says
        # how A sits in B (a crop is a view of its original, not the other way round)
        forward = np.bitwise_count(self.variants[fa_all] ^ self.variants[fb_all, :1])
        backward = np.bitwise_count(self.variants[fb_all] ^ self.variants[fa_all, :1])
        nearest = np.argsort(np.concatenate([forward, backward], axis=1), axis=1, kind="stable")
        out = []
        for (fa, fb, first), indices in zip(
            chosen, nearest[:, : _ALTERNATIVES + 1].tolist(), strict=True
        ):
            others = [
                self._alignment(index, fa)
                if index < similarity.VARIANTS
                else _inverse(self._alignment(index - similarity.VARIANTS, fb))
                for index in indices
            ]
            out.append((fa, fb, tuple(dict.fromkeys([first, *others]))[: _ALTERNATIVES + 1]))
        return out

    def _run(self, jobs: list[tuple[int, int, tuple[Alignment, ...], float]]) -> list[float]:
        scores = [0.0] * len(jobs)
        if not jobs:
            return scores
        self._ensure(f for fa, fb, _, _ in jobs for f in (fa, fb))
        self._asked += len(jobs)
        executor = self.executor if self._asked >= _PARALLEL_PAIRS else None
        size = _BATCH if executor is None else -(-len(jobs) // _SPREAD)
        size = max(_SMALLEST_BATCH, min(_BATCH, size))
        chunks = verify.batches(jobs, self.thumbs, self.aspects, size)  # made as needed
        done = 0
        for offset, batch, result in self._tasks(chunks, executor):
            scores[offset : offset + len(batch.pairs)] = result
            done += len(batch.pairs)
            self._progress(done)
        return scores

    def _tasks(
        self, tasks: Iterable[tuple[int, Any]], executor: Executor | None
    ) -> Iterator[tuple[int, Any, Any]]:
        """(number, work, result) of each grouping task (number, work): ``verify.run_task``
        on the executor's workers (a task that failed there is run here, and its error
        raised), or here without one, asking before each whether to stop."""
        if executor is None:
            for number, work in tasks:
                self.reporter.check()
                yield number, work, verify.run_task((number, work))
            return
        for outcome in executor.map_unordered(verify.run_task, tasks, self.reporter.stopped):
            number, work = outcome.task
            result = outcome.result
            yield number, work, verify.run_task(outcome.task) if result is None else result
        self.reporter.check()

    def _progress(self, done: int) -> None:
        self.reporter.step(min(self.verified + done, self.reporter.total or 0))

    def _hash_candidates(self) -> dict[tuple[int, int], tuple[int, int, int, Alignment]]:
        """(a, b) -> (distance, face of a, face of b, alignment): that face of ``a`` so
        aligned resembles that face of ``b``. Two searches over the faces: every variant of
        each against every plain pHash (orientation, crops, turns), and the centres against
        each other (edits near the edges, e.g. watermarks). Faces searched before (the
        cache's) are searched only against the new ones; their pairs with each other are
        the kept ones. What the new ones found is in ``search``, to keep."""
        live = np.flatnonzero(~self.face_flat)
        old_face = self._old[self.owner[live]]
        fresh, old = live[~old_face], live[old_face]
        centre = similarity.CENTRE_COLUMN
        parts = [(fresh, live), (old, fresh)] if len(old) else [(live, live)]
        hits = []  # (distance, face of a, face of b, search, column), in the order found
        self.reporter.phase(Phase.SEARCHING)
        for search, (columns, plain) in enumerate(
            ((slice(None), _PLAIN_COLUMN), (slice(centre, centre + similarity.DIHEDRAL), centre))
        ):
            for query_faces, index_faces in parts:
                if len(query_faces) == 0 or len(index_faces) < (2 if len(old) == 0 else 1):
                    continue
                queries = self.variants[query_faces, columns]
                pairs = self._near_pairs(queries.ravel(), self.variants[index_faces, plain])
                per_face = queries.shape[1]
                found = [
                    pairs.distance,
                    query_faces[pairs.left // per_face],
                    index_faces[pairs.right],
                    np.full(len(pairs), search),
                    pairs.left % per_face,
                ]
                hits.append(np.stack([column.astype(np.int32) for column in found]))
        chosen = _closest_hits(np.concatenate(hits, axis=1) if hits else None, self.owner)
        self._remember(chosen)
        chosen.update(self._kept_candidates())
        # its alignment: what the hash column stands for (a view of the whole face, or a
        # turn of its centre)
        turned = Alignment.turned
        return {
            (a, b): (d, fa, fb, self._alignment(column, fa) if search == 0 else turned(column))
            for (a, b), (d, fa, fb, search, column) in chosen.items()
        }

    def _near_pairs(self, queries: np.ndarray, index: np.ndarray) -> hashindex.Pairs:
        """``hashindex.near_pairs_between`` at the search settings; with many queries, in
        parts on the executor's workers (idle until verification starts)."""
        radius, recall = self.options.hash_radius, self.options.recall
        if self.executor is None or len(queries) < 2 * _LOOKUP:
            return hashindex.near_pairs_between(
                queries, index, radius, recall=recall, on_table=self._searched
            )
        parts = hashindex.lookups(queries, index, radius, recall=recall, part=_LOOKUP)
        found = [hashindex.Pairs.none()] * len(parts)
        for done, (k, _, pairs) in enumerate(self._tasks(enumerate(parts), self.executor), 1):
            found[k] = pairs
            self._searched(done, len(parts))
        return hashindex.joined(found)

    def _remember(self, found: dict[tuple[int, int], tuple[int, int, int, int, int]]) -> None:
        """Put what the search found for the new faces in ``search``, by file id."""
        count = len(self.reps)
        rows = []
        for (a, b), (d, fa, fb, search, column) in found.items():
            ida, idb = self.reps[a].id, self.reps[b].id
            if ida is not None and idb is not None:
                rows.append((ida, idb, d, int(fa >= count), int(fb >= count), search, column))
        searched = [p.id for i, p in enumerate(self.reps) if p.id is not None and not self._old[i]]
        self.search = Search(self.stamp, rows, searched)

    def _kept_candidates(self) -> dict[tuple[int, int], tuple[int, int, int, int, int]]:
        """The kept candidate pairs between representatives searched before."""
        index_of = {p.id: i for i, p in enumerate(self.reps) if p.id is not None}
        kept = {}
        for ida, idb, d, face_a, face_b, search, column in self._kept:
            a, b = index_of.get(ida), index_of.get(idb)
            if a is None or b is None or not (self._old[a] and self._old[b]):
                continue
            faces_a, faces_b = self.faces[a], self.faces[b]
            if face_a < len(faces_a) and face_b < len(faces_b):
                kept[(a, b)] = (d, faces_a[face_a], faces_b[face_b], search, column)
        return kept

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

    def score(self, a: int, b: int) -> float:
        """Similarity of two representatives as verified (0.0 if they never were; at the
        threshold, if only so)."""
        if a == b:
            return 1.0
        key = (min(a, b), max(a, b))
        return self._scores.get(key, self._loose.get(key, 0.0))

    def _face_pairs(
        self, keys: Sequence[tuple[int, int]], both_ways: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair, face, face) of every face of one of each pair against every face of the
        other, in order (and the other way round after each, if ``both_ways``)."""
        pair: list[int] = []
        xs: list[int] = []
        ys: list[int] = []
        for k, (a, b) in enumerate(keys):
            for fa in self.faces_of[a]:
                for fb in self.faces_of[b]:
                    if both_ways:
                        pair += (k, k)
                        xs += (fa, fb)
                        ys += (fb, fa)
                    else:
                        pair.append(k)
                        xs.append(fa)
                        ys.append(fb)
        return np.array(pair, np.int64), np.array(xs, np.int64), np.array(ys, np.int64)

    def _closest(
        self, keys: Sequence[tuple[int, int]]
    ) -> tuple[list[int], list[int], list[int], list[int]]:
        """For each pair of representatives: (distance, face of one, face of the other,
        column): the variant of one face that comes closest to the plain pHash of the
        other's, in either direction (the first found among equals)."""
        if not keys:
            return [], [], [], []
        pair, x, y = self._face_pairs(keys, both_ways=True)
        distances = np.bitwise_count(self.variants[x] ^ self.variants[y, :1])
        column = distances.argmin(axis=1)
        best = distances[np.arange(len(column)), column]
        order = np.lexsort((np.arange(len(pair)), best, pair))
        first = order[np.r_[True, pair[order][1:] != pair[order][:-1]]]  # one row a pair
        return (
            best[first].astype(np.int64).tolist(),
            x[first].tolist(),
            y[first].tolist(),
            column[first].tolist(),
        )

    def distance(self, keys: Sequence[tuple[int, int]]) -> list[int]:
        """For each pair of representatives: the closest any variant of one's faces comes to
        the other's plain or centre pHash."""
        if not keys:
            return []
        nearest = np.array(self._closest(keys)[0], np.int64)
        pair, x, y = self._face_pairs(keys, both_ways=False)
        centre = similarity.CENTRE_COLUMN
        turned = self.variants[x, centre : centre + similarity.DIHEDRAL]
        centres = np.bitwise_count(turned ^ self.variants[y, centre : centre + 1]).min(axis=1)
        starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        return np.minimum(nearest, np.minimum.reduceat(centres, starts)).tolist()

    def required(self, keys: Sequence[tuple[int, int]]) -> list[float]:
        """The similarity each pair of representatives needs to be linked (rounded to 6
        places): the threshold for frames of one burst; otherwise more, the further apart
        their hashes (two kinds of evidence)."""
        threshold = self.options.threshold
        needed = []
        for (a, b), distance in zip(keys, self.distance(keys), strict=True):
            run = self.run_of.get(a)
            if run is not None and run == self.run_of.get(b):
                needed.append(round(threshold, 6))
                continue
            extra = max(0, distance - _FREE_DISTANCE) * _STRICTER_PER_BIT
            needed.append(round(max(threshold, min(threshold + extra, _MOST_REQUIRED)), 6))
        return needed

    def alike(self, a: int, b: int) -> bool:
        """Verified as alike enough to link (``verify`` first)."""
        if a == b:
            return True
        key = (min(a, b), max(a, b))
        needed = self._needed.get(key)
        return needed is not None and self._scores[key] >= needed


_WHOLE = (0.0, 0.0, 1.0, 1.0)


def _closest_hits(
    hits: np.ndarray | None, owner: np.ndarray
) -> dict[tuple[int, int], tuple[int, int, int, int, int]]:
    """(a, b) -> (distance, face of a, face of b, search, column) of the closest of the
    ``hits`` (rows: distance, face, face, search, column; columns in the order found; the
    first found among equals) between two representatives, one direction per pair: the
    closer one (the smaller first among equals)."""
    if hits is None or not hits.shape[1]:
        return {}
    distance, face_a, face_b = hits[0], hits[1], hits[2]
    a, b = owner[face_a], owner[face_b]
    apart = np.flatnonzero(a != b)
    if not len(apart):
        return {}
    order = apart[np.lexsort((apart, distance[apart], b[apart], a[apart]))]
    pair = a[order] * len(owner) + b[order]
    first = order[np.r_[True, pair[1:] != pair[:-1]]]  # the closest of each (a, b)
    keys = a[first] * len(owner) + b[first]
    reverse = b[first] * len(owner) + a[first]
    at = np.minimum(np.searchsorted(keys, reverse), len(keys) - 1)
    has_reverse = keys[at] == reverse
    mine = distance[first]
    theirs = np.where(has_reverse, distance[first[at]], _NO_MATCH)
    keep = (mine < theirs) | ((mine == theirs) & (a[first] < b[first]))
    kept = first[keep]
    return {
        (int(x), int(y)): (int(d), int(fa), int(fb), int(search), int(column))
        for x, y, d, fa, fb, search, column in zip(
            a[kept].tolist(), b[kept].tolist(), *hits[:, kept].tolist(), strict=True
        )
    }


@functools.lru_cache(maxsize=8192)
def _inverse(alignment: Alignment) -> Alignment:
    return Alignment.of(np.linalg.inv(alignment.as_array()))


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
