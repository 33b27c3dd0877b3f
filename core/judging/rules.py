"""Keep rules: the ordered policy that picks the file to keep in a group, before quality.

Each rule narrows the candidates (ties go on to the next rule), like a person going through
criteria in order. Rules are written as strings, in a profile or the config file:

  not-ai                      drop AI-enhanced files (unless every file is)
  most-pixels                 keep the largest picture (within 2%; borders and padding are
                              not picture); a screenshot of the photo loses to the photo;
                              AI upscales were dropped before
  original-encoding           drop lossless conversions (PNG, TIFF, BMP) of a sibling's
                              pixels, and JPEGs re-saved at quality < 50 beside one >= 60
  prefer-originals            the file the others derive from (``core.originality``)
  prefer-folder:PATH          files below PATH, if any
  prefer-formats:raw,heic,... formats in this order (raw, heic, avif, jpeg, webp, tiff, png)
  prefer-older / prefer-newer by capture time (EXIF, else modification time)
  ignore-dates-before:YEAR    capture times before YEAR count as unknown (e.g. 1970)
  protect-folder:PATH         files below PATH are kept, never proposed for backup

Whatever is still tied after the rules is decided by the quality score. Must not import the
store or any UI.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.errors import PhotosiftError
from core.judging import originality
from core.media.folders import FolderSet
from core.models import Photo

DEFAULT_RULES = ("not-ai", "most-pixels", "original-encoding", "prefer-originals")
FORMAT_RANK = ("RAW", "HEIF", "AVIF", "JPEG", "WEBP", "TIFF", "PNG", "BMP", "GIF")
_LOSSLESS = {"PNG", "TIFF", "BMP"}
_NAMES = {
    "not-ai", "most-pixels", "original-encoding", "prefer-originals", "prefer-folder",
    "prefer-formats", "prefer-older", "prefer-newer", "ignore-dates-before", "protect-folder",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    argument: str | None = None

    def __str__(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name


def parse(text: str) -> Rule:
    name, _, argument = text.strip().partition(":")
    name = name.strip().lower()
    if name not in _NAMES:
        raise PhotosiftError(f"unknown keep rule {text!r} (known: {', '.join(sorted(_NAMES))})")
    needs = name in ("prefer-folder", "prefer-formats", "ignore-dates-before", "protect-folder")
    if needs and not argument:
        raise PhotosiftError(f"keep rule {name} needs an argument, e.g. {name}:...")
    if name in ("prefer-folder", "protect-folder"):
        argument = os.path.realpath(os.path.expanduser(argument))
    if name == "ignore-dates-before" and not argument.isdigit():
        raise PhotosiftError(f"ignore-dates-before needs a year, not {argument!r}")
    return Rule(name, argument or None)


def parse_all(texts: Sequence[str]) -> tuple[Rule, ...]:
    return tuple(parse(text) for text in texts)


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules may look at besides the candidates."""

    group: Sequence[Photo]  # every file of the group
    is_ai: Callable[[Photo], bool]
    earliest_year: int | None = None
    # path -> the picture's box inside its border, in fractions (left, top, right, bottom)
    pictures: Mapping[str, tuple[float, float, float, float]] = field(default_factory=dict)
    usual: float | None = None  # the proportions most of the group shares (``with_usual``)
    usual_wide: bool = True  # most files of those proportions are wider than tall

    def with_usual(self) -> Context:
        """This context with ``usual`` found from its group (once: the rules read it)."""
        usual = _usual_proportions(self)
        return replace(self, usual=usual, usual_wide=_usually_wide(self, usual))


Step = tuple[list[Photo], str | None]  # the candidates left, and why (None: nothing decided)


def apply(rule: Rule, candidates: list[Photo], context: Context) -> Step:
    """Narrow ``candidates`` by one rule; the reason names what it decided, if anything."""
    handler = _HANDLERS.get(rule.name)
    if handler is None or len(candidates) < 2:
        return candidates, None
    kept, reason = handler(rule, candidates, context)
    return (kept, reason) if kept else (candidates, None)


