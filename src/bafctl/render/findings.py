"""Render findings for `bafctl check`: each format is a pure function to a string.

The same words in every format: only the frame changes. Silenced
findings are counted in every summary but printed only where the format can mark
them as silenced (JSON ``suppressed``, SARIF ``suppressions``, JUnit ``skipped``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import quote

from bafctl import __version__
from bafctl.escaping import display_path, log_safe, markdown_cell, markdown_text, one_line, terminal
from bafctl.findings import Finding, Level, count_levels
from bafctl.jsonout import dump_json
from bafctl.render.colour import LEVEL_STYLES, QUIET, Line, Span, paint, plain


@dataclass(frozen=True)
class RuleInfo:
    """What SARIF says about a rule: from the rule's docstring, or the loader's table.

    ``full_description`` and ``help_text`` may be left empty: SARIF then repeats the
    summary, and the help Markdown (or the summary and a link to the rule's section).
    """

    id: str
    summary: str
    help_markdown: str
    default_level: Level
    full_description: str = ""
    help_text: str = ""


def rule_infos(levels: Mapping[str, Level | None] | None = None) -> dict[str, RuleInfo]:
    """Every rule bafctl can report, at its configured level; rules turned off are left out.

    Quality rules take their texts from their docstrings (as docs/rules.md does), the
    loader's findings from :data:`bafctl.checks.LOADER_RULES`.

    Args:
        levels: Configured levels by rule ID (``None``: off), as ``Config.levels``.
    """
    from bafctl.checks import LOADER_RULES, RULES, UNKNOWN_RULE, rule_summary
    from bafctl.docs_gen import loader_rule_description, loader_rule_markdown, rule_description, rule_markdown

    levels = levels or {}
    infos: dict[str, RuleInfo] = {}
    for rule_id, rule in RULES.items():
        level = levels.get(rule_id, rule.DEFAULT_LEVEL)
        if level is not None:
            full = rule_description(rule)
            infos[rule_id] = RuleInfo(rule_id, rule_summary(rule_id), rule_markdown(rule, "#"), level, full)
    for rule_id, text in LOADER_RULES.items():
        level = Level.WARNING if rule_id == UNKNOWN_RULE else Level.ERROR
        markdown = loader_rule_markdown(rule_id, "#")
        infos[rule_id] = RuleInfo(rule_id, text, markdown, level, loader_rule_description(rule_id))
    return infos


# ---------------------------------------------------------------------------
# Paths relative to the repository
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PathBase:
    """Where a run was made from: to show the loader's paths relative to the repository.

    The loader gives every path relative to the current folder (``cwd``); code scanning
    and the GitHub annotations want them relative to the repository's root. Both are
    absolute, and given the same way (both as ``Path.cwd()`` gives them, say): the
    conversion is lexical and never reads the file system.
    """

    cwd: Path
    repository_root: Path

    def __post_init__(self) -> None:
        if not (self.cwd.is_absolute() and self.repository_root.is_absolute()):
            raise ValueError("PathBase needs absolute paths")

    def inside(self, path: str) -> str | None:
        """``path`` (relative to ``cwd``, or absolute) as a POSIX path relative to the root.

        ``None`` when the path is not inside the repository.
        """
        full = PurePath(os.path.normpath(self.cwd / path))
        root = PurePath(os.path.normpath(self.repository_root))
        try:
            inside = full.relative_to(root)
        except ValueError:
            return None
        return inside.as_posix() if inside.parts else None

    def relative(self, path: str) -> str:
        """The path relative to the repository's root; one outside it is returned as given."""
        shown = self.inside(path)
        return path if shown is None else shown

    def root_uri(self) -> str:
        """The root as a ``file://`` URI ending in ``/`` (SARIF's ``originalUriBaseIds``)."""
        uri = Path(os.path.normpath(self.repository_root)).as_uri()
        return uri if uri.endswith("/") else uri + "/"


def _shown(path: str, base: PathBase | None) -> str:
    return path if base is None else base.relative(path)


def line_for(finding: Finding, base: PathBase | None = None) -> str:
    """``path:line:col: level: message (rule)``, the same words in every format, on one line.

    The path is shown escaped (:func:`~bafctl.escaping.display_path`), relative to the
    repository's root with ``base``, and the message folded onto the line, so no file
    name or register text can start a line of its own.
    """
    return log_safe(
        terminal(
            f"{display_path(_shown(finding.path, base))}:{finding.line}:{finding.col}: {finding.level.value}: "
            f"{one_line(finding.full_message)} ({finding.rule})"
        )
    )


def summary_line(findings: list[Finding], files: int) -> str:
    """``2 errors, 1 warning, 0 info in 7 files (1 silenced)``."""
    return plain(summary_spans(findings, files))


def summary_spans(findings: list[Finding], files: int) -> list[Span]:
    """The summary line as spans: a count of errors or warnings above 0 in its level's colour."""
    counts = count_levels(findings)
    silenced = sum(1 for f in findings if f.suppressed is not None)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 or word == "info" else "s")

    def count(level: Level, word: str) -> Span:
        n = counts[level]
        return (plural(n, word), LEVEL_STYLES[level.value] if n else "")

    spans = [
        count(Level.ERROR, "error"),
        (", ", ""),
        count(Level.WARNING, "warning"),
        (", ", ""),
        count(Level.INFO, "info"),
        (f" in {plural(files, 'file')}", ""),
    ]
    if silenced:
        spans.append((f" ({silenced} silenced)", QUIET))
    return spans


