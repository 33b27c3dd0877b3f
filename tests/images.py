"""Photos made for tests: textured scenes drawn with numpy and Pillow, their variants, and the
bad files a real library holds. Deterministic for a seed; no binary files in the repository."""

from __future__ import annotations

import io
import os
import shutil
import struct
import zlib
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

EXIF_IFD = 0x8769


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like RGB image: a smooth gradient sky, random shapes, and fine texture."""
    rng = np.random.default_rng(seed)
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.empty((height, width, 3), np.float32)
    for channel in range(3):
        a, b, c = rng.uniform(-1, 1, 3)
        base[..., channel] = 128 + 60 * (a * xx / width + b * yy / height) + 20 * c
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(14):
        x0, x1 = sorted(rng.integers(0, width, 2))
        y0, y1 = sorted(rng.integers(0, height, 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1 + 8, y1 + 8), fill=fill)
        else:
            draw.rectangle((x0, y0, x1 + 8, y1 + 8), fill=fill)
    grain = rng.normal(0, 10, (height, width, 3))
    textured = np.asarray(img, np.float32) + grain
    return Image.fromarray(np.clip(textured, 0, 255).astype(np.uint8), "RGB").filter(
        ImageFilter.GaussianBlur(0.6)
    )


def exif_bytes(
    *,
    taken: datetime | None = None,
    make: str | None = None,
    model: str | None = None,
    software: str | None = None,
    orientation: int | None = None,
    subsec: str | None = None,
) -> bytes:
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if software:
        exif[0x0131] = software
    if orientation:
        exif[0x0112] = orientation
    if taken or subsec:
        sub = exif.get_ifd(EXIF_IFD)
        if taken:
            sub[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if subsec:
            sub[0x9291] = subsec
    return exif.tobytes()


def save(img: Image.Image, path: str | os.PathLike[str] | bytes, fmt: str = "JPEG", **kw) -> Path:
    """Save ``img`` to ``path`` (folders made as needed) and return the path."""
    if isinstance(path, bytes):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            img.save(fh, fmt, **kw)
        return Path(os.fsdecode(path))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "JPEG":
        kw.setdefault("quality", 92)
    img.save(path, fmt, **kw)
    return path


def encoded(img: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb)."""
    small = encoded(Image.new("L", (1, 1)), "PNG")
    ihdr_at = small.index(b"IHDR")
    header = struct.pack(">II", width, height) + small[ihdr_at + 12 : ihdr_at + 17]
    chunk = b"IHDR" + header
    crc = struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    return small[: ihdr_at - 4] + struct.pack(">I", 13) + chunk + crc + small[ihdr_at + 21 :]


def blurred(img: Image.Image, radius: float = 2.0) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(radius))


def resized(img: Image.Image, factor: float) -> Image.Image:
    return img.resize((round(img.width * factor), round(img.height * factor)), Image.LANCZOS)


def scenes_with_copies(root, seeds=(1, 2)) -> None:
    """Under ``root``: for each seed a scene (``s{seed}/orig.jpg``) with a 75% copy
    (``small.jpg``) and a mirrored copy (``mirror.jpg``); and a byte-identical copy of the
    first scene in ``copies/s{first}.jpg``."""
    root = Path(root)
    for seed in seeds:
        original = scene(seed, (320, 240))
        save(original, root / f"s{seed}/orig.jpg")
        save(resized(original, 0.75), root / f"s{seed}/small.jpg")
        save(ImageOps.mirror(original), root / f"s{seed}/mirror.jpg")
    (root / "copies").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / f"s{seeds[0]}/orig.jpg", root / f"copies/s{seeds[0]}.jpg")
