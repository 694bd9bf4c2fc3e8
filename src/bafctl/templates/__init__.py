"""The files `bafctl init` writes: a register repository a trust can start from.

Kept as Python strings (not package data) so they install with the code, wheel or
editable, with no packaging configuration. :func:`repository_files` is pure: the
command decides what to write.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from bafctl import __version__
from bafctl.dates import months_before
from bafctl.escaping import markdown_text

#: Where the JSON Schemas go, relative to the repository root.
SCHEMA_DIR = "schemas"

#: Stands for the bafctl repository's address while the package names none
#: (``[project.urls]`` in pyproject.toml): the trust must edit it, so it is not a real one.
REPOSITORY_PLACEHOLDER = "https://github.com/<org>/bafctl"

#: Which schema checks which files, for the editor (`.vscode/settings.json`): the same files
#: the ``$schema`` modelines name, and the risk files a user adds without one.
SCHEMA_GLOBS = {
    "register": ("registers/*/register.yaml", "registers/*/register.yml"),
    "risk": ("registers/*/risks/*.yaml", "registers/*/risks/*.yml"),
}


@dataclass(frozen=True)
class InitOptions:
    """What `bafctl init` was asked for."""

    register_id: str
    name: str
    organisation: str
    today: dt.date

    @property
    def folder(self) -> str:
        """The register's folder: ``registers/<id in lower case>``."""
        return f"registers/{self.register_id.lower()}"


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: safe for any name.
    return json.dumps(text, ensure_ascii=False)


def _add_months(day: dt.date, months: int) -> dt.date:
    return months_before(day, -months)


REGISTER_YAML = """\
# yaml-language-server: $schema=../../schemas/register.schema.json
#
# The register: who it belongs to, its strategic themes and the sections they are
# reported under, the committees and executive roles risks refer to, the scoring
# matrix and the board's risk appetite. Risk files live in risks/, one per risk.
# After every change run `bafctl check` (see README.md).
format_version: 1
register:
  id: {register_id}
  name: {name}
  organisation: {organisation}  # as printed on board papers
themes:
  - {{id: QUALITY, name: Quality and safety}}
  - {{id: PEOPLE, name: Our people}}
  - {{id: FINANCE, name: Finance and sustainability}}
sections:
  - {{number: 1, title: Quality and safety, themes: [QUALITY], committee: QSC}}
  - {{number: 2, title: Our people, themes: [PEOPLE], committee: PCC}}
  - {{number: 3, title: Finance and sustainability, themes: [FINANCE], committee: FPC}}
committees:
  - {{id: QSC, name: Quality and Safety Committee}}
  - {{id: PCC, name: People and Culture Committee}}
  - {{id: FPC, name: Finance and Performance Committee}}
  - {{id: ARC, name: Audit and Risk Committee}}
roles:
  - {{id: CEO, title: Chief Executive}}
  - {{id: CN, title: Chief Nurse}}
  - {{id: MD, title: Medical Director}}
  - {{id: CFO, title: Chief Finance Officer}}
  - {{id: CPO, title: Chief People Officer}}
# The NHS 5x5 risk matrix (NPSA 2008): score = consequence x likelihood, graded
# Low 1-3, Moderate 4-6, High 8-12, Extreme 15-25.
matrix:
  consequence: [Negligible, Minor, Moderate, Major, Catastrophic]
  likelihood: [Rare, Unlikely, Possible, Likely, Almost certain]
  bands:
    - {{name: Low, min: 1, max: 3, colour: "#2e7d32"}}
    - {{name: Moderate, min: 4, max: 6, colour: "#f9a825"}}
    - {{name: High, min: 8, max: 12, colour: "#ef6c00"}}
    - {{name: Extreme, min: 15, max: 25, colour: "#c62828"}}
# Risk appetite levels (Good Governance Institute matrix), each with its upper limit
# of tolerance: the highest score the board accepts for a risk at that level.
#
# THE TOLERANCES BELOW ARE PROPOSALS, NOT DECISIONS. There is no national mapping
# from appetite to score: these follow the band edges above. The board must confirm
# or change them, and minute its decision, before this BAF is used.
appetite_levels:
  - id: avoid
    name: Avoid
    tolerance: 3  # proposed: top of Low; the board must confirm
    description: Avoidance of risk and uncertainty is a key organisational objective.
  - id: minimal
    name: Minimal
    tolerance: 6  # proposed: top of Moderate; the board must confirm
    description: Preference for ultra-safe delivery options with a low degree of inherent risk.
  - id: cautious
    name: Cautious
    tolerance: 12  # proposed: top of High; the board must confirm
    description: Preference for safe delivery options with a low degree of inherent risk.
  - id: open
    name: Open
    tolerance: 16  # proposed; the board must confirm
    description: Willing to consider all options and choose the one most likely to deliver, with value for money.
  - id: seek
    name: Seek
    tolerance: 20  # proposed; the board must confirm
    description: Eager to be innovative and to choose options offering higher rewards despite greater inherent risk.
  - id: mature
    name: Mature
    tolerance: 25  # proposed; the board must confirm
    description: Confident in setting high levels of risk appetite because controls and responsiveness are robust.
"""

