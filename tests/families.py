"""A corpus of near-duplicate families, with its truth: the measuring instrument of matching.

What counts as the same photo (the README's definition): crops that keep at least half of the
picture, resizes, turns up to ~10 degrees and the 90-degree family, flips, a slight perspective
correction, tone and colour edits, overlays covering up to ~15%, re-encodes, and screenshots
that show the photo. A crop keeping less than about a third is a different picture; two
viewpoints of a scene and two halves of a panorama are not near-duplicates either.

Each family is ``(source, rng) -> Made``: the picture and how to encode it (``Made.encoded()``
gives the bytes, ``Made.ext`` the extension) with the parameters it drew from ``rng``, within
the ranges its docstring states. ``build`` writes, for each source picture (``skimage.data``
photographs when scikit-image is installed, mixed with ``tests.images.scene`` drawings), a
camera-like original and one copy per family into realistic folders, plus the hard negatives,
and returns the ``Truth``. Deterministic for a seed. Imports nothing from photosift's engine.

Make a corpus on disk to look at: ``python -m tests.families OUT --sources 12 --seed 1``.
"""

from __future__ import annotations

import io
import json
import math
import os
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from tests.images import exif_bytes, scene

Rng = np.random.Generator
Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Made:
    """A family's output: ``image`` saved as ``fmt`` with ``options``, and what was drawn."""

    image: Image.Image
    fmt: str = "JPEG"
    options: Mapping[str, object] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def ext(self) -> str:
        return {"JPEG": ".jpg", "WEBP": ".webp", "PNG": ".png"}[self.fmt]

    def encoded(self, exif: bytes | None = None) -> bytes:
        buf = io.BytesIO()
        options = dict(self.options)
        if exif and self.fmt in ("JPEG", "WEBP"):
            options["exif"] = exif
        self.image.save(buf, self.fmt, **options)
        return buf.getvalue()


def _jpeg(img: Image.Image, rng: Rng, **params: object) -> Made:
    """An editor's export: JPEG at quality 86-95."""
    quality = int(rng.integers(86, 96))
    return Made(img, "JPEG", {"quality": quality}, {**params, "quality": quality})


def _share(box: Box, size: tuple[int, int]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1]) / (size[0] * size[1])


def _box_of_share(size: tuple[int, int], share: float, rng: Rng, spread: float) -> tuple[int, int]:
    """Width and height of a box of ``share`` of ``size``'s area, its aspect the picture's
    times up to exp(+-spread), never larger than the picture; rounded down."""
    width, height = size
    aspect = width / height * math.exp(rng.uniform(-spread, spread))
    area = share * width * height
    bw = min(width, math.sqrt(area * aspect))
    bh = min(height, area / bw)
    bw = min(width, area / bh)
    return int(bw), int(bh)


# -- crops and turns ------------------------------------------------------------------------


def crop_side(src: Image.Image, rng: Rng) -> Made:
    """15-45% removed from one side (left, right, top or bottom)."""
    width, height = src.size
    side = str(rng.choice(["left", "right", "top", "bottom"]))
    cut = float(rng.uniform(0.15, 0.45))
    dx, dy = (int(width * cut), 0) if side in ("left", "right") else (0, int(height * cut))
    box = {
        "left": (dx, 0, width, height),
        "right": (0, 0, width - dx, height),
        "top": (0, dy, width, height),
        "bottom": (0, 0, width, height - dy),
    }[side]
    return _jpeg(
        src.crop(box), rng, side=side, cut=round(cut, 3), box=box, share=_share(box, src.size)
    )


def crop_square(src: Image.Image, rng: Rng) -> Made:
    """The centre square: the short side's (keeping short / long of the area), or of a square
    picture a centre square keeping 55-85%; of a picture wider than 2:1, its middle half."""
    width, height = src.size
    box_w = box_h = min(width, height)
    if box_w * box_h > 0.9 * width * height:  # square already: a tighter square
        box_w = box_h = int(math.sqrt(rng.uniform(0.55, 0.85) * width * height))
    elif box_w * box_h < 0.5 * width * height:
        wide = width > height
        box_w, box_h = (math.ceil(width / 2), height) if wide else (width, math.ceil(height / 2))
    x0, y0 = (width - box_w) // 2, (height - box_h) // 2
    box = (x0, y0, x0 + box_w, y0 + box_h)
    return _jpeg(src.crop(box), rng, box=box, share=_share(box, src.size))


