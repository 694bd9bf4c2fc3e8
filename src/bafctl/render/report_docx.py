"""The board report as a Word document (python-docx), for packs assembled in Word.

Same content and order as the HTML report: cover, summary, heat maps, changes, a page
per risk laid out as its BAF entry, action log. A4 landscape with a running header
(register, revision, date) and page numbers.

Register text is only ever set as run text (python-docx escapes it as XML); control
characters, which XML cannot hold, are replaced by :func:`bafctl.escaping.terminal`.
No field codes, hyperlinks or formulas are made from register text, so
``=HYPERLINK(...)`` stays literal text. Deterministic: document properties carry the
report's date, and the ZIP entries are rewritten with that date as their timestamp.

Built on a trust's own .docx when one is given (``--docx-template``): its body is
cleared, its sections, headers, footers (a logo) and styles kept, and the pack's content
set in its named styles (``Heading 1``, ``List Bullet``, ``Table Grid``...); a style the
template lacks is copied from python-docx's default template. The file is checked before
python-docx reads it: a regular file, not a link, a ZIP of bounded size.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bafctl.errors import UsageError
from bafctl.escaping import display_path, one_line, terminal
from bafctl.render.report_html import ENTRY_COLUMNS, layout_for
from bafctl.render.summary import movement_word, status_word, tolerance_word
from bafctl.report import (
    LINE_NAMES,
    ActionLogEntry,
    Audience,
    GapView,
    Report,
    RiskPage,
    ThreadView,
    describe_changes,
)
from bafctl.sources.disk import read_regular
from bafctl.summary import HeatMap, RegisterSummary, Score, SummaryRow, ink_for

if TYPE_CHECKING:
    from docx.document import Document as DocumentType
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

FONT = "Arial"
BASE_PT = 8
HEADER_FILL = "#005eb8"
SECTION_FILL = "#e8edee"
USABLE_WIDTH_MM = 277
#: A risk page's head table: key (as wide as the summary's BAF No., so an id stays on one
#: line), two value columns, and the cell holding the scores.
HEAD_WIDTHS_MM = (34, 68, 68, 107)
#: The score table nested in the head's last cell: Score, Consequence, Likelihood,
#: Combined. It is narrower than that cell by the cell's padding (1.9 mm a side) and a
#: margin, so the Combined column stays inside it, and on the page.
SCORE_WIDTHS_MM = (33, 24, 20, 24)


#: The longest text a core property (title, subject, comments...) may hold: python-docx
#: refuses more, and a register name may be 600 characters.
CORE_PROPERTY_LIMIT = 255


def _t(text: str) -> str:
    # XML 1.0 cannot hold most control characters; python-docx would refuse them.
    return terminal(text)


def _core(text: str) -> str:
    """A core property's text: one line, cut to the limit with an ellipsis."""
    text = one_line(_t(text))
    if len(text) <= CORE_PROPERTY_LIMIT:
        return text
    return text[: CORE_PROPERTY_LIMIT - 1].rstrip() + "…"


