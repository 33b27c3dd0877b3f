"""Review: one group, photo by photo. The recommended keep and the selected photo side by
side, every photo's decision at a glance, and the selected one's details and why."""

from __future__ import annotations

import os

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from core.errors import PhotosiftError
from core.models import Photo
from core.models.actions import Decision
from tui.cli.format import size
from tui.messages import DecisionRecorded, GroupsJudged, ThumbnailReady
from tui.session import Row
from tui.text import plain
from tui.widgets.preview import PhotoPreview

_STRIP = 6  # photos in the filmstrip
_STRIP_MIN_HEIGHT = 32  # terminal rows below which the filmstrip gives its room to the rest


# fixed widths: a table measuring its cells shows a frame with every column cut short first
_MEMBER_COLUMNS = {"decision": 9, "role": 14, "file": 40, "pixels": 10, "size": 9, "score": 6}


class ReviewScreen(Screen[None]):
    """Review: one group, photo by photo"""

    BINDINGS = [
        Binding("left,h", "select(-1)", "Prev photo", key_display="←/h"),
        Binding("right,l", "select(1)", "Next photo", key_display="→/l"),
        Binding("j", "select(1)", "Down", show=False),
        Binding("k", "select(-1)", "Up", show=False),
        Binding("space", "toggle", "Keep/backup"),
        Binding("a", "accept", "Accept"),
        Binding("n", "group(1)", "Next group"),
        Binding("p", "group(-1)", "Prev group"),
        Binding("d", "not_duplicates", "Not duplicates", show=False),
        Binding("D", "not_a_duplicate", "Not a duplicate", show=False),
        Binding("u", "undo", "Undo decision"),
        Binding("z", "zoom", "Full screen"),
        Binding("c", "compare", "Compare 1:1"),
        Binding("f", "faces", "Faces"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.selected = 0

    @property
    def session(self):
        return self.app.session  # type: ignore[attr-defined]

    @property
    def row(self) -> Row | None:
        return self.session.row(self.group_id)

    def compose(self) -> ComposeResult:
        mode = self.app.preview_mode  # type: ignore[attr-defined]
        yield Static("", id="review-title")
        with Horizontal(id="review-top"):
            with Horizontal(id="review-previews"):
                with Vertical(classes="review-side"):
                    yield Static("recommended keep", classes="review-label", id="keep-label")
                    yield PhotoPreview(mode, id="keep-preview")
                with Vertical(classes="review-side"):
                    yield Static("selected", classes="review-label", id="selected-label")
                    yield PhotoPreview(mode, id="selected-preview")
            yield Static("", id="review-meta")
        with Horizontal(id="strip"):  # the group at a glance: the photos around the selected
            for n in range(_STRIP):
                yield PhotoPreview(mode, id=f"strip-{n}", classes="strip-photo")
        yield DataTable(id="members", cursor_type="row")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name, width in _MEMBER_COLUMNS.items():
            table.add_column(name, key=name, width=width)
        self.show_group()

    # -- showing -----------------------------------------------------------------------------

    def members(self) -> list[Photo]:
        row = self.row
        if row is None:
            return []
        return [m.photo for m in row.group.members]

    def show_group(self) -> None:
        row = self.row
        if row is None:
            self.query_one("#review-title", Static).update("This group is gone (regrouped).")
            return
        if row.judged is None:
            self.judge_now(row)
        keep = row.keep
        photos = self.members()
        if self.selected >= len(photos):
            self.selected = 0
        if keep and self.selected == 0 and photos[0].path == keep and len(photos) > 1:
            self.selected = 1  # the keep is shown on the left already
        self.fill_members()
        self.show_title()
        self.show_previews()
        self.prefetch_next()

    def show_title(self) -> None:
        row = self.row
        if row is None:
            return
        group = row.group
        decided = row.decided(self.session.decided)
        frees = size(row.reclaimable) if row.judged else "…"
        self.query_one("#review-title", Static).update(
            f"[b]Group {row.id}[/] · {row.tier} · {len(group.members)} files · "
            f"{size(group.size)} · frees {frees} · decided {decided}/{len(group.members)}"
        )

    def fill_members(self) -> None:
        row = self.row
        table = self.query_one(DataTable)
        table.clear()
        if row is None:
            return
        for photo in self.members():
            table.add_row(*self._cells(row, photo), key=photo.path)
        if table.rows:
            table.move_cursor(row=self.selected)

    def _cells(self, row: Row, photo: Photo) -> tuple:
        decision = self.session.decided.get(photo.path)
        mark = {Decision.KEEP: "● keep", Decision.BACKUP: "○ backup"}.get(decision, "· —")
        role = self.role(row, photo.path)
        score = row.judged.recommendation.scores.get(photo.path) if row.judged else None
        return (
            mark,
            role,
            plain(os.path.basename(photo.path)),
            f"{photo.width}x{photo.height}" if photo.width else "?",
            size(photo.size),
            f"{score:.2f}" if score is not None else "",
        )

    @staticmethod
    def role(row: Row, path: str) -> str:
        if row.judged is None:
            return "…"
        from tui.cli.groups import role

        return role(path, row.judged.recommendation)

    def show_previews(self) -> None:
        row = self.row
        photos = self.members()
        if row is None or not photos:
            return
        keep_path = row.keep or photos[0].path
        keep = next(p for p in photos if p.path == keep_path)
        selected = photos[self.selected]
        self._show(self.query_one("#keep-preview", PhotoPreview), keep)
        self._show(self.query_one("#selected-preview", PhotoPreview), selected)
        self.query_one("#keep-label", Static).update(
            f"keep: {plain(os.path.basename(keep.path))}" if row.keep else "no keep yet"
        )
        self.query_one("#selected-label", Static).update(
            f"{self.selected + 1}/{len(photos)}: {plain(os.path.basename(selected.path))}"
        )
        self.query_one("#review-meta", Static).update(self.details(row, selected))
        self.show_strip(row, photos)

    def show_strip(self, row: Row, photos: list[Photo]) -> None:
        """The photos around the selected one, each with its decision as its caption."""
        strip = self.query_one("#strip")
        strip.display = len(photos) > 2 and self.app.size.height >= _STRIP_MIN_HEIGHT
        if not strip.display:
            return
        start = max(0, min(self.selected - _STRIP // 2, len(photos) - _STRIP))
        for n in range(_STRIP):
            preview = self.query_one(f"#strip-{n}", PhotoPreview)
            index = start + n
            preview.display = index < len(photos)
            if index >= len(photos):
                continue
            photo = photos[index]
            decision = self.session.decided.get(photo.path)
            mark = {Decision.KEEP: "● keep", Decision.BACKUP: "○ backup"}.get(decision, "· —")
            caption = f"{'▶ ' if index == self.selected else ''}{mark}"
            preview.set_class(index == self.selected, "-selected")
            thumbs = self.app.thumbs  # type: ignore[attr-defined]
            cached = thumbs.cached(photo)
            preview.show(cached, caption)
            if cached is None:
                self.load_thumb(photo)

    def on_resize(self) -> None:
        row = self.row
        if row is not None:
            self.show_strip(row, self.members())

    def _show(self, preview: PhotoPreview, photo: Photo) -> None:
        thumbs = self.app.thumbs  # type: ignore[attr-defined]
        cached = thumbs.cached(photo)
        preview.show(cached)
        if cached is None:
            self.load_thumb(photo)

    @work(thread=True, group="thumbs", exit_on_error=False)
    def load_thumb(self, photo: Photo) -> None:
        self.app.thumbs.load(photo)  # type: ignore[attr-defined]
        self.post_message(ThumbnailReady(photo.path))

    def on_thumbnail_ready(self, message: ThumbnailReady) -> None:
        if message.path in {p.path for p in self.members()}:
            self.show_previews()

    @work(thread=True, group="prefetch", exclusive=True, exit_on_error=False)
    def prefetch_next(self) -> None:
        rows = self.session.visible()
        ids = [r.id for r in rows]
        if self.group_id not in ids:
            return
        at = ids.index(self.group_id)
        thumbs = self.app.thumbs  # type: ignore[attr-defined]
        for row in rows[at + 1 : at + 3]:
            for member in row.group.members:
                thumbs.load(member.photo)

    @work(thread=True, group="judge", exit_on_error=False)
    def judge_now(self, row: Row) -> None:
        self.session.judge([row])
        self.post_message(GroupsJudged([row.id]))

    def on_groups_judged(self, message: GroupsJudged) -> None:
        if self.group_id in message.ids:
            self.show_group()

    def details(self, row: Row, photo: Photo) -> str:
        lines = [f"[b]{plain(os.path.basename(photo.path))}[/]", plain(os.path.dirname(photo.path))]
        lines.append(
            f"{photo.width}x{photo.height} ({photo.megapixels:.1f} MP) · {size(photo.size)}"
        )
        if photo.taken_at:
            lines.append(f"taken {photo.taken_at:%Y-%m-%d %H:%M:%S}")
        camera = " ".join(filter(None, (photo.camera_make, photo.camera_model)))
        if camera:
            lines.append(f"camera {plain(camera)}")
        if photo.software:
            lines.append(f"software {plain(photo.software)}")
        q = photo.quality
        if q:
            jpeg = f" · JPEG q{q.jpeg_quality}" if q.jpeg_quality else ""
            lines.append(
                f"sharpness {q.sharpness:.3g} · noise {q.noise:.1f} · "
                f"brightness {q.brightness:.0f} · contrast {q.contrast:.0f}{jpeg}"
            )
        if photo.faces:
            lines.append(f"faces {photo.faces.count} · eyes open {photo.faces.eyes_open}")
        if row.judged:
            advice = row.judged.recommendation
            verdict = advice.ai_verdicts.get(photo.path)
            if verdict and verdict.is_ai_enhanced:
                lines.append(f"[b]AI-enhanced[/] ({', '.join(verdict.indicators)})")
            if photo.path in advice.stale:
                lines.append(f"[b]{plain(advice.stale[photo.path])}[/]")
            lines.append("")
            if photo.path == advice.best_file:
                lines.append(plain(advice.recommendation))
            elif photo.path in advice.why:
                lines.append(f"why not: {plain(advice.why[photo.path])}")
        decision = self.session.decided.get(photo.path)
        lines.append(f"your decision: {decision.value if decision else 'undecided'}")
        return "\n".join(lines)

    def say(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # -- keys --------------------------------------------------------------------------------

    def action_select(self, step: int) -> None:
        photos = self.members()
        if not photos:
            return
        self.selected = (self.selected + step) % len(photos)
        self.query_one(DataTable).move_cursor(row=self.selected)
        self.show_previews()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != self.selected and 0 <= event.cursor_row < len(self.members()):
            self.selected = event.cursor_row
            self.show_previews()

    def action_toggle(self) -> None:
        photos = self.members()
        if photos:
            photo = photos[self.selected]
            self.decide(lambda: self.session.toggle(photo), move_on=False)

    def action_accept(self) -> None:
        row = self.row
        if row is not None:
            self.decide(lambda: self.session.accept([row]), move_on=True)

    def action_undo(self) -> None:
        self.decide(
            lambda: [] if self.session.undo_decision() else ["nothing to undo"], move_on=False
        )

    @work(thread=True, group="decide", exit_on_error=False)
    def decide(self, change, move_on: bool) -> None:
        try:
            refused = change()
        except PhotosiftError as exc:
            refused = [str(exc)]
        self.post_message(DecisionRecorded(refused, self.group_id if move_on else None))

    def on_decision_recorded(self, message: DecisionRecorded) -> None:
        if message.refused:
            self.say("; ".join(plain(r) for r in message.refused))
        if message.group_id is not None and not message.refused:
            self.say(f"Group {message.group_id} accepted.")
            self.to_group(self._next_undecided())
            return
        row = self.row
        if row is not None:
            self.fill_members()
            self.show_title()
            self.show_previews()

    def _next_undecided(self) -> int | None:
        rows = self.session.visible()
        ids = [r.id for r in rows]
        start = ids.index(self.group_id) + 1 if self.group_id in ids else 0
        for row in rows[start:] + rows[:start]:
            if row.id != self.group_id and not row.is_decided(self.session.decided):
                return row.id
        return None

    def action_group(self, step: int) -> None:
        ids = [r.id for r in self.session.visible()]
        if self.group_id not in ids or not ids:
            return
        at = (ids.index(self.group_id) + step) % len(ids)
        self.to_group(ids[at])

    def to_group(self, group_id: int | None) -> None:
        if group_id is None:
            self.say("Every group is decided. x on the list applies them.")
            return
        self.group_id = group_id
        self.selected = 0
        self.show_group()
        self.save_state()

    @work(thread=True, group="state", exit_on_error=False)
    def save_state(self) -> None:
        self.session.save_state(self.group_id)

    def action_not_duplicates(self) -> None:
        row = self.row
        if row is None:
            return
        self.verdict(lambda: self.session.not_duplicates(row), f"Group {row.id}: not duplicates")

    def action_not_a_duplicate(self) -> None:
        row, photos = self.row, self.members()
        if row is None or not photos:
            return
        photo = photos[self.selected]
        self.verdict(
            lambda: self.session.not_a_duplicate(row, photo),
            f"{plain(os.path.basename(photo.path))}: not a duplicate of the others",
        )

    @work(thread=True, group="decide", exit_on_error=False)
    def verdict(self, change, said: str) -> None:
        try:
            change()
        except PhotosiftError as exc:
            said = f"[b red]Refused:[/] {plain(str(exc))}"
        else:
            said = f"{said}; remembered, and regrouped."
        self.app.call_from_thread(self.after_verdict, said)

    def after_verdict(self, said: str) -> None:
        self.say(said)
        if self.row is None:
            self.to_group(self._next_undecided())
        else:
            self.show_group()

    def action_zoom(self) -> None:
        from tui.screens.zoom import ZoomScreen

        photos = self.members()
        if photos:
            self.app.push_screen(ZoomScreen(photos[self.selected]))

    def action_compare(self) -> None:
        from tui.screens.compare import CompareScreen

        row, photos = self.row, self.members()
        if row is None or len(photos) < 2:
            return
        keep_path = row.keep or photos[0].path
        keep = next(p for p in photos if p.path == keep_path)
        other = photos[self.selected]
        if other.path == keep.path:
            other = next(p for p in photos if p.path != keep.path)
        self.app.push_screen(CompareScreen(keep, other))

    def action_faces(self) -> None:
        from tui.screens.faces import FacesScreen

        photos = self.members()
        if photos:
            self.app.push_screen(FacesScreen(photos))

    def action_back(self) -> None:
        self.app.pop_screen()