def crop_box(src: Image.Image, rng: Rng) -> Made:
    """Any box keeping 50-85% of the area, its aspect within exp(+-0.35) of the picture's,
    anywhere."""
    share = float(rng.uniform(0.5, 0.85))
    bw, bh = _box_of_share(src.size, share, rng, 0.35)
    if bw * bh < 0.5 * src.width * src.height:  # rounding down lost the last pixels
        bw, bh = min(src.width, bw + 1), min(src.height, bh + 1)
    x0 = int(rng.integers(0, src.width - bw + 1))
    y0 = int(rng.integers(0, src.height - bh + 1))
    box = (x0, y0, x0 + bw, y0 + bh)
    return _jpeg(src.crop(box), rng, box=box, share=_share(box, src.size))


def corner_third(src: Image.Image, rng: Rng) -> Made:
    """Hard negative: a corner box keeping 18-33% of the area (a detail someone chose)."""
    share = float(rng.uniform(0.18, 1 / 3))
    bw, bh = _box_of_share(src.size, share, rng, 0.3)
    corner = str(rng.choice(["top-left", "top-right", "bottom-left", "bottom-right"]))
    x0 = 0 if corner.endswith("left") else src.width - bw
    y0 = 0 if corner.startswith("top") else src.height - bh
    box = (x0, y0, x0 + bw, y0 + bh)
    return _jpeg(src.crop(box), rng, corner=corner, box=box, share=_share(box, src.size))


def rotate_small(src: Image.Image, rng: Rng) -> Made:
    """Turned 1-10 degrees either way, cropped to the largest box of the picture's aspect
    that has no empty corner."""
    angle = float(rng.uniform(1, 10)) * (1 if rng.random() < 0.5 else -1)
    width, height = src.size
    sin, cos = abs(math.sin(math.radians(angle))), math.cos(math.radians(angle))
    scale = min(width / (width * cos + height * sin), height / (width * sin + height * cos))
    turned = src.rotate(angle, resample=Image.BICUBIC)
    bw, bh = int(width * scale) - 2, int(height * scale) - 2
    x0, y0 = (width - bw) // 2, (height - bh) // 2
    box = (x0, y0, x0 + bw, y0 + bh)
    return _jpeg(turned.crop(box), rng, angle=round(angle, 2), share=_share(box, src.size))


def rotate_90(src: Image.Image, rng: Rng) -> Made:
    """Turned 90, 180 or 270 degrees (pixels turned, no EXIF orientation)."""
    degrees = int(rng.choice([90, 180, 270]))
    turn = {90: Image.ROTATE_90, 180: Image.ROTATE_180, 270: Image.ROTATE_270}[degrees]
    return _jpeg(src.transpose(turn), rng, degrees=degrees)


def mirror(src: Image.Image, rng: Rng) -> Made:
    """Flipped left-right (80%) or upside down (20%)."""
    axis = "horizontal" if rng.random() < 0.8 else "vertical"
    flip = Image.FLIP_LEFT_RIGHT if axis == "horizontal" else Image.FLIP_TOP_BOTTOM
    return _jpeg(src.transpose(flip), rng, axis=axis)


def perspective(src: Image.Image, rng: Rng) -> Made:
    """A slight perspective correction: each corner of the picture moved 1-6% of the width and
    height inwards, the quad they make stretched back to the full frame."""
    width, height = src.size
    moved = rng.uniform(0.01, 0.06, (4, 2))  # of the width, of the height
    corners = np.array([[0, 0], [0, height], [width, height], [width, 0]], float)
    signs = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]])
    quad = corners + signs * moved * (width, height)  # upper-left, lower-left, lower-right, ...
    out = src.transform(src.size, Image.QUAD, tuple(quad.ravel()), Image.BICUBIC)
    return _jpeg(out, rng, inset=np.round(moved, 3).tolist())


# -- tone and colour ------------------------------------------------------------------------


def clahe(src: Image.Image, rng: Rng) -> Made:
    """Local contrast: CLAHE on the lightness, clip limit 1.5-4, a 4-12 tile grid."""
    import cv2

    clip, tiles = float(rng.uniform(1.5, 4.0)), int(rng.integers(4, 13))
    lab = cv2.cvtColor(np.asarray(src), cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=clip, tileGridSize=(tiles, tiles)).apply(lab[..., 0])
    out = Image.fromarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))
    return _jpeg(out, rng, clip=round(clip, 2), tiles=tiles)