RISK_YAML = """\
# yaml-language-server: $schema=../../../schemas/risk.schema.json
#
# An example risk to start from: edit it into one of your own, or delete it.
# Scores are consequence x likelihood, each 1-5; bafctl works out the score and band.
id: {risk_id}
title: >-
  If we cannot recruit and retain enough registered nurses, then safe staffing levels
  will not be met, resulting in harm to patients and longer waits
status: draft
strategic_link: PEOPLE
oversight: [PCC]
executive_lead: CPO
date_included: {today}
last_updated: {today}  # set to the date of each review
assessments:
  initial: {{consequence: 4, likelihood: 4}}  # before any controls: 16, Extreme
  current: {{consequence: 4, likelihood: 3}}  # now, with the controls below: 12, High
  target: {{consequence: 4, likelihood: 2, date: {target_date}}}  # where the actions bring it
appetite:
  level: cautious  # tolerance 12: the current score is at the limit
causes:
  - description: National shortage of registered nurses, and high turnover in the first year
    controls:
      - Workforce plan approved by the board
      - Safe staffing policy with daily staffing huddles
    control_gaps:
      - text: No retention programme for newly qualified nurses
        actions: [{risk_id}.A1]
    assurances:
      - line: 1
        source: Daily staffing dashboard
      - line: 2
        source: People and Culture Committee workforce report
        rating: partially_assured
      - line: 3
        source: Internal audit of e-rostering
        opinion: reasonable
        date: {today}
    actions:
      - id: {risk_id}.A1
        action: Launch a preceptorship and retention programme for newly qualified nurses
        owner: CN
        due: {action_due}
        status: open
effects:
  - description: Reliance on agency staff, and unsafe staffing on some shifts
    controls:
      - Agency spending cap with escalation to the Chief Nurse
    assurances:
      - line: 2
        source: Quality and Safety Committee safe staffing report
    assurance_gaps:
      - text: No independent review of agency use since the cap was introduced
        actions: [{risk_id}.A2]
    actions:
      - id: {risk_id}.A2
        action: Add agency use to the internal audit plan
        owner: CFO
        due: {audit_due}
        status: open
"""

PRE_COMMIT_CONFIG = """\
# pre-commit runs `bafctl check` on every commit that changes a register.
# Set it up once per clone: `pip install pre-commit && pre-commit install`.
# The hook runs the bafctl installed in your environment: install bafctl {version}, the
# version in BAFCTL_SOURCE in .github/workflows/bafctl.yml (README.md, "Installing bafctl").
# Or let pre-commit install bafctl itself: replace `repo: local` and its hook below with
# the hook the bafctl repository publishes, at the tag of the release that created this
# repository (`rev:` must name a tag that exists there):
#   - repo: {repository}
#     rev: v{version}
#     hooks:
#       - id: bafctl-check
repos:
  - repo: local
    hooks:
      - id: bafctl-check
        name: bafctl check
        entry: bafctl check
        language: system
        files: \\.ya?ml$
        pass_filenames: true
        require_serial: true
"""

GITHUB_WORKFLOW = """\
# Checks every pull request: each finding appears on its line in the pull request,
# the directors' summary is published on the run's summary page, and the run fails
# when a file is invalid or a risk is out of appetite.
name: bafctl

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

env:
{install_comment}
  BAFCTL_SOURCE: {source}

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install bafctl
        run: |
          case "$BAFCTL_SOURCE" in *"<"*)
            echo "::error file=.github/workflows/bafctl.yml::set BAFCTL_SOURCE at the top of this file" >&2
            exit 1 ;;
          esac
          python -m pip install "$BAFCTL_SOURCE"
      - name: Check the registers
        run: bafctl check  # GITHUB_ACTIONS is set, so findings become annotations
      - name: Directors' summary
        if: always()
        run: bafctl summary --format markdown >> "$GITHUB_STEP_SUMMARY"
      - name: Fail on risks out of appetite
        run: bafctl breaches
"""

