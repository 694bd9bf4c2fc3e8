"""Registers on disk: which folders are registers, which files are theirs, and their bytes.

Everything here reads the working tree and nothing else; :mod:`bafctl.loader` validates
what it returns. Symbolic links are never followed nor read, and neither is anything
that is not a regular file (docs/reliability.md R16). Folder walks use an explicit stack and
stop :data:`MAX_FOLDER_DEPTH` levels below a register or the folder searched, so a tree
a thousand folders deep is a finding, not a crash (docs/reliability.md).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bafctl.errors import RegisterNotFoundError
from bafctl.findings import Finding
from bafctl.sources.layout import REGISTER_FILE, SKIPPED_DIRS, YAML_SUFFIXES
from bafctl.yamlio import MAX_FILE_BYTES

#: Folders searched below a register's top folder, or below a folder searched for
#: registers (counted afresh from each register found). A folder deeper than this is
#: not read: it is reported as ``folder-too-deep``.
MAX_FOLDER_DEPTH = 64
TOO_DEEP_RULE = "folder-too-deep"


@dataclass
class _Skipped:
    """What a walk left out, for the loader to say so."""

    links: list[Path] = field(default_factory=list)
    too_deep: list[Path] = field(default_factory=list)


def find_repository_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``.git``."""
    current = start.resolve()
    for folder in (current, *current.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _holds_register_file(folder: Path) -> bool:
    # As a folder walk sees it: any entry named register.yaml that is not a folder (a
    # link or a FIFO is then refused, with a finding, when the register is read).
    marker = folder / REGISTER_FILE
    return (marker.is_symlink() or marker.exists()) and not marker.is_dir()


def _register_root_of(path: Path) -> Path | None:
    for folder in (path if path.is_dir() else path.parent, *path.resolve().parents):
        if _holds_register_file(folder):
            return folder
    return None


def walk(top: Path, too_deep: list[Path], *, restart: str | None = None) -> Iterator[tuple[Path, list[str], list[str]]]:
    """``os.walk(top, followlinks=False)``, top-down, in the same order, without recursion.

    As with ``os.walk`` the caller may prune the folder names yielded, in place. Folders
    more than :data:`MAX_FOLDER_DEPTH` levels below ``top`` (or below the nearest folder
    holding a file named ``restart``) are not entered but added to ``too_deep``.
    Folders that cannot be listed are passed over, as ``os.walk`` does. Use it for any
    walk of a tree a pull request can commit: ``os.walk`` recurses once per level.
    """
    stack: list[tuple[Path, int]] = [(top, 0)]
    while stack:
        here, depth = stack.pop()
        try:
            with os.scandir(here) as entries:
                listed = list(entries)
        except OSError:
            continue
        dirnames: list[str] = []
        filenames: list[str] = []
        links: set[str] = set()
        for entry in listed:
            try:
                is_dir = entry.is_dir()
                if is_dir and entry.is_symlink():
                    links.add(entry.name)
            except OSError:
                is_dir = False
            (dirnames if is_dir else filenames).append(entry.name)
        if restart is not None and restart in filenames:
            depth = 0
        yield here, dirnames, filenames
        below: list[tuple[Path, int]] = []
        for name in dirnames:
            if name in links:
                continue  # followlinks=False
            child = here / name
            if depth + 1 > MAX_FOLDER_DEPTH:
                too_deep.append(child)
            else:
                below.append((child, depth + 1))
        stack.extend(reversed(below))


def _kept(dirnames: list[str]) -> list[str]:
    return sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))


def _walk_registers(folder: Path, too_deep: list[Path] | None = None) -> list[Path]:
    """The register folders at or below ``folder``, top-down in name order."""
    found: list[Path] = []
    for here, dirnames, filenames in walk(folder, too_deep if too_deep is not None else [], restart=REGISTER_FILE):
        dirnames[:] = _kept(dirnames)
        if REGISTER_FILE in filenames:
            found.append(here)
    return found


