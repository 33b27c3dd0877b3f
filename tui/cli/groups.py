"""`photosift groups`: the groups of look-alike photos in the catalog."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.judging.profiles import PROFILES
from core.models import TIER_ORDER, GroupMember
from core.paths import printable

if TYPE_CHECKING:  # the engine is imported only when the command runs
    from core.judging.recommend import Recommendation
    from core.service import GroupingResult, Judged
from tui.cli.format import size

EXIT_OK, EXIT_USAGE = 0, 2

HELP = (
    """\
Group the scanned photos and list the groups. Three tiers:

  exact    byte-identical copies (same content hash)
  near     the same photo saved differently: re-encoded, resized, cropped, mirrored,
           rotated, edited, watermarked, upscaled, converted to grey or to PNG
  similar  distinct shots of one moment: bursts (frames from one camera, consecutive
           captures a few seconds apart at most, by EXIF time) and the copies around them

Each photo's pHash is compared in 8 orientations and several zooms, then every candidate is
verified on its thumbnail; "similarity" is that visual similarity (1.00 = identical). A group
never chains: each member is verified against the group's anchor.

Groups are kept in the catalog and computed again only when a scan, a verdict, a reference
folder or an option changed; a group whose members did not change keeps its id. Verdicts
(--dismiss, --not-duplicate) are kept by file content, so they survive renames and moves.

Profiles (--profile): """
    + ", ".join(f"{p.name} {p.threshold:.2f}" for p in PROFILES.values())
    + """ (similarity threshold; burst window 1-3 s).
"""
)


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "groups",
        parents=[common],
        help="list groups of duplicate and similar photos",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--tier",
        choices=["exact", "near", "similar", "all"],
        default="all",
        help="show only groups of this tier (default: all)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        metavar="T",
        help="visual similarity (0-1) two photos need to be grouped (default: the profile's)",
    )
    p.add_argument(
        "--profile",
        metavar="NAME",
        help=f"profile: {', '.join(PROFILES)}, or one of yours from the config file "
        "(default: default)",
    )
    p.add_argument("--json", action="store_true", help="write the groups as JSON on stdout")
    p.add_argument(
        "--regroup", action="store_true", help="compute the groups again even if nothing changed"
    )
    p.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="FOLDER",
        help="mark FOLDER as reference (repeatable): its photos are matched but never proposed "
        "for backup; remembered in the catalog",
    )
    p.add_argument(
        "--unreference", action="append", default=[], metavar="FOLDER", help="unmark FOLDER"
    )
    p.add_argument(
        "--dismiss",
        type=int,
        metavar="ID",
        help="remember that the photos of group ID are not duplicates, then regroup",
    )
    p.add_argument(
        "--not-duplicate",
        nargs=2,
        metavar=("ID", "PATH"),
        help="remember that PATH is not a duplicate of the rest of group ID, then regroup",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from core import service
    from tui.cli.progress import ProgressView

    db_path = service.resolve_db_path(args.db)
    if args.not_duplicate and not args.not_duplicate[0].isdigit():
        print(
            f"photosift groups: error: {args.not_duplicate[0]!r} is not a group id", file=sys.stderr
        )
        return EXIT_USAGE
    if args.reference or args.unreference:
        folders = service.set_reference_folders(args.reference, args.unreference, db_path=db_path)
        print(f"Reference folders: {', '.join(map(printable, folders)) or 'none'}", file=sys.stderr)
    if args.dismiss is not None:
        service.dismiss_group(args.dismiss, db_path=db_path)
        print(f"Group {args.dismiss}: remembered as not duplicates", file=sys.stderr)
    if args.not_duplicate:
        group_id, path = args.not_duplicate
        service.split_from_group(int(group_id), path, db_path=db_path)
        print(
            f"{printable(path)}: remembered as not a duplicate of group {group_id}", file=sys.stderr
        )
    with ProgressView(sys.stderr) as view:
        result = service.find_groups(
            db_path=db_path,
            profile=args.profile,
            threshold=args.threshold,
            regroup=args.regroup,
            on_progress=view,
        )
        shown = [g for g in result.groups if args.tier in ("all", g.tier.value)]
        judged = service.judge(shown, db_path=db_path, profile=args.profile, on_progress=view)
    if args.json:
        print(json.dumps(groups_document(judged, result), indent=2))
    else:
        print_table(judged, result)
    return EXIT_OK


def groups_document(judged: Sequence[Judged], result: GroupingResult) -> dict:
    """The groups in the benchmark kit's result format (absolute paths; keep, ai_enhanced,
    bursts), plus photosift's own fields: id, tier, similarity, the recommendation and its
    reasons, and for each file its relation, similarity, quality score, AI verdict and why
    it is not the one kept."""
    return {
        "profile": result.profile.name,
        "threshold": result.options.threshold,
        "groups": [_group_entry(j) for j in judged],
        "ai_enhanced": sorted({p for j in judged for p in j.recommendation.ai_enhanced}),
        "bursts": [
            {"group": j.group.id, "members": list(b.members), "keep": b.keep}
            for j in judged
            for b in j.group.bursts
        ],
    }


def _group_entry(judged: Judged) -> dict:
    g, advice = judged.group, judged.recommendation
    return {
        "id": g.id,
        "tier": g.tier.value,
        "similarity": round(g.similarity, 4),
        "members": list(g.paths),
        "keep": g.keep,
        "recommendation": advice.recommendation,
        "reasons": list(advice.reasons),
        "duplicates": list(advice.duplicates),
        "lower_quality": list(advice.lower_quality),
        "ai_enhanced": list(advice.ai_enhanced),
        "total_size": advice.total_size,
        "potential_savings": advice.potential_savings,
        "anchor": g.anchor,
        "files": [_file_entry(m, advice) for m in g.members],
    }


def _file_entry(member: GroupMember, advice: Recommendation) -> dict:
    photo = member.photo
    verdict = advice.ai_verdicts[photo.path]
    return {
        "path": photo.path,
        "relation": member.relation.value,
        "similarity": round(member.similarity, 4),
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "reference": member.reference,
        "quality_score": advice.scores.get(photo.path),
        "is_ai_enhanced": verdict.is_ai_enhanced,
        "ai_confidence": verdict.confidence,
        "ai_indicators": list(verdict.indicators),
        "why": advice.why.get(photo.path),
    }


def print_table(judged: Sequence[Judged], result: GroupingResult) -> None:
    if not judged:
        print("No groups found." if not result.groups else "No groups of that tier.")
        return
    header = f"{'id':>5}  {'tier':<8}{'files':>6}{'size':>11}{'reclaimable':>13}{'AI':>4}"
    print(header + "  keep")
    for j in judged:
        g, advice = j.group, j.recommendation
        print(
            f"{g.id:>5}  {g.tier.value:<8}{len(g.members):>6}{size(g.size):>11}"
            f"{size(advice.potential_savings):>13}{len(advice.ai_enhanced) or '':>4}"
            f"  {printable(g.keep or g.anchor)}"
        )
    groups = [j.group for j in judged]
    tiers = sorted({g.tier for g in groups}, key=TIER_ORDER.__getitem__)
    counts = ", ".join(f"{sum(g.tier is t for g in groups)} {t.value}" for t in tiers)
    files = sum(len(g.members) for g in groups)
    reclaimable = sum(j.recommendation.potential_savings for j in judged)
    how = "computed" if result.computed else "unchanged since the last grouping"
    print(
        f"{len(groups)} groups ({counts}), {files} files, {size(reclaimable)} reclaimable "
        f"[profile {result.profile.name}, similarity >= {result.options.threshold:.2f}; {how}]"
    )
