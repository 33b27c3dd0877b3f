"""Reading a benchmark corpus made by the kit's make_corpus.py: its folder (from the
environment) and its truth.json, for the corpus benchmarks."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

CORPUS_ENV = "PHOTOSIFT_BENCH_CORPUS"
TRUTH_FILE = "truth.json"
_READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Member:
    """One file of a group, as truth.json describes it (``path`` absolute)."""

    path: str
    transform: str
    exif: str | None  # "make+time+software", "none", or None when truth does not say
    frame: int | None = None  # a burst frame's index
    ai_enhanced: bool = False


@dataclass(frozen=True, slots=True)
class Truth:
    groups: dict[str, tuple[Member, ...]]  # group id -> members, the original first
    singletons: tuple[str, ...]
    burst_best: dict[str, str]  # group id -> its burst's sharpest frame (absolute path)
    hard_negatives: tuple[tuple[str, str], ...]
    transforms: tuple[str, ...]  # in truth's order, "original" first

    @property
    def paths(self) -> list[str]:
        members = [m.path for ms in self.groups.values() for m in ms]
        return sorted(members + list(self.singletons))

    @property
    def representatives(self) -> list[str]:
        """One file per photo: each group's original and each singleton."""
        return [ms[0].path for ms in self.groups.values()] + list(self.singletons)


# -- input ---------------------------------------------------------------------------------


def corpus_root() -> str:
    """The corpus folder from the environment (real path), or a skip saying what is needed."""
    value = os.environ.get(CORPUS_ENV)
    if not value:
        pytest.skip(f"set {CORPUS_ENV} to a corpus folder made by make_corpus.py")
    if not os.path.isfile(os.path.join(value, TRUTH_FILE)):
        pytest.skip(f"{CORPUS_ENV}={value} has no {TRUTH_FILE}")
    return os.path.realpath(value)


def load_truth(root: str) -> Truth:
    with open(os.path.join(root, TRUTH_FILE), encoding="utf-8") as fh:
        raw = json.load(fh)

    def where(rel: str) -> str:
        return os.path.join(root, *rel.split("/"))

    groups = {
        group["id"]: tuple(
            Member(
                path=where(m["path"]),
                transform=m["transform"],
                exif=m["params"].get("exif"),
                frame=m["params"].get("frame") if m["transform"] == "burst_frame" else None,
                ai_enhanced=bool(m.get("ai_enhanced")),
            )
            for m in sorted(group["members"], key=lambda m: m["transform"] != "original")
        )
        for group in raw["groups"]
    }
    return Truth(
        groups=groups,
        singletons=tuple(where(p) for p in raw["singletons"]),
        burst_best={g["id"]: where(g["burst_best"]) for g in raw["groups"] if g.get("burst_best")},
        hard_negatives=tuple((where(h["a"]), where(h["b"])) for h in raw["hard_negatives"]),
        transforms=tuple(raw.get("transforms", {})),
    )


def warm_page_cache(paths: Sequence[str]) -> None:
    """Read every file once, so the first scan is not timed on a cold disk."""
    for path in paths:
        with open(path, "rb") as fh:
            while fh.read(_READ_CHUNK):
                pass
