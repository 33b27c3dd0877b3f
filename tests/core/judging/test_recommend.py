"""Judging a group on real fixture photos: the sharp original beats its degraded copies, AI
upscales are flagged and lose, names that merely contain "ai" are not flagged, and each keep
rule decides as it says."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter

from core.analysis import analyse as analysis
from core.judging.recommend import JudgeOptions, recommend
from core.judging.rules import parse, parse_all
from core.models import Group, GroupMember, Photo, Tier
from tests.families import FAMILIES, family_rng
from tests.images import blurred, resized, save, scene


@pytest.fixture(scope="module")
def original() -> Image.Image:
    return scene(31, (1200, 900))


def analysed(path) -> Photo:
    photo = analysis.analyse_file(str(path)).photo
    assert photo.error is None, photo.error
    return photo


def group_of(*photos: Photo, bursts=()) -> Group:
    members = tuple(GroupMember(p, Tier.NEAR, 1.0) for p in photos)
    return Group(tier=Tier.NEAR, anchor=photos[0].path, members=members, bursts=bursts)


def noisy(img: Image.Image, sigma: float = 14) -> Image.Image:
    rng = np.random.default_rng(5)
    arr = np.asarray(img, np.float32) + rng.normal(0, sigma, (img.height, img.width, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


DEGRADED = {
    "blurred": lambda im: (blurred(im, 2.5), {"quality": 92}),
    "noisy": lambda im: (noisy(im), {"quality": 92}),
    "re-saved at q35": lambda im: (im, {"quality": 35}),
    "half size": lambda im: (resized(im, 0.5), {"quality": 92}),
}


@pytest.mark.parametrize("name", DEGRADED)
def test_sharp_original_beats_its_degraded_copy(tmp_path, original, name):
    sharp = analysed(save(original, tmp_path / "DCIM/IMG_0001.JPG", quality=92))
    img, kw = DEGRADED[name](original)
    copy = analysed(save(img, tmp_path / "copy.jpg", **kw))
    advice = recommend(group_of(copy, sharp))
    assert advice.best_file == sharp.path
    assert advice.lower_quality == (copy.path,)


def test_several_edits_point_to_their_source(tmp_path, original):
    """Each edit is one step from the original: it is the one the others are closest to,
    even when it is neither the oldest nor the best named."""
    source = analysed(save(original, tmp_path / "Desktop/export_7.jpg", quality=92))
    edits = [
        ImageEnhance.Brightness(original).enhance(1.2),
        ImageEnhance.Contrast(original).enhance(0.75),
        original.convert("L").convert("RGB"),
        original.filter(ImageFilter.GaussianBlur(2.5)),
    ]
    copies = [
        analysed(save(img, tmp_path / f"DCIM/IMG_{i:04d}.JPG", quality=92))
        for i, img in enumerate(edits)
    ]
    advice = recommend(group_of(*copies, source))
    assert advice.best_file == source.path


def test_ai_upscale_is_flagged_and_loses_to_its_source(tmp_path, original):
    source = analysed(save(original, tmp_path / "IMG_0002.JPG", quality=92))
    small = resized(original, 0.5)
    up = small.resize((small.width * 4, small.height * 4), Image.LANCZOS)
    up = up.filter(ImageFilter.UnsharpMask(radius=2, percent=120))
    upscale = analysed(save(up, tmp_path / "IMG_0002_Topaz_Gigapixel_4x.jpg", quality=95))
    assert upscale.megapixels > source.megapixels
    advice = recommend(group_of(upscale, source))
    assert advice.best_file == source.path
    assert advice.ai_enhanced == (upscale.path,)
    assert advice.ai_verdicts[upscale.path].is_ai_enhanced
    assert upscale.path not in advice.lower_quality  # flagged for review, not backed up
    assert advice.potential_savings == 0


def test_ai_tool_in_exif_software_is_flagged_but_an_editor_is_not(tmp_path, original):
    from tests.images import exif_bytes

    ai_made = analysed(
        save(original, tmp_path / "a.jpg", exif=exif_bytes(software="Topaz Photo AI 3.1.2"))
    )
    edited = analysed(save(original, tmp_path / "b.jpg", exif=exif_bytes(software="GIMP 2.10")))
    advice = recommend(group_of(ai_made, edited))
    assert advice.ai_verdicts[ai_made.path].is_ai_enhanced
    assert not advice.ai_verdicts[edited.path].is_ai_enhanced


@pytest.mark.parametrize(
    "name", ["mountain_rain.jpg", "Taiwan_trail.jpg", "paint_brain.jpg", "AI_weiwei_show.jpg"]
)
def test_names_that_merely_contain_ai_are_not_flagged(tmp_path, original, name):
    photo = analysed(save(original, tmp_path / name, quality=85))
    other = analysed(save(original, tmp_path / "IMG_0003.JPG", quality=85))
    advice = recommend(group_of(photo, other))
    assert not advice.ai_verdicts[photo.path].is_ai_enhanced
    assert advice.ai_enhanced == ()


def test_lossless_conversion_loses_to_the_jpeg_it_was_made_from(tmp_path, original):
    jpeg = analysed(save(original, tmp_path / "IMG_0004.JPG", quality=90))
    png = analysed(save(Image.open(jpeg.path), tmp_path / "IMG_0004.png", "PNG"))
    advice = recommend(group_of(png, jpeg))
    assert advice.best_file == jpeg.path
    assert "lossless" in advice.why[png.path]


def test_exact_copies_are_duplicates(tmp_path, original):
    a = analysed(save(original, tmp_path / "IMG_0005.JPG", quality=90))
    b = analysed(save(original, tmp_path / "backup/IMG_0005.JPG", quality=90))
    a = Photo(**{**_fields(a), "content_hash": "same"})
    b = Photo(**{**_fields(b), "content_hash": "same"})
    advice = recommend(group_of(a, b))
    assert advice.duplicates == (b.path,) or advice.duplicates == (a.path,)
    assert advice.potential_savings == b.size


def test_an_exact_copy_with_an_ai_name_counts_once_as_a_copy(tmp_path, original):
    a = analysed(save(original, tmp_path / "DCIM/IMG_0006.JPG", quality=90))
    b = analysed(save(original, tmp_path / "IMG_0006_topaz_gigapixel.jpg", quality=90))
    a = Photo(**{**_fields(a), "content_hash": "same"})
    b = Photo(**{**_fields(b), "content_hash": "same"})

    advice = recommend(group_of(a, b))

    assert advice.best_file == a.path
    assert advice.duplicates == (b.path,) and advice.ai_enhanced == ()
    assert advice.potential_savings == b.size


def test_files_gone_or_changed_are_left_out_of_everything(tmp_path, original):
    a = analysed(save(original, tmp_path / "DCIM/IMG_0007.JPG", quality=92))
    b = analysed(save(blurred(original, 2.5), tmp_path / "copy.jpg", quality=92))
    c = analysed(save(original, tmp_path / "other/IMG_0007.JPG", quality=60))

    advice = recommend(group_of(a, b, c), stale={a.path: "missing: deleted"})

    assert advice.best_file in (b.path, c.path)
    assert a.path not in advice.duplicates + advice.lower_quality + advice.ai_enhanced
    assert advice.why[a.path] == "missing: deleted"
    assert advice.potential_savings == sum(p.size for p in (b, c) if p.path != advice.best_file)


def _fields(photo: Photo) -> dict:
    return {name: getattr(photo, name) for name in Photo.__dataclass_fields__}


# -- keep rules ---------------------------------------------------------------------------


@pytest.fixture
def twins(tmp_path, original):
    """Two same-size copies that no quality measure tells apart."""
    a = analysed(save(original, tmp_path / "archive/IMG_0006.JPG", quality=90))
    b = analysed(save(original, tmp_path / "phone/IMG_0006.HEIC.jpg", quality=90))
    return a, b


def test_prefer_folder_rule(twins, tmp_path):
    a, b = twins
    options = JudgeOptions(rules=parse_all([f"prefer-folder:{tmp_path / 'phone'}"]))
    assert recommend(group_of(a, b), options).best_file == b.path


def test_protect_folder_rule_keeps_its_files(twins, tmp_path):
    a, b = twins
    options = JudgeOptions(rules=parse_all([f"protect-folder:{tmp_path / 'archive'}"]))
    advice = recommend(group_of(a, b), options)
    assert advice.best_file == a.path
    assert a.path not in advice.lower_quality and a.path not in advice.duplicates


def test_prefer_formats_rule(tmp_path, original):
    jpeg = analysed(save(original, tmp_path / "x.jpg", quality=95))
    webp = analysed(save(original, tmp_path / "x.webp", "WEBP", quality=95))
    first = JudgeOptions(rules=parse_all(["prefer-formats:webp,jpeg"]))
    assert recommend(group_of(jpeg, webp), first).best_file == webp.path
    second = JudgeOptions(rules=parse_all(["prefer-formats:jpeg,webp"]))
    assert recommend(group_of(jpeg, webp), second).best_file == jpeg.path


def _dated(photo: Photo, when: datetime) -> Photo:
    return Photo(**{**_fields(photo), "taken_at": when})


def test_prefer_older_and_newer_rules(twins):
    a, b = twins
    a, b = _dated(a, datetime(2015, 1, 1)), _dated(b, datetime(2019, 1, 1))
    older = JudgeOptions(rules=parse_all(["prefer-older"]))
    newer = JudgeOptions(rules=parse_all(["prefer-newer"]))
    assert recommend(group_of(a, b), older).best_file == a.path
    assert recommend(group_of(a, b), newer).best_file == b.path


def test_implausible_dates_are_ignored(twins):
    a, b = twins
    a, b = _dated(a, datetime(1970, 1, 1)), _dated(b, datetime(2019, 1, 1))
    options = JudgeOptions(rules=parse_all(["ignore-dates-before:1990", "prefer-older"]))
    assert recommend(group_of(a, b), options).best_file == b.path


def test_unknown_or_incomplete_rules_are_refused():
    from core.errors import PhotosiftError

    with pytest.raises(PhotosiftError, match="unknown keep rule"):
        parse("keep-the-pretty-one")
    with pytest.raises(PhotosiftError, match="needs an argument"):
        parse("prefer-folder")
    with pytest.raises(PhotosiftError, match="needs a year"):
        parse("ignore-dates-before:last-year")


def test_reasons_say_why(tmp_path, original):
    sharp = analysed(save(original, tmp_path / "DCIM/IMG_0007.JPG", quality=92))
    small = analysed(save(resized(original, 0.5), tmp_path / "IMG_0007_small.jpg"))
    advice = recommend(group_of(small, sharp))
    assert advice.recommendation.startswith("keep IMG_0007.JPG: more pixels (1.1 MP vs 0.3 MP)")
    assert advice.why[small.path] == "fewer pixels (0.3 MP vs 1.1 MP)"


def test_a_reason_never_compares_two_equal_numbers(tmp_path, original):
    # 0.35 and 0.27 MP: both "0.3 MP"
    big = analysed(save(original.resize((680, 510)), tmp_path / "IMG_0007.JPG", quality=92))
    smaller = analysed(save(original.resize((600, 450)), tmp_path / "IMG_0007_small.jpg"))

    advice = recommend(group_of(smaller, big))

    assert advice.best_file == big.path
    assert "more pixels (680x510 vs 600x450)" in advice.recommendation
    assert advice.why[smaller.path] == "fewer pixels (600x450 vs 680x510)"


def test_a_stretched_copy_does_not_win_on_its_extra_pixels(tmp_path, original):
    # 1200x900 (4:3), a q80 re-save, a 75% copy, and a copy stretched 1.3x wide: 1560x900
    camera = analysed(save(original, tmp_path / "DCIM/IMG_0007.JPG", quality=92))
    resave = analysed(save(original, tmp_path / "Edits/IMG_0007.jpg", quality=80))
    small = analysed(save(resized(original, 0.75), tmp_path / "IMG_0007_small.jpg"))
    wide = original.resize((1560, 900))
    stretched = analysed(save(wide, tmp_path / "Downloads/wide.jpg", quality=92))

    advice = recommend(group_of(stretched, small, resave, camera))

    # its picture is the camera file's (1.4 MP over 1.3): a tie that provenance decides
    assert advice.best_file == camera.path
    assert advice.why[stretched.path] == "a copy or edit of IMG_0007.JPG"
    assert "1.4 MP" not in advice.recommendation


def test_a_stretched_copy_loses_to_a_bigger_original_and_the_reason_says_why(tmp_path, original):
    camera = analysed(save(original, tmp_path / "DCIM/IMG_0007.JPG", quality=92))
    resave = analysed(save(original, tmp_path / "Edits/IMG_0007.jpg", quality=80))
    # shrunk to 90%, then stretched 1.4x wide: more pixels than the camera file, less picture
    wide = analysed(save(original.resize((1512, 810)), tmp_path / "wide.jpg", quality=92))

    advice = recommend(group_of(wide, resave, camera))

    assert advice.best_file == camera.path
    assert advice.why[wide.path] == (
        "less picture: 1512x810 is 1.87:1 where the group is 1.33:1, stretched or cut"
    )
    assert "more picture (1200x900; 1512x810 is 1.87:1" in advice.recommendation


def test_a_screenshot_showing_the_photo_bigger_loses_to_the_photo(tmp_path, original):
    photo = resized(original, 0.25)  # 300x225, as a messenger may deliver it
    camera = analysed(save(photo, tmp_path / "Received/IMG_0009.jpg", quality=85))
    for seed in (0, 3):  # a chat and a gallery viewer
        made = FAMILIES["screenshot"].make(photo, family_rng(seed, 0, "screenshot"))
        left, top, right, bottom = made.params["box"]
        assert (right - left) * (bottom - top) > 1.5 * 300 * 225  # shown bigger than it is
        shot_path = tmp_path / f"Screenshots/Screenshot_{seed}.png"
        shot_path.parent.mkdir(exist_ok=True)
        shot_path.write_bytes(made.encoded())
        shot = analysed(shot_path)
        assert shot.screenshot

        advice = recommend(group_of(shot, camera))

        assert advice.best_file == camera.path
        assert advice.recommendation.startswith("keep IMG_0009.jpg: the photo itself")
        assert f"not a screenshot of it (Screenshot_{seed}.png)" in advice.recommendation
        assert advice.why[shot.path] == "a screenshot of IMG_0009.jpg, shown in an app"


def test_two_files_of_other_proportions_are_judged_on_their_pixels(tmp_path, original):
    camera = analysed(save(original, tmp_path / "DCIM/IMG_0007.JPG", quality=92))
    wide = analysed(save(original.resize((1560, 900)), tmp_path / "wide.jpg", quality=92))

    advice = recommend(group_of(camera, wide))

    # nothing tells which of the two was stretched: the larger one is kept, as before
    assert advice.best_file == wide.path
    assert advice.why[camera.path] == "fewer pixels (1.1 MP vs 1.4 MP)"


# -- bursts and faces ---------------------------------------------------------------------


def test_burst_keeps_the_sharpest_frame(tmp_path, original):
    from core.analysis.quality import measure_fine_sharpness
    from core.models import Burst

    frames = []
    for i, radius in enumerate((1.5, 0.0, 2.5)):
        img = original if radius == 0 else original.filter(ImageFilter.BoxBlur(radius))
        frames.append(analysed(save(img, tmp_path / f"IMG_{i:04d}.JPG", quality=92)))
    fine = {}
    for photo in frames:
        with open(photo.path, "rb") as fh:
            fine[photo.path] = measure_fine_sharpness(fh)
    group = group_of(*frames, bursts=(Burst(tuple(p.path for p in frames)),))
    advice = recommend(group, fine_sharpness=fine)
    assert advice.burst_keeps == (frames[1].path,)
    assert frames[1].path not in advice.lower_quality  # the best frame is kept too


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    data = pytest.importorskip("skimage.data")
    return Image.fromarray(data.astronaut())


def test_faces_with_open_eyes_are_found(astronaut):
    from core.analysis.faces import detect

    buf = io.BytesIO()
    astronaut.save(buf, "JPEG", quality=92)
    buf.seek(0)
    found = detect(buf)
    assert found.count == 1 and found.eyes_open == 2


def test_a_frame_with_eyes_found_beats_one_without(tmp_path, astronaut):
    from core.analysis.faces import detect
    from core.models import Burst

    closed = astronaut.copy()
    ImageDraw = __import__("PIL.ImageDraw", fromlist=["ImageDraw"])
    draw = ImageDraw.Draw(closed)
    for x in (190, 235):  # skin-coloured lids over both eyes
        draw.rectangle((x, 95, x + 22, 106), fill=(205, 160, 140))
    paths = [save(closed, tmp_path / "IMG_0100.JPG"), save(astronaut, tmp_path / "IMG_0101.JPG")]
    frames = [analysed(p) for p in paths]
    faces = {}
    for photo in frames:
        with open(photo.path, "rb") as fh:
            faces[photo.path] = detect(fh)
    assert faces[frames[0].path].eyes_open < faces[frames[1].path].eyes_open
    sharper_closed = {frames[0].path: 1.0, frames[1].path: 0.5}  # eyes matter more
    group = group_of(*frames, bursts=(Burst(tuple(p.path for p in frames)),))
    advice = recommend(group, JudgeOptions(faces=True), fine_sharpness=sharper_closed, faces=faces)
    assert advice.burst_keeps == (frames[1].path,)


def test_a_copy_stretched_the_other_way_does_not_pass_for_a_turned_one(tmp_path, original):
    # 1200x900 (4:3) files, and a copy stretched 1.87x tall: 1200x1680, 1.4:1 standing up,
    # which a copy turned a quarter would nearly be; its pixels are no more picture
    camera = analysed(save(original, tmp_path / "DCIM/IMG_0007.JPG", quality=92))
    resave = analysed(save(original, tmp_path / "Edits/IMG_0007.jpg", quality=80))
    small = analysed(save(resized(original, 0.75), tmp_path / "IMG_0007_small.jpg"))
    tall = analysed(save(original.resize((1200, 1680)), tmp_path / "Downloads/tall.jpg"))
    turned = analysed(save(original.rotate(90, expand=True), tmp_path / "Rotated/IMG_0007.jpg"))

    advice = recommend(group_of(tall, small, resave, turned, camera))

    # its picture is the camera file's: a tie that provenance decides
    assert advice.best_file == camera.path
    assert "stretched" not in advice.why[turned.path]
