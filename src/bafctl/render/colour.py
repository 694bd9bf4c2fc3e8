"""Colour for the plain-text formats, added only after every piece of text is escaped.

A renderer builds a line as spans, ``(text, style)`` pairs (style ``""``: none). Without
a colour system the spans are joined and escaped exactly as the renderer always did, so
its output is byte for byte the plain text. With one (a rich colour system name:
``"standard"``, ``"256"``, ``"truecolor"``), each span's text is first made inert
(:func:`bafctl.escaping.terminal`: no escape sequence of a register reaches the terminal),
and only then wrapped in the style's SGR codes. A line that
:func:`~bafctl.escaping.log_safe` would change is printed plain, as it would be without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from bafctl.escaping import log_safe, terminal

Span = tuple[str, str]
"""A piece of a line and its rich style (``"bold red"``, ``"#ffffff on #c62828"``; ``""``: none)."""
Line = str | Sequence[Span]
"""A line of output: plain text, or spans."""

#: How each finding level is shown.
LEVEL_STYLES = {"error": "bold red", "warning": "yellow", "info": "blue"}
#: A score that went up is worse (red), down is better (green).
ARROW_STYLES = {"↑": "bold red", "↓": "green", "→": ""}
BREACH = "bold red"
WARNING = "yellow"
GOOD = "green"
HEADING = "bold"
QUIET = "dim"


def plain(line: Line) -> str:
    """The line's text with no style."""
    return line if isinstance(line, str) else "".join(text for text, _ in line)


def arrow_style(arrow: str) -> str:
    """The style of a movement arrow (``↑`` red, ``↓`` green)."""
    return ARROW_STYLES.get(arrow.strip(), "")


@cache
def band_style(name: str) -> str:
    """A band's name as the summary colours it: the NHS band colours, ink chosen for contrast.

    Only the NHS band names are known here (the renderers are given names, not a
    register's colours); any other band is shown in bold.
    """
    from bafctl.models import Matrix
    from bafctl.summary import ink_for, safe_colour

    for band in Matrix().bands:
        if band.name.lower() == name.strip().lower():
            colour = safe_colour(band.colour)
            if colour is not None:
                return f"{ink_for(colour)} on {colour}"
    return HEADING


def paint(lines: Sequence[Line], color_system: str) -> str:
    """The lines joined by newlines, every span escaped, then styled for ``color_system``.

    Styled spans never hold a line break; plain spans may. No trailing newline is added.
    """
    from rich.console import COLOR_SYSTEMS

    system = COLOR_SYSTEMS[color_system]
    painted: list[str] = []
    for line in lines:
        spans = [(line, "")] if isinstance(line, str) else line
        text = "".join(
            terminal(t) if not style or "\n" in t else _styled(terminal(t), style, system) for t, style in spans
        )
        plain_lines = terminal(plain(line)).split("\n")
        for shown, bare in zip(text.split("\n"), plain_lines, strict=True):
            safe = log_safe(bare)
            painted.append(shown if safe == bare else safe)
    return "\n".join(painted)


def _styled(text: str, style: str, system: object) -> str:
    from rich.style import Style

    if not text:
        return text
    return Style.parse(style).render(text, color_system=system)  # type: ignore[arg-type]
