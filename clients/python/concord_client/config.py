"""Where the client finds Concord, its token, and the project and institute to file runs under.

Two sources, the environment winning over the file:

- the environment: `CONCORD_URL`, `CONCORD_TOKEN`, `CONCORD_PROJECT`, `CONCORD_INSTITUTE`, and
  optionally `CONCORD_PENDING_DIR` (where uploads that could not be sent wait);
- a `concord.toml` file with a `[concord]` table holding `url`, `token`, `project`, `institute`
  (and optionally `pending_dir`): the file named by `CONCORD_CONFIG`, else the first
  `concord.toml` found walking up from the current directory, else
  `~/.config/concord/concord.toml`.

`load()` never fails for a missing value (the Inspect hook only asks whether everything is there);
`Settings.require(...)` raises `ConfigError` naming every value that is missing and where it was
looked for.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):  # noqa: UP036 (the package supports Python 3.10)
    import tomllib
else:  # pragma: no cover (Python 3.10)
    import tomli as tomllib

KEYS = ("url", "token", "project", "institute")
ENV = {
    "url": "CONCORD_URL",
    "token": "CONCORD_TOKEN",
    "project": "CONCORD_PROJECT",
    "institute": "CONCORD_INSTITUTE",
    "pending_dir": "CONCORD_PENDING_DIR",
}
FILE_NAME = "concord.toml"


class ConfigError(Exception):
    """The configuration is missing something or cannot be read (the message says what)."""


@dataclass(frozen=True)
class Settings:
    url: str = ""
    token: str = ""
    project: str = ""
    institute: str = ""
    pending_dir: Path = field(default_factory=lambda: default_pending_dir())
    config_file: Path | None = None  # the concord.toml read, if any

    @property
    def complete(self) -> bool:
        """Everything the Inspect hook needs: url, token, project and institute."""
        return all(getattr(self, key) for key in KEYS)

    def require(self, *keys: str) -> Settings:
        """Self, or `ConfigError` naming each missing value and how to set it."""
        missing = [key for key in keys or KEYS if not getattr(self, key)]
        if missing:
            where = f"{self.config_file}" if self.config_file else "no concord.toml found"
            names = ", ".join(f"{key} ({ENV[key]})" for key in missing)
            raise ConfigError(
                f"Concord is not configured: missing {names}. Set the environment variables, "
                f"or put them under [concord] in concord.toml ({where})."
            )
        return self


def default_pending_dir() -> Path:
    return Path.home() / ".local" / "share" / "concord" / "pending"


def find_config_file(
    env: Mapping[str, str] | None = None, cwd: Path | None = None, home: Path | None = None
) -> Path | None:
    """`CONCORD_CONFIG`, else ./concord.toml walking up from `cwd`, else the user's one."""
    env = os.environ if env is None else env
    explicit = env.get("CONCORD_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"CONCORD_CONFIG names {path}, which is not a file.")
        return path
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
    user = (home or Path.home()) / ".config" / "concord" / FILE_NAME
    return user if user.is_file() else None


def read_file(path: Path) -> dict[str, str]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from exc
    table = data.get("concord", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [concord] must be a table.")
    return {key: str(value) for key, value in table.items() if key in ENV}


def load(
    env: Mapping[str, str] | None = None, cwd: Path | None = None, home: Path | None = None
) -> Settings:
    """The settings from the environment over the file (missing values are empty strings)."""
    env = os.environ if env is None else env
    path = find_config_file(env, cwd, home)
    values = read_file(path) if path else {}
    for key, name in ENV.items():
        if env.get(name):
            values[key] = env[name]
    pending = values.pop("pending_dir", "")
    return Settings(
        url=values.get("url", "").rstrip("/"),
        token=values.get("token", ""),
        project=values.get("project", ""),
        institute=values.get("institute", ""),
        pending_dir=Path(pending).expanduser() if pending else default_pending_dir(),
        config_file=path,
    )
