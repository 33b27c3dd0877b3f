"""Profiles: the built-in ones, custom ones from the config file, clear errors, and warnings
naming what the config file holds that photosift does not know."""

from __future__ import annotations

import logging
from pathlib import Path

import platformdirs
import pytest

from core.analysis.quality import quality_score
from core.errors import PhotosiftError
from core.judging import profiles
from core.judging.profiles import (
    CONFIG_ENV,
    PROFILES,
    WEIGHT_NAMES,
    get_profile,
    load_config,
    profile_names,
)
from core.judging.rules import DEFAULT_RULES
from core.models import Quality

VALID_CONFIG = """\
[keep]
rules = ["not-ai", "most-pixels", "prefer-originals"]

[profiles.mine]
base = "family"
description = "my own"
threshold = 0.9
burst_seconds = 1.5
faces = false
rules = ["prefer-older", "prefer-originals"]

[profiles.mine.weights]
sharpness = 0.3
contrast = 0.1
colour = 0.1
brightness = 0.1
compression = -0.1
noise = -0.1
resolution = 0.1
faces = 0.2
"""


@pytest.fixture
def log(caplog) -> pytest.LogCaptureFixture:
    """Captures what profiles logs at WARNING or above (``log.messages``)."""
    caplog.set_level(logging.WARNING, logger=profiles.__name__)
    return caplog


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_builtin_profiles_carry_the_design_documents_thresholds():
    assert {n: p.threshold for n, p in PROFILES.items()} == {
        "default": 0.85, "family": 0.88, "travel": 0.80, "event": 0.82, "professional": 0.85,
    }  # fmt: skip
    assert get_profile("family", {}).faces and not get_profile("travel", {}).faces
    assert get_profile(None, {}).rules == DEFAULT_RULES


def test_custom_profile_from_the_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        "[profiles.mine]\n"
        'base = "family"\n'
        "threshold = 0.9\n"
        'rules = ["prefer-formats:heic,jpeg", "not-ai", "prefer-originals"]\n'
        "weights = { sharpness = 0.5, noise = -0.2 }\n"
    )
    loaded = load_config(str(config))
    mine = get_profile("mine", loaded)
    assert (mine.threshold, mine.burst_seconds, mine.faces) == (0.9, 2.0, True)
    assert mine.weights == {"sharpness": 0.5, "noise": -0.2}
    assert mine.rules[0] == "prefer-formats:heic,jpeg"
    assert "mine" in profile_names(loaded)


def test_keep_rules_from_the_config_apply_to_builtin_profiles(tmp_path):
    loaded = {"keep": {"rules": ["prefer-older", "prefer-originals"]}}
    assert get_profile("travel", loaded).rules == ("prefer-older", "prefer-originals")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"profiles": {"x": {"base": "nope"}}}, "base must be one of"),
        ({"profiles": {"x": {"threshold": 3}}}, "threshold must be between 0 and 1"),
        ({"profiles": {"x": {"rules": "not-a-list"}}}, "must be a list of strings"),
        ({"profiles": {"x": {"rules": ["shiny-first"]}}}, "unknown keep rule"),
    ],
)
def test_bad_custom_profiles_are_refused_clearly(config, message):
    with pytest.raises(PhotosiftError, match=message):
        get_profile("x", config)


def test_unreadable_config_is_a_clear_error(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[profiles\nbroken")
    with pytest.raises(PhotosiftError, match="cannot read the config file"):
        load_config(str(config))


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(PhotosiftError, match="known: default, family"):
        get_profile("glamour", {})


# -- the config file: where it is, and what it may hold ------------------------------------------


def test_photosift_config_naming_a_missing_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "nope.toml"))

    with pytest.raises(PhotosiftError, match=r"PHOTOSIFT_CONFIG is .*nope\.toml but there is no"):
        load_config()
    with pytest.raises(PhotosiftError, match="no such file"):
        get_profile("family")


def test_missing_config_at_the_default_place_means_no_config(tmp_path, monkeypatch, log):
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda *a, **k: str(tmp_path))

    assert load_config() == {}
    assert get_profile("travel") == PROFILES["travel"]
    assert log.messages == []


