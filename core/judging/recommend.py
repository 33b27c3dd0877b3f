"""The recommendation for one group: which file to keep, what the others are, and why.

The keep rules (``core.rules``) narrow the candidates in order; the quality score
(``core.quality``) decides whatever they leave tied. Files in reference or protected folders
are always kept, and the kept file is chosen among them when there are any. AI-enhanced files
are listed for review and never proposed for backup. In each burst, the frame kept is the
one with the most open eyes (when the profile looks at faces), then the sharpest.
Must not import the store or any UI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.analysis import ai, quality
from core.analysis.quality import DEFAULT_WEIGHTS
from core.judging import rules
from core.judging.rules import Rule
from core.models import Burst, Faces, Group, Photo


@dataclass(frozen=True, slots=True)
class JudgeOptions:
    rules: tuple[Rule, ...] = rules.parse_all(rules.DEFAULT_RULES)
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    faces: bool = False


@dataclass(frozen=True, slots=True)
class Recommendation:
    best_file: str | None  # None: no file of the group is as it was scanned
    duplicates: tuple[str, ...]  # byte-identical copies of the kept file
    lower_quality: tuple[str, ...]  # proposed for backup
    ai_enhanced: tuple[str, ...]  # flagged for review, never moved unless asked
    kept: tuple[str, ...]  # also kept: reference or protected files, bursts' best frames
    total_size: int
    potential_savings: int
    recommendation: str
    reasons: tuple[str, ...]
    why: Mapping[str, str]  # path -> why it is not the one kept
    ai_verdicts: Mapping[str, ai.AIVerdict]
    scores: Mapping[str, float]  # quality score per path
    burst_keeps: tuple[str | None, ...]  # one per burst of the group
    stale: Mapping[str, str] = field(default_factory=dict)  # path -> why it is left out

    def apply(self, group: Group) -> Group:
        """``group`` with its keep, and its bursts' keeps, filled in."""
        bursts = tuple(
            replace(b, keep=keep) for b, keep in zip(group.bursts, self.burst_keeps, strict=True)
        )
        return replace(group, keep=self.best_file, bursts=bursts)


def recommend(
    group: Group,
    options: JudgeOptions = JudgeOptions(),
    *,
    fine_sharpness: Mapping[str, float] | None = None,
    faces: Mapping[str, Faces] | None = None,
    stale: Mapping[str, str] | None = None,
    pictures: Mapping[str, tuple[float, float, float, float]] | None = None,
) -> Recommendation:
    """The recommendation for ``group``. ``stale`` maps the files that are no longer as
    scanned (missing, changed) to why: they are left out of everything, never kept and never
    proposed for backup, and a group whose keep is among them gets a new one from the rest.
    ``pictures`` maps files with a border to their picture's box inside it, in fractions
    (left, top, right, bottom; ``core.analysis.content``)."""
    stale = (
        {m.photo.path: stale[m.photo.path] for m in group.members if m.photo.path in stale}
        if stale
        else {}
    )
    everyone = [m.photo for m in group.members]
    verdicts = {p.path: ai.judge(p, everyone) for p in everyone}
    photos = [p for p in everyone if p.path not in stale]
    if not photos:
        return _nothing_to_keep(group, verdicts, stale)
    scores = {
        p.path: round(
            quality.quality_score(
                p.quality,
                options.weights,
                megapixels=p.megapixels,
                face_sharpness=_face_sharpness(p, faces),
            ),
            4,
        )
        for p in photos
        if p.quality
    }
    kept_anyway = {
        m.photo.path
        for m in group.members
        if m.photo.path not in stale and (m.reference or rules.protected(options.rules, m.photo))
    }
    candidates = [p for p in photos if p.path in kept_anyway] or photos
    best, reasons, why = _choose(candidates, photos, verdicts, scores, options, pictures or {})
    by_path = {p.path: p for p in photos}
    burst_keeps = tuple(
        _burst_keep(b, by_path, fine_sharpness or {}, faces, options) for b in group.bursts
    )
    # a burst's best frame is another shot, not a copy: it is kept too
    for keep in burst_keeps:
        if keep and keep != best.path:
            kept_anyway.add(keep)
            why[keep] = "the best frame of its burst, kept"
    duplicates = sorted(
        p.path
        for p in photos
        if p is not best
        and best.content_hash
        and p.content_hash == best.content_hash
        and p.path not in kept_anyway
    )
    # an exact copy of the kept file is a copy whatever its name says: counted once, as one
    flagged = sorted(
        p.path
        for p in photos
        if p is not best and verdicts[p.path].is_ai_enhanced and p.path not in duplicates
    )
    lower = sorted(
        p.path
        for p in photos
        if p is not best
        and p.path not in duplicates
        and p.path not in flagged
        and p.path not in kept_anyway
    )
    for path in duplicates:
        why[path] = f"byte-identical copy of {best.name}"
    for path in flagged:
        why[path] = "AI-enhanced: " + "; ".join(verdicts[path].indicators)
    if stale:
        why.update(stale)
        reasons.append(_left_out(len(stale)))
    backed_up = duplicates + lower
    return Recommendation(
        best_file=best.path,
        duplicates=tuple(duplicates),
        lower_quality=tuple(lower),
        ai_enhanced=tuple(flagged),
        kept=tuple(sorted(kept_anyway - {best.path} - set(flagged))),
        total_size=sum(p.size for p in everyone),
        potential_savings=sum(by_path[p].size for p in backed_up),
        recommendation=_sentence(best, reasons, len(backed_up), len(flagged)),
        reasons=tuple(reasons),
        why=why,
        ai_verdicts=verdicts,
        scores=scores,
        burst_keeps=burst_keeps,
        stale=stale,
    )


