"""Scan progress on the command line: a one-line bar redrawn in place on a terminal, plain
lines every few seconds (and at each phase change) when the output is a file or a pipe."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

from core.models import ScanPhase, ScanProgress

_PLAIN_EVERY = 5.0  # seconds between lines when not on a terminal
_BAR = 24


class ScanProgressView:
    """Call it with each ``ScanProgress``; use as a context manager to clear the line after."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.phase: ScanPhase | None = None
        self.last_plain = 0.0
        self.drawn = False

    def __enter__(self) -> ScanProgressView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def __call__(self, event: ScanProgress) -> None:
        if event.phase is ScanPhase.FINISHED:
            return
        if self.tty:
            self._draw(event)
            return
        now = time.monotonic()
        if event.phase is not self.phase or now - self.last_plain >= _PLAIN_EVERY:
            self.phase = event.phase
            self.last_plain = now
            self.stream.write(describe(event) + "\n")
            self.stream.flush()

    def _draw(self, event: ScanProgress) -> None:
        width = shutil.get_terminal_size((100, 24)).columns
        line = describe(event, bar=True)
        if event.current:
            room = width - len(line) - 3
            if room > 10:
                name = event.current.rsplit("/", 1)[-1]
                line += "  " + (name if len(name) <= room else "…" + name[-(room - 1) :])
        self.stream.write("\r\x1b[K" + line[: width - 1])
        self.stream.flush()
        self.drawn = True


def describe(event: ScanProgress, *, bar: bool = False) -> str:
    """One line about ``event``, e.g. ``analysing 120/305 (39%) 24.1 img/s ETA 0:08``."""
    if event.phase is ScanPhase.DISCOVERING:
        return f"finding photos: {event.done:,} so far" if event.done else "finding photos"
    parts = [event.phase.value]
    if event.total:
        fraction = event.done / event.total
        if bar:
            filled = int(fraction * _BAR)
            rest = "╺" + "─" * (_BAR - filled - 1) if filled < _BAR else ""
            parts.append("━" * filled + rest)
        parts.append(f"{event.done:,}/{event.total:,} ({fraction:.0%})")
    if event.rate:
        parts.append(f"{event.rate:.1f} img/s")
    eta = event.eta
    if eta is not None and event.done < event.total:
        parts.append(f"ETA {_clock(eta)}")
    if event.errors:
        parts.append(f"{event.errors} skipped")
    return "  ".join(parts) if bar else " ".join(parts)


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
