"""Named profiles: how strictly photos are grouped and how the file to keep is judged.

Thresholds are the design document's: family 0.88 ("stricter, to avoid grouping different
moments"), travel 0.80 ("more liberal, to catch variations"), event 0.82, portrait sessions
(professional) 0.85, and 0.85 when no profile is named. photosift applies them to its visual
similarity (the correlation of the aligned thumbnails, see ``core.similarity``): copies and
edits of one photo score above 0.94 and different photos below 0.8 on the benchmark corpora.
The burst window is how far apart (seconds, EXIF time, same camera) frames of a burst may be.

Quality weights map the design document's to what photosift measures. Measured: sharpness,
exposure (brightness and clipping), contrast, colour, noise, compression, resolution, and
face sharpness (family, professional). With no measurable counterpart, and so left out:
composition, scenic beauty, uniqueness, moment significance, emotional content and
expression. "Technical quality" is spread over sharpness, contrast, noise and compression.

Custom profiles live in the config file (``config_path()``)::

    [keep]
    rules = ["prefer-folder:~/Pictures/Originals", "not-ai", "most-pixels", "prefer-originals"]

    [profiles.mine]
    base = "family"          # start from a built-in profile
    threshold = 0.9
    burst_seconds = 1.5
    faces = true
    rules = ["protect-folder:~/Archive", "not-ai", "most-pixels", "prefer-originals"]
    weights = { sharpness = 0.5, brightness = 0.2 }

A ``$PHOTOSIFT_CONFIG`` naming a file that does not exist is an error; no file at the default
place means no config. Tables, keys and weight names photosift does not know are logged as
warnings (once per version of the file), with the nearest known name, and otherwise ignored.

Must not import the store or any UI.
"""

from __future__ import annotations

import difflib
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from core.errors import PhotosiftError
from core.judging import rules
from core.matching.options import DEFAULT_BURST_SECONDS, DEFAULT_THRESHOLD, GroupingOptions

logger = logging.getLogger(__name__)

CONFIG_ENV = "PHOTOSIFT_CONFIG"
CONFIG_TABLES = ("keep", "profiles")
KEEP_KEYS = ("rules",)
PROFILE_KEYS = ("base", "threshold", "burst_seconds", "faces", "rules", "weights", "description")
# What core.analysis.quality.quality_score weighs; other names there would weigh nothing.
WEIGHT_NAMES = (
    "sharpness", "contrast", "colour", "brightness", "compression", "noise", "resolution", "faces",
)  # fmt: skip
_TECHNICAL = {"sharpness": 0.1, "contrast": 0.1, "noise": -0.05, "compression": -0.05}


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    threshold: float
    burst_seconds: float
    description: str
    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "sharpness": 0.3, "contrast": 0.2, "colour": 0.2, "brightness": 0.1,
            "compression": -0.1, "noise": -0.1,
        }
    )  # fmt: skip
    faces: bool = False
    rules: tuple[str, ...] = rules.DEFAULT_RULES

    def grouping(self, threshold: float | None = None) -> GroupingOptions:
        """The grouping options of this profile, with another threshold if given."""
        return GroupingOptions(
            threshold=self.threshold if threshold is None else threshold,
            burst_seconds=self.burst_seconds,
        )


PROFILES = {
    p.name: p
    for p in (
        Profile("default", DEFAULT_THRESHOLD, DEFAULT_BURST_SECONDS, "balanced grouping"),
        Profile(
            "family", 0.88, 2.0, "stricter: keeps different moments apart; faces and open eyes",
            weights={"sharpness": 0.35, "brightness": 0.25, "faces": 0.20},
            faces=True,
        ),
        Profile(
            "travel", 0.80, 3.0, "more liberal: catches variations of a view",
            weights={**_TECHNICAL, "resolution": 0.1},
        ),
        Profile("event", 0.82, 1.0, "action sequences: short bursts", weights=dict(_TECHNICAL)),
        Profile(
            "professional", 0.85, 1.0, "portrait sessions: similar poses; sharp faces",
            weights={"faces": 0.40, "brightness": 0.20},
            faces=True,
        ),
    )
}  # fmt: skip
DEFAULT_PROFILE = PROFILES["default"]


