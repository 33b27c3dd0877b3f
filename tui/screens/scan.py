"""Scan: the folders being scanned, with a progress bar, speed, time left, the current file
and the counts; then on to the groups. Stopping asks first, and keeps what was done."""

from __future__ import annotations

from collections import Counter

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from core.errors import PhotosiftError
from core.models import Phase, Progress, ScanSummary
from tui.cli.format import duration
from tui.cli.progress import describe
from tui.messages import ScanFinished, WorkFailed, WorkProgressed
from tui.text import plain


class ScanScreen(Screen[None]):
    """Scan: finding and analysing the photos"""

    BINDINGS = [
        Binding("escape", "stop", "Stop"),
        Binding("e", "errors", "Problems"),
        Binding("enter", "groups", "Groups", show=False),
    ]

    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = paths
        self.summary: ScanSummary | None = None
        self.show_errors = False
        self.stopping = False

    def compose(self) -> ComposeResult:
        with Vertical(id="scan"):
            yield Static("Scanning " + ", ".join(plain(p) for p in self.paths), id="scan-title")
            yield ProgressBar(id="scan-bar", show_eta=False)
            yield Static("finding photos…", id="scan-line")
            yield Static("", id="scan-current")
            yield Static("", id="scan-counts")
            yield Static("", id="scan-problems")
        yield Footer()

    def on_mount(self) -> None:
        self.app.busy = True  # type: ignore[attr-defined]
        self.run_scan()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def run_scan(self) -> None:
        worker = get_current_worker()
        library = self.app.library  # type: ignore[attr-defined]
        try:
            summary = library.scan(
                self.paths,
                on_progress=lambda p: self.post_message(WorkProgressed(p)),
                should_stop=lambda: worker.is_cancelled or self.stopping,
            )
        except PhotosiftError as exc:
            self.post_message(WorkFailed(str(exc)))
            return
        self.post_message(ScanFinished(summary))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkFailed(f"the scan failed: {event.worker.error!r}"))

    def on_work_progressed(self, message: WorkProgressed) -> None:
        p: Progress = message.progress
        bar = self.query_one(ProgressBar)
        if p.phase is Phase.DISCOVERING:
            bar.update(total=None)
        elif p.total:
            bar.update(total=p.total, progress=p.done)
        self.query_one("#scan-line", Static).update(describe(p))
        if p.current:
            self.query_one("#scan-current", Static).update(plain(p.current))

    def on_scan_finished(self, message: ScanFinished) -> None:
        self.app.busy = False  # type: ignore[attr-defined]
        s = self.summary = message.summary
        self.query_one(ProgressBar).update(total=max(s.seen, 1), progress=max(s.seen, 1))
        state = "interrupted" if s.interrupted else "done"
        self.query_one("#scan-line", Static).update(
            f"Scan {state} in {duration(s.elapsed)}: {s.seen:,} files seen"
        )
        self.query_one("#scan-current", Static).update("")
        lines = [
            f"new or changed {s.analysed:,} · unchanged {s.unchanged:,} · "
            f"skipped {s.skipped_total:,} · removed {s.removed:,}"
        ]
        for reason, count in sorted(s.skipped.items()):
            lines.append(f"  {reason}: {count:,}")
        for root, why in s.unavailable.items():
            lines.append(f"[b]unavailable[/]: {plain(root)} ({plain(why)}); its files are kept")
        lines.append("")
        lines.append("Enter: on to the groups · e: list the problems")
        self.query_one("#scan-counts", Static).update("\n".join(lines))
        if not s.problems and not s.unavailable:
            self.action_groups()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.app.busy = False  # type: ignore[attr-defined]
        self.query_one("#scan-line", Static).update(f"[b red]{plain(message.error)}[/]")

    def action_errors(self) -> None:
        if self.summary is None:
            return
        self.show_errors = not self.show_errors
        problems = self.summary.problems if self.show_errors else ()
        kinds = Counter(reason.split(":", 1)[0] for _, reason in problems)
        text = "\n".join(f"{plain(path)}: {plain(reason)}" for path, reason in problems[:200])
        if len(problems) > 200:
            text += f"\n… and {len(problems) - 200:,} more ({dict(kinds)})"
        self.query_one("#scan-problems", Static).update(text or "")

    def action_stop(self) -> None:
        if self.summary is not None:
            self.action_groups()
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.stopping = True
                self.query_one("#scan-line", Static).update("stopping…")

        self.app.push_screen(
            ConfirmScreen("Stop the scan? What was analysed is kept; scan again to go on."),
            answered,
        )

    def action_groups(self) -> None:
        if self.summary is None:
            return
        from tui.screens.groups import GroupsScreen

        self.app.switch_screen(GroupsScreen())
