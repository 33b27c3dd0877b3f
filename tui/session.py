"""What the app shows, kept apart from how it shows it: the groups, their advice and the
person's decisions, the filter and sort of the group list, and where the person was (stored
in the catalog, so reopening resumes there). Calls only the Library; imports no textual, so
it is tested without a terminal. Methods that read files or the catalog are meant for worker
threads; the app's UI thread only reads the fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from core.library import GroupingResult, Judged, Library
from core.models import Group, Photo, Progress
from core.models.actions import Decision

_JUDGE_CHUNK = 200  # groups judged per step, so the list fills in while the rest is judged


class Sort(StrEnum):
    SAVINGS = "savings"
    SIZE = "size"
    DATE = "date"
    PATH = "path"


@dataclass
class Filter:
    text: str = ""  # a part of a member's path
    undecided: bool = False
    ai: bool = False
    tier: str = ""  # "", exact, near, similar, burst

    def matches(self, row: Row, decided: dict[str, Decision]) -> bool:
        group = row.group
        if self.text and not any(self.text.lower() in p.lower() for p in group.paths):
            return False
        if self.undecided and row.is_decided(decided):
            return False
        if self.ai and not (row.judged and row.judged.recommendation.ai_enhanced):
            return False
        return not self.tier or row.tier == self.tier

    @property
    def active(self) -> bool:
        return bool(self.text or self.undecided or self.ai or self.tier)

    def describe(self) -> str:
        parts = [f'"{self.text}"'] if self.text else []
        parts += ["undecided"] if self.undecided else []
        parts += ["AI-flagged"] if self.ai else []
        parts += [self.tier] if self.tier else []
        return ", ".join(parts) or "all"


@dataclass
class Row:
    group: Group
    judged: Judged | None = None

    @property
    def id(self) -> int:
        return self.group.id if self.group.id is not None else -1

    @property
    def tier(self) -> str:
        return "burst" if self.group.bursts else self.group.tier.value

    @property
    def keep(self) -> str | None:
        return self.judged.group.keep if self.judged else None

    @property
    def reclaimable(self) -> int:
        return self.judged.recommendation.potential_savings if self.judged else 0

    @property
    def taken_at(self) -> str:
        dates = [m.photo.taken_at for m in self.group.members if m.photo.taken_at]
        return min(dates).isoformat() if dates else ""

    def decided(self, decided: dict[str, Decision]) -> int:
        return sum(1 for p in self.group.paths if p in decided)

    def is_decided(self, decided: dict[str, Decision]) -> bool:
        """Every file has a decision, but those left for review (AI-flagged, changed since
        the scan), which accepting leaves undecided on purpose."""
        review: set[str] = set()
        if self.judged:
            advice = self.judged.recommendation
            review = set(advice.ai_enhanced) | set(advice.stale)
        return all(p in decided or p in review for p in self.group.paths) and any(
            p in decided for p in self.group.paths
        )

    def flags(self) -> str:
        """AI-flagged, protected/reference, missing or changed files, as short marks."""
        marks = []
        if self.judged and self.judged.recommendation.ai_enhanced:
            marks.append("AI")
        if any(m.reference for m in self.group.members):
            marks.append("ref")
        if self.judged and self.judged.recommendation.stale:
            marks.append("missing")
        return " ".join(marks)


@dataclass
class Session:
    """The app's view of one catalog."""

    library: Library
    rows: list[Row] = field(default_factory=list)
    decided: dict[str, Decision] = field(default_factory=dict)
    filter: Filter = field(default_factory=Filter)
    sort: Sort = Sort.SAVINGS
    result: GroupingResult | None = None
    history: list[tuple[list[str], dict[str, Decision]]] = field(default_factory=list)

    # -- loading (workers) -------------------------------------------------------------------

    def load(self, on_progress: Callable[[Progress], None] | None = None) -> None:
        """The stored groups (computed if the catalog changed) and the decisions."""
        self.result = self.library.groups(on_progress=on_progress)
        self.rows = [Row(g) for g in self.result.groups]
        self.refresh_decisions()
        self.restore_state()

    def judge(
        self,
        rows: Sequence[Row] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_chunk: Callable[[list[Row]], None] | None = None,
    ) -> None:
        """Fill in the advice of ``rows`` (all not yet judged), a chunk at a time."""
        todo = [r for r in (rows if rows is not None else self.rows) if r.judged is None]
        profile = self.result.profile.name if self.result else None
        for start in range(0, len(todo), _JUDGE_CHUNK):
            if should_stop and should_stop():
                return
            chunk = todo[start : start + _JUDGE_CHUNK]
            judged = self.library.judge([r.group for r in chunk], profile=profile)
            for row, advice in zip(chunk, judged, strict=True):
                row.judged = advice
            if on_chunk:
                on_chunk(chunk)

    def refresh_decisions(self) -> None:
        self.decided = {p: r.decision for p, r in self.library.decisions().items()}

    # -- the list ----------------------------------------------------------------------------

    def visible(self) -> list[Row]:
        rows = [r for r in self.rows if self.filter.matches(r, self.decided)]
        key: dict[Sort, Callable[[Row], object]] = {
            Sort.SAVINGS: lambda r: (-r.reclaimable, -r.group.size, r.id),
            Sort.SIZE: lambda r: (-r.group.size, r.id),
            Sort.DATE: lambda r: (r.taken_at or "~", r.id),
            Sort.PATH: lambda r: (r.group.paths[0], r.id),
        }
        return sorted(rows, key=key[self.sort])

    def row(self, group_id: int) -> Row | None:
        return next((r for r in self.rows if r.id == group_id), None)

    def totals(self) -> dict[str, int]:
        decided = sum(1 for r in self.rows if r.is_decided(self.decided))
        backup = [p for p, d in self.decided.items() if d is Decision.BACKUP]
        sizes = {m.photo.path: m.photo.size for r in self.rows for m in r.group.members}
        return {
            "groups": len(self.rows),
            "decided": decided,
            "reclaimable": sum(r.reclaimable for r in self.rows),
            "backup_files": len(backup),
            "backup_bytes": sum(sizes.get(p, 0) for p in backup),
        }

    # -- decisions (workers: they write the catalog) -----------------------------------------

    def accept(self, rows: Sequence[Row]) -> list[str]:
        """Take the recommendation of ``rows``; returns what was refused, in words."""
        before = self._snapshot([p for r in rows for p in r.group.paths])
        result = self.library.accept([r.id for r in rows])
        self._remember(before)
        self.refresh_decisions()
        return [f"{what}: {why}" for what, why in result.refused]

    def decide(self, paths: Sequence[str], decision: Decision) -> list[str]:
        before = self._snapshot(paths)
        result = self.library.decide(paths, decision)
        self._remember(before)
        self.refresh_decisions()
        return [f"{path}: {why}" for path, why in result.refused]

    def toggle(self, photo: Photo) -> list[str]:
        """keep -> backup -> keep (undecided counts as keep)."""
        now = self.decided.get(photo.path)
        wanted = Decision.KEEP if now is Decision.BACKUP else Decision.BACKUP
        return self.decide([photo.path], wanted)

    def undo_decision(self) -> bool:
        """Put back the decisions the last accept, decide or toggle changed."""
        if not self.history:
            return False
        paths, before = self.history.pop()
        by_decision: dict[Decision, list[str]] = {}
        for path in paths:
            by_decision.setdefault(before.get(path, Decision.UNDECIDED), []).append(path)
        for decision, group in by_decision.items():
            self.library.decide(group, decision, allow_empty_group=True)
        self.refresh_decisions()
        return True

    def _snapshot(self, paths: Sequence[str]) -> tuple[list[str], dict[str, Decision]]:
        return list(paths), {p: self.decided[p] for p in paths if p in self.decided}

    def _remember(self, before: tuple[list[str], dict[str, Decision]]) -> None:
        self.history.append(before)
        del self.history[:-100]

    def not_duplicates(self, row: Row) -> None:
        self.library.dismiss(row.id)
        self.reload_groups()

    def not_a_duplicate(self, row: Row, photo: Photo) -> None:
        self.library.split(row.id, photo.path)
        self.reload_groups()

    def reload_groups(self) -> None:
        """After a verdict: the grouping again, keeping the advice of unchanged groups."""
        old = {r.group.paths: r.judged for r in self.rows}
        self.result = self.library.groups()
        self.rows = [Row(g, _with_id(g, old.get(g.paths))) for g in self.result.groups]
        self.refresh_decisions()

    # -- where the person was ----------------------------------------------------------------

    def save_state(self, group_id: int | None) -> None:
        if self.library.read_only:
            return
        state = {
            "group": group_id,
            "sort": self.sort.value,
            "filter": {
                "text": self.filter.text,
                "undecided": self.filter.undecided,
                "ai": self.filter.ai,
                "tier": self.filter.tier,
            },
        }
        self.library.set_app_state(state)

    def restore_state(self) -> int | None:
        """Sort and filter as the person left them; returns the group they were on."""
        state = self.library.app_state()
        try:
            self.sort = Sort(state.get("sort", Sort.SAVINGS.value))
            self.filter = Filter(**state.get("filter", {}))
        except (ValueError, TypeError, AttributeError):
            return None
        group = state.get("group")
        return group if isinstance(group, int) else None


def _with_id(group: Group, judged: Judged | None) -> Judged | None:
    """A kept advice, given the group's (possibly new) id."""
    if judged is None:
        return None
    return Judged(replace(judged.group, id=group.id), judged.recommendation)
