"""`bafctl init`: start a new register repository from the NHS defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from bafctl.commands._support import err, handle_errors, out, require_stdout, today

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")
_WORKFLOW = ".github/workflows/bafctl.yml"


def init(
    directory: Annotated[
        Path,
        typer.Argument(metavar="[DIR]", help="Where to create the repository (default: the current folder)."),
    ] = Path(),
    register_id: Annotated[
        str, typer.Option("--register-id", help="The register's ID, used in references such as BAF:BAF01.")
    ] = "BAF",
    name: Annotated[str, typer.Option("--name", help="The register's name as printed on board papers.")] = (
        "Board Assurance Framework"
    ),
    organisation: Annotated[
        str, typer.Option("--organisation", help="The trust that owns the register.")
    ] = "Example NHS Trust",
) -> None:
    """Create a register repository from the NHS defaults, ready for pre-commit and CI.

    Writes register.yaml with the NHS defaults, an example risk, editor schemas and the
    settings that tell VS Code about them, a pre-commit hook, a CI workflow pinned to this
    version of bafctl, bafctl.toml and a README for governance officers.
    Never overwrites a file: existing ones are skipped (and an existing register keeps
    its risks). Exits 0 when something was created, 2 when nothing could be.
    """
    with handle_errors():
        require_stdout()  # it reports what it created: refuse before creating anything
        from bafctl.errors import UsageError
        from bafctl.escaping import display_path
        from bafctl.jsonout import dump_json
        from bafctl.schemas import json_schema
        from bafctl.templates import InitOptions, repository_files, source_repository

        if not _ID.match(register_id):
            raise UsageError(
                f"--register-id {register_id!r}: use letters, digits, '.', '_' and '-' (no spaces), "
                "at most 30 characters"
            )
        for option, value in (("--name", name), ("--organisation", organisation)):
            if not value.strip() or value != value.strip() or any(ch in value for ch in "\r\n"):
                raise UsageError(f"{option} must be one line of text without leading or trailing spaces")
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"{directory}: is a file, not a folder")
        options = InitOptions(register_id, name, organisation, today())
        schemas = {kind: dump_json(json_schema(kind)) + "\n" for kind in ("register", "risk")}
        repository = source_repository()
        files = repository_files(options, schemas, repository)
        register_exists = (directory / options.folder / "register.yaml").exists()
        created: list[str] = []
        for relative, text in files.items():
            target = directory / relative
            if register_exists and relative.startswith(f"{options.folder}/"):
                # An example risk must not be added to a register someone already keeps.
                err(f"bafctl: skipped {target}: the register {options.folder} already exists")
                continue
            if target.exists() or target.is_symlink():
                err(f"bafctl: skipped {target}: already exists")
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("x", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except FileExistsError:
                err(f"bafctl: skipped {target}: already exists")
                continue
            except OSError as exc:
                raise UsageError(f"{target}: cannot write it: {exc.strerror or exc}") from None
            created.append(relative)
            out(f"created {display_path(target)}")
        if not created:
            raise UsageError(f"nothing created in {directory}: every file `bafctl init` writes already exists")
        steps = [
            f"Edit {directory / options.folder / 'register.yaml'}: your organisation, themes, committees, roles.\n"
            "     The appetite tolerances are proposals: the board must confirm them.",
        ]
        if repository is None and _WORKFLOW in created:
            steps.append(
                f"Edit BAFCTL_SOURCE at the top of {directory / _WORKFLOW}: where CI installs bafctl from\n"
                '     (README.md, "Installing bafctl").'
            )
        steps += [
            "git init && git add -A && git commit -m 'Start the BAF'   (if this is not yet a git repository)",
            "pip install pre-commit && pre-commit install   (checks every commit)",
            "bafctl check",
        ]
        out("")
        out("Next steps:")
        for number, step in enumerate(steps, start=1):
            out(f"  {number}. {step}")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(init)
