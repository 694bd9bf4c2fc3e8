"""`bafctl schema`: the JSON Schema of risk files and register.yaml, for editors."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from bafctl.commands._support import handle_errors, out


class SchemaKind(StrEnum):
    """Which file the schema describes."""

    risk = "risk"
    register = "register"


def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="`risk` for a risk file, `register` for register.yaml.")],
) -> None:
    """Print the JSON Schema of a risk file or of register.yaml.

    Save it and point your editor at it, e.g. with a first line
    `# yaml-language-server: $schema=schemas/risk.schema.json` (see docs/format.md).
    """
    with handle_errors():
        from bafctl.jsonout import dump_json
        from bafctl.schemas import json_schema

        out(dump_json(json_schema(kind.value)))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(schema)
