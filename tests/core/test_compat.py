"""The design document's library face works as it describes, on real files."""

from __future__ import annotations

from PIL import ImageOps

from core.compat import MediaQualityAnalyzer, MediaSimilarityDetector
from tests.images import blurred, resized, save, scene


def test_groups_and_recommendations_as_the_design_document_describes(tmp_path):
    a = scene(61, (800, 600))
    files = [
        save(a, tmp_path / "DCIM/IMG_0001.JPG", quality=92),
        save(resized(a, 0.5), tmp_path / "small/IMG_0001_small.jpg"),
        save(ImageOps.mirror(blurred(a, 2)), tmp_path / "edits/IMG_0001-edited.jpg"),
        save(scene(62, (800, 600)), tmp_path / "DCIM/IMG_0002.JPG"),
    ]
    detector = MediaSimilarityDetector(similarity_threshold=0.85)
    groups = detector.find_similar_media_groups([{"path": str(f)} for f in files])
    assert [sorted(d["path"] for d in g) for g in groups] == [sorted(str(f) for f in files[:3])]
    advice = detector.get_recommendations_for_group(groups[0])
    assert advice["best_file"]["path"] == str(files[0])
    assert advice["group_size"] == 3
    assert {d["path"] for d in advice["lower_quality"]} == {str(f) for f in files[1:3]}
    assert advice["potential_savings"] == sum(f.stat().st_size for f in files[1:3])
    assert advice["recommendation"].startswith("keep IMG_0001.JPG:")


def test_analysis_dictionary_and_similarity(tmp_path):
    path = save(scene(63, (640, 480)), tmp_path / "x_Topaz_upscaled.jpg")
    analyzer = MediaQualityAnalyzer()
    result = analyzer.analyze_media_file(path)
    assert result["media_type"] == "image"
    assert 0.0 <= result["quality_score"] <= 1.0
    assert len(result["perceptual_hash"]) == 16
    assert result["is_ai_enhanced"] and result["ai_confidence"] > 0.5
    assert analyzer.calculate_similarity(result["average_hash"], result["average_hash"]) == 1.0
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really")
    assert analyzer.analyze_media_file(broken)["error"].startswith("corrupt")
