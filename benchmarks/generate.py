"""Generate realistic registers and a long git history for the bafctl benchmark.

Everything is deterministic (a seeded :class:`random.Random`), so two runs produce
byte-identical files and the cache figures are comparable between machines.

Two shapes of risk entry are produced:

* ``baf``: a Board Assurance Framework entry shaped like a page of a trust's BAF paper
  (the Group BAF of January 2026, in ``registers/group-baf``): an "If ... then ..." title, three
  assessments, appetite, two to four causes and one or two effects, each with controls,
  control gaps (some linked to actions), sources of assurance on the three lines, assurance
  gaps, actions with owners and due dates, and progress notes. About 7 KB of YAML.
* ``ops``: an operational risk-register entry: one cause, a few controls, one assurance,
  one or two actions. About 1.5 KB.

Every file passes ``bafctl check`` with exit 0 (warnings such as an appetite breach are
expected: about one risk in eight is above tolerance, as on a real BAF).

The module is used by ``benchmarks/run.py`` and by ``tests/test_benchmark_generator.py``;
it imports only the standard library.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: The date the generated registers are "as of"; run bafctl with BAFCTL_TODAY set to it.
AS_OF = dt.date(2026, 1, 31)
KINDS = ("baf", "ops")

# ---------------------------------------------------------------------------
# The register settings (register.yaml), modelled on the Group BAF's THRIVE sections
# ---------------------------------------------------------------------------

THEMES = [
    ("T", "Technology", "FPC"),
    ("H", "Healthy communities", "FPC"),
    ("R", "Responsive", "QSC"),
    ("I", "Including everyone", "PCC"),
    ("V", "Valuing everyone", "PCC"),
    ("E", "Efficient and effective", "FPC"),
]
COMMITTEES = [
    ("FPC", "Finance and Performance Committee"),
    ("QSC", "Quality and Safety Committee"),
    ("PCC", "People and Culture Committee"),
    ("AUC", "Audit and Assurance Committee"),
]
ROLES = [
    ("CEO", "Chief Executive"),
    ("CFO", "Chief Finance Officer"),
    ("CIO", "Chief Information Officer"),
    ("CNO", "Chief Nurse"),
    ("CMO", "Chief Medical Officer"),
    ("CPO", "Chief People Officer"),
    ("COO", "Chief Operating Officer"),
    ("DSP", "Director of Strategy and Partnerships"),
    ("DGR", "Director of Governance and Risk"),
    ("DEF", "Director of Estates and Facilities"),
]
# Appetite levels with their upper limits of tolerance (docs/domain.md section 2).
APPETITE = [("averse", "Averse", 6), ("cautious", "Cautious", 9), ("open", "Open", 16), ("seek", "Seek", 20)]

# ---------------------------------------------------------------------------
# Vocabulary: phrases in the register of a real BAF paper
# ---------------------------------------------------------------------------

SUBJECTS = [
    "digital transformation",
    "partnerships and collaboratives",
    "research, innovation and professional learning capability",
    "culture and staff experience",
    "sustainability and the green plan",
    "workforce resourcing strategies",
    "financial sustainability",
    "estates and infrastructure",
    "cyber security",
    "patient flow and waiting times",
    "quality governance",
    "safeguarding arrangements",
    "data quality and reporting",
    "medicines management",
    "community mental health transformation",
]
CONSEQUENCES = [
    "we will not be digitally mature and our ability to deliver safe care will be affected",
    "we will not reduce health inequalities or deliver improved outcomes for our populations",
    "our ability to attract the best people and lead service delivery will decline over time",
    "we will not maintain an inclusive culture, resulting in unwanted behaviours and closed cultures",
    "we will rely on temporary staffing with elevated bank and agency expenditure",
    "we will not meet our statutory financial duties and the value programme will not deliver",
    "services will be disrupted and patients may come to harm",
    "we will not meet national access standards and people will wait longer for care",
]
CAUSES = [
    "Lack of capacity, resources and commitment to support all Trust digital needs",
    "Not working closely with our community and system partners",
    "Not engaging in improvement activity, research and innovation",
    "Not leading with compassion",
    "Adverse climate change and sustainability factors",
    "Not utilising workforce resourcing strategies",
    "Insufficient capital funding for backlog maintenance",
    "Legacy systems that are no longer supported by suppliers",
    "Demand for services exceeding commissioned capacity",
    "Vacancies in specialist clinical roles",
]
EFFECTS = [
    "Unable to support service transformation",
    "High agency and bank usage",
    "Poorer health outcomes for the population we serve",
    "Reputational damage and loss of stakeholder confidence",
    "Regulatory action and reduced CQC ratings",
    "Increased waiting times and harm from delayed care",
]
CONTROLS = [
    "LPT and NHFT digital plans",
    "National digital plan and ICB digital strategy",
    "Digital maturity assessment",
    "Digital prioritisation process",
    "Joint LPT/NHFT digital lead and ICB chief information officer",
    "WRES and WDES action plans",
    "Directorate plans linked to the workforce plan",
    "National and local People Plan",
    "Recruitment pipeline management",
    "Medical workforce plans",
    "Nursing recruitment and retention high impact actions",
    "Vacancy control measures",
    "Agency and bank reduction plans",
    "Safe staffing policy",
    "Workforce dashboard monitoring through the executive management board",
    "Dynamic risk assessment process",
    "Accountability framework",
    "Reasonable adjustments framework",
    "Inclusive recruitment programme",
    "Equality, diversity and inclusion policy",
    "Green plan and sustainability board",
    "Estates strategy and capital programme",
    "Business continuity plans tested annually",
    "Cyber security incident response plan",
    "Quality impact assessments of cost improvement schemes",
    "Integrated performance report to the board",
    "Group programme for research and innovation",
    "Services working in partnership with the voluntary and community sector",
    "Named executive leads attending place-based partnership boards",
]
CONTROL_GAPS = [
    "Capital funding for digital infrastructure and solutions",
    "Capacity and resources to deliver the plan",
    "Challenges in recruiting and retaining the digital workforce",
    "Availability and quality of data for reporting and analysis",
    "High vacancies with supply issues",
    "Medical recruitment challenges",
    "Industrial action affecting rotas",
    "No single view of partnership activity across the group",
    "Training compliance below target in community services",
    "Backlog maintenance exceeds the available capital allocation",
]
ASSURANCE_SOURCES = {
    1: [
        "Group digital transformation group and AAA report into the IM&T group",
        "Operational risk profile for staffing with oversight at the executive board",
        "Monthly safe staffing returns reviewed by the chief nurse",
        "Directorate performance reviews under the accountability framework",
        "Digital prioritisation process ensures the most impactful initiatives are resourced",
    ],
    2: [
        "Trust information management and technology groups and AAA reports",
        "Finance and performance committee and AAA report to the board",
        "Group people and culture committee deep dive",
        "System people and culture board",
        "Quality and safety committee review of the integrated performance report",
        "Joint working group generating new knowledge, oversight of the research programme",
    ],
    3: [
        "NHS England digital maturity assessment",
        "Internal audit of data security and protection toolkit",
        "Internal audit of e-rostering",
        "Internal audit of time to recruit",
        "CQC well-led inspection",
        "External review of governance arrangements",
        "Benchmarking against national workforce metrics",
    ],
}
OPINIONS = ["substantial", "significant", "reasonable", "moderate", "limited", "advisory", "high"]
ASSURANCE_GAPS = [
    "Actions resulting from the latest staff survey findings when available",
    "Delivery of the workforce and agency reduction plan",
    "Delivery of the workforce efficiency value programme",
    "Clinical focus and engagement in digital decision making",
    "Outcome measures for partnership working are not yet reported",
    "No independent review of the sustainability programme in the last year",
]
ACTION_VERBS = ["Complete", "Deliver", "Refresh", "Review", "Agree", "Implement", "Publish", "Evaluate"]
ACTION_OBJECTS = [
    "the group digital transformation plan",
    "a gap analysis of capacity to deliver the plan",
    "the governance review of digital decision making",
    "the workforce operational plan",
    "the bank and agency reduction trajectory",
    "the inclusive culture programme evaluation",
    "the green plan refresh with system partners",
    "the estates capital prioritisation",
    "the business continuity exercise programme",
    "the research strategy with the university partner",
]
PROGRESS = [
    "Digital plan updates included within the governance work plans of the committee and group board",
    "No off-framework agency usage reported this quarter",
    "Temporary staffing numbers reducing month on month",
    "Price cap breaches reducing across all directorates",
    "Group digital transformation plan approved by the strategic executive board in January",
    "Gap analysis scoped with the chief information officer; report due to committee",
    "Partnership outcomes framework drafted and shared with place leads",
    "Staff survey results received and action planning under way in every directorate",
]
FILLER = [
    "The position is reviewed monthly by the lead executive and reported to the committee.",
    "Progress is tracked on the group action log and escalated by exception.",
    "Both trusts report against the same measures so the committee can compare them.",
    "Further assurance is expected once the next internal audit cycle completes.",
    "The risk is discussed with system partners at the integrated care board.",
    "Mitigations are aligned with the value programme and the annual plan.",
]

# ---------------------------------------------------------------------------
# A small block-YAML writer for this shape (plain, quoted or folded scalars)
# ---------------------------------------------------------------------------

_PLAIN_SAFE = re.compile(r"[A-Za-z(](?:[^:#\n]*[^\s:])?")
_NOT_TEXT = re.compile(r"(?:[-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?|true|false|null|yes|no|on|off|~)", re.IGNORECASE)
FOLD_AT = 90


class Flow(dict[str, Any]):
    """A mapping written in flow style: ``{consequence: 4, likelihood: 3}``."""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | dt.date):
        return str(value) if isinstance(value, int) else value.isoformat()
    text = str(value)
    if _PLAIN_SAFE.fullmatch(text) and not _NOT_TEXT.fullmatch(text) and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _text(value: str, indent: int) -> list[str]:
    """A long text as a folded block scalar, a short one inline (returned as a suffix)."""
    if len(value) <= FOLD_AT or "\n" in value or "  " in value:
        return [" " + _scalar(value)]
    pad = " " * (indent + 2)
    return [" >-", *(pad + line for line in textwrap.wrap(value, width=80, break_on_hyphens=False))]


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, Flow):
                inner = ", ".join(f"{k}: {_scalar(v)}" for k, v in item.items())
                out.append(f"{pad}{key}: {{{inner}}}")
            elif isinstance(item, dict):
                out.append(f"{pad}{key}:")
                _emit(item, indent + 2, out)
            elif isinstance(item, list):
                if not item:
                    out.append(f"{pad}{key}: []")
                else:
                    out.append(f"{pad}{key}:")
                    _emit(item, indent + 2, out)
            elif isinstance(item, str):
                lines = _text(item, indent)
                out.append(f"{pad}{key}:{lines[0]}")
                out.extend(lines[1:])
            else:
                out.append(f"{pad}{key}: {_scalar(item)}")
        return
    assert isinstance(value, list)
    for item in value:
        if isinstance(item, dict) and not isinstance(item, Flow):
            sub: list[str] = []
            _emit(item, indent + 2, sub)
            out.append(f"{pad}- {sub[0][indent + 2 :]}")
            out.extend(sub[1:])
        elif isinstance(item, str):
            lines = _text(item, indent)
            out.append(f"{pad}-{lines[0]}")
            out.extend(lines[1:])
        else:
            out.append(f"{pad}- {_scalar(item)}")


def to_yaml(value: dict[str, Any], header: str | None = None) -> str:
    """Block YAML for a mapping of this module's shapes (no anchors, tags or tabs)."""
    out: list[str] = [f"# {header}"] if header else []
    _emit(value, 0, out)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Registers and risks as data
