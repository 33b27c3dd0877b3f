"""The edits of the families corpus: each ``(source, rng) -> Made`` (see ``tests.families``)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

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


def area_share(box: Box, size: tuple[int, int]) -> float:
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
        src.crop(box), rng, side=side, cut=round(cut, 3), box=box, share=area_share(box, src.size)
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
    return _jpeg(src.crop(box), rng, box=box, share=area_share(box, src.size))


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
    return _jpeg(src.crop(box), rng, box=box, share=area_share(box, src.size))


def corner_third(src: Image.Image, rng: Rng) -> Made:
    """Hard negative: a corner box keeping 18-33% of the area (a detail someone chose)."""
    share = float(rng.uniform(0.18, 1 / 3))
    bw, bh = _box_of_share(src.size, share, rng, 0.3)
    corner = str(rng.choice(["top-left", "top-right", "bottom-left", "bottom-right"]))
    x0 = 0 if corner.endswith("left") else src.width - bw
    y0 = 0 if corner.startswith("top") else src.height - bh
    box = (x0, y0, x0 + bw, y0 + bh)
    return _jpeg(src.crop(box), rng, corner=corner, box=box, share=area_share(box, src.size))


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
    return _jpeg(turned.crop(box), rng, angle=round(angle, 2), share=area_share(box, src.size))


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

WORDS = (
    "Summer 2023", "Best day ever!", "Guess where we are", "Happy birthday Anna",
    "Morning walk", "miss you all", "Sunday vibes", "Look what I found", "Home sweet home",
)  # fmt: skip
_MARKS = ("(c) J. Doe Photography", "SAMPLE", "@wanderlust.pics", "PROOF - not for sale", "mk")


@lru_cache(maxsize=64)
def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def random_colour(rng: Rng) -> tuple[int, int, int]:
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
        draw.polygon(points, fill=random_colour(rng), outline=_WHITE)
    else:  # a label with a word on it
        draw.rounded_rectangle(
            box, h // 4, fill=random_colour(rng), outline=_WHITE, width=h // 20 + 1
        )
        word = str(rng.choice(["LOL", "WOW", "<3", "OMG", "NEW"]))
        draw.text((cx, cy), word, fill=_WHITE, font=load_font(int(h * 0.55)), anchor="mm")


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
    return _jpeg(out, rng, shape=shape, box=box, share=area_share(box, src.size))


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
    text, font = str(rng.choice(WORDS)), load_font(int(bar * 0.5))

    def paint(draw: ImageDraw.ImageDraw) -> None:
        draw.rectangle(box, fill=fill)
        draw.text((src.width / 2, y0 + bar / 2), text, fill=ink, font=font, anchor="mm")

    share = area_share(box, src.size)
    return _jpeg(_overlaid(src, paint), rng, place=place, style=style, box=box, share=share)


def _mark_font(src: Image.Image, text: str, mode: str, rng: Rng) -> ImageFont.FreeTypeFont:
    """A font for the mark: 4-7% of the height in a corner, 40-80% of the width across the
    centre, made smaller until the text's box covers at most 15% and fits the width."""
    probe = load_font(100).getbbox(text)
    if mode == "corner":
        size = int(src.height * rng.uniform(0.04, 0.07) / (probe[3] - probe[1]) * 100)
    else:
        size = int(src.width * rng.uniform(0.4, 0.8) / (probe[2] - probe[0]) * 100)
    font = load_font(size)
    while True:
        left, top, right, bottom = font.getbbox(text)
        area = (right - left) * (bottom - top)
        if area <= 0.15 * src.width * src.height and right - left <= src.width * 0.95:
            return font  # type: ignore[return-value]
        font = load_font(int(font.size * 0.9))


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
    return _jpeg(out, rng, **params, share=area_share(box, src.size))


def _frame_width(size: tuple[int, int], share: float) -> int:
    """The border width that covers ``share`` of a picture of ``size`` from its edges in."""
    w, h = size
    return round(((w + h) - math.sqrt((w + h) ** 2 - 4 * share * w * h)) / 4)


def frame(src: Image.Image, rng: Rng) -> Made:
    """A frame of any colour drawn over the picture's edges, covering 3-15% of it (the picture
    keeps its size)."""
    share, colour = float(rng.uniform(0.03, 0.15)), random_colour(rng)
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
    colour = (255, 255, 255) if pick < 0.4 else (0, 0, 0) if pick < 0.7 else random_colour(rng)
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
