"""Profiles: the built-in ones, custom ones from the config file, and clear errors."""

from __future__ import annotations

import pytest

from core.errors import PhotosiftError
from core.judging.profiles import PROFILES, get_profile, load_config, profile_names
from core.judging.rules import DEFAULT_RULES


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
