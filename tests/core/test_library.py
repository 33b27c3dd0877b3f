"""The Library on real photos: it groups and stores with the settings it was asked for, answers
what-ifs without storing them, keeps group ids across what-ifs and unrelated new photos,
remembers verdicts by content (one row per content) and takes them back, gives advice that is
fresh when it is given (a deleted or replaced file is never the keep), never stores a grouping
computed while the catalog changed, and stops when asked."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.errors import Cancelled, PhotosiftError
from core.library import Library
from core.models import Group, Phase, Tier
from core.runtime.scan import ScanOptions
from tests.images import save, scene, scenes_with_copies

SCENE_1 = ["copies/s1.jpg", "s1/mirror.jpg", "s1/orig.jpg", "s1/small.jpg"]
SCENE_2 = ["s2/mirror.jpg", "s2/orig.jpg", "s2/small.jpg"]


@dataclass(frozen=True)
class Photos:
    """A small photo tree and the Library it was scanned into."""

    root: Path
    library: Library

    def __call__(self, name: str) -> str:
        return str(self.root / name)

    def scan(self) -> None:
        self.library.scan([str(self.root)], ScanOptions(workers=1))

    def groups(self, **options) -> list[Group]:
        return self.library.groups(**options).groups

    def names(self, groups: list[Group]) -> list[list[str]]:
        return [[str(Path(p).relative_to(self.root)) for p in g.paths] for g in groups]

    def group_of(self, groups: list[Group], name: str) -> Group:
        (found,) = (g for g in groups if self(name) in g.paths)
        return found

    def rows(self, table: str) -> int:
        with closing(sqlite3.connect(self.library.path)) as conn:
            return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


@pytest.fixture
def photos(tmp_path):
    """Two scenes, each with a resized and a mirrored copy; an exact copy of the first scene;
    and an unrelated photo."""
    root = tmp_path / "photos"
    scenes_with_copies(root)
    save(scene(9, (320, 240)), root / "other.jpg")
    with Library(str(tmp_path / "catalog.sqlite3")) as library:
        tree = Photos(root, library)
        tree.scan()
        yield tree


def ids(groups: list[Group]) -> dict[tuple[str, ...], int | None]:
    return {g.paths: g.id for g in groups}


# -- grouping and what it stores -----------------------------------------------------------------


def test_groups_finds_each_scene_with_its_copies(photos):
    result = photos.library.groups()

    assert result.computed and result.stored
    assert photos.names(result.groups) == [SCENE_1, SCENE_2]
    assert [g.tier for g in result.groups] == [Tier.NEAR, Tier.NEAR]
    relations = {m.photo.path: m.relation for g in result.groups for m in g.members}
    exact = {photos("copies/s1.jpg"), photos("s1/orig.jpg")}  # byte-identical
    assert relations == {p: Tier.EXACT if p in exact else Tier.NEAR for p in relations}


def verified_pairs(caplog) -> int:
    """Pairs the last grouping verified, from its debug line."""
    lines = [r.getMessage() for r in caplog.records if r.name == "core.matching.grouping"]
    return int(lines[-1].split(" candidate pairs, ")[1].split(" verified")[0])


def test_a_scan_that_adds_photos_costs_the_verification_of_their_pairs_only(
    photos, tmp_path, caplog
):
    caplog.set_level("DEBUG", logger="core.matching.grouping")
    photos.library.groups()
    full = verified_pairs(caplog)
    assert full > 0 and photos.rows("link") >= full

    photos.library.groups(regroup=True)  # the same photos: nothing to verify again
    assert verified_pairs(caplog) == 0
    save(scene(2, (320, 240)).resize((240, 180)), photos.root / "s2/smaller.jpg")
    photos.scan()
    again = photos.library.groups()
    assert 0 < verified_pairs(caplog) < full
    # the same groups as from scratch
    with Library(str(tmp_path / "fresh.sqlite3")) as fresh:
        fresh.scan([str(photos.root)], ScanOptions(workers=1))
        assert [g.paths for g in fresh.groups().groups] == [g.paths for g in again.groups]
    assert photos("s2/smaller.jpg") in photos.group_of(again.groups, "s2/orig.jpg").paths


def test_a_family_that_gains_a_photo_keeps_the_anchor_it_had(photos, tmp_path):
    before = photos.group_of(photos.groups(), "s2/orig.jpg")
    save(scene(2, (320, 240)).resize((240, 180)), photos.root / "s2/smaller.jpg")
    with Library(str(tmp_path / "fresh.sqlite3")) as fresh:  # what it would be anchored by
        fresh.scan([str(photos.root)], ScanOptions(workers=1))
        chosen = photos.group_of(fresh.groups().groups, "s2/orig.jpg").anchor
    kept = next(p for p in before.paths if p not in (chosen, before.anchor))
    with closing(sqlite3.connect(photos.library.path)) as conn, conn:  # as an earlier run left it
        conn.execute(
            "UPDATE photo_group SET anchor_id = (SELECT id FROM file WHERE path = ?) WHERE id = ?",
            (os.fsencode(kept), before.id),
        )
    photos.scan()
    after = photos.group_of(photos.groups(), "s2/orig.jpg")
    assert after.paths == tuple(sorted([*before.paths, photos("s2/smaller.jpg")]))
    assert after.anchor == kept


def test_a_scan_that_adds_photos_costs_the_search_of_those_photos_only(photos, monkeypatch):
    from core.matching import hashindex, matcher, similarity

    searches: list[tuple[int, int]] = []
    search = hashindex.near_pairs_between

    def spy(queries, index, *args, **kwargs):
        searches.append((len(queries), len(index)))
        return search(queries, index, *args, **kwargs)

    monkeypatch.setattr(matcher.hashindex, "near_pairs_between", spy)
    photos.library.groups()
    assert photos.rows("candidate") > 0
    assert photos.rows("searched") == 7  # every content once (two files are byte-identical)
    searches.clear()

    photos.library.groups(regroup=True)  # nothing new: nothing searched
    assert searches == []
    save(scene(2, (320, 240)).resize((240, 180)), photos.root / "s2/smaller.jpg")
    photos.scan()
    again = photos.groups()
    assert searches  # the new photo against the others, the others against it
    assert all(q <= 2 * similarity.VARIANTS or i <= 2 for q, i in searches)
    assert photos.rows("searched") == 8
    assert photos("s2/smaller.jpg") in photos.group_of(again, "s2/orig.jpg").paths


def test_a_photo_that_comes_to_stand_for_its_content_is_searched(photos):
    # s1/orig.jpg is a byte copy of copies/s1.jpg, which stands for both (first by path)
    photos.library.groups()
    os.remove(photos("copies/s1.jpg"))
    save(scene(1, (320, 240)).resize((200, 150)), photos.root / "s1/tiny.jpg")
    photos.scan()
    groups = photos.groups()
    assert photos.rows("searched") == 8
    scene_1 = photos.group_of(groups, "s1/orig.jpg")
    assert photos("s1/tiny.jpg") in scene_1.paths and photos("s1/small.jpg") in scene_1.paths


def test_a_photo_analysed_again_loses_its_verified_pairs(photos):
    photos.library.groups()
    before = photos.rows("link")
    candidates = photos.rows("candidate")
    original = photos.root / "s2/orig.jpg"
    save(scene(4, (320, 240)), original)  # another picture under the same name
    photos.scan()
    assert photos.rows("link") < before
    assert photos.rows("candidate") < candidates
    groups = photos.library.groups().groups
    assert photos("s2/orig.jpg") not in {p for g in groups for p in g.paths}


def test_a_second_call_reuses_the_stored_groups_as_they_were(photos):
    first = photos.library.groups()

    second = photos.library.groups()

    assert not second.computed and second.stored
    assert second.groups == first.groups


def test_current_groups_reads_only_the_groups_asked_for(photos):
    library = photos.library
    everything = library.groups().groups
    first, second = everything

    assert library.current_groups(ids=[second.id]) == [second]
    assert library.current_groups(containing={photos("s1/orig.jpg")}) == [first]
    assert library.current_groups(containing={photos("other.jpg")}) == []
    assert library.current_groups() == list(everything)


def test_current_groups_groups_first_when_the_catalog_changed(photos):
    library = photos.library
    library.groups()
    save(scene(9, (320, 240)), photos.root / "other-copy.jpg")  # a copy of other.jpg
    photos.scan()

    found = library.current_groups(containing={photos("other.jpg")})

    assert [sorted(os.path.basename(p) for p in g.paths) for g in found] == [
        ["other-copy.jpg", "other.jpg"]
    ]


@pytest.mark.parametrize(
    "options", [{"threshold": 0.99}, {"profile": "family"}], ids=["threshold", "profile"]
)
def test_other_settings_are_a_what_if_that_stores_nothing(photos, options):
    first = photos.library.groups()

    what_if = photos.library.groups(**options)
    after = photos.library.groups()

    assert what_if.computed and not what_if.stored and "what-if" in what_if.note
    assert not after.computed and after.groups == first.groups
    assert after.options.threshold == first.options.threshold
    # groups the what-if found again carry their stored ids
    for group in what_if.groups:
        if group.paths in ids(first.groups):
            assert group.id == ids(first.groups)[group.paths]


def test_regroup_with_new_settings_stores_them(photos):
    first = photos.library.groups()

    photos.library.groups(threshold=0.9, regroup=True)
    later = photos.library.groups()

    assert later.stored and not later.computed
    assert later.options.threshold == 0.9
    assert ids(later.groups) == ids(first.groups)


def test_group_ids_survive_an_unrelated_new_photo(photos):
    first = photos.library.groups()

    save(scene(42, (320, 240)), photos("new/IMG_0042.jpg"))
    photos.scan()
    again = photos.library.groups()

    assert again.computed
    assert ids(again.groups) == ids(first.groups)


def test_a_grouping_computed_while_the_catalog_changed_is_not_stored(photos):
    library = photos.library
    library.groups()
    save(scene(43, (320, 240)), photos("new/IMG_0043.jpg"))
    photos.scan()  # the stored grouping is out of date now
    other = Library(library.path)
    changed = []

    def meanwhile(event):  # another process marks a reference folder during the grouping
        if event.phase is Phase.VERIFYING and not changed:
            writer = threading.Thread(target=other.set_reference_folders, args=([photos("s2")],))
            writer.start()
            writer.join()
            changed.append(True)

    result = library.groups(on_progress=meanwhile)

    assert changed and not result.stored and "changed while grouping" in result.note
    assert library.groups().computed  # the next call computes again, and stores
    other.close()


def test_stopping_a_grouping_raises_cancelled_and_stores_nothing(photos):
    with pytest.raises(Cancelled):
        photos.library.groups(should_stop=lambda: True)

    assert photos.rows("group_member") == 0


# -- verdicts ------------------------------------------------------------------------------------


def test_a_dismissed_group_is_gone_and_stays_gone_after_a_rescan(photos):
    scene_2 = photos.group_of(photos.groups(), "s2/orig.jpg")

    dismissed = photos.library.dismiss(scene_2.id)
    after = photos.groups()
    photos.scan()
    rescanned = photos.groups(regroup=True)

    assert dismissed.paths == scene_2.paths
    assert photos.names(after) == [SCENE_1]
    assert photos.names(rescanned) == [SCENE_1]
    assert photos.rows("verdict_side") == 3  # one row per content, not one per pair


def test_a_dismissed_group_stays_gone_after_one_of_its_files_is_renamed(photos):
    scene_2 = photos.group_of(photos.groups(), "s2/orig.jpg")
    photos.library.dismiss(scene_2.id)

    Path(photos("s2/small.jpg")).rename(photos("s2/renamed.jpg"))
    photos.scan()

    assert photos.names(photos.groups()) == [SCENE_1]


def test_undismiss_brings_the_group_back_with_its_id(photos):
    scene_2 = photos.group_of(photos.groups(), "s2/orig.jpg")
    photos.library.dismiss(scene_2.id)
    photos.groups()

    photos.library.undismiss(scene_2.id)
    back = photos.group_of(photos.groups(), "s2/orig.jpg")

    assert back.paths == scene_2.paths and back.id == scene_2.id
    assert photos.rows("verdict_side") == 0
    with pytest.raises(PhotosiftError, match="nothing was said about group"):
        photos.library.undismiss(scene_2.id)


def test_a_split_file_leaves_its_group_and_stays_out(photos):
    scene_1 = photos.group_of(photos.groups(), "s1/orig.jpg")

    photos.library.split(scene_1.id, photos("s1/mirror.jpg"))
    after = photos.groups()
    photos.scan()
    rescanned = photos.groups(regroup=True)

    rest = [name for name in SCENE_1 if name != "s1/mirror.jpg"]
    assert photos.names(after) == [rest, SCENE_2]
    assert photos.names(rescanned) == [rest, SCENE_2]


def test_unknown_group_or_a_path_outside_the_group_is_an_error(photos):
    groups = photos.groups()
    scene_1 = photos.group_of(groups, "s1/orig.jpg")
    unknown = max(g.id for g in groups) + 1

    with pytest.raises(PhotosiftError, match=f"no group {unknown}"):
        photos.library.dismiss(unknown)
    with pytest.raises(PhotosiftError, match=f"no group {unknown}"):
        photos.library.split(unknown, photos("s1/orig.jpg"))
    with pytest.raises(PhotosiftError, match="not in group"):
        photos.library.split(scene_1.id, photos("s2/orig.jpg"))
    assert photos.rows("verdict") == 0


def test_dismissing_a_group_with_a_file_changed_since_the_scan_is_refused(photos):
    scene_2 = photos.group_of(photos.groups(), "s2/orig.jpg")
    save(scene(5, (200, 150)), photos("s2/small.jpg"))  # another photo, another size

    with pytest.raises(PhotosiftError, match="changed or vanished since it was scanned"):
        photos.library.dismiss(scene_2.id)

    assert photos.rows("verdict") == 0


def test_reference_folders_are_remembered_and_a_missing_one_is_refused(photos):
    folders = photos.library.set_reference_folders([photos("copies")])
    groups = photos.groups()

    with pytest.raises(PhotosiftError, match="no such folder"):
        photos.library.set_reference_folders([photos("nowhere")])

    assert folders == [photos("copies")]
    marked = [m.photo.path for g in groups for m in g.members if m.reference]
    assert marked == [photos("copies/s1.jpg")]
    assert photos.library.set_reference_folders(remove=[photos("copies")]) == []


def test_a_reference_folder_spelled_otherwise_still_protects_its_files(photos):
    link = photos.root.parent / "also-copies"
    os.symlink(photos("copies"), link)  # the same folder under another name
    photos.library.catalog.add_reference_folder(str(link))  # as an older release stored it
    stored = photos.groups()

    (member,) = (m for g in stored for m in g.members if m.photo.path == photos("copies/s1.jpg"))
    assert member.reference


# -- fresh advice --------------------------------------------------------------------------------


def judged_scene_1(photos):
    groups = photos.groups()
    (judged,) = photos.library.judge([photos.group_of(groups, "s1/orig.jpg")])
    return judged


def test_deleting_the_kept_file_changes_the_advice_without_a_rescan(photos):
    before = judged_scene_1(photos)
    assert before.group.keep in (photos("s1/orig.jpg"), photos("copies/s1.jpg"))

    os.remove(before.group.keep)
    after = judged_scene_1(photos)
    advice = after.recommendation

    assert after.group.keep not in (None, before.group.keep)
    assert advice.stale[before.group.keep].startswith("missing")
    assert before.group.keep not in advice.duplicates + advice.lower_quality
    assert not any(
        os.path.basename(before.group.keep) in why
        for why in advice.why.values()
        if not why.startswith("missing")
    )  # nothing is "a copy of" the gone file
    assert any("left out" in reason for reason in advice.reasons)


def test_a_file_replaced_with_the_same_size_and_mtime_is_never_kept(photos):
    before = judged_scene_1(photos)
    kept = before.group.keep
    stat = os.stat(kept)
    replacement = photos.root.parent / "replacement.jpg"
    with open(kept, "rb") as fh:
        data = bytearray(fh.read())
    data[-3] ^= 0xFF  # same size, other bytes
    replacement.write_bytes(bytes(data))
    os.replace(replacement, kept)  # a new inode and ctime, as rsync -t or cp would leave
    os.utime(kept, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    after = judged_scene_1(photos)

    assert after.group.keep != kept
    assert after.recommendation.stale[kept].startswith("changed")


def test_a_group_whose_files_are_all_gone_has_no_keep(photos):
    scene_2 = photos.group_of(photos.groups(), "s2/orig.jpg")
    shutil.rmtree(photos("s2"))

    (judged,) = photos.library.judge([scene_2])

    assert judged.group.keep is None
    assert judged.recommendation.potential_savings == 0
    assert judged.recommendation.recommendation.startswith("nothing to keep")


def test_a_copy_with_a_frame_is_not_kept_for_its_extra_pixels(tmp_path):
    from PIL import ImageOps

    root = tmp_path / "photos"
    original = scene(21, (1200, 800))
    save(original, root / "DCIM/IMG_2001.JPG", quality=92)
    save(original, root / "Edits/IMG_2001.jpg", quality=80)
    framed = ImageOps.expand(original, border=60, fill="white")  # 1320x920: 1.2 MP vs 0.96
    save(framed, root / "Instagram/IMG_2001.jpg", quality=92)
    for days, name in enumerate(
        ("DCIM/IMG_2001.JPG", "Edits/IMG_2001.jpg", "Instagram/IMG_2001.jpg")
    ):
        stamp = 1_690_000_000 + days * 86_400  # the copies were made after the photo
        os.utime(root / name, (stamp, stamp))
    with Library(str(tmp_path / "catalog.sqlite3")) as library:
        library.scan([str(root)], ScanOptions(workers=1))
        (group,) = library.groups().groups
        (judged,) = library.judge([group])

    advice = judged.recommendation
    assert advice.best_file == str(root / "DCIM/IMG_2001.JPG")
    # the same picture in a frame: a tie on pixels of picture, which provenance decides
    assert advice.why[str(root / "Instagram/IMG_2001.jpg")] == "a copy or edit of IMG_2001.JPG"
    assert "more pixels" not in advice.recommendation
