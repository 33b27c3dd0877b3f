"""What a grouping is computed with: its options, and the version of the grouping code (stored
groups are computed again when it changes). Kept apart from the matching code so that reading
or naming them (profiles, the command line's help) never loads numpy or OpenCV."""

from __future__ import annotations

from dataclasses import dataclass

GROUPING_VERSION = 6  # bump when grouping changes: stored groups are then computed again
DEFAULT_THRESHOLD = 0.85
DEFAULT_BURST_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class GroupingOptions:
    threshold: float = DEFAULT_THRESHOLD  # visual similarity needed to link (0..1)
    burst_seconds: float = DEFAULT_BURST_SECONDS
    hash_radius: int = 12  # variant pHash distance that makes a candidate
    recall: float = 0.95  # of the candidate search, for pairs exactly hash_radius apart
