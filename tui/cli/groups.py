"""`photosift groups`: the groups of look-alike photos in the catalog."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from core.errors import PhotosiftError
from core.judging.profiles import PROFILES
from core.models import TIER_ORDER, GroupMember
from tui.cli.format import HelpFormatter, middle, path_entry, shown, size, width
from tui.cli.signals import Stopper

if TYPE_CHECKING:  # the engine is imported only when the command runs
    from core.judging.recommend import Recommendation
    from core.library import GroupingResult, Judged, Library

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

Groups are kept in the catalog with the settings they were computed with, and computed again
with those settings only when a scan, a verdict or a reference folder changed them; a group
whose members did not change keeps its id. Another --profile or --threshold is a what-if:
shown, not stored, unless --regroup (which stores them as the new settings). Verdicts
(--dismiss, --not-duplicate) are kept by file content, so they survive renames and moves;
--undismiss takes them back.

Every file is checked right before it is shown: one deleted or changed since the scan is
marked as such, never kept, and never makes another file "a copy of" it.

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
        formatter_class=HelpFormatter,
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
        help="visual similarity (0-1) two photos need to be grouped (default: the stored "
        "grouping's, else the profile's); without --regroup, a what-if",
    )
    p.add_argument(
        "--profile",
        metavar="NAME",
        help=f"profile: {', '.join(PROFILES)}, or one of yours from the config file "
        "(default: the stored grouping's, else default); without --regroup, a what-if",
    )
    p.add_argument("--json", action="store_true", help="write the groups as JSON on stdout")
    p.add_argument(
        "--regroup",
        action="store_true",
        help="compute the groups again, and store them with the settings given",
    )
    p.add_argument(
        "--show", type=int, metavar="ID", help="list every file of group ID with its role and why"
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every file of every group with its role and why",
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
    p.add_argument(
        "--undismiss",
        type=int,
        metavar="ID",
        help="take back --dismiss and --not-duplicate said about group ID, then regroup",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace, stopper: Stopper) -> int:
    from tui.cli.progress import ProgressView
    from tui.cli.session import open_library

    if args.not_duplicate and not args.not_duplicate[0].isdigit():
        print(
            f"photosift groups: error: {shown(args.not_duplicate[0])!r} is not a group id",
            file=sys.stderr,
        )
        return EXIT_USAGE
    with open_library(args) as library:
        _record_verdicts(library, args)
        with ProgressView(sys.stderr) as view:
            result = library.groups(
                profile=args.profile,
                threshold=args.threshold,
                regroup=args.regroup,
                on_progress=view,
                should_stop=stopper,
            )
            shown_groups = [g for g in result.groups if args.tier in ("all", g.tier.value)]
            if args.show is not None:
                shown_groups = [g for g in shown_groups if g.id == args.show]
                if not shown_groups:
                    raise PhotosiftError(f"no group {args.show} among these groups")
            judged = library.judge(
                shown_groups, profile=result.profile.name, on_progress=view, should_stop=stopper
            )
        decided = {path: r.decision.value for path, r in library.decisions().items()}
    if args.json:
        print(json.dumps(groups_document(judged, result, decided), indent=2))
    elif args.show is not None or args.verbose:
        print_members(judged, result, decided)
    else:
        print_table(judged, result, decided)
    return EXIT_OK


def _record_verdicts(library: Library, args: argparse.Namespace) -> None:
    if args.reference or args.unreference:
        folders = library.set_reference_folders(args.reference, args.unreference)
        listed = ", ".join(map(shown, folders)) or "none"
        print(f"Reference folders: {listed}", file=sys.stderr)
    if args.dismiss is not None:
        library.dismiss(args.dismiss)
        print(f"Group {args.dismiss}: remembered as not duplicates", file=sys.stderr)
    if args.not_duplicate:
        group_id, path = args.not_duplicate
        library.split(int(group_id), path)
        print(f"{shown(path)}: remembered as not a duplicate of group {group_id}", file=sys.stderr)
    if args.undismiss is not None:
        library.undismiss(args.undismiss)
        print(f"Group {args.undismiss}: verdicts taken back", file=sys.stderr)


# -- roles ---------------------------------------------------------------------------------------


def role(path: str, advice: Recommendation) -> str:
    """What the recommendation does with one file: keep, copy (byte-identical to the keep),
    lower quality (proposed for backup), AI (for review, never backed up unless asked), kept
    (reference or protected folder, a burst's best frame), or why it was left out (missing,
    changed)."""
    if path in advice.stale:
        return advice.stale[path].split(":", 1)[0]
    if path == advice.best_file:
        return "keep"
    if path in advice.duplicates:
        return "copy"
    if path in advice.ai_enhanced:
        return "AI"
    if path in advice.lower_quality:
        return "lower quality"
    return "kept"


# -- JSON ----------------------------------------------------------------------------------------


def groups_document(
    judged: Sequence[Judged], result: GroupingResult, decided: Mapping[str, str] | None = None
) -> dict:
    """The groups in the benchmark kit's result format (absolute paths; keep, ai_enhanced,
    bursts), plus photosift's own fields: id, tier, similarity, the recommendation and its
    reasons, and for each file its role, the person's decision (keep, backup, undecided),
    relation, similarity, quality score, AI verdict, state (ok, missing, changed) and why it
    is not the one kept. Paths are text; a name that
    is not UTF-8 shows its bytes as \\xNN and has its exact bytes in the file's
    ``path_bytes`` (base64)."""
    return {
        "profile": result.profile.name,
        "threshold": result.options.threshold,
        "stored": result.stored,
        "note": result.note,
        "groups": [_group_entry(j, decided or {}) for j in judged],
        "ai_enhanced": sorted({_text(p) for j in judged for p in j.recommendation.ai_enhanced}),
        "bursts": [
            {
                "group": j.group.id,
                "members": [_text(p) for p in b.members],
                "keep": _text(b.keep) if b.keep else None,
            }
            for j in judged
            for b in j.group.bursts
        ],
    }


def _text(path: str) -> str:
    return path_entry(path)["path"]


def _group_entry(judged: Judged, decided: Mapping[str, str]) -> dict:
    g, advice = judged.group, judged.recommendation
    return {
        "id": g.id,
        "tier": g.tier.value,
        "similarity": round(g.similarity, 4),
        "members": [_text(p) for p in g.paths],
        "keep": _text(g.keep) if g.keep else None,
        "recommendation": advice.recommendation,
        "reasons": list(advice.reasons),
        "duplicates": [_text(p) for p in advice.duplicates],
        "lower_quality": [_text(p) for p in advice.lower_quality],
        "ai_enhanced": [_text(p) for p in advice.ai_enhanced],
        "total_size": advice.total_size,
        "potential_savings": advice.potential_savings,
        "anchor": _text(g.anchor),
        "files": [_file_entry(m, advice, decided) for m in g.members],
    }


def _file_entry(member: GroupMember, advice: Recommendation, decided: Mapping[str, str]) -> dict:
    photo = member.photo
    verdict = advice.ai_verdicts[photo.path]
    problem = advice.stale.get(photo.path)
    return {
        **path_entry(photo.path),
        "role": role(photo.path, advice),
        "decision": decided.get(photo.path, "undecided"),
        "state": problem.split(":", 1)[0] if problem else "ok",
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


# -- text ----------------------------------------------------------------------------------------


def print_table(
    judged: Sequence[Judged], result: GroupingResult, decided: Mapping[str, str] | None = None
) -> None:
    if not judged:
        print("No groups found." if not result.groups else "No groups of that tier.")
        return
    decided = decided or {}
    room = width()
    header = f"{'id':>5}  {'tier':<8}{'files':>6}{'size':>11}{'reclaimable':>13}{'AI':>4}"
    print(header + f"{'decided':>9}  keep")
    for j in judged:
        g, advice = j.group, j.recommendation
        keep = shown(g.keep) if g.keep else "(none: " + advice.reasons[0] + ")"
        row = (
            f"{g.id if g.id is not None else '-':>5}  {g.tier.value:<8}{len(g.members):>6}"
            f"{size(g.size):>11}{size(advice.potential_savings):>13}"
            f"{len(advice.ai_enhanced) or '':>4}{_decided(g.paths, decided):>9}  "
        )
        print(row + middle(keep, max(20, room - len(row)) if room else None))
    summary = summary_line(judged, result)
    print(textwrap.fill(summary, room - 1, subsequent_indent="  ") if room else summary)
    if any(j.recommendation.stale for j in judged):
        print(
            "Some files changed or vanished since the scan; 'photosift scan' brings it up to date."
        )


def _decided(paths: Sequence[str], decided: Mapping[str, str]) -> str:
    """How many of a group's files have a decision: "4/4", "1/3", or "-" for none."""
    count = sum(1 for p in paths if p in decided)
    return f"{count}/{len(paths)}" if count else "-"


