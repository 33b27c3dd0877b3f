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
from tui.cli.format import HelpFormatter, path_bytes, path_entry, shown, size
from tui.cli.groups import groups_document, role
from tui.cli.signals import Stopper

if TYPE_CHECKING:
    from core.library import GroupingResult, Judged

EXIT_OK = 0

HELP = """\
Sum up what photosift proposes: per tier, the groups, their files, the files proposed for
backup (exact copies and lower-quality versions), the AI-enhanced files flagged for review
(never backed up unless you say so), and the bytes a backup would reclaim.

The report uses the stored grouping and its settings (say which in its first line); with
--profile another profile, judged and grouped as a what-if, nothing stored. --all-profiles
adds the totals each built-in profile would give, none of them stored.

--csv writes one line per file (group, tier, action, path, path_bytes, size, quality score,
AI confidence, why); --json the summary and every group with its recommendation.
"""


def add_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "report",
        parents=[common],
        help="sum up groups, files to back up, reclaimable bytes and AI-flagged files",
        description=HELP,
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="profile to group and judge with (default: the stored grouping's), as a what-if",
    )
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the report as JSON")
    form.add_argument("--csv", action="store_true", help="one CSV line per file")
    p.add_argument(
        "--all-profiles", action="store_true", help="also the totals of every built-in profile"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace, stopper: Stopper) -> int:
    from tui.cli.progress import ProgressView
    from tui.cli.session import open_library

    with open_library(args) as library, ProgressView(sys.stderr) as view:
        progress = {"on_progress": view, "should_stop": stopper}
        result = library.groups(profile=args.profile, **progress)
        judged = library.judge(result.groups, profile=result.profile.name, **progress)
        decided = {path: r.decision.value for path, r in library.decisions().items()}
        others = {}
        if args.all_profiles:
            for name in PROFILES:
                what_if = library.groups(profile=name, **progress)
                others[name] = totals(library.judge(what_if.groups, profile=name, **progress))
    if args.csv:
        write_csv(judged, sys.stdout, decided)
    elif args.json:
        document = groups_document(judged, result, decided)
        document["summary"] = summary(judged)
        if others:
            document["profiles"] = others
        print(json.dumps(document, indent=2))
    else:
        print_summary(judged, result, others)
        print_decisions(judged, decided)
    return EXIT_OK


def print_decisions(judged: Sequence[Judged], decided: dict[str, str]) -> None:
    """What the person decided about these groups' files, and what comes next."""
    paths = {p for j in judged for p in j.group.paths}
    counts = {d: sum(1 for p in paths if decided.get(p, "undecided") == d)
              for d in ("keep", "backup", "undecided")}  # fmt: skip
    print(
        f"Decided: {counts['keep']} to keep, {counts['backup']} to back up, "
        f"{counts['undecided']} undecided"
    )
    if counts["backup"]:
        print("  'photosift apply --backup DIR --dry-run' shows what would move.")
    elif counts["undecided"]:
        print("  'photosift accept --all' takes the recommendations.")


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


def settings_line(result: GroupingResult) -> str:
    where = "the stored grouping" if result.stored else f"not stored: {result.note}"
    return f"Profile {result.profile.name}, similarity >= {result.options.threshold:.2f} ({where})"


def print_summary(judged: Sequence[Judged], result: GroupingResult, others: dict) -> None:
    rows = summary(judged)
    print(f"Profile {result.profile.name}:")
    print(f"  {'tier':<10}{'groups':>7}{'files':>7}{'backup':>8}{'AI':>5}{'reclaimable':>13}")
    for name, t in rows.items():
        print(
            f"  {name:<10}{t['groups']:>7}{t['files']:>7}{t['backup']:>8}{t['ai_flagged']:>5}"
            f"{size(t['reclaimable']):>13}"
        )
    print(f"  [{settings_line(result)}]")
    flagged = sorted({p for j in judged for p in j.recommendation.ai_enhanced})
    if flagged:
        print(f"AI-enhanced, for review ({len(flagged)}):")
        for path in flagged:
            print(f"  {shown(path)}")
    stale = sorted({p for j in judged for p in j.recommendation.stale})
    if stale:
        print(f"Changed or missing since the scan, left out ({len(stale)}); scan again:")
        for path in stale:
            print(f"  {shown(path)}")
    if others:
        print("Totals by profile (what-ifs, not stored):")
        for name, t in others.items():
            print(
                f"  {name:<13}{t['groups']:>5} groups{t['backup']:>7} to back up"
                f"{size(t['reclaimable']):>11}"
            )


_ACTIONS = {"keep": "keep", "copy": "backup", "lower quality": "backup", "AI": "review"}


def write_csv(judged: Sequence[Judged], out, decided: dict[str, str] | None = None) -> None:
    decided = decided or {}
    writer = csv.writer(out)
    writer.writerow(
        ["group", "tier", "action", "path", "path_bytes", "size", "quality_score",
         "ai_confidence", "why", "decision"]
    )  # fmt: skip
    for j in judged:
        advice = j.recommendation
        for member in j.group.members:
            path = member.photo.path
            action = _ACTIONS.get(role(path, advice), "kept")
            if path in advice.stale:
                action = "skip"
            if action == "keep":
                why = advice.recommendation
            elif action == "kept":
                why = advice.why.get(path) or "in a reference or protected folder"
            else:
                why = advice.why.get(path, "")
            writer.writerow(
                [
                    j.group.id, j.group.tier.value, action, path_entry(path)["path"],
                    path_bytes(path), member.photo.size, advice.scores.get(path, ""),
                    advice.ai_verdicts[path].confidence, why, decided.get(path, "undecided"),
                ]
            )  # fmt: skip