BAFCTL_TOML = """\
# Settings for `bafctl check` in this repository (rules: docs/rules.md in bafctl).
# Rule levels: "error" (fails the check), "warning", "info" or "off".

# Which findings fail `bafctl check`, the pre-commit hook and CI: "error", "warning" or "never".
fail_on = "error"

# Judge dates (overdue actions, stale reviews) as of a fixed day, e.g. a board meeting,
# instead of today. `bafctl check --as-of YYYY-MM-DD` overrides it.
# as_of = 2026-01-29

[rules]
# Review periods in months: 3 for most risks, 1 for risks scoring 15 or more or in breach.
stale-review = {{ months = 3, high_risk_months = 1, high_risk_score = 15 }}
# A risk in breach with no live plan is a warning by default; a board may make it an error:
# breach-without-plan = "error"
"""

README_MD = """\
# {name}

The Board Assurance Framework of {organisation}, kept as text files in git and checked
by bafctl. Every change is reviewed before it reaches the board, and the history shows
who changed what, when and why.

## What is where

| Path | What it holds |
| --- | --- |
| `{folder}/register.yaml` | Themes, sections, committees, executive roles, the 5x5 matrix, risk appetite. |
| `{folder}/risks/` | One file per strategic risk: scores, controls, gaps, assurance and actions. |
| `bafctl.toml` | Which quality rules apply and how strictly. |
| `schemas/` | Lets your editor check and complete the files as you type. |
| `.pre-commit-config.yaml` | Runs `bafctl check` before every commit. |
| `.github/workflows/bafctl.yml` | Runs the checks on every pull request. |
| `.vscode/` | Tells Visual Studio Code which schema checks which file, and recommends its YAML extension. |

Before first use, the board must confirm the appetite tolerances in `register.yaml`:
they are proposals until it does.

## Installing bafctl

This repository was created with bafctl {version}. Install that version, so that your
`bafctl check` agrees with CI's. bafctl is not on the Python Package Index yet: install
it from the release tag of its repository{install_edit}

```sh
pip install "git+{repository}@v{version}"
```

or download `bafctl-{version}-py3-none-any.whl` from the repository's `v{version}` release
and run `pip install bafctl-{version}-py3-none-any.whl`. Once bafctl is on the index,
`pip install "bafctl=={version}"` works as well.

CI installs what `BAFCTL_SOURCE`, at the top of `.github/workflows/bafctl.yml`, names:
a git tag, a wheel's address or `bafctl=={version}`. When you upgrade bafctl, change it there
in the same pull request, and the `rev:` in `.pre-commit-config.yaml` if you use the
published hook.

## The daily loop

1. **Update your copy**: `git switch main && git pull`, then start a branch for the
   change, e.g. `git switch -c update-{risk_id_lower}-january`.
2. **Edit** the risk file in your editor. Set `last_updated` to the date of the
   review, move actions that are done to `status: complete` with `completed:`, and
   change consequence and likelihood when the executive lead agrees a new score.
3. **Check**: `bafctl check`. Every problem is printed with its file and line, e.g.
   `{folder}/risks/{risk_id}.yaml:14:3: warning: ...`. Errors must be fixed;
   warnings are what an auditor would ask about.
4. **Commit**: `git add -A && git commit -m "{risk_id}: January review"`. The
   pre-commit hook runs `bafctl check` again and stops the commit on an error.
5. **Open a pull request** (`git push -u origin HEAD`, then open it on the website)
   for the executive lead or the company secretary to review. The checks run again,
   findings appear on their lines, and the directors' summary is on the run's page.
6. When the pull request is approved and merged, the register on `main` is the one
   the board papers are produced from.

## Useful commands

- `bafctl check` checks everything; `bafctl check --as-of 2026-01-29` judges dates as of
  a board meeting.
- `bafctl summary` prints the directors' summary; `bafctl breaches` lists risks out of
  appetite.
- `bafctl schema risk > schemas/risk.schema.json` refreshes the editor schema after
  upgrading bafctl.

## Accepting a finding

If the board accepts a finding for now, record why in the risk file; it stays counted
in the summary line:

```yaml
silenced:
  - rule: overdue-action
    reason: New date agreed by the People and Culture Committee; awaiting board
    until: 2026-03-31
```
"""