def line_spans(finding: Finding, base: PathBase | None = None) -> list[Span]:
    """:func:`line_for` as spans: the level in its colour, the rule dimmed."""
    return [
        (f"{display_path(_shown(finding.path, base))}:{finding.line}:{finding.col}: ", ""),
        (finding.level.value, LEVEL_STYLES[finding.level.value]),
        (f": {one_line(finding.full_message)} ", ""),
        (f"({finding.rule})", QUIET),
    ]


def render_text(findings: list[Finding], files: int, *, color_system: str | None = None) -> str:
    """One line per unsilenced finding, then the summary line.

    ``color_system``: a rich colour system to colour levels and counts with
    (:mod:`bafctl.render.colour`), or None for plain text.
    """
    if color_system is not None:
        lines: list[Line] = [line_spans(f) for f in findings if f.suppressed is None]
        lines.append(summary_spans(findings, files))
        return paint(lines, color_system) + "\n"
    plain_lines = [line_for(f) for f in findings if f.suppressed is None]
    plain_lines.append(summary_line(findings, files))
    return "\n".join(plain_lines) + "\n"


def render_json(findings: list[Finding], files: int) -> str:
    """A stable JSON document (README "check --format json")."""
    counts = count_levels(findings)
    return (
        dump_json(
            {
                "version": 1,
                "files": files,
                "summary": {
                    "errors": counts[Level.ERROR],
                    "warnings": counts[Level.WARNING],
                    "info": counts[Level.INFO],
                    "silenced": sum(1 for f in findings if f.suppressed is not None),
                },
                "findings": [{**f.to_dict(), "path": display_path(f.path)} for f in findings],
            }
        )
        + "\n"
    )


def render_parsable(findings: list[Finding], base: PathBase | None = None) -> str:
    """``path:line:col: [level] message (rule)``, one per unsilenced finding (yamllint's format).

    Editors' and CI's problem matchers read this unchanged; there is no summary line.
    With ``base``, paths are relative to the repository's root.
    """
    return "".join(
        log_safe(
            terminal(
                f"{display_path(_shown(f.path, base))}:{f.line}:{f.col}: [{f.level.value}] "
                f"{one_line(f.full_message)} ({f.rule})"
            )
        )
        + "\n"
        for f in findings
        if f.suppressed is None
    )


# ---------------------------------------------------------------------------
# GitHub Actions workflow commands
# ---------------------------------------------------------------------------

_GITHUB_COMMAND = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def github_data(text: str) -> str:
    """Escape a workflow command's message: ``%``, CR and LF (GitHub's toolkit rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """Escape a workflow command property: as for the message, plus ``:`` and ``,``."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: list[Finding], files: int, base: PathBase | None = None) -> str:
    """One ``::error file=...,line=...,col=...,title=...::message`` per unsilenced finding.

    GitHub shows each on its line in the pull request, if ``file`` is relative to the
    repository's root: give ``base`` when the run is not made from the root. The summary
    line follows as plain log text.
    """
    lines = []
    for f in findings:
        if f.suppressed is not None:
            continue
        props = ",".join(
            f"{name}={github_property(value)}"
            for name, value in (
                ("file", display_path(_shown(f.path, base))),
                ("line", str(f.line)),
                ("col", str(f.col)),
                ("title", f"bafctl {f.rule}"),
            )
        )
        lines.append(f"::{_GITHUB_COMMAND[f.level]} {props}::{github_data(terminal(f.full_message))}")
    lines.append(summary_line(findings, files))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# SARIF 2.1.0 (GitHub code scanning and other SARIF viewers)
# ---------------------------------------------------------------------------


def _uri(path: str) -> str:
    """The path as a relative URI: its bytes percent-encoded, so any file name is valid."""
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:  # a surrogate os.fsdecode never makes
        raw = path.encode("utf-8", "replace")
    return quote(raw, safe="/")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}