def why_dropped(rule: Rule, photo: Photo, kept: Sequence[Photo], context: Context) -> str:
    """Why ``rule`` left ``photo`` out while keeping ``kept``, in a few words."""
    best = kept[0]
    if rule.name == "most-pixels":
        if photo.screenshot and not best.screenshot:
            return f"a screenshot of {best.name}, shown in an app"
        if _pixels(photo) >= _pixels(best):
            return f"less picture: {_less_picture(photo, context)}"
        return f"fewer pixels ({_pixels_vs(photo, best)})"
    if rule.name == "original-encoding":
        if photo.format in _LOSSLESS:
            return f"a lossless {photo.format} conversion of {best.name}"
        return f"re-saved at JPEG quality {_jpeg_q(photo)}"
    if rule.name == "prefer-originals":
        return f"a copy or edit of {best.name}"
    if rule.name == "prefer-folder":
        return f"not in {rule.argument}"
    if rule.name == "prefer-formats":
        return f"{photo.format} ranks below {best.format}"
    if rule.name in ("prefer-older", "prefer-newer"):
        return f"{'newer' if rule.name == 'prefer-older' else 'older'} than {best.name}"
    return "AI-enhanced" if rule.name == "not-ai" else str(rule)


def protected(rules: Sequence[Rule], photo: Photo) -> bool:
    return any(r.name == "protect-folder" and _below(photo.path, r.argument) for r in rules)


def earliest_year(rules: Sequence[Rule]) -> int | None:
    years = [int(r.argument) for r in rules if r.name == "ignore-dates-before" and r.argument]
    return max(years) if years else None


def _below(path: str, folder: str | None) -> bool:
    """``path`` lies in ``folder``, by name or by the folder's identity on disk (case and
    Unicode spellings of one folder differ on some file systems)."""
    return folder is not None and _folder(folder).contains(path)


@functools.lru_cache(maxsize=64)
def _folder(folder: str) -> FolderSet:
    return FolderSet((folder,))


def _not_ai(rule: Rule, candidates: list[Photo], context: Context) -> Step:
    kept = [p for p in candidates if not context.is_ai(p)]
    dropped = len(candidates) - len(kept)
    return kept, f"not AI-enhanced ({dropped} AI-flagged left for review)" if dropped else None


def _most_pixels(rule: Rule, candidates: list[Photo], context: Context) -> Step:
    """The files with the most pixels of picture: a file whose proportions are not those most
    of its group share was stretched or cut, and its pixels are counted down by as much (a
    copy stretched 1.3x wide has 1.3x the pixels of its original, and no more picture)."""

    shots = [p for p in candidates if p.screenshot]
    if shots and len(shots) < len(candidates):
        # a screenshot's picture is the photo as an app drew it, scaled to the screen: its
        # pixels say how big the screen was, not how much the photo holds
        kept, why = _most_pixels(rule, [p for p in candidates if not p.screenshot], context)
        said = f"the photo itself, not a screenshot of it ({shots[0].name})"
        return kept, f"{said}; {why}" if why else said

    def picture(photo: Photo) -> float:
        return _picture_pixels(photo, context)

    top = max(picture(p) for p in candidates)
    kept = [p for p in candidates if picture(p) >= 0.98 * top]
    smaller = [p for p in candidates if p not in kept]
    if not smaller:
        return kept, None
    winner = max(kept, key=lambda p: (_misfit(p, context) == 1.0, picture(p)))
    runner = max(smaller, key=_pixels)
    if _pixels(runner) >= _pixels(winner):
        why = _less_picture(runner, context)
        return kept, f"more picture ({winner.width}x{winner.height}; {why})"
    return kept, f"more pixels ({_pixels_vs(winner, runner)})"


def _less_picture(photo: Photo, context: Context) -> str:
    """Why ``photo``'s pixels are not all picture: a border, proportions not the group's."""
    parts = []
    w, h = _picture_size(photo, context)
    if w * h < _pixels(photo):
        parts.append(
            f"{photo.width}x{photo.height} of which {1 - w * h / _pixels(photo):.0%} is border"
        )
    if _misfit(photo, context) > 1.0:
        parts.append(_misshapen(photo, context))
    return "; ".join(parts) or f"{photo.width}x{photo.height}"