# ---------------------------------------------------------------------------


def register_settings(register_id: str, kind: str) -> dict[str, Any]:
    """The contents of register.yaml for a generated register."""
    name = "Group Board Assurance Framework" if kind == "baf" else "Operational Risk Register"
    return {
        "format_version": 1,
        "register": {
            "id": register_id,
            "name": f"{name} (benchmark)",
            "organisation": "Benchmark Partnership NHS Group",
            "description": "Generated by benchmarks/generate.py: realistic in shape and size, fictional in content.",
        },
        "themes": [{"id": t, "name": n} for t, n, _ in THEMES],
        "sections": [
            {"number": i, "title": f"{t} {n}", "themes": [t], "committee": c}
            for i, (t, n, c) in enumerate(THEMES, start=1)
        ],
        "committees": [{"id": c, "name": n} for c, n in COMMITTEES],
        "roles": [{"id": r, "title": t} for r, t in ROLES],
        "appetite_levels": [{"id": a, "name": n, "tolerance": tol} for a, n, tol in APPETITE],
        "external_registers": [{"id": "NHFT", "name": "Northamptonshire Healthcare BAF"}],
    }


def risk_id(index: int, kind: str) -> str:
    """The ID of the ``index``-th risk (1-based) of a register of this kind."""
    return f"{'BAF' if kind == 'baf' else 'OPS'}{index:05d}"


