"""Where a batch of tasks runs: the ``Executor`` protocol, the ``Outcome`` of one task, and
``InProcessExecutor``, which runs the tasks one by one in this process.

An executor maps a picklable function over tasks and yields one ``Outcome`` per task, in
completion order, as soon as it is known: the task with its result, or with a failure that
says why (``failed: ValueError: bad thing``, ``crashed: the decoder died (exit code 3)``). A
failing task never ends the run. ``should_stop()`` is asked while the work goes on; when it
says True the executor stops starting tasks and its iterator ends. Process pools live in
``core.runtime.processes``, and a distributed engine can plug in behind the same protocol.

Standard library only, so that a worker process importing this stays cheap; must not import
numpy, OpenCV, the analysis or the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from core.progress import StopCheck

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T, R]):
    """What became of one task: its ``result``, or a ``failure`` saying why there is none."""

    task: T
    result: R | None = None
    failure: str | None = None  # None when the task succeeded (its result may still be None)

    @property
    def ok(self) -> bool:
        return self.failure is None


class Executor(Protocol):
    def map_unordered(
        self,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        should_stop: StopCheck | None = None,
    ) -> Iterator[Outcome[T, R]]:
        """One ``Outcome`` per task of ``tasks`` (pulled lazily), in completion order, until
        the tasks run out or ``should_stop()`` says True. Closing the iterator early ends the
        work it started."""
        ...


def describe_failure(exc: BaseException) -> str:
    """``failed: ValueError: bad thing``: the reason an exception in a task gives."""
    message = str(exc)
    name = type(exc).__name__
    return f"failed: {name}: {message}" if message else f"failed: {name}"


class InProcessExecutor:
    """Runs the tasks one after another in this process: no start-up cost, for small batches,
    tests and debugging. ``should_stop`` is asked before each task."""

    def map_unordered(
        self,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        should_stop: StopCheck | None = None,
    ) -> Iterator[Outcome[T, R]]:
        for task in tasks:
            if should_stop is not None and should_stop():
                return
            yield run_one(fn, task)


def run_one(fn: Callable[[T], R], task: T) -> Outcome[T, R]:
    """``fn(task)`` as an outcome: an exception becomes a ``failed: ...`` failure."""
    try:
        return Outcome(task, result=fn(task))
    except Exception as exc:
        log.debug("task %r failed", task, exc_info=True)
        return Outcome(task, failure=describe_failure(exc))
