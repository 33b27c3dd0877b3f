"""The photosift app: one Textual App over one Library session. It keeps only what every
screen shares (the session, the preview cache and mode) and the global keys (quit, help);
each screen owns its own keys and its long work runs in thread workers that post messages.

Screens: scan (when folders are given), groups (the list), review (one group, photo by
photo), compare (1:1), preview (full screen), apply (plan, move, undo, history), help.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from textual import events
from textual.app import App
from textual.binding import Binding

from core.library import Library
from tui.collector import IdleCollector
from tui.session import Session
from tui.thumbnails import ThumbnailCache, default_cache_dir


def _styles() -> list[str]:
    folder = resources.files("styles")
    return [str(folder / name) for name in ("app.tcss",)]


class PhotosiftApp(App[int]):
    """``paths``: folders to scan first (the scan screen); none: open what the catalog holds."""

    TITLE = "photosift"
    CSS_PATH = _styles()
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "help", "Keys", key_display="?"),
    ]

    def __init__(
        self,
        library: Library,
        *,
        paths: Sequence[str] = (),
        preview_mode: str = "halfcell",
        cache_dir: str | None = None,
        backup_folder: str | None = None,
    ) -> None:
        super().__init__()
        self.library = library
        self.session = Session(library)
        self.paths = list(paths)
        self.preview_mode = preview_mode
        side = 640 if preview_mode in ("kitty", "sixel", "auto") else 320
        self.thumbs = ThumbnailCache(
            library.preview, cache_dir if cache_dir is not None else default_cache_dir(),
            max_side=side,
        )  # fmt: skip
        self.backup_folder = backup_folder
        self.busy = False  # a scan or an apply is running: quitting asks first
        self.collector = IdleCollector()

    def on_mount(self) -> None:
        from tui.screens.groups import GroupsScreen
        from tui.screens.scan import ScanScreen

        self.set_interval(0.25, self.collector.tick)
        self.push_screen(ScanScreen(self.paths) if self.paths else GroupsScreen())

    def on_unmount(self) -> None:
        self.collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.collector.touched()
        await super().on_event(event)

    async def action_quit(self) -> None:
        if not self.busy:
            self.exit(0)
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.workers.cancel_all()
                self.exit(0)

        self.push_screen(
            ConfirmScreen("Work is running. Stop it and quit? What is finished is kept."),
            answered,
        )

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))