def _pick(rng: random.Random, items: Sequence[str], count: int) -> list[str]:
    return rng.sample(list(items), min(count, len(items)))


def _assessments(rng: random.Random, tolerance: int) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Initial >= current >= target, the target within tolerance; about one current in eight above it."""
    while True:
        consequence = rng.randint(2, 5)
        target = (consequence, rng.randint(1, 3))
        if target[0] * target[1] > tolerance:
            continue
        current_l = rng.randint(target[1], 5)
        if current_l * consequence > tolerance and rng.random() > 0.35:
            current_l = max(target[1], tolerance // consequence)
        initial_l = rng.randint(current_l, 5)
        return (consequence, initial_l), (consequence, current_l), target


def _assessment_block(initial: tuple[int, int], current: tuple[int, int], target: tuple[int, int]) -> dict[str, Any]:
    return {
        "initial": Flow(consequence=initial[0], likelihood=initial[1]),
        "current": Flow(consequence=current[0], likelihood=current[1], score=current[0] * current[1]),
        "target": Flow(consequence=target[0], likelihood=target[1], date=dt.date(AS_OF.year + 1, 3, 31)),
    }


def _sentence(rng: random.Random, base: str, extra: int) -> str:
    return " ".join([base + ".", *rng.sample(FILLER, extra)])


def _thread(rng: random.Random, rid: str, description: str, n: int, sizes: dict[str, int]) -> dict[str, Any]:
    actions = []
    for a in range(rng.randint(1, sizes["actions"])):
        # The first action is always open: a thread with gaps and no open action is a finding.
        status = rng.choice(["open", "in_progress"]) if a == 0 else rng.choice(["open", "in_progress", "complete"])
        owner = rng.choice(ROLES)[0]
        action: dict[str, Any] = {
            "id": f"{rid}-A{n}{a + 1}",
            "action": f"{rng.choice(ACTION_VERBS)} {rng.choice(ACTION_OBJECTS)}",
            "owner": owner,
        }
        if status == "complete":
            action["due"] = AS_OF - dt.timedelta(days=rng.randint(10, 200))
            action["status"] = status
            action["completed"] = action["due"] - dt.timedelta(days=rng.randint(0, 9))
        else:
            action["due"] = AS_OF + dt.timedelta(days=rng.randint(20, 400))
            action["status"] = status
        actions.append(action)
    gaps: list[Any] = _pick(rng, CONTROL_GAPS, rng.randint(1, sizes["gaps"]))
    if actions and gaps:
        gaps[0] = {"text": gaps[0], "actions": [actions[0]["id"]]}
    assurances = []
    for line in (1, 2, 3)[3 - sizes["lines"] :]:
        for source in _pick(rng, ASSURANCE_SOURCES[line], rng.randint(1, sizes["assurances"])):
            entry: dict[str, Any] = {"line": line, "source": source}
            if line == 3:
                entry["opinion"] = rng.choice(OPINIONS)
                entry["date"] = AS_OF - dt.timedelta(days=rng.randint(30, 500))
                entry["external"] = "NHS England" in source or "CQC" in source
            elif rng.random() < 0.5:
                # Gaps are recorded on every thread, so "assured" would be negative-assurance.
                entry["rating"] = "partially_assured"
            assurances.append(entry)
    thread: dict[str, Any] = {
        "description": description,
        "controls": _pick(rng, CONTROLS, rng.randint(sizes["controls"] // 2, sizes["controls"])),
        "control_gaps": gaps,
        "assurances": assurances,
        "assurance_gaps": _pick(rng, ASSURANCE_GAPS, rng.randint(1, sizes["gaps"] - 1 or 1)),
        "actions": actions,
        "progress": [
            _sentence(rng, p, rng.randint(0, sizes["filler"]))
            for p in _pick(rng, PROGRESS, rng.randint(1, sizes["progress"]))
        ],
    }
    return thread


_SIZES = {
    "baf": {
        "causes": 3,
        "effects": 2,
        "controls": 5,
        "gaps": 3,
        "assurances": 2,
        "lines": 3,
        "actions": 3,
        "progress": 2,
        "filler": 1,
    },
    "ops": {
        "causes": 1,
        "effects": 0,
        "controls": 3,
        "gaps": 1,
        "assurances": 1,
        "lines": 2,
        "actions": 2,
        "progress": 1,
        "filler": 0,
    },
}


def make_risk(index: int, kind: str, total: int, seed: int = 0) -> dict[str, Any]:
    """The ``index``-th risk (1-based) of a register of ``total`` risks, as YAML-ready data."""
    rng = random.Random(f"{seed}:{kind}:{index}")
    rid = risk_id(index, kind)
    sizes = _sizes_for(kind)
    theme, _, committee = rng.choice(THEMES)
    level, _, tolerance = rng.choice(APPETITE[1:]) if kind == "baf" else rng.choice(APPETITE)
    initial, current, target = _assessments(rng, tolerance)
    subject = rng.choice(SUBJECTS)
    title = f"If we do not continue to strive for {subject}, {rng.choice(CONSEQUENCES)}"
    risk: dict[str, Any] = {
        "id": rid,
        "title": title,
        "keyword": subject,
        "status": "approved" if rng.random() < 0.9 else "draft",
        "strategic_link": theme,
        "oversight": [committee] + (["AUC"] if rng.random() < 0.2 else []),
        "executive_lead": rng.choice(ROLES)[0],
        "date_included": AS_OF - dt.timedelta(days=rng.randint(60, 900)),
        # About one risk in twenty is overdue for review (stale-review), as on a real BAF.
        "last_updated": AS_OF - dt.timedelta(days=rng.randint(35, 60) if rng.random() < 0.05 else rng.randint(0, 25)),
        "assessments": _assessment_block(initial, current, target),
        "appetite": {"level": level},
    }
    if kind == "baf":
        risk["governance_route"] = [dict(COMMITTEES)[committee], "Group Strategic Executive Board", "Group Trust Board"]
        risk["context"] = _sentence(rng, f"Moving {subject} from where it is to where the strategy needs it", 2)
    risk["causes"] = [
        _thread(rng, rid, c, n, sizes)
        for n, c in enumerate(_pick(rng, CAUSES, rng.randint(max(1, sizes["causes"] - 1), sizes["causes"])), 1)
    ]
    if sizes["effects"]:
        risk["effects"] = [
            _thread(rng, rid, e, n, sizes)
            for n, e in enumerate(_pick(rng, EFFECTS, rng.randint(1, sizes["effects"])), len(risk["causes"]) + 1)
        ]
    related = sorted({rng.randint(1, total) for _ in range(rng.randint(0, 2))} - {index})
    refs = [risk_id(i, kind) for i in related]
    if kind == "baf" and rng.random() < 0.3:
        refs.append(f"NHFT:BAF{rng.randint(1, 9):02d}")
    if refs:
        risk["related_risks"] = refs
    risk["operational_risks"] = [str(rng.randint(1000, 9999)) for _ in range(rng.randint(0, 3))]
    return risk


def _sizes_for(kind: str) -> dict[str, int]:
    if kind not in _SIZES:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    return _SIZES[kind]


def render_risk(risk: dict[str, Any]) -> str:
    """The YAML text of one risk file."""
    return to_yaml(risk)


def movable(risk: dict[str, Any]) -> bool:
    """True when the current likelihood can move between target and initial."""
    return bool(risk["assessments"]["initial"]["likelihood"] > risk["assessments"]["target"]["likelihood"])


def rescored(risk: dict[str, Any], rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A copy of ``risk`` with a new current assessment (between target and initial) and date.

    The current likelihood changes whenever :func:`movable` says it can.
    """
    assessments = risk["assessments"]
    consequence = assessments["current"]["consequence"]
    low = assessments["target"]["likelihood"]
    high = assessments["initial"]["likelihood"]
    likelihood = rng.randint(low, high)
    if likelihood == assessments["current"]["likelihood"] and high > low:
        likelihood = low if likelihood == high else likelihood + 1
    new = dict(risk)
    new["assessments"] = {
        **assessments,
        "current": Flow(consequence=consequence, likelihood=likelihood, score=consequence * likelihood),
    }
    new["last_updated"] = day
    return new


