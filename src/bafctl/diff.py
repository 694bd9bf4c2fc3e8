"""Compare two loaded workspaces: what changed in the registers between two revisions.

Pure: two :class:`~bafctl.loader.Workspace` objects in, a :class:`WorkspaceDiff` out; no
files, no git, no clock (``today`` is passed in). Risks are matched by ID (case-
insensitively, as the loader does) wherever their files live, so a renamed file is the
same risk. The result is what a board paper's "changes since the last meeting" section
reports (the "Group BAF Changes" and "Action Closures" tables of the 003 paper): risks
added, closed, merged or removed; titles reworded; scores moved and tolerance crossed;
controls, gaps and assurances added or removed; actions added, completed, re-dated,
reassigned or now overdue; and changes to the register's matrix, bands and appetite table.

The value types of the result are in :mod:`bafctl.diff_types` and re-exported here; this
module is the comparison: of two texts word by word, of two risks, of two registers'
settings, and of two workspaces, plus the helpers ``bafctl diff`` needs around it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import PurePosixPath
from typing import Any

# The value types live in bafctl.diff_types; they are re-exported here, where the
# renderers, the report, history and the tests have always imported them from.
from bafctl.diff_types import ASSESSMENTS as ASSESSMENTS  # noqa: PLC0414
from bafctl.diff_types import ActionChange as ActionChange  # noqa: PLC0414
from bafctl.diff_types import Cxl as Cxl  # noqa: PLC0414
from bafctl.diff_types import FieldChange as FieldChange  # noqa: PLC0414
from bafctl.diff_types import ItemChange as ItemChange  # noqa: PLC0414
from bafctl.diff_types import NotCompared as NotCompared  # noqa: PLC0414
from bafctl.diff_types import RegisterChange as RegisterChange  # noqa: PLC0414
from bafctl.diff_types import RiskChange as RiskChange  # noqa: PLC0414
from bafctl.diff_types import RiskSnapshot as RiskSnapshot  # noqa: PLC0414
from bafctl.diff_types import ScoreChange as ScoreChange  # noqa: PLC0414
from bafctl.diff_types import WordSpan as WordSpan  # noqa: PLC0414
from bafctl.diff_types import WorkspaceDiff as WorkspaceDiff  # noqa: PLC0414
from bafctl.findings import Finding, Level
from bafctl.loader import REGISTER_FILE, LoadedRegister, LoadedRisk, Workspace
from bafctl.models import Action, Assurance, Gap, RegisterSettings, Risk, RiskStatus, natural_key
from bafctl.revision import CommitChanges, RevisionInfo
from bafctl.scoring import band_for, tolerance_for

# ---------------------------------------------------------------------------
# Word diff
# ---------------------------------------------------------------------------


def word_diff(old: str, new: str) -> tuple[WordSpan, ...]:
    """The words that changed between two texts, as runs of kept, removed and added words.

    Texts are compared word by word; spacing and line breaks are not changes, and runs
    are joined with single spaces. A single unchanged word between two changed runs is
    folded into them, so a reworded phrase reads as one removal and one addition
    (``[-research and innovation-]{+research, innovation and professional learning+}``)
    rather than a patchwork.
    """
    a, b = old.split(), new.split()
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    groups: list[tuple[str, list[str], list[str]]] = []  # ("=", words, []) or ("~", old, new)
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        between_changes = 0 < index < len(ops) - 1 and bool(groups) and groups[-1][0] == "~"
        if tag == "equal" and not (between_changes and i2 - i1 <= 1):
            groups.append(("=", a[i1:i2], []))
        elif groups and groups[-1][0] == "~":
            groups[-1][1].extend(a[i1:i2])
            groups[-1][2].extend(b[j1:j2])
        else:
            groups.append(("~", a[i1:i2], b[j1:j2]))
    spans: list[WordSpan] = []
    for kind, first, second in groups:
        if spans:
            spans.append(WordSpan("=", " "))
        if kind == "=":
            spans.append(WordSpan("=", " ".join(first)))
            continue
        if first:
            spans.append(WordSpan("-", " ".join(first)))
        if second:
            spans.append(WordSpan("+", " ".join(second)))
    return tuple(spans)


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------


def _snapshot(reg: LoadedRegister, lr: LoadedRisk) -> RiskSnapshot:
    risk, settings = lr.risk, reg.settings
    scores = {name: Cxl.of(getattr(risk.assessments, name)) for name in ASSESSMENTS}
    role = settings.role(risk.executive_lead)
    return RiskSnapshot(
        path=lr.path,
        register_id=reg.id,
        title=risk.title,
        keyword=risk.keyword,
        status=str(risk.status),
        lead=risk.executive_lead,
        lead_title=role.title if role else risk.executive_lead,
        scores=scores,
        bands={name: band_for(cxl.score, settings.matrix.bands).name for name, cxl in scores.items()},
        tolerance=tolerance_for(risk, settings),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


# Text fields get a word diff; one-line fields are compared as values.
_TEXT_FIELDS = ("title", "keyword", "context", "notes")
_VALUE_FIELDS = (
    "status",
    "merged_into",
    "strategic_link",
    "executive_lead",
    "oversight",
    "governance_route",
    "date_included",
    "last_updated",
    "related_risks",
    "operational_risks",
    "private",
    "private_fields",
)


def _field_changes(old: Risk, new: Risk, old_tol: int | None, new_tol: int | None) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for name in _TEXT_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            words = word_diff(a, b) if isinstance(a, str) and isinstance(b, str) else None
            changes.append(FieldChange(name, a, b, words))
    for name in _VALUE_FIELDS:
        a, b = _plain(getattr(old, name)), _plain(getattr(new, name))
        if a != b:
            changes.append(FieldChange(name, a, b))
    for name in ("level", "tolerance", "reason"):
        a, b = getattr(old.appetite, name), getattr(new.appetite, name)
        if a != b:
            words = word_diff(a, b) if name == "reason" and a and b else None
            changes.append(FieldChange(f"appetite.{name}", a, b, words))
    if old_tol != new_tol:
        # The effective upper limit of tolerance, whether it moved by the risk's own
        # override or by the register's appetite table (docs/domain.md 2.4).
        changes.append(FieldChange("tolerance", old_tol, new_tol))
    if old.assessments.target.date != new.assessments.target.date:
        changes.append(FieldChange("assessments.target.date", old.assessments.target.date, new.assessments.target.date))
    return changes


def _gap_text(gap: str | Gap) -> str:
    return gap if isinstance(gap, str) else gap.text


def _assurance_key(item: Assurance) -> tuple[int, str]:
    return item.line, item.source


_LINE_NAMES = {1: "1st line", 2: "2nd line", 3: "3rd line"}


def _assurance_detail(item: Assurance) -> str:
    parts = [_LINE_NAMES.get(item.line, f"line {item.line}")]
    if item.opinion is not None:
        parts.append(str(item.opinion.value).replace("_", " "))
    if item.date is not None:
        parts.append(item.date.isoformat())
    return ", ".join(parts)


def _multiset_changes(kind: str, old: Iterable[str], new: Iterable[str]) -> list[ItemChange]:
    before, after = Counter(old), Counter(new)
    removed = [ItemChange(kind, "removed", t) for t in before if before[t] > after[t]]
    added = [ItemChange(kind, "added", t) for t in after if after[t] > before[t]]
    return added + removed


def _item_changes(old: Risk, new: Risk) -> list[ItemChange]:
    changes: list[ItemChange] = []
    changes += _multiset_changes(
        "control", (c for t in old.threads for c in t.controls), (c for t in new.threads for c in t.controls)
    )
    changes += _multiset_changes(
        "control_gap",
        (_gap_text(g) for t in old.threads for g in t.control_gaps),
        (_gap_text(g) for t in new.threads for g in t.control_gaps),
    )
    old_assurance = {_assurance_key(a): a for t in old.threads for a in t.assurances}
    new_assurance = {_assurance_key(a): a for t in new.threads for a in t.assurances}
    for key, item in new_assurance.items():
        if key not in old_assurance or old_assurance[key] != item:
            changes.append(ItemChange("assurance", "added", item.source, _assurance_detail(item)))
    for key, item in old_assurance.items():
        if key not in new_assurance or new_assurance[key] != item:
            changes.append(ItemChange("assurance", "removed", item.source, _assurance_detail(item)))
    changes += _multiset_changes(
        "assurance_gap",
        (_gap_text(g) for t in old.threads for g in t.assurance_gaps),
        (_gap_text(g) for t in new.threads for g in t.assurance_gaps),
    )
    return changes


def _role_title(settings: RegisterSettings, role_id: str | None, fallback: str) -> str:
    if role_id is None:
        return fallback
    role = settings.role(role_id)
    return role.title if role else role_id


def _action_changes(
    old: Risk, new: Risk, *, new_settings: RegisterSettings, new_lead: str, today: dt.date, old_date: dt.date
) -> list[ActionChange]:
    before = {a.id: a for a in old.actions}
    after = {a.id: a for a in new.actions}
    changes: list[ActionChange] = []

    def make(a: Action, kind: str, **extra: Any) -> ActionChange:
        title = _role_title(new_settings, a.owner, new_lead)
        return ActionChange(a.id, kind, a.action, a.owner, title, a.due, a.completed, **extra)

    for action_id, a in after.items():
        b = before.get(action_id)
        if b is None:
            changes.append(make(a, "added"))
            if a.is_overdue(today):
                changes.append(make(a, "overdue"))
            continue
        if b.status.is_open and not a.status.is_open:
            changes.append(make(a, "completed", old=b.status.value, new=a.status.value))
        elif not b.status.is_open and a.status.is_open:
            changes.append(make(a, "reopened", old=b.status.value, new=a.status.value))
        if b.due != a.due:
            changes.append(make(a, "redated", old=b.due, new=a.due))
        if b.owner != a.owner:
            changes.append(make(a, "reassigned", old=b.owner, new=a.owner))
        if b.action != a.action:
            changes.append(make(a, "reworded", old=b.action, new=a.action, words=word_diff(b.action, a.action)))
        if a.is_overdue(today) and not b.is_overdue(old_date):
            changes.append(make(a, "overdue"))
    for action_id, b in before.items():
        if action_id not in after:
            changes.append(make(b, "removed"))
    return changes


def _score_changes(old: RiskSnapshot, new: RiskSnapshot) -> list[ScoreChange]:
    return [
        ScoreChange(
            name, old.scores[name], new.scores[name], old.bands[name], new.bands[name], old.tolerance, new.tolerance
        )
        for name in ASSESSMENTS
        if old.scores[name] != new.scores[name]
    ]


@dataclass(frozen=True)
class _Unloaded:
    """Risk files that were read but did not load, by the ID they carry and by path."""

    by_id: dict[str, str]
    paths: frozenset[str]

    def path_for(self, risk_id: str, path: str) -> str | None:
        if risk_id.casefold() in self.by_id:
            return self.by_id[risk_id.casefold()]
        return path if path in self.paths else None


def _unloaded(workspace: Workspace) -> _Unloaded:
    loaded = {lr.path for _, lr in workspace.risks()}
    by_id: dict[str, str] = {}
    paths: set[str] = set()
    for path in workspace.files:
        if path in loaded or PurePosixPath(path).name == REGISTER_FILE:
            continue
        paths.add(path)
        value = workspace.files[path].value  # parsed only for files that did not load
        raw = value.get("id") if isinstance(value, dict) else None
        if isinstance(raw, str):
            by_id[raw.casefold()] = path
    return _Unloaded(by_id, frozenset(paths))


def _register_changes(old: Workspace, new: Workspace) -> list[RegisterChange]:
    before = {r.id: r for r in old.registers}
    after = {r.id: r for r in new.registers}
    changes: list[RegisterChange] = []
    for reg_id, reg in after.items():
        if reg_id not in before:
            changes.append(RegisterChange(reg_id, "added"))
            continue
        fields = _settings_changes(before[reg_id].settings, reg.settings)
        if fields:
            changes.append(RegisterChange(reg_id, "changed", tuple(fields)))
    changes += [RegisterChange(reg_id, "removed") for reg_id in before if reg_id not in after]
    return changes


def _bands_text(settings: RegisterSettings) -> str:
    return ", ".join(f"{b.name} {b.min}-{b.max}" for b in settings.matrix.bands)


def _by_id(kind: str, old: Sequence[Any], new: Sequence[Any], key: str, attrs: Sequence[str]) -> list[FieldChange]:
    before = {getattr(x, key): x for x in old}
    after = {getattr(x, key): x for x in new}
    changes: list[FieldChange] = []
    for ident, item in after.items():
        if ident not in before:
            changes.append(FieldChange(f"{kind}.{ident}", None, _describe(item, attrs)))
            continue
        for attr in attrs:
            a, b = getattr(before[ident], attr), getattr(item, attr)
            if a != b:
                changes.append(FieldChange(f"{kind}.{ident}.{attr}", a, b))
    changes += [FieldChange(f"{kind}.{i}", _describe(x, attrs), None) for i, x in before.items() if i not in after]
    return changes


def _describe(item: Any, attrs: Sequence[str]) -> str:
    return ", ".join(f"{a} {getattr(item, a)}" for a in attrs if getattr(item, a) is not None)


def _settings_changes(old: RegisterSettings, new: RegisterSettings) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for name in ("name", "organisation"):
        a, b = getattr(old.info, name), getattr(new.info, name)
        if a != b:
            changes.append(FieldChange(f"register.{name}", a, b))
    if old.matrix.consequence != new.matrix.consequence:
        changes.append(FieldChange("matrix.consequence", old.matrix.consequence, new.matrix.consequence))
    if old.matrix.likelihood != new.matrix.likelihood:
        changes.append(FieldChange("matrix.likelihood", old.matrix.likelihood, new.matrix.likelihood))
    if _bands_text(old) != _bands_text(new):
        changes.append(FieldChange("matrix.bands", _bands_text(old), _bands_text(new)))
    changes += _by_id("appetite_levels", old.appetite_levels, new.appetite_levels, "id", ("name", "tolerance"))
    changes += _by_id("roles", old.roles, new.roles, "id", ("title",))
    changes += _by_id("committees", old.committees, new.committees, "id", ("name",))
    changes += _by_id("themes", old.themes, new.themes, "id", ("name",))
    changes += _by_id("sections", old.sections, new.sections, "number", ("title", "committee"))
    return changes


def diff_workspaces(
    old: Workspace, new: Workspace, *, today: dt.date, old_date: dt.date | None = None
) -> WorkspaceDiff:
    """Compare two workspaces risk by risk (matched by ID) and register by register.

    Args:
        old: The workspace at the earlier revision.
        new: The workspace at the later revision (or the working tree).
        today: The date "now overdue" is judged on.
        old_date: The date of the earlier revision: an open action already past its due
            date then is not reported as newly overdue. Defaults to ``today``, which
            reports only actions that became overdue through a change in the file.

    A risk whose file does not load on one side is listed in ``not_compared`` rather
    than reported as added or removed (the loader's findings say why).
    """
    since = old_date or today
    before = {lr.risk_id.casefold(): (reg, lr) for reg, lr in old.risks()}
    after = {lr.risk_id.casefold(): (reg, lr) for reg, lr in new.risks()}
    same_settings = _SameSettings()
    broken_before, broken_after = _unloaded(old), _unloaded(new)
    changes: list[RiskChange] = []
    unchanged: list[str] = []
    not_compared: list[NotCompared] = []

    for key, (reg, lr) in after.items():
        if key not in before:
            broken_path = broken_before.path_for(lr.risk.id, lr.path)
            if broken_path is not None:
                not_compared.append(NotCompared(lr.risk.id, "old", broken_path))
            else:
                changes.append(RiskChange(lr.risk.id, "added", None, _snapshot(reg, lr)))
            continue
        old_reg, old_lr = before[key]
        if same_settings(old_reg, reg) and _unchanged_file(old_lr, lr, today=today, since=since):
            unchanged.append(lr.risk_id)
            continue
        change = _compare_risk(before[key], (reg, lr), today=today, since=since)
        if change is None:
            unchanged.append(lr.risk.id)
        else:
            changes.append(change)
    for key, (reg, lr) in before.items():
        if key in after:
            continue
        broken_path = broken_after.path_for(lr.risk.id, lr.path)
        if broken_path is not None:
            not_compared.append(NotCompared(lr.risk.id, "new", broken_path))
        else:
            changes.append(RiskChange(lr.risk.id, "removed", _snapshot(reg, lr), None))

    changes.sort(key=lambda c: (c.latest.register_id, natural_key(c.risk_id)))
    return WorkspaceDiff(
        registers=tuple(_register_changes(old, new)),
        risks=tuple(changes),
        unchanged=tuple(sorted(unchanged, key=natural_key)),
        not_compared=tuple(sorted(not_compared, key=lambda n: natural_key(n.risk_id))),
        today=today,
    )


class _SameSettings:
    """Whether two registers' settings are equal, worked out once per pair of registers."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, int], bool] = {}

    def __call__(self, old: LoadedRegister, new: LoadedRegister) -> bool:
        pair = (id(old), id(new))
        if pair not in self._seen:
            self._seen[pair] = old.id == new.id and old.settings == new.settings
        return self._seen[pair]


def _unchanged_file(old: LoadedRisk, new: LoadedRisk, *, today: dt.date, since: dt.date) -> bool:
    """True when a risk cannot have changed: same bytes, same place, same register settings.

    Most risks are untouched between two board meetings: comparing their contents'
    digests spares unpickling and comparing their models (``diff`` of 5,000
    risks). An unchanged open action can still fall overdue between the two dates, so a
    file with an action due in that window is compared in full.
    """
    if old.content is None or old.content != new.content or old.path != new.path:
        return False
    return not any(since <= due < today for due in new.facts.open_action_dues)


def _compare_risk(
    old: tuple[LoadedRegister, LoadedRisk], new: tuple[LoadedRegister, LoadedRisk], *, today: dt.date, since: dt.date
) -> RiskChange | None:
    (old_reg, old_lr), (reg, lr) = old, new
    old_snap, new_snap = _snapshot(old_reg, old_lr), _snapshot(reg, lr)
    fields = _field_changes(old_lr.risk, lr.risk, old_snap.tolerance, new_snap.tolerance)
    if old_lr.path != lr.path:
        fields.append(FieldChange("path", old_lr.path, lr.path))
    if old_reg.id != reg.id:
        fields.append(FieldChange("register", old_reg.id, reg.id))
    scores = _score_changes(old_snap, new_snap)
    items = _item_changes(old_lr.risk, lr.risk)
    actions = _action_changes(
        old_lr.risk, lr.risk, new_settings=reg.settings, new_lead=new_snap.lead_title, today=today, old_date=since
    )
    for name in ASSESSMENTS:
        # Same score, new band: the register's band table changed (docs/domain.md 1.5).
        if old_snap.scores[name] == new_snap.scores[name] and old_snap.bands[name] != new_snap.bands[name]:
            fields.append(FieldChange(f"band.{name}", old_snap.bands[name], new_snap.bands[name]))
    if not (fields or scores or items or actions):
        return None
    return RiskChange(
        risk_id=lr.risk.id,
        change="changed",
        old=old_snap,
        new=new_snap,
        score_changes=tuple(scores),
        field_changes=tuple(fields),
        item_changes=tuple(items),
        action_changes=tuple(actions),
        merged_into=lr.risk.merged_into if lr.risk.status is RiskStatus.MERGED else None,
    )


# ---------------------------------------------------------------------------
# Helpers for the command: load problems and the commits behind each change
# ---------------------------------------------------------------------------


def load_problems(workspace: Workspace) -> list[Finding]:
    """Error findings of the files that did not load (a broken file, or a broken register).

    These are what a historic revision reports as warnings: the rest of the registers
    still compare, and the risks in those files are listed as not compared.
    """
    loaded = {lr.path for _, lr in workspace.risks()} | {reg.settings_path for reg in workspace.registers}
    return [f for f in workspace.findings if f.level is Level.ERROR and f.path not in loaded]


def commits_by_risk(diff: WorkspaceDiff, commits: Sequence[CommitChanges]) -> dict[str, list[RevisionInfo]]:
    """For ``diff --why``: the commits (oldest first) that touched each changed risk's file(s)."""
    result: dict[str, list[RevisionInfo]] = {}
    for rc in diff.risks:
        paths = {snap.path for snap in (rc.old, rc.new) if snap is not None}
        result[rc.risk_id] = [c.info for c in commits if any(change.path in paths for change in c.changes)]
    return result
