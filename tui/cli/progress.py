"""Progress on the command line: a one-line bar redrawn in place on a terminal, plain lines
every few seconds (and at each phase change) when the output is a file or a pipe. A terminal
that went away (an SSH hang-up) silences it; the work goes on to a clean stop."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

from core.models import Phase, Progress
from tui.cli.format import shown

_PLAIN_EVERY = 5.0  # seconds between lines when not on a terminal
_BAR = 24


class _ProgressLine:
    """Shows one line per update: redrawn in place on a terminal, else throttled lines. Use
    as a context manager so the line is cleared before the results are printed."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.phase: str | None = None
        self.last_plain = 0.0
        self.drawn = False
        self.gone = False  # the stream cannot be written any more

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        if self.drawn:
            self._write("\r\x1b[K")

    def _write(self, text: str) -> None:
        if self.gone:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.gone = True

    def show(self, phase: str, line: str, plain: str, detail: str | None = None) -> None:
        if self.gone:
            return
        if self.tty:
            width = shutil.get_terminal_size((100, 24)).columns
            room = width - len(line) - 3
            if detail and room > 10:
                line += "  " + (detail if len(detail) <= room else "…" + detail[-(room - 1) :])
            self._write("\r\x1b[K" + line[: width - 1])
            self.drawn = True
            return
        now = time.monotonic()
        if phase != self.phase or now - self.last_plain >= _PLAIN_EVERY:
            self.phase = phase
            self.last_plain = now
            self._write(plain + "\n")


class ProgressView(_ProgressLine):
    """Call it with each ``Progress`` event of a scan, a grouping or judging."""

    def __call__(self, event: Progress) -> None:
        if event.phase is Phase.FINISHED:
            return
        name = shown(event.current.rsplit("/", 1)[-1]) if event.current else None
        self.show(event.phase.value, describe(event, bar=True), describe(event), name)


def describe(event: Progress, *, bar: bool = False) -> str:
    """One line about ``event``, e.g. ``analysing 120/305 (39%) 24.1/s ETA 0:08``."""
    if event.phase is Phase.DISCOVERING:
        return f"finding photos: {event.done:,} so far" if event.done else "finding photos"
    parts = [event.phase.value]
    if event.total:
        fraction = event.done / event.total
        if bar:
            parts.append(_bar(fraction))
        parts.append(f"{event.done:,}/{event.total:,} ({fraction:.0%})")
    if event.rate:
        parts.append(f"{event.rate:.1f}/s")
    eta = event.eta
    if eta is not None and event.done < event.total:
        parts.append(f"ETA {_clock(eta)}")
    if event.errors:
        parts.append(f"{event.errors} skipped")
    return "  ".join(parts) if bar else " ".join(parts)


def _bar(fraction: float) -> str:
    filled = min(_BAR, int(fraction * _BAR))
    rest = "╺" + "─" * (_BAR - filled - 1) if filled < _BAR else ""
    return "━" * filled + rest


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
