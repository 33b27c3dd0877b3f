"""The values photosift passes between its layers: frozen dataclasses and enums with no
behaviour beyond small derived properties. Shared by every layer; imports nothing else from
photosift and no library.

* ``media``: a file as discovered and as analysed (``Candidate``, ``Photo``, ``Quality``, ...)
* ``groups``: groups of look-alike photos (``Tier``, ``Group``, ``GroupMember``, ``Burst``,
  ``Verdict``)
* ``scans``: what a scan did (``ScanSummary``)
* ``progress``: the one progress event of all long work (``Phase``, ``Progress``)
"""

from core.models.groups import TIER_ORDER, Burst, Group, GroupMember, Tier, Verdict
from core.models.media import (
    ANALYSIS_VERSION,
    DEFAULT_MAX_PIXELS,
    RETRY_CATEGORIES,
    AnalysisResult,
    Candidate,
    Faces,
    Hashes,
    MediaType,
    Photo,
    Quality,
)
from core.models.progress import Phase, Progress
from core.models.scans import ScanSummary

__all__ = [
    "ANALYSIS_VERSION",
    "DEFAULT_MAX_PIXELS",
    "RETRY_CATEGORIES",
    "TIER_ORDER",
    "AnalysisResult",
    "Burst",
    "Candidate",
    "Faces",
    "Group",
    "GroupMember",
    "Hashes",
    "MediaType",
    "Phase",
    "Photo",
    "Progress",
    "Quality",
    "ScanSummary",
    "Tier",
    "Verdict",
]