def _shade(cell: _Cell, colour: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#").upper())
    properties.append(shading)


def _run(
    paragraph: Paragraph, text: str, *, bold: bool = False, italic: bool = False, colour: str | None = None
) -> Any:
    from docx.shared import RGBColor

    run = paragraph.add_run(_t(text))
    run.bold = bold or None
    run.italic = italic or None
    if colour is not None:
        run.font.color.rgb = RGBColor.from_string(colour.lstrip("#").upper())
    return run


def _cell_text(
    cell: _Cell, text: str, *, bold: bool = False, fill: str | None = None, ink: str | None = None
) -> Paragraph:
    paragraph: Paragraph = cell.paragraphs[0]
    _run(paragraph, text, bold=bold, colour=ink)
    if fill is not None:
        _shade(cell, fill)
    return paragraph


def _bullets(cell: _Cell, items: list[str] | tuple[str, ...]) -> None:
    first = True
    for item in items:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        paragraph.style = "List Bullet"
        _run(paragraph, item)


def _twips(mm: float) -> int:
    """A length in millimetres as whole twips (1/1440 inch), the unit of Word's grid."""
    return round(mm * 1440 / 25.4)


def _set_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Give ``table`` fixed column widths: in its grid, its own width and every cell.

    Word lays out a fixed table from the cells' widths, but LibreOffice reads the grid
    (``w:tblGrid``) and the table width (``w:tblW``): left at python-docx's equal
    defaults, every column came out the same width there. All three carry the same
    whole-twip figures, so the two applications lay the table out alike.
    """
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Twips

    twips = [_twips(width) for width in widths_mm]
    table.autofit = False  # w:tblLayout w:type="fixed"
    tbl = table._tbl
    properties = tbl.tblPr
    width = properties.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        properties.insert_element_before(width, "w:jc", "w:tblInd", "w:tblBorders", "w:tblLayout", "w:tblLook")
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(twips)))
    grid = tbl.tblGrid
    for column in list(grid):
        grid.remove(column)
    for value in twips:
        column = OxmlElement("w:gridCol")
        column.set(qn("w:w"), str(value))
        grid.append(column)
    for row in table.rows:
        for cell, value in zip(row.cells, twips, strict=True):
            cell.width = Twips(value)


def _table(doc: DocumentType, rows: int, widths_mm: Sequence[float]) -> Table:
    table: Table = doc.add_table(rows=rows, cols=len(widths_mm))
    table.style = "Table Grid"
    _set_widths(table, widths_mm)
    return table


def _header_row(table: Table, names: list[str]) -> None:
    for cell, name in zip(table.rows[0].cells, names, strict=True):
        _cell_text(cell, name, bold=True, fill=HEADER_FILL, ink="#ffffff")


def _score_cell(cell: _Cell, score: Score) -> None:
    _cell_text(cell, score.cxl, bold=True, fill=score.colour, ink=ink_for(score.colour))


def _title(paragraph: Paragraph, row: SummaryRow) -> None:
    before, keyword, after = row.title_parts
    _run(paragraph, before)
    if keyword:
        _run(paragraph, keyword, bold=True)
    _run(paragraph, after)


def _setup(doc: DocumentType, report: Report, *, keep_styles: bool = False) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(10)
    section.top_margin, section.bottom_margin = Mm(14), Mm(12)
    section.header_distance = section.footer_distance = Mm(6)
    if not keep_styles:  # a trust's template keeps its own fonts
        normal = doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(BASE_PT)
        normal.paragraph_format.space_after = Pt(1)
    # A trust's header and footer (a logo, a strapline) stay; the pack's lines go after them.
    header = _free_paragraph(section.header)
    audience = "PUBLIC" if report.audience is Audience.PUBLIC else "BOARD"
    _run(header, f"{report.running_header} · {audience}", colour="#425563")
    footer = _free_paragraph(section.footer)
    _run(footer, "Page ", colour="#425563")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    properties = doc.core_properties
    moment = dt.datetime(report.date.year, report.date.month, report.date.day, tzinfo=dt.UTC)
    properties.title = _core(f"{report.title}: Board Assurance Framework report")
    properties.author = _core("bafctl")
    properties.last_modified_by = _core("bafctl")
    properties.created = moment
    properties.modified = moment
    properties.last_printed = moment
    properties.revision = 1
    properties.comments = _core(f"revision {report.revision.label}")


def _free_paragraph(part: Any) -> Paragraph:
    """The header's (footer's) empty first paragraph, or a new one after what it holds."""
    paragraphs = part.paragraphs
    if len(paragraphs) == 1 and not paragraphs[0].text and not paragraphs[0]._p.xpath(".//w:drawing"):
        return paragraphs[0]  # type: ignore[no-any-return]
    return part.add_paragraph()  # type: ignore[no-any-return]


def _cover(doc: DocumentType, report: Report) -> None:
    from docx.shared import Pt

    orgs = " · ".join(sorted({r.organisation for r in report.registers}))
    _run(doc.add_paragraph(), orgs, colour="#425563").font.size = Pt(13)
    _run(doc.add_paragraph(), report.title, bold=True, colour="#005eb8").font.size = Pt(24)
    _run(doc.add_paragraph(), "Board Assurance Framework report").font.size = Pt(14)
    items = report.cover_facts
    table = _table(doc, len(items), [45, 120])
    for row, (key, value) in zip(table.rows, items, strict=True):
        _cell_text(row.cells[0], key, bold=True, fill=SECTION_FILL)
        _cell_text(row.cells[1], value)
    note = report.audience_note
    doc.add_paragraph()
    _run(doc.add_paragraph(), note)
    for reg in report.registers:
        if reg.description:
            _run(doc.add_paragraph(), reg.description)


def _summary_table(doc: DocumentType, reg: RegisterSummary, *, movement: bool) -> None:
    names = ["BAF No.", "Risk title", "Current", "Target", "Tolerance"]
    names += ["Movement"] if movement else []
    names += ["Appetite"]
    # BAF No. holds an id such as GROUP-BAF-DRAFT on one line; the title takes the rest.
    fixed = [34, 0, 20, 20, 18] + ([18] if movement else []) + [20]
    fixed[1] = USABLE_WIDTH_MM - sum(fixed)
    count = 1 + sum(1 + len(s.rows) for s in reg.sections)
    table = _table(doc, count, fixed)
    _header_row(table, names)
    index = 1
    for section in reg.sections:
        cells = table.rows[index].cells
        merged = cells[0].merge(cells[-1])
        _cell_text(merged, section.full_heading, bold=True, fill=SECTION_FILL)
        index += 1
        for row in section.rows:
            cells = table.rows[index].cells
            paragraph = _cell_text(cells[0], row.risk_id, bold=True)
            if row.status.value != "approved":
                _run(paragraph, "\n" + row.status.value, italic=True)
            _title(cells[1].paragraphs[0], row)
            _score_cell(cells[2], row.current)
            _score_cell(cells[3], row.target)
            _cell_text(cells[4], tolerance_word(row))
            column = 5
            if movement:
                _cell_text(cells[5], movement_word(row))
                column = 6
            _cell_text(cells[column], status_word(row), bold=row.in_breach, ink="#b00020" if row.in_breach else None)
            index += 1


def _heat_table(doc: DocumentType, heatmap: HeatMap, *, target: bool) -> None:
    # Wide enough for an id such as GROUP-BAF-DRAFT on one line in a cell.
    table = _table(doc, 7, [38, 35, 35, 35, 35, 35])
    for r_index, cells_row in enumerate(heatmap.rows()):
        row = table.rows[r_index].cells
        likelihood = cells_row[0].likelihood
        _cell_text(row[0], f"{likelihood} {heatmap.likelihood_labels[likelihood - 1]}", bold=True)
        for cell, heat in zip(row[1:], cells_row, strict=True):
            ink = ink_for(heat.colour)
            paragraph = _cell_text(cell, str(heat.score), fill=heat.colour, ink=ink)
            ids = heat.target if target else heat.current
            if ids:
                _run(paragraph, "\n" + "\n".join(ids), bold=True, colour=ink)
    last = table.rows[5].cells
    _cell_text(last[0], "Likelihood ↑ / Consequence →", bold=True)
    for index, label in enumerate(heatmap.consequence_labels, start=1):
        _cell_text(last[index], f"{index} {label}", bold=True)
    spare = table.rows[6]._tr
    spare.getparent().remove(spare)


def _gaps_cell(cell: _Cell, gaps: tuple[GapView, ...]) -> None:
    _bullets(cell, [g.text + (f" (actions {', '.join(g.actions)})" if g.actions else "") for g in gaps])


def _assurance_cell(cell: _Cell, thread: ThreadView) -> None:
    first = True
    for line, items in thread.assurances:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        _run(paragraph, f"{LINE_NAMES[line]}:", bold=True)
        for item in items:
            bullet = cell.add_paragraph(style="List Bullet")
            _run(bullet, item.source)
            if item.detail:
                _run(bullet, f" ({item.detail})", colour="#425563")


def _actions_cell(cell: _Cell, thread: ThreadView) -> None:
    first = True
    for action in thread.actions:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        paragraph.style = "List Bullet"
        _run(paragraph, action.text + " ")
        who = ", ".join(p for p in (action.owner, action.due.isoformat() if action.due else None) if p)
        if who:
            _run(paragraph, who + " ", bold=True)
        _run(paragraph, f"[{action.id}; ", colour="#425563")
        _run(paragraph, action.status_label, bold=action.overdue, colour="#b00020" if action.overdue else "#425563")
        _run(paragraph, "]", colour="#425563")


def _risk(doc: DocumentType, page: RiskPage) -> None:
    row = page.row
    head = _table(doc, 6, HEAD_WIDTHS_MM)
    id_cell = head.rows[0].cells[0]
    paragraph = _cell_text(id_cell, row.risk_id, bold=True, fill=HEADER_FILL, ink="#ffffff")
    if row.status.value != "approved":
        _run(paragraph, "\n" + row.status.value.upper(), bold=True, colour="#ffffff")
    title_cell = head.rows[0].cells[1].merge(head.rows[0].cells[2])
    _title(title_cell.paragraphs[0], row)
    governance = "; ".join([*page.oversight, *[g for g in page.governance if g not in page.oversight]])
    facts = [
        ("Date", f"Included {page.date_included.isoformat()}", f"Last updated {page.last_updated.isoformat()}"),
        ("Strategic link", page.strategic_link + (f" ({page.section})" if page.section else ""), None),
        ("Governance", governance, None),
        ("Executive lead", page.lead, None),
        ("Context", page.context or "", None),
    ]
    for index, (key, value, more) in enumerate(facts, start=1):
        cells = head.rows[index].cells
        _cell_text(cells[0], key, bold=True, fill=SECTION_FILL)
        if more is None:
            _cell_text(cells[1].merge(cells[2]), value)
        else:
            _cell_text(cells[1], value)
            _cell_text(cells[2], more)
    scores_cell = head.rows[0].cells[3].merge(head.rows[5].cells[3])
    _scores(scores_cell, page)
    doc.add_paragraph()
    if not page.threads:
        _run(doc.add_paragraph(), "No causes or effects are recorded for this risk.")
    else:
        widths = [USABLE_WIDTH_MM * w / 100 for w in layout_for(page).widths]
        table = _table(doc, 1 + 2 * len(page.threads), widths)
        _header_row(table, [name for name, _width in ENTRY_COLUMNS])
        for index, thread in enumerate(page.threads):
            cells = table.rows[1 + 2 * index].cells
            _cell_text(cells[0].merge(cells[-1]), f"{thread.kind}: {thread.description}", bold=True, fill=SECTION_FILL)
            cells = table.rows[2 + 2 * index].cells
            _bullets(cells[0], thread.controls)
            _gaps_cell(cells[1], thread.control_gaps)
            _assurance_cell(cells[2], thread)
            _gaps_cell(cells[3], thread.assurance_gaps)
            _actions_cell(cells[4], thread)
            first = True
            for note in thread.progress:
                paragraph = cells[5].paragraphs[0] if first else cells[5].add_paragraph()
                first = False
                _run(paragraph, note)
    extras = []
    if page.related_risks:
        extras.append(f"Related risks: {', '.join(page.related_risks)}")
    if page.operational_risks:
        extras.append(f"Operational risks: {', '.join(page.operational_risks)}")
    if page.notes:
        extras.append(f"Notes: {page.notes}")
    for extra in extras:
        _run(doc.add_paragraph(), extra)


def _scores(cell: _Cell, page: RiskPage) -> None:
    table = cell.add_table(rows=5, cols=4)
    table.style = "Table Grid"
    _set_widths(table, SCORE_WIDTHS_MM)
    _header_row(table, ["Score", "Consequence", "Likelihood", "Combined"])
    target = " (by " + page.target_date.isoformat() + ")" if page.target_date else ""
    for table_row, (name, score) in zip(
        table.rows[1:4],
        (("Initial risk", page.initial), ("Current risk", page.current), (f"Target risk{target}", page.target)),
        strict=True,
    ):
        _cell_text(table_row.cells[0], name, bold=True, fill=SECTION_FILL)
        _cell_text(table_row.cells[1], str(score.consequence))
        _cell_text(table_row.cells[2], str(score.likelihood))
        _cell_text(
            table_row.cells[3], f"{score.score} {score.band}", bold=True, fill=score.colour, ink=ink_for(score.colour)
        )
    last = table.rows[4].cells
    appetite = last[0].merge(last[3])
    paragraph = _cell_text(appetite, page.appetite_label, bold=True)
    row = page.row
    if row.in_breach and row.tolerance is not None:
        over = row.current.score - row.tolerance
        _run(
            paragraph,
            f"\nBREACH: current score {row.current.score} is above tolerance {row.tolerance} by {over}",
            bold=True,
            colour="#b00020",
        )
    if page.tolerance_reason:
        _run(paragraph, f"\nTolerance override: {page.tolerance_reason}")
    # A table added to a cell follows the cell's empty first paragraph; keep it tidy.
    if not cell.paragraphs[0].text:
        first = cell.paragraphs[0]._p
        first.getparent().remove(first)


def _log(doc: DocumentType, heading: str, entries: tuple[ActionLogEntry, ...]) -> None:
    doc.add_heading(_t(heading), level=2)
    if not entries:
        _run(doc.add_paragraph(), "None.")
        return
    table = _table(doc, 1 + len(entries), [30, 34, 120, 45, 22, 26])
    _header_row(table, ["Risk", "Action ID", "Action", "Lead", "Due", "Status"])
    for row, entry in zip(table.rows[1:], entries, strict=True):
        action = entry.action
        values = [
            entry.risk_id,
            action.id,
            action.text,
            action.owner or "",
            action.due.isoformat() if action.due else "",
        ]
        for cell, value in zip(row.cells, values, strict=False):
            _cell_text(cell, value)
        _cell_text(row.cells[5], action.status_label, bold=action.overdue, ink="#b00020" if action.overdue else None)


def _page_break(doc: DocumentType) -> None:
    doc.add_page_break()  # type: ignore[no-untyped-call]


#: The styles the pack's content is set in: copied from python-docx's default template
#: when a trust's template lacks one.
PACK_STYLES = ("Normal", "Table Grid", "List Bullet", "List Bullet 2", "Heading 1", "Heading 2", "Title")
#: Limits on a trust's .docx template: the file, what it unpacks to, and its entries.
MAX_TEMPLATE_BYTES = 20 << 20
MAX_TEMPLATE_UNPACKED = 100 << 20
MAX_TEMPLATE_ENTRIES = 2000


def read_docx_template(path: Path) -> bytes:
    """A trust's .docx template, checked: a regular file, not a link, a bounded ZIP with a document.

    Any problem is a :class:`~bafctl.errors.UsageError` (one line, exit 2).
    """
    shown = display_path(path)
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            raise UsageError(f"{shown}: the Word template may not be a symbolic link")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{shown}: the Word template must be a regular file")
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise UsageError(f"{shown}: the Word template may be at most {MAX_TEMPLATE_BYTES >> 20} MB")
        data = read_regular(path, MAX_TEMPLATE_BYTES)  # a FIFO swapped in meanwhile is refused
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read the Word template: {exc.strerror or exc}") from None
    if len(data) > MAX_TEMPLATE_BYTES:
        raise UsageError(f"{shown}: the Word template may be at most {MAX_TEMPLATE_BYTES >> 20} MB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise UsageError(f"{shown}: not a Word document (.docx)") from None
    if len(entries) > MAX_TEMPLATE_ENTRIES or sum(e.file_size for e in entries) > MAX_TEMPLATE_UNPACKED:
        raise UsageError(f"{shown}: the Word template unpacks to too much (at most {MAX_TEMPLATE_UNPACKED >> 20} MB)")
    if "word/document.xml" not in {e.filename for e in entries}:
        raise UsageError(f"{shown}: not a Word document (.docx): it has no word/document.xml")
    return data


def _open_template(path: Path) -> DocumentType:
    from docx import Document
    from docx.opc.exceptions import OpcError

    data = read_docx_template(path)
    try:
        doc = Document(io.BytesIO(data))
        _ensure_styles(doc)
    # python-docx and lxml raise these on a broken package (XML errors are SyntaxErrors).
    except (OpcError, KeyError, ValueError, TypeError, AttributeError, SyntaxError, zipfile.BadZipFile) as exc:
        raise UsageError(one_line(f"{display_path(path)}: not a usable Word template: {exc}")) from None
    body = doc.element.body
    # Clear the body but keep its last section properties (page setup, headers, footers).
    keep = body.sectPr
    for child in list(body):
        if child is not keep:
            body.remove(child)
    return doc


def _ensure_styles(doc: DocumentType) -> None:
    """Copy from python-docx's default template each pack style (and its bases) the document lacks."""
    from docx import Document
    from docx.oxml.ns import qn

    names = {style.name for style in doc.styles}
    if all(name in names for name in PACK_STYLES):
        return
    default = Document()
    by_name = {style.name: style for style in default.styles}
    by_id = {style.style_id: style for style in default.styles}
    wanted = [name for name in PACK_STYLES if name not in names]
    while wanted:
        name = wanted.pop()
        if name in names or name not in by_name:
            continue
        element = by_name[name].element
        doc.styles.element.append(copy.deepcopy(element))
        names.add(name)
        for link in ("w:basedOn", "w:next", "w:link"):
            ref = element.find(qn(link))
            base = by_id.get(ref.get(qn("w:val"))) if ref is not None else None
            if base is not None and base.name not in names:
                wanted.append(base.name)


