"""Groups: every group of look-alike photos, with its tier, size, what backing up would free,
flags and how much of it is decided; totals above, keys below."""

from __future__ import annotations

import os

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from core.errors import PhotosiftError
from tui.cli.format import size
from tui.messages import DecisionRecorded, GroupsJudged, GroupsLoaded, WorkFailed, WorkProgressed
from tui.session import Row, Sort

_TIERS = ["", "exact", "near", "similar", "burst"]
# Fixed widths: a DataTable re-measures a whole column whenever a cell of an auto-width one
# changes, which froze the list for minutes on thousands of groups while advice came in.
_COLUMNS = {"id": 6, "tier": 7, "files": 6, "size": 10, "frees": 10, "flags": 12,
            "decided": 8, "keep": 44}  # fmt: skip


class GroupsScreen(Screen[None]):
    """Groups: the list of look-alike groups"""

    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("a", "accept", "Accept"),
        Binding("n", "next", "Next"),
        Binding("p", "previous", "Previous"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("A", "accept_all", "Accept all", key_display="A"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("U", "only_undecided", "Undecided only", show=False),
        Binding("I", "only_ai", "AI only", show=False),
        Binding("t", "tier", "Tier", show=False),
        Binding("s", "sort", "Sort"),
        Binding("x", "apply", "Apply…"),
        Binding("H", "history", "History", show=False),
        Binding("u", "undo", "Undo decision", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        self.judged = False

    def compose(self) -> ComposeResult:
        yield Static("Loading the groups…", id="totals")
        yield Input(placeholder="filter: part of a path; Enter applies, Escape clears", id="filter")
        table: DataTable = DataTable(id="groups", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name, width in _COLUMNS.items():
            table.add_column(name, key=name, width=width)
        self.query_one("#filter", Input).display = False
        self.load()

    @property
    def session(self):
        return self.app.session  # type: ignore[attr-defined]

    # -- loading -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        try:
            self.session.load(on_progress=lambda p: self.post_message(WorkProgressed(p)))
        except PhotosiftError as exc:
            self.post_message(WorkFailed(str(exc)))
            return
        self.post_message(GroupsLoaded(self.session.restore_state()))
        self.judge_rest()

    def judge_rest(self) -> None:
        """Advice for the groups that have none yet, a chunk at a time (in the worker)."""
        worker = get_current_worker()
        self.session.judge(
            should_stop=lambda: worker.is_cancelled,
            on_chunk=lambda rows: self.post_message(GroupsJudged([r.id for r in rows])),
        )
        self.post_message(GroupsJudged([], done=True))

    @work(thread=True, exclusive=True, group="judge", exit_on_error=False)
    def judge_in_worker(self) -> None:
        self.judge_rest()

    def on_work_progressed(self, message: WorkProgressed) -> None:
        if not self.loaded:
            p = message.progress
            count = f" {p.done:,}/{p.total:,}" if p.total else ""
            self.query_one("#totals", Static).update(f"Loading the groups: {p.phase.value}{count}")

    def on_groups_loaded(self, message: GroupsLoaded) -> None:
        self.loaded = True
        self.fill(select=message.resume_group)
        # what was just loaded lives as long as the app: out of the garbage collector's way
        self.app.collector.keep()

    def on_groups_judged(self, message: GroupsJudged) -> None:
        if message.done:
            self.judged = True
        table = self.query_one(DataTable)
        for group_id in message.ids:
            row = self.session.row(group_id)
            if row is not None and str(group_id) in table.rows:
                for column, value in zip(_COLUMNS, self._cells(row), strict=True):
                    table.update_cell(str(group_id), column, value)
        self.update_totals()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.query_one("#totals", Static).update(f"[b red]{message.error}[/]")

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.fill(select=self.current_id())
            if any(r.judged is None for r in self.session.rows):
                self.judged = False
                self.judge_in_worker()

    # -- the table ---------------------------------------------------------------------------

    def fill(self, select: int | None = None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        rows = self.session.visible()
        for row in rows:
            table.add_row(*self._cells(row), key=str(row.id))
        if select is not None and str(select) in table.rows:
            table.move_cursor(row=table.get_row_index(str(select)))
        self.update_totals()
        table.focus()

    def _cells(self, row: Row) -> tuple:
        group = row.group
        decided = row.decided(self.session.decided)
        keep = os.path.basename(row.keep) if row.keep else ("…" if row.judged is None else "-")
        return (
            row.id,
            row.tier,
            len(group.members),
            size(group.size),
            size(row.reclaimable) if row.judged else "…",
            row.flags(),
            f"{decided}/{len(group.members)}" if decided else "-",
            keep,
        )

    def update_totals(self) -> None:
        t = self.session.totals()
        shown = len(self.query_one(DataTable).rows)
        text = (
            f"[b]{t['groups']:,}[/] groups · [b]{t['decided']:,}[/] decided · "
            f"[b]{size(t['reclaimable'])}[/] to reclaim · "
            f"{t['backup_files']:,} files ({size(t['backup_bytes'])}) marked backup"
        )
        if self.session.filter.active:
            text += f" · showing {shown:,}: {self.session.filter.describe()}"
        text += f" · sort: {self.session.sort.value}"
        if not self.judged:
            text += " · judging…"
        self.query_one("#totals", Static).update(text)

    def current_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.rows or table.cursor_row < 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        return int(key.value) if key.value is not None else None

    def current_row(self) -> Row | None:
        group_id = self.current_id()
        return self.session.row(group_id) if group_id is not None else None

    def say(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # -- keys --------------------------------------------------------------------------------

    def action_open(self) -> None:
        from tui.screens.review import ReviewScreen

        row = self.current_row()
        if row is not None:
            self.session_state_saved(row.id)
            self.app.push_screen(ReviewScreen(row.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_next(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_previous(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def action_cursor_down(self) -> None:
        self.action_next()

    def action_cursor_up(self) -> None:
        self.action_previous()

    def action_accept(self) -> None:
        row = self.current_row()
        if row is not None:
            self.decide_in_worker(lambda: self.session.accept([row]), row.id)

    def action_accept_all(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        rows = [
            r for r in self.session.visible()
            if not r.is_decided(self.session.decided)
        ]  # fmt: skip
        if not rows:
            self.say("Every group shown is decided already.")
            return
        if not self.judged:
            self.say("Still judging the groups; try again in a moment.")
            return
        files = sum(
            len(r.judged.recommendation.duplicates) + len(r.judged.recommendation.lower_quality)
            for r in rows if r.judged
        )  # fmt: skip
        freed = sum(r.reclaimable for r in rows)
        question = (
            f"Accept the recommendations of {len(rows):,} undecided groups? "
            f"{files:,} files ({size(freed)}) would be marked backup; nothing moves yet."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.decide_in_worker(lambda: self.session.accept(rows), None)

        self.app.push_screen(ConfirmScreen(question), answered)

    def action_undo(self) -> None:
        self.decide_in_worker(
            lambda: [] if self.session.undo_decision() else ["nothing to undo"], None
        )

    @work(thread=True, group="decide", exit_on_error=False)
    def decide_in_worker(self, change, group_id: int | None) -> None:
        try:
            refused = change()
        except PhotosiftError as exc:
            refused = [str(exc)]
        self.post_message(DecisionRecorded(refused, group_id))

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        table = self.query_one(DataTable)
        for row in self.session.rows:
            if str(row.id) in table.rows:
                table.update_cell(str(row.id), "decided", self._cells(row)[6])
        self.update_totals()
        self.say("; ".join(message.refused) if message.refused else "Decisions stored.")
        if message.group_id is not None:
            self.move_to_next_undecided(message.group_id)

    def move_to_next_undecided(self, after: int) -> None:
        rows = self.session.visible()
        ids = [r.id for r in rows]
        start = ids.index(after) + 1 if after in ids else 0
        for row in rows[start:] + rows[:start]:
            if not row.is_decided(self.session.decided):
                table = self.query_one(DataTable)
                table.move_cursor(row=table.get_row_index(str(row.id)))
                return

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.session.filter.text
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.session.filter.text = event.value.strip()
        event.input.display = False
        self.refill()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.display = False
            self.query_one(DataTable).focus()
            return
        self.session.filter.text = ""
        self.session.filter.undecided = self.session.filter.ai = False
        self.session.filter.tier = ""
        self.refill()

    def action_only_undecided(self) -> None:
        self.session.filter.undecided = not self.session.filter.undecided
        self.refill()

    def action_only_ai(self) -> None:
        self.session.filter.ai = not self.session.filter.ai
        self.refill()

    def action_tier(self) -> None:
        now = _TIERS.index(self.session.filter.tier)
        self.session.filter.tier = _TIERS[(now + 1) % len(_TIERS)]
        self.refill()

    def action_sort(self) -> None:
        order = list(Sort)
        self.session.sort = order[(order.index(self.session.sort) + 1) % len(order)]
        self.refill()

    def refill(self) -> None:
        current = self.current_id()
        self.fill(select=current)
        self.session_state_saved(current)

    @work(thread=True, group="state", exit_on_error=False)
    def session_state_saved(self, group_id: int | None) -> None:
        self.session.save_state(group_id)

    def action_apply(self) -> None:
        from tui.screens.apply import ApplyScreen

        self.app.push_screen(ApplyScreen())

    def action_history(self) -> None:
        from tui.screens.apply import HistoryScreen

        self.app.push_screen(HistoryScreen())
