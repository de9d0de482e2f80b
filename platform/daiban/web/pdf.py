"""PDF from the same HTML as the print view (WeasyPrint; Chinese through fonts-noto-cjk).

The print templates (`templates/print/`) carry their styles inline and, rendered for the PDF,
load nothing (only the browser's print view adds `static/daiban.js` for its print button), so
the renderer is given a fetcher that refuses every URL: a document never reaches the network or
the file system, whatever ends up in its text.

Without a Chinese font WeasyPrint draws every character as an empty box and only logs it, so
the fonts are checked when the app starts: without them a PDF address answers the print view,
which says why and how to fix it, and the pages do not offer the PDF.
"""

from __future__ import annotations

import functools
import logging
import subprocess
from collections.abc import Callable
from urllib.parse import quote

from flask import Flask, Response, current_app

log = logging.getLogger(__name__)

FONTS_HINT = "apt-get install fonts-noto-cjk"
NO_FONTS = ("无法生成 PDF：服务器缺少中文字体，PDF 中的汉字会显示为方框。"
            "请使用“打印”（打印对话框中也可另存为 PDF）。"
            f"请管理员安装字体（Debian: {FONTS_HINT}）后重启服务。")
NO_FONTCONFIG = ("无法生成 PDF：服务器无法查询已安装的字体（缺少 fontconfig），不能确认有中文字体。"
                 "请使用“打印”。"
                 "请管理员安装（Debian: apt-get install fontconfig fonts-noto-cjk）后重启服务。")
NO_PANGO = ("无法生成 PDF：服务器缺少 Pango 库。请使用“打印”。"
            "请管理员安装（Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0）后重启服务。")


def cjk_families(fc_list_output: str) -> tuple[str, ...]:
    """The font families in the output of `fc-list :lang=zh family` (first name on each line)."""
    return tuple(sorted({line.split(",")[0].strip() for line in fc_list_output.splitlines()} - {""}))


@functools.cache
def installed_cjk_fonts() -> tuple[str, ...] | None:
    """The font families fontconfig can draw Chinese with, or None when fc-list is not there."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return cjk_families(listed.stdout)


def fonts_problem() -> str | None:
    """Why PDFs would show Chinese as boxes on this server (in Chinese), or None when a font is there."""
    fonts = installed_cjk_fonts()
    if fonts is None:
        return NO_FONTCONFIG
    return None if fonts else NO_FONTS


@functools.cache
def available() -> bool:
    """True when WeasyPrint and the Pango library it needs can be loaded (tried once per process)."""
    try:
        import weasyprint  # noqa: F401
    except OSError:  # the Python package is there, the system library is not
        log.warning("PDF unavailable: WeasyPrint cannot load Pango (apt-get install libpango-1.0-0 "
                    "libpangoft2-1.0-0); the print views still work")
        return False
    return True


def init_app(app: Flask) -> None:
    """Check for a Chinese font once at start-up, log its absence, and tell the templates."""
    problem = fonts_problem()
    app.extensions["pdf_fonts_problem"] = problem
    if problem:
        log.warning("PDF unavailable: no Chinese font found by `fc-list :lang=zh` (%s, then restart); "
                    "PDF addresses answer the print view instead", FONTS_HINT)
    app.context_processor(lambda: {"pdf_unavailable": unavailable})


def unavailable() -> str | None:
    """Why this app cannot make a PDF (in Chinese, for the page), or None when it can."""
    problem = current_app.extensions.get("pdf_fonts_problem")
    if problem:
        return problem
    return None if available() else NO_PANGO


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML page to PDF bytes."""
    import weasyprint  # imported on first use: it takes a moment to load
    from weasyprint.urls import URLFetcher

    refuse_all = URLFetcher(allowed_protocols=())  # no protocol allowed: nothing is fetched
    return weasyprint.HTML(string=html, url_fetcher=refuse_all).write_pdf()


def pdf_response(render: Callable[[bool], str], filename: str) -> Response:
    """A PDF of `render(True)`, shown in the browser, saved as `filename` (Chinese allowed); when
    no PDF can be made, the print view `render(False)`, which says why (503)."""
    if unavailable():
        return Response(render(False), 503, mimetype="text/html")
    ascii_name = filename.encode("ascii", "ignore").decode() or "document.pdf"
    response = Response(html_to_pdf(render(True)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")
    return response
