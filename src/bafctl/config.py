"""Configuration of the quality rules: ``bafctl.toml``, or ``[tool.bafctl]`` in ``pyproject.toml``.

Where it is read from (README "Configuration"): starting in the current folder and
going up to the repository root (the folder holding ``.git``), the first folder that
has either file wins. In one folder ``bafctl.toml`` wins over ``pyproject.toml``
(whose ``[tool.bafctl]`` table is then ignored); a ``pyproject.toml`` without a
``[tool.bafctl]`` table does not count. ``bafctl check --config FILE`` names the file
instead. Command-line options win over the file (``--as-of``, ``--fail-on``).

The format::

    as_of = 2026-01-31        # judge date rules as of this date (optional)
    fail_on = "error"         # error | warning | never: which findings fail the run

    [rules]
    title-without-cause-and-effect = "off"        # error | warning | info | off
    overdue-action = "error"
    stale-review = { months = 3, high_risk_months = 1 }   # options, and optionally level

Parsing (:func:`parse_config`) is pure and testable without files.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bafctl.errors import ConfigError
from bafctl.findings import Level

CONFIG_FILE = "bafctl.toml"
PYPROJECT_FILE = "pyproject.toml"
#: The word that turns a rule off.
OFF = "off"


class FailOn(StrEnum):
    """Which findings make `bafctl check` exit 1."""

    error = "error"
    warning = "warning"
    never = "never"

    def fails(self, level: Level) -> bool:
        """True when an unsilenced finding at ``level`` fails the run."""
        if self is FailOn.never:
            return False
        if self is FailOn.warning:
            return level in (Level.ERROR, Level.WARNING)
        return level is Level.ERROR


@dataclass(frozen=True)
class Config:
    """The settings `bafctl check` runs with."""

    levels: dict[str, Level | None] = field(default_factory=dict)
    """Level per rule ID; ``None`` means the rule is off. Rules not named keep their default."""
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Options per rule ID, over the rule's defaults."""
    as_of: dt.date | None = None
    fail_on: FailOn | None = None
    source: str | None = None
    """The file this came from (None for the built-in defaults)."""


_TOP_KEYS = ("as_of", "fail_on", "rules")


def _suggest(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _level(value: Any, where: str) -> Level | None:
    if value == OFF:
        return None
    if isinstance(value, str) and value in {level.value for level in Level}:
        return Level(value)
    raise ConfigError(f"{where}: level must be one of error, warning, info, off; got {value!r}")


def _option(rule_id: str, name: str, value: Any, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: option {name!r} of rule {rule_id!r} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"{where}: option {name!r} of rule {rule_id!r} must be a whole number of 1 or more, got {value!r}"
            )
        return value
    if not isinstance(value, type(default)):  # pragma: no cover - every option today is a bool or an int
        raise ConfigError(f"{where}: option {name!r} of rule {rule_id!r} has the wrong type")
    return value


def _as_of(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{where}: as_of must be a date such as 2026-01-31, got {value!r}")


def parse_config(data: Mapping[str, Any], source: str = CONFIG_FILE, *, rules: Mapping[str, Any]) -> Config:
    """Validate a configuration table (what ``tomllib`` read) into a :class:`Config`.

    Args:
        data: The ``bafctl.toml`` document, or ``pyproject.toml``'s ``[tool.bafctl]``.
        source: Where it came from, for messages.
        rules: The rule registry (``bafctl.checks.RULES``): rule ID -> module with
            ``DEFAULT_LEVEL`` and ``OPTIONS``. Passed in, so configuration sits below the rules.

    Raises:
        ConfigError: An unknown key, rule or option, or a value of the wrong kind.
    """
    for key in data:
        if key not in _TOP_KEYS:
            raise ConfigError(
                f"{source}: unknown setting {key!r}{_suggest(key, list(_TOP_KEYS))}; known: {', '.join(_TOP_KEYS)}"
            )
    as_of = _as_of(data["as_of"], source) if "as_of" in data else None
    fail_on: FailOn | None = None
    if "fail_on" in data:
        raw = data["fail_on"]
        if raw not in {f.value for f in FailOn}:
            raise ConfigError(f"{source}: fail_on must be one of error, warning, never; got {raw!r}")
        fail_on = FailOn(raw)
    table = data.get("rules", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [rules] must be a table of rule IDs")
    levels: dict[str, Level | None] = {}
    options: dict[str, dict[str, Any]] = {}
    for rule_id, setting in table.items():
        where = f"{source}: [rules] {rule_id}"
        if rule_id not in rules:
            raise ConfigError(f"{source}: [rules] unknown rule {rule_id!r}{_suggest(rule_id, list(rules))}")
        defaults: Mapping[str, Any] = rules[rule_id].OPTIONS
        if isinstance(setting, str):
            levels[rule_id] = _level(setting, where)
            continue
        if not isinstance(setting, Mapping):
            raise ConfigError(f'{where}: write a level ("warning") or a table of options, got {setting!r}')
        values: dict[str, Any] = {}
        for name, value in setting.items():
            if name == "level":
                levels[rule_id] = _level(value, where)
            elif name in defaults:
                values[name] = _option(rule_id, name, value, defaults[name], source)
            else:
                known = ", ".join(["level", *defaults])
                raise ConfigError(
                    f"{where}: unknown option {name!r}{_suggest(name, ['level', *defaults])}; known: {known}"
                )
        if values:
            options[rule_id] = values
    return Config(levels, options, as_of, fail_on, source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        # Only a regular file: O_NONBLOCK and fstat keep a FIFO named bafctl.toml from hanging the run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ConfigError(f"{path}: cannot read it: not a regular file")
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from None


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    tool = _read_toml(path).get("tool", {})
    table = tool.get("bafctl") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.bafctl] must be a table")
    return table


def _display(path: Path) -> str:
    # Messages name the file as the user would: relative to the current folder if inside it.
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def find_config(start: Path) -> Path | None:
    """The configuration file that applies in ``start``: see the module docstring."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT_FILE
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def load_config(start: Path | None = None, explicit: Path | None = None, *, rules: Mapping[str, Any]) -> Config:
    """Read the configuration that applies in ``start`` (or the ``explicit`` file).

    Returns the defaults (every rule at its default level) when there is no file.

    Raises:
        ConfigError: The file is missing (when explicit), unreadable or invalid.
    """
    path = explicit
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    if path is None:
        path = find_config(start or Path.cwd())
    if path is None:
        return Config()
    display = _display(path)
    if path.name == PYPROJECT_FILE:
        table = _pyproject_table(path)
        return parse_config(table or {}, f"{display} [tool.bafctl]", rules=rules)
    return parse_config(_read_toml(path), display, rules=rules)
