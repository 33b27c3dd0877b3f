"""`photosift groups`: the groups of look-alike photos in the catalog."""

from __future__ import annotations

import argparse
import json
import sys

from core.models import TIER_ORDER, Group, printable
from core.profiles import PROFILES
from tui.format import size

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
        "--profile", choices=sorted(PROFILES), help="grouping profile (default: default, 0.85)"
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
    from tui.progress import GroupingProgressView

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
    with GroupingProgressView(sys.stderr) as view:
        result = service.find_groups(
            db_path=db_path,
            profile=args.profile,
            threshold=args.threshold,
            regroup=args.regroup,
            on_progress=view,
        )
    shown = [g for g in result.groups if args.tier in ("all", g.tier.value)]
    if args.json:
        print(json.dumps(groups_document(shown, result), indent=2))
    else:
        print_table(shown, result)
    return EXIT_OK


def groups_document(groups: list[Group], result) -> dict:
    """The groups in the benchmark kit's result format (absolute paths), plus photosift's own
    fields: id, tier, similarity, anchor, and each file's relation and similarity."""
    return {
        "profile": result.profile.name,
        "threshold": result.options.threshold,
        "groups": [
            {
                "id": g.id,
                "tier": g.tier.value,
                "similarity": round(g.similarity, 4),
                "members": list(g.paths),
                "keep": g.keep,
                "anchor": g.anchor,
                "size": g.size,
                "reclaimable": g.reclaimable,
                "files": [
                    {
                        "path": m.photo.path,
                        "relation": m.relation.value,
                        "similarity": round(m.similarity, 4),
                        "size": m.photo.size,
                        "width": m.photo.width,
                        "height": m.photo.height,
                        "taken_at": m.photo.taken_at.isoformat() if m.photo.taken_at else None,
                        "reference": m.reference,
                    }
                    for m in g.members
                ],
            }
            for g in groups
        ],
        "bursts": [
            {"group": g.id, "members": list(b.members), "keep": b.keep}
            for g in groups
            for b in g.bursts
        ],
    }


def print_table(groups: list[Group], result) -> None:
    if not groups:
        print("No groups found." if not result.groups else "No groups of that tier.")
        return
    print(
        f"{'id':>5}  {'tier':<8}{'files':>6}{'size':>11}{'reclaimable':>13}{'similar':>9}  anchor"
    )
    for g in groups:
        print(
            f"{g.id:>5}  {g.tier.value:<8}{len(g.members):>6}{size(g.size):>11}"
            f"{size(g.reclaimable):>13}{g.similarity:>9.2f}  {printable(g.anchor)}"
        )
    tiers = sorted({g.tier for g in groups}, key=TIER_ORDER.__getitem__)
    counts = ", ".join(f"{sum(g.tier is t for g in groups)} {t.value}" for t in tiers)
    files = sum(len(g.members) for g in groups)
    reclaimable = sum(g.reclaimable for g in groups)
    how = "computed" if result.computed else "unchanged since the last grouping"
    print(
        f"{len(groups)} groups ({counts}), {files} files, {size(reclaimable)} reclaimable "
        f"[profile {result.profile.name}, similarity >= {result.options.threshold:.2f}; {how}]"
    )
