"""Groups of look-alike photos: their tier, members and bursts. Frozen dataclasses and enums;
imports nothing from photosift but the media models."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.models.media import Photo


class Tier(StrEnum):
    """How alike a group's photos are, from the strictest: byte-identical copies, the same
    photo saved differently, distinct shots of one moment (a burst)."""

    EXACT = "exact"
    NEAR = "near"
    SIMILAR = "similar"


TIER_ORDER = {Tier.EXACT: 0, Tier.NEAR: 1, Tier.SIMILAR: 2}


@dataclass(frozen=True, slots=True)
class GroupMember:
    photo: Photo
    relation: Tier  # exact: has a byte-identical copy here; near: same photo saved
    # differently; similar: another shot (a burst frame, another capture time)
    similarity: float  # visual similarity to the group's anchor (1.0: identical)
    reference: bool = False  # in a reference folder: matched, never proposed for backup


@dataclass(frozen=True, slots=True)
class Burst:
    """Frames shot in quick succession by one camera, in capture order."""

    members: tuple[str, ...]
    keep: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    tier: Tier
    anchor: str  # the member every other one was verified against
    members: tuple[GroupMember, ...]  # sorted by path
    bursts: tuple[Burst, ...] = ()
    id: int | None = None
    keep: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(m.photo.path for m in self.members)

    @property
    def size(self) -> int:
        return sum(m.photo.size for m in self.members)

    @property
    def similarity(self) -> float:
        return min(m.similarity for m in self.members)

    @property
    def reclaimable(self) -> int:
        """Bytes freed by keeping one file (``keep``, else the largest) and backing up the rest;
        files in reference folders are never counted."""
        kept = self.keep or max(self.members, key=lambda m: (m.photo.size, m.photo.path)).photo.path
        return sum(m.photo.size for m in self.members if m.photo.path != kept and not m.reference)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A person's "these are not duplicates", kept by content (content hashes), so it outlives
    renames, moves and rescans: contents on different sides are never grouped together; a
    content on two sides means its byte-identical copies are not to be grouped either.
    ``group_id`` is the group it was said about (to take it back by); ``sizes`` the file size
    of each content, by which a renamed copy is found before it is hashed."""

    sides: tuple[frozenset[str], ...]
    group_id: int | None = None
    id: int | None = None
    sizes: tuple[tuple[str, int], ...] = ()
