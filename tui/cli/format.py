"""Formatting for the command line: names that are safe to print, paths that scripts can use,
tables that fit the terminal, help that wraps, sizes and durations for people.

* ``shown(text)``: a file name (or any text from outside) as it may be written to a terminal:
  control characters, the C1 controls, bidirectional overrides and undecodable bytes are
  shown as visible escapes (``\\x1b``, ``\\n``, ``\\u202e``, ``\\xff``), so a name can never
  retitle, recolour or reorder the person's terminal.
* ``path_entry(path)``: a path for JSON and CSV. ``path`` is the name as text (undecodable
  bytes as ``\\xNN``); when the name is not valid UTF-8, ``path_bytes`` holds its exact bytes
  in base64, which is what a script opens.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import sys
import textwrap

from core.paths import printable

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# C0 controls, DEL and the C1 controls; line and paragraph separators; bidi embeddings,
# overrides and isolates
_UNSAFE = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F)]
_TABLE = {code: _escape(chr(code)) for code in (*_UNSAFE, *range(0x2066, 0x206A))}


def shown(text: object) -> str:
    """``text`` safe to write to a terminal (see the module docstring)."""
    return printable(str(text)).translate(_TABLE)


def path_entry(path: str) -> dict[str, str]:
    """``{"path": text}``, plus ``"path_bytes"`` (base64) for a name that is not UTF-8."""
    entry = {"path": printable(path)}
    raw = os.fsencode(path)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        entry["path_bytes"] = base64.b64encode(raw).decode("ascii")
    return entry


def path_bytes(path: str) -> str:
    """The base64 of a path's bytes when it is not UTF-8, else ''."""
    return path_entry(path).get("path_bytes", "")


def width(stream=None) -> int | None:
    """The terminal's width, or None when ``stream`` (stdout) is not a terminal: output for
    a pipe or a file is never shortened."""
    stream = stream or sys.stdout
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return shutil.get_terminal_size((100, 24)).columns


def middle(text: str, room: int | None) -> str:
    """``text`` shortened in the middle with "…" to at most ``room`` characters."""
    if room is None or len(text) <= room:
        return text
    if room < 5:
        return text[:room]
    head = (room - 1) // 2
    tail = room - 1 - head
    return text[:head] + "…" + text[len(text) - tail :]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help whose prose wraps to the terminal; indented lines (lists, examples) stay as they
    are."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
        out = []
        for paragraph in paragraphs:
            lines = paragraph.splitlines()
            if any(line.startswith(" ") for line in lines):
                out.append("\n".join(indent + line for line in lines))
            else:
                flat = " ".join(line.strip() for line in lines)
                out.append(
                    textwrap.fill(flat, width, initial_indent=indent, subsequent_indent=indent)
                )
        return "\n\n".join(out) + "\n"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def size(count: float) -> str:
    """Bytes for people: 812 B, 4.1 MB, 1.2 GB."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")
