"""The worker's side of ``core.runtime.processes``: what runs in each spawned worker process,
and the message format both sides speak (a 9-byte header, kind and task id, then a pickled
payload).

A worker goes quiet first (SIGINT, SIGTERM and SIGHUP ignored; its fd 1 and 2 are pipes the
parent reads; its log records and warnings go up its own pipe), sets up (unpickles the task
function, runs the initializer), then runs tasks until told to stop, until its parent goes
away (EOF on the pipe, or a watchdog that sees the parent pid change), or forever on a task
that never ends, whichever the parent kills first. Standard library only; must not import
numpy, OpenCV, the analysis or the store.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import logging.handlers
import os
import pickle
import queue
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from core.runtime.executor import describe_failure

log = logging.getLogger(__name__)

_WATCHDOG_SECONDS = 1.0  # how often a worker checks that its parent is still there
HEADER = struct.Struct("<cQ")  # kind, task id
TASK, DONE, FAILED, LOG = b"T", b"D", b"F", b"L"
STOP = b""  # parent -> worker: finish up and exit
PICKLE = pickle.HIGHEST_PROTOCOL
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@dataclass(frozen=True, slots=True)
class Setup:
    fn_bytes: bytes
    init_bytes: bytes | None
    level: int  # the lowest level the parent listens to: workers send nothing below it
    parent_pid: int


def worker_main(conn: Connection, out: Connection, err: Connection, setup: Setup) -> None:
    """A worker's life: go quiet, set up, then run tasks until told to stop or orphaned."""
    _ignore_stop_signals()
    _redirect(out, 1)
    _redirect(err, 2)
    faulthandler.enable()  # a crash in C prints the Python stack to fd 2, so to the parent
    channel = _Channel(conn)
    _route_logging(channel, setup.level)
    _watch_parent(setup.parent_pid)
    try:
        fn, setup_failure = _set_up(setup.fn_bytes, setup.init_bytes)
        _serve(conn, channel, fn, setup_failure)
    except BaseException:
        log.critical("the worker failed", exc_info=True)
        raise


def _redirect(pipe: Connection, fd: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os.dup2(pipe.fileno(), fd)
    pipe.close()


def _ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked while it started; now ignored for good
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _set_up(fn_bytes: bytes, init_bytes: bytes | None) -> tuple[Callable[[Any], Any], str | None]:
    """The task function, and the reason every task fails if the worker could not set up."""
    try:
        fn = pickle.loads(fn_bytes)
        if init_bytes is not None:
            pickle.loads(init_bytes)()
    except Exception as exc:
        log.error("the worker could not set up", exc_info=True)
        reason = describe_failure(exc).removeprefix("failed: ")
        return _identity, f"failed: the worker could not set up: {reason}"
    return fn, None


def _serve(
    conn: Connection, channel: _Channel, fn: Callable[[Any], Any], setup_failure: str | None
) -> None:
    inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(conn, inbox), name="tasks", daemon=True).start()
    while (data := inbox.get()) is not None:
        _, task_id = HEADER.unpack_from(data)
        kind, payload = _perform(fn, memoryview(data)[HEADER.size :], setup_failure)
        if not channel.send(kind, task_id, payload):
            return  # the parent is gone


def _receive(conn: Connection, inbox: queue.SimpleQueue[bytes | None]) -> None:
    """Take the parent's tasks as they come, while the one before runs: a task may be
    larger than the pipe holds, and the parent must not wait for a busy worker to read it
    (the other workers would wait for their next task meanwhile). None: stop after the
    tasks taken (told to, or the parent is gone)."""
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            break  # the parent is gone
        if data == STOP:
            break
        inbox.put(data)
    inbox.put(None)


def _perform(
    fn: Callable[[Any], Any], task_bytes: memoryview, setup_failure: str | None
) -> tuple[bytes, bytes]:
    """Run one task: the kind of answer and its payload. An exception is an answer too."""
    if setup_failure is not None:
        return FAILED, setup_failure.encode()
    try:
        result = fn(pickle.loads(task_bytes))
    except Exception as exc:
        log.debug("a task failed", exc_info=True)
        return FAILED, describe_failure(exc).encode()
    try:
        return DONE, pickle.dumps(result, PICKLE)
    except Exception as exc:
        reason = describe_failure(exc).removeprefix("failed: ")
        return FAILED, f"failed: cannot send the result back: {reason}".encode()


class _Channel:
    """The worker's end of its pipe, shared by the task loop and the log forwarding; also the
    queue a ``QueueHandler`` puts log records on."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._open = True

    def send(self, kind: bytes, task_id: int, payload: bytes) -> bool:
        """Send one message; False once the parent is gone."""
        with self._lock:
            if self._open:
                try:
                    self._conn.send_bytes(HEADER.pack(kind, task_id) + payload)
                except OSError:
                    self._open = False
            return self._open

    def put_nowait(self, record: logging.LogRecord) -> None:
        try:
            payload = pickle.dumps(record.__dict__, PICKLE)
        except Exception:  # an unpicklable ``extra``: keep the plain fields
            plain = (str, int, float, type(None))
            fields = {k: v for k, v in record.__dict__.items() if isinstance(v, plain)}
            payload = pickle.dumps(fields, PICKLE)
        self.send(LOG, 0, payload)  # never logs or raises: that would loop back here

    def get(self) -> logging.LogRecord:
        raise NotImplementedError("the parent reads the records from the pipe")


def _route_logging(channel: _Channel, level: int) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(channel))
    root.setLevel(level)
    logging.raiseExceptions = False  # a broken pipe must not print tracebacks to fd 2
    logging.captureWarnings(True)


def _watch_parent(parent_pid: int) -> None:
    """Exit if the parent dies, even in the middle of a task that would never end."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _identity(task: Any) -> Any:
    return task
