"""The exceptions photosift raises on purpose. Everything derives from PhotosiftError so a caller
can catch the family, and the command line and the TUI can turn each into a clear message."""


class PhotosiftError(Exception):
    """Base class of photosift's own errors; the message is meant for the person."""


class CatalogError(PhotosiftError):
    """The catalog cannot be opened, is not a photosift catalog, or is from a newer release."""


class RootNotFoundError(PhotosiftError):
    """A folder given to scan does not exist or cannot be read."""


class AnalysisError(PhotosiftError):
    """One file could not be analysed. ``reason`` is what the catalog records, e.g.
    ``"corrupt: image file is truncated"``; the text before the colon is its category."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def category(self) -> str:
        return self.reason.split(":", 1)[0]


class Cancelled(PhotosiftError):
    """Long work stopped because ``should_stop()`` said so (Ctrl-C, a signal, the app). What
    was finished is kept; nothing half-done is stored."""

    def __init__(self, message: str = "stopped on request") -> None:
        super().__init__(message)
