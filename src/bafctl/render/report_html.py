"""The board report as one self-contained HTML file, designed to be printed.

A4 landscape, one printed page per section: cover, summary, heat maps, changes since
``--since`` (when given), a page per risk laid out as the BAF entry of the Group BAF
pack (reference paper 003), and the action log. Every page carries a running header
with the register, revision and date (CSS page-margin boxes) and a page number.

The pages are Jinja templates (``templates/report/*.j2``, package data) that a trust
may override with its own (``bafctl report --template-dir DIR``): they run in Jinja's
immutable sandbox, so a template from a register repository cannot reach Python's
internals, change a value or read a file. The layout arithmetic (font size and column
widths per risk page) and the lists inside the entry's cells stay in Python.

Safe by construction (docs/reliability.md R18): every register value a template prints
passes through :func:`bafctl.escaping.html_text` (the environment's ``finalize``, then
Jinja's autoescape, which leaves bafctl's escaped text and HTML, as ``Markup``, alone);
colours are validated ``#rrggbb``; the running header is written as a CSS string with
every character but letters, digits and spaces hex-escaped; a Content-Security-Policy
``<meta>`` allows only this file's own style sheet (by hash): no scripts, frames, fonts
or network. Deterministic: no clock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from bafctl.errors import UsageError
from bafctl.escaping import display_path, html_text, one_line
from bafctl.render.heatmap import axis_legend, heatmap_svg
from bafctl.render.summary import band_css, csp_for, legend_html, summary_table_html
from bafctl.report import (
    LINE_NAMES,
    ActionView,
    Audience,
    GapView,
    Report,
    RiskPage,
    ThreadView,
    describe_changes,
)
from bafctl.sources.disk import read_regular
from bafctl.summary import HeatMap, RegisterSummary

#: Column widths of the BAF entry table, as in the Group BAF pack (sum 100%).
ENTRY_COLUMNS = (
    ("Control", 17),
    ("Control gaps", 13),
    ("Sources of assurance", 22),
    ("Assurance gaps", 13),
    ("Actions", 22),
    ("Progress", 13),
)


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


def bullets_html(values: list[str] | tuple[str, ...]) -> str:
    """Paragraphs as a bulleted list, each escaped with its line breaks kept."""
    if not values:
        return ""
    return "<ul>" + "".join(f"<li>{multiline(v)}</li>" for v in values) + "</ul>"


def gaps_html(gaps: tuple[GapView, ...]) -> str:
    """Control or assurance gaps as a bulleted list, each with the actions that close it."""
    if not gaps:
        return ""
    parts = []
    for gap in gaps:
        link = f' <span class="links">(actions {html_text(", ".join(gap.actions))})</span>' if gap.actions else ""
        parts.append(f"<li>{multiline(gap.text)}{link}</li>")
    return "<ul>" + "".join(parts) + "</ul>"


def action_html(action: ActionView) -> str:
    """One action as a list item: text, lead and due date, id and status."""
    who = ", ".join(p for p in (action.owner, action.due.isoformat() if action.due else None) if p)
    status = html_text(action.status_label)
    status_html = f'<span class="overdue">{status}</span>' if action.overdue else status
    return (
        f'<li class="action">{multiline(action.text)} '
        f'<span class="who">{html_text(who)}</span> '
        f'<span class="detail">[{html_text(action.id)}; {status_html}]</span></li>'
    )


def assurances_html(thread: ThreadView) -> str:
    """A thread's sources of assurance, under a heading per line of defence."""
    parts: list[str] = []
    for line, items in thread.assurances:
        parts.append(f'<p class="line">{html_text(LINE_NAMES[line])}:</p><ul>')
        for item in items:
            detail = f' <span class="detail">({html_text(item.detail)})</span>' if item.detail else ""
            parts.append(f"<li>{multiline(item.source)}{detail}</li>")
        parts.append("</ul>")
    return "".join(parts)


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


