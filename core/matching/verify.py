"""Verification: how alike the two photos of each candidate pair are, in batches.

A batch carries everything its pairs need (the thumbnails of the faces they compare, each
face's proportions, and per pair the alignments its hashes suggest and the similarity it
needs), so a batch can be verified anywhere: in this process, in a worker process through an
``Executor``, on another machine. The result of a pair depends on that pair alone, never on
which other pairs share its batch or on the order batches come back.

Must not import the store or any UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from core.matching import hashindex, similarity
from core.matching.similarity import Alignment

# Pairs further than this below what they need, as they start (the best of their
# alignments, moved by phase correlation), are not searched: the search lifted copies by
# up to 0.28 from a fixed start, less from a shifted one; at 0.3 it cost 60% more time on a
# library of 3,550 photos for 2 more copies found in 264.
SEARCH_GAIN = 0.2
# A pair alike enough overall must also agree in its fine detail (``detail_agreement``), by
# at least this much, unless the two are as good as identical. Copies agreed by 0.54 or more
# on every corpus measured; two different smooth photos (skies, walls, a gradient with a
# dark corner) correlated up to 0.93 overall while their detail agreed by less than 0.5.
DETAIL_AGREES = 0.5
NEAR_IDENTICAL = 0.99


class Executor(Protocol):
    """Where batches are verified: ``core.runtime``'s executors fit (an outcome per task,
    with its ``task`` and ``result``, None when the task failed)."""

    def map_unordered(
        self,
        fn: Callable[[Any], Any],
        tasks: Iterable[Any],
        should_stop: Callable[[], bool] | None = None,
    ) -> Iterator[Any]: ...


@dataclass(frozen=True, slots=True)
class Pair:
    """One comparison: face ``a`` aligned to face ``b`` by one of ``alignments`` (the
    likeliest first), needing ``needed``.
    Faces are indices into the batch's thumbnails."""

    a: int
    b: int
    alignments: tuple[Alignment, ...]
    needed: float


@dataclass(frozen=True, slots=True)
class Batch:
    thumbs: np.ndarray  # (faces, 64, 64) uint8
    aspects: np.ndarray  # (faces,) width / height of each face
    pairs: tuple[Pair, ...]


def verify_batch(batch: Batch) -> list[float]:
    """The similarity (0..1) of each pair of ``batch``, in order."""
    prepared: dict[int, similarity.Prepared] = {}

    def face(i: int) -> similarity.Prepared:
        found = prepared.get(i)
        if found is None:
            found = prepared[i] = similarity.prepare(batch.thumbs[i], float(batch.aspects[i]))
        return found

    return [verify_pair(face(p.a), face(p.b), p.alignments, p.needed) for p in batch.pairs]


@dataclass(frozen=True, slots=True)
class Faces:
    """Faces to fingerprint: their thumbnails (faces, 64, 64) and proportions."""

    thumbs: np.ndarray
    aspects: np.ndarray


def fingerprint(faces: Faces) -> tuple[np.ndarray, np.ndarray]:
    """Each face's variant pHashes (faces, VARIANTS) and whether it is flat (faces,)."""
    flat = np.array([similarity.is_flat(thumb) for thumb in faces.thumbs], bool)
    return similarity.variant_phashes(faces.thumbs, faces.aspects), flat


def run_task(
    task: tuple[int, Batch | Faces | hashindex.Lookup],
) -> list[float] | tuple[np.ndarray, np.ndarray] | hashindex.Pairs:
    """What an executor runs for grouping (one function, so that its workers serve every
    step): a batch of ``batches`` verified, faces fingerprinted, or a part of a hash
    search looked up."""
    work = task[1]
    if isinstance(work, Faces):
        return fingerprint(work)
    if isinstance(work, hashindex.Lookup):
        return hashindex.look_up(work)
    return verify_batch(work)


def verify_pair(
    a: similarity.Prepared,
    b: similarity.Prepared,
    alignments: Sequence[Alignment],
    needed: float,
) -> float:
    """Similarity of ``a`` aligned to ``b``, searched hardest near ``needed``, from the
    suggested ``alignments`` and the plain one: the search starts from the one that scores
    best as it is, and from the runner-up when that falls short (the closest hashes may
    stand for the wrong view: a crop between two hashed boxes). A pair alike enough overall
    whose fine detail disagrees scores that agreement instead (below ``DETAIL_AGREES``)."""
    floor = needed - SEARCH_GAIN
    starts = list(dict.fromkeys((*alignments, similarity.PLAIN)))
    firsts = similarity.first_figures(a, b, starts)
    order = sorted(range(len(starts)), key=lambda i: (-firsts[i], i))
    best, runner_up = order[0], order[1] if len(order) > 1 else None
    score, matrix = similarity.match(a, b, starts[best], floor, needed, firsts[best])
    if score < needed and runner_up is not None and firsts[runner_up] >= floor:
        other = similarity.match(a, b, starts[runner_up], floor, needed, firsts[runner_up])
        if other[0] > score:
            score, matrix = other
    if needed <= score < NEAR_IDENTICAL:
        detail = similarity.detail_agreement(a, b, matrix)
        if detail < DETAIL_AGREES:
            return detail
    return score


def batches(
    pairs: Sequence[tuple[int, int, tuple[Alignment, ...], float]],
    thumbs: np.ndarray,
    aspects: np.ndarray,
    size: int,
) -> Iterator[tuple[int, Batch]]:
    """``pairs`` (face, face, alignments, needed) cut into batches of at most ``size``, each
    with the thumbnails of its own faces only: (offset of its first pair, batch)."""
    for start in range(0, len(pairs), size):
        chunk = pairs[start : start + size]
        faces = sorted({f for a, b, _, _ in chunk for f in (a, b)})
        index = {f: i for i, f in enumerate(faces)}
        yield (
            start,
            Batch(
                thumbs=thumbs[faces],
                aspects=aspects[faces],
                pairs=tuple(Pair(index[a], index[b], al, need) for a, b, al, need in chunk),
            ),
        )


def init_worker() -> None:
    """In a worker process: one OpenCV thread (the processes are the parallelism)."""
    import cv2

    cv2.setNumThreads(1)
