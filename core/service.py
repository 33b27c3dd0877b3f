"""The small API the command line and the TUI call: where the catalog lives, scanning,
grouping, reference folders and "not duplicates" verdicts. Keeps callers away from the store's
and the pipelines' internals. Must not import a UI.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import BinaryIO, TypeVar

import platformdirs

from core.analysis.faces import detect as detect_faces
from core.analysis.quality import measure_fine_sharpness
from core.errors import PhotosiftError
from core.judging import rules
from core.judging.profiles import Profile, get_profile
from core.judging.recommend import JudgeOptions, Recommendation, recommend
from core.matching.grouping import GROUPING_VERSION, GroupingOptions, group_photos
from core.media.discover import resolve_roots
from core.models import Faces, Group, Phase, Photo, ScanSummary
from core.paths import printable
from core.progress import ProgressCallback, Reporter, StopCheck
from core.runtime.scan import ScanOptions
from core.runtime.scan import scan as _scan
from core.store import Catalog

log = logging.getLogger(__name__)
T = TypeVar("T")

DB_ENV = "PHOTOSIFT_DB"
DB_FILENAME = "catalog.sqlite3"


def default_db_path() -> str:
    """The catalog's default place: the user's data folder (e.g. ~/.local/share/photosift)."""
    return os.path.join(platformdirs.user_data_dir("photosift", appauthor=False), DB_FILENAME)


def resolve_db_path(explicit: str | None = None) -> str:
    """``--db`` if given, else ``$PHOTOSIFT_DB``, else the default place."""
    chosen = explicit or os.environ.get(DB_ENV) or default_db_path()
    return os.path.abspath(os.path.expanduser(chosen))


def open_catalog(db_path: str | None = None, *, create: bool = True) -> Catalog:
    """The catalog at ``db_path`` (see ``resolve_db_path``); a missing one is created, or,
    with ``create=False``, refused with a hint to scan first."""
    path = resolve_db_path(db_path)
    if not create and not os.path.exists(path):
        raise PhotosiftError(f"no catalog at {path}; run 'photosift scan FOLDER' first")
    return Catalog(path)


def scan(
    paths: Sequence[str],
    *,
    db_path: str | None = None,
    options: ScanOptions = ScanOptions(),
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> ScanSummary:
    """Scan ``paths`` into the catalog at ``db_path`` (see ``resolve_db_path``). Raises
    ``RootNotFoundError`` before the catalog is created if a path does not exist."""
    resolve_roots(paths)
    with open_catalog(db_path) as catalog:
        return _scan(catalog, paths, options, on_progress=on_progress, should_stop=should_stop)


@dataclass(frozen=True, slots=True)
class GroupingResult:
    groups: list[Group]
    profile: Profile
    options: GroupingOptions
    computed: bool  # False when the stored groups were still current
    elapsed: float


def find_groups(
    *,
    db_path: str | None = None,
    profile: str | None = None,
    threshold: float | None = None,
    regroup: bool = False,
    store: bool = True,
    on_progress: ProgressCallback | None = None,
) -> GroupingResult:
    """The groups of the catalog, computed again only if the photos, verdicts, reference
    folders or options changed since the stored grouping (or ``regroup`` asks for it).
    With ``store=False`` the stored groups are left as they are (a what-if, e.g. another
    profile), and the groups come without ids."""
    if threshold is not None and not 0.0 < threshold <= 1.0:
        raise PhotosiftError(f"threshold must be between 0 and 1, not {threshold}")
    chosen = get_profile(profile)
    options = chosen.grouping(threshold)
    started = time.monotonic()
    with open_catalog(db_path, create=False) as catalog:
        current = catalog.setting(_GROUPING_STATE) == catalog_state(catalog, options)
        if store and not regroup and current:
            groups = catalog.load_groups()
            return GroupingResult(groups, chosen, options, False, time.monotonic() - started)
        found = _group(catalog, options, on_progress)
        if _hash_members(catalog, found, catalog.verdict_sizes()):
            # verdicts are kept by content hash: members hashed just now may be ruled apart
            found = _group(catalog, options, on_progress)
        if not store:
            return GroupingResult(found, chosen, options, True, time.monotonic() - started)
        catalog.save_groups(found)
        catalog.set_setting(_GROUPING_STATE, catalog_state(catalog, options))
        groups = catalog.load_groups()
    return GroupingResult(groups, chosen, options, True, time.monotonic() - started)


def catalog_state(catalog: Catalog, options: GroupingOptions) -> str:
    """What a stored grouping was computed from; equal states give equal groups."""
    inputs = {"inputs": catalog.grouping_inputs(), "options": asdict(options)}
    return json.dumps(inputs | {"version": GROUPING_VERSION}, sort_keys=True)


def _group(catalog: Catalog, options: GroupingOptions, on_progress) -> list[Group]:
    return group_photos(
        catalog.photos(),
        catalog.thumbnails,
        options,
        not_duplicates=catalog.not_duplicates(),
        reference_folders=catalog.reference_folders(),
        reporter=Reporter(on_progress),
    )


def _hash_members(catalog: Catalog, groups: Sequence[Group], sizes: set[int]) -> int:
    """Content-hash the grouped files without a hash whose size is that of a content a
    verdict is about (a renamed or moved copy of it: the scan hashes only files whose size
    collides with another's); returns how many were hashed."""
    from core.analysis.analyse import content_hash_if_unchanged

    hashed = 0
    for member in (m for g in groups for m in g.members if m.photo.content_hash is None):
        photo = member.photo
        if photo.size not in sizes:
            continue
        digest = content_hash_if_unchanged(photo.path, photo.size, photo.mtime_ns)
        if digest and catalog.set_content_hash(photo.path, photo.size, photo.mtime_ns, digest):
            hashed += 1
    return hashed


_GROUPING_STATE = "grouping_state"


def set_reference_folders(
    add: Sequence[str] = (), remove: Sequence[str] = (), *, db_path: str | None = None
) -> list[str]:
    """Mark folders as reference (their files are matched, never proposed for backup), or
    unmark them; returns the reference folders now in force."""
    adding = [os.path.realpath(os.path.expanduser(folder)) for folder in add]
    for given, real in zip(add, adding, strict=True):
        if not os.path.isdir(real):  # all checked before any is changed
            raise PhotosiftError(f"{given}: no such folder")
    with open_catalog(db_path) as catalog:
        for real in adding:
            catalog.add_reference_folder(real)
        for folder in remove:
            catalog.remove_reference_folder(os.path.realpath(os.path.expanduser(folder)))
        return catalog.reference_folders()


def dismiss_group(group_id: int, *, db_path: str | None = None) -> Group:
    """Record that the photos of a stored group are not duplicates of each other."""
    with open_catalog(db_path, create=False) as catalog:
        group = _stored_group(catalog, group_id)
        hashes = _content_hashes(catalog, group.paths)
        catalog.add_not_duplicates(_all_pairs(sorted(set(hashes.values()))), _sizes(group, hashes))
        return group


def split_from_group(group_id: int, path: str, *, db_path: str | None = None) -> Group:
    """Record that one photo is not a duplicate of the others in its group."""
    real = os.path.realpath(os.path.expanduser(path))
    with open_catalog(db_path, create=False) as catalog:
        group = _stored_group(catalog, group_id)
        if real not in group.paths:
            raise PhotosiftError(f"{path} is not in group {group_id}")
        hashes = _content_hashes(catalog, group.paths)
        mine = hashes[real]
        others = {h for p, h in hashes.items() if p != real and h != mine}
        pairs = [(mine, other) for other in others]
        if any(h == mine for p, h in hashes.items() if p != real):
            pairs.append((mine, mine))  # its byte-identical copies are not grouped either
        catalog.add_not_duplicates(pairs, _sizes(group, hashes))
        return group


def _stored_group(catalog: Catalog, group_id: int) -> Group:
    for group in catalog.load_groups():
        if group.id == group_id:
            return group
    raise PhotosiftError(f"no group {group_id}; run 'photosift groups' to see the current ones")


def _content_hashes(catalog: Catalog, paths: Sequence[str]) -> dict[str, str]:
    """path -> content hash, hashing the files that have none yet (verdicts are kept by
    content, so they outlive renames). Refuses files that changed since they were scanned."""
    hashes = {}
    for path in paths:
        photo = catalog.photo(path)
        digest = _content_hash(photo) if photo else None
        if photo is None or digest is None:
            raise PhotosiftError(f"{path} changed or vanished since it was scanned; scan again")
        if photo.content_hash is None:
            catalog.set_content_hash(path, photo.size, photo.mtime_ns, digest)
        hashes[path] = digest
    return hashes


def _content_hash(photo: Photo) -> str | None:
    """The stored hash, or a fresh one, of a file still as scanned; None if it changed."""
    from core.analysis.analyse import read_if_unchanged
    from core.analysis.hashing import content_hash

    stored = photo.content_hash

    def read(fh: BinaryIO) -> str:
        return stored or content_hash(fh)

    return read_if_unchanged(photo.path, photo.size, photo.mtime_ns, read)


def _sizes(group: Group, hashes: dict[str, str]) -> dict[str, int]:
    return {hashes[m.photo.path]: m.photo.size for m in group.members}


def _all_pairs(hashes: Sequence[str]) -> list[tuple[str, str]]:
    pairs = list(combinations(hashes, 2))
    return pairs or [(hashes[0], hashes[0])]  # one content only: its copies are not grouped


@dataclass(frozen=True, slots=True)
class Judged:
    """A group with its keep filled in, and the recommendation behind it."""

    group: Group
    recommendation: Recommendation


def judge(
    groups: Sequence[Group],
    *,
    db_path: str | None = None,
    profile: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> list[Judged]:
    """Recommend the file to keep in each group. Burst frames get their fine sharpness, and
    with a profile that looks at faces every member gets its faces, measured once and kept
    in the catalog."""
    chosen = get_profile(profile)
    options = JudgeOptions(
        rules=rules.parse_all(chosen.rules), weights=dict(chosen.weights), faces=chosen.faces
    )
    with open_catalog(db_path, create=False) as catalog:
        fine, faces = _measure(catalog, groups, chosen.faces, on_progress)
    judged = []
    for group in groups:
        advice = recommend(group, options, fine_sharpness=fine, faces=faces)
        judged.append(Judged(advice.apply(group), advice))
    return judged


def _measure(
    catalog: Catalog,
    groups: Sequence[Group],
    with_faces: bool,
    on_progress: ProgressCallback | None,
) -> tuple[dict[str, float], dict[str, Faces]]:
    """Measures taken on demand: the fine sharpness of burst frames, and faces."""
    reporter = Reporter(on_progress)
    members = {m.photo.path: m.photo for g in groups for m in g.members}
    frames = {p for g in groups for b in g.bursts for p in b.members}
    fine = {p: value for p in frames if (value := _fine(members[p])) is not None}
    faces = {p: photo.faces for p, photo in members.items() if photo.faces}
    todo = [p for p in sorted(frames) if p not in fine]
    todo += [p for p in sorted(members) if with_faces and p not in faces]
    reporter.phase(Phase.MEASURING, len(todo))
    for done, path in enumerate(todo):
        reporter.step(done, current=path)
        photo = members[path]
        if path in frames and path not in fine:
            value = _read_measure(photo, measure_fine_sharpness)
            if value is not None:
                fine[path] = value
                catalog.set_measures(photo, fine_sharpness=value)
        elif with_faces and path not in faces:
            found = _read_measure(photo, detect_faces)
            if found is not None:
                faces[path] = found
                catalog.set_measures(
                    photo, faces=found.count, eyes_open=found.eyes_open,
                    face_sharpness=found.sharpness,
                )  # fmt: skip
    return fine, faces


def _fine(photo: Photo) -> float | None:
    return photo.quality.fine_sharpness if photo.quality else None


def _read_measure(photo: Photo, measure: Callable[[BinaryIO], T]) -> T | None:
    """``measure(file)`` if the file is still the one scanned; None if it changed or fails."""
    from core.analysis.analyse import read_if_unchanged

    try:
        return read_if_unchanged(photo.path, photo.size, photo.mtime_ns, measure)
    except Exception as exc:  # a decoder may raise anything on a file that changed
        log.warning("could not measure %s: %s", printable(photo.path), exc)
        return None