def _entry_widths(columns: list[list[list[tuple[str, bool]]]]) -> tuple[float, ...]:
    # Give each column a share of the width in proportion to its text, so the columns
    # end at about the same height (the paper's fixed widths leave tall, thin columns).
    chars = [0.0] * len(ENTRY_COLUMNS)
    for thread_columns in columns:
        for index, items in enumerate(thread_columns):
            chars[index] += sum(len(text) + 12 for text, _bulleted in items)
    total = sum(chars) or 1.0
    shares = [min(max(c / total, 0.08), 0.32) for c in chars]
    scale = 100.0 / sum(shares)
    widths = [round(share * scale, 1) for share in shares]
    widths[-1] = round(100.0 - sum(widths[:-1]), 1)
    return tuple(widths)


def estimate_height(
    page: RiskPage,
    widths: tuple[float, ...],
    size_pt: float,
    columns: list[list[list[tuple[str, bool]]]] | None = None,
) -> float:
    """Estimated height in millimetres of a risk page set at ``size_pt``.

    ``columns`` is each thread's :func:`_column_items`, when the caller has them already.
    """
    if columns is None:
        columns = [_column_items(thread) for thread in page.threads]
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
    for thread, thread_columns in zip(page.threads, columns, strict=True):
        height += _lines(thread.description, PAGE_WIDTH_MM - _CELL_PAD_MM, size_pt) * line + _CELL_PAD_MM
        height += max(
            _column_height(items, PAGE_WIDTH_MM * width / 100, size_pt)
            for items, width in zip(thread_columns, widths, strict=True)
        )
    extras = len(page.related_risks) > 0, len(page.operational_risks) > 0, page.notes is not None
    height += sum(extras) * line + (_lines(page.notes, PAGE_WIDTH_MM, size_pt) * line if page.notes else 0)
    return height


def layout_for(page: RiskPage) -> PageLayout:
    """The largest font size at which the risk's entry is estimated to fit one page."""
    # Each thread's paragraphs are gathered once, for the widths and every size tried.
    columns = [_column_items(thread) for thread in page.threads]
    widths = _entry_widths(columns)
    budget = PAGE_HEIGHT_MM * 0.92  # the estimate is rough: keep a margin
    estimate = 0.0
    for tenths in FONT_SIZES:
        estimate = estimate_height(page, widths, tenths / 10, columns)
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


# ---------------------------------------------------------------------------
# The templates
# ---------------------------------------------------------------------------

#: bafctl's own templates (package data).
TEMPLATE_FOLDER = Path(__file__).parent / "templates" / "report"
#: The pack's templates: a file of the same name in a trust's template folder is used instead.
TEMPLATE_NAMES = (
    "report.html.j2",
    "report.css.j2",
    "cover.html.j2",
    "summary.html.j2",
    "heatmaps.html.j2",
    "changes.html.j2",
    "risk.html.j2",
    "action_log.html.j2",
)
#: The largest template read from a trust's folder.
MAX_TEMPLATE_BYTES = 1 << 20
#: A template a trust's folder may hold: a plain name, directly in the folder.
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
#: The HTML is handed on in pieces of about this many characters (a page is about 10,000).
CHUNK_CHARS = 8192


