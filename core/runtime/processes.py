"""``ProcessExecutor``: the ``Executor`` that spreads tasks over local worker processes and
survives them dying.

It keeps its own small pool rather than ``multiprocessing.Pool`` because it must know which
worker holds which task: when a worker is killed (out of memory, a crash in a C decoder) the
tasks it held are retried, each alone on a fresh worker, and a task that kills its worker a
second time comes back as ``crashed: the decoder died (killed by signal 9, SIGKILL)`` while
the run goes on. Each worker is a spawned process with its own duplex pipe; the parent
waits on every pipe and process sentinel at once, so it notices a death at once, asks
``should_stop()`` at least every ``_POLL_SECONDS`` and, when told to stop or when the caller
closes the iterator, kills and joins every worker before returning.

Workers stay out of the terminal and out of the caller's signal handling: they ignore
SIGINT, SIGTERM and SIGHUP (the parent decides when they stop); their file descriptors 1 and
2 are pipes the parent reads, logging each line under ``core.runtime.worker`` (so a dying
worker's last words are kept too); and their log records, Python ``warnings`` included,
travel up their own pipe and are re-emitted by the parent under the record's own logger
name. Each worker has its own pipes, so a worker killed mid-write cannot jam the others the
way a shared ``multiprocessing.Queue`` lock could. A worker whose parent vanishes exits.

Messages are a 9-byte header (kind, task id) and a pickled payload. Tasks and the function
must be picklable and tasks should be small (paths, not pixels). Standard library only; must
not import numpy, OpenCV, the analysis or the store (workers import this module first).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import logging.handlers
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Generic

from core.runtime.executor import Outcome, R, T, describe_failure
from core.runtime.worker import (
    FAILED,
    HEADER,
    LOG,
    PICKLE,
    STOP,
    STOP_SIGNALS,
    TASK,
    Setup,
    worker_main,
)

if TYPE_CHECKING:
    from core.progress import StopCheck

log = logging.getLogger(__name__)

WORKER_LOGGER = "core.runtime.worker"  # lines workers write to their fd 1 and 2

_POLL_SECONDS = 0.2  # longest wait between two questions to should_stop
_BURST = 64  # messages read from one live worker before looking at the others
_REAP_SECONDS = 1.0  # how long a worker that closed its pipe gets to finish exiting
_EXIT_GRACE_SECONDS = 2.0  # how long workers asked to stop get to flush their logs and exit
_LONGEST_LINE = 64 * 1024  # bytes of one forwarded line without a newline


class ProcessExecutor:
    """Runs tasks in up to ``workers`` spawned processes, at most ``in_flight`` tasks queued
    per worker, each worker replaced after ``max_tasks_per_child`` tasks (leaks in C
    libraries stay bounded). ``initializer`` (a picklable module-level function) runs once
    in each worker before its first task. Workers start lazily, one per task until there are
    ``workers`` of them, and none outlives the ``map_unordered`` iterator, unless the
    executor ``keeps`` them: then the workers of a call whose tasks all came back wait for
    the next call with the same function (many small batches, one start-up), until
    ``close()`` (or the end of a ``with`` block) ends them."""

    def __init__(
        self,
        workers: int,
        *,
        max_tasks_per_child: int = 500,
        in_flight: int = 2,
        initializer: Callable[[], None] | None = None,
        keep: bool = False,
    ) -> None:
        if min(workers, max_tasks_per_child, in_flight) < 1:
            raise ValueError("workers, max_tasks_per_child and in_flight must be at least 1")
        self.workers = workers
        self.max_tasks_per_child = max_tasks_per_child
        self.in_flight = in_flight
        self.initializer = initializer
        self.keep = keep
        self._kept: _Run[Any, Any] | None = None  # the last call's run, its workers waiting

    def map_unordered(
        self,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        should_stop: StopCheck | None = None,
    ) -> Iterator[Outcome[T, R]]:
        """One outcome per task, as each arrives. Raises ``pickle.PicklingError`` (or the
        like) at once if ``fn`` or the initializer cannot be sent to a worker."""
        if not self.keep:
            return _Run(self, fn, tasks, should_stop).outcomes()
        kept = self._kept
        if kept is not None and kept.reusable(fn):
            kept.restart(tasks, should_stop)
            return kept.outcomes()
        self.close()
        self._kept = _Run(self, fn, tasks, should_stop)
        return self._kept.outcomes()

    def warm(self, fn: Callable[[Any], Any]) -> None:
        """Start every worker now, set up for ``fn`` (an executor that ``keeps`` them
        only), so that they are ready when the first call comes: they start up (imports,
        the initializer) while the caller does other work."""
        if not self.keep:
            raise ValueError("only an executor that keeps its workers can start them early")
        self.close()
        run: _Run[Any, Any] = _Run(self, fn, (), None)
        self._kept = run
        while run._has_room_to_start():
            run._start()
        run.exhausted, run.idle, run.used = True, True, False

    def close(self) -> None:
        """End the workers kept waiting for another call (if any)."""
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.end()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_exit(exitcode: int | None) -> str:
    """``killed by signal 9, SIGKILL``, ``exit code 3``: how a worker process ended."""
    if exitcode is None:
        return "it stopped answering"
    if exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return f"killed by signal {-exitcode}, {signal.Signals(-exitcode).name}"
    except ValueError:
        return f"killed by signal {-exitcode}"


# --- the parent's side ---------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Task(Generic[T]):
    id: int
    task: T
    retry: bool = False  # its first worker died holding it; this is its one solo retry


@dataclass(eq=False, slots=True)
class _Output:
    """The parent's end of the pipe a worker's fd 1 or 2 points at: each line becomes a log
    record here, so even the last words of a worker that dies (a faulthandler traceback, a C
    library's abort message) are kept, and none reach the terminal."""

    conn: Connection
    level: int
    pid: int = 0
    pending: bytes = b""

    def read(self) -> bool:
        """Log the complete lines waiting in the pipe; False if nothing was waiting."""
        try:
            chunk = os.read(self.conn.fileno(), _LONGEST_LINE)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.close()  # the end: the worker and everything it started are gone
            return False
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        if len(self.pending) >= _LONGEST_LINE:
            lines, self.pending = [*lines, self.pending], b""
        for line in lines:
            self._log(line)
        return True

    def drain(self) -> None:
        """Log what is left without blocking (a grandchild may hold the pipe open), then
        close it."""
        if not self.conn.closed:
            os.set_blocking(self.conn.fileno(), False)
            while self.read():
                pass
        self.close()

    def close(self) -> None:
        if not self.conn.closed:
            self._log(self.pending)
            self.pending = b""
            self.conn.close()

    def _log(self, line: bytes) -> None:
        text = line.decode(errors="replace").rstrip()
        if text:
            logging.getLogger(WORKER_LOGGER).log(self.level, "worker %s: %s", self.pid, text)


@dataclass(eq=False, slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection
    outputs: tuple[_Output, ...]
    held: dict[int, _Task[Any]] = field(default_factory=dict)
    assigned: int = 0
    solo: bool = False  # holds a retry, so it gets nothing else until that is done


class _Run(Generic[T, R]):
    """One ``map_unordered`` call: the workers, the tasks they hold, the outcomes to yield."""

    def __init__(
        self,
        config: ProcessExecutor,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        should_stop: StopCheck | None,
    ) -> None:
        self.config = config
        self.fn_bytes = pickle.dumps(fn, PICKLE)
        self.init_bytes = None if config.initializer is None else pickle.dumps(config.initializer)
        self.tasks = iter(tasks)
        self.exhausted = False
        self.should_stop = should_stop or _never
        self.ids = itertools.count()
        self.retries: deque[_Task[T]] = deque()
        self.ready: deque[Outcome[T, R]] = deque()
        self.active: list[_Worker] = []
        self.leaving: list[_Worker] = []  # asked to stop; flushing their logs and exiting
        self.context = multiprocessing.get_context("spawn")  # the caller may have threads
        self.keep = config.keep
        self.idle = False  # every task of the last call came back; the workers wait
        self.used = True  # given tasks (False: started early, not asked for anything yet)

    def reusable(self, fn: Callable[[T], R]) -> bool:
        """The workers wait, set up for ``fn``."""
        return self.idle and pickle.dumps(fn, PICKLE) == self.fn_bytes

    def restart(self, tasks: Iterable[T], should_stop: StopCheck | None) -> None:
        """Another call's tasks for the waiting workers."""
        self.tasks, self.exhausted, self.idle = iter(tasks), False, False
        self.should_stop = should_stop or _never
        self.used = True

    def end(self) -> None:
        """Let the waiting workers flush their logs and exit (those never given a task, still
        starting up perhaps, are ended at once)."""
        self.idle = False
        try:
            if self.used:
                self._finish()
        finally:
            self._kill_all()

    def outcomes(self) -> Iterator[Outcome[T, R]]:
        try:
            while not self.should_stop():
                self._dispatch()
                yield from self._pop_ready()
                if self.exhausted and not self.retries and not self._holding():
                    if self.keep:
                        self.idle = True  # the workers wait for the next call
                        return
                    self._finish()
                    return
                self._wait()
                yield from self._pop_ready()
        finally:
            if not self.idle:  # stopped, closed early or failed: nothing may linger
                self._kill_all()

    def _pop_ready(self) -> Iterator[Outcome[T, R]]:
        while self.ready:
            yield self.ready.popleft()

    def _holding(self) -> bool:
        return any(worker.held for worker in self.active)

    # dispatching

    def _dispatch(self) -> None:
        for worker in list(self.active):
            if not worker.held and worker.assigned >= self.config.max_tasks_per_child:
                self._release(worker)  # a planned exit, not a crash
        self._dispatch_retries()
        self._dispatch_new()

    def _dispatch_retries(self) -> None:
        """Each retry goes to a worker that holds nothing else, so a second crash names it."""
        while self.retries:
            worker = next((w for w in self.active if self._open(w) and not w.held), None)
            if worker is None and self._has_room_to_start():
                worker = self._start()
            if worker is None:
                return
            worker.solo = True
            self._assign(worker, self.retries.popleft())

    def _dispatch_new(self) -> None:
        """Pull tasks while some worker has room; start a worker rather than double up."""
        while not self.exhausted:
            worker = self._roomiest()
            can_start = self._has_room_to_start()
            if worker is None and not can_start:
                return
            item = self._next_task()
            if item is None:
                return
            if worker is None or (worker.held and can_start):
                worker = self._start()
            self._assign(worker, item)

    def _open(self, worker: _Worker) -> bool:
        return worker.assigned < self.config.max_tasks_per_child

    def _has_room_to_start(self) -> bool:
        """A worker past its quota does not count: its replacement starts up (imports, runs
        the initializer) while it finishes its last tasks."""
        return sum(self._open(w) for w in self.active) < self.config.workers

    def _roomiest(self) -> _Worker | None:
        room = [
            w
            for w in self.active
            if self._open(w) and not w.solo and len(w.held) < self.config.in_flight
        ]
        return min(room, key=lambda w: len(w.held), default=None)

    def _next_task(self) -> _Task[T] | None:
        try:
            task = next(self.tasks)
        except StopIteration:
            self.exhausted = True
            return None
        return _Task(next(self.ids), task)

    def _assign(self, worker: _Worker, item: _Task[T]) -> None:
        try:
            payload = pickle.dumps(item.task, PICKLE)
        except Exception as exc:
            reason = describe_failure(exc).removeprefix("failed: ")
            self.ready.append(Outcome(item.task, failure=f"failed: cannot send the task: {reason}"))
            return
        worker.held[item.id] = item
        worker.assigned += 1
        with contextlib.suppress(OSError):  # it died: its sentinel says so and the task retries
            worker.conn.send_bytes(HEADER.pack(TASK, item.id) + payload)

    # workers coming and going

    def _start(self) -> _Worker:
        parent_end, child_end = self.context.Pipe(duplex=True)
        (out_read, out_write), (err_read, err_write) = (self.context.Pipe(False) for _ in "12")
        process = self.context.Process(
            target=worker_main,
            args=(child_end, out_write, err_write, self._worker_setup()),
            name="photosift-worker",
            daemon=True,
        )
        outputs = (_Output(out_read, logging.INFO), _Output(err_read, logging.WARNING))
        worker = _Worker(process, parent_end, outputs)
        self.active.append(worker)  # before start: whatever happens next, it gets killed
        try:
            with _stop_signals_held():
                process.start()
        finally:
            for end in (child_end, out_write, err_write):
                end.close()  # else the parent would never see the end of a dead worker's pipes
        for output in outputs:
            output.pid = process.pid or 0
        return worker

    def _worker_setup(self) -> Setup:
        level = min(logging.getLogger(name).getEffectiveLevel() for name in ("", "core"))
        return Setup(self.fn_bytes, self.init_bytes, level, os.getpid())

    def _release(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError):
            worker.conn.send_bytes(STOP)
        self.active.remove(worker)
        self.leaving.append(worker)

    def _finish(self) -> None:
        """Every task is done: let the workers flush their last log lines and exit."""
        for worker in list(self.active):
            self._release(worker)
        deadline = time.monotonic() + _EXIT_GRACE_SECONDS
        while self.leaving and time.monotonic() < deadline and not self.should_stop():
            self._wait()

    def _kill_all(self) -> None:
        workers = self.active + self.leaving
        self.active, self.leaving = [], []
        for worker in workers:
            if worker.process.pid is not None and worker.process.exitcode is None:
                worker.process.kill()
        for worker in workers:
            if worker.process.pid is not None:
                worker.process.join()
                worker.process.close()
            worker.conn.close()
            for output in worker.outputs:
                output.drain()

    # listening

    def _wait(self) -> None:
        """Wait (at most ``_POLL_SECONDS``) for messages, output or deaths, and handle them."""
        routes: dict[Any, tuple[_Worker, _Output | bool]] = {}
        for worker in self.active + self.leaving:
            routes[worker.conn] = (worker, False)
            routes[worker.process.sentinel] = (worker, True)
            routes.update(
                (out.conn, (worker, out)) for out in worker.outputs if not out.conn.closed
            )
        exits: dict[_Worker, bool] = {}
        for obj in wait(list(routes), timeout=_POLL_SECONDS):
            worker, source = routes[obj]
            if isinstance(source, _Output):
                source.read()
            else:
                exits[worker] = exits.get(worker, False) or source
        for worker, exited in exits.items():
            self._service(worker, exited)

    def _service(self, worker: _Worker, exited: bool) -> None:
        """Read what ``worker`` sent (all of it if it exited); bury it if it is gone."""
        reads = 0
        try:
            while (exited or reads < _BURST) and worker.conn.poll():
                self._handle(worker, worker.conn.recv_bytes())
                reads += 1
        except (EOFError, OSError):
            exited = True
        if exited:
            self._bury(worker)

    def _handle(self, worker: _Worker, data: bytes) -> None:
        kind, task_id = HEADER.unpack_from(data)
        payload = memoryview(data)[HEADER.size :]
        if kind == LOG:
            _emit(payload)
            return
        item = worker.held.pop(task_id)
        worker.solo = worker.solo and bool(worker.held)
        if kind == FAILED:
            self.ready.append(Outcome(item.task, failure=bytes(payload).decode()))
            return
        try:
            self.ready.append(Outcome(item.task, result=pickle.loads(payload)))
        except Exception as exc:
            reason = describe_failure(exc).removeprefix("failed: ")
            self.ready.append(
                Outcome(item.task, failure=f"failed: cannot read the result: {reason}")
            )

    def _bury(self, worker: _Worker) -> None:
        """``worker`` is gone: retry what it held once, alone; what it held on a retry (the
        culprit, twice over) comes back as crashed."""
        planned = worker in self.leaving
        (self.leaving if planned else self.active).remove(worker)
        pid, exitcode = worker.process.pid, _reap(worker)
        if not worker.held:
            if not planned or exitcode:
                log.warning("worker %s ended early (%s)", pid, describe_exit(exitcode))
            return
        reason = f"crashed: the decoder died ({describe_exit(exitcode)})"
        log.warning("worker %s died holding %d task(s): %s", pid, len(worker.held), reason)
        for item in worker.held.values():
            if item.retry:
                self.ready.append(Outcome(item.task, failure=reason))
            else:
                self.retries.append(_Task(item.id, item.task, retry=True))


def _never() -> bool:
    return False


def _reap(worker: _Worker) -> int | None:
    """Join ``worker`` (killing it if it closed its pipe but lingers); its own exit code, or
    None if it had to be killed."""
    process = worker.process
    process.join(_REAP_SECONDS)
    exitcode = process.exitcode
    if exitcode is None:
        process.kill()
        process.join()
    process.close()
    worker.conn.close()
    for output in worker.outputs:
        output.drain()  # its last words, a traceback or a C library's complaint
    return exitcode


def _emit(payload: memoryview) -> None:
    """Re-emit a worker's log record here, under its own logger and this process's levels."""
    try:
        record = logging.makeLogRecord(pickle.loads(payload))
    except Exception:
        log.warning("a worker sent a log record that could not be read", exc_info=True)
        return
    logger = logging.getLogger(record.name)
    if logger.isEnabledFor(record.levelno):
        logger.handle(record)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which hands it ``sys.stderr``'s descriptor:
    under a terminal UI that captures ``sys.stderr`` (fileno -1) the real one is lent."""
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable or sys.__stderr__ is None:
        resource_tracker.ensure_running()
        return
    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


@contextlib.contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Start a worker with SIGINT, SIGTERM and SIGHUP blocked: a spawned child inherits the
    mask, so a Ctrl-C (which reaches the whole process group) during its start-up cannot kill
    it with a traceback before it ignores them. Blocking, unlike ignoring, works in any
    thread and only delays a signal meant for this process."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    _start_resource_tracker()  # its first start unblocks SIGINT and SIGTERM again
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
