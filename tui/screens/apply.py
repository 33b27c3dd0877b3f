"""Apply: what would move where (a dry run, computed here), then moving it after a
confirmation, with progress and the result; undo of the last batch, and the history."""

from __future__ import annotations

import os

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from core.errors import PhotosiftError
from core.models.actions import Batch, BatchState, Mode, Plan
from tui.cli.format import size
from tui.cli.progress import describe
from tui.messages import ActionFinished, PlanMade, WorkFailed, WorkProgressed
from tui.text import plain

_LISTED = 500  # moves listed in the plan table


class ApplyScreen(Screen[None]):
    """Apply: move the files marked backup"""

    BINDINGS = [
        Binding("g", "go", "Apply"),
        Binding("e", "edit", "Edit folder"),
        Binding("t", "mode", "Backup/trash"),
        Binding("r", "plan", "Plan again", show=False),
        Binding("u", "undo", "Undo last batch"),
        Binding("H", "history", "History", key_display="H"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = Mode.BACKUP
        self.plan: Plan | None = None

    def compose(self) -> ComposeResult:
        default = self.app.backup_folder or os.path.expanduser("~/photosift-backup")  # type: ignore[attr-defined]
        with Vertical(id="apply"):
            yield Static("", id="apply-mode")
            yield Input(default, placeholder="backup folder", id="backup-folder")
            yield Static("", id="apply-summary")
            yield ProgressBar(id="apply-bar", show_eta=False)
            yield DataTable(id="plan", cursor_type="row")
            yield Static("", id="apply-result")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.show_mode()
        self.query_one(DataTable).focus()
        self.action_plan()

    def show_mode(self) -> None:
        folder = self.query_one("#backup-folder", Input)
        folder.display = self.mode is Mode.BACKUP
        what = (
            "Move the files marked backup to the folder below (the tree mirrored); e edits it."
            if self.mode is Mode.BACKUP
            else "Send the files marked backup to the trash."
        )
        self.query_one("#apply-mode", Static).update(f"[b]{self.mode.value}[/] · {what}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()
        self.action_plan()

    def action_edit(self) -> None:
        if self.mode is Mode.BACKUP:
            self.query_one("#backup-folder", Input).focus()

    def action_mode(self) -> None:
        self.mode = Mode.TRASH if self.mode is Mode.BACKUP else Mode.BACKUP
        self.show_mode()
        self.action_plan()

    def action_plan(self) -> None:
        self.plan = None
        self.fill_plan()  # no rows of an earlier plan while this one is made (or refused)
        self.query_one("#apply-summary", Static).update("Making the plan…")
        self.make_plan(self.mode, self.query_one("#backup-folder", Input).value.strip())

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def make_plan(self, mode: Mode, folder: str) -> None:
        library = self.app.library  # type: ignore[attr-defined]
        try:
            destination = os.path.expanduser(folder) if mode is Mode.BACKUP else None
            plan = library.plan(mode, destination=destination)
        except PhotosiftError as exc:
            self.post_message(WorkFailed(str(exc)))
            return
        self.post_message(PlanMade(plan))

    def fill_plan(self) -> None:
        """The plan's moves, in two columns of half the screen each: fixed widths, so the
        table never shows itself before measuring its cells (it cut every path short)."""
        table = self.query_one("#plan", DataTable)
        width = max(20, self.size.width - 4) // 2 - 2  # the table's padding and scroll bar
        table.clear(columns=True)
        table.add_column("file", width=width, key="file")
        table.add_column("to", width=width, key="to")
        for move in self.plan.moves[:_LISTED] if self.plan else ():
            table.add_row(plain(move.source), plain(move.target) if move.target else "trash")

    def on_resize(self) -> None:
        if self.plan is not None:
            self.fill_plan()

    def on_plan_made(self, message: PlanMade) -> None:
        plan = self.plan = message.plan
        self.fill_plan()
        lines = []
        if plan.files:
            where = plain(plan.destination) if plan.destination else "the trash"
            lines.append(
                f"[b]{plan.files:,}[/] files, [b]{size(plan.bytes)}[/], from "
                f"{len(plan.groups):,} groups, to {where}. g applies (asks first)."
            )
        else:
            lines.append("Nothing to move: no file is marked backup (a accepts a group).")
        if plan.skipped:
            lines.append(f"Not moving {len(plan.skipped):,}:")
            lines += [f"  {plain(s.path)}: {plain(s.reason)}" for s in plan.skipped[:5]]
        lines += [f"note: {plain(n)}" for n in plan.notes]
        self.query_one("#apply-summary", Static).update("\n".join(lines))

    def on_work_failed(self, message: WorkFailed) -> None:
        self.app.busy = False  # type: ignore[attr-defined]
        self.query_one(ProgressBar).display = False
        self.query_one("#apply-summary", Static).update(f"[b red]{plain(message.error)}[/]")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed unexpectedly is said, and no longer counts as running work
        (the journal keeps what an apply did: ``photosift apply --resume`` finishes it)."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            names = {"apply_plan": "the apply", "undo_batch": "the undo", "make_plan": "planning"}
            what = names.get(event.worker.name, event.worker.name or "the work")
            self.post_message(WorkFailed(f"{what} failed: {event.worker.error!r}"))

    def action_go(self) -> None:
        plan = self.plan
        if plan is None or not plan.files:
            return
        from tui.screens.confirm import ConfirmScreen

        where = plain(plan.destination) if plan.destination else "the trash"
        question = (
            f"Move {plan.files:,} files ({size(plan.bytes)}) to {where}? Undo brings them back."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run(plan)

        self.app.push_screen(ConfirmScreen(question), answered)

    def run(self, plan: Plan) -> None:
        self.app.busy = True  # type: ignore[attr-defined]
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=plan.files, progress=0)
        self.apply_plan(plan)

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def apply_plan(self, plan: Plan) -> None:
        worker = get_current_worker()
        library = self.app.library  # type: ignore[attr-defined]
        try:
            outcome = library.apply(
                plan,
                on_progress=lambda p: self.post_message(WorkProgressed(p)),
                should_stop=lambda: worker.is_cancelled,
            )
        except PhotosiftError as exc:
            self.post_message(WorkFailed(str(exc)))
            return
        self.post_message(ActionFinished(outcome))

    def on_work_progressed(self, message: WorkProgressed) -> None:
        p = message.progress
        if p.total:
            self.query_one(ProgressBar).update(total=p.total, progress=p.done)
        self.query_one("#apply-result", Static).update(describe(p))

    def on_action_finished(self, message: ActionFinished) -> None:
        self.app.busy = False  # type: ignore[attr-defined]
        outcome = message.outcome
        batch = outcome.batch
        verb = "Restored" if message.undo else "Moved"
        lines = [
            f"[b]{verb} {len(outcome.done):,} files[/] (batch {batch.id}, {batch.state.value})."
        ]
        if outcome.interrupted:
            lines.append("Interrupted: photosift apply --resume finishes it; undo reverts it.")
        for path, why in outcome.problems[:10]:
            lines.append(f"  {plain(path)}: {plain(why)}")
        if len(outcome.problems) > 10:
            lines.append(
                f"  … and {len(outcome.problems) - 10:,} more (photosift history --show {batch.id})"
            )
        if not message.undo and outcome.done:
            lines.append("u brings them back.")
        self.query_one("#apply-result", Static).update("\n".join(lines))
        self.query_one(ProgressBar).display = False
        self.reload_session()
        self.action_plan()

    @work(thread=True, group="reload", exit_on_error=False)
    def reload_session(self) -> None:
        self.app.session.reload_groups()  # type: ignore[attr-defined]

    def action_undo(self) -> None:
        self.find_last_batch()

    @work(thread=True, group="history", exit_on_error=False)
    def find_last_batch(self) -> None:
        library = self.app.library  # type: ignore[attr-defined]
        batches = [b for b in library.history() if b.state is not BatchState.UNDONE]
        self.app.call_from_thread(self.ask_undo, batches[0] if batches else None)

    def ask_undo(self, batch: Batch | None) -> None:
        if batch is None:
            self.query_one("#apply-result", Static).update("No batch to undo.")
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.busy = True  # type: ignore[attr-defined]
                self.undo_batch(batch.id)

        self.app.push_screen(
            ConfirmScreen(f"Bring back the {batch.done:,} files of batch {batch.id}?"), answered
        )

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def undo_batch(self, batch_id: int) -> None:
        library = self.app.library  # type: ignore[attr-defined]
        try:
            outcome = library.undo(
                batch_id, on_progress=lambda p: self.post_message(WorkProgressed(p))
            )
        except PhotosiftError as exc:
            self.post_message(WorkFailed(str(exc)))
            return
        self.post_message(ActionFinished(outcome, undo=True))

    def action_history(self) -> None:
        self.app.push_screen(HistoryScreen())

    def action_back(self) -> None:
        self.app.pop_screen()


class HistoryScreen(Screen[None]):
    """History: the batches of apply, newest first"""

    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield Static("Batches of apply, newest first", id="history-title")
        yield DataTable(id="history", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in ("batch", "when", "mode", "files", "size", "state", "where"):
            table.add_column(name, key=name)
        self.load()

    @work(thread=True, exit_on_error=False)
    def load(self) -> None:
        batches = self.app.library.history()  # type: ignore[attr-defined]
        self.app.call_from_thread(self.fill, batches)

    def fill(self, batches) -> None:
        table = self.query_one(DataTable)
        for b in batches:
            table.add_row(
                b.id, f"{b.created_at:%Y-%m-%d %H:%M}", b.mode.value, b.files, size(b.bytes),
                b.state.value, plain(b.destination) if b.destination else "-",
            )  # fmt: skip
        if not batches:
            self.query_one("#history-title", Static).update("No batches yet.")

    def action_back(self) -> None:
        self.app.pop_screen()