def _nothing_to_keep(
    group: Group, verdicts: Mapping[str, ai.AIVerdict], stale: Mapping[str, str]
) -> Recommendation:
    reason = "no file of this group is as it was scanned (missing or changed); scan again"
    return Recommendation(
        best_file=None,
        duplicates=(),
        lower_quality=(),
        ai_enhanced=(),
        kept=(),
        total_size=sum(m.photo.size for m in group.members),
        potential_savings=0,
        recommendation=f"nothing to keep: {reason}",
        reasons=(reason,),
        why=dict(stale),
        ai_verdicts=verdicts,
        scores={},
        burst_keeps=tuple(None for _ in group.bursts),
        stale=dict(stale),
    )


def _left_out(count: int) -> str:
    files = "file" if count == 1 else "files"
    return f"{count} {files} changed or missing since the scan left out (scan again)"


def _choose(
    candidates: list[Photo],
    group: Sequence[Photo],
    verdicts: Mapping[str, ai.AIVerdict],
    scores: Mapping[str, float],
    options: JudgeOptions,
    pictures: Mapping[str, tuple[float, float, float, float]],
) -> tuple[Photo, list[str], dict[str, str]]:
    context = rules.Context(
        group=group,
        pictures=pictures,
        is_ai=lambda p: verdicts[p.path].is_ai_enhanced,
        earliest_year=rules.earliest_year(options.rules),
    ).with_usual()
    reasons: list[str] = []
    why: dict[str, str] = {}
    for rule in options.rules:
        narrowed, reason = rules.apply(rule, candidates, context)
        if reason:
            reasons.append(reason)
            for photo in candidates:
                if photo not in narrowed:
                    why.setdefault(photo.path, rules.why_dropped(rule, photo, narrowed, context))
        candidates = narrowed
    best = min(candidates, key=lambda p: (-scores.get(p.path, 0.0), p.path))
    if len(candidates) > 1:
        runner = max((scores.get(p.path, 0.0) for p in candidates if p is not best), default=0)
        reasons.append(f"higher quality score ({scores.get(best.path, 0):.2f} vs {runner:.2f})")
    reasons += _quality_notes(best, [p for p in group if p is not best])
    for photo in group:
        if photo is not best and photo.path not in why:
            why[photo.path] = _why_lower(best, photo, scores)
    return best, reasons, why


def _face_sharpness(photo: Photo, faces: Mapping[str, Faces] | None) -> float | None:
    found = (faces or {}).get(photo.path) or photo.faces
    return found.sharpness if found and found.count else None


def _quality_notes(best: Photo, others: Sequence[Photo]) -> list[str]:
    """Plain comparisons with the other files of the same size, where the kept one wins."""
    q = best.quality
    same = [
        (p.name, p.quality)
        for p in others
        if p.quality and p.width == best.width and p.height == best.height
    ]
    if q is None or not same:
        return []
    notes = []
    blurred = [(n, o) for n, o in same if o.sharpness < 0.85 * q.sharpness]
    if blurred:
        notes.append(f"sharper ({q.sharpness * 1e4:.0f} vs {blurred[0][1].sharpness * 1e4:.0f})")
    noisy = [(n, o) for n, o in same if o.noise > 1.2 * q.noise + 0.2]
    if noisy:
        notes.append(f"less noise ({q.noise:.1f} vs {noisy[0][1].noise:.1f})")
    grey = [n for n, o in same if o.colourfulness < 0.3 * q.colourfulness]
    if grey and q.colourfulness > 5:
        notes.append(f"in colour ({grey[0]} is grey)")
    return notes


def _why_lower(best: Photo, photo: Photo, scores: Mapping[str, float]) -> str:
    mine, theirs = scores.get(photo.path, 0.0), scores.get(best.path, 0.0)
    return f"lower quality score ({mine:.2f} vs {theirs:.2f} for {best.name})"


def _sentence(best: Photo, reasons: Sequence[str], backed_up: int, flagged: int) -> str:
    why = "; ".join(reasons) if reasons else "the only candidate"
    tail = f"; back up {backed_up} other file{'s' if backed_up != 1 else ''}"
    if flagged:
        tail += f", review {flagged} AI-enhanced"
    return f"keep {best.name}: {why}{tail}"


def _burst_keep(
    burst: Burst,
    photos: Mapping[str, Photo],
    fine: Mapping[str, float],
    faces: Mapping[str, Faces] | None,
    options: JudgeOptions,
) -> str | None:
    frames = [photos[p] for p in burst.members if p in photos]
    if not frames:
        return None

    def key(photo: Photo) -> tuple[float, float, str]:
        found = (faces or {}).get(photo.path) or photo.faces
        eyes = found.eyes_open if options.faces and found else 0
        sharp = fine.get(photo.path)
        if sharp is None and photo.quality:
            sharp = photo.quality.fine_sharpness or photo.quality.sharpness
        return (eyes, sharp or 0.0, photo.path)

    return max(frames, key=key).path
