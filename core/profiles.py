"""Named profiles: how strictly photos are grouped for a kind of collection.

The thresholds are the design document's: family 0.88 ("stricter, to avoid grouping different
moments"), travel 0.80 ("more liberal, to catch variations"), event 0.82, portrait sessions
(professional) 0.85, and 0.85 when no profile is named. photosift applies them to its visual
similarity (the correlation of the aligned thumbnails, see ``core.similarity``): copies and
edits of one photo score above 0.94 and different photos below 0.8 on the benchmark corpora,
so the default sits between with room on both sides; travel's 0.80 reaches the top of the
different-photo range and may group look-alike shots, as that profile intends.

The burst window is how far apart (seconds, by EXIF capture time, same camera) consecutive
frames of a burst may be. Must not import the store or any UI.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import PhotosiftError


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    threshold: float
    burst_seconds: float
    description: str


PROFILES = {
    p.name: p
    for p in (
        Profile("default", 0.85, 2.0, "balanced grouping"),
        Profile("family", 0.88, 2.0, "stricter: keeps different moments apart"),
        Profile("travel", 0.80, 3.0, "more liberal: catches variations of a view"),
        Profile("event", 0.82, 1.0, "action sequences: short bursts"),
        Profile("professional", 0.85, 1.0, "portrait sessions: similar poses grouped"),
    )
}
DEFAULT_PROFILE = PROFILES["default"]


def get_profile(name: str | None) -> Profile:
    if name is None:
        return DEFAULT_PROFILE
    try:
        return PROFILES[name.lower()]
    except KeyError:
        known = ", ".join(PROFILES)
        raise PhotosiftError(f"unknown profile {name!r} (known: {known})") from None