def test_valid_config_loads_without_a_warning(tmp_path, monkeypatch, log):
    monkeypatch.setenv(CONFIG_ENV, write(tmp_path / "config.toml", VALID_CONFIG))

    mine = get_profile("mine")

    assert (mine.threshold, mine.burst_seconds, mine.faces) == (0.9, 1.5, False)
    assert set(mine.weights) == set(WEIGHT_NAMES)
    assert get_profile("travel").rules == ("not-ai", "most-pixels", "prefer-originals")
    assert log.messages == []


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (
            "[profiles.mine]\ntreshold = 0.9\n",
            '[profiles.mine] unknown key "treshold" (did you mean "threshold"?); ignored',
        ),
        (
            "[profiles.mine]\nburst = 2.0\n",
            '[profiles.mine] unknown key "burst" (did you mean "burst_seconds"?); ignored',
        ),
        ("[profiles.mine]\nshiny = true\n", '[profiles.mine] unknown key "shiny"; ignored'),
        (
            "[profiles.mine]\nweights = { color = 0.2 }\n",
            '[profiles.mine] unknown weight "color" (did you mean "colour"?); ignored',
        ),
        (
            "[keep]\nrule = ['not-ai']\n",
            '[keep] unknown key "rule" (did you mean "rules"?); ignored',
        ),
        (
            "[profile.mine]\nthreshold = 0.9\n",
            'unknown table "profile" (did you mean "profiles"?); ignored',
        ),
        ("threshold = 0.9\n", 'unknown key "threshold"; ignored'),
    ],
    ids=[
        "profile-key",
        "profile-key-prefix",
        "no-close-name",
        "weight",
        "keep-key",
        "table",
        "key",
    ],
)
def test_unknown_names_are_warned_about_with_the_nearest_known_one(tmp_path, log, text, warning):
    path = write(tmp_path / "config.toml", text)

    load_config(path)

    assert log.messages == [f"{path}: {warning}"]


def test_each_unknown_name_is_warned_about_once_per_version_of_the_file(tmp_path, monkeypatch, log):
    path = write(tmp_path / "config.toml", "[profiles.mine]\ntreshold = 0.9\n")
    monkeypatch.setenv(CONFIG_ENV, path)

    load_config()
    get_profile("mine")
    get_profile("family")
    assert len(log.messages) == 1

    write(tmp_path / "config.toml", "[profiles.mine]\ntreshold = 0.95\nfaces = true\n")
    get_profile("mine")
    assert len(log.messages) == 2


def test_unknown_keys_and_weights_are_ignored(tmp_path):
    path = write(
        tmp_path / "config.toml",
        '[profiles.mine]\nbase = "travel"\ntreshold = 0.99\n'
        "weights = { sharpness = 0.5, color = 0.4 }\n",
    )

    mine = get_profile("mine", load_config(path))

    assert mine.threshold == PROFILES["travel"].threshold
    assert mine.weights == {"sharpness": 0.5}


@pytest.mark.parametrize("name", WEIGHT_NAMES)
def test_every_known_weight_counts_in_the_quality_score(name):
    q = Quality(
        sharpness=0.1, brightness=100.0, contrast=30.0, highlights=0.01, shadows=0.01,
        noise=2.0, colourfulness=20.0, jpeg_quality=80,
    )  # fmt: skip

    def score(weight: str) -> float:
        return quality_score(q, {weight: 1.0}, megapixels=12.0, face_sharpness=0.1)

    assert score(name) > 0.0
    assert score("exposure") == 0.0  # a name it does not know weighs nothing


def test_a_profile_named_with_capitals_is_found_and_a_misshapen_config_is_refused():
    config = {"profiles": {"Mine": {"threshold": 0.9}}}

    assert get_profile("mine", config).threshold == 0.9
    assert get_profile("MINE", config).threshold == 0.9
    with pytest.raises(PhotosiftError, match="profiles must be a table"):
        get_profile("default", {"profiles": ["mine"]})
    with pytest.raises(PhotosiftError, match="keep must be a table"):
        get_profile("default", {"keep": "not-ai"})
