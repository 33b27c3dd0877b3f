"""Progress and cancellation for long work: one ``Reporter`` that times phases, throttles
``Progress`` events to the caller's ``on_progress`` and asks the caller's ``should_stop``.
Every long loop in photosift (scan, grouping, judging, measuring) reports through one, so
each can be shown the same way and stopped within a fraction of a second. Imports only the
models and errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from core.errors import Cancelled
from core.models.progress import Phase, Progress

ProgressCallback = Callable[[Progress], None]
StopCheck = Callable[[], bool]

THROTTLE_SECONDS = 0.1


class Reporter:
    """Reports progress (at most one event per ``THROTTLE_SECONDS``, plus every phase change)
    and answers whether to stop. ``step`` raises ``Cancelled`` when the caller asked to stop;
    work that must wind down on its own (a scan keeps what it finished) asks ``stopped``."""

    def __init__(
        self,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> None:
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.started = time.monotonic()
        self.phase_started = self.started
        self.current_phase: Phase | None = None
        self.total = 0
        self._last = 0.0

    def phase(self, phase: Phase, total: int = 0, bytes_total: int = 0) -> None:
        """A new phase begins; reported at once."""
        self.current_phase = phase
        self.total = total
        self.phase_started = time.monotonic()
        self.emit(Progress(phase, total=total, bytes_total=bytes_total), force=True)

    def emit(self, event: Progress, force: bool = False) -> None:
        """Send ``event`` (with its times filled in) unless one went out very recently."""
        if self.on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last < THROTTLE_SECONDS:
            return
        self._last = now
        self.on_progress(
            replace(event, elapsed=now - self.started, phase_elapsed=now - self.phase_started)
        )

    def step(self, done: int, *, current: str | None = None, force: bool = False) -> None:
        """``done`` items of the current phase are finished: report, then stop if asked."""
        assert self.current_phase is not None, "step() before phase()"
        self.emit(Progress(self.current_phase, done, self.total, current=current), force)
        self.check()

    def stopped(self) -> bool:
        return bool(self.should_stop and self.should_stop())

    def check(self) -> None:
        """Raise ``Cancelled`` if the caller asked to stop."""
        if self.stopped():
            raise Cancelled()