def summary_line(judged: Sequence[Judged], result: GroupingResult) -> str:
    groups = [j.group for j in judged]
    tiers = sorted({g.tier for g in groups}, key=TIER_ORDER.__getitem__)
    counts = ", ".join(f"{sum(g.tier is t for g in groups)} {t.value}" for t in tiers)
    files = sum(len(g.members) for g in groups)
    reclaimable = sum(j.recommendation.potential_savings for j in judged)
    if not result.stored:
        how = f"not stored: {result.note}"
    else:
        how = "computed" if result.computed else "unchanged since the last grouping"
    return (
        f"{len(groups)} groups ({counts}), {files} files, {size(reclaimable)} reclaimable "
        f"[profile {result.profile.name}, similarity >= {result.options.threshold:.2f}; {how}]"
    )


def print_members(
    judged: Sequence[Judged], result: GroupingResult, decided: Mapping[str, str] | None = None
) -> None:
    """Each group with every file: its role, your decision when you made one, and why."""
    decided = decided or {}
    room = width()
    for j in judged:
        g, advice = j.group, j.recommendation
        print(
            f"Group {g.id}: {g.tier.value}, {len(g.members)} files, {size(g.size)}, "
            f"{size(advice.potential_savings)} reclaimable"
        )
        print(f"  {shown(advice.recommendation)}")
        for member in g.members:
            path = member.photo.path
            label = role(path, advice)
            mine = f"[{decided[path]}]" if path in decided else ""
            line = f"  {label:<14}{mine:<10}{shown(path)}"
            print(middle(line, room))
            why = advice.recommendation if label == "keep" else advice.why.get(path)
            if why and label != "keep":
                print(f"  {'':<24}{shown(why)}")
    if judged:
        print(summary_line(judged, result))
