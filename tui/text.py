"""Text from files and folders made safe to show in the app: terminal-unsafe characters
escaped (``tui.cli.format.shown``) and Textual markup escaped, so a file named ``[b].jpg`` is
shown as its name, never read as markup."""

from __future__ import annotations

from textual.markup import escape

from tui.cli.format import shown


def plain(text: object) -> str:
    return escape(shown(text))