def hdr(src: Image.Image, rng: Rng) -> Made:
    """An 'HDR look': unsharp mask of radius 1.5-5% of the long side at 60-160%, colour
    boosted 1.05-1.3x."""
    radius = float(rng.uniform(0.015, 0.05)) * max(src.size)
    percent, colour = int(rng.integers(60, 161)), float(rng.uniform(1.05, 1.3))
    out = src.filter(ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=0))
    out = ImageEnhance.Color(out).enhance(colour)
    return _jpeg(out, rng, radius=round(radius, 1), percent=percent, colour=round(colour, 2))


def vignette(src: Image.Image, rng: Rng) -> Made:
    """Corners darkened by 25-60%, falloff power 1.5-3, centre moved up to 10%."""
    strength, power = float(rng.uniform(0.25, 0.6)), float(rng.uniform(1.5, 3.0))
    cx, cy = rng.uniform(-0.1, 0.1, 2)
    height, width = src.height, src.width
    yy, xx = np.mgrid[-1 : 1 : height * 1j, -1 : 1 : width * 1j]
    radius = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / math.sqrt(2)
    gain = np.clip(1 - strength * radius**power, 0, 1)[..., None]
    out = np.clip(np.asarray(src, np.float32) * gain, 0, 255).astype(np.uint8)
    return _jpeg(Image.fromarray(out), rng, strength=round(strength, 2), power=round(power, 2))


_SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])


def _filtered(name: str, arr: np.ndarray) -> np.ndarray:
    grey = arr @ np.array([0.299, 0.587, 0.114])
    if name == "warm":
        return arr * (1.08, 1.0, 0.88) + (10, 4, 0)
    if name == "cool":
        return arr * (0.88, 1.0, 1.08) + (0, 4, 10)
    if name == "sepia":
        return arr @ _SEPIA.T
    if name == "mono":
        return np.repeat(grey[..., None], 3, axis=2)
    if name == "faded":
        return (0.7 * arr + 0.3 * grey[..., None]) * 0.8 + 40
    return grey[..., None] + 1.5 * (arr - grey[..., None])  # vivid


def colour_filter(src: Image.Image, rng: Rng) -> Made:
    """A filter (warm, cool, sepia, mono, faded or vivid) at 60-100% strength."""
    name = str(rng.choice(["warm", "cool", "sepia", "mono", "faded", "vivid"]))
    strength = float(rng.uniform(0.6, 1.0))
    arr = np.asarray(src, np.float32)
    out = (1 - strength) * arr + strength * _filtered(name, arr)
    picture = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    return _jpeg(picture, rng, filter=name, strength=round(strength, 2))


# -- overlays and frames --------------------------------------------------------------------

_WORDS = (
    "Summer 2023", "Best day ever!", "Guess where we are", "Happy birthday Anna",
    "Morning walk", "miss you all", "Sunday vibes", "Look what I found", "Home sweet home",
)  # fmt: skip
_MARKS = ("(c) J. Doe Photography", "SAMPLE", "@wanderlust.pics", "PROOF - not for sale", "mk")


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def _colour(rng: Rng) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(0, 256, 3))  # type: ignore[return-value]


_WHITE, _BROWN = (255, 255, 255), (60, 40, 0)


