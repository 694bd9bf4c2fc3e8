"""The board report as one self-contained HTML file, designed to be printed.

A4 landscape, one printed page per section: cover, summary, heat maps, changes since
``--since`` (when given), a page per risk laid out as the BAF entry of the Group BAF
pack (reference paper 003), and the action log. Every page carries a running header
with the register, revision and date (CSS page-margin boxes) and a page number.

Safe by construction (docs/reliability.md R18): every register value passes through
:func:`bafctl.escaping.html_text`; colours are validated ``#rrggbb``; the running
header is written as a CSS string with every character but letters, digits and spaces
hex-escaped; a Content-Security-Policy ``<meta>`` allows only this file's own style
sheet (by hash): no scripts, frames, fonts or network. Deterministic: no clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from bafctl.escaping import html_text
from bafctl.render.heatmap import axis_legend, heatmap_svg
from bafctl.render.summary import band_css, legend_html, standalone_html, summary_table_html
from bafctl.report import (
    LINE_NAMES,
    ActionLogEntry,
    ActionView,
    Audience,
    GapView,
    Report,
    RiskPage,
    ThreadView,
    describe_changes,
)
from bafctl.summary import Score

#: Column widths of the BAF entry table, as in the Group BAF pack (sum 100%).
ENTRY_COLUMNS = (
    ("Control", 17),
    ("Control gaps", 13),
    ("Sources of assurance", 22),
    ("Assurance gaps", 13),
    ("Actions", 22),
    ("Progress", 13),
)

REPORT_CSS = """
@page{size:A4 landscape;margin:13mm 10mm 11mm 10mm;
@top-left{content:%(header)s;font:7.5pt Arial,Helvetica,sans-serif;color:#425563;
vertical-align:bottom;padding-bottom:2mm}
@top-right{content:%(audience)s;font:bold 7.5pt Arial,Helvetica,sans-serif;color:#425563;
vertical-align:bottom;padding-bottom:2mm}
@bottom-right{content:"Page " counter(page) " of " counter(pages);font:7.5pt Arial,Helvetica,sans-serif;
color:#425563}}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-family:Arial,Helvetica,sans-serif;font-size:8pt;line-height:1.22;color:#111;margin:0}
section.page{break-after:page;page-break-after:always;width:100%%}
section.page:last-of-type{break-after:auto;page-break-after:auto}
h1{font-size:15pt;margin:0 0 3mm;color:#005eb8}h2{font-size:10pt;margin:3mm 0 1.5mm;color:#005eb8}
p{margin:0 0 1.2mm}
ul{margin:0;padding-left:3.2mm}li{margin:0 0 .6mm}
table{border-collapse:collapse;width:100%%;table-layout:fixed}
th,td{border:.6pt solid #768692;padding:.8mm 1.1mm;vertical-align:top;text-align:left;
overflow-wrap:anywhere;word-break:normal}
thead th{background:#005eb8;color:#fff}
.cover{padding-top:25mm}
.cover .org{font-size:13pt;color:#425563;margin-bottom:4mm}
.cover h1{font-size:26pt}
.cover .kind{font-size:15pt;margin-bottom:9mm}
.cover table{width:60%%;font-size:10pt}.cover th{width:32%%;background:#e8edee}
.cover .note{margin-top:6mm;font-size:9pt;width:60%%}
table.summary{font-size:8pt}
table.summary thead th:nth-child(1){width:30mm}table.summary td.score{text-align:center;font-weight:bold}
table.summary thead th:nth-child(2){width:auto}
table.summary thead th:nth-child(n+3){width:19mm}
table.summary tr.section th{background:#e8edee}
table.summary .status{display:block;font-weight:normal;font-style:italic}
td.breach,span.breach{color:#b00020;font-weight:bold}
td.num,td.move{text-align:center}
.maps{display:flex;gap:6mm;align-items:flex-start}.maps figure{margin:0;flex:1 1 0;min-width:0}
.maps figcaption{font-weight:bold;font-size:9pt;margin-bottom:1mm}
svg.heatmap{width:100%%;height:auto;max-height:150mm}
.legend .chip{display:inline-block;padding:.3mm 1.5mm;margin:0 1mm}
table.head{margin-bottom:2mm}
table.head th{background:#e8edee}table.head col.k{width:30mm}table.head col.s{width:42%%}
table.head td.title{font-size:1.25em}
table.head th.riskid{background:#005eb8;color:#fff;font-size:1.1em}
table.scores th,table.scores td{text-align:center}table.scores thead th{background:#005eb8;color:#fff}
table.scores th:first-child{text-align:left;width:26%%}
table.scores td.appetite{text-align:left;font-weight:bold}
td.scores{padding:0;border:0}

table.entry tr.thread th{background:#e8edee;font-weight:bold}
.line{font-weight:bold;margin-top:.6mm}
.detail{color:#425563}
.action .who{font-weight:bold}
.overdue{color:#b00020;font-weight:bold}
.links{color:#425563}
.meta{margin-top:2mm}
table.log{margin-bottom:3mm}
table.log th:nth-child(1){width:24mm}table.log th:nth-child(2){width:28mm}
table.log th:nth-child(4){width:38mm}table.log th:nth-child(5){width:20mm}table.log th:nth-child(6){width:22mm}
ul.changes>li{margin-bottom:1.5mm}
@media screen{body{background:#d0d5d8;padding:6mm 0}
section.page{width:297mm;max-width:100%%;min-height:210mm;margin:0 auto 6mm;background:#fff;padding:12mm 10mm;
box-shadow:0 1px 4px #0004;overflow-x:auto}}
@media screen and (max-width:900px){body{padding:0}section.page{padding:4mm 3mm;margin-bottom:3mm}}
"""


def css_string(text: str) -> str:
    """A CSS string literal holding ``text``: all but ASCII letters and digits escaped.

    Used for the running header (CSS ``content``): nothing in a register name can end the
    string, the rule or the style element.
    """
    # Six hex digits then a space: the space ends the escape (and is consumed by it), so
    # the next character, even a space or a hex digit, is read as itself.
    return '"' + "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x} " for ch in text) + '"'


def multiline(text: str) -> str:
    """Escaped text with its line breaks kept (block scalars hold paragraphs)."""
    return "<br>".join(html_text(line) for line in text.strip("\n").split("\n"))


def _items(values: list[str] | tuple[str, ...]) -> str:
    if not values:
        return ""
    return "<ul>" + "".join(f"<li>{multiline(v)}</li>" for v in values) + "</ul>"


def _gaps(gaps: tuple[GapView, ...]) -> str:
    if not gaps:
        return ""
    parts = []
    for gap in gaps:
        link = f' <span class="links">(actions {html_text(", ".join(gap.actions))})</span>' if gap.actions else ""
        parts.append(f"<li>{multiline(gap.text)}{link}</li>")
    return "<ul>" + "".join(parts) + "</ul>"


def _action(action: ActionView) -> str:
    who = ", ".join(p for p in (action.owner, action.due.isoformat() if action.due else None) if p)
    status = html_text(action.status_label)
    status_html = f'<span class="overdue">{status}</span>' if action.overdue else status
    return (
        f'<li class="action">{multiline(action.text)} '
        f'<span class="who">{html_text(who)}</span> '
        f'<span class="detail">[{html_text(action.id)}; {status_html}]</span></li>'
    )


def _assurances(thread: ThreadView) -> str:
    parts: list[str] = []
    for line, items in thread.assurances:
        parts.append(f'<p class="line">{html_text(LINE_NAMES[line])}:</p><ul>')
        for item in items:
            detail = f' <span class="detail">({html_text(item.detail)})</span>' if item.detail else ""
            parts.append(f"<li>{multiline(item.source)}{detail}</li>")
        parts.append("</ul>")
    return "".join(parts)


def _score_row(name: str, score: Score, extra: str = "") -> str:
    colour = f"c-{score.colour[1:]}"
    return (
        f"<tr><th>{html_text(name)}{extra}</th><td>{score.consequence}</td><td>{score.likelihood}</td>"
        f'<td class="{colour}"><strong>{score.score}</strong> {html_text(score.band)}</td></tr>'
    )


# ---------------------------------------------------------------------------
# Fitting a risk on one printed page
# ---------------------------------------------------------------------------

#: Printable area of A4 landscape inside the @page margins, in millimetres.
PAGE_WIDTH_MM = 277.0
PAGE_HEIGHT_MM = 186.0
#: Font sizes tried for a risk page, largest first (tenths of a point).
FONT_SIZES = (75, 70, 65, 60, 55)
_PT_MM = 0.3528
_CHAR_EM = 0.5  # Arial's average advance for English text, in ems
_LINE_EM = 1.22  # body line-height
_CELL_PAD_MM = 2.4  # padding and border of a table cell
_BULLET_MM = 3.4  # list indent
_ITEM_GAP_MM = 0.6  # space after a list item


@dataclass(frozen=True)
class PageLayout:
    """How a risk page is set: its font size and the widths of the entry's six columns."""

    font_tenths: int
    widths: tuple[float, ...]
    """Percentages of the page width, one per :data:`ENTRY_COLUMNS` column (sum 100)."""
    estimated_mm: float
    """Estimated height of the page's content at that font size."""


def _column_items(thread: ThreadView) -> list[list[tuple[str, bool]]]:
    """Each column's paragraphs as ``(text, bulleted)``, as :func:`risk_page_html` prints them."""
    gaps = [
        [(g.text + (f" (actions {', '.join(g.actions)})" if g.actions else ""), True) for g in gap_list]
        for gap_list in (thread.control_gaps, thread.assurance_gaps)
    ]
    assurance: list[tuple[str, bool]] = []
    for line, items in thread.assurances:
        assurance.append((LINE_NAMES[line] + ":", False))
        assurance += [(a.source + (f" ({a.detail})" if a.detail else ""), True) for a in items]
    actions = [
        (f"{a.text} {a.owner or ''} {a.due.isoformat() if a.due else ''} [{a.id}; {a.status_label}]", True)
        for a in thread.actions
    ]
    return [
        [(c, True) for c in thread.controls],
        gaps[0],
        assurance,
        gaps[1],
        actions,
        [(p, False) for p in thread.progress],
    ]


def _lines(text: str, width_mm: float, size_pt: float) -> int:
    per_line = max(1, int(width_mm / (_CHAR_EM * size_pt * _PT_MM)))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _column_height(items: list[tuple[str, bool]], width_mm: float, size_pt: float) -> float:
    line = _LINE_EM * size_pt * _PT_MM
    height = 0.0
    for text, bulleted in items:
        usable = width_mm - _CELL_PAD_MM - (_BULLET_MM if bulleted else 0)
        height += _lines(text, usable, size_pt) * line + _ITEM_GAP_MM
    return height + _CELL_PAD_MM


def _entry_widths(page: RiskPage) -> tuple[float, ...]:
    # Give each column a share of the width in proportion to its text, so the columns
    # end at about the same height (the paper's fixed widths leave tall, thin columns).
    chars = [0.0] * len(ENTRY_COLUMNS)
    for thread in page.threads:
        for index, items in enumerate(_column_items(thread)):
            chars[index] += sum(len(text) + 12 for text, _bulleted in items)
    total = sum(chars) or 1.0
    shares = [min(max(c / total, 0.08), 0.32) for c in chars]
    scale = 100.0 / sum(shares)
    widths = [round(share * scale, 1) for share in shares]
    widths[-1] = round(100.0 - sum(widths[:-1]), 1)
    return tuple(widths)


def estimate_height(page: RiskPage, widths: tuple[float, ...], size_pt: float) -> float:
    """Estimated height in millimetres of a risk page set at ``size_pt``."""
    line = _LINE_EM * size_pt * _PT_MM
    row = line + _CELL_PAD_MM
    left_mm = PAGE_WIDTH_MM * 0.58 - 30
    head = _lines(page.row.title, left_mm - _CELL_PAD_MM, size_pt * 1.25) * line * 1.25 + _CELL_PAD_MM
    governance = "; ".join((*page.oversight, *page.governance))
    for text in (page.strategic_link + page.section, governance, page.lead, page.context or ""):
        head += _lines(text, left_mm - _CELL_PAD_MM, size_pt) * line + _CELL_PAD_MM
    head += row  # dates
    scores = 4 * row + _lines(page.appetite_label + (page.tolerance_reason or ""), PAGE_WIDTH_MM * 0.42, size_pt) * line
    height = max(head, scores + row) + 2.0
    height += row  # the entry table's header
    for thread in page.threads:
        height += _lines(thread.description, PAGE_WIDTH_MM - _CELL_PAD_MM, size_pt) * line + _CELL_PAD_MM
        height += max(
            _column_height(items, PAGE_WIDTH_MM * width / 100, size_pt)
            for items, width in zip(_column_items(thread), widths, strict=True)
        )
    extras = len(page.related_risks) > 0, len(page.operational_risks) > 0, page.notes is not None
    height += sum(extras) * line + (_lines(page.notes, PAGE_WIDTH_MM, size_pt) * line if page.notes else 0)
    return height


def layout_for(page: RiskPage) -> PageLayout:
    """The largest font size at which the risk's entry is estimated to fit one page."""
    widths = _entry_widths(page)
    budget = PAGE_HEIGHT_MM * 0.92  # the estimate is rough: keep a margin
    estimate = 0.0
    for tenths in FONT_SIZES:
        estimate = estimate_height(page, widths, tenths / 10)
        if estimate <= budget:
            return PageLayout(tenths, widths, estimate)
    return PageLayout(FONT_SIZES[-1], widths, estimate)


def layout_css(index: int, layout: PageLayout) -> str:
    """The style rules for the ``index``-th risk page (classes, never data, in selectors)."""
    rules = [f".r{index}{{font-size:{layout.font_tenths / 10:.1f}pt}}"]
    rules += [
        f".r{index} table.entry th:nth-child({column}){{width:{width:.1f}%}}"
        for column, width in enumerate(layout.widths, start=1)
    ]
    return "".join(rules)


def risk_page_html(page: RiskPage, index: int = 0) -> str:
    """One risk's page, laid out as its BAF entry (``index`` names its layout class)."""
    row = page.row
    before, keyword, after = row.title_parts
    title = html_text(before) + (f"<strong>{html_text(keyword)}</strong>" if keyword else "") + html_text(after)
    status = "" if row.status.value == "approved" else f"<br>{html_text(row.status.value.upper())}"
    target_date = f" (by {page.target_date.isoformat()})" if page.target_date else ""
    breach = ""
    if row.in_breach and row.tolerance is not None:
        breach = (
            f'<br><span class="breach">BREACH: current score {row.current.score} is above tolerance '
            f"{row.tolerance} by {row.current.score - row.tolerance}</span>"
        )
    reason = f"<br>Tolerance override: {multiline(page.tolerance_reason)}" if page.tolerance_reason else ""
    governance = "; ".join([*page.oversight, *[g for g in page.governance if g not in page.oversight]])
    scores = (
        '<table class="scores"><thead><tr><th>Score</th><th>Consequence</th><th>Likelihood</th><th>Combined</th>'
        "</tr></thead><tbody>"
        + _score_row("Initial risk", page.initial)
        + _score_row("Current risk", page.current)
        + _score_row("Target risk", page.target, html_text(target_date))
        + f'<tr><td colspan="4" class="appetite">{html_text(page.appetite_label)}{breach}{reason}</td></tr>'
        + "</tbody></table>"
    )
    head_rows = [
        f'<tr><th class="riskid">{html_text(row.risk_id)}{status}</th>'
        f'<td class="title" colspan="2">{title}</td><td class="scores" rowspan="6">{scores}</td></tr>',
        f"<tr><th>Date</th><td>Included {html_text(page.date_included.isoformat())}</td>"
        f"<td>Last updated {html_text(page.last_updated.isoformat())}</td></tr>",
        f'<tr><th>Strategic link</th><td colspan="2">{html_text(page.strategic_link)}'
        + (f" ({html_text(page.section)})" if page.section else "")
        + "</td></tr>",
        f'<tr><th>Governance</th><td colspan="2">{html_text(governance)}</td></tr>',
        f'<tr><th>Executive lead</th><td colspan="2">{html_text(page.lead)}</td></tr>',
        f'<tr><th>Context</th><td colspan="2">{multiline(page.context) if page.context else ""}</td></tr>',
    ]
    head = '<table class="head"><colgroup><col class="k"><col><col><col class="s"></colgroup>'
    parts = [
        f'<section class="page risk r{index}" id="risk-{index}" data-risk="{html_text(row.risk_id)}">',
        head + "<tbody>" + "".join(head_rows) + "</tbody></table>",
    ]
    if page.threads:
        parts.append('<table class="entry"><thead><tr>')
        parts += [f"<th>{html_text(name)}</th>" for name, _width in ENTRY_COLUMNS]
        parts.append("</tr></thead>")
        for thread in page.threads:
            parts.append(
                f'<tbody><tr class="thread"><th colspan="6">{html_text(thread.kind)}: {multiline(thread.description)}'
                "</th></tr><tr>"
                f"<td>{_items(thread.controls)}</td>"
                f"<td>{_gaps(thread.control_gaps)}</td>"
                f"<td>{_assurances(thread)}</td>"
                f"<td>{_gaps(thread.assurance_gaps)}</td>"
                f"<td><ul>{''.join(_action(a) for a in thread.actions)}</ul></td>"
                f"<td>{''.join(f'<p>{multiline(p)}</p>' for p in thread.progress)}</td>"
                "</tr></tbody>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>No causes or effects are recorded for this risk.</p>")
    links = []
    if page.related_risks:
        links.append(f"Related risks: {html_text(', '.join(page.related_risks))}")
    if page.operational_risks:
        links.append(f"Operational risks: {html_text(', '.join(page.operational_risks))}")
    if page.notes:
        links.append(f"Notes: {multiline(page.notes)}")
    if links:
        parts.append('<p class="meta">' + "<br>".join(links) + "</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _cover(report: Report) -> str:
    registers = report.registers
    orgs = sorted({r.organisation for r in registers})
    audience = report.audience_note
    table = "".join(f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>" for k, v in report.cover_facts)
    descriptions = "".join(f'<p class="note">{multiline(r.description)}</p>' for r in registers if r.description)
    return (
        '<section class="page cover" id="cover">'
        f'<p class="org">{html_text(" · ".join(orgs))}</p>'
        f"<h1>{html_text(report.title)}</h1>"
        '<p class="kind">Board Assurance Framework report</p>'
        f"<table><tbody>{table}</tbody></table>"
        f'<p class="note">{html_text(audience)}</p>{descriptions}'
        "</section>"
    )


def _summary(report: Report) -> str:
    movement = report.since is not None
    parts = ['<section class="page summary" id="summary"><h1>Summary</h1>']
    for reg in report.summary.registers:
        if len(report.summary.registers) > 1:
            parts.append(f"<h2>{html_text(reg.name)}</h2>")
        parts.append(summary_table_html(reg, movement=movement))
        if reg.not_shown:
            parts.append(f"<p>Not shown (closed or merged): {html_text(', '.join(reg.not_shown))}</p>")
    if movement:
        parts.append(f"<p>Movement since {html_text(report.since or '')}: ↑ up · ↓ down · → same · new</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _heatmaps(report: Report) -> str:
    parts = ['<section class="page heatmaps" id="heatmap"><h1>Heat map</h1>']
    for reg in report.summary.registers:
        if len(report.summary.registers) > 1:
            parts.append(f"<h2>{html_text(reg.name)}</h2>")
        parts.append('<div class="maps">')
        for caption, only_target in (("Current position", False), ("Target position", True)):
            svg = heatmap_svg(reg.heatmap, target_only=only_target, title=f"{caption}: {reg.name}")
            parts.append(f"<figure><figcaption>{html_text(caption)}</figcaption>{svg}</figure>")
        parts.append("</div>")
        parts.append(f"<p>{html_text(axis_legend(reg.heatmap))}</p>")
        parts.append(legend_html(reg))
    parts.append("</section>")
    return "\n".join(parts)


def _changes(report: Report) -> str:
    if report.changes is None:
        return ""
    items = describe_changes(report.changes)
    parts = [f'<section class="page changes" id="changes"><h1>Changes since {html_text(report.since or "")}</h1>']
    if not items:
        parts.append("<p>No changes to the registers.</p>")
    else:
        parts.append('<ul class="changes">')
        for item in items:
            details = "".join(f"<li>{html_text(d)}</li>" for d in item.details)
            parts.append(
                f"<li><strong>{html_text(item.subject)}</strong> {html_text(item.headline)}"
                + (f"<ul>{details}</ul>" if details else "")
                + "</li>"
            )
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _log_table(entries: tuple[ActionLogEntry, ...]) -> str:
    if not entries:
        return "<p>None.</p>"
    head = "".join(f"<th>{h}</th>" for h in ("Risk", "Action ID", "Action", "Lead", "Due", "Status"))
    rows = []
    for entry in entries:
        a = entry.action
        status = html_text(a.status_label)
        status_class = ' class="overdue"' if a.overdue else ""
        rows.append(
            f"<tr><td>{html_text(entry.risk_id)}</td><td>{html_text(a.id)}</td><td>{multiline(a.text)}</td>"
            f"<td>{html_text(a.owner or '')}</td><td>{html_text(a.due.isoformat() if a.due else '')}</td>"
            f"<td{status_class}>{status}</td></tr>"
        )
    return f'<table class="log"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _action_log(report: Report) -> str:
    log = report.action_log
    parts = [
        '<section class="page action-log" id="action-log"><h1>Action log</h1>',
        f"<h2>Overdue on {html_text(report.date.isoformat())} ({len(log.overdue)})</h2>",
        _log_table(log.overdue),
        f"<h2>Due by {html_text(log.horizon.isoformat())} ({len(log.due_soon)})</h2>",
        _log_table(log.due_soon),
    ]
    if log.completed is not None:
        parts += [
            f"<h2>Completed since {html_text(report.since or '')} ({len(log.completed)})</h2>",
            _log_table(log.completed),
        ]
    parts.append("</section>")
    return "\n".join(parts)


#: Stands for the body in the document's frame; register text cannot hold a NUL (yamlio refuses it).
_BODY_MARK = "\0body\0"


def render_report_html(report: Report) -> str:
    """The whole report as one HTML document (UTF-8 text), identical for identical input."""
    return "".join(report_html_chunks(report))


def report_html_chunks(report: Report) -> Iterator[str]:
    """The report's HTML a page at a time: joined, exactly :func:`render_report_html`.

    A 5,000-risk report is 50 MB of HTML; written chunk by chunk it never exists whole
    in memory (with the pieces it was joined from, that peak was about 250 MB).
    """
    audience = "PUBLIC" if report.audience is Audience.PUBLIC else "BOARD"
    style = REPORT_CSS % {"header": css_string(report.running_header), "audience": css_string(audience)}
    style += "".join(f"table.entry th:nth-child({i}){{width:{w}%}}" for i, (_n, w) in enumerate(ENTRY_COLUMNS, 1))
    style += "".join(layout_css(index, layout_for(page)) for index, page in enumerate(report.risks, start=1))
    style += band_css(report.summary)
    head, tail = standalone_html(report.running_header, style, _BODY_MARK).split(_BODY_MARK)
    yield head
    first = True
    parts = itertools.chain(
        (_cover(report), _summary(report), _heatmaps(report), _changes(report)),
        (risk_page_html(page, index) for index, page in enumerate(report.risks, start=1)),
        (_action_log(report),),
    )
    for part in parts:
        if part:
            yield part if first else "\n" + part
            first = False
    yield tail
