"""The app's garbage collection schedule (``tui.collector.IdleCollector``), with a fake clock."""

from __future__ import annotations

import gc
import weakref

import pytest

from tui.collector import NEVER, IdleCollector


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Cycle:
    def __init__(self) -> None:
        self.me = self


def promote() -> None:
    """Something reaches the old generation: a generation 1 pass happens."""
    gc.collect(1)


@pytest.fixture
def collector():
    clock = Clock()
    saved = gc.get_threshold()
    collector = IdleCollector(idle=0.3, deep_idle=2.0, deep_every=3, pressing=5, clock=clock)
    collector.keep()
    gc.collect()  # no generation 1 pass left over from earlier tests
    yield collector, clock
    collector.stop()
    assert gc.get_threshold() == saved
    assert gc.get_freeze_count() == 0


def test_no_automatic_full_collection_once_the_data_is_kept(collector):
    assert gc.get_threshold()[2] == NEVER


def test_nothing_changes_before_the_first_keep():
    clock = Clock()
    saved = gc.get_threshold()
    collector = IdleCollector(clock=clock)
    promote()
    clock.now += 60
    assert not collector.tick()
    assert gc.get_threshold() == saved


def test_it_waits_for_the_keys_to_stop(collector):
    collector, clock = collector
    promote()
    collector.touched()
    clock.now += 0.1
    assert not collector.tick()  # a key was pressed 0.1 s ago
    clock.now += 0.3
    assert collector.tick()  # quiet for 0.4 s, something promoted
    assert not collector.tick()  # nothing new since


def test_it_collects_anyway_when_keys_never_stop(collector):
    collector, clock = collector
    for _ in range(5):
        promote()
        collector.touched()
        clock.now += 0.05
    assert collector.tick()


def test_a_deep_collection_frees_cycles_that_were_frozen(collector):
    collector, clock = collector
    collector.keep()
    alive = Cycle()
    gc.collect(1)
    clock.now += 1.0
    assert collector.tick()  # young collection: ``alive`` survives and is frozen
    assert gc.get_freeze_count() > 0
    ref = weakref.ref(alive)
    del alive  # a cycle, frozen: only a deep collection frees it
    for _ in range(3):
        promote()
        collector.touched()
        clock.now += 0.5
        assert collector.tick()
    assert ref() is not None and collector.deep_collections == 0
    clock.now += 2.0  # quiet long enough, and 3 collections since the last deep one
    assert collector.tick()
    assert collector.deep_collections == 1
    assert ref() is None


async def test_the_app_takes_over_the_full_collections_and_gives_them_back(tmp_path):
    from core.library import Library
    from tests.images import scenes_with_copies
    from tests.tui.test_app import SIZE, make_app, settle

    photos = tmp_path / "photos"
    scenes_with_copies(photos)
    db = str(tmp_path / "catalog.sqlite3")
    with Library(db) as library:
        library.scan([str(photos)])
    before = gc.get_threshold()
    app = make_app(db, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)  # the groups are loaded: the app's schedule runs
        assert gc.get_threshold()[2] == NEVER
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
