"""One progress event type for every long piece of work (scan, grouping, judging), so the same
work drives a bar on the command line, a widget in the app, or nothing in a test. Frozen
dataclasses and enums; imports nothing from photosift."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    """What the work is doing now, in the order a scan and a grouping go through them."""

    DISCOVERING = "finding photos"
    ANALYSING = "analysing"
    HASHING = "hashing"  # content hashes of older files whose size now collides
    FINGERPRINTING = "fingerprinting"
    SEARCHING = "searching"
    VERIFYING = "verifying"
    CHECKING = "checking files"  # a stat of every file shown, right before advice is given
    MEASURING = "measuring"  # on-demand measures for judging: fine sharpness, faces
    APPLYING = "moving files"  # apply: files marked backup go to the backup folder (or trash)
    RESTORING = "restoring files"  # undo: they come back
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress event. ``done``/``total`` count the items of the current phase (files,
    pairs, tables); ``current`` names the item being worked on, when there is one."""

    phase: Phase
    done: int = 0
    total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    errors: int = 0
    current: str | None = None
    elapsed: float = 0.0  # seconds since the work started
    phase_elapsed: float = 0.0  # seconds since this phase started

    @property
    def rate(self) -> float:
        """Items per second in this phase."""
        return self.done / self.phase_elapsed if self.phase_elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left in this phase, estimated from bytes when they are known."""
        if self.phase_elapsed <= 0 or self.done == 0 or not self.total:
            return None
        if self.bytes_total and self.bytes_done:
            return (self.bytes_total - self.bytes_done) * self.phase_elapsed / self.bytes_done
        return (self.total - self.done) / self.rate
