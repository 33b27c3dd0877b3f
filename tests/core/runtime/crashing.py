"""Task functions for the executor tests, at module level so spawned workers can import them:
some just compute, some misbehave the way a decoder does (die, get killed, write to fd 2,
warn, raise, hang)."""

from __future__ import annotations

import os
import signal
import time
import warnings
from pathlib import Path

CULPRIT = 0  # the task that kills its worker
_LAST_WORDS = b"decoder: fatal error in tile 3\n"


def square(n: int) -> int:
    return n * n


def exit_on_culprit(n: int) -> int:
    """Dies with exit code 3 on ``CULPRIT``, after long enough for its worker to hold more."""
    if n == CULPRIT:
        time.sleep(0.2)
        os.write(2, _LAST_WORDS)
        os._exit(3)
    return n * n


def kill_on_culprit(n: int) -> int:
    """Dies of SIGKILL (as the OOM killer does it) on ``CULPRIT``."""
    if n == CULPRIT:
        time.sleep(0.2)
        os.write(2, _LAST_WORDS)
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n


def crash_once(task: tuple[str, int]) -> int:
    """Dies the first time it sees a marker path that does not exist yet, creating it."""
    marker, n = task
    if marker and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(5)
    return n * n


def sleep_long(folder: str) -> int:
    """Leaves a ``busy-<pid>`` marker in ``folder``, then sleeps far longer than any test."""
    Path(folder, f"busy-{os.getpid()}").touch()
    time.sleep(30)
    return os.getpid()


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def pid_of(_: int) -> int:
    return os.getpid()


def noisy(n: int) -> int:
    """Talks the way C libraries and Python code do: straight to fd 2, a warning, a print."""
    os.write(2, b"decoder warning\n")
    warnings.warn("odd EXIF orientation", UserWarning, stacklevel=1)
    print("hello from stdout", flush=True)
    return n


def fail_on_odd(n: int) -> int:
    if n % 2:
        raise ValueError(f"bad thing {n}")
    return os.getpid()


def pid_after_with(task: tuple[float, bytes]) -> int:
    """Sleeps, then answers its pid; the task carries a payload larger than a pipe holds."""
    time.sleep(task[0])
    return os.getpid()