# ---------------------------------------------------------------------------
# Writing registers and git histories
# ---------------------------------------------------------------------------


def register_files(count: int, kind: str, register_id: str | None = None, seed: int = 0) -> dict[str, str]:
    """Every file of a register of ``count`` risks: relative POSIX path -> YAML text."""
    return _texts({i: make_risk(i, kind, count, seed) for i in range(1, count + 1)}, kind, register_id)


def _texts(risks: dict[int, dict[str, Any]], kind: str, register_id: str | None = None) -> dict[str, str]:
    settings = register_settings(register_id or kind.upper(), kind)
    files = {"register.yaml": to_yaml(settings, "Generated by benchmarks/generate.py")}
    for index, risk in risks.items():
        files[f"risks/{risk_id(index, kind)}.yaml"] = render_risk(risk)
    return files


def write_register(folder: Path, count: int, kind: str, seed: int = 0) -> Path:
    """Write a register of ``count`` risks into ``folder`` (created; must be empty or absent)."""
    (folder / "risks").mkdir(parents=True, exist_ok=True)
    for rel, text in register_files(count, kind, seed=seed).items():
        (folder / rel).write_bytes(text.encode("utf-8"))
    return folder


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Risk Officer",
        "GIT_AUTHOR_EMAIL": "risk.officer@example.invalid",
        "GIT_COMMITTER_NAME": "Risk Officer",
        "GIT_COMMITTER_EMAIL": "risk.officer@example.invalid",
    }
    env = {k: v for k, v in env.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    done = subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _fast_import_stream(commits: Iterator[tuple[dt.datetime, str, dict[str, str]]]) -> Iterator[bytes]:
    """A ``git fast-import`` stream: each commit changes the given paths to the given text."""
    for number, (when, message, changes) in enumerate(commits, start=1):
        stamp = f"{int(when.timestamp())} +0000"
        msg = message.encode()
        yield f"commit refs/heads/main\nmark :{number}\n".encode()
        yield f"author Risk Officer <risk.officer@example.invalid> {stamp}\n".encode()
        yield f"committer Risk Officer <risk.officer@example.invalid> {stamp}\n".encode()
        yield b"data %d\n%s\n" % (len(msg), msg)
        if number > 1:
            yield f"from :{number - 1}\n".encode()
        for path, text in sorted(changes.items()):
            data = text.encode("utf-8")
            yield f"M 100644 inline {path}\n".encode()
            yield b"data %d\n%s\n" % (len(data), data)
        yield b"\n"


def _import(repo: Path, commits: Iterator[tuple[dt.datetime, str, dict[str, str]]]) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "fast-import", "--quiet", "--done", stdin=b"".join([*_fast_import_stream(commits), b"done\n"]))
    _git(repo, "checkout", "-q", "-f", "main")