_SAME_SHAPE = 0.02  # proportions within 2% of each other are the same


def _picture_pixels(photo: Photo, context: Context) -> float:
    """The pixels of ``photo``'s picture: its border left out, and counted down by as much as
    its proportions are off the group's usual ones (stretched or cut)."""
    w, h = _picture_size(photo, context)
    return w * h / _misfit(photo, context)


def _picture_size(photo: Photo, context: Context) -> tuple[float, float]:
    """The width and height of ``photo``'s picture: inside its border, if it has one."""
    w, h = photo.width or 0, photo.height or 0
    box = context.pictures.get(photo.path)
    if box is None:
        return float(w), float(h)
    left, top, right, bottom = box
    return w * (right - left), h * (bottom - top)


def _proportions(photo: Photo, context: Context) -> float:
    """Long side over short side of the picture (a turned copy has the proportions of its
    original; a border is not counted)."""
    w, h = _picture_size(photo, context)
    return max(w, h) / min(w, h) if min(w, h) else 1.0


def _usual_proportions(context: Context) -> float | None:
    """The proportions most files of the group share (within 2%), if more share them than
    any others; None when no proportion has a majority over the rest (two files, 4:3 and
    16:9: nothing tells which one was stretched)."""
    shapes = [_proportions(p, context) for p in context.group if p.width and p.height]
    counts = sorted(
        ((sum(abs(math.log(o / s)) <= _SAME_SHAPE for o in shapes), s) for s in shapes),
        reverse=True,
    )
    if not counts:
        return None
    best, shape = counts[0]
    rivals = [n for n, s in counts if abs(math.log(s / shape)) > _SAME_SHAPE]
    return shape if best >= 2 and (not rivals or best > max(rivals)) else None


def _misfit(photo: Photo, context: Context) -> float:
    """How far (>= 1) ``photo``'s proportions are from the group's usual ones. A file of
    the usual proportions turned a quarter is not off; one that is off is measured as it
    stands (a 1000x872 photo stretched to 1000x1188 is 36% off a group of 1000x872 files,
    not the 4% it would be had it been turned as well)."""
    if context.usual is None:
        return 1.0
    off = abs(math.log(_proportions(photo, context) / context.usual))
    if off <= _SAME_SHAPE:
        return 1.0
    w, h = _picture_size(photo, context)
    across = math.log(w / h) if w and h else 0.0
    usual = math.log(context.usual) * (1 if context.usual_wide else -1)
    return math.exp(max(off, abs(across - usual)))


def _usually_wide(context: Context, usual: float | None) -> bool:
    """Whether most files of the ``usual`` proportions are wider than tall."""
    if usual is None:
        return True
    shaped = [
        w > h
        for w, h in (_picture_size(p, context) for p in context.group if p.width and p.height)
        if min(w, h) and abs(math.log(max(w, h) / min(w, h) / usual)) <= _SAME_SHAPE
    ]
    return sum(shaped) * 2 >= len(shaped)


def _misshapen(photo: Photo, context: Context) -> str:
    w, h = _picture_size(photo, context)
    return (
        f"{round(w)}x{round(h)} is {_proportions(photo, context):.2f}:1 where the group is "
        f"{context.usual:.2f}:1, stretched or cut"
    )


def _original_encoding(rule: Rule, candidates: list[Photo], context: Context) -> Step:
    conversions = [
        p
        for p in candidates
        if p.format in _LOSSLESS
        and any(q.format not in _LOSSLESS and originality.same_pixels(p, q) for q in candidates)
    ]
    best_q = max((_jpeg_q(p) or 0) for p in candidates)
    resaved = [p for p in candidates if (_jpeg_q(p) or 100) < 50 <= best_q - 10]
    dropped = conversions + [p for p in resaved if p not in conversions]
    kept = [p for p in candidates if p not in dropped]
    if not dropped:
        return kept, None
    parts = []
    if conversions:
        parts.append(f"the original encoding ({conversions[0].name} is a lossless conversion)")
    if resaved:
        worst = min(_jpeg_q(p) or 0 for p in resaved)
        parts.append(f"JPEG quality {best_q}, not {worst}")
    return kept, "; ".join(parts)


