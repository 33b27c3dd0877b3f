"""The executors on real worker processes: every task comes back once, a worker that dies
costs only the task that killed it, stopping and leaving early leave no process behind, and
nothing a worker writes or warns reaches the terminal.

Every run goes through ``consume``, which fails the test instead of hanging it if a run
never ends."""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.runtime.executor import InProcessExecutor, Outcome
from core.runtime.processes import ProcessExecutor
from tests.core.runtime import crashing

V = TypeVar("V")

HANG = 20.0  # seconds after which a run counts as hung
REPO = Path(__file__).resolve().parents[3]


def within(seconds: float, work: Callable[[], V]) -> V:
    """``work()``, run in a thread so that a hang fails the test instead of the CI job."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def consume(outcomes: Iterable[Outcome[Any, Any]]) -> list[Outcome[Any, Any]]:
    return within(HANG, lambda: list(outcomes))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    # an orphan's zombie lingers if the container's init does not reap it
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def by_task(outcomes: list[Outcome[Any, Any]]) -> dict[Any, Outcome[Any, Any]]:
    counts = Counter(o.task for o in outcomes)
    assert max(counts.values()) == 1, f"tasks that came back twice: {counts.most_common(3)}"
    return {o.task: o for o in outcomes}


def busy_pids(folder: Path) -> set[int]:
    return {int(p.name.removeprefix("busy-")) for p in folder.glob("busy-*")}


def test_every_task_comes_back_once_with_the_same_result_in_or_out_of_process() -> None:
    tasks = range(50)
    here = by_task(consume(InProcessExecutor().map_unordered(crashing.square, tasks)))
    there = by_task(consume(ProcessExecutor(2).map_unordered(crashing.square, tasks)))
    assert set(there) == set(tasks)
    assert all(o.ok for o in there.values())
    assert {t: o.result for t, o in there.items()} == {t: o.result for t, o in here.items()}
    assert here[7].result == 49


@pytest.mark.parametrize(
    ("fn", "how"),
    [
        (crashing.exit_on_culprit, "exit code 3"),
        (crashing.kill_on_culprit, "killed by signal 9, SIGKILL"),
    ],
    ids=["exit", "sigkill"],
)
def test_a_task_that_kills_its_worker_is_reported_and_the_rest_still_arrive(
    fn: Callable[[int], int], how: str, caplog: pytest.LogCaptureFixture, capfd: Any
) -> None:
    # one worker holding two tasks: the innocent one dies with the culprit, so it only
    # survives if its retry runs alone
    outcomes = by_task(consume(ProcessExecutor(1, in_flight=2).map_unordered(fn, range(12))))
    assert set(outcomes) == set(range(12))
    assert outcomes.pop(crashing.CULPRIT).failure == f"crashed: the decoder died ({how})"
    assert all(o.ok and o.result == o.task**2 for o in outcomes.values())
    assert "decoder: fatal error in tile 3" in caplog.text  # its last words are kept ...
    assert "fatal error" not in capfd.readouterr().err  # ... and kept off the terminal
    assert multiprocessing.active_children() == []


def test_a_task_that_crashes_only_once_succeeds_on_its_retry(tmp_path: Path) -> None:
    marker = tmp_path / "crashed-once"
    tasks = [(str(marker), 100)] + [("", n) for n in range(10)]
    outcomes = by_task(consume(ProcessExecutor(2).map_unordered(crashing.crash_once, tasks)))
    assert marker.exists()  # it did crash the first time
    assert outcomes[(str(marker), 100)].result == 10_000
    assert all(o.ok for o in outcomes.values()) and len(outcomes) == 11


def test_should_stop_ends_the_run_quickly_while_every_worker_is_busy(tmp_path: Path) -> None:
    asked: list[tuple[float, bool]] = []

    def should_stop() -> bool:
        answer = len(busy_pids(tmp_path)) >= 2
        asked.append((time.monotonic(), answer))
        return answer

    tasks = [str(tmp_path)] * 4
    outcomes = consume(ProcessExecutor(2).map_unordered(crashing.sleep_long, tasks, should_stop))
    ended = time.monotonic()
    stop_at = next(moment for moment, answer in asked if answer)
    assert outcomes == []
    assert ended - stop_at < 0.5
    gaps = [later - earlier for (earlier, _), (later, _) in zip(asked, asked[1:], strict=False)]
    assert max(gaps) < 0.5  # asked every 0.2 s although no worker said anything
    pids = busy_pids(tmp_path)
    assert len(pids) == 2 and not any(alive(pid) for pid in pids)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("leave", ["close", "interrupt"])
def test_leaving_the_run_early_kills_every_worker(leave: str) -> None:
    seen: set[int] = set()

    def first_then_leave() -> None:
        outcomes = ProcessExecutor(2).map_unordered(crashing.pid_after, [0.0, 30.0, 30.0, 30.0])
        if leave == "close":
            next(outcomes)
            seen.update(p.pid or 0 for p in multiprocessing.active_children())
            outcomes.close()
            return
        with pytest.raises(KeyboardInterrupt):
            for _ in outcomes:
                seen.update(p.pid or 0 for p in multiprocessing.active_children())
                del outcomes  # the loop's own reference is the last one
                raise KeyboardInterrupt

    within(HANG, first_then_leave)
    assert len(seen) == 2
    assert not any(alive(pid) for pid in seen)
    assert multiprocessing.active_children() == []


def test_what_a_worker_writes_or_warns_reaches_logging_not_the_terminal(
    caplog: pytest.LogCaptureFixture, capfd: Any
) -> None:
    with caplog.at_level(logging.INFO):
        outcomes = consume(ProcessExecutor(1).map_unordered(crashing.noisy, range(2)))
    assert all(o.ok for o in outcomes) and len(outcomes) == 2
    assert "decoder warning" in caplog.text
    warned = [r for r in caplog.records if r.name == "py.warnings"]
    assert "odd EXIF orientation" in " ".join(r.getMessage() for r in warned)
    assert "hello from stdout" in caplog.text
    out, err = capfd.readouterr()
    assert "decoder warning" not in err and "odd EXIF" not in err
    assert "hello from stdout" not in out


def test_workers_are_replaced_after_their_quota_without_counting_as_crashes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    executor = ProcessExecutor(2, max_tasks_per_child=3)
    outcomes = consume(executor.map_unordered(crashing.pid_of, range(10)))
    assert len(outcomes) == 10 and all(o.ok for o in outcomes)
    tasks_per_worker = Counter(o.result for o in outcomes)
    assert len(tasks_per_worker) >= 4
    assert max(tasks_per_worker.values()) <= 3
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    "executor", [InProcessExecutor(), ProcessExecutor(1)], ids=["in-process", "processes"]
)
def test_an_exception_fails_only_its_task_and_the_worker_goes_on(
    executor: InProcessExecutor | ProcessExecutor,
) -> None:
    outcomes = by_task(consume(executor.map_unordered(crashing.fail_on_odd, range(6))))
    failures = {task: o.failure for task, o in outcomes.items() if not o.ok}
    assert failures == {n: f"failed: ValueError: bad thing {n}" for n in (1, 3, 5)}
    assert len({o.result for o in outcomes.values() if o.ok}) == 1  # one worker did them all


def test_in_process_executor_stops_between_tasks() -> None:
    done: list[int] = []
    outcomes = InProcessExecutor().map_unordered(
        lambda n: done.append(n) or n, range(10), should_stop=lambda: len(done) >= 3
    )
    assert [o.result for o in outcomes] == [0, 1, 2]


def test_no_more_workers_start_than_there_are_tasks() -> None:
    def count_workers() -> int:
        outcomes = ProcessExecutor(4).map_unordered(crashing.pid_after, [0.0, 1.0])
        next(outcomes)
        started = len(multiprocessing.active_children())
        outcomes.close()
        return started

    assert within(HANG, count_workers) == 2


def test_workers_exit_by_themselves_when_the_parent_is_killed(tmp_path: Path) -> None:
    script = (
        "from core.runtime.processes import ProcessExecutor\n"
        "from tests.core.runtime import crashing\n"
        f"tasks = [{str(tmp_path)!r}] * 2\n"
        "for _ in ProcessExecutor(2).map_unordered(crashing.sleep_long, tasks):\n"
        "    pass\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.monotonic() + HANG
        while len(busy_pids(tmp_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = busy_pids(tmp_path)
        assert len(pids) == 2, "the workers never started"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


def test_kept_workers_take_the_next_calls_and_end_with_the_executor() -> None:
    with ProcessExecutor(2, keep=True) as executor:
        first = consume(executor.map_unordered(crashing.pid_of, range(8)))
        workers = {p.pid for p in multiprocessing.active_children()}
        assert len(workers) == 2 and all(alive(pid or 0) for pid in workers)  # waiting
        second = consume(executor.map_unordered(crashing.pid_of, range(8)))
        assert {o.result for o in second} <= {o.result for o in first} == workers
        other = consume(executor.map_unordered(crashing.square, range(4)))
        assert sorted(o.result for o in other) == [0, 1, 4, 9]  # another function: new ones
        assert not any(alive(pid or 0) for pid in workers)
    assert multiprocessing.active_children() == []


def test_a_kept_run_left_early_leaves_no_worker_behind() -> None:
    executor = ProcessExecutor(2, keep=True)
    outcomes = executor.map_unordered(crashing.pid_after, [0.0, 30.0, 30.0])
    within(HANG, lambda: next(outcomes))
    seen = {p.pid for p in multiprocessing.active_children()}
    outcomes.close()
    assert seen and not any(alive(pid or 0) for pid in seen)
    again = consume(executor.map_unordered(crashing.square, range(3)))  # starts afresh
    assert sorted(o.result for o in again) == [0, 1, 4]
    executor.close()
    assert multiprocessing.active_children() == []


def test_workers_started_early_take_the_first_call_and_end_at_once_if_never_used() -> None:
    executor = ProcessExecutor(2, keep=True)
    executor.warm(crashing.pid_of)
    started = {p.pid for p in multiprocessing.active_children()}
    assert len(started) == 2  # before any call
    outcomes = consume(executor.map_unordered(crashing.pid_of, range(8)))
    assert {o.result for o in outcomes} <= started
    executor.close()
    assert multiprocessing.active_children() == []
    executor.warm(crashing.pid_of)
    within(HANG, executor.close)  # never given a task: ended, not waited for
    assert multiprocessing.active_children() == []
    with pytest.raises(ValueError):
        ProcessExecutor(2).warm(crashing.pid_of)  # its workers end with each call


def test_a_busy_worker_takes_its_next_task_at_once_so_that_stopping_stays_quick() -> None:
    """A task larger than a pipe holds, sent to a worker still running the one before, must
    not hold the parent until that one ends: it would ask nobody to stop meanwhile."""
    big = bytes(4 << 20)
    tasks = [(0.0, big), (15.0, big), (0.0, big), (0.0, big)]
    began = time.monotonic()
    outcomes = consume(
        ProcessExecutor(1).map_unordered(
            crashing.pid_after_with, tasks, lambda: time.monotonic() - began > 3.0
        )
    )
    assert time.monotonic() - began < 8.0  # not the 15 s the second task runs
    assert len(outcomes) == 1 and outcomes[0].ok
    assert multiprocessing.active_children() == []
