"""Is this file AI-upscaled or AI-enhanced? Indicators with a confidence (0..1).

Indicators, each with a weight, combined as independent evidence (1 - product of misses):

* the file name names an AI tool (Topaz, Gigapixel, Upscayl, Real-ESRGAN, waifu2x, Remini,
  Let's Enhance ...) as a whole word, or says "upscaled" / "AI-enhanced". Words are matched
  whole, so "mountain_rain.jpg" is not "ai", and "enhanced" alone is not enough;
* EXIF Software, XMP CreatorTool or a C2PA claim generator names an AI tool (an ordinary
  editor such as GIMP, Lightroom or a phone's firmware does not count);
* a C2PA or IPTC digital-source type of trained algorithmic media;
* within a group, as supporting evidence only: the photo is an exact 2x, 3x or 4x multiple of
  a sibling's size (on its own it proves nothing: a real original is 2x its half-size copy).

``is_ai_enhanced`` when the confidence exceeds 0.5. Must not import the store or any UI.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Photo

AI_TOOLS = frozenset(
    {
        "topaz", "gigapixel", "upscayl", "esrgan", "realesrgan", "waifu2x", "remini",
        "letsenhance", "bigjpg", "cupscale", "chainner", "magnific", "supir", "upscalemedia",
        "imgupscaler", "vanceai", "pixelcut", "photoai", "firefly", "midjourney", "dalle",
        "stablediffusion", "generativefill",
    }
)  # fmt: skip
_UPSCALE_WORDS = frozenset({"upscaled", "upscale", "upscaling", "superres", "superresolution"})
_ENHANCE_WORDS = frozenset({"enhanced", "enhance", "enhancer"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
FLAG_AT = 0.5


@dataclass(frozen=True, slots=True)
class AIVerdict:
    is_ai_enhanced: bool
    confidence: float
    indicators: tuple[str, ...]


def words(text: str) -> set[str]:
    """Lower-case words of a name, split at punctuation and case changes, plus each pair of
    neighbours joined ("Real-ESRGAN" -> real, esrgan, realesrgan; "Let's" -> lets)."""
    out: set[str] = set()
    for chunk in re.split(r"[^A-Za-z0-9']+", text):
        chunk = chunk.replace("'", "")
        parts = [p.lower() for p in _WORD.findall(chunk)]
        out.update(parts)
        out.update(a + b for a, b in zip(parts, parts[1:], strict=False))
        if chunk:
            out.add(chunk.lower())
    spaced = [w.lower().replace("'", "") for w in re.split(r"[^A-Za-z0-9']+", text) if w]
    out.update(a + b for a, b in zip(spaced, spaced[1:], strict=False))
    return out


def file_indicators(photo: Photo) -> list[tuple[str, float]]:
    """Indicators that the file alone carries."""
    found: list[tuple[str, float]] = []
    stem = os.path.splitext(os.path.basename(photo.path))[0]
    name = words(stem)
    if tools := sorted(name & AI_TOOLS):
        found.append((f"file name names an AI tool ({', '.join(tools)})", 0.75))
    elif name & _UPSCALE_WORDS or (name & _ENHANCE_WORDS and "ai" in name):
        found.append(("file name says it was upscaled or AI-enhanced", 0.55))
    for label, text in (("EXIF Software", photo.software), ("creator tool", photo.creator_tool)):
        if not text:
            continue
        said = words(text)
        if tools := sorted(said & AI_TOOLS):
            found.append((f"{label} is an AI tool ({text})", 0.85))
        elif "ai" in said and said & (_ENHANCE_WORDS | _UPSCALE_WORDS | {"photo"}):
            found.append((f"{label} is an AI enhancer ({text})", 0.7))
    if photo.provenance and "lgorithmic" in photo.provenance:
        found.append((f"content credentials mark AI-made content ({photo.provenance})", 0.9))
    return found


def size_multiple(photo: Photo, siblings: Sequence[Photo]) -> tuple[str, float] | None:
    """An exact 2x/3x/4x multiple of a sibling's width and height (within 2 pixels)."""
    for other in siblings:
        if other is photo or not (other.width and other.height and photo.width):
            continue
        for factor in (2, 3, 4):
            if abs(photo.width - factor * other.width) <= 2 and (
                abs((photo.height or 0) - factor * (other.height or 0)) <= 2
            ):
                return (f"exactly {factor}x the size of {other.name}", 0.35)
    return None


def judge(photo: Photo, siblings: Sequence[Photo] = ()) -> AIVerdict:
    """The verdict for ``photo``, with the group it belongs to when known."""
    indicators = file_indicators(photo)
    multiple = size_multiple(photo, siblings) if indicators else None
    if multiple:  # supporting evidence only: a real original is also 2x its half-size copy
        indicators.append(multiple)
    miss = 1.0
    for _, weight in indicators:
        miss *= 1.0 - weight
    confidence = round(1.0 - miss, 3)
    return AIVerdict(confidence > FLAG_AT, confidence, tuple(text for text, _ in indicators))
