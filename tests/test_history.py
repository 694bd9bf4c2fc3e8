"""A risk's trajectory over real commits (bafctl.history fed by bafctl.gitio)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from bafctl.errors import RevisionError
from bafctl.gitio import risk_history
from bafctl.render.history import render_csv, render_text, sparkline
from gitrepo import EPOCH, GitRepo, risk_data, synthetic_register, to_yaml

TITLE = "If we do not continue digital transformation, we will not be digitally mature."


def entries(history_: object) -> list[tuple[str | None, str, str | None]]:
    from bafctl.history import RiskHistory

    assert isinstance(history_, RiskHistory)
    return [(e.commit.subject, e.event, e.state.scores["current"].text if e.state else None) for e in history_.entries]


def test_generated_history_lists_exactly_the_commits_that_changed_the_risk(tmp_path: Path) -> None:
    """30 commits, each editing a few of 12 risks: some rescores, some text-only edits."""
    rng = random.Random(2026)
    repo = GitRepo(tmp_path / "repo")
    risk_ids = [f"BAF{i}" for i in range(1, 13)]
    current = dict.fromkeys(risk_ids, (4, 3))
    notes = dict.fromkeys(risk_ids, "first")
    repo.write_register("reg", synthetic_register([risk_data(rid, TITLE, current=current[rid]) for rid in risk_ids]))
    repo.commit("commit 0")
    expected: dict[str, list[tuple[str | None, str, str | None]]] = {
        rid: [("commit 0", "added", "4x3=12")] for rid in risk_ids
    }
    for n in range(1, 30):
        for rid in rng.sample(risk_ids, 3):
            rescore = rng.random() < 0.5
            if rescore:
                new = (rng.randint(1, 5), rng.randint(1, 5))
                if new != current[rid]:
                    expected[rid].append((f"commit {n}", "rescored", f"{new[0]}x{new[1]}={new[0] * new[1]}"))
                current[rid] = new
            else:
                notes[rid] = f"edited in commit {n}"  # a change that is not an assessment
            data = risk_data(rid, TITLE, current=current[rid], extra={"notes": notes[rid]})
            repo.write(f"reg/risks/{rid.lower()}.yaml", to_yaml(data))
        repo.commit(f"commit {n}")
    for rid in ("BAF1", "BAF7", "BAF12"):
        history = risk_history(rid, [], repo.root)
        assert entries(history) == expected[rid], rid
        assert history.commits_read == 30
        dates = [e.commit.date for e in history.entries if e.commit.date is not None]
        assert dates == sorted(dates) and len(dates) == len(history.entries)


@pytest.fixture
def moving_repo(tmp_path: Path) -> GitRepo:
    """BAF1 is added, rescored, renamed, rescored in a new file, broken, fixed, deleted."""
    repo = GitRepo(tmp_path / "repo")
    repo.write_register("reg", synthetic_register([risk_data("BAF1", TITLE), risk_data("BAF2", "If a, then b.")]))
    repo.commit("add")
    repo.write("reg/risks/baf1.yaml", to_yaml(risk_data("BAF1", TITLE, current=(4, 4))))
    repo.commit("rescore up")
    repo.tag("board")
    repo.move("reg/risks/baf1.yaml", "reg/archive/digital.yaml")
    repo.commit("rename only")
    repo.write("reg/archive/digital.yaml", to_yaml(risk_data("BAF1", TITLE, current=(3, 4))))
    repo.commit("rescore after the rename")
    good = to_yaml(risk_data("BAF1", TITLE, current=(2, 4)))
    repo.write("reg/archive/digital.yaml", good.replace("consequence: 2", "consequence: 9", 1))
    repo.commit("broken edit")
    repo.write("reg/archive/digital.yaml", good)
    repo.commit("fix the edit")
    repo.remove("reg/archive/digital.yaml")
    repo.commit("delete BAF1")
    return repo


def test_renames_deletions_and_invalid_historic_files(moving_repo: GitRepo) -> None:
    history = risk_history("baf1", [], moving_repo.root)  # IDs match case-insensitively
    assert entries(history) == [
        ("add", "added", "4x3=12"),
        ("rescore up", "rescored", "4x4=16"),
        ("rescore after the rename", "rescored", "3x4=12"),
        ("fix the edit", "rescored", "2x4=8"),
        ("delete BAF1", "removed", None),
    ]
    assert history.entries[2].state is not None and history.entries[2].state.path == "reg/archive/digital.yaml"
    # The broken commit is a positioned warning for that commit, not a crash or an entry.
    assert len(history.warnings) == 1
    warning = history.warnings[0]
    assert warning.commit.subject == "broken edit"
    assert (warning.finding.path, warning.finding.col) == ("reg/archive/digital.yaml", 18)
    assert warning.finding.line > 1
    assert history.latest is None


def test_since_starts_after_a_tag_with_a_baseline(moving_repo: GitRepo) -> None:
    history = risk_history("BAF1", [], moving_repo.root, since="board")
    assert history.baseline is not None and history.baseline.scores["current"].text == "4x4=16"
    assert [e.commit.subject for e in history.entries] == ["rescore after the rename", "fix the edit", "delete BAF1"]
    text = render_text(history, history.since)
    assert f"Since board ({history.since.short if history.since else ''}): current 4x4=16 (Extreme)" in text
    assert "Current score: ▅▄▃  (16 → 12 → 8)" in text


def test_a_risk_never_seen_is_not_found(moving_repo: GitRepo) -> None:
    history = risk_history("BAF99", [], moving_repo.root)
    assert (history.found, history.entries) == (False, [])
    other = risk_history("BAF2", [], moving_repo.root)
    assert entries(other) == [("add", "added", "4x3=12")]


def test_history_refuses_a_shallow_clone(moving_repo: GitRepo, tmp_path: Path) -> None:
    clone = moving_repo.clone_shallow(tmp_path / "clone")
    with pytest.raises(RevisionError, match="fetch-depth: 0"):
        risk_history("BAF1", [], clone)


def test_paths_limit_the_history(moving_repo: GitRepo) -> None:
    history = risk_history("BAF1", [Path("reg/risks")], moving_repo.root)
    # Only the file under reg/risks is read: the move out of it looks like a removal.
    assert [e.event for e in history.entries] == ["added", "rescored", "removed"]


def test_sparkline_uses_the_fixed_matrix_scale() -> None:
    assert sparkline([1, 4, 8, 12, 16, 20, 25]) == "▁▂▃▄▅▇█"
    assert sparkline([]) == ""


def test_csv_escapes_formulas_in_commit_text(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write_register("reg", synthetic_register([risk_data("BAF1", TITLE)]))
    repo.commit('=HYPERLINK("http://x")', author="@evil", date=EPOCH + dt.timedelta(days=3))
    csv_text = render_csv(risk_history("BAF1", [], repo.root))
    header, row = csv_text.splitlines()
    assert header.startswith("date,commit,author,event,initial,initial_score,current,current_score")
    assert ',\'@evil,added,5x4,20,4x3,12,4x2,8,High,12,reg/risks/baf1.yaml,"\'=HYPERLINK(""http://x"")"' in row
