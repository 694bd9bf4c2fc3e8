"""The contract every quality rule module follows, and its examples.

A rule is a module with:

* ``ID``, kebab-case (``overdue-action``); the module is its snake_case twin;
* ``DEFAULT_LEVEL``, the level it reports at unless the configuration says otherwise;
* ``OPTIONS``, a mapping of option name to default value (the type of the default is
  the option's type; ``{}`` when the rule has none);
* a module docstring: a one-line summary, why the rule exists (citing docs/domain.md),
  an ``Options:`` section when it has options, and ``PASS:`` / ``FAIL:`` examples;
* a generator ``check(ctx)`` that yields every finding and never returns early.

Rules never read files, git or the clock: everything comes from the
:class:`CheckContext`. A rule judges one risk with its register's settings: the runner
hands it each risk alone (so the findings can be cached per risk file); a check
across risks belongs in the loader (:func:`bafctl.loader._check_links`). The runner
(:func:`bafctl.checks.run_checks`), not the rule, stamps the rule ID and level on each
finding and applies the risk's silences.

Docstring examples
------------------
Each ``PASS:`` or ``FAIL:`` header is followed by an indented block: a fragment of a
risk file. Its top-level keys *replace* the same top-level keys of
:data:`EXAMPLE_RISK` (keys it does not name are kept, in their place), and the
result is loaded with :data:`EXAMPLE_REGISTER` through the real loader, judged as of
:data:`EXAMPLE_AS_OF`. Every example must load without schema errors; a ``PASS``
example yields no finding from its rule, a ``FAIL`` example at least one (other rules
may report too: a breach example also breaches). A header may set the rule's options
for that example in a YAML flow mapping: ``FAIL with {months: 1}:``. The example base
risk itself passes every rule. ``tests/checks/test_docstring_examples.py`` runs every
example; ``docs/rules.md`` is generated from the same docstrings.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bafctl.dates import months_before as months_before  # noqa: PLC0414 - rules import it from here
from bafctl.findings import Finding, Level
from bafctl.loader import LoadedRegister, LoadedRisk, Workspace
from bafctl.models import Action, Risk, Thread

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class CheckContext:
    """What a rule may look at."""

    workspace: Workspace
    today: dt.date
    options: Mapping[str, Any] = field(default_factory=dict)
    """This rule's options: its defaults, overridden by the configuration."""

    def risks(self) -> list[tuple[LoadedRegister, LoadedRisk]]:
        """Every validated risk with its register."""
        return self.workspace.risks()

    def active_risks(self) -> list[tuple[LoadedRegister, LoadedRisk]]:
        """Risks still managed: closed and merged risks are history, not judged."""
        return [(reg, lr) for reg, lr in self.risks() if lr.risk.is_active]

    def option(self, name: str) -> Any:
        """One option's value (the runner fills in every default)."""
        return self.options[name]


class Rule(Protocol):
    """A quality rule module."""

    ID: str
    DEFAULT_LEVEL: Level
    OPTIONS: Mapping[str, Any]
    __doc__: str | None

    def check(self, ctx: CheckContext) -> Iterator[Finding]:
        """Yield every finding (the runner sets the level and silences)."""
        ...  # pragma: no cover


def finding_at(
    lr: LoadedRisk,
    loc: Loc,
    rule: str,
    message: str,
    hint: str | None = None,
    *,
    key: bool = False,
) -> Finding:
    """A finding for a risk, positioned at ``loc`` inside its file.

    Args:
        lr: The risk the finding is about.
        loc: A path into the risk file such as ``("causes", 0, "actions", 2, "due")``;
            a path that is not in the file falls back to its nearest parent.
        rule: The rule ID (the runner stamps it again; rules pass their own ``ID``).
        message: What is wrong: a lower-case clause, no full stop.
        hint: How to fix it, when there is something to say.
        key: Position at the key (``due:``) rather than its value.
    """
    line, col = lr.source.locate(loc, key=key)
    return Finding(lr.path, line, col, rule, message, Level.WARNING, lr.risk.id, hint)


# ---------------------------------------------------------------------------
# Helpers shared by rules
# ---------------------------------------------------------------------------


def is_active(risk: Risk) -> bool:
    """True unless the risk is closed or merged into another (:attr:`Risk.is_active`)."""
    return risk.is_active


def threads(risk: Risk) -> Iterator[tuple[Loc, str, Thread]]:
    """Every cause and effect with its path and a name for messages (``cause 2``)."""
    for kind, noun in (("causes", "cause"), ("effects", "effect")):
        for index, thread in enumerate(getattr(risk, kind)):
            yield (kind, index), f"{noun} {index + 1}", thread


def actions(risk: Risk) -> Iterator[tuple[Loc, Action]]:
    """Every action of every thread with its path."""
    for loc, _name, thread in threads(risk):
        for index, action in enumerate(thread.actions):
            yield (*loc, "actions", index), action


def threads_loc(lr: LoadedRisk) -> Loc:
    """Where to report a risk-wide problem with its causes and effects: the first key present."""
    for key in ("causes", "effects"):
        if (key,) in lr.source.keys:
            return (key,)
    return ("id",)


def excerpt(text: str, limit: int = 60) -> str:
    """The start of a free-text value on one line, for a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


# ---------------------------------------------------------------------------
# Docstrings: summary, options and examples
# ---------------------------------------------------------------------------

#: The date docstring examples are judged on.
EXAMPLE_AS_OF = dt.date(2026, 3, 1)

#: The register every docstring example is loaded with.
EXAMPLE_REGISTER = """\
register:
  id: EX
  name: Example Trust BAF
  organisation: Example NHS Trust
themes:
  - {id: Q, name: Quality}
