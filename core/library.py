"""The Library: one session on one catalog, the single door the command line and the app knock
on. Opened once per process, safe to use from the app's worker threads (each thread gets its
own connection to the catalog), it scans, groups, judges and remembers what the person said.

Every long method takes ``on_progress(Progress)`` and ``should_stop()``: it reports one
``Progress`` type and stops within a fraction of a second when asked (``Cancelled`` is
raised, nothing half-done is stored; a scan instead keeps what it finished and says it was
interrupted).

* **Groups** are stored with the settings they were computed with (profile, threshold).
  ``groups()`` returns the stored grouping, computed again with the same settings only when
  the catalog's photos, verdicts or reference folders changed since. Other settings are a
  what-if: computed, returned, not stored, unless ``regroup`` says to keep them. A grouping
  computed while a scan committed is never stored as current (the catalog's generation moved).
* **Advice is fresh**: ``judge()`` checks every file with a ``stat`` first; a file deleted or
  changed since the scan is never kept and never makes another file a copy of it.

Must not import a UI. Heavy libraries (numpy, OpenCV, Pillow) are imported only by the work
that needs them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import platformdirs

from core.actions.session import Actions
from core.errors import PhotosiftError
from core.judging import rules
from core.judging.profiles import Profile, get_profile
from core.matching.options import GROUPING_VERSION, GroupingOptions
from core.media.folders import FolderSet
from core.media.freshness import stale_files
from core.models import Faces, Group, Phase, Photo, ScanSummary, Verdict
from core.paths import printable
from core.progress import ProgressCallback, Reporter, StopCheck
from core.runtime.executor import Executor
from core.runtime.scan import ScanOptions
from core.runtime.scan import scan as run_scan
from core.store import Catalog

if TYPE_CHECKING:  # at run time only judge() imports it: it brings the analysis stack
    from PIL.Image import Image as PILImage

    from core.analysis.faces import FaceCrop
    from core.judging.recommend import Recommendation
    from core.matching.matcher import Search

log = logging.getLogger(__name__)
T = TypeVar("T")

DB_ENV = "PHOTOSIFT_DB"
DB_FILENAME = "catalog.sqlite3"
_GROUPING = "grouping"  # setting: what the stored grouping was computed from
_APP_STATE = "app_state"  # setting: where the app was left
_WARM_PHOTOS = 300  # from this many photos, grouping's workers start before they are asked


def default_db_path() -> str:
    """The catalog's default place: the user's data folder (e.g. ~/.local/share/photosift)."""
    return os.path.join(platformdirs.user_data_dir("photosift", appauthor=False), DB_FILENAME)


def resolve_db_path(explicit: str | None = None) -> str:
    """``--db`` if given, else ``$PHOTOSIFT_DB``, else the default place."""
    chosen = explicit or os.environ.get(DB_ENV) or default_db_path()
    return os.path.abspath(os.path.expanduser(chosen))


@dataclass(frozen=True, slots=True)
class GroupingResult:
    groups: list[Group]
    profile: Profile
    options: GroupingOptions
    computed: bool  # computed now; False: the stored groups were still current
    stored: bool  # these are the catalog's groups; False: a what-if, not stored
    elapsed: float
    note: str | None = None  # why they were not stored, in a few words


@dataclass(frozen=True, slots=True)
class Judged:
    """A group with its keep filled in, and the recommendation behind it."""

    group: Group
    recommendation: Recommendation


class Library(Actions):
    """A session on the catalog at ``db_path`` (see ``resolve_db_path``).

    ``create``: make the catalog if there is none (else refuse with advice to scan first).
    ``read_only``: True only reads; None (the default) writes where the catalog can be written
    and otherwise only reads (``read_only`` then says so: groups are computed, not stored).
    """

    def __init__(
        self, db_path: str | None = None, *, create: bool = True, read_only: bool | None = None
    ) -> None:
        self.path = resolve_db_path(db_path)
        self.catalog = Catalog(
            self.path,
            create=create,
            read_only=read_only,
            own_folder=self.path == resolve_db_path(default_db_path()),
        )
        self.notes: list[str] = list(self.catalog.notes)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.catalog.close()

    @property
    def read_only(self) -> bool:
        return self.catalog.read_only

    # -- scanning ----------------------------------------------------------------------------

    def scan(
        self,
        paths: Sequence[str],
        options: ScanOptions = ScanOptions(),
        *,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
        executor: Executor | None = None,
    ) -> ScanSummary:
        """Scan ``paths`` into the catalog (see ``core.runtime.scan``). Backup folders inside
        a root are never scanned."""
        excluded = self.exclude_globs()
        if excluded:
            options = replace(options, exclude=tuple(options.exclude) + excluded)
        return run_scan(
            self.catalog,
            paths,
            options,
            on_progress=on_progress,
            should_stop=should_stop,
            executor=executor,
        )

    # -- grouping ----------------------------------------------------------------------------

    def groups(
        self,
        *,
        profile: str | None = None,
        threshold: float | None = None,
        regroup: bool = False,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> GroupingResult:
        """The groups of the catalog. Without settings: the stored grouping, brought up to
        date with its own settings. With a profile or threshold other than the stored ones:
        a what-if, not stored, unless ``regroup``. ``regroup`` computes again in any case and
        stores the settings asked for."""
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise PhotosiftError(f"threshold must be between 0 and 1, not {threshold}")
        started = time.monotonic()
        reporter = Reporter(on_progress, should_stop)
        stored = self._stored_settings()
        asked = profile is not None or threshold is not None
        if not asked and stored:
            profile, threshold = stored.get("profile"), stored.get("threshold")
        chosen = get_profile(profile)
        options = chosen.grouping(threshold)
        settings = {"profile": chosen.name, "threshold": threshold}
        same_settings = stored is not None and _same(stored, settings, options)
        what_if = asked and stored is not None and not same_settings and not regroup
        catalog = self.catalog
        current = stored is not None and stored["generation"] == catalog.generation()
        if not regroup and same_settings and current:
            groups = self._load_groups()
            return GroupingResult(groups, chosen, options, False, True, _since(started))
        generation, groups = self._compute(options, reporter)
        saved: list[Group] | None = None
        note = None
        if what_if:
            note = "a what-if with other settings; --regroup keeps them"
        elif self.read_only:
            note = "the catalog is read-only here"
        else:
            saved = self._store(groups, generation, settings, options)
            if saved is None:
                note = "the catalog changed while grouping (a scan running?); run groups again"
        if saved is None:
            matched = catalog.match_group_ids(groups)
            return GroupingResult(matched, chosen, options, True, False, _since(started), note)
        return GroupingResult(saved, chosen, options, True, True, _since(started))

    def _stored_settings(self) -> dict | None:
        raw = self.catalog.setting(_GROUPING)
        return json.loads(raw) if raw else None

    def _compute(self, options: GroupingOptions, reporter: Reporter) -> tuple[int, list[Group]]:
        """Group the catalog as of one moment; returns that moment's generation and the
        groups. Members whose size is that of a content a verdict is about are hashed first
        (verdicts are kept by content: a renamed copy must be recognised)."""
        generation, groups = self._group_snapshot(options, reporter)
        if self._hash_members(groups, self.catalog.verdict_sizes()):
            generation, groups = self._group_snapshot(options, reporter)
        return generation, groups

    def _group_snapshot(
        self, options: GroupingOptions, reporter: Reporter
    ) -> tuple[int, list[Group]]:
        from core.matching.grouping import group_photos

        catalog = self.catalog
        cache = _CatalogCache(catalog)
        with catalog.snapshot(), contextlib.ExitStack() as stack:
            generation = catalog.generation()
            photos = catalog.photos()
            executor = stack.enter_context(self._grouping_executor(len(photos)))
            groups = group_photos(
                photos,
                catalog.thumbnails,
                options,
                verdicts=catalog.verdicts(),
                reference_folders=catalog.reference_folders(),
                reporter=reporter,
                load_pictures=catalog.picture_thumbnails,
                executor=executor,
                cache=cache,
            )
        cache.flush()
        return generation, groups

    def _grouping_executor(self, photos: int) -> contextlib.AbstractContextManager[Executor | None]:
        """Worker processes on every core for the batches of pairs grouping verifies, kept
        for the whole grouping (its clustering asks for many small batches); none on one
        core. For ``photos`` enough to need them, they start at once, while the photos are
        fingerprinted and searched."""
        workers = os.cpu_count() or 1
        if workers < 2:
            return contextlib.nullcontext()
        from core.matching.verify import init_worker, run_task
        from core.runtime.processes import ProcessExecutor

        executor = ProcessExecutor(workers, initializer=init_worker, keep=True)
        if photos >= _WARM_PHOTOS:
            executor.warm(run_task)
        return executor

    def _store(
        self, groups: list[Group], generation: int, settings: dict, options: GroupingOptions
    ) -> list[Group] | None:
        """Store ``groups`` as the catalog's grouping if nothing they were computed from
        changed meanwhile, and return them with their ids; None if something did."""
        catalog = self.catalog
        with catalog.writing(inputs=False):
            if catalog.generation() != generation:
                return None
            saved = catalog.save_groups(groups)
            state = {
                **settings,
                "generation": generation,
                "options": asdict(options),
                "version": GROUPING_VERSION,
            }
            catalog.set_setting(_GROUPING, json.dumps(state, sort_keys=True))
        return saved

    def _hash_members(self, groups: Sequence[Group], sizes: set[int]) -> int:
        """Content-hash the grouped files without a hash whose size is that of a content a
        verdict is about (a renamed or moved copy of it: the scan hashes only files whose size
        collides with another's); returns how many were hashed."""
        if not sizes:
            return 0
        from core.analysis.analyse import content_hash_if_unchanged

        hashed = 0
        for member in (m for g in groups for m in g.members if m.photo.content_hash is None):
            photo = member.photo
            if photo.size not in sizes:
                continue
            digest = content_hash_if_unchanged(photo.path, photo.size, photo.mtime_ns)
            if digest and self.catalog.set_content_hash(
                photo.path, photo.size, photo.mtime_ns, digest
            ):
                hashed += 1
        return hashed

    def current_groups(
        self, *, ids: Collection[int] | None = None, containing: Collection[str] | None = None
    ) -> list[Group]:
        """The groups ``groups()`` gives with one of these ``ids``, or holding one of these
        paths (``containing``); read straight from the store when the stored grouping is up
        to date (a few groups of a big catalog in milliseconds), else grouped first."""
        if self._stored_is_current():
            return self._load_groups(ids=ids, containing=containing)
        wanted = set(containing) if containing is not None else None
        return [
            g
            for g in self.groups().groups
            if (ids is None or g.id in ids) and (wanted is None or not wanted.isdisjoint(g.paths))
        ]

    def _stored_is_current(self) -> bool:
        """The stored grouping is what ``groups()`` without settings would give."""
        stored = self._stored_settings()
        if not stored:
            return False
        chosen = get_profile(stored.get("profile"))
        settings = {"profile": chosen.name, "threshold": stored.get("threshold")}
        options = chosen.grouping(stored.get("threshold"))
        return (
            _same(stored, settings, options) and stored["generation"] == self.catalog.generation()
        )

    def _load_groups(
        self, *, ids: Collection[int] | None = None, containing: Collection[str] | None = None
    ) -> list[Group]:
        """The stored groups (``ids``, ``containing``: as ``Catalog.load_groups``), with members
        in reference folders marked by the folders' identity on disk (the store can only
        compare their names)."""
        groups = self.catalog.load_groups(ids=ids, containing=containing)
        folders = FolderSet(self.catalog.reference_folders())
        if not folders:
            return groups
        return [
            replace(
                g,
                members=tuple(
                    replace(m, reference=m.reference or folders.contains(m.photo.path))
                    for m in g.members
                ),
            )
            for g in groups
        ]

    def stored_group(self, group_id: int) -> Group:
        for group in self._load_groups(ids=[group_id]):
            if group.id == group_id:
                return group
        raise PhotosiftError(f"no group {group_id}; run 'photosift groups' to see the current ones")

    # -- what the person says ----------------------------------------------------------------

    def set_reference_folders(
        self, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> list[str]:
        """Mark folders as reference (their files are matched, never proposed for backup),
        or unmark them; returns the reference folders now in force."""
        adding = [os.path.realpath(os.path.expanduser(folder)) for folder in add]
        for given, real in zip(add, adding, strict=True):
            if not os.path.isdir(real):  # all checked before any is changed
                raise PhotosiftError(f"{given}: no such folder")
        for real in adding:
            self.catalog.add_reference_folder(real)
        for folder in remove:
            self.catalog.remove_reference_folder(os.path.realpath(os.path.expanduser(folder)))
        return self.catalog.reference_folders()

    def dismiss(self, group_id: int) -> Group:
        """Remember that the photos of a stored group are not duplicates of each other: one
        row per content, whatever the group's size."""
        group = self.stored_group(group_id)
        hashes = self._content_hashes(group.paths)
        contents = sorted(set(hashes.values()))
        sides = [frozenset({c}) for c in contents]
        if len(sides) == 1:
            sides.append(sides[0])  # one content only: its copies are not to be grouped
        self.catalog.add_verdict(Verdict(tuple(sides), group_id, sizes=_sizes(group, hashes)))
        return group

    def split(self, group_id: int, path: str) -> Group:
        """Remember that one photo is not a duplicate of the others in its group."""
        real = os.path.realpath(os.path.expanduser(path))
        group = self.stored_group(group_id)
        if real not in group.paths:
            raise PhotosiftError(f"{printable(path)} is not in group {group_id}")
        hashes = self._content_hashes(group.paths)
        mine = hashes[real]
        others = {h for p, h in hashes.items() if p != real}  # mine too, if it has copies
        sides = (frozenset({mine}), frozenset(others))
        self.catalog.add_verdict(Verdict(sides, group_id, sizes=_sizes(group, hashes)))
        return group

    def undismiss(self, group_id: int) -> int:
        """Take back what was said about group ``group_id`` (--dismiss, --not-duplicate);
        returns how many verdicts went."""
        removed = self.catalog.remove_verdicts(group_id)
        if not removed:
            raise PhotosiftError(f"nothing was said about group {group_id}")
        return removed

    def _content_hashes(self, paths: Sequence[str]) -> dict[str, str]:
        """path -> content hash, hashing the files that have none yet (verdicts are kept by
        content, so they outlive renames). Refuses files that changed since they were
        scanned."""
        hashes = {}
        for path in paths:
            photo = self.catalog.photo(path)
            digest = _content_hash(photo) if photo else None
            if photo is None or digest is None:
                raise PhotosiftError(
                    f"{printable(path)} changed or vanished since it was scanned; scan again"
                )
            if photo.content_hash is None:
                self.catalog.set_content_hash(path, photo.size, photo.mtime_ns, digest)
            hashes[path] = digest
        return hashes

    # -- judging -----------------------------------------------------------------------------

    def judge(
        self,
        groups: Sequence[Group],
        *,
        profile: str | None = None,
        on_progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> list[Judged]:
        """Recommend the file to keep in each group, with every file checked against the
        catalog first (a file gone or changed since the scan is left out, with why). Burst
        frames get their fine sharpness, and with a profile that looks at faces every member
        gets its faces, measured once and kept in the catalog."""
        from core.judging.recommend import JudgeOptions, recommend

        chosen = get_profile(profile)
        options = JudgeOptions(
            rules=rules.parse_all(chosen.rules), weights=dict(chosen.weights), faces=chosen.faces
        )
        reporter = Reporter(on_progress, should_stop)
        stale = self._check_files(groups, reporter)
        fine, faces = self._measure(groups, chosen.faces, stale, reporter)
        pictures = self._picture_boxes(groups)
        judged = []
        for group in groups:
            advice = recommend(
                group, options, fine_sharpness=fine, faces=faces, stale=stale, pictures=pictures
            )
            judged.append(Judged(advice.apply(group), advice))
        return judged

    def _picture_boxes(
        self, groups: Sequence[Group]
    ) -> dict[str, tuple[float, float, float, float]]:
        """path -> the picture's box in fractions of the photo (only the files whose picture
        is not the whole photo are listed): as the scan found it, or, for a photo catalogued
        before the scan looked, the inside of its border on its stored thumbnail."""
        from core.analysis.content import WHOLE, content_box
        from core.analysis.hashing import THUMB_SIZE, thumb_from_bytes

        photos = [m.photo for g in groups for m in g.members]
        boxes = {p.path: p.picture for p in photos if p.picture and p.picture != WHOLE}
        unmeasured = [p.path for p in photos if p.picture is None]
        for path, data in self.catalog.thumbnails(unmeasured).items():
            box = content_box(thumb_from_bytes(data))
            if box != (0, 0, THUMB_SIZE, THUMB_SIZE):
                left, top, right, bottom = (side / THUMB_SIZE for side in box)
                boxes[path] = (left, top, right, bottom)
        return boxes

    def _check_files(self, groups: Sequence[Group], reporter: Reporter) -> dict[str, str]:
        """path -> why, for the files of ``groups`` that are not as scanned any more."""
        photos = [m.photo for g in groups for m in g.members]
        reporter.phase(Phase.CHECKING, len(photos))
        unavailable = self.catalog.unavailable_roots()
        stale: dict[str, str] = {}
        for start in range(0, len(photos), 500):
            reporter.step(start)
            stale.update(stale_files(photos[start : start + 500], unavailable))
        return stale

    def _measure(
        self,
        groups: Sequence[Group],
        with_faces: bool,
        stale: dict[str, str],
        reporter: Reporter,
    ) -> tuple[dict[str, float], dict[str, Faces]]:
        """Measures taken on demand: the fine sharpness of burst frames, and faces."""
        members = {m.photo.path: m.photo for g in groups for m in g.members}
        frames = {p for g in groups for b in g.bursts for p in b.members if p not in stale}
        fine = {p: value for p in frames if (value := _fine(members[p])) is not None}
        faces = {p: photo.faces for p, photo in members.items() if photo.faces}
        todo = [p for p in sorted(frames) if p not in fine]
        todo += [p for p in sorted(members) if with_faces and p not in faces and p not in stale]
        if not todo:
            return fine, faces
        from core.analysis.faces import detect as detect_faces
        from core.analysis.quality import measure_fine_sharpness

        reporter.phase(Phase.MEASURING, len(todo))
        for done, path in enumerate(todo):
            reporter.step(done, current=path)
            photo = members[path]
            if path in frames and path not in fine:
                value = _read_measure(photo, measure_fine_sharpness)
                if value is not None:
                    fine[path] = value
                    self._keep_measures(photo, fine_sharpness=value)
            elif with_faces and path not in faces:
                found = _read_measure(photo, detect_faces)
                if found is not None:
                    faces[path] = found
                    self._keep_measures(
                        photo, faces=found.count, eyes_open=found.eyes_open,
                        face_sharpness=found.sharpness,
                    )  # fmt: skip
        return fine, faces

    # -- the app's place ---------------------------------------------------------------------

    def app_state(self) -> dict:
        """Where the app was left (group, filter, sort), as it stored it; {} if never."""
        raw = self.catalog.setting(_APP_STATE)
        try:
            state = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return state if isinstance(state, dict) else {}

    def set_app_state(self, state: dict) -> None:
        if not self.read_only:
            self.catalog.set_setting(_APP_STATE, json.dumps(state, sort_keys=True))

    # -- previews ----------------------------------------------------------------------------

    def preview(self, photo: Photo, max_side: int = 640) -> PILImage:
        """``photo`` upright and small (its longest side at most ``max_side``), from the reduced
        decode: for the app's previews, made in a worker. Raises PhotosiftError with the
        reason if the file is gone, changed since the scan, or unreadable."""
        from core.media import previews

        return self._fresh(photo, lambda fh: previews.preview(fh, max_side))

    def full_picture(self, photo: Photo) -> PILImage:
        """``photo`` decoded whole at full resolution, upright, in RGB: for moving around it
        at 1:1 (``core.media.previews.region_of``) without reading the file at each move."""
        from core.media import previews

        return self._fresh(photo, previews.full)

    @staticmethod
    def region_of(
        picture: PILImage, centre: tuple[float, float], size: tuple[int, int]
    ) -> PILImage:
        """A ``size`` crop of a ``full_picture`` around ``centre`` (fractions of its sides)."""
        from core.media import previews

        return previews.region_of(picture, centre, size)

    def faces_of(self, photo: Photo) -> list[FaceCrop]:
        """The faces of ``photo``, each cropped (upright, at most ``FACE_CROP_SIDE`` pixels)
        with how many open eyes were found in it: the app's face close-ups."""
        from core.analysis import faces

        return self._fresh(photo, faces.crops)

    def _fresh(self, photo: Photo, read: Callable[[BinaryIO], T]) -> T:
        from core.analysis.analyse import read_if_unchanged
        from core.errors import AnalysisError

        try:
            result = read_if_unchanged(photo.path, photo.size, photo.mtime_ns, read)
        except AnalysisError as exc:
            raise PhotosiftError(exc.reason) from exc
        if result is None:
            raise PhotosiftError("gone or changed since the scan; scan again")
        return result

    def _keep_measures(self, photo: Photo, **values: object) -> None:
        """Store measures in the catalog, so they are taken once; a read-only catalog just
        does without."""
        if not self.read_only:
            self.catalog.set_measures(photo, **values)


def _same(stored: dict, settings: dict, options: GroupingOptions) -> bool:
    return (
        stored.get("profile") == settings["profile"]
        and stored.get("threshold") == settings["threshold"]
        and stored.get("options") == asdict(options)
        and stored.get("version") == GROUPING_VERSION
    )


def _since(started: float) -> float:
    return time.monotonic() - started


def _sizes(group: Group, hashes: dict[str, str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted({hashes[m.photo.path]: m.photo.size for m in group.members}.items()))


def _content_hash(photo: Photo) -> str | None:
    """The stored hash, or a fresh one, of a file still as scanned; None if it changed."""
    from core.analysis.analyse import read_if_unchanged
    from core.analysis.hashing import content_hash

    stored = photo.content_hash

    def read(fh: BinaryIO) -> str:
        return stored or content_hash(fh)

    return read_if_unchanged(photo.path, photo.size, photo.mtime_ns, read)


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


class _CatalogCache:
    """Grouping's cache (``core.matching.matcher.Cache``) in the catalog: read during the
    grouping's snapshot, written after it."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.kept: tuple[dict[int, bytes], Sequence[tuple[int, int, float, float]], Search] | None
        self.kept = None

    def variants(self, ids: Sequence[int]) -> dict[int, bytes]:
        return self.catalog.cached_variants(ids, GROUPING_VERSION)

    def links(self) -> dict[tuple[int, int, float], float]:
        return self.catalog.cached_links(GROUPING_VERSION)

    def searched(self, ids: Sequence[int], stamp: int) -> set[int]:
        return self.catalog.searched_files(ids, stamp)

    def candidates(self, stamp: int) -> list[tuple[int, int, int, int, int, int, int]]:
        return self.catalog.cached_candidates(stamp)

    def anchors(self) -> set[int]:
        return self.catalog.group_anchors()

    def keep(
        self,
        variants: dict[int, bytes],
        links: Sequence[tuple[int, int, float, float]],
        search: Search,
    ) -> None:
        self.kept = (variants, links, search)

    def flush(self) -> None:
        if self.kept is None or self.catalog.read_only:
            return
        variants, links, search = self.kept
        self.catalog.save_variants(variants, GROUPING_VERSION)
        self.catalog.save_links(links, GROUPING_VERSION)
        self.catalog.save_candidates(search.rows, search.searched, search.unsearched, search.stamp)
