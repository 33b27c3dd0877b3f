"""The keys of the screen the person was on, and the global ones."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Back"),
        Binding("question_mark", "dismiss", "Back", show=False),
        Binding("q", "dismiss", "Back", show=False),
    ]

    def __init__(self, behind: Screen) -> None:
        super().__init__()
        self.behind = behind

    def compose(self) -> ComposeResult:
        lines = [f"[b]{self.behind.__class__.__doc__.splitlines()[0]}[/b]", ""]
        seen = set()
        for binding in [*self.behind.BINDINGS, *self.app.BINDINGS]:
            if not isinstance(binding, Binding) or binding.description in seen:
                continue
            seen.add(binding.description)
            key = binding.key_display or binding.key
            lines.append(f"  {key:<16}{binding.description}")
        lines += ["", "Escape closes this help."]
        with VerticalScroll(id="help"):
            yield Static("\n".join(lines), id="help-text")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