def source_repository() -> str | None:
    """The bafctl repository's address from the installed package's ``Project-URL``s, if any.

    Looks for a ``Source``, ``Repository`` or ``Homepage`` URL (``[project.urls]`` in
    pyproject.toml); None when bafctl names none or is not installed as a package.
    """
    from importlib import metadata

    try:
        entries = metadata.metadata("bafctl").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    urls = {}
    for entry in entries:
        label, _, url = str(entry).partition(",")
        urls[label.strip().lower()] = url.strip().rstrip("/")
    for label in ("source", "repository", "homepage"):
        if urls.get(label, "").startswith("https://"):
            return urls[label]
    return None


def _install_comment(repository: str | None, version: str) -> str:
    base = repository or REPOSITORY_PLACEHOLDER
    lines = [f"Where CI installs bafctl from: {version}, the version that created this repository."]
    if repository is None:
        lines += [
            "EDIT THE LINE BELOW FIRST: replace <org> with the owner of the bafctl repository",
            "your team installs from (bafctl is not on the Python Package Index yet).",
        ]
    lines += [
        "It can also name a wheel attached to that repository's release,",
        f"  {base}/releases/download/v{version}/bafctl-{version}-py3-none-any.whl",
        f"or, once bafctl is on the Python Package Index: bafctl=={version}",
    ]
    return "\n".join(f"  # {line}" for line in lines)


def github_workflow(repository: str | None, version: str = __version__) -> str:
    """The CI workflow: installs bafctl ``version`` from the repository's tag (or a placeholder)."""
    return GITHUB_WORKFLOW.format(
        install_comment=_install_comment(repository, version),
        source=_quoted(f"git+{repository or REPOSITORY_PLACEHOLDER}@v{version}"),
    )


def pre_commit_config(repository: str | None, version: str = __version__) -> str:
    """The pre-commit configuration: the local hook, and the published one at ``v{version}``."""
    return PRE_COMMIT_CONFIG.format(repository=repository or REPOSITORY_PLACEHOLDER, version=version)


def vscode_settings() -> str:
    """``.vscode/settings.json``: the YAML extension's schema for each kind of file."""
    schemas = {f"./{SCHEMA_DIR}/{kind}.schema.json": list(globs) for kind, globs in SCHEMA_GLOBS.items()}
    return json.dumps({"yaml.schemas": schemas}, indent=2) + "\n"


_README_EDIT_ORG = "\n(replace `<org>` with the owner of the bafctl repository your team uses):"

VSCODE_EXTENSIONS = json.dumps({"recommendations": ["redhat.vscode-yaml"]}, indent=2) + "\n"


def repository_files(options: InitOptions, schemas: dict[str, str], repository: str | None = None) -> dict[str, str]:
    """Every file of a new register repository, by POSIX path relative to its root.

    Args:
        options: The register's ID, name and organisation, and the date to start from
            (the example risk is reviewed today and its actions fall due in the future).
        schemas: The JSON Schema texts by kind (``risk``, ``register``).
        repository: The bafctl repository's address (:func:`source_repository`); None
            writes :data:`REPOSITORY_PLACEHOLDER`, which the trust must edit.
    """
    risk_id = f"{options.register_id}01"
    day = options.today
    folder = options.folder
    return {
        f"{folder}/register.yaml": REGISTER_YAML.format(
            register_id=options.register_id, name=_quoted(options.name), organisation=_quoted(options.organisation)
        ),
        f"{folder}/risks/{risk_id}.yaml": RISK_YAML.format(
            risk_id=risk_id,
            today=day.isoformat(),
            target_date=_add_months(day, 12).isoformat(),
            action_due=_add_months(day, 6).isoformat(),
            audit_due=_add_months(day, 9).isoformat(),
        ),
        f"{SCHEMA_DIR}/register.schema.json": schemas["register"],
        f"{SCHEMA_DIR}/risk.schema.json": schemas["risk"],
        ".pre-commit-config.yaml": pre_commit_config(repository),
        ".github/workflows/bafctl.yml": github_workflow(repository),
        ".vscode/settings.json": vscode_settings(),
        ".vscode/extensions.json": VSCODE_EXTENSIONS,
        "bafctl.toml": BAFCTL_TOML.format(),
        "README.md": README_MD.format(
            name=markdown_text(options.name),
            organisation=markdown_text(options.organisation),
            folder=folder,
            risk_id=risk_id,
            risk_id_lower=risk_id.lower(),
            version=__version__,
            repository=repository or REPOSITORY_PLACEHOLDER,
            install_edit=":" if repository else _README_EDIT_ORG,
        ),
    }
