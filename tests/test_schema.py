"""`bafctl schema`: JSON Schemas for editors, committed under schemas/ and usable by jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # no stubs in the test extras
import pytest
from typer.testing import CliRunner

from bafctl.cli import app
from bafctl.jsonout import dump_json
from bafctl.yamlio import parse_yaml
from conftest import FIXTURES, REGISTERS, REPO_ROOT

SCHEMAS = REPO_ROOT / "schemas"
CORPUS_BASE = Path(__file__).resolve().parent / "corpus" / "_base"


def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _as_json(path: Path) -> Any:
    """A YAML file as an editor's schema plugin sees it: JSON, with dates as strings."""
    parsed = parse_yaml(path.read_bytes())
    assert parsed.ok, (path, parsed.problems)
    return json.loads(dump_json(parsed.value))


def _bundled(kind: str) -> list[Path]:
    roots = [REGISTERS, FIXTURES / "multi", CORPUS_BASE, FIXTURES / "group-baf-2025-09"]
    files = sorted(p for root in roots if root.is_dir() for p in root.rglob("*.yaml"))
    return [p for p in files if (p.name == "register.yaml") == (kind == "register")]


@pytest.mark.parametrize("kind", ["risk", "register"])
def test_committed_schema_matches_the_command(kind: str, runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", kind])
    assert (result.exit_code, result.stderr) == (0, "")
    committed = (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert result.stdout == committed, f"schemas/{kind}.schema.json is stale: run `bafctl schema {kind} > $_`"


@pytest.mark.parametrize("kind", ["risk", "register"])
def test_every_bundled_file_validates(kind: str) -> None:
    validator = _validator(kind)
    files = _bundled(kind)
    assert len(files) >= 3
    for path in files:
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_as_json(path))]
        assert problems == [], path


def test_schema_describes_the_risk_format() -> None:
    schema = json.loads((SCHEMAS / "risk.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {"id", "title", "status", "assessments", "appetite"} <= set(schema["required"])


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["assessments"]["current"].update(likelihood=6), ["assessments", "current", "likelihood"]),
        (lambda d: d["assessments"]["current"].update(likelihood="3"), ["assessments", "current", "likelihood"]),
        (lambda d: d.update(titel="x"), []),
        (lambda d: d.update(id="BAF 01"), ["id"]),
        (lambda d: d.update(status="live"), ["status"]),
        (lambda d: d.update(last_updated="15/01/2026"), ["last_updated"]),
        (lambda d: d.pop("title"), []),
    ],
)
def test_schema_catches_what_editors_should_flag(change: Any, path: list[str]) -> None:
    data = _as_json(CORPUS_BASE / "BAF01.yaml")
    change(data)
    errors = list(_validator("risk").iter_errors(data))
    assert errors
    assert list(errors[0].absolute_path) == path


def test_unknown_kind_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema", "policy"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "Invalid value" in result.stderr