def config_path() -> str:
    """``$PHOTOSIFT_CONFIG``, else config.toml in the user's config folder."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return os.path.expanduser(explicit)
    import platformdirs  # here, not at import: the command line's help needs none of it

    return os.path.join(platformdirs.user_config_dir("photosift", appauthor=False), "config.toml")


def load_config(path: str | None = None) -> dict:
    """The config file at ``path`` (default ``config_path()``) as a dict; {} when there is none.
    What it holds that photosift does not know is logged as a warning, once per file version."""
    import tomllib

    from_env = path is None and bool(os.environ.get(CONFIG_ENV))
    path = path or config_path()
    try:
        version = os.stat(path)
        with open(path, "rb") as fh:
            config = tomllib.load(fh)
    except (FileNotFoundError, NotADirectoryError):
        if from_env:
            raise PhotosiftError(f"{CONFIG_ENV} is {path} but there is no such file") from None
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PhotosiftError(f"cannot read the config file {path}: {exc}") from None
    _warn_once(path, (version.st_mtime_ns, version.st_size), config)
    return config


def config_warnings(config: Mapping) -> list[str]:
    """What in ``config`` photosift does not know and ignores, each with the nearest known
    name when there is a close one, e.g. ``[profiles.mine] unknown key "treshold" (did you mean
    "threshold"?); ignored``. Values are checked where they are used (``get_profile``)."""
    found = [
        f"unknown {'table' if isinstance(value, dict) else 'key'} {_named(key, CONFIG_TABLES)}"
        for key, value in config.items()
        if key not in CONFIG_TABLES
    ]
    keep = config.get("keep")
    if isinstance(keep, dict):
        found += [f"[keep] unknown key {_named(k, KEEP_KEYS)}" for k in keep if k not in KEEP_KEYS]
    profiles = config.get("profiles")
    for name, table in profiles.items() if isinstance(profiles, dict) else ():
        if isinstance(table, dict):
            found += _profile_warnings(f"[profiles.{name}]", table)
    return [f"{problem}; ignored" for problem in found]


_warned: set[tuple[str, tuple[int, int]]] = set()
_warned_lock = threading.Lock()


def _warn_once(path: str, version: tuple[int, int], config: Mapping) -> None:
    """Logs ``config_warnings`` the first time this version (mtime, size) of ``path`` is loaded:
    a process loads its config for every profile lookup."""
    key = (os.path.abspath(path), version)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    for warning in config_warnings(config):
        logger.warning("%s: %s", path, warning)


def _profile_warnings(where: str, table: Mapping) -> list[str]:
    found = [
        f"{where} unknown key {_named(k, PROFILE_KEYS)}" for k in table if k not in PROFILE_KEYS
    ]
    weights = table.get("weights")
    if isinstance(weights, dict):
        found += [
            f"{where} unknown weight {_named(w, WEIGHT_NAMES)}"
            for w in weights
            if w not in WEIGHT_NAMES
        ]
    return found


def _named(name: str, known: Iterable[str]) -> str:
    """``"name"``, followed by the nearest of ``known`` when one is close (by spelling, or
    containing it: ``burst`` for ``burst_seconds``)."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1)
    close = close or [k for k in known if len(name) >= 3 and name.lower() in k][:1]
    return f'"{name}" (did you mean "{close[0]}"?)' if close else f'"{name}"'


def get_profile(name: str | None, config: Mapping | None = None) -> Profile:
    """The named profile (built-in, or custom from the config file), with the config's
    [keep] rules applied when the profile does not set its own."""
    config = load_config() if config is None else config
    custom = {str(key).lower(): table for key, table in _table(config, "profiles").items()}
    wanted = (name or "default").lower()
    if wanted in custom:
        profile = _custom(wanted, custom[wanted])
    elif wanted in PROFILES:
        profile = PROFILES[wanted]
    else:
        known = ", ".join([*PROFILES, *custom])
        raise PhotosiftError(f"unknown profile {name!r} (known: {known})")
    keep = _table(config, "keep").get("rules")
    if keep is not None and not (wanted in custom and "rules" in custom[wanted]):
        profile = replace(profile, rules=_rule_list(keep, "[keep] rules"))
    rules.parse_all(profile.rules)  # refuse a bad rule now, with its name
    return profile


def profile_names(config: Mapping | None = None) -> list[str]:
    config = load_config() if config is None else config
    custom = [str(n).lower() for n in _table(config, "profiles")]
    return [*PROFILES, *(n for n in custom if n not in PROFILES)]


def _table(config: Mapping, name: str) -> Mapping:
    """The config's [name] table ({} when there is none); anything else is an error."""
    value = config.get(name, {})
    if not isinstance(value, Mapping):
        raise PhotosiftError(f"the config file's {name} must be a table, like [{name}]")
    return value


def _custom(name: str, table: object) -> Profile:
    if not isinstance(table, dict):
        raise PhotosiftError(f"[profiles.{name}] must be a table")
    base = PROFILES.get(str(table.get("base", "default")).lower())
    if base is None:
        raise PhotosiftError(f"[profiles.{name}] base must be one of {', '.join(PROFILES)}")
    try:
        threshold = float(table.get("threshold", base.threshold))
        burst = float(table.get("burst_seconds", base.burst_seconds))
        weights = {
            str(k): float(v)
            for k, v in table.get("weights", base.weights).items()
            if k in WEIGHT_NAMES  # the others were warned about when the file was loaded
        }
    except (TypeError, ValueError, AttributeError) as exc:
        raise PhotosiftError(f"[profiles.{name}]: {exc}") from None
    if not 0.0 < threshold <= 1.0:
        raise PhotosiftError(f"[profiles.{name}] threshold must be between 0 and 1")
    return Profile(
        name=name,
        threshold=threshold,
        burst_seconds=burst,
        description=str(table.get("description", f"custom, based on {base.name}")),
        weights=weights,
        faces=bool(table.get("faces", base.faces)),
        rules=_rule_list(table.get("rules", base.rules), f"[profiles.{name}] rules"),
    )


def _rule_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PhotosiftError(f"{where} must be a list of strings")
    return tuple(value)