#: Where each rule's section is: ``helpUri`` is this and ``#`` the rule's anchor
#: (:func:`bafctl.docs_gen.rule_anchor`). The project has no published address yet, so
#: this is a reserved name (RFC 2606) like the JSON schemas' ``$id``: set it, or pass
#: ``rules_doc_uri``, once it has one.
RULES_DOC_URI = "https://bafctl.invalid/docs/rules.md"

#: The ``partialFingerprints`` key; bump its version whenever :func:`fingerprints` changes.
FINGERPRINT_KEY = "bafctl/v1"
#: The ``uriBaseId`` of repository-relative locations (the name GitHub's docs use).
SRCROOT = "SRCROOT"

# A word of a message that holds a number and no letter but the ``x`` of a score
# (``2026-01-31``, ``(29``, ``4x3=12``, ``line 12``): it changes with the day or a rescore.
# IDs (``A1``, ``WF-2``) and dotted keys (``causes.0.controls``) keep their digits.
_VOLATILE_WORD = re.compile(r"(?<!\S)[^\sA-Za-z]*\d(?:[^\sA-Za-z]|x)*(?!\S)")


_DIGITS = re.compile(r"\d+")
# The plural after a count: ``1 day`` and ``30 days`` are the same finding.
_COUNTED_PLURAL = re.compile(r"(?<=# )([A-Za-z]+?)s\b")


def stable_message(message: str) -> str:
    """The message with the digits of its dates, counts, scores and line numbers as ``#``."""
    text = _VOLATILE_WORD.sub(lambda word: _DIGITS.sub("#", word.group()), " ".join(message.split()))
    return _COUNTED_PLURAL.sub(r"\1", text)


def fingerprints(findings: Iterable[Finding], base: PathBase | None = None) -> list[str]:
    """One fingerprint per finding, in order: what code scanning follows across commits.

    The SHA-256 of the rule, the path (relative to the repository's root with ``base``),
    the risk ID, the message without its numbers (:func:`stable_message`) and how many
    findings before it in the list share all four. Lines and columns are left out, so
    a finding keeps its fingerprint when lines are added above it, and an overdue
    action keeps it as the days go by; findings alike in everything get 0, 1, 2... in
    file order. Without ``base`` the path is the one given (relative to the current
    folder), so run from the same folder each time.
    """
    seen: dict[str, int] = {}
    prints = []
    for f in findings:
        key = json.dumps([f.rule, _shown(f.path, base), f.risk_id or "", stable_message(f.message)])
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        data = json.dumps([key, occurrence]).encode("utf-8", "surrogatepass")
        prints.append(hashlib.sha256(data).hexdigest())
    return prints


def rule_name(rule_id: str) -> str:
    """The rule's SARIF ``name``: its ID in PascalCase, never the ID itself (``SchemaFinding``)."""
    name = "".join(part.capitalize() for part in rule_id.split("-"))
    return name + "Finding" if name.lower() == rule_id.lower() else name


def _descriptor(rule_id: str, info: RuleInfo | None, rules_doc_uri: str) -> dict[str, object]:
    info = info or RuleInfo(rule_id, f"bafctl check `{rule_id}`.", "", Level.ERROR)
    help_uri = f"{rules_doc_uri}#{quote(rule_id)}"
    # The texts are the project's own (docstrings, the loader's table): Markdown already.
    markdown = info.help_markdown or f"{info.summary}\n\nSee [`{rule_id}`]({help_uri})."
    return {
        "id": rule_id,
        "name": rule_name(rule_id),
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.full_description or info.summary},
        "help": {
            "text": info.help_text or info.help_markdown or f"{info.summary} See {help_uri}",
            "markdown": markdown,
        },
        "helpUri": help_uri,
        "defaultConfiguration": {"level": _SARIF_LEVEL[info.default_level]},
    }


def render_sarif(
    findings: list[Finding],
    rules: Mapping[str, RuleInfo],
    base: PathBase | None = None,
    *,
    rules_doc_uri: str = RULES_DOC_URI,
) -> str:
    """A SARIF 2.1.0 log with one run: the rules used, and every finding as a result.

    Every rule has the descriptions, help and ``helpUri`` GitHub code scanning shows, and
    every result a ``partialFingerprints`` entry (:func:`fingerprints`).

    Args:
        findings: Every finding, silenced ones included (they carry a suppression).
        rules: Descriptions of the rules, by ID (:func:`rule_infos`); a rule a finding
            names that is missing gets a placeholder.
        base: Where the run was made from. With it, locations inside the repository are
            relative to ``SRCROOT``, the repository's root (``originalUriBaseIds``);
            without it, relative to the current folder.
        rules_doc_uri: The absolute address of docs/rules.md, for ``helpUri``.
    """
    used = sorted({f.rule for f in findings} | set(rules))
    index = {rule_id: i for i, rule_id in enumerate(used)}
    descriptors = [_descriptor(rule_id, rules.get(rule_id), rules_doc_uri) for rule_id in used]
    results = []
    for f, print_ in zip(findings, fingerprints(findings, base), strict=True):
        inside = base.inside(f.path) if base is not None else None
        artifact = {"uri": _uri(f.path)} if inside is None else {"uri": _uri(inside), "uriBaseId": SRCROOT}
        result: dict[str, object] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.level],
            "message": {"text": terminal(f.full_message)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {"startLine": f.line, "startColumn": f.col},
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: print_},
        }
        if f.risk_id is not None:
            result["properties"] = {"riskId": f.risk_id}
        if f.suppressed is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": terminal(f.suppressed)}]
        results.append(result)
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "bafctl",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": rules_doc_uri,
                "rules": descriptors,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if base is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": base.root_uri()}}
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return dump_json(log) + "\n"


