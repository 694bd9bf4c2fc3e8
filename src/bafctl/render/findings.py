"""Render findings for `bafctl check`: each format is a pure function to a string.

The same words in every format: only the frame changes. Silenced
findings are counted in every summary but printed only where the format can mark
them as silenced (JSON ``suppressed``, SARIF ``suppressions``, JUnit ``skipped``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from bafctl import __version__
from bafctl.escaping import display_path, log_safe, one_line, terminal
from bafctl.findings import Finding, Level, count_levels
from bafctl.jsonout import dump_json


@dataclass(frozen=True)
class RuleInfo:
    """What SARIF says about a rule: from the rule's docstring, or the loader's table."""

    id: str
    summary: str
    help_markdown: str
    default_level: Level


def line_for(finding: Finding) -> str:
    """``path:line:col: level: message (rule)``, the same words in every format, on one line.

    The path is shown escaped (:func:`~bafctl.escaping.display_path`) and the message
    folded onto the line, so no file name or register text can start a line of its own.
    """
    return log_safe(
        terminal(
            f"{display_path(finding.path)}:{finding.line}:{finding.col}: {finding.level.value}: "
            f"{one_line(finding.full_message)} ({finding.rule})"
        )
    )


def summary_line(findings: list[Finding], files: int) -> str:
    """``2 errors, 1 warning, 0 info in 7 files (1 silenced)``."""
    counts = count_levels(findings)
    silenced = sum(1 for f in findings if f.suppressed is not None)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 or word == "info" else "s")

    text = (
        f"{plural(counts[Level.ERROR], 'error')}, {plural(counts[Level.WARNING], 'warning')}, "
        f"{plural(counts[Level.INFO], 'info')} in {plural(files, 'file')}"
    )
    if silenced:
        text += f" ({silenced} silenced)"
    return text


def render_text(findings: list[Finding], files: int) -> str:
    """One line per unsilenced finding, then the summary line."""
    lines = [line_for(f) for f in findings if f.suppressed is None]
    lines.append(summary_line(findings, files))
    return "\n".join(lines) + "\n"


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


def render_parsable(findings: list[Finding]) -> str:
    """``path:line:col: [level] message (rule)``, one per unsilenced finding (yamllint's format).

    Editors' and CI's problem matchers read this unchanged; there is no summary line.
    """
    return "".join(
        log_safe(
            terminal(
                f"{display_path(f.path)}:{f.line}:{f.col}: [{f.level.value}] {one_line(f.full_message)} ({f.rule})"
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


def render_github(findings: list[Finding], files: int) -> str:
    """One ``::error file=...,line=...,col=...,title=...::message`` per unsilenced finding.

    GitHub shows each on its line in the pull request. The summary line follows as plain
    log text.
    """
    lines = []
    for f in findings:
        if f.suppressed is not None:
            continue
        props = ",".join(
            f"{name}={github_property(value)}"
            for name, value in (
                ("file", display_path(f.path)),
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


def render_sarif(findings: list[Finding], rules: Mapping[str, RuleInfo]) -> str:
    """A SARIF 2.1.0 log with one run: the rules used, and every finding as a result.

    Args:
        findings: Every finding, silenced ones included (they carry a suppression).
        rules: Descriptions of the rules, by ID; every rule a finding names must be here.
    """
    used = sorted({f.rule for f in findings} | set(rules))
    index = {rule_id: i for i, rule_id in enumerate(used)}
    descriptors = []
    for rule_id in used:
        info = rules.get(rule_id) or RuleInfo(rule_id, f"bafctl check `{rule_id}`.", "", Level.ERROR)
        descriptor: dict[str, object] = {
            "id": rule_id,
            "name": "".join(part.capitalize() for part in rule_id.split("-")),
            "shortDescription": {"text": info.summary},
            "defaultConfiguration": {"level": _SARIF_LEVEL[info.default_level]},
        }
        if info.help_markdown:
            descriptor["help"] = {"text": info.help_markdown, "markdown": info.help_markdown}
        descriptors.append(descriptor)
    results = []
    for f in findings:
        result: dict[str, object] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.level],
            "message": {"text": terminal(f.full_message)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": f.line, "startColumn": f.col},
                    }
                }
            ],
        }
        if f.risk_id is not None:
            result["properties"] = {"riskId": f.risk_id}
        if f.suppressed is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": terminal(f.suppressed)}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "bafctl", "version": __version__, "rules": descriptors}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
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
) -> str:
    """JUnit XML: a test suite per file, a test case per finding, or one passing case per clean file.

    Args:
        findings: Every finding, silenced ones included (they become skipped cases).
        paths: Every file checked, so clean files show as passing suites.
        failing: Levels reported as ``<failure>`` (those that fail the run, per
            ``--fail-on``); findings at other levels pass, with their message as output.
    """
    import xml.etree.ElementTree as ET  # only for this format: most of its import time

    by_path: dict[str, list[Finding]] = {path: [] for path in sorted(paths)}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    root = ET.Element("testsuites", name="bafctl check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for path, items in sorted(by_path.items()):
        shown = display_path(path)
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
                failure.text = _xml_text(line_for(f))
                counts["failures"] += 1
            else:
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text(line_for(f))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
