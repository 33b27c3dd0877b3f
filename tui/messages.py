"""Messages the app's workers post to its screens (past tense: something happened)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from core.models import Progress, ScanSummary
from core.models.actions import Outcome, Plan


@dataclass
class WorkProgressed(Message):
    """A scan, a grouping, judging, an apply or an undo moved on."""

    progress: Progress


@dataclass
class ScanFinished(Message):
    summary: ScanSummary


@dataclass
class GroupsLoaded(Message):
    """The session's groups and decisions are in; advice follows (GroupsJudged)."""

    resume_group: int | None = None


@dataclass
class GroupsJudged(Message):
    """Advice for these groups (ids) is in."""

    ids: list[int]
    done: bool = False


@dataclass
class ThumbnailReady(Message):
    """The preview of this file is in the cache (or its reason why not)."""

    path: str


@dataclass
class DecisionRecorded(Message):
    """Decisions were stored; ``refused`` says in words what was not."""

    refused: list[str]
    group_id: int | None = None


@dataclass
class PlanMade(Message):
    plan: Plan


@dataclass
class ActionFinished(Message):
    """An apply, resume or undo ended."""

    outcome: Outcome
    undo: bool = False


@dataclass
class WorkFailed(Message):
    """Long work ended with an error the person should read."""

    error: str
