"""The ledger and the quarterly report as files: .xlsx laid out for printing, and the report as PDF.

Every sheet has the same shape: a title row, a header row, both frozen and repeated on each printed
page, column widths, A4 landscape fitted to the page width. Sheets are written in openpyxl's
write-only mode, so a ledger of any length is streamed instead of held in memory cell by cell.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Mapping, Sequence

from flask import render_template
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from daiban.supervision.ledger import COLUMNS, LedgerRow
from daiban.supervision.models import ReportSubmission
from daiban.supervision.report import FIGURES, RATES, QuarterlyFigures, UnitStatus
from daiban.supervision.units import ReportUnit
from daiban.web.pdf import pdf_response

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
# The overview's columns: a few figures of every unit side by side.
OVERVIEW_KEYS = ("received", "assist", "proxy", "channel_home_visit", "finished", "on_time_rate",
                 "consultations", "deferred", "ratings", "bad_ratings", "rectifications", "agents")


def _sheet(workbook: Workbook, name: str, title: str, headers: Sequence[str], widths: Sequence[int]):
    """A write-only sheet with its title and header rows written and its print layout set."""
    _register_styles(workbook)
    sheet = workbook.create_sheet(name)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"  # title and header stay in view while scrolling
    sheet.print_title_rows = "1:2"  # and are repeated on every printed page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages long as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.merged_cells.add(CellRange(min_col=1, min_row=1, max_col=len(headers), max_row=1))
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=14)
    heading.alignment = Alignment(horizontal="center", vertical="center")
    sheet.append([heading])
    sheet.append([_cell(sheet, h, header=True) for h in headers])
    return sheet


# Named styles are registered once per workbook and set on cells by name: setting border and
# alignment objects on every cell makes openpyxl hash them again for each cell, which made a
# ledger of ten thousand rows take seconds.
_STYLES = {
    "daiban_header": dict(font=Font(bold=True), fill=_HEADER_FILL, border=_BORDER,
                          alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)),
    "daiban_date": dict(border=_BORDER, number_format="yyyy-mm-dd"),
    "daiban_text": dict(border=_BORDER, alignment=Alignment(vertical="top", wrap_text=True)),
    "daiban_number": dict(border=_BORDER),
}


def _register_styles(workbook: Workbook) -> None:
    for name, parts in _STYLES.items():
        if name not in workbook.named_styles:
            workbook.add_named_style(NamedStyle(name=name, **parts))


def _cell(sheet, value, header: bool = False, indent: int = 0):
    cell = WriteOnlyCell(sheet, value=value)
    if header:
        cell.style = "daiban_header"
    elif isinstance(value, datetime.date):
        cell.style = "daiban_date"
    elif isinstance(value, str):
        if indent:
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True, indent=indent)
        else:
            cell.style = "daiban_text"
        if value.startswith("="):  # typed text (a name, a note) must never run as a formula
            cell.data_type = "s"
    else:
        cell.style = "daiban_number"
    return cell


def _bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ledger_xlsx(rows: Iterable[LedgerRow], title: str) -> bytes:
    """The work ledger (工作台账) as an .xlsx workbook, one row per case."""
    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, "工作台账", title, ["序号", *(h for _, h, _ in COLUMNS)],
                   [6, *(w for _, _, w in COLUMNS)])
    for number, row in enumerate(rows, start=1):
        sheet.append([_cell(sheet, number), *(_cell(sheet, getattr(row, name)) for name, _, _ in COLUMNS)])
    return _bytes(workbook)


def _shown(value) -> int | float | str:
    return "—" if value is None else value


def report_xlsx(figures: QuarterlyFigures, submission: ReportSubmission | None = None,
                statuses: Sequence[UnitStatus] | None = None,
                overview: Mapping[ReportUnit, QuarterlyFigures] | None = None) -> bytes:
    """A quarterly report as an .xlsx workbook: the figures, agents per center and, for the bureau,
    every unit's submission status and figures side by side."""
    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, "季度报告", figures.title, ["项目", "数量"], [44, 16])
    for _key, label, depth, value in figures.rows():
        sheet.append([_cell(sheet, ("其中：" if depth else "") + label, indent=2 * depth),
                      _cell(sheet, _shown(value))])
    period = "本季度尚未开始"
    if figures.end >= figures.start:
        period = (f"统计期间 {figures.start:%Y-%m-%d} 至 {figures.end:%Y-%m-%d}，"
                  f"数据截至 {figures.as_of:%Y-%m-%d}")
    sheet.append([_cell(sheet, period), _cell(sheet, "")])
    if submission is not None:
        sheet.append([_cell(sheet, f"已于 {submission.submitted_at:%Y-%m-%d %H:%M} 由 "
                                   f"{submission.submitted_by.display_name} 报送"), _cell(sheet, "")])
    if figures.agents_by_center:
        agents = _sheet(workbook, "代办员配备", f"{figures.unit.name}各服务中心（站）在岗代办员",
                        ["服务中心（站）", "在岗代办员（人）"], [40, 18])
        for name, count in figures.agents_by_center:
            agents.append([_cell(agents, name), _cell(agents, count)])
    if statuses:
        listed = _sheet(workbook, "报送情况", f"{figures.year}年第{figures.quarter}季度报告报送情况",
                        ["单位", "类型", "报送截止日期", "报送情况", "报送时间"], [34, 10, 14, 12, 18])
        for status in statuses:
            at = status.submission.submitted_at.strftime("%Y-%m-%d %H:%M") if status.submission else ""
            listed.append([_cell(listed, status.unit.name), _cell(listed, status.unit.kind_label),
                           _cell(listed, status.deadline), _cell(listed, status.label), _cell(listed, at)])
    if overview:
        labels = {key: label for key, label, _ in FIGURES}
        side = _sheet(workbook, "分单位汇总", f"{figures.year}年第{figures.quarter}季度各单位帮办代办情况",
                      ["单位", *(labels[k] for k in OVERVIEW_KEYS)], [30, *(12 for _ in OVERVIEW_KEYS)])
        for unit, unit_figures in overview.items():
            side.append([_cell(side, unit.name),
                         *(_cell(side, _shown(unit_figures[k])) for k in OVERVIEW_KEYS)])
    return _bytes(workbook)


def report_html(figures: QuarterlyFigures, submission: ReportSubmission | None = None,
                statuses: Sequence[UnitStatus] | None = None, pdf: bool = True,
                pdf_url: str | None = None, back: tuple[str, str] | None = None) -> str:
    """The quarterly report as a self-contained print page (templates/print/report.html)."""
    return render_template("print/report.html", figures=figures, submission=submission,
                           statuses=statuses or [], rates=RATES, pdf=pdf, pdf_url=pdf_url, back=back)


def report_pdf(figures: QuarterlyFigures, submission: ReportSubmission | None = None,
               statuses: Sequence[UnitStatus] | None = None, pdf_url: str | None = None,
               back: tuple[str, str] | None = None):
    """The quarterly report as a PDF response, rendered from the print page (which answers
    instead when the server cannot make the PDF)."""
    return pdf_response(lambda pdf: report_html(figures, submission, statuses, pdf, pdf_url, back),
                        f"{figures.unit.name}{figures.year}年第{figures.quarter}季度报告.pdf")
