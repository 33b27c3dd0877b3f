"""A yes/no question, answered with y / n (or Enter / Escape), or a typed word for what
cannot be undone."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("enter", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, *, typed: str | None = None) -> None:
        """``typed``: a word the person must type to say yes (deleting for good)."""
        super().__init__()
        self.question = question
        self.typed = typed

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(self.question, id="confirm-question")
            if self.typed:
                yield Label(f'Type "{self.typed}" and Enter to go on; Escape to cancel.')
                yield Input(id="confirm-typed")
            else:
                yield Label("y: yes   n: no", id="confirm-keys")

    def on_mount(self) -> None:
        if self.typed:
            self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() == self.typed)

    def action_answer(self, yes: bool) -> None:
        if self.typed and yes:
            return  # only the typed word says yes
        self.dismiss(yes)