def write_register_repo(repo: Path, count: int, kind: str, changed: int | None = None, seed: int = 0) -> Path:
    """A git repository holding a register in two revisions (``HEAD~1`` and ``HEAD``).

    The second revision rescores ``changed`` risks (default: 1 %, at least 3), adds one and
    removes one, which is what a month's BAF update looks like to ``bafctl diff``.
    """
    risks = {i: make_risk(i, kind, count, seed) for i in range(1, count + 1)}
    files = _texts(risks, kind)
    rng = random.Random(f"{seed}:{kind}:{count}:repo")
    changed = changed if changed is not None else max(3, count // 100)
    day = AS_OF - dt.timedelta(days=30)
    second: dict[str, str] = {}
    candidates = [i for i, risk in risks.items() if movable(risk)]
    for index in rng.sample(candidates, min(changed, len(candidates))):
        second[f"risks/{risk_id(index, kind)}.yaml"] = render_risk(rescored(risks[index], rng, AS_OF))
    new_index = count + 1
    second[f"risks/{risk_id(new_index, kind)}.yaml"] = render_risk(make_risk(new_index, kind, count, seed))

    def commits() -> Iterator[tuple[dt.datetime, str, dict[str, str]]]:
        yield dt.datetime.combine(day, dt.time(9), dt.UTC), f"BAF as of {day}", files
        yield dt.datetime.combine(AS_OF, dt.time(9), dt.UTC), f"BAF as of {AS_OF}", second

    _import(repo, commits())
    return repo


def write_history_repo(repo: Path, count: int = 200, commits: int = 1000, kind: str = "baf", seed: int = 0) -> Path:
    """A git repository with ``commits`` commits of a ``count``-risk register.

    The first commit adds the register; each later one rescores two to four risks and
    moves their ``last_updated``, as a risk team's weekly edits do.
    """
    risks = {index: make_risk(index, kind, count, seed) for index in range(1, count + 1)}
    files = _texts(risks, kind)
    rng = random.Random(f"{seed}:{kind}:{count}:history")
    candidates = [i for i, risk in risks.items() if movable(risk)]
    start = dt.datetime.combine(AS_OF, dt.time(9), dt.UTC) - dt.timedelta(hours=6 * commits)

    def stream() -> Iterator[tuple[dt.datetime, str, dict[str, str]]]:
        yield start, "Add the register", files
        for number in range(1, commits):
            when = start + dt.timedelta(hours=6 * number)
            changes: dict[str, str] = {}
            picked = sorted(rng.sample(candidates, min(len(candidates), rng.randint(2, 4))))
            for index in picked:
                risks[index] = rescored(risks[index], rng, min(when.date(), AS_OF))
                changes[f"risks/{risk_id(index, kind)}.yaml"] = render_risk(risks[index])
            yield when, "Rescore " + ", ".join(risk_id(i, kind) for i in picked), changes

    _import(repo, stream())
    return repo
