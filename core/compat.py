"""The design document's library face: ``MediaQualityAnalyzer`` and ``MediaSimilarityDetector``
with the names and dictionaries it describes, for scripts that want answers without a catalog.

    from core.compat import MediaSimilarityDetector
    detector = MediaSimilarityDetector(similarity_threshold=0.85)
    groups = detector.find_similar_media_groups([{"path": p} for p in paths])
    for group in groups:
        advice = detector.get_recommendations_for_group(group)
        print(advice["recommendation"])

Everything runs in this process, with the same analysis, grouping and judging as the rest of
photosift (``similarity_threshold`` is photosift's visual similarity; see ``core.profiles``).
For a collection, the catalog (``core.library.Library``) is faster: it analyses each file once, in
parallel, and remembers. Must not import the store or any UI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from core.analysis import ai, hashing, quality
from core.analysis.analyse import analyse_file
from core.judging.profiles import DEFAULT_PROFILE, get_profile
from core.judging.recommend import JudgeOptions, recommend
from core.judging.rules import parse_all
from core.matching.grouping import group_photos
from core.models import Group, GroupMember, Photo, Tier

FileData = dict[str, Any]


class MediaQualityAnalyzer:
    """Analyses media files: quality, AI enhancement, perceptual hashes."""

    def __init__(self, quality_weights: Mapping[str, float] | None = None) -> None:
        self.weights = dict(quality_weights or DEFAULT_PROFILE.weights)
        self._seen: dict[str, tuple[Photo, bytes | None]] = {}
        self._reports: dict[str, dict[str, Any]] = {}

    def analyze_media_file(self, file_path: str | os.PathLike[str]) -> dict[str, Any]:
        """Analysis of one image: media_type, quality_score (0..1), perceptual_hash,
        average_hash, difference_hash (hex), is_ai_enhanced, ai_confidence, ai_indicators,
        dimensions, and the measured metrics. A file that cannot be analysed gets ``error``."""
        path = os.path.realpath(os.fspath(file_path))
        if path in self._reports:
            return dict(self._reports[path])
        result = analyse_file(path, want_content_hash=True)
        photo = result.photo
        self._seen[path] = (photo, result.thumb)
        self._reports[path] = self._report(photo)
        return dict(self._reports[path])

    def _report(self, photo: Photo) -> dict[str, Any]:
        path = photo.path
        if photo.error:
            return {"path": path, "media_type": None, "error": photo.error}
        verdict = ai.judge(photo)
        metrics = photo.quality
        hashes = photo.hashes
        assert metrics is not None and hashes is not None
        return {
            "path": path,
            "media_type": "image",
            "format": photo.format,
            "dimensions": (photo.width, photo.height),
            "file_size": photo.size,
            "quality_score": round(
                quality.quality_score(metrics, self.weights, megapixels=photo.megapixels), 4
            ),
            "perceptual_hash": f"{hashes.phash:016x}",
            "average_hash": f"{hashes.ahash:016x}",
            "difference_hash": f"{hashes.dhash:016x}",
            "is_ai_enhanced": verdict.is_ai_enhanced,
            "ai_confidence": verdict.confidence,
            "ai_indicators": list(verdict.indicators),
            "sharpness_score": metrics.sharpness,
            "brightness": metrics.brightness,
            "contrast_score": metrics.contrast,
            "noise_level": metrics.noise,
            "color_richness": metrics.colourfulness,
            "jpeg_quality": metrics.jpeg_quality,
            "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
            "camera": " ".join(filter(None, (photo.camera_make, photo.camera_model))) or None,
            "content_hash": photo.content_hash,
        }

    def calculate_similarity(self, hash1: str, hash2: str, hash_type: str = "perceptual") -> float:
        """1 - Hamming distance / 64 of two hex hashes (1.0 = identical)."""
        del hash_type  # every photosift hash is 64 bits
        return hashing.similarity(int(hash1, 16), int(hash2, 16))

    def find_best_quality_file(self, similar_files: Sequence[FileData]) -> FileData:
        """The file to keep among ``similar_files`` (dicts with a "path")."""
        detector = MediaSimilarityDetector(analyzer=self)
        return detector.get_recommendations_for_group(similar_files)["best_file"]

    def photo(self, path: str) -> tuple[Photo, bytes | None]:
        """The analysed record and thumbnail of ``path``, analysing it if needed."""
        real = os.path.realpath(path)
        if real not in self._seen:
            self.analyze_media_file(real)
        return self._seen[real]


class MediaSimilarityDetector:
    """Groups similar media and recommends what to keep."""

    def __init__(
        self,
        similarity_threshold: float = DEFAULT_PROFILE.threshold,
        *,
        profile: str | None = None,
        quality_weights: Mapping[str, float] | None = None,
        analyzer: MediaQualityAnalyzer | None = None,
    ) -> None:
        chosen = get_profile(profile, {}) if profile else DEFAULT_PROFILE
        self.options = chosen.grouping(similarity_threshold)
        self.judging = JudgeOptions(
            rules=parse_all(chosen.rules),
            weights=dict(quality_weights or chosen.weights),
            faces=chosen.faces,
        )
        self.analyzer = analyzer or MediaQualityAnalyzer(self.judging.weights)

    @property
    def similarity_threshold(self) -> float:
        return self.options.threshold

    def find_similar_media_groups(self, media_files: Sequence[FileData]) -> list[list[FileData]]:
        """Groups (two or more files each) of the given files (dicts with a "path"); each file
        dict gains "analysis" (``analyze_media_file``'s result)."""
        by_path: dict[str, FileData] = {}
        photos, thumbs = [], {}
        for data in media_files:
            path = os.path.realpath(os.fspath(data["path"]))
            photo, thumb = self.analyzer.photo(path)
            entry = dict(data)
            entry.setdefault("file_size", photo.size)
            entry["analysis"] = self.analyzer.analyze_media_file(path)
            by_path[path] = entry
            if thumb is not None and photo.error is None:
                photos.append(photo)
                thumbs[path] = thumb
        groups = group_photos(photos, lambda paths: {p: thumbs[p] for p in paths}, self.options)
        return [[by_path[p] for p in g.paths] for g in groups]

    def get_recommendations_for_group(self, similar_group: Sequence[FileData]) -> dict[str, Any]:
        """best_file, duplicates, lower_quality, ai_enhanced (file dicts), total_size,
        potential_savings (bytes) and a human-readable recommendation with its reasons."""
        entries = {os.path.realpath(os.fspath(d["path"])): dict(d) for d in similar_group}
        photos = [self.analyzer.photo(path)[0] for path in entries]
        usable = [p for p in photos if p.error is None]
        if not usable:
            raise ValueError("no analysable file in the group")
        members = tuple(GroupMember(p, Tier.NEAR, 1.0) for p in usable)
        advice = recommend(Group(Tier.NEAR, usable[0].path, members), self.judging)
        assert advice.best_file is not None  # every file was analysed just now
        return {
            "group_size": len(entries),
            "best_file": entries[advice.best_file],
            "duplicates": [entries[p] for p in advice.duplicates],
            "lower_quality": [entries[p] for p in advice.lower_quality],
            "ai_enhanced": [entries[p] for p in advice.ai_enhanced],
            "total_size": advice.total_size,
            "potential_savings": advice.potential_savings,
            "recommendation": advice.recommendation,
            "reasons": list(advice.reasons),
        }
