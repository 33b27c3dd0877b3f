"""Grouping on real fixture photos: every transform family joins its original, tiers are told
apart, unrelated and merely overlapping photos stay apart, gradual changes never chain, and a
person's "not duplicates" is respected."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from core.analysis import hashing
from core.matching.grouping import GroupingOptions, group_photos
from core.media import imaging
from core.models import Photo, Tier, Verdict
from core.progress import Reporter
from tests.images import blurred, encoded, resized, scene


class Library:
    """Photos made in memory: each image is encoded, decoded the way a scan does, and kept
    as a catalog record plus its thumbnail."""

    def __init__(self) -> None:
        self.photos: list[Photo] = []
        self.thumbs: dict[str, bytes] = {}

    def add(
        self, path: str, img: Image.Image, fmt: str = "JPEG", *, taken=None, camera=None, **save
    ) -> Photo:
        data = encoded(img, fmt, **({"quality": 92} if fmt == "JPEG" else {}) | save)
        decoded = imaging.decode(io.BytesIO(data), fmt)
        thumb = hashing.grey_thumbnail(decoded.rgb)
        make, model = camera or (None, None)
        photo = Photo(
            path=path,
            size=len(data),
            mtime_ns=1,
            format=fmt,
            width=img.width,
            height=img.height,
            taken_at=taken,
            camera_make=make,
            camera_model=model,
            content_hash=hashlib.blake2b(data, digest_size=16).hexdigest(),
            hashes=hashing.compute_hashes(thumb),
        )
        self.photos.append(photo)
        self.thumbs[path] = thumb.tobytes()
        return photo

    def load(self, paths):
        return {p: self.thumbs[p] for p in paths if p in self.thumbs}

    def group(self, **kw):
        options = kw.pop("options", GroupingOptions())
        return group_photos(self.photos, self.load, options, **kw)


def group_of(groups, path):
    found = [g for g in groups if path in g.paths]
    return found[0] if found else None


def watermarked(img: Image.Image) -> Image.Image:
    out = img.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    draw.rectangle((w - 150, h - 40, w - 10, h - 10), fill=(255, 255, 255))
    draw.text((w - 140, h - 35), "(c) photosift", fill=(0, 0, 0))
    return out


def tilted(img: Image.Image, degrees: float) -> Image.Image:
    turned = img.rotate(degrees, resample=Image.BICUBIC)
    w, h = img.size
    return turned.crop((int(w * 0.05), int(h * 0.05), int(w * 0.95), int(h * 0.95)))


def border_cropped(img: Image.Image, fraction: float) -> Image.Image:
    w, h = img.size
    return img.crop(
        (int(w * fraction), int(h * fraction), w - int(w * fraction), h - int(h * fraction))
    )


def upscaled(img: Image.Image) -> Image.Image:
    small = resized(img, 0.5)
    big = small.resize((small.width * 4, small.height * 4), Image.LANCZOS)
    return big.filter(ImageFilter.UnsharpMask(radius=2, percent=120))


def noisy(img: Image.Image) -> Image.Image:
    rng = np.random.default_rng(7)
    arr = np.asarray(img, np.float32) + rng.normal(0, 12, (img.height, img.width, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


TRANSFORMS = {
    "jpeg q35": lambda im: (im, {"quality": 35}),
    "half size": lambda im: (resized(im, 0.5), {}),
    "quarter size": lambda im: (resized(im, 0.25), {}),
    "border crop 8%": lambda im: (border_cropped(im, 0.08), {}),
    "mirror": lambda im: (ImageOps.mirror(im), {}),
    "rotate 90": lambda im: (im.transpose(Image.Transpose.ROTATE_90), {}),
    "rotate 270": lambda im: (im.transpose(Image.Transpose.ROTATE_270), {}),
    "rotate 180": lambda im: (im.transpose(Image.Transpose.ROTATE_180), {}),
    "tilt 3 degrees": lambda im: (tilted(im, 3), {}),
    "grayscale": lambda im: (im.convert("L").convert("RGB"), {}),
    "watermark": lambda im: (watermarked(im), {}),
    "brighter": lambda im: (ImageEnhance.Brightness(im).enhance(1.15), {}),
    "less contrast": lambda im: (ImageEnhance.Contrast(im).enhance(0.8), {}),
    "blurred": lambda im: (blurred(im, 2.0), {}),
    "noisy": lambda im: (noisy(im), {}),
    "upscaled 2x": lambda im: (upscaled(im), {}),
    "mirrored and cropped": lambda im: (border_cropped(ImageOps.mirror(im), 0.07), {}),
}


@pytest.fixture(scope="module")
def originals():
    return [scene(seed, (640, 480)) for seed in (21, 22)]


@pytest.mark.parametrize("name", TRANSFORMS)
def test_each_transform_joins_its_original_as_a_near_duplicate(originals, name):
    lib = Library()
    for n, original in enumerate(originals):
        lib.add(f"/p/{n}/original.jpg", original)
        img, kw = TRANSFORMS[name](original)
        lib.add(f"/p/{n}/copy.jpg", img, **kw)
    lib.add("/p/other.jpg", scene(40, (640, 480)))
    groups = lib.group()
    assert [set(g.paths) for g in groups] == [
        {"/p/0/original.jpg", "/p/0/copy.jpg"},
        {"/p/1/original.jpg", "/p/1/copy.jpg"},
    ]
    assert all(g.tier is Tier.NEAR for g in groups)
    assert all(g.similarity >= GroupingOptions().threshold for g in groups)


def test_png_copy_is_a_near_duplicate(originals):
    lib = Library()
    lib.add("/p/a.jpg", originals[0])
    lib.add("/p/a.png", originals[0], "PNG")
    (group,) = lib.group()
    assert group.tier is Tier.NEAR


def test_byte_identical_copies_form_an_exact_group(originals):
    lib = Library()
    lib.add("/p/a.jpg", originals[0])
    lib.add("/backup/a.jpg", originals[0])
    lib.add("/p/b.jpg", originals[1])
    (group,) = lib.group()
    assert group.tier is Tier.EXACT
    assert group.paths == ("/backup/a.jpg", "/p/a.jpg")
    assert group.similarity == 1.0


def test_exact_copies_inside_a_near_group_are_marked_exact(originals):
    lib = Library()
    lib.add("/p/a.jpg", originals[0])
    lib.add("/q/a.jpg", originals[0])
    lib.add("/p/a_small.jpg", resized(originals[0], 0.5))
    (group,) = lib.group()
    assert group.tier is Tier.NEAR and len(group.members) == 3
    relations = {m.photo.path: m.relation for m in group.members}
    assert relations == {
        "/p/a.jpg": Tier.EXACT,
        "/q/a.jpg": Tier.EXACT,
        "/p/a_small.jpg": Tier.NEAR,
    }


def burst(lib: Library, base: Image.Image, start: datetime, frames: int = 4, folder="/b"):
    """Frames of one scene, each a slightly shifted crop, 0.2 s apart, one camera."""
    w, h = base.size
    for i in range(frames):
        dx, dy = 6 * i, 4 * (i % 2)
        frame = base.crop((dx, dy, dx + w - 30, dy + h - 20))
        lib.add(
            f"{folder}/IMG_{i:04d}.JPG",
            frame,
            taken=start + timedelta(seconds=0.2 * i),
            camera=("Canon", "EOS 80D"),
        )


def test_burst_frames_form_a_similar_group_with_a_burst(originals):
    lib = Library()
    burst(lib, originals[0], datetime(2021, 6, 1, 12, 0, 0, 130000))
    lib.add("/p/unrelated.jpg", originals[1])
    (group,) = lib.group()
    assert group.tier is Tier.SIMILAR
    assert len(group.bursts) == 1
    assert group.bursts[0].members == tuple(f"/b/IMG_{i:04d}.JPG" for i in range(4))


def test_burst_joins_the_near_duplicates_of_its_scene(originals):
    lib = Library()
    lib.add(
        "/p/original.jpg",
        originals[0],
        taken=datetime(2021, 6, 1, 11, 59, 57),
        camera=("Canon", "EOS 80D"),
    )
    lib.add("/p/mirror.jpg", ImageOps.mirror(originals[0]))
    burst(lib, originals[0], datetime(2021, 6, 1, 12, 0, 0, 130000))
    (group,) = lib.group()
    assert len(group.members) == 6
    assert group.tier is Tier.SIMILAR
    relations = {m.photo.path: m.relation for m in group.members}
    assert all(relations[f"/b/IMG_{i:04d}.JPG"] is Tier.SIMILAR for i in range(4))
    assert relations["/p/mirror.jpg"] is Tier.NEAR


def test_copies_with_the_same_capture_time_are_near_not_similar(originals):
    taken = datetime(2020, 1, 2, 3, 4, 5)
    lib = Library()
    lib.add("/p/a.jpg", originals[0], taken=taken, camera=("Sony", "A7"))
    lib.add("/p/a_q35.jpg", originals[0], taken=taken, camera=("Sony", "A7"), quality=35)
    (group,) = lib.group()
    assert group.tier is Tier.NEAR and not group.bursts


def test_frames_far_apart_in_time_are_not_a_burst(originals):
    lib = Library()
    for i in range(3):  # the same view photographed every ten minutes
        lib.add(
            f"/t/{i}.jpg",
            originals[0],
            taken=datetime(2020, 1, 1, 10, 10 * i),
            camera=("Sony", "A7"),
            quality=90 - i,
        )
    (group,) = lib.group()
    assert group.bursts == ()
    assert group.tier is Tier.SIMILAR  # shot at different moments: similar, not near


def test_unrelated_photos_are_not_grouped():
    lib = Library()
    for seed in range(12):
        lib.add(f"/u/{seed}.jpg", scene(100 + seed, (480, 360)))
    assert lib.group() == []


def test_overlapping_views_of_one_place_are_not_grouped():
    big = scene(99, (1200, 900))
    lib = Library()
    lib.add("/v/left.jpg", big.crop((0, 0, 720, 540)))
    lib.add("/v/right.jpg", big.crop((480, 360, 1200, 900)))
    assert lib.group() == []


def test_gradual_changes_do_not_chain_into_one_group():
    start, end = scene(1, (480, 360)), scene(2, (480, 360))
    lib = Library()
    for step, t in enumerate(np.linspace(0, 1, 9)):
        lib.add(f"/m/{step}.jpg", Image.blend(start, end, float(t)))
    groups = lib.group()
    threshold = GroupingOptions().threshold
    assert groups, "neighbouring steps are alike enough to be grouped"
    assert not any({"/m/0.jpg", "/m/8.jpg"} <= set(g.paths) for g in groups)
    assert all(len(g.members) < 9 for g in groups)
    assert all(m.similarity >= threshold for g in groups for m in g.members)


def test_blank_images_are_grouped_only_when_byte_identical():
    lib = Library()
    lib.add("/w/white.jpg", Image.new("RGB", (400, 300), "white"))
    lib.add("/w/white_small.jpg", Image.new("RGB", (200, 150), "white"))
    lib.add("/w/black.jpg", Image.new("RGB", (400, 300), "black"))
    lib.add("/w/black_copy.jpg", Image.new("RGB", (400, 300), "black"))
    (group,) = lib.group()
    assert group.tier is Tier.EXACT
    assert group.paths == ("/w/black.jpg", "/w/black_copy.jpg")


def test_not_duplicate_verdict_splits_a_group(originals):
    lib = Library()
    a = lib.add("/p/a.jpg", originals[0])
    lib.add("/p/a_small.jpg", resized(originals[0], 0.5))
    b = lib.add("/p/a_mirror.jpg", ImageOps.mirror(originals[0]))
    verdict = Verdict((frozenset({a.content_hash}), frozenset({b.content_hash})))
    groups = lib.group(verdicts=[verdict])
    assert group_of(groups, "/p/a.jpg") is not group_of(groups, "/p/a_mirror.jpg")
    together = [g for g in groups if {"/p/a.jpg", "/p/a_mirror.jpg"} <= set(g.paths)]
    assert together == []


def test_dismissed_exact_copies_are_not_grouped(originals):
    lib = Library()
    a = lib.add("/p/a.jpg", originals[0])
    lib.add("/q/a.jpg", originals[0])
    copies_apart = Verdict((frozenset({a.content_hash}),) * 2)
    assert lib.group(verdicts=[copies_apart]) == []


def test_reference_folders_mark_members(originals):
    lib = Library()
    lib.add("/archive/a.jpg", originals[0])
    lib.add("/archive-old/a_small.jpg", resized(originals[0], 0.5))
    lib.add("/phone/a_q35.jpg", originals[0], quality=35)
    (group,) = lib.group(reference_folders=["/archive"])
    marks = {m.photo.path: m.reference for m in group.members}
    assert marks == {
        "/archive/a.jpg": True,
        "/archive-old/a_small.jpg": False,
        "/phone/a_q35.jpg": False,
    }
    kept_size = max(m.photo.size for m in group.members)
    assert group.reclaimable <= group.size - kept_size


def test_a_stricter_threshold_drops_the_weakest_link(originals):
    lib = Library()
    lib.add("/p/a.jpg", originals[0])
    lib.add("/p/a_noisy.jpg", noisy(originals[0]))
    (group,) = lib.group()
    assert lib.group(options=GroupingOptions(threshold=min(1.0, group.similarity + 0.001))) == []


def test_grouping_is_deterministic(originals):
    lib = Library()
    for name, make in list(TRANSFORMS.items())[:6]:
        img, kw = make(originals[0])
        lib.add(f"/d/{name}.jpg", img, **kw)
    lib.add("/d/original.jpg", originals[0])
    first = lib.group()
    lib.photos.reverse()
    assert lib.group() == first
    assert [m.photo.path for m in first[0].members] == sorted(first[0].paths)


def test_worker_processes_fingerprint_search_and_verify_to_the_same_groups(originals, monkeypatch):
    from core.matching import matcher
    from core.matching.verify import init_worker
    from core.runtime.processes import ProcessExecutor

    lib = Library()
    for n, original in enumerate(originals):
        lib.add(f"/w/{n}/original.jpg", original)
        for name, make in list(TRANSFORMS.items())[:8]:
            img, kw = make(original)
            lib.add(f"/w/{n}/{name}.jpg", img, **kw)
    lib.add("/w/other.jpg", scene(40, (640, 480)))
    here = lib.group()
    monkeypatch.setattr(matcher, "_PARALLEL_PAIRS", 1)  # every batch to the workers
    monkeypatch.setattr(matcher, "_BATCH", 3)  # in many small tasks
    monkeypatch.setattr(matcher, "_PARALLEL_FACES", 1)  # fingerprinted by the workers too
    monkeypatch.setattr(matcher, "_FINGERPRINT_CHUNK", 5)
    monkeypatch.setattr(matcher, "_LOOKUP", 64)  # the hash search in parts on the workers too
    joined: list[int] = []
    join = matcher.hashindex.joined
    monkeypatch.setattr(
        matcher.hashindex, "joined", lambda parts: joined.append(len(parts)) or join(parts)
    )
    with ProcessExecutor(2, initializer=init_worker, keep=True) as executor:
        spread = lib.group(executor=executor)
    assert joined and max(joined) > 1  # searched in parts (else the test would prove little)
    assert spread == here
    assert len(here) == 2


def test_progress_is_reported(originals):
    lib = Library()
    lib.add("/p/a.jpg", originals[0])
    lib.add("/p/b.jpg", resized(originals[0], 0.5))
    events = []
    lib.group(reporter=Reporter(events.append))
    phases = [e.phase for e in events]
    for phase in ("fingerprinting", "searching", "verifying"):
        assert phase in phases
    verifying = [e for e in events if e.phase == "verifying"]
    assert verifying[-1].done <= verifying[-1].total


def test_a_copy_whose_editor_dropped_the_sub_seconds_is_the_same_shot(originals):
    lib = Library()
    camera = ("Canon", "EOS 80D")
    lib.add("/p/a.jpg", originals[0], taken=datetime(2020, 5, 5, 10, 0, 0, 370000), camera=camera)
    lib.add(
        "/p/a_edit.jpg",
        originals[0],
        taken=datetime(2020, 5, 5, 10, 0, 0),
        camera=camera,
        quality=80,
    )
    (group,) = lib.group()
    assert group.tier is Tier.NEAR and group.bursts == ()
