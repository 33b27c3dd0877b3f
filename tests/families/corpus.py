"""The families, the truth, the sources and ``build``: the corpus written to disk."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

from tests.families.edits import (
    Made,
    Rng,
    caption,
    clahe,
    colour_filter,
    corner_third,
    crop_box,
    crop_side,
    crop_square,
    frame,
    hdr,
    jpeg_low,
    mirror,
    padding,
    perspective,
    png,
    resize,
    rotate_90,
    rotate_small,
    sticker,
    stretch,
    vignette,
    watermark,
    webp,
)
from tests.families.screens import screenshot
from tests.images import exif_bytes, scene

# -- hard negatives made of two pictures ----------------------------------------------------


def panorama_halves(world: Image.Image, rng: Rng) -> tuple[Made, Made]:
    """The left and right halves of a wide picture, not overlapping: two frames of a panorama."""
    w, h = world.size
    left, right = (0, 0, w // 2, h), (w // 2, 0, w, h)
    return (
        Made(world.crop(left), "JPEG", {"quality": 94}, {"side": "left", "box": left}),
        Made(world.crop(right), "JPEG", {"quality": 94}, {"side": "right", "box": right}),
    )


def viewpoints(world: Image.Image, rng: Rng) -> tuple[Made, Made]:
    """Two views of one scene from another place: 3:2 boxes 52-60% of its width at either end
    (a zoom of 0.8-1.0x for the second), at any height, shown at one size; they overlap by at
    most about a third of either."""
    w, h = world.size
    boxes = []
    for k, zoom in enumerate((1.0, float(rng.uniform(0.8, 1.0)))):
        bw = int(w * rng.uniform(0.52, 0.6) * zoom)
        bh = int(bw / 1.5)
        x0 = 0 if k == 0 else w - bw
        y0 = int(rng.integers(0, h - bh + 1))
        boxes.append((x0, y0, x0 + bw, y0 + bh))
    (a, b), out = boxes, (960, 640)
    overlap = max(0, a[2] - b[0]) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    views = []
    for box in boxes:
        share = overlap / ((box[2] - box[0]) * (box[3] - box[1]))
        params = {"box": box, "overlap_share": round(share, 3)}
        views.append(
            Made(world.crop(box).resize(out, Image.LANCZOS), "JPEG", {"quality": 94}, params)
        )
    return views[0], views[1]


# -- the families ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Family:
    """A kind of copy: how it is made, where it lands (``{stem}``: the original's name without
    extension, ``{n}``: the original's number, ``{when}`` and ``{day}``: when the copy was
    made), and what EXIF it keeps: ``edit`` (half the time the camera's, with an editor
    named), ``keep`` (half the time the camera's as it was), ``none``."""

    name: str
    make: Callable[[Image.Image, Rng], Made]
    path: str
    exif: str = "edit"


NEAR = (
    Family("crop_side", crop_side, "Pictures/Edits/{stem}-edited"),
    Family("crop_square", crop_square, "Instagram/{stem}_square"),
    Family("crop_box", crop_box, "Pictures/Edits/{stem}_crop"),
    Family("rotate_small", rotate_small, "Pictures/Edits/{stem}-straightened"),
    Family("rotate_90", rotate_90, "Pictures/Rotated/{stem}", "keep"),
    Family("mirror", mirror, "Pictures/Edits/{stem}-flipped"),
    Family("perspective", perspective, "Pictures/Edits/{stem}-upright"),
    Family("clahe", clahe, "Pictures/Lightroom Export/{stem}"),
    Family("hdr", hdr, "Pictures/HDR/{stem}_HDR"),
    Family("vignette", vignette, "Pictures/Snapseed/{stem}-vignette"),
    Family("colour_filter", colour_filter, "Pictures/Filtered/{stem}_filter"),
    Family("sticker", sticker, "Pictures/Snapseed/{stem}-sticker"),
    Family("caption", caption, "Pictures/Memes/{stem}_caption"),
    Family("watermark", watermark, "Portfolio/{stem}_wm"),
    Family("frame", frame, "Pictures/Framed/{stem}_frame"),
    Family("padding", padding, "Pictures/InstaSize/{stem}_nocrop"),
    Family("screenshot", screenshot, "Pictures/Screenshots/Screenshot_{when}", "none"),
    Family("stretch", stretch, "Pictures/Resized/{stem}_4x3"),
    Family("jpeg_low", jpeg_low, "WhatsApp/Media/WhatsApp Images/IMG-{day}-WA{n:04d}", "keep"),
    Family("webp", webp, "Downloads/{stem}", "keep"),
    Family("png", png, "Pictures/Converted/{stem}", "none"),
    Family("resize", resize, "Pictures/Web/{stem}_small"),
)
CORNER = Family("corner_third", corner_third, "Pictures/Details/{stem}_detail")
FAMILIES = {f.name: f for f in (*NEAR, CORNER)}
MUST_LOSE = ("padding", "stretch", "jpeg_low", "webp", "png")  # never the keep beside the original
NEGATIVE_KINDS = ("corner_third", "panorama_halves", "viewpoints", "stereo_viewpoints")
_EDITORS = ("Adobe Photoshop Lightroom Classic 13.1 (Windows)", "Snapseed 2.0", "GIMP 2.10.36")


def family_rng(seed: int, source: int, name: str) -> Rng:
    """The generator of one family's draws for one source: adding a family moves no other's."""
    return np.random.default_rng([seed, source, zlib.crc32(name.encode())])


# -- the truth ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class File:
    path: str  # absolute
    source: str  # the picture it shows, e.g. "s03-coffee"
    family: str  # "original", a family's name, or a hard negative's kind
    group: str | None  # the truth group it belongs in; None: a photo of its own
    exif: str  # "camera", "camera+editor", "none"
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HardNegative:
    """Files that must stay apart: no file of ``a`` in one group with a file of ``b``."""

    kind: str
    a: tuple[str, ...]
    b: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Truth:
    root: str
    files: tuple[File, ...]
    hard_negatives: tuple[HardNegative, ...]

    @property
    def groups(self) -> dict[str, tuple[File, ...]]:
        """Truth group -> its files, the original first."""
        out: dict[str, list[File]] = {}
        for f in self.files:
            if f.group is not None:
                out.setdefault(f.group, []).append(f)
        return {
            g: tuple(sorted(fs, key=lambda f: (f.family != "original", f.path)))
            for g, fs in out.items()
        }

    def keep(self, group: str) -> str:
        """The file that should be kept: the group's original."""
        return self.groups[group][0].path

    def by_path(self) -> dict[str, File]:
        return {f.path: f for f in self.files}

    def to_json(self) -> dict:
        def rel(path: str) -> str:
            return os.path.relpath(path, self.root).replace(os.sep, "/")

        return {
            "files": [
                {**asdict(f), "path": rel(f.path), "params": dict(f.params)} for f in self.files
            ],
            "hard_negatives": [
                {"kind": h.kind, "a": [rel(p) for p in h.a], "b": [rel(p) for p in h.b]}
                for h in self.hard_negatives
            ],
        }


# -- sources --------------------------------------------------------------------------------

_PHOTOS = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "stereo_motorcycle",
    "hubble_deep_field",
    "camera",
)
_SCENE_SIZES = ((1200, 800), (1024, 768), (1600, 1067), (1280, 720), (800, 1200), (960, 1280))
_CAMERAS = (
    ("Canon", "Canon EOS 80D", "DCIM/100CANON", "IMG_{n:04d}.JPG"),
    ("NIKON CORPORATION", "NIKON D750", "DCIM/100NIKON", "DSC_{n:04d}.JPG"),
    ("Apple", "iPhone 13", "DCIM/100APPLE", "IMG_{n:04d}.JPG"),
    ("Google", "Pixel 7", "DCIM/Camera", "PXL_{when}.jpg"),
    ("SONY", "ILCE-7M3", "DCIM/100MSDCF", "DSC{n:05d}.JPG"),
    ("FUJIFILM", "X-T3", "DCIM/100_FUJI", "DSCF{n:04d}.JPG"),
)


