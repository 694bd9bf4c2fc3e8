"""How a register is laid out: which files are its own, and which register owns a file.

This is the one home of the ownership rule. The loader (files from disk or git), rescore
and the git reader all ask :func:`owner_of`, so ``check registers`` and
``check . registers`` can never disagree about which ``register.yaml`` governs a risk.

Paths are POSIX strings as the loader keys them: relative to the working folder (``"."``
is its top), or absolute (``/srv/baf/reg``) for a register outside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

REGISTER_FILE = "register.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
#: Folders never searched for registers.
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist"})


def register_folder(settings_path: str) -> str:
    """The folder of a ``register.yaml`` path (``"."`` for one at the top)."""
    return str(PurePosixPath(settings_path).parent)


def settings_path(folder: str) -> str:
    """The ``register.yaml`` path of a register folder (the inverse of :func:`register_folder`)."""
    return REGISTER_FILE if folder == "." else str(PurePosixPath(folder) / REGISTER_FILE)


def register_folders(paths: Iterable[str]) -> list[str]:
    """The register folders among ``paths`` (those holding a ``register.yaml``), sorted."""
    return sorted({register_folder(p) for p in paths if PurePosixPath(p).name == REGISTER_FILE})


def is_inside(path: str, folder: str) -> bool:
    """True when ``path`` is ``folder`` or below it (POSIX paths; ``"."`` holds every relative path)."""
    if folder == ".":
        return not path.startswith("/")
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _depth(folder: str) -> int:
    # "." is the top of a relative tree: shallower than any named folder.
    return -1 if folder == "." else len(PurePosixPath(folder).parts)


def deepest_first(folders: Iterable[str]) -> list[str]:
    """Register folders ordered so that the first one holding a path is its owner.

    Deepest first by number of parts, ``"."`` last (``-count("/")`` once put ``"."``
    level with ``"registers"``, and ``"."`` sorts first by name: SECURITY.md).
    """
    return sorted(set(folders), key=lambda folder: (-_depth(folder), folder))


def owners(register_dirs: Iterable[str]) -> Callable[[str], str | None]:
    """:func:`owner_of` for many paths and one set of register folders (built once)."""
    # Spelled as given ("reg/" stays "reg/"), looked up in normal form.
    known = {str(PurePosixPath(folder)): folder for folder in register_dirs}

    def owner(path: str) -> str | None:
        pure = PurePosixPath(path)
        # The path itself, then its folders from the nearest up: the first register
        # folder met is the deepest one holding the path. A relative path ends at ".",
        # an absolute one at "/", so neither kind is ever owned by the other.
        for folder in (pure, *pure.parents):
            found = known.get(str(folder))
            if found is not None:
                return found
        return None

    return owner


def owner_of(path: str, register_dirs: Iterable[str]) -> str | None:
    """The register that owns ``path``: the deepest register folder holding it, or None.

    The nearest ``register.yaml`` above a file governs it; a nested register is a register
    of its own, never part of the one above it. Looking up many paths, build the lookup
    once with :func:`owners`.
    """
    return owners(register_dirs)(path)


def is_register_candidate(path: str) -> bool:
    """True for a YAML file bafctl reads in a register folder (hidden and skipped folders are not)."""
    if not path.endswith(YAML_SUFFIXES):
        return False
    *folders, name = path.split("/")
    if not name or name.startswith("."):
        return False
    return not any(part in SKIPPED_DIRS or part.startswith(".") for part in folders)
