"""The demo collection behind ``photosift demo``: a small, made-up photo folder in which the
product has something to find, judge and tidy, built from the real photos shipped in
``tui/demo_photos`` (public domain and CC0, see its SOURCES.md).

This module owns the collection and nothing else: which files it holds, where, with which
edits, EXIF and modification times (``build_demo``), the marker that says a folder is ours
(``MARKER``), the README put in it, and the folder it goes to by default (``default_demo_dir``).
Scanning it and showing the groups is the app's work.

What is in it, derived at build time with Pillow from four shipped photos (``FILES``):

* a honey bee shot with a Nikon D50 (its real EXIF): a burst of five frames, the sharp one
  the original, with a backup copy, a WhatsApp re-save and a half-size export;
* a dandelion phone photo: a copy, a WhatsApp re-save, a mirror, a crop, a turn, a half-size
  wallpaper and an "AI upscale" named the way Upscayl names its output;
* a cat: two backup copies, a WhatsApp re-save, a turn and a mirror;
* two photos that belong to no group: a rocket launch, and a detail cut from the bee photo.

Deterministic: the same bytes and times on every build. Must not import textual (the command
line and the tests use it without a terminal); Pillow and numpy are imported only to build.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from core import __version__
from core.errors import PhotosiftError
from core.paths import printable

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Exif
    from PIL.Image import Image as PILImage

MARKER = ".photosift-demo"
README_NAME = "README.txt"
DEMO_README = """\
photosift demo collection
=========================

This folder was made by `photosift demo` to show what photosift does on real photos,
without touching yours. It looks like a photo folder that grew over the years: camera
originals, a backup, WhatsApp re-saves, exports, edits, a burst and an AI upscale.