def skimage_photo(name: str) -> Image.Image | None:
    """A photograph shipped with scikit-image, in RGB; None without scikit-image."""
    try:
        from skimage import data
    except ImportError:
        return None
    arr = getattr(data, name)()
    arr = arr[0] if isinstance(arr, tuple) else arr  # stereo_motorcycle: (left, right, disparity)
    return Image.fromarray(arr).convert("RGB")


def stereo_right() -> Image.Image:
    """The right camera's view of ``stereo_motorcycle``: another viewpoint of one scene."""
    from skimage import data

    return Image.fromarray(data.stereo_motorcycle()[1]).convert("RGB")


def source_pictures(count: int, seed: int) -> list[tuple[str, Image.Image]]:
    """``count`` pictures: skimage photographs and scenes taking turns (all scenes without
    scikit-image), named ``sNN-what``."""
    rng = np.random.default_rng([seed, 0xC0FFEE])
    photos = [(n, img) for n in _PHOTOS if (img := skimage_photo(n)) is not None]
    out: list[tuple[str, Image.Image]] = []
    for i in range(count):
        if i % 2 == 0 and i // 2 < len(photos):
            name, photo = photos[i // 2]
            out.append((f"s{i + 1:02d}-{name}", photo))
        else:
            seed_i = int(rng.integers(1, 10**6))
            size = _SCENE_SIZES[int(rng.integers(len(_SCENE_SIZES)))]
            out.append((f"s{i + 1:02d}-scene{seed_i}", scene(seed_i, size)))
    return out


# -- writing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Shot:
    """A camera original: its number (which names it and picks its camera) and when."""

    number: int
    taken: datetime

    @property
    def camera(self) -> tuple[str, str, str, str]:
        return _CAMERAS[self.number % len(_CAMERAS)]

    @property
    def rel(self) -> str:
        when = self.taken.strftime("%Y%m%d_%H%M%S%f")[:-3]
        return f"{self.camera[2]}/{self.camera[3].format(n=self.number, when=when)}"

    def exif(self, software: str | None = None) -> bytes:
        make, model = self.camera[:2]
        subsec = f"{self.taken.microsecond // 10000:02d}"
        return exif_bytes(
            taken=self.taken, make=make, model=model, software=software, subsec=subsec
        )


@dataclass(slots=True)
class _Writer:
    root: Path
    files: list[File] = field(default_factory=list)

    def write(self, rel: str, data: bytes, when: datetime, **entry: object) -> str:
        path = self.root / rel
        if path.exists():
            raise FileExistsError(path)  # two files would share a name: a bug here
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stamp = int(when.timestamp() * 1e9)
        os.utime(path, ns=(stamp, stamp))  # copies are younger than their original
        self.files.append(File(path=str(path), **entry))  # type: ignore[arg-type]
        return str(path)

    def original(self, shot: _Shot, made: Made, source: str, group: str | None) -> str:
        params = {**made.params, "size": made.image.size, "camera": shot.camera[1]}
        data = made.encoded(shot.exif())
        return self.write(shot.rel, data, shot.taken, source=source, family="original",
                          group=group, exif="camera", params=params)  # fmt: skip

    def copy(self, family: Family, decoded: Image.Image, shot: _Shot, group: str | None,
             source: str, rng: Rng) -> str:  # fmt: skip
        """A copy made by ``family`` some time after the shot, with the EXIF it keeps."""
        made = family.make(decoded, rng)
        exif, label = None, "none"
        if family.exif != "none" and rng.random() < 0.5:
            editor = str(rng.choice(_EDITORS)) if family.exif == "edit" else None
            exif, label = shot.exif(editor), "camera+editor" if editor else "camera"
        at = shot.taken + timedelta(hours=float(rng.uniform(1, 24 * 400)))
        stem = Path(shot.rel).stem
        when, day = at.strftime("%Y%m%d-%H%M%S"), at.strftime("%Y%m%d")
        rel = family.path.format(stem=stem, n=shot.number, when=when, day=day) + made.ext
        return self.write(rel, made.encoded(exif), at, source=source, family=family.name,
                          group=group, exif=label, params=dict(made.params))  # fmt: skip


def _camera_jpeg(picture: Image.Image, rng: Rng) -> Made:
    quality = int(rng.integers(92, 98))
    return Made(picture, "JPEG", {"quality": quality}, {"quality": quality})


def _source(
    writer: _Writer, index: int, name: str, picture: Image.Image, seed: int
) -> list[HardNegative]:
    """One source: its original, a copy per family, its corner crop (and, for the stereo
    photograph, the other camera's view a minute later)."""
    rng = family_rng(seed, index, "original")
    days, seconds = int(rng.integers(0, 9)), int(rng.integers(0, 36000))
    start = datetime(2019, 4, 1, 9) + timedelta(days=11 * index + days, seconds=seconds)
    shot = _Shot(1001 + index, start + timedelta(microseconds=int(rng.integers(0, 10**6))))
    made = _camera_jpeg(picture, rng)
    members = [writer.original(shot, made, name, name)]
    with Image.open(members[0]) as written:  # copies are made from the file, as people do
        decoded = written.convert("RGB")
    for family in NEAR:
        rng = family_rng(seed, index, family.name)
        members.append(writer.copy(family, decoded, shot, name, name, rng))
    corner = writer.copy(CORNER, decoded, shot, None, name, family_rng(seed, index, CORNER.name))
    negatives = [HardNegative("corner_third", (corner,), tuple(members))]
    if name.endswith("stereo_motorcycle"):
        other = _Shot(shot.number + 500, shot.taken + timedelta(seconds=int(rng.integers(20, 90))))
        right = writer.original(other, _camera_jpeg(stereo_right(), rng), name + "-right", None)
        negatives.append(HardNegative("stereo_viewpoints", (right,), tuple(members)))
    return negatives


def _pairs(writer: _Writer, kind: str, index: int, seed: int) -> HardNegative:
    """Two pictures of one made-up world (a panorama's halves, or two viewpoints), written
    as two camera originals 3-8 s apart (more than a burst's 2 s)."""
    rng = family_rng(seed, index, kind)
    halves = kind == "panorama_halves"
    world = scene(int(rng.integers(10**6, 2 * 10**6)), (1600, 640) if halves else (2000, 1200))
    made = (panorama_halves if halves else viewpoints)(world, rng)
    days, seconds = 3 * index + (0 if halves else 40), int(rng.integers(0, 30000))
    taken = datetime(2023, 6, 1, 10) + timedelta(days=days, seconds=seconds)
    number, gap = 3001 + 2 * index + (0 if halves else 200), int(rng.integers(3, 9))
    paths = []
    for k, part in enumerate(made):
        micro = int(rng.integers(0, 10**6))
        shot = _Shot(number + k, taken + timedelta(seconds=k * gap, microseconds=micro))
        paths.append(writer.original(shot, part, f"{kind}{index + 1}-{k}", None))
    return HardNegative(kind, (paths[0],), (paths[1],))


def build(root: Path, *, sources: int, seed: int, negatives: int | None = None) -> Truth:
    """Write the corpus under ``root`` and return its truth: for each of ``sources`` pictures
    an original and a copy per family (one truth group each) and a corner crop (a photo of
    its own); and ``negatives`` (default: a third of ``sources``, at least one) panoramas cut
    in halves and as many scenes seen from two viewpoints."""
    root = Path(root)
    writer = _Writer(root)
    hard: list[HardNegative] = []
    for index, (name, picture) in enumerate(source_pictures(sources, seed)):
        hard += _source(writer, index, name, picture, seed)
    count = max(1, sources // 3) if negatives is None else negatives
    for kind in ("panorama_halves", "viewpoints"):
        hard += [_pairs(writer, kind, index, seed) for index in range(count)]
    return Truth(str(root), tuple(writer.files), tuple(hard))
