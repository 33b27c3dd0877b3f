"""What a scan did, for the person and for scripts. Frozen dataclasses; imports nothing from
photosift."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """What a scan did. ``skipped`` maps a reason category to a count; ``problems`` lists
    (path, reason) for the files that could not be analysed in this scan."""

    roots: tuple[str, ...]
    seen: int = 0
    analysed: int = 0
    unchanged: int = 0
    removed: int = 0
    hashed: int = 0
    bytes_read: int = 0
    elapsed: float = 0.0
    interrupted: bool = False
    skipped: dict[str, int] = field(default_factory=dict)
    problems: tuple[tuple[str, str], ...] = ()
    unreadable_dirs: tuple[str, ...] = ()
    unavailable: dict[str, str] = field(default_factory=dict)  # root -> why; its files are kept

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def rate(self) -> float:
        return self.analysed / self.elapsed if self.elapsed > 0 else 0.0