def render_report_docx(report: Report, template: Path | None = None) -> bytes:
    """The report as a .docx file's bytes, identical for identical input.

    ``template``: a trust's .docx to build the pack on (its styles, headers, footers).
    """
    from docx import Document

    doc = Document() if template is None else _open_template(template)
    _setup(doc, report, keep_styles=template is not None)
    _cover(doc, report)
    movement = report.since is not None
    _page_break(doc)
    doc.add_heading("Summary", level=1)
    for reg in report.summary.registers:
        if len(report.summary.registers) > 1:
            doc.add_heading(_t(reg.name), level=2)
        _summary_table(doc, reg, movement=movement)
        if reg.not_shown:
            _run(doc.add_paragraph(), "Not shown (closed or merged): " + ", ".join(reg.not_shown))
    if movement:
        _run(doc.add_paragraph(), f"Movement since {report.since}: ↑ up · ↓ down · → same · new")
    _page_break(doc)
    doc.add_heading("Heat map", level=1)
    for reg in report.summary.registers:
        for caption, target in (("Current position", False), ("Target position", True)):
            doc.add_heading(_t(f"{caption}: {reg.name}"), level=2)
            _heat_table(doc, reg.heatmap, target=target)
        _run(doc.add_paragraph(), "Bands: " + " · ".join(b.label for b in reg.bands))
    if report.changes is not None:
        _page_break(doc)
        doc.add_heading(_t(f"Changes since {report.since}"), level=1)
        items = describe_changes(report.changes)
        if not items:
            _run(doc.add_paragraph(), "No changes to the registers.")
        for item in items:
            paragraph = doc.add_paragraph(style="List Bullet")
            _run(paragraph, item.subject + " ", bold=True)
            _run(paragraph, item.headline)
            for detail in item.details:
                _run(doc.add_paragraph(style="List Bullet 2"), detail)
    for page in report.risks:
        _page_break(doc)
        _risk(doc, page)
    _page_break(doc)
    doc.add_heading("Action log", level=1)
    log = report.action_log
    _log(doc, f"Overdue on {report.date.isoformat()} ({len(log.overdue)})", log.overdue)
    _log(doc, f"Due by {log.horizon.isoformat()} ({len(log.due_soon)})", log.due_soon)
    if log.completed is not None:
        _log(doc, f"Completed since {report.since} ({len(log.completed)})", log.completed)
    buffer = io.BytesIO()
    doc.save(buffer)
    return stable_zip(buffer.getvalue(), report.date)


def stable_zip(data: bytes, date: dt.date) -> bytes:
    """The same ZIP with every entry stamped ``date`` (python-docx stamps the clock time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            out.writestr(entry, source.read(info.filename))
    return target.getvalue()
