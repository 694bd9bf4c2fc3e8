"""Render the directors' summary: text (rich), Markdown, CSV, JSON and HTML.

Each format is a pure function from a :class:`~bafctl.summary.Summary` to a string.
Every register value is escaped for its format (docs/reliability.md section E): rich output
is built from :class:`rich.text.Text` (never markup) after
:func:`bafctl.escaping.terminal`; Markdown cells go through
:func:`bafctl.escaping.markdown_cell`; CSV cells through :func:`bafctl.escaping.csv_cell`;
HTML through :func:`bafctl.escaping.html_text`.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from typing import TYPE_CHECKING

from bafctl.escaping import csv_cell, html_text, log_safe, markdown_cell, one_line, terminal
from bafctl.jsonout import dump_json
from bafctl.render.heatmap import axis_legend, cell_entries, heatmap_renderable, heatmap_svg, prefix_note
from bafctl.summary import Movement, RegisterSummary, Score, Summary, SummaryRow, ink_for

if TYPE_CHECKING:
    from rich.console import RenderableType

#: Printed for a missing tolerance (an appetite level register.yaml does not define).
NO_VALUE = "—"


def status_word(row: SummaryRow) -> str:
    """``BREACH`` when the current score is above tolerance, else ``within``; ``—`` with no tolerance."""
    if row.tolerance is None:
        return NO_VALUE
    return "BREACH" if row.in_breach else "within"


def appetite_label(row: SummaryRow) -> str:
    """The board's word for the risk's appetite level, saying so when it set no tolerance."""
    return row.appetite if row.tolerance is not None else f"{row.appetite} (no tolerance set)"


def movement_word(row: SummaryRow) -> str:
    """``↑``, ``↓``, ``→`` or ``new`` (empty when no earlier revision was given)."""
    return "" if row.movement is None else row.movement.symbol


def tolerance_word(row: SummaryRow) -> str:
    """The upper limit of tolerance, or ``—``."""
    return NO_VALUE if row.tolerance is None else str(row.tolerance)


def _has_movement(summary: Summary) -> bool:
    return summary.since is not None


def _counts(summary: Summary) -> str:
    rows = summary.rows
    breaches = sum(1 for r in rows if r.in_breach)
    text = f"{len(rows)} risk{'s' if len(rows) != 1 else ''}"
    text += f", {breaches} in breach of tolerance" if breaches else ", none in breach of tolerance"
    text += f" · as of {summary.as_of.isoformat()}"
    if summary.since is not None:
        text += f" · movement since {summary.since}"
    return text


def _legend(reg: RegisterSummary) -> str:
    return "Bands: " + " · ".join(b.label for b in reg.bands)


# ---------------------------------------------------------------------------
# Text (rich)
# ---------------------------------------------------------------------------


def _score_text(score: Score) -> RenderableType:
    from rich.style import Style
    from rich.text import Text

    return Text(score.cxl, style=Style(bgcolor=score.colour, color=ink_for(score.colour)))


def _title_text(row: SummaryRow) -> RenderableType:
    from rich.text import Text

    before, keyword, after = (terminal(part) for part in row.title_parts)
    text = Text(before)
    text.append(keyword, style="bold")
    text.append(after)
    return text


def _section_table(reg: RegisterSummary, index: int, *, id_width: int, movement: bool) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    section = reg.sections[index]
    table = Table(
        box=None,
        show_header=index == 0,
        show_edge=False,
        pad_edge=False,
        padding=(0, 2, 0, 0),
        expand=True,
        header_style="bold",
    )
    table.add_column("ID", width=id_width, no_wrap=False, overflow="fold")
    table.add_column("Risk", ratio=1, overflow="fold")
    table.add_column("Current", width=7, no_wrap=True)
    table.add_column("Target", width=6, no_wrap=True)
    table.add_column("Tol", width=3, justify="right", no_wrap=True)
    if movement:
        table.add_column("Move", width=4, justify="center", no_wrap=True)
    # The board's own word for the level ("Cautious", "Open"), then the status beside it.
    # Every section's table has the same widths: only the first prints the header.
    table.add_column("Appetite", width=10, overflow="fold")
    table.add_column("Status", width=6, no_wrap=True)
    for row in section.rows:
        ident = Text(terminal(row.risk_id))
        if row.status.value != "approved":
            ident.append("\n" + row.status.value, style="italic")
        cells: list[RenderableType] = [
            ident,
            _title_text(row),
            _score_text(row.current),
            _score_text(row.target),
            Text(tolerance_word(row)),
        ]
        if movement:
            cells.append(Text(movement_word(row)))
        cells.append(Text(terminal(appetite_label(row))))
        cells.append(Text(status_word(row), style="bold red" if row.in_breach else ""))
        table.add_row(*cells)
    return table


def text_renderables(summary: Summary, *, target: bool = False) -> list[RenderableType]:
    """The summary as rich renderables, in print order (for the console or an export)."""
    from rich.text import Text

    out: list[RenderableType] = []
    movement = _has_movement(summary)
    for r_index, reg in enumerate(summary.registers):
        if r_index:
            out.append(Text(""))
        out.append(Text(terminal(one_line(reg.name)), style="bold"))
        out.append(Text(terminal(one_line(reg.organisation))))
        out.append(Text(_counts(summary) if len(summary.registers) == 1 else _counts_one(summary, reg)))
        id_width = max([2, *(len(r.risk_id) for r in reg.rows)])
        id_width = min(id_width, 16)
        if not reg.sections:
            out.append(Text("\nNo open risks."))
        for s_index, section in enumerate(reg.sections):
            out.append(Text(""))
            out.append(Text(terminal(one_line(section.full_heading)), style="bold underline"))
            out.append(_section_table(reg, s_index, id_width=id_width, movement=movement))
        out.append(Text(""))
        caption = "Heat map: current position of each risk"
        caption += f" ({heatmap_target_note()})" if target else ""
        out.append(Text(caption, style="bold"))
        out.append(heatmap_renderable(reg.heatmap, target=target))
        note = prefix_note(reg.heatmap, target=target)
        if note:
            out.append(Text(terminal(note)))
        out.append(Text(terminal(axis_legend(reg.heatmap))))
        out.append(Text(terminal(_legend(reg))))
        if movement:
            out.append(Text(f"Movement since {terminal(summary.since or '')}: ↑ up · ↓ down · → same · new"))
        if reg.not_shown:
            out.append(Text("Not shown (closed or merged): " + terminal(", ".join(reg.not_shown))))
    return out


def heatmap_target_note() -> str:
    """The legend for target markers."""
    return "→ID marks where a risk is heading: its target"


def _counts_one(summary: Summary, reg: RegisterSummary) -> str:
    single = Summary(summary.as_of, summary.since, (reg,))
    return _counts(single)


def render_text(summary: Summary, *, width: int = 80, color_system: str | None = None, target: bool = False) -> str:
    """The summary for a terminal, at most ``width`` columns wide.

    Args:
        summary: What to print.
        width: The terminal width; tables wrap titles to fit.
        color_system: A rich colour system (``"truecolor"``, ``"256"``...) or None for
            plain text with no escape sequences at all (NO_COLOR, pipes, CI logs).
        target: Also show where each risk is heading on the heat map.

    Register text wrapped onto a line of its own is never read as a CI command
    (:func:`~bafctl.escaping.log_safe`).
    """
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system=color_system,  # type: ignore[arg-type]
        force_terminal=color_system is not None,
        no_color=color_system is None,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        soft_wrap=False,
        force_jupyter=False,
        force_interactive=False,
    )
    for renderable in text_renderables(summary, target=target):
        console.print(renderable)
    return log_safe("\n".join(line.rstrip() for line in buffer.getvalue().splitlines())) + "\n"


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def _md_join(before: str, keyword: str, after: str) -> str:
    # Each part is escaped on its own; escaping trims the outer spaces, so the spaces
    # around the keyword are put back (a title is one line: the format refuses breaks).
    text = markdown_cell(before) + (" " if before[-1:].isspace() else "")
    if keyword:
        text += f"**{markdown_cell(keyword)}**"
    text += (" " if after[:1].isspace() else "") + markdown_cell(after)
    return text


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell if cell else " " for cell in cells) + " |"


def render_markdown(summary: Summary, *, target: bool = False) -> str:
    """The summary as GitHub-flavoured Markdown: a table per section, then the heat map."""
    movement = _has_movement(summary)
    lines: list[str] = []
    for reg in summary.registers:
        if lines:
            lines.append("")
        lines += [f"# {markdown_cell(reg.name)}", "", markdown_cell(reg.organisation) + "  "]
        lines.append(markdown_cell(_counts_one(summary, reg)))
        header = ["ID", "Risk", "Current", "Band", "Target", "Tolerance"]
        header += ["Movement"] if movement else []
        header += ["Appetite", "Status"]
        for section in reg.sections:
            lines += ["", f"## {markdown_cell(section.full_heading)}", "", _md_row(header)]
            lines.append(_md_row(["---"] * len(header)))
            for row in section.rows:
                ident = markdown_cell(row.risk_id)
                if row.status.value != "approved":
                    ident += f" ({markdown_cell(row.status.value)})"
                cells = [
                    ident,
                    _md_join(*row.title_parts),
                    row.current.cxl,
                    markdown_cell(row.current.band),
                    row.target.cxl,
                    tolerance_word(row),
                ]
                cells += [movement_word(row)] if movement else []
                cells += [markdown_cell(appetite_label(row)), "**BREACH**" if row.in_breach else status_word(row)]
                lines.append(_md_row(cells))
        lines += ["", "## Heat map", ""]
        if target:
            lines += [markdown_cell(heatmap_target_note()), ""]
        hm = reg.heatmap
        lines.append(
            _md_row(
                ["Likelihood \\\\ Consequence"]
                + [f"{n} {markdown_cell(label)}" for n, label in enumerate(hm.consequence_labels, 1)]
            )
        )
        lines.append(_md_row(["---"] * 6))
        for row_cells in hm.rows():
            likelihood = row_cells[0].likelihood
            cells = [f"{likelihood} {markdown_cell(hm.likelihood_labels[likelihood - 1])}"]
            for cell in row_cells:
                entries = ", ".join(markdown_cell(e) for e in cell_entries(cell, target=target))
                cells.append(f"{cell.score}" + (f": **{entries}**" if entries else ""))
            lines.append(_md_row(cells))
        lines += ["", markdown_cell(_legend(reg))]
        if reg.not_shown:
            lines += ["", "Not shown (closed or merged): " + markdown_cell(", ".join(reg.not_shown))]
    return log_safe("\n".join(lines)) + "\n"


# ---------------------------------------------------------------------------
# CSV and JSON
# ---------------------------------------------------------------------------

CSV_COLUMNS = (
    "register",
    "section",
    "section_title",
    "committee",
    "id",
    "title",
    "keyword",
    "status",
    "current_consequence",
    "current_likelihood",
    "current_score",
    "current_band",
    "target_consequence",
    "target_likelihood",
    "target_score",
    "target_band",
    "tolerance",
    "appetite",
    "in_breach",
    "movement",
    "previous_score",
)


def render_csv(summary: Summary) -> str:
    """One row per risk (RFC 4180 via :mod:`csv`); no cell can run as a formula (R17)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for reg in summary.registers:
        for section in reg.sections:
            for row in section.rows:
                values: list[object] = [
                    reg.id,
                    "" if section.number is None else section.number,
                    section.title,
                    section.committee,
                    row.risk_id,
                    row.title,
                    row.title_parts[1],
                    row.status.value,
                    row.current.consequence,
                    row.current.likelihood,
                    row.current.score,
                    row.current.band,
                    row.target.consequence,
                    row.target.likelihood,
                    row.target.score,
                    row.target.band,
                    "" if row.tolerance is None else row.tolerance,
                    row.appetite,
                    "yes" if row.in_breach else "no",
                    "" if row.movement is None else row.movement.value,
                    "" if row.previous is None else row.previous.score,
                ]
                writer.writerow([csv_cell(terminal(v) if isinstance(v, str) else v) for v in values])
    return log_safe(buffer.getvalue())


