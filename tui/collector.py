"""Garbage collection that keeps out of the person's way while they browse.

Every frame Textual draws leaves cyclic garbage behind (its line strips cache themselves), and
a preview drawn in half cells is thousands of Rich segments, styles and colours. Python's
automatic full collection then comes in the middle of browsing and stops the UI thread for
100 to 250 ms, longer than drawing the next group takes: its cost grows with everything alive,
not with the garbage. Textual itself pauses the collector during smooth scrolling
(``App.PAUSE_GC_ON_SCROLL``); this goes further:

* the young generations are still collected automatically (they are cheap);
* the automatic full collection is switched off; a timer collects instead, once no key or
  mouse button has been pressed for ``idle`` seconds and something reached the old
  generation since the last time, and then freezes what survived (``gc.freeze``), so the
  next collection only looks at what is new: a few milliseconds instead of hundreds;
* what was frozen and later dropped in a cycle is only freed by a deep collection (frozen
  objects thawed, collected, frozen again); one runs after ``deep_every`` collections, once
  nothing has been pressed for ``deep_idle`` seconds (the person is looking, not typing);
* so that memory stays bounded when keys never stop coming, a collection also runs once
  ``pressing`` generation 1 passes went by since the last one (about 7,000 objects that
  survived each), idle or not.

All of this starts with the first ``keep()``: until the app's data is loaded (the groups,
read by a worker that makes a million objects on a big catalog) Python's own schedule is
left alone, since a collection on the UI thread then would only look at the loading.
``stop()`` thaws everything and puts the collector's thresholds back as they were.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

NEVER = 1 << 30  # a generation 2 threshold no count reaches


class IdleCollector:
    def __init__(
        self,
        *,
        idle: float = 0.3,
        deep_idle: float = 2.0,
        deep_every: int = 10,
        pressing: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle, self.deep_idle, self.deep_every, self.pressing = (
            idle, deep_idle, deep_every, pressing
        )  # fmt: skip
        self.clock = clock
        self.last_input = clock()
        self.collections = self.deep_collections = 0
        self._since_deep: int | None = None  # collections since the last deep one (None: none)
        self._saved: tuple[int, ...] | None = None

    def start(self) -> None:
        """Take over the full collections (``keep()`` does it the first time)."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            young, middle = self._saved[0], self._saved[1]
            gc.set_threshold(young, middle, NEVER)

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
            gc.unfreeze()

    def keep(self) -> None:
        """What is alive now lives as long as the app (a screen's data, just loaded): freeze
        it as it is, without a collection; it counts as what a deep collection left."""
        gc.freeze()
        self._since_deep = 0
        self.start()

    def touched(self) -> None:
        """A key or a mouse button: the person is busy; no collection now."""
        self.last_input = self.clock()

    def tick(self) -> bool:
        """Collect if it is time (see the module); True if it did."""
        if self._saved is None:
            return False  # not started: Python's own schedule
        quiet_for = self.clock() - self.last_input
        passes = gc.get_count()[2]  # generation 1 passes since the last collection
        deep = quiet_for >= self.deep_idle and (
            self._since_deep is None or self._since_deep >= self.deep_every
        )
        if not (deep or (passes and quiet_for >= self.idle) or passes >= self.pressing):
            return False
        if deep:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.collections += 1
        if deep:
            self.deep_collections += 1
            self._since_deep = 0
        elif self._since_deep is not None:
            self._since_deep += 1
        return True
