"""The scan pipeline: discover -> decide what changed -> analyse in a process pool -> store.

The main process walks the roots, compares each file's size, mtime and analysis version with
the catalog, sends only new or changed files to the workers (``core.analysis``), and is the one
writer, committing results in chunks. Files that vanished since the last scan are forgotten.
Progress goes to ``on_progress(Progress)``; ``should_stop()`` (or Ctrl-C) ends the scan
early and keeps everything already analysed.

Exact duplicates need a content hash, which costs about 8% of a photo's analysis time, so only
files whose size collides with another file's are hashed: in the worker when the collision is
known up front, and in a short pass at the end for older files that a new file now collides
with. ``core.analysis`` (numpy, OpenCV, Pillow) is imported only when there is work for it,
so a re-scan of an unchanged tree starts and ends quickly. Must not import a UI.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from core.media.discover import Discovery, DiscoveryOptions, discover, resolve_roots
from core.models import (
    ANALYSIS_VERSION,
    DEFAULT_MAX_PIXELS,
    RETRY_CATEGORIES,
    AnalysisResult,
    Candidate,
    Phase,
    Progress,
    ScanSummary,
)
from core.progress import ProgressCallback, Reporter, StopCheck
from core.store import Catalog, FileState

log = logging.getLogger(__name__)

_COMMIT_EVERY = 200  # results
_COMMIT_SECONDS = 2.0
_MIN_TASKS_FOR_POOL = 16  # below this, starting workers costs more than it saves


@dataclass(frozen=True, slots=True)
class ScanOptions:
    exclude: tuple[str, ...] = ()
    include_hidden: bool = False
    follow_symlinks: bool = False
    workers: int | None = None  # None: one per CPU core
    max_pixels: int = DEFAULT_MAX_PIXELS

    @property
    def discovery(self) -> DiscoveryOptions:
        return DiscoveryOptions(self.exclude, self.include_hidden, self.follow_symlinks)

    @property
    def worker_count(self) -> int:
        return max(1, self.workers if self.workers else (os.cpu_count() or 1))


@dataclass(slots=True)
class _Tally:
    analysed: int = 0
    unchanged: int = 0
    hashed: int = 0
    bytes_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def failed(self, path: str, reason: str) -> None:
        self.skipped[reason.split(":", 1)[0]] += 1
        self.problems.append((path, reason))


def scan(
    catalog: Catalog,
    paths: Sequence[str],
    options: ScanOptions = ScanOptions(),
    *,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> ScanSummary:
    """Scan ``paths`` into ``catalog`` and return what happened. Raises ``RootNotFoundError``
    before touching the catalog if a path does not exist."""
    started = time.monotonic()
    stop = should_stop or (lambda: False)
    roots = resolve_roots(paths)
    reporter = Reporter(on_progress, should_stop)
    root_ids = catalog.ensure_roots(roots)
    scan_id = catalog.begin_scan(roots)
    tally = _Tally()
    interrupted = False
    removed = 0
    found = Discovery()
    try:
        reporter.phase(Phase.DISCOVERING)
        found = discover(
            roots,
            options.discovery,
            on_found=lambda n: reporter.emit(Progress(Phase.DISCOVERING, done=n)),
            should_stop=stop,
        )
        interrupted = found.interrupted
        if not interrupted:
            states = catalog.file_states(roots)
            todo = _plan(found.candidates, states, tally)
            removed = catalog.forget(_vanished(states, found))
            colliding = _colliding_sizes(catalog, roots, found.candidates)
            interrupted = _analyse(
                catalog, todo, colliding, root_ids, scan_id, options, reporter, stop, tally
            )
            removed += catalog.forget([p for p, r in tally.problems if r.startswith("vanished")])
        if not interrupted:
            interrupted = _hash_collisions(catalog, reporter, stop, tally)
    except KeyboardInterrupt:
        interrupted = True
    summary = ScanSummary(
        roots=tuple(roots),
        seen=len(found.candidates),
        analysed=tally.analysed,
        unchanged=tally.unchanged,
        removed=removed,
        hashed=tally.hashed,
        bytes_read=tally.bytes_read,
        elapsed=time.monotonic() - started,
        interrupted=interrupted,
        skipped=dict(sorted(tally.skipped.items())),
        problems=tuple(sorted(tally.problems)),
        unreadable_dirs=tuple(f"{path} ({reason})" for path, reason in found.unreadable_dirs),
    )
    catalog.finish_scan(scan_id, summary, "interrupted" if interrupted else "finished")
    reporter.emit(Progress(Phase.FINISHED, done=summary.seen, total=summary.seen), True)
    return summary


def _plan(
    candidates: Sequence[Candidate], states: dict[str, FileState], tally: _Tally
) -> list[Candidate]:
    """The candidates that need analysing; the rest are tallied as unchanged or still bad."""
    todo = []
    for cand in candidates:
        state = states.get(cand.path)
        if state is None or not _is_current(cand, state):
            todo.append(cand)
        elif state.error:
            tally.failed(cand.path, state.error)
        else:
            tally.unchanged += 1
    return todo


def _is_current(cand: Candidate, state: FileState) -> bool:
    if (cand.size, cand.mtime_ns) != (state.size, state.mtime_ns):
        return False
    if state.analysis_version != ANALYSIS_VERSION:
        return False
    category = state.error.split(":", 1)[0] if state.error else None
    return category not in RETRY_CATEGORIES


def _vanished(states: dict[str, FileState], found: Discovery) -> list[str]:
    """Catalogued paths under the roots that the walk did not see, except below folders it
    could not read (their files may well still be there)."""
    seen = {c.path for c in found.candidates}
    blind = tuple(path.rstrip("/") + "/" for path, _ in found.unreadable_dirs)
    return [p for p in states if p not in seen and not p.startswith(blind)]


def _colliding_sizes(catalog: Catalog, roots: Sequence[str], cands: Sequence[Candidate]) -> set:
    counts = catalog.size_counts(exclude_roots=roots)
    counts.update(c.size for c in cands)
    return {size for size, n in counts.items() if n > 1}


def _analyse(
    catalog: Catalog,
    todo: Sequence[Candidate],
    colliding: set[int],
    root_ids: dict[str, int],
    scan_id: int,
    options: ScanOptions,
    reporter: Reporter,
    stop: StopCheck,
    tally: _Tally,
) -> bool:
    """Analyse ``todo`` and store the results in chunks. Returns True if stopped early."""
    if not todo:
        return False
    bytes_total = sum(c.size for c in todo)
    reporter.phase(Phase.ANALYSING, total=len(todo), bytes_total=bytes_total)
    by_path = {c.path: c for c in todo}
    tasks = [(c.path, c.size in colliding, options.max_pixels) for c in todo]
    pending: list[tuple[AnalysisResult, int | None]] = []
    last_commit = time.monotonic()
    done = 0
    stopped = False
    results = _run(tasks, options.worker_count)
    try:
        for result in results:
            cand = by_path[result.photo.path]
            result = _complete(result, cand)
            done += 1
            tally.bytes_read += cand.size
            _record(result, tally)
            if not result.photo.error or not result.photo.error.startswith("vanished"):
                pending.append((result, root_ids.get(cand.root)))
            reporter.emit(
                Progress(
                    Phase.ANALYSING,
                    done=done,
                    total=len(todo),
                    bytes_done=tally.bytes_read,
                    bytes_total=bytes_total,
                    errors=tally.skipped.total(),
                    current=cand.path,
                )
            )
            if len(pending) >= _COMMIT_EVERY or time.monotonic() - last_commit > _COMMIT_SECONDS:
                catalog.save_results(pending, scan_id)
                pending, last_commit = [], time.monotonic()
            if stop():
                stopped = True
                break
    except KeyboardInterrupt:
        stopped = True
    finally:
        close = getattr(results, "close", None)
        if close:
            close()
        catalog.save_results(pending, scan_id)
    return stopped


def _complete(result: AnalysisResult, cand: Candidate) -> AnalysisResult:
    """A file that could not even be opened gets the size and mtime discovery saw."""
    photo = result.photo
    if photo.error and photo.mtime_ns == 0:
        photo = replace(
            photo, size=cand.size, mtime_ns=cand.mtime_ns, inode=cand.inode, device=cand.device
        )
    return replace(result, photo=photo)


def _record(result: AnalysisResult, tally: _Tally) -> None:
    photo = result.photo
    if photo.error:
        tally.failed(photo.path, photo.error)
        return
    tally.analysed += 1
    if photo.content_hash:
        tally.hashed += 1


def _run(tasks: list[tuple[str, bool, int]], workers: int) -> Iterator[AnalysisResult]:
    """Results of ``analysis.analyse_task`` for each task, in completion order."""
    from core.analysis import analyse as analysis

    if workers <= 1 or len(tasks) < _MIN_TASKS_FOR_POOL:
        return (analysis.analyse_task(task) for task in tasks)
    return _pooled(tasks, workers)


def _pooled(tasks: Iterable[tuple[str, bool, int]], workers: int) -> Iterator[AnalysisResult]:
    from core.analysis import analyse as analysis

    # spawn, not fork: the caller may have threads (the TUI's workers), and fork copies locks.
    ctx = multiprocessing.get_context("spawn")
    with _sigint_ignored():  # workers start with Ctrl-C ignored, before they import anything
        pool = ctx.Pool(workers, initializer=_worker_init)
    try:
        yield from pool.imap_unordered(analysis.analyse_task, tasks, chunksize=2)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ctrl-C reaches the whole process group, workers included; only the main process may
    act on it. An ignored signal stays ignored in a spawned child, and Python leaves it so."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals belong to the main thread (and a TUI gets no SIGINT from its keys)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import cv2

    cv2.setNumThreads(1)


def _hash_collisions(catalog: Catalog, reporter: Reporter, stop: StopCheck, tally: _Tally) -> bool:
    """Content-hash older files whose size a newer file now shares. True if stopped early."""
    missing = catalog.missing_content_hashes()
    if not missing:
        return False
    from core.analysis import analyse as analysis

    reporter.phase(Phase.HASHING, total=len(missing))
    for done, photo in enumerate(missing, 1):
        if stop():
            return True
        digest = analysis.content_hash_if_unchanged(photo.path, photo.size, photo.mtime_ns)
        if digest and catalog.set_content_hash(photo.path, photo.size, photo.mtime_ns, digest):
            tally.hashed += 1
        reporter.emit(Progress(Phase.HASHING, done=done, total=len(missing)))
    return False
