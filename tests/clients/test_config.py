"""Where the client finds its configuration: the environment over concord.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from concord_client.config import ConfigError, find_config_file, load

TOML = """
[concord]
url = "https://file.example.org/"
token = "cnc_file"
project = "from-file"
institute = "inst-file"
"""


def test_environment_alone_configures_everything(tmp_path):
    env = {
        "CONCORD_URL": "https://concord.example.org/",
        "CONCORD_TOKEN": "cnc_x",
        "CONCORD_PROJECT": "joint",
        "CONCORD_INSTITUTE": "inst-a",
        "CONCORD_PENDING_DIR": str(tmp_path / "p"),
    }
    settings = load(env, cwd=tmp_path, home=tmp_path)
    assert settings.url == "https://concord.example.org"
    assert (settings.token, settings.project, settings.institute) == ("cnc_x", "joint", "inst-a")
    assert settings.pending_dir == tmp_path / "p"
    assert settings.complete
    assert settings.config_file is None


def test_file_found_walking_up_and_environment_wins(tmp_path):
    (tmp_path / "concord.toml").write_text(TOML)
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    settings = load({"CONCORD_PROJECT": "joint"}, cwd=nested, home=tmp_path / "home")
    assert settings.config_file == tmp_path / "concord.toml"
    assert settings.url == "https://file.example.org"
    assert settings.token == "cnc_file"
    assert settings.project == "joint"  # the environment wins
    assert settings.institute == "inst-file"


def test_concord_config_names_the_file(tmp_path):
    named = tmp_path / "elsewhere.toml"
    named.write_text(TOML)
    (tmp_path / "concord.toml").write_text('[concord]\nurl = "https://ignored"\n')
    settings = load({"CONCORD_CONFIG": str(named)}, cwd=tmp_path, home=tmp_path)
    assert settings.url == "https://file.example.org"


def test_user_file_is_the_last_resort(tmp_path):
    home = tmp_path / "home"
    (home / ".config" / "concord").mkdir(parents=True)
    (home / ".config" / "concord" / "concord.toml").write_text(TOML)
    cwd = tmp_path / "work"
    cwd.mkdir()
    assert find_config_file({}, cwd=cwd, home=home) == home / ".config/concord/concord.toml"


def test_missing_values_are_named(tmp_path):
    settings = load({"CONCORD_URL": "https://c.example.org"}, cwd=tmp_path, home=tmp_path)
    assert not settings.complete
    with pytest.raises(ConfigError) as error:
        settings.require()
    message = str(error.value)
    assert "token (CONCORD_TOKEN)" in message
    assert "project (CONCORD_PROJECT)" in message
    assert "institute (CONCORD_INSTITUTE)" in message
    assert "url" not in message.split("missing")[1].split(".")[0]
    assert settings.require("url") is settings


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not a file"):
        load({"CONCORD_CONFIG": str(tmp_path / "nope.toml")}, cwd=tmp_path, home=tmp_path)
    broken = Path(tmp_path / "concord.toml")
    broken.write_text("[concord\n")
    with pytest.raises(ConfigError, match="Cannot read"):
        load({}, cwd=tmp_path, home=tmp_path)
