"""Ctrl-C, SIGTERM and an SSH hang-up (SIGHUP) all stop a command the same way: the first one
asks the work to stop (it winds down within half a second, keeping what was finished), a
second one of any of them breaks off at once. The exit code says which signal it was:
128 + its number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopper:
    """``should_stop`` for the engine, set by the first of the signals above."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def __call__(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)

    def install(self) -> Stopper:
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt  # the second one: stop now
        self.signum = signum
