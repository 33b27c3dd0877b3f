"""The boundaries of the house, checked: core is a library without a terminal UI, only the store
knows peewee, and the command line starts without loading the image stack for nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def modules_after_import(*modules: str) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for m in {list(modules)!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def top_levels(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_core_never_loads_a_terminal_ui():
    loaded = top_levels(
        modules_after_import("core.library", "core.runtime.scan", "core.analysis.analyse")
    )
    assert not loaded & {"textual", "textual_image", "rich", "tui"}


@pytest.mark.parametrize(
    "module",
    [
        "core.analysis.analyse",
        "core.media.discover",
        "core.analysis.hashing",
        "core.media.imaging",
        "core.models",
    ],
)
def test_only_the_store_loads_peewee(module):
    assert not top_levels(modules_after_import(module)) & {"peewee", "playhouse"}


def test_import_contracts_hold():
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    result = subprocess.run([lint_imports], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


HEAVY = {"numpy", "cv2", "PIL", "pillow_heif", "peewee"}


def test_the_command_line_starts_without_the_image_stack_or_the_database():
    """--version, --help and the first line of every command come before any of them."""
    assert not top_levels(modules_after_import("tui.cli")) & HEAVY


def test_opening_the_library_loads_the_database_but_not_the_image_stack():
    loaded = top_levels(modules_after_import("core.library", "core.runtime.scan"))
    assert "peewee" in loaded
    assert not loaded & {"numpy", "cv2", "PIL", "pillow_heif"}