# ---------------------------------------------------------------------------
# JUnit XML (GitLab, Azure DevOps, Jenkins)
# ---------------------------------------------------------------------------

# Characters XML 1.0 cannot hold at all, even escaped.
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    # The XML may be printed in a CI log: no `##[command]` either.
    return _XML_INVALID.sub("\ufffd", log_safe(terminal(text)))


def render_junit(
    findings: list[Finding],
    paths: Iterable[str],
    failing: Collection[Level] = (Level.ERROR,),
    base: PathBase | None = None,
) -> str:
    """JUnit XML: a test suite per file, a test case per finding, or one passing case per clean file.

    Args:
        findings: Every finding, silenced ones included (they become skipped cases).
        paths: Every file checked, so clean files show as passing suites.
        failing: Levels reported as ``<failure>`` (those that fail the run, per
            ``--fail-on``); findings at other levels pass, with their message as output.
        base: Where the run was made from: with it, file names are relative to the
            repository's root.
    """
    import xml.etree.ElementTree as ET  # only for this format: most of its import time

    by_path: dict[str, list[Finding]] = {path: [] for path in sorted(paths)}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    root = ET.Element("testsuites", name="bafctl check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for path, items in sorted(by_path.items()):
        shown = display_path(_shown(path, base))
        suite = ET.SubElement(root, "testsuite", name=_xml_text(shown))
        classname = _xml_text(shown.rsplit(".", 1)[0].replace("/", "."))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        if not items:
            ET.SubElement(suite, "testcase", classname=classname, name="bafctl check", file=_xml_text(shown))
            counts["tests"] += 1
        for f in items:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=classname,
                name=_xml_text(f"{f.rule} at {f.line}:{f.col}"),
                file=_xml_text(shown),
                line=str(f.line),
            )
            counts["tests"] += 1
            if f.suppressed is not None:
                ET.SubElement(case, "skipped", message=_xml_text(one_line(f"silenced: {f.suppressed}")))
                counts["skipped"] += 1
            elif f.level in failing:
                message = _xml_text(one_line(f.full_message))
                failure = ET.SubElement(case, "failure", message=message, type=f.level.value)
                failure.text = _xml_text(line_for(f, base))
                counts["failures"] += 1
            else:
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text(line_for(f, base))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------
# GitHub job summary (Markdown)
# ---------------------------------------------------------------------------

#: Rows of the job summary table: GitHub refuses a step summary over 1 MiB.
STEP_SUMMARY_ROWS = 1000


def render_github_step_summary(
    findings: list[Finding],
    files: int,
    base: PathBase | None = None,
    max_rows: int = STEP_SUMMARY_ROWS,
) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the summary line, then a table of the findings.

    One row per unsilenced finding (level, ``path:line:col``, rule, message), at most
    ``max_rows`` of them and a note of the rest. Every cell is escaped and on one line
    (:func:`~bafctl.escaping.markdown_cell`): register text cannot add a column or a row,
    nor be read as Markdown or HTML.

    Args:
        findings: Every finding; silenced ones are counted in the summary line only.
        files: How many files were checked.
        base: Where the run was made from: with it, paths are relative to the root.
        max_rows: The most rows to write.
    """
    lines = ["## bafctl check", "", markdown_text(summary_line(findings, files))]
    shown = [f for f in findings if f.suppressed is None]
    if shown:
        lines += ["", "| Level | Location | Rule | Message |", "| --- | --- | --- | --- |"]
        for f in shown[:max_rows]:
            cells = [
                f.level.value,
                f"{display_path(_shown(f.path, base))}:{f.line}:{f.col}",
                f.rule,
                f.full_message,
            ]
            lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
        if len(shown) > max_rows:
            lines += ["", markdown_text(f"... and {len(shown) - max_rows} more (see the log).")]
    return log_safe("\n".join(lines)) + "\n"