def _draw_sticker(draw: ImageDraw.ImageDraw, shape: str, box: Box, rng: Rng) -> None:
    x0, y0, x1, y1 = box
    w, h, cx, cy = x1 - x0, y1 - y0, (x0 + x1) / 2, (y0 + y1) / 2
    if shape == "face":
        draw.ellipse(box, fill=(255, 204, 51), outline=_BROWN, width=max(1, w // 40))
        for ex in (x0 + w / 3, x0 + 2 * w / 3):
            draw.ellipse((ex - w / 14, y0 + 0.35 * h, ex + w / 14, y0 + 0.5 * h), fill=_BROWN)
        mouth = (x0 + w / 4, y0 + h / 3, x1 - w / 4, y1 - h / 6)
        draw.arc(mouth, 20, 160, fill=_BROWN, width=max(2, w // 25))
    elif shape == "star":
        radii = [min(w, h) / 2 * (1 if k % 2 == 0 else 0.45) for k in range(10)]
        points = [
            (cx + r * math.sin(k * math.pi / 5), cy - r * math.cos(k * math.pi / 5))
            for k, r in enumerate(radii)
        ]
        draw.polygon(points, fill=_colour(rng), outline=_WHITE)
    else:  # a label with a word on it
        draw.rounded_rectangle(box, h // 4, fill=_colour(rng), outline=_WHITE, width=h // 20 + 1)
        word = str(rng.choice(["LOL", "WOW", "<3", "OMG", "NEW"]))
        draw.text((cx, cy), word, fill=_WHITE, font=_font(int(h * 0.55)), anchor="mm")


def sticker(src: Image.Image, rng: Rng) -> Made:
    """One sticker (a smiley, a star, or a label with a word) whose box covers 3-15% of the
    picture, anywhere inside it."""
    shape = str(rng.choice(["face", "star", "label"]))
    share = float(rng.uniform(0.03, 0.15))
    area = share * src.width * src.height
    aspect = 2.2 if shape == "label" else 1.0
    bw = int(min(src.width * 0.95, math.sqrt(area * aspect)))
    bh = int(min(src.height * 0.95, area / bw))
    x0, y0 = int(rng.integers(0, src.width - bw + 1)), int(rng.integers(0, src.height - bh + 1))
    box = (x0, y0, x0 + bw, y0 + bh)
    out = src.copy()
    _draw_sticker(ImageDraw.Draw(out), shape, box, rng)
    return _jpeg(out, rng, shape=shape, box=box, share=_share(box, src.size))


def _overlaid(src: Image.Image, paint: Callable[[ImageDraw.ImageDraw], None]) -> Image.Image:
    """``src`` with what ``paint`` draws (with alpha) on a layer over it."""
    layer = Image.new("RGBA", src.size, (0, 0, 0, 0))
    paint(ImageDraw.Draw(layer))
    return Image.alpha_composite(src.convert("RGBA"), layer).convert("RGB")


def caption(src: Image.Image, rng: Rng) -> Made:
    """A caption bar over the top or bottom 8-15% of the picture (solid black or white, or
    translucent black at 55-85%), with a line of text."""
    share, place = float(rng.uniform(0.08, 0.15)), str(rng.choice(["top", "bottom"]))
    style = str(rng.choice(["black", "white", "translucent"]))
    bar = max(1, round(share * src.height))
    y0 = 0 if place == "top" else src.height - bar
    box = (0, y0, src.width, y0 + bar)
    fill = {"black": (0, 0, 0, 255), "white": (255, 255, 255, 255)}.get(style)
    fill = fill or (0, 0, 0, int(255 * rng.uniform(0.55, 0.85)))
    ink = (0, 0, 0, 255) if style == "white" else (255, 255, 255, 255)
    text, font = str(rng.choice(_WORDS)), _font(int(bar * 0.5))

    def paint(draw: ImageDraw.ImageDraw) -> None:
        draw.rectangle(box, fill=fill)
        draw.text((src.width / 2, y0 + bar / 2), text, fill=ink, font=font, anchor="mm")

    share = _share(box, src.size)
    return _jpeg(_overlaid(src, paint), rng, place=place, style=style, box=box, share=share)


def _mark_font(src: Image.Image, text: str, mode: str, rng: Rng) -> ImageFont.FreeTypeFont:
    """A font for the mark: 4-7% of the height in a corner, 40-80% of the width across the
    centre, made smaller until the text's box covers at most 15% and fits the width."""
    probe = _font(100).getbbox(text)
    if mode == "corner":
        size = int(src.height * rng.uniform(0.04, 0.07) / (probe[3] - probe[1]) * 100)
    else:
        size = int(src.width * rng.uniform(0.4, 0.8) / (probe[2] - probe[0]) * 100)
    font = _font(size)
    while True:
        left, top, right, bottom = font.getbbox(text)
        area = (right - left) * (bottom - top)
        if area <= 0.15 * src.width * src.height and right - left <= src.width * 0.95:
            return font  # type: ignore[return-value]
        font = _font(int(font.size * 0.9))


def watermark(src: Image.Image, rng: Rng) -> Made:
    """Text at 25-60% opacity, white or black: small in a corner (4-7% of the height) or large
    across the centre (40-80% of the width); its box covers at most 15%."""
    text, mode = str(rng.choice(_MARKS)), str(rng.choice(["corner", "centre"]))
    opacity, ink = float(rng.uniform(0.25, 0.6)), int(rng.choice([0, 255]))
    font = _mark_font(src, text, mode, rng)
    left, top, right, bottom = font.getbbox(text)
    tw, th = right - left, bottom - top
    margin = int(0.03 * min(src.size))
    if mode == "corner":
        x = margin if rng.random() < 0.5 else src.width - tw - margin
        y = margin if rng.random() < 0.3 else src.height - th - margin
    else:
        x, y = (src.width - tw) // 2, (src.height - th) // 2
    box = (x, y, x + tw, y + th)
    fill = (ink, ink, ink, int(255 * opacity))
    out = _overlaid(src, lambda draw: draw.text((x - left, y - top), text, fill=fill, font=font))
    params = {"text": text, "mode": mode, "opacity": round(opacity, 2), "box": box}
    return _jpeg(out, rng, **params, share=_share(box, src.size))


def _frame_width(size: tuple[int, int], share: float) -> int:
    """The border width that covers ``share`` of a picture of ``size`` from its edges in."""
    w, h = size
    return round(((w + h) - math.sqrt((w + h) ** 2 - 4 * share * w * h)) / 4)


def frame(src: Image.Image, rng: Rng) -> Made:
    """A frame of any colour drawn over the picture's edges, covering 3-15% of it (the picture
    keeps its size)."""
    share, colour = float(rng.uniform(0.03, 0.15)), _colour(rng)
    width = max(1, _frame_width(src.size, share))
    out = src.copy()
    draw = ImageDraw.Draw(out)
    w, h = src.size
    for box in ((0, 0, w, width), (0, h - width, w, h), (0, 0, width, h), (w - width, 0, w, h)):
        draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=colour)
    inner = (w - 2 * width) * (h - 2 * width) / (w * h)
    return _jpeg(out, rng, width=width, colour=colour, share=round(1 - inner, 4))


def padding(src: Image.Image, rng: Rng) -> Made:
    """The picture on a larger canvas: a border of white, black or any colour on all sides or
    as two bars (letterbox or pillarbox), 3-15% of the new canvas. A copy the keep must lose."""
    share = float(rng.uniform(0.03, 0.15))
    mode = str(rng.choice(["all", "bars-x", "bars-y"]))
    pick = rng.random()
    colour = (255, 255, 255) if pick < 0.4 else (0, 0, 0) if pick < 0.7 else _colour(rng)
    w, h = src.size
    if mode == "all":
        grown = (w + h) ** 2 + 4 * w * h * share / (1 - share)
        t = round((math.sqrt(grown) - (w + h)) / 4)
        size, at = (w + 2 * t, h + 2 * t), (t, t)
    elif mode == "bars-x":  # pillarbox: bars left and right
        new_w = round(w / (1 - share))
        size, at = (new_w, h), ((new_w - w) // 2, 0)
    else:
        new_h = round(h / (1 - share))
        size, at = (w, new_h), (0, (new_h - h) // 2)
    canvas = Image.new("RGB", size, colour)
    canvas.paste(src, at)
    border = 1 - w * h / (size[0] * size[1])
    return _jpeg(canvas, rng, mode=mode, colour=colour, at=at, share=round(border, 4))


# -- sizes and encodings --------------------------------------------------------------------


def stretch(src: Image.Image, rng: Rng) -> Made:
    """One axis grown, or squashed, by 1.1-1.4x (3:2 made 4:3 and the like). A copy the keep
    must lose."""
    axis, factor = str(rng.choice(["x", "y"])), float(rng.uniform(1.1, 1.4))
    grow = bool(rng.random() < 0.5)
    scale = factor if grow else 1 / factor
    w, h = src.size
    size = (round(w * scale), h) if axis == "x" else (w, round(h * scale))
    out = src.resize(size, Image.LANCZOS)
    return _jpeg(out, rng, axis=axis, factor=round(factor, 3), grow=grow)


def resize(src: Image.Image, rng: Rng) -> Made:
    """Made 25-75% as wide and as high (Lanczos)."""
    factor = float(rng.uniform(0.25, 0.75))
    size = (max(1, round(src.width * factor)), max(1, round(src.height * factor)))
    return _jpeg(src.resize(size, Image.LANCZOS), rng, factor=round(factor, 3))


def jpeg_low(src: Image.Image, rng: Rng) -> Made:
    """Saved again as JPEG at quality 40-70, same size. A copy the keep must lose."""
    quality = int(rng.integers(40, 71))
    return Made(src, "JPEG", {"quality": quality}, {"quality": quality})


def webp(src: Image.Image, rng: Rng) -> Made:
    """Saved again as lossy WebP at quality 60-90, same size."""
    quality = int(rng.integers(60, 91))
    return Made(src, "WEBP", {"quality": quality, "method": 4}, {"quality": quality})


def png(src: Image.Image, rng: Rng) -> Made:
    """Saved again as PNG: the same pixels as the original's decode, in a bigger file."""
    return Made(src, "PNG", {"compress_level": 6}, {})


# -- screenshots ----------------------------------------------------------------------------

_SCREEN = (1080, 2340)  # a phone's screen, in its own pixels
_THEMES = {
    "light": {"bg": (239, 234, 226), "bar": (246, 246, 246), "out": (217, 253, 211),
              "in": (255, 255, 255), "ink": (17, 27, 33), "dim": (102, 119, 129)},
    "dark": {"bg": (11, 20, 26), "bar": (31, 44, 51), "out": (0, 92, 75),
             "in": (32, 44, 51), "ink": (233, 237, 239), "dim": (134, 150, 160)},
}  # fmt: skip
Colour = str | tuple[int, int, int]


class _Screen:
    """A screenshot being drawn: coordinates in the phone's pixels, ``u`` picture pixels each."""

    def __init__(self, u: float, theme: dict, background: Colour) -> None:
        self.u, self.theme = u, theme
        size = (round(_SCREEN[0] * u), round(_SCREEN[1] * u))
        self.canvas = Image.new("RGB", size, self.colour(background))
        self.draw = ImageDraw.Draw(self.canvas)

    def colour(self, colour: Colour) -> tuple[int, int, int]:
        return self.theme[colour] if isinstance(colour, str) else colour

    def text(self, at: tuple[float, float], text: str, size: int, colour: Colour = "ink",
             anchor: str = "lm") -> None:  # fmt: skip
        xy, fill = (at[0] * self.u, at[1] * self.u), self.colour(colour)
        self.draw.text(xy, text, fill=fill, font=_font(int(size * self.u)), anchor=anchor)

    def shape(self, box: tuple[float, ...], colour: Colour, *, round_: float = 0,
              line: float = 0, ellipse: bool = False) -> None:  # fmt: skip
        """A filled shape, or only its outline ``line`` wide."""
        xy = tuple(v * self.u for v in box)
        paint = (
            {"outline": self.colour(colour), "width": max(1, int(line * self.u))}
            if line
            else {"fill": self.colour(colour)}
        )
        if ellipse:
            self.draw.ellipse(xy, **paint)
        else:
            self.draw.rounded_rectangle(xy, radius=round_ * self.u, **paint)

    def photo(self, src: Image.Image, at: tuple[float, float], size: tuple[int, int]) -> Box:
        """Paste ``src`` at ``size`` picture pixels; returns its box in picture pixels."""
        x0, y0 = round(at[0] * self.u), round(at[1] * self.u)
        self.canvas.paste(src.resize(size, Image.LANCZOS), (x0, y0))
        return (x0, y0, x0 + size[0], y0 + size[1])


def _fit(photo: tuple[int, int], width: float, height: float) -> tuple[int, int]:
    scale = min(width / photo[0], height / photo[1])
    return max(1, int(photo[0] * scale)), max(1, int(photo[1] * scale))


def _chat_frame(screen: _Screen, rng: Rng) -> None:
    """A messaging app's status bar, header (back, avatar, name, icons) and input bar."""
    w, h = _SCREEN
    screen.shape((0, 0, w, 220), "bar")
    screen.text((40, 38), f"{int(rng.integers(7, 23))}:{int(rng.integers(0, 60)):02d}", 36)
    screen.shape((w - 110, 24, w - 40, 52), "ink", round_=6, line=3)
    screen.shape((w - 104, 30, w - 60, 46), "ink")
    screen.text((40, 150), "<", 60)
    screen.shape((100, 105, 190, 195), _colour(rng), ellipse=True)
    screen.text((215, 135), str(rng.choice(["Mum", "Alex", "Family", "Sam K.", "Crew"])), 42)
    screen.text((215, 180), "online", 28, "dim")
    for k in range(3):
        screen.shape((w - 90 - 90 * k, 130, w - 50 - 90 * k, 170), "ink", line=3, ellipse=True)
    screen.shape((24, h - 125, w - 150, h - 25), "in", round_=50)
    screen.text((80, h - 75), "Message", 34, "dim")
    screen.shape((w - 125, h - 125, w - 25, h - 25), (0, 168, 132), ellipse=True)


def _chat(screen: _Screen, src: Image.Image, rng: Rng) -> Box:
    """A chat: earlier text bubbles, then the photo in a bubble 60-80% of the screen wide with
    a caption and a time."""
    _chat_frame(screen, rng)
    (w, h), u, pad, cap = _SCREEN, screen.u, 10, 70
    size = _fit(src.size, (rng.uniform(0.6, 0.8) * w - 2 * pad) * u, 0.5 * h * u)
    pw, ph = size[0] / u, size[1] / u
    sent = bool(rng.random() < 0.5)
    x0 = w - 24 - pw - 2 * pad if sent else 24
    room = (h - 150) - 220 - ph - 2 * pad - cap - 30
    y0 = 240 + int(rng.integers(0, max(1, int(room))))
    for y in range(250, int(y0) - 110, 120):  # earlier messages
        bw = rng.uniform(0.3, 0.7) * w
        bx = w - bw - 24 if rng.random() < 0.5 else 24
        screen.shape((bx, y, bx + bw, y + 90), "in", round_=20)
        screen.text((bx + 24, y + 45), str(rng.choice(_WORDS)), 32)
    bubble = (x0, y0, x0 + pw + 2 * pad, y0 + ph + 2 * pad + cap)
    screen.shape(bubble, "out" if sent else "in", round_=18)
    box = screen.photo(src, (x0 + pad, y0 + pad), size)
    screen.text((x0 + 2 * pad, y0 + pad + ph + cap / 2), str(rng.choice(_WORDS)), 32)
    screen.text((bubble[2] - 2 * pad, y0 + pad + ph + cap / 2), "12:41", 24, "dim", "rm")
    return box


def _viewer(screen: _Screen, src: Image.Image, rng: Rng) -> Box:
    """A gallery's full-screen view: the photo fitted between a top bar and a toolbar."""
    (w, h), u = _SCREEN, screen.u
    screen.text((40, 38), "9:41", 36)
    screen.text((40, 150), "<", 60)
    screen.text((110, 150), f"{int(rng.integers(1, 29))} May 2023", 38)
    size = _fit(src.size, w * u, (h - 460) * u)
    at = ((w - size[0] / u) / 2, 230 + (h - 460 - size[1] / u) / 2)
    box = screen.photo(src, at, size)
    for k, label in enumerate(("Share", "Edit", "Like", "Delete")):
        cx = w * (k + 0.5) / 4
        screen.shape((cx - 30, h - 190, cx + 30, h - 130), "ink", line=4, ellipse=True)
        screen.text((cx, h - 90), label, 28, anchor="mm")
    return box


def screenshot(src: Image.Image, rng: Rng) -> Made:
    """A phone screenshot showing the photo: a 1080x2340 screen at 45-60% scale, light or dark,
    either a messaging app (2 in 3: the photo in a bubble 60-80% of the screen wide, with a
    status bar, a header, earlier messages, a caption and the input bar) or a gallery viewer
    (the photo fitted between bars). Saved as PNG; ``box`` is where the photo is."""
    u = float(rng.uniform(0.45, 0.6))
    theme, style = str(rng.choice(["light", "dark"])), str(rng.choice(["chat", "chat", "viewer"]))
    plain = (0, 0, 0) if theme == "dark" else (255, 255, 255)
    screen = _Screen(u, _THEMES[theme], "bg" if style == "chat" else plain)
    box = (_chat if style == "chat" else _viewer)(screen, src, rng)
    share = round(_share(box, screen.canvas.size), 4)
    params = {
        "scale": round(u, 3),
        "theme": theme,
        "style": style,
        "box": box,
        "photo_share": share,
    }
    return Made(screen.canvas, "PNG", {"compress_level": 6}, params)


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


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write a near-duplicate families corpus.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    made = build(args.out, sources=args.sources, seed=args.seed)
    (args.out / "truth.json").write_text(json.dumps(made.to_json(), indent=1), encoding="utf-8")
    print(f"{len(made.files)} files under {args.out}")