def render_json(summary: Summary) -> str:
    """The stable JSON document (sorted keys, UTF-8, no NaN)."""
    return dump_json(summary.to_dict()) + "\n"


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------


def csp_for(style: str) -> str:
    """A Content-Security-Policy allowing exactly this style sheet and nothing else.

    No scripts, frames, fonts, connections or remote images; the one inline style
    sheet is allowed by its hash, so even an injected ``style`` attribute is inert.
    """
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"


def standalone_html(title: str, style: str, body: str) -> str:
    """A complete HTML document: CSP first, one inline style sheet, no external resources."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html_text(csp_for(style))}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_text(title)}</title>\n<style>{style}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def band_css(summary: Summary) -> str:
    """One class per (validated) band colour: ``.c-c62828 {background: ...}``."""
    colours = sorted(
        {s.colour for row in summary.rows for s in (row.current, row.target)}
        | {c.colour for reg in summary.registers for c in reg.heatmap.cells}
        | {b.colour for reg in summary.registers for b in reg.bands}
    )
    return "".join(f".c-{c[1:]}{{background:{c};color:{ink_for(c)}}}" for c in colours)


def html_title(row: SummaryRow) -> str:
    """The title, escaped, with its keyword in ``<strong>``."""
    before, keyword, after = row.title_parts
    text = html_text(before)
    if keyword:
        text += f"<strong>{html_text(keyword)}</strong>"
    return text + html_text(after)


def _html_score(score: Score) -> str:
    return f'<td class="score c-{score.colour[1:]}" title="{html_text(score.band)}">{html_text(score.cxl)}</td>'


def summary_table_html(reg: RegisterSummary, *, movement: bool) -> str:
    """One register's summary table, sections as spanning rows (as in the BAF paper)."""
    columns = ["BAF No.", "Risk title", "Current", "Target", "Tolerance"]
    columns += ["Movement"] if movement else []
    columns += ["Appetite", "Status"]
    parts = ['<table class="summary">', "<thead><tr>"]
    parts += [f'<th scope="col">{html_text(c)}</th>' for c in columns]
    parts.append("</tr></thead><tbody>")
    for section in reg.sections:
        parts.append(
            f'<tr class="section"><th colspan="{len(columns)}" scope="rowgroup">'
            f"{html_text(section.full_heading)}</th></tr>"
        )
        for row in section.rows:
            status = (
                "" if row.status.value == "approved" else f' <span class="status">{html_text(row.status.value)}</span>'
            )
            breach = ' class="breach"' if row.in_breach else ""
            cells = [
                f'<th scope="row" class="id">{html_text(row.risk_id)}{status}</th>',
                f'<td class="title">{html_title(row)}</td>',
                _html_score(row.current),
                _html_score(row.target),
                f'<td class="num">{html_text(tolerance_word(row))}</td>',
            ]
            if movement:
                cells.append(f'<td class="move">{html_text(movement_word(row))}</td>')
            cells.append(f'<td class="appetite">{html_text(appetite_label(row))}</td>')
            cells.append(f"<td{breach}>{html_text(status_word(row))}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)


def legend_html(reg: RegisterSummary) -> str:
    """The band legend as coloured chips."""
    chips = "".join(f'<span class="chip c-{b.colour[1:]}">{html_text(b.label)}</span>' for b in reg.bands)
    return f'<p class="legend">Bands: {chips}</p>'


SUMMARY_CSS = (
    "body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;color:#111;margin:1.5em;max-width:70em}"
    "h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.2em 0 .4em}"
    "p.meta{color:#333;margin:.2em 0 1em}"
    "table.summary{border-collapse:collapse;width:100%;table-layout:fixed}"
    "table.summary th,table.summary td{border:1px solid #999;padding:.3em .4em;vertical-align:top;"
    "text-align:left;overflow-wrap:anywhere}"
    "table.summary thead th{background:#005eb8;color:#fff}"
    "table.summary col.title,table.summary td.title{width:auto}"
    "table.summary tr.section th{background:#e8edee;font-weight:bold}"
    "table.summary th.id{width:8em}table.summary td.score{width:4.5em;text-align:center;font-weight:bold}"
    "table.summary td.num,table.summary td.move{text-align:center}"
    "table.summary thead th:nth-child(n+3){width:5.5em}"
    "td.breach{color:#b00020;font-weight:bold}.status{display:block;font-weight:normal;font-style:italic}"
    ".legend .chip{display:inline-block;padding:.1em .5em;margin:0 .3em}"
    "svg.heatmap{max-width:100%;height:auto}"
)


def render_html(summary: Summary, *, target: bool = False) -> str:
    """A standalone HTML page: the summary tables and the heat map as inline SVG."""
    movement = _has_movement(summary)
    body: list[str] = []
    for reg in summary.registers:
        body.append(f"<h1>{html_text(reg.name)}</h1>")
        body.append(f'<p class="meta">{html_text(reg.organisation)}<br>{html_text(_counts_one(summary, reg))}</p>')
        body.append(summary_table_html(reg, movement=movement))
        body.append("<h2>Heat map</h2>")
        if target:
            body.append(f"<p>{html_text(heatmap_target_note())}</p>")
        body.append(heatmap_svg(reg.heatmap, target=target, title=f"Heat map: {reg.name}"))
        body.append(legend_html(reg))
        if movement:
            body.append(f"<p>Movement since {html_text(summary.since or '')}: ↑ up · ↓ down · → same · new</p>")
        if reg.not_shown:
            body.append(f"<p>Not shown (closed or merged): {html_text(', '.join(reg.not_shown))}</p>")
    title = " · ".join(reg.name for reg in summary.registers) or "BAF summary"
    return standalone_html(f"{title}: summary", SUMMARY_CSS + band_css(summary), "\n".join(body))


__all__ = [
    "Movement",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
]