class TemplateFolderLoader(BaseLoader):
    """Templates from a trust's folder: plain files directly in it, never a link, none too large.

    A template in a register repository is untrusted input: it is read as text (UTF-8),
    run in the sandbox, and may not lead bafctl to read any other file.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get_source(
        self,
        environment: Environment,  # noqa: ARG002 - Jinja's loader interface passes it
        template: str,
    ) -> tuple[str, str, Callable[[], bool]]:
        if not _TEMPLATE_NAME.match(template):
            raise TemplateNotFound(template)
        path = self.folder / template
        shown = display_path(path)
        try:
            info = path.lstat()
        except (FileNotFoundError, NotADirectoryError):
            raise TemplateNotFound(template) from None
        except OSError as exc:
            raise UsageError(f"{shown}: cannot read the template: {exc.strerror or exc}") from None
        if stat.S_ISLNK(info.st_mode):
            raise UsageError(f"{shown}: a template may not be a symbolic link")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{shown}: a template must be a regular file")
        try:
            data = read_regular(path, MAX_TEMPLATE_BYTES)  # a FIFO swapped in meanwhile is refused
        except OSError as exc:
            raise UsageError(f"{shown}: cannot read the template: {exc.strerror or exc}") from None
        if len(data) > MAX_TEMPLATE_BYTES:
            raise UsageError(f"{shown}: a template may be at most {MAX_TEMPLATE_BYTES} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{shown}: a template must be UTF-8 text") from None
        return text, str(path), lambda: True


def _finalize(value: object) -> object:
    # Every text a template prints is escaped as bafctl escapes HTML (escaping.html_text:
    # control characters dropped, & < > " ' as entities); what bafctl built as HTML (a
    # Markup) is printed as it is. Jinja's own escaping then leaves both alone.
    if type(value) is str or (isinstance(value, str) and not isinstance(value, Markup)):
        return Markup(html_text(value))
    return value


def _multiline(text: str) -> Markup:
    return Markup(multiline(text))


def _bullets(values: list[str] | tuple[str, ...]) -> Markup:
    return Markup(bullets_html(values))


def _gaps_filter(gaps: tuple[GapView, ...]) -> Markup:
    return Markup(gaps_html(gaps))


def _assurances(thread: ThreadView) -> Markup:
    return Markup(assurances_html(thread))


def _actions(actions: tuple[ActionView, ...]) -> Markup:
    return Markup("".join(action_html(action) for action in actions))


def _commas(values: Iterable[str]) -> str:
    return ", ".join(values)


def _iso(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def _governance(page: RiskPage) -> str:
    return "; ".join([*page.oversight, *[g for g in page.governance if g not in page.oversight]])


def _summary_table(register: RegisterSummary, movement: bool) -> Markup:
    return Markup(summary_table_html(register, movement=movement))


def _legend(register: RegisterSummary) -> Markup:
    return Markup(legend_html(register))


def _heatmap_svg(heatmap: HeatMap, *, target_only: bool = False, title: str = "Heat map") -> Markup:
    return Markup(heatmap_svg(heatmap, target_only=target_only, title=title))


class PackEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with a quick path for the fields of the report's own values.

    A field of one of the report's frozen dataclasses (``page.row``, ``score.band``) is
    plain data the pack is made of: read directly, without the sandbox's checks on each
    of the hundreds of reads a risk page makes. Every other attribute, and anything read
    from a field's value, goes through the sandbox as usual.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        fields = _VIEW_FIELDS.get(type(obj))
        if fields is not None and attribute in fields:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


def _view_fields() -> dict[type, frozenset[str]]:
    import bafctl.report
    import bafctl.summary

    found: dict[type, frozenset[str]] = {}
    for module in (bafctl.report, bafctl.summary):
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
                found[value] = frozenset(f.name for f in dataclasses.fields(value) if not f.name.startswith("_"))
    return found


_VIEW_FIELDS = _view_fields()


def template_environment(template_dir: Path | None = None) -> PackEnvironment:
    """The templates of the pack: ``template_dir``'s first, then bafctl's own.

    A template in ``template_dir`` named like one of :data:`TEMPLATE_NAMES` is used
    instead of bafctl's; bafctl's are also reachable as ``bafctl/<name>`` (to extend or
    include the original). Sandboxed (no attribute starting with ``_``, nothing that
    changes a value), autoescaped, and an undefined name is an error.
    """
    if template_dir is None:
        return _default_environment()
    if not template_dir.is_dir():
        raise UsageError(f"{display_path(template_dir)}: not a folder of templates")
    return _environment(TemplateFolderLoader(template_dir))


@functools.cache
def _default_environment() -> PackEnvironment:
    return _environment(None)


def _environment(trust: TemplateFolderLoader | None) -> PackEnvironment:
    package = FileSystemLoader(TEMPLATE_FOLDER)
    loaders: list[BaseLoader] = [] if trust is None else [trust]
    loaders += [PrefixLoader({"bafctl": package}), package]
    environment = PackEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.filters.update(
        multiline=_multiline,
        bullets=_bullets,
        gaps=_gaps_filter,
        assurances=_assurances,
        actions=_actions,
        commas=_commas,
        iso=_iso,
        governance=_governance,
        summary_table=_summary_table,
        legend=_legend,
    )
    environment.globals.update(
        heatmap_svg=_heatmap_svg,
        axis_legend=axis_legend,
        entry_columns=tuple(name for name, _width in ENTRY_COLUMNS),
        line_names=dict(LINE_NAMES),
    )
    return environment


def _style(report: Report, environment: Environment) -> str:
    audience = "PUBLIC" if report.audience is Audience.PUBLIC else "BOARD"
    css = environment.get_template("report.css.j2").render(
        header=Markup(css_string(report.running_header)), audience=Markup(css_string(audience)), report=report
    )
    style = str(css)
    style += "".join(f"table.entry th:nth-child({i}){{width:{w}%}}" for i, (_n, w) in enumerate(ENTRY_COLUMNS, 1))
    style += "".join(layout_css(index, layout_for(page)) for index, page in enumerate(report.risks, start=1))
    return style + band_css(report.summary)


def render_report_html(report: Report, template_dir: Path | None = None) -> str:
    """The whole report as one HTML document (UTF-8 text), identical for identical input."""
    return "".join(report_html_chunks(report, template_dir))


def report_html_chunks(report: Report, template_dir: Path | None = None) -> Iterator[str]:
    """The report's HTML a few thousand characters at a time: joined, exactly :func:`render_report_html`.

    A 5,000-risk report is 50 MB of HTML; generated piece by piece from the templates
    it never exists whole in memory. A template that breaks the sandbox's rules, or
    names something undefined, is a :class:`~bafctl.errors.UsageError` (exit 2).
    """
    with _template_errors():
        environment = template_environment(template_dir)
        if template_dir is not None:
            # A trust's mistake (a syntax error, a link, a file too large) shows before
            # anything is written.
            for name in TEMPLATE_NAMES:
                environment.get_template(name)
        template = environment.get_template("report.html.j2")
        style = _style(report, environment)
        pieces = template.generate(
            report=report,
            style=Markup(style),
            csp=csp_for(style),
            organisations=" · ".join(sorted({r.organisation for r in report.registers})),
            movement=report.since is not None,
            changes=None if report.changes is None else describe_changes(report.changes),
        )
    return _chunks(pieces)


def _chunks(pieces: Iterator[str]) -> Iterator[str]:
    buffer: list[str] = []
    size = 0
    with _template_errors():
        for piece in pieces:
            buffer.append(piece)
            size += len(piece)
            if size >= CHUNK_CHARS:
                yield "".join(buffer)
                buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


@contextlib.contextmanager
def _template_errors() -> Iterator[None]:
    """A template's mistake as one line naming the template (exit 2), never a traceback."""
    try:
        yield
    except TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or 'template'}:{exc.lineno}"
        raise UsageError(one_line(f"{display_path(where)}: template syntax error: {exc.message}")) from None
    except SecurityError as exc:
        raise UsageError(one_line(f"template refused by the sandbox: {exc}")) from None
    except TemplateNotFound as exc:
        raise UsageError(one_line(f"template not found: {exc.name}")) from None
    except UndefinedError as exc:
        raise UsageError(one_line(f"template error: {exc.message}")) from None
    except TemplateError as exc:
        raise UsageError(one_line(f"template error: {exc}")) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        # Python's own errors from what a template does (adding text to a number, ...).
        raise UsageError(one_line(f"template error: {type(exc).__name__}: {exc}")) from None


def risk_page_html(page: RiskPage, index: int = 0, template_dir: Path | None = None) -> str:
    """One risk's page, laid out as its BAF entry (``index`` names its layout class)."""
    with _template_errors():
        template = template_environment(template_dir).get_template("risk.html.j2")
        return str(template.render(page=page, index=index))
