"""The scan pipeline: discover -> check the roots -> decide what changed -> analyse through an
executor -> store.

The main process walks the roots, checks that each is really there (``core.runtime.roots``:
a root that is missing, empty where it held files, or on another device keeps its catalogued
files), compares each file's size, mtime, ctime, inode, device and analysis version with the
catalog, sends only new or changed files to the executor (``core.analysis.analyse`` in worker
processes that may die without taking the scan with them), and is the one writer, committing
results in chunks. Files that vanished from an available root are forgotten.
Progress goes to ``on_progress(Progress)``; ``should_stop()`` (or Ctrl-C) ends the scan within
a fraction of a second and keeps everything already analysed.

Exact duplicates need a content hash, which costs about 8% of a photo's analysis time, so only
files whose size collides with another file's are hashed: in the worker when the collision is
known up front, and in a short pass at the end for older files that a new file now collides
with. ``core.analysis`` (numpy, OpenCV, Pillow) is imported only when there is work for it,
so a re-scan of an unchanged tree starts and ends quickly. Must not import a UI.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.errors import RootNotFoundError
from core.media import formats
from core.media.discover import Discovery, DiscoveryOptions, discover, resolve_roots
from core.models import (
    ANALYSIS_VERSION,
    DEFAULT_MAX_PIXELS,
    RETRY_CATEGORIES,
    AnalysisResult,
    Candidate,
    Phase,
    Photo,
    Progress,
    ScanSummary,
)
from core.progress import ProgressCallback, Reporter, StopCheck
from core.runtime import roots as rootcheck
from core.runtime.executor import Executor, InProcessExecutor, Outcome
from core.store import Catalog, FileState

_COMMIT_EVERY = 200  # results
_COMMIT_SECONDS = 2.0
_MIN_TASKS_FOR_POOL = 16  # below this, starting workers costs more than it saves...
# ...unless a file needs a decoder that is not Pillow's own (libheif today): one that may take
# the process down with it runs in a worker whatever the count.
_NATIVE_DECODER_EXTENSIONS = frozenset({"heic", "heif", "hif", "avif"}) | formats.RAW_EXTENSIONS

Task = tuple[str, bool, int]  # path, want a content hash, pixel limit
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScanOptions:
    exclude: tuple[str, ...] = ()
    include_hidden: bool = False
    follow_symlinks: bool = False
    workers: int | None = None  # None: one per CPU core
    max_pixels: int = DEFAULT_MAX_PIXELS
    exclude_ignore_case: bool | None = None  # None: as the file system of each root compares
    forget_missing: bool = False  # forget the files of roots that are unavailable

    @property
    def discovery(self) -> DiscoveryOptions:
        return DiscoveryOptions(
            self.exclude,
            self.include_hidden,
            self.follow_symlinks,
            ignore_case=self.exclude_ignore_case,
        )

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
    restat: list[tuple[str, int, int, int]] = field(default_factory=list)

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
    executor: Executor | None = None,
) -> ScanSummary:
    """Scan ``paths`` into ``catalog`` and return what happened. Raises ``RootNotFoundError``
    before touching the catalog if a path does not exist and is not a root the catalog knows
    (a known one that is missing is reported unavailable, its files kept)."""
    started = time.monotonic()
    reporter = Reporter(on_progress, should_stop)
    present, missing = _split_missing(catalog, paths)
    roots = resolve_roots(present) if present else []
    root_ids = catalog.ensure_roots(roots)
    scan_id = catalog.begin_scan(roots + list(missing))
    tally = _Tally()
    run = _Run(catalog, options, reporter, tally, root_ids, scan_id, executor)
    unavailable = {v.path: v.unavailable for v in missing.values() if v.unavailable}
    removed, interrupted, found, status = 0, False, Discovery(), "failed"
    try:
        reporter.phase(Phase.DISCOVERING)
        found = discover(
            roots,
            options.discovery,
            on_found=lambda n: reporter.emit(Progress(Phase.DISCOVERING, done=n)),
            should_stop=reporter.stopped,
        )
        interrupted = found.interrupted
        if not interrupted:
            removed, more = run.changes(roots, found, list(missing.values()))
            unavailable.update(more)
            interrupted = reporter.stopped() or run.hash_collisions()
        status = "interrupted" if interrupted else "finished"
    except KeyboardInterrupt:
        interrupted, status = True, "interrupted"
    finally:
        summary = ScanSummary(
            roots=tuple(roots) + tuple(missing),
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
            unreadable_dirs=tuple(f"{path} ({why})" for path, why in found.unreadable_dirs),
            unavailable=dict(sorted(unavailable.items())),
        )
        _finish(catalog, scan_id, summary, status)
    reporter.emit(Progress(Phase.FINISHED, done=summary.seen, total=summary.seen), True)
    return summary


def _finish(catalog: Catalog, scan_id: int, summary: ScanSummary, status: str) -> None:
    """Record how the scan ended; a scan that failed is never left marked running, unless the
    catalog itself cannot be written any more (then that error is the one to see)."""
    try:
        catalog.finish_scan(scan_id, summary, status)
    except Exception:
        if status != "failed":
            raise
        log.exception("could not record the end of scan %s", scan_id)


def _split_missing(
    catalog: Catalog, paths: Sequence[str]
) -> tuple[list[str], dict[str, rootcheck.RootVerdict]]:
    """The paths that exist, and the missing ones that are roots the catalog knows (their
    verdicts); any other missing path is an error, raised before anything is written."""
    present, missing = [], {}
    for given in paths:
        real = os.path.realpath(os.path.expanduser(given))
        if os.path.exists(real):
            present.append(given)
            continue
        known = catalog.root_states([real]).get(real)
        if known is None or known.files == 0:
            raise RootNotFoundError(f"{given}: no such file or folder")
        missing[real] = rootcheck.missing_root(real, rootcheck.KnownRoot(known.device, known.files))
    return present, missing


class _Run:
    """The steps of one scan after discovery, sharing its catalog, options and tallies."""

    def __init__(
        self,
        catalog: Catalog,
        options: ScanOptions,
        reporter: Reporter,
        tally: _Tally,
        root_ids: dict[str, int],
        scan_id: int,
        executor: Executor | None,
    ) -> None:
        self.catalog, self.options, self.reporter, self.tally = catalog, options, reporter, tally
        self.root_ids, self.scan_id, self.executor = root_ids, scan_id, executor
        self.crashed_before: set[str] = set()  # files whose decoder died at an earlier scan

    def changes(
        self,
        roots: Sequence[str],
        found: Discovery,
        missing: Sequence[rootcheck.RootVerdict],
    ) -> tuple[int, dict[str, str]]:
        """Check the roots, forget what vanished, analyse what is new or changed. Returns how
        many files were forgotten and the roots found unavailable (root -> why)."""
        catalog, forget = self.catalog, self.options.forget_missing
        states = catalog.file_states(roots) if roots else {}
        verdicts = self._judge_roots(roots, found, states)
        away = [v for v in (*verdicts, *missing) if v.unavailable]
        removed = catalog.forget_below([v.path for v in away]) if forget and away else 0
        if forget:
            states = catalog.file_states(roots) if roots else {}
        kept = tuple(v.path.rstrip("/") + "/" for v in away if not forget)
        keep_paths = {v.path for v in away if not forget}
        candidates = [c for c in found.candidates if c.root not in keep_paths]
        todo = self._plan(candidates, states, rootcheck.device_map(verdicts))
        vanished = [p for p in _vanished(states, found) if not p.startswith(kept)]
        removed += catalog.forget(vanished)
        self._analyse(todo, _colliding_sizes(catalog, roots, candidates))
        gone = [p for p, r in self.tally.problems if r.startswith("vanished")]
        removed += catalog.forget(gone)
        catalog.record_stats(self.tally.restat)
        for verdict in (*verdicts, *missing):
            unavailable = None if forget else verdict.unavailable
            catalog.set_root_state(verdict.path, device=verdict.device, unavailable=unavailable)
        return removed, {v.path: v.unavailable for v in away if v.unavailable and not forget}

    def _judge_roots(
        self, roots: Sequence[str], found: Discovery, states: Mapping[str, FileState]
    ) -> list[rootcheck.RootVerdict]:
        known = self.catalog.root_states(roots)
        verdicts = []
        for root in roots:
            state = known.get(root)
            below = [c for c in found.candidates if c.root == root]
            remembered = rootcheck.KnownRoot(state.device, state.files) if state else None
            verdicts.append(rootcheck.judge_root(root, remembered, below, set(states)))
        return verdicts

    def _plan(
        self,
        candidates: Sequence[Candidate],
        states: Mapping[str, FileState],
        moved: Mapping[int, int],
    ) -> list[Candidate]:
        """The candidates that need analysing; the rest are tallied as unchanged or still
        bad. Unchanged files whose ctime is not recorded yet, or whose root was remounted on
        another device, get their new stat recorded."""
        todo = []
        for cand in candidates:
            state = states.get(cand.path)
            if state is None or not _is_current(cand, state, moved):
                todo.append(cand)
                if state and state.error and state.error.startswith("crashed"):
                    self.crashed_before.add(cand.path)
                continue
            if state.ctime_ns != cand.ctime_ns or state.device != cand.device:
                self.tally.restat.append((cand.path, cand.ctime_ns, cand.inode, cand.device))
            if state.error:
                self.tally.failed(cand.path, state.error)
            else:
                self.tally.unchanged += 1
        return todo

    def _analyse(self, todo: Sequence[Candidate], colliding: set[int]) -> None:
        """Analyse ``todo`` and store the results in chunks, until done or stopped."""
        if not todo:
            return
        tally, reporter = self.tally, self.reporter
        bytes_total = sum(c.size for c in todo)
        reporter.phase(Phase.ANALYSING, total=len(todo), bytes_total=bytes_total)
        by_path = {c.path: c for c in todo}
        tasks: list[Task] = [(c.path, c.size in colliding, self.options.max_pixels) for c in todo]
        pending: list[tuple[AnalysisResult, int | None]] = []
        last_commit = time.monotonic()
        outcomes = self._outcomes(tasks)
        try:
            for done, outcome in enumerate(outcomes, 1):
                cand = by_path[outcome.task[0]]
                result = _complete(outcome, cand)
                tally.bytes_read += cand.size
                _record(result, tally)
                if not result.photo.error or not result.photo.error.startswith("vanished"):
                    pending.append((result, self.root_ids.get(cand.root)))
                reporter.emit(
                    Progress(
                        Phase.ANALYSING, done, len(todo), tally.bytes_read, bytes_total,
                        tally.skipped.total(), cand.path,
                    )
                )  # fmt: skip
                if len(pending) >= _COMMIT_EVERY or time.monotonic() - last_commit > 2.0:
                    self.catalog.save_results(pending, self.scan_id)
                    pending, last_commit = [], time.monotonic()
                if reporter.stopped():
                    break
        finally:
            close = getattr(outcomes, "close", None)
            if close:
                close()  # stops the workers at once when the loop ended early
            self.catalog.save_results(pending, self.scan_id)

    def _outcomes(self, tasks: list[Task]) -> Iterator[Outcome[Task, AnalysisResult]]:
        from core.analysis import analyse as analysis

        executor = self.executor or _default_executor(
            tasks, self.options.worker_count, self.crashed_before
        )
        return executor.map_unordered(analysis.analyse_task, tasks, self.reporter.stopped)

    def hash_collisions(self) -> bool:
        """Content-hash older files whose size a newer file now shares. True if stopped."""
        catalog, reporter, tally = self.catalog, self.reporter, self.tally
        missing = catalog.missing_content_hashes()
        if not missing:
            return False
        from core.analysis import analyse as analysis

        reporter.phase(Phase.HASHING, total=len(missing))
        for done, photo in enumerate(missing, 1):
            if reporter.stopped():
                return True
            digest = analysis.content_hash_if_unchanged(photo.path, photo.size, photo.mtime_ns)
            if digest and catalog.set_content_hash(photo.path, photo.size, photo.mtime_ns, digest):
                tally.hashed += 1
            reporter.emit(Progress(Phase.HASHING, done=done, total=len(missing)))
        return False


def _default_executor(tasks: Sequence[Task], workers: int, crashed: set[str]) -> Executor:
    """Worker processes, unless there are too few tasks to pay for starting them and none
    needs a decoder that could take this process down (or did so before)."""
    risky = any(
        formats.extension(path) in _NATIVE_DECODER_EXTENSIONS or path in crashed
        for path, _, _ in tasks
    )
    if not risky and (workers <= 1 or len(tasks) < _MIN_TASKS_FOR_POOL):
        return InProcessExecutor()
    from core.runtime.processes import ProcessExecutor

    return ProcessExecutor(min(workers, len(tasks)), initializer=_worker_init)


def _worker_init() -> None:
    import cv2

    cv2.setNumThreads(1)


def _is_current(cand: Candidate, state: FileState, moved: Mapping[int, int]) -> bool:
    """The file is the one analysed: same size, mtime, inode and device (the root's new
    device if it was remounted), and same ctime when one was recorded; analysed by this
    release; and not a failure worth retrying."""
    device = moved.get(state.device, state.device)
    if (cand.size, cand.mtime_ns, cand.inode, cand.device) != (
        state.size,
        state.mtime_ns,
        state.inode,
        device,
    ):
        return False
    if state.ctime_ns and state.ctime_ns != cand.ctime_ns:
        return False
    if state.analysis_version != ANALYSIS_VERSION:
        return False
    category = state.error.split(":", 1)[0] if state.error else None
    return category not in RETRY_CATEGORIES


def _vanished(states: Mapping[str, FileState], found: Discovery) -> list[str]:
    """Catalogued paths under the roots that the walk did not see, except below folders it
    could not read (their files may well still be there)."""
    seen = {c.path for c in found.candidates}
    blind = tuple(path.rstrip("/") + "/" for path, _ in found.unreadable_dirs)
    return [p for p in states if p not in seen and not p.startswith(blind)]


def _colliding_sizes(catalog: Catalog, roots: Sequence[str], cands: Sequence[Candidate]) -> set:
    counts = catalog.size_counts(exclude_roots=roots) if roots else catalog.size_counts()
    counts.update(c.size for c in cands)
    return {size for size, n in counts.items() if n > 1}


def _complete(outcome: Outcome[Task, AnalysisResult], cand: Candidate) -> AnalysisResult:
    """The result of one task. A file that could not even be opened, or whose worker died,
    gets the stat discovery saw, so the next scan knows whether it changed."""
    if outcome.result is None:
        reason = outcome.failure or "crashed: no result came back"
        failed = Photo(path=cand.path, size=0, mtime_ns=0, analysis_version=ANALYSIS_VERSION)
        return AnalysisResult(_with_stat(replace(failed, error=reason), cand))
    photo = outcome.result.photo
    if photo.error and photo.mtime_ns == 0:
        return replace(outcome.result, photo=_with_stat(photo, cand))
    return outcome.result


def _with_stat(photo: Photo, cand: Candidate) -> Photo:
    return replace(
        photo,
        size=cand.size,
        mtime_ns=cand.mtime_ns,
        ctime_ns=cand.ctime_ns,
        inode=cand.inode,
        device=cand.device,
    )


def _record(result: AnalysisResult, tally: _Tally) -> None:
    photo = result.photo
    if photo.error:
        tally.failed(photo.path, photo.error)
        return
    tally.analysed += 1
    if photo.content_hash:
        tally.hashed += 1
