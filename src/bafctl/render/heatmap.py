"""The 5x5 heat map: a rich table for the terminal and inline SVG for HTML reports.

Consequence runs across (1-5, left to right) and likelihood up (1 at the bottom, 5 at
the top), as the NPSA 2008 matrix is printed (docs/domain.md 1.4). Each cell is coloured by
its band and lists the risks whose current assessment sits there; with ``target``, the
risks heading there are listed too, marked ``→``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bafctl.escaping import html_text, terminal
from bafctl.summary import HeatCell, HeatMap, ink_for

if TYPE_CHECKING:
    from rich.console import RenderableType

#: Marks a risk's target position, in every format.
TARGET_MARK = "→"

#: Width of one heat-map column in the terminal: five of them and the likelihood
#: column fill exactly 80 columns.
TEXT_CELL_WIDTH = 14


def cell_entries(cell: HeatCell, *, target: bool) -> list[str]:
    """The lines listed in a cell: current risk IDs, then ``→ID`` for targets."""
    entries = list(cell.current)
    if target:
        entries += [f"{TARGET_MARK}{risk_id}" for risk_id in cell.target]
    return entries


def axis_legend(heatmap: HeatMap) -> str:
    """``Likelihood (rows): 5 Almost certain, ... Consequence (columns): 1 Negligible, ...``."""
    likelihood = ", ".join(
        f"{n} {label}" for n, label in zip(range(5, 0, -1), reversed(heatmap.likelihood_labels), strict=True)
    )
    consequence = ", ".join(f"{n} {label}" for n, label in enumerate(heatmap.consequence_labels, start=1))
    return f"Likelihood (rows): {likelihood}. Consequence (columns): {consequence}."


def common_prefix(ids: list[str]) -> str:
    """The prefix every ID shares, up to its last ``-``, ``_``, ``.`` or space (else empty).

    ``GROUP-BAF-1`` ... ``GROUP-BAF-DRAFT`` share ``GROUP-BAF-``: the terminal heat map
    prints ``1`` ... ``DRAFT`` so that a cell 14 columns wide holds several risks.
    """
    if len(ids) < 2:
        return ""
    first, last = min(ids), max(ids)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    prefix = first[:size]
    cut = max(prefix.rfind(sep) for sep in "-_. ")
    if cut < 2 or any(len(i) <= cut + 1 for i in ids):
        return ""
    return prefix[: cut + 1]


def _cell_lines(cell: HeatCell, *, target: bool, prefix: str, width: int) -> list[str]:
    import textwrap

    def short(risk_id: str) -> str:
        return terminal(risk_id[len(prefix) :] if prefix else risk_id)

    lines = [str(cell.score)]
    groups = [", ".join(short(i) for i in cell.current)]
    if target:
        groups.append(", ".join(TARGET_MARK + short(i) for i in cell.target))
    for group in groups:
        if group:
            lines += textwrap.wrap(group, width, break_long_words=True, break_on_hyphens=False)
    return lines


def heatmap_renderable(heatmap: HeatMap, *, target: bool = False) -> RenderableType:
    """The heat map as a rich table: a row per likelihood, 5 at the top.

    IDs are printed without the prefix they all share (see :func:`common_prefix`; the
    legend names it). Every register value goes in as :class:`rich.text.Text`, never as
    markup. Without colour, the score printed in each cell still shows its band.
    """
    from rich import box
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

    ids = sorted({i for c in heatmap.cells for i in (*c.current, *(c.target if target else ()))})
    prefix = common_prefix(ids)
    inner = TEXT_CELL_WIDTH - 2
    table = Table(box=box.SQUARE, show_lines=True, padding=0, show_header=True, pad_edge=False, expand=False)
    table.add_column(Text(" L ", style="bold"), width=3, no_wrap=True)
    for consequence in range(1, 6):
        table.add_column(Text(f" C{consequence}", style="bold"), width=TEXT_CELL_WIDTH, no_wrap=True)
    for row in heatmap.rows():
        contents = [_cell_lines(cell, target=target, prefix=prefix, width=inner) for cell in row]
        height = max(len(lines) for lines in contents)
        cells: list[RenderableType] = [Text(f" {row[0].likelihood} ", style="bold")]
        for cell, lines in zip(row, contents, strict=True):
            # Every line is padded to the full width and every cell in the row to the same
            # height, so the band colour fills the whole cell.
            padded = [f" {line:<{inner}} " for line in lines + [""] * (height - len(lines))]
            text = Text("\n".join(padded), style=Style(bgcolor=cell.colour, color=ink_for(cell.colour)), no_wrap=True)
            text.stylize("dim", 1, 1 + len(lines[0]))
            cells.append(text)
        table.add_row(*cells)
    return table


def prefix_note(heatmap: HeatMap, *, target: bool = False) -> str:
    """The legend line naming the prefix the terminal heat map leaves out, if any."""
    ids = sorted({i for c in heatmap.cells for i in (*c.current, *(c.target if target else ()))})
    prefix = common_prefix(ids)
    return f"Risk IDs are shown without their common prefix {prefix!r}." if prefix else ""


_SVG_CELL_W = 112
_SVG_LABEL_W = 118
_SVG_TOP = 30
_SVG_LINE = 14
_SVG_FONT = "Arial, Helvetica, sans-serif"


def _svg_text(x: float, y: float, text: str, *, size: int = 11, width: float | None = None, **attrs: str) -> str:
    # Long IDs are squeezed to the cell (textLength) rather than cut: no risk is hidden.
    extra = "".join(f' {name.replace("_", "-")}="{html_text(value)}"' for name, value in sorted(attrs.items()))
    if width is not None and len(text) * size * 0.62 > width:
        extra += f' textLength="{width:.0f}" lengthAdjust="spacingAndGlyphs"'
    return f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}"{extra}>{html_text(text)}</text>'


def heatmap_svg(heatmap: HeatMap, *, target: bool = False, target_only: bool = False, title: str = "Heat map") -> str:
    """The heat map as inline SVG (no scripts, no external references).

    Args:
        heatmap: The matrix and the risks placed on it.
        target: Also list the risks heading to each cell (``→ID``).
        target_only: Place each risk by its target instead of its current assessment.
        title: The SVG's accessible title.

    Cell colours come from :func:`bafctl.summary.safe_colour` (validated ``#rrggbb``);
    every text is escaped with :func:`bafctl.escaping.html_text`.
    """

    def entries(cell: HeatCell) -> list[str]:
        return list(cell.target) if target_only else cell_entries(cell, target=target)

    rows = heatmap.rows()
    most = max((len(entries(c)) for c in heatmap.cells), default=0)
    cell_h = max(62, 24 + _SVG_LINE * most)
    width = _SVG_LABEL_W + 5 * _SVG_CELL_W + 2
    grid_bottom = _SVG_TOP + 5 * cell_h
    height = grid_bottom + 54
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" font-family="{_SVG_FONT}">',
        f"<title>{html_text(title)}</title>",
        _svg_text(_SVG_LABEL_W, 18, "Likelihood ↑   Consequence →", size=12, font_weight="bold"),
    ]
    for r_index, row in enumerate(rows):
        y = _SVG_TOP + r_index * cell_h
        likelihood = row[0].likelihood
        parts.append(_svg_text(4, y + cell_h / 2, f"{likelihood}", size=13, font_weight="bold"))
        parts.append(
            _svg_text(20, y + cell_h / 2, heatmap.likelihood_labels[likelihood - 1], size=11, width=_SVG_LABEL_W - 24)
        )
        for c_index, cell in enumerate(row):
            x = _SVG_LABEL_W + c_index * _SVG_CELL_W
            ink = ink_for(cell.colour)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{_SVG_CELL_W}" height="{cell_h}" fill="{cell.colour}" '
                'stroke="#ffffff" stroke-width="2"/>'
            )
            parts.append(_svg_text(x + 6, y + 14, str(cell.score), size=10, fill=ink, opacity="0.8"))
            for e_index, entry in enumerate(entries(cell)):
                is_target = not target_only and entry.startswith(TARGET_MARK) and e_index >= len(cell.current)
                parts.append(
                    _svg_text(
                        x + _SVG_CELL_W / 2,
                        y + 30 + e_index * _SVG_LINE,
                        entry,
                        size=12,
                        width=_SVG_CELL_W - 10,
                        fill=ink,
                        text_anchor="middle",
                        font_weight="normal" if is_target else "bold",
                        font_style="italic" if is_target else "normal",
                    )
                )
    for c_index in range(5):
        centre = _SVG_LABEL_W + c_index * _SVG_CELL_W + _SVG_CELL_W / 2
        parts.append(
            _svg_text(centre, grid_bottom + 18, str(c_index + 1), size=13, font_weight="bold", text_anchor="middle")
        )
        parts.append(
            _svg_text(
                centre,
                grid_bottom + 34,
                heatmap.consequence_labels[c_index],
                size=11,
                width=_SVG_CELL_W - 6,
                text_anchor="middle",
            )
        )
    parts.append("</svg>")
    return "\n".join(parts)