Every photo here was derived from four photographs shipped with photosift:

  honey bee on an aster   John Severns, public domain (KDE Palapeli's puzzles)
  dandelion seed heads    Clemens Engelhardt, CC0 1.0 (Lomiri wallpapers)
  Chelsea the cat         Stefan van der Walt, CC0 (scikit-image sample data)
  DSCOVR launch           SpaceX, public domain (scikit-image sample data)

You can delete this whole folder at any time: `photosift demo` makes it again.
Running `photosift demo` again replaces it with a fresh copy, and anything put in it
since goes with it.
"""

_EXIF_IFD = 0x8769
_TAG_ORIENTATION, _TAG_DATETIME = 0x0112, 0x0132
_TAG_TAKEN, _TAG_DIGITIZED = 0x9003, 0x9004
_TAG_SUBSEC_TAKEN, _TAG_SUBSEC_DIGITIZED = 0x9291, 0x9292
_TAG_PIXEL_X, _TAG_PIXEL_Y = 0xA002, 0xA003

# Shipped photos (tui/demo_photos)
BEE, DANDELION, CAT, ROCKET = "honey-bee.jpg", "dandelion.jpg", "chelsea.jpg", "rocket.jpg"


def _at(text: str) -> datetime:
    """A time of the collection, fixed in UTC so the build is the same in every time zone."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DemoFile:
    """One file of the collection: where it goes (below the root, with "/"), which shipped
    photo it comes from, the edit that made it, and its modification time."""

    path: str
    photo: str
    edit: str  # one of _EDITS
    mtime: datetime
    params: dict[str, Any] = field(default_factory=dict)


def _file(path: str, photo: str, edit: str, when: str | datetime, **params: Any) -> DemoFile:
    return DemoFile(path, photo, edit, _at(when) if isinstance(when, str) else when, params)


# The bee's burst: the original is the middle frame (its real EXIF says 12:00:46.000); the
# other four were shot 0.3-0.4 s apart, the camera moved a little and the hand shook.
# (path, seconds from the original, where the frame's window sits in the free margin
# (x, y out of 25), motion blur in pixels, its direction in degrees)
_BEE_TAKEN = datetime(2006, 10, 1, 12, 0, 46)
_FRAMES = (
    ("DCIM/100NIKON/DSC_4410.JPG", -0.62, (4, 22), 7, 20.0),
    ("DCIM/100NIKON/DSC_4411.JPG", -0.31, (18, 6), 5, -15.0),
    ("DCIM/100NIKON/DSC_4413.JPG", 0.34, (2, 9), 6, 35.0),
    ("DCIM/100NIKON/DSC_4414.JPG", 0.71, (21, 17), 8, 5.0),
)
_PHONE = "IMG_20230521_194512"  # the dandelion's name on the phone

FILES: tuple[DemoFile, ...] = (
    # -- the honey bee: a Nikon D50 original with its real EXIF, and a burst around it --
    _file("DCIM/100NIKON/DSC_4412.JPG", BEE, "original", "2006-10-01 12:00:46"),
    *(
        _file(
            path,
            BEE,
            "frame",
            _at("2006-10-01 12:00:46") + timedelta(seconds=offset),
            offset=offset,
            shift=shift,
            blur=blur,
            angle=angle,
        )
        for path, offset, shift, blur, angle in _FRAMES
    ),
    _file("Backup 2019/DCIM/100NIKON/DSC_4412.JPG", BEE, "copy", "2019-02-03 21:14:05"),
    _file("WhatsApp/IMG-20190714-WA0012.jpg", BEE, "resave", "2019-07-14 18:02:31"),
    _file("Exports/bee_web.jpg", BEE, "half", "2020-04-18 10:40:12"),
    # -- the dandelion: a phone photo, its copies, edits and an AI upscale --
    _file(f"Camera/{_PHONE}.jpg", DANDELION, "original", "2023-05-21 19:45:12"),
    _file(f"Desktop/to sort/{_PHONE}.jpg", DANDELION, "copy", "2023-11-02 08:31:40"),
    _file("WhatsApp/IMG-20230522-WA0003.jpg", DANDELION, "resave", "2023-05-22 07:58:19"),
    _file(f"Edits/{_PHONE}-edited.jpg", DANDELION, "mirror", "2023-05-23 12:00:09"),
    _file("Edits/dandelion crop.jpg", DANDELION, "crop", "2023-05-23 12:04:51"),
    _file("Wallpapers/dandelion_800.jpg", DANDELION, "half", "2023-06-01 22:10:03"),
    _file("Wallpapers/phone/dandelion.jpg", DANDELION, "rotate", "2023-06-01 22:12:26"),
    _file(
        f"Desktop/to sort/{_PHONE}_upscayl_4x_realesrgan.jpg",
        DANDELION,
        "upscale",
        "2024-06-11 20:47:55",
    ),
    # -- the cat: a phone photo from 2018, backed up twice, sent, turned and mirrored --
    _file("Camera/IMG_0815.JPG", CAT, "original", "2018-03-14 09:26:53"),
    _file("Backup 2019/Camera/IMG_0815.JPG", CAT, "copy", "2019-02-03 21:14:07"),
    _file("Google Photos/2018/IMG_0815.JPG", CAT, "copy", "2022-08-30 14:51:16"),
    _file("WhatsApp/IMG-20180314-WA0001.jpg", CAT, "resave", "2018-03-14 09:41:02"),
    _file("Edits/IMG_0815_rotated.jpg", CAT, "rotate", "2018-03-15 20:12:44"),
    _file("Desktop/to sort/IMG_0815 (2).jpg", CAT, "mirror", "2020-12-24 17:05:33"),
    # -- alone: another photo, and a detail too small a part of its photo to be a copy --
    _file("Downloads/dscovr-launch.jpg", ROCKET, "original", "2015-02-12 09:03:27"),
    _file(
        "Wallpapers/purple aster.jpg",
        BEE,
        "detail",
        "2020-04-18 10:52:37",
        box=(0.68, 0.30, 1.0, 0.80),
    ),
)


def photo_files() -> list[str]:
    """The names of the shipped photos."""
    return sorted({f.photo for f in FILES})


def default_demo_dir() -> str:
    """Where ``photosift demo`` builds the collection unless told otherwise: photosift's
    cache folder (e.g. ~/.cache/photosift/demo), since it can be made again at any time."""
    return os.path.join(platformdirs.user_cache_dir("photosift"), "demo")


def build_demo(
    folder: str | os.PathLike[str],
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> str:
    """Make the demo collection in ``folder`` and return its root (``folder``, absolute).

    ``folder`` may be missing, empty, or an earlier demo collection (it has the ``MARKER``
    file): that one is replaced, whatever was added to it since. A folder holding anything
    else is refused with a PhotosiftError, and so is a path that is not a folder.
    ``on_progress(done, total)`` is called after each file written."""
    root = Path(os.path.abspath(os.path.expanduser(os.fspath(folder))))
    _prepare(root)
    (root / MARKER).write_text(
        f"photosift {__version__} demo collection; `photosift demo` replaces this folder.\n",
        encoding="utf-8",
    )
    total = len(FILES) + 1
    builder = _Builder()
    for done, item in enumerate(FILES, 1):
        target = root.joinpath(*item.path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(builder.make(item))
        stamp = item.mtime.timestamp()
        os.utime(target, (stamp, stamp))
        if on_progress:
            on_progress(done, total)
    readme = root / README_NAME
    readme.write_text(DEMO_README, encoding="utf-8")
    stamp = max(f.mtime for f in FILES).timestamp()
    for path in (readme, root / MARKER):
        os.utime(path, (stamp, stamp))
    if on_progress:
        on_progress(total, total)
    return str(root)


def _prepare(root: Path) -> None:
    """``root`` made, or emptied if it holds an earlier demo; refused if it holds anything
    that is not ours."""
    shown = printable(str(root))
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise PhotosiftError(f"{shown} is not a folder; choose another place for the demo")
    if not root.exists():
        root.mkdir(parents=True)
        return
    entries = list(root.iterdir())
    if not entries:
        return
    if not (root / MARKER).is_file():
        raise PhotosiftError(
            f"{shown} already holds files that are not photosift's demo; "
            "give an empty or new folder for the demo"
        )
    for entry in entries:  # the marker last: an interrupted clean-up is still ours
        if entry.name == MARKER:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _shipped() -> Iterator[tuple[str, bytes]]:
    folder = resources.files("tui") / "demo_photos"
    for name in photo_files():
        yield name, (folder / name).read_bytes()


class _Builder:
    """Makes each file's bytes from the shipped photos, decoding each photo once."""

    def __init__(self) -> None:
        self.raw = dict(_shipped())
        self._decoded: dict[str, PILImage] = {}

    def image(self, name: str) -> PILImage:
        if name not in self._decoded:
            import io

            from PIL import Image

            im = Image.open(io.BytesIO(self.raw[name]))
            im.load()
            self._decoded[name] = im if im.mode == "RGB" else im.convert("RGB")
        return self._decoded[name]

    def exif(self, name: str) -> Exif:
        """A fresh, editable copy of the shipped photo's EXIF (empty if it has none)."""
        from PIL import Image

        exif = Image.Exif()
        data = self.image(name).info.get("exif")
        if data:
            exif.load(data)
        return exif

    def make(self, item: DemoFile) -> bytes:
        edit = _EDITS[item.edit]
        return edit(self, item)


def _encode(
    img: PILImage, quality: int, exif: Exif | None = None, icc: bytes | None = None
) -> bytes:
    import io

    out = io.BytesIO()
    options: dict[str, Any] = {"quality": quality}
    if exif is not None and len(exif):
        exif[_TAG_ORIENTATION] = 1
        sub = exif.get_ifd(_EXIF_IFD)
        if _TAG_PIXEL_X in sub:
            sub[_TAG_PIXEL_X], sub[_TAG_PIXEL_Y] = img.size
        options["exif"] = exif.tobytes()
    if icc:
        options["icc_profile"] = icc
    img.save(out, "JPEG", **options)
    return out.getvalue()


def _icc(b: _Builder, item: DemoFile) -> bytes | None:
    return b.image(item.photo).info.get("icc_profile")


def _original(b: _Builder, item: DemoFile) -> bytes:
    return b.raw[item.photo]


def _resave(b: _Builder, item: DemoFile) -> bytes:
    """What a messenger sends: re-encoded at a low quality, EXIF gone."""
    return _encode(b.image(item.photo), 55)


def _half(b: _Builder, item: DemoFile) -> bytes:
    """A half-size export for the web (EXIF stripped, as most exporters do)."""
    from PIL import Image

    img = b.image(item.photo)
    small = img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS)
    return _encode(small, 88, icc=_icc(b, item))


def _crop(b: _Builder, item: DemoFile) -> bytes:
    """About 8% cut off every border, in an editor that keeps the EXIF."""
    img = b.image(item.photo)
    w, h = img.size
    dx, dy = round(w * 0.08), round(h * 0.08)
    return _encode(img.crop((dx, dy, w - dx, h - dy)), 90, b.exif(item.photo), _icc(b, item))


def _mirror(b: _Builder, item: DemoFile) -> bytes:
    from PIL import ImageOps

    return _encode(ImageOps.mirror(b.image(item.photo)), 90, b.exif(item.photo), _icc(b, item))


def _rotate(b: _Builder, item: DemoFile) -> bytes:
    from PIL import Image

    turned = b.image(item.photo).transpose(Image.Transpose.ROTATE_90)
    return _encode(turned, 90, b.exif(item.photo), _icc(b, item))


def _upscale(b: _Builder, item: DemoFile) -> bytes:
    """An "AI upscale" of a small copy: a quarter of the size, blown up 4x again and
    sharpened, as an upscaler run on a WhatsApp thumbnail would give."""
    from PIL import Image, ImageFilter

    img = b.image(item.photo)
    small = img.resize((img.width // 4, img.height // 4), Image.Resampling.LANCZOS)
    big = small.resize((small.width * 4, small.height * 4), Image.Resampling.LANCZOS)
    big = big.filter(ImageFilter.UnsharpMask(radius=2, percent=120, threshold=2))
    return _encode(big, 92)


def _detail(b: _Builder, item: DemoFile) -> bytes:
    """A small part of the photo, cut out as a wallpaper: a photo of its own."""
    img = b.image(item.photo)
    left, top, right, bottom = item.params["box"]
    w, h = img.size
    box = (round(w * left), round(h * top), round(w * right), round(h * bottom))
    return _encode(img.crop(box), 90)


def _frame(b: _Builder, item: DemoFile) -> bytes:
    """Another frame of the burst: the camera moved a little (a 2.5% smaller window, shifted)
    and, the hand shaking, the frame is blurred along a line. Same camera EXIF, its own
    capture time to the millisecond."""
    import numpy as np
    from PIL import Image

    img = b.image(item.photo)
    w, h = img.size
    margin = 0.025
    cw, ch = round(w * (1 - margin)), round(h * (1 - margin))
    sx, sy = item.params["shift"]  # where the window sits, in 1/25 of the free margin
    left, top = round((w - cw) * sx / 25), round((h - ch) * sy / 25)
    frame = np.asarray(img.crop((left, top, left + cw, top + ch)), np.float32)
    frame = _motion_blur(frame, item.params["blur"], item.params["angle"])
    out = Image.fromarray(np.clip(frame + 0.5, 0, 255).astype(np.uint8), img.mode)
    exif = b.exif(item.photo)
    taken = _BEE_TAKEN + timedelta(seconds=item.params["offset"])
    stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
    subsec = f"{taken.microsecond // 1000:03d}"
    exif[_TAG_DATETIME] = stamp
    sub = exif.get_ifd(_EXIF_IFD)
    sub[_TAG_TAKEN] = sub[_TAG_DIGITIZED] = stamp
    sub[_TAG_SUBSEC_TAKEN] = sub[_TAG_SUBSEC_DIGITIZED] = subsec
    return _encode(out, 92, exif, _icc(b, item))


def _motion_blur(pixels: np.ndarray, length: int, angle: float) -> np.ndarray:
    """The mean of ``length`` copies shifted along a line at ``angle`` degrees (edges
    repeated): the smear of a camera moving during the exposure."""
    import math

    import numpy as np

    pad = length
    padded = np.pad(pixels, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    h, w = pixels.shape[:2]
    total = np.zeros_like(pixels)
    for step in range(length):
        t = step - (length - 1) / 2
        dx = round(t * math.cos(math.radians(angle)))
        dy = round(t * math.sin(math.radians(angle)))
        total += padded[pad + dy : pad + dy + h, pad + dx : pad + dx + w]
    return total / length


_EDITS: dict[str, Callable[[_Builder, DemoFile], bytes]] = {
    "original": _original,
    "copy": _original,
    "resave": _resave,
    "half": _half,
    "crop": _crop,
    "mirror": _mirror,
    "rotate": _rotate,
    "upscale": _upscale,
    "detail": _detail,
    "frame": _frame,
}
