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

from tests.families.corpus import (
    FAMILIES,
    MUST_LOSE,
    NEAR,
    NEGATIVE_KINDS,
    Family,
    File,
    HardNegative,
    Truth,
    build,
    family_rng,
    panorama_halves,
    viewpoints,
)
from tests.families.edits import Made

__all__ = [
    "FAMILIES", "MUST_LOSE", "NEAR", "NEGATIVE_KINDS", "Family", "File", "HardNegative", "Made",
    "Truth", "build", "family_rng", "panorama_halves", "viewpoints",
]  # fmt: skip
