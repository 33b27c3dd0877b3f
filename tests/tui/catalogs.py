"""Catalogs for the app's snapshot tests and speed benchmarks.

* ``snapshot_photos(root)``: a few fixture photos with fixed names, EXIF dates, cameras and
  mtimes, so that scanning them gives the same catalog (sizes, groups, advice) on every run.
* ``scene_groups(root, count)``: ``count`` real scenes, each saved as ``orig.jpg`` with a
  resized copy (``small.jpg``) and a re-save at a lower quality (``resave.jpg``): ``count``
  near-duplicate groups of three once scanned.
* ``synthetic_catalog(db, root, photos, groups)``: a big catalog made without a scan. Small
  real files are written (so that the judging's checks and the previews see them), and their
  records, hashes, quality and 64x64 grey thumbnails go straight into the store with
  ``Catalog.save_results``, as the scan would put them; the app never does this.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from core.analysis import hashing, quality
from core.models import ANALYSIS_VERSION, AnalysisResult, MediaType, Photo
from core.store import Catalog
from tests.images import blurred, encoded, exif_bytes, resized, save, scene

FIXED_MTIME_NS = 1_717_243_200 * 10**9  # 2024-06-01 12:00 UTC: every fixture file's mtime


def _fix_mtime(path: Path, offset_s: int) -> None:
    stamp = FIXED_MTIME_NS + offset_s * 10**9
    os.utime(path, ns=(stamp, stamp))


def snapshot_photos(root: Path) -> list[Path]:
    """Under ``root``: three groups of look-alike photos with fixed names and dates.

    * ``2023 Trip/beach.jpg`` (EXIF 2023-07-14 10:21:05, Canon EOS R6), a byte-identical
      ``Backup/beach copy.jpg`` and a 75% ``2023 Trip/beach-small.jpg``;
    * ``2023 Trip/harbour.jpg`` (2023-07-15 18:02:40), an edited ``Exports/harbour-edit.jpg``
      (Photoshop, brighter) and a blurred ``Phone/IMG_0042.jpg``;
    * ``Phone/café.jpg`` (2023-08-01 09:00:00, a phone camera) and its mirror
      ``Phone/café-mirror.jpg``.

    Every file gets a fixed mtime; returns the files made."""
    root = Path(root)
    canon = {"make": "Canon", "model": "EOS R6"}
    phone = {"make": "Apple", "model": "iPhone 13"}
    beach, harbour, cafe = (scene(seed, (640, 480)) for seed in (11, 12, 13))
    made = [
        save(beach, root / "2023 Trip/beach.jpg", exif=exif_bytes(
            taken=datetime(2023, 7, 14, 10, 21, 5), **canon)),
        save(resized(beach, 0.75), root / "2023 Trip/beach-small.jpg", exif=exif_bytes(
            taken=datetime(2023, 7, 14, 10, 21, 5), **canon)),
        save(harbour, root / "2023 Trip/harbour.jpg", exif=exif_bytes(
            taken=datetime(2023, 7, 15, 18, 2, 40), **canon)),
        save(ImageEnhance.Brightness(harbour).enhance(1.15), root / "Exports/harbour-edit.jpg",
             quality=85, exif=exif_bytes(
                 taken=datetime(2023, 7, 15, 18, 2, 40), software="Adobe Photoshop 25.0",
                 **canon)),
        save(blurred(harbour, 1.5), root / "Phone/IMG_0042.jpg", exif=exif_bytes(
            taken=datetime(2023, 7, 15, 18, 2, 40), **phone)),
        save(cafe, root / "Phone/café.jpg", exif=exif_bytes(
            taken=datetime(2023, 8, 1, 9, 0, 0), **phone)),
        save(ImageOps.mirror(cafe), root / "Phone/café-mirror.jpg"),
    ]  # fmt: skip
    copy = root / "Backup/beach copy.jpg"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(made[0], copy)
    made.append(copy)
    for offset, path in enumerate(sorted(made)):
        _fix_mtime(path, offset)
    return sorted(made)


def scene_groups(root: Path, count: int, size: tuple[int, int] = (160, 120)) -> list[Path]:
    """``root/gNNN/{orig,small,resave}.jpg`` for ``count`` scenes (seeds 1000 + n)."""
    root = Path(root)
    made = []
    for n in range(count):
        original = scene(1000 + n, size)
        folder = root / f"g{n:03d}"
        made.append(save(original, folder / "orig.jpg"))
        made.append(save(resized(original, 0.75), folder / "small.jpg"))
        made.append(save(original, folder / "resave.jpg", quality=70))
    return made


def _variant(base: Image.Image, index: int) -> tuple[Image.Image, int]:
    """A near-identical copy of ``base`` and the JPEG quality it is saved at."""
    if index == 0:
        return base, 92
    if index == 1:
        return resized(base, 0.75), 90
    if index == 2:
        return base, 70
    return ImageEnhance.Brightness(base).enhance(1.05), 88


def _record(path: Path, root: str, img: Image.Image, jpeg_q: int) -> AnalysisResult:
    """Write ``img`` as a JPEG at ``path`` and describe it as the scan would."""
    data = encoded(img, "JPEG", quality=jpeg_q)
    path.write_bytes(data)
    st = os.stat(path)
    rgb = np.asarray(img)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    thumb = hashing.grey_thumbnail(grey)
    photo = Photo(
        path=str(path),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        inode=st.st_ino,
        device=st.st_dev,
        ctime_ns=st.st_ctime_ns,
        root=root,
        format="JPEG",
        media_type=MediaType.IMAGE,
        width=img.width,
        height=img.height,
        hashes=hashing.compute_hashes(thumb),
        quality=quality.measure(rgb, jpeg_q, grey),
        analysis_version=ANALYSIS_VERSION,
    )
    return AnalysisResult(photo, thumb.tobytes())


def group_sizes(photos: int, groups: int, seed: int = 7) -> list[int]:
    """``groups`` sizes of 2 to 4 (random, fixed by ``seed``) that fit in ``photos``."""
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(2, 5, groups)]
    while sum(sizes) > photos:
        sizes[sizes.index(max(sizes))] -= 1
    return sizes


def synthetic_catalog(
    db: str, root: Path, photos: int = 10_000, groups: int = 3_000, *, side: int = 96
) -> dict[str, int]:
    """A catalog at ``db`` of ``photos`` small JPEGs under ``root``: ``groups`` groups of 2 to
    4 near-identical copies of one scene (resized, re-saved, brightened), the rest unrelated
    single photos. Returns the catalog's counts. Grouping is left to ``Library.groups()``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    real_root = os.path.realpath(root)
    shape = (side, side * 3 // 4)
    sizes = group_sizes(photos, groups)
    singles = photos - sum(sizes)
    with Catalog(db) as catalog:
        root_id = catalog.ensure_roots([real_root])[real_root]
        batch: list[tuple[AnalysisResult, int | None]] = []
        plan: Sequence[int] = [*sizes, *([1] * singles)]
        for number, members in enumerate(plan):
            base = scene(number + 1, shape)
            folder = Path(real_root) / f"d{number // 500:02d}"
            folder.mkdir(exist_ok=True)
            for index in range(members):
                img, jpeg_q = _variant(base, index)
                path = folder / f"p{number:05d}_{index}.jpg"
                batch.append((_record(path, real_root, img, jpeg_q), root_id))
            if len(batch) >= 1000:
                catalog.save_results(batch, None)
                batch = []
        catalog.save_results(batch, None)
        return catalog.counts()
