"""`photosift report`: what grouping and judging propose, summed up per tier (and profile)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.judging.profiles import PROFILES
from core.models import TIER_ORDER, Tier
from core.paths import printable
from tui.cli.format import size

if TYPE_CHECKING:
    from core.service import Judged

EXIT_OK = 0

HELP = """\
Sum up what photosift proposes: per tier, the groups, their files, the files proposed for
backup (exact copies and lower-quality versions), the AI-enhanced files flagged for review
(never backed up unless you say so), and the bytes a backup would reclaim.

--csv writes one line per file (group, tier, action, path, size, quality score, AI
confidence, why); --json the summary and every group with its recommendation.
--all-profiles adds the totals each built-in profile would give (computed without
replacing the stored groups).
"""


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "report",
        parents=[common],
        help="sum up groups, files to back up, reclaimable bytes and AI-flagged files",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", metavar="NAME", help="profile to judge with (default: default)")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the report as JSON")
    form.add_argument("--csv", action="store_true", help="one CSV line per file")
    p.add_argument(
        "--all-profiles", action="store_true", help="also the totals of every built-in profile"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from core import service
    from tui.cli.groups import groups_document
    from tui.cli.progress import ProgressView

    db_path = service.resolve_db_path(args.db)
    with ProgressView(sys.stderr) as view:
        result = service.find_groups(db_path=db_path, profile=args.profile, on_progress=view)
        judged = service.judge(
            result.groups, db_path=db_path, profile=args.profile, on_progress=view
        )
        others = {}
        if args.all_profiles:
            for name in PROFILES:
                what_if = service.find_groups(
                    db_path=db_path, profile=name, store=False, on_progress=view
                )
                others[name] = totals(service.judge(what_if.groups, db_path=db_path, profile=name))
    if args.csv:
        write_csv(judged, sys.stdout)
    elif args.json:
        document = groups_document(judged, result)
        document["summary"] = summary(judged)
        if others:
            document["profiles"] = others
        print(json.dumps(document, indent=2))
    else:
        print_summary(judged, result.profile.name, others)
    return EXIT_OK


def summary(judged: Sequence[Judged]) -> dict[str, dict[str, int]]:
    """Per tier and in total: groups, files, files to back up, AI-flagged files, bytes."""
    out: dict[str, dict[str, int]] = {}
    for tier in sorted(Tier, key=TIER_ORDER.__getitem__):
        out[tier.value] = totals([j for j in judged if j.group.tier is tier])
    out["total"] = totals(judged)
    return out


def totals(judged: Sequence[Judged]) -> dict[str, int]:
    advice = [j.recommendation for j in judged]
    return {
        "groups": len(judged),
        "files": sum(len(j.group.members) for j in judged),
        "backup": sum(len(a.duplicates) + len(a.lower_quality) for a in advice),
        "ai_flagged": sum(len(a.ai_enhanced) for a in advice),
        "reclaimable": sum(a.potential_savings for a in advice),
    }


def print_summary(judged: Sequence[Judged], profile: str, others: dict) -> None:
    rows = summary(judged)
    print(f"Profile {profile}:")
    print(f"  {'tier':<10}{'groups':>7}{'files':>7}{'backup':>8}{'AI':>5}{'reclaimable':>13}")
    for name, t in rows.items():
        print(
            f"  {name:<10}{t['groups']:>7}{t['files']:>7}{t['backup']:>8}{t['ai_flagged']:>5}"
            f"{size(t['reclaimable']):>13}"
        )
    flagged = sorted({p for j in judged for p in j.recommendation.ai_enhanced})
    if flagged:
        print(f"AI-enhanced, for review ({len(flagged)}):")
        for path in flagged:
            print(f"  {printable(path)}")
    if others:
        print("Totals by profile:")
        for name, t in others.items():
            print(
                f"  {name:<13}{t['groups']:>5} groups{t['backup']:>7} to back up"
                f"{size(t['reclaimable']):>11}"
            )


def write_csv(judged: Sequence[Judged], out) -> None:
    writer = csv.writer(out)
    writer.writerow(
        ["group", "tier", "action", "path", "size", "quality_score", "ai_confidence", "why"]
    )
    for j in judged:
        advice = j.recommendation
        backup = set(advice.duplicates) | set(advice.lower_quality)
        for member in j.group.members:
            path = member.photo.path
            if path == advice.best_file:
                action, why = "keep", advice.recommendation
            elif path in advice.ai_enhanced:
                action, why = "review", advice.why.get(path, "")
            elif path in backup:
                action, why = "backup", advice.why.get(path, "")
            else:
                action, why = "kept", advice.why.get(path) or "in a reference or protected folder"
            writer.writerow(
                [
                    j.group.id, j.group.tier.value, action, printable(path), member.photo.size,
                    advice.scores.get(path, ""), advice.ai_verdicts[path].confidence, why,
                ]
            )  # fmt: skip