def _prefer_originals(rule: Rule, candidates: list[Photo], context: Context) -> Step:
    size = max(_picture_pixels(p, context) for p in candidates)
    # copies with as much picture; heavy re-saves (JPEG quality < 50) are left out: their
    # compression artefacts distort the very metrics compared
    relatives = [
        p
        for p in context.group
        if _picture_pixels(p, context) >= 0.98 * size
        and not context.is_ai(p)
        and (_jpeg_q(p) or 100) >= 50
    ]
    ranked = originality.rank(candidates, relatives or candidates)
    best = ranked[0]
    oldest = min(p.mtime_ns for p in candidates) == best.mtime_ns
    differs = len({p.has_camera_exif for p in (*candidates, *relatives)}) > 1
    said = [text for text, weight in originality.hints(best, oldest, differs) if weight > 0]
    if len(relatives) > 2:
        said.insert(0, "the others look like edits of it")
    return [best], ", ".join(said) or "the likeliest original"


def _prefer_folder(rule: Rule, candidates: list[Photo], context: Context) -> Step:
    kept = [p for p in candidates if _below(p.path, rule.argument)]
    return kept, f"in {rule.argument}" if kept and len(kept) < len(candidates) else None


def _prefer_formats(rule: Rule, candidates: list[Photo], context: Context) -> Step:
    order = [f.strip().upper() for f in (rule.argument or "").split(",") if f.strip()]
    order = ["HEIF" if f == "HEIC" else f for f in order]

    def position(photo: Photo) -> int:
        fmt = photo.format or ""
        return order.index(fmt) if fmt in order else len(order)

    best = min(position(p) for p in candidates)
    kept = [p for p in candidates if position(p) == best]
    label = kept[0].format or "file"
    return kept, f"{label} preferred" if len(kept) < len(candidates) else None


def _by_date(newest: bool) -> Callable[[Rule, list[Photo], Context], Step]:
    def handler(rule: Rule, candidates: list[Photo], context: Context) -> Step:
        dated = [(d, p) for p in candidates if (d := _date(p, context.earliest_year))]
        if not dated:
            return candidates, None
        pick = max if newest else min
        target = pick(d for d, _ in dated).timestamp()
        kept = [p for d, p in dated if abs(d.timestamp() - target) < 1.0]
        word = "newest" if newest else "oldest"
        return kept, f"the {word} ({kept[0].name})" if len(kept) < len(candidates) else None

    return handler


def _date(photo: Photo, earliest: int | None) -> datetime | None:
    when = photo.taken_at or datetime.fromtimestamp(photo.mtime_ns / 1e9)
    if earliest and when.year < earliest:
        return None
    return when


def _pixels(photo: Photo) -> int:
    return (photo.width or 0) * (photo.height or 0)


def _pixels_vs(one: Photo, other: Photo) -> str:
    """ "1.1 MP vs 0.3 MP"; the two sizes in pixels where megapixels would read the same."""
    a, b = f"{_pixels(one) / 1e6:.1f} MP", f"{_pixels(other) / 1e6:.1f} MP"
    if a == b:
        a, b = f"{one.width}x{one.height}", f"{other.width}x{other.height}"
    return f"{a} vs {b}"


def _jpeg_q(photo: Photo) -> int | None:
    return photo.quality.jpeg_quality if photo.quality else None


_HANDLERS: dict[str, Callable[[Rule, list[Photo], Context], Step]] = {
    "not-ai": _not_ai,
    "most-pixels": _most_pixels,
    "original-encoding": _original_encoding,
    "prefer-originals": _prefer_originals,
    "prefer-folder": _prefer_folder,
    "prefer-formats": _prefer_formats,
    "prefer-older": _by_date(newest=False),
    "prefer-newer": _by_date(newest=True),
}
