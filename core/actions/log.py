"""The JSON-lines log that apply writes into the backup folder: one line per event (the batch,
each file moved, each file restored), so the backup says by itself what came from where,
when, why, with sizes and checksums, and ``undo --from-log`` can bring it back without the
catalog. Each line is synced to disk as it is written.

Paths are written as text; a name that is not valid UTF-8 also gets its exact bytes as
base64 (``from_bytes``, ``to_bytes``), which reading prefers. Must not import the store or
any UI.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from core.paths import printable

LOG_PREFIX = "photosift-log-"
_PATH_KEYS = ("from", "to", "kept_file", "sidecar_of")


def new_log(folder: str, batch_id: int, header: dict[str, Any]) -> str:
    """Create the log of batch ``batch_id`` in ``folder`` and write its first line."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(folder, f"{LOG_PREFIX}{stamp}-batch{batch_id}.jsonl")
    n = 2
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            path = os.path.join(folder, f"{LOG_PREFIX}{stamp}-batch{batch_id}-{n}.jsonl")
            n += 1
    os.close(fd)
    append(path, {"event": "batch", "batch": batch_id, **header})
    return path


def append(path: str, record: dict[str, Any]) -> None:
    """Add one line and sync it."""
    line = json.dumps(_encoded({"at": datetime.now().isoformat(timespec="seconds"), **record}))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read(path: str) -> Iterator[dict[str, Any]]:
    """The log's records, paths decoded; a damaged line (a crash mid-write) is skipped."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield _decoded(record)


def _encoded(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for key in _PATH_KEYS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = printable(value)
            raw = os.fsencode(value)
            if raw.decode("utf-8", "replace").encode() != raw:
                out[f"{key}_bytes"] = base64.b64encode(raw).decode("ascii")
    return out


def _decoded(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for key in _PATH_KEYS:
        raw = out.pop(f"{key}_bytes", None)
        if isinstance(raw, str):
            out[key] = os.fsdecode(base64.b64decode(raw))
    return out