def _register_files(root: Path, skipped: list[Path] | None = None, too_deep: list[Path] | None = None) -> list[Path]:
    """The YAML files of one register, in a stable order, never following symbolic links.

    Symbolic links (to files or folders) are not followed (docs/reliability.md R16): they are
    added to ``skipped`` so that the loader can say so; so are folders too deep to read,
    to ``too_deep``.
    """
    files: list[Path] = []
    for here, dirnames, filenames in walk(root, too_deep if too_deep is not None else []):
        if here != root and REGISTER_FILE in filenames:
            dirnames[:] = []  # a nested register is loaded on its own
            continue
        kept = _kept(dirnames)
        if skipped is not None:
            skipped.extend(here / d for d in kept if (here / d).is_symlink())
        dirnames[:] = [d for d in kept if not (here / d).is_symlink()]
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                file = here / name
                if file.is_symlink():
                    if skipped is not None:
                        skipped.append(file)
                else:
                    files.append(file)
    return files


def _display(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def discover_register_roots(paths: Iterable[Path], cwd: Path | None = None) -> list[Path]:
    """The register folders that the given paths name, in a stable order.

    A file or folder inside a register names that register; a folder above registers
    names every register below it. Relative paths are taken from ``cwd``. With no paths,
    the repository (or folder) around ``cwd`` is searched. Raises
    :class:`RegisterNotFoundError` when a path holds no register, does not exist, or
    is reached through a symbolic link.
    """
    return _discover(paths, cwd or Path.cwd(), [])


def _not_found(message: str, too_deep: list[Path], cwd: Path) -> RegisterNotFoundError:
    if too_deep:
        first = _display(too_deep[0], cwd)
        message += f"; folders more than {MAX_FOLDER_DEPTH} levels deep were not searched, such as {first}"
    return RegisterNotFoundError(message)


def _discover(paths: Iterable[Path], cwd: Path, too_deep: list[Path]) -> list[Path]:
    """:func:`discover_register_roots`, adding the folders too deep to search to ``too_deep``."""
    roots: list[Path] = []
    given = list(paths)
    if not given:
        # Inside a register: that register. Elsewhere: the repository's `registers/`
        # folder when it has registers (so test fixtures and benchmark data elsewhere in
        # the repository are not mistaken for the board's registers), else every register.
        inside_cwd = _register_root_of(cwd)
        base = find_repository_root(cwd) or cwd
        conventional = base / "registers"
        searched: list[Path] = []
        if inside_cwd is not None:
            roots = [inside_cwd]
        elif conventional.is_dir() and not conventional.is_symlink():
            roots = _walk_registers(conventional, searched)
        if not roots:
            searched = []
            roots = _walk_registers(base, searched)
        too_deep += searched
        if not roots:
            raise _not_found(
                f"no register found under {base} (a register is a folder with a {REGISTER_FILE}); "
                "pass a path, or run `bafctl init` to start one",
                too_deep,
                cwd,
            )
    for written in given:
        linked = _symlinked_part(written, cwd)
        if linked is not None:
            raise RegisterNotFoundError(f"{linked}: is a symbolic link; bafctl reads only real files")
        path = written if written.is_absolute() else cwd / written
        if not path.exists():
            raise RegisterNotFoundError(f"{written}: no such file or folder")
        inside = _register_root_of(path)
        searched = []
        below = _walk_registers(path, searched) if path.is_dir() and inside is None else []
        too_deep += searched
        if inside is not None:
            roots.append(inside)
        elif below:
            roots.extend(below)
        else:
            raise _not_found(
                f"{written}: not inside a register (no {REGISTER_FILE} here or above) and none below it", searched, cwd
            )
    unique: dict[Path, None] = {}
    for root in roots:
        unique.setdefault(root.resolve(), None)
    return list(unique)


def _symlinked_part(path: Path, cwd: Path) -> Path | None:
    """The first symbolic link among the parts of ``path`` as the user wrote it, if any.

    For a relative path every part written is checked (``a/b/c`` checks ``a``, ``a/b``
    and ``a/b/c`` under ``cwd``), so a register reached through a link is refused; an
    absolute path is checked only at its end, as system folders above it may be links.
    """
    if path.is_absolute():
        return path if path.is_symlink() else None
    parts = path.parts
    for end in range(1, len(parts) + 1):
        prefix = Path(*parts[:end])
        if prefix.name not in ("", ".", "..") and (cwd / prefix).is_symlink():
            return prefix
    return None


def read_regular(file: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read at most ``limit`` + 1 bytes of a regular file, never through a link.

    The one way bafctl reads a file a register or a trust supplies (risk files,
    templates): a caller tells "too large" by the length.

    A FIFO, socket or device is refused before it is opened (opening some devices acts
    on them); ``O_NOFOLLOW`` closes the race between the walk and the open, and
    ``O_NONBLOCK`` keeps a FIFO swapped in meanwhile from hanging the run; ``fstat``
    then refuses anything not regular.
    """
    if not stat.S_ISREG(os.lstat(file).st_mode):
        raise IsADirectoryError(errno.EISDIR, "not a regular file", str(file))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(file, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", str(file))
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, remaining)
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_deep_finding(path: str) -> Finding:
    return Finding(
        path,
        1,
        1,
        TOO_DEEP_RULE,
        f"folder nested more than {MAX_FOLDER_DEPTH} levels deep: not searched, and no file in it was read",
        hint=f"keep a register's files within {MAX_FOLDER_DEPTH} levels of folders below its {REGISTER_FILE}",
    )


def scan_files(paths: Iterable[Path], cwd: Path | None = None) -> tuple[dict[str, bytes], list[Finding]]:
    """Read every file of the registers that ``paths`` name, keyed by display path.

    Symbolic links are never followed nor read, and neither is anything that is not a
    regular file (docs/reliability.md R16); each is reported as a finding instead, as is a
    file that cannot be read and a folder too deep to search. Oversized files are read
    only to just over the size cap: the loader reports them from their size.
    """
    cwd = (cwd or Path.cwd()).resolve()
    files: dict[str, bytes] = {}
    findings: list[Finding] = []
    searched: list[Path] = []
    for root in _discover(paths, cwd, searched):
        # Paths are shown relative to cwd when the whole register is below it, else in
        # full: a register's files must share one base for the loader to group them.
        base = cwd if root.is_relative_to(cwd) else Path("/")
        skipped: list[Path] = []
        too_deep: list[Path] = []
        for file in _register_files(root, skipped, too_deep):
            display = _display(file, base) if base == cwd else file.as_posix()
            try:
                files[display] = read_regular(file)
            except OSError as exc:
                reason = "not a regular file" if exc.errno in (errno.EISDIR, errno.ELOOP) else exc.strerror
                findings.append(Finding(display, 1, 1, "file-unreadable", f"cannot read the file: {reason}"))
        for link in skipped:
            findings.append(
                Finding(
                    _display(link, cwd) if base == cwd else link.as_posix(),
                    1,
                    1,
                    "symlink",
                    "is a symbolic link: not read (bafctl reads only real files inside the register)",
                    hint="replace the link by the file or folder itself",
                )
            )
        findings += [
            _too_deep_finding(_display(folder, cwd) if base == cwd else folder.as_posix()) for folder in too_deep
        ]
    # A folder too deep for the search may also be too deep for its register: say it once.
    reported = {finding.path for finding in findings if finding.rule == TOO_DEEP_RULE}
    for folder in searched:
        shown = _display(folder.resolve(), cwd)
        if shown not in reported:
            reported.add(shown)
            findings.append(_too_deep_finding(shown))
    return files, findings


def read_files(paths: Iterable[Path], cwd: Path | None = None) -> dict[str, bytes]:
    """Read every file of the registers that ``paths`` name, keyed by display path.

    Symbolic links and files outside the register folders are never read (docs/reliability.md R16);
    :func:`scan_files` also says which were left out and why.
    """
    return scan_files(paths, cwd)[0]