sections:
  - {number: 1, title: Quality, themes: [Q], committee: QC}
committees:
  - {id: QC, name: Quality Committee}
  - {id: AC, name: Audit Committee}
roles:
  - {id: CN, title: Chief Nurse}
  - {id: MD, title: Medical Director}
appetite_levels:
  - {id: cautious, name: Cautious, tolerance: 12}
  - {id: open, name: Open, tolerance: 16}
"""

#: The risk every docstring example's fragment is merged over: it passes every rule.
EXAMPLE_RISK = """\
id: R1
title: If nursing vacancies persist, then care may be unsafe, resulting in harm to patients
status: approved
strategic_link: Q
oversight: [QC]
executive_lead: CN
date_included: 2025-04-01
last_updated: 2026-02-15
assessments:
  initial: {consequence: 4, likelihood: 4}
  current: {consequence: 4, likelihood: 3}
  target: {consequence: 4, likelihood: 2}
appetite: {level: cautious}
causes:
  - description: Vacancies in registered nursing posts
    controls:
      - Safe staffing policy and daily staffing huddle
    assurances:
      - {line: 1, source: Daily staffing dashboard}
      - {line: 3, source: Internal audit of e-rostering, opinion: reasonable, date: 2025-11-30}
    actions:
      - {id: A1, action: Recruit through the international nursing pipeline, owner: CN, due: 2026-06-30}
"""

EXAMPLE_REGISTER_PATH = "registers/example/register.yaml"
EXAMPLE_RISK_PATH = "registers/example/risks/R1.yaml"

_HEADER = re.compile(r"^(?P<kind>PASS|FAIL|Options)(?: with (?P<options>\{.*\}))?:\s*$")
_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*):")


@dataclass(frozen=True)
class Example:
    """One ``PASS:`` or ``FAIL:`` example of a rule's docstring."""

    passes: bool
    fragment: str
    options: str | None = None
    """The YAML flow mapping of options from the header, if any."""

    def option_values(self) -> dict[str, Any]:
        """The options from the header as values (``{}`` when there are none).

        Raises:
            ValueError: The header's options are not a YAML flow mapping.
        """
        if self.options is None:
            return {}
        from bafctl.yamlio import parse_yaml

        parsed = parse_yaml(self.options.encode())
        if not parsed.ok or not isinstance(parsed.value, dict):
            raise ValueError(f"example options must be a YAML flow mapping, got {self.options!r}")
        return dict(parsed.value)

    @property
    def label(self) -> str:
        """``PASS`` or ``FAIL``, with the options."""
        kind = "PASS" if self.passes else "FAIL"
        return f"{kind} with {self.options}" if self.options else kind


@dataclass(frozen=True)
class RuleDoc:
    """A rule's docstring, taken apart."""

    summary: str
    body: str
    """The paragraphs after the summary, before the first section."""
    options: str
    """The text of the ``Options:`` section (dedented), or ``""``."""
    examples: tuple[Example, ...]


def parse_doc(doc: str | None) -> RuleDoc:
    """Split a rule module's docstring into summary, body, options and examples.

    Raises:
        ValueError: The docstring has no summary line.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    if not lines or not lines[0].strip():
        raise ValueError("a rule docstring starts with a one-line summary")
    summary = lines[0].strip()
    sections: list[tuple[str, str | None, list[str]]] = [("body", None, [])]
    for line in lines[1:]:
        match = _HEADER.match(line)
        if match:
            sections.append((match["kind"], match["options"], []))
        else:
            sections[-1][2].append(line)
    body = "\n".join(sections[0][2]).strip("\n")
    options = ""
    examples: list[Example] = []
    for kind, opts, content in sections[1:]:
        text = textwrap.dedent("\n".join(content)).strip("\n")
        if kind == "Options":
            options = text
        else:
            examples.append(Example(kind == "PASS", text + "\n", opts))
    return RuleDoc(summary, textwrap.dedent(body).strip("\n"), options, tuple(examples))


def _top_level_blocks(text: str) -> list[tuple[str | None, list[str]]]:
    # A block starts at a line with a top-level `key:`; comment lines and blank lines
    # before it belong to it. Anything before the first key is kept under None.
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    pending: list[str] = []
    for line in text.splitlines():
        match = _TOP_KEY.match(line)
        if match:
            blocks.append((match["key"], [*pending, line]))
            pending = []
        elif not line.strip() or line.startswith("#"):
            pending.append(line)
        else:
            blocks[-1][1].extend([*pending, line])
            pending = []
    blocks[-1][1].extend(pending)
    return blocks


def merge_example(fragment: str, base: str = EXAMPLE_RISK) -> str:
    """The risk file an example describes: ``fragment``'s top-level keys replace ``base``'s.

    Replaced keys stay where they were in ``base``; new keys are appended. The merge is
    textual, so the loader sees (and positions findings in) real YAML.
    """
    replacements = {key: lines for key, lines in _top_level_blocks(fragment) if key is not None}
    out: list[str] = []
    used: set[str] = set()
    for key, lines in _top_level_blocks(base):
        if key is not None and key in replacements:
            out.extend(replacements[key])
            used.add(key)
        else:
            out.extend(lines)
    for key, lines in _top_level_blocks(fragment):
        if key is not None and key not in used:
            out.extend(lines)
    return "\n".join(out) + "\n"


def example_files(example: Example | str) -> dict[str, bytes]:
    """The files of an example's register, ready for :func:`bafctl.loader.load_workspace`."""
    fragment = example.fragment if isinstance(example, Example) else example
    return {
        EXAMPLE_REGISTER_PATH: EXAMPLE_REGISTER.encode(),
        EXAMPLE_RISK_PATH: merge_example(fragment).encode(),
    }
