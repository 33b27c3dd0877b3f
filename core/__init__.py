"""photosift's engine: discovery, analysis, the catalog and the scan pipeline.

Usable as a library and from scripts. Nothing in this package imports a terminal UI
(textual, textual_image, rich) or the ``tui`` package, and only ``core.store`` imports peewee.
"""

__version__ = "0.1.0"
